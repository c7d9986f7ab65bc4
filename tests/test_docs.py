"""Help and README stay in sync with the commands."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text("utf-8")


def _commands(group: click.Group, prefix: str = "cqtt") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            found += _commands(command, path)
        else:
            found.append((path, command))
    return found


COMMANDS = _commands(main)


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p for p, _ in COMMANDS])
def test_every_command_has_help_with_an_example_and_is_in_the_readme(path, command) -> None:
    args = path.split()[1:]
    result = CliRunner().invoke(main, [*args, "--help"])
    assert result.exit_code == 0
    assert "Ví dụ:" in result.output and f"  {path}" in result.output
    assert result.output.startswith("Cách dùng: ") and "Tùy chọn:" in result.output
    assert "Usage:" not in result.output and "Show this message" not in result.output
    assert f"`{path}" in README, f"{path} is missing from the README command table"


def test_readme_commands_are_the_ones_ci_runs() -> None:
    blocks = re.findall(r"```bash\n(.*?)\n```", README, re.S)
    setup_and_score, setup_and_test = blocks[0], blocks[1]
    assert "cqtt score samples/bac-giang-2024.xlsx --criteria bac-giang@2024" in setup_and_score
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert setup_and_test in ci


def test_readme_output_is_what_the_command_prints(tmp_path: Path, monkeypatch) -> None:
    """The sample output shown in the README is the real output (sha256 prefix included)."""
    shown = re.search(r"```text\n(.*?)\n```", README, re.S).group(1)
    monkeypatch.chdir(ROOT)
    out = tmp_path / "r.json"
    result = CliRunner().invoke(
        main, ["score", "samples/bac-giang-2024.xlsx", "--criteria", "bac-giang@2024", "--json", str(out)]
    )
    assert result.exit_code == 0
    expected = [line for line in shown.splitlines() if not line.startswith("Đã ghi")]
    actual = [line for line in result.output.splitlines() if not line.startswith("Đã ghi")]
    assert actual == expected


def test_readme_history_workflow_prints_what_it_shows(tmp_path: Path, monkeypatch) -> None:
    """The history section's commands, run as written (outputs moved to a temporary folder), print
    the history the README shows."""
    import shlex

    section = README[README.index("## Lịch sử qua các năm") :]
    commands = re.search(r"```bash\n(.*?)\n```", section, re.S).group(1).splitlines()
    shown = re.search(r"```text\n(.*?)\n```", section, re.S).group(1)
    monkeypatch.chdir(ROOT)
    output = ""
    for line in commands:
        words = shlex.split(line)
        assert words[0] == "cqtt"
        args = [
            str(tmp_path / w) if w.endswith((".sqlite", ".xlsx", ".json")) and "/" not in w else w
            for w in words[1:]
        ]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        output = result.output
    assert output.rstrip("\n") == shown
