"""`gtmgen init` writes a starter scenario file next to the spec, and it passes as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtmgen.cli import app
from gtmgen.simulate.runner import read_all
from gtmgen.starter import INDUSTRIES


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_init_writes_scenarios_that_pass(tmp_path: Path, industry: str) -> None:
    spec = tmp_path / "site" / "acme.yaml"
    runner = CliRunner()
    written = runner.invoke(
        app, ["init", "--name", "Acme & Sons", "--domain", "acme.example", "--industry", industry, str(spec)]
    )
    assert written.exit_code == 0, written.stderr
    scenarios = spec.with_name("acme.tracking.yaml")
    assert f"wrote {scenarios} (tracking scenarios" in written.stdout
    (loaded,) = read_all([scenarios])
    assert loaded.target == spec
    names = [case.name for case in loaded.cases]
    assert names[0] == "An ordinary page converts nothing"
    assert any(case.expect.same_event_id or case.expect.fires for case in loaded.cases[1:])
    result = runner.invoke(app, ["test", str(spec.parent)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == f"{len(names)} passed"


def test_init_does_not_overwrite_an_existing_scenario_file(tmp_path: Path) -> None:
    spec = tmp_path / "acme.yaml"
    (tmp_path / "acme.tracking.yaml").write_text("mine\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["init", "--name", "Acme", "--domain", "acme.example", str(spec)])
    assert result.exit_code == 1 and "acme.tracking.yaml already exists" in result.stderr
    assert not spec.exists() and (tmp_path / "acme.tracking.yaml").read_text(encoding="utf-8") == "mine\n"
