"""Client-side pacing for the Tag Manager API's quota (0.25 requests/s, 10,000/day per project).

A token bucket spaces requests (`--qps`, `GTMGEN_QPS`; default 0.25/s, burst 1). A request
the API refused for quota (429, or 403 with a rate-limit reason) or, for reads, a 5xx or a
broken connection, is retried with exponential backoff and jitter, honouring Retry-After,
until `max_attempts` or the overall deadline. The library's own retries are not used: they
ignore Retry-After and wait seconds where the quota window is 100 s (tagmanager-api.md §2.1).
The clock and the random source are injectable so tests run at full speed.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from gtmgen.errors import InputError, QuotaError

T = TypeVar("T")
DEFAULT_QPS = 0.25


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def default_clock() -> Clock:
    """The clock a Pacer uses unless given one (tests replace this with a fast one)."""
    return SystemClock()


class Retry(Exception):
    """Raised by a request function: the API refused the request and it may be sent again."""

    def __init__(self, reason: str, retry_after: float | None = None, *, quota: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.retry_after, self.quota = reason, retry_after, quota


@dataclass(frozen=True, slots=True)
class PacingPolicy:
    qps: float = DEFAULT_QPS  # 0 means no client-side limit
    burst: int = 1
    max_attempts: int = 6
    backoff_base: float = 10.0
    backoff_cap: float = 100.0
    deadline: float = 3600.0  # seconds for the whole command


def qps_from(value: str | float | None) -> float:
    """`--qps`/`GTMGEN_QPS` as a number (InputError when it is not a non-negative number)."""
    raw = value if value is not None else os.environ.get("GTMGEN_QPS")
    if raw is None or raw == "":
        return DEFAULT_QPS
    try:
        qps = float(raw)
    except ValueError:
        raise InputError(f"--qps/GTMGEN_QPS must be a number of requests per second, got {raw!r}") from None
    if qps < 0 or math.isnan(qps):
        raise InputError(f"--qps/GTMGEN_QPS must be 0 (no limit) or positive, got {raw!r}")
    return qps


Listener = Callable[[str], None]


class Pacer:
    """Spaces and retries requests; counts every request sent."""

    def __init__(
        self,
        policy: PacingPolicy = PacingPolicy(),
        clock: Clock | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy
        self.clock: Clock = clock or default_clock()
        self.rng = rng or random.Random()
        self.started = self.clock.monotonic()
        self._tokens = float(policy.burst)
        self._last = self.started
        self.sent = 0
        self.retried = 0
        self.waited = 0.0
        self.listener: Listener | None = None

    def seconds_per_request(self) -> float:
        return 1.0 / self.policy.qps if self.policy.qps > 0 else 0.0

    def check_budget(self, requests: int, what: str) -> None:
        """Raise QuotaError, before anything is sent, when `requests` more requests cannot all be
        paced within the deadline even if none is refused (a lower bound: retries come on top)."""
        if self.policy.qps <= 0 or requests <= 0:
            return
        now = self.clock.monotonic()
        tokens = min(float(self.policy.burst), self._tokens + (now - self._last) * self.policy.qps)
        needed = max(0.0, requests - tokens) / self.policy.qps
        left = self.policy.deadline - (now - self.started)
        if needed > left:
            raise QuotaError(
                f"{what} needs about {requests} more requests, {needed:.0f} s at {self.policy.qps:g} requests/s, "
                f"but the {self.policy.deadline:.0f} s deadline leaves {max(left, 0.0):.0f} s; nothing was changed: "
                "raise --deadline (or --qps, if the project's quota allows)"
            )

    def call(self, label: str, attempt: Callable[[], T]) -> T:
        """Run `attempt` within the quota, retrying it while it raises `Retry`."""
        for number in range(1, self.policy.max_attempts + 1):
            self._acquire(label)
            try:
                return attempt()
            except Retry as refusal:
                if number == self.policy.max_attempts:
                    raise self._gave_up(label, refusal) from None
                self.retried += 1
                self._wait(self._backoff(number, refusal), label)
        raise AssertionError("unreachable")

    def _acquire(self, label: str) -> None:
        if self.policy.qps > 0:
            now = self.clock.monotonic()
            self._tokens = min(float(self.policy.burst), self._tokens + (now - self._last) * self.policy.qps)
            self._last = now
            if self._tokens < 1.0:
                self._wait((1.0 - self._tokens) / self.policy.qps, label)
                self._tokens, self._last = 1.0, self.clock.monotonic()
            self._tokens -= 1.0
        self.sent += 1
        if self.listener is not None:
            self.listener(label)

    def _backoff(self, number: int, refusal: Retry) -> float:
        if refusal.retry_after is not None:
            return max(0.0, refusal.retry_after)
        delay = min(self.policy.backoff_cap, self.policy.backoff_base * math.pow(2.0, number - 1))
        return delay * self.rng.uniform(0.5, 1.5)

    def _wait(self, seconds: float, label: str) -> None:
        elapsed = self.clock.monotonic() - self.started
        if elapsed + seconds > self.policy.deadline:
            raise QuotaError(
                f"{label}: the {self.policy.deadline:.0f} s deadline would pass while waiting for the API's quota "
                f"({elapsed:.0f} s used, {seconds:.0f} s more needed); run again later or raise --deadline"
            )
        self.waited += seconds
        self.clock.sleep(seconds)
        if self.policy.qps > 0:  # a refusal also spends the bucket: start the next request from empty
            self._tokens = min(self._tokens, 1.0)

    def _gave_up(self, label: str, refusal: Retry) -> QuotaError:
        tries = self.policy.max_attempts
        if refusal.quota:
            return QuotaError(
                f"{label}: the Tag Manager API kept refusing for quota after {tries} tries ({refusal.reason}); "
                "lower --qps, or ask for a quota increase in the Google Cloud console",
                429,
            )
        return QuotaError(f"{label}: the API kept failing after {tries} tries ({refusal.reason})")
