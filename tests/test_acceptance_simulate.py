"""Acceptance of issue 5 (`gtmgen simulate`, `gtmgen test`), checked the way a user runs them.

Every expectation here is derived from the spec alone (its platforms, each conversion's GA4
event, Google Ads label, Meta event, value and currency), never from the compiled container's
notes or from the simulator's own `conversion` flag, so a compiler that drops a platform or a
simulator that mislabels a tag fails these tests. Visits run through the CLI (`gtmgen simulate
--format json`); plugin and element-visibility signals, which have no CLI option, run from a
scenario file through the same engine and the same JSON.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import find, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gtmgen.cli import app
from gtmgen.errors import ExitCode
from gtmgen.simulate import render_json, simulate
from gtmgen.simulate.runner import load_container, read_all
from gtmgen.spec import Conversion, SiteSpec, spec_from_data
from tests.conftest import EXAMPLES, REFERENCE_EXPORTS

SPECS = sorted(p for p in EXAMPLES.glob("*.yaml") if not p.name.endswith(".tracking.yaml"))
PUSHED_VALUE = 78.5
AD_DENIED = {"ad_storage": "denied", "ad_user_data": "denied"}
Send = tuple[str, str]  # (platform, GA4 event / Google Ads label / Meta event)


def _spec(path: Path) -> SiteSpec:
    return spec_from_data(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _timeline(target: Path, page: str, *options: str) -> list[dict[str, Any]]:
    code, out, err = _cli("simulate", str(target), "--page", page, "--format", "json", *options)
    assert code == 0, err
    assert err == ""
    data = json.loads(out)
    assert isinstance(data, list)
    return data


def _fired(timeline: list[dict[str, Any]]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(event, tag) for event in timeline for tag in event.get("fired", ())]


# ---------------------------------------------------------------- what the spec declares


def _declared(spec: SiteSpec, conversion: Conversion) -> Counter[Send]:
    """The sends a conversion must make, once each: one per platform the spec sets up for it."""
    sends: Counter[Send] = Counter()
    if spec.platforms.ga4 is not None and conversion.ga4_event:
        sends[("GA4", conversion.ga4_event)] += 1
    if spec.platforms.google_ads is not None and conversion.google_ads_label:
        sends[("Google Ads", conversion.google_ads_label)] += 1
    if spec.platforms.meta is not None and conversion.meta_event:
        sends[("Meta", conversion.meta_event)] += 1
    return sends


def _conversion_sends(spec: SiteSpec, timeline: list[dict[str, Any]]) -> list[tuple[Send, dict[str, Any]]]:
    """Every fired tag that sends one of the spec's conversions (by platform and event/label)."""
    ga4 = {c.ga4_event for c in spec.conversions if c.ga4_event}
    meta = {c.meta_event for c in spec.conversions if c.meta_event}
    found: list[tuple[Send, dict[str, Any]]] = []
    for _event, tag in _fired(timeline):
        summary = tag["summary"]
        platform = summary.get("platform")
        if platform == "GA4" and summary.get("event") in ga4:
            found.append((("GA4", summary["event"]), summary))
        elif platform == "Google Ads" and tag["type"] == "awct":
            found.append((("Google Ads", str(summary.get("conversion_label"))), summary))
        elif platform == "Meta" and summary.get("event") in meta:
            found.append((("Meta", summary["event"]), summary))
    return found


def _same(actual: Any, expected: Any) -> bool:
    return actual is not None and float(actual) == float(expected)


def _check_values(spec: SiteSpec, conversion: Conversion, sends: list[tuple[Send, dict[str, Any]]]) -> None:
    value = PUSHED_VALUE if conversion.value_from_datalayer else conversion.value
    for (platform, _key), summary in sends:
        if value is None:
            assert summary.get("value") in (None, ""), f"{platform} invents a value: {summary}"
        else:
            assert _same(summary.get("value"), value), f"{platform} value: {summary}"
        assert summary.get("currency") == conversion.currency or (
            conversion.currency is None and summary.get("currency") in (None, "")
        ), f"{platform} currency: {summary}"
        _check_account(spec, platform, summary)
    ids = {str(summary.get("event_id")) for _send, summary in sends}
    assert len(ids) == 1 and not ids & {"", "None"}, f"one shared event id, got {ids}"


def _check_account(spec: SiteSpec, platform: str, summary: dict[str, Any]) -> None:
    """Each send goes to the spec's own measurement id, conversion id or pixels."""
    if platform == "GA4" and spec.platforms.ga4 is not None:
        assert summary.get("measurement_id") == spec.platforms.ga4.measurement_id
    if platform == "Google Ads" and spec.platforms.google_ads is not None:
        assert summary.get("conversion_id") == spec.platforms.google_ads.conversion_id.removeprefix("AW-")
    if platform == "Meta" and spec.platforms.meta is not None:
        assert sorted(summary.get("pixels") or ()) == sorted(spec.platforms.meta.pixel_ids)


# ---------------------------------------------------------------- making each success signal happen


def _sample_path(pattern: str) -> str:
    paths = st.from_regex(pattern, fullmatch=True).filter(lambda s: s.startswith("/") and s.isprintable())
    return str(find(paths, lambda _s: True, settings=settings(database=None, derandomize=True)))


def _page_for(spec: SiteSpec, conversion: Conversion) -> str:
    path = conversion.when.page_path
    return f"https://{spec.site.domain}" + (path if path and path.startswith("/") and "*" not in path else "/contact/")


def _cli_signal(spec: SiteSpec, conversion: Conversion) -> tuple[str, list[str]] | None:
    """The page and CLI options that make the conversion happen; None when only a scenario can."""
    when = conversion.when
    if when.thank_you_page is not None:
        path = when.thank_you_page if when.thank_you_match != "regex" else _sample_path(when.thank_you_page)
        return f"https://{spec.site.domain}{path}", []
    if when.datalayer_event is not None:
        push: dict[str, Any] = {"event": when.datalayer_event}
        if conversion.value_from_datalayer:
            *parents, leaf = conversion.value_from_datalayer.split(".")
            target = push
            for key in parents:
                target = target.setdefault(key, {})
            target[leaf] = PUSHED_VALUE
        return _page_for(spec, conversion), ["--push", json.dumps(push)]
    if when.link_click is not None:
        href = "tel:+18175550100" if when.link_click == "tel" else f"mailto:office@{spec.site.domain}"
        return _page_for(spec, conversion), ["--click", href]
    return None


def _scenario_step(conversion: Conversion) -> dict[str, Any]:
    when = conversion.when
    if when.plugin is not None:
        return {"plugin": {"name": when.plugin, "form_id": when.form_id} if when.form_id else when.plugin}
    assert when.element_visible is not None, conversion
    return {"visible": when.element_visible}


def _signal_timeline(
    tmp_path: Path, spec_path: Path, conversion: Conversion, consent: str | dict[str, str] = "granted"
) -> list[dict[str, Any]]:
    spec = _spec(spec_path)
    signal = _cli_signal(spec, conversion)
    if signal is not None:
        page, options = signal
        flags = [f"{k}={v}" for k, v in consent.items()] if isinstance(consent, dict) else [consent]
        return _timeline(spec_path, page, *options, *(x for flag in flags for x in ("--consent", flag)))
    document = {
        "target": str(spec_path.resolve()),
        "scenarios": [
            {
                "name": conversion.name,
                "page": _page_for(spec, conversion),
                "consent": consent,
                "steps": [_scenario_step(conversion)],
                "expect": {"fires": []},
            }
        ],
    }
    path = tmp_path / "signal.tracking.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    (scenario_file,) = read_all([path])
    (case,) = scenario_file.cases
    return list(json.loads(render_json(simulate(load_container(spec_path), case.scenario))))


CONVERSIONS = [
    pytest.param(path, index, id=f"{path.stem}-{conversion.slug}")
    for path in SPECS
    for index, conversion in enumerate(_spec(path).conversions)
]


# ---------------------------------------------------------------- the checks of issue 5


def test_every_kind_of_success_signal_is_exercised() -> None:
    """The examples between them use thank-you pages, plugin events and tel: clicks."""
    whens = [c.when for path in SPECS for c in _spec(path).conversions]
    assert any(w.thank_you_page for w in whens)
    assert any(w.plugin for w in whens)
    assert any(w.link_click == "tel" for w in whens)
    assert any(w.datalayer_event for w in whens)


@pytest.mark.parametrize(("spec_path", "index"), CONVERSIONS)
def test_each_success_signal_fires_exactly_the_declared_conversion_once_with_value_currency_and_one_event_id(
    tmp_path: Path, spec_path: Path, index: int
) -> None:
    spec = _spec(spec_path)
    conversion = spec.conversions[index]
    timeline = _signal_timeline(tmp_path, spec_path, conversion)
    sends = _conversion_sends(spec, timeline)
    assert Counter(send for send, _summary in sends) == _declared(spec, conversion)
    _check_values(spec, conversion, sends)


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.stem)
def test_ordinary_page_views_fire_no_conversion(spec_path: Path) -> None:
    spec = _spec(spec_path)
    paths = ["/", "/about-us/", *(p for e in spec.page_groups for p in e.paths)]
    for path in paths:
        timeline = _timeline(spec_path, f"https://{spec.site.domain}{path}")
        assert _conversion_sends(spec, timeline) == [], path
        assert [e["event"] for e in timeline[:5]] == ["gtm.init_consent", "gtm.init", "gtm.js", "gtm.dom", "gtm.load"]
        assert any(t["type"] == "googtag" for _e, t in _fired(timeline)), "the Google tag loads on every page"


def _ad_tags_that_ran(timeline: list[dict[str, Any]]) -> list[str]:
    """Fired tags that send to Meta: the pixel template, or Custom HTML calling fbq."""
    found = []
    for _event, tag in _fired(timeline):
        html = str(tag["parameters"].get("html", ""))
        if tag["summary"].get("platform") == "Meta" or re.search(r"\bfbq\s*\(|connect\.facebook\.net", html):
            found.append(tag["name"])
    return found


@pytest.mark.parametrize(("spec_path", "index"), CONVERSIONS)
@pytest.mark.parametrize("consent", [AD_DENIED, "denied"], ids=["ad-denied", "all-denied"])
def test_with_ad_consent_denied_no_ad_pixel_fires_and_google_tags_only_send_cookieless(
    tmp_path: Path, spec_path: Path, index: int, consent: str | dict[str, str]
) -> None:
    spec = _spec(spec_path)
    conversion = spec.conversions[index]
    timeline = _signal_timeline(tmp_path, spec_path, conversion, consent)
    assert _ad_tags_that_ran(timeline) == []
    for (platform, _key), summary in _conversion_sends(spec, timeline):
        assert platform != "Meta", summary
    google = [t for _e, t in _fired(timeline) if t["type"] in ("awct", "gaawe", "googtag", "gclidw")]
    assert google and all("built-in consent checks" in t.get("consent", "") for t in google)
    if spec.platforms.meta is not None and conversion.meta_event:
        blocked = [b for event in timeline for b in event.get("blocked", ())]
        assert any("consent" in b["reason"] and conversion.meta_event in b["name"] for b in blocked), blocked


def test_the_containers_own_consent_defaults_hold_back_the_pixel_for_a_visitor_in_germany() -> None:
    spec_path = EXAMPLES / "foundation-repair.yaml"
    page, options = "https://solidgroundfoundation.com/contact/", ["--click", "tel:+18175550100"]
    germany = _timeline(spec_path, page, *options, "--consent", "default", "--region", "DE")
    texas = _timeline(spec_path, page, *options, "--consent", "default", "--region", "US-TX")
    assert _ad_tags_that_ran(germany) == []
    assert "Meta - Contact - Phone call" in _ad_tags_that_ran(texas)


# ---------------------------------------------------------------- containers gtmgen did not write


EXPORTS = sorted(REFERENCE_EXPORTS.glob("*.json"))
BUILT_IN_EVENT = {"2147479572": "gtm.init_consent", "2147479573": "gtm.init", "2147479553": "gtm.js"}


def _page_load_tags(export: Path) -> dict[str, str]:
    """Tags GTM fires unconditionally at page load: on a built-in trigger only, not paused, no
    blocking trigger, no setup tag, no additional consent. Read from the export, not the simulator."""
    version = json.loads(export.read_text(encoding="utf-8"))["containerVersion"]
    wanted = {}
    for tag in version.get("tag", ()):
        firing = tag.get("firingTriggerId", [])
        if len(firing) != 1 or firing[0] not in BUILT_IN_EVENT or tag.get("paused"):
            continue
        if tag.get("blockingTriggerId") or tag.get("setupTag"):
            continue
        if (tag.get("consentSettings") or {}).get("consentStatus") == "NEEDED":
            continue
        wanted[tag["name"]] = BUILT_IN_EVENT[firing[0]]
    return wanted


@pytest.mark.skipif(not EXPORTS, reason="reference exports not present")
@pytest.mark.parametrize("export", EXPORTS, ids=lambda p: p.name[:40])
def test_real_exports_give_a_plausible_timeline_and_never_crash(export: Path) -> None:
    timeline = _timeline(export, "https://www.example.com/products/tee?utm_source=news&gclid=abc")
    assert [e["event"] for e in timeline[:5]] == ["gtm.init_consent", "gtm.init", "gtm.js", "gtm.dom", "gtm.load"]
    fired_at = {t["name"]: e["event"] for e, t in _fired(timeline)}
    for name, event in _page_load_tags(export).items():
        assert fired_at.get(name) == event, f"{name} should fire at {event}"
    paused = {t["name"] for t in json.loads(export.read_text())["containerVersion"].get("tag", ()) if t.get("paused")}
    assert not paused & set(fired_at)
    options = ["--click", "tel:+15550100", "--click", "div.product-card a.add-to-cart", "--event", "purchase"]
    for extra in (options, [*options, "--consent", "denied"], [*options, "--consent", "default", "--region", "FR"]):
        _timeline(export, "https://shop.example.com/cart/", *extra)
    code, out, err = _cli("simulate", str(export), "--page", "https://www.example.com/", "--verbose", *options)
    assert code == 0 and err == "" and "Traceback" not in out


# ---------------------------------------------------------------- gtmgen test: failures say what fired instead

FAILING = """\
target: {target}
scenarios:
  - name: The contact page alone is a phone call
    page: https://solidgroundfoundation.com/contact/
    expect:
      fires: [GAds - Conv - Phone call]
  - name: A denied phone click still reaches Meta
    page: https://solidgroundfoundation.com/contact/
    consent: {{ad_storage: denied, ad_user_data: denied}}
    steps:
      - click: tel:+18175550100
    expect:
      fires: [Meta - Contact - Phone call]
  - name: A phone click is worth 999 EUR twice
    page: https://solidgroundfoundation.com/contact/
    steps:
      - click: tel:+18175550100
    expect:
      fires:
        - {{tag: GAds - Conv - Phone call, times: 2, with: {{value: 999, currency: EUR}}}}
"""


def test_a_scenario_expecting_a_tag_that_does_not_fire_fails_and_shows_what_fired_instead(tmp_path: Path) -> None:
    scenarios = tmp_path / "site.tracking.yaml"
    scenarios.write_text(FAILING.format(target=EXAMPLES.resolve() / "foundation-repair.yaml"), encoding="utf-8")
    code, out, err = _cli("test", str(scenarios))
    assert code == ExitCode.TESTS_FAILED
    assert err.strip() == "gtmgen: error: 3 of 3 scenarios failed"
    assert out.splitlines()[-1] == "0 passed, 3 failed"
    blocks = out.split("\n__ ")[1:]
    assert len(blocks) == 3
    nothing, denied, values = blocks
    assert "expected GAds - Conv - Phone call to fire; it did not fire" in nothing
    assert "what fired:" in nothing and "#3 gtm.js: GAds - Linker;" in nothing
    # the tag that did not fire says why: its consent held it back at the click
    assert re.search(r"it did not fire \(held back at #\d+ gtm\.linkClick: needs additional consent", denied)
    assert re.search(r"#\d+ gtm\.linkClick: GA4 - Conv - Phone call; GAds - Conv - Phone call; not Meta", denied)
    # a wrong count does not hide wrong values: every problem in one run
    assert "expected GAds - Conv - Phone call to fire 2 times; it fired once" in values
    assert re.search(r'GAds - Conv - Phone call at #\d+ gtm.linkClick: value is "80", expected 999\n', values)
    assert re.search(r'GAds - Conv - Phone call at #\d+ gtm.linkClick: currency is "USD", expected "EUR"\n', values)


def test_the_example_scenarios_pass_through_the_cli() -> None:
    code, out, err = _cli("test", str(EXAMPLES))
    assert code == 0, out + err
    assert re.fullmatch(r"\d+ passed", out.splitlines()[-1])
    assert "FAIL" not in out


# ---------------------------------------------------------------- pages that could never match


@pytest.mark.parametrize("page", ["solidgroundfoundation.com/contact/", "/contact/", ""])
def test_a_page_that_is_not_a_full_url_is_refused_not_silently_matched_against_nothing(page: str) -> None:
    code, out, err = _cli("simulate", str(EXAMPLES / "foundation-repair.yaml"), "--page", page)
    assert code == ExitCode.INVALID_INPUT and out == ""
    assert err.startswith("gtmgen: error: the page URL must be a full http(s) URL") and len(err.splitlines()) == 1
    if "." in page:
        assert f"did you mean 'https://{page}'?" in err


def test_a_scenario_page_that_is_not_a_full_url_is_a_located_error(tmp_path: Path) -> None:
    scenarios = tmp_path / "site.tracking.yaml"
    target = EXAMPLES.resolve() / "minimal.yaml"
    scenarios.write_text(
        f"target: {target}\nscenarios:\n  - name: thanks\n    page: /thank-you/\n"
        "    steps:\n      - visit: {url: northsideplumbing.com/}\n    expect:\n      no_conversions: true\n",
        encoding="utf-8",
    )
    code, out, err = _cli("test", str(scenarios))
    assert code == ExitCode.INVALID_INPUT and out == ""
    lines = err.splitlines()
    assert lines[0].startswith(f"{scenarios}:4:11: error: the page URL must be a full http(s) URL")
    assert lines[1].startswith(f"{scenarios}:6:22: error: the page URL must be a full http(s) URL")
    assert "did you mean 'https://northsideplumbing.com/'?" in lines[1]


def test_a_history_change_to_a_path_stays_on_the_site(tmp_path: Path) -> None:
    """pushState('/next/') resolves against the page, as the browser does, so Page URL, hostname and
    path stay those of the site (a history-change trigger sees the full new URL)."""
    export = next((p for p in EXPORTS if "janrenn" in p.name), None)
    if export is None:
        pytest.skip("reference exports not present")
    scenarios = tmp_path / "spa.tracking.yaml"
    scenarios.write_text(
        f"target: {export}\nscenarios:\n  - name: spa\n    page: https://shop.example.com/start/#top\n"
        "    steps:\n      - history: /checkout/step-2?x=1#pay\n    expect:\n      fires: []\n",
        encoding="utf-8",
    )
    (scenario_file,) = read_all([scenarios])
    timeline = json.loads(render_json(simulate(load_container(export), scenario_file.cases[0].scenario)))
    (history,) = [e for e in timeline if e["event"] == "gtm.historyChange"]
    assert history["cause"] == "history change (pushState) to https://shop.example.com/checkout/step-2?x=1#pay"


# ---------------------------------------------------------------- GTM's rules on a container written by hand

ACCOUNT, CONTAINER = "6000000001", "9000000001"


def _p(key: str, value: str, kind: str = "TEMPLATE") -> dict[str, Any]:
    return {"type": kind, "key": key, "value": value}


def _condition(op: str, arg0: str, arg1: str, *flags: str) -> dict[str, Any]:
    return {"type": op, "parameter": [_p("arg0", arg0), _p("arg1", arg1), *(_p(f, "true", "BOOLEAN") for f in flags)]}


def _map(key: str, value: str) -> dict[str, Any]:
    return {"type": "MAP", "map": [_p("key", key), _p("value", value)]}


def _tag(tag_id: str, name: str, firing: list[str], **extra: Any) -> dict[str, Any]:
    html = "<script>/* {{LT - section}} {{RT - product}} {{DLV - plan}} */</script>"
    tag = {"accountId": ACCOUNT, "containerId": CONTAINER, "tagId": tag_id, "name": name, "type": "html"}
    tag |= {"parameter": [_p("html", html), _p("supportDocumentWrite", "false", "BOOLEAN")], "fingerprint": "1"}
    tag |= {"firingTriggerId": firing, "tagFiringOption": "ONCE_PER_EVENT"}
    return tag | {"consentSettings": {"consentStatus": "NOT_SET"}} | extra


def _trigger(trigger_id: str, name: str, kind: str, **conditions: Any) -> dict[str, Any]:
    head = {"accountId": ACCOUNT, "containerId": CONTAINER, "triggerId": trigger_id, "name": name, "type": kind}
    return head | conditions | {"fingerprint": "1"}


def _variable(variable_id: str, name: str, kind: str, parameter: list[dict[str, Any]]) -> dict[str, Any]:
    head = {"accountId": ACCOUNT, "containerId": CONTAINER, "variableId": variable_id, "name": name, "type": kind}
    return head | {"parameter": parameter, "fingerprint": "1", "formatValue": {}}


def _hand_written_export() -> dict[str, Any]:
    """A container as GTM exports it (format of gtm-export-format.md), exercising GTM's firing rules."""
    everything = _trigger(
        "10", "CE - every event", "CUSTOM_EVENT", customEventFilter=[_condition("MATCH_REGEX", "{{_event}}", ".*")]
    )
    blocked_pages = _trigger(
        "11", "PV - blocked pages", "PAGEVIEW", filter=[_condition("CONTAINS", "{{Page Path}}", "/blocked/")]
    )
    paid_upgrade = _trigger(
        "12",
        "CE - upgrade, not free",
        "CUSTOM_EVENT",
        customEventFilter=[_condition("EQUALS", "{{_event}}", "upgrade")],
        filter=[_condition("EQUALS", "{{DLV - plan}}", "free", "negate")],
    )
    cta = _trigger(
        "13", "Click - cta", "CLICK", filter=[_condition("CSS_SELECTOR", "{{Click Element}}", "div.hero a.cta, #buy")]
    )
    cart = _trigger(
        "14",
        "CE - add to cart, any case",
        "CUSTOM_EVENT",
        customEventFilter=[_condition("MATCH_REGEX", "{{_event}}", "^ADD_TO_CART$", "ignore_case")],
    )
    section = [_p("input", "{{Page Path}}"), {"type": "LIST", "key": "map", "list": [_map("/pricing/", "pricing")]}]
    section += [_p("setDefaultValue", "true", "BOOLEAN"), _p("defaultValue", "other")]
    product = [_p("input", "{{Page Path}}"), {"type": "LIST", "key": "map", "list": [_map("^/p/(\\d+)/$", "P$1")]}]
    product += [_p(k, "true", "BOOLEAN") for k in ("fullMatch", "replaceAfterMatch", "ignoreCase", "setDefaultValue")]
    product += [_p("defaultValue", "none")]
    plan = [_p("name", "plan"), _p("dataLayerVersion", "2", "INTEGER"), _p("setDefaultValue", "true", "BOOLEAN")]
    plan += [_p("defaultValue", "free")]
    needed = {
        "consentStatus": "NEEDED",
        "consentType": {"type": "LIST", "list": [{"type": "TEMPLATE", "value": "ad_storage"}]},
    }
    tags = [
        _tag("1", "T - every event", ["10"]),
        _tag("2", "T - once per page", ["10"], tagFiringOption="ONCE_PER_LOAD"),
        _tag("3", "T - paused", ["2147479553"], paused=True),
        _tag("4", "T - all pages but blocked", ["2147479553"], blockingTriggerId=["11"]),
        _tag("5", "T - setup", []),
        _tag("6", "T - paid upgrade", ["12"], setupTag=[{"tagName": "T - setup"}]),
        _tag("7", "T - cta click", ["13"]),
        _tag("8", "T - add to cart", ["14"]),
        _tag("9", "T - needs ad storage", ["2147479553"], consentSettings=needed),
    ]
    built_ins = [("PAGE_PATH", "Page Path"), ("EVENT", "Event"), ("CLICK_ELEMENT", "Click Element")]
    version = {
        "path": f"accounts/{ACCOUNT}/containers/{CONTAINER}/versions/0",
        "accountId": ACCOUNT,
        "containerId": CONTAINER,
        "containerVersionId": "0",
        "container": {"accountId": ACCOUNT, "containerId": CONTAINER, "name": "Hand", "publicId": "GTM-HAND01"},
        "tag": tags,
        "trigger": [everything, blocked_pages, paid_upgrade, cta, cart],
        "variable": [
            _variable("20", "LT - section", "smm", section),
            _variable("21", "RT - product", "remm", product),
            _variable("22", "DLV - plan", "v", plan),
        ],
        "builtInVariable": [
            {"accountId": ACCOUNT, "containerId": CONTAINER, "type": t, "name": n} for t, n in built_ins
        ],
        "fingerprint": "1",
    }
    return {"exportFormatVersion": 2, "exportTime": "2026-01-01 00:00:00", "containerVersion": version}


@pytest.fixture
def hand_export(tmp_path: Path) -> Path:
    path = tmp_path / "hand.json"
    path.write_text(json.dumps(_hand_written_export(), indent=2), encoding="utf-8")
    return path


def _firings(timeline: list[dict[str, Any]], name: str) -> list[str]:
    return [event["event"] for event, tag in _fired(timeline) if tag["name"] == name]


def test_gtms_firing_rules_on_a_container_written_by_hand(hand_export: Path) -> None:
    timeline = _timeline(
        hand_export,
        "https://shop.example.com/pricing/",
        "--push",
        '{"plan": "pro"}',
        "--event",
        "upgrade",
        "--event",
        "add_to_cart",
        "--click",
        "div.hero a.cta",
        "--click",
        "a.cta",
    )
    every = _firings(timeline, "T - every event")
    assert {"gtm.js", "gtm.dom", "gtm.load", "upgrade", "add_to_cart", "gtm.click"} <= set(every)
    numbers = [e["number"] for e, t in _fired(timeline) if t["name"] == "T - every event"]
    assert numbers == [e["number"] for e in timeline if e["event"]]  # once at each event, at every event
    assert len(_firings(timeline, "T - once per page")) == 1
    assert _firings(timeline, "T - paused") == []
    assert _firings(timeline, "T - all pages but blocked") == ["gtm.js"]
    assert _firings(timeline, "T - needs ad storage") == ["gtm.js"]
    assert _firings(timeline, "T - add to cart") == ["add_to_cart"]  # regex, ignoring case
    assert _firings(timeline, "T - cta click") == ["gtm.click"]  # the second click has no div.hero around it
    upgrade = next(e for e in timeline if e["event"] == "upgrade")
    order = [t["name"] for t in upgrade["fired"]]
    assert order.index("T - setup") < order.index("T - paid upgrade")  # the setup tag runs first
    paid = next(t for t in upgrade["fired"] if t["name"] == "T - paid upgrade")
    assert paid["variables"] == {"LT - section": "pricing", "RT - product": "none", "DLV - plan": "pro"}


def test_gtms_firing_rules_negation_regex_table_blocking_and_consent(hand_export: Path) -> None:
    timeline = _timeline(
        hand_export,
        "https://shop.example.com/P/77/",
        "--push",
        '{"plan": "free"}',
        "--event",
        "upgrade",
        "--consent",
        "ad_storage=denied",
    )
    assert _firings(timeline, "T - paid upgrade") == []  # plan is free: the negated condition fails
    assert _firings(timeline, "T - setup") == []
    page_view = next(e for e in timeline if e["event"] == "gtm.js")
    every = next(t for t in page_view["fired"] if t["name"] == "T - every event")
    assert every["variables"] == {"LT - section": "other", "RT - product": "P77", "DLV - plan": "free"}
    assert _firings(timeline, "T - needs ad storage") == []
    assert any(b["name"] == "T - needs ad storage" and "ad_storage" in b["reason"] for b in page_view["blocked"])
    blocked_page = _timeline(hand_export, "https://shop.example.com/blocked/")
    assert _firings(blocked_page, "T - all pages but blocked") == []
    assert _firings(blocked_page, "T - every event")  # the blocking trigger blocks only its tag
