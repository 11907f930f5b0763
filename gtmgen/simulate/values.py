"""Values as GTM sees them: JavaScript semantics for the few conversions that decide what fires.

A value is JSON-like data (str, int, float, bool, None, list, dict), an `Element`, `UNDEFINED`, or an
`Unknown` marker for what the simulator cannot compute (a Custom JavaScript variable, an unknown
template). Unknown is never guessed away: anything computed from it is Unknown too.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from gtmgen.simulate.page import Element


class Undefined:
    """JavaScript's `undefined` (a dataLayer key that was never pushed, a table with no match)."""

    _instance: Undefined | None = None

    def __new__(cls) -> Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = Undefined()


@dataclass(frozen=True, slots=True)
class Unknown:
    """A value the simulator cannot compute, with the reason (`{{JS - id}} is Custom JavaScript`)."""

    reason: str

    def __str__(self) -> str:
        return f"<cannot evaluate: {self.reason}>"


Value = Any  # JSON-like | Element | Undefined | Unknown

# String(element) in a browser: links stringify to their href, other elements to their interface.
_INTERFACE_BY_TAG = {
    "a": "HTMLAnchorElement",
    "button": "HTMLButtonElement",
    "div": "HTMLDivElement",
    "form": "HTMLFormElement",
    "img": "HTMLImageElement",
    "input": "HTMLInputElement",
    "li": "HTMLLIElement",
    "p": "HTMLParagraphElement",
    "span": "HTMLSpanElement",
    "section": "HTMLElement",
}
_JS_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def first_unknown(*values: Value) -> Unknown | None:
    """The first Unknown among the values (None when all are known)."""
    return next((v for v in values if isinstance(v, Unknown)), None)


def js_string(value: Value) -> str:
    """`String(value)` in JavaScript (conditions compare strings this way: undefined is "undefined")."""
    if value is UNDEFINED:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return _number_string(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return ",".join("" if v is None or v is UNDEFINED else js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    if isinstance(value, Element):
        if value.tag.lower() in ("a", "area"):
            return value.href
        return f"[object {_INTERFACE_BY_TAG.get(value.tag.lower(), 'HTMLElement')}]"
    return str(value)


def _number_string(number: float) -> str:
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number.is_integer() and abs(number) < 1e21:
        return str(int(number))
    return repr(number)


def js_number(value: Value) -> float:
    """`Number(value)` in JavaScript (NaN when it is not a number)."""
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, (str, list)):
        text = js_string(value).strip()
        if text == "":
            return 0.0
        if _JS_NUMBER.fullmatch(text):
            return float(text)
        return {"Infinity": math.inf, "+Infinity": math.inf, "-Infinity": -math.inf}.get(text, math.nan)
    return math.nan


def to_json(value: Value) -> Any:
    """A value for a JSON report: undefined becomes null, Unknown `{"cannot_evaluate": reason}`."""
    if value is UNDEFINED:
        return None
    if isinstance(value, Unknown):
        return {"cannot_evaluate": value.reason}
    if isinstance(value, Element):
        return value.describe()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return int(value)
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


def display(value: Value) -> str:
    """A value for the text timeline: JSON literals, `undefined`, `<cannot evaluate: ...>`."""
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, Unknown):
        return str(value)
    if isinstance(value, Element):
        return value.describe()
    if isinstance(value, list):
        return "[" + ", ".join(display(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {display(v)}" for k, v in value.items()) + "}"
    return json.dumps(to_json(value), ensure_ascii=False)
