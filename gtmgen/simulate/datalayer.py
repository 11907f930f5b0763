"""GTM's dataLayer model: how a push merges into what variables read.

GTM (its data-layer helper) expands dotted keys (`{"a.b": 1}` is `{"a": {"b": 1}}`) and merges
plain objects and arrays recursively, index by index; any other value replaces the old one. This is
why an `ecommerce` object keeps stale fields unless a site pushes `{ecommerce: null}` first.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any


def expand_key(key: str, value: Any) -> dict[str, Any]:
    """`("a.b.c", v)` -> `{"a": {"b": {"c": v}}}`."""
    head, _, rest = key.partition(".")
    return {head: expand_key(rest, value) if rest else value}


def _merge(target: dict[str, Any] | list[Any], source: Mapping[str, Any] | list[Any]) -> None:
    items = source.items() if isinstance(source, Mapping) else enumerate(source)
    for key, value in items:
        if isinstance(value, (dict, list)):
            current = _get(target, key)
            if not isinstance(current, type(value)):
                current = {} if isinstance(value, dict) else []
                _set(target, key, current)
            _merge(current, value)
        else:
            _set(target, key, value)


def _get(target: dict[str, Any] | list[Any], key: Any) -> Any:
    if isinstance(target, dict):
        return target.get(key)
    return target[key] if key < len(target) else None


def _set(target: dict[str, Any] | list[Any], key: Any, value: Any) -> None:
    if isinstance(target, dict):
        target[key] = value
        return
    target.extend([None] * (key + 1 - len(target)))
    target[key] = value


def merge_push(model: dict[str, Any], data: Mapping[str, Any]) -> None:
    """Merge one `dataLayer.push(data)` into the model, in place."""
    for key, value in data.items():
        _merge(model, expand_key(str(key), copy.deepcopy(value) if isinstance(value, (dict, list)) else value))
