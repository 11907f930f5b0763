"""The spec commands through the CLI: validate, schema, init."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jinja2
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from gtmgen.cli import app
from gtmgen.cli.commands_spec import IndustryChoice
from gtmgen.errors import InputError
from gtmgen.loader import SpecLoader
from gtmgen.starter import INDUSTRIES, StarterOptions, normalize_domain, render_spec, yaml_string
from gtmgen.validate import schema_text, validate_text
from tests.conftest import EXAMPLES, ROOT, modules_loaded_by

MINIMAL = EXAMPLES / "minimal.yaml"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------- validate


def test_validate_prints_an_ok_line_per_valid_file() -> None:
    code, out, err = run("validate", str(MINIMAL), str(EXAMPLES / "paid-booking.yaml"))
    assert (code, err) == (0, "")
    assert out == f"{MINIMAL}: ok\n{EXAMPLES / 'paid-booking.yaml'}: ok\n"


def test_validate_reports_every_file_and_fails_if_one_fails(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(MINIMAL.read_text().replace("kind: phone_call", "kind: call"), encoding="utf-8")
    code, out, err = run("validate", str(broken), str(MINIMAL), str(tmp_path / "missing.yaml"))
    assert code == 1
    assert out == f"{MINIMAL}: ok\n"
    assert err.splitlines() == [
        f"{broken}:25:11: error: 'call' is not allowed here; expected one of: form_submission, phone_call, "
        "booking, purchase, lead, custom (did you mean 'phone_call'?) (at conversions[1].kind)",
        f"{tmp_path / 'missing.yaml'}:1:1: error: no such file (at $)",
    ]


def test_validate_counts_warnings_and_strict_fails_on_them(tmp_path: Path) -> None:
    spec = tmp_path / "w.yaml"
    spec.write_text(MINIMAL.read_text().replace("G-4RT7K2LQ9M", "G-XXXXXXXXXX"), encoding="utf-8")
    code, out, err = run("validate", str(spec))
    assert (code, out) == (0, f"{spec}: ok (1 warning)\n")
    assert err == (
        f"{spec}:12:21: warning: G-XXXXXXXXXX is a placeholder; replace it with your real GA4 measurement ID "
        "(at platforms.ga4.measurement_id)\n"
    )
    code, out, _ = run("validate", "--strict", str(spec))
    assert (code, out) == (1, "")


def test_validate_json(tmp_path: Path) -> None:
    spec = tmp_path / "w.yaml"
    spec.write_text(MINIMAL.read_text().replace("G-4RT7K2LQ9M", "G-XXXXXXXXXX"), encoding="utf-8")
    code, out, err = run("validate", "--format", "json", str(spec), str(MINIMAL))
    assert (code, err) == (0, "")
    report = json.loads(out)
    assert report["valid"] is True
    assert [(f["file"], f["valid"], f["errors"], f["warnings"]) for f in report["files"]] == [
        (str(spec), True, 0, 1),
        (str(MINIMAL), True, 0, 0),
    ]
    assert report["files"][0]["diagnostics"][0] == {
        "file": str(spec),
        "line": 12,
        "column": 21,
        "severity": "warning",
        "message": "G-XXXXXXXXXX is a placeholder; replace it with your real GA4 measurement ID",
        "path": "platforms.ga4.measurement_id",
        "rule": "placeholder-id",
    }


def _skip_note(path: Path) -> str:
    return f"gtmgen: skipped: {path} is a tracking scenario file; run it with `gtmgen test`\n"


def test_validate_skips_the_scenario_files_a_glob_also_names() -> None:
    given = sorted(EXAMPLES.glob("*.yaml"))
    scenarios = [p for p in given if p.name.endswith(".tracking.yaml")]
    assert scenarios and len(scenarios) < len(given)
    code, out, err = run("validate", *map(str, given))
    assert code == 0
    assert err == "".join(_skip_note(p) for p in scenarios)
    assert out == "".join(f"{p}: ok\n" for p in given if p not in scenarios)


def test_validate_json_lists_the_skipped_files() -> None:
    scenario = EXAMPLES / "minimal.tracking.yaml"
    code, out, err = run("validate", "-f", "json", str(scenario), str(MINIMAL))
    assert (code, err) == (0, _skip_note(scenario))
    report = json.loads(out)
    assert [f["file"] for f in report["files"]] == [str(MINIMAL)]
    assert report["skipped"] == [str(scenario)]


def test_validate_with_only_scenario_files_is_an_error() -> None:
    scenario = EXAMPLES / "minimal.tracking.yaml"
    code, out, err = run("validate", str(scenario))
    assert (code, out) == (1, "")
    assert err == _skip_note(scenario) + (
        "gtmgen: error: no spec to validate: every file given is a tracking scenario file (`*.tracking.yaml`)\n"
    )


def test_a_scenario_file_under_another_name_is_still_refused_with_its_position(tmp_path: Path) -> None:
    renamed = tmp_path / "minimal-visits.yaml"
    renamed.write_text((EXAMPLES / "minimal.tracking.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    code, _, err = run("validate", str(renamed))
    assert code == 1
    assert err.startswith(f"{renamed}:") and "this is a tracking scenario file, not a spec" in err


def test_validate_and_simulate_agree_on_the_scenario_file_suffix() -> None:
    from gtmgen.simulate.scenario import SCENARIO_SUFFIX
    from gtmgen.validate import SCENARIO_SUFFIX as skipped_suffix

    assert skipped_suffix == SCENARIO_SUFFIX


def test_validate_without_a_file_is_a_usage_error() -> None:
    code, _, err = run("validate")
    assert code == 2
    assert "Missing argument" in err


def test_validate_does_not_import_the_google_api_client() -> None:
    assert modules_loaded_by(["validate", str(MINIMAL)], prefixes=("googleapiclient",)) == []


def test_loading_the_cli_imports_neither_jinja2_nor_the_compiler() -> None:
    """Every command (even `--help`) pays for what the CLI imports: jinja2, the compiler,
    conformance and the export writer load only inside `init`, `schema -o` and `build`."""
    heavy = ("jinja2", "gtmgen.starter", "gtmgen.build", "gtmgen.compile", "gtmgen.conformance", "gtmgen.export")
    assert modules_loaded_by(["--help"], prefixes=heavy) == []


def test_validate_does_not_import_jinja2_or_the_compiler() -> None:
    heavy = ("jinja2", "gtmgen.compile", "gtmgen.build")
    assert modules_loaded_by(["validate", str(MINIMAL)], prefixes=heavy) == []


def test_python_dash_m_runs_the_cli() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gtmgen", "validate", str(MINIMAL)], capture_output=True, text=True, cwd=ROOT
    )
    assert (done.returncode, done.stdout) == (0, f"{MINIMAL}: ok\n")


# ---------------------------------------------------------------- schema


def test_schema_prints_the_schema() -> None:
    code, out, _ = run("schema")
    assert code == 0
    assert out == schema_text()
    assert json.loads(out)["title"] == "gtmgen site spec"


def test_schema_writes_a_file(tmp_path: Path) -> None:
    target = tmp_path / "editor" / "gtmgen.schema.json"
    code, out, _ = run("schema", "-o", str(target))
    assert (code, out) == (0, "")
    assert target.read_text(encoding="utf-8") == schema_text()
    assert [p.name for p in target.parent.iterdir()] == ["gtmgen.schema.json"]  # no temporary file left


# ---------------------------------------------------------------- init


def test_the_industry_choices_are_the_presets() -> None:
    assert tuple(choice.value for choice in IndustryChoice) == INDUSTRIES


@pytest.mark.parametrize("industry", INDUSTRIES)
def test_init_writes_a_spec_that_validates(industry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run("init", "--name", "Acme Co", "--domain", "acme.com", "--industry", industry)
    assert (code, err) == (0, "")
    assert out.startswith("wrote gtmgen.yaml (spec)\n")
    text = (tmp_path / "gtmgen.yaml").read_text(encoding="utf-8")
    assert "# " in text  # commented
    code, out, err = run("validate", "gtmgen.yaml")
    assert code == 0
    assert out.startswith("gtmgen.yaml: ok (")
    assert all(": warning: " in line and "placeholder" in line for line in err.splitlines())
    spec = validate_text(text).spec
    assert spec is not None and (spec.site.name, spec.site.domain) == ("Acme Co", "acme.com")


def test_the_starter_and_the_compiler_share_one_jinja2_environment() -> None:
    """STYLE.md: one Environment. The starter renders through the compiler's, which has every
    context's escaping filter, and no other module builds one."""
    from gtmgen.compile.render import environment

    assert {"js", "yaml", "comment"} <= set(environment().filters)
    assert environment().undefined is jinja2.StrictUndefined
    builders = [p for p in (ROOT / "gtmgen").rglob("*.py") if "jinja2.Environment(" in p.read_text(encoding="utf-8")]
    assert [p.relative_to(ROOT).as_posix() for p in builders] == ["gtmgen/compile/render.py"]


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    target = tmp_path / "site.yaml"
    target.write_text("mine\n", encoding="utf-8")
    code, out, err = run("init", str(target), "--name", "A", "--domain", "a.com")
    assert (code, out) == (1, "")
    assert err == f"gtmgen: error: {target} already exists; choose another path or pass --force to overwrite\n"
    assert target.read_text(encoding="utf-8") == "mine\n"
    code, _, _ = run("init", str(target), "--name", "A", "--domain", "a.com", "--force")
    assert code == 0
    assert target.read_text(encoding="utf-8").startswith("# gtmgen site spec")
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--domain", "not a domain", "gtmgen: error: --domain: expected a host name in lower case such as example.com"),
        ("--name", "   ", "gtmgen: error: --name: must not be blank; found '   '"),
        ("--currency", "XYZ", "gtmgen: error: --currency: unknown currency 'XYZ': not an active ISO 4217 code"),
    ],
)
def test_init_names_the_option_at_fault_and_writes_nothing(
    option: str, value: str, message: str, tmp_path: Path
) -> None:
    options = {"--name": "Acme", "--domain": "acme.com", "--currency": "USD"} | {option: value}
    code, out, err = run("init", str(tmp_path / "s.yaml"), *[x for pair in options.items() for x in pair])
    assert (code, out) == (1, "")
    assert err.startswith(message)
    assert list(tmp_path.iterdir()) == []


def test_init_rejects_an_unknown_industry_as_usage() -> None:
    code, _, err = run("init", "--name", "A", "--domain", "a.com", "--industry", "bakery")
    assert code == 2
    assert "bakery" in err


def test_init_into_a_directory_is_refused(tmp_path: Path) -> None:
    code, _, err = run("init", str(tmp_path), "--name", "A", "--domain", "a.com")
    assert code == 1
    assert "already exists" in err


@pytest.mark.parametrize(
    ("given", "host"),
    [
        ("https://www.Example.com/contact?x=1", "www.example.com"),
        ("example.com/", "example.com"),
        ("  EXAMPLE.com ", "example.com"),
        ("http://shop.example.co.uk#top", "shop.example.co.uk"),
    ],
)
def test_domains_are_normalised(given: str, host: str) -> None:
    assert normalize_domain(given) == host


_NAMES = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=100).filter(lambda s: s.strip())


@settings(max_examples=200, deadline=None)
@given(_NAMES)
def test_any_name_reads_back_exactly(name: str) -> None:
    spec = validate_text(render_spec(StarterOptions(name, "acme.com"))).spec
    assert spec is not None
    assert spec.site.name == name


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_yaml_string_round_trips(text: str) -> None:
    assert yaml.load(f"v: {yaml_string(text)}\n", Loader=SpecLoader) == {"v": text}


def test_undecodable_names_are_refused() -> None:
    with pytest.raises(InputError, match="--name"):
        render_spec(StarterOptions("Caf\udce9", "acme.com"))
