"""Checks on consent, privacy and upkeep (tracking-domain.md §1.8, §7.1, §7.3, §7.4): consent
defaults first, no personal data outside the user-data paths, no retired or dead entities,
no dangling references, and a container that fits GTM's size limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import cast

from gtmgen import conformance
from gtmgen.audit.facts import ContainerFacts, TagInfo
from gtmgen.audit.findings import EntityKindName, Hit, container_hit, tag_hit
from gtmgen.audit.size import LIMIT_BYTES, WARN_RATIO, estimate_size
from gtmgen.container import Parameter, Tag, Variable, variable_references
from gtmgen.entity_texts import texts_by_entity

GOOGLE_TAG_TYPES = frozenset("googtag gaawe gaawc awct sp gclidw awud fls ua".split())
AD_PLATFORMS = frozenset({"google_ads", "meta", "floodlight"})
RETIRED_BY_TYPE = {
    "ua": "Universal Analytics stopped processing data in July 2023: delete this tag (GA4 replaces it)",
    "gaawc": "the GA4 Configuration tag was replaced by the Google tag: migrate it to a Google tag (googtag)",
}

# ---------------------------------------------------------------- consent


def _on_time_defaults(facts: ContainerFacts) -> list[TagInfo]:
    return [i for i in facts.consent_default_tags() if any(facts.stage(t) == 0 for t in i.tag.firing_trigger_ids)]


def check_consent_default(facts: ContainerFacts) -> Iterator[Hit]:
    defaults = facts.consent_default_tags()
    if not defaults:
        has_ads = any(i.platform in AD_PLATFORMS for i in facts.active_tags)
        paused = [t.name for t in facts.container.tags if t.paused and facts.classify(t).role == "consent"]
        aside = f" ({paused[0]!r} would, but it is paused)" if paused else ""
        yield container_hit(
            f"no tag sets the consent defaults{aside}: add a Consent Mode v2 default tag (ad_storage, "
            "analytics_storage, ad_user_data, ad_personalization) on Consent Initialization - All Pages",
            "error" if has_ads else "warning",
        )
        return
    if not _on_time_defaults(facts):
        for info in defaults:
            names = ", ".join(_trigger_labels(facts, info.tag))
            yield tag_hit(
                info.name,
                f"sets the consent defaults on {names}, after Consent Initialization: fire it on "
                "Consent Initialization - All Pages so no tag runs before the defaults",
                "warning",
            )


def _trigger_labels(facts: ContainerFacts, tag: Tag) -> list[str]:
    labels = []
    for trigger_id in tag.firing_trigger_ids:
        trigger = facts.trigger(trigger_id)
        kind = f" ({trigger.type})" if trigger else ""
        labels.append(f"{facts.container.trigger_name(trigger_id)!r}{kind}")
    return labels


def check_consent_not_set(facts: ContainerFacts) -> Iterator[Hit]:
    on_time = bool(_on_time_defaults(facts))
    for info in facts.active_tags:
        consent = info.tag.consent
        if info.role == "consent" or (consent is not None and consent.status != "NOT_SET"):
            continue
        if not on_time:
            yield tag_hit(
                info.name,
                "consent is not configured and no consent default runs on Consent Initialization: "
                "set the defaults first, then give this tag its consent setting",
            )
        elif info.tag.type not in GOOGLE_TAG_TYPES:
            yield tag_hit(
                info.name,
                "a non-Google tag with consent 'not set' fires regardless of the visitor's choice: "
                "require additional consent (ad_storage at least)",
                "note",
            )


# ---------------------------------------------------------------- personal data

PII_NAME = re.compile(r"e-?mail|phone|\btel\b|mobile|first_?name|last_?name|full_?name|street|address|postal|zip", re.I)
EMAIL = re.compile(r"[\w.%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w.])\+\d[\d ()./-]{7,}\d")
# Parameters and table rows whose whole purpose is user data (enhanced conversions, advanced matching).
USER_DATA_KEYS = frozenset(
    "userDataVariable cssProvidedEnhancedConversionValue advancedMatchingList userDataList user_data".split()
)
USER_DATA_ROWS = frozenset("user_data em ph fn ln ct st zp country cn db ge external_id".split())


def is_personal_variable(variable: Variable) -> str | None:
    """What personal data a variable reads, if its source says so (a dataLayer key, a URL query key)."""
    if variable.type == "v" and PII_NAME.search(variable.param("name")):
        return f"dataLayer key {variable.param('name')!r}"
    if variable.type == "u" and variable.param("component") == "QUERY" and PII_NAME.search(variable.param("queryKey")):
        return f"URL query parameter {variable.param('queryKey')!r}"
    return None


def _sent_values(parameters: tuple[Parameter, ...]) -> Iterator[tuple[str, str]]:
    """(field, value) pairs a tag sends, without the user-data paths."""
    for p in parameters:
        if p.key in USER_DATA_KEYS or p.key == "html":
            continue
        for item in p.list or ():
            row = {q.key: q.value or "" for q in item.map or ()}
            name = next(iter(row.values()), "")
            if name not in USER_DATA_ROWS:
                yield from ((f"{p.key}.{name}", v) for v in list(row.values())[1:])
        if p.value:
            yield (p.key or "", p.value)


def _personal_data_in(facts: ContainerFacts, field: str, value: str) -> str | None:
    for name in re.findall(r"\{\{([^{}]+)\}\}", value):
        variable = facts.variable(name)
        source = is_personal_variable(variable) if variable else None
        if source:
            return f"{field} sends {{{{{name}}}}}, which reads the {source}"
    literal = re.sub(r"\{\{[^{}]+\}\}", "", value)
    if EMAIL.search(literal) or PHONE.search(literal):
        return f"{field} contains a literal e-mail address or phone number"
    return None


def check_personal_data(facts: ContainerFacts) -> Iterator[Hit]:
    for info in facts.active_tags:
        for field, value in _sent_values(info.tag.parameter):
            problem = _personal_data_in(facts, field, value)
            if problem:
                yield tag_hit(
                    info.name,
                    f"{problem}: never send personal data in parameters or URLs; use the enhanced-conversions "
                    "or advanced-matching user-data fields, with ad_user_data consent",
                )
    for variable in facts.container.variables:
        source = is_personal_variable(variable)
        if variable.type == "u" and source:
            yield Hit("variable", variable.name, f"reads the {source}: forms must POST, not put personal data in URLs")


# ---------------------------------------------------------------- retired, dead and unknown entities


def check_retired_types(facts: ContainerFacts) -> Iterator[Hit]:
    for tag in facts.container.tags:
        if tag.type in RETIRED_BY_TYPE:
            yield tag_hit(tag.name, RETIRED_BY_TYPE[tag.type])
    for variable in facts.container.variables:
        if variable.type == "gas":
            yield Hit("variable", variable.name, "a Universal Analytics settings variable: delete it with the UA tags")


def check_paused_tags(facts: ContainerFacts) -> Iterator[Hit]:
    for tag in facts.container.tags:
        if tag.paused:
            yield tag_hit(tag.name, "is paused: delete it if it is no longer needed (it still adds to the size)")


def _tag_names_referenced(facts: ContainerFacts) -> set[str]:
    names = {t.setup_tag for t in facts.container.tags} | {t.teardown_tag for t in facts.container.tags}
    for tag in facts.container.tags:
        for p in tag.parameter:
            names |= {q.value for q in p.walk() if q.type == "TAG_REFERENCE" and q.value}
    return {n for n in names if n}


def check_orphan_tags(facts: ContainerFacts) -> Iterator[Hit]:
    referenced = _tag_names_referenced(facts)
    for tag in facts.container.tags:
        if not tag.firing_trigger_ids and not tag.paused and tag.name not in referenced:
            yield tag_hit(tag.name, "has no firing trigger, so it never fires: give it a trigger or delete it")


def _trigger_ids_used(facts: ContainerFacts) -> set[str]:
    used = {i for t in facts.container.tags for i in t.firing_trigger_ids + t.blocking_trigger_ids}
    for trigger in facts.container.triggers:
        for p in trigger.parameter:
            used |= {q.value for q in p.walk() if q.type == "TRIGGER_REFERENCE" and q.value}
    return used


def check_unused_triggers(facts: ContainerFacts) -> Iterator[Hit]:
    used = _trigger_ids_used(facts)
    for trigger in facts.container.triggers:
        if trigger.trigger_id not in used:
            yield Hit("trigger", trigger.name, "no tag uses this trigger: delete it")


def check_unused_variables(facts: ContainerFacts) -> Iterator[Hit]:
    texts = (text for _, _, texts in texts_by_entity(facts.container) for text in texts)
    used = {name for text in texts for name in variable_references(text)}
    for variable in facts.container.variables:
        if variable.name not in used:
            yield Hit("variable", variable.name, "nothing references this variable: delete it")


# Reference checks come from `gtmgen.conformance` (shared with the compiler's self-check); the
# audit adds what to do about each.
UNDEFINED_RULES = {
    "variable-resolves": "create it or fix the name",
    "built-in-enabled": "enable it under Variables > Configure",
}
BROKEN_RULES = {
    "trigger-resolves": "fire the tag on an existing trigger",
    "sequence-resolves": "sequence it with an existing tag or remove the sequencing",
    "tag-reference": "point it at an existing tag",
    "trigger-reference": "point it at an existing trigger",
    "folder-resolves": "move it into an existing folder",
}


def _conformance_hits(facts: ContainerFacts, advice_by_rule: dict[str, str]) -> Iterator[Hit]:
    for found in conformance.check_references(facts.container):
        if found.rule in advice_by_rule:
            kind = cast(EntityKindName, found.kind)
            yield Hit(kind, found.name, f"{found.message}: {advice_by_rule[found.rule]}")


def check_undefined_variables(facts: ContainerFacts) -> Iterator[Hit]:
    yield from _conformance_hits(facts, UNDEFINED_RULES)


def check_broken_references(facts: ContainerFacts) -> Iterator[Hit]:
    yield from _conformance_hits(facts, BROKEN_RULES)
    for tag in facts.container.tags:
        if tag.type.startswith("cvt_") and facts.template_of(tag.type) is None:
            yield tag_hit(tag.name, f"uses template type {tag.type} but the template is not in the container")


def check_unknown_tag_types(facts: ContainerFacts) -> Iterator[Hit]:
    for tag in facts.container.tags:
        if not facts.is_known_type(tag.type) and not tag.type.startswith("cvt_"):
            yield tag_hit(tag.name, f"tag type {tag.type!r} is not one gtmgen knows: review this tag by hand")


def check_base_not_sitewide(facts: ContainerFacts) -> Iterator[Hit]:
    for info in facts.active_tags:
        if info.role == "base" and info.platform in AD_PLATFORMS | {"ga4"} and not facts.fires_on_every_page(info.tag):
            yield tag_hit(
                info.name,
                "the base tag does not fire on every page: landing pages without it lose ad clicks "
                "and audiences; fire it on All Pages (or Initialization - All Pages)",
            )


def check_container_size(facts: ContainerFacts) -> Iterator[Hit]:
    size = estimate_size(facts.container)
    share = size / LIMIT_BYTES
    if share >= WARN_RATIO:
        yield container_hit(
            f"estimated at {size / 1024:.0f} KB, {share:.0%} of GTM's 200 KB limit (GTM refuses to publish over it): "
            "delete paused and unused items, merge near-duplicate tags, prefer templates to Custom HTML",
            "error" if share >= 1 else "warning",
        )
