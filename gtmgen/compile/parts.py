"""What every compile stage shares: the `Part` a stage returns, names, folders, consent forms.

Stages build real `container` entities, but before ids exist they refer to each other by
name: a tag's `firing_trigger_ids` holds trigger names (or a built-in trigger id) and every
`parent_folder_id` holds a folder name. `ids.assemble` turns names into ids at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from gtmgen.container import (
    Condition,
    ConsentSettings,
    Parameter,
    Tag,
    Trigger,
    Variable,
    ownership_notes,
    variable_references,
)
from gtmgen.errors import CompileError

# Folders, in the order GTM's UI lists them (by name).
FOLDER_CONSENT = "00 Consent"
FOLDER_GOOGLE = "10 Google"
FOLDER_META = "20 Meta"
FOLDER_CONVERSIONS = "40 Conversions"
FOLDER_SIGNALS = "50 Signals"
FOLDER_AUDIENCES = "80 Audiences"
FOLDER_LISTENERS = "90 Listeners"

# Consent forms (tracking-domain §1.8): Google tags adapt to consent themselves; every other
# tag that sends data needs additional consent; helpers that only push to the dataLayer need none.
BUILT_IN_CONSENT = ConsentSettings("NOT_NEEDED")
NO_CONSENT_NEEDED = ConsentSettings("NOT_NEEDED")
AD_CONSENT = ConsentSettings("NEEDED", ("ad_storage", "ad_user_data"))
AUDIENCE_CONSENT = ConsentSettings("NEEDED", ("ad_storage", "ad_user_data", "ad_personalization"))

# Variables every stage may reference by name.
EVENT_ID_VARIABLE = "CJS - event id"
EVENT_ID_DLV = "DLV - event_id"
UNIQUE_EVENT_ID_DLV = "DLV - gtm.uniqueEventId"
FORM_ID_DLV = "DLV - form_id"
GA4_ID_VARIABLE = "Const - GA4 measurement ID"
ADS_ID_VARIABLE = "Const - Google Ads ID"
PAGE_TYPE_VARIABLE = "RT - page type"
PAGE_TYPE_DEFAULT = "other"

_UNSAFE_NAME = re.compile(r"[\s\x00-\x1f\x7f\u2028\u2029{}]+")
NAME_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Part:
    """The entities one stage contributes; references are by name until ids are assigned."""

    tags: tuple[Tag, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    variables: tuple[Variable, ...] = ()

    def __add__(self, other: Part) -> Part:
        return Part(self.tags + other.tags, self.triggers + other.triggers, self.variables + other.variables)


def combine(parts: Iterable[Part]) -> Part:
    """All parts as one."""
    total = Part()
    for part in parts:
        total = total + part
    return total


def clean_name(text: str) -> str:
    """Spec text made fit for an entity name: one line, no `{`/`}` (GTM reads `{{` as a variable)."""
    cleaned = _UNSAFE_NAME.sub(" ", text).strip()
    return cleaned[:NAME_LIMIT].rstrip() or "unnamed"


def literal(text: str, source: str) -> str:
    """Spec text for a GTM template value: refused if it holds `{{...}}`, which GTM would read as
    a variable reference (template values have no escape for it)."""
    found = variable_references(text)
    if found:
        raise CompileError(source, f"{text!r} contains {{{{{found[0]}}}}}, which Tag Manager reads as a variable")
    return text


def ref(variable_name: str) -> str:
    """A GTM variable reference, `{{Name}}`."""
    return "{{" + variable_name + "}}"


def number_text(value: float) -> str:
    """A number as GTM and JavaScript read it: `150`, `99.5`."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# ---------------------------------------------------------------- variable constructors


def owned_variable(
    name: str, type_: str, parameters: Iterable[Parameter], source: str, what: str, folder: str
) -> Variable:
    """A variable gtmgen owns, made for the spec key `source`; `what` says what it holds."""
    return Variable(
        variable_id="",
        name=name,
        type=type_,
        parameter=tuple(parameters),
        notes=ownership_notes(source, what),
        parent_folder_id=folder,
    )


def constant(name: str, value: str, source: str, what: str, folder: str) -> Variable:
    """A Constant (`c`) variable."""
    return owned_variable(name, "c", [Parameter.template("value", value)], source, what, folder)


def data_layer_variable(key: str, source: str, what: str, folder: str, name: str | None = None) -> Variable:
    """A Data Layer Variable (`v`, version 2) reading `key`."""
    parameters = [
        Parameter.integer("dataLayerVersion", 2),
        Parameter.boolean("setDefaultValue", False),
        Parameter.template("name", key),
    ]
    return owned_variable(name or clean_name(f"DLV - {key}"), "v", parameters, source, what, folder)


def custom_javascript(name: str, javascript: str, source: str, what: str, folder: str) -> Variable:
    """A Custom JavaScript (`jsm`) variable; `javascript` is `function () {...}`."""
    return owned_variable(name, "jsm", [Parameter.template("javascript", javascript)], source, what, folder)


def custom_event_trigger(event: str, source: str, what: str, folder: str, name: str | None = None) -> Trigger:
    """A Custom Event trigger on one dataLayer event name (exact match on `{{_event}}`)."""
    return Trigger(
        trigger_id="",
        name=name or clean_name(f"CE - {event}"),
        type="CUSTOM_EVENT",
        custom_event_filter=(Condition.of("EQUALS", "{{_event}}", event),),
        notes=ownership_notes(source, what),
        parent_folder_id=folder,
    )


def html_tag(
    name: str,
    html: str,
    *,
    triggers: tuple[str, ...],
    consent: ConsentSettings,
    notes: str,
    folder: str,
    setup_tag: str | None = None,
    firing_option: str = "ONCE_PER_EVENT",
) -> Tag:
    """A Custom HTML (`html`) tag."""
    return Tag(
        tag_id="",
        name=name,
        type="html",
        parameter=(Parameter.template("html", html), Parameter.boolean("supportDocumentWrite", False)),
        firing_trigger_ids=triggers,
        tag_firing_option=firing_option,
        consent=consent,
        notes=notes,
        setup_tag=setup_tag,
        parent_folder_id=folder,
    )
