"""Linear between two values: 0 points at `zero_at`, full points at `full_at`, straight in between.

`zero_at` may be above `full_at` for evidence where less is better (e.g. days of delay), and then
the file says so with `decreasing: true`: a reversed pair written by mistake (99,3% scoring 0,18/5
on a 100 → 80 scale) is refused at validation, not scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import model_validator

from engine.numbers import ratio, round_points, round_ratio
from engine.rules.conditions import All, Compare, Node
from engine.rules.declarations import NUMERIC_TYPES, Ident, Strict
from engine.text import fmt

from .base import REGISTRY, Award, Evidence, Problem, Scorer, show_value


class LinearMethod(Strict):
    type: Literal["linear"]
    evidence: Ident
    zero_at: float
    full_at: float
    decreasing: bool = False  # fewer is better: `zero_at` above `full_at`, said on purpose

    @model_validator(mode="after")
    def _distinct(self) -> LinearMethod:
        if self.zero_at == self.full_at:
            raise ValueError("`zero_at` và `full_at` phải khác nhau")
        return self


def linear_points(value: float, method: LinearMethod, max_points: float) -> float:
    """The points between the two ends, computed exactly from the decimals as written and rounded
    once (engine.numbers): 99,3% from 80% (0) to 100% (5) is 4,825 and gives 4,83. In integers,
    as max·(value − zero)/(full − zero) over common denominators: this runs for every unit."""
    a, b = ratio(value)
    c, d = ratio(method.zero_at)
    e, g = ratio(method.full_at)
    h, k = ratio(max_points)
    return round_ratio(h * (a * d - c * b) * g, k * (e * d - c * g) * b)


class LinearScorer(Scorer):
    name = "linear"
    model = LinearMethod
    label = "tuyến tính"

    def conditions(self, method: LinearMethod, key: str, evidence: Evidence) -> dict[str, Node]:
        f = method.evidence
        if method.zero_at < method.full_at:
            return {
                "none": Compare(field=f, lte=method.zero_at),
                "full": Compare(field=f, gte=method.full_at),
                "between": All(
                    all=[Compare(field=f, gt=method.zero_at), Compare(field=f, lt=method.full_at)]
                ),
            }
        return {
            "none": Compare(field=f, gte=method.zero_at),
            "full": Compare(field=f, lte=method.full_at),
            "between": All(all=[Compare(field=f, lt=method.zero_at), Compare(field=f, gt=method.full_at)]),
        }

    def points(
        self,
        method: LinearMethod,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> float:
        if "full" in fired:
            return round_points(max_points)
        if "between" in fired:
            return linear_points(values.get(method.evidence) or 0, method, max_points)
        return 0.0

    def score(
        self,
        method: LinearMethod,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> Award:
        decl = evidence.get(method.evidence)
        shown = show_value(decl, values.get(method.evidence))
        points = self.points(method, max_points, fired, values, evidence)
        zero, full = show_value(decl, method.zero_at), show_value(decl, method.full_at)
        span = f"{zero} → 0, {full} → {fmt(max_points)}"  # the exact rule, for its own column
        between = f"giữa {zero} (0 điểm) và {full} ({fmt(max_points)} điểm)"
        if "full" in fired:
            reached = f"từ {full} trở xuống" if method.decreasing else f"từ {full} trở lên"
            return Award(
                points,
                f"đạt mức tối đa ({span})",
                f"{shown}: {reached} được tối đa: {fmt(max_points)}/{fmt(max_points)} điểm",
            )
        if "between" in fired:
            way = "tính theo tỷ lệ, càng thấp càng nhiều điểm" if method.decreasing else "tính theo tỷ lệ"
            rule = "giảm dần" if method.decreasing else "nội suy tuyến tính"
            return Award(
                points, f"{rule} ({span})", f"{shown}: {way} {between}: {fmt(points)}/{fmt(max_points)} điểm"
            )
        return Award(
            points,
            f"chưa đạt mức tối thiểu ({span})",
            f"{shown}: từ mức {zero} trở lên → 0 điểm"
            if method.decreasing
            else f"{shown}: chưa vượt mức {zero} → 0 điểm",
        )

    def check(self, method: LinearMethod, max_points: float, evidence: Evidence) -> list[Problem]:
        decl = evidence.get(method.evidence)
        if decl is None:
            return []
        if decl.type not in NUMERIC_TYPES:
            return [Problem(("evidence",), f"chấm tuyến tính cần trường số; “{decl.id}” là kiểu {decl.type}")]
        problems = []
        if method.zero_at > method.full_at and not method.decreasing:
            problems.append(
                Problem(
                    ("zero_at",),
                    f"`zero_at` ({fmt(method.zero_at)}) lớn hơn `full_at` ({fmt(method.full_at)}): "
                    "giá trị càng cao càng ít điểm. Nếu đúng là càng thấp càng tốt (ví dụ số ngày trễ hạn), "
                    "ghi thêm `decreasing: true`; nếu không, đổi chỗ hai số",
                )
            )
        if method.zero_at < method.full_at and method.decreasing:
            problems.append(
                Problem(
                    ("decreasing",),
                    f"`decreasing: true` nhưng `zero_at` ({fmt(method.zero_at)}) nhỏ hơn `full_at` "
                    f"({fmt(method.full_at)}): thang này tăng dần; bỏ `decreasing` hoặc đổi chỗ hai số",
                )
            )
        for key in ("zero_at", "full_at"):
            v = getattr(method, key)
            if (decl.low is not None and v < decl.low) or (decl.high is not None and v > decl.high):
                problems.append(
                    Problem((key,), f"`{key}` = {fmt(v)} nằm ngoài khoảng cho phép của “{decl.id}”")
                )
        return problems

    def describe(self, method: LinearMethod) -> str:
        kind = "Tuyến tính giảm dần (càng thấp càng nhiều điểm)" if method.decreasing else "Tuyến tính"
        return (
            f"{kind} theo {method.evidence}: {fmt(method.zero_at)} → 0 điểm, {fmt(method.full_at)} → tối đa"
        )

    def direction(self, method: LinearMethod) -> int:
        return 1 if method.full_at > method.zero_at else -1


REGISTRY.register(LinearScorer())
