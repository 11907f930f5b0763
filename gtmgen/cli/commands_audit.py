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
    """Report what is wrong with existing containers or specs: tracking gaps, consent, privacy, clutter."""
    from gtmgen.audit import audit_path
    from gtmgen.audit.findings import at_least
    from gtmgen.audit.render import RENDERERS

    reports = [audit_path(path) for path in inputs]
    _emit(RENDERERS[output_format.value](reports), output)
    if fail_on is not FailOn.never and any(at_least(f.severity, fail_on.value) for r in reports for f in r.findings):
        raise typer.Exit(int(ExitCode.INVALID_INPUT))


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
