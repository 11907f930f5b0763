"""Audit findings and rules as values: what the rules produce and the renderers print."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from gtmgen.audit.facts import ContainerFacts
from gtmgen.errors import Location

FindingSeverity = Literal["error", "warning", "note"]
SEVERITY_RANK: dict[str, int] = {"note": 0, "warning": 1, "error": 2}
EntityKindName = Literal["container", "tag", "trigger", "variable", "customTemplate"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem: which rule, how bad, which entity, and what to do about it."""

    rule: str
    severity: FindingSeverity
    kind: EntityKindName
    name: str
    message: str
    location: Location | None = None

    @property
    def entity(self) -> str:
        return "container" if self.kind == "container" else f"{self.kind} {self.name!r}"

    def sort_key(self) -> tuple[int, str, str, str, str]:
        line = self.location.line if self.location else 0
        return (line, self.kind, self.name, self.rule, self.message)


@dataclass(frozen=True, slots=True)
class Hit:
    """What a check reports; the runner adds the rule id and, unless given, its severity."""

    kind: EntityKindName
    name: str
    message: str
    severity: FindingSeverity | None = None


def tag_hit(name: str, message: str, severity: FindingSeverity | None = None) -> Hit:
    return Hit("tag", name, message, severity)


def container_hit(message: str, severity: FindingSeverity | None = None) -> Hit:
    return Hit("container", "", message, severity)


Check = Callable[[ContainerFacts], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    """A rule: its id, default severity, one-line summary, why it matters, and its check."""

    id: str
    severity: FindingSeverity
    summary: str
    why: str
    check: Check

    def finding(self, hit: Hit) -> Finding:
        return Finding(self.id, hit.severity or self.severity, hit.kind, hit.name, hit.message)


def at_least(severity: str, threshold: str) -> bool:
    """Whether `severity` is as bad as `threshold` or worse."""
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]
