"""The YAML test cases beside every bundled rule file, one pytest test per case."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.rules import catalog
from engine.rules.loader import load_criteria
from engine.scoring.engine import Engine
from engine.scoring.ruletests import load_tests, run_case, run_tests_file

RULE_FILES = catalog.rule_files([catalog.bundled_root()])
CASES = [
    (rule_file, index, case)
    for rule_file in RULE_FILES
    for index, case in enumerate(load_tests(catalog.tests_file_for(rule_file))[0].cases)
]
_engines: dict[Path, Engine] = {}


def _engine(rule_file: Path) -> Engine:
    if rule_file not in _engines:
        _engines[rule_file] = Engine(load_criteria(rule_file))
    return _engines[rule_file]


def test_every_shipped_version_has_at_least_twelve_cases() -> None:
    assert len(RULE_FILES) == 4
    for rule_file in RULE_FILES:
        tests, _ = load_tests(catalog.tests_file_for(rule_file))
        assert len(tests.cases) >= 12, rule_file


@pytest.mark.parametrize(
    ("rule_file", "index", "case"),
    CASES,
    ids=[f"{r.parent.name}@{r.stem}:{c.name}" for r, _, c in CASES],
)
def test_rule_case(rule_file: Path, index: int, case) -> None:
    tests, _ = load_tests(catalog.tests_file_for(rule_file))
    differences = run_case(_engine(rule_file), tests.defaults, case)
    assert not differences, f"{rule_file.name} #{index}: " + "\n".join(differences)


def test_runner_reports_a_wrong_expectation_with_the_difference(tmp_path: Path) -> None:
    rule_file = catalog.resolve("bac-giang@2024")
    text = catalog.tests_file_for(rule_file).read_text("utf-8")
    wrong = text.replace(
        "expect: {points: {ho_so_dung_han: 7}, total: 100}",
        "expect: {points: {ho_so_dung_han: 6}, total: 99}",
        1,
    )
    assert wrong != text
    (tmp_path / "2024.yaml").write_text(rule_file.read_text("utf-8"), "utf-8")
    (tmp_path / "2024.tests.yaml").write_text(wrong, "utf-8")
    results = run_tests_file(load_criteria(tmp_path / "2024.yaml"), tmp_path / "2024.tests.yaml")
    failed = [r for r in results if not r.passed]
    assert len(failed) == 1
    assert failed[0].name == "Hồ sơ đúng hạn đúng 98% (biên bậc cao nhất)"
    assert any("points.ho_so_dung_han: mong đợi 6, tính được 7" in d for d in failed[0].differences)
    assert any("total: mong đợi 99, tính được 100" in d for d in failed[0].differences)
    assert failed[0].line and failed[0].line > 1


def test_runner_names_an_unknown_criterion_in_expectations() -> None:
    from engine.scoring.ruletests import Case, Expect

    engine = _engine(catalog.resolve("hung-yen@2025"))
    case = Case(name="sai mã", expect=Expect(points={"quy_che_dan_chuu": 20}))
    diffs = run_case(engine, {}, case)
    assert any("quy_che_dan_chuu" in d and "quy_che_dan_chu" in d for d in diffs)
