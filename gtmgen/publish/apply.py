"""Apply a plan to the workspace: one bulk_update, or entity by entity when that is refused.

Creates go dependencies first (folders, templates, built-in variables, variables, triggers,
tags), deletes in reverse. In a bulk_update new entities get `new_N` ids that the other
changes of the same body reference; per entity, references are rewritten to the ids the
API returns. Updates carry the fingerprint read in this run. When a write's outcome is
unknown, or the bulk call is refused, the workspace is read again, checked for edits made by
someone else (reported as a conflict, never overwritten), planned again and the rest is
applied: nothing is applied twice and no create is repeated blindly.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gtmgen.changes import Entity
from gtmgen.container import BUILT_IN_TRIGGER_NAMES_BY_ID, EntityKind
from gtmgen.errors import ApiError, AuthError, ConflictError, QuotaError
from gtmgen.publish.convert import ID_KEY_BY_KIND, api_enum, export_dict, to_api
from gtmgen.publish.plan import Plan, plan_changes
from gtmgen.publish.protocol import Json, OutcomeUnknown, TagManagerApi, WorkspaceRef
from gtmgen.publish.read import EntityRecord, Snapshot

ENTITY_ORDER: tuple[EntityKind, ...] = ("folder", "customTemplate", "variable", "trigger", "tag")
MAX_ROUNDS = 6
Mode = Literal["bulk", "per-entity"]
IdMap = dict[tuple[EntityKind, str], str]  # (kind, id in the compiled container) -> id in the workspace


@dataclass
class ApplyReport:
    mode: Mode = "bulk"
    rounds: int = 0
    recoveries: list[str] = field(default_factory=list)


def _model_id(kind: EntityKind, entity: Entity) -> str:
    return str(getattr(entity, {"customTemplate": "template_id"}.get(kind, f"{kind}_id")))


# ---------------------------------------------------------------- request bodies


def target_ids(plan: Plan) -> IdMap:
    """Where each compiled entity lives: its workspace id, or `new_N` when it is to be created."""
    ids: IdMap = {}
    counter = itertools.count(1)
    for kind in ENTITY_ORDER:
        for entity in _entities(plan, kind):
            record = plan.snapshot.record(kind, entity.name)
            ids[(kind, _model_id(kind, entity))] = record.entity_id if record else f"new_{next(counter)}"
    return ids


def _entities(plan: Plan, kind: EntityKind) -> Iterable[Entity]:
    container = plan.desired
    by_kind: dict[EntityKind, tuple[Entity, ...]] = {
        "folder": container.folders,
        "customTemplate": container.custom_templates,
        "variable": container.variables,
        "trigger": container.triggers,
        "tag": container.tags,
    }
    return by_kind[kind]


def entity_body(plan: Plan, kind: EntityKind, entity: Entity, ids: IdMap) -> Json:
    """The API body of a compiled entity, its references rewritten to workspace ids."""
    exported = _remapped(kind, export_dict(plan.desired, kind, entity), ids, plan.desired.container_id)
    body = to_api(kind, exported)
    body[ID_KEY_BY_KIND[kind]] = ids[(kind, _model_id(kind, entity))]
    return body


def _remapped(kind: EntityKind, raw: Json, ids: IdMap, container_id: str) -> Json:
    out = dict(raw)
    if out.get("parentFolderId"):
        out["parentFolderId"] = ids.get(("folder", str(out["parentFolderId"])), out["parentFolderId"])
    for key in ("firingTriggerId", "blockingTriggerId"):
        if key in out:
            out[key] = [_trigger_id(str(i), ids) for i in out[key]]
    if "parameter" in out:
        out["parameter"] = [_remap_parameter(p, ids) for p in out["parameter"]]
    local_template = f"cvt_{container_id}_"
    if kind in ("tag", "variable") and str(out.get("type", "")).startswith(local_template):
        template_id = str(out["type"]).removeprefix(local_template)
        out["type"] = local_template + ids.get(("customTemplate", template_id), template_id)
    return out


def _trigger_id(trigger_id: str, ids: IdMap) -> str:
    return trigger_id if trigger_id in BUILT_IN_TRIGGER_NAMES_BY_ID else ids.get(("trigger", trigger_id), trigger_id)


def _remap_parameter(p: Mapping[str, Any], ids: IdMap) -> Json:
    out = dict(p)
    if out.get("type") == "TRIGGER_REFERENCE" and out.get("value"):
        out["value"] = _trigger_id(str(out["value"]), ids)
    for key in ("list", "map"):
        if key in out:
            out[key] = [_remap_parameter(i, ids) for i in out[key]]
    return out


def _built_in_types(plan: Plan) -> list[str]:
    wanted = {b.name: b.type for b in plan.desired.built_in_variables}
    return [api_enum(wanted[c.name]) for c in plan.rows("create") if c.kind == "builtInVariable" and c.name in wanted]


def bulk_changes(plan: Plan) -> list[Json]:
    """The bulk_update body: creates and updates in dependency order, then deletes in reverse."""
    ids = target_ids(plan)
    changes: list[Json] = []
    for kind in ENTITY_ORDER:
        for row in plan.rows("create", "update"):
            entity = plan.desired_entity(kind, row.name) if row.kind == kind else None
            if entity is None:
                continue
            body = entity_body(plan, kind, entity, ids)
            record = plan.snapshot.record(kind, row.name)
            if row.action == "update" and record is not None:
                body |= {"path": record.path, "fingerprint": record.fingerprint}
            changes.append({kind: body, "changeStatus": "added" if row.action == "create" else "updated"})
    for kind in reversed(ENTITY_ORDER):
        changes.extend({kind: _deleted(r), "changeStatus": "deleted"} for r in _delete_records(plan, kind))
    return changes


def _delete_records(plan: Plan, kind: EntityKind) -> list[EntityRecord]:
    records = (plan.snapshot.record(kind, row.name) for row in plan.rows("delete") if row.kind == kind)
    return [r for r in records if r is not None]


def _deleted(record: EntityRecord) -> Json:
    return {ID_KEY_BY_KIND[record.kind]: record.entity_id, "name": record.name, "path": record.path} | (
        {"fingerprint": record.fingerprint} if record.fingerprint else {}
    )


# ---------------------------------------------------------------- the two ways of applying


def apply_bulk(api: TagManagerApi, workspace: WorkspaceRef, plan: Plan) -> None:
    types = _built_in_types(plan)
    if types:
        api.enable_built_ins(workspace, types)
    changes = bulk_changes(plan)
    if changes:
        api.bulk_update(workspace, changes)


def apply_each(api: TagManagerApi, workspace: WorkspaceRef, plan: Plan) -> None:
    """One request per entity; a create's real id replaces its `new_N` for the entities after it."""
    types = _built_in_types(plan)
    if types:
        api.enable_built_ins(workspace, types)
    ids = target_ids(plan)
    for kind in ENTITY_ORDER:
        for row in [r for r in plan.rows("create", "update") if r.kind == kind]:
            entity = plan.desired_entity(kind, row.name)
            assert entity is not None
            body = entity_body(plan, kind, entity, ids)
            record = plan.snapshot.record(kind, row.name)
            if row.action == "update" and record is not None:
                api.update_entity(record.path, kind, body, record.fingerprint)
                continue
            del body[ID_KEY_BY_KIND[kind]]
            created = api.create_entity(workspace, kind, body)
            ids[(kind, _model_id(kind, entity))] = str(created[ID_KEY_BY_KIND[kind]])
    for kind in reversed(ENTITY_ORDER):
        for record in _delete_records(plan, kind):
            api.delete_entity(record.path, kind)


# ---------------------------------------------------------------- rounds: re-read, re-plan, continue


def apply_plan(
    api: TagManagerApi, plan: Plan, reread: Callable[[], Snapshot], note: Callable[[str], None] = lambda _: None
) -> ApplyReport:
    """Apply `plan`, recovering from unknown outcomes and refused bulk calls without double writes."""
    workspace = plan.snapshot.workspace
    assert workspace is not None, "apply needs an existing workspace"
    report, current = ApplyReport(), plan
    for round_number in range(1, MAX_ROUNDS + 1):
        report.rounds = round_number
        if not current.has_writes:
            return report
        try:
            (apply_bulk if report.mode == "bulk" else apply_each)(api, workspace, current)
            return report
        except (OutcomeUnknown, ConflictError) as error:
            report.recoveries.append(f"{error}; reading the workspace again")
        except (AuthError, QuotaError):
            raise
        except ApiError as error:
            if report.mode != "bulk":
                raise
            report.mode = "per-entity"
            report.recoveries.append(f"bulk_update was refused ({error}); applying entity by entity")
        note(report.recoveries[-1])
        current = _replan(plan, reread())
    raise ApiError(f"the workspace is still not in sync after {MAX_ROUNDS} rounds; run gtmgen publish again")


def _replan(original: Plan, fresh: Snapshot) -> Plan:
    moved = drifted(original, fresh)
    if moved:
        raise ConflictError(
            "changed by someone else since gtmgen read the workspace, so gtmgen did not overwrite it: "
            + ", ".join(moved)
            + "; run gtmgen plan to see the new state"
        )
    return plan_changes(fresh, original.desired)


def drifted(original: Plan, fresh: Snapshot) -> list[str]:
    """Entities of the plan that someone else changed: neither as read nor as the spec wants."""
    settled = {(c.kind, c.name) for c in plan_changes(fresh, original.desired).rows("keep")}
    moved: list[str] = []
    for change in original.changes.changes:
        if change.action == "leave" or change.kind == "builtInVariable" or (change.kind, change.name) in settled:
            continue
        before = original.snapshot.record(change.kind, change.name)
        after = fresh.record(change.kind, change.name)
        if after is None and (before is None or change.action == "delete"):
            continue  # still to create, or deleted as planned
        if before is not None and after is not None and before.fingerprint == after.fingerprint:
            continue
        moved.append(f"{change.kind} {change.name!r}")
    return moved


def status_drift(plan: Plan, status: Json) -> list[str]:
    """Entities the plan touches that `workspaces.getStatus` shows changed since the read."""
    by_id = {(r.kind, r.entity_id): r for r in plan.snapshot.records.values()}
    touched = {(c.kind, c.name) for c in plan.changes.changes if c.action in ("create", "update", "delete", "keep")}
    moved: list[str] = []
    for change in status.get("workspaceChange") or ():
        kind = next((k for k in ENTITY_ORDER if k in change), None)
        if kind is None:
            continue
        entity = change[kind]
        record = by_id.get((kind, str(entity.get(ID_KEY_BY_KIND[kind]))))
        name = record.name if record is not None else str(entity.get("name"))
        if (kind, name) not in touched:
            continue
        if record is None or change.get("changeStatus") == "deleted" or entity.get("fingerprint") != record.fingerprint:
            moved.append(f"{kind} {name!r}")
    return moved
