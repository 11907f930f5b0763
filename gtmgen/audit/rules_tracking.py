"""Checks on the two halves of ad tracking (tracking-domain.md §0, §1, §2, §7.3): every
platform observes and confirms, Google Ads has one linker, base code loads once and first,
and conversions count real outcomes once, with value, currency and a deduplication id."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from gtmgen.audit.facts import EVENT_STAGE, PLATFORM_LABELS, ContainerFacts, Platform, TagInfo
from gtmgen.audit.findings import Hit, container_hit, tag_hit
from gtmgen.container import Tag, Trigger

AD_PLATFORMS: tuple[Platform, ...] = ("ga4", "google_ads", "meta")
OBSERVER_HINT: dict[str, str] = {
    "ga4": "a Google tag with the G- id on all pages",
    "google_ads": "a Google tag with the AW- id (or a Google Ads remarketing tag) on all pages",
    "meta": "the Meta Pixel base code (PageView) on all pages",
}
CONVERSION_HINT: dict[str, str] = {
    "ga4": "a GA4 event such as generate_lead on the success trigger of each lead",
    "google_ads": "a Google Ads conversion tag on the success trigger of each lead",
    "meta": "a Meta standard event such as Lead or Contact on the success trigger of each lead",
}
# Links whose click is itself the outcome (a call, a mail, a chat): tracking-domain §1.6, §4.4.
CONTACT_LINK = re.compile(r"tel:|mailto:|sms:|wa\.me|whatsapp", re.I)
_PHONE_OR_MAIL_FILTER_VARIABLES = ("{{Click URL}}", "{{Click Element}}", "{{Click Text}}")


def _names(infos: list[TagInfo], limit: int = 3) -> str:
    names = [repr(i.name) for i in infos[:limit]]
    return ", ".join(names) + (f" and {len(infos) - limit} more" if len(infos) > limit else "")


def _halves(facts: ContainerFacts, platform: Platform) -> tuple[list[TagInfo], list[TagInfo]]:
    """A platform's tags that observe (build audiences) and those that confirm conversions."""
    observers = [i for i in facts.of_platform(platform) if i.observes]
    return observers, facts.of_platform(platform, ["conversion"])


def check_retargeting_without_conversions(facts: ContainerFacts) -> Iterator[Hit]:
    for platform in AD_PLATFORMS:
        observers, conversions = _halves(facts, platform)
        if observers and not conversions:
            yield container_hit(
                f"{PLATFORM_LABELS[platform]} builds audiences ({_names(observers)}) but no tag confirms a "
                f"conversion: add {CONVERSION_HINT[platform]}"
            )


def check_conversions_without_retargeting(facts: ContainerFacts) -> Iterator[Hit]:
    for platform in AD_PLATFORMS:
        observers, conversions = _halves(facts, platform)
        if conversions and not observers:
            yield container_hit(
                f"{PLATFORM_LABELS[platform]} tracks conversions ({_names(conversions)}) but nothing builds "
                f"audiences for retargeting: add {OBSERVER_HINT[platform]}"
            )


def check_conversion_linker(facts: ContainerFacts) -> Iterator[Hit]:
    ads = [i for i in facts.of_platform("google_ads") if i.role != "linker"]
    if not ads:
        return
    linkers = facts.of_platform("google_ads", ["linker"])
    if not linkers:
        yield container_hit(
            f"Google Ads tags ({_names(ads)}) but no Conversion Linker: add one Conversion Linker tag "
            "on All Pages so ad clicks are kept in first-party cookies",
            "error",
        )
    elif len(linkers) > 1:
        yield container_hit(f"{len(linkers)} Conversion Linker tags ({_names(linkers)}): keep exactly one")
    for linker in linkers:
        if not facts.fires_on_every_page(linker.tag):
            yield tag_hit(linker.name, "the Conversion Linker does not fire on every page: fire it on All Pages")


def _page_load_bases(facts: ContainerFacts) -> dict[tuple[str, str], list[TagInfo]]:
    groups: dict[tuple[str, str], list[TagInfo]] = defaultdict(list)
    for info in facts.active_tags:
        if info.role == "base" and info.platform and facts.page_load_triggers(info.tag):
            for base_id in info.ids or (info.tag.param("tagId") or "?",):
                groups[(info.platform, base_id)].append(info)
    return groups


def check_duplicate_base_tags(facts: ContainerFacts) -> Iterator[Hit]:
    for (platform, base_id), infos in sorted(_page_load_bases(facts).items()):
        if len(infos) > 1:
            first, *others = infos
            for other in others:
                yield tag_hit(
                    other.name,
                    f"loads {PLATFORM_LABELS[platform]} {base_id} again after {first.name!r}: every page view "
                    "is counted twice; keep one base tag per id",
                )


def check_base_fires_repeatedly(facts: ContainerFacts) -> Iterator[Hit]:
    setup_users = defaultdict(list)
    for tag in facts.container.tags:
        if tag.setup_tag and not tag.paused:
            setup_users[tag.setup_tag].append(tag.name)
    for info in facts.active_tags:
        if info.role != "base" or info.platform not in AD_PLATFORMS:
            continue
        yield from _repeat_hits(facts, info, setup_users.get(info.name, []))


def _repeat_hits(facts: ContainerFacts, info: TagInfo, users: list[str]) -> Iterator[Hit]:
    tag = info.tag
    loads = facts.page_load_triggers(tag)
    if len(loads) > 1 and tag.tag_firing_option != "ONCE_PER_LOAD":
        names = ", ".join(repr(facts.container.trigger_name(i)) for i in loads)
        yield tag_hit(tag.name, f"fires on several page-load triggers ({names}): keep one, or fire once per page")
    if users and loads and tag.tag_firing_option != "ONCE_PER_LOAD":
        yield tag_hit(
            tag.name,
            f"fires on its own triggers and again as the setup tag of {len(users)} tag(s) "
            f"(e.g. {users[0]!r}): set its firing option to once per page",
        )
    events = [i for i in tag.firing_trigger_ids if facts.stage(i) == EVENT_STAGE]
    if events and tag.type in ("html", "googtag", "gaawc") and tag.tag_firing_option != "ONCE_PER_LOAD":
        names = ", ".join(repr(facts.container.trigger_name(i)) for i in events)
        yield tag_hit(tag.name, f"base code re-runs on events ({names}): fire it on page load only")


def _meta_bases(facts: ContainerFacts) -> list[TagInfo]:
    return [i for i in facts.of_platform("meta", ["base"]) if i.ids]


def check_meta_event_before_base(facts: ContainerFacts) -> Iterator[Hit]:
    events = [i for i in facts.of_platform("meta") if i.tag.type == "html" and not i.ids]
    bases = _meta_bases(facts)
    base_names = {b.name for b in bases}
    for info in events:
        if info.tag.setup_tag in base_names:
            continue
        yield from _meta_order_hits(facts, info, bases)


def _meta_order_hits(facts: ContainerFacts, info: TagInfo, bases: list[TagInfo]) -> Iterator[Hit]:
    if not bases:
        yield tag_hit(info.name, "calls fbq but no tag loads the Meta Pixel base code: add the base tag", "error")
        return
    first_base = min(facts.stage(i) for b in bases for i in b.tag.firing_trigger_ids)
    earliest = min((facts.stage(i) for i in info.tag.firing_trigger_ids), default=EVENT_STAGE)
    sequencing = f"set {bases[0].name!r} as its setup tag (tag sequencing)"
    if earliest <= first_base:
        yield tag_hit(info.name, f"can fire before the Meta base code has run: {sequencing}", "error")
    elif _needs_more_consent(bases[0].tag, info.tag):
        yield tag_hit(info.name, f"can fire while the base code waits for consent: {sequencing}")


def _consent_needed(tag: Tag) -> set[str]:
    return set(tag.consent.types) if tag.consent and tag.consent.status == "NEEDED" else set()


def _needs_more_consent(base: Tag, event: Tag) -> bool:
    return bool(_consent_needed(base) - _consent_needed(event))


def _is_contact_click(trigger: Trigger) -> bool:
    return any(
        CONTACT_LINK.search(c.arg1) and c.arg0 in _PHONE_OR_MAIL_FILTER_VARIABLES and not c.negate
        for c in trigger.filter + trigger.auto_event_filter
    )


def _attempt_problem(trigger: Trigger) -> str | None:
    if trigger.type in ("CLICK", "LINK_CLICK") and not _is_contact_click(trigger):
        return "a click is an attempt, not an outcome: fire on the success event (a dataLayer push or a thank-you page)"
    if trigger.type == "FORM_SUBMISSION":
        if trigger.special_value("checkValidation") != "true":
            return "the generic form trigger without 'Check Validation' fires on failed submissions too"
        return "AJAX forms defeat the form trigger: fire on the form's success event instead"
    return None


def check_conversion_on_attempt(facts: ContainerFacts) -> Iterator[Hit]:
    for info in facts.active_tags:
        if not info.confirms:
            continue
        for trigger_id in info.tag.firing_trigger_ids:
            trigger = facts.trigger(trigger_id)
            problem = _attempt_problem(trigger) if trigger else None
            if trigger and problem:
                yield tag_hit(info.name, f"conversion fires on {trigger.name!r} ({trigger.type}): {problem}")


def check_duplicate_conversions(facts: ContainerFacts) -> Iterator[Hit]:
    seen: dict[tuple[str, ...], str] = {}
    for info in facts.active_tags:
        if not info.confirms:
            continue
        what = _conversion_identity(info)
        for trigger_id in info.tag.firing_trigger_ids:
            key = (*what, trigger_id)
            if key in seen:
                yield tag_hit(
                    info.name,
                    f"sends the same conversion as {seen[key]!r} on {facts.container.trigger_name(trigger_id)!r}: "
                    "each outcome is counted twice; delete one of them",
                    "error",
                )
            seen.setdefault(key, info.name)


def _conversion_identity(info: TagInfo) -> tuple[str, ...]:
    if info.platform == "google_ads":
        return ("google_ads", info.tag.param("conversionId"), info.tag.param("conversionLabel"))
    return (info.platform or "", *info.ids, *info.events)
