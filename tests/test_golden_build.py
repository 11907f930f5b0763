"""Golden builds: tests/cases/valid/<name>/spec.yaml compiles to exactly expected.json.

Adding a folder adds a test. Expected files change only with `pytest --update-golden`, and a
reviewer reads the diff: it shows precisely what a compiler change does to real containers.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gtmgen.build import build_spec
from tests.conftest import CASES

VALID = sorted(p for p in (CASES / "valid").iterdir() if (p / "spec.yaml").is_file())


@pytest.mark.parametrize("case", VALID, ids=lambda p: p.name)
def test_golden_build(case: Path, update_golden: bool) -> None:
    built = build_spec(case / "spec.yaml").data
    expected = case / "expected.json"
    if update_golden:
        expected.write_bytes(built)
    assert expected.is_file(), f"{expected} is missing; run pytest --update-golden and review it"
    assert built == expected.read_bytes(), f"{case.name}: the build differs from expected.json (--update-golden)"
