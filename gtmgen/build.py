"""`gtmgen build`: spec -> validated model -> container -> export bytes -> file, atomically.

The bytes are deterministic: stable ids and order, GTM's key order, and a fixed `exportTime`
unless the caller asks for another one. A build that fails (invalid spec, a container that
fails conformance or exceeds GTM's size limit) raises before anything is written; a write
goes to a temporary file in the target folder that replaces the output in one step.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from gtmgen.compile import compile_site
from gtmgen.conformance import check_container, errors
from gtmgen.container import Container
from gtmgen.errors import CompileError, Diagnostic, InputError, OutputOutOfDate, SpecError
from gtmgen.export import ExportDict, container_to_export, dump_export
from gtmgen.spec import SiteSpec

FIXED_EXPORT_TIME = "2000-01-01 00:00:00"
KB = 1024
WARN_SIZE = 140 * KB
SIZE_LIMIT = 200 * KB  # GTM refuses to publish a web container above 200 KB
_EXPORT_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")

SpecLoader = Callable[[Path], SiteSpec]


@dataclass(frozen=True, slots=True)
class Build:
    """One spec's build result: the container, the export bytes and where they go."""

    spec_path: Path
    container: Container
    data: bytes
    size: int  # compact JSON bytes: GTM's size limit applies to the container's content
    diagnostics: tuple[Diagnostic, ...] = ()  # the spec's validation warnings (a build has no errors)

    @property
    def file_size(self) -> int:
        return len(self.data)

    def summary(self, shown_as: str) -> str:
        c = self.container
        return (
            f"{shown_as}: {len(c.tags)} tags, {len(c.triggers)} triggers, {len(c.variables)} variables, "
            f"{self.size / KB:.1f} KB (file {self.file_size / KB:.1f} KB)"
        )

    def warnings(self, shown_as: str) -> list[str]:
        if self.size <= WARN_SIZE:
            return []
        return [
            f"{shown_as}: the container is {self.size / KB:.1f} KB, above {WARN_SIZE // KB} KB "
            f"(GTM's limit is {SIZE_LIMIT // KB} KB); prefer path patterns over long path lists"
        ]


def export_time(value: str | None, now: dt.datetime | None = None) -> str:
    """The exportTime to write: fixed by default, `now` (UTC), or `YYYY-MM-DD HH:MM:SS`."""
    if value is None:
        return FIXED_EXPORT_TIME
    if value == "now":
        return (now or dt.datetime.now(dt.timezone.utc)).strftime("%Y-%m-%d %H:%M:%S")
    if not _EXPORT_TIME.match(value):
        raise InputError(f"--export-time {value!r}: use 'now' or YYYY-MM-DD HH:MM:SS")
    return value


def _load_spec(path: Path) -> SiteSpec:
    return validated_spec(path)[0]


def validated_spec(path: Path) -> tuple[SiteSpec, tuple[Diagnostic, ...]]:
    """The spec and its validation warnings; raises `SpecError` with every diagnostic when it has errors."""
    from gtmgen.validate import validate_file  # jsonschema loads only when a spec is built

    validation = validate_file(path)
    if validation.spec is None:
        raise SpecError(validation.diagnostics)
    return validation.spec, validation.warnings


def compile_checked(spec: SiteSpec, source: str) -> Container:
    """Compile a spec and refuse any container that fails conformance."""
    try:
        container = compile_site(spec)
    except CompileError as error:  # the compiler names the spec key; add the file
        raise CompileError(source, f"{error.source}: {error.message}") from None
    problems = errors(check_container(container))
    if problems:
        details = "; ".join(f.render() for f in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise CompileError(source, f"the compiled container is not valid GTM: {details}{more}")
    return container


def container_size(document: ExportDict) -> int:
    """The container's size as GTM counts content: its export as compact JSON, in bytes."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def build_container(path: Path, load: SpecLoader = _load_spec) -> Container:
    """The checked container for a spec file."""
    return compile_checked(load(path), str(path))


def build_spec(path: Path, time: str = FIXED_EXPORT_TIME) -> Build:
    """Build one spec in memory, keeping its validation warnings; raises (writing nothing) when
    the spec or container is invalid."""
    spec, warnings = validated_spec(path)
    container = compile_checked(spec, str(path))
    document = container_to_export(container, time)
    size = container_size(document)
    if size > SIZE_LIMIT:
        message = f"the container is {size / KB:.1f} KB, above GTM's {SIZE_LIMIT // KB} KB limit; use path patterns"
        raise CompileError(str(path), message)
    return Build(path, container, dump_export(document), size, warnings)


def default_output(spec_path: Path) -> Path:
    """`build/<spec stem>.json`, relative to the working directory."""
    return Path("build") / f"{spec_path.stem}.json"


def output_paths(specs: list[Path], output: str | None) -> list[Path]:
    """Where each spec's export goes: defaults, one file, or a folder (several specs, an
    existing folder, or a path ending in a separator)."""
    if output is None:
        return [default_output(s) for s in specs]
    target = Path(output)
    if len(specs) > 1 or target.is_dir() or output.endswith(("/", os.sep)):
        return [target / f"{s.stem}.json" for s in specs]
    return [target]


def _file_mode(path: Path) -> int:
    """Keep an existing file's mode; a new file gets the usual mode under the umask."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: Path, data: bytes) -> None:
    """Write bytes so that `path` is either untouched or complete, never half-written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _file_mode(path))
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise InputError(f"cannot write {path}: {error.strerror or error}") from None
        raise


def check_output(path: Path, build: Build) -> None:
    """Raise OutputOutOfDate unless `path` holds exactly the build's bytes."""
    try:
        current = path.read_bytes()
    except OSError:
        current = None
    if current != build.data:
        raise OutputOutOfDate(str(path), str(build.spec_path))
