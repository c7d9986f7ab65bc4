"""Every kind of broken rule file is refused, naming the file, the line and the fix.

Each file in tests/broken/ starts with `# expect: WORDS` lines (text the report must contain) and
optionally `# line: N` (a line some error must point at).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.errors import RuleFileError
from engine.rules.loader import load_criteria

BROKEN = sorted((Path(__file__).parent / "broken").glob("*.yaml"))


def _expectations(path: Path) -> tuple[list[str], int | None]:
    words, line = [], None
    for text in path.read_text("utf-8").splitlines():
        if text.startswith("# expect: "):
            words.append(text[len("# expect: ") :])
        elif text.startswith("# line: "):
            line = int(text[len("# line: ") :])
    return words, line


def test_there_is_a_broken_file_for_each_check() -> None:
    assert len(BROKEN) >= 30


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_file_is_refused_with_a_precise_message(path: Path) -> None:
    words, line = _expectations(path)
    assert words, f"{path.name} has no '# expect:' line"
    with pytest.raises(RuleFileError) as caught:
        load_criteria(path)
    errors = caught.value.errors
    assert errors, "a refused file must carry at least one error"
    report = "\n".join(issue.format() for issue in errors)
    for word in words:
        assert word in report, f"missing {word!r} in:\n{report}"
    assert all(issue.file == str(path) for issue in errors)
    if line is not None:
        assert line in {issue.line for issue in errors}, f"no error at line {line}:\n{report}"
