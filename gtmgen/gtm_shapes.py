"""What GTM itself writes in a web-container export: types, parameter keys and their types.

Every entry is evidence from ../shared/reference (the 14 real exports, gtm-export-format.md
§4-§7, the Tag Manager API discovery document). `conformance` checks containers against
these tables; a test checks the tables against the reference exports, so nothing here is a
guess. A parameter path is `key`, `key[]` for a LIST item and `key[].sub` for a MAP entry
inside a LIST item.
"""

from __future__ import annotations

Shape = dict[str, str]  # parameter path -> parameter type

_T, _B, _I, _L, _M = "TEMPLATE", "BOOLEAN", "INTEGER", "LIST", "MAP"


def _table(key: str, *columns: str) -> Shape:
    """A LIST of MAP rows with TEMPLATE columns."""
    return {key: _L, f"{key}[]": _M, **{f"{key}[].{c}": _T for c in columns}}


SETTINGS_COLUMNS = ("parameter", "parameterValue")  # the columns of a settings table

TAG_PARAMETERS_BY_TYPE: dict[str, Shape] = {
    "googtag": {
        "tagId": _T,
        **_table("configSettingsTable", *SETTINGS_COLUMNS),
        **_table("eventSettingsTable", *SETTINGS_COLUMNS),
        "configSettingsVariable": _T,
        "eventSettingsVariable": _T,
    },
    "gaawe": {
        "eventName": _T,
        "sendEcommerceData": _B,
        "getEcommerceDataFrom": _T,
        "enhancedUserId": _B,
        **_table("eventSettingsTable", *SETTINGS_COLUMNS),
        "eventSettingsVariable": _T,
        "userDataVariable": _T,
        "measurementIdOverride": _T,
        "measurementId": "TAG_REFERENCE",
        **_table("eventParameters", "name", "value"),
    },
    "gaawc": {"measurementId": _T, "sendPageView": _B, "enableSendToServerContainer": _B},
    "awct": {
        "conversionId": _T,
        "conversionLabel": _T,
        "conversionValue": _T,
        "currencyCode": _T,
        "orderId": _T,
        "conversionCookiePrefix": _T,
        "enableConversionLinker": _B,
        "enableProductReporting": _B,
        "enableEnhancedConversion": _B,
        "enableNewCustomerReporting": _B,
        "enableShippingData": _B,
        "cssProvidedEnhancedConversionValue": _T,
        "rdp": _B,
    },
    "awud": {"conversionId": _T, "userDataVariable": _T, "enableConversionLinker": _B, "conversionCookiePrefix": _T},
    "sp": {
        "conversionId": _T,
        "conversionLabel": _T,
        "customParamsFormat": _T,
        "enableDynamicRemarketing": _B,
        "rdp": _B,
        "enableConversionLinker": _B,
        "conversionCookiePrefix": _T,
    },
    "gclidw": {"enableCrossDomain": _B, "enableCookieOverrides": _B, "enableUrlPassthrough": _B},
    "html": {"html": _T, "supportDocumentWrite": _B},
}
# Tag types seen in real exports whose keys are not tabulated here (checked for references only).
OTHER_TAG_TYPES = frozenset({"ua", "fls", "awc", "awj", "hjtc"})

# Parameter-style triggers (format §5); ELEMENT_VISIBILITY's `elementSelector` is the CSS
# selector key GTM writes with `selectorType` CSS (also the `d` variable's key, §6).
TRIGGER_PARAMETERS_BY_TYPE: dict[str, Shape] = {
    "SCROLL_DEPTH": {
        "verticalThresholdOn": _B,
        "verticalThresholdUnits": _T,
        "verticalThresholdsPercent": _T,
        "horizontalThresholdOn": _B,
        "triggerStartOption": _T,
    },
    "YOU_TUBE_VIDEO": {
        "captureStart": _B,
        "captureComplete": _B,
        "capturePause": _B,
        "captureProgress": _B,
        "fixMissingApi": _B,
        "triggerStartOption": _T,
        "progressThresholdsPercent": _T,
        "radioButtonGroup1": _T,
    },
    "ELEMENT_VISIBILITY": {
        "selectorType": _T,
        "elementSelector": _T,
        "firingFrequency": _T,
        "onScreenRatio": _T,
        "useOnScreenDuration": _B,
        "useDomChangeListener": _B,
    },
    "TRIGGER_GROUP": {"triggerIds": _L, "triggerIds[]": "TRIGGER_REFERENCE"},
}
FILTER_ONLY_TRIGGER_TYPES = frozenset(
    {"PAGEVIEW", "DOM_READY", "WINDOW_LOADED", "HISTORY_CHANGE", "CLICK", "CUSTOM_EVENT", "LINK_CLICK", "TIMER"}
)
NO_CONDITION_TRIGGER_TYPES = frozenset({"JS_ERROR", "INIT"})
TRIGGER_TYPES = FILTER_ONLY_TRIGGER_TYPES | NO_CONDITION_TRIGGER_TYPES | frozenset(TRIGGER_PARAMETERS_BY_TYPE)

# Key-less top-level objects (format §5, rule 9): key -> parameter type.
TRIGGER_SPECIAL_BY_TYPE: dict[str, Shape] = {
    "LINK_CLICK": {"waitForTags": _B, "checkValidation": _B, "waitForTagsTimeout": _T, "uniqueTriggerId": _T},
    "TIMER": {"eventName": _T, "interval": _T, "limit": _T},
}

# The fields of the User-Provided Data variable (`awec`) in manual mode, in GTM's order.
USER_PROVIDED_DATA_FIELDS = (
    "email",
    "phone_number",
    "first_name",
    "last_name",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
)

VARIABLE_PARAMETERS_BY_TYPE: dict[str, Shape] = {
    "v": {"name": _T, "dataLayerVersion": _I, "setDefaultValue": _B, "defaultValue": _T},
    "c": {"value": _T},
    "jsm": {"javascript": _T},
    "smm": {"input": _T, **_table("map", "key", "value"), "setDefaultValue": _B, "defaultValue": _T},
    "remm": {
        "input": _T,
        **_table("map", "key", "value"),
        "fullMatch": _B,
        "replaceAfterMatch": _B,
        "ignoreCase": _B,
        "setDefaultValue": _B,
        "defaultValue": _T,
    },
    "u": {"component": _T, "queryKey": _T, "customUrlSource": _T, "stripWww": _B},
    "k": {"name": _T, "decodeCookie": _B},
    "d": {"selectorType": _T, "elementSelector": _T},
    "j": {"name": _T},
    "awec": {"mode": _T, **{f: _T for f in USER_PROVIDED_DATA_FIELDS}, "enableElementBlocking": _B},
    "gtes": _table("eventSettingsTable", *SETTINGS_COLUMNS),
    "gtcs": _table("configSettingsTable", *SETTINGS_COLUMNS),
    "uv": {},
}
OTHER_VARIABLE_TYPES = frozenset({"aev", "gas"})

# Condition operators: observed in exports, and the rest of the API's enum in export spelling.
OBSERVED_OPERATORS = frozenset(
    {"EQUALS", "CONTAINS", "MATCH_REGEX", "STARTS_WITH", "CSS_SELECTOR", "GREATER_OR_EQUALS"}
)
OPERATORS = OBSERVED_OPERATORS | frozenset({"ENDS_WITH", "GREATER", "LESS", "LESS_OR_EQUALS", "URL_MATCHES"})

CONSENT_STATUSES = frozenset({"NOT_SET", "NOT_NEEDED", "NEEDED"})
CONSENT_TYPES = frozenset(
    {
        "ad_storage",
        "analytics_storage",
        "ad_user_data",
        "ad_personalization",
        "functionality_storage",
        "personalization_storage",
        "security_storage",
    }
)
TAG_FIRING_OPTIONS = frozenset({"ONCE_PER_EVENT", "ONCE_PER_LOAD", "UNLIMITED"})
PARAMETER_TYPES = frozenset({_T, _B, _I, _L, _M, "TAG_REFERENCE", "TRIGGER_REFERENCE"})
