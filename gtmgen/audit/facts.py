"""What a container's tags mean: platform, role, ids and event, read once and shared by the
audit rules and the importer.

Recognition follows ../shared/reference/gtm-export-format.md §4 (tag types and parameter keys)
and tracking-domain.md (§1-§2: which tag observes, which confirms). Ids behind `{{constant}}`
variables are resolved; anything that cannot be recognised gets platform None and role
"other", so nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Literal

from gtmgen.audit.texts import (
    html_meta_calls,
    html_object_keys,
    is_consent_template,
    is_ga4_conversion_event,
    is_meta_template,
    table_fields,
)
from gtmgen.container import (
    ALL_PAGES_TRIGGER_ID,
    BUILT_IN_TRIGGER_NAMES_BY_ID,
    CONSENT_INITIALIZATION_TRIGGER_ID,
    INITIALIZATION_TRIGGER_ID,
    Container,
    CustomTemplate,
    Tag,
    Trigger,
    Variable,
    is_owned,
    variable_references,
)
from gtmgen.names import META_CONVERSION_EVENTS

Platform = Literal["ga4", "google_ads", "meta", "floodlight", "universal_analytics"]
Role = Literal["base", "event", "conversion", "remarketing", "linker", "user_data", "consent", "other"]
PLATFORM_LABELS: dict[str, str] = {
    "ga4": "GA4",
    "google_ads": "Google Ads",
    "meta": "Meta",
    "floodlight": "Floodlight",
    "universal_analytics": "Universal Analytics",
}

# Order in which GTM fires its page-load moments (tracking-domain §0.1); events come after.
STAGE_BY_TRIGGER_TYPE: dict[str, int] = {
    "CONSENT_INIT": 0,
    "INIT": 1,
    "PAGEVIEW": 2,
    "DOM_READY": 3,
    "WINDOW_LOADED": 4,
}
STAGE_BY_BUILT_IN_ID: dict[str, int] = {
    CONSENT_INITIALIZATION_TRIGGER_ID: 0,
    INITIALIZATION_TRIGGER_ID: 1,
    ALL_PAGES_TRIGGER_ID: 2,
}
EVENT_STAGE = 5

# Tag types gtmgen's audit knows by their type code (format §4); `cvt_` types go by template.
KNOWN_TAG_TYPES = frozenset("googtag gaawe gaawc awct awud sp gclidw fls html ua img awc awj hjtc".split())

_GTAG_CONFIG = re.compile(r"""gtag\(\s*['"]config['"]\s*,\s*['"]((?:AW|G|GT)-[\w-]+)""")
_GTAG_CONSENT_DEFAULT = re.compile(r"""gtag\(\s*['"]consent['"]\s*,\s*['"]default['"]""")


@dataclass(frozen=True, slots=True)
class TagInfo:
    """One tag as the audit sees it."""

    tag: Tag
    platform: Platform | None
    role: Role
    ids: tuple[str, ...] = ()
    events: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return self.tag.name

    @property
    def observes(self) -> bool:
        return self.role in ("base", "remarketing") or (self.role == "event" and self.platform == "meta")

    @property
    def confirms(self) -> bool:
        return self.role == "conversion"


_Reader = Callable[["ContainerFacts", Tag], TagInfo]


def meta_role(event: str) -> Role:
    if event == "PageView":
        return "base"
    return "conversion" if event in META_CONVERSION_EVENTS else "event"


class ContainerFacts:
    """A container plus what its tags, triggers and variables mean (computed lazily, once)."""

    def __init__(self, container: Container) -> None:
        self.container = container
        self._variables = {v.name: v for v in container.variables}
        self._triggers = {t.trigger_id: t for t in container.triggers}

    # ------------------------------------------------------------ variables

    def variable(self, name: str) -> Variable | None:
        return self._variables.get(name)

    def resolve(self, text: str, depth: int = 0) -> str:
        """A `{{Constant}}` reference replaced by its value (recursively); other text as is."""
        names = variable_references(text)
        if depth > 5 or len(names) != 1 or text.strip() != "{{" + names[0] + "}}":
            return text
        found = self._variables.get(names[0])
        if found is None or found.type != "c":
            return text
        return self.resolve(found.param("value"), depth + 1)

    def datalayer_key(self, text: str) -> str | None:
        """The dataLayer key behind a `{{Data Layer Variable}}` reference, if that is what it is."""
        names = variable_references(text)
        if len(names) != 1 or text.strip() != "{{" + names[0] + "}}":
            return None
        found = self._variables.get(names[0])
        return (found.param("name") or None) if found is not None and found.type == "v" else None

    def event_fields(self, tag: Tag) -> dict[str, str]:
        """A tag's event data as `name -> value`: scalar parameters, table rows and the rows of
        a settings variable (`eventSettingsVariable`); for Custom HTML, the keys of its fbq objects
        and the keys it sets on them (`params["value"] = number`)."""
        if tag.type == "html":
            return {key: "" for key in html_object_keys(tag.param("html"))}
        fields = {p.key or "": p.value or "" for p in tag.parameter if p.value is not None}
        for p in tag.parameter:
            fields |= table_fields(p.rows()) if p.type == "LIST" else {}
        for name in variable_references(tag.param("eventSettingsVariable")):
            settings = self._variables.get(name)
            for p in settings.parameter if settings else ():
                fields |= table_fields(p.rows()) if p.type == "LIST" else {}
        return fields

    # ------------------------------------------------------------ templates

    def template_of(self, tag_type: str) -> CustomTemplate | None:
        """The custom template behind a `cvt_` type (gallery id or container-local id)."""
        if not tag_type.startswith("cvt_"):
            return None
        suffix = tag_type.removeprefix("cvt_")
        for template in self.container.custom_templates:
            gallery = template.gallery_reference if isinstance(template.gallery_reference, dict) else {}
            local = f"{self.container.container_id}_{template.template_id}"
            if suffix in (gallery.get("galleryTemplateId"), local) or suffix.endswith(f"_{template.template_id}"):
                return template
        return None

    # ------------------------------------------------------------ triggers

    def trigger(self, trigger_id: str) -> Trigger | None:
        return self._triggers.get(trigger_id)

    def stage(self, trigger_id: str) -> int:
        """When in a page's life the trigger fires: 0 consent init ... 4 window loaded, 5 events."""
        if trigger_id in STAGE_BY_BUILT_IN_ID:
            return STAGE_BY_BUILT_IN_ID[trigger_id]
        trigger = self._triggers.get(trigger_id)
        return STAGE_BY_TRIGGER_TYPE.get(trigger.type, EVENT_STAGE) if trigger else EVENT_STAGE

    def is_every_page(self, trigger_id: str) -> bool:
        """A page-load trigger without conditions: fires once on every page."""
        if trigger_id in BUILT_IN_TRIGGER_NAMES_BY_ID:
            return True
        trigger = self._triggers.get(trigger_id)
        return trigger is not None and trigger.type in STAGE_BY_TRIGGER_TYPE and not trigger.filter

    def fires_on_every_page(self, tag: Tag) -> bool:
        return any(self.is_every_page(i) for i in tag.firing_trigger_ids) and not tag.blocking_trigger_ids

    def page_load_triggers(self, tag: Tag) -> list[str]:
        return [i for i in tag.firing_trigger_ids if self.stage(i) < EVENT_STAGE]

    # ------------------------------------------------------------ tags

    @cached_property
    def tags(self) -> tuple[TagInfo, ...]:
        return tuple(self.classify(t) for t in self.container.tags)

    @cached_property
    def active_tags(self) -> tuple[TagInfo, ...]:
        """Tags that can fire: not paused and with at least one firing trigger."""
        return tuple(i for i in self.tags if not i.tag.paused and i.tag.firing_trigger_ids)

    def of_platform(self, platform: Platform, roles: Iterable[Role] | None = None) -> list[TagInfo]:
        wanted = set(roles) if roles is not None else None
        return [i for i in self.active_tags if i.platform == platform and (wanted is None or i.role in wanted)]

    def classify(self, tag: Tag) -> TagInfo:
        return _spec_role(self._read(tag))

    def _read(self, tag: Tag) -> TagInfo:
        reader = _READERS_BY_TYPE.get(tag.type)
        if reader is not None:
            return reader(self, tag)
        if tag.type.startswith("cvt_"):
            return _read_template_tag(self, tag)
        return TagInfo(tag, None, "other")

    def is_known_type(self, tag_type: str) -> bool:
        return tag_type in KNOWN_TAG_TYPES or self.template_of(tag_type) is not None

    def consent_default_tags(self) -> list[TagInfo]:
        return [i for i in self.active_tags if i.role == "consent"]


# ---------------------------------------------------------------- what gtmgen's own tags say they are

_SOURCE_NOTE = re.compile(r"^source: (\S+)", re.M)
_ROLE_BY_SOURCE: tuple[tuple[str, Role], ...] = (("signals", "event"), ("conversions[", "conversion"))


def spec_source(tag: Tag) -> str | None:
    """The spec key a gtmgen-built tag came from (the `source:` line of its notes), or None."""
    found = _SOURCE_NOTE.search(tag.notes) if is_owned(tag.notes) else None
    return found.group(1) if found else None


def _spec_role(info: TagInfo) -> TagInfo:
    """An event tag gtmgen built knows whether it came from a spec's signals (it observes) or
    its conversions (it confirms); its notes say which, so its event name need not be guessed."""
    source = spec_source(info.tag) if info.role in ("event", "conversion") else None
    role = next((r for prefix, r in _ROLE_BY_SOURCE if source and source.startswith(prefix)), None)
    return info if role is None or role == info.role else replace(info, role=role)


# ---------------------------------------------------------------- readers, one per tag type


def _google_tag(facts: ContainerFacts, tag: Tag) -> TagInfo:
    tag_id = facts.resolve(tag.param("tagId"))
    platform: Platform = "google_ads" if tag_id.startswith("AW-") else "ga4"
    return TagInfo(tag, platform, "base", (tag_id,))


def _ga4_config(facts: ContainerFacts, tag: Tag) -> TagInfo:
    return TagInfo(tag, "ga4", "base", (facts.resolve(tag.param("measurementId")),))


def _ga4_event(facts: ContainerFacts, tag: Tag) -> TagInfo:
    event = facts.resolve(tag.param("eventName"))
    role: Role = "conversion" if is_ga4_conversion_event(event) else "event"
    return TagInfo(tag, "ga4", role, (), (event,))


def _ads_tag(role: Role) -> _Reader:
    def read(facts: ContainerFacts, tag: Tag) -> TagInfo:
        conversion_id = facts.resolve(tag.param("conversionId"))
        ids = (conversion_id if conversion_id.startswith(("AW-", "{{")) else f"AW-{conversion_id}",)
        return TagInfo(tag, "google_ads", role, ids if conversion_id else ())

    return read


def _linker(facts: ContainerFacts, tag: Tag) -> TagInfo:
    return TagInfo(tag, "google_ads", "linker")


def _floodlight(facts: ContainerFacts, tag: Tag) -> TagInfo:
    return TagInfo(tag, "floodlight", "conversion", (facts.resolve(tag.param("advertiserId")),))


def _universal_analytics(facts: ContainerFacts, tag: Tag) -> TagInfo:
    return TagInfo(tag, "universal_analytics", "other")


def _custom_html(facts: ContainerFacts, tag: Tag) -> TagInfo:
    html = tag.param("html")
    calls = html_meta_calls(html)
    if calls:
        return _meta_html(facts, tag, calls)
    if _GTAG_CONSENT_DEFAULT.search(html):
        return TagInfo(tag, None, "consent")
    configs = _GTAG_CONFIG.findall(html)
    if configs:
        platform: Platform = "google_ads" if all(c.startswith("AW-") for c in configs) else "ga4"
        return TagInfo(tag, platform, "base", tuple(configs))
    return TagInfo(tag, None, "other")


def _meta_html(facts: ContainerFacts, tag: Tag, calls: list[tuple[str, str, str]]) -> TagInfo:
    ids = tuple(dict.fromkeys(facts.resolve(pixel) for method, pixel, _ in calls if method == "init"))
    events = tuple(dict.fromkeys(event for method, _, event in calls if method.startswith("track") and event))
    if ids:
        return TagInfo(tag, "meta", "base", ids, events)
    roles = {meta_role(e) for e in events}
    role: Role = "conversion" if "conversion" in roles else "base" if roles == {"base"} else "event"
    return TagInfo(tag, "meta", role, (), events)


def _read_template_tag(facts: ContainerFacts, tag: Tag) -> TagInfo:
    template = facts.template_of(tag.type)
    if is_meta_template(template) or (tag.param("pixelId") or tag.param("pixelIds")):
        return _meta_template(facts, tag)
    if is_consent_template(template) and tag.param("command", "default") == "default":
        return TagInfo(tag, None, "consent")
    return TagInfo(tag, None, "other")


def meta_template_event(tag: Tag) -> str:
    """The event a Meta Pixel template tag sends (official and Stape templates' keys)."""
    kind = tag.param("eventName", "standard")
    if kind == "custom":
        return tag.param("customEventName") or tag.param("eventNameCustom")
    if kind == "variable":
        return tag.param("variableEventName") or tag.param("eventNameVariable")
    return tag.param("standardEventName") or tag.param("eventNameStandard") or "PageView"


def _meta_template(facts: ContainerFacts, tag: Tag) -> TagInfo:
    raw_ids = facts.resolve(tag.param("pixelId") or tag.param("pixelIds"))
    ids = tuple(p.strip() for p in raw_ids.split(",") if p.strip())
    event = meta_template_event(tag)
    return TagInfo(tag, "meta", meta_role(event), ids, (event,))


_READERS_BY_TYPE: dict[str, _Reader] = {
    "googtag": _google_tag,
    "gaawc": _ga4_config,
    "gaawe": _ga4_event,
    "awct": _ads_tag("conversion"),
    "sp": _ads_tag("remarketing"),
    "awud": _ads_tag("user_data"),
    "gclidw": _linker,
    "fls": _floodlight,
    "ua": _universal_analytics,
    "html": _custom_html,
}
