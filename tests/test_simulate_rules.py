"""The simulator's building blocks: JavaScript values, CSS selectors, conditions, variables, dataLayer."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gtmgen.container import Condition, Container, Parameter, Variable
from gtmgen.simulate.conditions import all_of, evaluate, js_regex, js_replace
from gtmgen.simulate.datalayer import merge_push
from gtmgen.simulate.page import Element
from gtmgen.simulate.selectors import UnsupportedSelector, matches
from gtmgen.simulate.values import UNDEFINED, Unknown, js_number, js_string
from gtmgen.simulate.variables import EventState, Resolver, page_url, url_component

# ---------------------------------------------------------------- values


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (UNDEFINED, "undefined"),
        (None, "null"),
        (True, "true"),
        (150.0, "150"),
        (1.5, "1.5"),
        ([1, None, "a"], "1,,a"),
        ({"a": 1}, "[object Object]"),
        (Element(tag="a", href="tel:+1"), "tel:+1"),
        (Element(tag="button"), "[object HTMLButtonElement]"),
    ],
)
def test_js_string_follows_javascript(value: Any, text: str) -> None:
    assert js_string(value) == text


@pytest.mark.parametrize(("value", "number"), [("42", 42.0), (" 7 ", 7.0), ("", 0.0), (None, 0.0), (True, 1.0)])
def test_js_number_follows_javascript(value: Any, number: float) -> None:
    assert js_number(value) == number


def test_js_number_of_text_is_nan() -> None:
    assert math.isnan(js_number("12px")) and math.isnan(js_number(UNDEFINED))


# ---------------------------------------------------------------- selectors

BUTTON = Element(
    tag="button",
    id="call",
    classes=("btn", "cta"),
    attributes=(("data-track", "phone"),),
    parents=(Element(tag="div", classes=("hero",)), Element(tag="section", id="main")),
)


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("button", True),
        ("#call", True),
        (".btn.cta", True),
        ("button.cta#call", True),
        ("[data-track]", True),
        ('[data-track="phone"]', True),
        ("[data-track^=ph]", True),
        ("[data-track$=ONE i]", True),
        ("div.hero > button", True),
        ("section button", True),
        ("section > button", False),
        ("a, .cta", True),
        (".btn.missing", False),
        ("a", False),
        ("*", True),
    ],
)
def test_selector_matching(selector: str, expected: bool) -> None:
    assert matches(selector, BUTTON) is expected


def test_unsupported_selector_is_reported_not_guessed() -> None:
    with pytest.raises(UnsupportedSelector):
        matches("button:hover", BUTTON)


# ---------------------------------------------------------------- conditions


@pytest.mark.parametrize(
    ("op", "value", "arg1", "extra", "expected"),
    [
        ("EQUALS", "/thanks/", "/thanks/", {}, True),
        ("EQUALS", UNDEFINED, "undefined", {}, True),
        ("CONTAINS", "https://x.com/a?b", "a?b", {}, True),
        ("STARTS_WITH", "tel:+1555", "tel:", {}, True),
        ("STARTS_WITH", "mailto:a@b", "tel:", {}, False),
        ("ENDS_WITH", "/file.pdf", ".pdf", {}, True),
        ("MATCH_REGEX", "/Thank-You/", "thank-you", {}, False),
        ("MATCH_REGEX", "/Thank-You/", "thank-you", {"ignore_case": True}, True),
        ("MATCH_REGEX", "/a/", "^/a/$", {"negate": True}, False),
        ("LESS", "9", "10", {}, True),
        ("GREATER_OR_EQUALS", 10, "10", {}, True),
        ("GREATER", "abc", "1", {}, False),
        ("CSS_SELECTOR", BUTTON, ".cta", {}, True),
        ("CSS_SELECTOR", "not an element", ".cta", {}, False),
    ],
)
def test_condition_operators(op: str, value: Any, arg1: str, extra: dict[str, bool], expected: bool) -> None:
    condition = Condition.of(op, "{{x}}", arg1, **extra)
    assert evaluate(condition, value, arg1) is expected


def test_unknown_value_makes_condition_unknown_and_false_wins_in_and() -> None:
    unknown = evaluate(Condition.of("EQUALS", "{{x}}", "a"), Unknown("js"), "a")
    assert isinstance(unknown, Unknown)
    assert all_of([True, unknown]) is unknown
    assert all_of([unknown, False]) is False


def test_unknown_operator_is_unknown() -> None:
    assert isinstance(evaluate(Condition.of("URL_MATCHES", "{{x}}", "a"), "a", "a"), Unknown)


def test_js_regex_named_groups_and_replacement() -> None:
    pattern = js_regex(r"^/service-areas/(?<city>[^/]+)/$")
    assert not isinstance(pattern, Unknown)
    match = pattern.search("/service-areas/dallas/")
    assert match is not None
    assert js_replace(match, "$<city>-$1-$$-$&") == "dallas-dallas-$-/service-areas/dallas/"
    assert isinstance(js_regex("(unclosed"), Unknown)


# ---------------------------------------------------------------- variables


def _variable(name: str, type_: str, *params: Parameter, format_value: Any = None) -> Variable:
    return Variable("1", name, type_, tuple(params), format_value=format_value or {})


def _resolver(*variables: Variable, url: str = "https://example.com/a/b?q=1#frag", **model: Any) -> Resolver:
    container = Container("1", "2", "GTM-TEST", "test", variables=variables)
    data: dict[str, Any] = {}
    for key, value in model.items():
        merge_push(data, {key.replace("__", "."): value})
    return Resolver(container, EventState(url, "https://ref.example/", data, "lead", {"c": "a%20b"}), {})


def _table(*rows: tuple[str, str]) -> Parameter:
    return Parameter.table("map", rows, ("key", "value"))


def test_built_in_page_variables() -> None:
    resolver = _resolver(url="https://Example.com/a/b?q=1#frag")
    assert resolver.value("Page URL") == "https://example.com/a/b?q=1"
    assert resolver.value("Page Path") == "/a/b"
    assert resolver.value("Page Hostname") == "example.com"
    assert resolver.value("Referrer") == "https://ref.example/"
    assert resolver.value("Event") == "lead" and resolver.value("_event") == "lead"


def test_data_layer_variable_reads_dotted_keys_and_defaults() -> None:
    dlv = _variable("DLV value", "v", Parameter.template("name", "ecommerce.value"))
    missing = _variable(
        "DLV missing",
        "v",
        Parameter.template("name", "nope"),
        Parameter.boolean("setDefaultValue", True),
        Parameter.template("defaultValue", "fallback"),
    )
    resolver = _resolver(dlv, missing, ecommerce={"value": 99})
    assert resolver.value("DLV value") == 99
    assert resolver.value("DLV missing") == "fallback"


def test_lookup_table_exact_match_and_default() -> None:
    lookup = _variable(
        "Lookup",
        "smm",
        Parameter.template("input", "{{Page Path}}"),
        _table(("/a/b", "matched"), ("/a", "prefix")),
        Parameter.boolean("setDefaultValue", True),
        Parameter.template("defaultValue", "other"),
    )
    assert _resolver(lookup).value("Lookup") == "matched"
    assert _resolver(lookup, url="https://example.com/zzz").value("Lookup") == "other"


def test_regex_table_capture_groups_full_match_and_ignore_case() -> None:
    def table(full: bool, replace: bool, ignore: bool) -> Variable:
        return _variable(
            "Location",
            "remm",
            Parameter.template("input", "{{Page Path}}"),
            _table((r"^/service-areas/([^/]+)/$", "$1"), ("/SERVICES/", "services")),
            Parameter.boolean("fullMatch", full),
            Parameter.boolean("replaceAfterMatch", replace),
            Parameter.boolean("ignoreCase", ignore),
        )

    area = "https://example.com/service-areas/fort-worth/"
    assert _resolver(table(True, True, False), url=area).value("Location") == "fort-worth"
    assert _resolver(table(True, False, False), url=area).value("Location") == "$1"
    services = "https://example.com/services/x"
    assert _resolver(table(False, False, True), url=services).value("Location") == "services"
    assert _resolver(table(True, False, True), url=services).value("Location") is UNDEFINED
    assert _resolver(table(False, False, False), url=services).value("Location") is UNDEFINED


def test_url_variable_components() -> None:
    url = "https://www.example.com:8443/path/page.html?utm_source=ads&x=1#top"
    assert url_component(url, "QUERY", "utm_source") == "ads"
    assert url_component(url, "QUERY", "absent") is UNDEFINED
    assert url_component(url, "HOST", strip_www=True) == "example.com"
    assert url_component(url, "PORT") == "8443"
    assert url_component(url, "FRAGMENT") == "top"
    assert isinstance(url_component(url, "WHATEVER"), Unknown)
    assert page_url("https://example.com") == "https://example.com/"


def test_custom_javascript_is_unknown_and_spreads_into_templates() -> None:
    jsm = _variable("JS - id", "jsm", Parameter.template("javascript", "function(){return 1}"))
    resolver = _resolver(jsm)
    assert isinstance(resolver.value("JS - id"), Unknown)
    assert "Custom JavaScript" in str(resolver.render("id-{{JS - id}}"))
    assert isinstance(resolver.value("Nope"), Unknown)


def test_scenario_overrides_replace_unknown_variables() -> None:
    jsm = _variable("JS - id", "jsm")
    container = Container("1", "2", "GTM-TEST", "test", variables=(jsm,))
    resolver = Resolver(container, EventState("https://e.com/", "", {}, "x"), {"JS - id": "abc"})
    assert resolver.render("id-{{JS - id}}") == "id-abc"


def test_format_value_case_and_undefined_replacement() -> None:
    lower = _variable(
        "Lower", "c", Parameter.template("value", "MiXeD"), format_value={"caseConversionType": "LOWERCASE"}
    )
    fallback = _variable(
        "Fallback",
        "v",
        Parameter.template("name", "missing"),
        format_value={"convertUndefinedToValue": {"type": "TEMPLATE", "value": "none"}},
    )
    resolver = _resolver(lower, fallback)
    assert resolver.value("Lower") == "mixed"
    assert resolver.value("Fallback") == "none"


def test_self_reference_is_unknown_not_a_crash() -> None:
    loop = _variable("Loop", "c", Parameter.template("value", "{{Loop}}"))
    assert isinstance(_resolver(loop).value("Loop"), Unknown)


def test_cookie_variable_decodes() -> None:
    cookie = _variable("Cookie", "k", Parameter.template("name", "c"), Parameter.boolean("decodeCookie", True))
    assert _resolver(cookie).value("Cookie") == "a b"


# ---------------------------------------------------------------- dataLayer


def test_datalayer_merges_recursively_and_expands_dotted_keys() -> None:
    model: dict[str, Any] = {}
    merge_push(model, {"ecommerce": {"items": [{"id": 1, "q": 2}], "value": 5}})
    merge_push(model, {"ecommerce": {"items": [{"id": 3}]}, "user.type": "new"})
    assert model["ecommerce"] == {"items": [{"id": 3, "q": 2}], "value": 5}
    assert model["user"] == {"type": "new"}
    merge_push(model, {"ecommerce": None})
    assert model["ecommerce"] is None


@given(st.dictionaries(st.text(min_size=1).filter(lambda k: "." not in k), st.integers() | st.text()))
def test_datalayer_flat_pushes_read_back(data: dict[str, Any]) -> None:
    model: dict[str, Any] = {}
    merge_push(model, data)
    assert all(model[k] == v for k, v in data.items())
