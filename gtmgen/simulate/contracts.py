"""gtmgen's own helpers, which the simulator models by their documented contract.

A container gtmgen compiled contains two kinds of script the simulator could otherwise only call
opaque: the shared event-id variable (Custom JavaScript) and the plugin listener tags (Custom
HTML). Their behaviour is part of gtmgen's design (docs in their notes and templates), so the
simulator computes them from that contract instead of reporting "cannot evaluate":

- event id: the dataLayer's `event_id` when the site pushed one not used before on this page,
  else one id per GTM event; page-load events keep one id per URL for the session. A fresh
  random id is shown as `generated-N`.
- listeners: the message they push carries a fresh `event_id` and the plugin's form id.
Only entities marked as gtmgen's (`managed-by: gtmgen`) are treated this way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from gtmgen.container import Container, Tag, Variable, is_owned
from gtmgen.simulate.values import UNDEFINED, Unknown, Value, js_string
from gtmgen.simulate.variables import model_get

PAGE_LOAD_EVENTS = frozenset({"gtm.js", "gtm.dom", "gtm.load"})
# Where each plugin's DOM event carries the form id (tracking-domain §4.3).
FORM_ID_KEYS = ("contactFormId", "formId", "id")


def is_event_id_variable(variable: Variable) -> bool:
    """gtmgen's shared event-id variable (Custom JavaScript marked as gtmgen's)."""
    if variable.type != "jsm" or not is_owned(variable.notes):
        return False
    return "shared event id" in variable.notes.lower() or "gtmgenEventIds" in variable.param("javascript")


def event_id_variables(container: Container) -> list[str]:
    return [v.name for v in container.variables if is_event_id_variable(v)]


class EventIds:
    """The ids gtmgen's event-id variable and listeners would produce during one visit."""

    def __init__(self) -> None:
        self.counter = 0
        self.session: dict[str, str] = {}  # sessionStorage: page-load ids per event and URL
        self.used: set[str] = set()  # per page (window.gtmgenEventIds)
        self.by_event: dict[int, str] = {}

    def fresh(self) -> str:
        self.counter += 1
        return f"generated-{self.counter}"

    def new_page(self) -> None:
        self.used = set()
        self.by_event = {}

    def for_event(self, model: Mapping[str, Any], event: str, url: str, number: int) -> Value:
        """The event id of GTM event `number` (the same for every tag of that event)."""
        if number in self.by_event:
            return self.by_event[number]
        pushed = model_get(model, "event_id")
        if isinstance(pushed, Unknown):
            return pushed
        found = "" if pushed is UNDEFINED or pushed is None else js_string(pushed)
        if not found or found in self.used:
            found = self._page_load_id(event, url) or self.fresh()
        self.used.add(found)
        self.by_event[number] = found
        return found

    def _page_load_id(self, event: str, url: str) -> str:
        if event not in PAGE_LOAD_EVENTS:
            return ""
        parts = urlsplit(url)
        key = f"{event}:{parts.path}?{parts.query}"
        if key not in self.session:
            self.session[key] = self.fresh()
        return self.session[key]


def complete_listener_message(tag: Tag, message: dict[str, Any], detail: Mapping[str, Any], ids: EventIds) -> None:
    """Fill the computed fields of a gtmgen listener's push: a fresh event_id and the form id."""
    if not is_owned(tag.notes):
        return
    if isinstance(message.get("event_id"), Unknown):
        message["event_id"] = ids.fresh()
    if isinstance(message.get("form_id"), Unknown):
        message["form_id"] = next((js_string(detail[k]) for k in FORM_ID_KEYS if k in detail), "")
