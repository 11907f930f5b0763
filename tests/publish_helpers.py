"""Shared helpers of the publisher tests: a fast clock, the emulator, the CLI, the compiled spec.

The fixtures `clean_environment` (autouse), `clock` and `emulator` take effect in a test module
that imports their functions (`clean_environment_fixture`, `clock_fixture`, `emulator_fixture`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from gtmgen.cli import app
from gtmgen.container import Container
from gtmgen.publish import pacing
from gtmgen.publish.convert import container_from_api
from gtmgen.publish.read import READ_ORDER, VERSION_KEY_BY_KIND
from gtmgen.testing.emulator import Emulator
from gtmgen.testing.tagmanager_state import ContainerState, Version

runner = CliRunner()


class FakeClock:
    """A clock whose sleep only moves time forward: pacing runs in full, at full speed."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture(autouse=True, name="clean_environment")
def clean_environment_fixture(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No publisher settings or credentials from the environment; a private config folder."""
    for name in ("GTMGEN_API_ENDPOINT", "GTMGEN_CREDENTIALS", "GTMGEN_QPS", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GTMGEN_CONFIG_DIR", str(tmp_path / "config"))


@pytest.fixture(name="clock")
def clock_fixture(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(pacing, "default_clock", lambda: fake)
    return fake


@pytest.fixture(name="emulator")
def emulator_fixture(clock: FakeClock) -> Iterator[Emulator]:
    with Emulator(page_size=5) as running:
        yield running


def compiled(spec_path: Path) -> Container:
    from gtmgen.build import compile_checked
    from gtmgen.validate import load_spec

    return compile_checked(load_spec(spec_path), str(spec_path))


FALLBACK_IDS = ("1000001", "2000002")  # for example specs without a gtm block (passed as flags)


def edited_spec(spec_path: Path, tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the spec as `tmp_path/site.yaml` with its first `old` (which must be there) made `new`."""
    text = spec_path.read_text(encoding="utf-8")
    assert old in text
    edited = tmp_path / "site.yaml"
    edited.write_text(text.replace(old, new, 1), encoding="utf-8")
    return edited


def target_ids(spec_path: Path) -> tuple[str, str, list[str]]:
    """The account and container a spec publishes to, and the flags needed when the spec has none."""
    from gtmgen.validate import load_spec

    gtm = load_spec(spec_path).gtm
    if gtm.account_id.isdigit() and gtm.account_id != "0" and gtm.container_id.isdigit():
        return gtm.account_id, gtm.container_id, []
    account, container = FALLBACK_IDS
    return account, container, ["--account", account, "--container", container]


def seed(emulator: Emulator, spec_path: Path) -> ContainerState:
    from gtmgen.validate import load_spec

    account, container, _ = target_ids(spec_path)
    return emulator.api.add_container(account, container, load_spec(spec_path).gtm.public_id)


def gtmgen(emulator: Emulator, *args: str, credentials: str = "none", stdin: str | None = None) -> Result:
    """Run the CLI in-process against the emulator."""
    extra = ["--api-endpoint", emulator.endpoint, "--credentials", credentials]
    return runner.invoke(app, [*args, *extra], input=stdin)


def live_container(emulator: Emulator, state: ContainerState) -> Container:
    version = emulator.api.live(state.path)
    return version_container(version, state)


def version_container(version: dict[str, Any], state: ContainerState) -> Container:
    entities = {kind: version.get(VERSION_KEY_BY_KIND[kind]) or [] for kind in READ_ORDER}
    return container_from_api(entities, state.account_id, state.container_id, state.public_id)


def names(items: Sequence[Any]) -> list[str]:
    return sorted(item.name for item in items)


def repeated_names(version: Version) -> list[str]:
    """`kind name` for every name that two entities of one kind share in a stored version."""
    found = []
    for kind, items in version.content.entities.items():
        counts = Counter(e["name"] for e in items.values())
        found += [f"{kind} {n}" for n, c in counts.items() if c > 1]
    return found
