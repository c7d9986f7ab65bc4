"""Pass/fail on a condition: full points when the written condition holds (a checklist target)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from engine.numbers import round_points
from engine.rules.conditions import Condition, Node, describe, fields_read
from engine.rules.declarations import Strict
from engine.text import fmt

from .base import REGISTRY, Award, Evidence, Scorer, show_value


class CheckMethod(Strict):
    type: Literal["check"]
    when: Condition


class CheckScorer(Scorer):
    name = "check"
    model = CheckMethod
    label = "đạt/không đạt theo điều kiện"

    def evidence_ids(self, method: CheckMethod) -> list[str]:
        return sorted(fields_read(method.when))

    def direct_evidence(self, method: CheckMethod) -> list[tuple[tuple[str | int, ...], str]]:
        return []  # fields are read inside `when`, checked with every condition

    def conditions(self, method: CheckMethod, key: str, evidence: Evidence) -> dict[str, Node]:
        return {"met": method.when}

    def score(
        self,
        method: CheckMethod,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> Award:
        shown = "; ".join(
            f"{f} = {show_value(evidence.get(f), values.get(f))}" for f in self.evidence_ids(method)
        )
        rule = describe(method.when)
        if "met" in fired:
            return Award(
                round_points(max_points),
                f"đạt: {rule}",
                f"{shown}: đạt điều kiện {rule}: {fmt(max_points)}/{fmt(max_points)} điểm",
            )
        return Award(0.0, f"không đạt: {rule}", f"{shown}: không đạt điều kiện {rule} → 0 điểm")

    def describe(self, method: CheckMethod) -> str:
        return f"Đạt khi {describe(method.when)}"


REGISTRY.register(CheckScorer())
