"""Page groups -> RegEx Table (`remm`) variables on `{{Page Path}}`.

One variable per page-group kind (`RT - service`, `RT - location`, ...) with one row per entry,
whose output is the entry's slug, and `RT - page type` with one row per kind. A path pattern
such as `/locations/{location}/` is one row whose capture group is the output (`$1`), so the
container does not grow with the number of pages the pattern covers.

Rows match the whole path (`fullMatch`), which GTM needs for `$1` replacement to return just
the capture; a listed path also covers its sub-pages (`/services/roofing` covers
`/services/roofing/metal`). Matching ignores case; the first matching row wins.
"""

from __future__ import annotations

import re

from gtmgen.compile.parts import (
    FOLDER_AUDIENCES,
    PAGE_TYPE_DEFAULT,
    PAGE_TYPE_VARIABLE,
    Part,
    clean_name,
    owned_variable,
    ref,
)
from gtmgen.container import Parameter, Variable
from gtmgen.spec import LABEL_BY_KIND, PAGE_GROUP_KINDS, PATTERN_PLACEHOLDER, PageGroupEntry, PageGroupKind, SiteSpec

PAGE_PATH = ref("Page Path")
_REGEX_SPECIAL = re.compile(r"([\\^$.|?*+()\[\]{}])")
_SUBPAGES = "(?:/.*)?"


def escape_regex(text: str) -> str:
    """Text as a literal inside a JavaScript regular expression."""
    return _REGEX_SPECIAL.sub(r"\\\1", text)


def path_regex(path: str) -> str:
    """A listed path and its sub-pages; `/` alone means only the home page."""
    stem = path.rstrip("/")
    return "/" if not stem else escape_regex(stem) + _SUBPAGES


def pattern_regex(pattern: str, label: str, capture: bool) -> str:
    """A path pattern: the placeholder named like the label (else the first one) is captured."""
    names = PATTERN_PLACEHOLDER.findall(pattern)
    captured = label if label in names else (names[0] if names else None)
    out, position = [], 0
    for match in PATTERN_PLACEHOLDER.finditer(pattern.rstrip("/")):
        out.append(escape_regex(match.string[position : match.start()]))
        out.append("([^/]+)" if capture and match.group(1) == captured else "[^/]+")
        position = match.end()
    out.append(escape_regex(pattern.rstrip("/")[position:]))
    return "".join(out) + _SUBPAGES


def paths_row(entry: PageGroupEntry) -> tuple[str, str] | None:
    """One row for all the listed paths of an entry, output its slug."""
    if not entry.paths:
        return None
    alternatives = [path_regex(p) for p in entry.paths]
    regex = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
    return (regex, entry.slug)


def pattern_row(entry: PageGroupEntry) -> tuple[str, str] | None:
    """One row for an entry's pattern, output the captured path segment (or the slug)."""
    if not entry.pattern:
        return None
    captures = bool(PATTERN_PLACEHOLDER.search(entry.pattern))
    return (pattern_regex(entry.pattern, entry.label, captures), "$1" if captures else entry.slug)


def group_variable_name(kind: PageGroupKind) -> str:
    return f"RT - {LABEL_BY_KIND[kind]}"


def _regex_table(name: str, rows: list[tuple[str, str]], default: str | None, source: str, what: str) -> Variable:
    params = [
        Parameter.boolean("setDefaultValue", default is not None),
        Parameter.template("input", PAGE_PATH),
        Parameter.boolean("fullMatch", True),
        Parameter.boolean("replaceAfterMatch", True),
    ]
    if default is not None:
        params.append(Parameter.template("defaultValue", default))
    params.append(Parameter.boolean("ignoreCase", True))
    params.append(Parameter.table("map", rows, ("key", "value")))
    return owned_variable(clean_name(name), "remm", params, source, what, FOLDER_AUDIENCES)


def _kind_variable(kind: PageGroupKind, entries: tuple[PageGroupEntry, ...]) -> Variable:
    # Listed paths before patterns, so a listed page wins over a pattern that also covers it.
    listed = [paths_row(e) for e in entries]
    patterns = [pattern_row(e) for e in entries]
    rows = [row for row in listed + patterns if row is not None]
    label = LABEL_BY_KIND[kind]
    what = f"The {label} of the page (a slug), from its path; undefined on other pages."
    return _regex_table(group_variable_name(kind), rows, None, f"page_groups.{kind}", what)


def _kind_row(kind: PageGroupKind, entries: tuple[PageGroupEntry, ...]) -> tuple[str, str]:
    alternatives = [path_regex(p) for e in entries for p in e.paths]
    alternatives += [pattern_regex(e.pattern, e.label, capture=False) for e in entries if e.pattern]
    return ("(?:" + "|".join(alternatives) + ")", LABEL_BY_KIND[kind])


def _page_type_variable(spec: SiteSpec) -> Variable:
    rows = [_kind_row(k, spec.page_groups_of(k)) for k in PAGE_GROUP_KINDS if spec.page_groups_of(k)]
    what = f"Which kind of page group the page belongs to (service, problem, ...), else {PAGE_TYPE_DEFAULT!r}."
    return _regex_table(PAGE_TYPE_VARIABLE, rows, PAGE_TYPE_DEFAULT, "page_groups", what)


def group_kinds(spec: SiteSpec) -> tuple[PageGroupKind, ...]:
    """The page-group kinds the spec uses, in the fixed kind order."""
    return tuple(k for k in PAGE_GROUP_KINDS if spec.page_groups_of(k))


def page_group_parameters(spec: SiteSpec) -> list[tuple[str, str]]:
    """(parameter, value) pairs every platform receives: page_type and one per kind."""
    if not spec.page_groups:
        return []
    return [("page_type", ref(PAGE_TYPE_VARIABLE))] + [
        (LABEL_BY_KIND[k], ref(group_variable_name(k))) for k in group_kinds(spec)
    ]


def compile_audiences(spec: SiteSpec) -> Part:
    """The RegEx Table variables of the spec's page groups (none without page groups)."""
    if not spec.page_groups:
        return Part()
    kinds = [_kind_variable(k, spec.page_groups_of(k)) for k in group_kinds(spec)]
    return Part(variables=(*kinds, _page_type_variable(spec)))
