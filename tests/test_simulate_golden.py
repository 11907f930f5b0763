"""Golden timelines: a fixed visit on every real reference export, compared with tests/cases/simulate/.

The exports do not change, so any difference is a change in the simulator: review the diff, then
rewrite the files with `pytest --update-golden tests/test_simulate_golden.py` (never in CI).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from gtmgen.export import load_export
from gtmgen.simulate import Click, Element, Page, Push, Scenario, Scroll, Submit, Visible, Wait, render_text, simulate
from tests.conftest import CASES, reference_exports

GOLDEN = CASES / "simulate"
VISIT = Scenario(
    Page("https://www.example.com/checkout/thank-you/?utm_source=news&gclid=abc", "https://www.google.com/"),
    (
        Push({"event": "purchase", "ecommerce": {"value": 59.9, "currency": "EUR", "transaction_id": "T-1"}}),
        Click(Element(tag="span", text="Call us", parents=(Element(tag="a", href="tel:+15550100"),))),
        Click(Element(tag="a", href="mailto:shop@example.com", classes=("contact",))),
        Submit(Element(tag="form", id="newsletter", attributes=(("action", "/subscribe"),))),
        Visible(Element(tag="div", id="order-confirmation", classes=("thanks",))),
        Scroll(100),
        Wait(65),
    ),
)


@pytest.mark.parametrize("path", reference_exports(), ids=lambda p: p.stem[:40])
def test_reference_export_timeline_matches_golden(path: Path, update_golden: bool) -> None:
    text = render_text(simulate(load_export(path), VISIT), verbose=True)
    golden = GOLDEN / f"{path.stem}.txt"
    if update_golden:
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"missing {golden}; run pytest --update-golden once and review the file"
    assert text == golden.read_text(encoding="utf-8")


def _reference(fragment: str) -> Path:
    return next(p for p in reference_exports() if fragment in p.name)


def test_a_fired_custom_template_shows_its_parameters_marked_raw() -> None:
    """The simulator does not model a community template, but says what it is given, as is."""
    lines = render_text(simulate(load_export(_reference("banana-orama")), VISIT)).splitlines()
    fired = lines.index("     fired    Core Web Vitals Script (cvt_NF7PV)")
    assert lines[fired + 1] == "              raw: allMetrics=true, namespace=false, attribution=false"


def test_an_export_without_a_container_name_is_labelled() -> None:
    container = load_export(_reference("stape-io"))
    assert (container.name, container.public_id) == ("", "")
    assert render_text(simulate(container, VISIT)).startswith("container (unnamed)\n")
    named_by_id = dataclasses.replace(container, public_id="GTM-ABC1234")
    assert render_text(simulate(named_by_id, VISIT)).startswith("container GTM-ABC1234\n")
