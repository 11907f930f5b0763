"""The emulator's control surface for a separate process: the request log and injected faults.

A CI job that runs `python -m gtmgen.testing.emulator` cannot reach the `Emulator` object, so
the same knobs are offered over HTTP (under `/_emulator/`, never counted as API requests) and
as `--fault` options:

    GET    /_emulator/requests            every request answered, with counts (?bodies=1: the bodies)
    POST   /_emulator/faults              {"method": "bulk_update", "status": 0, "after": true}, or a list
    DELETE /_emulator/faults              no more faults: queued ones dropped, --fault-rate set to 0

`--fault METHOD:STATUS[:after][:times=N][:skip=N]` queues the same at start-up; status 0 drops
the connection, `after` does the work first (the client cannot know it happened).
"""

from __future__ import annotations

import argparse
import errno
import json
from collections.abc import Mapping, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from gtmgen.testing.answers import Answer, Fault

if TYPE_CHECKING:
    from gtmgen.testing.emulator import Emulator

FAULT_KEYS = frozenset(f.name for f in fields(Fault))
PROGRAM = "python -m gtmgen.testing.emulator"


class BadFault(ValueError):
    """A fault description the emulator cannot use."""


def fault_from_json(data: Any) -> Fault:
    """A Fault from a JSON object with Fault's field names."""
    if not isinstance(data, dict):
        raise BadFault('a fault is a JSON object such as {"method": "bulk_update", "status": 0}')
    unknown = sorted(set(data) - FAULT_KEYS)
    if unknown:
        raise BadFault(f"unknown fault field(s) {', '.join(unknown)}; known: {', '.join(sorted(FAULT_KEYS))}")
    try:
        fault = Fault(**data)
    except TypeError as error:
        raise BadFault(str(error)) from None
    if not isinstance(fault.status, int) or not isinstance(fault.times, int) or not isinstance(fault.skip, int):
        raise BadFault("status, times and skip are whole numbers")
    return fault


def fault_from_option(text: str) -> Fault:
    """`METHOD:STATUS[:after][:times=N][:skip=N]`, e.g. `bulk_update:0:after` or `tags.create:500`."""
    method, _, rest = text.partition(":")
    parts = rest.split(":") if rest else []
    if not parts or not parts[0].isdigit():
        raise BadFault(f"--fault {text!r}: use METHOD:STATUS[:after][:times=N][:skip=N], e.g. bulk_update:0:after")
    fault = Fault(method=method, status=int(parts[0]))
    for part in parts[1:]:
        key, _, value = part.partition("=")
        if part == "after":
            fault.after = True
        elif key in ("times", "skip") and value.isdigit():
            setattr(fault, key, int(value))
        else:
            raise BadFault(f"--fault {text!r}: unknown part {part!r} (after, times=N or skip=N)")
    return fault


def control_answer(
    emulator: Emulator, http_method: str, path: str, query: Mapping[str, Sequence[str]], raw: bytes
) -> Answer:
    """The answer to a request under `/_emulator/`."""
    if path == "/_emulator/requests" and http_method == "GET":
        return Answer(200, _requests(emulator, bodies=(query.get("bodies") or ["0"])[0] not in ("", "0")))
    if path == "/_emulator/faults" and http_method == "POST":
        return _add_faults(emulator, raw)
    if path == "/_emulator/faults" and http_method == "DELETE":
        emulator.faults.clear()
        emulator.fault_rate = 0.0
        return Answer(200, {"faults": 0})
    return Answer(404, {"error": {"code": 404, "message": f"unknown control request {http_method} {path}"}})


def _requests(emulator: Emulator, *, bodies: bool) -> dict[str, Any]:
    rows = []
    for r in emulator.log:
        row: dict[str, Any] = {"method": r.http_method, "path": r.path, "id": r.method_id, "status": r.status}
        if bodies and r.body is not None:
            row["body"] = r.body
        rows.append(row)
    return {"requests": rows, "count": emulator.count(), "writes": emulator.count(writes_only=True)}


def _add_faults(emulator: Emulator, raw: bytes) -> Answer:
    try:
        data = json.loads(raw or b"null")
        faults = [fault_from_json(item) for item in (data if isinstance(data, list) else [data])]
    except (ValueError, BadFault) as error:
        return Answer(400, {"error": {"code": 400, "message": str(error)}})
    emulator.faults.extend(faults)
    return Answer(200, {"faults": len(emulator.faults)})


def _fault_option(text: str) -> Fault:
    try:
        return fault_from_option(text)
    except BadFault as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _port_option(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to 65535; 0 picks a free port)")
    return int(text)


def _container_option(text: str) -> tuple[str, str, str]:
    parts = text.split("/")
    if len(parts) not in (2, 3) or not (parts[0].isdigit() and parts[1].isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not ACCOUNT/CONTAINER[/GTM-ID] (the ids are digits)")
    return parts[0], parts[1], parts[2] if len(parts) == 3 else "GTM-EMULATE"


def listen_problem(port: int, error: OSError) -> str:
    """Why the emulator cannot listen on `port`, and what to do about it."""
    if error.errno == errno.EADDRINUSE:
        return f"port {port} on 127.0.0.1 is already in use (another emulator?); pass another --port, or --port 0"
    return f"cannot listen on 127.0.0.1:{port}: {error.strerror or error}"


def read_options(argv: Sequence[str] | None, description: str) -> argparse.Namespace:
    """The command line of `python -m gtmgen.testing.emulator`."""
    parser = argparse.ArgumentParser(prog=PROGRAM, description=description)
    parser.add_argument("--port", type=_port_option, default=8085, help="0 picks a free port (printed at start)")
    parser.add_argument(
        "--container",
        action="append",
        default=[],
        type=_container_option,
        metavar="ACCOUNT/CONTAINER[/GTM-ID]",
        help="seed a container",
    )
    parser.add_argument("--page-size", type=int, default=10)
    parser.add_argument("--fault-rate", type=float, default=0.0, help="share of requests answered 429 or 500")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random --fault-rate faults")
    parser.add_argument("--rate-limit", type=int, default=0, help="requests allowed per 100 s (0: no limit)")
    parser.add_argument(
        "--require-auth", action="store_true", help="refuse requests without a token from the emulator's /token"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        type=_fault_option,
        metavar="METHOD:STATUS[:after][:times=N][:skip=N]",
        help="inject a fault, e.g. bulk_update:0:after (status 0 drops the connection; after: once the work is done)",
    )
    return parser.parse_args(argv)
