"""Acceptance of issue 4 (`gtmgen plan` / `gtmgen publish`), checked the way a user and CI run them.

The emulator runs as a separate process (`python -m gtmgen.testing.emulator`, as the README's CI
recipe does) and is steered only through its command line, its HTTP control paths and the Tag
Manager API itself, with the real google-api-python-client. gtmgen runs as its own process
(`python -m gtmgen`, no terminal unless a test gives it one), except where a test needs a fast
clock for the retry waits; then the CLI runs in-process against the same separate emulator.
"Someone else" edits through the API, as the GTM interface would.
"""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from googleapiclient.errors import HttpError
from typer.testing import CliRunner

from gtmgen.changes import diff_containers
from gtmgen.cli import app
from gtmgen.container import Container
from gtmgen.errors import ExitCode
from gtmgen.publish import pacing
from gtmgen.publish.api import build_service
from gtmgen.publish.convert import container_from_api
from gtmgen.publish.read import READ_ORDER, VERSION_KEY_BY_KIND
from tests.conftest import EXAMPLES

SPEC = EXAMPLES / "foundation-repair.yaml"
SITE_SPECS = sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.endswith(".tracking.yaml"))
FALLBACK_IDS = ("1000001", "2000002")  # for an example without a gtm block: passed as flags
ENTITY_LISTS = ("tag", "trigger", "variable", "folder", "customTemplate")
REQUESTS_LINE = re.compile(r"API requests: (\d+) \((\d+) writes")


# ---------------------------------------------------------------- the emulator as a separate process


class EmulatorProcess:
    """`python -m gtmgen.testing.emulator --port 0 ...`, steered over HTTP."""

    def __init__(self, *options: str) -> None:
        command = [sys.executable, "-m", "gtmgen.testing.emulator", "--port", "0", *options]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        found = re.search(r"http://127\.0\.0\.1:\d+/", first)
        assert found, (
            f"the emulator did not start: {first!r} {self.process.stderr.read() if self.process.stderr else ''}"
        )
        self.endpoint = found.group(0)
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.endpoint + "_emulator/" + path, data=data, method=method)
        with self._opener.open(request, timeout=30) as answer:
            return json.loads(answer.read())

    def requests(self, *, bodies: bool = False) -> dict[str, Any]:
        return dict(self.control("GET", "requests" + ("?bodies=1" if bodies else "")))

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


def _target(spec_path: Path) -> tuple[str, str, str, list[str]]:
    """account, container, public id, and the flags needed when the spec has no gtm ids."""
    gtm = yaml.safe_load(spec_path.read_text(encoding="utf-8")).get("gtm") or {}
    if str(gtm.get("account_id", "0")).strip("0") and str(gtm.get("container_id", "0")).strip("0"):
        return str(gtm["account_id"]), str(gtm["container_id"]), str(gtm.get("public_id", "GTM-EMULATE")), []
    account, container = FALLBACK_IDS
    return (
        account,
        container,
        str(gtm.get("public_id") or "GTM-EMULATE"),
        ["--account", account, "--container", container],
    )


def _seed_option(spec_path: Path) -> str:
    account, container, public_id, _ = _target(spec_path)
    return f"{account}/{container}/{public_id}"


@pytest.fixture
def start_emulator() -> Iterator[Callable[..., EmulatorProcess]]:
    started: list[EmulatorProcess] = []

    def start(*options: str) -> EmulatorProcess:
        started.append(EmulatorProcess(*options))
        return started[-1]

    yield start
    for emulator in started:
        emulator.stop()


# ---------------------------------------------------------------- gtmgen as a user runs it


def _environment(endpoint: str, tmp_path: Path, credentials: str = "none") -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GTMGEN_") and k != "GOOGLE_APPLICATION_CREDENTIALS"}
    return env | {
        "GTMGEN_API_ENDPOINT": endpoint,
        "GTMGEN_CREDENTIALS": credentials,
        "GTMGEN_QPS": "0",
        "GTMGEN_CONFIG_DIR": str(tmp_path / "config"),
    }


def _process(
    endpoint: str, tmp_path: Path, *args: str, credentials: str = "none", stdin: str | None = None
) -> tuple[int, str, str]:
    """`python -m gtmgen ARGS`, with no terminal: stdin is empty (or the given text, through a pipe)."""
    done = subprocess.run(
        [sys.executable, "-m", "gtmgen", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=_environment(endpoint, tmp_path, credentials),
        timeout=300,
    )
    return done.returncode, done.stdout, done.stderr


def _run(endpoint: str, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """The same in this process (faster), with the same environment and no terminal."""
    names = ("GTMGEN_API_ENDPOINT", "GTMGEN_CREDENTIALS", "GTMGEN_QPS", "GTMGEN_CONFIG_DIR")
    env: dict[str, str | None] = {k: _environment(endpoint, tmp_path)[k] for k in names}
    result = CliRunner(env=env | {"GOOGLE_APPLICATION_CREDENTIALS": None}).invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _run_on_a_terminal(endpoint: str, tmp_path: Path, args: list[str], at_prompt: Callable[[], str]) -> tuple[int, str]:
    """Run gtmgen with a terminal (a pty); at the confirmation prompt call `at_prompt` and type its answer."""
    master, slave = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "gtmgen", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=_environment(endpoint, tmp_path) | {"COLUMNS": "200"},
        close_fds=True,
    )
    os.close(slave)
    seen = _read_until(master, process, "[y/N]:")
    os.write(master, (at_prompt() + "\n").encode())
    seen += _read_until(master, process, None)
    os.close(master)
    return process.wait(timeout=60), seen


def _read_until(master: int, process: subprocess.Popen[bytes], marker: str | None) -> str:
    text, deadline = "", time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the child closed the terminal
                return text
            if not chunk:
                return text
            text += chunk.decode("utf-8", "replace")
            if marker is not None and marker in text:
                return text
        elif process.poll() is not None and marker is not None:
            raise AssertionError(f"gtmgen ended without asking:\n{text}")
    raise AssertionError(f"timed out waiting for {marker!r}:\n{text}")


def _requests_reported(stderr: str) -> tuple[int, int]:
    found = REQUESTS_LINE.findall(stderr)
    assert found, stderr
    total, writes = found[-1]
    return int(total), int(writes)


# ---------------------------------------------------------------- looking at the container as GTM would show it


def _service(emulator: EmulatorProcess) -> Any:
    return build_service(emulator.endpoint, None)


def _container_path(spec_path: Path) -> str:
    account, container, _, _ = _target(spec_path)
    return f"accounts/{account}/containers/{container}"


def _live_version(emulator: EmulatorProcess, spec_path: Path) -> dict[str, Any]:
    versions = _service(emulator).accounts().containers().versions()
    return dict(versions.live(parent=_container_path(spec_path)).execute())


def _as_container(version: dict[str, Any], spec_path: Path) -> Container:
    account, container, public_id, _ = _target(spec_path)
    entities = {kind: version.get(VERSION_KEY_BY_KIND[kind]) or [] for kind in READ_ORDER}
    return container_from_api(entities, account, container, public_id)


def _names(version: dict[str, Any]) -> dict[str, Counter[str]]:
    """Entity names per kind, straight from the API's JSON."""
    return {kind: Counter(str(e.get("name")) for e in version.get(kind) or ()) for kind in ENTITY_LISTS}


def _compiled(spec_path: Path) -> Container:
    from gtmgen.build import compile_checked
    from gtmgen.validate import load_spec

    return compile_checked(load_spec(spec_path), str(spec_path))


def _compiled_names(container: Container) -> dict[str, Counter[str]]:
    groups = {
        "tag": container.tags,
        "trigger": container.triggers,
        "variable": container.variables,
        "folder": container.folders,
        "customTemplate": container.custom_templates,
    }
    return {kind: Counter(e.name for e in items) for kind, items in groups.items()}


def _assert_live_is_the_spec(emulator: EmulatorProcess, spec_path: Path, hand_made: str = "Hand - ") -> None:
    """The live version is the compiled spec, each entity once, besides entities made by hand."""
    live = _live_version(emulator, spec_path)
    want = _compiled(spec_path)
    names = _names(live)
    for kind, counts in names.items():
        assert [n for n, c in counts.items() if c > 1] == [], f"duplicate {kind}"
    ours = {k: Counter({n: c for n, c in v.items() if not n.startswith(hand_made)}) for k, v in names.items()}
    assert {k: v for k, v in ours.items() if v} == {k: v for k, v in _compiled_names(want).items() if v}
    changes = diff_containers(want, _as_container(live, spec_path)).changes
    assert [c for c in changes if c.action != "keep" and not c.name.startswith(hand_made)] == []
    enabled = {str(b.get("name")) for b in live.get("builtInVariable") or ()}
    assert set(want.enabled_built_in_names()) <= enabled


# ---------------------------------------------------------------- first publish, second publish: every example


@pytest.mark.parametrize("spec_path", SITE_SPECS, ids=lambda p: p.stem)
def test_first_publish_creates_the_compiled_container_and_a_second_publish_writes_nothing(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path, spec_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(spec_path))
    flags = _target(spec_path)[3]
    run = _process if spec_path == SPEC else _run  # the README's CI recipe as separate processes

    code, out, err = run(emulator.endpoint, tmp_path, "publish", str(spec_path), "--yes", *flags)
    assert code == 0, out + err
    assert "Published version 1" in out and "Traceback" not in err
    first = emulator.requests()
    # Few requests, and as many for 21 entities as for 75: reads, one bulk write, the release.
    assert (first["count"], first["writes"]) == (14, 6)
    assert _requests_reported(err) == (14, 6)
    refused = [(r["id"], r["status"]) for r in first["requests"] if r["status"] != 200]
    assert refused == [("accounts.containers.versions.live", 404)]  # nothing was live yet
    assert all(r["id"].startswith("accounts.containers.") for r in first["requests"])
    _assert_live_is_the_spec(emulator, spec_path)
    first = emulator.requests()  # with the test's own read of the live version

    code, out, err = run(emulator.endpoint, tmp_path, "publish", str(spec_path), "--yes", *flags)
    assert code == 0, out + err
    assert "Nothing to publish: the container already matches the spec." in out
    second = emulator.requests()
    assert (second["count"] - first["count"], second["writes"] - first["writes"]) == (2, 0)
    assert _requests_reported(err) == (2, 0)

    code, out, err = run(emulator.endpoint, tmp_path, "plan", str(spec_path), "--detailed-exitcode", *flags)
    assert code == 0, out + err
    assert "0 to create, 0 to update, 0 to delete." in out


def test_a_bigger_page_of_lists_is_followed_to_the_end(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    """With 3 items a page, every kind is read in full (one list call per page, never one GET per entity)."""
    emulator = start_emulator("--container", _seed_option(SPEC), "--page-size", "3")
    assert _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")[0] == 0
    before = emulator.requests()["count"]
    code, out, err = _run(
        emulator.endpoint, tmp_path, "plan", str(SPEC), "--detailed-exitcode", "--workspace", "gtmgen"
    )
    assert code == 0, out + err
    # the workspace is gone after the version was made: the plan reads the live version, one request
    assert emulator.requests()["count"] - before == 2
    service = _service(emulator)
    workspaces = service.accounts().containers().workspaces()
    workspaces.create(parent=_container_path(SPEC), body={"name": "gtmgen"}).execute()
    before = emulator.requests()["count"]
    code, out, err = _run(emulator.endpoint, tmp_path, "plan", str(SPEC), "--detailed-exitcode")
    assert code == 0, out + err
    want = _compiled(SPEC)
    sizes = [len(want.folders), len(want.custom_templates), 0, len(want.variables), len(want.triggers), len(want.tags)]
    built_ins = len(_live_version(emulator, SPEC).get("builtInVariable") or ())
    sizes[2] = built_ins
    pages = sum(max(1, -(-n // 3)) for n in sizes)
    # list workspaces, every page once; as nothing is left to write, getStatus and the live version
    # say whether the workspace still has to go live (it does not: it matches the live version)
    assert emulator.requests()["count"] - before - 1 == 1 + pages + 2


# ---------------------------------------------------------------- what gtmgen does not own


HAND_TRIGGER = {"name": "Hand - all clicks", "type": "click"}
HAND_VARIABLE = {
    "name": "Hand - partner id",
    "type": "c",
    "parameter": [{"type": "template", "key": "value", "value": "PX-1"}],
}


def _hand_tag(trigger_id: str) -> dict[str, Any]:
    return {
        "name": "Hand - LinkedIn Insight",
        "type": "html",
        "notes": "made by Ana in GTM",
        "parameter": [{"type": "template", "key": "html", "value": "<script>/* li {{Hand - partner id}} */</script>"}],
        "firingTriggerId": [trigger_id],
    }


def _person_publishes(service: Any, container_path: str, edit: Callable[[Any, str], None]) -> str:
    """Someone makes a workspace in GTM (from the latest version), edits it, submits and publishes it."""
    workspaces = service.accounts().containers().workspaces()
    path = workspaces.create(parent=container_path, body={"name": "Ana's changes"}).execute()["path"]
    edit(workspaces, path)
    made = workspaces.create_version(path=path, body={"name": "by hand"}).execute()
    service.accounts().containers().versions().publish(path=made["containerVersion"]["path"]).execute()
    return str(made["containerVersion"]["containerVersionId"])


def _all_tags(workspaces: Any, path: str) -> list[dict[str, Any]]:
    tags, token = [], None
    while True:
        page = workspaces.tags().list(parent=path, pageToken=token).execute()
        tags += page.get("tag", [])
        token = page.get("nextPageToken")
        if not token:
            return tags


def _make_hand_entities(workspaces: Any, path: str) -> None:
    trigger = workspaces.triggers().create(parent=path, body=HAND_TRIGGER).execute()
    workspaces.variables().create(parent=path, body=HAND_VARIABLE).execute()
    workspaces.tags().create(parent=path, body=_hand_tag(trigger["triggerId"])).execute()


def _hand_made(version: dict[str, Any]) -> dict[str, Any]:
    """The hand-made entities as GTM holds them, without what changes with every copy."""
    volatile = {"path", "fingerprint", "workspaceId", "tagManagerUrl"}
    return {
        f"{kind} {e['name']}": {k: v for k, v in e.items() if k not in volatile}
        for kind in ENTITY_LISTS
        for e in version.get(kind) or ()
        if str(e.get("name", "")).startswith("Hand - ")
    }


def test_hand_made_entities_survive_every_publish_untouched(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC))
    service = _service(emulator)
    _person_publishes(service, _container_path(SPEC), _make_hand_entities)
    made = _hand_made(_live_version(emulator, SPEC))
    assert len(made) == 3
    # and a draft someone is still working on, in another workspace
    workspaces = service.accounts().containers().workspaces()
    draft_workspace = workspaces.create(parent=_container_path(SPEC), body={"name": "Ana's draft"}).execute()["path"]
    draft = workspaces.variables().create(parent=draft_workspace, body=HAND_VARIABLE | {"name": "Hand - draft"})
    draft = draft.execute()
    start = len(emulator.requests()["requests"])

    code, out, err = _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")
    assert code == 0, out + err
    assert "= tag 'Hand - LinkedIn Insight'  (not managed by gtmgen: left alone)" in out
    assert _hand_made(_live_version(emulator, SPEC)) == made

    edited = tmp_path / "site.yaml"
    edited.write_text(SPEC.read_text(encoding="utf-8").replace("value: 80", "value: 95"), encoding="utf-8")
    before = len(emulator.requests()["requests"])
    code, out, err = _run(emulator.endpoint, tmp_path, "publish", str(edited), "--yes")
    assert code == 0, out + err
    assert "0 to create, 3 to update, 0 to delete, 3 left alone." in out
    assert _hand_made(_live_version(emulator, edited)) == made
    _assert_live_is_the_spec(emulator, edited)
    # the only write of entities: one bulk_update with exactly what the edit changed
    changed = {
        (c.kind, c.name) for c in diff_containers(_compiled(SPEC), _compiled(edited)).changes if c.action != "keep"
    }
    sent = [r for r in emulator.requests(bodies=True)["requests"][before:] if r["id"].endswith("bulk_update")]
    assert len(sent) == 1
    bodies = {(kind, c[kind]["name"]) for c in sent[0]["body"]["changes"] for kind in c if kind != "changeStatus"}
    assert bodies == changed and len(changed) == 3
    in_draft = workspaces.variables().list(parent=draft_workspace).execute()["variable"]
    assert [v for v in in_draft if v["name"] == "Hand - draft"] == [draft]
    writes = [r["path"] for r in emulator.requests()["requests"][start:] if r["method"] != "GET"]
    assert not [w for w in writes if w.startswith("/tagmanager/v2/" + draft_workspace)]
    assert all(
        c["changeStatus"] == "updated" and c[k].get("fingerprint")
        for c in sent[0]["body"]["changes"]
        for k in c
        if k != "changeStatus"
    )


# ---------------------------------------------------------------- faults


@pytest.fixture
def fast_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[float]:
    """The retry waits of in-process runs pass at once (their lengths are recorded)."""
    slept: list[float] = []

    class Clock:
        now = 1000.0

        def monotonic(self) -> float:
            return self.now

        def sleep(self, seconds: float) -> None:
            slept.append(seconds)
            self.now += seconds

    monkeypatch.setattr(pacing, "default_clock", Clock)
    for name in ("GTMGEN_API_ENDPOINT", "GTMGEN_CREDENTIALS", "GTMGEN_QPS", "GOOGLE_APPLICATION_CREDENTIALS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GTMGEN_CONFIG_DIR", str(tmp_path / "config"))
    return slept


def _in_process(emulator: EmulatorProcess, *args: str) -> tuple[int, str, str]:
    options = ["--api-endpoint", emulator.endpoint, "--credentials", "none", "--qps", "0.25"]
    result = CliRunner().invoke(app, [*args, *options])
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("seed", ["1", "2", "3", "4"])
def test_20_percent_429_and_500_and_a_connection_dropped_after_the_create_end_in_the_spec_without_duplicates(
    start_emulator: Callable[..., EmulatorProcess], fast_clock: list[float], seed: str
) -> None:
    emulator = start_emulator(
        "--container", _seed_option(SPEC), "--fault-rate", "0.2", "--seed", seed, "--fault", "bulk_update:0:after"
    )
    code, out, err = _in_process(emulator, "publish", str(SPEC), "--yes")
    assert code == 0, out + err
    emulator.control("DELETE", "faults")  # the test's own reads below go unhindered
    log = emulator.requests()["requests"]
    statuses = Counter(r["status"] for r in log)
    assert statuses[429] + statuses[500] >= 2 and statuses[0] == 1, statuses
    assert "reading the workspace again" in err
    assert len(fast_clock) >= statuses[429] + statuses[500] - 1  # waited before retrying
    assert min(fast_clock) >= 4.0  # the quota pace (0.25 requests/s) or a backoff, never a hammering retry
    _assert_live_is_the_spec(emulator, SPEC)
    # the dropped bulk_update had been applied: it was settled by reading, never sent again
    bulk = [r for r in log if r["id"].endswith("bulk_update")]
    assert bulk[0]["status"] == 0 and all(r["status"] != 200 for r in bulk)


def test_a_connection_dropped_after_a_create_entity_by_entity_is_settled_by_reading_not_resending(
    start_emulator: Callable[..., EmulatorProcess], fast_clock: list[float]
) -> None:
    emulator = start_emulator(
        "--container",
        _seed_option(SPEC),
        "--fault",
        "bulk_update:400:times=99",
        "--fault",
        "tags.create:0:after:skip=4",
    )
    code, out, err = _in_process(emulator, "publish", str(SPEC), "--yes")
    assert code == 0, out + err
    assert "applying entity by entity" in err
    log = emulator.requests()["requests"]
    creates = [r for r in log if r["id"].endswith("tags.create")]
    assert [r["status"] for r in creates].count(0) == 1
    assert len(creates) == len(_compiled(SPEC).tags)  # the dropped one was found by reading, not created twice
    _assert_live_is_the_spec(emulator, SPEC)


def test_faults_injected_over_http_reach_the_next_requests(
    start_emulator: Callable[..., EmulatorProcess], fast_clock: list[float]
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC))
    assert emulator.control("POST", "faults", [{"method": "workspaces.create", "status": 0, "after": True}]) == {
        "faults": 1
    }
    code, out, err = _in_process(emulator, "publish", str(SPEC), "--yes")
    assert code == 0, out + err
    creates = [r for r in emulator.requests()["requests"] if r["id"].endswith("workspaces.create")]
    assert [r["status"] for r in creates] == [0]  # it happened; found by name, not created again
    listed = _service(emulator).accounts().containers().workspaces().list(parent=_container_path(SPEC)).execute()
    assert [w["name"] for w in listed["workspace"]] == ["Default Workspace"]  # gtmgen's was versioned
    with pytest.raises(urllib.error.HTTPError) as refused:
        emulator.control("POST", "faults", {"method": "x", "colour": "red"})
    assert refused.value.code == 400


def test_a_publish_that_cannot_finish_before_the_deadline_changes_nothing_and_one_that_can_keeps_the_pace(
    start_emulator: Callable[..., EmulatorProcess], fast_clock: list[float]
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC))
    code, out, err = _in_process(emulator, "publish", str(SPEC), "--yes", "--deadline", "30")
    assert code == ExitCode.API_FAILURE
    assert "this publish needs about 12 more requests" in err and "nothing was changed" in err
    assert emulator.requests()["writes"] == 0
    code, out, err = _in_process(emulator, "publish", str(SPEC), "--yes", "--deadline", "60")
    assert code == 0, out + err
    assert emulator.requests()["writes"] == 6
    # 14 requests, burst 1, at 0.25 requests/s: 13 waits of 4 s (the clock is fast, the pace is real)
    assert sum(fast_clock[-13:]) == pytest.approx(52.0, abs=0.5) and all(w <= 4.0 + 1e-6 for w in fast_clock[-13:])


# ---------------------------------------------------------------- edits by someone else between plan and apply


def _edit_tag(name: str, value: str) -> Callable[[Any, str], None]:
    def edit(workspaces: Any, path: str) -> None:
        tag = next(t for t in _all_tags(workspaces, path) if t["name"] == name)
        for parameter in tag["parameter"]:
            if parameter["key"] == "conversionValue":
                parameter["value"] = value
        workspaces.tags().update(path=tag["path"], fingerprint=tag["fingerprint"], body=tag).execute()

    return edit


def _conversion_value(version_or_tags: list[dict[str, Any]], name: str) -> str:
    tag = next(t for t in version_or_tags if t["name"] == name)
    return str(next(p["value"] for p in tag["parameter"] if p["key"] == "conversionValue"))


def test_a_version_published_by_someone_else_during_the_confirmation_is_reported_not_overwritten(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC))
    assert _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")[0] == 0
    edited = tmp_path / "site.yaml"
    edited.write_text(SPEC.read_text(encoding="utf-8").replace("value: 80", "value: 95"), encoding="utf-8")
    service = _service(emulator)

    def someone_publishes() -> str:
        _person_publishes(service, _container_path(SPEC), _edit_tag("GAds - Conv - Phone call", "120"))
        return "y"

    code, seen = _run_on_a_terminal(emulator.endpoint, tmp_path, ["publish", str(edited)], someone_publishes)
    assert code == ExitCode.API_FAILURE, seen
    assert "tag 'GAds - Conv - Phone call'" in seen and "changes gtmgen did not make" in seen
    live = _live_version(emulator, SPEC)
    assert live["containerVersionId"] == "2" and _conversion_value(live["tag"], "GAds - Conv - Phone call") == "120"


def test_an_edit_in_the_workspace_during_the_confirmation_is_reported_and_nothing_is_written(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC))
    assert _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")[0] == 0
    service = _service(emulator)
    workspaces = service.accounts().containers().workspaces()
    workspace = workspaces.create(parent=_container_path(SPEC), body={"name": "gtmgen"}).execute()["path"]
    edited = tmp_path / "site.yaml"
    edited.write_text(SPEC.read_text(encoding="utf-8").replace("value: 80", "value: 95"), encoding="utf-8")
    writes: list[int] = []

    def someone_edits() -> str:
        _edit_tag("GAds - Conv - Phone call", "120")(workspaces, workspace)
        writes.append(emulator.requests()["writes"])
        return "y"

    code, seen = _run_on_a_terminal(emulator.endpoint, tmp_path, ["publish", str(edited)], someone_edits)
    assert code == ExitCode.API_FAILURE, seen
    assert "changed by someone else" in seen and "tag 'GAds - Conv - Phone call'" in seen
    assert emulator.requests()["writes"] == writes[0]  # not one write after the answer
    assert _conversion_value(_all_tags(workspaces, workspace), "GAds - Conv - Phone call") == "120"
    assert _live_version(emulator, SPEC)["containerVersionId"] == "1"


# ---------------------------------------------------------------- plan exit codes, confirmation


def test_plan_detailed_exitcode_is_3_with_changes_0_without_4_on_api_failure_1_on_bad_input(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC))
    code, out, err = _process(emulator.endpoint, tmp_path, "plan", str(SPEC), "--detailed-exitcode")
    assert code == ExitCode.CHANGES_PENDING, err
    assert "+ tag 'GAds - Conv - Phone call'" in out and out.rstrip().endswith("to delete.")
    assert _run(emulator.endpoint, tmp_path, "plan", str(SPEC))[0] == 0  # without the flag, changes are success
    code, out, err = _run(emulator.endpoint, tmp_path, "plan", str(SPEC), "--format", "json", "--detailed-exitcode")
    assert code == ExitCode.CHANGES_PENDING and json.loads(out)["summary"]["create"] > 0
    assert emulator.requests()["writes"] == 0
    code, _out, err = _run(emulator.endpoint, tmp_path, "plan", str(SPEC), "--container", "999", "--detailed-exitcode")
    assert code == ExitCode.API_FAILURE and "added as a user in GTM" in err
    code, _out, err = _run(emulator.endpoint, tmp_path, "plan", str(tmp_path / "missing.yaml"), "--detailed-exitcode")
    assert code == ExitCode.INVALID_INPUT and "missing.yaml" in err
    assert _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")[0] == 0
    assert _run(emulator.endpoint, tmp_path, "plan", str(SPEC), "--detailed-exitcode")[0] == 0


def test_plan_detailed_exitcode_with_changes_prints_no_empty_error_line(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC))
    code, _out, err = _run(emulator.endpoint, tmp_path, "plan", str(SPEC), "--detailed-exitcode")
    assert code == ExitCode.CHANGES_PENDING
    assert "gtmgen: error:" not in err


def test_plan_detailed_exitcode_counts_a_workspace_that_still_has_to_go_live(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC), "--fault", "workspaces.create_version:500:times=9")
    assert _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")[0] == ExitCode.API_FAILURE
    with pytest.raises(HttpError):
        _live_version(emulator, SPEC)  # nothing is live: the workspace holds every change, unversioned
    code, out, err = _run(emulator.endpoint, tmp_path, "plan", str(SPEC), "--detailed-exitcode")
    assert code == ExitCode.CHANGES_PENDING, out
    assert "0 to create, 0 to update, 0 to delete." in out and "gtmgen: error:" not in err
    assert "no version has them yet: `gtmgen publish` versions and publishes it" in err


@pytest.mark.parametrize("stdin", ["", "y\n"], ids=["no-input", "piped-yes"])
def test_publish_without_a_terminal_and_without_yes_writes_nothing(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path, stdin: str
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC))
    code, out, err = _process(emulator.endpoint, tmp_path, "publish", str(SPEC), stdin=stdin)
    assert code == ExitCode.USAGE
    assert "pass --yes" in err and "to create" in out  # the plan was shown
    assert emulator.requests()["writes"] == 0
    listed = _service(emulator).accounts().containers().workspaces().list(parent=_container_path(SPEC)).execute()
    assert [w["name"] for w in listed["workspace"]] == ["Default Workspace"]


def test_on_a_terminal_no_is_the_default_and_yes_publishes(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC))
    code, seen = _run_on_a_terminal(emulator.endpoint, tmp_path, ["publish", str(SPEC)], lambda: "")
    assert code != 0 and "Nothing was changed." in seen
    assert emulator.requests()["writes"] == 0
    code, seen = _run_on_a_terminal(emulator.endpoint, tmp_path, ["publish", str(SPEC)], lambda: "y")
    assert code == 0 and "Published version 1" in seen
    _assert_live_is_the_spec(emulator, SPEC)


# ---------------------------------------------------------------- a publish that stopped half-way


def test_a_publish_refused_at_the_last_step_is_finished_by_the_next_run(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC), "--fault", "versions.publish:403")
    code, out, err = _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")
    assert code == ExitCode.API_FAILURE and "Publish permission" in err
    before = emulator.requests()
    code, out, err = _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")
    assert code == 0, out + err
    assert "Published version 2" in out
    _assert_live_is_the_spec(emulator, SPEC)
    after = emulator.requests()
    # nothing is applied again: the new workspace starts from version 1, which already holds the spec
    assert not any(
        r["id"].endswith(("bulk_update", "built_in_variables.create"))
        for r in after["requests"][len(before["requests"]) :]
    )
    assert _run(emulator.endpoint, tmp_path, "plan", str(SPEC), "--detailed-exitcode")[0] == 0


def test_no_live_then_publish_puts_that_content_live_in_one_run(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC))
    code, out, err = _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes", "--no-live")
    assert code == 0 and "Created version 1" in out and "not published" in out
    code, out, err = _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")
    assert code == 0, out + err
    assert "Published version 2" in out
    _assert_live_is_the_spec(emulator, SPEC)


def test_a_left_over_workspace_that_matches_the_spec_is_published_not_called_up_to_date(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    """A run stopped after create_version; the workspace gtmgen works in was made again (say by a
    run that stopped right after creating it): it matches the spec, the live version does not."""
    emulator = start_emulator("--container", _seed_option(SPEC), "--fault", "versions.publish:403")
    assert _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")[0] == ExitCode.API_FAILURE
    workspaces = _service(emulator).accounts().containers().workspaces()
    workspaces.create(parent=_container_path(SPEC), body={"name": "gtmgen"}).execute()
    code, out, err = _run(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes")
    assert code == 0, out + err
    assert "Nothing to publish" not in out and "Published version 2" in out
    _assert_live_is_the_spec(emulator, SPEC)


# ---------------------------------------------------------------- credentials


def _secrets(tmp_path: Path, emulator: EmulatorProcess) -> tuple[Path, Path, list[str]]:
    """A service-account key whose token endpoint is the emulator's, and an authorized-user file
    with a token the emulator issued (google-auth always refreshes those at Google, so the token
    must still be valid: nothing may leave 127.0.0.1)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    account = tmp_path / "service-account.json"
    service_account = {
        "type": "service_account",
        "project_id": "acceptance",
        "private_key_id": "4f1c9e0d2b7a6c5e",
        "private_key": pem.decode(),
        "client_email": "publisher@acceptance.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": emulator.endpoint + "token",
    }
    account.write_text(json.dumps(service_account))
    scope = "https://www.googleapis.com/auth/tagmanager.readonly"
    request = urllib.request.Request(emulator.endpoint + "token", data=f"scope={scope}".encode(), method="POST")
    with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30) as answer:
        token = json.loads(answer.read())["access_token"]
    user = tmp_path / "authorized-user.json"
    authorized_user = {
        "type": "authorized_user",
        "client_id": "123.apps.googleusercontent.com",
        "client_secret": "GOCSPX-very-secret-value",
        "refresh_token": "1//0refresh-token-that-must-not-show",
        "token": token,
        "expiry": "2999-01-01T00:00:00Z",
    }
    user.write_text(json.dumps(authorized_user))
    body = "".join(pem.decode().splitlines()[1:-1])
    pieces = [body[i : i + 40] for i in range(0, len(body), 200)]
    return account, user, [*pieces, "4f1c9e0d2b7a6c5e", "GOCSPX-very-secret-value", "0refresh-token", "emulated-token-"]


def test_credentials_and_tokens_never_appear_in_any_output(
    start_emulator: Callable[..., EmulatorProcess], tmp_path: Path
) -> None:
    emulator = start_emulator("--container", _seed_option(SPEC), "--require-auth")
    account, user, secrets = _secrets(tmp_path, emulator)
    broken = tmp_path / "broken.json"
    broken.write_text(account.read_text().replace(emulator.endpoint + "token", emulator.endpoint + "no-token-here"))
    runs = [
        _process(emulator.endpoint, tmp_path, "plan", str(SPEC), credentials=str(account)),
        _process(emulator.endpoint, tmp_path, "--debug", "plan", str(SPEC), "--format", "json", credentials=str(user)),
        _process(emulator.endpoint, tmp_path, "publish", str(SPEC), "--yes", credentials=str(account)),
        _process(
            emulator.endpoint, tmp_path, "--debug", "plan", str(SPEC), "--container", "9", credentials=str(account)
        ),
        _process(emulator.endpoint, tmp_path, "--debug", "plan", str(SPEC), credentials=str(broken)),
        _process(emulator.endpoint, tmp_path, "plan", str(SPEC), credentials="none"),
    ]
    assert [code for code, _o, _e in runs] == [0, 0, 0, 4, 4, 4], [e for _c, _o, e in runs]
    assert emulator.requests()["writes"] > 0  # the publish really ran, with the key
    assert "Traceback" in runs[3][2] and "added as a user in GTM" in runs[3][2]
    assert "Traceback" in runs[4][2] and "access token" in runs[4][2]
    assert "credentials were refused" in runs[5][2]
    for _code, out, err in runs:
        for secret in secrets:
            assert secret not in out and secret not in err, secret
