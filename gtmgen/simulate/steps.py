"""What each scenario step makes GTM's listeners push, and the events it therefore dispatches.

A click pushes `gtm.click` when any click trigger exists and `gtm.linkClick` (for the nearest
enclosing link) when a Just Links trigger is enabled on the page; a form submit pushes
`gtm.formSubmit`; visibility, scroll depth and timers push one event per trigger threshold or
tick, on behalf of the triggers whose listener produced it (GTM's `gtm.triggers`). A step no
listener hears becomes a note in the timeline, so a missing listener is visible.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, MutableSet
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from gtmgen.container import Trigger
from gtmgen.simulate.conditions import Truth
from gtmgen.simulate.page import (
    Click,
    ConsentUpdate,
    DomEvent,
    Element,
    HistoryChange,
    JsError,
    Push,
    Scroll,
    Submit,
    Visible,
    Visit,
    Wait,
)
from gtmgen.simulate.selectors import UnsupportedSelector, matches
from gtmgen.simulate.values import Unknown

if TYPE_CHECKING:
    from gtmgen.simulate.engine import VisitState

MAX_TIMER_TICKS = 1000  # per timer and wait step: a 1 ms timer must not hang the simulator


def _number(text: str, default: float) -> float:
    try:
        return float(text)
    except ValueError:
        return default


def _watches(trigger: Trigger, element: Element) -> Truth:
    """Whether an element-visibility trigger's selector picks this element."""
    if trigger.param("selectorType", "ID") == "ID":
        return bool(trigger.param("elementId")) and trigger.param("elementId") == element.id
    try:
        return matches(trigger.param("elementSelector"), element)
    except UnsupportedSelector as error:
        return Unknown(str(error))


def visibility_scope(triggers: Iterable[Trigger], step: Visible, done: MutableSet[tuple[str, str]]) -> dict[str, Truth]:
    """The element-visibility triggers this step satisfies (on-screen ratio, duration, frequency)."""
    scope: dict[str, Truth] = {}
    for trigger in triggers:
        if trigger.type != "ELEMENT_VISIBILITY":
            continue
        watched = _watches(trigger, step.element)
        if watched is False or step.percent < _number(trigger.param("onScreenRatio"), 50.0):
            continue
        minimum_ms = _number(trigger.param("onScreenDuration"), 0.0)
        if trigger.param("useOnScreenDuration") == "true" and step.seconds * 1000 < minimum_ms:
            continue
        frequency = trigger.param("firingFrequency", "ONCE")
        key = (trigger.trigger_id, step.element.describe() if frequency == "ONCE_PER_ELEMENT" else "")
        if frequency != "MANY" and key in done:
            continue
        done.add(key)
        scope[trigger.trigger_id] = watched
    return scope


def _thresholds(trigger: Trigger) -> list[float]:
    units = trigger.param("verticalThresholdUnits", "PERCENT")
    if trigger.param("verticalThresholdOn") != "true" or units != "PERCENT":
        return []
    raw = trigger.param("verticalThresholdsPercent")
    return [_number(part.strip(), -1.0) for part in raw.split(",") if part.strip()]


def scroll_events(
    triggers: Iterable[Trigger], percent: float, done: MutableSet[tuple[str, float]]
) -> list[tuple[float, dict[str, Truth]]]:
    """One scroll-depth event per threshold newly reached, lowest first, for the triggers that asked."""
    by_threshold: dict[float, dict[str, Truth]] = {}
    for trigger in triggers:
        if trigger.type != "SCROLL_DEPTH":
            continue
        for threshold in _thresholds(trigger):
            if 0 <= threshold <= percent and (trigger.trigger_id, threshold) not in done:
                done.add((trigger.trigger_id, threshold))
                by_threshold.setdefault(threshold, {})[trigger.trigger_id] = True
    return sorted(by_threshold.items())


def timer_ticks(
    triggers: Mapping[str, Trigger], scope: Mapping[str, Truth], counts: dict[str, int], start: float, end: float
) -> list[tuple[float, Trigger, int, Truth]]:
    """Timer events between two clock readings (ms since page load), in time order."""
    ticks: list[tuple[float, Trigger, int, Truth]] = []
    for trigger_id, truth in scope.items():
        trigger = triggers[trigger_id]
        interval = _number(trigger.special_value("interval"), 0.0)
        limit = int(_number(trigger.special_value("limit"), 0.0)) or None
        if interval <= 0:
            continue
        number = counts.get(trigger_id, 0)
        while (number + 1) * interval <= end and (limit is None or number < limit):
            number += 1
            if number * interval > start:
                ticks.append((number * interval, trigger, number, truth))
            if number - counts.get(trigger_id, 0) >= MAX_TIMER_TICKS:
                break
        counts[trigger_id] = number
    return sorted(ticks, key=lambda t: t[0])


def element_keys(element: Element) -> dict[str, Any]:
    """The auto-event keys GTM's click, form and visibility listeners push for an element."""
    return {
        "gtm.element": element,
        "gtm.elementClasses": " ".join(element.classes),
        "gtm.elementId": element.id,
        "gtm.elementTarget": element.target,
        "gtm.elementUrl": element.url(),
    }


def _enabled(visit: VisitState, kind: str, prevented: bool) -> dict[str, Truth]:
    """Triggers of a listener type enabled on this page, minus those that check validation when the
    default action was prevented (`checkValidation`)."""
    scope = dict(visit.scopes.get(kind, {}))
    if prevented:
        scope = {tid: t for tid, t in scope.items() if visit.triggers[tid].special_value("checkValidation") != "true"}
    return scope


def _click(visit: VisitState, step: Click) -> None:
    cause = f"click {step.element.describe()}"
    heard = False
    if visit.has_trigger("CLICK"):
        visit.dispatch({"event": "gtm.click", **element_keys(step.element)}, cause)
        heard = True
    link = step.element.closest_link()
    scope = _enabled(visit, "LINK_CLICK", step.prevented) if link is not None else {}
    if link is not None and scope:
        visit.dispatch({"event": "gtm.linkClick", **element_keys(link)}, f"{cause} (link)", scope)
        heard = True
    if not heard:
        visit.note(cause, "no click or link-click trigger is enabled here, so GTM pushes no event")


def _submit(visit: VisitState, step: Submit) -> None:
    cause = f"submit {step.form.describe()}"
    scope = _enabled(visit, "FORM_SUBMISSION", step.prevented)
    if scope:
        visit.dispatch({"event": "gtm.formSubmit", **element_keys(step.form)}, cause, scope)
    else:
        visit.note(cause, "no form-submission trigger is enabled here (or validation failed), so no event")


def _visible(visit: VisitState, step: Visible) -> None:
    cause = f"{step.element.describe()} becomes visible ({step.percent:g}%)"
    scope = visibility_scope(visit.container.triggers, step, visit.visible_done)
    if not scope:
        visit.note(cause, "no element-visibility trigger watches this element (or it already fired)")
        return
    keys = element_keys(step.element) | {"gtm.visibleRatio": step.percent, "gtm.visibleTime": step.seconds * 1000}
    visit.dispatch({"event": "gtm.elementVisibility", **keys}, cause, scope)


def _scroll(visit: VisitState, step: Scroll) -> None:
    cause = f"scroll to {step.percent:g}%"
    events = scroll_events(visit.container.triggers, step.percent, visit.scroll_done)
    if not events:
        visit.note(cause, "no scroll-depth threshold reached for the first time")
    for threshold, scope in events:
        keys = {"gtm.scrollThreshold": threshold, "gtm.scrollUnits": "percent", "gtm.scrollDirection": "vertical"}
        visit.dispatch({"event": "gtm.scrollDepth", **keys}, f"{cause} (threshold {threshold:g}%)", scope)


def _wait(visit: VisitState, step: Wait) -> None:
    cause = f"wait {step.seconds:g}s"
    start, visit.clock_ms = visit.clock_ms, visit.clock_ms + step.seconds * 1000
    ticks = timer_ticks(visit.triggers, visit.scopes.get("TIMER", {}), visit.timers, start, visit.clock_ms)
    if not ticks:
        visit.note(cause, "no timer trigger ticks")
    for at, trigger, number, truth in ticks:
        keys = {
            "gtm.timerId": trigger.trigger_id,
            "gtm.timerEventNumber": number,
            "gtm.timerInterval": trigger.special_value("interval"),
            "gtm.timerStartTime": 0,
            "gtm.timerCurrentTime": at,
            "gtm.timerElapsedTime": at,
        }
        event = trigger.special_value("eventName", "gtm.timer") or "gtm.timer"
        scope = {trigger.trigger_id: truth}
        visit.dispatch({"event": event, **keys}, f"{cause} (timer {trigger.name} #{number})", scope)


def _consent(visit: VisitState, step: ConsentUpdate) -> None:
    visit.choices |= dict(step.states)
    states = ", ".join(f"{k} {v}" for k, v in step.states)
    visit.note("consent update", f"{states} (tags blocked earlier do not fire again by themselves)")
    if step.event:
        visit.push({"event": step.event}, f"consent update pushes {step.event}")


def _history(visit: VisitState, step: HistoryChange) -> None:
    old = visit.url
    visit.url = urljoin(old, step.url)  # pushState('/next') resolves against the page, as the browser does
    cause = f"history change ({step.source}) to {visit.url}"
    if not visit.has_trigger("HISTORY_CHANGE"):
        visit.note(cause, "no history-change trigger, so GTM pushes no event")
        return
    keys = {
        "gtm.historyChangeSource": step.source,
        "gtm.oldUrl": old,
        "gtm.newUrl": visit.url,
        "gtm.oldUrlFragment": old.partition("#")[2],
        "gtm.newUrlFragment": visit.url.partition("#")[2],
        "gtm.oldHistoryState": None,
        "gtm.newHistoryState": None,
    }
    visit.dispatch({"event": "gtm.historyChange", **keys}, cause)


def _error(visit: VisitState, step: JsError) -> None:
    cause = f"JavaScript error {step.message!r}"
    if not visit.has_trigger("JS_ERROR"):
        visit.note(cause, "no JavaScript-error trigger, so GTM pushes no event")
        return
    keys = {"gtm.errorMessage": step.message, "gtm.errorUrl": step.url, "gtm.errorLine": step.line}
    visit.dispatch({"event": "gtm.pageError", **keys}, cause)


def _dom_event(visit: VisitState, step: DomEvent) -> None:
    cause = f"DOM event {step.name}"
    listeners = [li for li in visit.listeners_active if li.hears(step)]
    if not listeners:
        known = [li.tag_name for li in visit.listeners if li.hears(step)]
        why = f"its listener tag {known[0]} has not fired on this page" if known else "no listener tag recognised"
        visit.note(cause, f"GTM does not see DOM events by itself: {why}")
        return
    for listener in listeners:
        visit.push(listener.message(step, visit.ids), f"{cause} -> {listener.tag_name}")


def _push(visit: VisitState, step: Push) -> None:
    event = step.data.get("event")
    visit.push(dict(step.data), f"dataLayer.push({event!r})" if event else "dataLayer.push")


def _visit(visit: VisitState, step: Visit) -> None:
    visit.load(step.page, "page load")


STEP_HANDLERS: dict[type, Callable[[VisitState, Any], None]] = {
    Push: _push,
    Click: _click,
    Submit: _submit,
    Visible: _visible,
    Scroll: _scroll,
    Wait: _wait,
    ConsentUpdate: _consent,
    HistoryChange: _history,
    JsError: _error,
    DomEvent: _dom_event,
    Visit: _visit,
}
