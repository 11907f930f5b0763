"""Shared test fixtures: no network, golden-file updating, paths."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
REFERENCE_EXPORTS = ROOT.parent / "shared" / "reference" / "gtm-exports"
CASES = Path(__file__).resolve().parent / "cases"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="Rewrite golden files under tests/cases from the current output (never in CI).",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


_LOOPBACK_PREFIXES = ("127.", "::1", "localhost")


def _is_loopback(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    return isinstance(host, str) and (host.startswith(_LOOPBACK_PREFIXES) or host == "")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any connection to a non-loopback address fails the test."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def guarded_connect(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(address):
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded_connect)
    monkeypatch.setattr(socket.socket, "connect_ex", guarded_connect_ex)
    yield


def reference_exports() -> list[Path]:
    """The real GTM exports in ../shared/reference/gtm-exports (empty when not present)."""
    return sorted(REFERENCE_EXPORTS.glob("*.json")) if REFERENCE_EXPORTS.is_dir() else []


def example_specs() -> list[Path]:
    """The example site specs (not the `*.tracking.yaml` scenario files beside them)."""
    return sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.endswith(".tracking.yaml"))


def modules_loaded_by(*commands: list[str], prefixes: tuple[str, ...]) -> list[str]:
    """Run CLI commands (each must succeed) in a fresh interpreter, or with none just import the
    CLI, and return the loaded modules whose names start with one of `prefixes`."""
    script = (
        "import json, sys\n"
        "from typer.testing import CliRunner\n"
        "from gtmgen.cli import app\n"
        f"for args in {list(commands)!r}:\n"
        "    result = CliRunner().invoke(app, args)\n"
        "    assert result.exit_code == 0, (args, result.output)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({prefixes!r}))))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout)
    return loaded
