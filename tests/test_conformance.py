"""The conformance check: its tables come from real exports, and each rule catches its defect."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest

from gtmgen import gtm_shapes as shapes
from gtmgen.conformance import check_container, errors
from gtmgen.container import (
    ALL_PAGES_TRIGGER_ID,
    BuiltInVariable,
    Condition,
    ConsentSettings,
    Container,
    Parameter,
    Tag,
    Trigger,
    Variable,
)
from gtmgen.entity_texts import parameter_paths
from gtmgen.export import load_export, read_parameter
from tests.conftest import reference_exports

REFERENCES = reference_exports()
needs_references = pytest.mark.skipif(not REFERENCES, reason="reference exports not present")

# Keys the tables hold on evidence other than the 14 exports: gtm-export-format.md counts them
# over all 21 exports (§4-§6); `elementSelector` is the CSS selector key GTM writes for
# ELEMENT_VISIBILITY with selectorType CSS, as for the DOM element variable (§6).
NOT_IN_THE_14: dict[str, set[str]] = {
    "trigger:ELEMENT_VISIBILITY": set(shapes.TRIGGER_PARAMETERS_BY_TYPE["ELEMENT_VISIBILITY"]),
    "variable:smm": {"defaultValue"},
    "variable:u": {"customUrlSource", "stripWww"},
}


def _observed() -> dict[str, set[tuple[str, str]]]:
    seen: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in REFERENCES:
        version = json.loads(path.read_text(encoding="utf-8"))["containerVersion"]
        for kind in ("tag", "trigger", "variable"):
            for entity in version.get(kind) or ():
                for raw in entity.get("parameter") or ():
                    for key, p in parameter_paths(read_parameter(raw)):
                        seen[f"{kind}:{entity['type']}"].add((key, p.type))
    return seen


@needs_references
@pytest.mark.parametrize(
    ("kind", "table"),
    [
        ("tag", shapes.TAG_PARAMETERS_BY_TYPE),
        ("trigger", shapes.TRIGGER_PARAMETERS_BY_TYPE),
        ("variable", shapes.VARIABLE_PARAMETERS_BY_TYPE),
    ],
)
def test_every_tabulated_key_is_one_gtm_wrote(kind: str, table: dict[str, shapes.Shape]) -> None:
    observed = _observed()
    missing = [
        f"{type_}: {path} {ptype}"
        for type_, shape in table.items()
        for path, ptype in shape.items()
        if path.split("[")[0] not in NOT_IN_THE_14.get(f"{kind}:{type_}", set())
        and (path, ptype) not in observed[f"{kind}:{type_}"]
    ]
    assert missing == []


@needs_references
@pytest.mark.parametrize("path", REFERENCES, ids=lambda p: Path(p).name[:40])
def test_reference_exports_are_checked_without_shape_errors(path: Path) -> None:
    container = load_export(path)
    findings = check_container(container)
    shape_rules = {"known-keys", "parameter-type", "known-type", "trigger-special", "custom-event-filter"}
    assert [f.render() for f in findings if f.rule in shape_rules and f.severity == "error"] == []


@needs_references
def test_real_defects_in_references_are_found() -> None:
    by_name = {p.name.split("__")[0]: load_export(p) for p in REFERENCES}
    mammoth = {f.rule for f in check_container(by_name["MammothGrowth"])}
    assert "variable-resolves" in mammoth  # its html uses two variables the export lacks
    assert "consent-explicit" in {f.rule for f in check_container(by_name["addingwell"])}  # NOT_SET tags
    laseryshow = [f for f in check_container(by_name["laseryshow-del"]) if f.rule == "meta-after-base"]
    assert laseryshow == []  # its Meta events are sequenced after the base tag


# ---------------------------------------------------------------- one rule at a time

BASE_HTML = '<script>fbq("init", "1"); fbq("track", "PageView");</script>'
LEAD_HTML = '<script>fbq("track", "Lead", {}, {eventID: "x"});</script>'
NEEDED = ConsentSettings("NEEDED", ("ad_storage",))


def _html(tag_id: str, name: str, html: str, triggers: tuple[str, ...], setup: str | None = None) -> Tag:
    params = (Parameter.template("html", html), Parameter.boolean("supportDocumentWrite", False))
    return Tag(tag_id, name, "html", params, triggers, consent=NEEDED, setup_tag=setup)


def _awct(tag_id: str, trigger: str) -> Tag:
    params = (Parameter.template("conversionId", "1"), Parameter.template("conversionLabel", "x"))
    return Tag(tag_id, "Ads conversion", "awct", params, (trigger,), consent=ConsentSettings("NOT_NEEDED"))


def _linker(tag_id: str, name: str = "Linker") -> Tag:
    params = (Parameter.boolean("enableCrossDomain", False),)
    return Tag(tag_id, name, "gclidw", params, (ALL_PAGES_TRIGGER_ID,), consent=ConsentSettings("NOT_NEEDED"))


LINK_SPECIAL = (
    ("waitForTags", Parameter("BOOLEAN", value="false")),
    ("checkValidation", Parameter("BOOLEAN", value="false")),
    ("waitForTagsTimeout", Parameter("TEMPLATE", value="2000")),
    ("uniqueTriggerId", Parameter("TEMPLATE")),
)


def _link(trigger_id: str, prefix: str) -> Trigger:
    condition = Condition.of("STARTS_WITH", "{{Click URL}}", prefix)
    return Trigger(trigger_id, f"LC {prefix}", "LINK_CLICK", filter=(condition,), special=LINK_SPECIAL)


def _container(tags: tuple[Tag, ...] = (), triggers: tuple[Trigger, ...] = (), **more: object) -> Container:
    built_ins = (BuiltInVariable("CLICK_URL", "Click URL"), BuiltInVariable("CLICK_ELEMENT", "Click Element"))
    return Container("1", "2", "GTM-X", "test", tags=tags, triggers=triggers, built_in_variables=built_ins, **more)  # type: ignore[arg-type]


def _rules(container: Container) -> set[str]:
    return {f.rule for f in errors(check_container(container))}


def test_a_clean_container_has_no_findings() -> None:
    container = _container((_awct("1", "10"), _linker("2")), (_link("10", "tel:"),))
    assert check_container(container) == []


def test_conversion_on_a_plain_click_is_an_error_but_tel_links_are_fine() -> None:
    click = Trigger("10", "Button", "CLICK", filter=(Condition.of("CSS_SELECTOR", "{{Click Element}}", ".cta"),))
    assert "conversion-on-success" in _rules(_container((_awct("1", "10"), _linker("2")), (click,)))
    any_link = _link("10", "https:")
    assert "conversion-on-success" in _rules(_container((_awct("1", "10"), _linker("2")), (any_link,)))
    assert "conversion-on-success" not in _rules(
        _container((_awct("1", "10"), _linker("2")), (_link("10", "mailto:"),))
    )


def test_meta_conversion_on_a_click_is_an_error() -> None:
    click = Trigger("10", "Button", "CLICK", filter=(Condition.of("CSS_SELECTOR", "{{Click Element}}", ".cta"),))
    tags = (_html("1", "Base", BASE_HTML, (ALL_PAGES_TRIGGER_ID,)), _html("2", "Lead", LEAD_HTML, ("10",), "Base"))
    assert "conversion-on-success" in _rules(_container(tags, (click,)))


def test_linker_rules() -> None:
    assert "one-linker" in _rules(_container((_awct("1", "10"),), (_link("10", "tel:"),)))
    two = (_awct("1", "10"), _linker("2"), _linker("3", "Linker 2"))
    assert "one-linker" in _rules(_container(two, (_link("10", "tel:"),)))


def test_meta_events_must_follow_the_base_code() -> None:
    base = _html("1", "Base", BASE_HTML, (ALL_PAGES_TRIGGER_ID,))
    unsequenced = _html("2", "Lead", LEAD_HTML, (ALL_PAGES_TRIGGER_ID,))
    assert "meta-after-base" in _rules(_container((base, unsequenced)))
    assert "meta-after-base" not in _rules(_container((base, replace(unsequenced, setup_tag="Base"))))


def test_consent_must_be_explicit() -> None:
    tag = _html("1", "Base", BASE_HTML, (ALL_PAGES_TRIGGER_ID,))
    assert "consent-explicit" in _rules(_container((replace(tag, consent=ConsentSettings()),)))
    assert "consent-explicit" in _rules(_container((replace(tag, consent=None),)))
    assert "consent-explicit" in _rules(_container((replace(tag, consent=ConsentSettings("NEEDED")),)))
    assert "consent-type" in _rules(_container((replace(tag, consent=ConsentSettings("NEEDED", ("cookies",))),)))


def test_references_must_resolve() -> None:
    tag = _html("1", "Base", "<script>var x = {{Missing}}, y = {{Page Path}};</script>", ("99",), "Nobody")
    tag = replace(tag, parent_folder_id="7")
    rules = _rules(_container((tag,)))
    assert {
        "trigger-resolves",
        "sequence-resolves",
        "folder-resolves",
        "variable-resolves",
        "built-in-enabled",
    } <= rules


def test_unknown_keys_types_and_values_are_errors() -> None:
    odd = (Parameter.template("linkerDomains", "a.com"), Parameter("BOOLEAN", "enableCrossDomain", "yes"))
    tags = (Tag("1", "Linker", "gclidw", odd, (ALL_PAGES_TRIGGER_ID,), consent=ConsentSettings("NOT_NEEDED")),)
    assert {"known-keys", "boolean-value"} <= _rules(_container(tags))
    variable = Variable("5", "DLV", "v", (Parameter.template("dataLayerVersion", "2"),))
    assert "parameter-type" in _rules(_container(variables=(variable,)))
    assert "known-type" in _rules(_container((replace(tags[0], type="awcc", parameter=()),)))


def test_trigger_structure() -> None:
    bare_link = Trigger("10", "Link", "LINK_CLICK", filter=(Condition.of("STARTS_WITH", "{{Click URL}}", "tel:"),))
    assert "trigger-special" in _rules(_container(triggers=(bare_link,)))
    event = Trigger("11", "CE", "CUSTOM_EVENT", custom_event_filter=(Condition.of("EQUALS", "{{Event}}", "x"),))
    assert "custom-event-filter" in _rules(_container(triggers=(event,)))
    literal = Trigger("12", "PV", "PAGEVIEW", filter=(Condition.of("EQUALS", "/path", "x"),))
    assert "condition-arg0" in _rules(_container(triggers=(literal,)))


def test_ids_and_names() -> None:
    a = _html("1", "Same", BASE_HTML, (ALL_PAGES_TRIGGER_ID,))
    assert "name-unique" in _rules(_container((a, replace(a, tag_id="2"))))
    assert "id-unique" in _rules(_container((a, replace(a, name="Other"))))
    assert "id-digits" in _rules(_container((replace(a, tag_id="t1"),)))
