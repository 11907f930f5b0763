"""What the audit makes of tags: outcome words as whole words of an event name, gtmgen's own
tags by the spec key in their notes, value keys a Custom HTML script sets; and every example's
compiled container audits clean but for what its spec really lacks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from gtmgen.audit.facts import ContainerFacts
from gtmgen.audit.rules import audit_container
from gtmgen.audit.texts import is_ga4_conversion_event, name_words
from gtmgen.build import build_container
from gtmgen.container import Container, Parameter, Tag, Trigger, ownership_notes
from tests.conftest import EXAMPLES, example_specs

SOURCE = re.compile(r"^source: conversions\[(\d+)\]", re.M)


@pytest.mark.parametrize("spec", example_specs(), ids=lambda p: p.stem)
def test_every_example_audits_without_errors_or_conversions_on_attempts(spec: Path) -> None:
    container = build_container(spec)
    report = audit_container(container, str(spec))
    assert [f for f in report.findings if f.severity == "error"] == []
    assert [f.name for f in report.findings if f.rule == "conversion-on-attempt"] == []


@pytest.mark.parametrize("spec", example_specs(), ids=lambda p: p.stem)
def test_every_finding_on_an_example_is_a_value_its_spec_does_not_give(spec: Path) -> None:
    """The only findings left: conversions whose spec entry has no `value` (tracking-domain §7.3 #6)."""
    conversions = yaml.safe_load(spec.read_text(encoding="utf-8"))["conversions"]
    tags = {t.name: t for t in build_container(spec).tags}
    for finding in audit_container(build_container(spec), str(spec)).findings:
        assert (finding.rule, finding.severity) == ("conversion-value", "warning"), finding
        index = SOURCE.search(tags[finding.name].notes)
        assert index is not None, finding
        assert "value" not in conversions[int(index.group(1))], finding


def test_the_hvac_book_now_click_is_a_signal_not_a_conversion() -> None:
    facts = ContainerFacts(build_container(EXAMPLES / "hvac-multi-location.yaml"))
    (click,) = [i for i in facts.tags if i.name == "GA4 - Event - click Book now button"]
    assert click.events == ("click_book_now_button",) and click.role == "event"
    (job,) = [i for i in facts.tags if i.name == "GA4 - Conv - Job application"]
    assert job.events == ("job_application",) and job.role == "conversion"  # no outcome word, but a conversion


@pytest.mark.parametrize(
    ("event", "outcome"),
    [
        ("generate_lead", True),
        ("click_book_now", True),
        ("BookNow", True),
        ("signUp", True),
        ("newsletter_sign_up", True),
        ("request_quote", True),
        ("ebook_download", False),
        ("facebook_share", False),
        ("leaderboard_view", False),
        ("unquote", False),
        ("designup_preview", False),
        ("scroll_depth", False),
    ],
)
def test_outcome_words_are_whole_words_of_the_event_name(event: str, outcome: bool) -> None:
    assert is_ga4_conversion_event(event) is outcome, name_words(event)


def _ga4_event(name: str, event: str, notes: str = "") -> Tag:
    return Tag("1", name, "gaawe", (Parameter.template("eventName", event),), ("10",), notes=notes)


def _click_container(*tags: Tag) -> Container:
    return Container("1", "2", "GTM-TEST", "c", tags=tags, triggers=(Trigger("10", "CL - Book", "CLICK"),))


def test_a_gtmgen_signal_is_an_event_whatever_its_name() -> None:
    owned = _ga4_event("GA4 - Event - click Book", "click_book", ownership_notes("signals.clicks[0]"))
    (info,) = ContainerFacts(_click_container(owned)).tags
    assert info.role == "event"
    report = audit_container(_click_container(owned), "c.json")
    assert "conversion-on-attempt" not in {f.rule for f in report.findings}


def test_the_same_tag_made_by_hand_is_still_flagged_as_a_conversion_on_a_click() -> None:
    by_hand = _ga4_event("GA4 - click Book", "click_book", "source: signals.clicks[0]")  # no ownership marker
    assert ContainerFacts(_click_container(by_hand)).tags[0].role == "conversion"
    report = audit_container(_click_container(by_hand), "c.json")
    assert "conversion-on-attempt" in {f.rule for f in report.findings}


def test_a_gtmgen_conversion_with_a_custom_event_name_is_a_conversion() -> None:
    owned = _ga4_event("GA4 - Conv - Job", "job_application", ownership_notes("conversions[3].ga4"))
    assert ContainerFacts(_click_container(owned)).tags[0].role == "conversion"
    assert ContainerFacts(_click_container(_ga4_event("GA4 - Job", "job_application"))).tags[0].role == "event"


def test_values_a_custom_html_script_sets_on_its_parameters_count() -> None:
    html = (
        '<script>var params = {"currency": "EUR"};\nparams["value"] = Number(1);\nparams.order_id = "x";\n'
        'if (params.value == 1) {}\nfbq("track", "Purchase", params);</script>'
    )
    tag = Tag("1", "Meta - Purchase", "html", (Parameter.template("html", html),), ("10",))
    facts = ContainerFacts(_click_container(tag))
    assert set(facts.event_fields(tag)) == {"currency", "value", "order_id"}
