"""The typer application, the global options and the one error handler."""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from gtmgen import __version__
from gtmgen.errors import Diagnostic, ExitCode, GtmgenError, SpecError, exit_code_for

if TYPE_CHECKING:
    from gtmgen.spec import SiteSpec

app = typer.Typer(
    name="gtmgen",
    help="Compile a site's ad-tracking spec (YAML) into a Google Tag Manager web container, "
    "test it, and publish it safely.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

_state = {"debug": False}

F = TypeVar("F", bound=Callable[..., Any])

# Usage errors such as typer.BadParameter (exit 2) pass through the guard. Recent typer vendors
# click (and click may not be installed), older typer raises click's own classes: take the base
# class from typer itself.
_CLICK_EXCEPTION = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")
PASS_THROUGH: tuple[type[BaseException], ...] = (typer.Exit, typer.Abort, KeyboardInterrupt, _CLICK_EXCEPTION)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"gtmgen {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """gtmgen: pixels observe, conversions confirm; gtmgen wires both, correctly, in GTM."""
    _state["debug"] = debug


def print_diagnostics(diagnostics: Iterable[Diagnostic]) -> None:
    """One `file:line:col: severity: message (at path)` line per diagnostic, on stderr."""
    for diagnostic in diagnostics:
        typer.echo(diagnostic.render(), err=True)


def report(error: GtmgenError) -> None:
    """Print an error the way gtmgen reports errors: one line per problem, on stderr."""
    if isinstance(error, SpecError):
        print_diagnostics(error.diagnostics)
        return
    typer.echo(f"gtmgen: error: {error}", err=True)


def load_spec_noting_warnings(spec_path: Path) -> SiteSpec:
    """The valid spec; its validation warnings go to stderr, rendered as `validate` and `build` do."""
    from gtmgen.build import validated_spec  # the compiler loads only for commands that use specs

    spec, warnings = validated_spec(spec_path)
    print_diagnostics(warnings)
    return spec


def command(*names: str, **kwargs: Any) -> Callable[[F], F]:
    """Register a command on `app` whose GtmgenErrors become an exit code, not a traceback."""

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def guarded(*args: Any, **inner: Any) -> Any:
            try:
                return function(*args, **inner)
            except GtmgenError as error:
                if _state["debug"]:
                    traceback.print_exc()
                report(error)
                raise typer.Exit(int(exit_code_for(error))) from None
            except PASS_THROUGH:
                raise
            except Exception as error:  # a bug in gtmgen: say so, and how to see more
                if _state["debug"]:
                    raise
                typer.echo(f"gtmgen: internal error: {error!r} (run with --debug for a traceback)", err=True)
                raise typer.Exit(int(ExitCode.INTERNAL)) from None

        app.command(*names, **kwargs)(guarded)
        return function

    return decorate


def main() -> None:
    """Console-script entry point."""
    app()
