"""Golden tests: every folder under tests/cases/invalid is a broken spec and its exact diagnostics.

Each case exits 1 through the CLI with one line per problem on stderr (file:line:col), nothing
on stdout, no traceback, and `gtmgen build` writes no output for it. Add a folder to add a test;
rewrite the expected files only with `pytest --update-golden`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtmgen.cli import app
from tests.conftest import CASES

INVALID = CASES / "invalid"
CASE_DIRS = sorted(p for p in INVALID.iterdir() if p.is_dir()) if INVALID.is_dir() else []
LINE = re.compile(r"^spec\.yaml:\d+:\d+: (error|warning): .+ \(at \S.*\)$")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_the_corpus_is_there() -> None:
    names = {p.name for p in CASE_DIRS}
    issue_corpus = {
        "yaml-syntax-error",
        "duplicate-key",
        "wrong-id-format",
        "unknown-kind",
        "misspelt-top-level-key",
        "string-for-number",
        "unknown-currency",
        "empty-file",
        "binary-file",
        "three-mistakes",
    }
    assert issue_corpus <= names


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: p.name)
def test_invalid_spec(case: Path, update_golden: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    code, out, err = run("validate", "spec.yaml")
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines and all(LINE.match(line) for line in lines), err
    assert any(": error: " in line for line in lines)
    expected = case / "expected.txt"
    if update_golden:
        expected.write_text(err, encoding="utf-8")
    assert expected.is_file(), f"no {expected}; run pytest --update-golden and review it"
    assert err == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: p.name)
def test_build_writes_nothing_for_an_invalid_spec(case: Path, tmp_path: Path) -> None:
    output = tmp_path / "out" / "container.json"
    code, _, err = run("build", str(case / "spec.yaml"), "-o", str(output))
    assert code == 1
    assert "Traceback" not in err
    assert not output.exists()
    assert not list(tmp_path.rglob("*.json"))


def test_three_independent_mistakes_give_three_lines() -> None:
    expected = (INVALID / "three-mistakes" / "expected.txt").read_text(encoding="utf-8")
    assert len(expected.splitlines()) == 3


@pytest.mark.parametrize("case", CASE_DIRS, ids=lambda p: p.name)
def test_json_report_says_the_same(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(case)
    code, out, err = run("validate", "--format", "json", "spec.yaml")
    assert code == 1
    assert err == ""
    report = json.loads(out)
    assert report["valid"] is False
    (entry,) = report["files"]
    rendered = [
        f"{d['file']}:{d['line']}:{d['column']}: {d['severity']}: {d['message']} (at {d['path']})"
        for d in entry["diagnostics"]
    ]
    assert rendered == (case / "expected.txt").read_text(encoding="utf-8").splitlines()
