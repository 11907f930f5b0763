"""Trigger conditions and JavaScript regular expressions, evaluated the way GTM does.

GTM compares `String(arg0)` with `arg1` for the text operators (so an undefined value equals the
text "undefined"), `Number(...)` for the numeric ones, and `Element.matches(arg1)` for
CSS_SELECTOR. `negate` inverts the result; `ignore_case` applies to MATCH_REGEX. A condition whose
value is Unknown, or whose operator or selector the simulator does not implement, is Unknown.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import lru_cache

from gtmgen.container import Condition
from gtmgen.simulate.page import Element
from gtmgen.simulate.selectors import UnsupportedSelector, matches
from gtmgen.simulate.values import Unknown, Value, js_number, js_string

Truth = bool | Unknown

_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_REPLACEMENT = re.compile(r"\$(\$|&|`|'|\d{1,2}|<[^>]*>)")


@lru_cache(maxsize=4096)
def _compile(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    return re.compile(_NAMED_GROUP.sub("(?P<", pattern), re.IGNORECASE if ignore_case else 0)


def js_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str] | Unknown:
    """A JavaScript regular expression as a Python pattern (Unknown when Python cannot read it)."""
    try:
        return _compile(pattern, ignore_case)
    except re.error as error:
        return Unknown(f"regular expression {pattern!r} not understood ({error})")


def js_replace(match: re.Match[str], replacement: str) -> str:
    """Expand a JavaScript replacement string (`$1`, `$<name>`, `$&`, `$$`) for one match."""

    def expand(token: re.Match[str]) -> str:
        code = token.group(1)
        if code == "$":
            return "$"
        if code == "&":
            return match.group(0)
        if code == "`":
            return match.string[: match.start()]
        if code == "'":
            return match.string[match.end() :]
        if code.startswith("<"):
            return match.groupdict().get(code[1:-1]) or ""
        return _numbered_group(match, code, token.group(0))

    return _REPLACEMENT.sub(expand, replacement)


def _numbered_group(match: re.Match[str], code: str, literal: str) -> str:
    """`$12` means group 12 when it exists, else group 1 followed by "2" (JavaScript's rule)."""
    for digits in (code, code[:1]):
        number = int(digits)
        if 0 < number <= (match.re.groups or 0):
            return (match.group(number) or "") + code[len(digits) :]
    return literal


def _regex_test(value: str, pattern: str, ignore_case: bool) -> Truth:
    compiled = js_regex(pattern, ignore_case)
    return compiled if isinstance(compiled, Unknown) else compiled.search(value) is not None


def _numeric(test: Callable[[float, float], bool]) -> Callable[[Value, str, bool], Truth]:
    def compare(value: Value, arg1: str, _ignore_case: bool) -> Truth:
        left, right = js_number(value), js_number(arg1)
        return not (math.isnan(left) or math.isnan(right)) and test(left, right)

    return compare


def _css(value: Value, arg1: str, _ignore_case: bool) -> Truth:
    if not isinstance(value, Element):
        return False  # GTM: a non-element never matches a selector
    try:
        return matches(arg1, value)
    except UnsupportedSelector as error:
        return Unknown(str(error))


def _text(test: Callable[[str, str], bool]) -> Callable[[Value, str, bool], Truth]:
    def compare(value: Value, arg1: str, _ignore_case: bool) -> Truth:
        return test(js_string(value), arg1)

    return compare


OPERATORS_BY_TYPE: dict[str, Callable[[Value, str, bool], Truth]] = {
    "EQUALS": _text(lambda a, b: a == b),
    "CONTAINS": _text(lambda a, b: b in a),
    "STARTS_WITH": _text(lambda a, b: a.startswith(b)),
    "ENDS_WITH": _text(lambda a, b: a.endswith(b)),
    "MATCH_REGEX": lambda value, arg1, ignore_case: _regex_test(js_string(value), arg1, ignore_case),
    "LESS": _numeric(lambda a, b: a < b),
    "LESS_OR_EQUALS": _numeric(lambda a, b: a <= b),
    "GREATER": _numeric(lambda a, b: a > b),
    "GREATER_OR_EQUALS": _numeric(lambda a, b: a >= b),
    "CSS_SELECTOR": _css,
}


def evaluate(condition: Condition, arg0: Value, arg1: Value) -> Truth:
    """Whether a condition holds for the resolved `{{arg0}}` and `arg1` values."""
    unknown = arg0 if isinstance(arg0, Unknown) else arg1 if isinstance(arg1, Unknown) else None
    if unknown is not None:
        return unknown
    operator = OPERATORS_BY_TYPE.get(condition.type)
    if operator is None:
        return Unknown(f"condition operator {condition.type} is not simulated")
    result = operator(arg0, js_string(arg1), condition.ignore_case)
    if isinstance(result, Unknown):
        return result
    return result != condition.negate


def all_of(results: list[Truth]) -> Truth:
    """AND of three-valued results: False wins, then Unknown, else True."""
    if any(r is False for r in results):
        return False
    return next((r for r in results if isinstance(r, Unknown)), True)
