"""Commands on specs: validate, schema, init."""

from __future__ import annotations

import enum
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from gtmgen.cli.app import command, print_diagnostics
from gtmgen.errors import ExitCode, InputError

if TYPE_CHECKING:
    from gtmgen.validate import Validation


class OutputFormat(str, enum.Enum):
    text = "text"
    json = "json"


class IndustryChoice(str, enum.Enum):
    """The choices of `init --industry`; tests check they are `starter.INDUSTRIES`."""

    foundation_repair = "foundation-repair"
    hvac = "hvac"
    plumbing = "plumbing"
    clinic = "clinic"
    generic = "generic"


@command("validate")
def validate(
    specs: Annotated[list[Path], typer.Argument(help="Spec files (YAML) to check.", metavar="SPEC...")],
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Report as text lines or JSON.")] = (
        OutputFormat.text
    ),
    strict: Annotated[bool, typer.Option("--strict", help="Fail on warnings too.")] = False,
) -> None:
    """Check specs: every problem of every file, one line each, with file, line and column.

    Prints `SPEC: ok` on stdout for each valid file and the problems on stderr. Exits 1 when
    a file has an error (with --strict, also a warning). JSON goes to stdout. Tracking scenario
    files (`*.tracking.yaml`, which a glob such as `*.yaml` also names) are skipped with a note.
    """
    from gtmgen.validate import validate_file  # jsonschema loads only for the commands that need it

    specs, skipped = spec_files(specs, "validate")
    results = [validate_file(spec) for spec in specs]
    failed = [r.file for r in results if r.errors or (strict and r.warnings)]
    if output_format is OutputFormat.json:
        typer.echo(json.dumps(_json_report(results, failed, skipped), indent=2, ensure_ascii=False))
    else:
        for result in results:
            _print_result(result, valid=result.file not in failed)
    if failed:
        raise typer.Exit(int(ExitCode.INVALID_INPUT))


def spec_files(paths: list[Path], verb: str) -> tuple[list[Path], list[Path]]:
    """The specs among `paths` and the tracking scenario files skipped, one note line each on
    stderr; only scenario files is an error."""
    from gtmgen.validate import split_scenario_files

    specs, scenarios = split_scenario_files(paths)
    for path in scenarios:
        typer.echo(f"gtmgen: skipped: {path} is a tracking scenario file; run it with `gtmgen test`", err=True)
    if not specs:
        raise InputError(f"no spec to {verb}: every file given is a tracking scenario file (`*.tracking.yaml`)")
    return specs, scenarios


def _print_result(result: Validation, *, valid: bool) -> None:
    print_diagnostics(result.diagnostics)
    if valid:
        count = len(result.warnings)
        note = f" ({count} warning{'s' if count != 1 else ''})" if count else ""
        typer.echo(f"{result.file}: ok{note}")


def _json_report(results: list[Validation], failed: list[str], skipped: list[Path]) -> dict[str, object]:
    files = [
        {
            "file": result.file,
            "valid": result.file not in failed,
            "errors": len(result.errors),
            "warnings": len(result.warnings),
            "diagnostics": [d.as_dict() for d in result.diagnostics],
        }
        for result in results
    ]
    return {"valid": not failed, "files": files, "skipped": [str(path) for path in skipped]}


@command("schema")
def schema(
    output: Annotated[
        Optional[Path],  # noqa: UP045  typer reads the annotation at runtime, also on Python 3.10
        typer.Option(
            "--output", "-o", help="Write the schema to this file instead of printing it.", show_default=False
        ),
    ] = None,
) -> None:
    """Print the JSON Schema of the spec language, for editors (`# yaml-language-server: $schema=...`)."""
    from gtmgen import starter  # jinja2 loads only for the commands that write files
    from gtmgen.validate import schema_text

    if output is None:
        typer.echo(schema_text(), nl=False)
        return
    starter.write_new_files([starter.StarterFile(output, schema_text(), "schema")], force=True)
    typer.echo(f"wrote {output}", err=True)


@command("init")
def init(
    name: Annotated[str, typer.Option("--name", help="The business or site name.", show_default=False)],
    domain: Annotated[str, typer.Option("--domain", help="The site's host name, such as example.com.")],
    path: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Argument(help="Where to write the spec. Default: gtmgen.yaml.", show_default=False),
    ] = None,
    industry: Annotated[
        IndustryChoice, typer.Option("--industry", help="Preset of page groups and conversions.")
    ] = IndustryChoice.generic,
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 currency of conversion values.")] = "USD",
    force: Annotated[bool, typer.Option("--force", help="Overwrite existing files.")] = False,
) -> None:
    """Write a commented starter spec for a new site; it passes `gtmgen validate` as written."""
    from gtmgen import starter

    spec_path = path or starter.DEFAULT_SPEC_PATH
    options = starter.StarterOptions(name, domain, starter.industry(industry.value), currency)
    files = starter.starter_files(spec_path, options)
    starter.write_new_files(files, force=force)
    for written in files:
        typer.echo(f"wrote {written.path} ({written.what})")
    typer.echo(f"next: replace the placeholder ids (`gtmgen validate {spec_path}` lists them)")
