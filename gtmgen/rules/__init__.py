"""Semantic rules: what a spec's schema cannot say, each a function that yields diagnostics.

The rules read the raw loaded data, so they also run on specs with schema errors and the
user sees every problem in one run; they skip any value whose shape is wrong (the schema
layer already reported it), and a section the schema found missing or invalid (a misspelt
`platfroms:`) is not reported again through its consequences (`ctx.schema_reported`).
Errors fail validation, warnings do not.

    context.py      RuleContext: the document, accessors, diagnostic helpers
    conversions.py  platforms, labels, names, success signals, value/currency, event names
    pages.py        page groups: slugs, path patterns, overlapping paths
    site.py         extra domains, consent regions and defaults, placeholder ids
    template_text.py  no `{{...}}` in text that becomes a GTM template value
"""

from __future__ import annotations

from gtmgen.errors import Diagnostic
from gtmgen.loader import Document, JsonPath
from gtmgen.rules import conversions as conversions
from gtmgen.rules import pages as pages
from gtmgen.rules import site as site
from gtmgen.rules import template_text as template_text
from gtmgen.rules.context import Rule, RuleContext

RULES: tuple[Rule, ...] = (
    conversions.check_platform_blocks,
    conversions.check_google_ads_labels,
    conversions.check_unique_conversion_names,
    conversions.check_unique_click_names,
    conversions.check_thank_you_pages,
    conversions.check_page_path_scope,
    conversions.check_phone_calls,
    conversions.check_plugin_form_ids,
    conversions.check_value_and_currency,
    conversions.check_currency_codes,
    conversions.check_meta_purchase_value,
    conversions.check_ga4_event_names,
    conversions.check_meta_event_names,
    conversions.check_signal_events,
    pages.check_slugs,
    pages.check_patterns,
    pages.check_overlapping_paths,
    site.check_extra_domains,
    site.check_consent_regions,
    site.check_consent_defaults,
    site.check_placeholder_ids,
    site.check_placeholder_domain,
    template_text.check_gtm_variable_syntax,
)

_SHAPE_ERRORS = (TypeError, KeyError, AttributeError, ValueError, IndexError)


def semantic_diagnostics(
    document: Document, *, strict: bool = True, reported: frozenset[JsonPath] = frozenset()
) -> list[Diagnostic]:
    """Every rule's findings. With `strict=False` (the schema already found errors), a rule that
    trips over a malformed value is skipped instead of failing. `reported` holds the paths the
    schema found missing or invalid: rules draw no conclusion from their absence."""
    context = RuleContext(document, reported)
    found: list[Diagnostic] = []
    for rule in RULES:
        try:
            found.extend(rule(context))
        except _SHAPE_ERRORS:
            if strict:
                raise
    return found
