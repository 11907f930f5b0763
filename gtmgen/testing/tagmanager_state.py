"""The emulator's in-memory Tag Manager: containers, workspaces, entities, versions.

Rules enforced (tagmanager-api.md §1-§2): unique names per entity kind, a customEvent trigger
has exactly one customEventFilter, referenced trigger and folder ids exist, a referenced
entity cannot be deleted, fingerprints are checked on update, at most `max_workspaces`
workspaces, create_version snapshots the workspace and deletes it, bulk_update is atomic
and resolves `new_N` ids. Every method raises `ApiFailure` the way the API answers.
"""

from __future__ import annotations

import copy
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

KIND_BY_COLLECTION = {
    "folders": "folder",
    "templates": "customTemplate",
    "variables": "variable",
    "triggers": "trigger",
    "tags": "tag",
}
KINDS = ("folder", "customTemplate", "variable", "trigger", "tag")
ID_KEY = {
    "folder": "folderId",
    "customTemplate": "templateId",
    "variable": "variableId",
    "trigger": "triggerId",
    "tag": "tagId",
}
COLLECTION_BY_KIND = {kind: collection for collection, kind in KIND_BY_COLLECTION.items()}
BUILT_IN_TRIGGER_IDS = frozenset({"2147479553", "2147479573", "2147479572"})
SERVER_FIELDS = ("path", "accountId", "containerId", "workspaceId", "fingerprint", "tagManagerUrl")
NEW_ID = re.compile(r"new_\d+")


class ApiFailure(Exception):
    """An error answer: HTTP status, message, the legacy `reason` and the google.rpc status."""

    def __init__(self, status: int, message: str, reason: str = "badRequest", rpc: str = "INVALID_ARGUMENT") -> None:
        super().__init__(message)
        self.status, self.message, self.reason, self.rpc = status, message, reason, rpc


def not_found() -> ApiFailure:
    # The API's answer both for a missing entity and for a container the caller may not see.
    return ApiFailure(404, "Not found or permission denied.", "notFound", "NOT_FOUND")


def invalid(message: str) -> ApiFailure:
    return ApiFailure(400, message)


def conflict(message: str) -> ApiFailure:
    return ApiFailure(409, message, "conflict", "ABORTED")


@dataclass
class Content:
    """Entities of a workspace or version: kind -> id -> entity, and enabled built-ins by type."""

    entities: dict[str, dict[str, Json]] = field(default_factory=lambda: {k: {} for k in KINDS})
    built_ins: dict[str, Json] = field(default_factory=dict)

    def copy(self) -> Content:
        return copy.deepcopy(self)

    def named(self, kind: str, name: str) -> Json | None:
        return next((e for e in self.entities[kind].values() if e.get("name") == name), None)


@dataclass
class Workspace:
    workspace_id: str
    name: str
    description: str
    fingerprint: str
    content: Content
    base: Content
    base_version_id: str | None


@dataclass
class Version:
    version_id: str
    name: str
    description: str
    fingerprint: str
    content: Content


@dataclass
class ContainerState:
    account_id: str
    container_id: str
    public_id: str
    name: str
    workspaces: dict[str, Workspace] = field(default_factory=dict)
    versions: dict[str, Version] = field(default_factory=dict)
    live_version_id: str | None = None
    entity_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    workspace_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    version_ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def path(self) -> str:
        return f"accounts/{self.account_id}/containers/{self.container_id}"

    def latest_version_id(self) -> str | None:
        return max(self.versions, key=int) if self.versions else None


def references(kind: str, entity: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(kind, id) pairs an entity points at: folders, firing/blocking triggers, trigger references."""
    if entity.get("parentFolderId"):
        yield "folder", str(entity["parentFolderId"])
    for key in ("firingTriggerId", "blockingTriggerId"):
        for trigger_id in entity.get(key) or ():
            yield "trigger", str(trigger_id)
    for value in _trigger_reference_values(entity.get("parameter") or ()):
        yield "trigger", value


def _trigger_reference_values(parameters: Iterable[Mapping[str, Any]]) -> Iterator[str]:
    for p in parameters:
        if p.get("type") == "triggerReference" and p.get("value"):
            yield str(p["value"])
        yield from _trigger_reference_values(p.get("list") or ())
        yield from _trigger_reference_values(p.get("map") or ())


def check_entity(content: Content, kind: str, entity: Mapping[str, Any]) -> None:
    """The API's semantic rules for one entity within its workspace."""
    name = entity.get("name")
    if not name:
        raise invalid(f"{kind}: name is required")
    own_id = entity.get(ID_KEY[kind])
    if any(e.get("name") == name and e.get(ID_KEY[kind]) != own_id for e in content.entities[kind].values()):
        raise invalid(f"{kind} name {name!r} is already in use in this workspace")
    if kind in ("tag", "trigger", "variable") and not entity.get("type"):
        raise invalid(f"{kind} {name!r}: type is required")
    if kind == "trigger" and entity.get("type") == "customEvent" and len(entity.get("customEventFilter") or ()) != 1:
        raise invalid(f"trigger {name!r}: a customEvent trigger needs exactly one customEventFilter")
    for ref_kind, ref_id in references(kind, entity):
        if ref_id in BUILT_IN_TRIGGER_IDS and ref_kind == "trigger":
            continue
        if ref_id not in content.entities[ref_kind]:
            raise invalid(f"{kind} {name!r} references {ref_kind} id {ref_id}, which does not exist")


def check_unreferenced(content: Content, kind: str, entity_id: str) -> None:
    """Refuse to delete an entity that another entity still points at."""
    for other_kind in KINDS:
        for other in content.entities[other_kind].values():
            if (kind, entity_id) in set(references(other_kind, other)):
                raise invalid(f"{kind} {entity_id} is still referenced by {other_kind} {other.get('name')!r}")


def resolve_new_ids(entity: Json, new_ids: Mapping[str, str]) -> Json:
    """Replace `new_N` references (bulk_update) by the ids they were given."""
    out = dict(entity)
    if out.get("parentFolderId") in new_ids:
        out["parentFolderId"] = new_ids[out["parentFolderId"]]
    for key in ("firingTriggerId", "blockingTriggerId"):
        if key in out:
            out[key] = [new_ids.get(str(i), str(i)) for i in out[key]]
    if "parameter" in out:
        out["parameter"] = [_resolve_parameter(p, new_ids) for p in out["parameter"]]
    return out


def _resolve_parameter(p: Json, new_ids: Mapping[str, str]) -> Json:
    out = dict(p)
    if out.get("type") == "triggerReference" and out.get("value") in new_ids:
        out["value"] = new_ids[out["value"]]
    for key in ("list", "map"):
        if key in out:
            out[key] = [_resolve_parameter(i, new_ids) for i in out[key]]
    return out


def changes_between(base: Content, content: Content) -> Iterator[tuple[str, str, str, Json]]:
    """(kind, id, changeStatus, entity) for every difference of a workspace from its base version."""
    for kind in KINDS:
        before, after = base.entities[kind], content.entities[kind]
        for entity_id in sorted(set(before) | set(after), key=_id_order):
            if entity_id not in before:
                yield kind, entity_id, "added", after[entity_id]
            elif entity_id not in after:
                yield kind, entity_id, "deleted", before[entity_id]
            elif before[entity_id].get("fingerprint") != after[entity_id].get("fingerprint"):
                yield kind, entity_id, "updated", after[entity_id]
    for built_in in sorted(set(base.built_ins) ^ set(content.built_ins)):
        status = "added" if built_in in content.built_ins else "deleted"
        yield "builtInVariable", built_in, status, (content.built_ins | base.built_ins)[built_in]


def _id_order(entity_id: str) -> tuple[int, str]:
    return (int(entity_id), "") if entity_id.isdigit() else (0, entity_id)
