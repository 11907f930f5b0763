"""One conformance finding, and the filter the build uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with one entity (or with the container as a whole)."""

    rule: str
    severity: Severity
    kind: str
    name: str
    message: str

    def render(self) -> str:
        return f"{self.severity}: {self.kind} {self.name!r}: {self.message} [{self.rule}]"


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """Only the findings of severity error."""
    return [f for f in findings if f.severity == "error"]
