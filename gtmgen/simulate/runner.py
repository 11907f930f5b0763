"""`gtmgen test`: find scenario files, load their targets, simulate every scenario, check it.

All scenario files are read and checked before anything runs, so a malformed file is reported
(with every problem located) instead of a half-run. Each target (a spec, compiled once, or a
container export) is loaded once however many files test it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from gtmgen.container import Container
from gtmgen.errors import Diagnostic, InputError, SpecError
from gtmgen.export import load_export
from gtmgen.simulate.engine import simulate
from gtmgen.simulate.expect import check, what_fired
from gtmgen.simulate.report import Timeline
from gtmgen.simulate.scenario import SCENARIO_SUFFIX, ScenarioCase, ScenarioFile, read_scenario_file

SPEC_SUFFIXES = (".yaml", ".yml")
SKIPPED_FOLDERS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".ci-venv", "build"})


def load_container(path: Path) -> Container:
    """A container to simulate: a spec is compiled first (gtmgen.build), an export is read."""
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.suffix.lower() in SPEC_SUFFIXES:
        from gtmgen.build import build_container  # the compiler, only needed for specs

        return build_container(path)
    return load_export(path)


def _walk(folder: Path) -> Iterator[Path]:
    for entry in sorted(folder.iterdir()):
        if entry.is_dir() and entry.name not in SKIPPED_FOLDERS and not entry.name.startswith("."):
            yield from _walk(entry)
        elif entry.is_file() and entry.name.endswith(SCENARIO_SUFFIX):
            yield entry


def discover(paths: Sequence[Path]) -> list[Path]:
    """Scenario files named by `paths`: files as given, folders searched for `*.tracking.yaml`."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += _walk(path)
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(f"{path}: no such file or folder")
    if not found:
        where = ", ".join(str(p) for p in paths)
        raise InputError(f"no scenario files (*{SCENARIO_SUFFIX}) found in {where}")
    return list(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One scenario's outcome: the problems found (none: passed) and what fired."""

    file: Path
    case: ScenarioCase
    problems: tuple[str, ...]
    timeline: Timeline

    @property
    def passed(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        return f"{self.file}:{self.case.line}: {self.case.name}"


@dataclass(frozen=True, slots=True)
class TestRun:
    """Every scenario's result, in file and scenario order."""

    __test__ = False  # not a pytest test class
    results: tuple[CaseResult, ...]

    @property
    def failed(self) -> list[CaseResult]:
        return [r for r in self.results if not r.passed]

    @property
    def passed(self) -> list[CaseResult]:
        return [r for r in self.results if r.passed]


def read_all(paths: Sequence[Path]) -> list[ScenarioFile]:
    """Read every scenario file; raise one SpecError with all problems of all files."""
    files: list[ScenarioFile] = []
    problems: list[Diagnostic] = []
    for path in paths:
        try:
            files.append(read_scenario_file(path))
        except SpecError as error:
            problems += error.diagnostics
    if problems:
        raise SpecError(problems)
    return files


def run_files(files: Sequence[ScenarioFile], name_filter: str | None = None) -> TestRun:
    """Simulate and check every scenario (optionally only those whose name contains `name_filter`)."""
    containers: dict[Path, Container] = {}
    results: list[CaseResult] = []
    for scenario_file in files:
        target = scenario_file.target.resolve()
        if target not in containers:
            containers[target] = _load_target(scenario_file)
        for case in scenario_file.cases:
            if name_filter and name_filter.lower() not in case.name.lower():
                continue
            timeline = simulate(containers[target], case.scenario)
            problems = check(case.expect, timeline, containers[target])
            results.append(CaseResult(scenario_file.path, case, tuple(problems), timeline))
    return TestRun(tuple(results))


def _load_target(scenario_file: ScenarioFile) -> Container:
    if not scenario_file.target.exists():
        raise InputError(f"{scenario_file.path}: target {scenario_file.target} not found")
    return load_container(scenario_file.target)


def render_run(run: TestRun, *, verbose: bool = False) -> str:
    """pytest-like output: one line per scenario, the failures with what fired, a summary."""
    lines = [f"{'PASS' if r.passed else 'FAIL'}  {r.label}" for r in run.results]
    for result in run.failed:
        lines += ["", f"__ {result.label} __"]
        lines += [f"  {problem}" for problem in result.problems]
        lines += ["  what fired:"] + [f"    {line}" for line in what_fired(result.timeline)]
    if verbose:
        for result in run.passed:
            lines += ["", f"__ {result.label} __"] + [f"    {line}" for line in what_fired(result.timeline)]
    failed, passed = len(run.failed), len(run.passed)
    lines += ["", f"{passed} passed, {failed} failed" if failed else f"{passed} passed"]
    return "\n".join(lines) + "\n"
