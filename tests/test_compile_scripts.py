"""The generated JavaScript: it parses, survives hostile names, and does what it promises.

Scripts run in node (v20 on the build machine) with a recorded browser-like scope; the tests
skip cleanly where node is absent. GTM's `{{Variable}}` references become calls of a stub.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gtmgen.compile import compile_site
from gtmgen.compile.render import js_literal
from gtmgen.container import Container
from tests.compile_helpers import BROWSER_STUB, NODE, load_spec, run_node, script_body, with_gtm_stubs
from tests.test_compile import SPECS

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")
CASES_DIR = Path(__file__).parent / "cases" / "valid"


def _container(name: str) -> Container:
    return compile_site(load_spec(CASES_DIR / name / "spec.yaml"))


def _html(container: Container, tag: str) -> str:
    found = container.tag_named(tag)
    assert found is not None, tag
    return with_gtm_stubs(script_body(found.param("html")))


def _run(scripts: list[str], values: dict[str, Any] | None = None, after: str = "", result: str = "") -> Any:
    """Run scripts in one page; `{{Variable}}` reads `values`; print `result` (a JS expression)."""
    program = BROWSER_STUB + f"var __values = {json.dumps(values or {})};\n"
    program += "function __gtm(name) { return __values[name]; }\n"
    program += "\n".join(f"(function () {{ {s}\n}})();" for s in scripts) + "\n" + after + "\n"
    program += f"console.log(JSON.stringify({result or 'null'}));"
    return run_node(program)


# ---------------------------------------------------------------- the js filter


@settings(max_examples=30, deadline=None)
@given(st.lists(st.text(), min_size=1, max_size=20))
def test_js_literals_mean_the_same_string_in_node(texts: list[str]) -> None:
    literal = js_literal(texts)
    for forbidden in ("<", ">", "&", "{", "}", "\u2028", "\u2029"):
        assert forbidden not in literal
    assert run_node(f"console.log(JSON.stringify({literal}));") == texts


def test_js_literal_of_nested_values() -> None:
    value = {"a": [1, 2.5, True, None], "</script>": {"x": "<!--"}}
    literal = js_literal(value)
    assert "</script>" not in literal and "<!--" not in literal
    assert run_node(f"console.log(JSON.stringify({literal}));") == value


# ---------------------------------------------------------------- every script parses


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.parent.name if p.name == "spec.yaml" else p.stem)
def test_every_generated_script_parses(path: Path) -> None:
    container = compile_site(load_spec(path))
    scripts = [with_gtm_stubs(script_body(t.param("html"))) for t in container.tags if t.type == "html"]
    scripts += [
        with_gtm_stubs("var f = " + v.param("javascript") + ";") for v in container.variables if v.type == "jsm"
    ]
    program = "var vm = require('vm'); var bad = [];\n"
    program += f"{json.dumps(scripts)}.forEach(function (s, i) {{ try {{ new vm.Script(s); }} "
    program += "catch (e) { bad.push(i + ': ' + e.message); } });\nconsole.log(JSON.stringify(bad));"
    assert scripts and run_node(program) == []


# ---------------------------------------------------------------- hostile names keep their meaning


def test_hostile_names_reach_meta_unchanged() -> None:
    container = _container("hostile-names")
    spec = load_spec(CASES_DIR / "hostile-names" / "spec.yaml")
    base = _html(container, "Meta - Base")
    for conversion in spec.conversions:
        if not conversion.meta_event:
            continue
        tag = next(t.name for t in container.tags if t.name.startswith(f"Meta - {conversion.meta_event} - "))
        calls = _run([base, _html(container, tag)], {"CJS - event id": "E1"}, result="fbq.queue.map(args)")
        event = [c for c in calls if c[0] == "trackSingle" and c[2] == conversion.meta_event]
        assert len(event) == 1
        assert event[0][3]["content_name"] == conversion.name
        assert event[0][4] == {"eventID": "E1"}
    click = spec.signals.clicks[0]
    tag = next(t.name for t in container.tags if t.name.startswith("Meta - Event - click"))
    calls = _run([base, _html(container, tag)], result="fbq.queue.map(args)")
    assert calls[-1][3] == {"button": click.name}


# ---------------------------------------------------------------- Meta base and events


def test_meta_base_inits_each_pixel_once_and_sends_one_page_view() -> None:
    container = _container("full-stack")
    base = _html(container, "Meta - Base")
    calls = _run([base, base, base], result="fbq.queue.map(args)")
    assert calls == [
        ["init", "111111111111111"],
        ["trackSingle", "111111111111111", "PageView"],
        ["init", "2222222222222222"],
        ["trackSingle", "2222222222222222", "PageView"],
    ]


def test_meta_conversion_with_a_data_layer_value_goes_to_each_pixel() -> None:
    container = _container("full-stack")
    scripts = [_html(container, "Meta - Base"), _html(container, "Meta - Purchase - Maintenance plan")]
    values = {"DLV - ecommerce.value": "49.90", "CJS - event id": "order-7"}
    calls = _run(scripts, values, result="fbq.queue.map(args).slice(4)")
    params = {"content_name": "Maintenance plan", "currency": "USD", "value": 49.9}
    assert calls == [
        ["trackSingle", pixel, "Purchase", params, {"eventID": "order-7"}]
        for pixel in ("111111111111111", "2222222222222222")
    ]


def test_view_content_carries_the_page_group_labels() -> None:
    container = _container("full-stack")
    scripts = [_html(container, "Meta - Base"), _html(container, "Meta - ViewContent")]
    values = {"RT - page type": "location", "RT - location": "dallas", "RT - service": None}
    calls = _run(scripts, values, result="fbq.queue.map(args).slice(4)")
    expected = {"content_category": "location", "content_name": "dallas", "location": "dallas"}
    assert calls[0] == ["trackSingle", "111111111111111", "ViewContent", expected]


# ---------------------------------------------------------------- the shared event id

EVENT_ID_HARNESS = """
var eventId = {script};
function at(unique, pushed, name) {{
  __values["DLV - gtm.uniqueEventId"] = unique; __values["DLV - event_id"] = pushed; __values["Event"] = name;
  return eventId();
}}
var r = {{}};
r.first = at(1, undefined, "gtm.js"); r.same = at(1, undefined, "gtm.js");
r.pushed = at(5, "lead-42", "lead_submitted"); r.pushedAgain = at(5, "lead-42", "lead_submitted");
r.stale = at(6, "lead-42", "gtm.linkClick"); r.other = at(7, undefined, "gtm.linkClick");
window.gtmgenEventIds = undefined;  // a reload: same URL, same session storage
r.reload = at(1, undefined, "gtm.js");
"""


def test_event_id_is_shared_per_event_and_never_reused() -> None:
    container = _container("full-stack")
    variable = container.variable_named("CJS - event id")
    assert variable is not None
    script = with_gtm_stubs(variable.param("javascript"))
    r = _run([], after=EVENT_ID_HARNESS.format(script=script), result="r")
    assert r["first"] == r["same"] and r["first"]
    assert r["pushed"] == r["pushedAgain"] == "lead-42"
    assert r["stale"] not in ("lead-42", r["first"]) and r["other"] not in (r["stale"], r["first"])
    assert r["reload"] == r["first"]  # a reloaded thank-you page does not count twice


# ---------------------------------------------------------------- listeners


def _pushes(container: Container, tag: str, fire: str, runs: int = 2) -> list[dict[str, Any]]:
    script = _html(container, tag)
    return _run([script] * runs, after=fire, result="window.dataLayer || []")  # type: ignore[no-any-return]


def test_contact_form_7_listener_pushes_one_event_per_success() -> None:
    container = _container("full-stack")
    pushes = _pushes(
        container,
        "Listener - Contact Form 7 success",
        'fire("document", "wpcf7mailsent", {detail: {contactFormId: 42}});',
    )
    assert len(pushes) == 1
    assert pushes[0]["event"] == "gtmgen.cf7_mailsent" and pushes[0]["form_id"] == "42" and pushes[0]["event_id"]


def test_gravity_forms_listener_waits_for_jquery() -> None:
    container = _container("full-stack")
    fire = """
    window.jQuery = function () { return {on: function (type, fn) { listen("jq:" + type, fn); }}; };
    fire("document", "DOMContentLoaded", {});
    (listeners["jq:gform_confirmation_loaded"] || []).forEach(function (fn) { fn({}, 7); });
    """
    pushes = _pushes(container, "Listener - Gravity Forms success", fire)
    assert [(p["event"], p["form_id"]) for p in pushes] == [("gtmgen.gform_confirmation_loaded", "7")]


def test_hubspot_listener_counts_each_submission_once_and_checks_origins() -> None:
    container = _container("full-stack")
    fire = """
    fire("window", "hs-form-event:on-submission:success", {detail: {formId: "f1"}});
    function legacy(id) { return {type: "hsFormCallback", eventName: "onFormSubmitted", id: id}; }
    fire("window", "message", {origin: "https://www.example.com", data: legacy("f1")});
    fire("window", "message", {origin: "https://evil.example", data: legacy("f2")});
    fire("window", "message", {origin: "https://forms.hsforms.com", data: legacy("f3")});
    """
    pushes = _pushes(container, "Listener - HubSpot forms success", fire)
    assert [p["form_id"] for p in pushes] == ["f1", "f3"]


def test_calendly_listener_accepts_only_bookings_from_calendly() -> None:
    container = _container("full-stack")
    fire = """
    fire("window", "message", {origin: "https://evil.example", data: {event: "calendly.event_scheduled"}});
    fire("window", "message", {origin: "https://calendly.com", data: {event: "calendly.date_and_time_selected"}});
    fire("window", "message", {origin: "https://calendly.com", data: {event: "calendly.event_scheduled"}});
    """
    pushes = _pushes(container, "Listener - Calendly success", fire)
    assert [p["event"] for p in pushes] == ["gtmgen.calendly_event_scheduled"]


def test_form_start_fires_once_per_form() -> None:
    container = _container("full-stack")
    fire = """
    var a = {id: "quote", getAttribute: function () { return null; }};
    var b = {id: "", getAttribute: function () { return "newsletter"; }};
    fire("document", "focusin", {target: {form: a}});
    fire("document", "change", {target: {form: a}});
    fire("document", "focusin", {target: {form: b}});
    fire("document", "focusin", {target: {}});
    """
    pushes = _pushes(container, "Listener - Form start", fire)
    assert [(p["event"], p["form_id"]) for p in pushes] == [
        ("gtmgen.form_start", "quote"),
        ("gtmgen.form_start", "newsletter"),
    ]


def test_consent_default_commands() -> None:
    container = _container("full-stack")
    commands = _run([_html(container, "Consent - Default")], result="window.dataLayer.map(args)")
    assert commands[0][:2] == ["consent", "default"] and commands[0][2]["ad_storage"] == "denied"
    assert commands[0][2]["wait_for_update"] == 800
    assert commands[1][2]["region"] == ["US", "CA"] and commands[1][2]["ad_storage"] == "granted"
    assert commands[2][2] == {"ad_personalization": "denied", "region": ["US-CA"], "wait_for_update": 800}
    assert commands[3:] == [["set", "url_passthrough", True], ["set", "ads_data_redaction", True]]


# ---------------------------------------------------------------- any name, any script

NAMES = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(str.strip)


def _named_spec(conversion: str, click: str) -> dict[str, Any]:
    return {
        "site": {"name": conversion, "domain": "x.example"},
        "platforms": {"ga4": {"measurement_id": "G-ABCDEFGHIJ"}, "meta": {"pixel_id": "123456789012345"}},
        "page_groups": {"services": [{"name": click, "slug": "s", "paths": ["/s/"]}]},
        "conversions": [{"name": conversion, "kind": "lead", "when": {"plugin": "hubspot"}}],
        "signals": {"clicks": [{"name": click, "selector": ".cta"}]},
    }


@settings(max_examples=15, deadline=None)
@given(NAMES, NAMES)
def test_any_names_compile_to_valid_containers_whose_scripts_mean_them(conversion: str, click: str) -> None:
    from gtmgen.conformance import check_container
    from gtmgen.spec import spec_from_data

    container = compile_site(spec_from_data(_named_spec(conversion, click)))
    assert [f.render() for f in check_container(container)] == []
    base = _html(container, "Meta - Base")
    lead = next(t.name for t in container.tags if t.name.startswith("Meta - Lead"))
    button = next(t.name for t in container.tags if t.name.startswith("Meta - Event - click"))
    calls = _run([base, _html(container, lead), _html(container, button)], result="fbq.queue.map(args).slice(2)")
    assert calls[0][3] == {"content_name": conversion}
    assert calls[1][3] == {"button": click}
