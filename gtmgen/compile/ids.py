"""Assembling the container: merge parts, drop what nothing uses, assign ids, resolve names.

Ids are digit strings from one space shared by all kinds, derived from each entity's kind and
name (a hash), not from its position: adding a conversion adds entities with new ids and
leaves every other id, reference and line of the export as it was, so a one-line spec change
is a small diff. The rare hash collision moves the later name (in sorted order) to the next
free number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TypeVar

from gtmgen.compile.parts import Part
from gtmgen.container import (
    BUILT_IN_TRIGGER_NAMES_BY_ID,
    BUILT_IN_VARIABLE_NAMES_BY_TYPE,
    BuiltInVariable,
    Container,
    Folder,
    Tag,
    Trigger,
    Variable,
    variable_references,
)
from gtmgen.entity_texts import tag_texts, trigger_texts, variable_texts
from gtmgen.errors import CompileError
from gtmgen.spec import SiteSpec

ID_FLOOR = 10_000
ID_SPACE = 90_000  # ids are 10000..99999
KIND_ORDER = ("folder", "variable", "trigger", "tag")

Entity = TypeVar("Entity", Tag, Trigger, Variable)


def _merge(kind: str, entities: Iterable[Entity]) -> list[Entity]:
    """One entity per name; two stages may both contribute the same one (e.g. a shared trigger)."""
    by_name: dict[str, Entity] = {}
    for entity in entities:
        seen = by_name.setdefault(entity.name, entity)
        if replace(seen, notes="") != replace(entity, notes=""):
            message = f"two different {kind}s would both be named {entity.name!r}; rename one in the spec"
            raise CompileError(f"{kind} names", message)
    return list(by_name.values())


def _used_variables(tags: list[Tag], triggers: list[Trigger], variables: list[Variable]) -> set[str]:
    pending = [r for t in tags for text in tag_texts(t) for r in variable_references(text)]
    pending += [r for t in triggers for text in trigger_texts(t) for r in variable_references(text)]
    by_name = {v.name: v for v in variables}
    used: set[str] = set()
    while pending:
        name = pending.pop()
        if name in used:
            continue
        used.add(name)
        if name in by_name:
            pending += [r for text in variable_texts(by_name[name]) for r in variable_references(text)]
    return used


def _prune(part: Part) -> tuple[list[Tag], list[Trigger], list[Variable], set[str]]:
    tags = _merge("tag", part.tags)
    fired = {i for t in tags for i in t.firing_trigger_ids + t.blocking_trigger_ids}
    triggers = [t for t in _merge("trigger", part.triggers) if t.name in fired]
    variables = _merge("variable", part.variables)
    used = _used_variables(tags, triggers, variables)
    return tags, triggers, [v for v in variables if v.name in used], used


def _slot(kind: str, name: str) -> int:
    digest = hashlib.sha256(f"{kind}\x00{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % ID_SPACE


def assign_ids(keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """An id for each (kind, name): its hash slot, or the next free one."""
    taken: set[int] = set()
    ids: dict[tuple[str, str], str] = {}
    for key in sorted(set(keys), key=lambda k: (KIND_ORDER.index(k[0]), k[1])):
        slot = _slot(*key)
        while slot in taken:
            slot = (slot + 1) % ID_SPACE
        taken.add(slot)
        ids[key] = str(ID_FLOOR + slot)
    return ids


def _built_ins(used: set[str], variables: list[Variable]) -> tuple[BuiltInVariable, ...]:
    own = {v.name for v in variables}
    return tuple(
        BuiltInVariable(type_, name)
        for type_, name in BUILT_IN_VARIABLE_NAMES_BY_TYPE.items()
        if name in used and name not in own
    )


def _by_name(items: Iterable[Entity]) -> list[Entity]:
    return sorted(items, key=lambda e: e.name)


@dataclass(frozen=True, slots=True)
class Resolver:
    """Turns the names stages used as references into the ids `assign_ids` gave out."""

    ids: dict[tuple[str, str], str]

    def folder(self, name: str | None) -> str | None:
        return self.ids[("folder", name)] if name else None

    def triggers(self, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(n if n in BUILT_IN_TRIGGER_NAMES_BY_ID else self.ids[("trigger", n)] for n in names)

    def tag(self, t: Tag) -> Tag:
        return replace(
            t,
            tag_id=self.ids[("tag", t.name)],
            firing_trigger_ids=self.triggers(t.firing_trigger_ids),
            blocking_trigger_ids=self.triggers(t.blocking_trigger_ids),
            parent_folder_id=self.folder(t.parent_folder_id),
        )

    def trigger(self, t: Trigger) -> Trigger:
        return replace(t, trigger_id=self.ids[("trigger", t.name)], parent_folder_id=self.folder(t.parent_folder_id))

    def variable(self, v: Variable) -> Variable:
        return replace(v, variable_id=self.ids[("variable", v.name)], parent_folder_id=self.folder(v.parent_folder_id))


def _folder_names(tags: list[Tag], triggers: list[Trigger], variables: list[Variable]) -> list[str]:
    folders = [t.parent_folder_id for t in tags] + [t.parent_folder_id for t in triggers]
    return sorted({f for f in folders + [v.parent_folder_id for v in variables] if f})


def assemble(spec: SiteSpec, part: Part) -> Container:
    """The finished container: ids assigned, names resolved, built-ins enabled."""
    tags, triggers, variables, used = _prune(part)
    folders = _folder_names(tags, triggers, variables)
    keys = [("folder", n) for n in folders] + [("variable", v.name) for v in variables]
    keys += [("trigger", t.name) for t in triggers] + [("tag", t.name) for t in tags]
    resolve = Resolver(assign_ids(keys))
    return Container(
        account_id=spec.gtm.account_id,
        container_id=spec.gtm.container_id,
        public_id=spec.gtm.public_id,
        name=spec.site.name,
        tags=tuple(resolve.tag(t) for t in _by_name(tags)),
        triggers=tuple(resolve.trigger(t) for t in _by_name(triggers)),
        variables=tuple(resolve.variable(v) for v in _by_name(variables)),
        folders=tuple(Folder(resolve.ids[("folder", n)], n) for n in folders),
        built_in_variables=_built_ins(used, variables),
    )
