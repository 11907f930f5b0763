"""Tracking scenario files (`*.tracking.yaml`): what to visit, what to do, what must fire.

```yaml
target: foundation-repair.yaml        # the spec (compiled first) or container export under test
consent: granted                      # default for every scenario: granted, denied or per type
scenarios:
  - name: A tel: click is one phone-call conversion
    page: https://example.com/contact/
    steps:
      - click: "tel:+18175550100"
    expect:
      fires:
        - {tag: "GAds - Conv - Phone call", times: 1, with: {value: 80, currency: USD}}
      not_fires: ["Meta - Lead"]
      same_event_id: ["GAds - Conv - Phone call", "Meta - Contact"]
```

Steps: `push`, `click`, `submit`, `visible`, `scroll`, `wait`, `consent`, `history`, `error`,
`dom_event`, `plugin` (a form or booking plugin's success signal) and `visit` (a new page).
Every problem in a file is reported at its line and column, all at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtmgen.errors import Diagnostic, SpecError
from gtmgen.loader import Document, JsonPath, format_path, load_document
from gtmgen.simulate.page import (
    CONSENT_TYPES,
    Click,
    ConsentMap,
    ConsentUpdate,
    DomEvent,
    Element,
    HistoryChange,
    JsError,
    Page,
    Push,
    Scenario,
    Scroll,
    Step,
    Submit,
    Visible,
    Visit,
    Wait,
    consent_all,
    consent_with,
)
from gtmgen.simulate.selectors import UnsupportedSelector, element_from_selector

SCENARIO_SUFFIX = ".tracking.yaml"
_URL_SCHEME = re.compile(r"^(?:tel|mailto|sms|callto|whatsapp|https?|ftp):", re.IGNORECASE)

# The success signal each supported plugin gives (tracking-domain §4.3), as the DOM event it fires.
PLUGIN_EVENTS: dict[str, tuple[str, str, str]] = {
    # plugin: (DOM event, detail key for the form id, target)
    "contact_form_7": ("wpcf7mailsent", "contactFormId", "document"),
    "gravity_forms": ("gform_confirmation_loaded", "formId", "document"),
    "hubspot": ("hs-form-event:on-submission:success", "formId", "window"),
    "calendly": ("message", "", "window"),
}


@dataclass(frozen=True, slots=True)
class TagExpectation:
    """`fires:` one entry: a tag (name or glob), how often, at which event, with which values."""

    tag: str
    times: int | None = None  # None: at least once
    event: str | None = None
    values: tuple[tuple[str, Any], ...] = ()
    path: str = ""


@dataclass(frozen=True, slots=True)
class Expectations:
    fires: tuple[TagExpectation, ...] = ()
    not_fires: tuple[str, ...] = ()
    same_event_id: tuple[str, ...] = ()
    no_conversions: bool = False


@dataclass(frozen=True, slots=True)
class ScenarioCase:
    """One named scenario of a file, with where it is written."""

    name: str
    line: int
    scenario: Scenario
    expect: Expectations


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    path: Path
    target: Path
    cases: tuple[ScenarioCase, ...] = field(default_factory=tuple)


class _Reader:
    """Reads one document, collecting every problem with its location."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[Diagnostic] = []

    def error(self, path: JsonPath, message: str, rule: str = "scenario", *, at_key: bool = False) -> None:
        location = self.document.locate_key(path) if at_key else self.document.locate(path)
        self.problems.append(Diagnostic(location, "error", message, format_path(path), rule))

    def mapping(self, value: Any, path: JsonPath, allowed: frozenset[str], what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.error(path, f"{what} must be a mapping")
            return {}
        expected = ", ".join(sorted(allowed))
        for key in value:
            if key not in allowed:
                self.error((*path, key), f"unknown key {key!r} in {what}; expected one of: {expected}", at_key=True)
        return value

    def text(self, value: Any, path: JsonPath, what: str) -> str:
        if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value):
            return str(value)
        self.error(path, f"{what} must be a non-empty text")
        return ""

    def number(self, value: Any, path: JsonPath, what: str) -> float:
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0:
            return float(value)
        self.error(path, f"{what} must be a number (0 or more)")
        return 0.0

    def texts(self, value: Any, path: JsonPath, what: str) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        return tuple(self.text(v, (*path, i) if isinstance(value, list) else path, what) for i, v in enumerate(items))


# ---------------------------------------------------------------- consent


def _consent(reader: _Reader, value: Any, path: JsonPath, base: ConsentMap) -> ConsentMap:
    if value in ("granted", "denied"):
        return consent_all(value)
    if not isinstance(value, dict):
        reader.error(path, "consent must be `granted`, `denied` or a mapping of consent types to those")
        return base
    changes: dict[str, Any] = {}
    for key, state in value.items():
        if key not in CONSENT_TYPES:
            reader.error((*path, key), f"unknown consent type {key!r}; expected one of: {', '.join(CONSENT_TYPES)}")
        elif state not in ("granted", "denied"):
            reader.error((*path, key), f"consent for {key} must be `granted` or `denied`")
        else:
            changes[key] = state
    return consent_with(base, changes)


# ---------------------------------------------------------------- elements and steps

_ELEMENT_KEYS = frozenset({"tag", "id", "classes", "href", "text", "target", "attributes", "selector", "inside"})


def looks_like_url(text: str) -> bool:
    """`tel:+1...`, `mailto:...`, `https://...`, `/path`: a link target rather than a selector."""
    return text.startswith("/") or _URL_SCHEME.match(text) is not None


def element(reader: _Reader, value: Any, path: JsonPath) -> Element:
    """An element from a URL (a link to it), a CSS selector, or a mapping of its attributes."""
    if isinstance(value, str):
        if looks_like_url(value):
            return Element(tag="a", href=value)
        try:
            return element_from_selector(value)
        except UnsupportedSelector as error:
            reader.error(path, f"{error}; describe the element as a mapping (tag, id, classes, href, text)")
            return Element()
    raw = reader.mapping(value, path, _ELEMENT_KEYS, "an element")
    base = element(reader, raw["selector"], (*path, "selector")) if "selector" in raw else Element(tag="")
    classes = raw.get("classes", base.classes)
    attributes = raw.get("attributes", {})
    inside = element(reader, raw["inside"], (*path, "inside")) if "inside" in raw else None
    return Element(
        tag=str(raw.get("tag", base.tag or ("a" if "href" in raw else "div"))),
        id=str(raw.get("id", base.id)),
        classes=tuple(str(c) for c in (classes.split() if isinstance(classes, str) else classes)),
        href=str(raw.get("href", base.href)),
        text=str(raw.get("text", base.text)),
        target=str(raw.get("target", base.target)),
        attributes=base.attributes + tuple((str(k).lower(), str(v)) for k, v in dict(attributes).items()),
        parents=(inside, *inside.parents) if inside is not None else base.parents,
    )


def _page(reader: _Reader, value: Any, path: JsonPath) -> Page:
    if isinstance(value, str):
        return Page(reader.text(value, path, "a page"))
    raw = reader.mapping(value, path, frozenset({"url", "referrer", "title", "datalayer", "cookies"}), "a page")
    pushes = raw.get("datalayer", [])
    if not isinstance(pushes, list) or not all(isinstance(p, dict) for p in pushes):
        reader.error((*path, "datalayer"), "datalayer must be a list of mappings (the pushes made before GTM loads)")
        pushes = []
    cookies = raw.get("cookies", {})
    if not isinstance(cookies, dict):
        reader.error((*path, "cookies"), "cookies must be a mapping of cookie names to values")
        cookies = {}
    return Page(
        url=reader.text(raw.get("url"), (*path, "url"), "a page's url"),
        referrer=str(raw.get("referrer", "")),
        title=str(raw.get("title", "")),
        datalayer=tuple(pushes),
        cookies=tuple((str(k), str(v)) for k, v in cookies.items()),
    )


def _push(reader: _Reader, value: Any, path: JsonPath) -> Step:
    if not isinstance(value, dict):
        reader.error(path, "push takes a mapping: what the site pushes to the dataLayer, e.g. {event: lead}")
        return Push({})
    return Push(value)


def _visible(reader: _Reader, value: Any, path: JsonPath) -> Step:
    if isinstance(value, dict) and ("percent" in value or "seconds" in value):
        rest = {k: v for k, v in value.items() if k not in ("percent", "seconds")}
        percent = reader.number(value.get("percent", 100), (*path, "percent"), "percent")
        seconds = reader.number(value.get("seconds", 0), (*path, "seconds"), "seconds")
        return Visible(element(reader, rest, path), percent, seconds)
    return Visible(element(reader, value, path))


def _consent_step(reader: _Reader, value: Any, path: JsonPath) -> Step:
    raw = dict(value) if isinstance(value, dict) else value
    event = raw.pop("event", None) if isinstance(raw, dict) else None
    states = _consent(reader, raw, path, ())
    return ConsentUpdate(states, str(event) if event else None)


def _dom_event(reader: _Reader, value: Any, path: JsonPath) -> Step:
    if isinstance(value, str):
        return DomEvent(reader.text(value, path, "dom_event"))
    raw = reader.mapping(value, path, frozenset({"name", "detail", "target"}), "dom_event")
    target = raw.get("target", "document")
    if target not in ("document", "window"):
        reader.error((*path, "target"), "target must be `document` or `window`")
        target = "document"
    detail = raw.get("detail", {})
    return DomEvent(reader.text(raw.get("name"), (*path, "name"), "a DOM event name"), dict(detail or {}), target)


def _plugin(reader: _Reader, value: Any, path: JsonPath) -> Step:
    raw = (
        {"name": value}
        if isinstance(value, str)
        else reader.mapping(value, path, frozenset({"name", "form_id"}), "plugin")
    )
    name = str(raw.get("name", ""))
    if name not in PLUGIN_EVENTS:
        reader.error(path, f"unknown plugin {name!r}; expected one of: {', '.join(PLUGIN_EVENTS)}")
        return DomEvent("")
    event, id_key, target = PLUGIN_EVENTS[name]
    if name == "calendly":
        return DomEvent(event, {"event": "calendly.event_scheduled", "origin": "https://calendly.com"}, "window")
    detail = {id_key: raw["form_id"]} if "form_id" in raw else {}
    return DomEvent(event, detail, "window" if target == "window" else "document")


def _visit(reader: _Reader, value: Any, path: JsonPath) -> Step:
    return Visit(_page(reader, value, path))


def _history(reader: _Reader, value: Any, path: JsonPath) -> Step:
    if isinstance(value, dict):
        url = reader.text(value.get("url"), (*path, "url"), "history url")
        return HistoryChange(url, str(value.get("source", "pushState")))
    return HistoryChange(reader.text(value, path, "history url"))


STEP_READERS: dict[str, Callable[[_Reader, Any, JsonPath], Step]] = {
    "push": _push,
    "click": lambda r, v, p: Click(element(r, v, p)),
    "submit": lambda r, v, p: Submit(element(r, v, p)),
    "visible": _visible,
    "scroll": lambda r, v, p: Scroll(r.number(v, p, "scroll (a percentage)")),
    "wait": lambda r, v, p: Wait(r.number(v, p, "wait (seconds)")),
    "consent": _consent_step,
    "history": _history,
    "error": lambda r, v, p: JsError(r.text(v, p, "error message")),
    "dom_event": _dom_event,
    "plugin": _plugin,
    "visit": _visit,
}


def _step(reader: _Reader, value: Any, path: JsonPath) -> Step | None:
    if not isinstance(value, dict) or len(value) != 1:
        reader.error(path, f"a step is a mapping with one key, one of: {', '.join(STEP_READERS)}")
        return None
    ((kind, argument),) = value.items()
    if kind not in STEP_READERS:
        expected = ", ".join(STEP_READERS)
        reader.error((*path, kind), f"unknown step {kind!r}; expected one of: {expected}", at_key=True)
        return None
    return STEP_READERS[kind](reader, argument, (*path, kind))


# ---------------------------------------------------------------- expectations

_FIRES_KEYS = frozenset({"tag", "times", "event", "with"})
_EXPECT_KEYS = frozenset({"fires", "not_fires", "same_event_id", "no_conversions"})


def _fires(reader: _Reader, value: Any, path: JsonPath) -> TagExpectation:
    if isinstance(value, str):
        return TagExpectation(value, path=format_path(path))
    raw = reader.mapping(value, path, _FIRES_KEYS, "a `fires` entry")
    times = raw.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 0):
        reader.error((*path, "times"), "times must be a whole number (0 or more)")
        times = None
    values = raw.get("with", {})
    if not isinstance(values, dict):
        reader.error((*path, "with"), "with must be a mapping of parameter or summary names to values")
        values = {}
    event = raw.get("event")
    return TagExpectation(
        tag=reader.text(raw.get("tag"), (*path, "tag"), "a tag name"),
        times=times,
        event=str(event) if event is not None else None,
        values=tuple(values.items()),
        path=format_path(path),
    )


def _expectations(reader: _Reader, value: Any, path: JsonPath) -> Expectations:
    raw = reader.mapping(value, path, _EXPECT_KEYS, "expect")
    fires = raw.get("fires", [])
    if not isinstance(fires, list):
        reader.error((*path, "fires"), "fires must be a list of tags (names or {tag, times, with})")
        fires = []
    no_conversions = raw.get("no_conversions", False)
    if not isinstance(no_conversions, bool):
        reader.error((*path, "no_conversions"), "no_conversions must be true or false")
    same = reader.texts(raw["same_event_id"], (*path, "same_event_id"), "a tag name") if "same_event_id" in raw else ()
    if same and len(same) < 2:
        reader.error((*path, "same_event_id"), "same_event_id needs at least two tags to compare")
    if not raw:
        reader.error(path, "expect states nothing: add fires, not_fires, same_event_id or no_conversions")
    return Expectations(
        fires=tuple(_fires(reader, f, (*path, "fires", i)) for i, f in enumerate(fires)),
        not_fires=reader.texts(raw["not_fires"], (*path, "not_fires"), "a tag name") if "not_fires" in raw else (),
        same_event_id=same,
        no_conversions=no_conversions is True,
    )


# ---------------------------------------------------------------- scenarios and files

_CASE_KEYS = frozenset({"name", "page", "consent", "steps", "expect", "variables"})
_FILE_KEYS = frozenset({"target", "consent", "variables", "scenarios"})


def _variables(reader: _Reader, value: Any, path: JsonPath) -> dict[str, Any]:
    if not isinstance(value, dict):
        reader.error(path, "variables must be a mapping of variable names to the values to assume")
        return {}
    return value


def _case(reader: _Reader, value: Any, path: JsonPath, defaults: tuple[ConsentMap, dict[str, Any]]) -> ScenarioCase:
    raw = reader.mapping(value, path, _CASE_KEYS, "a scenario")
    consent = _consent(reader, raw["consent"], (*path, "consent"), defaults[0]) if "consent" in raw else defaults[0]
    variables = defaults[1] | _variables(reader, raw.get("variables", {}), (*path, "variables"))
    steps_raw = raw.get("steps", [])
    if not isinstance(steps_raw, list):
        reader.error((*path, "steps"), "steps must be a list")
        steps_raw = []
    steps = [_step(reader, s, (*path, "steps", i)) for i, s in enumerate(steps_raw)]
    if "expect" not in raw:
        reader.error(path, "a scenario needs `expect:` (what must or must not fire)")
    if "page" not in raw:
        reader.error(path, "a scenario needs `page:` (the URL of the page the visit starts on)")
    return ScenarioCase(
        name=reader.text(raw.get("name"), (*path, "name"), "a scenario's name"),
        line=reader.document.locate(path).line,
        scenario=Scenario(
            page=_page(reader, raw["page"], (*path, "page")) if "page" in raw else Page(""),
            steps=tuple(s for s in steps if s is not None),
            consent=consent,
            variables=tuple(variables.items()),
        ),
        expect=_expectations(reader, raw.get("expect", {}), (*path, "expect")),
    )


def read_scenario_file(path: Path) -> ScenarioFile:
    """Load and check a scenario file; raise SpecError with every problem found."""
    try:
        document = load_document(path)
    except SpecError as error:
        raise SpecError([_retitle(d) for d in error.diagnostics]) from None
    reader = _Reader(document)
    reader.problems += document.problems
    raw = reader.mapping(document.data, (), _FILE_KEYS, "a scenario file")
    consent = _consent(reader, raw["consent"], ("consent",), consent_all("granted")) if "consent" in raw else None
    defaults = (consent or consent_all("granted"), _variables(reader, raw.get("variables", {}), ("variables",)))
    scenarios = raw.get("scenarios")
    if not isinstance(scenarios, list) or not scenarios:
        reader.error(("scenarios",), "a scenario file needs `scenarios:`, a list of at least one scenario")
        scenarios = []
    target = reader.text(raw.get("target"), ("target",), "target (the spec or container export to test)")
    cases = tuple(_case(reader, c, ("scenarios", i), defaults) for i, c in enumerate(scenarios))
    names = [c.name for c in cases]
    for index, name in enumerate(names):
        if name and name in names[:index]:
            reader.error(("scenarios", index, "name"), f"duplicate scenario name {name!r}")
    if reader.problems:
        raise SpecError(sorted(reader.problems, key=Diagnostic.sort_key))
    return ScenarioFile(path, (path.parent / target), cases)


def _retitle(diagnostic: Diagnostic) -> Diagnostic:
    if diagnostic.rule == "empty":
        message = "the file is empty; a scenario file starts with `target:` and `scenarios:`"
        return Diagnostic(diagnostic.location, "error", message, diagnostic.json_path, diagnostic.rule)
    return diagnostic


def scenario_mapping_keys() -> Mapping[str, frozenset[str]]:
    """The keys each level of a scenario file allows (for documentation tests)."""
    return {"file": _FILE_KEYS, "scenario": _CASE_KEYS, "expect": _EXPECT_KEYS, "fires": _FIRES_KEYS}
