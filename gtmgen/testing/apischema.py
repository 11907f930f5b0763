"""The Tag Manager API v2 as its discovery document describes it: routes, scopes, body checks.

The emulator routes every request through the document that ships with the installed
google-api-python-client (found without importing the library), so its paths, parameters,
scopes and body shapes are the real API's. Bodies are checked like Google's front end does:
an unknown field name or an enum value outside the document is a 400.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DOCUMENT = "tagmanager.v2.json"


@dataclass(frozen=True, slots=True)
class Route:
    method_id: str  # e.g. "accounts.containers.workspaces.tags.create" ("tagmanager." removed)
    http_method: str
    pattern: re.Pattern[str]
    scopes: tuple[str, ...]
    request_schema: str | None
    literal_length: int


def discovery_path() -> Path:
    """The discovery document bundled with google-api-python-client (not imported, just located)."""
    spec = importlib.util.find_spec("googleapiclient")
    if spec is None or spec.origin is None:
        raise RuntimeError("google-api-python-client is not installed")
    return Path(spec.origin).parent / "discovery_cache" / "documents" / DOCUMENT


@functools.cache
def discovery() -> dict[str, Any]:
    return json.loads(discovery_path().read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _methods(resources: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for resource in resources.values():
        yield from resource.get("methods", {}).values()
        yield from _methods(resource.get("resources", {}))


_PLACEHOLDER = re.compile(r"\{(\+?)(\w+)\}")


def _route(method: Mapping[str, Any]) -> Route:
    template: str = method["path"]
    parts: list[str] = []
    literal = 0
    position = 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[position : match.start()]))
        literal += match.start() - position
        param = method["parameters"][match.group(2)]
        inner = param.get("pattern", "^[^/]+$").removeprefix("^").removesuffix("$")
        parts.append(f"(?P<{match.group(2)}>{inner})")
        position = match.end()
    parts.append(re.escape(template[position:]))
    literal += len(template) - position
    short = method["id"].removeprefix("tagmanager.")
    return Route(
        method_id=short,
        http_method=method["httpMethod"],
        pattern=re.compile("/" + "".join(parts)),
        scopes=tuple(method.get("scopes", ())),
        request_schema=(method.get("request") or {}).get("$ref"),
        literal_length=literal,
    )


@functools.cache
def routes() -> tuple[Route, ...]:
    """Every method of the document, most literal path first (`:snippet` before a bare `{+path}`)."""
    found = [_route(m) for m in _methods(discovery()["resources"])]
    return tuple(sorted(found, key=lambda r: -r.literal_length))


def match_route(http_method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for a request path (with any mount prefix already removed), and its path parameters."""
    for route in routes():
        if route.http_method != http_method:
            continue
        found = route.pattern.fullmatch(path)
        if found:
            return route, found.groupdict()
    return None


# ---------------------------------------------------------------- request body checks


def body_problems(schema_name: str, body: object, where: str = "") -> list[str]:
    """What Google's front end would refuse in a request body: unknown names, bad enums, bad types."""
    schema = discovery()["schemas"][schema_name]
    if not isinstance(body, Mapping):
        return [f"Invalid value at '{where or schema_name}': expected an object"]
    problems: list[str] = []
    properties = schema.get("properties", {})
    for key, value in body.items():
        at = f"{where}.{key}" if where else key
        if key not in properties:
            problems.append(f"Invalid JSON payload received. Unknown name \"{key}\" at '{where or 'body'}'")
            continue
        problems.extend(_value_problems(properties[key], value, at))
    return problems


def _value_problems(prop: Mapping[str, Any], value: object, at: str) -> list[str]:
    if "$ref" in prop:
        return body_problems(prop["$ref"], value, at)
    kind = prop.get("type")
    if kind == "array":
        if not isinstance(value, list):
            return [f"Invalid value at '{at}': expected a list"]
        return [p for i, item in enumerate(value) for p in _value_problems(prop["items"], item, f"{at}[{i}]")]
    if kind == "string":
        if not isinstance(value, str):
            return [f"Invalid value at '{at}': expected a string, got {json.dumps(value)}"]
        if "enum" in prop and value not in prop["enum"]:
            return [f"Invalid value at '{at}' (TYPE_ENUM), {json.dumps(value)}"]
    if kind == "boolean" and not isinstance(value, bool):
        return [f"Invalid value at '{at}': expected a boolean, got {json.dumps(value)}"]
    return []
