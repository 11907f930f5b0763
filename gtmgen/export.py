"""Reading and writing GTM export JSON (exportFormatVersion 2) to and from the container model.

`read_export` accepts any web-container export GTM has written since 2018 (keys it does not
model are kept in `extra`); `container_to_export` writes the canonical key order that GTM
itself uses (gtm-export-format.md §2, §4-§6), and `dump_export` the exact bytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from gtmgen.container import (
    BuiltInVariable,
    Condition,
    ConsentSettings,
    Container,
    CustomTemplate,
    Extra,
    Folder,
    JsonValue,
    Parameter,
    Tag,
    Trigger,
    Variable,
)
from gtmgen.errors import ContainerFormatError

ExportDict = dict[str, Any]

TRIGGER_SPECIAL_KEYS = (
    "waitForTags",
    "checkValidation",
    "waitForTagsTimeout",
    "uniqueTriggerId",
    "eventName",
    "interval",
    "limit",
    "intervalSeconds",
    "maxTimerLengthSeconds",
    "selector",
    "visibilitySelector",
    "visiblePercentageMin",
    "visiblePercentageMax",
    "continuousTimeMinMilliseconds",
    "totalTimeMinMilliseconds",
    "horizontalScrollPercentageList",
    "verticalScrollPercentageList",
)
_TAG_KEYS = frozenset(
    "accountId containerId tagId name type notes priority parameter fingerprint firingTriggerId "
    "blockingTriggerId setupTag teardownTag parentFolderId tagFiringOption paused monitoringMetadata "
    "consentSettings".split()
)
_TRIGGER_KEYS = frozenset(
    "accountId containerId triggerId name type customEventFilter filter autoEventFilter fingerprint "
    "parentFolderId parameter notes".split()
) | frozenset(TRIGGER_SPECIAL_KEYS)
_VARIABLE_KEYS = frozenset(
    "accountId containerId variableId name type notes parameter fingerprint parentFolderId formatValue".split()
)
_FOLDER_KEYS = frozenset("accountId containerId folderId name notes fingerprint".split())
_TEMPLATE_KEYS = frozenset("accountId containerId templateId name fingerprint templateData galleryReference".split())
_CONTAINER_KEYS = frozenset("path accountId containerId name publicId".split())


# ---------------------------------------------------------------- reading


def load_export(path: Path) -> Container:
    """Read an export file; raise ContainerFormatError with the file name on any problem."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ContainerFormatError(str(path), "file not found") from None
    except UnicodeDecodeError:
        raise ContainerFormatError(str(path), "file is not UTF-8 text") from None
    except json.JSONDecodeError as error:
        raise ContainerFormatError(str(path), f"not JSON: {error.msg} at line {error.lineno}") from None
    return read_export(data, str(path))


def read_export(data: object, source: str = "<container>") -> Container:
    """Turn a parsed export (the whole file, or just its containerVersion) into a Container."""
    if not isinstance(data, Mapping):
        raise ContainerFormatError(source, "a container export is a JSON object")
    version = data.get("containerVersion", data)
    if not isinstance(version, Mapping) or not any(k in version for k in ("container", "tag", "trigger")):
        raise ContainerFormatError(source, "no containerVersion found: is this a GTM container export?")
    try:
        return _read_version(version)
    except (KeyError, TypeError, AttributeError, ValueError) as error:
        raise ContainerFormatError(source, f"unexpected export shape: {error!r}") from None


def _read_version(version: Mapping[str, Any]) -> Container:
    container = version.get("container") or {}
    return Container(
        account_id=str(version.get("accountId", container.get("accountId", ""))),
        container_id=str(version.get("containerId", container.get("containerId", ""))),
        public_id=str(container.get("publicId", "")),
        name=str(container.get("name", "")),
        tags=tuple(_read_tag(t) for t in version.get("tag") or ()),
        triggers=tuple(_read_trigger(t) for t in version.get("trigger") or ()),
        variables=tuple(_read_variable(v) for v in version.get("variable") or ()),
        folders=tuple(_read_folder(f) for f in version.get("folder") or ()),
        built_in_variables=tuple(
            BuiltInVariable(str(b["type"]), str(b.get("name", ""))) for b in version.get("builtInVariable") or ()
        ),
        custom_templates=tuple(_read_template(t) for t in version.get("customTemplate") or ()),
        version_id=str(version.get("containerVersionId", "0")),
        version_name=str(version.get("name", "")),
        description=str(version.get("description", "")),
        container_extra=_extra(container, _CONTAINER_KEYS),
    )


def read_parameter(raw: Mapping[str, Any]) -> Parameter:
    """A parameter object (recursively)."""
    items = raw.get("list")
    entries = raw.get("map")
    return Parameter(
        type=str(raw.get("type", "TEMPLATE")),
        key=raw.get("key"),
        value=None if raw.get("value") is None else str(raw["value"]),
        list=None if items is None else tuple(read_parameter(p) for p in items),
        map=None if entries is None else tuple(read_parameter(p) for p in entries),
    )


def _parameters(raw: object) -> tuple[Parameter, ...]:
    return tuple(read_parameter(p) for p in cast(Iterable[Mapping[str, Any]], raw or ()))


def _conditions(raw: object) -> tuple[Condition, ...]:
    return tuple(
        Condition(str(c["type"]), _parameters(c.get("parameter"))) for c in cast(Iterable[Mapping[str, Any]], raw or ())
    )


def _extra(raw: Mapping[str, Any], known: frozenset[str]) -> Extra:
    return tuple((k, cast(JsonValue, v)) for k, v in raw.items() if k not in known)


def _read_consent(raw: Mapping[str, Any] | None) -> ConsentSettings | None:
    if raw is None:
        return None
    types = raw.get("consentType") or {}
    return ConsentSettings(
        status=str(raw.get("consentStatus", "NOT_SET")),
        types=tuple(str(p.get("value", "")) for p in types.get("list") or ()),
    )


def _read_tag(raw: Mapping[str, Any]) -> Tag:
    priority = raw.get("priority")
    setup = (raw.get("setupTag") or [{}])[0]
    teardown = (raw.get("teardownTag") or [{}])[0]
    return Tag(
        tag_id=str(raw.get("tagId", "")),
        name=str(raw["name"]),
        type=str(raw["type"]),
        parameter=_parameters(raw.get("parameter")),
        firing_trigger_ids=tuple(str(i) for i in raw.get("firingTriggerId") or ()),
        blocking_trigger_ids=tuple(str(i) for i in raw.get("blockingTriggerId") or ()),
        tag_firing_option=str(raw.get("tagFiringOption", "ONCE_PER_EVENT")),
        consent=_read_consent(raw.get("consentSettings")),
        notes=str(raw.get("notes", "")),
        priority=int(priority["value"]) if priority and priority.get("value") else None,
        setup_tag=setup.get("tagName"),
        setup_stop_on_failure=bool(setup.get("stopOnSetupFailure", False)),
        teardown_tag=teardown.get("tagName"),
        paused=bool(raw.get("paused", False)),
        parent_folder_id=raw.get("parentFolderId"),
        extra=_extra(raw, _TAG_KEYS),
    )


def _read_trigger(raw: Mapping[str, Any]) -> Trigger:
    return Trigger(
        trigger_id=str(raw.get("triggerId", "")),
        name=str(raw["name"]),
        type=str(raw["type"]),
        custom_event_filter=_conditions(raw.get("customEventFilter")),
        filter=_conditions(raw.get("filter")),
        auto_event_filter=_conditions(raw.get("autoEventFilter")),
        special=tuple((k, read_parameter(raw[k])) for k in TRIGGER_SPECIAL_KEYS if k in raw),
        parameter=_parameters(raw.get("parameter")),
        notes=str(raw.get("notes", "")),
        parent_folder_id=raw.get("parentFolderId"),
        extra=_extra(raw, _TRIGGER_KEYS),
    )


def _read_variable(raw: Mapping[str, Any]) -> Variable:
    return Variable(
        variable_id=str(raw.get("variableId", "")),
        name=str(raw["name"]),
        type=str(raw["type"]),
        parameter=_parameters(raw.get("parameter")),
        notes=str(raw.get("notes", "")),
        parent_folder_id=raw.get("parentFolderId"),
        format_value=raw.get("formatValue"),
        extra=_extra(raw, _VARIABLE_KEYS),
    )


def _read_folder(raw: Mapping[str, Any]) -> Folder:
    return Folder(str(raw.get("folderId", "")), str(raw["name"]), str(raw.get("notes", "")), _extra(raw, _FOLDER_KEYS))


def _read_template(raw: Mapping[str, Any]) -> CustomTemplate:
    return CustomTemplate(
        template_id=str(raw.get("templateId", "")),
        name=str(raw["name"]),
        template_data=str(raw.get("templateData", "")),
        gallery_reference=raw.get("galleryReference"),
        extra=_extra(raw, _TEMPLATE_KEYS),
    )


# ---------------------------------------------------------------- writing

FINGERPRINT = "0000000000000"  # Google's own importable sample uses this (format §9 rule 12).

CONTAINER_FEATURES: tuple[tuple[str, bool], ...] = (
    ("supportUserPermissions", True),
    ("supportEnvironments", True),
    ("supportWorkspaces", True),
    ("supportGtagConfigs", False),
    ("supportBuiltInVariables", True),
    ("supportClients", False),
    ("supportFolders", True),
    ("supportTags", True),
    ("supportTemplates", True),
    ("supportTriggers", True),
    ("supportVariables", True),
    ("supportVersions", True),
    ("supportZones", True),
    ("supportTransformations", False),
)


def parameter_to_json(p: Parameter) -> dict[str, Any]:
    """A parameter as GTM writes it: `type` first, no `value` when empty (format §3)."""
    out: dict[str, Any] = {"type": p.type}
    if p.key is not None:
        out["key"] = p.key
    if p.value is not None and p.value != "":
        out["value"] = p.value
    if p.list is not None:
        out["list"] = [parameter_to_json(i) for i in p.list]
    if p.map is not None:
        out["map"] = [parameter_to_json(i) for i in p.map]
    return out


def _conditions_json(conditions: Sequence[Condition]) -> list[dict[str, Any]]:
    return [{"type": c.type, "parameter": [parameter_to_json(p) for p in c.parameter]} for c in conditions]


def _ids(c: Container) -> dict[str, Any]:
    return {"accountId": c.account_id, "containerId": c.container_id}


def _put(out: dict[str, Any], key: str, value: Any) -> None:
    """Set a key unless the value is empty (GTM omits empty arrays and strings)."""
    if value not in (None, "", [], (), {}):
        out[key] = value


def _consent_json(consent: ConsentSettings) -> dict[str, Any]:
    out: dict[str, Any] = {"consentStatus": consent.status}
    if consent.types:
        out["consentType"] = parameter_to_json(
            Parameter.list_of(None, (Parameter.template(None, t) for t in consent.types))
        )
    return out


TAG_KEY_ORDER = (
    "accountId containerId tagId name type notes priority parameter fingerprint firingTriggerId blockingTriggerId "
    "setupTag teardownTag parentFolderId tagFiringOption paused monitoringMetadata monitoringMetadataTagNameKey "
    "consentSettings"
).split()


def _in_order(out: dict[str, Any], order: Sequence[str]) -> dict[str, Any]:
    """Keys in GTM's canonical order; keys it does not list keep their place at the end."""
    rank = {key: i for i, key in enumerate(order)}
    return dict(sorted(out.items(), key=lambda item: rank.get(item[0], len(order))))


def tag_to_json(c: Container, t: Tag) -> dict[str, Any]:
    out = _ids(c) | {"tagId": t.tag_id, "name": t.name, "type": t.type}
    _put(out, "notes", t.notes)
    if t.priority is not None:
        out["priority"] = parameter_to_json(Parameter.integer(None, t.priority))
    _put(out, "parameter", [parameter_to_json(p) for p in t.parameter])
    out["fingerprint"] = FINGERPRINT
    _put(out, "firingTriggerId", list(t.firing_trigger_ids))
    _put(out, "blockingTriggerId", list(t.blocking_trigger_ids))
    if t.setup_tag:
        out["setupTag"] = [{"tagName": t.setup_tag} | ({"stopOnSetupFailure": True} if t.setup_stop_on_failure else {})]
    if t.teardown_tag:
        out["teardownTag"] = [{"tagName": t.teardown_tag}]
    _put(out, "parentFolderId", t.parent_folder_id)
    out["tagFiringOption"] = t.tag_firing_option
    if t.paused:
        out["paused"] = True
    out["monitoringMetadata"] = {"type": "MAP"}
    if t.consent is not None:
        out["consentSettings"] = _consent_json(t.consent)
    return _in_order(out | dict(t.extra), TAG_KEY_ORDER)


def trigger_to_json(c: Container, t: Trigger) -> dict[str, Any]:
    out = _ids(c) | {"triggerId": t.trigger_id, "name": t.name, "type": t.type}
    _put(out, "customEventFilter", _conditions_json(t.custom_event_filter))
    _put(out, "filter", _conditions_json(t.filter))
    _put(out, "autoEventFilter", _conditions_json(t.auto_event_filter))
    for key, param in t.special:
        out[key] = parameter_to_json(param)
    out["fingerprint"] = FINGERPRINT
    _put(out, "parentFolderId", t.parent_folder_id)
    _put(out, "parameter", [parameter_to_json(p) for p in t.parameter])
    _put(out, "notes", t.notes)
    return out | dict(t.extra)


def variable_to_json(c: Container, v: Variable) -> dict[str, Any]:
    out = _ids(c) | {"variableId": v.variable_id, "name": v.name, "type": v.type}
    _put(out, "notes", v.notes)
    _put(out, "parameter", [parameter_to_json(p) for p in v.parameter])
    out["fingerprint"] = FINGERPRINT
    _put(out, "parentFolderId", v.parent_folder_id)
    if v.format_value is not None:
        out["formatValue"] = v.format_value
    return out | dict(v.extra)


def folder_to_json(c: Container, f: Folder) -> dict[str, Any]:
    out = _ids(c) | {"folderId": f.folder_id, "name": f.name}
    _put(out, "notes", f.notes)
    out["fingerprint"] = FINGERPRINT
    return out | dict(f.extra)


def template_to_json(c: Container, t: CustomTemplate) -> dict[str, Any]:
    out = _ids(c) | {"templateId": t.template_id, "name": t.name, "fingerprint": FINGERPRINT}
    out["templateData"] = t.template_data
    _put(out, "galleryReference", t.gallery_reference)
    return out | dict(t.extra)


def _container_json(c: Container) -> dict[str, Any]:
    base = f"accounts/{c.account_id}/containers/{c.container_id}"
    out = {"path": base} | _ids(c) | {"name": c.name, "publicId": c.public_id, "usageContext": ["WEB"]}
    out["fingerprint"] = FINGERPRINT
    out["tagManagerUrl"] = f"https://tagmanager.google.com/#/container/{base}/workspaces?apiLink=container"
    out["features"] = dict(CONTAINER_FEATURES)
    out["tagIds"] = [c.public_id]
    return out | dict(c.container_extra)


def container_to_export(c: Container, export_time: str) -> ExportDict:
    """The whole export document in GTM's canonical key order (format §1-§2)."""
    base = f"accounts/{c.account_id}/containers/{c.container_id}"
    version: dict[str, Any] = {"path": f"{base}/versions/{c.version_id}"} | _ids(c)
    version["containerVersionId"] = c.version_id
    _put(version, "name", c.version_name)
    _put(version, "description", c.description)
    version["container"] = _container_json(c)
    _put(version, "tag", [tag_to_json(c, t) for t in c.tags])
    _put(version, "trigger", [trigger_to_json(c, t) for t in c.triggers])
    _put(version, "variable", [variable_to_json(c, v) for v in c.variables])
    _put(version, "folder", [folder_to_json(c, f) for f in c.folders])
    _put(version, "builtInVariable", [_ids(c) | {"type": b.type, "name": b.name} for b in c.built_in_variables])
    version["fingerprint"] = FINGERPRINT
    version["tagManagerUrl"] = (
        f"https://tagmanager.google.com/#/versions/{base}/versions/{c.version_id}?apiLink=version"
    )
    _put(version, "customTemplate", [template_to_json(c, t) for t in c.custom_templates])
    return {"exportFormatVersion": 2, "exportTime": export_time, "containerVersion": version}


def dump_export(document: ExportDict) -> bytes:
    """The bytes GTM writes: 4-space indent, literal non-ASCII, trailing newline."""
    return (json.dumps(document, indent=4, ensure_ascii=False) + "\n").encode("utf-8")
