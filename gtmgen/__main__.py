"""`python -m gtmgen`."""

from __future__ import annotations

from gtmgen.cli import main

main()
