"""Survey share: the share of respondents satisfied or very satisfied (as in SIPAS), summed over
one or more survey tallies, scored by tiers, with a minimum number of respondents."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field

from engine.rules.conditions import Compare, Node
from engine.rules.declarations import Ident, Strict, Tally
from engine.text import fmt

from .base import REGISTRY, Award, Evidence, Problem, Scorer
from .tiers import Tier, check_tiers, matched_tier, tier_conditions, tier_points, tiers_direction


class SurveyMethod(Strict):
    type: Literal["survey"]
    evidence: list[Ident] = Field(min_length=1)
    min_respondents: int = Field(default=0, ge=0)
    tiers: list[Tier] = Field(min_length=1)


def share_key(key: str) -> str:
    return f"{key}__share"


def count_key(key: str) -> str:
    return f"{key}__n"


class SurveyScorer(Scorer):
    name = "survey"
    model = SurveyMethod
    label = "tỷ lệ hài lòng theo phiếu khảo sát"

    def evidence_ids(self, method: SurveyMethod) -> list[str]:
        return list(method.evidence)

    def direct_evidence(self, method: SurveyMethod) -> list[tuple[tuple[str | int, ...], str]]:
        return [(("evidence", i), e) for i, e in enumerate(method.evidence)]

    def conditions(self, method: SurveyMethod, key: str, evidence: Evidence) -> dict[str, Node]:
        found = tier_conditions(share_key(key), method.tiers)
        found["enough"] = Compare(field=count_key(key), gte=method.min_respondents)
        return found

    def derived(self, method: SurveyMethod, key: str, values: Mapping[str, Any]) -> dict[str, Any]:
        tallies = [values[e] for e in method.evidence if isinstance(values.get(e), Tally)]
        satisfied = sum(t.satisfied for t in tallies)
        total = sum(t.total for t in tallies)
        facts: dict[str, Any] = {count_key(key): total}
        if total:
            facts[share_key(key)] = 100.0 * satisfied / total
        return facts

    def points(
        self,
        method: SurveyMethod,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> float:
        if "enough" not in fired or not _respondents(method, values):
            return 0.0
        return tier_points(method.tiers, fired)

    def score(
        self,
        method: SurveyMethod,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> Award:
        tallies = [values[e] for e in method.evidence if isinstance(values.get(e), Tally)]
        satisfied = sum(t.satisfied for t in tallies)
        total = sum(t.total for t in tallies)
        if "enough" not in fired or total == 0:
            return Award(
                0.0,
                "chưa đủ số phiếu",
                f"{total} phiếu, cần tối thiểu {max(method.min_respondents, 1)} → 0 điểm",
            )
        share = 100.0 * satisfied / total
        shown = f"{satisfied}/{total} phiếu hài lòng ({fmt(round(share, 2))}%)"
        hit = matched_tier(method.tiers, fired)
        if hit is None:
            return Award(0.0, "không thuộc bậc nào", f"{shown}: không thuộc bậc nào → 0 điểm")
        index, tier = hit
        rule = f"bậc {index + 1} ({tier.label or tier.describe('%')})"
        points = tier_points(method.tiers, fired)
        return Award(points, rule, f"{shown} → {rule}: {fmt(points)}/{fmt(max_points)} điểm")

    def check(self, method: SurveyMethod, max_points: float, evidence: Evidence) -> list[Problem]:
        problems = []
        for index, ev in enumerate(method.evidence):
            decl = evidence.get(ev)
            if decl is not None and decl.type != "survey":
                problems.append(
                    Problem(
                        ("evidence", index),
                        f"chấm theo phiếu khảo sát cần trường kiểu survey; “{ev}” là kiểu {decl.type}",
                    )
                )
        return problems + check_tiers(method.tiers, max_points, 0.0, 100.0)

    def describe(self, method: SurveyMethod) -> str:
        bands = "; ".join(f"{t.describe('%')}: {fmt(t.points)}" for t in reversed(method.tiers))
        need = f", tối thiểu {method.min_respondents} phiếu" if method.min_respondents else ""
        return f"Tỷ lệ hài lòng ({', '.join(method.evidence)}){need}: {bands}"

    def direction(self, method: SurveyMethod) -> int:
        return tiers_direction(method.tiers)


def _respondents(method: SurveyMethod, values: Mapping[str, Any]) -> int:
    return sum(t.total for e in method.evidence if isinstance(t := values.get(e), Tally))


REGISTRY.register(SurveyScorer())
