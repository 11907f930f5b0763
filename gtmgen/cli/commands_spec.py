"""Commands on specs: validate, schema, init (filled in by the foundation work)."""

from __future__ import annotations
