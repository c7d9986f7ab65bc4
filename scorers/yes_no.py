"""Yes/no: full points when a yes/no evidence field has the expected answer, none otherwise."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from engine.numbers import round_points
from engine.rules.conditions import Compare, Node
from engine.rules.declarations import Ident, Strict
from engine.text import fmt

from .base import REGISTRY, Award, Evidence, Problem, Scorer, show_value


class YesNoMethod(Strict):
    type: Literal["yes_no"]
    evidence: Ident
    expect: bool = True


class YesNoScorer(Scorer):
    name = "yes_no"
    model = YesNoMethod
    label = "có/không"

    def conditions(self, method: YesNoMethod, key: str, evidence: Evidence) -> dict[str, Node]:
        return {"met": Compare(field=method.evidence, eq=method.expect)}

    def score(
        self,
        method: YesNoMethod,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> Award:
        shown = show_value(evidence.get(method.evidence), values.get(method.evidence))
        want = "Có" if method.expect else "Không"
        if "met" in fired:
            return Award(
                round_points(max_points),
                f"đạt (cần “{want}”)",
                f"{shown}: đạt yêu cầu “{want}”: {fmt(max_points)}/{fmt(max_points)} điểm",
            )
        return Award(0.0, f"không đạt (cần “{want}”)", f"{shown}: không đạt yêu cầu “{want}” → 0 điểm")

    def check(self, method: YesNoMethod, max_points: float, evidence: Evidence) -> list[Problem]:
        decl = evidence.get(method.evidence)
        if decl is not None and decl.type != "yes_no":
            return [
                Problem(
                    ("evidence",),
                    f"chấm có/không cần trường kiểu yes_no; “{decl.id}” là kiểu {decl.type}",
                    "dùng `type: check` với điều kiện `when` cho trường khác",
                )
            ]
        return []

    def describe(self, method: YesNoMethod) -> str:
        return f"Có/không: {method.evidence} = {'Có' if method.expect else 'Không'}"

    def direction(self, method: YesNoMethod) -> int:
        return 1 if method.expect else -1


REGISTRY.register(YesNoScorer())
