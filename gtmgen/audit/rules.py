"""The audit rules, by id, and the function that runs them over a container.

Each rule is one small check in `rules_tracking`, `rules_conversions` or `rules_hygiene`;
this table gives it its id, default severity and the text the renderers (and SARIF's rule
metadata) show. Rule ids are stable: CI configurations and SARIF baselines refer to them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from gtmgen.audit import rules_conversions as conv
from gtmgen.audit import rules_hygiene as hyg
from gtmgen.audit import rules_tracking as trk
from gtmgen.audit.facts import ContainerFacts
from gtmgen.audit.findings import Finding, Rule
from gtmgen.container import Container
from gtmgen.errors import Location

RULES: tuple[Rule, ...] = (
    Rule("retargeting-without-conversions", "warning", "A platform builds audiences but tracks no conversion",
         "Without conversions the platform cannot attribute leads or optimise bidding.",
         trk.check_retargeting_without_conversions),
    Rule("conversions-without-retargeting", "warning", "A platform tracks conversions but builds no audiences",
         "Without the base tag on every page there are no remarketing audiences.",
         trk.check_conversions_without_retargeting),
    Rule("conversion-linker", "warning", "Google Ads needs exactly one Conversion Linker on all pages",
         "The linker keeps ad-click ids in first-party cookies; without it conversions lose their click.",
         trk.check_conversion_linker),
    Rule("duplicate-base-tag", "error", "The same base tag or pixel id is loaded twice",
         "Two base tags for one id double every page view.", trk.check_duplicate_base_tags),
    Rule("base-fires-repeatedly", "warning", "A base tag can fire more than once per page",
         "Re-running base code re-initialises the pixel and repeats its page view.", trk.check_base_fires_repeatedly),
    Rule("base-not-sitewide", "warning", "A base tag does not fire on every page",
         "Landing pages without the base tag lose the ad click and the audience.", hyg.check_base_not_sitewide),
    Rule("meta-event-before-base", "warning", "A Meta event can fire before the Meta base code",
         "fbq events sent before init are lost; Custom HTML events need tag sequencing.",
         trk.check_meta_event_before_base),
    Rule("conversion-on-attempt", "warning", "A conversion fires on a click or on the generic form trigger",
         "Clicks and submit attempts are not outcomes; conversions belong on success signals.",
         trk.check_conversion_on_attempt),
    Rule("duplicate-conversion", "error", "The same conversion is sent twice on one trigger",
         "Each outcome is counted twice.", trk.check_duplicate_conversions),
    Rule("conversion-value", "warning", "A conversion lacks value or currency",
         "Value-based bidding needs both; value without currency is invalid.", conv.check_conversion_value),
    Rule("conversion-dedup-id", "warning", "A conversion has no transaction or event id",
         "Without one id per outcome refreshes double count and pixel and server events cannot deduplicate.",
         conv.check_conversion_dedup_id),
    Rule("consent-default", "error", "No consent default runs on Consent Initialization",
         "Consent Mode needs its defaults before any tag fires.", hyg.check_consent_default),
    Rule("consent-not-set", "warning", "A tag's consent is not configured",
         "Tags with consent 'not set' ignore the visitor's choice unless their template checks it.",
         hyg.check_consent_not_set),
    Rule("personal-data", "error", "Personal data is sent in parameters or read from URLs",
         "Google and Meta forbid personal data outside the user-data paths.", hyg.check_personal_data),
    Rule("retired-tag-type", "warning", "A retired tag type is still in the container",
         "Universal Analytics and GA4 Configuration tags no longer do what they did.", hyg.check_retired_types),
    Rule("paused-tag", "note", "A tag is paused", "Paused tags are clutter and still count toward the size.",
         hyg.check_paused_tags),
    Rule("orphan-tag", "warning", "A tag has no firing trigger", "It never fires.", hyg.check_orphan_tags),
    Rule("unused-trigger", "note", "A trigger is used by no tag", "Unused items clutter and add size.",
         hyg.check_unused_triggers),
    Rule("unused-variable", "note", "A variable is referenced nowhere", "Unused items clutter and add size.",
         hyg.check_unused_variables),
    Rule("undefined-variable", "error", "A {{variable}} reference names no variable",
         "GTM refuses to publish, or the value is silently undefined.", hyg.check_undefined_variables),
    Rule("broken-reference", "error", "A trigger, tag, template or folder reference does not resolve",
         "The container cannot be imported or published as it is.", hyg.check_broken_references),
    Rule("unknown-tag-type", "note", "A tag type gtmgen does not recognise",
         "gtmgen cannot check it; review it by hand.", hyg.check_unknown_tag_types),
    Rule("container-size", "warning", "The container nears or passes GTM's 200 KB limit",
         "GTM refuses to publish a container over 200 KB.", hyg.check_container_size),
)  # fmt: skip
RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}

Locator = Callable[[Finding], "Location | None"]


@dataclass(frozen=True, slots=True)
class AuditReport:
    """Every finding for one input, sorted; `source` is the file the user named."""

    source: str
    findings: tuple[Finding, ...]

    def count(self, severity: str) -> int:
        return sum(1 for f in self.findings if f.severity == severity)


def audit_container(container: Container, source: str, locate: Locator | None = None) -> AuditReport:
    """Run every rule over a container and attach each finding's location in `source`."""
    facts = ContainerFacts(container)
    findings = [rule.finding(hit) for rule in RULES for hit in rule.check(facts)]
    if locate is not None:
        findings = [replace(f, location=locate(f)) for f in findings]
    return AuditReport(source, tuple(sorted(findings, key=Finding.sort_key)))
