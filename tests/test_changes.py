"""Semantic container diffs: ids and order do not matter, names and meaning do."""

from __future__ import annotations

import dataclasses
import json

import pytest

from gtmgen.changes import diff_containers, render_json, render_text
from gtmgen.container import Condition, Container, Folder, Parameter, Tag, Trigger, Variable
from gtmgen.export import load_export
from tests.conftest import reference_exports


def _container(tag_ids: tuple[str, str] = ("10", "11"), label: str = "abc") -> Container:
    trigger = Trigger(
        tag_ids[1],
        "CE - lead",
        "CUSTOM_EVENT",
        custom_event_filter=(Condition.of("EQUALS", "{{_event}}", "lead"),),
    )
    tag = Tag(
        tag_ids[0],
        "GAds - Conv - Lead",
        "awct",
        (Parameter.template("conversionId", "123"), Parameter.template("conversionLabel", label)),
        firing_trigger_ids=(trigger.trigger_id,),
        parent_folder_id="1",
    )
    return Container(
        "1",
        "2",
        "GTM-ABC1234",
        "site",
        tags=(tag,),
        triggers=(trigger,),
        variables=(Variable("20", "Const - x", "c", (Parameter.template("value", "x"),)),),
        folders=(Folder("1", "10 Google"),),
    )


def test_identical_containers_have_no_changes() -> None:
    changes = diff_containers(_container(), _container())
    assert not changes.has_changes
    assert render_text(changes) == "0 to create, 0 to update, 0 to delete."


def test_ids_and_parameter_order_are_ignored() -> None:
    a = _container(("10", "11"))
    b = _container(("98", "99"))
    tag = b.tags[0]
    b = dataclasses.replace(b, tags=(dataclasses.replace(tag, parameter=tuple(reversed(tag.parameter))),))
    assert not diff_containers(a, b).has_changes


def test_changed_parameter_is_named_with_before_and_after() -> None:
    changes = diff_containers(_container(label="abc"), _container(label="xyz"))
    updated = [c for c in changes.changes if c.action == "update"]
    assert [(c.kind, c.name) for c in updated] == [("tag", "GAds - Conv - Lead")]
    assert [(f.path, f.before, f.after) for f in updated[0].fields] == [("parameter.conversionLabel", "abc", "xyz")]
    text = render_text(changes)
    assert "~ tag 'GAds - Conv - Lead'" in text
    assert 'parameter.conversionLabel: "abc" -> "xyz"' in text
    assert text.endswith("0 to create, 1 to update, 0 to delete.")


def test_created_and_deleted_entities_in_dependency_order() -> None:
    old = _container()
    new = dataclasses.replace(old, variables=(), folders=(*old.folders, Folder("2", "20 Meta")))
    changes = diff_containers(old, new)
    rows = [(c.action, c.kind, c.name) for c in changes.changes if c.action != "keep"]
    assert rows == [("create", "folder", "20 Meta"), ("delete", "variable", "Const - x")]
    data = json.loads(render_json(changes))
    assert data["summary"] == {"create": 1, "update": 0, "delete": 1}


def test_retargeting_a_tag_to_another_trigger_is_an_update_of_firing() -> None:
    old = _container()
    tag = old.tags[0]
    new = dataclasses.replace(old, tags=(dataclasses.replace(tag, firing_trigger_ids=("2147479553",)),))
    (change,) = [c for c in diff_containers(old, new).changes if c.action == "update"]
    assert [(f.path, f.before, f.after) for f in change.fields] == [("firing", "CE - lead", "All Pages")]


@pytest.mark.parametrize("path", reference_exports()[:6], ids=lambda p: p.name[:40])
def test_reference_export_diffs_empty_against_itself(path: object) -> None:
    container = load_export(path)  # type: ignore[arg-type]
    assert not diff_containers(container, container).has_changes
    everything = diff_containers(dataclasses.replace(container, tags=(), triggers=(), variables=()), container)
    assert everything.count("create") == len(container.tags) + len(container.triggers) + len(container.variables)
