"""Spec text that becomes a Tag Manager template value must not hold `{{...}}`.

GTM reads `{{Name}}` in a trigger condition, an event name or a selector as a reference to the
variable `Name` and has no escape for it, so such text would match something else than the
user wrote (or make the container fail to publish). Names, notes and script contents are safe:
GTM does not expand names and notes, and the compiler escapes braces inside scripts. The
compiler keeps its own guard (`compile.parts.literal`) as a backstop for callers that skip
validation; `TEMPLATE_TEXT_FIELDS` lists the same spec keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gtmgen.container import variable_references
from gtmgen.errors import Diagnostic
from gtmgen.loader import JsonPath
from gtmgen.rules.context import RuleContext, mapping

# Keys under one conversion's `when` whose text reaches a GTM template value.
WHEN_TEXT_FIELDS: tuple[tuple[str, ...], ...] = (
    ("page_path",),
    ("thank_you_page",),
    ("thank_you_page", "path"),
    ("datalayer_event",),
    ("plugin", "form_id"),
    ("element_visible",),
)
# Every spec key the rule checks, as the compiler's guard names them (`[]` for any index).
TEMPLATE_TEXT_FIELDS = (
    *(".".join(("conversions[]", "when", *f)) for f in WHEN_TEXT_FIELDS),
    "signals.clicks[].selector",
    "consent.update_event",
)


def check_gtm_variable_syntax(ctx: RuleContext) -> Iterator[Diagnostic]:
    """No `{{...}}` in spec text that GTM would read as a variable reference."""
    for path, value in _template_texts(ctx):
        found = variable_references(value) if isinstance(value, str) else []
        if found:
            message = (
                f"Tag Manager would read {{{{{found[0]}}}}} here as a reference to its variable {found[0]!r} "
                "(GTM has no escape for it); write the text without double braces"
            )
            yield ctx.error(path, message, "gtm-variable-syntax")


def _template_texts(ctx: RuleContext) -> Iterator[tuple[JsonPath, Any]]:
    for path, conversion in ctx.conversions():
        when = mapping(conversion.get("when"))
        for field in WHEN_TEXT_FIELDS:
            value = _get(when, field)
            if value is not None:
                yield (*path, "when", *field), value
    for path, click in ctx.clicks():
        yield (*path, "selector"), click.get("selector")
    yield ("consent", "update_event"), mapping(ctx.data.get("consent")).get("update_event")


def _get(data: Any, keys: JsonPath) -> Any:
    for key in keys:
        data = mapping(data).get(str(key))
    return data
