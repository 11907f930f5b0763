"""The quota pacer: spacing, retries, Retry-After, backoff, deadline; and the API error mapping."""

from __future__ import annotations

import itertools
import json
import random

import httplib2
import pytest
from googleapiclient.errors import HttpError

from gtmgen.errors import ApiError, AuthError, ConflictError, InputError, QuotaError
from gtmgen.publish.api import classify
from gtmgen.publish.pacing import Pacer, PacingPolicy, Retry, qps_from
from gtmgen.publish.protocol import OutcomeUnknown
from tests.publish_helpers import FakeClock


def _pacer(clock: FakeClock, **policy: float) -> Pacer:
    return Pacer(PacingPolicy(**policy), clock=clock, rng=random.Random(1))  # type: ignore[arg-type]


def test_requests_are_spaced_by_the_rate_and_the_first_is_not_delayed() -> None:
    clock = FakeClock()
    pacer = _pacer(clock, qps=0.25)
    sent_at = [pacer.call("x", lambda: clock.now) for _ in range(5)]
    assert sent_at[0] == 1000.0
    assert [b - a for a, b in itertools.pairwise(sent_at)] == [4.0, 4.0, 4.0, 4.0]
    assert pacer.sent == 5


def test_idle_time_refills_the_bucket_only_up_to_the_burst() -> None:
    clock = FakeClock()
    pacer = _pacer(clock, qps=0.25, burst=2)
    clock.now += 100
    sent_at = [pacer.call("x", lambda: clock.now) for _ in range(4)]
    assert [round(b - a, 6) for a, b in itertools.pairwise(sent_at)] == [0.0, 4.0, 4.0]


def test_zero_qps_means_no_client_side_limit() -> None:
    clock = FakeClock()
    pacer = _pacer(clock, qps=0)
    for _ in range(10):
        pacer.call("x", lambda: None)
    assert clock.slept == []


def _failing(times: int, retry_after: float | None = None, quota: bool = True) -> object:
    calls = {"n": 0}

    def attempt() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise Retry("HTTP 429", retry_after, quota=quota)
        return "ok"

    return attempt


def test_retry_after_is_honoured() -> None:
    clock = FakeClock()
    pacer = _pacer(clock, qps=0)
    assert pacer.call("x", _failing(1, retry_after=37.0)) == "ok"  # type: ignore[arg-type]
    assert clock.slept == [37.0]
    assert pacer.sent == 2 and pacer.retried == 1


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    clock = FakeClock()
    pacer = _pacer(clock, qps=0, backoff_base=10.0, backoff_cap=100.0, max_attempts=7, deadline=10_000)
    assert pacer.call("x", _failing(6)) == "ok"  # type: ignore[arg-type]
    for number, slept in enumerate(clock.slept, start=1):
        nominal = min(100.0, 10.0 * 2 ** (number - 1))
        assert 0.5 * nominal <= slept <= 1.5 * nominal
    assert clock.slept[3] > clock.slept[0]


def test_giving_up_on_quota_says_what_to_do() -> None:
    pacer = _pacer(FakeClock(), qps=0, max_attempts=3)
    with pytest.raises(QuotaError, match="lower --qps"):
        pacer.call("list tags", _failing(5))  # type: ignore[arg-type]
    assert pacer.sent == 3


def test_the_deadline_stops_waiting_before_it_passes() -> None:
    clock = FakeClock()
    pacer = _pacer(clock, qps=0, deadline=60.0)
    with pytest.raises(QuotaError, match="deadline"):
        pacer.call("x", _failing(1, retry_after=120.0))  # type: ignore[arg-type]
    assert clock.slept == []


@pytest.mark.parametrize(("raw", "expected"), [(None, 0.25), ("1.5", 1.5), ("0", 0.0), (2, 2.0)])
def test_qps_from_flag_or_environment(raw: object, expected: float) -> None:
    assert qps_from(raw) == expected  # type: ignore[arg-type]


def test_qps_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GTMGEN_QPS", "0.1")
    assert qps_from(None) == 0.1


@pytest.mark.parametrize("raw", ["fast", "-1", "nan"])
def test_bad_qps_is_an_input_error(raw: str) -> None:
    with pytest.raises(InputError):
        qps_from(raw)


# ---------------------------------------------------------------- error mapping


def _http_error(status: int, message: str = "", reason: str = "", rpc: str = "", retry_after: str = "") -> HttpError:
    headers = {"status": str(status)} | ({"retry-after": retry_after} if retry_after else {})
    error: dict[str, object] = {"code": status, "message": message, "status": rpc}
    if reason:
        error["errors"] = [{"reason": reason, "message": message}]
    return HttpError(httplib2.Response(headers), json.dumps({"error": error}).encode())


def test_429_is_retried_with_its_retry_after() -> None:
    mapped = classify(_http_error(429, "Quota exceeded", retry_after="12"), "list tags", idempotent=False)
    assert isinstance(mapped, Retry) and mapped.quota and mapped.retry_after == 12.0


@pytest.mark.parametrize(
    ("reason", "rpc", "message"),
    [
        ("rateLimitExceeded", "", ""),
        ("userRateLimitExceeded", "", ""),
        ("", "RESOURCE_EXHAUSTED", ""),
        ("", "", "Quota exceeded for quota metric"),
    ],
)
def test_403_for_rate_limits_is_retried(reason: str, rpc: str, message: str) -> None:
    assert isinstance(classify(_http_error(403, message, reason, rpc), "x", idempotent=False), Retry)


def test_5xx_is_retried_for_reads_and_unknown_for_writes() -> None:
    assert isinstance(classify(_http_error(503, "Backend Error"), "list tags", idempotent=True), Retry)
    unknown = classify(_http_error(500, "Backend Error"), "create tag 'x'", idempotent=False)
    assert isinstance(unknown, OutcomeUnknown) and "may or may not" in str(unknown)


@pytest.mark.parametrize(
    ("status", "reason", "message", "kind", "says"),
    [
        (404, "notFound", "Not found or permission denied.", AuthError, "User Management"),
        (403, "accessNotConfigured", "Tag Manager API has not been used in project 1", AuthError, "not enabled"),
        (403, "insufficientPermissions", "Request had insufficient authentication scopes.", AuthError, "scope"),
        (403, "forbidden", "The caller does not have permission", AuthError, "Publish permission"),
        (401, "authError", "Invalid Credentials", AuthError, "gtmgen auth login"),
        (409, "conflict", "Fingerprint mismatch", ConflictError, "someone else"),
        (400, "badRequest", "Returned an error response for your request.", ApiError, "HTTP 400"),
    ],
)
def test_client_errors_say_what_to_do(status: int, reason: str, message: str, kind: type, says: str) -> None:
    mapped = classify(_http_error(status, message, reason), "publish", idempotent=True)
    assert type(mapped) is kind
    assert says in str(mapped) and str(mapped).startswith("publish: ")


def test_retry_after_may_be_an_http_date() -> None:
    import email.utils
    import time

    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    mapped = classify(_http_error(429, "Quota exceeded", retry_after=when), "x", idempotent=True)
    assert isinstance(mapped, Retry) and mapped.retry_after is not None
    assert 25 <= mapped.retry_after <= 31
