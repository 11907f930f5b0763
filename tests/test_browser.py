"""The generated Custom HTML in a real browser: exact fbq, gtag and dataLayer calls.

Headless Debian Chromium driven by Playwright runs what the simulator says fires, on a page served
from 127.0.0.1, with the vendors' endpoints stubbed (tests/gtm_browser.py). Skipped cleanly when
Playwright or Chromium is not installed; .ci/run installs both.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from gtmgen.container import Container
from gtmgen.simulate import (
    Click,
    DomEvent,
    Element,
    EventResult,
    Page,
    Scenario,
    Timeline,
    consent_all,
    simulate,
)
from gtmgen.spec import spec_from_data
from tests.conftest import EXAMPLES
from tests.gtm_browser import BROWSER_ARGS, GtmPage, chromium_path, gtm_page, local_site

compile_site = pytest.importorskip("gtmgen.compile", reason="the compiler has not landed").compile_site
pytestmark = pytest.mark.browser

PIXEL = "104857600123456"
SECOND_PIXEL = "204857600123457"


def _unavailable(reason: str) -> None:
    """Skip, except in CI (GTMGEN_REQUIRE_BROWSER=1), where a missing browser is a failure."""
    if os.environ.get("GTMGEN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"browser tests are required here but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed (pip install '.[browser]')")
    executable = chromium_path()
    if executable is None:
        _unavailable("Chromium is not installed (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with local_site() as url:
        yield url


def _spec_data(**changes: Any) -> dict[str, Any]:
    data = yaml.safe_load((EXAMPLES / "foundation-repair.yaml").read_text(encoding="utf-8"))
    updated = copy.deepcopy(data)
    updated.update(changes)
    return updated


def _container(**changes: Any) -> Container:
    return compile_site(spec_from_data(_spec_data(**changes)))


def _timeline(container: Container, url: str, *steps: Any) -> Timeline:
    return simulate(container, Scenario(Page(url), tuple(steps), consent_all("granted")))


def _page_load(harness: GtmPage, timeline: Timeline) -> list[EventResult]:
    events = list(timeline.events())
    for event in events[:5]:
        harness.run_event(event)
    return events[5:]


def _track_calls(calls: list[list[Any]], name: str) -> list[list[Any]]:
    return [c for c in calls if c[0] in ("track", "trackSingle") and name in c[1:3]]


def test_contact_form_7_success_sends_one_lead_with_the_listeners_event_id(browser: Any, origin: str) -> None:
    container = _container()
    success = DomEvent("wpcf7mailsent", {"contactFormId": 42})
    timeline = _timeline(container, "https://solidgroundfoundation.com/contact/", success)
    with gtm_page(browser, origin, container, timeline) as harness:
        later = _page_load(harness, timeline)
        harness.page.evaluate(
            "() => document.dispatchEvent(new CustomEvent('wpcf7mailsent', {detail: {contactFormId: 42}}))"
        )
        pushes = [m for m in harness.datalayer() if isinstance(m, dict) and m.get("event") == "gtmgen.cf7_mailsent"]
        assert len(pushes) == 1
        pushed = pushes[0]
        assert pushed["form_id"] == "42" and pushed["form_plugin"] == "contact_form_7"
        assert isinstance(pushed["event_id"], str) and len(pushed["event_id"]) >= 8
        lead_event = next(e for e in later if e.name == "gtmgen.cf7_mailsent")
        assert harness.run_event(lead_event) == ["Meta - Lead - Inspection request"]
        calls = harness.fbq_calls()
        assert [c for c in calls if c[0] == "init"] == [["init", PIXEL]]
        assert _track_calls(calls, "PageView") == [["trackSingle", PIXEL, "PageView"]]
        leads = _track_calls(calls, "Lead")
        assert leads == [
            [
                "trackSingle",
                PIXEL,
                "Lead",
                {"content_name": "Inspection request", "value": 150, "currency": "USD"},
                {"eventID": pushed["event_id"]},
            ]
        ]
        assert harness.errors == []
        assert all("facebook" not in url or url.endswith("fbevents.js") for url in harness.external)


def test_consent_default_is_the_first_thing_in_the_datalayer(browser: Any, origin: str) -> None:
    container = _container()
    timeline = _timeline(container, "https://solidgroundfoundation.com/")
    with gtm_page(browser, origin, container, timeline) as harness:
        harness.run_event(next(timeline.events()))
        commands = [m for m in harness.datalayer() if isinstance(m, list)]
    four = ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization")
    assert commands == [
        ["consent", "default", {**dict.fromkeys(four, "denied"), "wait_for_update": 500}],
        ["consent", "default", {**dict.fromkeys(four, "granted"), "region": ["US"], "wait_for_update": 500}],
        ["set", "url_passthrough", True],
        ["set", "ads_data_redaction", True],
    ]


def test_meta_base_initialises_each_pixel_once_however_often_it_runs(browser: Any, origin: str) -> None:
    platforms = _spec_data()["platforms"] | {"meta": {"pixel_id": [PIXEL, SECOND_PIXEL]}}
    container = _container(platforms=platforms)
    tel = Click(Element(tag="a", href="tel:+18175550100"))
    timeline = _timeline(container, "https://solidgroundfoundation.com/services/foundation-repair/", tel)
    with gtm_page(browser, origin, container, timeline) as harness:
        later = _page_load(harness, timeline)
        base = next(f for e in timeline.events() for f in e.fired if f.name == "Meta - Base")
        harness.run_tag(base)  # again, as a setup tag would: still one init and one PageView per pixel
        for event in later:
            harness.run_event(event)
        calls = harness.fbq_calls()
        assert [c for c in calls if c[0] == "init"] == [["init", PIXEL], ["init", SECOND_PIXEL]]
        assert _track_calls(calls, "PageView") == [
            ["trackSingle", PIXEL, "PageView"],
            ["trackSingle", SECOND_PIXEL, "PageView"],
        ]
        view = _track_calls(calls, "ViewContent")
        assert [c[1] for c in view] == [PIXEL, SECOND_PIXEL]
        assert view[0][3]["content_category"] == "service"
        assert view[0][3]["content_name"] == "foundation-repair"
        contacts = _track_calls(calls, "Contact")
        assert [c[1] for c in contacts] == [PIXEL, SECOND_PIXEL]
        ids = {c[4]["eventID"] for c in contacts}
        assert len(ids) == 1 and all(ids)  # one shared event id for both pixels
        assert harness.errors == []


def _plugin_container(plugin: str) -> Container:
    conversion = {
        "name": "Booking" if plugin == "calendly" else "Quote request",
        "kind": "booking" if plugin == "calendly" else "form_submission",
        "when": {"plugin": plugin},
        "value": 90,
        "currency": "USD",
        "google_ads": {"label": "AbCdEfGhIjKlMnOp"},
    }
    return _container(conversions=[conversion], signals={})


def _gtmgen_pushes(harness: GtmPage) -> list[dict[str, Any]]:
    return [m for m in harness.datalayer() if isinstance(m, dict) and str(m.get("event", "")).startswith("gtmgen.")]


PLUGIN_SIGNALS = {
    "gravity_forms": (
        "window.jQuery = function (el) { return { on: function (name, fn) {"
        " el.addEventListener(name, function (e) { fn(e, e.detail.formId); }); } }; };",
        "document.dispatchEvent(new CustomEvent('gform_confirmation_loaded', {detail: {formId: 7}}))",
        "7",
    ),
    "hubspot": (
        "",
        "window.dispatchEvent(new CustomEvent('hs-form-event:on-submission:success', {detail: {formId: 'abc-123'}}))",
        "abc-123",
    ),
    "calendly": (
        "",
        "window.dispatchEvent(new MessageEvent('message', {origin: 'https://calendly.com',"
        " data: {event: 'calendly.event_scheduled'}}))",
        "",
    ),
}


@pytest.mark.parametrize("plugin", sorted(PLUGIN_SIGNALS))
def test_plugin_listeners_push_one_event_per_success(browser: Any, origin: str, plugin: str) -> None:
    container = _plugin_container(plugin)
    timeline = _timeline(container, "https://solidgroundfoundation.com/book/")
    prepare, signal, form_id = PLUGIN_SIGNALS[plugin]
    listener = next(t.name for t in container.tags if t.name.startswith("Listener - "))
    with gtm_page(browser, origin, container, timeline) as harness:
        if prepare:
            harness.page.evaluate(f"() => {{ {prepare} }}")
        ran = [name for event in list(timeline.events())[:5] for name in harness.run_event(event)]
        assert listener in ran
        harness.page.evaluate(f"() => {{ {signal}; }}")
        pushes = _gtmgen_pushes(harness)
        assert len(pushes) == 1, pushes
        assert pushes[0]["form_id"] == form_id and pushes[0]["form_plugin"] == plugin
        assert pushes[0]["event_id"]
        assert harness.errors == []


def test_calendly_listener_ignores_messages_from_other_origins(browser: Any, origin: str) -> None:
    container = _plugin_container("calendly")
    timeline = _timeline(container, "https://solidgroundfoundation.com/book/")
    with gtm_page(browser, origin, container, timeline) as harness:
        _page_load(harness, timeline)
        harness.page.evaluate(
            "() => window.dispatchEvent(new MessageEvent('message', {origin: 'https://evil.example',"
            " data: {event: 'calendly.event_scheduled'}}))"
        )
        assert _gtmgen_pushes(harness) == []
        harness.page.evaluate(
            "() => window.dispatchEvent(new MessageEvent('message', {origin: 'https://calendly.com',"
            " data: {event: 'calendly.event_scheduled'}}))"
        )
        assert len(_gtmgen_pushes(harness)) == 1  # the same message from Calendly's origin is heard


def test_hostile_conversion_names_still_run_and_keep_their_text(browser: Any, origin: str) -> None:
    name = "Quote \"</script><!-- \u2028 \\ 'x' \U0001f600"
    conversion = {
        "name": name,
        "kind": "phone_call",
        "when": {"link_click": "tel"},
        "value": 5,
        "currency": "USD",
        "google_ads": {"label": "AbCdEfGhIjKlMnOp"},
        "meta": {"event": "Contact"},
    }
    container = _container(conversions=[conversion], signals={})
    timeline = _timeline(container, "https://solidgroundfoundation.com/", Click(Element(tag="a", href="tel:+1")))
    with gtm_page(browser, origin, container, timeline) as harness:
        for event in timeline.events():
            harness.run_event(event)
        contacts = _track_calls(harness.fbq_calls(), "Contact")
        assert harness.errors == []
    assert [c[3]["content_name"] for c in contacts] == [name]


def test_browser_tests_use_only_the_local_site(origin: str) -> None:
    assert origin.startswith("http://127.0.0.1:")
    assert Path(EXAMPLES / "foundation-repair.yaml").exists()
