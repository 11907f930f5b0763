"""Audit reports as text (one line per finding), JSON, and SARIF 2.1.0 for code-scanning views."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import PurePath, PurePosixPath
from typing import Any
from urllib.parse import quote

from gtmgen import __version__
from gtmgen.audit.findings import SEVERITY_RANK, Finding
from gtmgen.audit.rules import RULES, AuditReport

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SEVERITIES = ("error", "warning", "note")


def _where(report: AuditReport, finding: Finding) -> str:
    location = finding.location
    return str(location) if location is not None else report.source


def render_finding(report: AuditReport, finding: Finding) -> str:
    return f"{_where(report, finding)}: {finding.severity}: {finding.entity}: {finding.message} [{finding.rule}]"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def summary_line(report: AuditReport) -> str:
    counts = ", ".join(_plural(report.count(s), s) for s in SEVERITIES)
    return f"{report.source}: {counts}"


def render_text(reports: Sequence[AuditReport]) -> str:
    """Each finding as `file:line:col: severity: entity: message [rule]`, then a count per input."""
    lines = [render_finding(r, f) for r in reports for f in r.findings]
    lines.extend(summary_line(r) for r in reports)
    return "\n".join(lines)


def _finding_json(finding: Finding) -> dict[str, Any]:
    location = finding.location
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "kind": finding.kind,
        "name": finding.name,
        "message": finding.message,
        "file": location.file if location else None,
        "line": location.line if location else None,
        "column": location.column if location else None,
    }


def render_json(reports: Sequence[AuditReport]) -> str:
    """The same findings as data: one entry per input with its findings and counts."""
    rows = [
        {
            "source": r.source,
            "findings": [_finding_json(f) for f in r.findings],
            "summary": {s: r.count(s) for s in SEVERITIES},
        }
        for r in reports
    ]
    return json.dumps({"reports": rows}, indent=2, ensure_ascii=False)


# ---------------------------------------------------------------- SARIF 2.1.0


def artifact_uri(path: str) -> str:
    """A path as a SARIF artifact URI: relative paths stay relative (GitHub resolves them)."""
    pure = PurePath(path)
    if pure.is_absolute():
        return PurePosixPath(*pure.parts).as_uri() if pure.anchor == "/" else pure.as_uri()
    return quote(pure.as_posix())


def _sarif_rules() -> list[dict[str, Any]]:
    return [
        {
            "id": rule.id,
            "name": "".join(word.capitalize() for word in rule.id.split("-")),
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": f"{rule.summary}. {rule.why}"},
            "defaultConfiguration": {"level": rule.severity},
            "help": {"text": rule.why},
        }
        for rule in RULES
    ]


def _sarif_result(report: AuditReport, finding: Finding, rule_index: dict[str, int]) -> dict[str, Any]:
    location = finding.location
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(location.file if location else report.source)}}
    if location is not None:
        physical["region"] = {"startLine": location.line, "startColumn": location.column}
    logical = {
        "name": finding.name or "container",
        "fullyQualifiedName": f"{finding.kind}/{finding.name}" if finding.name else "container",
        "kind": "object",
    }
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index[finding.rule],
        "level": finding.severity,
        "message": {"text": f"{finding.entity}: {finding.message}"},
        "locations": [{"physicalLocation": physical, "logicalLocations": [logical]}],
    }


def render_sarif(reports: Sequence[AuditReport]) -> str:
    """One SARIF run listing every rule and every finding, with physical and logical locations."""
    rule_index = {rule.id: i for i, rule in enumerate(RULES)}
    results = [_sarif_result(r, f, rule_index) for r in reports for f in r.findings]
    run = {
        "tool": {
            "driver": {
                "name": "gtmgen",
                "version": __version__,
                "rules": _sarif_rules(),
            }
        },
        "artifacts": [{"location": {"uri": artifact_uri(r.source)}} for r in reports],
        "results": results,
    }
    log = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(log, indent=2, ensure_ascii=False)


RENDERERS = {"text": render_text, "json": render_json, "sarif": render_sarif}


def worst(reports: Sequence[AuditReport]) -> str | None:
    """The worst severity found, or None when there is no finding."""
    ranks = [SEVERITY_RANK[f.severity] for r in reports for f in r.findings]
    return SEVERITIES[2 - max(ranks)] if ranks else None
