"""Read a workspace (or the live version) into a Container plus where each entity lives.

One list call per entity kind, following page tokens; never one GET per entity. When the
target workspace does not exist yet, the live version stands in for it (one request), so a
plan never writes and a publish of an unchanged spec writes nothing at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from gtmgen.container import BUILT_IN_VARIABLE_NAMES_BY_TYPE, Container, EntityKind
from gtmgen.publish.convert import ID_KEY_BY_KIND, container_from_api, export_enum
from gtmgen.publish.protocol import ContainerRef, Json, TagManagerApi, WorkspaceRef

READ_ORDER: tuple[EntityKind, ...] = ("folder", "customTemplate", "builtInVariable", "variable", "trigger", "tag")
VERSION_KEY_BY_KIND: dict[EntityKind, str] = {
    "folder": "folder",
    "customTemplate": "customTemplate",
    "builtInVariable": "builtInVariable",
    "variable": "variable",
    "trigger": "trigger",
    "tag": "tag",
}


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """Where one entity lives and the fingerprint it had when gtmgen read it."""

    kind: EntityKind
    entity_id: str
    name: str
    fingerprint: str
    path: str


RecordKey = tuple[EntityKind, str]  # (kind, name)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What gtmgen read: the container, and each entity's id, fingerprint and path by kind and name."""

    target: ContainerRef
    workspace_name: str
    container: Container
    records: Mapping[RecordKey, EntityRecord] = field(default_factory=dict)
    workspace: WorkspaceRef | None = None  # None: the workspace does not exist; read from the live version
    live_version_id: str | None = None
    live_read: bool = False  # live_version_id is known (None: nothing was ever published)
    workspace_count: int = 0

    def record(self, kind: EntityKind, name: str) -> EntityRecord | None:
        return self.records.get((kind, name))

    @property
    def source(self) -> str:
        if self.workspace is not None:
            return f"workspace {self.workspace_name!r} ({self.workspace.path})"
        if self.live_version_id is not None:
            return f"live version {self.live_version_id} (workspace {self.workspace_name!r} will be created)"
        return f"empty container {self.target.path} (workspace {self.workspace_name!r} will be created)"


def find_workspace(workspaces: Iterable[Json], wanted: str) -> Json | None:
    """The workspace with this name, or with this id."""
    listed = list(workspaces)
    by_name = next((w for w in listed if w.get("name") == wanted), None)
    return by_name or next((w for w in listed if str(w.get("workspaceId")) == wanted), None)


def read_target(api: TagManagerApi, target: ContainerRef, workspace_name: str, public_id: str = "") -> Snapshot:
    """The named workspace if it exists, else the live version (or nothing) it would start from."""
    workspaces = api.list_workspaces(target)
    found = find_workspace(workspaces, workspace_name)
    if found is not None:
        ref = target.workspace(str(found["workspaceId"]))
        return read_workspace(api, ref, str(found.get("name", workspace_name)), public_id, len(workspaces))
    live = api.live_version(target)
    return snapshot_of_version(live, target, workspace_name, public_id, len(workspaces))


def read_workspace(
    api: TagManagerApi, workspace: WorkspaceRef, name: str, public_id: str = "", workspace_count: int = 0
) -> Snapshot:
    """Every entity of a workspace: one list per kind, all pages."""
    entities = {kind: api.list_entities(workspace, kind) for kind in READ_ORDER}
    target = ContainerRef(workspace.account_id, workspace.container_id)
    return Snapshot(
        target=target,
        workspace_name=name,
        container=container_from_api(entities, target.account_id, target.container_id, public_id),
        records=_records(entities, workspace.path),
        workspace=workspace,
        workspace_count=workspace_count,
    )


def snapshot_of_version(
    version: Json | None, target: ContainerRef, workspace_name: str, public_id: str = "", workspace_count: int = 0
) -> Snapshot:
    """A container version (the live one) as the starting point of a workspace still to be created."""
    entities = {kind: list((version or {}).get(VERSION_KEY_BY_KIND[kind]) or ()) for kind in READ_ORDER}
    return Snapshot(
        target=target,
        workspace_name=workspace_name,
        container=container_from_api(entities, target.account_id, target.container_id, public_id),
        records={},
        live_version_id=str(version["containerVersionId"]) if version else None,
        live_read=True,
        workspace_count=workspace_count,
    )


def _records(entities: Mapping[EntityKind, list[Json]], workspace_path: str) -> dict[RecordKey, EntityRecord]:
    records: dict[RecordKey, EntityRecord] = {}
    for kind, items in entities.items():
        for item in items:
            record = _record(kind, item, workspace_path)
            records[(kind, record.name)] = record
    return records


def _record(kind: EntityKind, item: Mapping[str, Any], workspace_path: str) -> EntityRecord:
    entity_id = str(item.get(ID_KEY_BY_KIND[kind], ""))
    if kind == "builtInVariable":
        name = str(item.get("name") or BUILT_IN_VARIABLE_NAMES_BY_TYPE.get(export_enum(entity_id), entity_id))
    else:
        name = str(item.get("name", ""))
    path = str(item.get("path") or f"{workspace_path}/{kind}/{entity_id}")
    return EntityRecord(kind, entity_id, name, str(item.get("fingerprint", "")), path)
