"""Audit, import and diff take whatever a foreign export holds: damaged or unusual entities give
findings or notes, never a crash (hypothesis drops and retypes keys of a real-looking export)."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gtmgen.audit.importer import import_container
from gtmgen.audit.rules import audit_container
from gtmgen.changes import diff_containers
from gtmgen.errors import GtmgenError
from gtmgen.export import read_export
from tests.conftest import CASES

BASE = json.loads((CASES / "import" / "lead-gen" / "container.json").read_text(encoding="utf-8"))
KINDS = ("tag", "trigger", "variable")
ODD_VALUES = st.sampled_from([None, "", "{{Missing}}", "{{Const - GA4 ID}}", "0", [], {}, "tel:", "x" * 300])


@st.composite
def damaged_exports(draw: st.DrawFn) -> dict[str, Any]:
    doc = copy.deepcopy(BASE)
    version = doc["containerVersion"]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(KINDS))
        entity = draw(st.sampled_from(version[kind]))
        key = draw(st.sampled_from(sorted(entity)))
        if draw(st.booleans()):
            entity.pop(key)
        elif key == "parameter" and entity[key]:
            draw(st.sampled_from(entity[key]))["value"] = draw(ODD_VALUES)
        else:
            entity[key] = draw(ODD_VALUES)
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged_exports())
def test_damaged_exports_never_crash(doc: dict[str, Any]) -> None:
    try:
        container = read_export(doc, "damaged.json")
    except GtmgenError:
        return  # reported as one located error by the CLI
    audit_container(container, "damaged.json")
    import_container(container, "damaged.json")
    diff_containers(container, read_export(BASE))
