"""Existing containers: audit them, import them into a spec, and diff them.

`audit_path` loads a container export or a spec and runs every rule in `rules.RULES`;
`render` turns reports into text, JSON or SARIF; `importer` turns a container into a spec;
`diff_paths` compares two containers or specs through `gtmgen.changes`.
"""

from __future__ import annotations

from pathlib import Path

from gtmgen.audit.inputs import load_container, load_subject
from gtmgen.audit.rules import RULES_BY_ID, AuditReport, audit_container
from gtmgen.changes import ChangeSet, diff_containers


def audit_path(path: Path) -> AuditReport:
    """Audit one container export or spec."""
    subject = load_subject(path)
    return audit_container(subject.container, subject.path, subject.locate)


def diff_paths(old: Path, new: Path) -> ChangeSet:
    """What turns `old` into `new` (each a container export or a spec, compiled first)."""
    return diff_containers(load_container(old), load_container(new))


__all__ = ["RULES_BY_ID", "AuditReport", "audit_container", "audit_path", "diff_paths"]
