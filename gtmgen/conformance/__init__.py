"""Conformance: is a container shaped like what GTM writes, and is it wired correctly?

`check_container` is pure (no I/O) and works on any container, written by gtmgen or read from
a GTM export. It finds: keys, parameter types and trigger/condition shapes GTM never writes
(tables in `gtm_shapes`); references that do not resolve (triggers, setup tags, folders,
`{{variables}}`, tag/trigger references); built-in variables used but not enabled; duplicate
ids or names; tags without explicit consent; more than one conversion linker (or none beside
Google Ads conversions); Meta events not sequenced after the base code; conversions fired by
a plain click or a form-submit attempt.

    finding.py     Finding (rule, severity, entity, message) and `errors`
    structure.py   check_shapes: types, parameter keys and types, conditions, trigger structure
    references.py  check_identity (ids, names) and check_references (everything resolves)
    wiring.py      consent, the conversion linker, Meta sequencing, conversions on success
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from gtmgen.conformance.finding import Finding, Severity, errors
from gtmgen.conformance.references import check_identity, check_references
from gtmgen.conformance.structure import check_shapes
from gtmgen.conformance.wiring import (
    CONVERSION_GA4_EVENTS,
    CONVERSION_META_EVENTS,
    check_consent,
    check_conversion_triggers,
    check_linker,
    check_meta_sequencing,
    conversion_events,
)
from gtmgen.container import Container

CHECKS: tuple[Callable[[Container], Iterator[Finding]], ...] = (
    check_shapes,
    check_identity,
    check_references,
    check_consent,
    check_linker,
    check_meta_sequencing,
    check_conversion_triggers,
)


def check_container(container: Container) -> list[Finding]:
    """Every finding of every check, in check order."""
    return [finding for check in CHECKS for finding in check(container)]


__all__ = [
    "CHECKS",
    "CONVERSION_GA4_EVENTS",
    "CONVERSION_META_EVENTS",
    "Finding",
    "Severity",
    "check_consent",
    "check_container",
    "check_conversion_triggers",
    "check_identity",
    "check_linker",
    "check_meta_sequencing",
    "check_references",
    "check_shapes",
    "conversion_events",
    "errors",
]
