"""The site model: what a validated spec means, as frozen values with no I/O.

`spec_from_data` is called only on data that passed validation (schema and semantic rules),
so it can index without checks. Every value that came from the spec keeps its spec key
(`source`, a JSON-path-like string such as `conversions[0]`) so generated entities can name it
in their notes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

PageGroupKind = Literal["services", "problems", "locations", "brands", "professionals"]
PAGE_GROUP_KINDS: tuple[PageGroupKind, ...] = ("services", "problems", "locations", "brands", "professionals")
# The label each page-group kind sets (GA4 parameter, Ads custom parameter, Meta custom data).
LABEL_BY_KIND: dict[PageGroupKind, str] = {
    "services": "service",
    "problems": "problem",
    "locations": "location",
    "brands": "brand",
    "professionals": "professional",
}

ConversionKind = Literal["form_submission", "phone_call", "booking", "purchase", "lead", "custom"]
Plugin = Literal["contact_form_7", "gravity_forms", "hubspot", "calendly"]
ConsentState = Literal["granted", "denied"]
CONSENT_SIGNALS = ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization")
PATTERN_PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@dataclass(frozen=True, slots=True)
class Site:
    name: str
    domain: str
    extra_domains: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GtmTarget:
    account_id: str = "0"
    container_id: str = "0"
    public_id: str = "GTM-XXXXXXX"
    workspace: str | None = None


@dataclass(frozen=True, slots=True)
class Ga4:
    measurement_id: str
    send_page_view: bool = True


@dataclass(frozen=True, slots=True)
class GoogleAds:
    conversion_id: str  # "AW-123456789"
    remarketing: bool = True
    enhanced_conversions: bool = False
    user_data_key: str = "user_data"  # dataLayer key the site fills for enhanced conversions

    @property
    def numeric_id(self) -> str:
        return self.conversion_id.removeprefix("AW-")


@dataclass(frozen=True, slots=True)
class Meta:
    pixel_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Platforms:
    ga4: Ga4 | None = None
    google_ads: GoogleAds | None = None
    meta: Meta | None = None


@dataclass(frozen=True, slots=True)
class ConsentRegion:
    regions: tuple[str, ...]
    states: tuple[tuple[str, ConsentState], ...]


@dataclass(frozen=True, slots=True)
class Consent:
    defaults: tuple[tuple[str, ConsentState], ...] = tuple((s, "denied") for s in CONSENT_SIGNALS)
    regions: tuple[ConsentRegion, ...] = ()
    wait_for_update: int = 500
    url_passthrough: bool = False
    ads_data_redaction: bool = True
    update_event: str | None = None  # the dataLayer event a CMP pushes after a consent update

    def default(self, signal: str) -> ConsentState:
        return dict(self.defaults).get(signal, "denied")


@dataclass(frozen=True, slots=True)
class PageGroupEntry:
    """One page group: a named set of paths, or a path pattern whose `{placeholder}` is the label."""

    kind: PageGroupKind
    name: str
    slug: str
    paths: tuple[str, ...] = ()
    pattern: str | None = None
    source: str = ""

    @property
    def label(self) -> str:
        return LABEL_BY_KIND[self.kind]


@dataclass(frozen=True, slots=True)
class When:
    """How a conversion's success is recognised: exactly one field is set."""

    thank_you_page: str | None = None
    thank_you_match: Literal["exact", "prefix", "regex"] = "prefix"
    datalayer_event: str | None = None
    plugin: Plugin | None = None
    form_id: str | None = None
    link_click: Literal["tel", "mailto"] | None = None
    element_visible: str | None = None
    page_path: str | None = None  # optional scope for link clicks and element visibility


@dataclass(frozen=True, slots=True)
class Conversion:
    name: str
    kind: ConversionKind
    when: When
    value: float | None = None
    value_from_datalayer: str | None = None  # a dataLayer key that carries the value
    currency: str | None = None
    google_ads_label: str | None = None
    meta_event: str | None = None
    ga4_event: str | None = None
    source: str = ""

    @property
    def slug(self) -> str:
        return slugify(self.name)


@dataclass(frozen=True, slots=True)
class ClickSignal:
    name: str
    selector: str
    ga4_event: str
    meta_event: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class Signals:
    engaged_seconds: int | None = None
    scroll_percents: tuple[int, ...] = ()
    form_start: bool = False
    clicks: tuple[ClickSignal, ...] = ()


@dataclass(frozen=True, slots=True)
class SiteSpec:
    """A whole validated spec."""

    site: Site
    gtm: GtmTarget
    platforms: Platforms
    consent: Consent
    page_groups: tuple[PageGroupEntry, ...] = ()
    conversions: tuple[Conversion, ...] = ()
    signals: Signals = field(default_factory=Signals)
    source_file: str = ""

    def page_groups_of(self, kind: PageGroupKind) -> tuple[PageGroupEntry, ...]:
        return tuple(e for e in self.page_groups if e.kind == kind)


def slugify(text: str) -> str:
    """Lower-case words joined by hyphens: `Foundation Repair` -> `foundation-repair`."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


# ---------------------------------------------------------------- building from validated data


def spec_from_data(data: Mapping[str, Any], source_file: str = "") -> SiteSpec:
    """The model of a spec that passed validation."""
    return SiteSpec(
        site=_site(data["site"]),
        gtm=_gtm(data.get("gtm") or {}),
        platforms=_platforms(data.get("platforms") or {}),
        consent=_consent(data.get("consent") or {}),
        page_groups=_page_groups(data.get("page_groups") or {}),
        conversions=tuple(_conversion(c, f"conversions[{i}]") for i, c in enumerate(data.get("conversions") or ())),
        signals=_signals(data.get("signals") or {}),
        source_file=source_file,
    )


def _site(raw: Mapping[str, Any]) -> Site:
    return Site(name=raw["name"], domain=raw["domain"], extra_domains=tuple(raw.get("extra_domains") or ()))


def _gtm(raw: Mapping[str, Any]) -> GtmTarget:
    return GtmTarget(
        account_id=str(raw.get("account_id", "0")),
        container_id=str(raw.get("container_id", "0")),
        public_id=raw.get("public_id", "GTM-XXXXXXX"),
        workspace=raw.get("workspace"),
    )


def _platforms(raw: Mapping[str, Any]) -> Platforms:
    ga4, ads, meta = raw.get("ga4"), raw.get("google_ads"), raw.get("meta")
    return Platforms(
        ga4=Ga4(ga4["measurement_id"], bool(ga4.get("send_page_view", True))) if ga4 else None,
        google_ads=_google_ads(ads) if ads else None,
        meta=Meta(_as_tuple(meta["pixel_id"])) if meta else None,
    )


def _google_ads(raw: Mapping[str, Any]) -> GoogleAds:
    return GoogleAds(
        conversion_id=raw["conversion_id"],
        remarketing=bool(raw.get("remarketing", True)),
        enhanced_conversions=bool(raw.get("enhanced_conversions", False)),
        user_data_key=raw.get("user_data_key", "user_data"),
    )


def _as_tuple(value: str | Sequence[str]) -> tuple[str, ...]:
    return (str(value),) if isinstance(value, (str, int)) else tuple(str(v) for v in value)


def _states(raw: Mapping[str, Any]) -> tuple[tuple[str, ConsentState], ...]:
    return tuple((s, raw[s]) for s in CONSENT_SIGNALS if s in raw)


def _consent(raw: Mapping[str, Any]) -> Consent:
    defaults = dict(Consent().defaults) | dict(_states(raw.get("defaults") or {}))
    return Consent(
        defaults=tuple((s, defaults[s]) for s in CONSENT_SIGNALS),
        regions=tuple(ConsentRegion(tuple(r["regions"]), _states(r)) for r in raw.get("regions") or ()),
        wait_for_update=int(raw.get("wait_for_update", 500)),
        url_passthrough=bool(raw.get("url_passthrough", False)),
        ads_data_redaction=bool(raw.get("ads_data_redaction", True)),
        update_event=raw.get("update_event"),
    )


def _page_groups(raw: Mapping[str, Any]) -> tuple[PageGroupEntry, ...]:
    entries: list[PageGroupEntry] = []
    for kind in PAGE_GROUP_KINDS:
        for i, item in enumerate(raw.get(kind) or ()):
            entries.append(_page_group_entry(kind, item, f"page_groups.{kind}[{i}]"))
    return tuple(entries)


def _page_group_entry(kind: PageGroupKind, raw: Mapping[str, Any], source: str) -> PageGroupEntry:
    return PageGroupEntry(
        kind=kind,
        name=raw["name"],
        slug=raw.get("slug") or slugify(raw["name"]),
        paths=tuple(raw.get("paths") or ()),
        pattern=raw.get("pattern"),
        source=source,
    )


def _when(raw: Mapping[str, Any]) -> When:
    page = raw.get("thank_you_page")
    plugin = raw.get("plugin")
    return When(
        thank_you_page=page["path"] if isinstance(page, Mapping) else page,
        thank_you_match=page.get("match", "prefix") if isinstance(page, Mapping) else "prefix",
        datalayer_event=raw.get("datalayer_event"),
        plugin=plugin["name"] if isinstance(plugin, Mapping) else plugin,
        form_id=str(plugin["form_id"]) if isinstance(plugin, Mapping) and "form_id" in plugin else None,
        link_click=raw.get("link_click"),
        element_visible=raw.get("element_visible"),
        page_path=raw.get("page_path"),
    )


# GA4 and Meta event names a conversion kind sends unless the spec names others (tracking-domain §3).
DEFAULT_EVENTS_BY_KIND: dict[str, tuple[str, str]] = {
    "form_submission": ("generate_lead", "Lead"),
    "lead": ("generate_lead", "Lead"),
    "phone_call": ("phone_click", "Contact"),
    "booking": ("book_appointment", "Schedule"),
    "purchase": ("purchase", "Purchase"),
}


def default_events(kind: str, name: str, link_click: str | None) -> tuple[str, str]:
    """The (GA4, Meta) event names for a conversion that names none."""
    if kind == "phone_call" and link_click == "mailto":
        return ("email_click", "Contact")
    if kind in DEFAULT_EVENTS_BY_KIND:
        return DEFAULT_EVENTS_BY_KIND[kind]
    slug = slugify(name).replace("-", "_")[:40]
    return (slug, "".join(w.capitalize() for w in slug.split("_")))


def _platform_field(raw: object, key: str, default: str | None) -> str | None:
    """`platform: false` opts out; a mapping names the value; absent takes the default."""
    if raw is False:
        return None
    if isinstance(raw, Mapping) and key in raw:
        return str(raw[key])
    return default


def _conversion(raw: Mapping[str, Any], source: str) -> Conversion:
    value = raw.get("value")
    when = _when(raw["when"])
    ga4_default, meta_default = default_events(raw["kind"], raw["name"], when.link_click)
    return Conversion(
        name=raw["name"],
        kind=raw["kind"],
        when=when,
        value=float(value) if isinstance(value, (int, float)) else None,
        value_from_datalayer=value["datalayer"] if isinstance(value, Mapping) else None,
        currency=raw.get("currency"),
        google_ads_label=_platform_field(raw.get("google_ads"), "label", None),
        meta_event=_platform_field(raw.get("meta"), "event", meta_default),
        ga4_event=_platform_field(raw.get("ga4"), "event", ga4_default),
        source=source,
    )


def _signals(raw: Mapping[str, Any]) -> Signals:
    engaged = raw.get("engaged_time")
    scroll = raw.get("scroll_depth")
    return Signals(
        engaged_seconds=int(engaged["seconds"]) if engaged else None,
        scroll_percents=tuple(int(p) for p in (scroll or {}).get("percents", ())),
        form_start=bool(raw.get("form_start", False)),
        clicks=tuple(_click(c, f"signals.clicks[{i}]") for i, c in enumerate(raw.get("clicks") or ())),
    )


def _click(raw: Mapping[str, Any], source: str) -> ClickSignal:
    slug = slugify(raw["name"]).replace("-", "_")
    return ClickSignal(
        name=raw["name"],
        selector=raw["selector"],
        ga4_event=raw.get("ga4_event", f"click_{slug}"[:40]),
        meta_event=raw.get("meta_event", "".join(w.capitalize() for w in slug.split("_")) + "Click"),
        source=source,
    )
