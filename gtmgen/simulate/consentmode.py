"""Consent mode as a container configures it: `gtag('consent', 'default' | 'update', {...})`.

A scenario may take its consent state from the container instead of stating it: the Custom HTML
tags that fire at Consent Initialization (or later) are read for consent commands, and the
visitor's region picks the default row, the way Google's consent mode does: a row naming the
exact region (`US-CA`) wins over one naming its country (`US`), which wins over the row without
`region`; types a specific row leaves out fall back to the general row. Updates apply on top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gtmgen.simulate.page import CONSENT_TYPES, ConsentState
from gtmgen.simulate.scripts import Render, find_calls


@dataclass(frozen=True, slots=True)
class ConsentCommand:
    """One `gtag('consent', kind, states)` call; `regions` empty for the general default."""

    kind: str  # "default" or "update"
    states: tuple[tuple[str, ConsentState], ...]
    regions: tuple[str, ...] = ()


def _states(raw: Mapping[str, object]) -> tuple[tuple[str, ConsentState], ...]:
    states: list[tuple[str, ConsentState]] = []
    for key in CONSENT_TYPES:
        value = raw.get(key)
        if value == "granted" or value == "denied":
            states.append((key, value))
    return tuple(states)


def consent_commands(html: str, render: Render) -> list[ConsentCommand]:
    """The consent commands a Custom HTML tag gives (literal arguments only)."""
    commands: list[ConsentCommand] = []
    for call in find_calls(html, ("gtag",), render):
        if len(call.args) < 3 or call.args[0] != "consent" or call.args[1] not in ("default", "update"):
            continue
        raw = call.args[2]
        if not isinstance(raw, dict):
            continue
        regions = raw.get("region")
        region_list = tuple(str(r).upper() for r in regions) if isinstance(regions, list) else ()
        commands.append(ConsentCommand(str(call.args[1]), _states(raw), region_list))
    return commands


def resolve_defaults(defaults: Sequence[ConsentCommand], region: str | None) -> dict[str, ConsentState]:
    """The default state for a visitor from `region` (ISO 3166-2 like `US-CA`, or a country)."""
    wanted = (region or "").upper()
    country = wanted.split("-", 1)[0]
    state: dict[str, ConsentState] = {}
    for level in ((), (country,), (wanted,)):
        for command in defaults:
            general = not command.regions and not level
            if general or (level and level[0] and level[0] in command.regions):
                state |= dict(command.states)
    return state
