"""Every example `--help` prints and every command block of the README runs, as written, on the
bundled samples (in a scratch folder where `samples/` and `criteria/` are the repository's), and
exits 0 — or 3 for a `recheck` that finds discrepancies, as documented.

Not run: `cqtt web`, which serves until it is stopped (the browser tests start it on a real
server), and the lines of the README's setup blocks that install (CI runs those). PostgreSQL URLs
in examples point at the test server (its tests skip without one, as the store's do)."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text("utf-8")
PG_URL = re.compile(r"postgresql://\S+")

# Commands that make the files later examples read come first (a stable sort keeps the rest in
# the order the help shows them).
ORDER = [
    "score",
    "template",
    "survey",
    "criteria",
    "sample",
    "records",
    "recheck",
    "decisions",
    "units",
    "users",
]


def _walk(command: click.Command, words: list[str]) -> Iterator[tuple[list[str], click.Command]]:
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _walk(sub, [*words, name])
    else:
        yield words, command


def help_examples() -> list[str]:
    """Each command's examples in the order its help shows them; commands in ORDER first."""
    by_command: list[tuple[str, list[str]]] = [("", _examples(main))]
    for words, command in _walk(main, []):
        by_command.append((words[0], _examples(command)))
    first = {name: i for i, name in enumerate(ORDER)}
    by_command.sort(key=lambda item: first.get(item[0], len(ORDER)))
    return list(dict.fromkeys(line for _, lines in by_command for line in lines))


def _examples(command: click.Command) -> list[str]:
    return [line.strip() for line in (command.epilog or "").splitlines() if line.strip().startswith("cqtt ")]


def readme_blocks() -> list[list[str]]:
    """The README's command blocks, each its `cqtt` lines (comments dropped; the setup lines'
    `.venv/bin/cqtt` part kept)."""
    blocks = []
    for block in re.findall(r"```bash\n(.*?)\n```", README, re.S):
        lines = []
        for line in block.splitlines():
            line = line.split("#", 1)[0].strip() if line.lstrip().startswith("#") else line.strip()
            if ".venv/bin/cqtt " in line:
                line = "cqtt " + line.split(".venv/bin/cqtt ", 1)[1]
            if line.startswith("cqtt "):
                lines.append(line)
        if lines:
            blocks.append(lines)
    return blocks


@pytest.fixture()
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "samples").symlink_to(ROOT / "samples")
    (tmp_path / "criteria").symlink_to(ROOT / "criteria")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CQTT_DB", str(tmp_path / "lich-su.sqlite"))
    return tmp_path


def run_line(line: str, pg_url: str | None) -> None:
    if line.startswith("cqtt web"):
        return  # serves until stopped: the browser tests run it on a real server
    if PG_URL.search(line):
        if pg_url is None:
            pytest.skip("a PostgreSQL server is needed for this example")
        line = PG_URL.sub(pg_url, line)
    words = shlex.split(line)
    result = CliRunner().invoke(main, words[1:])
    allowed = (0, 3) if words[1] == "recheck" else (0,)
    assert "Traceback" not in result.output, (line, result.output)
    assert result.exit_code in allowed, f"{line}\n{result.output}"


_databases = iter(range(1, 1000))


def _pg(request: pytest.FixtureRequest, lines: list[str]) -> str | None:
    """A database on the test server for the lines that name a PostgreSQL URL (None without a
    server: those lines are left out, as the store's PostgreSQL tests skip; CI has one)."""
    if not any(PG_URL.search(line) for line in lines):
        return None
    try:
        server = request.getfixturevalue("pg_server")
    except pytest.skip.Exception:
        return None
    for line in lines:  # `cqtt db grant ROLE` needs the role made first (CREATE ROLE, by hand)
        words = shlex.split(line)
        if words[1:3] == ["db", "grant"]:
            server.create_role(words[3])
    return str(server.create_database(f"cqtt_vi_du_{next(_databases)}"))


def test_every_help_example_runs(scratch: Path, request: pytest.FixtureRequest) -> None:
    lines = help_examples()
    assert len(lines) > 30
    pg = _pg(request, lines)
    for line in lines:
        if PG_URL.search(line) and pg is None:
            continue
        run_line(line, pg)


@pytest.mark.parametrize("block", range(len(readme_blocks())))
def test_every_readme_command_block_runs(block: int, scratch: Path, request: pytest.FixtureRequest) -> None:
    lines = readme_blocks()[block]
    pg = _pg(request, lines)
    for line in lines:
        if PG_URL.search(line) and pg is None:
            continue
        run_line(line, pg)
