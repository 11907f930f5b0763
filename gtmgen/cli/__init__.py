"""The command line: the only place that prints, exits or imports typer.

Each command module registers its commands on `app` through `command`, which maps every
`GtmgenError` to one line on stderr and its exit code (tracebacks only with `--debug`).
Heavy modules (googleapiclient above all) are imported inside the commands that need them.
"""

from __future__ import annotations

from gtmgen.cli.app import app, main

# Importing the command modules registers their commands on `app`.
from gtmgen.cli import commands_spec  # noqa: F401  isort: skip
from gtmgen.cli import commands_build  # noqa: F401  isort: skip
from gtmgen.cli import commands_audit  # noqa: F401  isort: skip
from gtmgen.cli import commands_publish  # noqa: F401  isort: skip
from gtmgen.cli import commands_simulate  # noqa: F401  isort: skip

__all__ = ["app", "main"]
