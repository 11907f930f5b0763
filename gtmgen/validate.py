"""Validate a spec in two layers, reported together: the JSON Schema, then the semantic rules.

`validate_file(path)` loads, validates and (when there are no errors) builds the model;
`load_spec(path)` is the same for callers that only want the `SiteSpec` or a `SpecError`.
Schema errors become one diagnostic each, at the offending value: for `oneOf`/`anyOf` the
branch that fits the value's type is followed, so the user reads the one relevant message.
A subschema's `errorMessage`/`patternErrorMessage` (the keywords VS Code's YAML and JSON
support understand too) replaces jsonschema's wording, so editors and gtmgen say the same.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from gtmgen.errors import Diagnostic, SpecError
from gtmgen.loader import Document, JsonPath, format_path, load_document, load_text
from gtmgen.rules import semantic_diagnostics
from gtmgen.spec import SiteSpec, spec_from_data

SCHEMA_FILE = "gtmgen.schema.json"
# `gtmgen init` writes `<spec>.tracking.yaml` beside a spec (simulate.scenario's SCENARIO_SUFFIX),
# so a glob such as `examples/*.yaml` names both kinds of file.
SCENARIO_SUFFIX = ".tracking.yaml"


@functools.cache
def schema_text() -> str:
    """The JSON Schema of the spec language, exactly as shipped."""
    return files("gtmgen.specs").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@functools.cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_text()))


@dataclass(frozen=True, slots=True)
class Validation:
    """Everything found in one spec file, sorted by position; `spec` is set when there are no errors."""

    file: str
    diagnostics: tuple[Diagnostic, ...]
    spec: SiteSpec | None = None

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_file(path: str | Path) -> Validation:
    """Load and validate one spec file; never raises for problems in the file."""
    try:
        document = load_document(path)
    except SpecError as error:
        return Validation(str(path), tuple(error.diagnostics))
    return validate_loaded(document)


def validate_text(text: str, file: str = "<string>") -> Validation:
    """Validate spec text (for `init` and tests)."""
    try:
        document = load_text(text, file)
    except SpecError as error:
        return Validation(file, tuple(error.diagnostics))
    return validate_loaded(document)


def validate_loaded(document: Document) -> Validation:
    diagnostics = _unique(sorted(validate_document(document), key=Diagnostic.sort_key))
    failed = any(d.severity == "error" for d in diagnostics)
    spec = None if failed else spec_from_data(document.data, document.file)
    return Validation(document.file, diagnostics, spec)


def _unique(diagnostics: list[Diagnostic]) -> tuple[Diagnostic, ...]:
    """One diagnostic per place and message (two schema keywords may say the same thing)."""
    seen: dict[tuple[object, ...], Diagnostic] = {}
    for d in diagnostics:
        seen.setdefault((d.location, d.severity, d.message, d.json_path), d)
    return tuple(seen.values())


def split_scenario_files(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """The paths given to `validate`/`build` as (specs, tracking scenario files), each in order."""
    scenarios = [p for p in paths if p.name.endswith(SCENARIO_SUFFIX)]
    return [p for p in paths if not p.name.endswith(SCENARIO_SUFFIX)], scenarios


def load_spec(path: str | Path) -> SiteSpec:
    """Load -> validate -> model; raises `SpecError` with every diagnostic (errors and warnings)."""
    validation = validate_file(path)
    if validation.spec is None:
        raise SpecError(validation.diagnostics)
    return validation.spec


def validate_document(document: Document) -> list[Diagnostic]:
    """Every problem in a loaded document: loading problems, schema errors, semantic findings."""
    if _is_scenario_file(document.data):
        message = "this is a tracking scenario file, not a spec; run it with `gtmgen test`"
        return [Diagnostic(document.locate_key(("scenarios",)), "error", message, "scenarios", "not-a-spec")]
    schema = schema_findings(document)
    semantic = semantic_diagnostics(document, strict=not schema.diagnostics, reported=schema.reported)
    return [*document.problems, *schema.diagnostics, *semantic]


def _is_scenario_file(data: Any) -> bool:
    """`gtmgen init` writes `<spec>.tracking.yaml` next to a spec: `target`, `scenarios`, no `version`."""
    return isinstance(data, dict) and "scenarios" in data and "version" not in data and "site" not in data


# ---------------------------------------------------------------- schema errors -> diagnostics


@dataclass(frozen=True, slots=True)
class SchemaFindings:
    """The schema's diagnostics, and the paths it found missing or invalid (so that the semantic
    rules do not report the same mistake again as its consequences)."""

    diagnostics: tuple[Diagnostic, ...]
    reported: frozenset[JsonPath]


def schema_diagnostics(document: Document) -> list[Diagnostic]:
    return list(schema_findings(document).diagnostics)


def schema_findings(document: Document) -> SchemaFindings:
    """One diagnostic per mistake: a misspelt key (`platfroms`) is reported as unknown, with its
    suggestion, and not also as the required key it was meant to be (`platforms`)."""
    leaves = [leaf for error in _validator().iter_errors(document.data) for leaf in _relevant(error)]
    renamed = frozenset(path for leaf in leaves for path in _renamed_paths(leaf))
    shown = [leaf for leaf in leaves if not (leaf.validator == "required" and _missing_path(leaf) in renamed)]
    diagnostics = tuple(d for leaf in shown for d in _diagnose(document, leaf))
    return SchemaFindings(diagnostics, frozenset(p for leaf in leaves for p in _reported_paths(leaf)) | renamed)


def _renamed_paths(error: ValidationError) -> Iterator[JsonPath]:
    """For an unknown key whose closest allowed key is absent: that key's path (meant, not written)."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return
    for key in _unknown_keys(error):
        meant = _closest(str(key), _allowed_keys(error))
        if meant is not None and meant not in error.instance:
            yield (*error.absolute_path, meant)


def _missing_path(error: ValidationError) -> JsonPath:
    return (*error.absolute_path, _missing_key(error))


def _reported_paths(error: ValidationError) -> Iterator[JsonPath]:
    """The values this error says are missing or invalid (never the mapping an unknown key is in)."""
    if error.validator == "required":
        yield _missing_path(error)
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        yield from ((*error.absolute_path, key) for key in _unknown_keys(error))
    else:
        yield tuple(error.absolute_path)


_ALTERNATIVES = ("oneOf", "anyOf")
_MISFIT = ("type", "const", "enum")


def _relevant(error: ValidationError) -> list[ValidationError]:
    """The errors to show for one schema error: inside `oneOf`/`anyOf`, those of the branch that fits."""
    if error.validator not in _ALTERNATIVES or not error.context:
        return [error]
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [errs for errs in branches.values() if not any(_misfit(e, error) for e in errs)]
    if len(fitting) == 1:
        return [leaf for sub in fitting[0] for leaf in _relevant(sub)]
    if _custom_message(error) is not None:
        return [error]
    best = best_match([error])
    return [error] if best is None or best is error else _relevant(best)


def _misfit(sub: ValidationError, parent: ValidationError) -> bool:
    """Does this branch error say the value has the wrong type or value altogether?"""
    return sub.validator in _MISFIT and len(sub.absolute_path) == len(parent.absolute_path)


def _custom_message(error: ValidationError) -> str | None:
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator in ("required", "additionalProperties"):
        return None
    if error.validator == "pattern" and "patternErrorMessage" in schema:
        return str(schema["patternErrorMessage"])
    message = schema.get("errorMessage")
    return None if message is None else str(message)


def _diagnose(document: Document, error: ValidationError) -> Iterator[Diagnostic]:
    path: JsonPath = tuple(error.absolute_path)
    rule = f"schema.{error.validator}"
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        for key in _unknown_keys(error):
            yield _diagnostic(document.locate_key((*path, key)), (*path, key), _unknown_key_message(error, key), rule)
        return
    if error.validator == "required":
        yield _diagnostic(document.locate_key(path), path, _required_message(error), rule)
        return
    if error.validator == "uniqueItems" and isinstance(error.instance, list):
        index = _first_repeat(error.instance)
        yield _diagnostic(document.locate((*path, index)), (*path, index), _repeat_message(error.instance, index), rule)
        return
    yield _diagnostic(document.locate(path), path, _message(error), rule)


def _diagnostic(location: Any, path: JsonPath, message: str, rule: str) -> Diagnostic:
    return Diagnostic(location, "error", message, format_path(path), rule)


# ---------------------------------------------------------------- messages


def _message(error: ValidationError) -> str:
    custom = _custom_message(error)
    if custom is not None:
        return f"{custom}; found {_show(error.instance)}" if _is_scalar(error.instance) else custom
    render = _MESSAGE_BY_KEYWORD.get(str(error.validator))
    return render(error) if render else error.message


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, (dict, list))


def _show(value: Any) -> str:
    """A value as the user wrote it, briefly."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return repr(value if len(value) <= 60 else value[:57] + "...")
    return str(value)


_TYPE_NAMES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping (key: value lines)",
    "array": "a list",
    "null": "nothing",
}


def _type_message(error: ValidationError) -> str:
    expected = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
    names = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in expected)
    found = _show(error.instance)
    if isinstance(error.instance, str):
        found = f"the text {found}"
    elif isinstance(error.instance, (int, float)) and not isinstance(error.instance, bool):
        found = f"the number {found}"
    return f"expected {names}, found {found}"


def _enum_message(error: ValidationError) -> str:
    choices = [str(c) for c in _values(error.validator_value)]
    message = f"{_show(error.instance)} is not allowed here; expected one of: {', '.join(choices)}"
    return message + _did_you_mean(str(error.instance), choices)


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = _closest(word, choices)
    return f" (did you mean {close!r}?)" if close is not None else ""


def _closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice `word` most likely misspells, if one is close enough."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.75)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    if not close and len(word) >= 3:
        containing = [c for c in choices if word.lower() in c.lower()]  # `call` -> `phone_call`
        close = containing if len(containing) == 1 else []
    return close[0] if close else None


def _length_message(error: ValidationError) -> str:
    if error.validator == "minLength":
        return "must not be empty" if error.validator_value == 1 else f"must be at least {error.validator_value} long"
    return f"is {len(str(error.instance))} characters long; at most {error.validator_value} are allowed"


def _bound_message(error: ValidationError) -> str:
    word = "at least" if error.validator == "minimum" else "at most"
    return f"must be {word} {error.validator_value}; found {_show(error.instance)}"


def _items_message(error: ValidationError) -> str:
    count = error.validator_value
    return "must not be an empty list" if count == 1 else f"needs at least {count} items"


def _alternatives_message(error: ValidationError) -> str:
    if not error.context:
        return "matches more than one of the allowed forms; keep only one"
    return f"does not match any allowed form; found {_show(error.instance)}"


_MESSAGE_BY_KEYWORD: dict[str, Callable[[ValidationError], str]] = {
    "type": _type_message,
    "enum": _enum_message,
    "const": lambda e: f"must be {json.dumps(e.validator_value)}; found {_show(e.instance)}",
    "minLength": _length_message,
    "maxLength": _length_message,
    "minimum": _bound_message,
    "maximum": _bound_message,
    "minItems": _items_message,
    "minProperties": lambda e: "must not be empty",
    "pattern": lambda e: f"{_show(e.instance)} does not have the expected form ({e.validator_value})",
    "oneOf": _alternatives_message,
    "anyOf": _alternatives_message,
}


def _values(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, dict, tuple)) else []


def _allowed_keys(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    return list(schema.get("properties", {}))


def _unknown_keys(error: ValidationError) -> list[str]:
    allowed = set(_allowed_keys(error))
    return [key for key in _values(error.instance) if key not in allowed]


def _unknown_key_message(error: ValidationError, key: str) -> str:
    allowed = _allowed_keys(error)
    hint = _did_you_mean(key, allowed)
    return f"unknown key {key!r}{hint}" if hint else f"unknown key {key!r}; allowed here: {', '.join(allowed)}"


def _required_message(error: ValidationError) -> str:
    return f"missing required key {_missing_key(error)!r}"


def _missing_key(error: ValidationError) -> str:
    """The key a `required` error names (jsonschema raises one error per missing key)."""
    return str(error.message).split("'")[1] if "'" in str(error.message) else str(error.validator_value)


def _first_repeat(items: list[Any]) -> int:
    seen: list[Any] = []
    for index, item in enumerate(items):
        if any(item == other and type(item) is type(other) for other in seen):
            return index
        seen.append(item)
    return 0


def _repeat_message(items: list[Any], index: int) -> str:
    first = next(i for i, item in enumerate(items) if item == items[index] and type(item) is type(items[index]))
    return f"{_show(items[index])} is listed twice (items {first + 1} and {index + 1}); remove one"
