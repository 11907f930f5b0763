"""Consent mode v2: the consent default tag on Consent Initialization - All Pages.

Why a Custom HTML `gtag("consent", "default", ...)` and not a consent template: a template
tag needs its `customTemplate` entity (template code, permissions, gallery signature) in the
export, which gtmgen cannot write faithfully; the Custom HTML form is what real exports use
(the `html` consent default in the reference exports) and needs nothing else. It runs on
Consent Initialization, which GTM fires before Initialization and All Pages; the commands it
pushes are processed before the next event, so every Google tag starts with these defaults.
"""

from __future__ import annotations

from gtmgen.compile.parts import (
    FOLDER_CONSENT,
    NO_CONSENT_NEEDED,
    Part,
    clean_name,
    custom_event_trigger,
    html_tag,
    literal,
)
from gtmgen.compile.render import render
from gtmgen.container import CONSENT_INITIALIZATION_TRIGGER_ID, Trigger, ownership_notes
from gtmgen.spec import CONSENT_SIGNALS, Consent, SiteSpec

CONSENT_DEFAULT_TAG = "Consent - Default"

_NOTES = (
    "Consent mode v2 defaults (all four signals, region rows, wait_for_update, url_passthrough, "
    "ads_data_redaction) as a Custom HTML gtag('consent', 'default') on Consent Initialization - All Pages: "
    "it fires before every other tag and needs no community template in the container. "
    "Your consent platform must call gtag('consent', 'update', ...) when the visitor chooses."
)


def _defaults(consent: Consent) -> dict[str, object]:
    states: dict[str, object] = {signal: consent.default(signal) for signal in CONSENT_SIGNALS}
    states["wait_for_update"] = consent.wait_for_update
    return states


def _region_rows(consent: Consent) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for region in consent.regions:
        row: dict[str, object] = dict(region.states)
        row["region"] = list(region.regions)
        row["wait_for_update"] = consent.wait_for_update
        rows.append(row)
    return rows


def consent_default_html(consent: Consent) -> str:
    """The consent default script."""
    return render(
        "consent/default.html.j2",
        defaults=_defaults(consent),
        regions=_region_rows(consent),
        url_passthrough=consent.url_passthrough,
        ads_data_redaction=consent.ads_data_redaction,
    )


def update_trigger_name(consent: Consent) -> str | None:
    """The Custom Event trigger on the consent platform's update event, if the spec names one."""
    return clean_name(f"CE - {consent.update_event}") if consent.update_event else None


def compile_consent(spec: SiteSpec) -> Part:
    """The consent default tag, and the consent-update trigger that lets blocked tags fire later."""
    tag = html_tag(
        CONSENT_DEFAULT_TAG,
        consent_default_html(spec.consent),
        triggers=(CONSENT_INITIALIZATION_TRIGGER_ID,),
        consent=NO_CONSENT_NEEDED,
        notes=ownership_notes("consent", _NOTES),
        folder=FOLDER_CONSENT,
    )
    triggers: tuple[Trigger, ...] = ()
    if spec.consent.update_event:
        what = "The consent platform's update event: tags that need ad consent get a second chance to fire."
        event = literal(spec.consent.update_event, "consent.update_event")
        triggers = (custom_event_trigger(event, "consent.update_event", what, FOLDER_CONSENT),)
    return Part(tags=(tag,), triggers=triggers)
