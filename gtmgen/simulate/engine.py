"""The firing engine: GTM's events for a page load and a visitor's steps, and the tags each fires.

Per page load GTM processes: dataLayer pushes made before the snippet (data first), Consent
Initialization (`gtm.init_consent`), Initialization (`gtm.init`), any events pushed before the
snippet, Page View (`gtm.js`), DOM Ready (`gtm.dom`), Window Loaded (`gtm.load`). Each step then
produces the event GTM's listeners would push (`gtm.click`, `gtm.linkClick`, `gtm.formSubmit`,
`gtm.elementVisibility`, `gtm.scrollDepth`, `gtm.timer`, `gtm.historyChange`, `gtm.pageError`) or a
custom event. At each event: triggers (three-valued: fired, not fired, cannot evaluate), trigger
groups, blocking triggers, paused tags, firing options, additional consent, priority, and tag
sequencing (setup tag before, cleanup tag after).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gtmgen.container import Container, Parameter, Tag, Trigger, variable_references
from gtmgen.errors import InputError
from gtmgen.simulate.conditions import Truth, all_of, evaluate
from gtmgen.simulate.consentmode import ConsentCommand, consent_commands, resolve_defaults
from gtmgen.simulate.contracts import EventIds, event_id_variables
from gtmgen.simulate.datalayer import merge_push
from gtmgen.simulate.listeners import Listener, find_listeners
from gtmgen.simulate.page import (
    ConsentMap,
    ConsentState,
    Page,
    Scenario,
    Step,
    Visit,
    consent_all,
    page_url_problem,
)
from gtmgen.simulate.report import EventResult, StepNote, TagFiring, TagSkip, Timeline
from gtmgen.simulate.summaries import consent_note, is_conversion, summarize
from gtmgen.simulate.values import Unknown, Value
from gtmgen.simulate.variables import EventState, Resolver

# Trigger types that fire on one named event, for every trigger of the type.
EVENT_BY_TRIGGER_TYPE: dict[str, str] = {
    "CONSENT_INIT": "gtm.init_consent",
    "INIT": "gtm.init",
    "PAGEVIEW": "gtm.js",
    "DOM_READY": "gtm.dom",
    "WINDOW_LOADED": "gtm.load",
    "CLICK": "gtm.click",
    "HISTORY_CHANGE": "gtm.historyChange",
    "JS_ERROR": "gtm.pageError",
    "YOU_TUBE_VIDEO": "gtm.video",
}
# Trigger types whose listener pushes an event on behalf of particular triggers (`gtm.triggers`).
SCOPED_TRIGGER_TYPES = frozenset({"LINK_CLICK", "FORM_SUBMISSION", "TIMER", "SCROLL_DEPTH", "ELEMENT_VISIBILITY"})
# GTM's reserved trigger ids (format §4): they fire on these events without a trigger entity.
EVENT_BY_BUILT_IN_TRIGGER = {
    "2147479572": "gtm.init_consent",
    "2147479573": "gtm.init",
    "2147479553": "gtm.js",
}
PAGE_LOAD_EVENTS = (("gtm.js", "Page View"), ("gtm.dom", "DOM Ready"), ("gtm.load", "Window Loaded"))

Scope = Mapping[str, Truth]  # trigger id -> whether its listener's "enable when" conditions hold


class VisitState:
    """The mutable state of one simulated visit; `simulate` is its only user."""

    def __init__(self, container: Container, scenario: Scenario) -> None:
        self.container = container
        self.scenario = scenario
        self.choices: dict[str, ConsentState] = {}  # the visitor's updates; they outlive page loads
        self.base_consent: dict[str, ConsentState] = dict(scenario.consent)
        self.consent_notes: list[str] = []
        self.initial_consent: ConsentMap | None = None
        self.overrides = dict(scenario.variables)
        self.entries: list[EventResult | StepNote] = []
        self.triggers = {t.trigger_id: t for t in container.triggers}
        self.tags_by_name = {t.name: t for t in container.tags}
        self.listeners = find_listeners(container)
        self.page = scenario.page
        self.ids = EventIds()
        self.event_id_names = event_id_variables(container)

    # ------------------------------------------------------------ page loads

    @property
    def consent(self) -> dict[str, ConsentState]:
        return self.base_consent | self.choices

    def load(self, page: Page, cause: str) -> None:
        self.page, self.url = page, page.url
        self.ids.new_page()
        self.defaults: list[ConsentCommand] = []
        if self.scenario.container_consent:
            self.base_consent = dict(consent_all("granted"))
        self.model: dict[str, Any] = {}
        self.number = 0
        self.fired_on_page: dict[str, int] = {}
        self.triggers_fired: set[str] = set()
        self.groups_fired: set[str] = set()
        self.scroll_done: set[tuple[str, float]] = set()
        self.visible_done: set[tuple[str, str]] = set()
        self.listeners_active: list[Listener] = []
        self.clock_ms = 0.0
        self.timers: dict[str, int] = {}
        init_done = False
        for data in page.datalayer:
            if "event" in data and not init_done:
                self._init_events(cause)
                init_done = True
            self.push(dict(data), "dataLayer before the GTM snippet")
        if not init_done:
            self._init_events(cause)
        self.dispatch({"event": "gtm.js", "gtm.start": 0}, f"{cause} (Page View)")
        self.scopes = self._listener_scopes()
        for event, label in PAGE_LOAD_EVENTS[1:]:
            self.dispatch({"event": event}, f"{cause} ({label})")

    def _init_events(self, cause: str) -> None:
        self.dispatch({"event": "gtm.init_consent"}, f"{cause} (Consent Initialization)")
        self.dispatch({"event": "gtm.init"}, f"{cause} (Initialization)")

    def _listener_scopes(self) -> dict[str, Scope]:
        """Which LINK_CLICK/FORM_SUBMISSION/TIMER triggers are enabled on this page (autoEventFilter)."""
        resolver = self._resolver()
        scopes: dict[str, dict[str, Truth]] = {}
        for trigger in self.container.triggers:
            if trigger.type in ("LINK_CLICK", "FORM_SUBMISSION", "TIMER"):
                truth = self._conditions(trigger.auto_event_filter, resolver)
                if truth is not False:
                    scopes.setdefault(trigger.type, {})[trigger.trigger_id] = truth
        return dict(scopes)

    # ------------------------------------------------------------ dispatch

    def _resolver(self) -> Resolver:
        event = self.model.get("event", "")
        state = EventState(self.url, self.page.referrer, self.model, str(event), dict(self.page.cookies))
        number, url, model = self.number, self.url, self.model
        providers = {name: lambda: self.ids.for_event(model, str(event), url, number) for name in self.event_id_names}
        return Resolver(self.container, state, self.overrides, providers)

    def push(self, data: dict[str, Any], cause: str, scope: Scope | None = None) -> None:
        """A dataLayer push: merge it, and dispatch it when it carries an event."""
        if "event" in data:
            self.dispatch(data, cause, scope)
        else:
            merge_push(self.model, data)
            self.entries.append(StepNote(cause, "dataLayer push without an event: data only", self.url))

    def dispatch(self, message: dict[str, Any], cause: str, scope: Scope | None = None) -> None:
        self.number += 1
        merge_push(self.model, message | {"gtm.uniqueEventId": self.number})
        resolver = self._resolver()
        truths = self._trigger_truths(str(message["event"]), scope or {}, resolver)
        fired_now = {tid for tid, truth in truths.items() if truth is True}
        self.triggers_fired |= fired_now
        truths |= self._group_truths()
        result = _TagPass(self, truths, resolver).run()
        names = tuple(self.container.trigger_name(t) for t, truth in truths.items() if truth is True)
        self.entries.append(EventResult(self.number, str(message["event"]), cause, self.url, names, *result))
        self._activate_listeners(result[0])
        if self.scenario.container_consent:
            self._apply_consent_commands(result[0], resolver)
        if message["event"] == "gtm.init_consent" and self.initial_consent is None:
            self.initial_consent = tuple(self.consent.items())

    def _apply_consent_commands(self, fired: tuple[TagFiring, ...], resolver: Resolver) -> None:
        """The container's `gtag('consent', ...)` commands in the Custom HTML that just fired."""
        for tag in fired:
            if tag.type != "html":
                continue
            for command in consent_commands(str(tag.parameters.get("html", "")), resolver.render):
                if command.kind == "default":
                    self.defaults.append(command)
                else:
                    self.choices |= dict(command.states)
        if self.defaults:
            self.base_consent = dict(consent_all("granted")) | resolve_defaults(self.defaults, self.scenario.region)

    def _trigger_truths(self, event: str, scope: Scope, resolver: Resolver) -> dict[str, Truth]:
        truths: dict[str, Truth] = {tid: True for tid, name in EVENT_BY_BUILT_IN_TRIGGER.items() if name == event}
        for trigger in self.container.triggers:
            truth = self._trigger_truth(trigger, event, scope, resolver)
            if truth is not False:
                truths[trigger.trigger_id] = truth
        return truths

    def _trigger_truth(self, trigger: Trigger, event: str, scope: Scope, resolver: Resolver) -> Truth:
        if trigger.type == "CUSTOM_EVENT":
            matched = self._conditions(trigger.custom_event_filter, resolver)
        elif trigger.type in SCOPED_TRIGGER_TYPES:
            matched = scope.get(trigger.trigger_id, False)
        else:
            matched = EVENT_BY_TRIGGER_TYPE.get(trigger.type) == event
        if matched is False:
            return False
        return all_of([matched, self._conditions(trigger.filter, resolver)])

    def _conditions(self, conditions: tuple[Any, ...], resolver: Resolver) -> Truth:
        results: list[Truth] = []
        for condition in conditions:
            results.append(evaluate(condition, resolver.render(condition.arg0), resolver.render(condition.arg1)))
            if results[-1] is False:
                break
        return all_of(results)

    def _group_truths(self) -> dict[str, Truth]:
        """Trigger groups fire once per page, at the event where their last member has fired."""
        fired: dict[str, Truth] = {}
        for trigger in self.container.triggers:
            if trigger.type != "TRIGGER_GROUP" or trigger.trigger_id in self.groups_fired:
                continue
            members = _group_members(trigger)
            if members and all(m in self.triggers_fired for m in members):
                self.groups_fired.add(trigger.trigger_id)
                fired[trigger.trigger_id] = True
        return fired

    def _activate_listeners(self, fired: tuple[TagFiring, ...]) -> None:
        for tag in fired:
            self.listeners_active += [li for li in self.listeners if li.tag_name == tag.name]

    # ------------------------------------------------------------ steps

    def step(self, step: Step) -> None:
        from gtmgen.simulate.steps import STEP_HANDLERS

        STEP_HANDLERS[type(step)](self, step)

    def note(self, cause: str, text: str) -> None:
        self.entries.append(StepNote(cause, text, self.url))

    def has_trigger(self, kind: str) -> bool:
        return any(t.type == kind for t in self.container.triggers)


class _TagPass:
    """Decides, for one event, which tags fire, in which order, and which are held back and why."""

    def __init__(self, visit: VisitState, truths: Mapping[str, Truth], resolver: Resolver) -> None:
        self.visit = visit
        self.truths = truths
        self.resolver = resolver
        self.fired: list[TagFiring] = []
        self.skipped: list[TagSkip] = []
        self.undetermined: list[TagSkip] = []
        self.fired_names: set[str] = set()

    def run(self) -> tuple[tuple[TagFiring, ...], tuple[TagSkip, ...], tuple[TagSkip, ...]]:
        candidates = [c for c in (self._candidate(tag) for tag in self.visit.container.tags) if c]
        candidates.sort(key=lambda c: -(c[0].priority or 0))  # stable: container order within a priority
        for tag, trigger_names in candidates:
            self._fire_sequenced(tag, trigger_names)
        return tuple(self.fired), tuple(self.skipped), tuple(self.undetermined)

    def _name(self, trigger_id: str) -> str:
        return self.visit.container.trigger_name(trigger_id)

    def _candidate(self, tag: Tag) -> tuple[Tag, list[str]] | None:
        firing = [(tid, self.truths.get(tid, False)) for tid in tag.firing_trigger_ids]
        fired = [self._name(tid) for tid, truth in firing if truth is True]
        unknown = [truth for _tid, truth in firing if isinstance(truth, Unknown)]
        if not fired and not unknown:
            return None
        blocking = [(tid, self.truths.get(tid, False)) for tid in tag.blocking_trigger_ids]
        blocked_by = [self._name(tid) for tid, truth in blocking if truth is True]
        if blocked_by:
            self.skipped.append(TagSkip(tag.name, f"blocked by trigger {', '.join(blocked_by)}"))
            return None
        doubt = unknown[0] if not fired else next((t for _i, t in blocking if isinstance(t, Unknown)), None)
        if isinstance(doubt, Unknown):
            self.undetermined.append(TagSkip(tag.name, doubt.reason))
            return None
        return tag, fired

    def _hold_back(self, tag: Tag) -> str | None:
        """Why a tag cannot fire now (paused, once per page, consent), or None."""
        if tag.paused:
            return "paused"
        if tag.tag_firing_option == "ONCE_PER_LOAD" and tag.name in self.visit.fired_on_page:
            return f"fires once per page: already fired at event #{self.visit.fired_on_page[tag.name]}"
        if tag.consent is not None and tag.consent.status == "NEEDED":
            denied = [t for t in tag.consent.types if self.visit.consent.get(t, "denied") != "granted"]
            if denied:
                return f"needs additional consent: {', '.join(denied)} not granted"
        return None

    def _fire_sequenced(self, tag: Tag, trigger_names: list[str]) -> None:
        if tag.name in self.fired_names and tag.tag_firing_option != "UNLIMITED":
            return  # already fired at this event as another tag's setup or cleanup tag
        reason = self._hold_back(tag)
        if reason is not None:
            self.skipped.append(TagSkip(tag.name, reason))
            return
        setup_ok = not tag.setup_tag or self._run_helper(tag.setup_tag, f"setup for {tag.name}")
        if not setup_ok and tag.setup_stop_on_failure:
            self.skipped.append(TagSkip(tag.name, f"setup tag {tag.setup_tag} did not fire"))
            return
        count = len(trigger_names) if tag.tag_firing_option == "UNLIMITED" else 1
        for _ in range(count):
            self._record(tag, tuple(trigger_names), "")
        if tag.teardown_tag:
            self._run_helper(tag.teardown_tag, f"cleanup after {tag.name}")

    def _run_helper(self, name: str, role: str) -> bool:
        """Fire a setup or cleanup tag; True when it fired (now or earlier at this event)."""
        helper = self.visit.tags_by_name.get(name)
        if helper is None:
            self.skipped.append(TagSkip(name, f"{role}: no tag with this name"))
            return False
        if name in self.fired_names:
            return True
        if helper.tag_firing_option == "ONCE_PER_LOAD" and name in self.visit.fired_on_page:
            return True  # it ran earlier on this page; GTM counts the sequence as satisfied
        reason = self._hold_back(helper)
        if reason is not None:
            self.skipped.append(TagSkip(name, f"{role}: {reason}"))
            return False
        self._record(helper, (), role)
        return True

    def _parameter(self, tag: Tag, parameter: Parameter) -> Value:
        """A resolved parameter; Custom HTML stays code (its variables are listed separately)."""
        if tag.type == "html" and parameter.key == "html":
            return parameter.value or ""
        return self.resolver.parameter(parameter)

    def _record(self, tag: Tag, trigger_names: tuple[str, ...], role: str) -> None:
        parameters = {p.key: self._parameter(tag, p) for p in tag.parameter if p.key is not None}
        names = dict.fromkeys(n for p in tag.parameter for q in p.walk() for n in variable_references(q.value or ""))
        summary = summarize(tag, parameters, self.resolver)
        self.fired.append(
            TagFiring(
                name=tag.name,
                type=tag.type,
                triggers=trigger_names,
                parameters=parameters,
                summary=summary,
                variables={name: self.resolver.value(name) for name in names},
                role=role,
                consent=consent_note(tag, self.visit.consent, summary),
                conversion=is_conversion(tag, summary),
            )
        )
        self.fired_names.add(tag.name)
        self.visit.fired_on_page.setdefault(tag.name, self.visit.number)


def _group_members(trigger: Trigger) -> list[str]:
    ids = next((p for p in trigger.parameter if p.key == "triggerIds"), None)
    return [p.value for p in (ids.list or ()) if p.value] if ids is not None else []


def simulate(container: Container, scenario: Scenario) -> Timeline:
    """Simulate a visit on a container: every GTM event in order, with the tags it fires.

    Raises InputError for a page that is not a full http(s) URL (its triggers could not match)."""
    for page in (scenario.page, *(step.page for step in scenario.steps if isinstance(step, Visit))):
        problem = page_url_problem(page.url)
        if problem is not None:
            raise InputError(problem)
    visit = VisitState(container, scenario)
    visit.load(scenario.page, "page load")
    for step in scenario.steps:
        visit.step(step)
    consent = visit.initial_consent or scenario.consent
    return Timeline(
        container_label(container),
        consent,
        tuple(visit.entries),
        _assumptions(scenario, visit.event_id_names, bool(visit.defaults)),
    )


def container_label(container: Container) -> str:
    """`name (GTM-XXXX)`; the public id or "(unnamed)" for an export without a name."""
    name, public_id = container.name.strip(), container.public_id.strip()
    if name and public_id:
        return f"{name} ({public_id})"
    return name or public_id or "(unnamed)"


def _assumptions(scenario: Scenario, event_ids: list[str], found_defaults: bool) -> tuple[str, ...]:
    stubs = [f"variable {{{{{name}}}}} = {value!r} (given by the scenario)" for name, value in scenario.variables]
    if scenario.container_consent:
        where = f"a visitor from {scenario.region}" if scenario.region else "a visitor from no listed region"
        found = (
            "the container's consent defaults" if found_defaults else "no consent default in the container: all granted"
        )
        stubs.insert(0, f"consent from {found}, for {where}")
    contract = [
        f"{{{{{name}}}}} follows gtmgen's event-id contract (generated-N stands for a fresh random id)"
        for name in event_ids
        if name not in dict(scenario.variables)
    ]
    return tuple(stubs + contract)
