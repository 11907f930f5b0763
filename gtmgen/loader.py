"""Load a YAML spec with the source position of every value and every mapping key.

`load_document(path)` reads a file and returns a `Document`: the plain data (dicts, lists,
str, int, float, bool, None) plus, for each JSON path such as `conversions[1].when.plugin`,
the `Location` (file, 1-based line and column) of the value and of its mapping key.

Scalars follow the YAML 1.2 core schema rather than PyYAML's YAML 1.1 defaults, because
a spec is edited by hand and 1.1 turns ordinary words into other types:
- only `true`/`false` (any capitalisation) are booleans: `yes`, `no`, `on`, `off` and,
  importantly, the region code `NO` (Norway) stay strings;
- dates and times (`2024-05-01`, `10:30`) stay strings; `10:30` is not the integer 630;
- integers are decimal, `0o17` or `0x1F`; mapping keys are always their text (`1:` is "1").

Duplicate keys are reported (PyYAML silently keeps the last); the first occurrence is kept.
Every problem becomes a located `Diagnostic`; nothing here raises anything but `SpecError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gtmgen.errors import Diagnostic, Location, SpecError

PathPart = str | int
JsonPath = tuple[PathPart, ...]

MAX_DEPTH = 64  # a spec is about 6 levels deep; this stops runaway nesting early
MAX_VALUES = 200_000  # stops alias bombs ("billion laughs") long before memory runs out

_TAG = "tag:yaml.org,2002:"
_MERGE_TAG = _TAG + "merge"
_SCALAR_TAGS = frozenset(_TAG + t for t in ("str", "int", "float", "bool", "null"))
_COLLECTION_TAGS = frozenset((_TAG + "map", _TAG + "seq"))

# (tag, regular expression, first characters) of the YAML 1.2 core schema, in resolution order.
_CORE_RESOLVERS: tuple[tuple[str, str, str], ...] = (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("null", r"^(?:~|null|Null|NULL|)$", "~nN"),
    ("merge", r"^(?:<<)$", "<"),
)


def _construct_int(loader: yaml.SafeLoader | yaml.CSafeLoader, node: ScalarNode) -> int:
    text = str(loader.construct_scalar(node))
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith(("0o", "0x")):
        return sign * int(digits[2:], 8 if digits[1] == "o" else 16)
    return sign * int(digits, 10)


def _use_core_schema(loader: type[SafeConstructor]) -> None:
    loader.yaml_implicit_resolvers = {}  # type: ignore[attr-defined]  # drop YAML 1.1's resolvers
    for name, regexp, first in _CORE_RESOLVERS:
        loader.add_implicit_resolver(_TAG + name, re.compile(regexp), [*first])  # type: ignore[attr-defined]
    loader.add_implicit_resolver(_TAG + "null", re.compile(r"^$"), [""])  # type: ignore[attr-defined]
    loader.add_constructor(_TAG + "int", _construct_int)


class SpecLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader with the YAML 1.2 core schema's scalars (see the module docstring)."""


_use_core_schema(SpecLoader)

_FastLoader: type[yaml.CSafeLoader] | None = None
if getattr(yaml, "__with_libyaml__", False):

    class _FastSpecLoader(yaml.CSafeLoader):
        """libyaml's parser (about five times faster) with the same schema. A text it refuses is
        read again by `SpecLoader`, so every syntax error has PyYAML's wording and position."""

    _use_core_schema(_FastSpecLoader)
    _FastLoader = _FastSpecLoader


# ---------------------------------------------------------------- paths


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def format_path(parts: Sequence[PathPart]) -> str:
    """`("conversions", 1, "when")` -> `conversions[1].when`; the root is `$`."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif _IDENTIFIER.match(part):
            text += f".{part}" if text else part
        else:
            text += f"[{json.dumps(part, ensure_ascii=False)}]"
    return text or "$"


# ---------------------------------------------------------------- the loaded document


@dataclass(frozen=True, slots=True)
class Document:
    """Loaded YAML data with the location of every value and every mapping key."""

    file: str
    data: Any
    value_locations: Mapping[JsonPath, Location] = field(default_factory=dict)
    key_locations: Mapping[JsonPath, Location] = field(default_factory=dict)
    problems: tuple[Diagnostic, ...] = ()  # found while loading; the data is still usable

    def locate(self, path: Sequence[PathPart]) -> Location:
        """Where the value at `path` starts; the nearest enclosing value when it is absent."""
        parts = tuple(path)
        while parts not in self.value_locations and parts:
            parts = parts[:-1]
        return self.value_locations.get(parts, Location(self.file, 1, 1))

    def locate_key(self, path: Sequence[PathPart]) -> Location:
        """Where the mapping key of `path` is written; the value's location for list items."""
        return self.key_locations.get(tuple(path)) or self.locate(path)


# ---------------------------------------------------------------- building data from nodes


class _Builder:
    """Walks a composed node tree once, recording data, locations and problems."""

    def __init__(self, loader: SafeConstructor, file: str) -> None:
        self.loader = loader
        self.file = file
        self.values: dict[JsonPath, Location] = {}
        self.keys: dict[JsonPath, Location] = {}
        self.problems: list[Diagnostic] = []
        self.count = 0
        self.ancestors: set[int] = set()

    def location(self, node: Node) -> Location:
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def problem(self, node: Node, path: JsonPath, message: str, rule: str) -> None:
        self.problems.append(Diagnostic(self.location(node), "error", message, format_path(path), rule))

    def build(self, node: Node, path: JsonPath) -> Any:
        self.values[path] = self.location(node)
        self.count += 1
        if self.count > MAX_VALUES:
            raise _Fatal(node, f"the document expands to more than {MAX_VALUES} values (check its aliases)")
        if len(path) > MAX_DEPTH:
            raise _Fatal(node, f"values are nested more than {MAX_DEPTH} levels deep")
        if id(node) in self.ancestors:
            raise _Fatal(node, "an alias refers to a mapping or list that contains it (recursive alias)")
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        self.check_collection_tag(node, path)
        self.ancestors.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return self.mapping(node, path)
            return self.sequence(node, path) if isinstance(node, SequenceNode) else None
        finally:
            self.ancestors.discard(id(node))

    def scalar(self, node: ScalarNode, path: JsonPath) -> Any:
        if node.tag not in _SCALAR_TAGS:
            self.problem(node, path, f"unsupported YAML tag {_short_tag(node.tag)}; remove it", "yaml-tag")
            return node.value
        return self.loader.construct_object(node)

    def check_collection_tag(self, node: Node, path: JsonPath) -> None:
        if node.tag not in _COLLECTION_TAGS:
            self.problem(node, path, f"unsupported YAML tag {_short_tag(node.tag)}; remove it", "yaml-tag")

    def sequence(self, node: SequenceNode, path: JsonPath) -> list[Any]:
        return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]

    def mapping(self, node: MappingNode, path: JsonPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = None if key_node.tag == _MERGE_TAG else self.key(key_node, path)
            if key is None:
                continue
            if key in first_line:
                self.duplicate(key_node, (*path, key), first_line[key])
                continue
            first_line[key] = key_node.start_mark.line + 1
            self.add(result, path, key_node, value_node)
        for key_node, value_node in self.merged_pairs(node):
            if isinstance(key_node, ScalarNode) and key_node.value not in result:
                self.add(result, path, key_node, value_node)
        return result

    def add(self, result: dict[str, Any], path: JsonPath, key_node: ScalarNode, value_node: Node) -> None:
        key = str(key_node.value)
        child = (*path, key)
        self.keys[child] = self.location(key_node)
        result[key] = self.build(value_node, child)

    def key(self, node: Node, path: JsonPath) -> str | None:
        if isinstance(node, ScalarNode):
            return str(node.value)
        self.problem(node, path, "a mapping key must be plain text, not a list or mapping", "yaml-key")
        return None

    def duplicate(self, node: Node, path: JsonPath, first_line: int) -> None:
        key = path[-1]
        message = f"duplicate key {key!r} (first defined on line {first_line}); remove one of them"
        self.problem(node, path, message, "duplicate-key")

    def merged_pairs(self, node: MappingNode) -> Iterator[tuple[Node, Node]]:
        """Pairs brought in by `<<: *anchor` merge keys, earlier sources first (they win)."""
        for key_node, value_node in node.value:
            if key_node.tag != _MERGE_TAG:
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode):
                    raise _Fatal(source, "`<<` merges only mappings (`<<: *anchor` or a list of them)")
                yield from ((k, v) for k, v in source.value if k.tag != _MERGE_TAG)
                yield from self.merged_pairs(source)


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


class _Fatal(Exception):
    """A problem that stops loading; carries the node it is about."""

    def __init__(self, node: Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


# ---------------------------------------------------------------- reading files and text


def load_document(path: str | Path) -> Document:
    """Read and parse a spec file; raises `SpecError` with a located diagnostic when it cannot."""
    file = str(path)
    return load_text(_read_text(Path(path), file), file)


def load_text(text: str, file: str = "<string>") -> Document:
    """Parse YAML text into a `Document`; raises `SpecError` for syntax errors and empty input."""
    loader: SafeConstructor | None = None
    try:
        loader, node = _compose(text)
        if node is None:
            raise SpecError([_at(file, 1, 1, "the file is empty; a spec starts with `version: 1`", "empty")])
        if not isinstance(node, MappingNode):
            message = f"the top level must be a mapping of keys to values (like `version: 1`), not {_kind(node)}"
            raise SpecError([_at(file, *_mark(node), message, "not-a-mapping")])
        builder = _Builder(loader, file)
        data = builder.build(node, ())
    except yaml.MarkedYAMLError as error:
        raise SpecError([_syntax_diagnostic(file, error)]) from None
    except yaml.YAMLError as error:  # a ReaderError: a character YAML does not allow
        raise SpecError([_reader_diagnostic(file, text, error)]) from None
    except _Fatal as fatal:
        raise SpecError([_at(file, *_mark(fatal.node), fatal.message, "yaml-limit")]) from None
    except RecursionError:
        raise SpecError([_at(file, 1, 1, "values are nested too deeply to read", "yaml-limit")]) from None
    finally:
        if loader is not None:
            loader.dispose()  # type: ignore[attr-defined]
    return Document(file, data, builder.values, builder.keys, tuple(builder.problems))


def _compose(text: str) -> tuple[SafeConstructor, Node | None]:
    """The node tree of `text`: libyaml when present, PyYAML for texts libyaml refuses."""
    if _FastLoader is not None:
        fast = _FastLoader(text)
        try:
            return fast, fast.get_single_node()
        except yaml.YAMLError:
            fast.dispose()
    slow = SpecLoader(text)
    try:
        return slow, slow.get_single_node()
    except BaseException:
        slow.dispose()
        raise


def _kind(node: Node) -> str:
    if isinstance(node, SequenceNode):
        return "a list"
    return f"the single value {node.value!r}" if isinstance(node, ScalarNode) else "this"


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _at(file: str, line: int, column: int, message: str, rule: str) -> Diagnostic:
    return Diagnostic(Location(file, line, column), "error", message, "$", rule)


def _read_text(path: Path, file: str) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError([_at(file, 1, 1, "no such file", "file")]) from None
    except IsADirectoryError:
        raise SpecError([_at(file, 1, 1, "this is a directory; give the path of a .yaml spec file", "file")]) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise SpecError([_at(file, 1, 1, f"cannot read the file: {reason}", "file")]) from None
    return _decode(raw, file)


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _decode(raw: bytes, file: str) -> str:
    if raw.startswith(_UTF16_BOMS):
        raise SpecError([_at(file, 1, 1, "the file is UTF-16; save it as UTF-8", "encoding")])
    if b"\x00" in raw:
        raise SpecError([_at(file, 1, 1, "this is a binary file, not a YAML spec", "encoding")])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, column = _byte_position(raw, error.start)
        message = f"the file is not valid UTF-8 (byte 0x{raw[error.start]:02x}); save it as UTF-8"
        raise SpecError([_at(file, line, column, message, "encoding")]) from None


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column (in characters, as far as they decode) of a byte offset."""
    line_start = raw.rfind(b"\n", 0, offset) + 1
    column = len(raw[line_start:offset].decode("utf-8", errors="replace")) + 1
    return raw.count(b"\n", 0, offset) + 1, column


# ---------------------------------------------------------------- syntax errors

# PyYAML's wording of frequent mistakes -> what to do about them.
_HINT_BY_PROBLEM: tuple[tuple[str, str], ...] = (
    ("found character '\\t'", "indent with spaces; YAML does not allow tabs there"),
    ("mapping values are not allowed here", "quote a value that contains ': ', or fix the indentation"),
    ("found unhashable key", "a mapping key must be plain text"),
    ("expected a single document", "a spec is one YAML document; remove the extra `---`"),
    ("could not determine a constructor", "remove the tag"),
    ("unexpected end of stream", "a quote or bracket that opens here is never closed"),
    ("found undefined alias", "define the anchor (`&name`) before using `*name`"),
)


def _syntax_diagnostic(file: str, error: yaml.MarkedYAMLError) -> Diagnostic:
    mark = error.problem_mark or error.context_mark
    if error.context_mark and "end of stream" in str(error.problem):
        mark = error.context_mark  # an unclosed quote or bracket: point where it opens, not at the end
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    problem = (error.problem or error.context or "cannot parse").removeprefix("but ")
    message = f"invalid YAML: {problem}"
    if error.context and error.context_mark and error.problem:
        message += f" ({error.context} on line {error.context_mark.line + 1})"
    hint = next((h for text, h in _HINT_BY_PROBLEM if text in message), None)
    return _at(file, line, column, f"{message}; {hint}" if hint else message, "yaml-syntax")


def _reader_diagnostic(file: str, text: str, error: yaml.YAMLError) -> Diagnostic:
    position = int(getattr(error, "position", 0))
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    character = getattr(error, "character", None)
    code = f"U+{character:04X}" if isinstance(character, int) else "here"
    message = f"invalid YAML: the control character {code} is not allowed in a YAML file; remove it"
    return _at(file, line, column, message, "yaml-syntax")
