"""The publisher's commands: output formats, exit codes, confirmation, dry runs, versions, rollback,
request counts and the real client's request validation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gtmgen.cli.app import app
from gtmgen.errors import ExitCode
from gtmgen.testing.emulator import Emulator
from tests.conftest import EXAMPLES, modules_loaded_by
from tests.publish_helpers import FakeClock, compiled, edited_spec, gtmgen, runner, seed

# The publisher fixtures (pytest finds them by their names: clean_environment, clock, emulator).
from tests.publish_helpers import clean_environment_fixture as clean_environment_fixture
from tests.publish_helpers import clock_fixture as clock_fixture
from tests.publish_helpers import emulator_fixture as emulator_fixture

SPEC = EXAMPLES / "foundation-repair.yaml"


def test_plan_json_is_data_with_the_target_and_request_counts(emulator: Emulator) -> None:
    seed(emulator, SPEC)
    result = gtmgen(emulator, "plan", str(SPEC), "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["target"] == {
        "account_id": "6001234567",
        "container_id": "201234567",
        "workspace": "gtmgen",
        "source": "empty container accounts/6001234567/containers/201234567 (workspace 'gtmgen' will be created)",
    }
    want = compiled(SPEC)
    entities = len(want.tags) + len(want.triggers) + len(want.variables) + len(want.folders)
    assert data["summary"] == {
        "leave": 0,
        "conflict": 0,
        "create": entities + len(want.built_in_variables),
        "update": 0,
        "delete": 0,
    }
    assert {c["action"] for c in data["changes"]} == {"create"}
    assert data["pending_release"] is None
    assert data["requests"] == {"total": 2, "writes": 0}


def test_detailed_exitcode_is_3_with_changes_and_0_without(emulator: Emulator) -> None:
    seed(emulator, SPEC)
    assert gtmgen(emulator, "plan", str(SPEC), "--detailed-exitcode").exit_code == ExitCode.CHANGES_PENDING
    assert gtmgen(emulator, "plan", str(SPEC)).exit_code == 0
    assert gtmgen(emulator, "publish", str(SPEC), "--yes").exit_code == 0
    assert gtmgen(emulator, "plan", str(SPEC), "--detailed-exitcode").exit_code == 0


def test_without_a_terminal_and_without_yes_nothing_is_published(emulator: Emulator) -> None:
    state = seed(emulator, SPEC)
    result = gtmgen(emulator, "publish", str(SPEC))
    assert result.exit_code == ExitCode.USAGE
    assert "pass --yes" in result.stderr
    assert emulator.count(writes_only=True) == 0 and not state.versions


def test_dry_run_is_plan(emulator: Emulator) -> None:
    state = seed(emulator, SPEC)
    result = gtmgen(emulator, "publish", str(SPEC), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "to create" in result.stdout
    assert emulator.count(writes_only=True) == 0 and len(state.workspaces) == 1


def test_no_live_creates_a_version_and_leaves_the_live_one(emulator: Emulator, tmp_path: Path) -> None:
    state = seed(emulator, SPEC)
    assert gtmgen(emulator, "publish", str(SPEC), "--yes").exit_code == 0
    edited = tmp_path / "site.yaml"
    edited.write_text(SPEC.read_text().replace("value: 80", "value: 95"))
    result = gtmgen(emulator, "publish", str(edited), "--yes", "--no-live")
    assert result.exit_code == 0, result.output
    assert "Created version 2" in result.stdout and "version 1 stays live" in result.stdout
    assert state.live_version_id == "1" and "2" in state.versions


def test_publish_names_the_version_and_prints_the_rollback_command(emulator: Emulator, tmp_path: Path) -> None:
    state = seed(emulator, SPEC)
    assert gtmgen(emulator, "publish", str(SPEC), "--yes").exit_code == 0
    edited = tmp_path / "site.yaml"
    edited.write_text(SPEC.read_text().replace("value: 80", "value: 95"))
    result = gtmgen(emulator, "publish", str(edited), "--yes")
    assert result.exit_code == 0, result.output
    assert "before it, version 1 was live" in result.stdout
    assert f"gtmgen rollback {edited} 1" in result.stdout
    version = state.versions["2"]
    assert version.name.startswith("Solid Ground Foundation Repair - gtmgen")
    assert "Published by gtmgen" in version.description and "to update" in version.description
    rollback = gtmgen(emulator, "rollback", str(edited), "1", "--yes")
    assert rollback.exit_code == 0, rollback.output
    assert state.live_version_id == "1"


def test_a_stopped_publish_is_finished_by_the_next_one(emulator: Emulator) -> None:
    """Applied, then create_version failed: the next publish versions what the workspace holds."""
    state = seed(emulator, SPEC)
    emulator.api.compiler_error = True
    assert gtmgen(emulator, "publish", str(SPEC), "--yes").exit_code == ExitCode.API_FAILURE
    emulator.api.compiler_error = False
    result = gtmgen(emulator, "publish", str(SPEC), "--yes")
    assert result.exit_code == 0, result.output
    assert "0 to create, 0 to update, 0 to delete." in result.stdout
    assert "The workspace already holds these changes, but no version has them yet" in result.stdout
    assert "a new version will be created and published." in result.stdout
    assert state.live_version_id == "1"


def test_request_counts_against_one_request_per_entity(emulator: Emulator) -> None:
    seed(emulator, SPEC)
    assert gtmgen(emulator, "publish", str(SPEC), "--yes").exit_code == 0
    first = emulator.count()
    assert gtmgen(emulator, "publish", str(SPEC), "--yes").exit_code == 0
    unchanged = emulator.count() - first
    want = compiled(SPEC)
    entities = len(want.tags) + len(want.triggers) + len(want.variables) + len(want.folders)
    # One request per entity: a create each, one call for the built-ins, the same reads and release calls.
    naive = entities + (first - 2)
    assert first <= 15 and unchanged == 2
    assert first * 2 < naive


def test_every_call_passes_the_client_library_and_the_discovery_document(emulator: Emulator) -> None:
    seed(emulator, SPEC)
    assert gtmgen(emulator, "publish", str(SPEC), "--yes").exit_code == 0
    assert all(r.method_id != "?" for r in emulator.log)
    refused = [(r.method_id, r.status) for r in emulator.log if r.status >= 400]
    assert refused == [("accounts.containers.versions.live", 404)]  # nothing was published yet
    used = {r.method_id.removeprefix("accounts.containers.") for r in emulator.log}
    assert {"workspaces.bulk_update", "workspaces.create_version", "versions.publish"} <= used


def test_missing_gtm_ids_are_an_input_error(emulator: Emulator) -> None:
    spec = EXAMPLES / "minimal.yaml"
    assert "account_id" not in spec.read_text()
    result = gtmgen(emulator, "plan", str(spec))
    assert result.exit_code == ExitCode.INVALID_INPUT
    assert "--account" in result.stderr and emulator.count() == 0


def test_validate_and_build_never_import_the_api_client(tmp_path: Path) -> None:
    build = ["build", str(SPEC), "-o", str(tmp_path / "c.json")]
    client = ("googleapiclient", "httplib2", "google.auth")
    assert modules_loaded_by(["validate", str(SPEC)], build, prefixes=client) == []


def test_loading_the_cli_leaves_the_publisher_and_the_simulator_unloaded() -> None:
    """Every command module is imported to register its command: theirs must stay light."""
    heavy = ("gtmgen.publish", "gtmgen.simulate", "gtmgen.testing", "googleapiclient", "httplib2", "google.auth")
    assert modules_loaded_by(prefixes=heavy) == []


def test_endpoint_credentials_and_qps_come_from_the_environment(
    emulator: Emulator, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtmgen.cli import app

    seed(emulator, SPEC)
    monkeypatch.setenv("GTMGEN_API_ENDPOINT", emulator.endpoint)
    monkeypatch.setenv("GTMGEN_CREDENTIALS", "none")
    monkeypatch.setenv("GTMGEN_QPS", "0.5")
    result = runner.invoke(app, ["publish", str(SPEC), "--yes"])
    assert result.exit_code == 0, result.output
    waits = [s for s in clock.slept if s > 0]
    assert waits and all(abs(s - 2.0) < 1e-6 for s in waits)  # 0.5 requests/s: 2 s apart
    assert "about" in result.stderr and "s left" in result.stderr


@pytest.mark.parametrize(("answer", "published"), [("n\n", False), ("y\n", True), ("\n", False)])
def test_on_a_terminal_publish_asks_first(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, answer: str, published: bool
) -> None:
    import gtmgen.cli.commands_publish as commands

    state = seed(emulator, SPEC)
    monkeypatch.setattr(commands, "_interactive", lambda: True)
    result = gtmgen(emulator, "publish", str(SPEC), stdin=answer)
    assert "Apply these changes and publish?" in result.stderr
    assert (result.exit_code == 0) is published, result.output
    assert (state.live_version_id == "1") is published
    if not published:
        assert "Nothing was changed." in result.stdout and emulator.count(writes_only=True) == 0


def test_plan_publish_and_rollback_print_the_validation_warnings_as_validate_does(
    emulator: Emulator, tmp_path: Path
) -> None:
    seed(emulator, SPEC)
    spec = edited_spec(SPEC, tmp_path, "G-8XK2M4P7Q1", "G-XXXXXXXXXX")  # a placeholder: a warning, not an error
    validated = runner.invoke(app, ["validate", str(spec)])
    warnings = [line for line in validated.stderr.splitlines() if ": warning: " in line]
    assert validated.exit_code == 0 and warnings
    for args in (["plan"], ["publish", "--yes"], ["rollback", "--yes"]):
        extra = ["1"] if args[0] == "rollback" else []
        result = gtmgen(emulator, args[0], str(spec), *args[1:], *extra)
        assert result.exit_code == 0, result.output
        assert result.stderr.splitlines()[: len(warnings)] == warnings, args


def test_test_and_simulate_print_the_target_specs_validation_warnings_once(tmp_path: Path) -> None:
    spec = edited_spec(SPEC, tmp_path, "G-8XK2M4P7Q1", "G-XXXXXXXXXX")
    scenarios = (EXAMPLES / "foundation-repair.tracking.yaml").read_text(encoding="utf-8")
    assert "target: foundation-repair.yaml" in scenarios
    (tmp_path / "a.tracking.yaml").write_text(scenarios.replace("foundation-repair.yaml", "site.yaml"), "utf-8")
    (tmp_path / "b.tracking.yaml").write_text(scenarios.replace("foundation-repair.yaml", "./site.yaml"), "utf-8")
    validated = runner.invoke(app, ["validate", str(spec)])
    warnings = [line for line in validated.stderr.splitlines() if ": warning: " in line]
    assert validated.exit_code == 0 and warnings
    tested = runner.invoke(app, ["test", str(tmp_path)])
    assert tested.exit_code == 0, tested.output
    assert tested.stderr.splitlines() == warnings  # two scenario files, one target: printed once
    simulated = runner.invoke(app, ["simulate", str(spec), "--page", "https://solidgroundfoundation.com/"])
    assert simulated.exit_code == 0, simulated.output
    assert simulated.stderr.splitlines() == warnings


def test_a_workspace_that_matches_the_spec_but_not_live_is_pending_and_publish_says_so(emulator: Emulator) -> None:
    """After `--no-live`, a workspace made from that version matches the spec; live does not."""
    state = seed(emulator, SPEC)
    assert gtmgen(emulator, "publish", str(SPEC), "--yes", "--no-live").exit_code == 0
    emulator.api.create_workspace(state.path, {"name": "gtmgen"})  # starts from the unpublished version 1
    plan = gtmgen(emulator, "plan", str(SPEC), "--detailed-exitcode")
    assert plan.exit_code == ExitCode.CHANGES_PENDING, plan.output
    assert "0 to create, 0 to update, 0 to delete." in plan.stdout and "gtmgen: error" not in plan.stderr
    assert "the workspace already matches the spec, but the live version does not" in plan.stderr
    dry_run = gtmgen(emulator, "publish", str(SPEC), "--dry-run")
    assert dry_run.exit_code == 0 and dry_run.stdout == plan.stdout and dry_run.stderr == plan.stderr
    data = json.loads(gtmgen(emulator, "plan", str(SPEC), "--format", "json").stdout)
    assert data["pending_release"] == "not-live" and data["summary"]["create"] == 0
    result = gtmgen(emulator, "publish", str(SPEC), "--yes")
    assert result.exit_code == 0, result.output
    assert (
        "The workspace already matches the spec, but the live version does not: "
        "a new version will be created and published." in result.stdout
    )
    assert "Published version 2" in result.stdout and state.live_version_id == "2"
    assert gtmgen(emulator, "plan", str(SPEC), "--detailed-exitcode").exit_code == 0
