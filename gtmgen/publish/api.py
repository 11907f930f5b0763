"""The Tag Manager API through google-api-python-client: the only module that imports it.

`GoogleTagManagerApi` implements `TagManagerApi`. Every request goes through the `Pacer`
(quota pacing and polite retries) and every error is turned into gtmgen's error tree with a
message that says what to do. Writes are never repeated after an unknown outcome: httplib2's
own silent re-send of a POST on a closed connection is switched off (tagmanager-api.md §6),
and a 5xx or broken connection on a write raises `OutcomeUnknown` for the caller to settle by
re-reading.
"""

from __future__ import annotations

import datetime
import email.utils
import http.client
import json
import socket
from collections.abc import Callable, Sequence
from typing import Any

import google_auth_httplib2  # type: ignore[import-untyped]
import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

from gtmgen.container import EntityKind
from gtmgen.errors import ApiError, AuthError, ConflictError
from gtmgen.publish.auth import Purpose, load_credentials
from gtmgen.publish.pacing import Pacer, PacingPolicy, Retry
from gtmgen.publish.protocol import ContainerRef, Json, OutcomeUnknown, WorkspaceRef

COLLECTION_BY_KIND: dict[EntityKind, str] = {
    "folder": "folders",
    "customTemplate": "templates",
    "variable": "variables",
    "trigger": "triggers",
    "tag": "tags",
    "builtInVariable": "built_in_variables",
}
LIST_KEY_BY_KIND: dict[EntityKind, str] = {
    "folder": "folder",
    "customTemplate": "template",
    "variable": "variable",
    "trigger": "trigger",
    "tag": "tag",
    "builtInVariable": "builtInVariable",
}
RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
NETWORK_ERRORS = (OSError, socket.timeout, http.client.HTTPException, httplib2.HttpLib2Error)


class ResendRefused(ConnectionError):
    """httplib2 tried to send a POST a second time on a fresh connection."""


class _SendOnce:
    """Wraps an http.client connection so a request can be sent on it only once."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._sent = False

    def request(self, *args: Any, **kwargs: Any) -> Any:
        if self._sent:
            raise ResendRefused("the server closed the connection without an answer")
        self._sent = True
        return self._connection.request(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)


class NoResendHttp(httplib2.Http):  # type: ignore[misc]
    """httplib2.Http that never silently re-sends a non-idempotent request."""

    def _conn_request(self, conn: Any, request_uri: str, method: str, body: Any, headers: Any) -> Any:
        if method in ("POST", "PATCH"):
            conn = _SendOnce(conn)
        return super()._conn_request(conn, request_uri, method, body, headers)


def build_http(credentials: Any | None, timeout: float = 60.0) -> Any:
    """An httplib2 transport without proxy discovery (tagmanager-api.md §5), authorised if asked."""
    base = NoResendHttp(proxy_info=None, timeout=timeout)
    return base if credentials is None else google_auth_httplib2.AuthorizedHttp(credentials, http=base)


def build_service(endpoint: str | None, credentials: Any | None, timeout: float = 60.0) -> Any:
    """The discovery-based client, from the document bundled with the library (no network)."""
    options = {"api_endpoint": endpoint} if endpoint else None
    return build(
        "tagmanager",
        "v2",
        http=build_http(credentials, timeout),
        client_options=options,
        static_discovery=True,
        cache_discovery=False,
    )


# ---------------------------------------------------------------- errors


def error_details(error: HttpError) -> tuple[str, str, str]:
    """(message, legacy reason, google.rpc status) of an API error body, each possibly empty."""
    try:
        body = json.loads(error.content.decode("utf-8", "replace")).get("error", {})
    except (ValueError, AttributeError):
        return (str(error.content[:200]), "", "")
    reasons = [str(e.get("reason", "")) for e in body.get("errors") or () if isinstance(e, dict)]
    return str(body.get("message", "")), (reasons[0] if reasons else ""), str(body.get("status", ""))


def _retry_after(error: HttpError) -> float | None:
    """Retry-After in seconds: a number, or an HTTP date (RFC 9110 §10.2.3)."""
    value = error.resp.get("retry-after") if error.resp is not None else None
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


def _is_quota(status: int, message: str, reason: str, rpc: str) -> bool:
    if status == 429:
        return True
    return status == 403 and (
        reason in RATE_LIMIT_REASONS or rpc == "RESOURCE_EXHAUSTED" or "Quota exceeded" in message
    )


def classify(error: HttpError, label: str, idempotent: bool) -> Exception:
    """The gtmgen error (or `Retry`) for an HTTP error answer."""
    status = int(error.resp.status)
    message, reason, rpc = error_details(error)
    if _is_quota(status, message, reason, rpc):
        return Retry(f"HTTP {status}: {message or 'quota exceeded'}", _retry_after(error), quota=True)
    if status >= 500:
        if idempotent:
            return Retry(f"HTTP {status}: {message or 'server error'}")
        return OutcomeUnknown(
            f"{label}: the API failed with HTTP {status} ({message}); the change may or may not have been made", status
        )
    return _client_error(status, message, reason, label)


def _client_error(status: int, message: str, reason: str, label: str) -> ApiError:
    said = f" (the API said: {message})" if message else ""
    if status == 401:
        return AuthError(
            f"{label}: the credentials were refused (HTTP 401){said}; check --credentials or run "
            "`gtmgen auth login` again",
            status,
        )
    if status == 403 and (reason == "accessNotConfigured" or "has not been used" in message or "disabled" in message):
        return AuthError(
            f"{label}: the Tag Manager API is not enabled in the credentials' Google Cloud project; "
            f"enable it under APIs & Services > Library > Tag Manager API{said}",
            status,
        )
    if status == 403 and ("scope" in message or reason == "insufficientPermissions"):
        return AuthError(
            f"{label}: the credentials lack the OAuth scope this call needs{said}; run `gtmgen auth "
            "login` again, or give the service account the scope",
            status,
        )
    if status == 403:
        return AuthError(
            f"{label}: permission denied{said}; in GTM Admin > User Management give the account "
            "Publish permission on the container (Approve to create versions, Edit to change "
            "the workspace)",
            status,
        )
    if status == 404:
        return AuthError(
            f"{label}: not found or permission denied (HTTP 404); check the account and container "
            "ids, and that the credentials' account (a service account's client_email) has been "
            "added as a user in GTM Admin > User Management",
            status,
        )
    if status in (409, 412) or "fingerprint" in message.lower():
        return ConflictError(f"{label}: changed by someone else since gtmgen read it{said}", status)
    return ApiError(f"{label}: the API refused the request (HTTP {status}){said}", status)


# ---------------------------------------------------------------- the adapter


def _lister(collection: Any, token: str | None, params: dict[str, Any]) -> Callable[[], Any]:
    return lambda: collection.list(pageToken=token, **params)


class GoogleTagManagerApi:
    """`TagManagerApi` over a googleapiclient service object."""

    def __init__(self, service: Any, pacer: Pacer) -> None:
        self._service = service
        self.pacer = pacer
        self._writes = 0

    @property
    def requests_sent(self) -> int:
        return self.pacer.sent

    @property
    def writes_sent(self) -> int:
        return self._writes

    def check_budget(self, requests: int, what: str) -> None:
        self.pacer.check_budget(requests, what)

    def _containers(self) -> Any:
        return self._service.accounts().containers()

    def _workspaces(self) -> Any:
        return self._containers().workspaces()

    def _collection(self, kind: EntityKind) -> Any:
        return getattr(self._workspaces(), COLLECTION_BY_KIND[kind])()

    def _execute(self, label: str, make: Callable[[], Any], *, write: bool, idempotent: bool | None = None) -> Json:
        safe = not write if idempotent is None else idempotent

        def attempt() -> Json:
            request = make()
            if write:
                self._writes += 1
            try:
                return request.execute(num_retries=0) or {}
            except HttpError as error:
                raise classify(error, label, safe) from None
            except RefreshError as error:
                raise AuthError(f"{label}: could not get an access token with these credentials ({error})") from None
            except TransportError as error:
                raise AuthError(
                    f"{label}: could not reach the token endpoint to get an access token ({error})"
                ) from None
            except NETWORK_ERRORS as error:
                if safe:
                    raise Retry(f"connection failed: {error}") from None
                raise OutcomeUnknown(
                    f"{label}: the connection failed before the API answered ({error}); "
                    "the change may or may not have been made"
                ) from None

        return self.pacer.call(label, attempt)

    def _all_pages(self, label: str, collection: Any, key: str, **params: Any) -> list[Json]:
        items: list[Json] = []
        token: str | None = None
        while True:
            page = self._execute(label, _lister(collection, token, params), write=False)
            items.extend(page.get(key) or ())
            token = page.get("nextPageToken")
            if not token:
                return items

    def list_workspaces(self, container: ContainerRef) -> list[Json]:
        return self._all_pages("list workspaces", self._workspaces(), "workspace", parent=container.path)

    def create_workspace(self, container: ContainerRef, name: str, description: str) -> Json:
        body = {"name": name, "description": description}
        return self._execute(
            f"create workspace {name!r}",
            lambda: self._workspaces().create(parent=container.path, body=body),
            write=True,
        )

    def list_entities(self, workspace: WorkspaceRef, kind: EntityKind) -> list[Json]:
        label = f"list {COLLECTION_BY_KIND[kind]}"
        return self._all_pages(label, self._collection(kind), LIST_KEY_BY_KIND[kind], parent=workspace.path)

    def create_entity(self, workspace: WorkspaceRef, kind: EntityKind, body: Json) -> Json:
        label = f"create {kind} {body.get('name')!r}"
        return self._execute(label, lambda: self._collection(kind).create(parent=workspace.path, body=body), write=True)

    def update_entity(self, path: str, kind: EntityKind, body: Json, fingerprint: str) -> Json:
        label = f"update {kind} {body.get('name')!r}"
        # A PUT with the fingerprint read in this run: repeating it cannot overwrite a newer edit.
        return self._execute(
            label,
            lambda: self._collection(kind).update(path=path, fingerprint=fingerprint, body=body),
            write=True,
            idempotent=True,
        )

    def delete_entity(self, path: str, kind: EntityKind) -> None:
        self._execute(f"delete {kind} {path}", lambda: self._collection(kind).delete(path=path), write=True)

    def enable_built_ins(self, workspace: WorkspaceRef, types: Sequence[str]) -> list[Json]:
        answer = self._execute(
            "enable built-in variables",
            lambda: self._workspaces().built_in_variables().create(parent=workspace.path, type=list(types)),
            write=True,
            idempotent=True,  # enabling an enabled built-in changes nothing
        )
        return list(answer.get("builtInVariable") or ())

    def bulk_update(self, workspace: WorkspaceRef, changes: list[Json]) -> list[Json]:
        body = {"changes": changes}
        answer = self._execute(
            f"bulk_update ({len(changes)} changes)",
            lambda: self._workspaces().bulk_update(path=workspace.path, body=body),
            write=True,
        )
        return list(answer.get("changes") or ())

    def workspace_status(self, workspace: WorkspaceRef) -> Json:
        return self._execute("workspace status", lambda: self._workspaces().getStatus(path=workspace.path), write=False)

    def quick_preview(self, workspace: WorkspaceRef) -> Json:
        return self._execute(
            "quick_preview",
            lambda: self._workspaces().quick_preview(path=workspace.path),
            write=True,
            idempotent=True,  # builds a throw-away preview; the workspace stays as it is
        )

    def create_version(self, workspace: WorkspaceRef, name: str, notes: str) -> Json:
        body = {"name": name, "notes": notes}
        return self._execute(
            "create_version", lambda: self._workspaces().create_version(path=workspace.path, body=body), write=True
        )

    def publish_version(self, version_path: str, fingerprint: str | None) -> Json:
        versions = self._containers().versions()
        params = {"fingerprint": fingerprint} if fingerprint else {}
        # Publishing one version twice leaves the same version live: safe to repeat.
        return self._execute(
            "publish", lambda: versions.publish(path=version_path, **params), write=True, idempotent=True
        )

    def latest_version_header(self, container: ContainerRef) -> Json | None:
        try:
            return self._execute(
                "read the latest version header",
                lambda: self._containers().version_headers().latest(parent=container.path),
                write=False,
            )
        except AuthError as error:
            if error.status == 404:
                return None
            raise

    def live_version(self, container: ContainerRef) -> Json | None:
        try:
            return self._execute(
                "read the live version",
                lambda: self._containers().versions().live(parent=container.path),
                write=False,
            )
        except AuthError as error:
            if error.status == 404:  # no version was ever published
                return None
            raise


def connect(
    endpoint: str | None, credentials: str | None, purpose: Purpose, policy: PacingPolicy
) -> GoogleTagManagerApi:
    """A paced client for `purpose`'s scopes: `credentials` is a file, `none`, or None for the defaults."""
    found = load_credentials(credentials, purpose, endpoint)
    return GoogleTagManagerApi(build_service(endpoint, found), Pacer(policy))
