"""Wiring: explicit consent on every tag, one conversion linker, Meta events after the base
code, and conversions fired by a success, never by a plain click or a form-submit attempt."""

from __future__ import annotations

import re
from collections.abc import Iterator

from gtmgen import gtm_shapes as shapes
from gtmgen.conformance.finding import Finding
from gtmgen.container import BUILT_IN_TRIGGER_NAMES_BY_ID, Container, Tag, Trigger

_FBQ_INIT = re.compile(r"fbq\(\s*[\"']init[\"']")
_FBQ_EVENT = re.compile(
    r"fbq\(\s*[\"'](?:track|trackSingle|trackCustom|trackSingleCustom)[\"']\s*,(?:[^,]+,)?\s*[\"'](\w+)"
)
_FBQ_EVENT_METHOD = re.compile(r"fbq\(\s*[\"'](?:track|trackSingle|trackCustom|trackSingleCustom)[\"']")
_TEL_OR_MAILTO = re.compile(r"^\^?(tel|mailto):")

# Events that count a result: a click on a plain element must never send them.
CONVERSION_GA4_EVENTS = frozenset({"generate_lead", "purchase", "sign_up", "close_convert_lead", "qualify_lead"})
CONVERSION_META_EVENTS = frozenset(
    {"Lead", "Purchase", "Schedule", "Contact", "CompleteRegistration", "SubmitApplication", "Subscribe", "StartTrial"}
)


def check_consent(container: Container) -> Iterator[Finding]:
    """Every tag states its consent: NOT_NEEDED, or NEEDED with known consent types."""
    for tag in container.tags:
        consent = tag.consent
        if consent is None or consent.status == "NOT_SET":
            yield Finding("consent-explicit", "error", "tag", tag.name, "consent settings are not set")
        elif consent.status not in shapes.CONSENT_STATUSES:
            yield Finding("consent-explicit", "error", "tag", tag.name, f"consent status {consent.status!r}")
        elif consent.status == "NEEDED" and not consent.types:
            yield Finding("consent-explicit", "error", "tag", tag.name, "NEEDED without consent types")
        for type_ in consent.types if consent else ():
            if type_ not in shapes.CONSENT_TYPES:
                yield Finding("consent-type", "error", "tag", tag.name, f"unknown consent type {type_!r}")


def check_linker(container: Container) -> Iterator[Finding]:
    """One conversion linker, on every page, whenever Google Ads conversions exist."""
    linkers = [t for t in container.tags if t.type == "gclidw"]
    if len(linkers) > 1:
        for tag in linkers:
            yield Finding("one-linker", "error", "tag", tag.name, f"{len(linkers)} conversion linkers; keep one")
    if not linkers and any(t.type == "awct" for t in container.tags):
        yield Finding("one-linker", "error", "container", container.name, "Google Ads conversions without a linker")
    for tag in linkers:
        if not set(tag.firing_trigger_ids) & set(BUILT_IN_TRIGGER_NAMES_BY_ID):
            yield Finding("linker-all-pages", "warning", "tag", tag.name, "the linker should fire on all pages")


def _html(tag: Tag) -> str:
    return tag.param("html") if tag.type == "html" else ""


def check_meta_sequencing(container: Container) -> Iterator[Finding]:
    """Every Meta event tag runs after a tag with the base code (tag sequencing)."""
    bases = {t.name for t in container.tags if _FBQ_INIT.search(_html(t))}
    for tag in container.tags:
        html = _html(tag)
        if tag.name in bases or not _FBQ_EVENT_METHOD.search(html):
            continue
        if tag.setup_tag not in bases:
            yield Finding("meta-after-base", "error", "tag", tag.name, "Meta event without the base code as setup tag")


def conversion_events(tag: Tag) -> list[str]:
    """The result events a tag sends (Google Ads conversions, GA4/Meta conversion events)."""
    if tag.type == "awct":
        return ["Google Ads conversion"]
    if tag.type == "gaawe" and tag.param("eventName") in CONVERSION_GA4_EVENTS:
        return [tag.param("eventName")]
    return [e for e in _FBQ_EVENT.findall(_html(tag)) if e in CONVERSION_META_EVENTS]


def _is_plain_click(trigger: Trigger) -> bool:
    if trigger.type in ("CLICK", "FORM_SUBMISSION"):
        return True
    if trigger.type != "LINK_CLICK":
        return False
    return not any(c.arg0 == "{{Click URL}}" and _TEL_OR_MAILTO.match(c.arg1) for c in trigger.filter)


def check_conversion_triggers(container: Container) -> Iterator[Finding]:
    """No conversion on a click or form-submit attempt, except clicks on tel:/mailto: links."""
    for tag in container.tags:
        events = conversion_events(tag)
        for id_ in tag.firing_trigger_ids if events else ():
            trigger = container.trigger_by_id(id_)
            if trigger is not None and _is_plain_click(trigger):
                message = f"{events[0]} fires on {trigger.type} trigger {trigger.name!r}, an attempt, not a success"
                yield Finding("conversion-on-success", "error", "tag", tag.name, message)
