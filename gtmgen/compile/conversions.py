"""Conversion actions: one success trigger fans out to GA4, Google Ads and Meta.

All tags of a conversion share the trigger, the value and currency, and the shared event id
(`{{CJS - event id}}`): GA4 `event_id` (and `transaction_id` for purchases), Google Ads
`orderId` and Meta `eventID`, so platforms reconcile and a server-side API can deduplicate.

The event id contract for sites that push their own success events:
`dataLayer.push({event: "lead_submitted", event_id: "<unique per conversion>", value: 150})`.
A pushed `event_id` is used as is (once); otherwise one is generated per GTM event.
"""

from __future__ import annotations

from gtmgen.compile.google import ads_conversion_tag, ga4_event_tag
from gtmgen.compile.meta import event_tag
from gtmgen.compile.parts import (
    AD_CONSENT,
    EVENT_ID_DLV,
    EVENT_ID_VARIABLE,
    FOLDER_CONVERSIONS,
    UNIQUE_EVENT_ID_DLV,
    Part,
    clean_name,
    combine,
    custom_javascript,
    data_layer_variable,
    number_text,
    ref,
)
from gtmgen.compile.render import render
from gtmgen.compile.triggers import conversion_trigger
from gtmgen.container import Tag, Variable, ownership_notes
from gtmgen.spec import Conversion, SiteSpec


def event_id_variables() -> tuple[Variable, ...]:
    """The shared event id (Custom JavaScript) and the two dataLayer values it reads."""
    javascript = render(
        "variables/event_id.js.j2", unique_event_id=UNIQUE_EVENT_ID_DLV, pushed_event_id=EVENT_ID_DLV, event="Event"
    )
    what = (
        "The shared event id of a conversion: the dataLayer's event_id when the site pushed a fresh one, "
        "else one generated per GTM event. GA4 event_id, Google Ads orderId and Meta eventID use it."
    )
    return (
        custom_javascript(EVENT_ID_VARIABLE, javascript, "conversions", what, FOLDER_CONVERSIONS),
        data_layer_variable(
            "event_id", "conversions", "event_id pushed by the site or a gtmgen listener.", FOLDER_CONVERSIONS
        ),
        data_layer_variable(
            "gtm.uniqueEventId", "conversions", "GTM's number of the current event.", FOLDER_CONVERSIONS
        ),
    )


def _value_variable(c: Conversion) -> Variable | None:
    if not c.value_from_datalayer:
        return None
    what = f"The value of {c.name!r}, pushed by the site."
    return data_layer_variable(c.value_from_datalayer, f"{c.source}.value", what, FOLDER_CONVERSIONS)


def _value_text(c: Conversion, variable: Variable | None) -> str | None:
    if variable is not None:
        return ref(variable.name)
    return number_text(c.value) if c.value is not None else None


def _ga4_tag(spec: SiteSpec, c: Conversion, trigger: str, value: str | None) -> Tag:
    params = [("value", value)] if value else []
    params += [("currency", c.currency)] if c.currency else []
    params.append(("event_id", ref(EVENT_ID_VARIABLE)))
    if c.kind == "purchase":
        params.append(("transaction_id", ref(EVENT_ID_VARIABLE)))
    notes = ownership_notes(f"{c.source}.ga4", f"GA4 event {c.ga4_event!r} for the conversion {c.name!r}.")
    return ga4_event_tag(clean_name(f"GA4 - Conv - {c.name}"), c.ga4_event or "", params, trigger, notes)


def _ads_tag(spec: SiteSpec, c: Conversion, trigger: str, value: str | None) -> Tag:
    ads = spec.platforms.google_ads
    assert ads is not None
    notes = ownership_notes(
        f"{c.source}.google_ads", f"Google Ads conversion for {c.name!r}; orderId = shared event id."
    )
    name = clean_name(f"GAds - Conv - {c.name}")
    return ads_conversion_tag(
        name, ads, c.google_ads_label or "", value, c.currency, ref(EVENT_ID_VARIABLE), trigger, notes
    )


def _meta_tag(spec: SiteSpec, c: Conversion, trigger: str, value_variable: Variable | None) -> Tag:
    meta = spec.platforms.meta
    assert meta is not None
    params: dict[str, object] = {"content_name": c.name}
    if c.value is not None and value_variable is None:
        params["value"] = c.value
    if c.currency:
        params["currency"] = c.currency
    dynamic = [("value", value_variable.name, True)] if value_variable else []
    notes = ownership_notes(f"{c.source}.meta", f"Meta {c.meta_event!r} for {c.name!r}, eventID = shared event id.")
    return event_tag(
        meta,
        clean_name(f"Meta - {c.meta_event} - {c.name}"),
        c.meta_event or "",
        trigger=trigger,
        params=params,
        dynamic=dynamic,
        event_id=EVENT_ID_VARIABLE,
        consent=AD_CONSENT,
        notes=notes,
    )


def compile_conversion(spec: SiteSpec, c: Conversion) -> Part:
    """The trigger and the tags of one conversion action, for every configured platform."""
    trigger, part = conversion_trigger(c)
    value_variable = _value_variable(c)
    value = _value_text(c, value_variable)
    tags = []
    if spec.platforms.ga4 and c.ga4_event:
        tags.append(_ga4_tag(spec, c, trigger, value))
    if spec.platforms.google_ads and c.google_ads_label:
        tags.append(_ads_tag(spec, c, trigger, value))
    if spec.platforms.meta and c.meta_event:
        tags.append(_meta_tag(spec, c, trigger, value_variable))
    variables = (value_variable,) if value_variable else ()
    return part + Part(tags=tuple(tags), variables=variables)


def compile_conversions(spec: SiteSpec) -> Part:
    """Every conversion action, plus the shared event id when there is one."""
    if not spec.conversions:
        return Part()
    return combine([Part(variables=event_id_variables())] + [compile_conversion(spec, c) for c in spec.conversions])
