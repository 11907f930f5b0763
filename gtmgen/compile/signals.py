"""Behaviour signals for audiences: engaged time, scroll depth, form start, chosen button clicks.

Each signal is one trigger and an event to GA4 and a custom event to Meta (which needs
ad_personalization consent too: these build audiences). Signals are never conversions: they
have no Google Ads tag and no event id, and Meta receives them only as custom events.
"""

from __future__ import annotations

from gtmgen.compile.google import ga4_event_tag
from gtmgen.compile.meta import event_tag
from gtmgen.compile.parts import (
    AUDIENCE_CONSENT,
    FOLDER_LISTENERS,
    FOLDER_SIGNALS,
    FORM_ID_DLV,
    NO_CONSENT_NEEDED,
    Part,
    clean_name,
    combine,
    custom_event_trigger,
    data_layer_variable,
    html_tag,
    literal,
    ref,
)
from gtmgen.compile.render import render
from gtmgen.container import ALL_PAGES_TRIGGER_ID, Condition, Parameter, Tag, Trigger, ownership_notes
from gtmgen.spec import ClickSignal, SiteSpec

FORM_START_EVENT = "gtmgen.form_start"
FORM_START_LISTENER = "Listener - Form start"


GaEvent = tuple[str, list[tuple[str, str]]]  # event name, (parameter, value) rows
MetaEvent = tuple[str, dict[str, object], list[tuple[str, str, bool]]]  # name, static, dynamic params


def _signal_tags(
    spec: SiteSpec, label: str, trigger: str, source: str, ga4: GaEvent, meta: MetaEvent
) -> tuple[Tag, ...]:
    """The GA4 event and the Meta custom event of one signal; `label` names it in tag names."""
    tags: list[Tag] = []
    if spec.platforms.ga4:
        event, params = ga4
        notes = ownership_notes(source, f"GA4 audience event {event!r} ({label}); not a conversion.")
        tags.append(ga4_event_tag(clean_name(f"GA4 - Event - {label}"), event, params, trigger, notes))
    if spec.platforms.meta:
        event, static, dynamic = meta
        notes = ownership_notes(source, f"Meta custom event {event!r} ({label}) for audiences; not a conversion.")
        tags.append(
            event_tag(
                spec.platforms.meta,
                clean_name(f"Meta - Event - {label}"),
                event,
                trigger=trigger,
                params=static,
                dynamic=dynamic,
                event_id=None,
                consent=AUDIENCE_CONSENT,
                notes=notes,
                custom=True,
            )
        )
    return tuple(tags)


def _engaged_time(spec: SiteSpec, seconds: int) -> Part:
    trigger = Trigger(
        "",
        f"TM - engaged {seconds}s",
        "TIMER",
        # A timer needs an "enable when" condition; this one holds on every page.
        auto_event_filter=(Condition.of("MATCH_REGEX", ref("Page Path"), ".*"),),
        special=(
            ("eventName", Parameter("TEMPLATE", value="gtm.timer")),
            ("interval", Parameter("TEMPLATE", value=str(seconds * 1000))),
            ("limit", Parameter("TEMPLATE", value="1")),
        ),
        notes=ownership_notes("signals.engaged_time", f"Fires once after {seconds} seconds on a page."),
        parent_folder_id=FOLDER_SIGNALS,
    )
    tags = _signal_tags(
        spec,
        f"engaged {seconds}s",
        trigger.name,
        "signals.engaged_time",
        ("engaged_visit", [("engaged_seconds", str(seconds))]),
        ("EngagedVisit", {"engaged_seconds": seconds}, []),
    )
    return Part(tags=tags, triggers=(trigger,))


def _scroll_depth(spec: SiteSpec, percents: tuple[int, ...]) -> Part:
    thresholds = ",".join(str(p) for p in sorted(set(percents)))
    trigger = Trigger(
        "",
        f"SD - {thresholds} percent",
        "SCROLL_DEPTH",
        parameter=(
            Parameter.boolean("verticalThresholdOn", True),
            Parameter.template("verticalThresholdUnits", "PERCENT"),
            Parameter.template("verticalThresholdsPercent", thresholds),
            Parameter.boolean("horizontalThresholdOn", False),
            Parameter.template("triggerStartOption", "WINDOW_LOAD"),
        ),
        notes=ownership_notes("signals.scroll_depth", f"Fires at {thresholds} % vertical scroll depth."),
        parent_folder_id=FOLDER_SIGNALS,
    )
    depth = "Scroll Depth Threshold"
    tags = _signal_tags(
        spec,
        "scroll depth",
        trigger.name,
        "signals.scroll_depth",
        ("scroll_depth", [("percent_scrolled", ref(depth))]),
        ("ScrollDepth", {}, [("percent_scrolled", depth, True)]),
    )
    return Part(tags=tags, triggers=(trigger,))


def _form_start(spec: SiteSpec) -> Part:
    what = f"Pushes {FORM_START_EVENT!r} on the first interaction with each form. Sends nothing to any vendor."
    listener = html_tag(
        FORM_START_LISTENER,
        render("listeners/form_start.html.j2", event=FORM_START_EVENT),
        triggers=(ALL_PAGES_TRIGGER_ID,),
        consent=NO_CONSENT_NEEDED,
        notes=ownership_notes("signals.form_start", what),
        folder=FOLDER_LISTENERS,
        firing_option="ONCE_PER_LOAD",
    )
    trigger = custom_event_trigger(
        FORM_START_EVENT, "signals.form_start", "First interaction with a form.", FOLDER_SIGNALS
    )
    form_id = data_layer_variable(
        "form_id", "signals.form_start", "The form id a gtmgen listener pushed.", FOLDER_LISTENERS, FORM_ID_DLV
    )
    tags = _signal_tags(
        spec,
        "form start",
        trigger.name,
        "signals.form_start",
        ("form_start", [("form_id", ref(FORM_ID_DLV))]),
        ("FormStart", {}, [("form_id", FORM_ID_DLV, False)]),
    )
    return Part(tags=(listener, *tags), triggers=(trigger,), variables=(form_id,))


def _split_selector_list(selector: str) -> list[str]:
    """Top-level comma-separated parts of a CSS selector list (commas in () [] quotes kept)."""
    parts, depth, quote, current = [], 0, "", ""
    for char in selector:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(current.strip())
            current = ""
            continue
        current += char
    parts.append(current.strip())
    return [p for p in parts if p]


def with_descendants(selector: str) -> str:
    """Match the chosen elements and anything inside them (a click lands on the innermost element)."""
    return ", ".join(f"{p}, {p} *" for p in _split_selector_list(selector))


def _click(spec: SiteSpec, click: ClickSignal) -> Part:
    selector = with_descendants(literal(click.selector, f"{click.source}.selector"))
    condition = Condition.of("CSS_SELECTOR", ref("Click Element"), selector)
    what = f"Clicks on {click.selector!r} (or inside it): an audience signal, never a conversion."
    trigger = Trigger(
        "",
        clean_name(f"CL - {click.name}"),
        "CLICK",
        filter=(condition,),
        notes=ownership_notes(click.source, what),
        parent_folder_id=FOLDER_SIGNALS,
    )
    tags = _signal_tags(
        spec,
        f"click {click.name}",
        trigger.name,
        click.source,
        (click.ga4_event, []),
        (click.meta_event, {"button": click.name}, []),
    )
    return Part(tags=tags, triggers=(trigger,))


def compile_signals(spec: SiteSpec) -> Part:
    """The spec's behaviour signals (nothing when no GA4 or Meta receives them)."""
    signals = spec.signals
    if not (spec.platforms.ga4 or spec.platforms.meta):
        return Part()
    parts = [_click(spec, click) for click in signals.clicks]
    if signals.engaged_seconds:
        parts.insert(0, _engaged_time(spec, signals.engaged_seconds))
    if signals.scroll_percents:
        parts.append(_scroll_depth(spec, signals.scroll_percents))
    if signals.form_start:
        parts.append(_form_start(spec))
    return combine(parts)
