"""Commands on existing containers: audit, import, diff."""

from __future__ import annotations

import enum
import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from gtmgen.cli.app import command
from gtmgen.errors import ExitCode, InputError


class AuditFormat(str, enum.Enum):
    text = "text"
    json = "json"
    sarif = "sarif"


class FailOn(str, enum.Enum):
    error = "error"
    warning = "warning"
    note = "note"
    never = "never"


class DiffFormat(str, enum.Enum):
    text = "text"
    json = "json"


def write_atomically(path: Path, text: str) -> None:
    """Write the whole file or nothing: a temporary file in the same folder, then a rename."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or Path("."))
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as error:
        if "temporary" in locals() and os.path.exists(temporary):
            os.unlink(temporary)
        raise InputError(f"cannot write {path}: {error.strerror or error}") from None


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        typer.echo(text)
    else:
        write_atomically(output, text + "\n")


@command("audit")
def audit(
    inputs: Annotated[list[Path], typer.Argument(help="Container exports (.json) or specs (.yaml).")],
    output_format: Annotated[AuditFormat, typer.Option("--format", "-f", help="Report format.")] = AuditFormat.text,
    fail_on: Annotated[
        FailOn, typer.Option("--fail-on", help="Exit 1 when a finding is at least this severe.")
    ] = FailOn.error,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to this file.")] = None,
) -> None:
    """Report what is wrong with existing containers or specs: tracking gaps, consent, privacy, clutter.

    Tracking scenario files (`*.tracking.yaml`, which a glob such as `*.yaml` also names) are
    skipped with a note, as `validate` and `build` do."""
    from gtmgen.audit import audit_path
    from gtmgen.audit.findings import at_least
    from gtmgen.audit.render import RENDERERS
    from gtmgen.cli.commands_spec import spec_files

    inputs, _ = spec_files(inputs, "audit")
    reports = [audit_path(path) for path in inputs]
    _emit(RENDERERS[output_format.value](reports), output)
    if fail_on is not FailOn.never and any(at_least(f.severity, fail_on.value) for r in reports for f in r.findings):
        raise typer.Exit(int(ExitCode.INVALID_INPUT))


@command("import")
def import_container(
    container: Annotated[Path, typer.Argument(help="A GTM container export (.json).")],
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the spec to this file.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing output file.")] = False,
) -> None:
    """Turn a container export into a spec; report on stderr everything that could not be mapped."""
    from gtmgen.audit.importer import import_path

    if output is not None and output.exists() and not force:
        raise InputError(f"{output} exists: pass --force to overwrite it")
    result = import_path(container)
    _emit(result.yaml_text.rstrip("\n"), output)
    for note in result.notes:
        typer.echo(f"{container}: {note.render()}", err=True)
    approximate = sum(1 for n in result.notes if n.approximate)
    typer.echo(
        f"{container}: imported {result.conversion_count} conversion(s); "
        f"{len(result.notes) - approximate} item(s) not mapped, {approximate} approximated",
        err=True,
    )


@command("diff")
def diff(
    old: Annotated[Path, typer.Argument(help="The container export or spec before.")],
    new: Annotated[Path, typer.Argument(help="The container export or spec after.")],
    output_format: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = DiffFormat.text,
    exit_code: Annotated[
        bool, typer.Option("--exit-code", help="Exit 3 when the two differ (like `git diff --exit-code`).")
    ] = False,
) -> None:
    """Show what changed between two containers or specs, entity by entity, ignoring ids and order."""
    from gtmgen.audit import diff_paths
    from gtmgen.changes import render_json, render_text

    changes = diff_paths(old, new)
    typer.echo(render_json(changes) if output_format is DiffFormat.json else render_text(changes))
    if exit_code and changes.has_changes:
        raise typer.Exit(int(ExitCode.CHANGES_PENDING))
