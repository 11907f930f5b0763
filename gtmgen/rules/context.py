"""The context every semantic rule gets: the document and shape-tolerant accessors over its data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gtmgen.errors import Diagnostic, Severity
from gtmgen.loader import Document, JsonPath, format_path

PLATFORMS = ("ga4", "google_ads", "meta")
PLATFORM_NAMES = {"ga4": "GA4", "google_ads": "Google Ads", "meta": "Meta"}


@dataclass(frozen=True, slots=True)
class RuleContext:
    """The document under check and small, shape-tolerant accessors over its data."""

    document: Document
    reported: frozenset[JsonPath] = frozenset()  # paths the schema found missing or invalid

    def schema_reported(self, path: JsonPath) -> bool:
        """Did the schema already report this value, or a section holding it, missing or invalid?"""
        return any(path[:depth] in self.reported for depth in range(len(path) + 1))

    @property
    def data(self) -> Mapping[str, Any]:
        return mapping(self.document.data)

    def diagnostic(
        self, severity: Severity, path: JsonPath, message: str, rule: str, *, key: bool = False
    ) -> Diagnostic:
        location = self.document.locate_key(path) if key else self.document.locate(path)
        return Diagnostic(location, severity, message, format_path(path), rule)

    def error(self, path: JsonPath, message: str, rule: str, *, key: bool = False) -> Diagnostic:
        return self.diagnostic("error", path, message, rule, key=key)

    def warning(self, path: JsonPath, message: str, rule: str, *, key: bool = False) -> Diagnostic:
        return self.diagnostic("warning", path, message, rule, key=key)

    def line(self, path: JsonPath) -> int:
        return self.document.locate(path).line

    @property
    def platforms(self) -> frozenset[str]:
        """The platforms configured with a mapping under `platforms`."""
        configured = mapping(self.data.get("platforms"))
        return frozenset(p for p in PLATFORMS if isinstance(configured.get(p), dict))

    def conversions(self) -> Iterator[tuple[JsonPath, Mapping[str, Any]]]:
        yield from items(self.data.get("conversions"), ("conversions",))

    def clicks(self) -> Iterator[tuple[JsonPath, Mapping[str, Any]]]:
        yield from items(mapping(self.data.get("signals")).get("clicks"), ("signals", "clicks"))


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def items(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, Mapping[str, Any]]]:
    """The mappings of a list, with their paths; anything else is skipped."""
    for index, item in enumerate(value if isinstance(value, list) else ()):
        if isinstance(item, dict):
            yield (*path, index), item


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


Rule = Callable[[RuleContext], Iterable[Diagnostic]]
