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
