"""Semantic differences between two containers, and their one renderer.

Used by `gtmgen diff` and by the publisher's plan, so both read the same. Entities are
matched by kind and name; ids, fingerprints, parameter order and export times are ignored;
references (trigger ids, folder ids) are compared by the name they point to.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from gtmgen.container import (
    Condition,
    Container,
    CustomTemplate,
    EntityKind,
    Folder,
    Parameter,
    Tag,
    Trigger,
    Variable,
)

# `leave`: an entity gtmgen does not own, never touched; `conflict`: a change gtmgen will not
# make (a name taken by an entity it does not own). Both come from the publisher's plan.
Action = Literal["create", "update", "delete", "keep", "leave", "conflict"]
CHANGING_ACTIONS: frozenset[Action] = frozenset({"create", "update", "delete", "conflict"})
Entity = Tag | Trigger | Variable | Folder | CustomTemplate

# Creation order: dependencies first. Deletion runs in reverse.
KIND_ORDER: tuple[EntityKind, ...] = ("folder", "customTemplate", "builtInVariable", "variable", "trigger", "tag")
SYMBOL_BY_ACTION: dict[Action, str] = {
    "create": "+",
    "update": "~",
    "delete": "-",
    "keep": "=",
    "leave": "=",
    "conflict": "!",
}


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One changed field, by its flattened path (e.g. `parameter.eventName`)."""

    path: str
    before: str | None
    after: str | None


@dataclass(frozen=True, slots=True)
class EntityChange:
    action: Action
    kind: EntityKind
    name: str
    fields: tuple[FieldChange, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class ChangeSet:
    changes: tuple[EntityChange, ...]

    def count(self, action: Action) -> int:
        return sum(1 for c in self.changes if c.action == action)

    @property
    def has_changes(self) -> bool:
        return any(c.action in CHANGING_ACTIONS for c in self.changes)


# ---------------------------------------------------------------- flattening


def _flatten_parameter(p: Parameter, prefix: str, out: dict[str, str]) -> None:
    if p.list is not None:
        out[f"{prefix}#"] = str(len(p.list))
        for i, item in enumerate(p.list):
            _flatten_parameter(item, f"{prefix}[{i}]", out)
    elif p.map is not None:
        for entry in sorted(p.map, key=lambda e: e.key or ""):
            _flatten_parameter(entry, f"{prefix}.{entry.key}", out)
    else:
        out[prefix] = p.value or ""


def flatten_parameters(parameters: Iterable[Parameter], prefix: str = "parameter") -> dict[str, str]:
    out: dict[str, str] = {}
    for p in sorted(parameters, key=lambda q: q.key or ""):
        _flatten_parameter(p, f"{prefix}.{p.key}", out)
    return out


def _flatten_conditions(conditions: Iterable[Condition], prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for i, c in enumerate(conditions):
        flags = "".join([" (negated)" if c.negate else "", " (ignore case)" if c.ignore_case else ""])
        out[f"{prefix}[{i}]"] = f"{c.arg0} {c.type} {c.arg1}{flags}"
    return out


def _folder_name(container: Container, folder_id: str | None) -> str:
    folder = container.folder_by_id(folder_id) if folder_id else None
    return folder.name if folder is not None else ""


def entity_fields(container: Container, entity: Entity) -> dict[str, str]:
    """An entity as flat `path -> value` pairs, free of ids: what a reviewer compares."""
    if isinstance(entity, Tag):
        return _tag_fields(container, entity)
    if isinstance(entity, Trigger):
        return _trigger_fields(container, entity)
    if isinstance(entity, Variable):
        fields = {
            "type": entity.type,
            "notes": entity.notes,
            "folder": _folder_name(container, entity.parent_folder_id),
        }
        fields["formatValue"] = json.dumps(entity.format_value or {}, sort_keys=True)
        return fields | flatten_parameters(entity.parameter)
    if isinstance(entity, Folder):
        return {"notes": entity.notes}
    return {"templateData": entity.template_data, "gallery": json.dumps(entity.gallery_reference, sort_keys=True)}


def _tag_fields(container: Container, tag: Tag) -> dict[str, str]:
    consent = tag.consent
    fields = {
        "type": tag.type,
        "notes": tag.notes,
        "folder": _folder_name(container, tag.parent_folder_id),
        "firing": ", ".join(sorted(container.trigger_name(i) for i in tag.firing_trigger_ids)),
        "blocking": ", ".join(sorted(container.trigger_name(i) for i in tag.blocking_trigger_ids)),
        "tagFiringOption": tag.tag_firing_option,
        "consent": "" if consent is None else " ".join((consent.status, *consent.types)),
        "setupTag": tag.setup_tag or "",
        "teardownTag": tag.teardown_tag or "",
        "paused": "true" if tag.paused else "",
        "priority": "" if tag.priority is None else str(tag.priority),
    }
    return fields | flatten_parameters(tag.parameter)


def _trigger_fields(container: Container, trigger: Trigger) -> dict[str, str]:
    fields = {"type": trigger.type, "notes": trigger.notes, "folder": _folder_name(container, trigger.parent_folder_id)}
    fields |= _flatten_conditions(trigger.custom_event_filter, "customEventFilter")
    fields |= _flatten_conditions(trigger.filter, "filter")
    fields |= _flatten_conditions(trigger.auto_event_filter, "autoEventFilter")
    fields |= {key: p.value or "" for key, p in trigger.special if key != "uniqueTriggerId"}
    for p in trigger.parameter:
        if p.type == "LIST" and p.key == "triggerIds":
            names = sorted(container.trigger_name(i.value or "") for i in p.list or ())
            fields["parameter.triggerIds"] = ", ".join(names)
        else:
            _flatten_parameter(p, f"parameter.{p.key}", fields)
    return fields


# ---------------------------------------------------------------- diffing


def entities_by_kind(container: Container) -> dict[EntityKind, Mapping[str, Entity]]:
    return {
        "folder": {f.name: f for f in container.folders},
        "customTemplate": {t.name: t for t in container.custom_templates},
        "variable": {v.name: v for v in container.variables},
        "trigger": {t.name: t for t in container.triggers},
        "tag": {t.name: t for t in container.tags},
    }


def field_changes(before: Mapping[str, str], after: Mapping[str, str]) -> tuple[FieldChange, ...]:
    keys = sorted(set(before) | set(after))
    return tuple(
        FieldChange(k, before.get(k), after.get(k)) for k in keys if (before.get(k) or "") != (after.get(k) or "")
    )


def diff_containers(old: Container, new: Container) -> ChangeSet:
    """What turns `old` into `new`, entity by entity, in dependency order."""
    changes: list[EntityChange] = []
    old_by_kind, new_by_kind = entities_by_kind(old), entities_by_kind(new)
    for kind in KIND_ORDER:
        if kind == "builtInVariable":
            changes.extend(_built_in_changes(old, new))
            continue
        before, after = old_by_kind[kind], new_by_kind[kind]
        for name in sorted(set(before) | set(after)):
            changes.append(_entity_change(kind, name, old, before.get(name), new, after.get(name)))
    return ChangeSet(tuple(changes))


def _entity_change(
    kind: EntityKind, name: str, old: Container, a: Entity | None, new: Container, b: Entity | None
) -> EntityChange:
    if a is None:
        return EntityChange("create", kind, name, field_changes({}, entity_fields(new, b)) if b else ())
    if b is None:
        return EntityChange("delete", kind, name)
    fields = field_changes(entity_fields(old, a), entity_fields(new, b))
    return EntityChange("update" if fields else "keep", kind, name, fields)


def _built_in_changes(old: Container, new: Container) -> list[EntityChange]:
    before = {b.name for b in old.built_in_variables}
    after = {b.name for b in new.built_in_variables}
    changes = [EntityChange("create", "builtInVariable", n) for n in sorted(after - before)]
    changes += [EntityChange("delete", "builtInVariable", n) for n in sorted(before - after)]
    changes += [EntityChange("keep", "builtInVariable", n) for n in sorted(after & before)]
    return changes


# ---------------------------------------------------------------- rendering


def _clip(value: str | None, width: int = 100) -> str:
    if value is None:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 4] + '..."'


def field_lines(change: FieldChange) -> list[str]:
    """One `path: before -> after` line; multi-line values (Custom HTML, template code) as the
    changed lines only, so a reviewer sees what changed instead of two identical clipped prefixes."""
    before, after = change.before or "", change.after or ""
    if "\n" not in before + after:
        return [f"    {change.path}: {_clip(change.before)} -> {_clip(change.after)}"]
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    body = [line for line in diff if not line.startswith(("---", "+++", "@@"))]
    return [f"    {change.path}: (changed lines)"] + [f"      {line[0]} {line[1:].strip()}" for line in body]


def render_text(changes: ChangeSet, *, show_fields: bool = True) -> str:
    """Terraform-style lines, one per changed entity, then a count line."""
    lines: list[str] = []
    for change in changes.changes:
        if change.action == "keep":
            continue
        note = f"  ({change.note})" if change.note else ""
        lines.append(f"{SYMBOL_BY_ACTION[change.action]} {change.kind} {change.name!r}{note}")
        if show_fields and change.action in ("update", "conflict"):
            lines.extend(line for f in change.fields for line in field_lines(f))
    lines.append(summary_line(changes))
    return "\n".join(lines)


def summary_line(changes: ChangeSet) -> str:
    counts = (changes.count("create"), changes.count("update"), changes.count("delete"))
    line = "{} to create, {} to update, {} to delete".format(*counts)
    if changes.count("leave"):
        line += f", {changes.count('leave')} left alone"
    if changes.count("conflict"):
        line += f", {changes.count('conflict')} in conflict"
    return line + "."


def render_json(changes: ChangeSet) -> str:
    """The same changes as data."""
    rows = [
        {
            "action": c.action,
            "kind": c.kind,
            "name": c.name,
            "note": c.note,
            "fields": [{"path": f.path, "before": f.before, "after": f.after} for f in c.fields],
        }
        for c in changes.changes
        if c.action != "keep"
    ]
    return json.dumps({"changes": rows, "summary": summary_counts(changes)}, indent=2, ensure_ascii=False)


def summary_counts(changes: ChangeSet) -> dict[str, int]:
    """Counts by action; `leave` and `conflict` only when the set has such rows."""
    counts = {a: changes.count(a) for a in ("create", "update", "delete")}
    counts |= {a: changes.count(a) for a in ("leave", "conflict") if changes.count(a)}
    return counts
