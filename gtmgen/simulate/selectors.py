"""A small CSS selector matcher for the elements a scenario describes.

Supports what click and visibility triggers use in practice: type, `#id`, `.class`, `*`, attribute
tests (`[a]`, `[a=v]`, `~=`, `|=`, `^=`, `$=`, `*=`, with `i` flag), compound selectors, the
descendant and child combinators and selector lists. Anything else (pseudo-classes, sibling
combinators) is reported as unsupported rather than guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from gtmgen.simulate.page import Element

_TOKEN = re.compile(
    r"""
    (?P<comma>\s*,\s*)
  | (?P<space>\s*>\s*|\s+)
  | (?P<type>\*|[A-Za-z][A-Za-z0-9-]*)
  | \#(?P<id>(?:[A-Za-z0-9_-]|\\.)+)
  | \.(?P<cls>(?:[A-Za-z0-9_-]|\\.)+)
  | \[\s*(?P<attr>[A-Za-z_:][-A-Za-z0-9_:.]*)\s*
      (?:(?P<op>[~|^$*]?=)\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s\]]+))\s*(?P<flag>[iI])?\s*)?\]
    """,
    re.VERBOSE,
)


class UnsupportedSelector(ValueError):
    """A selector uses syntax this matcher does not implement."""


@dataclass(frozen=True, slots=True)
class _AttrTest:
    name: str
    op: str | None
    value: str
    ignore_case: bool

    def matches(self, element: Element) -> bool:
        actual = element.attribute(self.name)
        if actual is None:
            return False
        if self.op is None:
            return True
        want, have = (self.value.lower(), actual.lower()) if self.ignore_case else (self.value, actual)
        return _ATTR_OPS[self.op](have, want)


_ATTR_OPS: dict[str, Callable[[str, str], bool]] = {
    "=": lambda have, want: have == want,
    "~=": lambda have, want: want in have.split(),
    "|=": lambda have, want: have == want or have.startswith(want + "-"),
    "^=": lambda have, want: bool(want) and have.startswith(want),
    "$=": lambda have, want: bool(want) and have.endswith(want),
    "*=": lambda have, want: bool(want) and want in have,
}


@dataclass(frozen=True, slots=True)
class _Compound:
    tag: str | None = None
    ids: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    attrs: tuple[_AttrTest, ...] = ()

    def matches(self, element: Element) -> bool:
        return (
            (self.tag is None or self.tag == element.tag.lower())
            and all(i == element.id for i in self.ids)
            and all(c in element.classes for c in self.classes)
            and all(a.matches(element) for a in self.attrs)
        )


# A complex selector: compounds from left to right, each joined to the next by " " or ">".
_Complex = tuple[tuple[_Compound, str], ...]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def parse_selector(selector: str) -> tuple[_Complex, ...]:
    """Parse a selector list; raise UnsupportedSelector on syntax outside the supported subset."""
    groups: list[_Complex] = []
    current: list[tuple[_Compound, str]] = []
    compound: dict[str, list[object]] = {}
    tag: str | None = None
    position = 0
    text = selector.strip()

    def close(combinator: str) -> None:
        nonlocal compound, tag
        if not compound and tag is None:
            raise UnsupportedSelector(f"unsupported CSS selector {selector!r}")
        current.append((_make(tag, compound), combinator))
        compound, tag = {}, None

    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise UnsupportedSelector(f"unsupported CSS selector {selector!r} (at {text[position:]!r})")
        position = match.end()
        kind = match.lastgroup if match.group("attr") is None else "attr"
        if kind == "space":
            close(">" if ">" in match.group("space") else " ")
        elif kind == "comma":
            close("")
            groups.append(tuple(current))
            current.clear()
        elif kind == "type":
            tag = match.group("type").lower()
        elif kind in ("id", "cls"):
            compound.setdefault(kind, []).append(_unescape(match.group(kind)))
        else:
            compound.setdefault("attr", []).append(_attr_test(match))
    close("")
    groups.append(tuple(current))
    return tuple(groups)


def _attr_test(match: re.Match[str]) -> _AttrTest:
    value = next((v for v in (match.group("dq"), match.group("sq"), match.group("bare")) if v is not None), "")
    return _AttrTest(match.group("attr").lower(), match.group("op"), value, match.group("flag") is not None)


def _make(tag: str | None, parts: dict[str, list[object]]) -> _Compound:
    return _Compound(
        tag=None if tag in (None, "*") else tag,
        ids=tuple(str(i) for i in parts.get("id", ())),
        classes=tuple(str(c) for c in parts.get("cls", ())),
        attrs=tuple(a for a in parts.get("attr", ()) if isinstance(a, _AttrTest)),
    )


def matches(selector: str, element: Element) -> bool:
    """Whether `element` itself matches the selector (Element.matches in the DOM)."""
    return any(_matches_complex(group, element) for group in parse_selector(selector))


def _matches_complex(group: _Complex, element: Element) -> bool:
    *ancestors, (last, _) = group
    if not last.matches(element):
        return False
    return _match_ancestors(list(ancestors), element.parents)


def _match_ancestors(remaining: list[tuple[_Compound, str]], chain: tuple[Element, ...]) -> bool:
    """Match the compounds right to left against the ancestor chain (nearest first)."""
    if not remaining:
        return True
    compound, combinator = remaining[-1]
    candidates = chain[:1] if combinator == ">" else chain
    for offset, ancestor in enumerate(candidates):
        if compound.matches(ancestor) and _match_ancestors(remaining[:-1], chain[offset + 1 :]):
            return True
    return False


def element_from_selector(selector: str) -> Element:
    """The simplest element a selector describes: `div.hero a.cta[href="/book"]` is a link inside
    a div. Only `=` attribute tests and single selectors (no lists) describe one element."""
    groups = parse_selector(selector)
    if len(groups) != 1:
        raise UnsupportedSelector(f"{selector!r} lists several selectors; give one element")
    built: Element | None = None
    for compound, _ in groups[0]:
        built = _element_of(compound, selector, (built, *built.parents) if built is not None else ())
    assert built is not None
    return built


def _element_of(compound: _Compound, selector: str, parents: tuple[Element, ...]) -> Element:
    if any(a.op not in (None, "=") for a in compound.attrs):
        raise UnsupportedSelector(f"{selector!r} tests attributes by pattern; give their exact values")
    attrs = {a.name: a.value for a in compound.attrs}
    return Element(
        tag=compound.tag or "div",
        id=compound.ids[0] if compound.ids else "",
        classes=compound.classes,
        href=attrs.pop("href", ""),
        target=attrs.pop("target", ""),
        attributes=tuple(attrs.items()),
        parents=parents,
    )
