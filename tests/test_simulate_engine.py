"""The firing engine on hand-built containers and on every real reference export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gtmgen.container import (
    ALL_PAGES_TRIGGER_ID,
    CONSENT_INITIALIZATION_TRIGGER_ID,
    INITIALIZATION_TRIGGER_ID,
    Condition,
    ConsentSettings,
    Container,
    Parameter,
    Tag,
    Trigger,
    Variable,
)
from gtmgen.export import load_export
from gtmgen.simulate import (
    Click,
    ConsentUpdate,
    DomEvent,
    Element,
    HistoryChange,
    Page,
    Push,
    Scenario,
    Scroll,
    Submit,
    Timeline,
    Visible,
    Visit,
    Wait,
    consent_all,
    render_json,
    render_text,
    simulate,
)
from tests.conftest import reference_exports

PAGE = Page("https://example.com/services/repair/")
TEL = Element(tag="a", href="tel:+15550100", text="Call")


def _tag(name: str, *firing: str, **kwargs: object) -> Tag:
    return Tag(str(abs(hash(name)) % 10**6), name, kwargs.pop("type", "html"), firing_trigger_ids=firing, **kwargs)  # type: ignore[arg-type]


def _custom_event(trigger_id: str, event: str, *filters: Condition) -> Trigger:
    condition = Condition.of("EQUALS", "{{_event}}", event)
    return Trigger(trigger_id, f"CE - {event}", "CUSTOM_EVENT", custom_event_filter=(condition,), filter=filters)


def _container(
    tags: tuple[Tag, ...], triggers: tuple[Trigger, ...] = (), variables: tuple[Variable, ...] = ()
) -> Container:
    return Container("1", "2", "GTM-TEST", "test", tags=tags, triggers=triggers, variables=variables)


def _run(container: Container, *steps: object, page: Page = PAGE, **kwargs: object) -> Timeline:
    return simulate(container, Scenario(page, tuple(steps), **kwargs))  # type: ignore[arg-type]


def _fired(timeline: Timeline) -> list[tuple[str, str]]:
    return [(event.name, tag.name) for event, tag in timeline.firings()]


def test_page_load_events_in_gtm_order() -> None:
    tags = (
        _tag("page", ALL_PAGES_TRIGGER_ID),
        _tag("init", INITIALIZATION_TRIGGER_ID),
        _tag("consent", CONSENT_INITIALIZATION_TRIGGER_ID),
        _tag("dom", "10"),
        _tag("load", "11"),
    )
    triggers = (Trigger("10", "DOM", "DOM_READY"), Trigger("11", "Load", "WINDOW_LOADED"))
    timeline = _run(_container(tags, triggers))
    assert _fired(timeline) == [
        ("gtm.init_consent", "consent"),
        ("gtm.init", "init"),
        ("gtm.js", "page"),
        ("gtm.dom", "dom"),
        ("gtm.load", "load"),
    ]


def test_events_pushed_before_the_snippet_come_after_initialization_with_their_data() -> None:
    dlv = Variable("5", "DLV type", "v", (Parameter.template("name", "page_type"),))
    tags = (_tag("init", INITIALIZATION_TRIGGER_ID, parameter=(Parameter.template("t", "{{DLV type}}"),)),)
    triggers = (_custom_event("3", "early"),)
    early = _tag("early", "3")
    page = Page(PAGE.url, datalayer=({"page_type": "service"}, {"event": "early"}))
    timeline = _run(_container((*tags, early), triggers, (dlv,)), page=page)
    assert _fired(timeline) == [("gtm.init", "init"), ("early", "early")]
    first = next(timeline.firings())[1]
    assert first.parameters["t"] == "service"


def test_blocking_trigger_paused_and_consent_are_reported() -> None:
    tags = (
        _tag("blocked", ALL_PAGES_TRIGGER_ID, blocking_trigger_ids=("20",)),
        _tag("paused", ALL_PAGES_TRIGGER_ID, paused=True),
        _tag("meta", ALL_PAGES_TRIGGER_ID, consent=ConsentSettings("NEEDED", ("ad_storage", "ad_user_data"))),
        _tag("fine", ALL_PAGES_TRIGGER_ID),
    )
    triggers = (
        Trigger("20", "Services", "PAGEVIEW", filter=(Condition.of("CONTAINS", "{{Page Path}}", "/services/"),)),
    )
    timeline = _run(_container(tags, triggers), consent=consent_all("denied"))
    page_view = next(e for e in timeline.events() if e.name == "gtm.js")
    assert [t.name for t in page_view.fired] == ["fine"]
    reasons = {s.name: s.reason for s in page_view.skipped}
    assert reasons["blocked"] == "blocked by trigger Services"
    assert reasons["paused"] == "paused"
    assert reasons["meta"] == "needs additional consent: ad_storage, ad_user_data not granted"


def test_consent_update_lets_a_later_event_fire_but_not_the_missed_one() -> None:
    needs = ConsentSettings("NEEDED", ("ad_storage",))
    tags = (_tag("meta base", ALL_PAGES_TRIGGER_ID, "7", consent=needs, tag_firing_option="ONCE_PER_LOAD"),)
    triggers = (_custom_event("7", "consent_update"),)
    granted = ConsentUpdate((("ad_storage", "granted"),), event="consent_update")
    timeline = _run(_container(tags, triggers), granted, consent=consent_all("denied"))
    assert _fired(timeline) == [("consent_update", "meta base")]


def test_firing_options_once_per_event_once_per_load_unlimited() -> None:
    triggers = (
        _custom_event("1", "x"),
        Trigger("2", "CE any", "CUSTOM_EVENT", custom_event_filter=(Condition.of("MATCH_REGEX", "{{_event}}", ".*"),)),
    )
    tags = (
        _tag("per event", "1", "2"),
        _tag("per load", "1", tag_firing_option="ONCE_PER_LOAD"),
        _tag("unlimited", "1", "2", tag_firing_option="UNLIMITED"),
    )
    timeline = _run(_container(tags, triggers), Push({"event": "x"}), Push({"event": "x"}))
    x_events = [e for e in timeline.events() if e.name == "x"]
    assert [t.name for t in x_events[0].fired] == ["per event", "per load", "unlimited", "unlimited"]
    assert [t.name for t in x_events[1].fired] == ["per event", "unlimited", "unlimited"]
    assert "already fired at event #6" in x_events[1].skipped[0].reason


def test_priority_and_sequencing_order() -> None:
    tags = (
        _tag("event", "1", setup_tag="base", teardown_tag="cleanup"),
        _tag("base", ALL_PAGES_TRIGGER_ID, tag_firing_option="ONCE_PER_LOAD"),
        _tag("cleanup", teardown_tag=None),
        _tag("early", "1", priority=10),
    )
    timeline = _run(_container(tags, (_custom_event("1", "lead"),)), Push({"event": "lead"}))
    lead = next(e for e in timeline.events() if e.name == "lead")
    assert [(t.name, t.role) for t in lead.fired] == [
        ("early", ""),
        ("event", ""),
        ("cleanup", "cleanup after event"),
    ]
    timeline = _run(
        _container(tags[:1] + tags[2:] + (_tag("base"),), (_custom_event("1", "lead"),)), Push({"event": "lead"})
    )
    lead = next(e for e in timeline.events() if e.name == "lead")
    assert [(t.name, t.role) for t in lead.fired][:3] == [("early", ""), ("base", "setup for event"), ("event", "")]


def test_setup_failure_stops_the_main_tag_only_when_asked() -> None:
    base = _tag("base", paused=True)
    strict = _tag("strict", "1", setup_tag="base", setup_stop_on_failure=True)
    lenient = _tag("lenient", "1", setup_tag="base")
    timeline = _run(_container((base, strict, lenient), (_custom_event("1", "go"),)), Push({"event": "go"}))
    go = next(e for e in timeline.events() if e.name == "go")
    assert [t.name for t in go.fired] == ["lenient"]
    assert ("strict", "setup tag base did not fire") in [(s.name, s.reason) for s in go.skipped]


def test_link_click_uses_the_enclosing_link_and_enable_when_conditions() -> None:
    special = (
        ("waitForTags", Parameter("BOOLEAN", None, "false")),
        ("checkValidation", Parameter("BOOLEAN", None, "true")),
    )
    tel = Trigger(
        "1",
        "LC - tel",
        "LINK_CLICK",
        filter=(Condition.of("STARTS_WITH", "{{Click URL}}", "tel:"),),
        auto_event_filter=(Condition.of("MATCH_REGEX", "{{Page Path}}", ".*"),),
        special=special,
    )
    only_contact = Trigger(
        "2", "LC - contact", "LINK_CLICK", auto_event_filter=(Condition.of("EQUALS", "{{Page Path}}", "/contact/"),)
    )
    tags = (_tag("call", "1"), _tag("contact link", "2"))
    span = Element(tag="span", text="Call now", parents=(TEL,))
    timeline = _run(_container(tags, (tel, only_contact)), Click(span), Click(span, prevented=True))
    assert _fired(timeline) == [("gtm.linkClick", "call")]
    link_event = next(e for e in timeline.events() if e.name == "gtm.linkClick")
    assert link_event.fired[0].triggers == ("LC - tel",)
    notes = [e for e in timeline.entries if not hasattr(e, "fired")]
    assert notes and "no click or link-click trigger" in notes[-1].note  # type: ignore[union-attr]


def test_click_trigger_with_css_selector_on_the_clicked_element() -> None:
    click = Trigger(
        "1", "CL - cta", "CLICK", filter=(Condition.of("CSS_SELECTOR", "{{Click Element}}", "a.cta, a.cta *"),)
    )
    tags = (_tag("cta", "1"),)
    inner = Element(tag="span", parents=(Element(tag="a", classes=("cta",), href="/book"),))
    timeline = _run(_container(tags, (click,)), Click(inner), Click(Element(tag="a", href="/other")))
    assert _fired(timeline) == [("gtm.click", "cta")]


def test_form_submission_respects_check_validation() -> None:
    special = (("checkValidation", Parameter("BOOLEAN", None, "true")),)
    form = Trigger(
        "1", "FS", "FORM_SUBMISSION", filter=(Condition.of("EQUALS", "{{Form ID}}", "quote"),), special=special
    )
    quote = Element(tag="form", id="quote", attributes=(("action", "/send"),))
    timeline = _run(_container((_tag("form tag", "1"),), (form,)), Submit(quote, prevented=True), Submit(quote))
    assert _fired(timeline) == [("gtm.formSubmit", "form tag")]


def test_trigger_group_fires_once_when_all_members_fired() -> None:
    group_ids = Parameter.list_of(
        "triggerIds", (Parameter("TRIGGER_REFERENCE", None, "1"), Parameter("TRIGGER_REFERENCE", None, "2"))
    )
    triggers = (
        _custom_event("1", "a"),
        _custom_event("2", "b"),
        Trigger("3", "TG", "TRIGGER_GROUP", parameter=(group_ids,)),
    )
    steps = (Push({"event": "a"}), Push({"event": "a"}), Push({"event": "b"}), Push({"event": "b"}))
    timeline = _run(_container((_tag("group", "3"),), triggers), *steps)
    assert _fired(timeline) == [("b", "group")]


def test_scroll_visibility_timer_and_history_events() -> None:
    scroll = Trigger(
        "1",
        "SD",
        "SCROLL_DEPTH",
        parameter=(
            Parameter.boolean("verticalThresholdOn", True),
            Parameter.template("verticalThresholdUnits", "PERCENT"),
            Parameter.template("verticalThresholdsPercent", "25,50,90"),
        ),
    )
    visible = Trigger(
        "2",
        "EV",
        "ELEMENT_VISIBILITY",
        parameter=(
            Parameter.template("selectorType", "CSS"),
            Parameter.template("elementSelector", ".thanks"),
            Parameter.template("firingFrequency", "ONCE"),
            Parameter.template("onScreenRatio", "50"),
        ),
    )
    timer = Trigger(
        "3",
        "TM",
        "TIMER",
        auto_event_filter=(Condition.of("MATCH_REGEX", "{{Page URL}}", ".*"),),
        special=(
            ("eventName", Parameter("TEMPLATE", None, "gtm.timer")),
            ("interval", Parameter("TEMPLATE", None, "30000")),
            ("limit", Parameter("TEMPLATE", None, "2")),
        ),
    )
    history = Trigger("4", "HC", "HISTORY_CHANGE")
    threshold = Parameter.template("depth", "{{Scroll Depth Threshold}}")
    tags = (
        _tag("scroll", "1", parameter=(threshold,), tag_firing_option="UNLIMITED"),
        _tag("visible", "2"),
        _tag("timer", "3", tag_firing_option="UNLIMITED"),
        _tag("spa", "4", parameter=(Parameter.template("p", "{{Page Path}}"),)),
    )
    thanks = Element(tag="div", classes=("thanks",))
    steps = (
        Scroll(60),
        Scroll(100),
        Visible(thanks, 40),
        Visible(thanks),
        Visible(thanks),
        Wait(45),
        Wait(100),
        HistoryChange("https://example.com/step-2/"),
    )
    timeline = _run(_container(tags, (scroll, visible, timer, history)), *steps)
    fired = [(e.name, t.name, t.parameters.get("depth")) for e, t in timeline.firings()]
    assert fired == [
        ("gtm.scrollDepth", "scroll", 25),
        ("gtm.scrollDepth", "scroll", 50),
        ("gtm.scrollDepth", "scroll", 90),
        ("gtm.elementVisibility", "visible", None),
        ("gtm.timer", "timer", None),
        ("gtm.timer", "timer", None),
        ("gtm.historyChange", "spa", None),
    ]
    assert list(timeline.firings())[-1][1].parameters["p"] == "/step-2/"


def test_unevaluable_filter_makes_the_tag_undetermined_not_fired() -> None:
    jsm = Variable("9", "JS - ok", "jsm", (Parameter.template("javascript", "function(){return true}"),))
    trigger = Trigger("1", "PV js", "PAGEVIEW", filter=(Condition.of("EQUALS", "{{JS - ok}}", "true"),))
    timeline = _run(_container((_tag("maybe", "1"),), (trigger,), (jsm,)))
    page_view = next(e for e in timeline.events() if e.name == "gtm.js")
    assert page_view.fired == () and page_view.undetermined[0].name == "maybe"
    assert "Custom JavaScript" in page_view.undetermined[0].reason
    assert timeline.unknowns() == [page_view.undetermined[0].reason]


def test_visit_step_starts_a_new_page_load() -> None:
    tags = (_tag("once", ALL_PAGES_TRIGGER_ID, tag_firing_option="ONCE_PER_LOAD"),)
    timeline = _run(_container(tags), Visit(Page("https://example.com/thank-you/")))
    assert [(e.page, t.name) for e, t in timeline.firings()] == [
        (PAGE.url, "once"),
        ("https://example.com/thank-you/", "once"),
    ]


def test_listener_tag_turns_a_dom_event_into_its_datalayer_event() -> None:
    html = (
        "<script>document.addEventListener('wpcf7mailsent', function (e) {"
        " window.dataLayer.push({event: 'cf7_sent', form_kind: 'contact', id: e.detail.contactFormId}); });</script>"
    )
    form_id = Variable("8", "DLV id", "v", (Parameter.template("name", "form_kind"),))
    tags = (
        _tag("listener", ALL_PAGES_TRIGGER_ID, parameter=(Parameter.template("html", html),)),
        _tag("lead", "1", parameter=(Parameter.template("kind", "{{DLV id}}"),)),
    )
    timeline = _run(_container(tags, (_custom_event("1", "cf7_sent"),), (form_id,)), DomEvent("wpcf7mailsent"))
    assert _fired(timeline)[-1] == ("cf7_sent", "lead")
    assert list(timeline.firings())[-1][1].parameters["kind"] == "contact"
    unheard = _run(_container(tags[1:], (_custom_event("1", "cf7_sent"),)), DomEvent("wpcf7mailsent"))
    assert [t for _e, t in unheard.firings()] == []


def test_text_and_json_renderings_agree() -> None:
    tags = (
        _tag(
            "ads",
            ALL_PAGES_TRIGGER_ID,
            type="awct",
            parameter=(
                Parameter.template("conversionId", "123"),
                Parameter.template("conversionValue", "150"),
                Parameter.template("currencyCode", "USD"),
            ),
        ),
    )
    timeline = _run(_container(tags), consent=consent_all("denied"))
    text = render_text(timeline)
    assert "fired    ads (awct)" in text and 'value="150", currency="USD"' in text
    assert "built-in consent checks: ad_storage, ad_user_data denied" in text
    data = json.loads(render_json(timeline))
    fired = [t for event in data for t in event.get("fired", [])]
    assert [(t["name"], t["conversion"], t["summary"]["currency"]) for t in fired] == [("ads", True, "USD")]


@pytest.mark.parametrize("path", reference_exports(), ids=lambda p: p.name[:40])
def test_every_reference_export_simulates_without_a_crash(path: Path) -> None:
    container = load_export(path)
    steps = (
        Push({"event": "purchase", "ecommerce": {"value": 10, "currency": "EUR"}}),
        Click(Element(tag="a", href="tel:+15550100")),
        Click(Element(tag="a", href="mailto:x@example.com", classes=("btn",))),
        Submit(Element(tag="form", id="contact")),
        Scroll(100),
        Visible(Element(tag="div", id="thanks")),
        Wait(120),
        HistoryChange("https://example.com/next/"),
    )
    timeline = _run(container, *steps, page=Page("https://www.example.com/checkout/?gclid=abc", "https://google.com/"))
    names = [e.name for e in timeline.events()]
    assert names[:5] == ["gtm.init_consent", "gtm.init", "gtm.js", "gtm.dom", "gtm.load"]
    assert "purchase" in names
    render_text(timeline)
    render_json(timeline)
    tag_names = {t.name for t in container.tags}
    assert all(t.name in tag_names for _e, t in timeline.firings())


CONSENT_HTML = """<script>
  window.dataLayer = window.dataLayer || [];
  function gtag() { dataLayer.push(arguments); }
  gtag('consent', 'default', {ad_storage: 'denied', ad_user_data: 'denied', analytics_storage: 'denied'});
  gtag("consent", "default", {"ad_storage": "granted", "ad_user_data": "granted", "region": ["US"]});
  gtag("consent", "default", {"ad_user_data": "denied", "region": ["US-CA"]});
</script>"""


@pytest.mark.parametrize(
    ("region", "fired", "ad_user_data"),
    [("US", True, "granted"), ("US-CA", False, "denied"), ("DE", False, "denied"), (None, False, "denied")],
)
def test_consent_from_the_containers_defaults_by_region(region: str | None, fired: bool, ad_user_data: str) -> None:
    tags = (
        _tag(
            "consent default", CONSENT_INITIALIZATION_TRIGGER_ID, parameter=(Parameter.template("html", CONSENT_HTML),)
        ),
        _tag("pixel", ALL_PAGES_TRIGGER_ID, consent=ConsentSettings("NEEDED", ("ad_storage", "ad_user_data"))),
    )
    timeline = simulate(_container(tags), Scenario(PAGE, (), container_consent=True, region=region))
    assert ("pixel" in [t.name for _e, t in timeline.firings()]) is fired
    assert dict(timeline.consent)["ad_user_data"] == ad_user_data
    assert dict(timeline.consent)["ad_storage"] == ("granted" if region and region.startswith("US") else "denied")
    assert "consent from the container's" in timeline.assumptions[0]


def test_visitor_choices_outlive_page_loads_and_container_defaults() -> None:
    tags = (
        _tag(
            "consent default", CONSENT_INITIALIZATION_TRIGGER_ID, parameter=(Parameter.template("html", CONSENT_HTML),)
        ),
        _tag("pixel", ALL_PAGES_TRIGGER_ID, consent=ConsentSettings("NEEDED", ("ad_storage",))),
    )
    steps = (ConsentUpdate((("ad_storage", "granted"),)), Visit(Page("https://example.com/next/")))
    timeline = simulate(_container(tags), Scenario(PAGE, steps, container_consent=True, region="DE"))
    assert [(e.page, t.name) for e, t in timeline.firings() if t.name == "pixel"] == [
        ("https://example.com/next/", "pixel")
    ]
