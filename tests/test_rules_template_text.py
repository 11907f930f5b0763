"""`{{...}}` in spec text that GTM would read as a variable: a located validation error at the
value, for every key the compiler guards, and the compiler's own guard still refuses it."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from gtmgen.compile import compile_site
from gtmgen.errors import CompileError
from gtmgen.rules.template_text import TEMPLATE_TEXT_FIELDS
from gtmgen.spec import spec_from_data
from gtmgen.validate import validate_text
from tests.conftest import EXAMPLES, ROOT

BASE: dict[str, Any] = yaml.safe_load((EXAMPLES / "minimal.yaml").read_text(encoding="utf-8"))
BRACES = "{{PagePath}}"


def _conversion_when(when: dict[str, Any]) -> Any:
    def put(data: dict[str, Any]) -> None:
        data["conversions"][0]["when"] = when

    return put


def _click(data: dict[str, Any]) -> None:
    data["signals"] = {"clicks": [{"name": "Quote button", "selector": f"a[href='{BRACES}']"}]}


def _consent(data: dict[str, Any]) -> None:
    data["consent"] = {"update_event": f"consent_{BRACES}"}


# One spec edit per guarded key; a key added to the rule without a case here fails the test below.
EDIT_BY_FIELD = {
    "conversions[].when.page_path": _conversion_when({"link_click": "mailto", "page_path": f"/{BRACES}/"}),
    "conversions[].when.thank_you_page": _conversion_when({"thank_you_page": f"/thanks/{BRACES}/"}),
    "conversions[].when.thank_you_page.path": _conversion_when({"thank_you_page": {"path": f"/t/{BRACES}"}}),
    "conversions[].when.datalayer_event": _conversion_when({"datalayer_event": f"lead_{BRACES}"}),
    "conversions[].when.plugin.form_id": _conversion_when({"plugin": {"name": "gravity_forms", "form_id": BRACES}}),
    "conversions[].when.element_visible": _conversion_when({"element_visible": f"#done{BRACES}"}),
    "signals.clicks[].selector": _click,
    "consent.update_event": _consent,
}


def test_every_guarded_key_has_a_case() -> None:
    assert set(EDIT_BY_FIELD) == set(TEMPLATE_TEXT_FIELDS)


def test_the_rule_covers_every_key_the_compiler_guards() -> None:
    """Each `literal(text, source)` in the compiler names a spec key; the rule must check it too."""
    sources = ROOT.glob("gtmgen/compile/*.py")
    guarded = {m for p in sources for m in re.findall(r'literal\([^)]*?f?"([^"]+)"\)', p.read_text(encoding="utf-8"))}
    assert guarded, "the compiler's guard moved; update this test"
    suffixes = {re.sub(r"^\{[^}]*\}", "", source) for source in guarded}
    missing = [s for s in suffixes if not any(field.endswith(s) for field in TEMPLATE_TEXT_FIELDS)]
    assert missing == []


@pytest.mark.parametrize("field", sorted(EDIT_BY_FIELD))
def test_braces_are_a_located_error_at_the_value(field: str) -> None:
    data = copy.deepcopy(BASE)
    EDIT_BY_FIELD[field](data)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    (diagnostic,) = validate_text(text, "s.yaml").diagnostics
    assert (diagnostic.severity, diagnostic.rule) == ("error", "gtm-variable-syntax")
    assert "{{PagePath}}" in diagnostic.message and "variable 'PagePath'" in diagnostic.message
    line = text.splitlines()[diagnostic.location.line - 1]
    assert BRACES in line
    assert line[diagnostic.location.column - 1 :].lstrip("'\"").startswith(("/", "lead_", "#", "a[", "consent_", "{"))
    assert line[: diagnostic.location.column - 1].rstrip().endswith(":")
    assert diagnostic.json_path.replace("[0]", "[]") == field


@pytest.mark.parametrize("field", sorted(EDIT_BY_FIELD))
def test_the_compiler_still_refuses_braces_when_validation_is_skipped(field: str) -> None:
    data = copy.deepcopy(BASE)
    EDIT_BY_FIELD[field](data)
    with pytest.raises(CompileError, match=r"contains \{\{PagePath\}\}"):
        compile_site(spec_from_data(data, "s.yaml"))


@pytest.mark.parametrize(
    "text", ["/a/{b}/", "{{", "}}", "{ {x} }", "/menu/{{}}/"], ids=["single", "open", "close", "spaced", "empty"]
)
def test_text_that_is_no_variable_reference_passes(text: str) -> None:
    data = copy.deepcopy(BASE)
    data["conversions"][0]["when"] = {"datalayer_event": f"lead{text}"}
    validation = validate_text(yaml.safe_dump(data, sort_keys=False), "s.yaml")
    assert [d.rule for d in validation.diagnostics] == []
