"""`gtmgen plan` / `gtmgen publish` through the CLI and the real client library, against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from gtmgen.changes import diff_containers
from gtmgen.container import OWNERSHIP_MARKER
from gtmgen.errors import ExitCode
from gtmgen.testing.emulator import Emulator
from gtmgen.testing.tagmanager import FakeTagManager
from gtmgen.testing.tagmanager_state import ContainerState
from tests.conftest import EXAMPLES, example_specs

# The publisher fixtures (pytest finds them by their names: clean_environment, clock, emulator).
from tests.publish_helpers import clean_environment_fixture as clean_environment_fixture
from tests.publish_helpers import clock_fixture as clock_fixture
from tests.publish_helpers import compiled, edited_spec, gtmgen, live_container, names, repeated_names, seed, target_ids
from tests.publish_helpers import emulator_fixture as emulator_fixture

SPEC = EXAMPLES / "foundation-repair.yaml"


def _publish(emulator: Emulator, spec: Path = SPEC, *flags: str) -> None:
    result = gtmgen(emulator, "publish", str(spec), "--yes", *flags)
    assert result.exit_code == 0, result.output


# ---------------------------------------------------------------- first publish, second publish, one edit


@pytest.mark.parametrize("spec", example_specs(), ids=lambda p: p.stem)
def test_first_publish_creates_exactly_the_compiled_container(emulator: Emulator, spec: Path) -> None:
    state = seed(emulator, spec)
    result = gtmgen(emulator, "publish", str(spec), "--yes", *target_ids(spec)[2])
    assert result.exit_code == 0, result.output
    assert "Published version 1" in result.stdout
    live = live_container(emulator, state)
    want = compiled(spec)
    assert not diff_containers(want, live).has_changes
    for kind in ("tags", "triggers", "variables", "folders", "custom_templates"):
        assert names(getattr(live, kind)) == names(getattr(want, kind)), kind
    assert live.enabled_built_in_names() == want.enabled_built_in_names()
    assert repeated_names(state.versions[state.latest_version_id() or ""]) == []


@pytest.mark.parametrize("spec", example_specs(), ids=lambda p: p.stem)
def test_second_publish_of_an_unchanged_spec_writes_nothing(emulator: Emulator, spec: Path) -> None:
    seed(emulator, spec)
    flags = target_ids(spec)[2]
    _publish(emulator, spec, *flags)
    writes, total = emulator.count(writes_only=True), emulator.count()
    result = gtmgen(emulator, "publish", str(spec), "--yes", *flags)
    assert result.exit_code == 0, result.output
    assert "Nothing to publish" in result.stdout
    assert emulator.count(writes_only=True) == writes
    assert emulator.count() - total == 2  # list workspaces, read the live version
    assert "API requests: 2 (0 writes)" in result.stderr


def test_editing_one_conversion_updates_only_the_affected_entities(emulator: Emulator, tmp_path: Path) -> None:
    state = seed(emulator, SPEC)
    _publish(emulator)
    before = {
        (k, e["name"]): e["fingerprint"] for k, v in state.versions["1"].content.entities.items() for e in v.values()
    }
    edited = edited_spec(SPEC, tmp_path, "label: Pz8eCKm4qpYQ5d6e7f8", "label: NEWLABEL123")
    want = diff_containers(compiled(SPEC), compiled(edited))
    changed = {(c.kind, c.name) for c in want.changes if c.action != "keep"}
    assert changed and all(c.action == "update" for c in want.changes if c.action != "keep")

    plan = gtmgen(emulator, "plan", str(edited))
    assert plan.exit_code == 0, plan.output
    assert "NEWLABEL123" in plan.stdout
    assert f"0 to create, {len(changed)} to update, 0 to delete." in plan.stdout

    _publish(emulator, edited)
    bulk = [r for r in emulator.log if r.method_id.endswith("bulk_update")][-1]
    sent = {(kind, c[kind]["name"]) for c in bulk.body["changes"] for kind in c if kind != "changeStatus"}
    assert sent == changed
    after = {
        (k, e["name"]): e["fingerprint"] for k, v in state.versions["2"].content.entities.items() for e in v.values()
    }
    moved = {key for key in after if before.get(key) != after[key]}
    assert moved == changed
    assert not diff_containers(compiled(edited), live_container(emulator, state)).has_changes


# ---------------------------------------------------------------- entities gtmgen does not own


def _hand_made(api: FakeTagManager, state: ContainerState, *, clash: str | None = None) -> None:
    """A human's trigger and tag (and optionally a variable whose name clashes), published as version 1."""
    workspace = next(iter(state.workspaces.values()))
    parent = f"{state.path}/workspaces/{workspace.workspace_id}"
    trigger = api.create_entity(parent, "triggers", {"name": "Hand - outbound", "type": "linkClick"})
    html = [{"type": "template", "key": "html", "value": "<script>/* mine */</script>"}]
    api.create_entity(
        parent,
        "tags",
        {
            "name": "Hand - chat widget",
            "type": "html",
            "parameter": html,
            "firingTriggerId": [trigger["triggerId"]],
            "notes": "made by Ana",
        },
    )
    if clash:
        api.create_entity(
            parent,
            "variables",
            {
                "name": clash,
                "type": "c",
                "notes": "not gtmgen's",
                "parameter": [{"type": "template", "key": "value", "value": "x"}],
            },
        )
    created = api.create_version(parent, {"name": "hand made"})
    api.publish(created["containerVersion"]["path"], None)


def _content(entity: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in entity.items() if k not in ("workspaceId", "path")}


def test_hand_made_entities_survive_every_publish_untouched(emulator: Emulator, tmp_path: Path) -> None:
    state = seed(emulator, SPEC)
    _hand_made(emulator.api, state)
    original = {e["name"]: e for k in ("tag", "trigger") for e in state.versions["1"].content.entities[k].values()}

    plan = gtmgen(emulator, "plan", str(SPEC))
    assert "= tag 'Hand - chat widget'  (not managed by gtmgen: left alone)" in plan.stdout
    assert "2 left alone" in plan.stdout
    _publish(emulator)
    _publish(emulator, edited_spec(SPEC, tmp_path, "label: Pz8eCKm4qpYQ5d6e7f8", "label: OTHER"))
    latest = state.versions[state.latest_version_id() or ""].content.entities
    for name, entity in original.items():
        kind = "tag" if "tagId" in entity else "trigger"
        now = next(e for e in latest[kind].values() if e["name"] == name)
        assert _content(now) == _content(entity), name


def test_a_name_taken_by_an_unowned_entity_is_a_conflict_and_nothing_is_written(emulator: Emulator) -> None:
    state = seed(emulator, SPEC)
    _hand_made(emulator.api, state, clash="Const - GA4 measurement ID")
    writes = emulator.count(writes_only=True)
    plan = gtmgen(emulator, "plan", str(SPEC), "--detailed-exitcode")
    assert plan.exit_code == ExitCode.CHANGES_PENDING
    assert (
        "! variable 'Const - GA4 measurement ID'  (the name is taken by a variable gtmgen does not own" in plan.stdout
    )
    result = gtmgen(emulator, "publish", str(SPEC), "--yes")
    assert result.exit_code == ExitCode.API_FAILURE
    assert "1 conflict(s) to settle first: variable 'Const - GA4 measurement ID'" in result.stderr
    assert emulator.count(writes_only=True) == writes
    assert state.live_version_id == "1"


def test_owned_entities_the_spec_no_longer_has_are_deleted_unless_still_used(
    emulator: Emulator, tmp_path: Path
) -> None:
    state = seed(emulator, SPEC)
    _publish(emulator)
    text = SPEC.read_text(encoding="utf-8")
    start = text.index("  - name: Phone call")
    trimmed = tmp_path / "site.yaml"
    trimmed.write_text(text[:start] + text[text.index("signals:") :], encoding="utf-8")
    plan = gtmgen(emulator, "plan", str(trimmed))
    assert "- trigger 'LC - tel links'" in plan.stdout
    assert "- tag 'GAds - Conv - Phone call'" in plan.stdout
    assert "= builtInVariable 'Click URL'  (not used by the spec; gtmgen never disables built-ins)" in plan.stdout
    assert "0 to create, 0 to update, 4 to delete, 1 left alone." in plan.stdout
    _publish(emulator, trimmed)
    rest = diff_containers(compiled(trimmed), live_container(emulator, state)).changes
    assert [(c.action, c.kind, c.name) for c in rest if c.action != "keep"] == [
        ("create", "builtInVariable", "Click URL")  # still enabled: gtmgen never disables built-ins
    ]
    assert OWNERSHIP_MARKER in live_container(emulator, state).tags[0].notes
