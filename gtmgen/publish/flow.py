"""The publish flow: target -> read -> plan -> (confirm, in the CLI) -> apply -> version -> publish.

`make_plan` only reads. `publish_plan` writes only when the plan has changes (or the
workspace holds changes not yet versioned): a publish of an unchanged spec sends no write.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from gtmgen.changes import diff_containers
from gtmgen.container import Container
from gtmgen.errors import ApiError, ConflictError, InputError
from gtmgen.publish.apply import ApplyReport, apply_plan, status_drift
from gtmgen.publish.plan import Plan, plan_changes
from gtmgen.publish.protocol import ContainerRef, Json, OutcomeUnknown, TagManagerApi
from gtmgen.publish.read import Snapshot, find_workspace, read_target, read_workspace, snapshot_of_version
from gtmgen.publish.release import Release, release
from gtmgen.spec import GtmTarget

DEFAULT_WORKSPACE = "gtmgen"
FREE_WORKSPACES = 3  # a free container has three workspaces (tagmanager-api.md §2.2)
Note = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Target:
    container: ContainerRef
    workspace_name: str
    public_id: str = ""


def target_of(gtm: GtmTarget, account: str | None, container: str | None, workspace: str | None) -> Target:
    """The spec's `gtm` block, with flags overriding it."""
    account_id = account or gtm.account_id
    container_id = container or gtm.container_id
    for value, what, flag in ((account_id, "account_id", "--account"), (container_id, "container_id", "--container")):
        if not value or value == "0" or not value.isdigit():
            raise InputError(f"no GTM {what}: set gtm.{what} in the spec (digits) or pass {flag}")
    name = workspace or gtm.workspace or DEFAULT_WORKSPACE
    return Target(ContainerRef(account_id, container_id), name, gtm.public_id)


def make_plan(api: TagManagerApi, target: Target, desired: Container) -> Plan:
    """Read the workspace (or the live version it would start from) and plan; reads only."""
    snapshot = read_target(api, target.container, target.workspace_name, target.public_id)
    return plan_changes(snapshot, desired)


@dataclass(frozen=True, slots=True)
class PublishResult:
    outcome: Literal["unchanged", "versioned", "published"]
    release: Release | None = None
    apply: ApplyReport | None = None
    workspace_path: str | None = None


def publish_plan(
    api: TagManagerApi,
    plan: Plan,
    *,
    version: tuple[str, str],
    live: bool,
    unversioned: bool = False,
    note: Note = lambda _: None,
) -> PublishResult:
    """Apply a confirmed plan, create a version and publish it (unless `live` is off).

    `unversioned`: the workspace holds changes never versioned (`has_unversioned_changes`), so a
    plan without writes still ends in a new version.
    """
    if plan.conflicts:
        names = ", ".join(f"{c.kind} {c.name!r}" for c in plan.conflicts)
        raise ConflictError(f"nothing was changed: {len(plan.conflicts)} conflict(s) to settle first: {names}")
    report = None
    if plan.has_writes or unversioned:
        api.check_budget(expected_requests(plan, live=live), "this publish")  # before the first write
    if plan.has_writes:
        existed = plan.snapshot.workspace is not None
        plan = _workspace_for(api, plan, note)
        report = _apply(api, plan, note, check_status=existed)
    elif not unversioned:
        return PublishResult("unchanged")
    workspace = plan.snapshot.workspace
    assert workspace is not None
    made = release(api, workspace, version[0], version[1], live=live, previous_live=_live_id(api, plan))
    return PublishResult("published" if live else "versioned", made, report, workspace.path)


PendingRelease = Literal["unversioned", "not-live"]


def pending_release(api: TagManagerApi, plan: Plan) -> PendingRelease | None:
    """Why the workspace still has to be versioned and published although the plan writes
    nothing, or None: "unversioned" when it holds changes no version has yet (a publish that
    stopped before create_version); "not-live" when it matches the spec while the live version
    does not (a publish that stopped after create_version, or `--no-live`: the new workspace
    starts from that unpublished version)."""
    snapshot = plan.snapshot
    if snapshot.workspace is None:
        return None
    if api.workspace_status(snapshot.workspace).get("workspaceChange"):
        return "unversioned"
    live = api.live_version(snapshot.target)
    live_snapshot = snapshot_of_version(live, snapshot.target, snapshot.workspace_name, snapshot.container.public_id)
    return "not-live" if plan_changes(live_snapshot, plan.desired).has_writes else None


def has_unversioned_changes(api: TagManagerApi, plan: Plan) -> bool:
    """Whether a publish still has work although the plan writes nothing (`pending_release`)."""
    return pending_release(api, plan) is not None


def expected_requests(plan: Plan, *, live: bool) -> int:
    """About how many requests `publish_plan` will send, for the progress line."""
    count = 2 + int(live) + int(not plan.snapshot.live_read)  # [live read], preview, version, [publish]
    if plan.has_writes:
        count += 1 + int(any(c.kind == "builtInVariable" for c in plan.rows("create")))
        count += 1 if plan.snapshot.workspace is not None else 1 + 6  # getStatus; or create + read six kinds
    return count


def _live_id(api: TagManagerApi, plan: Plan) -> str | None:
    if plan.snapshot.live_read:
        return plan.snapshot.live_version_id
    live = api.live_version(plan.snapshot.target)
    return str(live["containerVersionId"]) if live else None


def _workspace_for(api: TagManagerApi, plan: Plan, note: Note) -> Plan:
    """The plan against a real workspace: create it from the latest version when it does not exist."""
    snapshot = plan.snapshot
    if snapshot.workspace is not None:
        return plan
    note(f"creating workspace {snapshot.workspace_name!r}")
    try:
        created = _create_workspace(api, snapshot.target, snapshot.workspace_name)
    except ApiError as error:
        if snapshot.workspace_count >= FREE_WORKSPACES and error.status in (400, 403, 409, 429):
            raise ApiError(
                f"no free workspace: the container already has {snapshot.workspace_count} workspaces, the most a "
                "free GTM container allows; delete one in GTM, or pass --workspace NAME to use an existing one",
                error.status,
            ) from None
        raise
    ref = snapshot.target.workspace(str(created["workspaceId"]))
    fresh = read_workspace(api, ref, snapshot.workspace_name, snapshot.container.public_id)
    fresh = replace(
        fresh,
        live_version_id=snapshot.live_version_id,
        live_read=snapshot.live_read,
        workspace_count=snapshot.workspace_count + 1,
    )
    replanned = plan_changes(fresh, plan.desired)
    if _shown(replanned) == _shown(plan):
        return replanned
    moved = unexplained_changes(plan, fresh)
    if moved:
        raise ConflictError(
            f"the new workspace {snapshot.workspace_name!r} starts from the latest container version, which differs "
            f"from the live version the plan was made from in {', '.join(moved)}, changes gtmgen did not make; "
            "run gtmgen publish again to review the new plan"
        )
    note(
        "the latest container version is not live and already holds part of this spec (a publish that stopped, "
        "or --no-live): it goes live with the rest"
    )
    return replanned


def unexplained_changes(plan: Plan, fresh: Snapshot) -> list[str]:
    """Entities in which `fresh` differs from what the plan was read from, other than by gtmgen's
    own work toward this spec (an entity now as the spec wants it, or gone where the plan deletes
    it): someone else's changes, which a publish must not carry live unseen."""
    settled = {(c.kind, c.name) for c in plan_changes(fresh, plan.desired).rows("keep")}
    settled |= {(c.kind, c.name) for c in plan.rows("delete")}
    return [
        f"{c.kind} {c.name!r}"
        for c in diff_containers(plan.snapshot.container, fresh.container).changes
        if c.action != "keep" and c.kind != "builtInVariable" and (c.kind, c.name) not in settled
    ]


def _create_workspace(api: TagManagerApi, target: ContainerRef, name: str) -> Json:
    """Create the workspace; when the outcome is unknown, look for it by name before asking again."""
    try:
        return api.create_workspace(target, name, "Managed by gtmgen")
    except OutcomeUnknown:
        found = find_workspace(api.list_workspaces(target), name)
        return found if found is not None else api.create_workspace(target, name, "Managed by gtmgen")


def _shown(plan: Plan) -> list[tuple[str, str, str, tuple[object, ...]]]:
    return [(c.action, c.kind, c.name, c.fields) for c in plan.changes.changes if c.action != "keep"]


def _apply(api: TagManagerApi, plan: Plan, note: Note, *, check_status: bool) -> ApplyReport:
    """Apply; first, for a workspace that existed before this run, one getStatus checks that
    nothing the plan touches moved since the read (the time a person took to confirm)."""
    workspace = plan.snapshot.workspace
    assert workspace is not None
    moved = status_drift(plan, api.workspace_status(workspace)) if check_status else []
    if moved:
        raise ConflictError(
            "changed by someone else since gtmgen read the workspace, so gtmgen did not overwrite it: "
            + ", ".join(moved)
            + "; run gtmgen plan to see the new state"
        )
    name, public_id = plan.snapshot.workspace_name, plan.snapshot.container.public_id
    return apply_plan(api, plan, lambda: read_workspace(api, workspace, name, public_id), note)
