"""What the simulator is given: a page, the elements a visitor touches and the steps of a visit.

Plain frozen values, no behaviour beyond small queries. A scenario is one page load (or a short
journey through several, with `Visit` steps) plus the consent state the visitor starts with.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlsplit

from gtmgen.gtm_shapes import CONSENT_TYPES as GTM_CONSENT_TYPES
from gtmgen.spec import CONSENT_SIGNALS

ConsentState = Literal["granted", "denied"]
# Consent types GTM knows (gtm_shapes), consent mode v2's four first (tracking-domain §1.8).
CONSENT_TYPES = (*CONSENT_SIGNALS, *sorted(GTM_CONSENT_TYPES - set(CONSENT_SIGNALS)))
ConsentMap = tuple[tuple[str, ConsentState], ...]


def consent_all(state: ConsentState) -> ConsentMap:
    """Every consent type in one state."""
    return tuple((t, state) for t in CONSENT_TYPES)


def consent_with(base: ConsentMap, changes: Mapping[str, ConsentState]) -> ConsentMap:
    """`base` with some types changed (unknown types are added at the end)."""
    merged = dict(base) | dict(changes)
    return tuple((t, merged[t]) for t in (*CONSENT_TYPES, *sorted(set(merged) - set(CONSENT_TYPES))) if t in merged)


@dataclass(frozen=True, slots=True)
class Element:
    """A DOM element as far as GTM's click, form and visibility built-ins look at it.

    `parents` lists the ancestors, nearest first (they matter for link clicks, which GTM reports
    on the nearest enclosing link, and for descendant CSS selectors).
    """

    tag: str = "a"
    id: str = ""
    classes: tuple[str, ...] = ()
    href: str = ""
    text: str = ""
    target: str = ""
    attributes: tuple[tuple[str, str], ...] = ()
    parents: tuple[Element, ...] = ()

    def attribute(self, name: str) -> str | None:
        """An attribute's value as the DOM would report it (None when absent)."""
        name = name.lower()
        builtin = {"id": self.id, "class": " ".join(self.classes), "href": self.href, "target": self.target}
        if name in builtin:
            return builtin[name] or None
        return dict(self.attributes).get(name)

    def closest_link(self) -> Element | None:
        """This element or the nearest ancestor that is a link with an href (GTM's Just Links)."""
        chain = (self, *self.parents)
        return next((e for e in chain if e.tag.lower() in ("a", "area") and e.href), None)

    def url(self) -> str:
        """What `Click URL` / `Form URL` report: a link's href, a form's action."""
        return self.href or (self.attribute("action") or "")

    def describe(self) -> str:
        """A short CSS-like description: `a#call.btn[href="tel:+1"]`."""
        text = self.tag + (f"#{self.id}" if self.id else "") + "".join(f".{c}" for c in self.classes)
        if self.href:
            text += f'[href="{self.href}"]'
        return text


def page_url_problem(url: str) -> str | None:
    """Why a page URL cannot be loaded (None when it can): GTM reads the page's full URL, and a
    path or a host without a scheme would leave Page Hostname and Page Path wrong, so triggers on
    them would silently not fire."""
    parts = urlsplit(url)
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return None
    host = url.split("/", 1)[0]
    hint = f" (did you mean 'https://{url}'?)" if not parts.scheme and "." in host and " " not in host else ""
    return f"the page URL must be a full http(s) URL such as https://example.com/thank-you/, got {url!r}{hint}"


@dataclass(frozen=True, slots=True)
class Page:
    """A page load: its URL, referrer and title, the dataLayer pushed before the GTM snippet, cookies."""

    url: str
    referrer: str = ""
    title: str = ""
    datalayer: tuple[Mapping[str, Any], ...] = ()
    cookies: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Push:
    """`dataLayer.push(data)`; with an `event` key it is a GTM event."""

    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Click:
    """A click on an element (`prevented`: a script called preventDefault, as AJAX forms do)."""

    element: Element
    prevented: bool = False


@dataclass(frozen=True, slots=True)
class Submit:
    """A form's native submit event."""

    form: Element
    prevented: bool = False


@dataclass(frozen=True, slots=True)
class Visible:
    """An element scrolls into view (percent of it on screen, for how long)."""

    element: Element
    percent: float = 100.0
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Scroll:
    """The visitor scrolls down to `percent` of the page (vertically)."""

    percent: float


@dataclass(frozen=True, slots=True)
class Wait:
    """Time passes (timers tick)."""

    seconds: float


@dataclass(frozen=True, slots=True)
class ConsentUpdate:
    """A consent update (a CMP calling gtag('consent', 'update', ...)), optionally followed by a
    dataLayer event the CMP pushes (what lets tags blocked by consent fire afterwards)."""

    states: ConsentMap
    event: str | None = None


@dataclass(frozen=True, slots=True)
class HistoryChange:
    """A single-page-app navigation (pushState, replaceState, popstate or a fragment change)."""

    url: str
    source: str = "pushState"


@dataclass(frozen=True, slots=True)
class JsError:
    """An uncaught JavaScript error."""

    message: str
    url: str = ""
    line: int = 0


@dataclass(frozen=True, slots=True)
class DomEvent:
    """A DOM event a site's script dispatches (e.g. Contact Form 7's `wpcf7mailsent`), with its detail.

    GTM does not see DOM events by itself: only listener tags (Custom HTML) turn them into dataLayer
    events, so the simulator reports them as opaque unless it recognises gtmgen's own listeners."""

    name: str
    detail: Mapping[str, Any] = field(default_factory=dict)
    target: Literal["document", "window"] = "document"


@dataclass(frozen=True, slots=True)
class Visit:
    """A new page load in the same visit (dataLayer, once-per-page tags and timers start over)."""

    page: Page


Step = Push | Click | Submit | Visible | Scroll | Wait | ConsentUpdate | HistoryChange | JsError | DomEvent | Visit


@dataclass(frozen=True, slots=True)
class Scenario:
    """A visit to simulate: the first page, the steps, the consent state at the start, and values for
    variables the simulator cannot compute itself (Custom JavaScript, cookies, DOM reads...)."""

    page: Page
    steps: tuple[Step, ...] = ()
    consent: ConsentMap = field(default_factory=lambda: consent_all("granted"))
    variables: tuple[tuple[str, Any], ...] = ()
    # Take the consent state from the container's own consent defaults, for a visitor from
    # `region` (ISO 3166-2: "DE", "US-CA"), instead of `consent`.
    container_consent: bool = False
    region: str | None = None
