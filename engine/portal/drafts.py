"""A policy officer's draft rule file: checked as `cqtt criteria validate` checks it (every error
with its line and a hint), and, when valid, compared with the set in force of the evidence year
the officer chooses (by default the last year with appraised applications) and tried on that
year's evidence: which units change, and the eligible share before and after against the target
(the diff of `cqtt criteria diff --evidence`).

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
from engine.portal.roles import APPRAISED
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
    dossiers: int = 0  # applications of the evidence year the draft was tried on
    diff: DiffOutcome | None = None
    tests: list[str] = field(default_factory=list)  # failing YAML cases, when a tests file is given
    places: dict[str, str] = field(default_factory=dict)  # an issue's key path -> where, in words


@dataclass(frozen=True)
class EvidenceYear:
    year: int
    submitted: int  # applications with a score
    appraised: int  # of which the team's appraisal is over


def evidence_years(store: Store) -> list[EvidenceYear]:
    """The years a draft can be tried on (those with scored applications), latest first."""
    from engine.portal.overview import rows as unit_rows

    found = []
    for y in sorted((y.year for y in years(store)), reverse=True):
        rows = [r for r in unit_rows(store, y) if r.total is not None]
        if rows:
            found.append(EvidenceYear(y, len(rows), sum(1 for r in rows if r.state in APPRAISED)))
    return found


def default_evidence_year(found: list[EvidenceYear]) -> int | None:
    """The last year with appraised applications; else the last with any scored."""
    appraised = [e.year for e in found if e.appraised]
    if appraised:
        return appraised[0]
    return found[0].year if found else None


def check_draft(store: Store, data: bytes, name: str, evidence_year: int | None = None) -> DraftCheck:
    """Check a draft; tried on `evidence_year`'s applications (None: `default_evidence_year`)."""
    found = evidence_years(store)
    if evidence_year is not None and evidence_year not in {e.year for e in found}:
        raise DraftError(f"năm {evidence_year} chưa có hồ sơ đã chấm để thử bản nháp")
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
        outcome.places = _places(data, outcome.errors + outcome.warnings)
        if not report.ok or not report.valid:
            return outcome
        draft = report.valid[0]
        outcome.ref = draft.model.ref
        chosen = evidence_year if evidence_year is not None else default_evidence_year(found)
        known = years(store)
        against_year = chosen if chosen is not None else (known[-1].year if known else None)
        if against_year is None:
            return outcome
        in_force = criteria_of(store, against_year)
        outcome.against = in_force.model.ref
        outcome.evidence_year = chosen
        evidence_paths = None
        if chosen is not None:
            book = Path(tmp) / f"minh-chung-{chosen}.xlsx"
            book.write_bytes(template(store, chosen, Scope(), filled=True, pending=True))
            evidence_paths = [book]
            outcome.dossiers = next(e.submitted for e in found if e.year == chosen)
        outcome.diff = jobs.diff(str(in_force.path), str(path), evidence_paths)
    return outcome


def _places(data: bytes, issues: list[RuleIssue]) -> dict[str, str]:
    """Each issue's place in words, read from the draft as far as it parses."""
    import yaml

    from engine.rules.words import in_words

    try:
        parsed = yaml.safe_load(data.decode("utf-8", "replace"))
    except yaml.YAMLError:
        parsed = None
    return {i.key: in_words(i.key, parsed) for i in issues if i.key}


def _named(issue: RuleIssue, name: str, path: Path) -> RuleIssue:
    from dataclasses import replace

    return replace(issue, file=issue.file.replace(str(path), name))
