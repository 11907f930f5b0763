"""The simulator's result: a timeline of GTM events with the tags each one fired, and its renderers.

One value (`Timeline`) renders as a readable text timeline or as JSON (a list of events, each with
the tags fired: name, type, resolved parameters). Nothing here computes what fires.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gtmgen.simulate.page import ConsentMap
from gtmgen.simulate.values import Unknown, Value, display, to_json


@dataclass(frozen=True, slots=True)
class TagFiring:
    """A tag that fired at an event, with its parameters as GTM would have computed them."""

    name: str
    type: str
    triggers: tuple[str, ...]
    parameters: Mapping[str, Value]
    summary: Mapping[str, Value]
    variables: Mapping[str, Value] = field(default_factory=dict)  # every {{variable}} it reads, resolved
    role: str = ""  # "setup for X" / "cleanup after X" when fired through tag sequencing
    consent: str = ""  # how consent mode affects it (built-in checks with a denied type)
    conversion: bool = False

    def event_id(self) -> Value:
        return self.summary.get("event_id")

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "triggers": list(self.triggers)}
        if self.role:
            out["role"] = self.role
        if self.consent:
            out["consent"] = self.consent
        out["conversion"] = self.conversion
        out["summary"] = to_json(dict(self.summary))
        out["parameters"] = to_json(dict(self.parameters))
        out["variables"] = to_json(dict(self.variables))
        return out


@dataclass(frozen=True, slots=True)
class TagSkip:
    """A tag whose trigger fired (or might have) but that did not fire, and why."""

    name: str
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class EventResult:
    """One GTM event (`gtm.js`, `gtm.linkClick`, a custom event...) and what it did."""

    number: int
    name: str
    cause: str
    page: str
    triggers: tuple[str, ...] = ()
    fired: tuple[TagFiring, ...] = ()
    skipped: tuple[TagSkip, ...] = ()
    undetermined: tuple[TagSkip, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "event": self.name,
            "cause": self.cause,
            "page": self.page,
            "triggers": list(self.triggers),
            "fired": [t.as_json() for t in self.fired],
            "blocked": [s.as_json() for s in self.skipped],
            "undetermined": [s.as_json() for s in self.undetermined],
        }


@dataclass(frozen=True, slots=True)
class StepNote:
    """A step that produced no GTM event (a consent update, a click no trigger listens to...)."""

    cause: str
    note: str
    page: str

    def as_json(self) -> dict[str, Any]:
        return {"event": None, "cause": self.cause, "note": self.note, "page": self.page}


Entry = EventResult | StepNote


@dataclass(frozen=True, slots=True)
class Timeline:
    """The whole simulated visit."""

    container: str
    consent: ConsentMap
    entries: tuple[Entry, ...] = ()
    assumptions: tuple[str, ...] = field(default_factory=tuple)

    def events(self) -> Iterator[EventResult]:
        return (e for e in self.entries if isinstance(e, EventResult))

    def firings(self) -> Iterator[tuple[EventResult, TagFiring]]:
        """Every tag firing, in order, with its event."""
        return ((event, tag) for event in self.events() for tag in event.fired)

    def unknowns(self) -> list[str]:
        """Every distinct reason something could not be evaluated, in first-seen order."""
        reasons: dict[str, None] = {}
        for event in self.events():
            for skip in event.undetermined:
                reasons[skip.reason] = None
            for tag in event.fired:
                for value in _walk(dict(tag.parameters)):
                    if isinstance(value, Unknown):
                        reasons[value.reason] = None
        return list(reasons)

    def as_json(self) -> dict[str, Any]:
        return {
            "container": self.container,
            "consent": dict(self.consent),
            "assumptions": list(self.assumptions),
            "events": [e.as_json() for e in self.entries],
            "cannot_evaluate": self.unknowns(),
        }


def _walk(value: Value) -> Iterator[Value]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


# ---------------------------------------------------------------- rendering


def render_json(timeline: Timeline) -> str:
    """The timeline as a JSON list of events, each with the tags it fired (name, type, resolved
    parameters), blocked and undetermined; steps GTM did not hear have `"event": null`."""
    return json.dumps([e.as_json() for e in timeline.entries], indent=2, ensure_ascii=False) + "\n"


def render_text(timeline: Timeline, *, verbose: bool = False) -> str:
    """The readable timeline: one block per event, fired tags with their key values."""
    lines = [f"container {timeline.container}", f"consent: {describe_consent(timeline.consent)}"]
    lines += [f"assumed: {a}" for a in timeline.assumptions]
    page = ""
    for entry in timeline.entries:
        if entry.page != page:
            page = entry.page
            lines += ["", f"page {page}"]
        lines += _entry_lines(entry, verbose)
    unknowns = timeline.unknowns()
    if unknowns:
        lines += ["", "cannot evaluate:"] + [f"  - {reason}" for reason in unknowns]
    return "\n".join(lines) + "\n"


def describe_consent(consent: ConsentMap) -> str:
    """`granted`, `denied`, or `ad_storage, ad_user_data denied; others granted`."""
    denied = [k for k, v in consent if v == "denied"]
    if not denied or len(denied) == len(consent):
        return "all granted" if not denied else "all denied"
    return f"{', '.join(denied)} denied; others granted"


def _entry_lines(entry: Entry, verbose: bool) -> list[str]:
    if isinstance(entry, StepNote):
        return [f"  -- {entry.cause}: {entry.note}"]
    head = f"  #{entry.number} {entry.name}  ({entry.cause})"
    if not entry.fired and not entry.skipped and not entry.undetermined:
        return [head + ": no tags"]
    lines = [head]
    lines += [line for tag in entry.fired for line in _fired_lines(tag, verbose)]
    lines += [f"     blocked  {s.name}: {s.reason}" for s in entry.skipped]
    lines += [f"     unknown  {s.name}: {s.reason}" for s in entry.undetermined]
    return lines


def _short(text: str, limit: int = 160) -> str:
    """Long values (Custom HTML above all) cut for the timeline; JSON output keeps them whole."""
    return text if len(text) <= limit else f"{text[: limit - 20]}... ({len(text)} characters)"


def _pairs(values: dict[str, Value]) -> str:
    return ", ".join(f"{k}={_short(display(v))}" for k, v in values.items())


def _fired_lines(tag: TagFiring, verbose: bool) -> list[str]:
    role = f" [{tag.role}]" if tag.role else ""
    lines = [f"     fired    {tag.name} ({tag.type}){role}"]
    shown = dict(tag.parameters) if verbose else {k: v for k, v in tag.summary.items() if k != "platform"}
    raw = None if verbose else shown.pop("raw", None)  # a template's own keys, not platform terms
    if shown:
        lines.append("              " + _pairs(shown))
    if isinstance(raw, dict):
        lines.append("              raw: " + _pairs(raw))
    if tag.consent:
        lines.append(f"              consent: {tag.consent}")
    return lines
