"""The YAML loader: data, positions of values and keys, and located problems."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from gtmgen import loader as loader_module
from gtmgen.errors import SpecError
from gtmgen.loader import SpecLoader, format_path, load_document, load_text


def load_error(text: str) -> str:
    with pytest.raises(SpecError) as caught:
        load_text(text, "s.yaml")
    (diagnostic,) = caught.value.diagnostics
    return diagnostic.render()


def test_positions_of_values_and_keys() -> None:
    doc = load_text("site:\n  name: Acme\nconversions:\n  - name: Call\n    when: {link_click: tel}\n", "s.yaml")
    assert str(doc.locate(("site", "name"))) == "s.yaml:2:9"
    assert str(doc.locate_key(("site", "name"))) == "s.yaml:2:3"
    assert str(doc.locate(("conversions", 0))) == "s.yaml:4:5"
    assert str(doc.locate(("conversions", 0, "when", "link_click"))) == "s.yaml:5:24"
    assert str(doc.locate_key(("conversions", 0, "when", "link_click"))) == "s.yaml:5:12"


def test_a_missing_path_is_located_at_its_nearest_ancestor() -> None:
    doc = load_text("a:\n  b: 1\n", "s.yaml")
    assert str(doc.locate(("a", "missing", 3))) == "s.yaml:2:3"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NO", "NO"),
        ("no", "no"),
        ("yes", "yes"),
        ("on", "on"),
        ("Off", "Off"),
        ("true", True),
        ("False", False),
        ("2024-05-01", "2024-05-01"),
        ("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z"),
        ("10:30", "10:30"),
        ("007", 7),
        ("0o17", 15),
        ("0x1F", 31),
        ("-12", -12),
        ("1.5", 1.5),
        ("1e3", 1000.0),
        ("~", None),
        ("", None),
        ("null", None),
        ("1_000", "1_000"),
        ("G-8XK2M4P7Q1", "G-8XK2M4P7Q1"),
    ],
)
def test_scalars_follow_the_core_schema(text: str, expected: Any) -> None:
    value = load_text(f"v: {text}\n").data["v"]
    assert value == expected
    assert type(value) is type(expected)


def test_keys_are_always_text() -> None:
    assert load_text("1: a\ntrue: b\nNO: c\n").data == {"1": "a", "true": "b", "NO": "c"}


def test_duplicate_key_is_reported_at_the_second_and_names_the_first() -> None:
    doc = load_text("site:\n  name: A\n  domain: a.com\n  name: B\n", "s.yaml")
    assert doc.data == {"site": {"name": "A", "domain": "a.com"}}
    assert [d.render() for d in doc.problems] == [
        "s.yaml:4:3: error: duplicate key 'name' (first defined on line 2); remove one of them (at site.name)"
    ]


def test_merge_keys_are_not_duplicates_and_explicit_keys_win() -> None:
    doc = load_text("base: &b {x: 1, y: 2}\no:\n  <<: *b\n  y: 3\n", "s.yaml")
    assert doc.data["o"] == {"y": 3, "x": 1}
    assert doc.problems == ()
    assert str(doc.locate(("o", "x"))) == "s.yaml:1:14"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "s.yaml:1:1: error: the file is empty; a spec starts with `version: 1` (at $)"),
        ("# nothing yet\n", "s.yaml:1:1: error: the file is empty; a spec starts with `version: 1` (at $)"),
        (
            "- a\n- b\n",
            "s.yaml:1:1: error: the top level must be a mapping of keys to values (like `version: 1`), "
            "not a list (at $)",
        ),
        (
            "site:\n  name: a: b\n",
            "s.yaml:2:10: error: invalid YAML: mapping values are not allowed here; "
            "quote a value that contains ': ', or fix the indentation (at $)",
        ),
        (
            "site:\n\tname: a\n",
            "s.yaml:2:1: error: invalid YAML: found character '\\t' that cannot start any token; "
            "indent with spaces; YAML does not allow tabs there (at $)",
        ),
        (
            "a: \x07\n",
            "s.yaml:1:4: error: invalid YAML: the control character U+0007 is not allowed in a YAML file; "
            "remove it (at $)",
        ),
        (
            "a: &x [*x]\n",
            "s.yaml:1:4: error: an alias refers to a mapping or list that contains it (recursive alias) (at $)",
        ),
    ],
)
def test_unloadable_text_gives_one_located_diagnostic(text: str, expected: str) -> None:
    assert load_error(text) == expected


def test_unsupported_tags_are_reported_and_the_text_kept() -> None:
    doc = load_text("a: !!binary aGVsbG8=\n", "s.yaml")
    assert doc.data == {"a": "aGVsbG8="}
    assert [d.render() for d in doc.problems] == ["s.yaml:1:4: error: unsupported YAML tag !!binary; remove it (at a)"]


def test_alias_bombs_are_stopped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    assert "expands to more than" in load_error("\n".join(lines) + "\n")


def test_missing_file_directory_binary_and_non_utf8(tmp_path: Path) -> None:
    def error(path: Path) -> str:
        with pytest.raises(SpecError) as caught:
            load_document(path)
        return "\n".join(d.render() for d in caught.value.diagnostics)

    (tmp_path / "bin.yaml").write_bytes(b"version: 1\nsite: \x00\x01\x02")
    (tmp_path / "latin1.yaml").write_bytes("version: 1\nsite:\n  name: Caf\xe9\n".encode("latin-1"))
    (tmp_path / "utf16.yaml").write_bytes("version: 1\n".encode("utf-16"))
    assert error(tmp_path / "nope.yaml") == f"{tmp_path / 'nope.yaml'}:1:1: error: no such file (at $)"
    assert "this is a directory" in error(tmp_path)
    assert error(tmp_path / "bin.yaml").endswith("bin.yaml:1:1: error: this is a binary file, not a YAML spec (at $)")
    assert error(tmp_path / "latin1.yaml").endswith(
        "latin1.yaml:3:12: error: the file is not valid UTF-8 (byte 0xe9); save it as UTF-8 (at $)"
    )
    assert error(tmp_path / "utf16.yaml").endswith("utf16.yaml:1:1: error: the file is UTF-16; save it as UTF-8 (at $)")


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "bom.yaml").write_bytes(b"\xef\xbb\xbfversion: 1\n")
    assert load_document(tmp_path / "bom.yaml").data == {"version": 1}


@pytest.mark.parametrize(
    ("parts", "expected"),
    [((), "$"), (("a",), "a"), (("a", 0, "b"), "a[0].b"), (("a.b", "c d"), '["a.b"]["c d"]'), ((3,), "[3]")],
)
def test_format_path(parts: tuple[str | int, ...], expected: str) -> None:
    assert format_path(parts) == expected


# ---------------------------------------------------------------- properties


class _CoreDumper(yaml.SafeDumper):
    """Quotes exactly the strings SpecLoader would read as something else."""


_CoreDumper.yaml_implicit_resolvers = SpecLoader.yaml_implicit_resolvers

_LINE_BREAKS = "\n\r\x85\u2028\u2029"
_text = st.text(st.characters(exclude_characters=_LINE_BREAKS, exclude_categories=("Cs",)), max_size=30)
_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | _text
_values = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(_text, children, max_size=4),
    max_leaves=25,
)
_documents = st.dictionaries(_text, _values, min_size=1, max_size=5)


def _walk(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    found = [(path, value)]
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found += _walk(child, (*path, key))
    return found


def _head(value: Any) -> Any:
    """What the first line of a value's text shows: a scalar, a first key, a first item's head."""
    if isinstance(value, dict):
        return ("dict", next(iter(value), None))
    if isinstance(value, list):
        return ("list", _head(value[0]) if value else None)
    return value


@settings(max_examples=150, deadline=None)
@given(_documents)
def test_round_trip_keeps_data_and_every_position_points_at_its_text(data: dict[str, Any]) -> None:
    text = yaml.dump(data, Dumper=_CoreDumper, allow_unicode=True, sort_keys=False, width=10**9)
    doc = load_text(text, "p.yaml")
    assert doc.data == data
    assert doc.problems == ()
    for path, value in _walk(data)[1:]:
        key_line = text.splitlines()[doc.locate_key(path).line - 1]
        if isinstance(path[-1], str):
            rest = key_line[doc.locate_key(path).column - 1 :]
            shown_key = yaml.load(rest, Loader=SpecLoader)  # `key: ...`, or `? key` for complex keys
            assert (next(iter(shown_key)) if isinstance(shown_key, dict) else shown_key) == path[-1]
        value_line = text.splitlines()[doc.locate(path).line - 1]
        shown = value_line[doc.locate(path).column - 1 :]
        assert _head(yaml.load(shown, Loader=SpecLoader)) == _head(value)


@settings(max_examples=100, deadline=None)
@given(st.text(string.ascii_letters + string.digits + "_-. ", min_size=1, max_size=20), st.integers(0, 5))
def test_a_duplicate_key_is_found_at_any_depth(key: str, depth: int) -> None:
    indent = "  " * depth
    prefix = "".join(f"{'  ' * i}k{i}:\n" for i in range(depth))
    text = f"{prefix}{indent}{key!r}: 1\n{indent}{key!r}: 2\n".replace("'", '"')
    (problem,) = load_text(text, "d.yaml").problems
    assert (problem.location.line, problem.location.column) == (depth + 2, 2 * depth + 1)
    assert f"first defined on line {depth + 1}" in problem.message


@settings(max_examples=150, deadline=None)
@given(_documents)
def test_libyaml_and_pyyaml_give_the_same_document(data: dict[str, Any]) -> None:
    text = yaml.dump(data, Dumper=_CoreDumper, allow_unicode=True, sort_keys=False, width=60)
    fast = load_text(text, "p.yaml")
    with mock.patch.object(loader_module, "_FastLoader", None):
        slow = load_text(text, "p.yaml")
    assert (fast.data, fast.value_locations, fast.key_locations) == (
        slow.data,
        slow.value_locations,
        slow.key_locations,
    )


def test_libyaml_is_used_when_present() -> None:
    assert loader_module._FastLoader is not None or not yaml.__with_libyaml__
