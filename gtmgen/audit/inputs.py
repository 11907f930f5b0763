"""What `audit`, `import` and `diff` read: a container export or a spec (compiled first), plus
where each entity sits in the file the user named, so findings carry `file:line:col`."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gtmgen.audit.findings import Finding
from gtmgen.container import Container
from gtmgen.errors import ContainerFormatError, Location
from gtmgen.export import load_export

SPEC_SUFFIXES = (".yaml", ".yml")
ID_KEY_BY_KIND = {"tag": "tagId", "trigger": "triggerId", "variable": "variableId", "customTemplate": "templateId"}
SOURCE_NOTE = re.compile(r"^source: (.+)$", re.M)

Locator = Callable[[Finding], "Location | None"]


@dataclass(frozen=True)
class Subject:
    """A loaded input: its container, what it was, and how to place a finding in it."""

    path: str
    container: Container
    kind: Literal["container", "spec"]
    locate: Locator


def is_spec_path(path: Path) -> bool:
    return path.suffix.lower() in SPEC_SUFFIXES


def load_subject(path: Path) -> Subject:
    """Load a container export (`.json`) or a spec (`.yaml`, compiled with gtmgen's compiler)."""
    if is_spec_path(path):
        return _load_spec_subject(path)
    container = load_export(path)
    return Subject(str(path), container, "container", export_locator(path, container))


def load_container(path: Path) -> Container:
    return load_subject(path).container


def _load_spec_subject(path: Path) -> Subject:
    # Imported here: the compiler and validator are only needed for specs.
    from gtmgen.compile import compile_site
    from gtmgen.validate import load_spec

    spec = load_spec(path)
    container = compile_site(spec)
    return Subject(str(path), container, "spec", spec_locator(path, container))


# ---------------------------------------------------------------- locations in an export


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _entity_offset(text: str, container: Container, kind: str, name: str) -> int | None:
    """Where the entity's `"name"` is written (after its id key, GTM's canonical order)."""
    entity_id = _entity_id(container, kind, name)
    for quoted in dict.fromkeys((json.dumps(name, ensure_ascii=False), json.dumps(name))):
        name_key = rf'(?P<name>"name"\s*:\s*{re.escape(quoted)})'
        if entity_id is not None:
            id_key = rf'"{ID_KEY_BY_KIND[kind]}"\s*:\s*"{re.escape(entity_id)}"\s*,\s*'
            found = re.search(id_key + name_key, text)
            if found:
                return found.start("name")
        found = re.search(name_key, text)
        if found:
            return found.start("name")
    return None


def _entity_id(container: Container, kind: str, name: str) -> str | None:
    groups = {
        "tag": [(t.name, t.tag_id) for t in container.tags],
        "trigger": [(t.name, t.trigger_id) for t in container.triggers],
        "variable": [(v.name, v.variable_id) for v in container.variables],
        "customTemplate": [(t.name, t.template_id) for t in container.custom_templates],
    }
    return next((i for n, i in groups.get(kind, []) if n == name), None)


def export_locator(path: Path, container: Container) -> Locator:
    """Finds an entity's `"name"` line in the export; container-wide findings point at line 1."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ContainerFormatError(str(path), str(error)) from None

    def locate(finding: Finding) -> Location:
        offset = _entity_offset(text, container, finding.kind, finding.name) if finding.kind != "container" else None
        line, column = _line_col(text, offset) if offset is not None else (1, 1)
        return Location(str(path), line, column)

    return locate


# ---------------------------------------------------------------- locations in a spec


def entity_source(container: Container, kind: str, name: str) -> str | None:
    """The spec key a compiled entity came from (its notes' `source:` line)."""
    notes_by_kind = {
        "tag": {t.name: t.notes for t in container.tags},
        "trigger": {t.name: t.notes for t in container.triggers},
        "variable": {v.name: v.notes for v in container.variables},
    }
    found = SOURCE_NOTE.search(notes_by_kind.get(kind, {}).get(name, ""))
    return found.group(1).strip() if found else None


def spec_locator(path: Path, container: Container) -> Locator:
    """Places a finding on a compiled entity at the spec key it came from, when the loader knows it."""
    positions = _spec_positions(path)

    def locate(finding: Finding) -> Location:
        key = entity_source(container, finding.kind, finding.name)
        return positions(key) if key else Location(str(path), 1, 1)

    return locate


_KEY_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def parse_source_key(key: str) -> tuple[str | int, ...]:
    """`conversions[1].when` -> `("conversions", 1, "when")` (the loader's JSON path parts)."""
    return tuple(int(index) if index else name for name, index in _KEY_PART.findall(key))


def _spec_positions(path: Path) -> Callable[[str], Location]:
    """`spec key -> Location` from the loader's document (the enclosing value when not exact)."""
    from gtmgen.loader import load_document

    document = load_document(path)
    return lambda key: document.locate(parse_source_key(key))
