"""Listener tags: Custom HTML that turns a DOM event into a dataLayer event.

GTM does not see a plugin's DOM events (Contact Form 7's `wpcf7mailsent`, a Calendly postMessage)
by itself; a listener tag installed on the page does, and pushes a dataLayer event. The simulator
cannot run that script, but it can read it: a Custom HTML tag that registers a listener for an
event name (a string literal next to `addEventListener` / jQuery `.on`) and pushes a dataLayer
message with a literal `event` is recognised, and a `DomEvent` step then pushes that message
(literal fields as written; anything computed becomes an Unknown value, never a guess).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gtmgen.container import Container, Tag
from gtmgen.simulate.contracts import EventIds, complete_listener_message
from gtmgen.simulate.page import DomEvent
from gtmgen.simulate.scripts import find_calls, string_literals, tokenize
from gtmgen.simulate.values import Unknown, Value

_REGISTRATIONS = ("addEventListener", "on")


@dataclass(frozen=True, slots=True)
class Listener:
    """A recognised listener tag: the DOM events it hears and the message it pushes."""

    tag: Tag
    events: frozenset[str]
    literals: frozenset[str]
    message_template: Mapping[str, Value]

    def hears(self, step: DomEvent) -> bool:
        if step.name not in self.events:
            return False
        if step.name != "message":
            return True
        # postMessage listeners check the message's own name (Calendly, legacy HubSpot forms).
        names = [v for v in step.detail.values() if isinstance(v, str)]
        return any(n in self.literals for n in names)

    @property
    def tag_name(self) -> str:
        return self.tag.name

    def message(self, step: DomEvent, ids: EventIds) -> dict[str, Any]:
        """The dataLayer message the listener pushes for an event it hears."""
        message = dict(self.message_template)
        complete_listener_message(self.tag, message, step.detail, ids)
        return message


def _registered_events(html: str) -> frozenset[str]:
    tokens = tokenize(html)
    events: set[str] = set()
    for index, token in enumerate(tokens[:-2]):
        registers = token.kind == "name" and token.text in _REGISTRATIONS and tokens[index + 1].text == "("
        if registers and tokens[index + 2].kind == "str":
            events.add(tokens[index + 2].text[1:-1])
    return frozenset(events)


def _pushed_message(html: str) -> dict[str, Value] | None:
    for call in find_calls(html, ("dataLayer.push", "window.dataLayer.push"), lambda _t: Unknown("variable")):
        if call.args and isinstance(call.args[0], dict) and isinstance(call.args[0].get("event"), str):
            return dict(call.args[0])
    return None


def find_listeners(container: Container) -> list[Listener]:
    """The Custom HTML tags of a container that read as DOM-event-to-dataLayer listeners."""
    found: list[Listener] = []
    for tag in container.tags:
        if tag.type != "html":
            continue
        html = tag.param("html")
        events = _registered_events(html)
        message = _pushed_message(html) if events else None
        if message is not None:
            found.append(Listener(tag, events, frozenset(string_literals(html)), message))
    return found
