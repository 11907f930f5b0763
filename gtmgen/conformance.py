"""Conformance: is a container shaped like what GTM writes, and is it wired correctly?

`check_container` is pure (no I/O) and works on any container, written by gtmgen or read from
a GTM export. It finds: keys, parameter types and trigger/condition shapes GTM never writes
(tables in `gtm_shapes`); references that do not resolve (triggers, setup tags, folders,
`{{variables}}`, tag/trigger references); built-in variables used but not enabled; duplicate
ids or names; tags without explicit consent; more than one conversion linker (or none beside
Google Ads conversions); Meta events not sequenced after the base code; conversions fired by
a plain click or a form-submit attempt.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from gtmgen import gtm_shapes as shapes
from gtmgen.container import (
    BUILT_IN_TRIGGER_NAMES_BY_ID,
    BUILT_IN_VARIABLE_NAMES_BY_TYPE,
    BUILT_IN_VARIABLE_TYPES_BY_NAME,
    INTERNAL_VARIABLE_NAMES,
    Container,
    Parameter,
    Tag,
    Trigger,
    Variable,
    variable_references,
)
from gtmgen.entity_texts import parameter_paths, tag_texts, trigger_texts, variable_texts

Severity = Literal["error", "warning"]

_DIGITS = re.compile(r"^[0-9]+$")
_INTEGER = re.compile(r"^-?[0-9]+$")
_SINGLE_REFERENCE = re.compile(r"^\{\{[^{}]+\}\}$")
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


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem with one entity (or with the container as a whole)."""

    rule: str
    severity: Severity
    kind: str
    name: str
    message: str

    def render(self) -> str:
        return f"{self.severity}: {self.kind} {self.name!r}: {self.message} [{self.rule}]"


def errors(findings: Iterable[Finding]) -> list[Finding]:
    """Only the findings of severity error."""
    return [f for f in findings if f.severity == "error"]


# ---------------------------------------------------------------- shapes


def _value_findings(kind: str, name: str, params: Iterable[Parameter]) -> Iterator[Finding]:
    for top in params:
        for path, p in parameter_paths(top):
            if p.type not in shapes.PARAMETER_TYPES:
                yield Finding("parameter-type", "error", kind, name, f"parameter {path!r} has unknown type {p.type!r}")
            elif p.value == "":
                yield Finding("empty-value", "error", kind, name, f"parameter {path!r} has value '' (GTM omits it)")
            elif p.type == "BOOLEAN" and p.value not in ("true", "false"):
                yield Finding("boolean-value", "error", kind, name, f"BOOLEAN {path!r} is {p.value!r}")
            elif p.type == "INTEGER" and not _INTEGER.match(p.value or ""):
                yield Finding("integer-value", "error", kind, name, f"INTEGER {path!r} is {p.value!r}")


def _shape_findings(kind: str, name: str, params: Iterable[Parameter], shape: shapes.Shape) -> Iterator[Finding]:
    for top in params:
        if (top.key or "") not in shape:
            yield Finding("known-keys", "error", kind, name, f"parameter {top.key!r} is not one GTM writes here")
            continue
        for path, p in parameter_paths(top):
            expected = shape.get(path)
            if expected is None:
                yield Finding("known-keys", "error", kind, name, f"parameter {path!r} is not one GTM writes here")
            elif expected != p.type:
                yield Finding("parameter-type", "error", kind, name, f"{path!r} is {p.type}; GTM writes {expected}")


def _tag_shape(container: Container, tag: Tag) -> Iterator[Finding]:
    yield from _value_findings("tag", tag.name, tag.parameter)
    if tag.type in shapes.TAG_PARAMETERS_BY_TYPE:
        yield from _shape_findings("tag", tag.name, tag.parameter, shapes.TAG_PARAMETERS_BY_TYPE[tag.type])
    elif tag.type.startswith("cvt_"):
        yield from _template_type("tag", tag.name, tag.type, container)
    elif tag.type not in shapes.OTHER_TAG_TYPES:
        yield Finding("known-type", "error", "tag", tag.name, f"tag type {tag.type!r} is in no GTM export")
    if tag.tag_firing_option not in shapes.TAG_FIRING_OPTIONS:
        yield Finding("firing-option", "error", "tag", tag.name, f"tagFiringOption {tag.tag_firing_option!r}")


def _template_type(kind: str, name: str, type_: str, container: Container) -> Iterator[Finding]:
    known = {f"cvt_{container.container_id}_{t.template_id}" for t in container.custom_templates}
    for t in container.custom_templates:
        if isinstance(t.gallery_reference, dict) and t.gallery_reference.get("galleryTemplateId"):
            known.add(f"cvt_{t.gallery_reference['galleryTemplateId']}")
    if type_ not in known:
        yield Finding("template-resolves", "error", kind, name, f"type {type_!r} names no custom template here")


def _condition_findings(trigger: Trigger) -> Iterator[Finding]:
    for condition in trigger.custom_event_filter + trigger.filter + trigger.auto_event_filter:
        if condition.type not in shapes.OPERATORS:
            yield Finding("condition-operator", "error", "trigger", trigger.name, f"operator {condition.type!r}")
        if not _SINGLE_REFERENCE.match(condition.arg0):
            yield Finding(
                "condition-arg0", "error", "trigger", trigger.name, f"arg0 {condition.arg0!r} is not one {{var}}"
            )
    for condition in trigger.custom_event_filter:
        if condition.arg0 != "{{_event}}":
            yield Finding(
                "custom-event-filter", "error", "trigger", trigger.name, "customEventFilter must test {{_event}}"
            )


def _trigger_structure(trigger: Trigger) -> Iterator[Finding]:
    if trigger.type == "CUSTOM_EVENT" and not trigger.custom_event_filter:
        yield Finding("custom-event-filter", "error", "trigger", trigger.name, "a Custom Event trigger needs an event")
    if trigger.type != "CUSTOM_EVENT" and trigger.custom_event_filter:
        yield Finding("custom-event-filter", "error", "trigger", trigger.name, "customEventFilter outside CUSTOM_EVENT")
    expected = shapes.TRIGGER_SPECIAL_BY_TYPE.get(trigger.type, {})
    present = dict(trigger.special)
    for key, type_ in expected.items():
        if key not in present or present[key].type != type_:
            yield Finding(
                "trigger-special", "error", "trigger", trigger.name, f"{trigger.type} needs {key!r} ({type_})"
            )
    for key in present.keys() - expected.keys():
        yield Finding("trigger-special", "error", "trigger", trigger.name, f"{key!r} is not written on {trigger.type}")
    if trigger.type == "TIMER" and not trigger.auto_event_filter:
        yield Finding("trigger-special", "error", "trigger", trigger.name, "a TIMER needs an autoEventFilter")


def _trigger_shape(container: Container, trigger: Trigger) -> Iterator[Finding]:
    if trigger.type not in shapes.TRIGGER_TYPES:
        severity: Severity = "warning" if trigger.type == "FORM_SUBMISSION" else "error"
        yield Finding(
            "known-type", severity, "trigger", trigger.name, f"trigger type {trigger.type!r} is in no reference export"
        )
        return
    yield from _value_findings("trigger", trigger.name, trigger.parameter)
    yield from _shape_findings(
        "trigger", trigger.name, trigger.parameter, shapes.TRIGGER_PARAMETERS_BY_TYPE.get(trigger.type, {})
    )
    yield from _condition_findings(trigger)
    yield from _trigger_structure(trigger)


def _variable_shape(container: Container, variable: Variable) -> Iterator[Finding]:
    yield from _value_findings("variable", variable.name, variable.parameter)
    if variable.type in shapes.VARIABLE_PARAMETERS_BY_TYPE:
        shape = shapes.VARIABLE_PARAMETERS_BY_TYPE[variable.type]
        yield from _shape_findings("variable", variable.name, variable.parameter, shape)
    elif variable.type.startswith("cvt_"):
        yield from _template_type("variable", variable.name, variable.type, container)
    elif variable.type not in shapes.OTHER_VARIABLE_TYPES:
        yield Finding(
            "known-type", "error", "variable", variable.name, f"variable type {variable.type!r} is in no GTM export"
        )


def check_shapes(container: Container) -> Iterator[Finding]:
    """Types, parameter keys and types, condition and trigger structure as GTM writes them."""
    for tag in container.tags:
        yield from _tag_shape(container, tag)
    for trigger in container.triggers:
        yield from _trigger_shape(container, trigger)
    for variable in container.variables:
        yield from _variable_shape(container, variable)
    for builtin in container.built_in_variables:
        if BUILT_IN_VARIABLE_NAMES_BY_TYPE.get(builtin.type) != builtin.name:
            yield Finding(
                "built-in-name", "error", "builtInVariable", builtin.name, f"not GTM's name for {builtin.type}"
            )


# ---------------------------------------------------------------- ids, names, references


def _entities(container: Container) -> list[tuple[str, str, str]]:
    """(kind, id, name) of every entity that has an id."""
    return (
        [("tag", t.tag_id, t.name) for t in container.tags]
        + [("trigger", t.trigger_id, t.name) for t in container.triggers]
        + [("variable", v.variable_id, v.name) for v in container.variables]
        + [("folder", f.folder_id, f.name) for f in container.folders]
        + [("customTemplate", t.template_id, t.name) for t in container.custom_templates]
    )


def check_identity(container: Container) -> Iterator[Finding]:
    """Ids are digit strings, unique per kind (and across kinds); names unique per kind."""
    entities = _entities(container)
    for kind, id_, name in entities:
        if not _DIGITS.match(id_):
            yield Finding("id-digits", "error", kind, name, f"id {id_!r} is not a digit string")
    per_kind = Counter((kind, id_) for kind, id_, _ in entities)
    across = Counter(id_ for _, id_, _ in entities)
    names = Counter((kind, name) for kind, _, name in entities)
    for kind, id_, name in entities:
        if per_kind[(kind, id_)] > 1:
            yield Finding("id-unique", "error", kind, name, f"{kind} id {id_} is used more than once")
        elif across[id_] > 1:
            yield Finding("id-unique", "warning", kind, name, f"id {id_} is shared with another kind")
        if names[(kind, name)] > 1:
            yield Finding("name-unique", "error", kind, name, f"two {kind}s have this name")


def _reference_finding(kind: str, name: str, ref: str, container: Container, variables: set[str]) -> Finding | None:
    if ref in variables or ref in INTERNAL_VARIABLE_NAMES or ref in container.enabled_built_in_names():
        return None
    if ref in BUILT_IN_VARIABLE_TYPES_BY_NAME:
        return Finding("built-in-enabled", "error", kind, name, f"{{{{{ref}}}}} needs the built-in variable enabled")
    return Finding("variable-resolves", "error", kind, name, f"{{{{{ref}}}}} is not a variable of this container")


def _texts_by_entity(container: Container) -> Iterator[tuple[str, str, Iterable[str]]]:
    for tag in container.tags:
        yield "tag", tag.name, tag_texts(tag)
    for trigger in container.triggers:
        yield "trigger", trigger.name, trigger_texts(trigger)
    for variable in container.variables:
        yield "variable", variable.name, variable_texts(variable)


def _variable_references(container: Container) -> Iterator[Finding]:
    variables = {v.name for v in container.variables}
    for kind, name, texts in _texts_by_entity(container):
        for ref in sorted({r for text in texts for r in variable_references(text)}):
            finding = _reference_finding(kind, name, ref, container, variables)
            if finding is not None:
                yield finding


def _tag_references(container: Container, tag: Tag) -> Iterator[Finding]:
    trigger_ids = {t.trigger_id for t in container.triggers} | set(BUILT_IN_TRIGGER_NAMES_BY_ID)
    tag_names = {t.name for t in container.tags}
    for id_ in tag.firing_trigger_ids + tag.blocking_trigger_ids:
        if id_ not in trigger_ids:
            yield Finding("trigger-resolves", "error", "tag", tag.name, f"trigger id {id_} does not exist")
    for other in (tag.setup_tag, tag.teardown_tag):
        if other is not None and other not in tag_names:
            yield Finding("sequence-resolves", "error", "tag", tag.name, f"setup/teardown tag {other!r} does not exist")
    for top in tag.parameter:
        for _, p in parameter_paths(top):
            if p.type == "TAG_REFERENCE" and p.value not in tag_names:
                yield Finding("tag-reference", "error", "tag", tag.name, f"TAG_REFERENCE {p.value!r} names no tag")
    if not tag.firing_trigger_ids and not tag.paused:
        yield Finding("tag-fires", "warning", "tag", tag.name, "the tag has no firing trigger")


def _folder_references(container: Container) -> Iterator[Finding]:
    folders = {f.folder_id for f in container.folders}
    items: list[tuple[str, str, str | None]] = (
        [("tag", t.name, t.parent_folder_id) for t in container.tags]
        + [("trigger", t.name, t.parent_folder_id) for t in container.triggers]
        + [("variable", v.name, v.parent_folder_id) for v in container.variables]
    )
    for kind, name, folder in items:
        if folder is not None and folder not in folders:
            yield Finding("folder-resolves", "error", kind, name, f"folder id {folder} does not exist")


def check_references(container: Container) -> Iterator[Finding]:
    """Every trigger id, setup tag, folder, `{{variable}}` and tag/trigger reference resolves."""
    for tag in container.tags:
        yield from _tag_references(container, tag)
    trigger_ids = {t.trigger_id for t in container.triggers}
    for trigger in container.triggers:
        for top in trigger.parameter:
            for _, p in parameter_paths(top):
                if p.type == "TRIGGER_REFERENCE" and p.value not in trigger_ids:
                    yield Finding(
                        "trigger-reference", "error", "trigger", trigger.name, f"{p.value!r} names no trigger"
                    )
    yield from _folder_references(container)
    yield from _variable_references(container)


# ---------------------------------------------------------------- wiring


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


CHECKS: tuple[Callable[[Container], Iterator[Finding]], ...] = (
    check_shapes,
    check_identity,
    check_references,
    check_consent,
    check_linker,
    check_meta_sequencing,
    check_conversion_triggers,
)


def check_container(container: Container) -> list[Finding]:
    """Every finding of every check, in check order."""
    return [finding for check in CHECKS for finding in check(container)]


__all__ = [
    "CHECKS",
    "CONVERSION_GA4_EVENTS",
    "CONVERSION_META_EVENTS",
    "Finding",
    "check_consent",
    "check_container",
    "check_conversion_triggers",
    "check_identity",
    "check_linker",
    "check_meta_sequencing",
    "check_references",
    "check_shapes",
    "conversion_events",
    "errors",
    # the text helpers live in entity_texts; re-exported for existing callers
    "parameter_paths",
    "tag_texts",
    "trigger_texts",
    "variable_texts",
]
