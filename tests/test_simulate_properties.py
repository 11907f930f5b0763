"""Property tests: arbitrary scenario files, selectors and visits never crash the simulator."""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gtmgen.container import ALL_PAGES_TRIGGER_ID, Condition, Container, Parameter, Tag, Trigger, Variable
from gtmgen.errors import SpecError
from gtmgen.simulate import Click, Element, Page, Push, Scenario, Scroll, Submit, Visible, Wait, simulate
from gtmgen.simulate.scenario import read_scenario_file
from gtmgen.simulate.scenario_steps import STEP_READERS
from gtmgen.simulate.selectors import UnsupportedSelector, matches

SCALARS = st.none() | st.booleans() | st.integers(-5, 200) | st.floats(allow_nan=False) | st.text(max_size=12)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
STEP = st.builds(lambda kind, value: {kind: value}, st.sampled_from(sorted(STEP_READERS)), VALUES)
SCENARIO = st.fixed_dictionaries(
    {"name": st.text(min_size=1, max_size=10), "page": st.just("https://x.example/") | VALUES},
    optional={"steps": st.lists(STEP, max_size=4) | VALUES, "expect": VALUES, "consent": VALUES},
)
DOCUMENT = st.fixed_dictionaries(
    {"target": st.just("c.json") | VALUES, "scenarios": st.lists(SCENARIO, max_size=3) | VALUES},
    optional={"consent": VALUES, "variables": VALUES, "extra": VALUES},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENT)
def test_any_scenario_document_reads_or_reports_located_errors(document: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "x.tracking.yaml"
        path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
        try:
            read_scenario_file(path)
        except SpecError as error:
            assert error.diagnostics
            assert all(d.location.file == str(path) and d.location.line >= 1 for d in error.diagnostics)


@given(st.text(max_size=30))
def test_any_selector_text_matches_or_is_unsupported(selector: str) -> None:
    with contextlib.suppress(UnsupportedSelector):
        matches(selector, Element(tag="a", id="x", classes=("c",), href="tel:1"))


ELEMENTS = st.builds(
    Element,
    tag=st.sampled_from(["a", "div", "button", "form", "span"]),
    id=st.text(max_size=5),
    classes=st.lists(st.text(min_size=1, max_size=5).filter(str.isalnum), max_size=2).map(tuple),
    href=st.text(max_size=10),
    text=st.text(max_size=10),
)
STEPS = st.lists(
    st.builds(Click, ELEMENTS)
    | st.builds(Submit, ELEMENTS)
    | st.builds(Visible, ELEMENTS, st.floats(0, 100))
    | st.builds(Scroll, st.floats(0, 100))
    | st.builds(Wait, st.floats(0, 120))
    | st.builds(Push, st.dictionaries(st.sampled_from(["event", "value", "a.b"]), SCALARS, max_size=2)),
    max_size=6,
)
CONTAINER = Container(
    "1",
    "2",
    "GTM-X",
    "x",
    tags=(Tag("1", "t", "html", firing_trigger_ids=("10", "11", "12", ALL_PAGES_TRIGGER_ID)),),
    triggers=(
        Trigger("10", "click", "CLICK", filter=(Condition.of("CSS_SELECTOR", "{{Click Element}}", "a.c, div#x *"),)),
        Trigger("11", "regex", "CUSTOM_EVENT", custom_event_filter=(Condition.of("MATCH_REGEX", "{{_event}}", "^v"),)),
        Trigger("12", "value", "CUSTOM_EVENT", custom_event_filter=(Condition.of("GREATER", "{{DLV}}", "3"),)),
    ),
    variables=(Variable("20", "DLV", "v", (Parameter.template("name", "value"),)),),
)


@settings(max_examples=100, deadline=None)
@given(STEPS)
def test_any_visit_simulates(steps: list[Any]) -> None:
    timeline = simulate(CONTAINER, Scenario(Page("https://x.example/"), tuple(steps)))
    numbers = [e.number for e in timeline.events()]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
