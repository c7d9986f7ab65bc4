"""A policy officer's draft rule file: checked as `cqtt criteria validate` checks it (every error
with its line and a hint), and, when valid, compared with the set in force and tried on the
evidence of the last year the portal holds (the diff of `cqtt criteria diff --evidence`).

The draft is only ever written to a temporary folder: the sets in force never change here.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from engine import jobs
from engine.errors import CqttError, RuleIssue
from engine.portal.exports import Scope, template
from engine.portal.files import shown_name
from engine.portal.units import criteria_of, years
from engine.scoring.compare import DiffOutcome
from engine.store.connect import Store

MAX_DRAFT = 2 * 1024 * 1024


class DraftError(CqttError):
    pass


@dataclass
class DraftCheck:
    name: str
    errors: list[RuleIssue] = field(default_factory=list)
    warnings: list[RuleIssue] = field(default_factory=list)
    ref: str | None = None  # id@version the draft declares, when valid
    against: str | None = None  # the set in force it is compared with
    evidence_year: int | None = None
    diff: DiffOutcome | None = None
    tests: list[str] = field(default_factory=list)  # failing YAML cases, when a tests file is given


def check_draft(store: Store, data: bytes, name: str, year: int | None) -> DraftCheck:
    if len(data) > MAX_DRAFT:
        raise DraftError(f"tệp quá lớn (tối đa {MAX_DRAFT // 1024 // 1024} MB)")
    shown = shown_name(name)
    if not shown.lower().endswith((".yaml", ".yml")):
        shown += ".yaml"
    outcome = DraftCheck(shown)
    with tempfile.TemporaryDirectory(prefix="cqtt-ban-nhap-") as tmp:
        path = Path(tmp) / shown
        path.write_bytes(data)
        report = jobs.validate([path])
        outcome.errors = [_named(i, shown, path) for i in report.errors]
        outcome.warnings = [_named(i, shown, path) for i in report.warnings]
        if not report.ok or not report.valid:
            return outcome
        draft = report.valid[0]
        outcome.ref = draft.model.ref
        known = years(store)
        current = year if year is not None else (known[-1].year if known else None)
        if current is None:
            return outcome
        in_force = criteria_of(store, current)
        outcome.against = in_force.model.ref
        # last year's evidence first; the current year's when the portal holds no earlier year
        order = sorted((y.year for y in known if y.year < current), reverse=True) + [current]
        evidence_year = _last_with_evidence(store, order)
        outcome.evidence_year = evidence_year
        evidence_paths = None
        if evidence_year is not None:
            book = Path(tmp) / f"minh-chung-{evidence_year}.xlsx"
            book.write_bytes(template(store, evidence_year, Scope(), filled=True))
            evidence_paths = [book]
        outcome.diff = jobs.diff(str(in_force.path), str(path), evidence_paths)
    return outcome


def _last_with_evidence(store: Store, candidates: list[int]) -> int | None:
    from engine.portal.exports import scored_values

    for year in candidates:
        if scored_values(store, year, Scope())[1]:
            return year
    return None


def _named(issue: RuleIssue, name: str, path: Path) -> RuleIssue:
    from dataclasses import replace

    return replace(issue, file=issue.file.replace(str(path), name))
