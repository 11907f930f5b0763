"""Tracking scenario files (`*.tracking.yaml`): what to visit, what to do, what must fire.

```yaml
target: foundation-repair.yaml        # the spec (compiled first) or container export under test
consent: granted                      # for every scenario: granted, denied, per type, or `default`
scenarios:
  - name: A tel: click is one phone-call conversion
    page: https://example.com/contact/
    steps:
      - click: "tel:+18175550100"
    expect:
      fires:
        - {tag: "GAds - Conv - Phone call", times: 1, with: {value: 80, currency: USD}}
      not_fires: ["Meta - Lead"]
      same_event_id: ["GAds - Conv - Phone call", "Meta - Contact"]
```

Steps: `push`, `click`, `submit`, `visible`, `scroll`, `wait`, `consent`, `history`, `error`,
`dom_event`, `plugin` (a form or booking plugin's success signal) and `visit` (a new page).
Every problem in a file is reported at its line and column, all at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gtmgen.errors import Diagnostic, SpecError
from gtmgen.loader import JsonPath, format_path, load_document
from gtmgen.simulate.page import ConsentMap, Page, Scenario, consent_all
from gtmgen.simulate.scenario_steps import (
    YamlReader,
    read_consent,
    read_page,
    read_step,
)

SCENARIO_SUFFIX = ".tracking.yaml"


@dataclass(frozen=True, slots=True)
class TagExpectation:
    """`fires:` one entry: a tag (name or glob), how often, at which event, with which values."""

    tag: str
    times: int | None = None  # None: at least once
    event: str | None = None
    values: tuple[tuple[str, Any], ...] = ()
    path: str = ""


@dataclass(frozen=True, slots=True)
class Expectations:
    fires: tuple[TagExpectation, ...] = ()
    not_fires: tuple[str, ...] = ()
    same_event_id: tuple[str, ...] = ()
    no_conversions: bool = False


@dataclass(frozen=True, slots=True)
class ScenarioCase:
    """One named scenario of a file, with where it is written."""

    name: str
    line: int
    scenario: Scenario
    expect: Expectations


@dataclass(frozen=True, slots=True)
class ScenarioFile:
    path: Path
    target: Path
    cases: tuple[ScenarioCase, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------- expectations

_FIRES_KEYS = frozenset({"tag", "times", "event", "with"})
_EXPECT_KEYS = frozenset({"fires", "not_fires", "same_event_id", "no_conversions"})


def _fires(reader: YamlReader, value: Any, path: JsonPath) -> TagExpectation:
    if isinstance(value, str):
        return TagExpectation(value, path=format_path(path))
    raw = reader.mapping(value, path, _FIRES_KEYS, "a `fires` entry")
    times = raw.get("times")
    if times is not None and (not isinstance(times, int) or isinstance(times, bool) or times < 0):
        reader.error((*path, "times"), "times must be a whole number (0 or more)")
        times = None
    values = raw.get("with", {})
    if not isinstance(values, dict):
        reader.error((*path, "with"), "with must be a mapping of parameter or summary names to values")
        values = {}
    event = raw.get("event")
    return TagExpectation(
        tag=reader.text(raw.get("tag"), (*path, "tag"), "a tag name"),
        times=times,
        event=str(event) if event is not None else None,
        values=tuple(values.items()),
        path=format_path(path),
    )


def _expectations(reader: YamlReader, value: Any, path: JsonPath) -> Expectations:
    raw = reader.mapping(value, path, _EXPECT_KEYS, "expect")
    fires = raw.get("fires", [])
    if not isinstance(fires, list):
        reader.error((*path, "fires"), "fires must be a list of tags (names or {tag, times, with})")
        fires = []
    no_conversions = raw.get("no_conversions", False)
    if not isinstance(no_conversions, bool):
        reader.error((*path, "no_conversions"), "no_conversions must be true or false")
    same = reader.texts(raw["same_event_id"], (*path, "same_event_id"), "a tag name") if "same_event_id" in raw else ()
    if same and len(same) < 2:
        reader.error((*path, "same_event_id"), "same_event_id needs at least two tags to compare")
    if not raw:
        reader.error(path, "expect states nothing: add fires, not_fires, same_event_id or no_conversions")
    return Expectations(
        fires=tuple(_fires(reader, f, (*path, "fires", i)) for i, f in enumerate(fires)),
        not_fires=reader.texts(raw["not_fires"], (*path, "not_fires"), "a tag name") if "not_fires" in raw else (),
        same_event_id=same,
        no_conversions=no_conversions is True,
    )


# ---------------------------------------------------------------- scenarios and files

_CASE_KEYS = frozenset({"name", "page", "consent", "region", "steps", "expect", "variables"})
_FILE_KEYS = frozenset({"target", "consent", "region", "variables", "scenarios"})


@dataclass(frozen=True, slots=True)
class _Defaults:
    """What a file sets for all its scenarios (each scenario may override it)."""

    consent: ConsentMap
    container_consent: bool = False
    region: str | None = None
    variables: tuple[tuple[str, Any], ...] = ()


def _settings(reader: YamlReader, raw: dict[str, Any], path: JsonPath, base: _Defaults) -> _Defaults:
    """`consent:` (granted, denied, per type, or `default`: the container's own defaults),
    `region:` and `variables:` at file or scenario level."""
    consent, container = base.consent, base.container_consent
    if raw.get("consent") == "default":
        container = True
    elif "consent" in raw:
        consent, container = (
            read_consent(reader, raw["consent"], (*path, "consent"), base.consent, default_allowed=True),
            False,
        )
    region = (
        reader.text(raw["region"], (*path, "region"), "region (ISO 3166-2, e.g. DE or US-CA)")
        if "region" in raw
        else None
    )
    variables = dict(base.variables) | _variables(reader, raw.get("variables", {}), (*path, "variables"))
    return _Defaults(consent, container, region.upper() if region else base.region, tuple(variables.items()))


def _variables(reader: YamlReader, value: Any, path: JsonPath) -> dict[str, Any]:
    if not isinstance(value, dict):
        reader.error(path, "variables must be a mapping of variable names to the values to assume")
        return {}
    return value


def _case(reader: YamlReader, value: Any, path: JsonPath, defaults: _Defaults) -> ScenarioCase:
    raw = reader.mapping(value, path, _CASE_KEYS, "a scenario")
    settings = _settings(reader, raw, path, defaults)
    steps_raw = raw.get("steps", [])
    if not isinstance(steps_raw, list):
        reader.error((*path, "steps"), "steps must be a list")
        steps_raw = []
    steps = [read_step(reader, s, (*path, "steps", i)) for i, s in enumerate(steps_raw)]
    if "expect" not in raw:
        reader.error(path, "a scenario needs `expect:` (what must or must not fire)")
    if "page" not in raw:
        reader.error(path, "a scenario needs `page:` (the URL of the page the visit starts on)")
    return ScenarioCase(
        name=reader.text(raw.get("name"), (*path, "name"), "a scenario's name"),
        line=reader.document.locate(path).line,
        scenario=Scenario(
            page=read_page(reader, raw["page"], (*path, "page")) if "page" in raw else Page(""),
            steps=tuple(s for s in steps if s is not None),
            consent=settings.consent,
            variables=settings.variables,
            container_consent=settings.container_consent,
            region=settings.region,
        ),
        expect=_expectations(reader, raw.get("expect", {}), (*path, "expect")),
    )


def read_scenario_file(path: Path) -> ScenarioFile:
    """Load and check a scenario file; raise SpecError with every problem found."""
    try:
        document = load_document(path)
    except SpecError as error:
        raise SpecError([_retitle(d) for d in error.diagnostics]) from None
    reader = YamlReader(document)
    reader.problems += document.problems
    raw = reader.mapping(document.data, (), _FILE_KEYS, "a scenario file")
    defaults = _settings(reader, raw, (), _Defaults(consent_all("granted")))
    scenarios = raw.get("scenarios")
    if not isinstance(scenarios, list) or not scenarios:
        reader.error(("scenarios",), "a scenario file needs `scenarios:`, a list of at least one scenario")
        scenarios = []
    target = reader.text(raw.get("target"), ("target",), "target (the spec or container export to test)")
    cases = tuple(_case(reader, c, ("scenarios", i), defaults) for i, c in enumerate(scenarios))
    names = [c.name for c in cases]
    for index, name in enumerate(names):
        if name and name in names[:index]:
            reader.error(("scenarios", index, "name"), f"duplicate scenario name {name!r}")
    if reader.problems:
        raise SpecError(sorted(reader.problems, key=Diagnostic.sort_key))
    return ScenarioFile(path, (path.parent / target), cases)


def _retitle(diagnostic: Diagnostic) -> Diagnostic:
    if diagnostic.rule == "empty":
        message = "the file is empty; a scenario file starts with `target:` and `scenarios:`"
        return Diagnostic(diagnostic.location, "error", message, diagnostic.json_path, diagnostic.rule)
    return diagnostic


def scenario_mapping_keys() -> Mapping[str, frozenset[str]]:
    """The keys each level of a scenario file allows (for documentation tests)."""
    return {"file": _FILE_KEYS, "scenario": _CASE_KEYS, "expect": _EXPECT_KEYS, "fires": _FIRES_KEYS}
