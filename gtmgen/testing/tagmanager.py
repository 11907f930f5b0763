"""`FakeTagManager`: the operations of the Tag Manager API v2 that gtmgen uses, on in-memory state.

The HTTP layer (`emulator`) parses requests and calls one method here per API method; every
method takes API-relative paths and API-shaped bodies and returns API-shaped answers.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterable, Mapping
from typing import Any

from gtmgen.testing.tagmanager_state import (
    COLLECTION_BY_KIND,
    ID_KEY,
    KIND_BY_COLLECTION,
    KINDS,
    NEW_ID,
    SERVER_FIELDS,
    ApiFailure,
    ContainerState,
    Content,
    Json,
    Version,
    Workspace,
    changes_between,
    check_entity,
    check_unreferenced,
    conflict,
    invalid,
    not_found,
    resolve_new_ids,
)

_PATH = re.compile(
    r"accounts/(?P<account>[^/]+)/containers/(?P<container>[^/:]+)"
    r"(?:/workspaces/(?P<workspace>[^/:]+))?(?:/versions/(?P<version>[^/:]+))?"
    r"(?:/(?P<collection>tags|triggers|variables|folders|templates)(?:/(?P<entity>[^/:]+))?)?"
)
DEFAULT_WORKSPACE = "Default Workspace"


class FakeTagManager:
    """Accounts -> containers -> workspaces and versions, behind one lock."""

    def __init__(self, *, max_workspaces: int = 3) -> None:
        self.lock = threading.RLock()
        self.containers: dict[tuple[str, str], ContainerState] = {}
        self.max_workspaces = max_workspaces
        self.compiler_error = False  # create_version / quick_preview / publish answer compilerError
        self._fingerprints = itertools.count(1_760_000_000_000)

    # ------------------------------------------------------------ setup and lookup

    def fingerprint(self) -> str:
        return str(next(self._fingerprints))

    def add_container(self, account_id: str, container_id: str, public_id: str = "GTM-EMULATE") -> ContainerState:
        """A container with its Default Workspace and no version, as GTM creates one."""
        with self.lock:
            state = ContainerState(account_id, container_id, public_id, f"Container {public_id}")
            self.containers[(account_id, container_id)] = state
            self._new_workspace(state, DEFAULT_WORKSPACE, "")
            return state

    def _parts(self, path: str) -> dict[str, str]:
        found = _PATH.fullmatch(path)
        if not found:
            raise not_found()
        return {k: v for k, v in found.groupdict().items() if v is not None}

    def container(self, path: str) -> ContainerState:
        parts = self._parts(path)
        state = self.containers.get((parts["account"], parts["container"]))
        if state is None:
            raise not_found()
        return state

    def workspace(self, path: str) -> Workspace:
        parts = self._parts(path)
        found = self.container(path).workspaces.get(parts.get("workspace", ""))
        if found is None:
            raise not_found()
        return found

    def workspace_named(self, account_id: str, container_id: str, name: str) -> Workspace | None:
        state = self.containers[(account_id, container_id)]
        return next((w for w in state.workspaces.values() if w.name == name), None)

    # ------------------------------------------------------------ workspaces

    def _new_workspace(self, state: ContainerState, name: str, description: str) -> Workspace:
        latest = state.latest_version_id()
        content = state.versions[latest].content.copy() if latest else Content()
        workspace_id = str(next(state.workspace_ids))
        workspace = Workspace(workspace_id, name, description, self.fingerprint(), content, content.copy(), latest)
        for kind in KINDS:
            for entity in content.entities[kind].values():
                entity["workspaceId"] = workspace_id
                entity["path"] = f"{state.path}/workspaces/{workspace_id}/{COLLECTION_BY_KIND[kind]}/"
                entity["path"] += entity[ID_KEY[kind]]
        state.workspaces[workspace_id] = workspace
        return workspace

    def workspace_json(self, state: ContainerState, w: Workspace) -> Json:
        path = f"{state.path}/workspaces/{w.workspace_id}"
        out = {"path": path, "accountId": state.account_id, "containerId": state.container_id}
        out |= {"workspaceId": w.workspace_id, "name": w.name, "fingerprint": w.fingerprint}
        return out | ({"description": w.description} if w.description else {})

    def list_workspaces(self, parent: str) -> list[Json]:
        state = self.container(parent)
        return [self.workspace_json(state, w) for w in state.workspaces.values()]

    def create_workspace(self, parent: str, body: Mapping[str, Any]) -> Json:
        state = self.container(parent)
        if len(state.workspaces) >= self.max_workspaces:
            raise ApiFailure(
                400,
                f"Cannot create workspace: the container already has the maximum of {self.max_workspaces}.",
                "badRequest",
                "FAILED_PRECONDITION",
            )
        if not body.get("name"):
            raise invalid("workspace: name is required")
        workspace = self._new_workspace(state, str(body["name"]), str(body.get("description", "")))
        return self.workspace_json(state, workspace)

    def get_workspace(self, path: str) -> Json:
        return self.workspace_json(self.container(path), self.workspace(path))

    def delete_workspace(self, path: str) -> None:
        workspace = self.workspace(path)
        del self.container(path).workspaces[workspace.workspace_id]

    def status(self, path: str) -> Json:
        workspace = self.workspace(path)
        changes = [
            {kind: entity, "changeStatus": status}
            for kind, _, status, entity in changes_between(workspace.base, workspace.content)
        ]
        return {"workspaceChange": changes} if changes else {}

    # ------------------------------------------------------------ entities

    def list_entities(self, parent: str, collection: str) -> list[Json]:
        return list(self.workspace(parent).content.entities[KIND_BY_COLLECTION[collection]].values())

    def get_entity(self, path: str) -> Json:
        parts = self._parts(path)
        kind = KIND_BY_COLLECTION[parts["collection"]]
        found = self.workspace(path).content.entities[kind].get(parts.get("entity", ""))
        if found is None:
            raise not_found()
        return found

    def _stored(self, path: str, kind: str, entity_id: str, body: Mapping[str, Any]) -> Json:
        state = self.container(path)
        workspace = self.workspace(path)
        out = {k: v for k, v in body.items() if k not in SERVER_FIELDS and k != ID_KEY[kind]}
        base = f"{state.path}/workspaces/{workspace.workspace_id}"
        return {
            "path": f"{base}/{COLLECTION_BY_KIND[kind]}/{entity_id}",
            "accountId": state.account_id,
            "containerId": state.container_id,
            "workspaceId": workspace.workspace_id,
            ID_KEY[kind]: entity_id,
            **out,
            "fingerprint": self.fingerprint(),
        }

    def create_entity(self, parent: str, collection: str, body: Mapping[str, Any]) -> Json:
        kind = KIND_BY_COLLECTION[collection]
        workspace = self.workspace(parent)
        entity = self._stored(parent, kind, str(next(self.container(parent).entity_ids)), body)
        check_entity(workspace.content, kind, entity)
        workspace.content.entities[kind][entity[ID_KEY[kind]]] = entity
        return entity

    def update_entity(self, path: str, body: Mapping[str, Any], fingerprint: str | None) -> Json:
        parts = self._parts(path)
        kind = KIND_BY_COLLECTION[parts["collection"]]
        current = self.get_entity(path)
        if fingerprint and fingerprint != current["fingerprint"]:
            raise conflict(f"Fingerprint mismatch: {kind} {current['name']!r} was changed since it was read.")
        entity = self._stored(path, kind, parts["entity"], body)
        content = self.workspace(path).content
        check_entity(content, kind, entity)
        content.entities[kind][parts["entity"]] = entity
        return entity

    def delete_entity(self, path: str) -> None:
        parts = self._parts(path)
        kind = KIND_BY_COLLECTION[parts["collection"]]
        self.get_entity(path)
        content = self.workspace(path).content
        check_unreferenced(content, kind, parts["entity"])
        del content.entities[kind][parts["entity"]]

    # ------------------------------------------------------------ built-in variables

    def list_built_ins(self, parent: str) -> list[Json]:
        return list(self.workspace(parent).content.built_ins.values())

    def enable_built_ins(self, parent: str, types: Iterable[str], names_by_type: Mapping[str, str]) -> Json:
        state, workspace = self.container(parent), self.workspace(parent)
        created = []
        for built_in in types:
            entity = {"path": f"{parent}/built_in_variables", "accountId": state.account_id}
            entity |= {"containerId": state.container_id, "workspaceId": workspace.workspace_id}
            entity |= {"type": built_in, "name": names_by_type.get(built_in, built_in)}
            workspace.content.built_ins[built_in] = entity
            created.append(entity)
        return {"builtInVariable": created}

    def disable_built_ins(self, path: str, types: Iterable[str]) -> None:
        workspace = self.workspace(path.removesuffix("/built_in_variables"))
        for built_in in types:
            workspace.content.built_ins.pop(built_in, None)

    # ------------------------------------------------------------ bulk_update

    def bulk_update(self, path: str, body: Mapping[str, Any]) -> Json:
        """All changes or none; `new_N` ids may be referenced anywhere in the same body."""
        workspace = self.workspace(path)
        working = workspace.content.copy()
        state = self.container(path)
        new_ids: dict[str, str] = {}
        for change in body.get("changes") or ():
            kind, entity = self._bulk_entity(change)
            if change.get("changeStatus") == "added" and kind != "builtInVariable":
                raw_id = str(entity.get(ID_KEY[kind], ""))
                if not NEW_ID.fullmatch(raw_id) or raw_id in new_ids:
                    raise invalid(f"bulk_update: a new {kind} needs a unique id of the form new_N, got {raw_id!r}")
                new_ids[raw_id] = str(next(state.entity_ids))
        answers, touched = [], []
        for change in body.get("changes") or ():
            answer = self._bulk_change(path, working, change, new_ids)
            if answer is not None:
                answers.append(answer)
                touched.append(answer)
        for answer in touched:
            kind = next(k for k in answer if k != "changeStatus")
            if kind != "builtInVariable":
                check_entity(working, kind, answer[kind])
        workspace.content = working
        return {"changes": answers} if answers else {}

    def _bulk_entity(self, change: Mapping[str, Any]) -> tuple[str, Json]:
        kinds = [k for k in (*KINDS, "builtInVariable") if k in change]
        if len(kinds) != 1:
            raise invalid("bulk_update: each change names exactly one entity")
        return kinds[0], dict(change[kinds[0]])

    def _bulk_change(
        self, path: str, working: Content, change: Mapping[str, Any], new_ids: dict[str, str]
    ) -> Json | None:
        kind, entity = self._bulk_entity(change)
        status = change.get("changeStatus")
        if kind == "builtInVariable":
            return self._bulk_built_in(path, working, status, entity)
        entity = resolve_new_ids(entity, new_ids)
        raw_id = str(entity.get(ID_KEY[kind], ""))
        entity_id = new_ids.get(raw_id, raw_id)
        current = working.entities[kind].get(entity_id)
        if status != "added" and current is None:
            raise not_found()
        if current is not None and entity.get("fingerprint") and entity["fingerprint"] != current["fingerprint"]:
            raise conflict(f"Fingerprint mismatch: {kind} {current.get('name')!r} was changed since it was read.")
        if status == "deleted":
            del working.entities[kind][entity_id]
            check_unreferenced(working, kind, entity_id)
            return None
        if status not in ("added", "updated"):
            raise invalid(f"bulk_update: unsupported changeStatus {status!r}")
        stored = self._stored(path, kind, entity_id, entity)
        working.entities[kind][entity_id] = stored
        return {kind: stored, "changeStatus": status}

    def _bulk_built_in(self, path: str, working: Content, status: object, entity: Json) -> Json | None:
        if status == "deleted":
            working.built_ins.pop(str(entity.get("type")), None)
            return None
        working.built_ins[str(entity["type"])] = {"type": entity["type"], "name": entity.get("name", entity["type"])}
        return {"builtInVariable": working.built_ins[str(entity["type"])], "changeStatus": "added"}

    # ------------------------------------------------------------ versions

    def version_json(self, state: ContainerState, version: Version) -> Json:
        out: Json = {"path": f"{state.path}/versions/{version.version_id}", "accountId": state.account_id}
        out |= {"containerId": state.container_id, "containerVersionId": version.version_id}
        if version.name:
            out["name"] = version.name
        if version.description:
            out["description"] = version.description
        out["container"] = {"path": state.path, "accountId": state.account_id, "containerId": state.container_id}
        out["container"] |= {"name": state.name, "publicId": state.public_id, "usageContext": ["web"]}
        for kind in KINDS:
            items = [_version_entity(e) for e in version.content.entities[kind].values()]
            if items:
                out[kind] = items
        if version.content.built_ins:
            out["builtInVariable"] = [_version_entity(b) for b in version.content.built_ins.values()]
        return out | {"fingerprint": version.fingerprint}

    def quick_preview(self, path: str) -> Json:
        state, workspace = self.container(path), self.workspace(path)
        if self.compiler_error:
            return {"compilerError": True}
        preview = Version("0", "", "", self.fingerprint(), workspace.content)
        return {"containerVersion": self.version_json(state, preview), "syncStatus": {}}

    def create_version(self, path: str, body: Mapping[str, Any]) -> Json:
        """Snapshot the workspace as a new version, delete it, recreate the Default Workspace."""
        state, workspace = self.container(path), self.workspace(path)
        if self.compiler_error:
            return {"compilerError": True}
        content = self._merged(state, workspace)
        if content is None:
            return {"syncStatus": {"mergeConflict": True}}
        version_id = str(next(state.version_ids))
        name, notes = str(body.get("name", "")), str(body.get("notes", ""))
        version = Version(version_id, name, notes, self.fingerprint(), content)
        state.versions[version_id] = version
        del state.workspaces[workspace.workspace_id]
        answer: Json = {"containerVersion": self.version_json(state, version), "syncStatus": {}}
        if not any(w.name == DEFAULT_WORKSPACE for w in state.workspaces.values()):
            recreated = self._new_workspace(state, DEFAULT_WORKSPACE, "")
            answer["newWorkspacePath"] = f"{state.path}/workspaces/{recreated.workspace_id}"
        return answer

    def _merged(self, state: ContainerState, workspace: Workspace) -> Content | None:
        """The workspace on top of the latest version; None when both changed the same entity."""
        latest = state.latest_version_id()
        if latest == workspace.base_version_id:
            return workspace.content.copy()
        merged = state.versions[latest].content.copy() if latest else Content()
        for kind, entity_id, status, entity in changes_between(workspace.base, workspace.content):
            if kind == "builtInVariable":
                _apply_built_in(merged, entity_id, status, entity)
                continue
            base_entity = workspace.base.entities[kind].get(entity_id)
            if merged.entities[kind].get(entity_id) != base_entity:
                return None
            if status == "deleted":
                merged.entities[kind].pop(entity_id, None)
            else:
                merged.entities[kind][entity_id] = entity
        return merged

    def live(self, parent: str) -> Json:
        state = self.container(parent)
        if state.live_version_id is None:
            raise not_found()
        return self.version_json(state, state.versions[state.live_version_id])

    def get_version(self, path: str) -> Json:
        state, parts = self.container(path), self._parts(path)
        version = state.versions.get(parts.get("version", ""))
        if version is None:
            raise not_found()
        return self.version_json(state, version)

    def publish(self, path: str, fingerprint: str | None) -> Json:
        state, parts = self.container(path), self._parts(path)
        version = state.versions.get(parts.get("version", ""))
        if version is None:
            raise not_found()
        if fingerprint and fingerprint != version.fingerprint:
            raise conflict("Fingerprint mismatch: the container version changed since it was read.")
        if self.compiler_error:
            return {"compilerError": True}
        state.live_version_id = version.version_id
        return {"containerVersion": self.version_json(state, version)}

    def latest_header(self, parent: str) -> Json:
        state = self.container(parent)
        latest = state.latest_version_id()
        if latest is None:
            raise not_found()
        version = state.versions[latest]
        header = {"path": f"{state.path}/versions/{latest}", "accountId": state.account_id}
        return header | {"containerId": state.container_id, "containerVersionId": latest, "name": version.name}


def _version_entity(entity: Mapping[str, Any]) -> Json:
    return {k: v for k, v in entity.items() if k not in ("workspaceId", "path")}


def _apply_built_in(content: Content, built_in: str, status: str, entity: Json) -> None:
    if status == "deleted":
        content.built_ins.pop(built_in, None)
    else:
        content.built_ins[built_in] = entity
