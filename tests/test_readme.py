"""The README is checked against the code: commands, exit codes, set-up commands, examples, outputs."""

from __future__ import annotations

import glob
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


def _console_blocks() -> list[list[tuple[str, list[str]]]]:
    """Each README `console` block as (`gtmgen ...` command line, the lines shown after it) pairs;
    a line ending in a backslash continues on the next."""
    blocks = []
    for block in re.findall(r"```console\n(.*?)```", README, flags=re.DOTALL):
        runs = []
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            line, *output = chunk.rstrip("\n").split("\n")
            while line.endswith("\\"):
                line = line[:-1] + output.pop(0).lstrip()
            runs.append((line, output))
        blocks.append(runs)
    return blocks


CONSOLE_BLOCKS = _console_blocks()


def _console_runs(command: str) -> list[str]:
    return [line for block in CONSOLE_BLOCKS for line, _ in block if line.startswith(f"gtmgen {command} ")]


def _arguments(line: str) -> list[str]:
    """The command's arguments, with globs expanded as a shell would (sorted, relative)."""
    words = shlex.split(line)
    assert words[0] == "gtmgen", line
    expanded: list[str] = []
    for word in words[1:]:
        found = sorted(glob.glob(word)) if any(c in word for c in "*?[") else []
        expanded += found or [word]
    return expanded


@pytest.mark.parametrize("block", CONSOLE_BLOCKS, ids=lambda b: b[0][0][:40] if b else "empty")
def test_console_output_in_the_readme_is_real(
    block: list[tuple[str, list[str]]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Replay a block in a fresh folder (with the repository's examples/ and tests/ when it uses
    them): each command must print exactly the lines shown, stdout and stderr as a terminal shows them."""
    for folder in ("examples", "tests"):
        if any(f"{folder}/" in line for line, _ in block):
            (tmp_path / folder).symlink_to(ROOT / folder, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    assert block, "an empty console block"
    for line, shown in block:
        result = CliRunner().invoke(app, _arguments(line))
        assert result.output.splitlines() == shown, line


def test_the_readme_shows_real_runs_of_the_everyday_commands() -> None:
    for command in ("init", "validate", "build", "test", "simulate"):
        assert _console_runs(command) or any(line == f"gtmgen {command}" for b in CONSOLE_BLOCKS for line, _ in b)
    assert len(_console_runs("validate")) >= 3


def test_every_spec_shown_in_the_spec_section_validates() -> None:
    from gtmgen.validate import validate_text

    blocks = re.findall(r"```yaml\n(.*?)```", _section("## The spec language"), flags=re.DOTALL)
    assert len(blocks) >= 2
    for block in blocks:
        assert [d.render() for d in validate_text(block, "README.md").diagnostics] == []


def _scenario_blocks_on_examples() -> list[str]:
    blocks = re.findall(r"```yaml\n(target: .*?)```", README, flags=re.DOTALL)
    return [b for b in blocks if (EXAMPLES / b.split("\n", 1)[0].split()[1]).is_file()]


@pytest.mark.parametrize("scenarios", _scenario_blocks_on_examples(), ids=lambda b: b.split("\n", 1)[0])
def test_scenario_files_shown_for_an_example_pass(scenarios: str, tmp_path: Path) -> None:
    target = scenarios.split("\n", 1)[0].split()[1]
    (tmp_path / target).write_bytes((EXAMPLES / target).read_bytes())
    (tmp_path / "readme.tracking.yaml").write_text(scenarios, encoding="utf-8")
    result = CliRunner().invoke(app, ["test", str(tmp_path / "readme.tracking.yaml")])
    assert result.exit_code == 0, result.output
    assert re.search(r"^\d+ passed$", result.output, flags=re.MULTILINE)


def test_the_readme_shows_a_scenario_file_for_an_example() -> None:
    assert _scenario_blocks_on_examples()


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_inside_the_readme_leads_to_a_heading() -> None:
    headings = {_anchor(h) for h in re.findall(r"^#{1,4} (.+)$", README, flags=re.MULTILINE)}
    links = set(re.findall(r"\]\(#([^)]+)\)", README))
    assert links and links - headings == set()
