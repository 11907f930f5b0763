"""Shapes: types, parameter keys and their types, and condition and trigger structure as GTM
writes them (the tables are in `gtm_shapes`)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from gtmgen import gtm_shapes as shapes
from gtmgen.conformance.finding import Finding, Severity
from gtmgen.container import BUILT_IN_VARIABLE_NAMES_BY_TYPE, Container, Parameter, Tag, Trigger, Variable
from gtmgen.entity_texts import parameter_paths

_INTEGER = re.compile(r"^-?[0-9]+$")
_SINGLE_REFERENCE = re.compile(r"^\{\{[^{}]+\}\}$")


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
