"""Naming rules of the platforms: GA4 event names and Meta standard events.

Sources: tracking-domain.md §1.2 (GA4 collection limits: event and parameter names at most 40
characters, parameter values at most 100, which the schema's `maxLength` on names and slugs
enforces) and §2.2 (Meta's
standard events as the official GTM template ships them). GA4's reserved names and prefixes
are those of Google's "Reserved event names" help page; the enhanced-measurement names are
those of tracking-domain.md §1.2 (Analytics Help answer 9216061).
"""

from __future__ import annotations

import re

GA4_NAME_MAX = 40
GA4_PARAMETER_VALUE_MAX = 100

GA4_RESERVED_PREFIXES = ("_", "firebase_", "ga_", "google_", "gtag.")

# Reserved by GA4 itself; sending them from a tag is refused or corrupts reports.
GA4_RESERVED_EVENTS = frozenset(
    {
        "ad_activeview",
        "ad_click",
        "ad_exposure",
        "ad_impression",
        "ad_query",
        "ad_reward",
        "adunit_exposure",
        "app_background",
        "app_clear_data",
        "app_exception",
        "app_install",
        "app_remove",
        "app_store_refund",
        "app_store_subscription_cancel",
        "app_store_subscription_convert",
        "app_store_subscription_renew",
        "app_update",
        "app_upgrade",
        "dynamic_link_app_open",
        "dynamic_link_app_update",
        "dynamic_link_first_open",
        "error",
        "firebase_campaign",
        "firebase_in_app_message_action",
        "firebase_in_app_message_dismiss",
        "firebase_in_app_message_impression",
        "first_open",
        "first_visit",
        "in_app_purchase",
        "notification_dismiss",
        "notification_foreground",
        "notification_open",
        "notification_receive",
        "os_update",
        "session_start",
        "session_start_with_rollout",
        "user_engagement",
    }
)

# Collected on every page or screen by the Google tag itself.
GA4_AUTOMATIC_EVENTS = frozenset({"page_view", "screen_view"})

# Sent by GA4's enhanced measurement when it is on: a conversion with such a name counts twice.
GA4_ENHANCED_MEASUREMENT_EVENTS = frozenset(
    {
        "scroll",
        "click",
        "view_search_results",
        "video_start",
        "video_progress",
        "video_complete",
        "file_download",
        "form_start",
        "form_submit",
    }
)

META_STANDARD_EVENTS = (
    "PageView",
    "AddPaymentInfo",
    "AddToCart",
    "AddToWishlist",
    "CompleteRegistration",
    "Contact",
    "CustomizeProduct",
    "Donate",
    "FindLocation",
    "InitiateCheckout",
    "Lead",
    "Purchase",
    "Schedule",
    "Search",
    "StartTrial",
    "SubmitApplication",
    "Subscribe",
    "ViewContent",
)

# Meta standard events that confirm an outcome (tracking-domain §2.2); the others observe.
META_CONVERSION_EVENTS = frozenset(
    "Lead Purchase Contact Schedule CompleteRegistration SubmitApplication Subscribe StartTrial Donate".split()
)
# GA4 recommended outcome events plus gtmgen's lead-gen names (tracking-domain §1.2, §3).
GA4_CONVERSION_EVENTS = frozenset(
    "generate_lead purchase sign_up close_convert_lead qualify_lead phone_click email_click book_appointment".split()
)

_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")


def snake_case(text: str) -> str:
    """`Book Appointment!` -> `book_appointment`."""
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def ga4_event_name_problem(name: str) -> str | None:
    """Why `name` cannot be a GA4 event sent by gtmgen (a phrase after the name), or None when it can."""
    if len(name) > GA4_NAME_MAX:
        return f"is {len(name)} characters long; GA4 allows at most {GA4_NAME_MAX}"
    prefix = next((p for p in GA4_RESERVED_PREFIXES if name.startswith(p)), None)
    if prefix:
        return f"starts with {prefix!r}, a prefix GA4 reserves"
    if not _SNAKE_CASE.match(name):
        return "is not snake_case (lower-case letters, digits and _, starting with a letter)"
    if name in GA4_RESERVED_EVENTS:
        return "is reserved by GA4"
    if name in GA4_AUTOMATIC_EVENTS:
        return "is sent by the Google tag on every page"
    return None


def suggest_ga4_event_name(name: str) -> str | None:
    """A usable GA4 event name close to `name`, if there is an obvious one."""
    suggestion = snake_case(name)[:GA4_NAME_MAX].rstrip("_")
    for prefix in GA4_RESERVED_PREFIXES:
        suggestion = suggestion.removeprefix(prefix)
    if suggestion == name or not suggestion or ga4_event_name_problem(suggestion):
        return None
    return suggestion


def meta_standard_spelling(name: str) -> str | None:
    """The standard event `name` is a mis-capitalised spelling of (`lead` -> `Lead`), if any."""
    by_lower = {event.lower(): event for event in META_STANDARD_EVENTS}
    standard = by_lower.get(name.lower())
    return standard if standard is not None and standard != name else None
