"""The arithmetic of cqtt before 0.2.0, kept so that a re-check can read older files honestly.

Before 0.2.0, linear scores, per-item sums and rescaled groups were computed in binary floating
point and rounded after: 99,3% from 80% (0) to 100% (5) is exactly 4,825, but the float is
4,82499… and those versions gave 4,82. A results file written then shows such points 0,01 below
what the rules give. Re-checking it, the province must not take these for a team's edits: the
re-check scores the file's evidence a second time with this engine and reports apart what it
explains (engine.review.recheck). Nothing else uses it; the history store keeps old runs as they
were written.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from engine.rules.model import Criterion
from engine.scoring.engine import Engine
from engine.scoring.results import GroupResult

EXACT_SINCE = (0, 2, 0)
EXACT_SINCE_TEXT = ".".join(map(str, EXACT_SINCE))
_CENT = Decimal("0.01")


def written_before_exact(tool: str | None) -> bool:
    """Whether a file's "tool" ("cqtt 0.1.0") names a version before exact points. A file that
    does not say is taken as recent: only a version the file states can explain a difference."""
    match = re.fullmatch(r"\s*cqtt\s+(\d+)\.(\d+)\.(\d+)\S*\s*", tool or "")
    if match is None:
        return False
    return tuple(int(x) for x in match.groups()) < EXACT_SINCE


def _round(value: float) -> float:
    """The rounding of those versions: half away from zero on the float's shortest text."""
    return float(Decimal(repr(value)).quantize(_CENT, rounding=ROUND_HALF_UP))


class EngineBefore02(Engine):
    """Scores as cqtt 0.1.x did: the same rules and decisions, the arithmetic in floats."""

    def _method_points(self, c: Criterion, mine: frozenset[str], values: dict[str, Any]) -> float:
        method = c.method
        if method.type == "linear" and "between" in mine:
            value = float(values.get(method.evidence) or 0)
            share = (value - method.zero_at) / (method.full_at - method.zero_at)
            return _round(c.points * share)
        if method.type == "per_item":
            if method.items is not None:
                pairs = [(f"item:{i.id}", i.points) for i in method.items]
            else:
                decl = self.evidence.get(method.items_from or "")
                choices = decl.choices or [] if decl is not None else []
                pairs = [(f"item:{choice.id}", method.points_each or 0) for choice in choices]
            raw = sum(points for name, points in pairs if name in mine)
            return _round(min(raw, min(method.cap or c.points, c.points)))
        return super()._method_points(c, mine, values)

    def _groups(self, outcomes: list[Any], self_scores: dict[str, float]) -> list[GroupResult]:
        groups = []
        for group, members in zip(self.cs.groups, self._group_members, strict=True):
            earned = possible = 0.0
            rescaled = False
            for index, rescalable in members:
                o, c = outcomes[index], self._criteria[index][1]
                if rescalable and o.status == "not_applicable":
                    rescaled = True
                else:
                    earned += o.points
                    possible += c.points
            if not rescaled:
                points = earned
            elif possible == 0:
                points = group.points
            else:
                points = earned * group.points / possible
            groups.append(self._group_result(group, _round(points), rescaled, self_scores.get(group.id)))
        return groups
