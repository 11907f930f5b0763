"""Reading the steps of a scenario file: pages, elements, consent states and visitor actions.

Every reader takes the YAML value and its JSON path, reports problems through `YamlReader` (with
the value's line and column) and returns a usable value even after a problem, so one pass finds
every mistake in a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gtmgen.errors import Diagnostic
from gtmgen.loader import Document, JsonPath, format_path
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
    Scroll,
    Step,
    Submit,
    Visible,
    Visit,
    Wait,
    consent_all,
    consent_with,
    page_url_problem,
)
from gtmgen.simulate.selectors import UnsupportedSelector, element_from_selector

_URL_SCHEME = re.compile(r"^(?:tel|mailto|sms|callto|whatsapp|https?|ftp):", re.IGNORECASE)

# The success signal each supported plugin gives (tracking-domain §4.3), as the DOM event it fires.
PLUGIN_EVENTS: dict[str, tuple[str, str, str]] = {
    # plugin: (DOM event, detail key for the form id, target)
    "contact_form_7": ("wpcf7mailsent", "contactFormId", "document"),
    "gravity_forms": ("gform_confirmation_loaded", "formId", "document"),
    "hubspot": ("hs-form-event:on-submission:success", "formId", "window"),
    "calendly": ("message", "", "window"),
}


class YamlReader:
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


def read_consent(
    reader: YamlReader, value: Any, path: JsonPath, base: ConsentMap, *, default_allowed: bool = False
) -> ConsentMap:
    """A consent state: `granted`, `denied` or `{type: state}` on top of `base`."""
    if value in ("granted", "denied"):
        return consent_all(value)
    if not isinstance(value, dict):
        choices = (
            "`granted`, `denied`, `default` (the container's own defaults)"
            if default_allowed
            else ("`granted`, `denied`")
        )
        reader.error(path, f"consent must be {choices} or a mapping of consent types to those")
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


def element(reader: YamlReader, value: Any, path: JsonPath) -> Element:
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


def read_page(reader: YamlReader, value: Any, path: JsonPath) -> Page:
    if isinstance(value, str):
        return Page(_page_url(reader, value, path))
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
        url=_page_url(reader, raw.get("url"), (*path, "url")),
        referrer=str(raw.get("referrer", "")),
        title=str(raw.get("title", "")),
        datalayer=tuple(pushes),
        cookies=tuple((str(k), str(v)) for k, v in cookies.items()),
    )


def _page_url(reader: YamlReader, value: Any, path: JsonPath) -> str:
    url = reader.text(value, path, "a page's url")
    problem = page_url_problem(url) if url else None
    if problem is not None:
        reader.error(path, problem)
    return url


def _push(reader: YamlReader, value: Any, path: JsonPath) -> Step:
    if not isinstance(value, dict):
        reader.error(path, "push takes a mapping: what the site pushes to the dataLayer, e.g. {event: lead}")
        return Push({})
    return Push(value)


def _visible(reader: YamlReader, value: Any, path: JsonPath) -> Step:
    if isinstance(value, dict) and ("percent" in value or "seconds" in value):
        rest = {k: v for k, v in value.items() if k not in ("percent", "seconds")}
        percent = reader.number(value.get("percent", 100), (*path, "percent"), "percent")
        seconds = reader.number(value.get("seconds", 0), (*path, "seconds"), "seconds")
        return Visible(element(reader, rest, path), percent, seconds)
    return Visible(element(reader, value, path))


def _consent_step(reader: YamlReader, value: Any, path: JsonPath) -> Step:
    raw = dict(value) if isinstance(value, dict) else value
    event = raw.pop("event", None) if isinstance(raw, dict) else None
    states = read_consent(reader, raw, path, ())
    return ConsentUpdate(states, str(event) if event else None)


def _dom_event(reader: YamlReader, value: Any, path: JsonPath) -> Step:
    if isinstance(value, str):
        return DomEvent(reader.text(value, path, "dom_event"))
    raw = reader.mapping(value, path, frozenset({"name", "detail", "target"}), "dom_event")
    target = raw.get("target", "document")
    if target not in ("document", "window"):
        reader.error((*path, "target"), "target must be `document` or `window`")
        target = "document"
    detail = raw.get("detail", {})
    return DomEvent(reader.text(raw.get("name"), (*path, "name"), "a DOM event name"), dict(detail or {}), target)


def _plugin(reader: YamlReader, value: Any, path: JsonPath) -> Step:
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


def _visit(reader: YamlReader, value: Any, path: JsonPath) -> Step:
    return Visit(read_page(reader, value, path))


def _history(reader: YamlReader, value: Any, path: JsonPath) -> Step:
    if isinstance(value, dict):
        url = reader.text(value.get("url"), (*path, "url"), "history url")
        return HistoryChange(url, str(value.get("source", "pushState")))
    return HistoryChange(reader.text(value, path, "history url"))


STEP_READERS: dict[str, Callable[[YamlReader, Any, JsonPath], Step]] = {
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


def read_step(reader: YamlReader, value: Any, path: JsonPath) -> Step | None:
    if not isinstance(value, dict) or len(value) != 1:
        reader.error(path, f"a step is a mapping with one key, one of: {', '.join(STEP_READERS)}")
        return None
    ((kind, argument),) = value.items()
    if kind not in STEP_READERS:
        expected = ", ".join(STEP_READERS)
        reader.error((*path, kind), f"unknown step {kind!r}; expected one of: {expected}", at_key=True)
        return None
    return STEP_READERS[kind](reader, argument, (*path, kind))
