"""Export spelling <-> API spelling, checked against the discovery document and real exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gtmgen.changes import diff_containers
from gtmgen.container import BUILT_IN_VARIABLE_NAMES_BY_TYPE, Container
from gtmgen.errors import ContainerFormatError
from gtmgen.export import load_export
from gtmgen.publish import convert
from gtmgen.publish.convert import api_enum, export_enum
from tests.conftest import ROOT, reference_exports

DISCOVERY = ROOT.parent / "shared" / "reference" / "tagmanager.v2.discovery.json"


def _discovery() -> dict[str, Any]:
    if DISCOVERY.is_file():
        return json.loads(DISCOVERY.read_text())
    import importlib.util

    spec = importlib.util.find_spec("googleapiclient")
    assert spec is not None and spec.origin is not None
    bundled = Path(spec.origin).parent / "discovery_cache" / "documents" / "tagmanager.v2.json"
    return json.loads(bundled.read_text())


def _enum(schema: str, field: str) -> frozenset[str]:
    values = _discovery()["schemas"][schema]["properties"][field]["enum"]
    return frozenset(v for v in values if not v.endswith("Unspecified"))


@pytest.mark.parametrize(
    ("ours", "schema", "field"),
    [
        (convert.API_TRIGGER_TYPES, "Trigger", "type"),
        (convert.API_CONDITION_TYPES, "Condition", "type"),
        (convert.API_PARAMETER_TYPES, "Parameter", "type"),
        (convert.API_TAG_FIRING_OPTIONS, "Tag", "tagFiringOption"),
        (convert.API_CONSENT_STATUSES, "TagConsentSetting", "consentStatus"),
    ],
)
def test_enum_sets_match_the_discovery_document(ours: frozenset[str], schema: str, field: str) -> None:
    expected = _enum(schema, field)
    if schema == "Trigger":  # gtmgen writes web triggers only; the Firebase ones are app-only
        expected = frozenset(v for v in expected if not v.startswith("firebase"))
    assert ours == expected


def test_every_built_in_variable_gtmgen_knows_has_an_api_spelling() -> None:
    api_types = _enum("BuiltInVariable", "type")
    for export_type in BUILT_IN_VARIABLE_NAMES_BY_TYPE:
        assert api_enum(export_type) in api_types, export_type
        assert export_enum(api_enum(export_type)) == export_type


def test_every_api_enum_round_trips_through_export_spelling() -> None:
    for schema, field in [("Trigger", "type"), ("BuiltInVariable", "type"), ("Condition", "type")]:
        for value in _enum(schema, field):
            assert api_enum(export_enum(value)) == value


@pytest.mark.parametrize(
    ("export", "api"),
    [
        ("CUSTOM_EVENT", "customEvent"),
        ("YOU_TUBE_VIDEO", "youTubeVideo"),
        ("PAGEVIEW", "pageview"),
        ("TRIGGER_REFERENCE", "triggerReference"),
        ("NOT_NEEDED", "notNeeded"),
        ("CLICK_URL", "clickUrl"),
        ("GREATER_OR_EQUALS", "greaterOrEquals"),
    ],
)
def test_spellings(export: str, api: str) -> None:
    assert api_enum(export) == api
    assert export_enum(api) == export


def _api_entities(container: Container) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for kind, items in (
        ("folder", container.folders),
        ("customTemplate", container.custom_templates),
        ("variable", container.variables),
        ("trigger", container.triggers),
        ("tag", container.tags),
    ):
        out[kind] = [convert.to_api(kind, convert.export_dict(container, kind, e)) for e in items]  # type: ignore[arg-type]
    out["builtInVariable"] = [
        {"type": convert.built_in_api_type(b), "name": b.name} for b in container.built_in_variables
    ]
    return out


def _upper_snake_values(value: Any, found: list[str]) -> list[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("type", "tagFiringOption", "consentStatus") and isinstance(item, str) and item.isupper():
                found.append(item)
            _upper_snake_values(item, found)
    elif isinstance(value, list):
        for item in value:
            _upper_snake_values(item, found)
    return found


@pytest.mark.parametrize("path", reference_exports(), ids=lambda p: p.name[:40])
def test_reference_exports_round_trip_through_api_spelling(path: Path) -> None:
    original = load_export(path)
    entities = _api_entities(original)
    assert _upper_snake_values(entities, []) == []
    back = convert.container_from_api(entities, original.account_id, original.container_id)  # type: ignore[arg-type]
    changes = diff_containers(original, back)
    # Pre-2023 exports have no consentSettings; the API's absent consent reads as NOT_SET.
    real = [c for c in changes.changes if c.action != "keep" and {f.path for f in c.fields} != {"consent"}]
    assert real == []


def test_unknown_trigger_type_is_refused_before_any_request() -> None:
    with pytest.raises(ContainerFormatError, match="FANCY_EVENT"):
        convert.to_api("trigger", {"name": "x", "type": "FANCY_EVENT"})


def test_a_tag_type_code_is_never_respelled() -> None:
    out = convert.to_api("tag", {"name": "t", "type": "gaawe", "tagFiringOption": "ONCE_PER_EVENT"})
    assert out == {"name": "t", "type": "gaawe", "tagFiringOption": "oncePerEvent"}
