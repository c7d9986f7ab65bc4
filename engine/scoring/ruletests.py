"""YAML test cases beside each rule file: "this evidence must give these points".

A tests file `<version>.tests.yaml` sits beside `<version>.yaml`::

    defaults:            # evidence shared by every case (a case overrides fields; null blanks one)
      ty_le_ho_so_dung_han: 98%
    cases:
      - name: Đúng ngưỡng 95%
        evidence: {ty_le_ho_so_dung_han: 95%}
        proposed: true          # optional, as are self_score and group_self_scores
        expect:
          points: {ho_so_dung_han: 5}   # any subset of criteria
          groups: {cai_cach_hanh_chinh: 20}
          total: 93
          recognised: true
          not_applicable: [giam_sat_dau_tu_cong_dong]
          flags: [borderline]           # the exact set of flag codes
          blocking: 1                   # number of reasons blocking recognition

Cases run through the same evidence reader and engine as real files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from engine.errors import RuleFileError, RuleIssue
from engine.intake.evidence import self_score_column
from engine.numbers import same_points
from engine.rules.loader import LoadedCriteria
from engine.rules.modelpath import walk
from engine.rules.yamlfile import format_path, read_yaml
from engine.scoring.engine import Engine
from engine.suggest import did_you_mean
from engine.text import short_number


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Expect(_Strict):
    points: dict[str, float] = Field(default_factory=dict)
    groups: dict[str, float] = Field(default_factory=dict)
    total: float | None = None
    recognised: bool | None = None
    not_applicable: list[str] | None = None
    flags: list[str] | None = None
    blocking: int | None = None


class Case(_Strict):
    name: str
    description: str | None = None
    evidence: dict[str, Any] = Field(default_factory=dict)
    proposed: bool = False
    self_score: float | None = None
    group_self_scores: dict[str, float] = Field(default_factory=dict)
    expect: Expect


class TestsFile(_Strict):
    defaults: dict[str, Any] = Field(default_factory=dict)
    cases: list[Case] = Field(min_length=1)


@dataclass
class CaseResult:
    name: str
    line: int | None
    differences: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences


def load_tests(path: Path) -> tuple[TestsFile, dict[int, int]]:
    """Parse a tests file; return it and the line of each case."""
    loaded = read_yaml(path)
    try:
        tests = TestsFile.model_validate(loaded.data)
    except ValidationError as exc:
        issues = []
        for err in exc.errors():
            where, _ = walk(TestsFile, tuple(err["loc"]))
            issues.append(
                RuleIssue(
                    str(path),
                    loaded.line_of(where),
                    format_path(where),
                    f"tệp kiểm thử không hợp lệ: {err['msg']}",
                )
            )
        raise RuleFileError(str(path), issues) from None
    lines = {i: loaded.lines.get(("cases", i)) or 0 for i in range(len(tests.cases))}
    return tests, lines


def _close(a: float, b: float) -> bool:
    return same_points(a, b)


def _num(x: float) -> str:
    return short_number(x)


def run_case(engine: Engine, defaults: dict[str, Any], case: Case) -> list[str]:
    """Differences between what a case expects and what the engine computes (empty: passed)."""
    from engine.intake.evidence import read_mappings

    cs = engine.cs
    evidence = {**defaults, **case.evidence}
    evidence = {k: v for k, v in evidence.items() if v is not None}
    row: dict[str, Any] = {"ma_don_vi": "TEST", "ten_don_vi": case.name, **evidence, "de_nghi": case.proposed}
    if case.self_score is not None:
        row["tu_cham"] = case.self_score
    for gid, score in case.group_self_scores.items():
        row[self_score_column(gid)] = score
    read = read_mappings([row], cs, "(kiểm thử)")
    problems = [
        f"minh chứng: {i.column}: {i.message}" for i in read.issues if "không thuộc bộ tiêu chí" in i.message
    ]
    if problems:
        return problems
    unit = engine.score(read.applications[0])
    diffs: list[str] = []
    by_id = {c.id: c for c in unit.criteria}
    for cid, want in case.expect.points.items():
        if cid not in by_id:
            hint = did_you_mean(cid, by_id)
            diffs.append(f"points.{cid}: không có tiêu chí này" + (f" ({hint})" if hint else ""))
        elif not _close(by_id[cid].points, want):
            diffs.append(
                f"points.{cid}: mong đợi {_num(want)}, tính được "
                f"{_num(by_id[cid].points)} — {by_id[cid].explanation}"
            )
    groups = {g.id: g for g in unit.groups}
    for gid, want in case.expect.groups.items():
        if gid not in groups:
            diffs.append(f"groups.{gid}: không có nhóm này")
        elif not _close(groups[gid].points, want):
            diffs.append(f"groups.{gid}: mong đợi {_num(want)}, tính được {_num(groups[gid].points)}")
    if case.expect.total is not None and not _close(unit.total, case.expect.total):
        diffs.append(f"total: mong đợi {_num(case.expect.total)}, tính được {_num(unit.total)}")
    if case.expect.recognised is not None and unit.recognised != case.expect.recognised:
        why = "; ".join(unit.blocking) or "không có lý do chặn"
        diffs.append(
            f"công nhận (recognised): mong đợi {_yes(case.expect.recognised)}, tính được "
            f"{_yes(unit.recognised)} ({why})"
        )
    if case.expect.not_applicable is not None:
        got = sorted(c.id for c in unit.criteria if not c.applicable)
        if got != sorted(case.expect.not_applicable):
            diffs.append(f"not_applicable: mong đợi {sorted(case.expect.not_applicable)}, tính được {got}")
    if case.expect.flags is not None:
        got = sorted({f.code for f in unit.flags})
        if got != sorted(set(case.expect.flags)):
            diffs.append(
                f"cảnh báo (flags): mong đợi {_flags(sorted(set(case.expect.flags)))}, "
                f"tính được {_flags(got)}"
            )
    if case.expect.blocking is not None and len(unit.blocking) != case.expect.blocking:
        diffs.append(
            f"blocking: mong đợi {case.expect.blocking} lý do, tính được "
            f"{len(unit.blocking)}: {unit.blocking}"
        )
    return diffs


def _yes(value: bool) -> str:
    return "đạt" if value else "chưa đạt"


def _flags(codes: list[str]) -> str:
    """Flags in words, each code beside its label (the tests file names them by code)."""
    from engine.scoring.flags import FLAG_LABELS

    if not codes:
        return "không có"
    return ", ".join(f"“{FLAG_LABELS[c][1]}” ({c})" if c in FLAG_LABELS else c for c in codes)


def run_tests_file(loaded: LoadedCriteria, path: Path) -> list[CaseResult]:
    tests, lines = load_tests(path)
    engine = Engine(loaded)
    return [
        CaseResult(case.name, lines.get(i), run_case(engine, tests.defaults, case))
        for i, case in enumerate(tests.cases)
    ]
