"""Every example, compiled and simulated: each conversion's success signal fires exactly its tags.

The checks are derived from the spec itself (not from hand-written expectations): for each
conversion, the signal its `when` names (thank-you page, dataLayer event, plugin success, tel/mailto
click, visible element) fires every platform tag of that conversion once, with the spec's value and
currency and one shared event id, and no other conversion; an ordinary page fires no conversion;
with consent denied no tag that needs additional consent fires. Then each example's own
`*.tracking.yaml` must exist, cover every conversion and the consent-denied case, and pass.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import find, settings
from hypothesis import strategies as st

from gtmgen.container import Container
from gtmgen.simulate import (
    Click,
    DomEvent,
    Element,
    Page,
    Push,
    Scenario,
    Step,
    TagFiring,
    Timeline,
    Visible,
    consent_all,
    simulate,
)
from gtmgen.simulate.expect import same_value
from gtmgen.simulate.runner import read_all, run_files
from gtmgen.simulate.scenario_steps import PLUGIN_EVENTS
from gtmgen.simulate.selectors import element_from_selector
from gtmgen.spec import Conversion, SiteSpec, spec_from_data
from tests.conftest import example_specs

build = pytest.importorskip("gtmgen.build", reason="the compiler has not landed")

EXAMPLES = [p for p in example_specs() if not p.name.endswith(".tracking.yaml")]
DATALAYER_VALUE = 123.45


def _spec(path: Path) -> SiteSpec:
    return spec_from_data(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))


def _sample_path(pattern: str) -> str:
    """A path the thank-you regex matches (the spec gives a pattern, the test needs a page)."""
    paths = st.from_regex(pattern, fullmatch=True).filter(lambda s: s.startswith("/") and s.isprintable())
    return str(find(paths, lambda _s: True, settings=settings(database=None, derandomize=True)))


def _nested(key: str, value: Any) -> dict[str, Any]:
    head, _, rest = key.partition(".")
    return {head: _nested(rest, value) if rest else value}


def _signal(spec: SiteSpec, conversion: Conversion) -> tuple[str, list[Step]]:
    """The page and steps that make a conversion's success signal happen."""
    when = conversion.when
    origin = f"https://{spec.site.domain}"
    page = origin + (when.page_path if when.page_path and when.page_path.startswith("/") else "/")
    if when.thank_you_page is not None:
        path = when.thank_you_page if when.thank_you_match != "regex" else _sample_path(when.thank_you_page)
        return origin + path, []
    if when.datalayer_event is not None:
        push: dict[str, Any] = {"event": when.datalayer_event}
        if conversion.value_from_datalayer:
            push |= _nested(conversion.value_from_datalayer, DATALAYER_VALUE)
        return page, [Push(push)]
    if when.plugin is not None:
        event, id_key, target = PLUGIN_EVENTS[when.plugin]
        if when.plugin == "calendly":
            return page, [
                DomEvent(event, {"event": "calendly.event_scheduled", "origin": "https://calendly.com"}, "window")
            ]
        detail = {id_key: when.form_id} if when.form_id else {}
        return page, [DomEvent(event, detail, "window" if target == "window" else "document")]
    if when.link_click is not None:
        href = "tel:+15550100" if when.link_click == "tel" else f"mailto:info@{spec.site.domain}"
        return page, [Click(Element(tag="a", href=href))]
    assert when.element_visible is not None
    return page, [Visible(element_from_selector(when.element_visible))]


def _conversion_tags(container: Container, index: int) -> set[str]:
    pattern = re.compile(rf"^source: conversions\[{index}\]", re.MULTILINE)
    return {t.name for t in container.tags if pattern.search(t.notes) and not t.name.startswith("Listener - ")}


def _run(container: Container, url: str, steps: list[Step], consent: str = "granted") -> Timeline:
    return simulate(container, Scenario(Page(url), tuple(steps), consent_all(consent)))  # type: ignore[arg-type]


CASES = [
    pytest.param(path, index, id=f"{path.stem}-{conversion.slug}")
    for path in EXAMPLES
    for index, conversion in enumerate(_spec(path).conversions)
]


@pytest.fixture(scope="module")
def containers() -> dict[Path, Container]:
    return {path: build.build_container(path) for path in EXAMPLES}


def _expected_value(conversion: Conversion) -> float | None:
    return DATALAYER_VALUE if conversion.value_from_datalayer else conversion.value


@pytest.mark.parametrize(("path", "index"), CASES)
def test_conversion_signal_fires_exactly_its_tags_once(
    containers: dict[Path, Container], path: Path, index: int
) -> None:
    spec, container = _spec(path), containers[path]
    conversion = spec.conversions[index]
    expected = _conversion_tags(container, index)
    assert expected, f"{conversion.name}: no tags compiled"
    url, steps = _signal(spec, conversion)
    timeline = _run(container, url, steps)
    conversions = [t for _e, t in timeline.firings() if t.conversion]
    assert sorted(t.name for t in conversions) == sorted(expected), "exactly the declared tags, once each"
    value = _expected_value(conversion)
    for firing in conversions:
        _check_values(firing, value, conversion.currency)
    ids = {str(t.event_id()) for t in conversions}
    assert len(ids) == 1 and "" not in ids and "None" not in ids, f"one shared event id, got {ids}"


def _check_values(firing: TagFiring, value: float | None, currency: str | None) -> None:
    if value is not None:
        assert same_value(firing.summary.get("value"), value), (firing.name, firing.summary)
    if currency is not None:
        assert same_value(firing.summary.get("currency"), currency), (firing.name, firing.summary)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_an_ordinary_page_view_fires_no_conversion(containers: dict[Path, Container], path: Path) -> None:
    spec = _spec(path)
    timeline = _run(containers[path], f"https://{spec.site.domain}/about-us/", [])
    assert [t.name for _e, t in timeline.firings() if t.conversion] == []
    assert any(t.type == "googtag" for _e, t in timeline.firings())


@pytest.mark.parametrize(("path", "index"), CASES)
def test_with_consent_denied_no_tag_needing_consent_fires(
    containers: dict[Path, Container], path: Path, index: int
) -> None:
    spec, container = _spec(path), containers[path]
    url, steps = _signal(spec, spec.conversions[index])
    timeline = _run(container, url, steps, "denied")
    needs = {t.name for t in container.tags if t.consent is not None and t.consent.status == "NEEDED"}
    fired = [t for _e, t in timeline.firings()]
    assert not needs & {t.name for t in fired}
    google = [t for t in fired if t.conversion]
    assert all("built-in consent checks" in t.consent for t in google), [(t.name, t.consent) for t in google]


# ---------------------------------------------------------------- the examples' scenario files


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_has_passing_scenarios_covering_each_conversion(
    containers: dict[Path, Container], path: Path
) -> None:
    scenario_path = path.with_name(f"{path.stem}.tracking.yaml")
    assert scenario_path.exists(), f"write {scenario_path.name}"
    (scenario_file,) = read_all([scenario_path])
    assert scenario_file.target.resolve() == path.resolve()
    run = run_files([scenario_file])
    assert run.failed == [], "\n".join(p for r in run.failed for p in (r.label, *r.problems))
    expected = {name for case in scenario_file.cases for fires in case.expect.fires for name in [fires.tag]}
    for index, conversion in enumerate(_spec(path).conversions):
        assert expected & _conversion_tags(containers[path], index), f"no scenario expects {conversion.name}"
    denied = [c for c in scenario_file.cases if dict(c.scenario.consent).get("ad_storage") == "denied"]
    assert denied, "a scenario with ad consent denied"
