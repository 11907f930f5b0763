"""Where the text of a GTM entity lives: every scalar value, and every parameter with its path.

Pure helpers over the container model, shared by the conformance check (references), the
audit (unused variables) and the compiler (which variables an entity uses).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gtmgen.container import Condition, Container, JsonValue, Parameter, Tag, Trigger, Variable


def parameter_texts(parameters: Iterable[Parameter]) -> Iterator[str]:
    """Every scalar value inside these parameters (recursively)."""
    for top in parameters:
        for p in top.walk():
            if p.value:
                yield p.value


def condition_texts(conditions: Iterable[Condition]) -> Iterator[str]:
    for condition in conditions:
        yield from parameter_texts(condition.parameter)


def _json_texts(value: JsonValue) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _json_texts(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _json_texts(item)


def tag_texts(tag: Tag) -> Iterator[str]:
    return parameter_texts(tag.parameter)


def trigger_texts(trigger: Trigger) -> Iterator[str]:
    yield from condition_texts(trigger.custom_event_filter + trigger.filter + trigger.auto_event_filter)
    yield from parameter_texts(trigger.parameter)
    yield from parameter_texts(p for _, p in trigger.special)


def variable_texts(variable: Variable) -> Iterator[str]:
    yield from parameter_texts(variable.parameter)
    yield from _json_texts(variable.format_value)


def texts_by_entity(container: Container) -> Iterator[tuple[str, str, Iterable[str]]]:
    """(kind, name, texts) for every tag, trigger and variable of a container."""
    for tag in container.tags:
        yield "tag", tag.name, tag_texts(tag)
    for trigger in container.triggers:
        yield "trigger", trigger.name, trigger_texts(trigger)
    for variable in container.variables:
        yield "variable", variable.name, variable_texts(variable)


def parameter_paths(p: Parameter, path: str | None = None) -> Iterator[tuple[str, Parameter]]:
    """(path, parameter) for a parameter and everything in it: `key`, `key[]`, `key[].sub`."""
    here = p.key or "" if path is None else path
    yield here, p
    for item in p.list or ():
        yield from parameter_paths(item, f"{here}[]")
    for entry in p.map or ():
        yield from parameter_paths(entry, f"{here}.{entry.key}")
