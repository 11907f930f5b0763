"""The plan and the bulk_update body, on hand-built containers; ownership as a property."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gtmgen.container import (
    ALL_PAGES_TRIGGER_ID,
    Condition,
    Container,
    Folder,
    Parameter,
    Tag,
    Trigger,
    Variable,
    ownership_notes,
)
from gtmgen.publish.apply import bulk_changes, drifted
from gtmgen.publish.plan import plan_changes
from gtmgen.publish.protocol import ContainerRef, WorkspaceRef
from gtmgen.publish.read import EntityRecord, Snapshot

OWNED = ownership_notes("conversions[0]")


def _container(*entities: object) -> Container:
    return Container(
        "1",
        "2",
        "GTM-X",
        "c",
        tags=tuple(e for e in entities if isinstance(e, Tag)),
        triggers=tuple(e for e in entities if isinstance(e, Trigger)),
        variables=tuple(e for e in entities if isinstance(e, Variable)),
        folders=tuple(e for e in entities if isinstance(e, Folder)),
    )


def _snapshot(container: Container) -> Snapshot:
    records = {}
    for kind, items, id_of in (
        ("tag", container.tags, lambda e: e.tag_id),
        ("trigger", container.triggers, lambda e: e.trigger_id),
        ("variable", container.variables, lambda e: e.variable_id),
        ("folder", container.folders, lambda e: e.folder_id),
    ):
        for item in items:
            records[(kind, item.name)] = EntityRecord(
                kind, id_of(item), item.name, f"fp{id_of(item)}", f"p/{id_of(item)}"
            )
    return Snapshot(ContainerRef("1", "2"), "w", container, records, WorkspaceRef("1", "2", "3"))  # type: ignore[arg-type]


def _event_trigger(trigger_id: str, name: str, event: str, notes: str = OWNED, folder: str | None = None) -> Trigger:
    condition = Condition.of("EQUALS", "{{_event}}", event)
    return Trigger(
        trigger_id, name, "CUSTOM_EVENT", custom_event_filter=(condition,), notes=notes, parent_folder_id=folder
    )


def _html_tag(tag_id: str, name: str, trigger_id: str, html: str = "<b></b>", notes: str = OWNED) -> Tag:
    return Tag(tag_id, name, "html", (Parameter.template("html", html),), (trigger_id,), notes=notes)


def test_bulk_body_creates_dependencies_first_with_new_ids_and_deletes_in_reverse() -> None:
    current = _container(
        _event_trigger("50", "old trigger", "old"),
        _html_tag("51", "old tag", "50"),
        _html_tag("52", "kept tag", ALL_PAGES_TRIGGER_ID, html="<i></i>"),
    )
    desired = _container(
        Folder("7", "F", OWNED),
        _event_trigger("8", "T", "lead", folder="7"),
        _html_tag("9", "G", "8"),
        _html_tag("10", "kept tag", ALL_PAGES_TRIGGER_ID, html="<u></u>"),
    )
    body = bulk_changes(plan_changes(_snapshot(current), desired))
    rows = [(c["changeStatus"], next(k for k in c if k != "changeStatus")) for c in body]
    assert rows == [
        ("added", "folder"),
        ("added", "trigger"),
        ("added", "tag"),
        ("updated", "tag"),
        ("deleted", "tag"),
        ("deleted", "trigger"),
    ]
    folder, trigger, tag, kept = (body[i][k] for i, k in enumerate(("folder", "trigger", "tag", "tag")))
    assert (folder["folderId"], trigger["triggerId"], tag["tagId"]) == ("new_1", "new_2", "new_3")
    assert trigger["parentFolderId"] == "new_1" and tag["firingTriggerId"] == ["new_2"]
    assert trigger["type"] == "customEvent" and trigger["customEventFilter"][0]["type"] == "equals"
    assert (kept["tagId"], kept["fingerprint"], kept["firingTriggerId"]) == ("52", "fp52", [ALL_PAGES_TRIGGER_ID])
    assert body[4]["tag"]["tagId"] == "51" and body[5]["trigger"]["triggerId"] == "50"


def test_an_owned_trigger_still_used_by_a_hand_made_tag_is_not_deleted() -> None:
    current = _container(_event_trigger("1", "T", "lead"), _html_tag("2", "Mine", "1", notes="by hand"))
    plan = plan_changes(_snapshot(current), _container())
    rows = {(c.action, c.kind, c.name, c.note) for c in plan.changes.changes}
    assert ("leave", "trigger", "T", "still used by tag 'Mine', which gtmgen does not own") in rows
    assert not plan.has_writes


def test_drift_is_an_entity_neither_as_read_nor_as_wanted() -> None:
    current = _container(_html_tag("1", "G", ALL_PAGES_TRIGGER_ID, html="<a></a>"))
    desired = _container(_html_tag("9", "G", ALL_PAGES_TRIGGER_ID, html="<b></b>"))
    plan = plan_changes(_snapshot(current), desired)
    untouched = _snapshot(current)
    assert drifted(plan, untouched) == []
    ours = _snapshot(_container(_html_tag("1", "G", ALL_PAGES_TRIGGER_ID, html="<b></b>")))
    assert drifted(plan, ours) == []
    theirs_container = _container(_html_tag("1", "G", ALL_PAGES_TRIGGER_ID, html="<c></c>"))
    theirs = Snapshot(
        untouched.target,
        "w",
        theirs_container,
        {("tag", "G"): EntityRecord("tag", "1", "G", "fp-new", "p/1")},
        untouched.workspace,
    )
    assert drifted(plan, theirs) == ["tag 'G'"]


NAMES = st.sampled_from(["a", "b", "c", "d", "e"])
VALUES = st.sampled_from(["1", "2"])


@st.composite
def _variables(draw: st.DrawFn, *, owned: st.SearchStrategy[bool]) -> tuple[Variable, ...]:
    names = draw(st.lists(NAMES, unique=True, max_size=5))
    return tuple(
        Variable(str(i + 1), n, "c", (Parameter.template("value", draw(VALUES)),), OWNED if draw(owned) else "hand")
        for i, n in enumerate(names)
    )


@settings(max_examples=200, deadline=None)
@given(current=_variables(owned=st.booleans()), desired=_variables(owned=st.just(True)))
def test_the_plan_never_updates_or_deletes_what_gtmgen_does_not_own(
    current: tuple[Variable, ...], desired: tuple[Variable, ...]
) -> None:
    plan = plan_changes(_snapshot(_container(*current)), _container(*desired))
    mine = {v.name for v in current if v.notes == OWNED}
    theirs = {v.name for v in current} - mine
    wanted = {v.name for v in desired}
    for change in plan.changes.changes:
        if change.action in ("update", "delete"):
            assert change.name in mine
        if change.name in theirs:
            assert change.action in ("leave", "conflict", "keep")
    assert {c.name for c in plan.changes.changes if c.action == "delete"} == mine - wanted
    assert {c.name for c in plan.changes.changes if c.action == "create"} == wanted - mine - theirs
    assert {c.name for c in plan.changes.changes if c.action == "leave"} == theirs - wanted
    body_names = {c["variable"]["name"] for c in bulk_changes(plan)}
    assert body_names.isdisjoint(theirs)
