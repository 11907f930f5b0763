"""What the emulator answers besides success: API error bodies, quota refusals, injected faults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from gtmgen.testing.tagmanager_state import Json

DROP = object()  # answer: close the connection without a response


@dataclass
class Fault:
    """One injected failure for requests whose method id ends with `method` ("" matches all)."""

    method: str = ""
    status: int = 500  # 0 drops the connection without an answer
    after: bool = False  # do the work first, then fail: the caller cannot know it happened
    retry_after: str | None = None
    style: Literal["legacy", "rpc"] = "legacy"  # `errors[].reason` body, or google.rpc `status` only
    message: str = "Backend Error"
    reason: str = "backendError"
    times: int = 1
    skip: int = 0


@dataclass
class Answer:
    status: int
    body: Json | None
    headers: dict[str, str] = field(default_factory=dict)


def error_answer(status: int, message: str, reason: str, rpc: str, style: str = "legacy") -> Answer:
    error: Json = {"code": status, "message": message}
    if style == "legacy":
        error["errors"] = [{"message": message, "domain": "global", "reason": reason}]
    error["status"] = rpc
    return Answer(status, {"error": error})


def quota_answer(style: str = "legacy") -> Answer:
    message = (
        "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' "
        "of service 'tagmanager.googleapis.com'."
    )
    return error_answer(429, message, "rateLimitExceeded", "RESOURCE_EXHAUSTED", style)


def rpc_status(status: int) -> str:
    return {500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 403: "PERMISSION_DENIED"}.get(status, "UNKNOWN")
