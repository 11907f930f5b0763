"""`gtmgen build`: compile specs into GTM container exports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from gtmgen.cli.app import command, print_diagnostics, report
from gtmgen.cli.commands_spec import spec_files
from gtmgen.errors import GtmgenError, exit_code_for

if TYPE_CHECKING:  # the compiler loads only when `build` runs, not for every command
    from gtmgen import build as core

SpecsArgument = Annotated[
    list[Path], typer.Argument(help="Spec files (YAML) to build.", show_default=False, metavar="SPEC...")
]
OutputOption = Annotated[
    Optional[str],  # noqa: UP045  typer reads the annotation at runtime, also on Python 3.10
    typer.Option(
        "--output",
        "-o",
        help="Output file, a folder (for several specs), or '-' for stdout. Default: build/<spec name>.json.",
        show_default=False,
    ),
]
CheckOption = Annotated[
    bool,
    typer.Option("--check", help="Write nothing; exit 1 if an output file is missing or differs from the build."),
]
TimeOption = Annotated[
    Optional[str],  # noqa: UP045
    typer.Option(
        "--export-time",
        help="exportTime to write: 'now' or 'YYYY-MM-DD HH:MM:SS'. Default: a fixed time, so builds are reproducible.",
        show_default=False,
    ),
]


def _fail_on(errors: list[GtmgenError]) -> None:
    """Report every error, then exit with the first one's code."""
    for error in errors:
        report(error)
    if errors:
        raise typer.Exit(int(exit_code_for(errors[0])))


def _summarise(result: core.Build, shown_as: str) -> None:
    for warning in result.warnings(shown_as):
        typer.echo(f"gtmgen: warning: {warning}", err=True)
    typer.echo(result.summary(shown_as), err=True)


def _build_all(specs: list[Path], time: str) -> list[core.Build]:
    """Build every spec, printing each one's validation warnings as `validate` does."""
    from gtmgen import build as core

    builds, failures = [], []
    for spec in specs:
        try:
            result = core.build_spec(spec, time)
        except GtmgenError as error:
            failures.append(error)
            continue
        print_diagnostics(result.diagnostics)
        builds.append(result)
    _fail_on(failures)
    return builds


def _write_or_check(builds: list[core.Build], paths: list[Path], check: bool) -> None:
    from gtmgen import build as core

    stale: list[GtmgenError] = []
    for result, path in zip(builds, paths, strict=True):
        try:
            if check:
                core.check_output(path, result)
            else:
                core.write_atomic(path, result.data)
        except GtmgenError as error:
            stale.append(error)
            continue
        _summarise(result, str(path))
    _fail_on(stale)


@command("build")
def build(
    specs: SpecsArgument, output: OutputOption = None, check: CheckOption = False, export_time: TimeOption = None
) -> None:
    """Compile each spec into a GTM container export (the JSON that Admin > Import Container accepts).

    Every spec is built before anything is written; a failed build leaves existing files untouched.
    Validation warnings are printed on stderr and do not stop the build. Tracking scenario files
    (`*.tracking.yaml`) are skipped with a note.
    """
    from gtmgen import build as core

    specs, _ = spec_files(specs, "build")
    if output == "-" and (len(specs) != 1 or check):
        raise typer.BadParameter("'-o -' takes exactly one spec and no --check", param_hint="'--output'")
    builds = _build_all(specs, core.export_time(export_time))
    if output == "-":
        sys.stdout.buffer.write(builds[0].data)
        sys.stdout.flush()
        _summarise(builds[0], "<stdout>")
        return
    _write_or_check(builds, core.output_paths(specs, output), check)
