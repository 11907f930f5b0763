"""The plan: what a publish would change in the workspace, as a value.

Built on `gtmgen.changes.diff_containers` (entities matched by kind and name). An entity is
gtmgen's only when its notes start with the ownership marker: entities gtmgen does not own
are listed as left alone and never updated or deleted, and a spec entity whose name is taken
by one of them is a conflict, reported and never overwritten. Deletes are only for owned
entities the spec no longer has, and not while an entity gtmgen leaves alone still uses them.
Built-in variables are only ever enabled, never disabled.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace

from gtmgen.changes import ChangeSet, Entity, EntityChange, diff_containers, entities_by_kind, entity_fields
from gtmgen.container import Container, EntityKind, Folder, Tag, Trigger, Variable, is_owned, variable_references
from gtmgen.publish.read import Snapshot

NOT_OWNED = "not managed by gtmgen: left alone"
NAME_TAKEN = (
    "the name is taken by a {kind} gtmgen does not own: rename one of them, or make 'managed-by: gtmgen' "
    "the first line of its notes to hand it over"
)
TEMPLATE_UNKNOWN = (
    "custom templates carry no notes, so gtmgen cannot tell whose it is: delete it in GTM to let gtmgen recreate it"
)


@dataclass(frozen=True, slots=True)
class Plan:
    """The current state read, the desired container, and the changes between them."""

    snapshot: Snapshot
    desired: Container
    changes: ChangeSet

    @property
    def has_writes(self) -> bool:
        return any(c.action in ("create", "update", "delete") for c in self.changes.changes)

    @property
    def conflicts(self) -> tuple[EntityChange, ...]:
        return tuple(c for c in self.changes.changes if c.action == "conflict")

    def rows(self, *actions: str) -> Iterator[EntityChange]:
        return (c for c in self.changes.changes if c.action in actions)

    def desired_entity(self, kind: EntityKind, name: str) -> Entity | None:
        return entities_by_kind(self.desired)[kind].get(name)


def plan_changes(snapshot: Snapshot, desired: Container) -> Plan:
    """The plan that turns what was read into the desired container, touching only gtmgen's entities."""
    current = entities_by_kind(snapshot.container)
    rows = [_owned_view(change, current) for change in diff_containers(snapshot.container, desired).changes]
    rows = _protect_used(snapshot.container, rows)
    return Plan(snapshot, desired, ChangeSet(tuple(rows)))


def _owned_view(change: EntityChange, current: Mapping[EntityKind, Mapping[str, Entity]]) -> EntityChange:
    if change.action in ("create", "keep"):
        return change
    if change.kind == "builtInVariable":  # something else may use it: never disabled
        return replace(change, action="leave", note="not used by the spec; gtmgen never disables built-ins")
    if change.kind == "customTemplate":
        return replace(change, action="conflict", note=TEMPLATE_UNKNOWN) if change.action == "update" else _left(change)
    entity = current[change.kind][change.name]
    if is_owned(_notes(entity)):
        return change
    if change.action == "delete":
        return _left(change)
    return replace(change, action="conflict", note=NAME_TAKEN.format(kind=change.kind))


def _left(change: EntityChange) -> EntityChange:
    return replace(change, action="leave", note=NOT_OWNED, fields=())


def _notes(entity: Entity) -> str:
    return entity.notes if isinstance(entity, (Tag, Trigger, Variable, Folder)) else ""


# ---------------------------------------------------------------- entities still in use


def _protect_used(container: Container, rows: list[EntityChange]) -> list[EntityChange]:
    """Turn a delete into `leave` while an entity gtmgen leaves alone still uses it."""
    staying = {(c.kind, c.name) for c in rows if c.action in ("leave", "conflict")}
    by_kind = entities_by_kind(container)
    used_by: dict[tuple[str, str], str] = {}
    for kind, name in sorted(staying):
        entity = by_kind.get(kind, {}).get(name) if kind != "builtInVariable" else None
        for used in uses(container, entity) if entity is not None else ():
            used_by.setdefault(used, f"{kind} {name!r}")
    return [
        replace(c, action="leave", note=f"still used by {used_by[(c.kind, c.name)]}, which gtmgen does not own")
        if c.action == "delete" and (c.kind, c.name) in used_by
        else c
        for c in rows
    ]


def uses(container: Container, entity: Entity) -> set[tuple[str, str]]:
    """(kind, name) of every folder, trigger, variable and tag an entity refers to."""
    found: set[tuple[str, str]] = set()
    folder_id = getattr(entity, "parent_folder_id", None)
    folder = container.folder_by_id(folder_id) if folder_id else None
    if folder is not None:
        found.add(("folder", folder.name))
    if isinstance(entity, Tag):
        found |= {
            ("trigger", container.trigger_name(i)) for i in entity.firing_trigger_ids + entity.blocking_trigger_ids
        }
        found |= {("tag", n) for n in (entity.setup_tag, entity.teardown_tag) if n}
    if isinstance(entity, Trigger):
        for p in entity.parameter:
            found |= {("trigger", container.trigger_name(i.value or "")) for i in p.list or () if p.key == "triggerIds"}
    for value in entity_fields(container, entity).values():
        found |= {("variable", name) for name in variable_references(value)}
    return found
