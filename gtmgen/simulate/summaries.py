"""What a fired tag sends, in platform terms: event name, value, currency, event id.

`summarize` turns a tag's resolved parameters into the fields a reader checks (Google Ads value,
currency and transaction id; the GA4 event and its parameters; the Meta event, parameters and
eventID read from Custom HTML `fbq` calls or the Meta Pixel template). `event_id` is the shared
deduplication id under whatever name each platform uses (orderId, transaction_id, eventID).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from gtmgen.container import Tag, is_owned
from gtmgen.names import GA4_CONVERSION_EVENTS, META_CONVERSION_EVENTS
from gtmgen.simulate.scripts import find_calls
from gtmgen.simulate.values import UNDEFINED, Unknown, Value
from gtmgen.simulate.variables import Resolver

Summary = dict[str, Value]
_CONVERSION_SOURCE = re.compile(r"^source: conversions\[\d+\]", re.MULTILINE)

# Google tags adapt to consent mode by themselves (built-in consent checks, tracking-domain §1.8);
# these are the consent types each one reads.
BUILT_IN_CONSENT_BY_TYPE: dict[str, tuple[str, ...]] = {
    "googtag": ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization"),
    "gaawe": ("analytics_storage", "ad_storage", "ad_user_data", "ad_personalization"),
    "gaawc": ("analytics_storage", "ad_storage"),
    "awct": ("ad_storage", "ad_user_data"),
    "awud": ("ad_user_data",),
    "sp": ("ad_storage", "ad_personalization", "ad_user_data"),
    "gclidw": ("ad_storage",),
    "fls": ("ad_storage", "ad_user_data"),
    "flc": ("ad_storage", "ad_user_data"),
}

_LIFTED = ("value", "currency", "event_id", "transaction_id")


def _rest(params: Value) -> Value:
    """Parameters without those already shown as value/currency/event_id."""
    if not isinstance(params, dict):
        return params
    return {k: v for k, v in params.items() if k not in _LIFTED} or None


def _present(**fields: Value) -> Summary:
    return {k: v for k, v in fields.items() if v is not UNDEFINED and v != "" and v is not None}


def _table(rows: Value, key: str = "parameter", value: str = "parameterValue") -> dict[str, Value]:
    if not isinstance(rows, list):
        return {}
    return {str(r.get(key, "")): r.get(value, UNDEFINED) for r in rows if isinstance(r, dict)}


def _merged_settings(parameters: Mapping[str, Value], table: str, variable: str) -> dict[str, Value]:
    base = parameters.get(variable)
    merged = dict(base) if isinstance(base, dict) else {}
    return merged | _table(parameters.get(table))


def _google_ads(parameters: Mapping[str, Value]) -> Summary:
    return {"platform": "Google Ads"} | _present(
        conversion_id=parameters.get("conversionId"),
        conversion_label=parameters.get("conversionLabel"),
        value=parameters.get("conversionValue"),
        currency=parameters.get("currencyCode"),
        event_id=parameters.get("orderId"),
    )


def _ga4_event(parameters: Mapping[str, Value]) -> Summary:
    params = _merged_settings(parameters, "eventSettingsTable", "eventSettingsVariable")
    params |= _table(parameters.get("eventParameters"), "name", "value")
    event_id = params.get("transaction_id", params.get("event_id"))
    return {"platform": "GA4"} | _present(
        event=parameters.get("eventName"),
        measurement_id=parameters.get("measurementIdOverride", parameters.get("measurementId")),
        value=params.get("value"),
        currency=params.get("currency"),
        event_id=event_id,
        params=_rest(params),
    )


def _google_tag(parameters: Mapping[str, Value]) -> Summary:
    config = _merged_settings(parameters, "configSettingsTable", "configSettingsVariable")
    return {"platform": "Google tag"} | _present(tag_id=parameters.get("tagId"), config=config or None)


def _remarketing(parameters: Mapping[str, Value]) -> Summary:
    return {"platform": "Google Ads remarketing"} | _present(
        conversion_id=parameters.get("conversionId"),
        conversion_label=parameters.get("conversionLabel"),
        params=_table(parameters.get("customParams"), "key", "value") or None,
    )


def _floodlight(parameters: Mapping[str, Value]) -> Summary:
    return {"platform": "Floodlight"} | _present(
        advertiser=parameters.get("advertiserId"),
        activity=parameters.get("activityTag"),
        value=parameters.get("revenue"),
        event_id=parameters.get("orderId"),
    )


def _unknown_or_none(value: Value) -> Unknown | None:
    return value if isinstance(value, Unknown) else None


def _meta_call_fields(call_args: tuple[Value, ...]) -> Summary:
    """Fields of one `fbq('track'|'trackSingle'|...)` call."""
    method = call_args[0]
    rest = call_args[2:] if method in ("trackSingle", "trackSingleCustom") else call_args[1:]
    event, params, options = (list(rest) + [UNDEFINED] * 3)[:3]
    params = params if isinstance(params, (dict, Unknown)) else {}
    fields = _present(
        event=event,
        value=params.get("value") if isinstance(params, dict) else None,
        currency=params.get("currency") if isinstance(params, dict) else None,
        event_id=options.get("eventID") if isinstance(options, dict) else _unknown_or_none(options),
    )
    return fields | ({"params": _rest(params)} if _rest(params) else {})


def meta_from_html(html: str, resolver: Resolver) -> Summary:
    """The Meta Pixel calls of a Custom HTML tag: pixels initialised, and the last event tracked."""
    calls = [c for c in find_calls(html, ("fbq",), resolver.render) if c.args]
    if not calls:
        return {}
    summary: Summary = {"platform": "Meta"}
    inits = [c.args[1] for c in calls if c.args[0] == "init" and len(c.args) > 1]
    tracks = [c.args for c in calls if c.args[0] in ("track", "trackSingle", "trackCustom", "trackSingleCustom")]
    single = [t[1] for t in tracks if t[0] in ("trackSingle", "trackSingleCustom") and len(t) > 1]
    pixels = list(dict.fromkeys(inits or single))
    if pixels:
        summary["pixels"] = pixels
    if tracks:
        summary |= _meta_call_fields(tracks[-1])
    consent = [c.args[1] for c in calls if c.args[0] == "consent" and len(c.args) > 1]
    if consent:
        summary["consent"] = consent[-1]
    return summary


def _meta_template(parameters: Mapping[str, Value]) -> Summary:
    """The Meta Pixel community template (facebook/GoogleTagManager-WebTemplate-For-FacebookPixel)."""
    kind = parameters.get("eventName")
    event = parameters.get("eventNameCustom") if kind == "custom" else parameters.get("eventNameStandard")
    if kind == "variable":
        event = parameters.get("variableEventName")
    params = _table(parameters.get("objectPropertyList"), "name", "value")
    return {"platform": "Meta"} | _present(
        pixels=parameters.get("pixelIds"),
        event=event,
        value=params.get("value"),
        currency=params.get("currency"),
        event_id=parameters.get("eventId"),
        params=_rest(params),
    )


SUMMARIZERS_BY_TYPE: dict[str, Callable[[Mapping[str, Value]], Summary]] = {
    "awct": _google_ads,
    "gaawe": _ga4_event,
    "googtag": _google_tag,
    "gaawc": lambda p: {"platform": "GA4"} | _present(measurement_id=p.get("measurementId")),
    "sp": _remarketing,
    "awud": lambda p: {"platform": "Google Ads"} | _present(conversion_id=p.get("conversionId")),
    "gclidw": lambda _p: {"platform": "Conversion Linker"},
    "fls": _floodlight,
}


def summarize(tag: Tag, parameters: Mapping[str, Value], resolver: Resolver) -> Summary:
    """The platform view of a fired tag (empty when the tag type means nothing to the simulator)."""
    summarizer = SUMMARIZERS_BY_TYPE.get(tag.type)
    if summarizer is not None:
        return summarizer(parameters)
    if tag.type == "html":
        return meta_from_html(str(tag.param("html")), resolver)
    if tag.type.startswith("cvt_"):
        return _meta_template(parameters) if "pixelIds" in parameters else _custom_template(parameters)
    return {}


def _custom_template(parameters: Mapping[str, Value]) -> Summary:
    """A community or custom template the simulator does not model: what it is given, as is
    (`raw`: the template's own parameter keys, not platform terms)."""
    return {"platform": "custom template"} | _present(raw=dict(parameters) or None)


def consent_note(tag: Tag, consent: Mapping[str, Any], summary: Mapping[str, Value]) -> str:
    """How consent mode shapes a tag that fires while some consent type is denied (a tag that
    sends nothing to a vendor and says it needs no consent gets no note)."""
    denied = [t for t, state in consent.items() if state != "granted"]
    built_in = [t for t in BUILT_IN_CONSENT_BY_TYPE.get(tag.type, ()) if t in denied]
    if built_in:
        return f"built-in consent checks: {', '.join(built_in)} denied (sends without cookies or user data)"
    if tag.type in BUILT_IN_CONSENT_BY_TYPE:
        return ""
    status = tag.consent.status if tag.consent is not None else "NOT_SET"
    ads = [t for t in denied if t.startswith("ad_")]
    if not ads or status == "NEEDED" or (status == "NOT_NEEDED" and not summary):
        return ""
    setting = "not configured" if status == "NOT_SET" else "no additional consent required"
    return f"{setting}: fires although {', '.join(ads)} denied"


def is_conversion(tag: Tag, summary: Mapping[str, Value]) -> bool:
    """Whether a firing counts a business result (a conversion), not an observation."""
    if is_owned(tag.notes):  # gtmgen names the spec key: conversions[N] (and its platform blocks)
        return bool(summary) and _CONVERSION_SOURCE.search(tag.notes) is not None
    if tag.type in ("awct", "fls"):
        return True
    event = summary.get("event")
    return (summary.get("platform") == "Meta" and event in META_CONVERSION_EVENTS) or (
        summary.get("platform") == "GA4" and event in GA4_CONVERSION_EVENTS
    )
