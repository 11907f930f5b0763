"""Conversion actions recognised in a container: each conversion tag with its trigger becomes a
spec `conversions` entry whose `when` fires for the same scenarios (tracking-domain.md §3, §4).

A trigger maps to a `when` only when the spec can say the same thing (a dataLayer event, a
thank-you page path, a tel:/mailto: link click, a visible element); anything else is returned
as a note, never dropped silently.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from gtmgen.audit.facts import ContainerFacts, TagInfo
from gtmgen.container import Condition, Trigger
from gtmgen.spec import slugify

PAGE_LOAD_TYPES = frozenset({"PAGEVIEW", "DOM_READY", "WINDOW_LOADED"})
CLICK_TYPES = frozenset({"LINK_CLICK", "CLICK"})
PATH_VARIABLES = ("{{Page Path}}", "{{Page URL}}")
CLICK_VARIABLES = ("{{Click URL}}", "{{Click Element}}")
_JS_SPECIAL = re.compile(r"[\\^$.|?*+()\[\]{}]")
_URL_HOST = re.compile(r"^(?:\^?https?:?(?:\\?/){2}|\^?(?:\\?/){2})[^/]+", re.I)
_NAME_PREFIX = re.compile(r"^(?:CE|PV|DR|WL|LC|CL|EV|FS|TM|SD|HC|ce|dom|click|pv)\s*[-|:]\s*", re.I)

# Conversion kind from an event name (Meta standard events and GA4 names, tracking-domain §3).
KIND_BY_EVENT = {
    "purchase": "purchase",
    "schedule": "booking",
    "book_appointment": "booking",
    "lead": "lead",
    "generate_lead": "lead",
    "completeregistration": "lead",
    "submitapplication": "lead",
    "contact": "phone_call",
    "phone_click": "phone_call",
    "email_click": "phone_call",
}


@dataclass(frozen=True, slots=True)
class ImportNote:
    """Something the importer could not map, or mapped only approximately."""

    kind: str
    name: str
    message: str
    approximate: bool = False  # mapped, but not exactly

    def render(self) -> str:
        what = f"{self.kind} {self.name!r}" if self.name else self.kind
        return f"{'approximated' if self.approximate else 'not mapped'}: {what}: {self.message}"


@dataclass
class Mapped:
    when: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)


def js_escape(text: str) -> str:
    """A literal as a JavaScript regular expression (GTM evaluates MATCH_REGEX in JS)."""
    return _JS_SPECIAL.sub(lambda m: "\\" + m.group(0), text)


def _path_when(condition: Condition) -> Mapped:
    value = condition.arg1
    if condition.arg0 == "{{Page URL}}":
        mapped = _path_when(Condition.of(condition.type, "{{Page Path}}", _URL_HOST.sub("", value) or "/"))
        mapped.notes.append("was matched on the Page URL; the spec matches the page path")
        return mapped
    match = {"EQUALS": "exact", "STARTS_WITH": "prefix", "MATCH_REGEX": "regex"}.get(condition.type)
    if match is not None and value:
        return Mapped({"thank_you_page": {"path": value, "match": match}})
    if condition.type == "CONTAINS" and value:
        return Mapped({"thank_you_page": {"path": js_escape(value), "match": "regex"}})
    if condition.type == "ENDS_WITH" and value:
        return Mapped({"thank_you_page": {"path": js_escape(value) + "$", "match": "regex"}})
    return Mapped(None, [f"page condition {condition.arg0} {condition.type} {value!r} has no spec equivalent"])


def _page_view_when(trigger: Trigger) -> Mapped:
    conditions = [c for c in trigger.filter if c.arg0 in PATH_VARIABLES and not c.negate and not c.ignore_case]
    if not trigger.filter:
        return Mapped(None, ["fires on every page, which is not a conversion"])
    if len(conditions) != 1 or len(trigger.filter) != 1:
        return Mapped(None, ["only one condition on the page path can become a thank-you page"])
    mapped = _path_when(conditions[0])
    if trigger.type != "PAGEVIEW" and mapped.when:
        mapped.notes.append(f"fired on {trigger.type}; the spec's thank-you page fires on page view")
    return mapped


def _click_schemes(trigger: Trigger) -> list[str]:
    text = " ".join(c.arg1 for c in trigger.filter if c.arg0 in CLICK_VARIABLES and not c.negate)
    return [s for s in ("tel", "mailto") if f"{s}:" in text]


def _scope(trigger: Trigger) -> tuple[str | None, list[str]]:
    scope = [c for c in trigger.filter + trigger.auto_event_filter if c.arg0 == "{{Page Path}}"]
    if len(scope) == 1 and scope[0].type == "STARTS_WITH" and not scope[0].negate:
        return scope[0].arg1, []
    return None, ["its page conditions were not carried over"] if scope else []


def _click_when(trigger: Trigger, scheme: str) -> Mapped:
    page_path, notes = _scope(trigger)
    when: dict[str, Any] = {"link_click": scheme}
    if page_path:
        when["page_path"] = page_path
    if trigger.type == "CLICK":
        notes.append("was an all-elements click; the spec uses a just-links trigger on the Click URL")
    return Mapped(when, notes)


def _custom_event_when(trigger: Trigger) -> Mapped:
    events = [c for c in trigger.custom_event_filter if c.arg0 == "{{_event}}"]
    if len(events) != 1 or events[0].type != "EQUALS" or events[0].negate:
        return Mapped(None, ["only a custom event trigger that equals one event name can be mapped"])
    notes = ["its extra conditions were not carried over (it now fires on every such event)"] if trigger.filter else []
    return Mapped({"datalayer_event": events[0].arg1}, notes)


def _visibility_when(trigger: Trigger) -> Mapped:
    selector = trigger.param("elementSelector")
    if trigger.param("selectorType") == "ID" or (not selector and trigger.param("elementId")):
        selector = "#" + (trigger.param("elementId") or selector)
    if not selector:
        return Mapped(None, ["the element visibility trigger names no element"])
    page_path, notes = _scope(trigger)
    when: dict[str, Any] = {"element_visible": selector}
    if page_path:
        when["page_path"] = page_path
    return Mapped(when, notes)


def map_trigger(trigger: Trigger, scheme: str | None = None) -> Mapped:
    """The spec `when` that fires for the same scenarios as the trigger, or why there is none."""
    if trigger.type == "CUSTOM_EVENT":
        return _custom_event_when(trigger)
    if trigger.type in PAGE_LOAD_TYPES:
        return _page_view_when(trigger)
    if trigger.type in CLICK_TYPES and scheme:
        return _click_when(trigger, scheme)
    if trigger.type in CLICK_TYPES:
        return Mapped(None, ["a click that is not a tel:/mailto: link is an attempt, not an outcome"])
    if trigger.type == "ELEMENT_VISIBILITY":
        return _visibility_when(trigger)
    return Mapped(None, [f"{trigger.type} triggers have no spec equivalent"])


# ---------------------------------------------------------------- grouping tags into conversions


@dataclass
class ConversionGroup:
    """The conversion tags that share one firing trigger (and, for clicks, one link scheme)."""

    trigger: Trigger
    scheme: str | None
    tags: list[TagInfo] = field(default_factory=list)


def group_conversions(facts: ContainerFacts) -> tuple[list[ConversionGroup], list[ImportNote]]:
    groups: dict[tuple[str, str | None], ConversionGroup] = {}
    notes: list[ImportNote] = []
    for info in facts.active_tags:
        if not info.confirms or info.platform not in ("ga4", "google_ads", "meta"):
            continue
        triggers = [t for t in (facts.trigger(i) for i in info.tag.firing_trigger_ids) if t is not None]
        if not triggers:
            notes.append(ImportNote("tag", info.name, "its trigger is a built-in page-load trigger, not an outcome"))
            continue
        if len(triggers) > 1:
            notes.append(
                ImportNote("tag", info.name, f"fires on {len(triggers)} triggers; imported on the first", True)
            )
        schemes: list[str | None] = [*_click_schemes(triggers[0])] or [None]
        for scheme in schemes:
            key = (triggers[0].trigger_id, scheme)
            groups.setdefault(key, ConversionGroup(triggers[0], scheme)).tags.append(info)
    return list(groups.values()), notes


def conversion_name(group: ConversionGroup, taken: set[str]) -> str:
    base = _NAME_PREFIX.sub("", group.trigger.name).strip() or group.trigger.name
    if group.scheme:
        base = f"{base} ({group.scheme})"
    name, n = base, 2
    while slugify(name) in taken:
        name, n = f"{base} {n}", n + 1
    taken.add(slugify(name))
    return name


def conversion_kind(group: ConversionGroup, when: dict[str, Any]) -> str:
    if "link_click" in when:
        return "phone_call"
    for info in group.tags:
        for event in info.events:
            kind = KIND_BY_EVENT.get(event.lower())
            if kind:
                return kind
    return "custom"


def events_by_platform(group: ConversionGroup) -> dict[str, list[TagInfo]]:
    out: dict[str, list[TagInfo]] = defaultdict(list)
    for info in group.tags:
        out[info.platform or ""].append(info)
    return out
