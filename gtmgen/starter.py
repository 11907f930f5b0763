"""`gtmgen init`: a commented starter spec for a new site, from templates/init/.

The starter is rendered by the one jinja2 environment (`gtmgen.compile.render.environment`,
StrictUndefined) whose only way to put a value into YAML is the `yaml` filter, which writes
a double-quoted YAML scalar for any text.
The rendered spec is validated before anything is written: a bad `--domain` is reported as
such, and the file written always passes `gtmgen validate` (its placeholder ids are warnings).

`starter_files` returns every file `init` writes; other features add theirs there.
`write_new_files` writes them all or none, each atomically, never over an existing file
unless asked to.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from gtmgen.errors import InputError

Industry = Literal["foundation-repair", "hvac", "plumbing", "clinic", "generic"]
INDUSTRIES: tuple[str, ...] = get_args(Industry)
DEFAULT_SPEC_PATH = Path("gtmgen.yaml")

# Spec paths whose problems are the user's options, not the template's.
_OPTION_BY_PATH = {"site.name": "--name", "site.domain": "--domain"}


def industry(name: str) -> Industry:
    """An industry preset by name; raises `InputError` for an unknown one."""
    for known in get_args(Industry):
        if known == name:
            return known  # type: ignore[no-any-return]
    raise InputError(f"unknown industry {name!r}; choose one of {', '.join(INDUSTRIES)}")


@dataclass(frozen=True, slots=True)
class StarterOptions:
    name: str
    domain: str
    industry: Industry = "generic"
    currency: str = "USD"


@dataclass(frozen=True, slots=True)
class StarterFile:
    path: Path
    text: str
    what: str  # shown to the user: "spec", "scenario", ...


# ---------------------------------------------------------------- YAML-safe values

_YAML_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\x85": "\\N",
    "\u2028": "\\L",
    "\u2029": "\\P",
}
# What YAML (and PyYAML's reader) accepts raw in a double-quoted scalar; everything else is escaped.
_PRINTABLE = re.compile("[\x20-\x7e\xa0-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")


def yaml_string(text: str) -> str:
    """`text` as a double-quoted YAML scalar that reads back as exactly `text`."""
    return '"' + "".join(_escape(character) for character in text) + '"'


def _escape(character: str) -> str:
    if character in _YAML_ESCAPES:
        return _YAML_ESCAPES[character]
    if _PRINTABLE.match(character):
        return character
    code = ord(character)
    return f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}" if code < 0x10000 else f"\\U{code:08X}"


def comment_text(text: str) -> str:
    """`text` made safe inside a YAML comment: one line, printable characters only."""
    return "".join(c if _PRINTABLE.match(c) else "?" for c in text)


# ---------------------------------------------------------------- rendering


def normalize_domain(domain: str) -> str:
    """`https://www.Example.com/contact` -> `www.example.com`: people paste URLs."""
    host = re.sub(r"^[a-z][a-z0-9+.-]*://", "", domain.strip(), flags=re.IGNORECASE)
    return host.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].lower()


def render_spec(options: StarterOptions, spec_path: Path = DEFAULT_SPEC_PATH) -> str:
    """The starter spec's text; raises `InputError` naming the option when a value is unusable."""
    if any("\ud800" <= character <= "\udfff" for character in options.name):
        raise InputError("--name: the name contains bytes that are not text in this terminal's encoding")
    from gtmgen.compile.render import environment  # the one jinja2 environment, with the `yaml` filter

    template = environment().get_template(f"init/{options.industry}.yaml.j2")
    domain, currency = normalize_domain(options.domain), options.currency.strip().upper()
    values = {"name": options.name, "domain": domain, "currency": currency}
    text = template.render(file=str(spec_path), **values)
    _check(text)
    return text


def _check(text: str) -> None:
    from gtmgen.validate import validate_text  # jsonschema loads only when a starter is rendered

    validation = validate_text(text, "starter spec")
    for diagnostic in validation.errors:
        option = _option_for(diagnostic.json_path)
        if option is None:
            raise AssertionError(f"a starter template is invalid: {diagnostic.render()}")
        raise InputError(f"{option}: {diagnostic.message}")


def _option_for(json_path: str) -> str | None:
    """The `init` option a problem at this spec path comes from, if any."""
    if json_path.endswith(".currency"):
        return "--currency"
    return _OPTION_BY_PATH.get(json_path)


def starter_files(spec_path: Path, options: StarterOptions) -> list[StarterFile]:
    """Every file `gtmgen init` writes for these options."""
    spec_text = render_spec(options, spec_path)
    return [StarterFile(spec_path, spec_text, "spec"), _scenario_file(spec_path, spec_text)]


def _scenario_file(spec_path: Path, spec_text: str) -> StarterFile:
    from gtmgen.simulate.starter import starter_scenario_file  # the simulator's scenario language

    path, text = starter_scenario_file(spec_path, spec_text)
    return StarterFile(path, text, "tracking scenarios for `gtmgen test`")


# ---------------------------------------------------------------- writing


def write_new_files(starters: Sequence[StarterFile], *, force: bool = False) -> None:
    """Write every file, or none when one exists already (unless `force`)."""
    existing = [str(s.path) for s in starters if s.path.exists() or s.path.is_symlink()]
    if existing and not force:
        raise InputError(f"{', '.join(existing)} already exists; choose another path or pass --force to overwrite")
    for starter in starters:
        if starter.path.is_dir():
            raise InputError(f"{starter.path} is a directory; give a file path such as {starter.path / 'site.yaml'}")
    for starter in starters:
        _write_atomic(starter.path, starter.text, replace=force)


def _write_atomic(path: Path, text: str, *, replace: bool) -> None:
    """Write a complete file in one step; without `replace`, fail rather than overwrite."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
        os.chmod(temporary, 0o666 & ~_umask())
        _place(Path(temporary), path, replace=replace)
    except FileExistsError:
        raise InputError(f"{path} already exists; pass --force to overwrite it") from None
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror or error}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def _place(temporary: Path, path: Path, *, replace: bool) -> None:
    if replace:
        os.replace(temporary, path)
        return
    try:
        os.link(temporary, path)  # atomic, and fails when `path` exists
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links
        if path.exists():
            raise FileExistsError(path) from None
        os.replace(temporary, path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
