"""Validation: the examples, the schema itself, warnings, the model built from a valid spec."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from gtmgen.errors import SpecError
from gtmgen.loader import SpecLoader
from gtmgen.names import GA4_PARAMETER_VALUE_MAX
from gtmgen.spec import SiteSpec
from gtmgen.validate import load_spec, schema_text, validate_file, validate_text
from tests.conftest import EXAMPLES, ROOT, example_specs

SPECS = [p for p in example_specs() if not p.name.endswith(".tracking.yaml")]  # scenario files are not specs
SCHEMA: dict[str, Any] = json.loads(schema_text())
MINIMAL = (EXAMPLES / "minimal.yaml").read_text(encoding="utf-8")


def test_the_four_examples_are_there() -> None:
    names = {p.name for p in SPECS}
    assert {"foundation-repair.yaml", "hvac-multi-location.yaml", "paid-booking.yaml", "minimal.yaml"} <= names


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_every_example_validates_without_any_finding(path: Path) -> None:
    validation = validate_file(path)
    assert [d.render() for d in validation.diagnostics] == []
    assert isinstance(validation.spec, SiteSpec)


def test_load_spec_builds_the_model() -> None:
    spec = load_spec(EXAMPLES / "hvac-multi-location.yaml")
    assert spec.platforms.meta is not None
    assert spec.platforms.meta.pixel_ids == ("381726450019283", "2209384756102938")
    assert spec.consent.regions[1].regions == ("US-CA", "US-CO", "US-CT", "US-VA")
    assert dict(spec.consent.regions[1].states)["ad_user_data"] == "denied"
    assert spec.conversions[1].when.plugin == "gravity_forms"
    assert spec.conversions[1].when.form_id == "7"
    assert spec.conversions[3].google_ads_label is None
    assert [e.pattern for e in spec.page_groups_of("locations")] == ["/locations/{location}/"]
    assert spec.source_file.endswith("hvac-multi-location.yaml")


def test_load_spec_raises_with_every_diagnostic_sorted(tmp_path: Path) -> None:
    broken = MINIMAL.replace("G-4RT7K2LQ9M", "G-1").replace("kind: phone_call", "kind: call")
    (tmp_path / "s.yaml").write_text(broken.replace("version: 1", "version: 3"), encoding="utf-8")
    with pytest.raises(SpecError) as caught:
        load_spec(tmp_path / "s.yaml")
    lines = [(d.location.line, d.json_path) for d in caught.value.diagnostics]
    assert lines == [(4, "version"), (12, "platforms.ga4.measurement_id"), (25, "conversions[1].kind")]


def test_warnings_do_not_fail_validation() -> None:
    text = MINIMAL.replace(
        "      thank_you_page: /thank-you/\n", "      thank_you_page: /thank-you/\n    currency: USD\n"
    )
    validation = validate_text(text, "w.yaml")
    assert validation.ok
    assert validation.spec is not None
    assert [d.rule for d in validation.warnings] == ["currency-without-value"]


FOUNDATION = (EXAMPLES / "foundation-repair.yaml").read_text(encoding="utf-8")
PAID = (EXAMPLES / "paid-booking.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("base", "old", "new", "rule", "line"),
    [
        (FOUNDATION, "    value: 150\n", "", "currency-without-value", 76),
        (
            PAID,
            "    value: 50\n    currency: EUR\n    google_ads:\n      label: Jc7wCQx9r6QZ6b2u1v\n    meta:\n"
            "      event: Purchase\n",
            "    google_ads:\n      label: Jc7wCQx9r6QZ6b2u1v\n    meta:\n      event: Lead\n",
            "purchase-without-value",
            90,
        ),
        (MINIMAL, "      link_click: tel\n", "      link_click: tel\n      page_path: /contact/\n", None, None),
        (
            MINIMAL,
            "      thank_you_page: /thank-you/\n",
            "      thank_you_page: /thank-you/\n      page_path: /contact/\n",
            "page-path-ignored",
            21,
        ),
        (
            FOUNDATION,
            "      plugin: contact_form_7\n",
            "      plugin: {name: calendly, form_id: 3}\n",
            "plugin-form-id",
            75,
        ),
        (
            FOUNDATION,
            "      plugin: contact_form_7\n",
            "      plugin: contact_form_7\n      page_path: /x/\n",
            "page-path-ignored",
            76,
        ),
        (FOUNDATION, "      event: Lead\n", "      event: lead\n", "meta-event-case", 81),
        (FOUNDATION, "      event: generate_lead\n", "      event: form_submit\n", "ga4-enhanced-measurement", 83),
        (
            FOUNDATION,
            "      pattern: /service-areas/{location}/\n",
            "      pattern: /service-areas/{location}/\n"
            "    - name: Arlington\n      paths: [/service-areas/arlington/]\n",
            "page-group-overlap",
            71,
        ),
        (FOUNDATION, "pattern: /service-areas/{location}/", "pattern: /{state}/{city}/", "page-group-pattern", 69),
        (
            FOUNDATION,
            "  regions:\n    - regions: [US]\n      ad_storage: granted\n      analytics_storage: granted\n"
            "      ad_user_data: granted\n      ad_personalization: granted\n",
            "",
            "consent-default-granted",
            None,
        ),
        (MINIMAL, "G-4RT7K2LQ9M", "G-XXXXXXXXXX", "placeholder-id", 12),
        (MINIMAL, "domain: northsideplumbing.com", "domain: www.example.com", "placeholder-id", 8),
        (MINIMAL, "domain: northsideplumbing.com", "domain: shop.example.com", None, None),
        (FOUNDATION, "a.cta-inspection\n", "a.cta-inspection\n      meta_event: Lead\n", "signal-outcome-event", 107),
        (
            FOUNDATION,
            "a.cta-inspection\n",
            "a.cta-inspection\n      ga4_event: generate_lead\n",
            "signal-outcome-event",
            107,
        ),
        (FOUNDATION, "a.cta-inspection\n", "a.cta-inspection\n      meta_event: ViewContent\n", None, None),
        (FOUNDATION, "a.cta-inspection\n", "a.cta-inspection\n      ga4_event: click_quote\n", None, None),
        (MINIMAL, "label: bR4kCLm8t9QY7x2z1a", "label: XXXXXXXXXXXXXXXXXX", "placeholder-id", 22),
    ],
    ids=lambda value: value if isinstance(value, str) and len(value) < 30 else "",
)
def test_warnings(base: str, old: str, new: str, rule: str | None, line: int | None) -> None:
    assert old in base
    text = base.replace(old, new, 1)
    if rule == "consent-default-granted":
        text = text.replace("ad_storage: denied", "ad_storage: granted", 1)
    validation = validate_text(text, "w.yaml")
    assert validation.errors == ()
    found = [(d.rule, d.location.line) for d in validation.warnings]
    if rule is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0][0] == rule, found
        assert line is None or found[0][1] == line


# ---------------------------------------------------------------- the schema


def _subschemas(node: Any, pointer: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield pointer, node
        for key, value in node.items():
            yield from _subschemas(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _subschemas(value, f"{pointer}/{index}")


def _schemas_of_properties() -> Iterator[tuple[str, dict[str, Any]]]:
    for pointer, node in _subschemas(SCHEMA):
        if isinstance(node.get("properties"), dict) and not pointer.endswith("/properties"):
            for name, sub in node["properties"].items():
                yield f"{pointer}/properties/{name}", sub


def test_the_schema_is_a_valid_draft_2020_12_schema_with_an_id() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"].startswith("https://")


def test_the_shipped_schema_is_the_file_in_specs() -> None:
    assert schema_text() == (ROOT / "specs" / "gtmgen.schema.json").read_text(encoding="utf-8")


def test_every_property_has_a_description() -> None:
    missing = [pointer for pointer, sub in _schemas_of_properties() if not sub.get("description")]
    assert missing == []


def test_every_object_forbids_unknown_keys() -> None:
    loose = [
        pointer
        for pointer, node in _subschemas(SCHEMA)
        if "properties" in node
        and not pointer.endswith("/properties")
        and node.get("additionalProperties") is not False
    ]
    assert loose == []


def test_every_example_in_the_schema_is_valid_where_it_is_given() -> None:
    registry = Registry().with_resource(SCHEMA["$id"], Resource.from_contents(SCHEMA))
    checked = 0
    for pointer, node in _subschemas(SCHEMA):
        if pointer.endswith("/properties") or not isinstance(node.get("examples"), list):
            continue
        validator = Draft202012Validator({"$ref": f"{SCHEMA['$id']}#{pointer}"}, registry=registry)
        for example in node["examples"]:
            assert list(validator.iter_errors(example)) == [], (pointer, example)
            checked += 1
    assert checked > 20


def test_names_and_slugs_sent_as_ga4_parameter_values_fit_ga4s_limit() -> None:
    limited = [
        SCHEMA["properties"]["site"]["properties"]["name"],
        SCHEMA["$defs"]["pageGroup"]["properties"]["name"],
        SCHEMA["$defs"]["pageGroup"]["properties"]["slug"],
        SCHEMA["$defs"]["conversion"]["properties"]["name"],
        SCHEMA["properties"]["signals"]["properties"]["clicks"]["items"]["properties"]["name"],
    ]
    assert [sub["maxLength"] for sub in limited] == [GA4_PARAMETER_VALUE_MAX] * len(limited)


def test_the_contract_names_of_the_issue_exist() -> None:
    props = SCHEMA["properties"]
    assert set(props) >= {"version", "site", "gtm", "platforms", "consent", "page_groups", "conversions", "signals"}
    assert set(props["site"]["properties"]) >= {"name", "domain"}
    assert set(props["gtm"]["properties"]) >= {"account_id", "container_id", "public_id", "workspace"}
    platforms = props["platforms"]["properties"]
    assert "measurement_id" in platforms["ga4"]["properties"]
    assert set(platforms["google_ads"]["properties"]) >= {"conversion_id", "remarketing", "enhanced_conversions"}
    assert "pixel_id" in platforms["meta"]["properties"]
    consent = props["consent"]["properties"]
    assert set(consent) >= {"defaults", "regions", "wait_for_update", "url_passthrough", "ads_data_redaction"}
    assert set(consent["defaults"]["properties"]) == {
        "ad_storage",
        "analytics_storage",
        "ad_user_data",
        "ad_personalization",
    }
    kinds = {"services", "problems", "locations", "brands", "professionals"}
    assert set(props["page_groups"]["properties"]) == kinds
    conversion = SCHEMA["$defs"]["conversion"]["properties"]
    assert set(conversion) >= {"name", "kind", "when", "value", "currency", "google_ads", "meta", "ga4"}
    assert set(conversion["kind"]["enum"]) == {"form_submission", "phone_call", "booking", "purchase", "lead", "custom"}
    assert set(props["signals"]["properties"]) >= {"engaged_time", "scroll_depth", "form_start", "clicks"}


# ---------------------------------------------------------------- schema and model agree

KITCHEN_SINK = """
version: 1
site: {name: Sink Co, domain: sink.example.com, extra_domains: [shop.sink.example.com]}
gtm: {account_id: 6001234567, container_id: "201234567", public_id: GTM-ABC1234, workspace: gtmgen}
platforms:
  ga4: {measurement_id: G-ABCDE12345, send_page_view: false}
  google_ads: {conversion_id: AW-123456789, remarketing: false, enhanced_conversions: true, user_data_key: ud.data}
  meta: {pixel_id: 104857600123456}
consent:
  defaults: {ad_storage: granted, analytics_storage: denied, ad_user_data: denied, ad_personalization: denied}
  regions:
    - regions: [DE, NO]
      ad_storage: denied
      analytics_storage: denied
      ad_user_data: denied
      ad_personalization: denied
  wait_for_update: 2000
  url_passthrough: true
  ads_data_redaction: false
  update_event: consent_update
page_groups:
  services: [{name: Repair, slug: repair, paths: [/repair/]}]
  problems: [{name: Leaks, paths: [/leaks/]}]
  locations: [{name: Cities, pattern: "/in/{location}/"}]
  brands: [{name: Acme, paths: [/brands/acme/]}]
  professionals: [{name: Staff, pattern: "/team/{professional}/"}]
conversions:
  - name: Order
    kind: purchase
    when: {thank_you_page: {path: "^/done/[0-9]+$", match: regex}}
    value: {datalayer: ecommerce.value}
    currency: EUR
    google_ads: {label: abcDEF123_-}
    meta: {event: Purchase}
    ga4: {event: purchase}
  - name: Call
    kind: phone_call
    when: {link_click: tel, page_path: /contact/}
    google_ads: false
    meta: false
    ga4: false
  - {name: Form, kind: lead, when: {plugin: {name: hubspot, form_id: abc-123}}, google_ads: {label: xyz12345}, ga4: {}}
  - {name: Seen, kind: custom, when: {element_visible: "#ok"}, value: 1.5, currency: USD, google_ads: {label: qwer1234}}
  - {name: Pushed, kind: booking, when: {datalayer_event: booked}, google_ads: {label: asdf1234}}
  - {name: Page, kind: lead, when: {thank_you_page: /thanks/}, google_ads: {label: zxcv1234}}
signals:
  engaged_time: {seconds: 30}
  scroll_depth: {percents: [25, 75]}
  form_start: true
  clicks: [{name: CTA, selector: a.cta, ga4_event: cta_click, meta_event: CtaClick}]
"""


def _schema_paths(node: dict[str, Any], prefix: str = "") -> set[str]:
    """Every key path the schema allows (list items as [])."""
    if "$ref" in node:
        node = SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[1]]
    paths: set[str] = set()
    for alternative in node.get("oneOf", []) + node.get("anyOf", []):
        paths |= _schema_paths(alternative, prefix)
    if "items" in node:
        paths |= _schema_paths(node["items"], prefix + "[]")
    for name, sub in node.get("properties", {}).items():
        paths.add(f"{prefix}.{name}")
        paths |= _schema_paths(sub, f"{prefix}.{name}")
    return paths


def _data_paths(data: Any, prefix: str = "") -> set[str]:
    if isinstance(data, dict):
        return {p for k, v in data.items() for p in {f"{prefix}.{k}"} | _data_paths(v, f"{prefix}.{k}")}
    if isinstance(data, list):
        return {p for item in data for p in _data_paths(item, prefix + "[]")}
    return set()


def _collapse(paths: set[str]) -> set[str]:
    """Page-group kinds share one entry shape: compare them as one."""
    return {re.sub(r"^\.page_groups\.[a-z]+\[\]", ".page_groups.*[]", p) for p in paths}


def test_the_kitchen_sink_uses_every_key_of_the_schema_and_builds_the_model() -> None:
    data = yaml.load(KITCHEN_SINK, Loader=SpecLoader)
    assert _collapse(_schema_paths(SCHEMA)) - _collapse(_data_paths(data)) == set()
    validation = validate_text(KITCHEN_SINK, "sink.yaml")
    assert validation.errors == (), [d.render() for d in validation.errors]
    spec = validation.spec
    assert spec is not None
    assert spec.gtm.account_id == "6001234567"
    assert spec.platforms.meta is not None and spec.platforms.meta.pixel_ids == ("104857600123456",)
    assert spec.platforms.google_ads is not None and spec.platforms.google_ads.user_data_key == "ud.data"
    assert spec.consent.regions[0].regions == ("DE", "NO")
    order, call, form, seen = spec.conversions[:4]
    assert (order.value_from_datalayer, order.currency, order.when.thank_you_match) == (
        "ecommerce.value",
        "EUR",
        "regex",
    )
    assert (call.google_ads_label, call.meta_event, call.ga4_event, call.when.page_path) == (
        None,
        None,
        None,
        "/contact/",
    )
    assert (form.when.plugin, form.when.form_id, form.ga4_event) == ("hubspot", "abc-123", "generate_lead")
    assert (seen.value, seen.when.element_visible) == (1.5, "#ok")
    assert spec.signals.clicks[0].meta_event == "CtaClick"


# ---------------------------------------------------------------- robustness

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    children = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in children:
        found += _paths(value, (*prefix, key))
    return found


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[path[0]] = _replace(copy[path[0]], path[1:], value)
    return copy


_BASES = [yaml.load(p.read_text(encoding="utf-8"), Loader=SpecLoader) for p in SPECS]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_validation_never_crashes_whatever_the_shape(data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(_BASES))
    path = data.draw(st.sampled_from(_paths(base)[1:]))
    mutated = _replace(base, path, data.draw(_JSON))
    validation = validate_text(yaml.safe_dump(mutated, allow_unicode=True), "m.yaml")
    assert all(d.location.line >= 1 and d.location.column >= 1 for d in validation.diagnostics)
    assert (validation.spec is None) == (not validation.ok)


# ---------------------------------------------------------------- one mistake, one diagnostic


def _findings(text: str) -> list[tuple[str, str]]:
    return [(d.json_path, d.message) for d in validate_text(text, "spec.yaml").diagnostics]


def test_a_misspelt_section_is_one_diagnostic_not_its_consequences() -> None:
    found = _findings(FOUNDATION.replace("\nplatforms:", "\nplatfroms:"))
    assert found == [("platfroms", "unknown key 'platfroms' (did you mean 'platforms'?)")]


def test_a_missing_section_is_still_reported_as_missing() -> None:
    """No unknown key suggests it: the required key is reported (once), its consequences are not."""
    data = yaml.safe_load(MINIMAL)
    del data["platforms"]
    assert _findings(yaml.safe_dump(data)) == [("$", "missing required key 'platforms'")]


def test_a_platform_of_the_wrong_shape_is_not_also_not_set_up() -> None:
    found = _findings(MINIMAL.replace("  google_ads:\n    conversion_id: AW-987654321\n", "  google_ads: AW-1\n"))
    assert [path for path, _ in found] == ["platforms.google_ads"]


def test_a_misspelt_value_does_not_also_warn_that_the_currency_is_useless() -> None:
    data = yaml.safe_load(MINIMAL)
    data["conversions"][0].update(valeu=120, currency="USD")
    assert _findings(yaml.safe_dump(data)) == [("conversions[0].valeu", "unknown key 'valeu' (did you mean 'value'?)")]


def test_an_unknown_key_that_suggests_a_key_already_written_keeps_both_findings() -> None:
    """`platform:` next to a real `platforms:` is no rename: only the unknown key is wrong."""
    found = _findings(MINIMAL.replace("\nplatforms:", "\nplatform: {}\nplatforms:"))
    assert [path for path, _ in found] == ["platform"]
    data = yaml.safe_load(MINIMAL)
    data["conversions"][0].update(value=5)  # an independent mistake is still reported
    assert ("conversions[0].value", "a value needs a currency; add `currency:` with an ISO 4217 code such as USD") in (
        _findings(yaml.safe_dump(data).replace("\nplatforms:", "\nplatfroms:"))
    )
