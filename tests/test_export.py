"""The export reader and writer: every real GTM export round-trips through the model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gtmgen.container import Condition, Container, Parameter, Tag, Variable, variable_references
from gtmgen.errors import ContainerFormatError
from gtmgen.export import container_to_export, dump_export, load_export, read_export
from tests.conftest import reference_exports

ENTITY_KINDS = ("tag", "trigger", "variable", "folder", "builtInVariable", "customTemplate")


def _without_fingerprints(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_fingerprints(v) for k, v in value.items() if k != "fingerprint"}
    if isinstance(value, list):
        return [_without_fingerprints(v) for v in value]
    return value


@pytest.mark.parametrize("path", reference_exports(), ids=lambda p: p.name[:40])
def test_reference_export_entities_round_trip(path: Path) -> None:
    original = json.loads(path.read_text(encoding="utf-8"))
    container = load_export(path)
    written = container_to_export(container, original["exportTime"])["containerVersion"]
    for kind in ENTITY_KINDS:
        before = original["containerVersion"].get(kind, [])
        after = written.get(kind, [])
        assert len(before) == len(after), kind
        for a, b in zip(before, after, strict=True):
            a.pop("monitoringMetadata", None)  # pre-2019 tags lack it; gtmgen always writes it
            b.pop("monitoringMetadata", None)
            assert _without_fingerprints(a) == _without_fingerprints(b)


@pytest.mark.parametrize("path", reference_exports(), ids=lambda p: p.name[:40])
def test_tag_keys_keep_gtm_order(path: Path) -> None:
    original = json.loads(path.read_text(encoding="utf-8"))
    written = container_to_export(load_export(path), original["exportTime"])["containerVersion"]
    for a, b in zip(original["containerVersion"].get("tag", []), written.get("tag", []), strict=True):
        assert [k for k in a if k != "monitoringMetadata"] == [k for k in b if k != "monitoringMetadata"]


def test_reader_models_conditions_consent_and_sequencing() -> None:
    data = {
        "containerVersion": {
            "accountId": "1",
            "containerId": "2",
            "container": {"publicId": "GTM-ABC1234", "name": "x"},
            "tag": [
                {
                    "tagId": "5",
                    "name": "Meta - Lead",
                    "type": "html",
                    "firingTriggerId": ["7"],
                    "setupTag": [{"tagName": "Meta - Base", "stopOnSetupFailure": True}],
                    "consentSettings": {
                        "consentStatus": "NEEDED",
                        "consentType": {"type": "LIST", "list": [{"type": "TEMPLATE", "value": "ad_storage"}]},
                    },
                    "paused": True,
                    "priority": {"type": "INTEGER", "value": "10"},
                }
            ],
            "trigger": [
                {
                    "triggerId": "7",
                    "name": "LC - tel",
                    "type": "LINK_CLICK",
                    "filter": [
                        {
                            "type": "STARTS_WITH",
                            "parameter": [
                                {"type": "TEMPLATE", "key": "arg0", "value": "{{Click URL}}"},
                                {"type": "TEMPLATE", "key": "arg1", "value": "tel:"},
                                {"type": "BOOLEAN", "key": "negate", "value": "true"},
                            ],
                        }
                    ],
                    "waitForTags": {"type": "BOOLEAN", "value": "false"},
                }
            ],
        }
    }
    container = read_export(data)
    tag = container.tags[0]
    assert tag.setup_tag == "Meta - Base" and tag.setup_stop_on_failure
    assert tag.consent is not None and tag.consent.types == ("ad_storage",)
    assert tag.paused and tag.priority == 10
    trigger = container.trigger_by_id("7")
    assert trigger is not None
    condition = trigger.filter[0]
    assert (condition.arg0, condition.type, condition.arg1, condition.negate) == (
        "{{Click URL}}",
        "STARTS_WITH",
        "tel:",
        True,
    )
    assert trigger.special_value("waitForTags") == "false"
    assert container.trigger_name("2147479553") == "All Pages"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ("[1, 2]", "JSON object"),
        ('{"foo": 1}', "containerVersion"),
        ("{not json", "not JSON"),
    ],
)
def test_bad_exports_raise_located_errors(tmp_path: Path, payload: str, fragment: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(payload, encoding="utf-8")
    with pytest.raises(ContainerFormatError) as caught:
        load_export(path)
    assert fragment in str(caught.value)
    assert str(path) in str(caught.value)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(ContainerFormatError, match="not found"):
        load_export(tmp_path / "nope.json")
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ContainerFormatError, match="UTF-8"):
        load_export(binary)


def test_writer_omits_empty_values_and_arrays() -> None:
    container = Container(
        account_id="1",
        container_id="2",
        public_id="GTM-ABC1234",
        name="site",
        tags=(Tag("3", "T", "html", (Parameter.template("html", "<b>x</b>"), Parameter.template("arg1", ""))),),
        variables=(Variable("4", "V", "c", (Parameter.template("value", "x"),)),),
    )
    document = container_to_export(container, "2026-01-01 00:00:00")
    version = document["containerVersion"]
    assert list(document) == ["exportFormatVersion", "exportTime", "containerVersion"]
    assert "trigger" not in version and "folder" not in version
    assert version["tag"][0]["parameter"][1] == {"type": "TEMPLATE", "key": "arg1"}
    assert version["container"]["tagIds"] == ["GTM-ABC1234"]
    text = dump_export(document).decode("utf-8")
    assert text.endswith("}\n") and '\n    "containerVersion": {' in text


def test_condition_builder_and_references() -> None:
    condition = Condition.of("MATCH_REGEX", "{{Page Path}}", "^/a", ignore_case=True)
    assert condition.ignore_case and not condition.negate
    assert variable_references("{{A}} and {{Page Path}}") == ["A", "Page Path"]
