"""Publishing under faults: quota refusals, server errors, dropped connections, edits by someone else."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtmgen.changes import diff_containers
from gtmgen.errors import ExitCode
from gtmgen.testing.emulator import Emulator, Fault
from gtmgen.testing.tagmanager import FakeTagManager
from gtmgen.testing.tagmanager_state import ContainerState
from tests.conftest import EXAMPLES
from tests.publish_helpers import FakeClock, compiled, edited_spec, gtmgen, live_container, repeated_names, seed

# The publisher fixtures (pytest finds them by their names: clean_environment, clock).
from tests.publish_helpers import clean_environment_fixture as clean_environment_fixture
from tests.publish_helpers import clock_fixture as clock_fixture

SPEC = EXAMPLES / "foundation-repair.yaml"


def _names_are_unique(state: ContainerState) -> None:
    for version in state.versions.values():
        assert repeated_names(version) == []


@pytest.mark.parametrize("seed_value", [1, 2, 3])
def test_20_percent_429_and_500_and_a_dropped_create_end_in_the_spec_without_duplicates(
    clock: FakeClock, seed_value: int
) -> None:
    with Emulator(page_size=5, fault_rate=0.2, fault_statuses=(429, 500), seed=seed_value) as emulator:
        state = seed(emulator, SPEC)
        emulator.faults.append(Fault(method="bulk_update", status=0, after=True))
        result = gtmgen(emulator, "publish", str(SPEC), "--yes")
        assert result.exit_code == 0, result.output
        assert any(r.status == 0 for r in emulator.log)  # the connection really was dropped
        assert any(r.status in (429, 500) for r in emulator.log)
        assert "reading the workspace again" in result.stderr
        assert not diff_containers(compiled(SPEC), live_container(emulator, state)).has_changes
        _names_are_unique(state)
        assert clock.slept  # waited between retries, on the (fast) clock


def test_a_dropped_connection_after_a_per_entity_create_is_settled_by_reading_not_resending(clock: FakeClock) -> None:
    with Emulator(page_size=5) as emulator:
        state = seed(emulator, SPEC)
        emulator.faults.append(Fault(method="bulk_update", status=400, message="payload too large", times=99))
        emulator.faults.append(Fault(method="tags.create", status=0, after=True, skip=3))
        result = gtmgen(emulator, "publish", str(SPEC), "--yes")
        assert result.exit_code == 0, result.output
        assert "applying entity by entity" in result.stderr
        tag_creates = [r for r in emulator.log if r.method_id.endswith("tags.create")]
        assert len(tag_creates) == len(compiled(SPEC).tags)  # the dropped one was not sent again
        assert not diff_containers(compiled(SPEC), live_container(emulator, state)).has_changes
        _names_are_unique(state)


def _bump(kind: str, name: str, notes: str) -> object:
    def edit(api: FakeTagManager) -> None:
        for state in api.containers.values():
            for workspace in state.workspaces.values():
                for entity in workspace.content.entities[kind].values():
                    if entity["name"] == name:
                        entity["notes"] = notes
                        entity["fingerprint"] = api.fingerprint()

    return edit


def test_an_entity_changed_behind_gtmgens_back_before_the_bulk_write_is_reported_not_overwritten(
    clock: FakeClock, tmp_path: Path
) -> None:
    with Emulator(page_size=5) as emulator:
        state = seed(emulator, SPEC)
        assert gtmgen(emulator, "publish", str(SPEC), "--yes").exit_code == 0
        edited = edited_spec(SPEC, tmp_path, "label: Pz8eCKm4qpYQ5d6e7f8", "label: NEWLABEL123")
        emulator.on("bulk_update", _bump("tag", "GAds - Conv - Phone call", "edited by Ana"))  # type: ignore[arg-type]
        result = gtmgen(emulator, "publish", str(edited), "--yes")
        assert result.exit_code == ExitCode.API_FAILURE, result.output
        assert "changed by someone else" in result.stderr and "tag 'GAds - Conv - Phone call'" in result.stderr
        workspace = next(w for w in state.workspaces.values() if w.name == "gtmgen")
        tag = next(t for t in workspace.content.entities["tag"].values() if t["name"] == "GAds - Conv - Phone call")
        assert tag["notes"] == "edited by Ana"
        assert state.live_version_id == "1"


def test_an_edit_between_plan_and_confirmation_is_caught_before_any_write(clock: FakeClock, tmp_path: Path) -> None:
    with Emulator(page_size=5) as emulator:
        state = seed(emulator, SPEC)
        assert gtmgen(emulator, "publish", str(SPEC), "--yes", "--no-live").exit_code == 0
        emulator.api.create_workspace(state.path, {"name": "gtmgen"})
        edited = edited_spec(SPEC, tmp_path, "label: Pz8eCKm4qpYQ5d6e7f8", "label: NEWLABEL123")
        emulator.on("getStatus", _bump("trigger", "LC - tel links", "moved by Ana"))  # type: ignore[arg-type]
        writes = emulator.count(writes_only=True)
        result = gtmgen(emulator, "publish", str(edited), "--yes")
        assert result.exit_code == ExitCode.API_FAILURE, result.output
        assert "trigger 'LC - tel links'" in result.stderr
        assert emulator.count(writes_only=True) == writes


def test_compiler_error_in_create_version_stops_before_publishing(clock: FakeClock) -> None:
    with Emulator() as emulator:
        state = seed(emulator, SPEC)
        emulator.api.compiler_error = True
        result = gtmgen(emulator, "publish", str(SPEC), "--yes")
        assert result.exit_code == ExitCode.API_FAILURE
        assert "could not compile" in result.stderr
        assert state.live_version_id is None and not state.versions


def test_no_free_workspace_is_explained(clock: FakeClock) -> None:
    with Emulator() as emulator:
        state = seed(emulator, SPEC)
        for name in ("Ana", "Ben"):
            emulator.api.create_workspace(state.path, {"name": name})
        result = gtmgen(emulator, "publish", str(SPEC), "--yes")
        assert result.exit_code == ExitCode.API_FAILURE
        assert "no free workspace" in result.stderr and "--workspace" in result.stderr


def test_an_unknown_container_explains_the_gtm_user_step(clock: FakeClock) -> None:
    with Emulator() as emulator:
        result = gtmgen(emulator, "plan", str(SPEC))
        assert result.exit_code == ExitCode.API_FAILURE
        assert "User Management" in result.stderr
        assert "Traceback" not in result.output


def test_the_api_rate_limit_is_met_by_waiting_as_told() -> None:
    """Real clock: the emulator allows 4 requests a second and answers 429 with Retry-After."""
    with Emulator(rate_limit=(4, 1.0)) as emulator:
        state = seed(emulator, SPEC)
        emulator.api.create_workspace(state.path, {"name": "gtmgen"})
        result = gtmgen(emulator, "plan", str(SPEC), "--qps", "0")
        assert result.exit_code == 0, result.output
        assert any(r.status == 429 for r in emulator.log)
        assert "retried" in result.stderr


@pytest.mark.parametrize(
    ("method", "fault", "sent"),
    [
        ("workspaces.create", Fault(method="workspaces.create", status=0, after=True), 1),
        ("workspaces.create", Fault(method="workspaces.create", status=500), 2),
        ("create_version", Fault(method="create_version", status=0, after=True), 1),
        ("create_version", Fault(method="create_version", status=503), 2),
    ],
)
def test_unknown_outcomes_of_workspace_and_version_creation_are_looked_up_not_repeated(
    clock: FakeClock, method: str, fault: Fault, sent: int
) -> None:
    with Emulator(page_size=5) as emulator:
        state = seed(emulator, SPEC)
        emulator.faults.append(fault)
        result = gtmgen(emulator, "publish", str(SPEC), "--yes")
        assert result.exit_code == 0, result.output
        assert emulator.count(method=method) == sent
        assert list(state.versions) == ["1"] and state.live_version_id == "1"
        assert [w.name for w in state.workspaces.values()] == ["Default Workspace"]
        assert not diff_containers(compiled(SPEC), live_container(emulator, state)).has_changes
