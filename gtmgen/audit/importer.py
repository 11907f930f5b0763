"""`gtmgen import`: an existing container turned into a spec, as far as its meaning is known.

Recognised: the platforms and their ids (constants behind `{{variables}}` resolved), the consent
defaults, each conversion tag with its trigger (a `conversions` entry with a `when`), page groups
from lookup and regex tables on the page path, engagement signals. Everything else (unknown
Custom HTML, templates, trigger groups, approximations) is returned as `notes`, which the YAML
also carries as comments: nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from gtmgen.audit.facts import ContainerFacts, TagInfo
from gtmgen.audit.import_conversions import (
    ConversionGroup,
    ImportNote,
    conversion_kind,
    conversion_name,
    events_by_platform,
    group_conversions,
    map_trigger,
)
from gtmgen.audit.import_site import consent_section, page_groups_section, signals_section, site_section
from gtmgen.audit.inputs import is_spec_path
from gtmgen.container import Container
from gtmgen.errors import InputError
from gtmgen.export import load_export

# The spec schema's id formats (specs/gtmgen.schema.json); an id that does not fit becomes a
# placeholder with a note, so the imported spec always validates.
PLACEHOLDER_IDS = {"ga4": "G-XXXXXXXXXX", "google_ads": "AW-000000000", "meta": "000000000000000"}
ID_PATTERNS = {
    "ga4": re.compile(r"^G-[A-Z0-9]{10}$"),
    "google_ads": re.compile(r"^AW-[0-9]{8,12}$"),
    "meta": re.compile(r"^[0-9]{15,16}$"),
}
_LABEL = re.compile(r"^[A-Za-z0-9_-]{4,64}$")
EVENT_PATTERNS = {"ga4": re.compile(r"^[a-z][a-z0-9_]{0,39}$"), "meta": re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,49}$")}
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_HTML_VALUE = re.compile(r"""\bvalue['"]?\s*:\s*['"]?([0-9.]+|\{\{[^{}]+\}\})""")
_HTML_CURRENCY = re.compile(r"""\bcurrency['"]?\s*:\s*['"]([A-Z]{3}|\{\{[^{}]+\}\})""")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """The imported spec as data and as YAML, and what could not be mapped."""

    data: dict[str, Any]
    yaml_text: str
    notes: tuple[ImportNote, ...]
    mapped_tags: frozenset[str] = frozenset()  # tags whose meaning the spec now carries

    @property
    def conversion_count(self) -> int:
        return len(self.data.get("conversions", ()))


class _Importer:
    """Collects the spec sections and the notes for one container."""

    def __init__(self, container: Container) -> None:
        self.facts = ContainerFacts(container)
        self.notes: list[ImportNote] = []
        self.mapped_tags: set[str] = set()
        self.bad_ids: set[str] = set()

    def note(self, kind: str, name: str, message: str, approximate: bool = False) -> None:
        self.notes.append(ImportNote(kind, name, message, approximate))

    # ------------------------------------------------------------ platforms

    def platform_ids(self, platform: str, infos: Iterable[TagInfo], label: str) -> list[str]:
        ids: list[str] = []
        for info in infos:
            self.mapped_tags.add(info.name)
            for found in info.ids:
                if ID_PATTERNS[platform].match(found) and found not in ids:
                    ids.append(found)
                elif (
                    found and "{{" not in found and found not in self.bad_ids and not ID_PATTERNS[platform].match(found)
                ):
                    self.bad_ids.add(found)
                    self.note("platform", label, f"id {found!r} (tag {info.name!r}) is not in the form the spec takes")
        return ids

    def platform_id(self, platform: str, infos: list[TagInfo], label: str, ids: list[str] | None = None) -> str:
        ids = self.platform_ids(platform, infos, label) if ids is None else ids
        if not ids:
            self.note(
                "platform", label, f"no usable id in the container: replace the placeholder {PLACEHOLDER_IDS[platform]}"
            )
            return PLACEHOLDER_IDS[platform]
        if len(ids) > 1:
            self.note("platform", label, f"several ids ({', '.join(ids)}); imported {ids[0]}")
        return ids[0]

    def platforms(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        ga4 = self.facts.of_platform("ga4")
        if ga4:
            bases = [i for i in ga4 if i.role == "base"]
            out["ga4"] = {"measurement_id": self.platform_id("ga4", bases or ga4, "ga4")}
        ads = self.facts.of_platform("google_ads")
        if ads:
            out["google_ads"] = self.google_ads(ads)
        meta = self.facts.of_platform("meta")
        if meta:
            ids = self.platform_ids("meta", meta, "meta")
            out["meta"] = {"pixel_id": ids if len(ids) > 1 else self.platform_id("meta", meta, "meta", ids)}
        if not out:
            self.note("platforms", "", "no GA4, Google Ads or Meta tag found: added GA4 with a placeholder id")
            out["ga4"] = {"measurement_id": PLACEHOLDER_IDS["ga4"]}
        return out

    def google_ads(self, ads: list[TagInfo]) -> dict[str, Any]:
        remarketing = [i for i in ads if i.role in ("base", "remarketing")]
        enhanced = any(i.tag.param("enableEnhancedConversion") == "true" or i.role == "user_data" for i in ads)
        self.mapped_tags.update(i.name for i in ads if i.role in ("linker", "user_data"))
        return {
            "conversion_id": self.platform_id("google_ads", remarketing + ads, "google_ads"),
            "remarketing": bool(remarketing),
            "enhanced_conversions": enhanced,
        }

    # ------------------------------------------------------------ conversions

    def conversions(self, platforms: dict[str, Any]) -> list[dict[str, Any]]:
        groups, notes = group_conversions(self.facts)
        self.notes.extend(notes)
        taken: set[str] = set()
        out: list[dict[str, Any]] = []
        for group in groups:
            entry = self.conversion(group, platforms, taken)
            twin = next((e for e in out if _same_conversion(e, entry)), None) if entry else None
            if entry is not None and twin is not None:
                message = f"same signal and events as {twin['name']!r} once its conditions are dropped: merged"
                self.note("conversion", entry["name"], message, approximate=True)
            elif entry is not None:
                out.append(entry)
        return out

    def conversion(self, group: ConversionGroup, platforms: dict[str, Any], taken: set[str]) -> dict[str, Any] | None:
        mapped = map_trigger(group.trigger, group.scheme)
        tag_names = ", ".join(repr(i.name) for i in group.tags)
        if mapped.when is None:
            self.note("trigger", group.trigger.name, f"conversion tags {tag_names}: {'; '.join(mapped.notes)}")
            return None
        name = conversion_name(group, taken)
        for message in mapped.notes:
            self.note("trigger", group.trigger.name, f"conversion {name!r} {message}", approximate=True)
        self.mapped_tags.update(i.name for i in group.tags)
        entry: dict[str, Any] = {"name": name, "kind": conversion_kind(group, mapped.when), "when": mapped.when}
        entry |= self.value_fields(group, name)
        entry |= self.platform_fields(group, platforms, name)
        if entry["kind"] == "purchase" and "value" not in entry:
            entry["kind"] = "custom"  # the spec requires a purchase's value; the events stay as they were
            self.note("conversion", name, "a purchase without an importable value: imported as kind custom", True)
        return entry

    def platform_fields(self, group: ConversionGroup, platforms: dict[str, Any], name: str) -> dict[str, Any]:
        by_platform = events_by_platform(group)
        out: dict[str, Any] = {}
        ads = by_platform.get("google_ads", [])
        labels = list(dict.fromkeys(self.facts.resolve(i.tag.param("conversionLabel")) for i in ads))
        if labels and _LABEL.match(labels[0]):
            out["google_ads"] = {"label": labels[0]}
        elif labels:
            self.note("conversion", name, f"Google Ads label {labels[0]!r} is not a literal label: not imported")
        if "google_ads" not in out and "google_ads" in platforms:
            out["google_ads"] = False
        if len(labels) > 1:
            self.note("conversion", name, f"several Google Ads labels ({', '.join(labels)}); imported the first")
        for platform in ("meta", "ga4"):
            events = [e for i in by_platform.get(platform, []) for e in i.events if e]
            usable = [e for e in events if EVENT_PATTERNS[platform].match(e)]
            if usable:
                out[platform] = {"event": usable[0]}
            elif events:
                self.note("conversion", name, f"{platform} event {events[0]!r} is not a plain event name: default used")
            elif platform in platforms:
                out[platform] = False
        return out

    def value_fields(self, group: ConversionGroup, name: str) -> dict[str, Any]:
        value, currency = self.raw_value(group)
        out: dict[str, Any] = {}
        key = self.facts.datalayer_key(value) if value else None
        resolved = self.facts.resolve(value) if value else ""
        if key:
            out["value"] = {"datalayer": key}
        elif re.fullmatch(r"\d+(\.\d+)?", resolved):
            out["value"] = float(resolved) if "." in resolved else int(resolved)
        elif value:
            self.note("conversion", name, f"its value {value!r} is not a number or a dataLayer key: not imported")
        resolved_currency = self.facts.resolve(currency) if currency else ""
        if out and _CURRENCY.match(resolved_currency):
            out["currency"] = resolved_currency
        elif out:
            self.note(
                "conversion", name, f"its currency {currency or '(none)'!r} is not a fixed ISO code: value dropped"
            )
            out = {}
        return out

    def raw_value(self, group: ConversionGroup) -> tuple[str, str]:
        for info in sorted(group.tags, key=lambda i: i.platform != "google_ads"):
            if info.tag.type == "html":
                html = info.tag.param("html")
                value, currency = _HTML_VALUE.search(html), _HTML_CURRENCY.search(html)
                found = (value.group(1) if value else "", currency.group(1) if currency else "")
            else:
                fields = self.facts.event_fields(info.tag)
                found = (fields.get("conversionValue") or fields.get("value") or "",
                         fields.get("currencyCode") or fields.get("currency") or "")  # fmt: skip
            if found[0]:
                return found
        return ("", "")

    # ------------------------------------------------------------ the rest

    def unmapped(self) -> None:
        for info in self.facts.tags:
            if info.name in self.mapped_tags:
                continue
            state = " (paused)" if info.tag.paused else ""
            self.note("tag", info.name, f"{_describe(info)}{state}: gtmgen does not generate it")
        for template in self.facts.container.custom_templates:
            self.note("customTemplate", template.name, "custom templates are not carried into the spec")

    def run(self) -> dict[str, Any]:
        data: dict[str, Any] = {"version": 1}
        data |= site_section(self.facts, self.note)
        platforms = self.platforms()
        data["platforms"] = platforms
        consent = consent_section(self.facts, self.note, self.mapped_tags)
        if consent:
            data["consent"] = consent
        groups = page_groups_section(self.facts, self.note)
        if groups:
            data["page_groups"] = groups
        conversions = self.conversions(platforms)
        if conversions:
            data["conversions"] = conversions
        signals = signals_section(self.facts, self.note)
        if signals:
            data["signals"] = signals
        self.unmapped()
        return data


def _same_conversion(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two entries that would compile to the same trigger and the same platform events."""
    keys = ("when", "google_ads", "meta", "ga4")
    return all(a.get(k) == b.get(k) for k in keys)


def _describe(info: TagInfo) -> str:
    if info.platform:
        return f"{info.tag.type} tag ({info.platform} {info.role})"
    return f"{info.tag.type} tag" if info.role == "other" else f"{info.tag.type} tag ({info.role})"


def to_yaml(data: dict[str, Any], source: str, notes: Iterable[ImportNote]) -> str:
    """The spec as YAML, headed by where it came from and what was not mapped."""
    header = [f"# Imported by `gtmgen import` from {Path(source).name}."]
    rendered = [note.render() for note in notes]
    if rendered:
        header.append("# Not mapped (review these by hand):")
        header.extend(f"#   - {line}" for line in rendered)
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100)
    return "\n".join(header) + "\n" + body


def import_container(container: Container, source: str = "<container>") -> ImportResult:
    """A container as a spec plus notes on everything that could not be mapped."""
    importer = _Importer(container)
    data = importer.run()
    notes = tuple(importer.notes)
    return ImportResult(data, to_yaml(data, source, notes), notes, frozenset(importer.mapped_tags))


def import_path(path: Path) -> ImportResult:
    if is_spec_path(path):
        raise InputError(f"{path}: `gtmgen import` reads a container export (.json), not a spec")
    return import_container(load_export(path), str(path))
