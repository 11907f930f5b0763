"""A local Tag Manager API v2 emulator: a threaded HTTP server on 127.0.0.1 for tests and CI.

It answers the methods gtmgen uses (workspaces, tags, triggers, variables, folders,
templates, built-in variables, bulk_update, getStatus, quick_preview, create_version,
versions publish/live/get) with the API's paths, bodies and lowerCamel enums, taken from the
discovery document bundled with google-api-python-client. State lives in memory. It counts
requests, can answer 429 above a rate limit, and injects faults: error statuses, 429 with or
without Retry-After, dropped connections (before or after doing the work) and edits made
"by someone else" just before a request runs.

    python -m gtmgen.testing.emulator --port 8085 --container 6001234567/201234567

A separate process is steered over HTTP and by `--fault` options (`gtmgen.testing.control`).
"""

from __future__ import annotations

import base64
import collections
import json
import math
import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gtmgen.container import BUILT_IN_VARIABLE_NAMES_BY_TYPE
from gtmgen.testing.answers import DROP, Answer, Fault, error_answer, quota_answer, rpc_status
from gtmgen.testing.apischema import Route, body_problems, match_route
from gtmgen.testing.control import PROGRAM, control_answer, listen_problem, read_options
from gtmgen.testing.tagmanager import FakeTagManager
from gtmgen.testing.tagmanager_state import ApiFailure, Json

__all__ = ["Emulator", "Fault", "LoggedRequest", "main"]

PREFIX = "/tagmanager/v2/"
ALL_SCOPES = ("https://www.googleapis.com/auth/tagmanager.edit.containers",)
LIST_KEY_BY_COLLECTION = {
    "tags": "tag",
    "triggers": "trigger",
    "variables": "variable",
    "folders": "folder",
    "templates": "template",
}
_NAME_BY_API_TYPE = {
    "".join(w.capitalize() if i else w.lower() for i, w in enumerate(t.split("_"))): n
    for t, n in BUILT_IN_VARIABLE_NAMES_BY_TYPE.items()
}


@dataclass(frozen=True, slots=True)
class LoggedRequest:
    http_method: str
    path: str
    method_id: str
    status: int  # 0: the connection was dropped
    body: Any = None  # the parsed JSON request body, if any


class Emulator:
    """The server and its knobs. Use as a context manager; `endpoint` is the URL to point gtmgen at."""

    def __init__(
        self,
        *,
        page_size: int = 10,
        max_workspaces: int = 3,
        fault_rate: float = 0.0,
        fault_statuses: tuple[int, ...] = (429, 500),
        seed: int = 0,
        rate_limit: tuple[int, float] | None = None,
        rate_limit_retry_after: bool = True,
        require_auth: bool = False,
    ) -> None:
        self.api = FakeTagManager(max_workspaces=max_workspaces)
        self.page_size = page_size
        self.fault_rate, self.fault_statuses, self.random = fault_rate, fault_statuses, random.Random(seed)
        self.rate_limit, self.rate_limit_retry_after = rate_limit, rate_limit_retry_after
        self.require_auth = require_auth
        self.faults: list[Fault] = []
        self.hooks: list[tuple[str, Callable[[FakeTagManager], None]]] = []
        self.log: list[LoggedRequest] = []
        self.tokens: dict[str, tuple[str, ...]] = {}
        self._recent: collections.deque[float] = collections.deque()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self, port: int = 0) -> Emulator:
        server = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        server.daemon_threads = True
        server.emulator = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="gtm-emulator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Emulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def endpoint(self) -> str:
        assert self._server is not None, "the emulator is not running"
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    # ------------------------------------------------------------ what tests look at

    def on(self, method: str, hook: Callable[[FakeTagManager], None]) -> None:
        """Run `hook` once, just before the next request whose method id ends with `method`."""
        self.hooks.append((method, hook))

    def count(self, *, writes_only: bool = False, method: str = "") -> int:
        return sum(
            1
            for r in self.log
            if r.method_id.endswith(method) and (not writes_only or r.http_method != "GET") and r.path != "/token"
        )

    # ------------------------------------------------------------ request handling

    def handle(self, http_method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer | object:
        url = urlsplit(target)
        query = parse_qs(url.query, keep_blank_values=True)
        if url.path == "/token":
            return self._token(body)
        if url.path.startswith("/_emulator/"):
            return control_answer(self, http_method, url.path, query, body)
        start = url.path.find(PREFIX)
        found = match_route(http_method, url.path[start:]) if start >= 0 else None
        if found is None:
            return self._logged(http_method, url.path, "?", error_answer(404, "Not Found", "notFound", "NOT_FOUND"))
        route, params = found
        answer = self._answer(route, params, query, headers, body)
        return self._logged(http_method, url.path, route.method_id, answer, body)

    def _logged(
        self, http_method: str, path: str, method_id: str, answer: Answer | object, raw: bytes = b""
    ) -> Answer | object:
        status = answer.status if isinstance(answer, Answer) else 0
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.log.append(LoggedRequest(http_method, path, method_id, status, body))
        return answer

    def _answer(
        self, route: Route, params: dict[str, str], query: dict[str, list[str]], headers: Mapping[str, str], raw: bytes
    ) -> Answer | object:
        refused = self._auth_problem(route, headers) or self._throttled()
        if refused is not None:
            return refused
        fault = self._fault(route.method_id)
        if fault is not None and not fault.after:
            return self._fault_answer(fault)
        for method, hook in list(self.hooks):
            if route.method_id.endswith(method):
                self.hooks.remove((method, hook))
                with self.api.lock:
                    hook(self.api)
        answer = self._run(route, params, query, raw)
        return self._fault_answer(fault) if fault is not None else answer

    def _run(self, route: Route, params: dict[str, str], query: dict[str, list[str]], raw: bytes) -> Answer:
        try:
            body = json.loads(raw) if raw else {}
        except json.JSONDecodeError:
            return error_answer(400, "Invalid JSON payload received.", "parseError", "INVALID_ARGUMENT")
        if route.request_schema:
            problems = body_problems(route.request_schema, body)
            if problems:
                return error_answer(400, "; ".join(problems), "invalid", "INVALID_ARGUMENT")
        try:
            with self.api.lock:
                result = self._dispatch(route.method_id, params, query, body)
        except ApiFailure as failure:
            return error_answer(failure.status, failure.message, failure.reason, failure.rpc)
        return Answer(200, result)

    def _dispatch(self, method_id: str, params: dict[str, str], query: dict[str, list[str]], body: Json) -> Json:
        api, path, parent = self.api, params.get("path", ""), params.get("parent", "")
        fingerprint = query["fingerprint"][0] if query.get("fingerprint") else None
        *_, resource, verb = method_id.split(".")
        if resource in LIST_KEY_BY_COLLECTION:
            return self._entity_method(verb, resource, path, parent, body, fingerprint, query)
        simple: dict[str, Callable[[], Json | None]] = {
            "workspaces.list": lambda: self._page("workspace", api.list_workspaces(parent), query),
            "workspaces.create": lambda: api.create_workspace(parent, body),
            "workspaces.get": lambda: api.get_workspace(path),
            "workspaces.delete": lambda: api.delete_workspace(path),
            "workspaces.getStatus": lambda: api.status(path),
            "workspaces.quick_preview": lambda: api.quick_preview(path),
            "workspaces.create_version": lambda: api.create_version(path, body),
            "workspaces.bulk_update": lambda: api.bulk_update(path, body),
            "built_in_variables.list": lambda: self._page("builtInVariable", api.list_built_ins(parent), query),
            "built_in_variables.create": lambda: api.enable_built_ins(parent, query.get("type", []), _NAME_BY_API_TYPE),
            "built_in_variables.delete": lambda: api.disable_built_ins(path, query.get("type", [])),
            "versions.live": lambda: api.live(parent),
            "versions.get": lambda: api.get_version(path),
            "versions.publish": lambda: api.publish(path, fingerprint),
            "version_headers.latest": lambda: api.latest_header(parent),
            "containers.get": lambda: _container_json(api, path),
        }
        handler = simple.get(f"{resource}.{verb}")
        if handler is None:
            raise ApiFailure(
                501, f"{method_id} is not implemented by the gtmgen emulator", "notImplemented", "UNIMPLEMENTED"
            )
        return handler() or {}

    def _entity_method(
        self,
        verb: str,
        collection: str,
        path: str,
        parent: str,
        body: Json,
        fingerprint: str | None,
        query: dict[str, list[str]],
    ) -> Json:
        api = self.api
        if verb == "list":
            return self._page(LIST_KEY_BY_COLLECTION[collection], api.list_entities(parent, collection), query)
        if verb == "create":
            return api.create_entity(parent, collection, body)
        if verb == "get":
            return api.get_entity(path)
        if verb == "update":
            return api.update_entity(path, body, fingerprint)
        if verb == "delete":
            api.delete_entity(path)
            return {}
        raise ApiFailure(501, f"{collection}.{verb} is not implemented by the gtmgen emulator", "notImplemented")

    def _page(self, key: str, items: list[Json], query: dict[str, list[str]]) -> Json:
        token = (query.get("pageToken") or ["0"])[0]
        start = int(token) if token.isdigit() else 0
        page: Json = {key: items[start : start + self.page_size]} if items[start : start + self.page_size] else {}
        if start + self.page_size < len(items):
            page["nextPageToken"] = str(start + self.page_size)
        return page

    # ------------------------------------------------------------ auth, quota, faults

    def _auth_problem(self, route: Route, headers: Mapping[str, str]) -> Answer | None:
        authorization = headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
        if not token:
            if not self.require_auth:
                return None
            message = "Request is missing required authentication credential."
            return error_answer(401, message, "required", "UNAUTHENTICATED")
        scopes = self.tokens.get(token)
        if scopes is None:
            return error_answer(401, "Request had invalid authentication credentials.", "authError", "UNAUTHENTICATED")
        if not set(scopes) & set(route.scopes):
            message = "Request had insufficient authentication scopes."
            return error_answer(403, message, "insufficientPermissions", "PERMISSION_DENIED")
        return None

    def _throttled(self) -> Answer | None:
        if self.rate_limit is None:
            return None
        limit, window = self.rate_limit
        now = time.monotonic()
        while self._recent and self._recent[0] <= now - window:
            self._recent.popleft()
        if len(self._recent) < limit:
            self._recent.append(now)
            return None
        answer = quota_answer()
        if self.rate_limit_retry_after:
            answer.headers["Retry-After"] = str(max(1, math.ceil(self._recent[0] + window - now)))
        return answer

    def _fault(self, method_id: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and method_id.endswith(fault.method):
                if fault.skip > 0:
                    fault.skip -= 1
                    continue
                fault.times -= 1
                return fault
        if self.fault_rate and self.random.random() < self.fault_rate:
            return Fault(status=self.random.choice(self.fault_statuses))
        return None

    def _fault_answer(self, fault: Fault) -> Answer | object:
        if fault.status == 0:
            return DROP
        if fault.status == 429:
            answer = quota_answer(fault.style)
        else:
            answer = error_answer(fault.status, fault.message, fault.reason, rpc_status(fault.status), fault.style)
        if fault.retry_after is not None:
            answer.headers["Retry-After"] = fault.retry_after
        return answer

    # ------------------------------------------------------------ token endpoint and control

    def _token(self, raw: bytes) -> Answer:
        """OAuth token endpoint: grants the scopes a JWT assertion or refresh request asks for."""
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8")).items()}
        scope = form.get("scope", "")
        if "assertion" in form:
            payload = form["assertion"].split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            scope = claims.get("scope", scope)
        token = f"emulated-token-{len(self.tokens) + 1}"
        self.tokens[token] = tuple(scope.split()) or ALL_SCOPES
        self.log.append(LoggedRequest("POST", "/token", "token", 200))
        return Answer(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})


def _container_json(api: FakeTagManager, path: str) -> Json:
    state = api.container(path)
    out = {"path": state.path, "accountId": state.account_id, "containerId": state.container_id}
    return out | {"name": state.name, "publicId": state.public_id, "usageContext": ["web"]}


class _Handler(BaseHTTPRequestHandler):
    server_version = "gtmgen-emulator"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        emulator: Emulator = self.server.emulator  # type: ignore[attr-defined]
        answer = emulator.handle(self.command, self.path, headers, body)
        if not isinstance(answer, Answer):
            self.close_connection = True  # dropped: the client sees the connection close, no answer
            return
        data = json.dumps(answer.body or {}).encode("utf-8")
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the request log is in `Emulator.log`
        return


def main(argv: list[str] | None = None) -> None:
    """Run the emulator until interrupted: `python -m gtmgen.testing.emulator --port 8085`."""
    args = read_options(argv, __doc__.split("\n")[0])
    emulator = Emulator(
        page_size=args.page_size,
        fault_rate=args.fault_rate,
        seed=args.seed,
        rate_limit=(args.rate_limit, 100.0) if args.rate_limit else None,
        require_auth=args.require_auth,
    )
    emulator.faults.extend(args.fault)
    for account, container, public_id in args.container:
        emulator.api.add_container(account, container, public_id)
    try:
        emulator.start(args.port)
    except OSError as error:
        raise SystemExit(f"{PROGRAM}: error: {listen_problem(args.port, error)}") from None
    print(f"Tag Manager API emulator on {emulator.endpoint} (Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        emulator.stop()


if __name__ == "__main__":
    main()
