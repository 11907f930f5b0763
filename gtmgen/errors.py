"""Errors and diagnostics: the one error root of gtmgen.

The tree::

    GtmgenError                      anything gtmgen raises on purpose
    ├── InputError                   the user's input cannot be used (exit 1)
    │   ├── SpecError                a spec has diagnostics (carries all of them)
    │   ├── ContainerFormatError     a container export cannot be read
    │   ├── CompileError             a valid spec still compiles to no valid container (too large, ...)
    │   └── OutputOutOfDate          `build --check`: the file on disk differs from the build
    ├── ApiError                     the Tag Manager API refused or failed (exit 4)
    │   ├── AuthError                credentials missing, invalid or without permission
    │   ├── ConflictError            the workspace changed behind gtmgen's back
    │   └── QuotaError               the rate limit or deadline could not be met
    └── TestFailure                  `gtmgen test` expectations did not hold (exit 5)

Exceptions carry context as fields and never print; the CLI maps classes to exit codes
through `EXIT_CODE_BY_ERROR`. Pending changes (`plan --detailed-exitcode`, `diff --exit-code`,
exit 3) are an answer, not an error: those commands exit 3 themselves.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]


class ExitCode(enum.IntEnum):
    """Process exit codes; the README has the same table."""

    OK = 0
    INVALID_INPUT = 1
    USAGE = 2
    CHANGES_PENDING = 3
    API_FAILURE = 4
    TESTS_FAILED = 5
    INTERNAL = 70


@dataclass(frozen=True, slots=True)
class Location:
    """Where a value came from: file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem, rendered as `file:line:col: severity: message (at json.path)`."""

    location: Location
    severity: Severity
    message: str
    json_path: str = "$"
    rule: str = ""

    def render(self) -> str:
        return f"{self.location}: {self.severity}: {self.message} (at {self.json_path})"

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "severity": self.severity,
            "message": self.message,
            "path": self.json_path,
            "rule": self.rule,
        }

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.location.file, self.location.line, self.location.column, self.message)


class GtmgenError(Exception):
    """Root of every error gtmgen raises on purpose."""


class InputError(GtmgenError):
    """The user's input (a spec, a container, a scenario) cannot be used."""


@dataclass(eq=False)
class SpecError(InputError):
    """A spec failed to load or validate; carries every diagnostic found."""

    diagnostics: Sequence[Diagnostic] = field(default_factory=tuple)

    def __str__(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


@dataclass(eq=False)
class ContainerFormatError(InputError):
    """A container export is not the JSON GTM writes."""

    file: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: error: {self.message}"


@dataclass(eq=False)
class CompileError(InputError):
    """The spec is valid but gtmgen cannot build a valid container from it (e.g. over GTM's size limit)."""

    source: str
    message: str

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass(eq=False)
class OutputOutOfDate(InputError):
    """`gtmgen build --check`: a built file is missing or differs from what its spec compiles to."""

    path: str
    spec: str

    def __str__(self) -> str:
        return f"{self.path} is out of date with {self.spec}; run `gtmgen build {self.spec}` and commit the result"


@dataclass(eq=False)
class ApiError(GtmgenError):
    """The Tag Manager API failed; `status` is the HTTP status when there was one."""

    message: str
    status: int | None = None

    def __str__(self) -> str:
        return self.message


class AuthError(ApiError):
    """Credentials are missing or invalid, or lack permission for the container."""


class ConflictError(ApiError):
    """The workspace or an entity changed between gtmgen's read and its write."""


class QuotaError(ApiError):
    """The API's rate limit could not be met before the deadline."""


class TestFailure(GtmgenError):
    """Tracking scenarios ran and at least one expectation failed."""

    __test__ = False  # not a pytest test class


EXIT_CODE_BY_ERROR: tuple[tuple[type[GtmgenError], ExitCode], ...] = (
    (InputError, ExitCode.INVALID_INPUT),
    (ApiError, ExitCode.API_FAILURE),
    (TestFailure, ExitCode.TESTS_FAILED),
)


def exit_code_for(error: GtmgenError) -> ExitCode:
    """The exit code for an error, by its class."""
    for cls, code in EXIT_CODE_BY_ERROR:
        if isinstance(error, cls):
            return code
    return ExitCode.INTERNAL
