"""Golden timelines: a fixed visit on every real reference export, compared with tests/cases/simulate/.

The exports do not change, so any difference is a change in the simulator: review the diff, then
rewrite the files with `pytest --update-golden tests/test_simulate_golden.py` (never in CI).
"""

from __future__ import annotations

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
