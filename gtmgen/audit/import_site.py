"""The site-wide sections of an imported spec: site and gtm, consent defaults, page groups from
lookup and regex tables on the page path, and engagement signals (timer and scroll depth)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from gtmgen.audit.facts import ContainerFacts, TagInfo
from gtmgen.container import Tag, Variable
from gtmgen.spec import CONSENT_SIGNALS, PAGE_GROUP_KINDS, slugify

Note = Callable[..., None]  # (kind, name, message, approximate=False)

_HOST_CONDITION = re.compile(r"^(?:https?://)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?:/|$)", re.I)
_CONSENT_CALL = re.compile(r"""gtag\(\s*['"]consent['"]\s*,\s*['"]default['"]\s*,\s*\{(.*?)\}\s*\)""", re.S)
_CONSENT_STATE = re.compile(r"""['"]?(\w+)['"]?\s*:\s*['"](granted|denied)['"]""")
_WAIT = re.compile(r"""['"]?wait_for_update['"]?\s*:\s*(\d+)""")
_REGION = re.compile(r"""['"]?region['"]?\s*:\s*\[([^\]]*)\]""")
_SIMPLE_PATH_REGEX = re.compile(r"^\^?(/[A-Za-z0-9_\-/~%]*?)(\(/\|\$\)|/\?\$|\$|\.\*)?$")
_KIND_WORDS = {kind: re.compile(kind.rstrip("s") + r"|" + kind, re.I) for kind in PAGE_GROUP_KINDS}


# ---------------------------------------------------------------- site and gtm


def _domain(facts: ContainerFacts) -> str | None:
    for trigger in facts.container.triggers:
        for condition in trigger.filter:
            if condition.arg0 in ("{{Page Hostname}}", "{{Page URL}}"):
                found = _HOST_CONDITION.match(condition.arg1.replace("\\", ""))
                if found:
                    return found.group(1).lower().removeprefix("www.")
    return None


def site_section(facts: ContainerFacts, note: Note) -> dict[str, Any]:
    container = facts.container
    domain = _domain(facts)
    if domain is None:
        note("site", "domain", "the container does not name the site's domain: replace example.com")
    site = {"name": container.name or container.public_id or "Imported site", "domain": domain or "example.com"}
    gtm: dict[str, Any] = {}
    for key, value in (("account_id", container.account_id), ("container_id", container.container_id)):
        if value.isdigit():
            gtm[key] = value
    if re.fullmatch(r"GTM-[A-Z0-9]{6,9}", container.public_id):
        gtm["public_id"] = container.public_id
    elif container.public_id:
        note("gtm", "public_id", f"{container.public_id!r} is not a GTM container id (GTM-XXXXXXX): not imported")
    return {"site": site, "gtm": gtm} if gtm else {"site": site}


# ---------------------------------------------------------------- consent


def _html_consent(html: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    regions = []
    for body in _CONSENT_CALL.findall(html):
        states = {k: v for k, v in _CONSENT_STATE.findall(body) if k in CONSENT_SIGNALS}
        region = _REGION.search(body)
        if region:
            codes = re.findall(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?", region.group(1))
            regions.append({"regions": codes, **states})
        else:
            out["defaults"] = states
        wait = _WAIT.search(body)
        if wait:
            out["wait_for_update"] = int(wait.group(1))
    if regions:
        out["regions"] = regions
    return out


def _template_consent(tag: Tag) -> dict[str, Any]:
    states = {s: tag.param(s) for s in CONSENT_SIGNALS if tag.param(s) in ("granted", "denied")}
    out: dict[str, Any] = {"defaults": states} if states else {}
    wait = tag.param("wait_for_update")
    if wait.isdigit():
        out["wait_for_update"] = int(wait)
    for key in ("url_passthrough", "ads_data_redaction"):
        if tag.param(key) in ("true", "false"):
            out[key] = tag.param(key) == "true"
    return out


def consent_section(facts: ContainerFacts, note: Note, mapped: set[str]) -> dict[str, Any]:
    tags: list[TagInfo] = facts.consent_default_tags()
    if not tags:
        note("consent", "", "no consent default tag found: the spec's defaults (all denied) will apply")
        return {}
    first = tags[0]
    mapped.add(first.name)
    consent = _html_consent(first.tag.param("html")) if first.tag.type == "html" else _template_consent(first.tag)
    if "regions" not in consent and first.tag.type != "html" and first.tag.param("regions") not in ("", "all"):
        note("tag", first.name, f"region list {first.tag.param('regions')!r} not imported")
    for other in tags[1:]:
        note("tag", other.name, "a second consent default tag: only the first was imported")
    return consent


# ---------------------------------------------------------------- page groups


def _group_kind(variable: Variable) -> str | None:
    for kind, words in _KIND_WORDS.items():
        if words.search(variable.name) or words.search(variable.param("defaultValue")):
            return kind
    return None


def _table_path(variable: Variable, key: str) -> tuple[str, bool] | None:
    """A table row's key as a spec path (a page and its sub-pages), and whether that is exact."""
    if variable.type == "smm":
        return (key, False) if key.startswith("/") else None
    found = _SIMPLE_PATH_REGEX.match(key)
    if found is None or variable.param("ignoreCase") == "true":
        return None
    stem = found.group(1).rstrip("/")
    return (stem + "/" if stem else "/", found.group(2) == "(/|$)" and key.startswith("^"))


def _page_group(variable: Variable, note: Note) -> list[dict[str, Any]]:
    entries: dict[str, dict[str, Any]] = {}
    for item in (p for p in variable.parameter if p.key == "map"):
        for row in item.rows():
            key, label = row.get("key", ""), row.get("value", "")
            path = _table_path(variable, key)
            if path is None or not label or "{{" in label:
                note("variable", variable.name, f"row {key!r} -> {label!r} is not a plain path")
                continue
            if not path[1]:
                note("variable", variable.name, f"row {key!r} imported as {path[0]} and its sub-pages", True)
            entry = entries.setdefault(label, {"name": label, "slug": slugify(label), "paths": []})
            entry["paths"].append(path[0])
    return list(entries.values())


def page_groups_section(facts: ContainerFacts, note: Note) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for variable in facts.container.variables:
        if variable.type not in ("smm", "remm") or variable.param("input") != "{{Page Path}}":
            continue
        kind = _group_kind(variable)
        if kind is None:
            note("variable", variable.name, "a table on the page path, but not named for services/locations/...")
            continue
        entries = _page_group(variable, note)
        if entries:
            groups.setdefault(kind, []).extend(entries)
    return groups


# ---------------------------------------------------------------- signals


def _used_triggers(facts: ContainerFacts, trigger_type: str) -> list[str]:
    senders = (i for i in facts.active_tags if i.platform in ("ga4", "google_ads", "meta"))
    used = {trigger_id for info in senders for trigger_id in info.tag.firing_trigger_ids}
    return [t.trigger_id for t in facts.container.triggers if t.type == trigger_type and t.trigger_id in used]


def signals_section(facts: ContainerFacts, note: Note) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for trigger_id in _used_triggers(facts, "TIMER"):
        trigger = facts.trigger(trigger_id)
        interval = trigger.special_value("interval") if trigger else ""
        if trigger and interval.isdigit() and "engaged_time" not in out:
            out["engaged_time"] = {"seconds": max(1, int(interval) // 1000)}
            if trigger.special_value("limit") != "1":
                note("trigger", trigger.name, "a repeating timer: imported as one engaged-time signal", True)
    for trigger_id in _used_triggers(facts, "SCROLL_DEPTH"):
        trigger = facts.trigger(trigger_id)
        percents = trigger.param("verticalThresholdsPercent") if trigger else ""
        numbers = sorted({int(p) for p in re.findall(r"\d+", percents) if 0 < int(p) <= 100})
        if numbers and "scroll_depth" not in out:
            out["scroll_depth"] = {"percents": numbers}
    return out
