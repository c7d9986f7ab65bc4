"""The closing summary of a run: counts, the recognised share against the target, flags by kind,
per appraisal group, and per criterion the share of units at full points (a province-wide share
per target for checklist-style sets)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from fractions import Fraction
from typing import TYPE_CHECKING

from engine.numbers import exact
from engine.scoring.results import CriterionSummary, GroupSummary, Summary, UnitResult

if TYPE_CHECKING:
    from engine.intake.evidence import EvidenceSet
    from engine.rules.model import CriteriaSet


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


def _reaches(part: int, whole: int, target: float) -> bool:
    """Whether part/whole reaches the target share, exactly (120 of 200 reaches 60%)."""
    return whole > 0 and Fraction(part, whole) >= exact(target)


class CriterionTally:
    """Per criterion, how many units it applied to and how many got full points, counted as
    units are scored (the full results are not kept in memory)."""

    def __init__(self) -> None:
        self.applicable: Counter[str] = Counter()
        self.full: Counter[str] = Counter()

    def add(self, unit: UnitResult) -> None:
        for r in unit.criteria:
            if r.applicable:
                self.applicable[r.id] += 1
                if r.points >= r.max_points:
                    self.full[r.id] += 1

    def merge(self, other: CriterionTally) -> None:
        """Add the counts of units scored elsewhere (another process)."""
        self.applicable.update(other.applicable)
        self.full.update(other.full)


class _Counts:
    """What the summary counts over a set of units, added one unit at a time."""

    def __init__(self) -> None:
        self.units = self.proposed = self.recognisable = self.proposed_recognisable = 0
        self.proposed_not_recognisable = self.flags = self.evidence_issue_units = 0

    def add(self, unit: UnitResult) -> None:
        self.units += 1
        self.proposed += unit.proposed
        self.recognisable += unit.recognised
        self.proposed_recognisable += unit.proposed and unit.recognised
        self.proposed_not_recognisable += unit.proposed and not unit.recognised
        self.flags += len(unit.flags)
        self.evidence_issue_units += any(f.code == "evidence_problem" for f in unit.flags)


def summarise(
    cs: CriteriaSet, units: Iterable[UnitResult], evidence: EvidenceSet, tally: CriterionTally
) -> Summary:
    """The summary, from one pass over the units (a run's units are read from disk)."""
    flags: Counter[str] = Counter()
    whole = _Counts()
    by_group: dict[str, _Counts] = {}
    for u in units:
        flags.update(f.code for f in u.flags)
        whole.add(u)
        by_group.setdefault(u.group, _Counts()).add(u)
    waiting = Counter(w.group for w in evidence.not_submitted)
    for name in waiting:
        by_group.setdefault(name, _Counts())
    groups = [
        GroupSummary(
            group=name,
            units=c.units,
            proposed=c.proposed,
            recognisable=c.recognisable,
            proposed_not_recognisable=c.proposed_not_recognisable,
            recognised_share=_share(c.recognisable, c.units + waiting[name]),
            flags=c.flags,
            not_submitted=waiting[name],
        )
        for name, c in sorted(by_group.items())
    ]
    population = whole.units + len(evidence.not_submitted)
    scope, whole_province = scope_of(sorted(by_group), evidence.unit_list is not None)
    criteria: list[CriterionSummary] = []
    for _, c in cs.criteria():
        applicable, full = tally.applicable[c.id], tally.full[c.id]
        criteria.append(
            CriterionSummary(
                id=c.id,
                title=c.title,
                applicable_units=applicable,
                full_points_units=full,
                full_points_share=_share(full, applicable) if applicable else None,
            )
        )
    share = _share(whole.recognisable, population)
    target = cs.flags.target_share
    return Summary(
        units=whole.units,
        proposed=whole.proposed,
        recognisable=whole.recognisable,
        proposed_recognisable=whole.proposed_recognisable,
        proposed_not_recognisable=whole.proposed_not_recognisable,
        recognised_share=share,
        target_share=target,
        meets_target=None if target is None else _reaches(whole.recognisable, population, target),
        borderline=flags.get("borderline", 0),
        units_with_evidence_issues=whole.evidence_issue_units,
        evidence_issues=sum(i.kind != "replaced" for i in evidence.issues),
        replaced_by_tallies=sum(i.kind == "replaced" for i in evidence.issues),
        flags_by_code=dict(sorted(flags.items())),
        groups=groups,
        criteria=criteria,
        not_submitted=len(evidence.not_submitted),
        population=population,
        scope=scope,
        whole_province=whole_province,
    )


def scope_of(groups: list[str], unit_list: bool) -> tuple[str, bool]:
    """Whose units a run covers, in words, and whether that is the whole province: only a unit
    list given with --units is the province's list (its missing units counted as not submitted);
    a file alone is its districts, however many."""
    if len(groups) == 1:
        return groups[0], False
    if unit_list:
        return "toàn tỉnh", True
    return f"{len(groups)} nhóm thẩm định trong tệp", False


def population_text(s: Summary) -> str:
    """The population a share is taken over, as people read it beside the share."""
    where = "toàn tỉnh" if s.whole_province else f"của {s.scope}"
    return f"trong {s.population} đơn vị {where}"
