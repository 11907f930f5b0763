"""`gtmgen build`: files, determinism, --check, failures that write nothing, sizes, exit codes."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtmgen import build as core
from gtmgen.cli import app
from gtmgen.export import read_export
from tests.conftest import EXAMPLES, modules_loaded_by
from tests.test_compile import EXAMPLES as EXAMPLE_SPECS

runner = CliRunner()
EXAMPLE = EXAMPLES / "foundation-repair.yaml"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _spec_copy(workdir: Path, source: Path = EXAMPLE) -> Path:
    target = workdir / source.name
    target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    return target


@pytest.mark.parametrize("spec", EXAMPLE_SPECS, ids=lambda p: p.stem)
def test_every_example_builds_to_an_export_that_reads_back(spec: Path, workdir: Path) -> None:
    result = runner.invoke(app, ["build", str(spec)])
    assert result.exit_code == 0, result.stderr
    output = workdir / "build" / f"{spec.stem}.json"
    document = json.loads(output.read_bytes())
    assert document["exportFormatVersion"] == 2 and document["exportTime"] == core.FIXED_EXPORT_TIME
    container = read_export(document)
    assert container.tags and container.public_id
    assert result.stderr.startswith(f"build/{spec.stem}.json: {len(container.tags)} tags, ")
    assert result.stdout == ""


def test_building_twice_gives_identical_bytes(workdir: Path) -> None:
    assert runner.invoke(app, ["build", str(EXAMPLE), "-o", "a.json"]).exit_code == 0
    assert runner.invoke(app, ["build", str(EXAMPLE), "-o", "b.json"]).exit_code == 0
    assert (workdir / "a.json").read_bytes() == (workdir / "b.json").read_bytes()


def test_check_passes_on_fresh_output_and_fails_after_a_spec_edit(workdir: Path) -> None:
    spec = _spec_copy(workdir)
    assert runner.invoke(app, ["build", str(spec)]).exit_code == 0
    before = (workdir / "build" / "foundation-repair.json").read_bytes()
    assert runner.invoke(app, ["build", "--check", str(spec)]).exit_code == 0
    spec.write_text(spec.read_text(encoding="utf-8").replace("value: 150", "value: 175"), encoding="utf-8")
    result = runner.invoke(app, ["build", "--check", str(spec)])
    assert result.exit_code == 1
    assert "build/foundation-repair.json is out of date" in result.stderr
    assert (workdir / "build" / "foundation-repair.json").read_bytes() == before  # --check writes nothing


def test_check_fails_when_the_output_is_missing(workdir: Path) -> None:
    result = runner.invoke(app, ["build", "--check", str(EXAMPLE)])
    assert result.exit_code == 1 and "out of date" in result.stderr
    assert not (workdir / "build").exists()


def test_a_failed_build_leaves_every_output_untouched(workdir: Path) -> None:
    good = _spec_copy(workdir)
    assert runner.invoke(app, ["build", str(good)]).exit_code == 0
    output = workdir / "build" / "foundation-repair.json"
    before = output.read_bytes()
    good.write_text(good.read_text(encoding="utf-8").replace("value: 150", "value: 175"), encoding="utf-8")
    bad = workdir / "broken.yaml"
    bad.write_text("version: 1\nsite: {name: x}\n", encoding="utf-8")
    result = runner.invoke(app, ["build", str(good), str(bad)])
    assert result.exit_code == 1
    assert "broken.yaml:2:" in result.stderr and "Traceback" not in result.stderr
    assert output.read_bytes() == before  # the good spec was not written either
    assert sorted(p.name for p in output.parent.iterdir()) == ["foundation-repair.json"]  # no temp files


def test_stdout_output(workdir: Path) -> None:
    result = runner.invoke(app, ["build", str(EXAMPLE), "-o", "-"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["containerVersion"]["container"]["publicId"] == "GTM-SG7K2P4"
    assert result.stderr.startswith("<stdout>: ")
    assert not (workdir / "build").exists()


def test_usage_errors_exit_2(workdir: Path) -> None:
    assert runner.invoke(app, ["build", str(EXAMPLE), str(EXAMPLE), "-o", "-"]).exit_code == 2
    assert runner.invoke(app, ["build"]).exit_code == 2


def test_several_specs_into_a_folder(workdir: Path) -> None:
    specs = [str(p) for p in EXAMPLE_SPECS[:2]]
    assert runner.invoke(app, ["build", *specs, "-o", "out"]).exit_code == 0
    assert sorted(p.name for p in (workdir / "out").iterdir()) == sorted(f"{Path(s).stem}.json" for s in specs)


def test_export_time(workdir: Path) -> None:
    result = runner.invoke(app, ["build", str(EXAMPLE), "-o", "-", "--export-time", "2025-06-01 12:30:00"])
    assert json.loads(result.stdout)["exportTime"] == "2025-06-01 12:30:00"
    now = json.loads(runner.invoke(app, ["build", str(EXAMPLE), "-o", "-", "--export-time", "now"]).stdout)
    assert now["exportTime"] != core.FIXED_EXPORT_TIME and len(now["exportTime"]) == 19
    bad = runner.invoke(app, ["build", str(EXAMPLE), "--export-time", "2025-06-01T12:30"])
    assert bad.exit_code == 1 and "--export-time" in bad.stderr


def test_size_warning_and_limit(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core, "WARN_SIZE", 10 * core.KB)
    result = runner.invoke(app, ["build", str(EXAMPLE)])
    assert result.exit_code == 0 and "gtmgen: warning: build/foundation-repair.json: the container is" in result.stderr
    monkeypatch.setattr(core, "SIZE_LIMIT", 20 * core.KB)
    result = runner.invoke(app, ["build", str(EXAMPLE), "-o", "big.json"])
    assert result.exit_code == 1 and "above GTM's 20 KB limit" in result.stderr
    assert not (workdir / "big.json").exists()


def test_a_write_error_is_reported_not_raised(workdir: Path) -> None:
    (workdir / "blocked").write_text("a file where a folder should be", encoding="utf-8")
    result = runner.invoke(app, ["build", str(EXAMPLE), "-o", "blocked/x.json"])
    assert result.exit_code == 1 and "cannot write blocked/x.json" in result.stderr


def test_new_files_get_the_usual_mode(workdir: Path) -> None:
    assert runner.invoke(app, ["build", str(EXAMPLE)]).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert (workdir / "build" / "foundation-repair.json").stat().st_mode & 0o777 == 0o666 & ~umask


def test_build_does_not_import_the_google_api_client(tmp_path: Path) -> None:
    build = ["build", str(EXAMPLE), "-o", str(tmp_path / "x.json")]
    assert modules_loaded_by(build, prefixes=("googleapiclient",)) == []


def test_gtm_variable_syntax_in_spec_text_is_refused(workdir: Path) -> None:
    spec = _spec_copy(workdir, EXAMPLES / "minimal.yaml")
    original = spec.read_text(encoding="utf-8")
    text = original.replace("thank_you_page: /thank-you/", 'thank_you_page: "/t-{{Page URL}}/"')
    assert text != original
    spec.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["build", str(spec)])
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()  # validation finds it, at the value (the compiler's guard is a backstop)
    assert line.startswith(f"{spec}:20:23: error: Tag Manager would read {{{{Page URL}}}} here")
    assert line.endswith("(at conversions[0].when.thank_you_page)")
    assert not (workdir / "build").exists()


def _skip_note(path: Path) -> str:
    return f"gtmgen: skipped: {path} is a tracking scenario file; run it with `gtmgen test`\n"


def test_build_skips_the_scenario_files_a_glob_also_names(workdir: Path) -> None:
    given = sorted(EXAMPLES.glob("*.yaml"))
    scenarios = [p for p in given if p.name.endswith(".tracking.yaml")]
    assert scenarios
    result = runner.invoke(app, ["build", *map(str, given)])
    assert result.exit_code == 0, result.stderr
    assert result.stderr.startswith("".join(_skip_note(p) for p in scenarios))
    built = sorted(p.name for p in (workdir / "build").iterdir())
    assert built == sorted(f"{p.stem}.json" for p in given if p not in scenarios)


def test_build_with_only_scenario_files_is_an_error_and_writes_nothing(workdir: Path) -> None:
    scenario = EXAMPLES / "minimal.tracking.yaml"
    result = runner.invoke(app, ["build", str(scenario)])
    assert result.exit_code == 1
    assert result.stderr == _skip_note(scenario) + (
        "gtmgen: error: no spec to build: every file given is a tracking scenario file (`*.tracking.yaml`)\n"
    )
    assert not (workdir / "build").exists()


def test_one_spec_beside_its_scenario_file_still_builds_to_stdout(workdir: Path) -> None:
    spec = EXAMPLES / "minimal.yaml"
    result = runner.invoke(app, ["build", "-o", "-", str(spec), str(EXAMPLES / "minimal.tracking.yaml")])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["containerVersion"]["tag"]


def test_build_prints_the_validation_warnings_as_validate_does_and_still_builds(workdir: Path) -> None:
    spec = _spec_copy(workdir, EXAMPLES / "minimal.yaml")
    spec.write_text(spec.read_text(encoding="utf-8").replace("G-4RT7K2LQ9M", "G-XXXXXXXXXX"), encoding="utf-8")
    validated = runner.invoke(app, ["validate", str(spec)])
    assert validated.exit_code == 0 and ": warning: " in validated.stderr
    result = runner.invoke(app, ["build", str(spec)])
    assert result.exit_code == 0
    warnings, summary = result.stderr.splitlines()[:-1], result.stderr.splitlines()[-1]
    assert "\n".join(warnings) + "\n" == validated.stderr
    assert summary.startswith("build/minimal.json: ")
    assert (workdir / "build" / "minimal.json").is_file()


def test_a_failed_build_shows_the_warnings_too(workdir: Path) -> None:
    spec = _spec_copy(workdir, EXAMPLES / "minimal.yaml")
    text = spec.read_text(encoding="utf-8").replace("G-4RT7K2LQ9M", "G-XXXXXXXXXX").replace("version: 1", "version: 2")
    spec.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["build", str(spec)])
    assert result.exit_code == 1
    assert [line.split(": ")[1] for line in result.stderr.splitlines()] == ["error", "warning"]
