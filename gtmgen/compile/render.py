"""The one jinja2 environment: renders the Custom HTML and JavaScript snippets, never JSON.

Autoescaping is off (the output is JavaScript, not HTML text); instead every value from a spec
enters a script through the `js` filter, which writes a JavaScript literal that is also safe
inside `<script>` (no `<`, `>`, `&`, so no `</script>` or `<!--`), safe on old engines (no raw
U+2028/U+2029) and safe from Tag Manager itself (no `{` or `}`, so no accidental `{{variable}}`).
GTM variable references enter through `gtm(name)`, which the compiler only calls with its own
variable names.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2

from gtmgen.compile.parts import number_text, ref

_STRING_ESCAPES = str.maketrans(
    {
        "<": "\\u003c",
        ">": "\\u003e",
        "&": "\\u0026",
        "{": "\\u007b",
        "}": "\\u007d",
        "\u2028": "\\u2028",
        "\u2029": "\\u2029",
    }
)


def js_string(text: str) -> str:
    """A double-quoted JavaScript string literal for any text, safe in a script element."""
    return json.dumps(text, ensure_ascii=False).translate(_STRING_ESCAPES)


def js_literal(value: Any) -> str:
    """A JavaScript literal for a string, number, boolean, None, sequence or mapping."""
    if isinstance(value, str):
        return js_string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ValueError(f"no JavaScript literal for {value!r}")
        return number_text(value)
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{js_string(str(k))}: {js_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, Sequence):
        return "[" + ", ".join(js_literal(v) for v in value) + "]"
    raise TypeError(f"no JavaScript literal for {type(value).__name__}")


def _load(name: str) -> str:
    return importlib.resources.files("gtmgen.templates").joinpath(name).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared environment: strict about undefined names, templates from package data."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_load),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["js"] = js_literal
    env.globals["gtm"] = ref
    return env


def render(template: str, **context: Any) -> str:
    """Render a template under templates/ (e.g. `meta/base.html.j2`)."""
    return environment().get_template(template).render(**context).strip()
