"""The compiler's wiring rules, on every example and every valid case, and its building blocks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gtmgen.compile import compile_site
from gtmgen.compile.audiences import path_regex, pattern_regex
from gtmgen.compile.ids import ID_FLOOR, ID_SPACE, assign_ids
from gtmgen.compile.parts import EVENT_ID_VARIABLE, clean_name
from gtmgen.compile.signals import with_descendants
from gtmgen.conformance import check_container, conversion_events
from gtmgen.container import (
    ALL_PAGES_TRIGGER_ID,
    CONSENT_INITIALIZATION_TRIGGER_ID,
    INITIALIZATION_TRIGGER_ID,
    Container,
    Tag,
    is_owned,
)
from gtmgen.export import container_to_export, dump_export
from gtmgen.spec import SiteSpec
from tests.compile_helpers import load_spec, spec_from_yaml
from tests.conftest import CASES, example_specs

EXAMPLES = [p for p in example_specs() if not p.name.endswith(".tracking.yaml")]  # scenario files are not specs
SPECS = EXAMPLES + sorted((CASES / "valid").glob("*/spec.yaml"))


def _id(path: Path) -> str:
    return path.parent.name if path.name == "spec.yaml" else path.stem


@pytest.fixture(params=SPECS, ids=_id)
def compiled(request: pytest.FixtureRequest) -> tuple[SiteSpec, Container]:
    spec = load_spec(request.param)
    return spec, compile_site(spec)


def _tags_firing_on(container: Container, trigger_id: str) -> list[Tag]:
    return [t for t in container.tags if trigger_id in t.firing_trigger_ids]


def test_conformance_is_clean(compiled: tuple[SiteSpec, Container]) -> None:
    _, container = compiled
    assert [f.render() for f in check_container(container)] == []


def test_every_entity_is_owned_and_in_a_folder(compiled: tuple[SiteSpec, Container]) -> None:
    _, container = compiled
    for entity in (*container.tags, *container.triggers, *container.variables):
        assert is_owned(entity.notes), entity.name
        assert "\nsource: " in entity.notes, entity.name
        assert entity.parent_folder_id in {f.folder_id for f in container.folders}, entity.name


def test_one_linker_exactly_when_google_ads(compiled: tuple[SiteSpec, Container]) -> None:
    spec, container = compiled
    linkers = [t for t in container.tags if t.type == "gclidw"]
    assert len(linkers) == (1 if spec.platforms.google_ads else 0)
    for linker in linkers:
        assert linker.firing_trigger_ids == (ALL_PAGES_TRIGGER_ID,)
        assert linker.consent is not None and linker.consent.status == "NOT_NEEDED"


def test_google_tags_on_initialization_and_consent_default_first(compiled: tuple[SiteSpec, Container]) -> None:
    spec, container = compiled
    google_tags = [t for t in container.tags if t.type == "googtag"]
    assert len(google_tags) == bool(spec.platforms.ga4) + bool(spec.platforms.google_ads)
    assert all(t.firing_trigger_ids == (INITIALIZATION_TRIGGER_ID,) for t in google_tags)
    consent = _tags_firing_on(container, CONSENT_INITIALIZATION_TRIGGER_ID)
    assert [t.name for t in consent] == ["Consent - Default"]
    html = consent[0].param("html")
    for signal in ("ad_storage", "analytics_storage", "ad_user_data", "ad_personalization", "wait_for_update"):
        assert f'"{signal}"' in html
    assert '"url_passthrough"' in html and '"ads_data_redaction"' in html


def test_every_tag_has_explicit_consent(compiled: tuple[SiteSpec, Container]) -> None:
    _, container = compiled
    for tag in container.tags:
        assert tag.consent is not None and tag.consent.status in ("NOT_NEEDED", "NEEDED"), tag.name
        is_meta = "fbq(" in tag.param("html")
        if is_meta:  # non-Google tags need additional ad consent
            assert {"ad_storage", "ad_user_data"} <= set(tag.consent.types), tag.name
        else:
            assert tag.consent.status == "NOT_NEEDED", tag.name


def _conversion_tags(container: Container, trigger_id: str) -> dict[str, Tag]:
    tags = {}
    for tag in _tags_firing_on(container, trigger_id):
        kind = {"gaawe": "ga4", "awct": "ads", "html": "meta"}.get(tag.type)
        if kind and (tag.type != "html" or "fbq(" in tag.param("html")):
            tags[kind] = tag
    return tags


def test_each_conversion_reaches_every_platform_from_one_trigger(compiled: tuple[SiteSpec, Container]) -> None:
    spec, container = compiled
    for conversion in spec.conversions:
        ads = container.tag_named(clean_name(f"GAds - Conv - {conversion.name}"))
        ga4 = container.tag_named(clean_name(f"GA4 - Conv - {conversion.name}"))
        meta = container.tag_named(clean_name(f"Meta - {conversion.meta_event} - {conversion.name}"))
        assert (ads is not None) == bool(spec.platforms.google_ads and conversion.google_ads_label)
        assert (ga4 is not None) == bool(spec.platforms.ga4 and conversion.ga4_event)
        assert (meta is not None) == bool(spec.platforms.meta and conversion.meta_event)
        present = [t for t in (ads, ga4, meta) if t is not None]
        assert len({t.firing_trigger_ids for t in present}) == 1, conversion.name
        for tag in present:
            assert "{{" + EVENT_ID_VARIABLE + "}}" in " ".join(p.value or "" for p in _all(tag)), tag.name


def _all(tag: Tag) -> list:  # type: ignore[type-arg]
    return [p for top in tag.parameter for p in top.walk()]


def test_shared_event_id_and_value_on_each_platform(compiled: tuple[SiteSpec, Container]) -> None:
    spec, container = compiled
    event_id = "{{" + EVENT_ID_VARIABLE + "}}"
    for tag in container.tags:
        if tag.type == "awct":
            assert tag.param("orderId") == event_id
        if tag.type == "html" and conversion_events(tag):
            assert f"eventID: String({event_id})" in tag.param("html"), tag.name
    for conversion in spec.conversions:
        ads = container.tag_named(clean_name(f"GAds - Conv - {conversion.name}"))
        if ads is not None and conversion.value is not None:
            assert float(ads.param("conversionValue")) == conversion.value
            assert ads.param("currencyCode") == conversion.currency


def test_meta_events_run_after_the_base_code(compiled: tuple[SiteSpec, Container]) -> None:
    spec, container = compiled
    meta = [t for t in container.tags if "fbq(" in t.param("html")]
    if not spec.platforms.meta:
        assert meta == []
        return
    base = container.tag_named("Meta - Base")
    assert base is not None and ALL_PAGES_TRIGGER_ID in base.firing_trigger_ids
    assert base.tag_firing_option == "ONCE_PER_LOAD"
    assert all(t.setup_tag == "Meta - Base" for t in meta if t is not base)
    assert base.param("html").count('"PageView"') == 1


def test_no_conversion_on_a_plain_click(compiled: tuple[SiteSpec, Container]) -> None:
    _, container = compiled
    for tag in container.tags:
        if tag.type == "awct" or conversion_events(tag):
            for trigger_id in tag.firing_trigger_ids:
                trigger = container.trigger_by_id(trigger_id)
                assert trigger is None or trigger.type not in ("CLICK", "FORM_SUBMISSION"), tag.name
                if trigger is not None and trigger.type == "LINK_CLICK":
                    assert trigger.filter[0].arg0 == "{{Click URL}}", tag.name
                    assert trigger.filter[0].arg1 in ("tel:", "mailto:"), tag.name


def test_compiling_twice_gives_the_same_bytes(compiled: tuple[SiteSpec, Container]) -> None:
    spec, container = compiled
    again = compile_site(spec)
    time = "2000-01-01 00:00:00"
    assert dump_export(container_to_export(again, time)) == dump_export(container_to_export(container, time))


# ---------------------------------------------------------------- ids

BASE = """
version: 1
site: {name: Test, domain: test.example}
platforms:
  ga4: {measurement_id: G-TEST123456}
  google_ads: {conversion_id: AW-123456789}
  meta: {pixel_id: "123456789012345"}
conversions:
  - {name: Form, kind: lead, when: {datalayer_event: lead}, google_ads: {label: LaBeL1}}
"""
EXTRA = """  - {name: Another, kind: lead, when: {datalayer_event: other}, google_ads: {label: LaBeL2}}
"""


def _ids_by_name(container: Container) -> dict[str, str]:
    ids = {f"tag:{t.name}": t.tag_id for t in container.tags}
    ids |= {f"trigger:{t.name}": t.trigger_id for t in container.triggers}
    return ids | {f"variable:{v.name}": v.variable_id for v in container.variables}


def test_adding_a_conversion_keeps_every_other_id() -> None:
    before = _ids_by_name(compile_site(spec_from_yaml(BASE)))
    after = _ids_by_name(compile_site(spec_from_yaml(BASE + EXTRA)))
    assert {k: after[k] for k in before} == before
    assert len(after) > len(before)


def test_ids_are_unique_digits_in_range_even_when_hashes_collide() -> None:
    keys = [("tag", f"t{i}") for i in range(3000)] + [("trigger", f"t{i}") for i in range(3000)]
    ids = assign_ids(keys)
    assert len(set(ids.values())) == len(keys)
    assert all(ID_FLOOR <= int(i) < ID_FLOOR + ID_SPACE for i in ids.values())
    assert assign_ids(reversed(keys)) == ids


# ---------------------------------------------------------------- audiences


def _match(regex: str, path: str) -> str | None:
    """What a GTM RegEx Table row (full match, ignore case, $1 replacement) returns for a path."""
    found = re.fullmatch(regex, path, re.IGNORECASE)
    return found.group(1) if found and found.groups() else ("matched" if found else None)


def test_paths_cover_their_sub_pages_only() -> None:
    regex = path_regex("/services/roofing/")
    assert _match(regex, "/services/roofing") and _match(regex, "/services/roofing/metal/")
    assert _match(regex, "/services/roofing-repair/") is None
    assert _match(path_regex("/"), "/") and _match(path_regex("/"), "/about/") is None
    assert _match(path_regex("/a.b/(x)/"), "/a.b/(x)/") and _match(path_regex("/a.b/"), "/aXb/") is None


def test_a_pattern_is_one_row_capturing_its_label() -> None:
    regex = pattern_regex("/areas/{state}/{location}/", "location", capture=True)
    assert _match(regex, "/areas/tx/dallas/") == "dallas"
    assert _match(regex, "/areas/tx/dallas/roofing") == "dallas"
    assert _match(regex, "/areas/tx/") is None


PATTERNED = """
version: 1
site: {name: Test, domain: test.example}
platforms: {meta: {pixel_id: "123456789012345"}}
page_groups:
  locations: [{name: Cities, pattern: "/locations/{location}/"}]
  services:
"""


def test_container_size_does_not_grow_with_pages_under_a_pattern() -> None:
    listed = PATTERNED + "".join(f"    - {{name: S{i}, paths: [/s/{i}/]}}\n" for i in range(50))
    small = compile_site(spec_from_yaml(PATTERNED + "    - {name: S, paths: [/s/]}\n"))
    large = compile_site(spec_from_yaml(listed))
    location = small.variable_named("RT - location")
    assert location is not None and location.parameter[-1].rows() == [
        {"key": "/locations/([^/]+)(?:/.*)?", "value": "$1"}
    ]
    assert large.variable_named("RT - location") == location  # unaffected by the other kinds
    rows = large.variable_named("RT - service").parameter[-1].rows()  # type: ignore[union-attr]
    assert len(rows) == 50


def test_click_selectors_also_match_inside_the_element() -> None:
    assert with_descendants("a.cta") == "a.cta, a.cta *"
    assert with_descendants('a[title="x, y"], .b') == 'a[title="x, y"], a[title="x, y"] *, .b, .b *'
    assert with_descendants(":is(.a, .b)") == ":is(.a, .b), :is(.a, .b) *"


def test_names_that_clean_to_the_same_entity_name_are_a_clear_error() -> None:
    from gtmgen.errors import CompileError

    twins = BASE + '  - {name: "Two\\nlines", kind: lead, when: {datalayer_event: b}, google_ads: false}\n'
    twins += '  - {name: "Two lines", kind: lead, when: {datalayer_event: c}, google_ads: false}\n'
    with pytest.raises(CompileError, match="two different tags would both be named 'GA4 - Conv - Two lines'"):
        compile_site(spec_from_yaml(twins))
