"""Checks on what each conversion carries (tracking-domain.md §1.2, §1.3, §2.2, §2.5, §7.3 #6):
value with currency, and one id per outcome so refreshes and pixel + server events deduplicate."""

from __future__ import annotations

from collections.abc import Iterator

from gtmgen.audit.facts import ContainerFacts, TagInfo
from gtmgen.audit.findings import Hit, tag_hit

# Where each platform's tags carry value, currency and the deduplication id.
VALUE_KEYS = ("value", "conversionValue", "revenue")
CURRENCY_KEYS = ("currency", "currencyCode")
ID_KEYS = ("transaction_id", "orderId", "order_id", "eventId", "eventID", "event_id")
ID_NAME_BY_PLATFORM = {
    "google_ads": "transaction id (orderId)",
    "meta": "event id (eventID)",
    "ga4": "transaction_id",
}


def _has(fields: dict[str, str], keys: tuple[str, ...]) -> bool:
    return any(k in fields for k in keys)


def _sends_ecommerce(info: TagInfo) -> bool:
    return info.tag.param("sendEcommerceData") == "true"


def _conversions(facts: ContainerFacts) -> Iterator[TagInfo]:
    for info in facts.active_tags:
        if info.confirms and info.platform in ("ga4", "google_ads", "meta"):
            yield info


def _is_purchase(info: TagInfo) -> bool:
    return any(e.lower() == "purchase" for e in info.events)


def check_conversion_value(facts: ContainerFacts) -> Iterator[Hit]:
    for info in _conversions(facts):
        if _sends_ecommerce(info):
            continue
        fields = facts.event_fields(info.tag)
        value, currency = _has(fields, VALUE_KEYS), _has(fields, CURRENCY_KEYS)
        if value and not currency:
            yield tag_hit(info.name, "sends a value without a currency: add the ISO 4217 currency code", "error")
        elif currency and not value:
            yield tag_hit(info.name, "sends a currency without a value: add the value", "error")
        elif not value and _is_purchase(info):
            yield tag_hit(info.name, "a Purchase needs value and currency: add both", "error")
        elif not value:
            yield tag_hit(
                info.name,
                "sends no value or currency: give the conversion a value (even an estimated lead value) "
                "and its currency so bidding can optimise",
            )


def check_conversion_dedup_id(facts: ContainerFacts) -> Iterator[Hit]:
    for info in _conversions(facts):
        if info.platform == "ga4" and not _is_purchase(info):
            continue  # GA4 deduplicates only purchases by transaction_id
        if _sends_ecommerce(info):
            continue
        fields = facts.event_fields(info.tag)
        if not _has(fields, ID_KEYS):
            yield tag_hit(
                info.name,
                f"has no {ID_NAME_BY_PLATFORM[info.platform or 'ga4']}: refreshes count twice and pixel and "
                "server events cannot be deduplicated; send one id per outcome from the dataLayer",
            )
