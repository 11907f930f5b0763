"""The README is checked against the code: commands, exit codes, set-up commands, examples, outputs."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from gtmgen.cli import app
from gtmgen.errors import ExitCode
from tests.conftest import EXAMPLES, ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


# Commands are typed Any: recent typer vendors click, so click's classes may not be importable.
def _commands(group: Any, prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    for name, command in sorted(getattr(group, "commands", {}).items()):
        found.append((prefix + name, command))
        found += _commands(command, f"{prefix}{name} ")
    return found


COMMANDS = _commands(typer.main.get_command(app))


def test_there_are_commands() -> None:
    assert {"validate", "schema", "init"} <= {name for name, _ in COMMANDS}


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_command_has_help_and_is_in_the_readme(name: str, command: Any) -> None:
    assert (command.help or "").strip(), f"`gtmgen {name}` has no help text"
    assert f"gtmgen {name}" in README, f"`gtmgen {name}` is not in README.md"


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[name for name, _ in COMMANDS])
def test_every_option_has_help(name: str, command: Any) -> None:
    options = [p for p in command.params if getattr(p, "param_type_name", "") == "option"]
    bare = [p.name for p in options if not (p.help or "").strip()]
    assert bare == [], f"`gtmgen {name}` options without help: {bare}"


def _section(title: str) -> str:
    start = README.index(title)
    end = README.find("\n## ", start + len(title))
    return README[start : end if end != -1 else len(README)]


def test_the_exit_code_table_is_the_code() -> None:
    rows = re.findall(r"^\| (\d+) \| (.+) \|$", _section("## Exit codes"), flags=re.MULTILINE)
    assert [int(code) for code, _ in rows] == sorted(code.value for code in ExitCode)


def _shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, flags=re.DOTALL)


def test_the_two_set_up_commands_come_first_and_ci_runs_the_test_one() -> None:
    first, second = _shell_blocks()[:2]
    assert README.index(first) < README.index("<!-- section:")
    assert first.strip().startswith("pip install . && gtmgen ")
    assert (ROOT / first.split()[-1]).is_file(), "the first command runs an example that exists"
    assert second.strip() == "pip install -e '.[test]' && pytest -q"
    assert second.strip() in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_the_first_spec_in_the_readme_is_examples_minimal() -> None:
    first_yaml = re.search(r"```yaml\n(.*?)```", README, flags=re.DOTALL)
    assert first_yaml is not None
    assert first_yaml.group(1) == (EXAMPLES / "minimal.yaml").read_text(encoding="utf-8")


def _console_runs(command: str) -> list[tuple[str, list[str]]]:
    """(`gtmgen ...` command line, the lines shown after it) of README console blocks."""
    runs: list[tuple[str, list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            line, *output = chunk.rstrip("\n").split("\n")
            if line.startswith(f"gtmgen {command} "):
                runs.append((line, output))
    return runs


@pytest.mark.parametrize(("line", "shown"), _console_runs("validate"), ids=lambda v: str(v)[:40])
def test_validate_output_in_the_readme_is_real(line: str, shown: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, shlex.split(line)[1:])
    assert (result.stdout + result.stderr).splitlines() == shown


@pytest.mark.parametrize(("line", "shown"), _console_runs("init"), ids=lambda v: str(v)[:40])
def test_init_output_in_the_readme_is_real(
    line: str, shown: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, shlex.split(line)[1:])
    assert result.exit_code == 0
    assert result.stdout.splitlines() == shown


def test_the_readme_shows_init_and_validate_runs() -> None:
    assert _console_runs("init") and len(_console_runs("validate")) >= 2


def test_every_spec_shown_in_the_spec_section_validates() -> None:
    from gtmgen.validate import validate_text

    blocks = re.findall(r"```yaml\n(.*?)```", _section("## The spec language"), flags=re.DOTALL)
    assert len(blocks) >= 2
    for block in blocks:
        assert [d.render() for d in validate_text(block, "README.md").diagnostics] == []
