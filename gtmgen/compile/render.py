"""The one jinja2 environment (STYLE.md): the compiler's Custom HTML and JavaScript snippets and
`gtmgen init`'s starter specs, never JSON. `environment()` is the only place an Environment is built.

Autoescaping is off (the output is JavaScript, not HTML text); instead every value from a spec
enters a script through the `js` filter, which writes a JavaScript literal that is also safe
inside `<script>` (no `<`, `>`, `&`, so no `</script>` or `<!--`), safe on old engines (no raw
U+2028/U+2029) and safe from Tag Manager itself (no `{` or `}`, so no accidental `{{variable}}`).
GTM variable references enter through `gtm(name)`, which the compiler only calls with its own
variable names. The starter's YAML values enter through `yaml` and `comment` (see `gtmgen.starter`).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from importlib.resources import files
from typing import Any

import jinja2

from gtmgen.compile.parts import number_text, ref
from gtmgen.starter import comment_text, yaml_string

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


def _template_source(name: str) -> str | None:
    """A template under templates/ by its `/`-separated name; None (TemplateNotFound) if absent."""
    resource = files("gtmgen.templates")
    for part in name.split("/"):
        resource = resource.joinpath(part)
    return resource.read_text(encoding="utf-8") if resource.is_file() else None


@functools.cache
def environment() -> jinja2.Environment:
    """The shared environment: strict about undefined names, templates from package data,
    every output context's escaping filter registered (`js`; `yaml` and `comment`)."""
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(_template_source),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is JavaScript or YAML; values enter only through the filters
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(js=js_literal, yaml=yaml_string, comment=comment_text)
    env.globals["gtm"] = ref
    return env


def render(template: str, **context: Any) -> str:
    """Render a template under templates/ (e.g. `meta/base.html.j2`)."""
    return environment().get_template(template).render(**context).strip()
