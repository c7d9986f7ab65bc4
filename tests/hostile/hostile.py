"""The runner shared by the hostile-input catalogue (docs/hostile-inputs.md lists every case).

A case is a builder (it writes its input under a temporary folder and returns the command's
arguments) and what the user must get: the exit code and one exact line of output (the last line,
or any line when the command succeeds and reports the problem on the way). Every case also checks:
no traceback, no file written on refusal, every input left as it was, and a time bound. Cases that
could blow up (bombs, huge sheets) run in a child process under a memory limit.
"""

from __future__ import annotations

import hashlib
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).parent.parent.parent
MEMORY_LIMIT = 1536 * 1024 * 1024  # bytes of address space for an isolated case


def alias_bomb(levels: int) -> list[str]:
    """YAML lines of nested aliases, nine of each level ("billion laughs"): 9**levels strings."""
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    previous = "a"
    for name in "bcdefghijk"[: levels - 1]:
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
        previous = name
    return lines


@dataclass
class Case:
    build: Callable[[Path], list[str]]
    code: int
    message: str  # formatted with tmp= the case's folder
    anywhere: bool = False  # the line may be anywhere in the output (the command went on)
    writes: bool = False  # the command succeeds and writes its outputs
    isolated: bool = False  # run in a child process with a memory limit
    seconds: float = 30.0

    @property
    def name(self) -> str:
        return self.build.__name__


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _files(folder: Path) -> dict[Path, str]:
    return {p: _digest(p) for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_case(case: Case, tmp: Path) -> str:
    """Run one case and check everything it promises; returns the output for further checks."""
    args = case.build(tmp)
    inputs = _files(tmp)
    shared = {p: _digest(p) for p in (ROOT / "samples").glob("*") if p.is_file()}
    started = time.monotonic()
    if case.isolated:
        done = subprocess.run(
            [sys.executable, str(ROOT / "cli.py"), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=case.seconds * 3,
            preexec_fn=_limit_memory,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        code, output = done.returncode, done.stdout + done.stderr
    else:
        result = CliRunner().invoke(main, args)
        code, output = result.exit_code, result.output
    elapsed = time.monotonic() - started
    assert "Traceback" not in output, output
    assert code == case.code, output
    lines = output.strip().splitlines()
    expected = case.message.format(tmp=tmp)
    if case.anywhere:
        assert expected in lines, output
    else:
        assert lines and lines[-1] == expected, output
    assert elapsed < case.seconds, f"{case.name} took {elapsed:.1f} s"
    after = _files(tmp)
    for path, digest in inputs.items():
        assert after.get(path) == digest, f"{path} was modified"
    if not case.writes:
        assert set(after) == set(inputs), f"written on refusal: {sorted(set(after) - set(inputs))}"
    assert {p: _digest(p) for p in shared} == shared, "a bundled sample was modified"
    return output
