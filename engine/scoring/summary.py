"""The closing summary of a run: counts, the recognised share against the target, flags by kind,
per appraisal group, and per criterion the share of units at full points (a province-wide share
per target for checklist-style sets)."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

from engine.scoring.results import CriterionSummary, GroupSummary, Summary, UnitResult

if TYPE_CHECKING:
    from engine.intake.evidence import EvidenceSet
    from engine.rules.model import CriteriaSet


def _share(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


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


def summarise(
    cs: CriteriaSet, units: list[UnitResult], evidence: EvidenceSet, tally: CriterionTally
) -> Summary:
    flags = Counter(f.code for u in units for f in u.flags)
    groups: list[GroupSummary] = []
    for name in sorted({u.group for u in units}):
        mine = [u for u in units if u.group == name]
        groups.append(
            GroupSummary(
                group=name,
                units=len(mine),
                proposed=sum(u.proposed for u in mine),
                recognisable=sum(u.recognised for u in mine),
                proposed_not_recognisable=sum(u.proposed and not u.recognised for u in mine),
                recognised_share=_share(sum(u.recognised for u in mine), len(mine)),
                flags=sum(len(u.flags) for u in mine),
            )
        )
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
    recognisable = sum(u.recognised for u in units)
    share = _share(recognisable, len(units))
    target = cs.flags.target_share
    return Summary(
        units=len(units),
        proposed=sum(u.proposed for u in units),
        recognisable=recognisable,
        proposed_recognisable=sum(u.proposed and u.recognised for u in units),
        proposed_not_recognisable=sum(u.proposed and not u.recognised for u in units),
        recognised_share=share,
        target_share=target,
        meets_target=None if target is None else share >= target,
        borderline=flags.get("borderline", 0),
        units_with_evidence_issues=sum(any(f.code == "evidence_problem" for f in u.flags) for u in units),
        evidence_issues=len(evidence.issues),
        flags_by_code=dict(sorted(flags.items())),
        groups=groups,
        criteria=criteria,
    )
