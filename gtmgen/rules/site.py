"""Rules on the site, consent and ids: extra domains, region codes, consent defaults, placeholders."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from gtmgen.errors import Diagnostic
from gtmgen.loader import JsonPath
from gtmgen.rules.context import RuleContext, items, listed, mapping


def check_extra_domains(ctx: RuleContext) -> Iterator[Diagnostic]:
    site = mapping(ctx.data.get("site"))
    for index, domain in enumerate(listed(site.get("extra_domains"))):
        if domain == site.get("domain"):
            message = "extra_domains repeats the main domain; list only other host names"
            yield ctx.error(("site", "extra_domains", index), message, "extra-domain")


_NOT_COUNTRIES = {
    "EU": "EU is not a country code; list the countries (consent rules apply in each EEA country, the UK and CH)",
    "EEA": "EEA is not a country code; list the countries",
    "UK": "the United Kingdom's ISO 3166 code is GB",
}


def check_consent_regions(ctx: RuleContext) -> Iterator[Diagnostic]:
    consent = mapping(ctx.data.get("consent"))
    first_line: dict[str, int] = {}
    for path, entry in items(consent.get("regions"), ("consent", "regions")):
        for index, code in enumerate(listed(entry.get("regions"))):
            where = (*path, "regions", index)
            if code in _NOT_COUNTRIES:
                yield ctx.error(where, _NOT_COUNTRIES[code], "consent-region")
            elif isinstance(code, str) and code in first_line:
                message = f"region {code} already has defaults (line {first_line[code]}); list each region once"
                yield ctx.error(where, message, "consent-region")
            elif isinstance(code, str):
                first_line[code] = ctx.line(where)


def check_consent_defaults(ctx: RuleContext) -> Iterator[Diagnostic]:
    consent = mapping(ctx.data.get("consent"))
    granted = [s for s, state in mapping(consent.get("defaults")).items() if state == "granted"]
    if granted and not consent.get("regions"):
        message = (
            f"{', '.join(granted)} granted by default everywhere, including the EEA, the UK and Switzerland "
            "where Google requires consent first; grant it only in `regions` entries for other countries"
        )
        yield ctx.warning(("consent", "defaults"), message, "consent-default-granted", key=True)


# (path, what it is) of ids that a starter spec fills with placeholders.
_ID_PATHS: tuple[tuple[JsonPath, str], ...] = (
    (("platforms", "ga4", "measurement_id"), "GA4 measurement ID"),
    (("platforms", "google_ads", "conversion_id"), "Google Ads conversion ID"),
    (("gtm", "public_id"), "GTM container id"),
)


# The second-level domains RFC 2606 reserves for examples: no real site has them, and
# `gtmgen import` writes example.com when a container does not name its site.
EXAMPLE_DOMAINS = frozenset({"example.com", "example.net", "example.org"})


def check_placeholder_domain(ctx: RuleContext) -> Iterator[Diagnostic]:
    domain = mapping(ctx.data.get("site")).get("domain")
    if isinstance(domain, str) and domain.removeprefix("www.") in EXAMPLE_DOMAINS:
        message = f"{domain} is a placeholder; replace it with the site's own host name"
        yield ctx.warning(("site", "domain"), message, "placeholder-id")


def is_placeholder(value: object) -> bool:
    """`G-XXXXXXXXXX`, `AW-000000000`, `000000000000000`: an id nobody has."""
    body = str(value).rsplit("-", 1)[-1]
    return bool(body) and (set(body) <= {"X"} or set(body) <= {"0"})


def check_placeholder_ids(ctx: RuleContext) -> Iterator[Diagnostic]:
    found: list[tuple[JsonPath, str, object]] = []
    for path, what in _ID_PATHS:
        found.append((path, what, _get(ctx.data, path)))
    pixels = _get(ctx.data, ("platforms", "meta", "pixel_id"))
    if isinstance(pixels, list):
        found += [(("platforms", "meta", "pixel_id", i), "Meta Pixel ID", p) for i, p in enumerate(pixels)]
    else:
        found.append((("platforms", "meta", "pixel_id"), "Meta Pixel ID", pixels))
    for path, conversion in ctx.conversions():
        found.append(
            ((*path, "google_ads", "label"), "conversion label", mapping(conversion.get("google_ads")).get("label"))
        )
    for path, what, value in found:
        if isinstance(value, (str, int)) and not isinstance(value, bool) and is_placeholder(value):
            message = f"{value} is a placeholder; replace it with your real {what}"
            yield ctx.warning(path, message, "placeholder-id")


def _get(data: Any, path: JsonPath) -> Any:
    for part in path:
        data = mapping(data).get(str(part))
    return data
