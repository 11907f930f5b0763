"""Rules on conversions: platforms, labels, names, success signals, value and currency, events."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from importlib.resources import files
from typing import Any

from gtmgen.errors import Diagnostic
from gtmgen.loader import JsonPath
from gtmgen.names import (
    GA4_CONVERSION_EVENTS,
    GA4_ENHANCED_MEASUREMENT_EVENTS,
    META_CONVERSION_EVENTS,
    ga4_event_name_problem,
    meta_standard_spelling,
    suggest_ga4_event_name,
)
from gtmgen.rules.context import PLATFORM_NAMES, PLATFORMS, RuleContext, mapping, text
from gtmgen.spec import default_events, slugify

# ---------------------------------------------------------------- platforms per conversion


def check_platform_blocks(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A conversion may only configure platforms that `platforms` sets up."""
    for path, conversion in ctx.conversions():
        for platform in _unconfigured_platforms(ctx, conversion):
            message = (
                f"this conversion configures {PLATFORM_NAMES[platform]}, but platforms.{platform} is not set up; "
                f"add platforms.{platform} or remove this block"
            )
            yield ctx.error((*path, platform), message, "platform-not-configured", key=True)


def _unconfigured_platforms(ctx: RuleContext, conversion: Mapping[str, Any]) -> Iterator[str]:
    """The platforms this conversion configures that `platforms` does not, unless the schema has
    already reported that section (a misspelt `platfroms:` is one mistake, not one per block)."""
    for platform in PLATFORMS:
        if conversion.get(platform, False) is False or platform in ctx.platforms:
            continue
        if not ctx.schema_reported(("platforms", platform)):
            yield platform


def check_google_ads_labels(ctx: RuleContext) -> Iterator[Diagnostic]:
    """With Google Ads set up, every conversion names its label or opts out."""
    if "google_ads" not in ctx.platforms:
        return
    for path, conversion in ctx.conversions():
        if "google_ads" not in conversion:
            message = (
                "Google Ads is set up but this conversion has no `google_ads: {label: ...}`; add the conversion "
                "label from Google Ads (Goals > Conversions > Tag setup), or `google_ads: false` to leave it out"
            )
            yield ctx.error(path, message, "google-ads-label")


def check_unique_conversion_names(ctx: RuleContext) -> Iterator[Diagnostic]:
    yield from _unique_names(ctx, ctx.conversions(), "conversion", "duplicate-conversion")


def check_unique_click_names(ctx: RuleContext) -> Iterator[Diagnostic]:
    yield from _unique_names(ctx, ctx.clicks(), "click signal", "duplicate-click")


def _unique_names(
    ctx: RuleContext, entries: Iterable[tuple[JsonPath, Mapping[str, Any]]], what: str, rule: str
) -> Iterator[Diagnostic]:
    """Names must differ once lower-cased and stripped of punctuation (they name GTM entities)."""
    first_by_slug: dict[str, tuple[JsonPath, str]] = {}
    for path, entry in entries:
        name = text(entry.get("name"))
        if name is None:
            continue
        slug = slugify(name)
        if slug not in first_by_slug:
            first_by_slug[slug] = (path, name)
            continue
        first_path, first_name = first_by_slug[slug]
        same = "is already used" if first_name == name else f"is the same as {first_name!r} once lower-cased"
        message = f"{what} name {name!r} {same} (line {ctx.line(first_path)}); give each {what} its own name"
        yield ctx.error((*path, "name"), message, rule)


# ---------------------------------------------------------------- success signals


def check_thank_you_pages(ctx: RuleContext) -> Iterator[Diagnostic]:
    for path, conversion in ctx.conversions():
        when = mapping(conversion.get("when"))
        page = when.get("thank_you_page")
        spec = mapping(page)
        value, match = (page, "prefix") if isinstance(page, str) else (spec.get("path"), spec.get("match", "prefix"))
        where = (*path, "when", "thank_you_page") + (() if isinstance(page, str) else ("path",))
        if not isinstance(value, str):
            continue
        if match == "regex":
            problem = regex_problem(value)
            if problem:
                yield ctx.error(where, f"invalid regular expression: {problem}", "thank-you-regex")
        elif not value.startswith("/"):
            message = (
                "a thank-you page is a path starting with /, such as /thank-you/ (for a pattern set `match: regex`)"
            )
            yield ctx.error(where, f"{message}; found {value!r}", "thank-you-path")


_JS_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` is not a regular expression GTM (JavaScript) and Python both accept, or None."""
    if "(?P" in pattern:
        return "(?P...) is Python-only syntax; GTM uses JavaScript regular expressions"
    try:
        re.compile(_JS_NAMED_GROUP.sub("(?P<", pattern))
    except re.error as error:
        where = f" at position {error.pos + 1}" if error.pos is not None else ""
        return f"{error.msg}{where}"
    return None


_SCOPED_SIGNALS = ("link_click", "element_visible")


def check_page_path_scope(ctx: RuleContext) -> Iterator[Diagnostic]:
    """`page_path` narrows clicks and visible elements; other signals ignore it."""
    for path, conversion in ctx.conversions():
        when = mapping(conversion.get("when"))
        signal = next((key for key in when if key != "page_path"), None)
        if "page_path" in when and signal is not None and signal not in _SCOPED_SIGNALS:
            message = f"page_path has no effect with {signal} (only with link_click and element_visible); remove it"
            yield ctx.warning((*path, "when", "page_path"), message, "page-path-ignored", key=True)


def check_phone_calls(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A phone_call is recognised by a tel: click or by a call-tracking tool's dataLayer event."""
    for path, conversion in ctx.conversions():
        when = mapping(conversion.get("when"))
        if conversion.get("kind") != "phone_call" or not when:
            continue
        if "link_click" not in when and "datalayer_event" not in when:
            message = (
                "a phone_call has no way to recognise a call here; use `link_click: tel` (clicks on tel: links) "
                "or the `datalayer_event` your call-tracking tool pushes"
            )
            yield ctx.error((*path, "when"), message, "phone-call-signal", key=True)


def check_plugin_form_ids(ctx: RuleContext) -> Iterator[Diagnostic]:
    for path, conversion in ctx.conversions():
        plugin = mapping(mapping(conversion.get("when")).get("plugin"))
        if plugin.get("name") == "calendly" and "form_id" in plugin:
            message = "Calendly bookings have no form id; remove form_id (every booking counts)"
            yield ctx.warning((*path, "when", "plugin", "form_id"), message, "plugin-form-id", key=True)


# ---------------------------------------------------------------- value and currency


@functools.cache
def currencies() -> tuple[frozenset[str], Mapping[str, str]]:
    """Active ISO 4217 codes, and withdrawn codes with their successors (specs/currencies.json)."""
    data = json.loads(files("gtmgen.specs").joinpath("currencies.json").read_text(encoding="utf-8"))
    return frozenset(data["active"]), dict(data["withdrawn"])


def check_value_and_currency(ctx: RuleContext) -> Iterator[Diagnostic]:
    for path, conversion in ctx.conversions():
        has_value = "value" in conversion or ctx.schema_reported((*path, "value"))  # `valeu:` is reported once
        has_currency = "currency" in conversion or ctx.schema_reported((*path, "currency"))
        value = conversion.get("value")
        if isinstance(value, float) and not math.isfinite(value):
            yield ctx.error((*path, "value"), "a value must be a finite number", "value-finite")
        if has_value and not has_currency:
            message = "a value needs a currency; add `currency:` with an ISO 4217 code such as USD"
            yield ctx.error((*path, "value"), message, "value-without-currency", key=True)
        if has_currency and not has_value:
            message = "currency has no effect without a value; add `value:` or remove currency"
            yield ctx.warning((*path, "currency"), message, "currency-without-value", key=True)
        if conversion.get("kind") == "purchase" and not has_value:
            message = "a purchase without a value cannot measure revenue or return on ad spend; add `value:`"
            yield ctx.warning(path, message, "purchase-without-value")


def check_currency_codes(ctx: RuleContext) -> Iterator[Diagnostic]:
    active, withdrawn = currencies()
    for path, conversion in ctx.conversions():
        code = text(conversion.get("currency"))
        if code is None or not re.fullmatch(r"[A-Z]{3}", code) or code in active:
            continue
        if code in withdrawn:
            message = f"currency {code!r} was withdrawn from ISO 4217; use {withdrawn[code]}"
        else:
            close = [c for c in sorted(active) if sum(a != b for a, b in zip(c, code, strict=False)) == 1][:3]
            hint = f" (did you mean {' or '.join(close)}?)" if close else ""
            message = f"unknown currency {code!r}: not an active ISO 4217 code{hint}"
        yield ctx.error((*path, "currency"), message, "currency-unknown")


def check_meta_purchase_value(ctx: RuleContext) -> Iterator[Diagnostic]:
    """Meta requires value and currency on Purchase."""
    if "meta" not in ctx.platforms:
        return
    for path, conversion in ctx.conversions():
        event, where = _meta_event(conversion, path)
        if event == "Purchase" and "value" not in conversion:
            message = "Meta requires a value and a currency on Purchase; add `value:` and `currency:`"
            yield ctx.error(where, message, "meta-purchase-value")


def _meta_event(conversion: Mapping[str, Any], path: JsonPath) -> tuple[str | None, JsonPath]:
    block = conversion.get("meta")
    if block is False:
        return None, path
    explicit = text(mapping(block).get("event"))
    if explicit is not None:
        return explicit, (*path, "meta", "event")
    kind, name = text(conversion.get("kind")), text(conversion.get("name"))
    link = text(mapping(conversion.get("when")).get("link_click"))
    return (default_events(kind, name, link)[1] if kind and name else None), (*path, "kind")


# ---------------------------------------------------------------- event names


def check_ga4_event_names(ctx: RuleContext) -> Iterator[Diagnostic]:
    for path, conversion in ctx.conversions():
        block = conversion.get("ga4")
        explicit = text(mapping(block).get("event"))
        if explicit is not None:
            yield from _ga4_name(ctx, explicit, (*path, "ga4", "event"), conversion=True)
        elif block is not False and "ga4" in ctx.platforms:
            yield from _derived_ga4_name(ctx, conversion, path)
    for path, click in ctx.clicks():
        name = text(click.get("ga4_event"))
        if name is not None:
            yield from _ga4_name(ctx, name, (*path, "ga4_event"), conversion=False)


def _derived_ga4_name(ctx: RuleContext, conversion: Mapping[str, Any], path: JsonPath) -> Iterator[Diagnostic]:
    kind, name = text(conversion.get("kind")), text(conversion.get("name"))
    if kind is None or name is None:
        return
    event = default_events(kind, name, text(mapping(conversion.get("when")).get("link_click")))[0]
    problem = ga4_event_name_problem(event)
    if problem:
        message = (
            f"this conversion's GA4 event name would be {event!r} (made from its name), which {problem}; "
            "set one with `ga4: {event: ...}`"
        )
        yield ctx.error((*path, "name"), message, "ga4-event-name")


def _ga4_name(ctx: RuleContext, name: str, path: JsonPath, *, conversion: bool) -> Iterator[Diagnostic]:
    problem = ga4_event_name_problem(name)
    if problem:
        suggestion = suggest_ga4_event_name(name)
        fix = f"use {suggestion!r} or another name" if suggestion else "choose another name"
        yield ctx.error(path, f"GA4 event name {name!r} {problem}; {fix}", "ga4-event-name")
    elif conversion and name in GA4_ENHANCED_MEASUREMENT_EVENTS:
        message = f"GA4 enhanced measurement also sends {name!r}, so this conversion would be counted twice"
        yield ctx.warning(path, message + "; choose another name", "ga4-enhanced-measurement")


def check_meta_event_names(ctx: RuleContext) -> Iterator[Diagnostic]:
    named = [((*p, "meta", "event"), mapping(c.get("meta")).get("event")) for p, c in ctx.conversions()]
    named += [((*p, "meta_event"), c.get("meta_event")) for p, c in ctx.clicks()]
    for path, name in named:
        standard = meta_standard_spelling(name) if isinstance(name, str) else None
        if standard:
            message = f"Meta event names are case-sensitive: {name!r} is a custom event, not the standard {standard!r}"
            yield ctx.warning(path, message, "meta-event-case")


def check_signal_events(ctx: RuleContext) -> Iterator[Diagnostic]:
    """A click signal observes; an outcome event name would make the platforms count it as a result."""
    for path, click in ctx.clicks():
        ga4, meta = click.get("ga4_event"), click.get("meta_event")
        if isinstance(ga4, str) and ga4 in GA4_CONVERSION_EVENTS:
            yield ctx.warning((*path, "ga4_event"), _signal_event_message(ga4, "GA4"), "signal-outcome-event")
        if isinstance(meta, str) and meta in META_CONVERSION_EVENTS:
            yield ctx.warning((*path, "meta_event"), _signal_event_message(meta, "Meta"), "signal-outcome-event")


def _signal_event_message(event: str, platform: str) -> str:
    return (
        f"{event!r} is the {platform} event of an outcome, but a click is only an attempt: reports and bidding "
        "would count every click as a result; remove the line (gtmgen names the event after the click) or "
        "declare the outcome under `conversions`"
    )
