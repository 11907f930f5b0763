"""The Google side: Google tags (`googtag`), GA4 events (`gaawe`), Google Ads conversions
(`awct`), the conversion linker (`gclidw`) and enhanced conversions (`awec`).

Parameter keys and types are the ones GTM writes (gtm-export-format.md §4, §6). Google tags
fire on Initialization - All Pages and rely on their built-in consent checks.
"""

from __future__ import annotations

from collections.abc import Iterable

from gtmgen.compile.audiences import page_group_parameters
from gtmgen.compile.parts import (
    ADS_ID_VARIABLE,
    BUILT_IN_CONSENT,
    FOLDER_GOOGLE,
    GA4_ID_VARIABLE,
    PAGE_TYPE_VARIABLE,
    Part,
    constant,
    data_layer_variable,
    owned_variable,
    ref,
)
from gtmgen.container import (
    ALL_PAGES_TRIGGER_ID,
    INITIALIZATION_TRIGGER_ID,
    Parameter,
    Tag,
    Variable,
    ownership_notes,
)
from gtmgen.gtm_shapes import SETTINGS_COLUMNS, USER_PROVIDED_DATA_FIELDS
from gtmgen.spec import GoogleAds, SiteSpec

GA4_CONFIG_TAG = "GA4 - Config - Google Tag"
ADS_CONFIG_TAG = "GAds - Config - Google Tag"
LINKER_TAG = "GAds - Linker"
USER_DATA_VARIABLE = "UPD - enhanced conversions"


def _settings(key: str, rows: list[tuple[str, str]]) -> list[Parameter]:
    return [Parameter.table(key, rows, SETTINGS_COLUMNS)] if rows else []


def _google_type_tag(type_: str, name: str, params: Iterable[Parameter], trigger: str, notes: str, folder: str) -> Tag:
    """A tag of one of Google's types (`type_`) on one trigger; it relies on its built-in consent checks."""
    return Tag(
        tag_id="",
        name=name,
        type=type_,
        parameter=tuple(params),
        firing_trigger_ids=(trigger,),
        consent=BUILT_IN_CONSENT,
        notes=notes,
        parent_folder_id=folder,
    )


def _google_tag(
    name: str, tag_id: str, config: list[tuple[str, str]], events: list[tuple[str, str]], notes: str
) -> Tag:
    """A Google tag (`googtag`) on Initialization - All Pages."""
    params = [Parameter.template("tagId", tag_id), *_settings("configSettingsTable", config)]
    params += _settings("eventSettingsTable", events)
    return _google_type_tag("googtag", name, params, INITIALIZATION_TRIGGER_ID, notes, FOLDER_GOOGLE)


def _ga4_tags(spec: SiteSpec) -> Part:
    ga4 = spec.platforms.ga4
    if ga4 is None:
        return Part()
    config = [("content_group", ref(PAGE_TYPE_VARIABLE))] if spec.page_groups else []
    if not ga4.send_page_view:
        config.append(("send_page_view", "false"))
    what = "The GA4 Google tag on every page; page-group labels go to every GA4 event (content_group, page_type, ...)."
    tag = _google_tag(
        GA4_CONFIG_TAG,
        ref(GA4_ID_VARIABLE),
        config,
        page_group_parameters(spec),
        ownership_notes("platforms.ga4", what),
    )
    variable = constant(GA4_ID_VARIABLE, ga4.measurement_id, "platforms.ga4", "GA4 measurement ID.", FOLDER_GOOGLE)
    return Part(tags=(tag,), variables=(variable,))


def _linker_notes(spec: SiteSpec) -> str:
    what = "The one conversion linker: stores ad-click ids in first-party cookies on every page."
    foreign = [d for d in spec.site.extra_domains if not _same_site(d, spec.site.domain)]
    if foreign:
        # GTM's linker-domain key appears in no reference export, so gtmgen does not write it.
        what += (
            " Cross-domain: add " + ", ".join(foreign) + " under the Google tag's 'Configure your domains'"
            " (subdomains of " + _base_domain(spec.site.domain) + " share cookies already)."
        )
    return ownership_notes("platforms.google_ads", what)


def _base_domain(domain: str) -> str:
    return domain.lower().removeprefix("www.")


def _same_site(domain: str, site_domain: str) -> bool:
    base = _base_domain(site_domain)
    return domain.lower() == base or domain.lower().endswith("." + base)


def _linker(spec: SiteSpec) -> Tag:
    params = (
        Parameter.boolean("enableCrossDomain", False),
        Parameter.boolean("enableUrlPassthrough", spec.consent.url_passthrough),
        Parameter.boolean("enableCookieOverrides", False),
    )
    return _google_type_tag("gclidw", LINKER_TAG, params, ALL_PAGES_TRIGGER_ID, _linker_notes(spec), FOLDER_GOOGLE)


def _ads_tags(spec: SiteSpec) -> Part:
    ads = spec.platforms.google_ads
    if ads is None:
        return Part()
    config = [] if ads.remarketing else [("allow_ad_personalization_signals", "false")]
    events = page_group_parameters(spec) if ads.remarketing else []
    what = (
        "The Google Ads Google tag on every page: remarketing lists, with page-group labels as custom parameters."
        if ads.remarketing
        else "The Google Ads Google tag on every page; remarketing is off (no ad personalisation signals)."
    )
    tag = _google_tag(
        ADS_CONFIG_TAG, ref(ADS_ID_VARIABLE), config, events, ownership_notes("platforms.google_ads", what)
    )
    variable = constant(ADS_ID_VARIABLE, ads.conversion_id, "platforms.google_ads", "Google Ads tag ID.", FOLDER_GOOGLE)
    return Part(tags=(tag, _linker(spec)), variables=(variable, *_user_data_variables(ads)))


def _user_data_variables(ads: GoogleAds) -> tuple[Variable, ...]:
    if not ads.enhanced_conversions:
        return ()
    # Each field is read from `<user_data_key>.<field>` in the dataLayer.
    dlvs = [
        data_layer_variable(
            f"{ads.user_data_key}.{field}", "platforms.google_ads", f"User data: {field}.", FOLDER_GOOGLE
        )
        for field in USER_PROVIDED_DATA_FIELDS
    ]
    params = [Parameter.template("mode", "MANUAL")]
    params += [Parameter.template(field, ref(v.name)) for field, v in zip(USER_PROVIDED_DATA_FIELDS, dlvs, strict=True)]
    what = (
        f"Enhanced conversions: user data the site pushes to the dataLayer under {ads.user_data_key!r} "
        "(email, phone_number, first_name, ...), sent hashed with Google Ads conversions."
    )
    source = "platforms.google_ads.enhanced_conversions"
    upd = owned_variable(USER_DATA_VARIABLE, "awec", params, source, what, FOLDER_GOOGLE)
    return (upd, *dlvs)


def compile_google(spec: SiteSpec) -> Part:
    """The Google tags (GA4 and Google Ads), the linker and their variables."""
    return _ga4_tags(spec) + _ads_tags(spec)


# ---------------------------------------------------------------- event tags


def ga4_event_tag(
    name: str, event: str, params: list[tuple[str, str]], trigger: str, notes: str, folder: str = FOLDER_GOOGLE
) -> Tag:
    """A GA4 event tag sending `event` with `params` through the GA4 Google tag."""
    parameters = [
        Parameter.boolean("sendEcommerceData", False),
        Parameter.boolean("enhancedUserId", False),
        Parameter.template("eventName", event),
        Parameter.template("measurementIdOverride", ref(GA4_ID_VARIABLE)),
        *_settings("eventSettingsTable", params),
    ]
    return _google_type_tag("gaawe", name, parameters, trigger, notes, folder)


def ads_conversion_tag(
    name: str,
    ads: GoogleAds,
    label: str,
    value: str | None,
    currency: str | None,
    order_id: str,
    trigger: str,
    notes: str,
) -> Tag:
    """A Google Ads conversion tag (conversion id + label, value, currency, order id)."""
    params = [
        Parameter.template("conversionId", ads.numeric_id),
        Parameter.template("conversionLabel", label),
        *([Parameter.template("conversionValue", value)] if value else []),
        *([Parameter.template("currencyCode", currency)] if currency else []),
        Parameter.template("orderId", order_id),
        Parameter.boolean("enableConversionLinker", True),
        Parameter.template("conversionCookiePrefix", "_gcl"),
        Parameter.boolean("enableProductReporting", False),
        Parameter.boolean("enableNewCustomerReporting", False),
        Parameter.boolean("enableShippingData", False),
        Parameter.boolean("enableEnhancedConversion", ads.enhanced_conversions),
        *(
            [Parameter.template("cssProvidedEnhancedConversionValue", ref(USER_DATA_VARIABLE))]
            if ads.enhanced_conversions
            else []
        ),
        Parameter.boolean("rdp", False),
    ]
    return _google_type_tag("awct", name, params, trigger, notes, FOLDER_GOOGLE)
