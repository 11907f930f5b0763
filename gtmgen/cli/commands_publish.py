"""Commands that talk to the Tag Manager API: plan, publish, rollback, auth.

googleapiclient is imported only inside these commands (through gtmgen.publish.api), so
`gtmgen validate` and `gtmgen build` never load it.
"""

from __future__ import annotations

import enum
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gtmgen.cli.app import command, load_spec_noting_warnings
from gtmgen.errors import ExitCode, InputError

if TYPE_CHECKING:
    from gtmgen.publish.api import GoogleTagManagerApi
    from gtmgen.publish.auth import Purpose
    from gtmgen.publish.flow import PublishResult, Target
    from gtmgen.publish.plan import Plan
    from gtmgen.spec import SiteSpec


class PlanFormat(str, enum.Enum):
    text = "text"
    json = "json"


class AuthAction(str, enum.Enum):
    login = "login"
    logout = "logout"


SpecArg = Annotated[Path, typer.Argument(help="The site's tracking spec (YAML).")]
AccountOpt = Annotated[str | None, typer.Option("--account", help="GTM account id (overrides gtm.account_id).")]
ContainerOpt = Annotated[str | None, typer.Option("--container", help="GTM container id (overrides gtm.container_id).")]
WorkspaceOpt = Annotated[
    str | None,
    typer.Option("--workspace", help="Workspace name or id (overrides gtm.workspace; default: gtmgen)."),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        "--api-endpoint",
        envvar="GTMGEN_API_ENDPOINT",
        help="Tag Manager API root URL, e.g. the emulator's http://127.0.0.1:8085/.",
    ),
]
CredentialsOpt = Annotated[
    str | None,
    typer.Option(
        "--credentials",
        envvar="GTMGEN_CREDENTIALS",
        help="Service-account key or authorized-user JSON file; 'none' for a local emulator. "
        "Default: the `gtmgen auth login` token, then Application Default Credentials.",
    ),
]
QpsOpt = Annotated[
    str | None,
    typer.Option("--qps", envvar="GTMGEN_QPS", help="Requests per second to stay under (default 0.25; 0: no limit)."),
]
DeadlineOpt = Annotated[
    float, typer.Option("--deadline", help="Give up when waiting for the quota would pass this many seconds.")
]
DEFAULT_DEADLINE = 3600.0


def _say(message: str) -> None:
    typer.echo(f"gtmgen: {message}", err=True)


@dataclass(frozen=True, slots=True)
class Connection:
    """The options that say how to reach the Tag Manager API (every command here takes them)."""

    endpoint: str | None
    credentials: str | None
    qps: str | None
    deadline: float

    def open(self, purpose: Purpose) -> GoogleTagManagerApi:
        """A paced API client with credentials for `purpose` (and no wider scope)."""
        from gtmgen.publish.api import connect
        from gtmgen.publish.pacing import PacingPolicy, qps_from

        policy = PacingPolicy(qps=qps_from(self.qps), deadline=self.deadline)
        return connect(self.endpoint, self.credentials, purpose, policy)


def _target(spec: SiteSpec, account: str | None, container: str | None, workspace: str | None) -> Target:
    from gtmgen.publish.flow import target_of

    return target_of(spec.gtm, account, container, workspace)


def _compile_and_plan(
    spec_path: Path, ids: tuple[str | None, str | None, str | None], connection: Connection, purpose: Purpose
) -> tuple[SiteSpec, GoogleTagManagerApi, Plan]:
    """Compile the spec, resolve its target (`ids`: account, container, workspace flags), connect, plan."""
    from gtmgen.build import compile_checked
    from gtmgen.publish.flow import make_plan

    spec = load_spec_noting_warnings(spec_path)
    desired = compile_checked(spec, str(spec_path))
    target = _target(spec, *ids)
    api = connection.open(purpose)
    return spec, api, make_plan(api, target, desired)


def _requests_line(api: GoogleTagManagerApi) -> str:
    retried = f", {api.pacer.retried} retried" if api.pacer.retried else ""
    return f"API requests: {api.requests_sent} ({api.writes_sent} writes{retried})"


def _plan_text(plan: Plan) -> str:
    from gtmgen.changes import render_text

    header = f"Plan for {plan.snapshot.target.path}, read from {plan.snapshot.source}:"
    return f"{header}\n\n{render_text(plan.changes)}"


def _plan_json(plan: Plan, api: GoogleTagManagerApi, pending: str | None) -> str:
    from gtmgen.changes import render_json

    data = json.loads(render_json(plan.changes))
    data["summary"] = {"leave": 0, "conflict": 0} | data["summary"]
    target = {"account_id": plan.snapshot.target.account_id, "container_id": plan.snapshot.target.container_id}
    target |= {"workspace": plan.snapshot.workspace_name, "source": plan.snapshot.source}
    out = {"target": target} | data
    out["pending_release"] = pending  # "unversioned" or "not-live": publish has work although nothing changes
    out["requests"] = {"total": api.requests_sent, "writes": api.writes_sent}
    return json.dumps(out, indent=2, ensure_ascii=False)


@command("plan")
def plan(
    spec_path: SpecArg,
    output_format: Annotated[PlanFormat, typer.Option("--format", "-f", help="Output format.")] = PlanFormat.text,
    detailed_exitcode: Annotated[
        bool, typer.Option("--detailed-exitcode", help="Exit 3 when there are changes (0 when there are none).")
    ] = False,
    account: AccountOpt = None,
    container: ContainerOpt = None,
    workspace: WorkspaceOpt = None,
    api_endpoint: EndpointOpt = None,
    credentials: CredentialsOpt = None,
    qps: QpsOpt = None,
    deadline: DeadlineOpt = DEFAULT_DEADLINE,
) -> None:
    """Show what `publish` would change in the GTM workspace, without changing anything (read-only scope)."""
    from gtmgen.publish.flow import pending_release

    connection = Connection(api_endpoint, credentials, qps, deadline)
    _, api, result = _compile_and_plan(spec_path, (account, container, workspace), connection, "read")
    pending = None if result.changes.has_changes else pending_release(api, result)
    typer.echo(_plan_json(result, api, pending) if output_format is PlanFormat.json else _plan_text(result))
    if pending is not None:
        _say(_pending_note(pending))
    _say(_requests_line(api))
    if detailed_exitcode and (result.changes.has_changes or pending is not None):
        raise typer.Exit(int(ExitCode.CHANGES_PENDING))  # an answer, not an error: no error line


_PENDING_RELEASE = {
    "unversioned": "the workspace already holds these changes, but no version has them yet",
    "not-live": "the workspace already matches the spec, but the live version does not",
}


def _pending_note(pending: str) -> str:
    return f"{_PENDING_RELEASE[pending]}: `gtmgen publish` versions and publishes it"


def _without_writes(api: GoogleTagManagerApi, pending: str | None, *, dry_run: bool) -> None:
    """The end of a publish that writes nothing: a dry run notes pending work as `plan` does."""
    if not dry_run:
        typer.echo("Nothing to publish: the container already matches the spec.")
    elif pending is not None:
        _say(_pending_note(pending))
    _say(_requests_line(api))


def _interactive() -> bool:
    return sys.stdin.isatty()


def _confirmed(yes: bool, question: str) -> bool:
    if yes:
        return True
    if not _interactive():
        _say("not confirmed: there is no terminal to ask on; pass --yes to go ahead without asking")
        raise typer.Exit(int(ExitCode.USAGE))
    return typer.confirm(question, default=False, err=True)


def _progress(api: GoogleTagManagerApi, expected: int) -> None:
    """A progress line per request on stderr: a bar, the step, and the expected time left."""
    start = api.requests_sent
    pause = api.pacer.seconds_per_request()

    def show(label: str) -> None:
        done = min(api.requests_sent - start, expected)
        filled = round(20 * done / expected) if expected else 20
        left = (expected - done) * pause
        eta = f", about {left:.0f} s left" if left else ""
        _say(f"[{'#' * filled}{'.' * (20 - filled)}] {done}/{expected} {label}{eta}")

    api.pacer.listener = show


def _report(result: PublishResult, spec_path: Path) -> None:
    if result.outcome == "unchanged":
        typer.echo("Nothing to publish: the container already matches the spec.")
        return
    made = result.release
    assert made is not None
    was = f"version {made.previous_live_version_id}" if made.previous_live_version_id else "no version"
    if result.outcome == "versioned":
        typer.echo(f"Created version {made.version_id} {made.version_name!r}; not published ({was} stays live).")
        return
    typer.echo(f"Published version {made.version_id} {made.version_name!r}; before it, {was} was live.")
    if made.previous_live_version_id:
        typer.echo(f"Roll back with: gtmgen rollback {spec_path} {made.previous_live_version_id}")


@command("publish")
def publish(
    spec_path: SpecArg,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    no_live: Annotated[bool, typer.Option("--no-live", help="Create the version but do not publish it.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only show the plan (same as `gtmgen plan`).")] = False,
    account: AccountOpt = None,
    container: ContainerOpt = None,
    workspace: WorkspaceOpt = None,
    api_endpoint: EndpointOpt = None,
    credentials: CredentialsOpt = None,
    qps: QpsOpt = None,
    deadline: DeadlineOpt = DEFAULT_DEADLINE,
) -> None:
    """Apply the spec to the GTM workspace, create a version and publish it, after showing the plan."""
    from gtmgen.publish.flow import pending_release

    purpose: Purpose = "read" if dry_run else ("version" if no_live else "publish")
    connection = Connection(api_endpoint, credentials, qps, deadline)
    spec, api, planned = _compile_and_plan(spec_path, (account, container, workspace), connection, purpose)
    typer.echo(_plan_text(planned))
    pending = None if planned.has_writes else pending_release(api, planned)
    unversioned = pending is not None
    if dry_run or not (planned.has_writes or unversioned or planned.conflicts):
        _without_writes(api, pending, dry_run=dry_run)
        return
    if pending is not None:
        then = "a new version will be created and published" if not no_live else "a new version will be created"
        typer.echo(f"{_PENDING_RELEASE[pending][0].upper()}{_PENDING_RELEASE[pending][1:]}: {then}.")
    action = "create a version" if no_live else "publish"
    if not planned.conflicts and not _confirmed(yes, f"Apply these changes and {action}?"):
        typer.echo("Nothing was changed.")
        raise typer.Exit(int(ExitCode.INVALID_INPUT))
    _report(_apply_confirmed(api, planned, spec, spec_path, live=not no_live, unversioned=unversioned), spec_path)


def _apply_confirmed(
    api: GoogleTagManagerApi, planned: Plan, spec: SiteSpec, spec_path: Path, *, live: bool, unversioned: bool
) -> PublishResult:
    from gtmgen.changes import summary_line
    from gtmgen.publish.flow import expected_requests, publish_plan
    from gtmgen.publish.release import git_commit, version_text

    _progress(api, expected_requests(planned, live=live))
    version = version_text(spec.site.name, spec_path, summary_line(planned.changes), git_commit(spec_path))
    try:
        return publish_plan(api, planned, version=version, live=live, unversioned=unversioned, note=_say)
    finally:
        api.pacer.listener = None
        _say(_requests_line(api))


@command("rollback")
def rollback(
    spec_path: SpecArg,
    version_id: Annotated[str, typer.Argument(help="The container version to make live again.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    account: AccountOpt = None,
    container: ContainerOpt = None,
    api_endpoint: EndpointOpt = None,
    credentials: CredentialsOpt = None,
    qps: QpsOpt = None,
    deadline: DeadlineOpt = DEFAULT_DEADLINE,
) -> None:
    """Publish an earlier container version again (the version `publish` printed as previously live)."""
    from gtmgen.publish.release import rollback as publish_again

    spec = load_spec_noting_warnings(spec_path)
    target = _target(spec, account, container, None)
    if not version_id.isdigit():
        raise InputError(f"a container version id is a number, got {version_id!r}")
    if not _confirmed(yes, f"Publish version {version_id} of {target.container.path} again?"):
        typer.echo("Nothing was changed.")
        raise typer.Exit(int(ExitCode.INVALID_INPUT))
    api = Connection(api_endpoint, credentials, qps, deadline).open("rollback")
    live = publish_again(api, target.container, version_id)
    _say(_requests_line(api))
    typer.echo(f"Version {live.get('containerVersionId', version_id)} is live again.")


@command("auth")
def auth(
    action: Annotated[AuthAction, typer.Argument(help="login: sign in and cache a token; logout: delete it.")],
    client_secrets: Annotated[
        Path | None,
        typer.Option("--client-secrets", help="OAuth client secrets JSON of a Desktop app (Google Cloud console)."),
    ] = None,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the sign-in URL instead of opening it.")
    ] = False,
) -> None:
    """Sign in with a Google account (installed-app OAuth flow) or forget the cached token."""
    from gtmgen.publish import auth as credentials

    if action is AuthAction.logout:
        path = credentials.token_path()
        path.unlink(missing_ok=True)
        typer.echo(f"Removed {path}.")
        return
    if client_secrets is None:
        raise InputError("auth login needs --client-secrets FILE (an OAuth client of type Desktop app)")
    path = credentials.login(client_secrets, open_browser=not no_browser)
    typer.echo(f"Signed in; the token is cached in {path} (readable by you only).")
