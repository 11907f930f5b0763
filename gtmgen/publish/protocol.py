"""What the publishing core needs from the Tag Manager API: a small protocol and its values.

`gtmgen.publish.api` implements it with google-api-python-client; tests of the core may plug
in a fake. Bodies are API-shaped dicts (lowerCamel enums); paths are API-relative
(`accounts/1/containers/2/workspaces/3`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from gtmgen.container import EntityKind
from gtmgen.errors import ApiError

Json = dict[str, Any]


class OutcomeUnknown(ApiError):
    """A write whose result never arrived (5xx, timeout, dropped connection): it may or may not
    have happened, so it is never sent again blindly; the caller re-reads and re-plans."""


@dataclass(frozen=True, slots=True)
class ContainerRef:
    account_id: str
    container_id: str

    @property
    def path(self) -> str:
        return f"accounts/{self.account_id}/containers/{self.container_id}"

    def workspace(self, workspace_id: str) -> WorkspaceRef:
        return WorkspaceRef(self.account_id, self.container_id, workspace_id)


@dataclass(frozen=True, slots=True)
class WorkspaceRef:
    account_id: str
    container_id: str
    workspace_id: str

    @property
    def path(self) -> str:
        return f"accounts/{self.account_id}/containers/{self.container_id}/workspaces/{self.workspace_id}"


class TagManagerApi(Protocol):
    """The calls gtmgen makes. Lists return every page; writes return the API's answer."""

    @property
    def requests_sent(self) -> int: ...

    @property
    def writes_sent(self) -> int: ...

    def check_budget(self, requests: int, what: str) -> None:
        """Raise QuotaError when `requests` more requests cannot be made before the deadline."""

    def list_workspaces(self, container: ContainerRef) -> list[Json]: ...

    def create_workspace(self, container: ContainerRef, name: str, description: str) -> Json: ...

    def list_entities(self, workspace: WorkspaceRef, kind: EntityKind) -> list[Json]: ...

    def create_entity(self, workspace: WorkspaceRef, kind: EntityKind, body: Json) -> Json: ...

    def update_entity(self, path: str, kind: EntityKind, body: Json, fingerprint: str) -> Json: ...

    def delete_entity(self, path: str, kind: EntityKind) -> None: ...

    def enable_built_ins(self, workspace: WorkspaceRef, types: Sequence[str]) -> list[Json]: ...

    def bulk_update(self, workspace: WorkspaceRef, changes: list[Json]) -> list[Json]: ...

    def workspace_status(self, workspace: WorkspaceRef) -> Json: ...

    def quick_preview(self, workspace: WorkspaceRef) -> Json: ...

    def create_version(self, workspace: WorkspaceRef, name: str, notes: str) -> Json: ...

    def publish_version(self, version_path: str, fingerprint: str | None) -> Json: ...

    def live_version(self, container: ContainerRef) -> Json | None: ...

    def latest_version_header(self, container: ContainerRef) -> Json | None: ...
