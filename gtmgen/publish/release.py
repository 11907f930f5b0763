"""Version and publish a workspace: quick_preview, create_version, publish, and rollback.

Every answer is checked for `compilerError` and merge conflicts, which the API reports in an
HTTP 200 (tagmanager-api.md §2.3). The version is named and noted from the spec and the git
commit of the spec when there is one; the previously live version is recorded so that a
rollback is one command (`gtmgen rollback SPEC VERSION`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gtmgen import __version__
from gtmgen.errors import ApiError, ConflictError
from gtmgen.publish.protocol import ContainerRef, Json, OutcomeUnknown, TagManagerApi, WorkspaceRef


@dataclass(frozen=True, slots=True)
class Release:
    version_id: str
    version_name: str
    previous_live_version_id: str | None
    published: bool


def git_commit(spec_path: Path) -> str | None:
    """The short commit of the repository holding the spec, `-dirty` when the spec has local edits."""
    folder = str(spec_path.resolve().parent)
    try:
        head = subprocess.run(
            ["git", "-C", folder, "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True, timeout=10
        )
        if head.returncode != 0:
            return None
        dirty = subprocess.run(
            ["git", "-C", folder, "status", "--porcelain", "--", spec_path.name],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def version_text(site_name: str, spec_path: Path, summary: str, commit: str | None) -> tuple[str, str]:
    """The version's name and notes."""
    name = f"{site_name} - gtmgen" + (f" {commit}" if commit else "")
    origin = f"Published by gtmgen {__version__} from {spec_path.name}"
    origin += f" at git commit {commit}." if commit else " (not in a git repository)."
    return name, f"{origin}\n{summary}"


def check_answer(step: str, answer: Mapping[str, Any]) -> None:
    """Raise for what the API reports inside a successful answer."""
    if answer.get("compilerError"):
        raise ApiError(
            f"{step}: Tag Manager could not compile the workspace (compilerError), so nothing was versioned or "
            "published; open the workspace in GTM and use Preview to find the tag or variable that fails"
        )
    sync = answer.get("syncStatus") or {}
    if sync.get("mergeConflict"):
        raise ConflictError(
            f"{step}: the workspace conflicts with a version published since it was made; resolve the conflicts "
            "in GTM (Workspace > Update), then run gtmgen publish again"
        )
    if sync.get("syncError"):
        raise ApiError(f"{step}: Tag Manager could not bring the workspace up to date with the latest version")


def release(
    api: TagManagerApi,
    workspace: WorkspaceRef,
    name: str,
    notes: str,
    *,
    live: bool,
    previous_live: str | None,
) -> Release:
    """quick_preview (a compile check that changes nothing), create_version, then publish unless `live` is off."""
    check_answer("quick_preview", api.quick_preview(workspace))
    version = _create_version(api, workspace, name, notes)
    version_id = str(version.get("containerVersionId"))
    if live:
        check_answer("publish", api.publish_version(str(version["path"]), version.get("fingerprint")))
    return Release(version_id, name, previous_live, live)


def _create_version(api: TagManagerApi, workspace: WorkspaceRef, name: str, notes: str) -> Json:
    """create_version; when its outcome is unknown, find out (the workspace goes away when it
    worked) instead of sending it again."""
    try:
        created = api.create_version(workspace, name, notes)
    except OutcomeUnknown:
        container = ContainerRef(workspace.account_id, workspace.container_id)
        if any(str(w.get("workspaceId")) == workspace.workspace_id for w in api.list_workspaces(container)):
            created = api.create_version(workspace, name, notes)  # it did not happen: safe to ask again
        else:
            header = api.latest_version_header(container)
            if not header or header.get("name") != name:
                raise
            return dict(header)
    check_answer("create_version", created)
    version = created.get("containerVersion")
    if not version:
        raise ApiError("create_version: the API answered without a container version; nothing was published")
    return dict(version)


def rollback(api: TagManagerApi, container: ContainerRef, version_id: str) -> Json:
    """Publish an earlier version again; returns the version now live."""
    answer = api.publish_version(f"{container.path}/versions/{version_id}", None)
    check_answer("publish", answer)
    return dict(answer.get("containerVersion") or {})
