"""Identity and references: ids and names are unique, and every trigger id, setup tag, folder,
`{{variable}}` and tag/trigger reference resolves."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from gtmgen.conformance.finding import Finding
from gtmgen.container import (
    BUILT_IN_TRIGGER_NAMES_BY_ID,
    BUILT_IN_VARIABLE_TYPES_BY_NAME,
    INTERNAL_VARIABLE_NAMES,
    Container,
    Tag,
    variable_references,
)
from gtmgen.entity_texts import parameter_paths, texts_by_entity

_DIGITS = re.compile(r"^[0-9]+$")


def _entities(container: Container) -> list[tuple[str, str, str]]:
    """(kind, id, name) of every entity that has an id."""
    return (
        [("tag", t.tag_id, t.name) for t in container.tags]
        + [("trigger", t.trigger_id, t.name) for t in container.triggers]
        + [("variable", v.variable_id, v.name) for v in container.variables]
        + [("folder", f.folder_id, f.name) for f in container.folders]
        + [("customTemplate", t.template_id, t.name) for t in container.custom_templates]
    )


def check_identity(container: Container) -> Iterator[Finding]:
    """Ids are digit strings, unique per kind (and across kinds); names unique per kind."""
    entities = _entities(container)
    for kind, id_, name in entities:
        if not _DIGITS.match(id_):
            yield Finding("id-digits", "error", kind, name, f"id {id_!r} is not a digit string")
    per_kind = Counter((kind, id_) for kind, id_, _ in entities)
    across = Counter(id_ for _, id_, _ in entities)
    names = Counter((kind, name) for kind, _, name in entities)
    for kind, id_, name in entities:
        if per_kind[(kind, id_)] > 1:
            yield Finding("id-unique", "error", kind, name, f"{kind} id {id_} is used more than once")
        elif across[id_] > 1:
            yield Finding("id-unique", "warning", kind, name, f"id {id_} is shared with another kind")
        if names[(kind, name)] > 1:
            yield Finding("name-unique", "error", kind, name, f"two {kind}s have this name")


def _reference_finding(kind: str, name: str, ref: str, container: Container, variables: set[str]) -> Finding | None:
    if ref in variables or ref in INTERNAL_VARIABLE_NAMES or ref in container.enabled_built_in_names():
        return None
    if ref in BUILT_IN_VARIABLE_TYPES_BY_NAME:
        return Finding("built-in-enabled", "error", kind, name, f"{{{{{ref}}}}} needs the built-in variable enabled")
    return Finding("variable-resolves", "error", kind, name, f"{{{{{ref}}}}} is not a variable of this container")


def _variable_references(container: Container) -> Iterator[Finding]:
    variables = {v.name for v in container.variables}
    for kind, name, texts in texts_by_entity(container):
        for ref in sorted({r for text in texts for r in variable_references(text)}):
            finding = _reference_finding(kind, name, ref, container, variables)
            if finding is not None:
                yield finding


def _tag_references(container: Container, tag: Tag) -> Iterator[Finding]:
    trigger_ids = {t.trigger_id for t in container.triggers} | set(BUILT_IN_TRIGGER_NAMES_BY_ID)
    tag_names = {t.name for t in container.tags}
    for id_ in tag.firing_trigger_ids + tag.blocking_trigger_ids:
        if id_ not in trigger_ids:
            yield Finding("trigger-resolves", "error", "tag", tag.name, f"trigger id {id_} does not exist")
    for other in (tag.setup_tag, tag.teardown_tag):
        if other is not None and other not in tag_names:
            yield Finding("sequence-resolves", "error", "tag", tag.name, f"setup/teardown tag {other!r} does not exist")
    for top in tag.parameter:
        for _, p in parameter_paths(top):
            if p.type == "TAG_REFERENCE" and p.value not in tag_names:
                yield Finding("tag-reference", "error", "tag", tag.name, f"TAG_REFERENCE {p.value!r} names no tag")
    if not tag.firing_trigger_ids and not tag.paused:
        yield Finding("tag-fires", "warning", "tag", tag.name, "the tag has no firing trigger")


def _folder_references(container: Container) -> Iterator[Finding]:
    folders = {f.folder_id for f in container.folders}
    items: list[tuple[str, str, str | None]] = (
        [("tag", t.name, t.parent_folder_id) for t in container.tags]
        + [("trigger", t.name, t.parent_folder_id) for t in container.triggers]
        + [("variable", v.name, v.parent_folder_id) for v in container.variables]
    )
    for kind, name, folder in items:
        if folder is not None and folder not in folders:
            yield Finding("folder-resolves", "error", kind, name, f"folder id {folder} does not exist")


def check_references(container: Container) -> Iterator[Finding]:
    """Every trigger id, setup tag, folder, `{{variable}}` and tag/trigger reference resolves."""
    for tag in container.tags:
        yield from _tag_references(container, tag)
    trigger_ids = {t.trigger_id for t in container.triggers}
    for trigger in container.triggers:
        for top in trigger.parameter:
            for _, p in parameter_paths(top):
                if p.type == "TRIGGER_REFERENCE" and p.value not in trigger_ids:
                    yield Finding(
                        "trigger-reference", "error", "trigger", trigger.name, f"{p.value!r} names no trigger"
                    )
    yield from _folder_references(container)
    yield from _variable_references(container)
