"""Export spelling <-> Tag Manager API spelling, and API entity dicts <-> the container model.

The export file writes enums in UPPER_SNAKE (`CUSTOM_EVENT`, `TEMPLATE`, `ONCE_PER_EVENT`);
the API's discovery document writes the same values in lowerCamel (`customEvent`, `template`,
`oncePerEvent`; tagmanager-api.md §1.3). gtmgen models containers in export spelling and
converts at this edge only. Entity dicts are converted field by field, so a tag's own `type`
(`html`, `gaawe`) is never touched. Reading reuses `gtmgen.export`'s readers, writing its writers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from gtmgen.container import (
    BUILT_IN_VARIABLE_NAMES_BY_TYPE,
    BuiltInVariable,
    Container,
    CustomTemplate,
    EntityKind,
    Folder,
    Tag,
    Trigger,
    Variable,
)
from gtmgen.errors import ContainerFormatError
from gtmgen.export import (
    TRIGGER_SPECIAL_KEYS,
    folder_to_json,
    read_export,
    tag_to_json,
    template_to_json,
    trigger_to_json,
    variable_to_json,
)

ApiDict = dict[str, Any]
Spell = Callable[[str], str]

# Closed enum sets of the discovery document (revision 20260826) that gtmgen writes;
# tests/test_publish_convert.py checks them against the document itself.
API_TRIGGER_TYPES = frozenset(
    "pageview domReady windowLoaded customEvent triggerGroup init consentInit serverPageview always "
    "formSubmission click linkClick jsError historyChange timer ampClick ampTimer ampScroll ampVisibility "
    "youTubeVideo scrollDepth elementVisibility".split()
)
API_CONDITION_TYPES = frozenset(
    "equals contains startsWith endsWith matchRegex greater greaterOrEquals less lessOrEquals cssSelector "
    "urlMatches".split()
)
API_PARAMETER_TYPES = frozenset("template integer boolean list map triggerReference tagReference".split())
API_TAG_FIRING_OPTIONS = frozenset({"unlimited", "oncePerEvent", "oncePerLoad"})
API_CONSENT_STATUSES = frozenset({"notSet", "notNeeded", "needed"})

# Keys the server sets on every entity; they never travel from a read into a write.
SERVER_KEYS = frozenset({"path", "accountId", "containerId", "workspaceId", "fingerprint", "tagManagerUrl"})
ID_KEY_BY_KIND: dict[EntityKind, str] = {
    "folder": "folderId",
    "customTemplate": "templateId",
    "variable": "variableId",
    "trigger": "triggerId",
    "tag": "tagId",
    "builtInVariable": "type",
}
COLLECTION_BY_KIND: dict[EntityKind, str] = {
    "folder": "folder",
    "customTemplate": "customTemplate",
    "variable": "variable",
    "trigger": "trigger",
    "tag": "tag",
    "builtInVariable": "builtInVariable",
}

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def api_enum(value: str) -> str:
    """`CUSTOM_EVENT` -> `customEvent`, `YOU_TUBE_VIDEO` -> `youTubeVideo`."""
    head, *rest = value.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def export_enum(value: str) -> str:
    """`customEvent` -> `CUSTOM_EVENT` (the inverse of `api_enum`)."""
    return _CAMEL_BOUNDARY.sub("_", value).upper()


def _checked(allowed: frozenset[str], what: str) -> Spell:
    def spell(value: str) -> str:
        converted = api_enum(value)
        if converted not in allowed:
            raise ContainerFormatError("<container>", f"{what} {value!r} has no Tag Manager API spelling")
        return converted

    return spell


class Speller:
    """One direction of the conversion: a spelling function per enum field."""

    def __init__(self, to_api: bool) -> None:
        self.to_api = to_api
        self.parameter_type = _checked(API_PARAMETER_TYPES, "parameter type") if to_api else export_enum
        self.trigger_type = _checked(API_TRIGGER_TYPES, "trigger type") if to_api else export_enum
        self.condition_type = _checked(API_CONDITION_TYPES, "condition type") if to_api else export_enum
        self.firing_option = _checked(API_TAG_FIRING_OPTIONS, "tagFiringOption") if to_api else export_enum
        self.consent_status = _checked(API_CONSENT_STATUSES, "consentStatus") if to_api else export_enum
        self.plain = api_enum if to_api else export_enum


TO_API = Speller(to_api=True)
FROM_API = Speller(to_api=False)


# ---------------------------------------------------------------- field-by-field conversion


def convert_parameter(raw: Mapping[str, Any], spell: Speller) -> ApiDict:
    """A parameter, its list items and map entries, with their `type` respelled."""
    out = dict(raw)
    if "type" in out:
        out["type"] = spell.parameter_type(str(out["type"]))
    for key in ("list", "map"):
        if isinstance(out.get(key), list):
            out[key] = [convert_parameter(p, spell) for p in out[key]]
    return out


def _parameters(raw: Any, spell: Speller) -> list[ApiDict]:
    return [convert_parameter(p, spell) for p in raw or ()]


def _convert_keys(out: ApiDict, keys: Iterable[str], spell: Speller) -> None:
    for key in keys:
        if isinstance(out.get(key), Mapping):
            out[key] = convert_parameter(out[key], spell)


def convert_tag(raw: Mapping[str, Any], spell: Speller) -> ApiDict:
    out = dict(raw)
    out["parameter"] = _parameters(raw.get("parameter"), spell)
    _convert_keys(out, ("priority", "monitoringMetadata"), spell)
    if "tagFiringOption" in out:
        out["tagFiringOption"] = spell.firing_option(str(out["tagFiringOption"]))
    consent = out.get("consentSettings")
    if isinstance(consent, Mapping):
        consent = dict(consent)
        consent["consentStatus"] = spell.consent_status(str(consent.get("consentStatus", "NOT_SET")))
        _convert_keys(consent, ("consentType",), spell)
        out["consentSettings"] = consent
    elif not spell.to_api:
        out["consentSettings"] = {"consentStatus": "NOT_SET"}  # the API leaves the default out
    return _drop_empty(out, "parameter")


def _condition(raw: Mapping[str, Any], spell: Speller) -> ApiDict:
    return {"type": spell.condition_type(str(raw["type"])), "parameter": _parameters(raw.get("parameter"), spell)}


def convert_trigger(raw: Mapping[str, Any], spell: Speller) -> ApiDict:
    out = dict(raw)
    out["type"] = spell.trigger_type(str(raw["type"]))
    for key in ("customEventFilter", "filter", "autoEventFilter"):
        if key in out:
            out[key] = [_condition(c, spell) for c in out[key] or ()]
    _convert_keys(out, TRIGGER_SPECIAL_KEYS, spell)
    out["parameter"] = _parameters(raw.get("parameter"), spell)
    return _drop_empty(out, "parameter", "customEventFilter", "filter", "autoEventFilter")


FORMAT_VALUE_PARAMETERS = ("convertNullToValue", "convertUndefinedToValue", "convertTrueToValue", "convertFalseToValue")


def _format_value(raw: Mapping[str, Any], spell: Speller) -> ApiDict:
    out = dict(raw)
    for key in ("caseConversionType", "convertToNumber"):
        if isinstance(out.get(key), str):
            out[key] = spell.plain(out[key])
    _convert_keys(out, FORMAT_VALUE_PARAMETERS, spell)
    return out


def convert_variable(raw: Mapping[str, Any], spell: Speller) -> ApiDict:
    out = dict(raw)
    out["parameter"] = _parameters(raw.get("parameter"), spell)
    if isinstance(out.get("formatValue"), Mapping):
        out["formatValue"] = _format_value(out["formatValue"], spell)
    return _drop_empty(out, "parameter")


def convert_built_in(raw: Mapping[str, Any], spell: Speller) -> ApiDict:
    return dict(raw) | {"type": spell.plain(str(raw["type"]))}


def _same(raw: Mapping[str, Any], spell: Speller) -> ApiDict:
    return dict(raw)


def _drop_empty(out: ApiDict, *keys: str) -> ApiDict:
    for key in keys:
        if key in out and not out[key]:
            del out[key]
    return out


CONVERTERS_BY_KIND: dict[EntityKind, Callable[[Mapping[str, Any], Speller], ApiDict]] = {
    "folder": _same,
    "customTemplate": _same,
    "builtInVariable": convert_built_in,
    "variable": convert_variable,
    "trigger": convert_trigger,
    "tag": convert_tag,
}


# ---------------------------------------------------------------- model <-> API dicts

ModelEntity = Tag | Trigger | Variable | Folder | CustomTemplate


WRITERS_BY_KIND: dict[EntityKind, Callable[[Container, Any], ApiDict]] = {
    "folder": folder_to_json,
    "customTemplate": template_to_json,
    "variable": variable_to_json,
    "trigger": trigger_to_json,
    "tag": tag_to_json,
}


def export_dict(container: Container, kind: EntityKind, entity: ModelEntity) -> ApiDict:
    """An entity as the export writer spells it, without server-set keys."""
    writer = WRITERS_BY_KIND[kind]
    return {k: v for k, v in writer(container, entity).items() if k not in SERVER_KEYS}


def to_api(kind: EntityKind, exported: Mapping[str, Any]) -> ApiDict:
    """An export-spelled entity dict in API spelling."""
    return CONVERTERS_BY_KIND[kind](exported, TO_API)


def built_in_api_type(built_in: BuiltInVariable) -> str:
    """The API enum of a built-in variable (`CLICK_URL` -> `clickUrl`)."""
    return api_enum(built_in.type)


def container_from_api(
    entities: Mapping[EntityKind, Iterable[Mapping[str, Any]]], account_id: str, container_id: str, public_id: str = ""
) -> Container:
    """A Container from API entity dicts (a workspace's lists, or a container version)."""
    version: ApiDict = {
        "accountId": account_id,
        "containerId": container_id,
        "container": {"accountId": account_id, "containerId": container_id, "publicId": public_id},
    }
    for kind, items in entities.items():
        converted = [_from_api(kind, item) for item in items]
        version[COLLECTION_BY_KIND[kind]] = converted
    for built_in in version.get("builtInVariable", ()):
        built_in.setdefault("name", BUILT_IN_VARIABLE_NAMES_BY_TYPE.get(built_in["type"], built_in["type"]))
    return read_export(version, f"accounts/{account_id}/containers/{container_id}")


def _from_api(kind: EntityKind, item: Mapping[str, Any]) -> ApiDict:
    kept = {k: v for k, v in item.items() if k not in SERVER_KEYS}
    return CONVERTERS_BY_KIND[kind](kept, FROM_API)
