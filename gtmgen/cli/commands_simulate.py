"""Commands that predict what a container fires: simulate, test."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from gtmgen.cli.app import command, load_spec_noting_warnings
from gtmgen.errors import InputError, TestFailure

if TYPE_CHECKING:
    from gtmgen.simulate import Scenario
    from gtmgen.simulate.page import ConsentMap, ConsentState, Element, Step


class TimelineFormat(str, enum.Enum):
    text = "text"
    json = "json"


TargetArg = Annotated[Path, typer.Argument(help="A spec (.yaml, compiled first) or a container export (.json).")]
PageOpt = Annotated[str, typer.Option("--page", help="The URL of the page to load.")]
ReferrerOpt = Annotated[str, typer.Option("--referrer", help="The page's referrer.")]
PushOpt = Annotated[
    list[str] | None,
    typer.Option("--push", help='Push this JSON object to the dataLayer, e.g. \'{"event": "purchase", "value": 5}\'.'),
]
EventOpt = Annotated[
    list[str] | None, typer.Option("--event", help="Push this dataLayer event after the page loads (repeatable).")
]
ClickOpt = Annotated[
    list[str] | None,
    typer.Option("--click", help="Click a link (URL such as tel:+1555...) or an element (CSS selector)."),
]
ConsentOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--consent",
        help="granted, denied, TYPE=granted|denied (repeatable), or default (the container's own "
        "consent defaults, see --region); default: granted.",
    ),
]
RegionOpt = Annotated[
    str | None, typer.Option("--region", help="The visitor's region for --consent default (DE, US-CA, ...).")
]
VariableOpt = Annotated[
    list[str] | None, typer.Option("--var", help="NAME=VALUE for a variable the simulator cannot compute.")
]
TimelineFormatOpt = Annotated[TimelineFormat, typer.Option("--format", "-f", help="Output format.")]
SimulateVerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Show every parameter of fired tags.")]


def _consent_option(values: list[str]) -> tuple[ConsentMap, bool]:
    """`--consent granted|denied` for every type, `--consent ad_storage=denied` per type, or
    `--consent default`: the container's own consent defaults (with `--region`)."""
    from gtmgen.simulate.page import CONSENT_TYPES, consent_all, consent_with

    states = consent_all("granted")
    if "default" in values:
        if len(values) > 1:
            raise InputError("--consent default takes the container's defaults; give no other --consent")
        return states, True
    for value in values:
        name, _, text = value.rpartition("=")
        state: ConsentState = "granted" if text == "granted" else "denied"
        if text != state:
            raise InputError(f"--consent {value!r}: use granted, denied or TYPE=granted|denied")
        if not name:
            states = consent_all(state)
        elif name not in CONSENT_TYPES:
            raise InputError(f"--consent {value!r}: unknown consent type {name!r} ({', '.join(CONSENT_TYPES)})")
        else:
            states = consent_with(states, {name: state})
    return states, False


def _variable_option(values: list[str]) -> tuple[tuple[str, str], ...]:
    pairs = []
    for value in values:
        name, sep, text = value.partition("=")
        if not sep or not name:
            raise InputError(f"--var {value!r}: use NAME=VALUE (the variable's name as in {{{{NAME}}}})")
        pairs.append((name, text))
    return tuple(pairs)


@command("simulate")
def simulate_command(
    target: TargetArg,
    page: PageOpt,
    referrer: ReferrerOpt = "",
    push: PushOpt = None,
    event: EventOpt = None,
    click: ClickOpt = None,
    consent: ConsentOpt = None,
    region: RegionOpt = None,
    variable: VariableOpt = None,
    output_format: TimelineFormatOpt = TimelineFormat.text,
    verbose: SimulateVerboseOpt = False,
) -> None:
    """Show which tags fire, in order and with which values, for a page load, events and clicks.

    After the page loads: every --push, then every --event, then every --click, in that order
    (a scenario file for `gtmgen test` can interleave steps freely)."""
    from gtmgen.simulate import render_json, render_text, simulate
    from gtmgen.simulate.runner import load_container

    _note_spec_warnings([target])
    container = load_container(target)
    steps = _steps(push or [], event or [], click or [])
    scenario = _scenario(page, referrer, steps, consent or [], region, variable or [])
    timeline = simulate(container, scenario)
    text = render_json(timeline) if output_format is TimelineFormat.json else render_text(timeline, verbose=verbose)
    typer.echo(text, nl=False)


def _steps(pushes: list[str], events: list[str], clicks: list[str]) -> tuple[Step, ...]:
    """The visit after the page load: every --push, then every --event, then every --click."""
    from gtmgen.simulate import Click, Push

    steps: list[Step] = [Push(_json_object(text)) for text in pushes]
    steps += [Push({"event": name}) for name in events]
    steps += [Click(_clicked(item)) for item in clicks]
    return tuple(steps)


def _scenario(
    url: str, referrer: str, steps: tuple[Step, ...], consent: list[str], region: str | None, variables: list[str]
) -> Scenario:
    from gtmgen.simulate import Page, Scenario

    (states, from_container), stubs = _consent_option(consent), _variable_option(variables)
    if region and not from_container:
        raise InputError("--region applies to --consent default (the container's consent defaults)")
    region_code = region.upper() if region else None
    return Scenario(Page(url, referrer), steps, states, stubs, from_container, region_code)


def _json_object(text: str) -> dict[str, object]:
    import json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"--push {text!r}: not JSON ({error.msg} at column {error.colno})") from None
    if not isinstance(data, dict):
        raise InputError(f'--push {text!r}: give a JSON object, like \'{{"event": "lead"}}\'')
    return data


def _clicked(item: str) -> Element:
    """A link for a URL (`tel:+1555...`), else the element a CSS selector describes."""
    from gtmgen.simulate.page import Element
    from gtmgen.simulate.scenario_steps import looks_like_url
    from gtmgen.simulate.selectors import UnsupportedSelector, element_from_selector

    if looks_like_url(item):
        return Element(tag="a", href=item)
    try:
        return element_from_selector(item)
    except UnsupportedSelector as error:
        raise InputError(f"--click {item!r}: {error}") from None


def _note_spec_warnings(targets: list[Path]) -> None:
    """Print the validation warnings of the specs among `targets` (each once), as `validate` does;
    a spec with errors fails here with all of them, before anything runs."""
    from gtmgen.simulate.runner import SPEC_SUFFIXES

    seen: set[Path] = set()
    for path in targets:
        if path.suffix.lower() in SPEC_SUFFIXES and path.is_file() and path.resolve() not in seen:
            seen.add(path.resolve())
            load_spec_noting_warnings(path)


@command("test")
def test_command(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Scenario files (*.tracking.yaml) or folders to search; default: .")
    ] = None,
    name_filter: Annotated[
        str | None, typer.Option("-k", help="Run only scenarios whose name contains this text.")
    ] = None,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show what fired for passing scenarios too.")
    ] = False,
) -> None:
    """Run tracking scenarios: which tags must fire (and with which values) and which must not."""
    from gtmgen.simulate.runner import discover, read_all, render_run, run_files

    files = read_all(discover(paths or [Path(".")]))
    _note_spec_warnings([f.target for f in files])
    run = run_files(files, name_filter)
    typer.echo(render_run(run, verbose=verbose), nl=False)
    if not run.results:
        raise InputError(f"no scenario name contains {name_filter!r}")
    if run.failed:
        raise TestFailure(f"{len(run.failed)} of {len(run.results)} scenarios failed")
