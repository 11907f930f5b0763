"""Conversion triggers from a conversion's `when`, and the plugin success listeners.

Every trigger fires on a *success* signal: a thank-you page view, a dataLayer event, a form or
booking plugin's own success event (a small Custom HTML listener turns it into a dataLayer
event carrying a fresh event id), a click on a `tel:`/`mailto:` link (matched on the Click
URL), or a success element becoming visible. Never GTM's generic form trigger, never a
button click.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gtmgen.compile.parts import (
    FOLDER_CONVERSIONS,
    FOLDER_LISTENERS,
    FORM_ID_DLV,
    NO_CONSENT_NEEDED,
    Part,
    clean_name,
    custom_event_trigger,
    data_layer_variable,
    html_tag,
    literal,
    ref,
)
from gtmgen.compile.render import render
from gtmgen.container import ALL_PAGES_TRIGGER_ID, Condition, Parameter, Trigger, Variable, ownership_notes
from gtmgen.spec import Conversion, Plugin, When

# The dataLayer event each plugin listener pushes, and the listener's template.
PLUGIN_EVENTS: dict[str, str] = {
    "contact_form_7": "gtmgen.cf7_mailsent",
    "gravity_forms": "gtmgen.gform_confirmation_loaded",
    "hubspot": "gtmgen.hubspot_form_submitted",
    "calendly": "gtmgen.calendly_event_scheduled",
}
PLUGIN_LABELS: dict[str, str] = {
    "contact_form_7": "Contact Form 7",
    "gravity_forms": "Gravity Forms",
    "hubspot": "HubSpot forms",
    "calendly": "Calendly",
}
MATCH_OPERATORS = {"exact": "EQUALS", "prefix": "STARTS_WITH", "regex": "MATCH_REGEX"}

# Key-less top-level objects every LINK_CLICK trigger carries (format §5).
LINK_CLICK_SPECIAL: tuple[tuple[str, Parameter], ...] = (
    ("waitForTags", Parameter("BOOLEAN", value="false")),
    ("checkValidation", Parameter("BOOLEAN", value="false")),
    ("waitForTagsTimeout", Parameter("TEMPLATE", value="2000")),
    ("uniqueTriggerId", Parameter("TEMPLATE")),
)


def listener_tag_name(plugin: str) -> str:
    return f"Listener - {PLUGIN_LABELS[plugin]} success"


def listener(plugin: Plugin) -> Part:
    """The Custom HTML listener that turns a plugin's success signal into a dataLayer event."""
    what = (
        f"Listens for {PLUGIN_LABELS[plugin]}'s own success signal and pushes one dataLayer event "
        f"{PLUGIN_EVENTS[plugin]!r} with a fresh event_id and form_id. Sends nothing to any vendor."
    )
    tag = html_tag(
        listener_tag_name(plugin),
        render(f"listeners/{plugin}.html.j2", event=PLUGIN_EVENTS[plugin], plugin=plugin),
        triggers=(ALL_PAGES_TRIGGER_ID,),
        consent=NO_CONSENT_NEEDED,
        notes=ownership_notes("conversions[].when.plugin", what),
        folder=FOLDER_LISTENERS,
        firing_option="ONCE_PER_LOAD",
    )
    return Part(tags=(tag,))


def _page_scope(c: Conversion) -> tuple[Condition, ...]:
    path = c.when.page_path
    scope = literal(path, f"{c.source}.when.page_path") if path else None
    return (Condition.of("STARTS_WITH", ref("Page Path"), scope),) if scope else ()


def _scope_suffix(when: When) -> str:
    return f" on {when.page_path}" if when.page_path else ""


def _thank_you(c: Conversion, notes: str) -> Part:
    when = c.when
    path = literal(when.thank_you_page or "", f"{c.source}.when.thank_you_page")
    condition = Condition.of(MATCH_OPERATORS[when.thank_you_match], ref("Page Path"), path)
    name = clean_name(f"PV - thank you {when.thank_you_match} {path}")
    trigger = Trigger("", name, "PAGEVIEW", filter=(condition,), notes=notes, parent_folder_id=FOLDER_CONVERSIONS)
    return Part(triggers=(trigger,))


def _datalayer_event(c: Conversion, notes: str) -> Part:
    event = literal(c.when.datalayer_event or "", f"{c.source}.when.datalayer_event")
    trigger = custom_event_trigger(event, c.source, "", FOLDER_CONVERSIONS)
    return Part(triggers=(replace(trigger, notes=notes),))


def _plugin(c: Conversion, notes: str) -> Part:
    plugin = c.when.plugin
    assert plugin is not None
    event = PLUGIN_EVENTS[plugin]
    trigger = replace(custom_event_trigger(event, c.source, "", FOLDER_CONVERSIONS), notes=notes)
    variables: tuple[Variable, ...] = ()
    if c.when.form_id is not None:
        form = Condition.of("EQUALS", ref(FORM_ID_DLV), literal(c.when.form_id, f"{c.source}.when.plugin.form_id"))
        trigger = replace(trigger, name=clean_name(f"CE - {event} form {c.when.form_id}"), filter=(form,))
        what = "The form id a gtmgen listener pushed with its success event."
        variables = (data_layer_variable("form_id", "conversions[].when.plugin", what, FOLDER_LISTENERS, FORM_ID_DLV),)
    return Part(triggers=(trigger,), variables=variables) + listener(plugin)


def _link_click(c: Conversion, notes: str) -> Part:
    scheme = f"{c.when.link_click}:"
    condition = Condition.of("STARTS_WITH", ref("Click URL"), scheme)
    trigger = Trigger(
        "",
        clean_name(f"LC - {c.when.link_click} links{_scope_suffix(c.when)}"),
        "LINK_CLICK",
        filter=(condition, *_page_scope(c)),
        special=LINK_CLICK_SPECIAL,
        notes=notes,
        parent_folder_id=FOLDER_CONVERSIONS,
    )
    return Part(triggers=(trigger,))


def _element_visible(c: Conversion, notes: str) -> Part:
    selector = literal(c.when.element_visible or "", f"{c.source}.when.element_visible")
    params = (
        Parameter.template("selectorType", "CSS"),
        Parameter.template("elementSelector", selector),
        Parameter.template("firingFrequency", "ONCE"),
        Parameter.template("onScreenRatio", "50"),
        Parameter.boolean("useOnScreenDuration", False),
        Parameter.boolean("useDomChangeListener", True),
    )
    name = clean_name(f"EV - {selector}{_scope_suffix(c.when)}")
    trigger = Trigger(
        "",
        name,
        "ELEMENT_VISIBILITY",
        filter=_page_scope(c),
        parameter=params,
        notes=notes,
        parent_folder_id=FOLDER_CONVERSIONS,
    )
    return Part(triggers=(trigger,))


TRIGGER_BUILDERS_BY_WHEN: tuple[tuple[str, Callable[[Conversion, str], Part]], ...] = (
    ("thank_you_page", _thank_you),
    ("datalayer_event", _datalayer_event),
    ("plugin", _plugin),
    ("link_click", _link_click),
    ("element_visible", _element_visible),
)


def conversion_trigger(c: Conversion) -> tuple[str, Part]:
    """The name of the conversion's success trigger, and the entities that make it work."""
    notes = ownership_notes(f"{c.source}.when", "Success signal of a conversion action; shared by all its platforms.")
    for field, build in TRIGGER_BUILDERS_BY_WHEN:
        if getattr(c.when, field) is not None:
            part = build(c, notes)
            return part.triggers[0].name, part
    raise ValueError(f"conversion {c.name!r} has no success signal")
