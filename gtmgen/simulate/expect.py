"""Checking a scenario's expectations against the simulated timeline.

Each failed expectation becomes one sentence that says what was expected and what happened
(how often the tag fired and with which values, or why it was held back), so a failing
`gtmgen test` shows what fired instead without a second run.
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from gtmgen.container import Container
from gtmgen.simulate.report import EventResult, StepNote, TagFiring, Timeline
from gtmgen.simulate.scenario import Expectations, TagExpectation
from gtmgen.simulate.values import UNDEFINED, Unknown, Value, display, js_string, to_json


def _matches(pattern: str, name: str) -> bool:
    return name == pattern or fnmatchcase(name, pattern)


def _lookup(firing: TagFiring, key: str) -> Value:
    """A summary field, else a parameter; dotted keys reach into maps (`params.service`)."""
    head, _, rest = key.partition(".")
    value: Any = firing.summary.get(head, firing.parameters.get(head, UNDEFINED))
    for part in rest.split(".") if rest else ():
        value = value.get(part, UNDEFINED) if isinstance(value, dict) else UNDEFINED
    return value


def same_value(actual: Value, expected: Any) -> bool:
    """Loose equality as a tracking reader means it: 150 == "150", nested data compared as JSON."""
    if isinstance(actual, Unknown) or actual is UNDEFINED:
        return False
    if isinstance(expected, (dict, list)) or isinstance(actual, (dict, list)):
        return bool(to_json(actual) == expected)
    return js_string(actual) == js_string(expected)


def _times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def _check_fires(expectation: TagExpectation, timeline: Timeline) -> list[str]:
    found = [(e, t) for e, t in timeline.firings() if _matches(expectation.tag, t.name)]
    if expectation.event is not None:
        found = [(e, t) for e, t in found if e.name == expectation.event]
    where = f" at {expectation.event}" if expectation.event else ""
    count = len(found)
    if expectation.times is None and count == 0:
        return [f"expected {expectation.tag} to fire{where}; it did not fire{_held_back(expectation, timeline)}"]
    problems: list[str] = []
    if expectation.times is not None and count != expectation.times:
        why = _held_back(expectation, timeline) if count < expectation.times else ""
        problems.append(
            f"expected {expectation.tag} to fire {_times(expectation.times)}{where}; it fired {_times(count)}{why}"
        )
    for event, firing in found:  # the values too: one run shows every problem
        for key, wanted in expectation.values:
            actual = _lookup(firing, key)
            if not same_value(actual, wanted):
                got = "nothing" if actual is UNDEFINED else display(actual)
                problems.append(
                    f"{firing.name} at #{event.number} {event.name}: {key} is {got}, expected {display(wanted)}"
                )
    return problems


def _held_back(expectation: TagExpectation, timeline: Timeline) -> str:
    """Why a matching tag did not fire where its trigger did: blocked, or not known."""
    for event in timeline.events():
        if expectation.event is not None and event.name != expectation.event:
            continue
        for skip, verdict in [(s, "held back") for s in event.skipped] + [(s, "maybe") for s in event.undetermined]:
            if _matches(expectation.tag, skip.name):
                return f" ({verdict} at #{event.number} {event.name}: {skip.reason})"
    return ""


def _check_not_fires(pattern: str, firings: list[tuple[EventResult, TagFiring]]) -> list[str]:
    return [
        f"expected {pattern} not to fire; {t.name} fired at #{e.number} {e.name}"
        for e, t in firings
        if _matches(pattern, t.name)
    ]


def _check_same_event_id(patterns: tuple[str, ...], firings: list[tuple[EventResult, TagFiring]]) -> list[str]:
    ids: dict[str, Value] = {}
    problems: list[str] = []
    for pattern in patterns:
        found = [t for _e, t in firings if _matches(pattern, t.name)]
        if not found:
            problems.append(f"same_event_id: {pattern} did not fire")
            continue
        for firing in found:
            value = firing.event_id()
            if value is None or value is UNDEFINED or isinstance(value, Unknown) or value == "":
                problems.append(f"same_event_id: {firing.name} sends no event id we can read ({display(value)})")
            else:
                ids[firing.name] = value
    if len({js_string(v) for v in ids.values()}) > 1:
        listed = ", ".join(f"{name}={display(value)}" for name, value in ids.items())
        problems.append(f"same_event_id: the tags send different event ids: {listed}")
    return problems


def _unknown_names(expect: Expectations, container: Container) -> list[str]:
    patterns = [f.tag for f in expect.fires] + list(expect.not_fires) + list(expect.same_event_id)
    names = [t.name for t in container.tags]
    return [
        f"no tag in the container matches {p!r} (check the name)"
        for p in dict.fromkeys(patterns)
        if not any(_matches(p, n) for n in names)
    ]


def check(expect: Expectations, timeline: Timeline, container: Container) -> list[str]:
    """Every expectation that does not hold, as a sentence (empty: the scenario passed)."""
    firings = list(timeline.firings())
    problems = _unknown_names(expect, container)
    for expectation in expect.fires:
        problems += _check_fires(expectation, timeline)
    for pattern in expect.not_fires:
        problems += _check_not_fires(pattern, firings)
    if expect.same_event_id:
        problems += _check_same_event_id(expect.same_event_id, firings)
    if expect.no_conversions:
        problems += [
            f"expected no conversion; {t.name} fired at #{e.number} {e.name}" for e, t in firings if t.conversion
        ]
    return problems


def what_fired(timeline: Timeline) -> list[str]:
    """One line per event that fired or held back tags, and per step GTM did not hear: the
    context a failure message needs."""
    lines: list[str] = []
    for event in timeline.entries:
        if isinstance(event, StepNote):
            lines.append(f"-- {event.cause}: {event.note}")
            continue
        parts = [t.name + (f" ({t.role})" if t.role else "") for t in event.fired]
        parts += [f"not {s.name}: {s.reason}" for s in event.skipped]
        parts += [f"maybe {s.name}: {s.reason}" for s in event.undetermined]
        if parts:
            lines.append(f"#{event.number} {event.name}: " + "; ".join(parts))
    return lines or ["no tag fired at any event"]
