"""Rules on page groups: unique slugs, path pattern syntax, paths that overlap.

How the compiler matches (gtmgen/compile/audiences.py): one RegEx Table per kind, listed
paths first and then patterns, each in spec order; the first matching row wins; matching
ignores case; a listed path covers its sub-pages (`/` alone is only the home page); a
pattern's `{placeholder}` matches one path segment and the rest of the path may follow.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gtmgen.errors import Diagnostic
from gtmgen.loader import JsonPath
from gtmgen.rules.context import RuleContext, items, listed, mapping, text
from gtmgen.spec import LABEL_BY_KIND, PAGE_GROUP_KINDS, PATTERN_PLACEHOLDER, PageGroupKind, slugify


@dataclass(frozen=True, slots=True)
class _Entry:
    kind: PageGroupKind
    path: JsonPath
    raw: Mapping[str, Any]

    @property
    def label(self) -> str:
        return LABEL_BY_KIND[self.kind]

    @property
    def name(self) -> str:
        return text(self.raw.get("name")) or f"{self.kind}[{self.path[-1]}]"

    def paths(self) -> Iterator[tuple[JsonPath, str]]:
        for index, value in enumerate(listed(self.raw.get("paths"))):
            if isinstance(value, str) and value.startswith("/"):
                yield (*self.path, "paths", index), value


def _entries(ctx: RuleContext, kind: PageGroupKind) -> list[_Entry]:
    groups = mapping(ctx.data.get("page_groups"))
    return [_Entry(kind, path, raw) for path, raw in items(groups.get(kind), ("page_groups", kind))]


def check_slugs(ctx: RuleContext) -> Iterator[Diagnostic]:
    """Slugs (explicit or made from the name) are label values: unique within a kind."""
    for kind in PAGE_GROUP_KINDS:
        first: dict[str, _Entry] = {}
        for entry in _entries(ctx, kind):
            slug = text(entry.raw.get("slug")) or slugify(entry.name)
            if slug not in first:
                first[slug] = entry
                continue
            where = (*entry.path, "slug" if "slug" in entry.raw else "name")
            other = first[slug]
            message = (
                f"slug {slug!r} is already used by {other.name!r} (line {ctx.line(other.path)}); "
                f"give each {entry.label} its own slug"
            )
            yield ctx.error(where, message, "duplicate-slug")


def check_patterns(ctx: RuleContext) -> Iterator[Diagnostic]:
    for kind in PAGE_GROUP_KINDS:
        for entry in _entries(ctx, kind):
            pattern = text(entry.raw.get("pattern"))
            if pattern is None:
                continue
            where = (*entry.path, "pattern")
            problem = pattern_problem(pattern)
            if problem:
                yield ctx.error(where, problem, "page-group-pattern")
            elif _ambiguous_placeholders(pattern, entry.label):
                first = PATTERN_PLACEHOLDER.findall(pattern)[0]
                message = (
                    f"{{{first}}} becomes the {entry.label} label; name the placeholder you mean {{{entry.label}}}"
                )
                yield ctx.warning(where, message, "page-group-pattern")


def pattern_problem(pattern: str) -> str | None:
    """Why a page-group pattern is unusable, or None."""
    example = "such as /locations/{location}/"
    if not pattern.startswith("/"):
        return f"a pattern is a path starting with /, {example}"
    if re.search(r"[\s?#]", pattern):
        return "a pattern is a path: no spaces, ?query or #fragment"
    if "{" in PATTERN_PLACEHOLDER.sub("", pattern) or "}" in PATTERN_PLACEHOLDER.sub("", pattern):
        return f"braces hold a placeholder name of lower-case letters, digits and _, {example}"
    names = PATTERN_PLACEHOLDER.findall(pattern)
    if not names:
        return f"a pattern needs a {{placeholder}}, {example}; list fixed pages under `paths`"
    if len(set(names)) < len(names):
        return "each placeholder in a pattern needs its own name"
    return None


def _ambiguous_placeholders(pattern: str, label: str) -> bool:
    names = PATTERN_PLACEHOLDER.findall(pattern)
    return len(names) > 1 and label not in names


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """The pages a pattern covers, as the compiler matches them."""
    parts = PATTERN_PLACEHOLDER.split(pattern.rstrip("/"))
    literal = parts[::2]  # split() interleaves literal text and placeholder names
    return re.compile("[^/]+".join(re.escape(p) for p in literal) + "(?:/.*)?", re.IGNORECASE)


def _stem(path: str) -> str:
    return path.rstrip("/").lower()


def _covers(parent: str, child: str) -> bool:
    """Does listed path `parent` cover `child`, a different page under it?"""
    stem = _stem(parent)
    return bool(stem) and _stem(child).startswith(stem + "/")


def check_overlapping_paths(ctx: RuleContext) -> Iterator[Diagnostic]:
    for kind in PAGE_GROUP_KINDS:
        entries = _entries(ctx, kind)
        yield from _same_paths(ctx, entries)
        yield from _shadowed_paths(ctx, entries)
        yield from _paths_under_patterns(ctx, entries)
        yield from _same_patterns(ctx, entries)


def _same_paths(ctx: RuleContext, entries: list[_Entry]) -> Iterator[Diagnostic]:
    first: dict[str, tuple[_Entry, JsonPath]] = {}
    for entry in entries:
        for where, path in entry.paths():
            other = first.setdefault(_stem(path) or "/", (entry, where))
            if other[0] is not entry:
                message = (
                    f"{path!r} is also listed in {other[0].name!r} (line {ctx.line(other[1])}); "
                    f"a page has one {entry.label}, so list it in one entry only"
                )
                yield ctx.error(where, message, "page-group-overlap")


def _shadowed_paths(ctx: RuleContext, entries: list[_Entry]) -> Iterator[Diagnostic]:
    """A path under an earlier entry's path never gets its own label: the earlier row wins."""
    first: dict[str, tuple[int, _Entry, JsonPath, str]] = {}
    for position, entry in enumerate(entries):
        for where, path in entry.paths():
            first.setdefault(_stem(path), (position, entry, where, path))
    for position, entry in enumerate(entries):
        for where, path in entry.paths():
            covering = [first[stem] for stem in _ancestors(path) if stem in first]
            earlier = [c for c in covering if c[0] < position]
            for _, other, other_where, other_path in earlier[:1]:
                message = (
                    f"{path!r} is under {other_path!r} of {other.name!r} (line {ctx.line(other_where)}), which comes "
                    f"first, so these pages get {other.name!r}; move {entry.name!r} above {other.name!r}"
                )
                yield ctx.error(where, message, "page-group-overlap")


def _ancestors(path: str) -> list[str]:
    """The stems of the listed paths that would cover `path`, nearest first (`/` covers nothing)."""
    parts = _stem(path).split("/")
    return ["/".join(parts[:end]) for end in range(len(parts) - 1, 1, -1)]


def _paths_under_patterns(ctx: RuleContext, entries: list[_Entry]) -> Iterator[Diagnostic]:
    by_prefix: dict[str, list[tuple[_Entry, str]]] = {}
    for entry in entries:
        pattern = text(entry.raw.get("pattern"))
        if pattern is not None and not pattern_problem(pattern):
            by_prefix.setdefault(_literal_prefix(pattern), []).append((entry, pattern))
    for entry in entries:
        for where, path in entry.paths():
            candidates = [c for end in range(len(path) + 1) for c in by_prefix.get(path[:end].lower(), ())]
            for other, pattern in candidates:
                if other is not entry and pattern_regex(pattern).fullmatch(path):
                    message = (
                        f"{path!r} is also covered by the pattern {pattern!r} of {other.name!r} "
                        f"(line {ctx.line(other.path)}); the listed entry wins for these pages"
                    )
                    yield ctx.warning(where, message, "page-group-overlap")


def _literal_prefix(pattern: str) -> str:
    """The text before a pattern's first placeholder: every page it covers starts with it."""
    return pattern[: pattern.index("{")].lower()


def _same_patterns(ctx: RuleContext, entries: list[_Entry]) -> Iterator[Diagnostic]:
    first: dict[str, _Entry] = {}
    for entry in entries:
        pattern = text(entry.raw.get("pattern"))
        if pattern is None or pattern_problem(pattern):
            continue
        shape = PATTERN_PLACEHOLDER.sub("{}", pattern.rstrip("/").lower())
        other = first.setdefault(shape, entry)
        if other is not entry:
            message = f"this pattern covers the same pages as the one of {other.name!r} (line {ctx.line(other.path)})"
            yield ctx.error((*entry.path, "pattern"), message, "page-group-overlap")
