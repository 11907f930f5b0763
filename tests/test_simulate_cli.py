"""`gtmgen simulate` and `gtmgen test` through the CLI: output, exit codes, scenario file errors."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gtmgen.cli import app
from gtmgen.errors import ExitCode
from tests.conftest import REFERENCE_EXPORTS

# A 2023 Google Ads container with link-click and custom-event conversions (a real GTM export).
ADS_EXPORT = REFERENCE_EXPORTS / "arubyo__shopify-ads-enhanced__shopify-ads-googleapp__GTM-Ads-Shopify-GoogleApp.json"

pytestmark = pytest.mark.skipif(not ADS_EXPORT.exists(), reason="reference exports not present")


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(ADS_EXPORT, tmp_path / "ads.json")
    return tmp_path


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


PASSING = """\
target: ads.json
scenarios:
  - name: purchase is one Google Ads conversion
    page: https://shop.example.com/checkout/
    steps:
      - push: {event: purchase}
    expect:
      fires:
        - {tag: GAds - Purchase Enhanced - Tag, times: 1, with: {conversion_id: "10905627948"}}
      not_fires: ["Event - Phone Click *"]
  - name: a product page converts nothing
    page: https://shop.example.com/products/x
    expect:
      no_conversions: true
"""


def test_simulate_prints_a_text_timeline() -> None:
    code, out, err = _invoke(
        "simulate", str(ADS_EXPORT), "--page", "https://shop.example.com/", "--click", "tel:+15550100"
    )
    assert code == 0, err
    assert "#3 gtm.js  (page load (Page View))" in out
    assert re.search(r"#\d+ gtm.linkClick .*\n\s+fired\s+Event - Phone Click UA - Tag", out)
    assert "cannot evaluate:" in out


def test_simulate_json_lists_events_with_fired_tags() -> None:
    code, out, _ = _invoke(
        "simulate", str(ADS_EXPORT), "--page", "https://shop.example.com/", "--event", "purchase", "--format", "json"
    )
    assert code == 0
    data = json.loads(out)
    assert isinstance(data, list) and [e["event"] for e in data[:3]] == ["gtm.init_consent", "gtm.init", "gtm.js"]
    purchase = next(e for e in data if e["event"] == "purchase")
    fired = {t["name"]: t for t in purchase["fired"]}
    ads = fired["GAds - Purchase Enhanced - Tag"]
    assert ads["type"] == "awct" and ads["conversion"] is True
    assert ads["summary"]["conversion_label"] == "UXDYCJKDzdwDEKzamtAo"
    assert ads["parameters"]["conversionId"] == "10905627948" and purchase["page"] == "https://shop.example.com/"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--consent", "maybe"], "--consent 'maybe': use granted, denied or TYPE=granted|denied"),
        (["--consent", "ad_storag=denied"], "unknown consent type 'ad_storag'"),
        (["--click", "a:hover"], "--click 'a:hover': unsupported CSS selector"),
        (["--var", "novalue"], "--var 'novalue': use NAME=VALUE"),
    ],
)
def test_simulate_bad_options_are_one_error_line(args: list[str], message: str) -> None:
    code, out, err = _invoke("simulate", str(ADS_EXPORT), "--page", "https://x.com/", *args)
    assert code == ExitCode.INVALID_INPUT
    assert err.startswith("gtmgen: error: ") and message in err and "Traceback" not in err
    assert out == ""


def test_simulate_missing_target_is_an_input_error() -> None:
    code, _, err = _invoke("simulate", "nope.json", "--page", "https://x.com/")
    assert code == ExitCode.INVALID_INPUT and "nope.json" in err


def test_consent_denied_blocks_tags_that_need_it(folder: Path) -> None:
    code, out, _ = _invoke("simulate", str(ADS_EXPORT), "--page", "https://x.com/", "--consent", "ad_storage=denied")
    assert code == 0
    assert "consent: ad_storage denied; others granted" in out
    assert "built-in consent checks: ad_storage denied" in out  # the linker adapts, it is not blocked


def test_test_command_passes_and_counts(folder: Path) -> None:
    _write(folder, "shop.tracking.yaml", PASSING)
    code, out, err = _invoke("test", str(folder))
    assert code == 0, out + err
    assert out.splitlines()[-1] == "2 passed"
    assert out.startswith("PASS  ")


def test_failing_scenario_exits_5_and_shows_what_fired_instead(folder: Path) -> None:
    failing = PASSING.replace("times: 1, with: {conversion_id", "times: 1, with: {value: 99, conversion_id").replace(
        'not_fires: ["Event - Phone Click *"]', 'not_fires: ["Event - Purchase GA4 - Tag"]'
    )
    _write(folder, "shop.tracking.yaml", failing + "      fires: [Event - Phone Click GA4 - Tag]\n")
    code, out, err = _invoke("test", str(folder / "shop.tracking.yaml"))
    assert code == ExitCode.TESTS_FAILED
    assert "FAIL  " in out and out.splitlines()[-1] == "0 passed, 2 failed"
    assert "GAds - Purchase Enhanced - Tag at #6 purchase: value is 10" not in out  # no value was pushed
    assert "GAds - Purchase Enhanced - Tag at #6 purchase: value is nothing, expected 99" in out
    assert "expected Event - Purchase GA4 - Tag not to fire; Event - Purchase GA4 - Tag fired at #6 purchase" in out
    assert "expected Event - Phone Click GA4 - Tag to fire; it did not fire" in out
    assert "what fired:" in out and "#6 purchase: Event - Purchase UA - Tag;" in out
    assert err.strip() == "gtmgen: error: 2 of 2 scenarios failed"


def test_unknown_tag_name_is_called_out(folder: Path) -> None:
    _write(folder, "t.tracking.yaml", PASSING.replace("GAds - Purchase Enhanced - Tag", "GAds - Purchase"))
    code, out, _ = _invoke("test", str(folder))
    assert code == ExitCode.TESTS_FAILED
    assert "no tag in the container matches 'GAds - Purchase' (check the name)" in out


def test_k_filters_scenarios_by_name(folder: Path) -> None:
    _write(folder, "shop.tracking.yaml", PASSING)
    code, out, _ = _invoke("test", str(folder), "-k", "product page")
    assert code == 0 and out.splitlines()[-1] == "1 passed"
    code, _, err = _invoke("test", str(folder), "-k", "nothing like this")
    assert code == ExitCode.INVALID_INPUT and "no scenario name contains" in err


MALFORMED = """\
target: ads.json
consent: maybe
scenarios:
  - name: one
    page: https://x.com/
    steps:
      - clik: tel:+1
      - scroll: lots
      - consent: {ad_storage: yes}
    expect:
      fires:
        - {tag: X, times: -1}
      colour: blue
  - name: one
    expect: {}
"""


def test_malformed_scenario_file_reports_every_problem_located(folder: Path) -> None:
    path = _write(folder, "bad.tracking.yaml", MALFORMED)
    code, out, err = _invoke("test", str(path))
    assert code == ExitCode.INVALID_INPUT and out == ""
    lines = err.splitlines()
    expected = [
        f"{path}:2:10: error: consent must be `granted`, `denied`, `default` (the container's own defaults)",
        f"{path}:7:9: error: unknown step 'clik'",
        f"{path}:8:17: error: scroll (a percentage) must be a number (0 or more)",
        f"{path}:9:31: error: consent for ad_storage must be `granted` or `denied`",
        f"{path}:12:27: error: times must be a whole number (0 or more)",
        f"{path}:13:7: error: unknown key 'colour' in expect",
        f"{path}:14:5: error: a scenario needs `page:`",
        f"{path}:14:11: error: duplicate scenario name 'one'",
        f"{path}:15:13: error: expect states nothing",
    ]
    for want in expected:
        assert any(line.startswith(want) for line in lines), (want, lines)
    assert len(lines) == len(expected)
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "1:1: error: the file is empty; a scenario file starts with `target:` and `scenarios:`"),
        ("target: [\n", "error: "),
        ("- a list\n", "the top level must be a mapping"),
        ("target: ads.json\n", "1:1: error: a scenario file needs `scenarios:`"),
    ],
)
def test_unreadable_scenario_files_are_located_errors(folder: Path, text: str, message: str) -> None:
    path = _write(folder, "x.tracking.yaml", text)
    code, _, err = _invoke("test", str(path))
    assert code == ExitCode.INVALID_INPUT
    assert err.startswith(str(path)) and message in err and "Traceback" not in err


def test_missing_target_and_empty_folder(folder: Path) -> None:
    _write(folder, "x.tracking.yaml", PASSING.replace("ads.json", "gone.json"))
    code, _, err = _invoke("test", str(folder))
    assert code == ExitCode.INVALID_INPUT and "gone.json not found" in err
    empty = folder / "empty"
    empty.mkdir()
    code, _, err = _invoke("test", str(empty))
    assert code == ExitCode.INVALID_INPUT and "no scenario files (*.tracking.yaml) found" in err


def test_region_needs_consent_default_and_default_stands_alone() -> None:
    code, _, err = _invoke("simulate", str(ADS_EXPORT), "--page", "https://x.com/", "--region", "DE")
    assert code == ExitCode.INVALID_INPUT and "--region applies to --consent default" in err
    code, _, err = _invoke(
        "simulate", str(ADS_EXPORT), "--page", "https://x.com/", "--consent", "default", "--consent", "denied"
    )
    assert code == ExitCode.INVALID_INPUT and "give no other --consent" in err


def test_consent_default_without_defaults_in_the_container_says_so() -> None:
    code, out, _ = _invoke(
        "simulate", str(ADS_EXPORT), "--page", "https://x.com/", "--consent", "default", "--region", "de"
    )
    assert code == 0
    assert "assumed: consent from no consent default in the container: all granted, for a visitor from DE" in out


def test_push_sends_data_with_the_event() -> None:
    code, out, _ = _invoke(
        "simulate",
        str(ADS_EXPORT),
        "--page",
        "https://x.com/",
        "--push",
        '{"event": "purchase", "transaction_id": "T-9"}',
    )
    assert code == 0 and re.search(r"#6 purchase .*\n(.*\n)*\s+fired\s+GAds - Purchase Enhanced - Tag", out)
    code, _, err = _invoke("simulate", str(ADS_EXPORT), "--page", "https://x.com/", "--push", "[1]")
    assert code == ExitCode.INVALID_INPUT and "--push '[1]': give a JSON object" in err
