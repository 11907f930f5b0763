"""Reading calls out of Custom HTML without running it: `fbq(...)`, `dataLayer.push(...)`, listeners.

A small JavaScript tokenizer finds calls to a named function and reads their arguments when they
are literals (strings, numbers, booleans, null, objects and arrays of those) or GTM variable
references (`{{Name}}` in code is the variable's value; inside a string literal it is its text).
Any other expression (an identifier, arithmetic, a function call) is an `Unknown` argument: the
script is not executed, so nothing is guessed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

from gtmgen.container import VARIABLE_REFERENCE
from gtmgen.simulate.values import Unknown, Value, js_number, js_string

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/|<!--|-->)
  | (?P<var>\{\{[^{}]+\}\})
  | (?P<str>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<tpl>`(?:[^`\\]|\\.)*`)
  | (?P<num>-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_$][\w$]*)
  | (?P<punct>[{}\[\]():,.;=!+\-*/<>?&|%^~])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
_LITERALS: dict[str, Value] = {"true": True, "false": False, "null": None}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Call:
    """A call found in a script: the callee's name and its arguments (Unknown where not literal)."""

    callee: str
    args: tuple[Value, ...]


@lru_cache(maxsize=1024)
def tokenize(script: str) -> tuple[Token, ...]:
    """JavaScript tokens (whitespace and comments dropped; characters outside the grammar, such as
    regular-expression literals' bodies, are skipped). Cached: the same tags run at many events."""
    tokens: list[Token] = []
    position = 0
    while position < len(script):
        match = _TOKEN.match(script, position)
        if match is None:
            position += 1
            continue
        position = match.end()
        kind = match.lastgroup or "ws"
        if kind != "ws":
            tokens.append(Token(kind, match.group(0)))
    return tuple(tokens)


def _unquote(literal: str) -> str:
    body = literal[1:-1]

    def escape(match: re.Match[str]) -> str:
        code = match.group(1)
        if code.startswith("u"):
            return chr(int(code[1:], 16))
        if code.startswith("x"):
            return chr(int(code[1:], 16))
        return _ESCAPES.get(code, code)

    return re.sub(r"\\(u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|.)", escape, body, flags=re.DOTALL)


Render = Callable[[str], Value]


@dataclass(frozen=True, slots=True)
class Each:
    """`items[i]` inside a loop over a literal array: the call happens once per item."""

    items: tuple[Value, ...]


_CONVERSIONS: dict[str, Callable[[Value], Value]] = {"String": js_string, "Number": js_number}


class _Parser:
    def __init__(self, tokens: Sequence[Token], render: Render, bindings: dict[str, Value] | None = None) -> None:
        self.tokens = tokens
        self.render = render
        self.bindings = bindings if bindings is not None else {}
        self.index = 0

    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def at(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "punct" and token.text == text

    def argument(self, closer: str = ")") -> Value:
        """One argument or member: a literal, else Unknown (skipped to its end)."""
        start = self.index
        try:
            value = self.value()
        except (IndexError, ValueError):
            value = None
            self.index = start
        if self.index == start or not (self.at(",") or self.at(closer)):
            self.index = start
            self.skip_expression()
            return Unknown("a script expression (not a literal)")
        return value

    def value(self) -> Value:
        token = self.take()
        if token.kind == "str":
            return self.string(_unquote(token.text))
        if token.kind == "num":
            number = float(token.text)
            return int(number) if number.is_integer() and "." not in token.text else number
        if token.kind == "var":
            return self.render(token.text)
        if token.kind == "name" and token.text in _LITERALS:
            return _LITERALS[token.text]
        if token.kind == "name" and token.text in _CONVERSIONS and self.at("("):
            return self.conversion(_CONVERSIONS[token.text])
        if token.kind == "name" and token.text in self.bindings:
            return self.bound(self.bindings[token.text])
        if token.kind == "punct" and token.text == "{":
            return self.object()
        if token.kind == "punct" and token.text == "[":
            return self.array()
        raise ValueError(token.text)

    def conversion(self, convert: Callable[[Value], Value]) -> Value:
        """`String(x)` / `Number(x)` of a literal."""
        self.take()
        inner = self.value()
        if not self.at(")"):
            raise ValueError("not a single-argument conversion")
        self.take()
        return inner if isinstance(inner, Unknown) else convert(inner)

    def bound(self, value: Value) -> Value:
        """A name declared with a literal; `name[i]` of an array means each of its items."""
        if not self.at("["):
            return value
        self.take()
        index = self.take()
        if index.kind != "name" or not self.at("]") or not isinstance(value, list):
            raise ValueError("not a loop over a literal array")
        self.take()
        return Each(tuple(value))

    def string(self, text: str) -> Value:
        """A string literal; `{{Name}}` inside it is replaced by the variable's text."""
        pieces: list[str] = []
        position = 0
        for match in VARIABLE_REFERENCE.finditer(text):
            value = self.render(match.group(0))
            if isinstance(value, Unknown):
                return value
            pieces += [text[position : match.start()], js_string(value)]
            position = match.end()
        return "".join([*pieces, text[position:]])

    def object(self) -> Value:
        result: dict[str, Value] = {}
        while not self.at("}"):
            key_token = self.take()
            if key_token.kind not in ("name", "str", "num") or not self.at(":"):
                raise ValueError("not a literal object")
            self.take()
            key = _unquote(key_token.text) if key_token.kind == "str" else key_token.text
            result[key] = self.argument("}")
            if self.at(","):
                self.take()
        self.take()
        return result

    def array(self) -> Value:
        items: list[Value] = []
        while not self.at("]"):
            items.append(self.argument("]"))
            if self.at(","):
                self.take()
        self.take()
        return items

    def skip_expression(self) -> None:
        depth = 0
        while self.peek() is not None:
            token = self.peek()
            assert token is not None
            if token.kind == "punct" and token.text in "([{":
                depth += 1
            elif token.kind == "punct" and token.text in ")]}":
                if depth == 0:
                    return
                depth -= 1
            elif token.kind == "punct" and token.text == "," and depth == 0:
                return
            self.take()

    def arguments(self) -> tuple[Value, ...]:
        args: list[Value] = []
        while self.peek() is not None and not self.at(")"):
            args.append(self.argument())
            if self.at(","):
                self.take()
        return tuple(args)


def _callee_at(tokens: Sequence[Token], index: int, names: tuple[str, ...]) -> str | None:
    """The dotted callee (one of `names`) whose last token is at `index`, when a call follows."""
    if index + 1 >= len(tokens) or tokens[index + 1].text != "(":
        return None
    for name in names:
        expected = re.split(r"(\.)", name)
        start = index - len(expected) + 1
        if start < 0 or [t.text for t in tokens[start : index + 1]] != expected:
            continue
        if start >= 2 and tokens[start - 1].text == "." and tokens[start - 2].kind != "name":
            continue  # `a().fbq(...)`: a method of something computed
        return name
    return None


def _bindings(tokens: Sequence[Token], render: Render) -> dict[str, Value]:
    """`var|let|const name = <literal>;` declarations (a name declared twice is left out)."""
    bindings: dict[str, Value] = {}
    seen: set[str] = set()
    for index in range(len(tokens) - 3):
        declares = tokens[index].text in ("var", "let", "const") and tokens[index + 1].kind == "name"
        if not declares or tokens[index + 2].text != "=":
            continue
        name = tokens[index + 1].text
        parser = _Parser(tokens, render, bindings)
        parser.index = index + 3
        value = parser.argument(";")
        if name in seen or isinstance(value, Unknown) or not parser.at(";"):
            bindings.pop(name, None)
        else:
            bindings[name] = value
        seen.add(name)
    for index in range(len(tokens) - 4):
        _assignment(tokens, index, bindings, render)
    return bindings


def _member_target(tokens: Sequence[Token], index: int) -> tuple[str, int] | None:
    """`obj["key"] =` or `obj.key =` at `index`: the key and where the value starts."""
    if tokens[index + 1].text == "[" and tokens[index + 2].kind == "str" and tokens[index + 3].text == "]":
        key, equals = _unquote(tokens[index + 2].text), index + 4
    elif tokens[index + 1].text == "." and tokens[index + 2].kind == "name":
        key, equals = tokens[index + 2].text, index + 3
    else:
        return None
    if equals + 1 >= len(tokens) or tokens[equals].text != "=" or tokens[equals + 1].text == "=":
        return None
    return key, equals + 1


def _assignment(tokens: Sequence[Token], index: int, bindings: dict[str, Value], render: Render) -> None:
    """Apply `obj["key"] = value;` to a declared literal object (Unknown when done conditionally)."""
    target = bindings.get(tokens[index].text)
    if tokens[index].kind != "name" or not isinstance(target, dict):
        return
    found = _member_target(tokens, index)
    if found is None:
        return
    key, start = found
    parser = _Parser(tokens, render, bindings)
    parser.index = start
    value = parser.argument(";")
    condition = _condition(tokens, index, bindings, render)
    if condition is False:
        return
    target[key] = Unknown(f"{key} is set only when a script condition holds") if condition is not True else value


def _condition(tokens: Sequence[Token], index: int, bindings: dict[str, Value], render: Render) -> bool | None:
    """Whether the statement at `index` runs: True outside any `if`, the value of an
    `if (isFinite(name))` guard on a declared name, None when the script decides at run time."""
    depth = 0
    for back in range(index - 1, -1, -1):
        text = tokens[back].text
        if text == "}":
            depth += 1
        elif text == "{" and depth > 0:
            depth -= 1
        elif text == "{" and tokens[back - 1].text == ")":
            opener = _matching_open(tokens, back - 1)
            keyword = tokens[opener - 1].text if opener > 0 else ""
            if keyword in ("if", "while"):
                return _guard(tokens[opener + 1 : back - 1], bindings, render)
        elif text == "{" and tokens[back - 1].text == "else":
            return None
    return True


def _matching_open(tokens: Sequence[Token], close: int) -> int:
    depth = 0
    for back in range(close, -1, -1):
        depth += {")": 1, "(": -1}.get(tokens[back].text, 0)
        if depth == 0:
            return back
    return 0


def _guard(condition: Sequence[Token], bindings: dict[str, Value], render: Render) -> bool | None:
    texts = [t.text for t in condition]
    if len(texts) == 4 and texts[0] == "isFinite" and texts[1] == "(" and texts[3] == ")" and texts[2] in bindings:
        value = bindings[texts[2]]
        return None if isinstance(value, Unknown) else math.isfinite(js_number(value))
    return None


def _expand(callee: str, args: tuple[Value, ...]) -> list[Call]:
    """One call per item when arguments loop over a literal array (`pixels[i]`)."""
    loops = [a for a in args if isinstance(a, Each)]
    if not loops:
        return [Call(callee, args)]
    count = min(len(each.items) for each in loops)
    return [Call(callee, tuple(a.items[n] if isinstance(a, Each) else a for a in args)) for n in range(count)]


def find_calls(script: str, names: tuple[str, ...], render: Render) -> list[Call]:
    """Every call to one of the dotted `names` (e.g. `fbq`, `dataLayer.push`) with its arguments."""
    tokens = tokenize(script)
    bindings = _bindings(tokens, render)
    calls: list[Call] = []
    for index in range(len(tokens)):
        callee = _callee_at(tokens, index, names)
        if callee is None:
            continue
        parser = _Parser(tokens, render, bindings)
        parser.index = index + 2
        calls += _expand(callee, parser.arguments())
    return calls


def string_literals(script: str) -> Iterator[str]:
    """Every string literal of a script, unquoted (for recognising listened-to event names)."""
    for token in tokenize(script):
        if token.kind == "str":
            yield _unquote(token.text)


def literal_json(value: Value) -> str:
    """A known value as a JavaScript literal (for messages in reports)."""
    return json.dumps(value, ensure_ascii=False, default=str)
