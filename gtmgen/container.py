"""The GTM web-container model shared by the compiler, emitter, publisher, simulator and audit.

Frozen values, no I/O. Spellings follow the export format (UPPER_SNAKE enums such as
`CUSTOM_EVENT`, `EQUALS`, `ONCE_PER_EVENT`; ../shared/reference/gtm-export-format.md).
The publisher converts to the API's lowerCamel spellings at its edge.

Entities keep keys gtmgen does not model in `extra` (ordered key/value pairs of raw
JSON), so a container read from a foreign export is written back without loss.
"""

from __future__ import annotations

import builtins
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Union

JsonValue = Union[str, int, float, bool, None, list["JsonValue"], dict[str, "JsonValue"]]  # noqa: UP007
Extra = tuple[tuple[str, JsonValue], ...]

# Built-in triggers that tags reference by id without a `trigger[]` entry (format §4).
ALL_PAGES_TRIGGER_ID = "2147479553"
INITIALIZATION_TRIGGER_ID = "2147479573"
CONSENT_INITIALIZATION_TRIGGER_ID = "2147479572"
BUILT_IN_TRIGGER_NAMES_BY_ID: dict[str, str] = {
    CONSENT_INITIALIZATION_TRIGGER_ID: "Consent Initialization - All Pages",
    INITIALIZATION_TRIGGER_ID: "Initialization - All Pages",
    ALL_PAGES_TRIGGER_ID: "All Pages",
}

ParameterType = Literal["TEMPLATE", "BOOLEAN", "INTEGER", "LIST", "MAP", "TAG_REFERENCE", "TRIGGER_REFERENCE"]
ConsentStatus = Literal["NOT_SET", "NOT_NEEDED", "NEEDED"]
EntityKind = Literal["folder", "builtInVariable", "variable", "trigger", "tag", "customTemplate"]

# Enabled built-in variables: export TYPE -> the display name used inside {{...}} (format §7).
BUILT_IN_VARIABLE_NAMES_BY_TYPE: dict[str, str] = {
    "EVENT": "Event",
    "PAGE_URL": "Page URL",
    "PAGE_HOSTNAME": "Page Hostname",
    "PAGE_PATH": "Page Path",
    "REFERRER": "Referrer",
    "CLICK_ELEMENT": "Click Element",
    "CLICK_CLASSES": "Click Classes",
    "CLICK_ID": "Click ID",
    "CLICK_TARGET": "Click Target",
    "CLICK_URL": "Click URL",
    "CLICK_TEXT": "Click Text",
    "FORM_ELEMENT": "Form Element",
    "FORM_CLASSES": "Form Classes",
    "FORM_ID": "Form ID",
    "FORM_TARGET": "Form Target",
    "FORM_URL": "Form URL",
    "FORM_TEXT": "Form Text",
    "HISTORY_SOURCE": "History Source",
    "NEW_HISTORY_FRAGMENT": "New History Fragment",
    "OLD_HISTORY_FRAGMENT": "Old History Fragment",
    "NEW_HISTORY_STATE": "New History State",
    "OLD_HISTORY_STATE": "Old History State",
    "VIDEO_PROVIDER": "Video Provider",
    "VIDEO_URL": "Video URL",
    "VIDEO_TITLE": "Video Title",
    "VIDEO_DURATION": "Video Duration",
    "VIDEO_PERCENT": "Video Percent",
    "VIDEO_VISIBLE": "Video Visible",
    "VIDEO_STATUS": "Video Status",
    "VIDEO_CURRENT_TIME": "Video Current Time",
    "SCROLL_DEPTH_THRESHOLD": "Scroll Depth Threshold",
    "SCROLL_DEPTH_UNITS": "Scroll Depth Units",
    "SCROLL_DEPTH_DIRECTION": "Scroll Direction",
    "ELEMENT_VISIBILITY_RATIO": "Percent Visible",
    "ELEMENT_VISIBILITY_TIME": "On-Screen Duration",
    "ERROR_MESSAGE": "Error Message",
    "ERROR_URL": "Error URL",
    "ERROR_LINE": "Error Line",
    "CONTAINER_ID": "Container ID",
    "CONTAINER_VERSION": "Container Version",
    "DEBUG_MODE": "Debug Mode",
    "RANDOM_NUMBER": "Random Number",
    "HTML_ID": "HTML ID",
    "ENVIRONMENT_NAME": "Environment Name",
}
BUILT_IN_VARIABLE_TYPES_BY_NAME: dict[str, str] = {v: k for k, v in BUILT_IN_VARIABLE_NAMES_BY_TYPE.items()}

# `{{_event}}` is GTM's internal event-name variable: used by CUSTOM_EVENT filters, never listed.
INTERNAL_VARIABLE_NAMES = frozenset({"_event"})

VARIABLE_REFERENCE = re.compile(r"\{\{([^{}]+)\}\}")


@dataclass(frozen=True, slots=True)
class Parameter:
    """A GTM parameter: a scalar (`value`), a `LIST` of parameters or a `MAP` of keyed ones."""

    type: str
    key: str | None = None
    value: str | None = None
    list: tuple[Parameter, ...] | None = None
    map: tuple[Parameter, ...] | None = None

    @staticmethod
    def template(key: str | None, value: str | None) -> Parameter:
        return Parameter("TEMPLATE", key, value or None)

    @staticmethod
    def boolean(key: str | None, value: bool) -> Parameter:
        return Parameter("BOOLEAN", key, "true" if value else "false")

    @staticmethod
    def integer(key: str | None, value: int) -> Parameter:
        return Parameter("INTEGER", key, str(value))

    @staticmethod
    def list_of(key: str | None, items: Iterable[Parameter]) -> Parameter:
        return Parameter("LIST", key, list=tuple(items))

    @staticmethod
    def map_of(items: Iterable[Parameter], key: str | None = None) -> Parameter:
        return Parameter("MAP", key, map=tuple(items))

    @staticmethod
    def table(key: str, rows: Iterable[tuple[str, str]], columns: tuple[str, str]) -> Parameter:
        """A LIST of two-column MAP rows, e.g. `eventSettingsTable` (`parameter`/`parameterValue`)."""
        left, right = columns
        return Parameter.list_of(
            key,
            (Parameter.map_of((Parameter.template(left, a), Parameter.template(right, b))) for a, b in rows),
        )

    def get(self, key: str) -> Parameter | None:
        """The entry named `key` of a MAP parameter."""
        return find_parameter(self.map or (), key)

    def rows(self) -> builtins.list[dict[str, str]]:
        """A LIST of MAPs as plain dicts of their scalar values (table rows)."""
        return [{p.key or "": p.value or "" for p in item.map or ()} for item in self.list or ()]

    def walk(self) -> Iterator[Parameter]:
        """This parameter and every nested one."""
        yield self
        for child in (self.list or ()) + (self.map or ()):
            yield from child.walk()


def find_parameter(parameters: Iterable[Parameter], key: str) -> Parameter | None:
    """The first parameter with this key, or None."""
    return next((p for p in parameters if p.key == key), None)


def parameter_value(parameters: Iterable[Parameter], key: str, default: str = "") -> str:
    """The scalar value of the parameter with this key (empty when absent)."""
    found = find_parameter(parameters, key)
    return found.value if found is not None and found.value is not None else default


@dataclass(frozen=True, slots=True)
class Condition:
    """A trigger condition: `{{arg0}} OP arg1`, optionally negated or case-insensitive."""

    type: str
    parameter: tuple[Parameter, ...]

    @staticmethod
    def of(op: str, arg0: str, arg1: str, *, negate: bool = False, ignore_case: bool = False) -> Condition:
        params = [Parameter.template("arg0", arg0), Parameter.template("arg1", arg1)]
        if ignore_case:
            params.append(Parameter.boolean("ignore_case", True))
        if negate:
            params.append(Parameter.boolean("negate", True))
        return Condition(op, tuple(params))

    @property
    def arg0(self) -> str:
        return parameter_value(self.parameter, "arg0")

    @property
    def arg1(self) -> str:
        return parameter_value(self.parameter, "arg1")

    @property
    def negate(self) -> bool:
        return parameter_value(self.parameter, "negate") == "true"

    @property
    def ignore_case(self) -> bool:
        return parameter_value(self.parameter, "ignore_case") == "true"


@dataclass(frozen=True, slots=True)
class ConsentSettings:
    """A tag's additional-consent setting: NOT_SET, NOT_NEEDED, or NEEDED with consent types."""

    status: str = "NOT_SET"
    types: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Folder:
    folder_id: str
    name: str
    notes: str = ""
    extra: Extra = ()


@dataclass(frozen=True, slots=True)
class BuiltInVariable:
    type: str
    name: str


@dataclass(frozen=True, slots=True)
class Variable:
    variable_id: str
    name: str
    type: str
    parameter: tuple[Parameter, ...] = ()
    notes: str = ""
    parent_folder_id: str | None = None
    format_value: JsonValue = field(default_factory=dict)  # None: the export had no formatValue
    extra: Extra = ()

    def param(self, key: str, default: str = "") -> str:
        return parameter_value(self.parameter, key, default)


@dataclass(frozen=True, slots=True)
class Trigger:
    """A trigger. `special` holds the key-less top-level parameter objects of LINK_CLICK and
    TIMER triggers (`waitForTags`, `checkValidation`, `eventName`, `interval`, ...) in order."""

    trigger_id: str
    name: str
    type: str
    custom_event_filter: tuple[Condition, ...] = ()
    filter: tuple[Condition, ...] = ()
    auto_event_filter: tuple[Condition, ...] = ()
    special: tuple[tuple[str, Parameter], ...] = ()
    parameter: tuple[Parameter, ...] = ()
    notes: str = ""
    parent_folder_id: str | None = None
    extra: Extra = ()

    def param(self, key: str, default: str = "") -> str:
        return parameter_value(self.parameter, key, default)

    def special_value(self, key: str, default: str = "") -> str:
        found = dict(self.special).get(key)
        return found.value if found is not None and found.value is not None else default


@dataclass(frozen=True, slots=True)
class Tag:
    tag_id: str
    name: str
    type: str
    parameter: tuple[Parameter, ...] = ()
    firing_trigger_ids: tuple[str, ...] = ()
    blocking_trigger_ids: tuple[str, ...] = ()
    tag_firing_option: str = "ONCE_PER_EVENT"
    consent: ConsentSettings | None = field(default_factory=ConsentSettings)
    notes: str = ""
    priority: int | None = None
    setup_tag: str | None = None
    setup_stop_on_failure: bool = False
    teardown_tag: str | None = None
    paused: bool = False
    parent_folder_id: str | None = None
    extra: Extra = ()

    def param(self, key: str, default: str = "") -> str:
        return parameter_value(self.parameter, key, default)


@dataclass(frozen=True, slots=True)
class CustomTemplate:
    template_id: str
    name: str
    template_data: str
    gallery_reference: JsonValue = None
    extra: Extra = ()


@dataclass(frozen=True, slots=True)
class Container:
    """A whole web container (one container version or workspace export)."""

    account_id: str
    container_id: str
    public_id: str
    name: str
    tags: tuple[Tag, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    variables: tuple[Variable, ...] = ()
    folders: tuple[Folder, ...] = ()
    built_in_variables: tuple[BuiltInVariable, ...] = ()
    custom_templates: tuple[CustomTemplate, ...] = ()
    version_id: str = "0"
    version_name: str = ""
    description: str = ""
    container_extra: Extra = ()

    def tag_named(self, name: str) -> Tag | None:
        return next((t for t in self.tags if t.name == name), None)

    def trigger_by_id(self, trigger_id: str) -> Trigger | None:
        return next((t for t in self.triggers if t.trigger_id == trigger_id), None)

    def trigger_named(self, name: str) -> Trigger | None:
        return next((t for t in self.triggers if t.name == name), None)

    def variable_named(self, name: str) -> Variable | None:
        return next((v for v in self.variables if v.name == name), None)

    def folder_by_id(self, folder_id: str) -> Folder | None:
        return next((f for f in self.folders if f.folder_id == folder_id), None)

    def trigger_name(self, trigger_id: str) -> str:
        """A trigger's name by id, including GTM's built-in triggers."""
        if trigger_id in BUILT_IN_TRIGGER_NAMES_BY_ID:
            return BUILT_IN_TRIGGER_NAMES_BY_ID[trigger_id]
        found = self.trigger_by_id(trigger_id)
        return found.name if found is not None else f"<missing trigger {trigger_id}>"

    def enabled_built_in_names(self) -> frozenset[str]:
        return frozenset(b.name for b in self.built_in_variables)


def variable_references(text: str) -> list[str]:
    """The names inside every `{{...}}` of a string, in order."""
    return VARIABLE_REFERENCE.findall(text)


# Every entity gtmgen writes carries this first line in its notes; the publisher only ever
# updates or deletes entities whose notes start with it.
OWNERSHIP_MARKER = "managed-by: gtmgen"


def ownership_notes(source: str, description: str = "") -> str:
    """The notes of a gtmgen entity: the marker, the spec key it came from, what it does."""
    lines = [OWNERSHIP_MARKER, f"source: {source}"]
    if description:
        lines.append(description)
    return "\n".join(lines)


def is_owned(notes: str) -> bool:
    """Whether an entity's notes mark it as gtmgen's."""
    return notes.startswith(OWNERSHIP_MARKER)
