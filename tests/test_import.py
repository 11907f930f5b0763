"""`gtmgen import`: a container becomes a spec that validates and builds, whose conversions fire
for the same scenarios as the original's, and nothing is dropped without a note."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from gtmgen.audit.facts import ContainerFacts
from gtmgen.audit.importer import ImportResult, import_container, import_path
from gtmgen.cli import app
from gtmgen.container import Container
from gtmgen.export import load_export
from gtmgen.spec import spec_from_data
from tests.conftest import CASES, reference_exports

IMPORT_CASES = sorted(p for p in (CASES / "import").iterdir() if p.is_dir())
LEAD_GEN = CASES / "import" / "lead-gen" / "container.json"
EXPORTS = reference_exports()
runner = CliRunner()


def _ids(paths: list[Path]) -> list[str]:
    return [p.name.split("__")[0] for p in paths]


@pytest.mark.parametrize("case", IMPORT_CASES, ids=[c.name for c in IMPORT_CASES])
def test_import_matches_golden_spec(case: Path, update_golden: bool) -> None:
    result = import_path(case / "container.json")
    golden = case / "expected.yaml"
    if update_golden:
        golden.write_text(result.yaml_text, encoding="utf-8")
    assert result.yaml_text == golden.read_text(encoding="utf-8")


def _all_sources(path: Path) -> list[Path]:
    return [path, *EXPORTS]


@pytest.mark.parametrize("path", _all_sources(LEAD_GEN), ids=_ids(_all_sources(LEAD_GEN)))
def test_import_yaml_is_the_data_and_builds_a_model(path: Path) -> None:
    result = import_path(path)
    assert yaml.safe_load(result.yaml_text) == result.data
    spec = spec_from_data(result.data)
    assert spec.platforms.ga4 or spec.platforms.google_ads or spec.platforms.meta


@pytest.mark.parametrize("path", _all_sources(LEAD_GEN), ids=_ids(_all_sources(LEAD_GEN)))
def test_imported_spec_validates(path: Path) -> None:
    validate = pytest.importorskip("gtmgen.validate")
    validation = validate.validate_text(import_path(path).yaml_text, "imported.yaml")
    assert [d.render() for d in validation.errors] == []


@pytest.mark.parametrize("path", _all_sources(LEAD_GEN), ids=_ids(_all_sources(LEAD_GEN)))
def test_imported_spec_builds(path: Path) -> None:
    validate = pytest.importorskip("gtmgen.validate")
    compile_module = pytest.importorskip("gtmgen.compile")
    validation = validate.validate_text(import_path(path).yaml_text, "imported.yaml")
    assert validation.spec is not None
    container = compile_module.compile_site(validation.spec)
    assert container.tags


def _mentioned(result: ImportResult, name: str) -> bool:
    return any(name == n.name or repr(name) in n.message for n in result.notes)


@pytest.mark.parametrize("path", _all_sources(LEAD_GEN), ids=_ids(_all_sources(LEAD_GEN)))
def test_nothing_is_dropped_silently(path: Path) -> None:
    container = load_export(path)
    result = import_container(container, str(path))
    for tag in container.tags:
        assert tag.name in result.mapped_tags or _mentioned(result, tag.name), tag.name
    for template in container.custom_templates:
        assert _mentioned(result, template.name)
    for note in result.notes:
        assert note.render() in result.yaml_text  # the file carries the report too


def test_recognised_meaning_of_the_lead_gen_container() -> None:
    data = import_path(LEAD_GEN).data
    assert data["platforms"] == {
        "ga4": {"measurement_id": "G-8XK2M4P7Q1"},
        "google_ads": {"conversion_id": "AW-123456789", "remarketing": True, "enhanced_conversions": False},
        "meta": {"pixel_id": "104857600123456"},
    }
    assert data["consent"]["regions"][0]["regions"] == ["US", "CA"]
    whens = {c["name"]: c["when"] for c in data["conversions"]}
    assert whens == {
        "lead_submitted": {"datalayer_event": "lead_submitted"},
        "thank you": {"thank_you_page": {"path": "/thank-you/", "match": "prefix"}},
        "tel links (tel)": {"link_click": "tel", "page_path": "/contact/"},
        "booking confirmed": {"element_visible": ".booking-confirmed"},
    }
    assert data["page_groups"]["services"][0]["paths"] == ["/services/foundation-repair/"]
    assert data["signals"] == {"engaged_time": {"seconds": 45}}


def test_click_conversion_and_unknown_html_are_reported() -> None:
    notes = [n.render() for n in import_path(LEAD_GEN).notes]
    assert any("'CL - quote button'" in n and "attempt" in n for n in notes)
    assert any("'Chat widget'" in n and n.startswith("not mapped") for n in notes)
    assert any("(pier|beam)" in n for n in notes)


# ---------------------------------------------------------------- same conversions, same scenarios


def _scenarios() -> list[object]:
    sim = pytest.importorskip("gtmgen.simulate.page")
    page, push, click, visible = sim.Page, sim.Push, sim.Click, sim.Visible
    home = page("https://example.com/")
    return [
        sim.Scenario(home, (push({"event": "lead_submitted", "value": 120, "event_id": "e-1"}),)),
        sim.Scenario(page("https://example.com/thank-you/")),
        sim.Scenario(page("https://example.com/contact/"), (click(sim.Element(href="tel:+15551234567")),)),
        sim.Scenario(
            page("https://example.com/book/"), (visible(sim.Element(tag="div", classes=("booking-confirmed",))),)
        ),
        sim.Scenario(page("https://example.com/pricing/"), (click(sim.Element(href="tel:+15551234567")),)),
    ]


def _fired_conversions(container: Container, scenario: object) -> set[tuple[str, str]]:
    engine = pytest.importorskip("gtmgen.simulate.engine")
    facts = ContainerFacts(container)
    infos = {i.name: i for i in facts.tags}
    fired = set()
    for _event, firing in engine.simulate(container, scenario).firings():
        info = infos.get(firing.name)
        if info is not None and info.confirms:
            what = facts.resolve(info.tag.param("conversionLabel")) if info.platform == "google_ads" else ""
            fired.add((info.platform or "", what or ",".join(info.events)))
    return fired


def test_imported_conversions_fire_for_the_same_scenarios() -> None:
    validate = pytest.importorskip("gtmgen.validate")
    compile_module = pytest.importorskip("gtmgen.compile")
    original = load_export(LEAD_GEN)
    validation = validate.validate_text(import_path(LEAD_GEN).yaml_text, "imported.yaml")
    assert validation.spec is not None
    rebuilt = compile_module.compile_site(validation.spec)
    fired = [(_fired_conversions(original, s), _fired_conversions(rebuilt, s)) for s in _scenarios()]
    for before, after in fired:
        assert before == after
    assert [bool(before) for before, _ in fired] == [True, True, True, True, False]  # each reaches its conversion


# ---------------------------------------------------------------- the command


def test_cli_writes_the_spec_and_reports_on_stderr(tmp_path: Path) -> None:
    out = tmp_path / "site.yaml"
    result = runner.invoke(app, ["import", str(LEAD_GEN), "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == ""
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["version"] == 1
    assert "not mapped: tag 'Chat widget'" in result.stderr
    assert "imported 4 conversion(s)" in result.stderr


def test_cli_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    out = tmp_path / "site.yaml"
    out.write_text("keep me\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(LEAD_GEN), "-o", str(out)])
    assert result.exit_code == 1 and "--force" in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me\n"
    assert runner.invoke(app, ["import", str(LEAD_GEN), "-o", str(out), "--force"]).exit_code == 0
    assert out.read_text(encoding="utf-8") != "keep me\n"


def test_cli_rejects_a_spec_as_input(tmp_path: Path) -> None:
    spec = tmp_path / "site.yaml"
    spec.write_text("version: 1\n", encoding="utf-8")
    result = runner.invoke(app, ["import", str(spec)])
    assert result.exit_code == 1 and "container export" in result.stderr


@pytest.mark.parametrize("path", EXPORTS, ids=_ids(EXPORTS))
def test_no_two_imported_conversions_count_the_same_outcome(path: Path) -> None:
    conversions = import_path(path).data.get("conversions", [])
    signatures = [
        (repr(c["when"]), repr(c.get("google_ads")), repr(c.get("meta")), repr(c.get("ga4"))) for c in conversions
    ]
    assert len(signatures) == len(set(signatures))


@pytest.mark.parametrize("path", EXPORTS, ids=_ids(EXPORTS))
def test_rebuilt_container_counts_nothing_twice(path: Path) -> None:
    validate = pytest.importorskip("gtmgen.validate")
    compile_module = pytest.importorskip("gtmgen.compile")
    from gtmgen.audit.rules import audit_container

    validation = validate.validate_text(import_path(path).yaml_text, "imported.yaml")
    report = audit_container(compile_module.compile_site(validation.spec), "rebuilt")
    doubled = {"duplicate-conversion", "duplicate-base-tag", "base-fires-repeatedly", "conversion-linker"}
    assert [f for f in report.findings if f.rule in doubled] == []
