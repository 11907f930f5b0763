"""`gtmgen diff`: semantic, by kind and name; empty for a container against itself; after one
edit it names exactly the changed entities."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtmgen.audit import diff_paths
from gtmgen.cli import app
from tests.conftest import CASES, reference_exports

runner = CliRunner()
CLEAN = CASES / "audit" / "clean" / "container.json"


@pytest.mark.parametrize("export", reference_exports(), ids=lambda p: p.name.split("__")[0])
def test_a_container_against_itself_is_empty(export: Path) -> None:
    changes = diff_paths(export, export)
    assert not changes.has_changes
    result = runner.invoke(app, ["diff", "--exit-code", str(export), str(export)])
    assert result.exit_code == 0
    assert result.stdout.strip() == "0 to create, 0 to update, 0 to delete."


def test_ids_fingerprints_order_and_export_time_are_ignored(tmp_path: Path) -> None:
    doc = json.loads(CLEAN.read_text(encoding="utf-8"))
    version = doc["containerVersion"]
    doc["exportTime"] = "2030-12-31 23:59:59"
    version["tag"].reverse()
    for tag in version["tag"]:
        tag["tagId"] = str(int(tag["tagId"]) + 500)
        tag["fingerprint"] = "1700000000000"
    version["trigger"][0]["triggerId"] = "777"
    for tag in version["tag"]:
        tag["firingTriggerId"] = ["777" if i == "10" else i for i in tag["firingTriggerId"]]
    moved = tmp_path / "moved.json"
    moved.write_text(json.dumps(doc), encoding="utf-8")
    assert not diff_paths(CLEAN, moved).has_changes


def _edited(tmp_path: Path) -> Path:
    doc = json.loads(CLEAN.read_text(encoding="utf-8"))
    version = doc["containerVersion"]
    conversion = next(t for t in version["tag"] if t["name"] == "Google Ads - Conversion - Lead")
    next(p for p in conversion["parameter"] if p["key"] == "currencyCode")["value"] = "EUR"
    version["tag"] = [t for t in version["tag"] if t["name"] != "Meta - Lead"]
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def test_one_edit_names_exactly_the_changed_entities(tmp_path: Path) -> None:
    changes = diff_paths(CLEAN, _edited(tmp_path))
    touched = {(c.action, c.kind, c.name) for c in changes.changes if c.action != "keep"}
    assert touched == {("update", "tag", "Google Ads - Conversion - Lead"), ("delete", "tag", "Meta - Lead")}
    (update,) = [c for c in changes.changes if c.action == "update"]
    assert [(f.path, f.before, f.after) for f in update.fields] == [("parameter.currencyCode", "USD", "EUR")]


def test_cli_text_and_json(tmp_path: Path) -> None:
    edited = str(_edited(tmp_path))
    text = runner.invoke(app, ["diff", str(CLEAN), edited])
    assert text.exit_code == 0
    assert "~ tag 'Google Ads - Conversion - Lead'" in text.stdout
    assert 'parameter.currencyCode: "USD" -> "EUR"' in text.stdout
    assert "- tag 'Meta - Lead'" in text.stdout
    data = json.loads(runner.invoke(app, ["diff", "--format", "json", str(CLEAN), edited]).stdout)
    assert data["summary"] == {"create": 0, "update": 1, "delete": 1}
    assert runner.invoke(app, ["diff", "--exit-code", str(CLEAN), edited]).exit_code == 3


def test_cli_missing_file_is_one_line(tmp_path: Path) -> None:
    result = runner.invoke(app, ["diff", str(CLEAN), str(tmp_path / "nope.json")])
    assert result.exit_code == 1
    assert result.stderr.strip().startswith("gtmgen: error:") and "file not found" in result.stderr


def test_every_pair_of_reference_exports_diffs() -> None:
    exports = reference_exports()
    for old, new in itertools.pairwise(exports):
        changes = diff_paths(old, new)
        assert changes.has_changes


# ---------------------------------------------------------------- specs (compiled first)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "foundation-repair.yaml"


def _spec_edit(tmp_path: Path, old: str, new: str) -> Path:
    pytest.importorskip("gtmgen.compile")
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "edited.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_spec_against_itself_is_empty() -> None:
    pytest.importorskip("gtmgen.compile")
    assert not diff_paths(EXAMPLE, EXAMPLE).has_changes


def test_one_spec_edit_names_exactly_the_entities_it_compiles_to(tmp_path: Path) -> None:
    changes = diff_paths(EXAMPLE, _spec_edit(tmp_path, "    value: 150\n", "    value: 200\n"))
    touched = {(c.action, c.name) for c in changes.changes if c.action != "keep"}
    assert touched == {
        ("update", "GA4 - Conv - Inspection request"),
        ("update", "GAds - Conv - Inspection request"),
        ("update", "Meta - Lead - Inspection request"),
    }


def test_multi_line_values_show_only_the_changed_lines(tmp_path: Path) -> None:
    edited = _spec_edit(tmp_path, "    value: 150\n", "    value: 200\n")
    text = runner.invoke(app, ["diff", str(EXAMPLE), str(edited)]).stdout
    assert "parameter.html: (changed lines)" in text
    assert '      - var params = {"content_name": "Inspection request", "value": 150, "currency": "USD"};' in text
    assert '      + var params = {"content_name": "Inspection request", "value": 200, "currency": "USD"};' in text
    assert "fbevents.js" not in text  # unchanged lines of the tag are not repeated


def test_a_container_against_the_spec_it_was_built_from_is_empty(tmp_path: Path) -> None:
    compile_module = pytest.importorskip("gtmgen.compile")
    from gtmgen.export import container_to_export, dump_export
    from gtmgen.validate import load_spec

    built = tmp_path / "built.json"
    container = compile_module.compile_site(load_spec(EXAMPLE))
    built.write_bytes(dump_export(container_to_export(container, "2025-01-01 00:00:00")))
    assert not diff_paths(EXAMPLE, built).has_changes
