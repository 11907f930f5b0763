"""The firing simulator: which tags a GTM web container fires for a page and a visitor's steps.

`simulate(container, scenario) -> Timeline` works on any container read from an export
(`gtmgen.export.load_export`) or compiled from a spec; what it cannot evaluate it reports as such.
"""

from __future__ import annotations

from gtmgen.simulate.engine import simulate
from gtmgen.simulate.page import (
    Click,
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
from gtmgen.simulate.report import EventResult, StepNote, TagFiring, TagSkip, Timeline, render_json, render_text

__all__ = [
    "Click",
    "ConsentUpdate",
    "DomEvent",
    "Element",
    "EventResult",
    "HistoryChange",
    "JsError",
    "Page",
    "Push",
    "Scenario",
    "Scroll",
    "Step",
    "StepNote",
    "Submit",
    "TagFiring",
    "TagSkip",
    "Timeline",
    "Visible",
    "Visit",
    "Wait",
    "consent_all",
    "consent_with",
    "render_json",
    "render_text",
    "simulate",
]
