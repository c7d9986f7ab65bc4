"""Tiers on one value: `[min, max)` bands, each worth fixed points (e.g. >=98% -> 8, >=95% -> 6)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import Field

from engine.numbers import round_points
from engine.rules.conditions import All, Compare, Node
from engine.rules.declarations import NUMERIC_TYPES, Ident, Strict
from engine.text import fmt

from .base import REGISTRY, Award, Evidence, Problem, Scorer, show_value


class Tier(Strict):
    """A band of values: `min` included, `max` excluded; the top tier has no `max`."""

    min: float
    max: float | None = None
    points: float = Field(ge=0)
    label: str | None = None

    def describe(self, unit: str = "") -> str:
        if self.max is None:
            return f"≥ {fmt(self.min)}{unit}"
        return f"từ {fmt(self.min)}{unit} đến dưới {fmt(self.max)}{unit}"


class TiersMethod(Strict):
    type: Literal["tiers"]
    evidence: Ident
    tiers: list[Tier] = Field(min_length=1)


def tier_conditions(field: str, tiers: Sequence[Tier]) -> dict[str, Node]:
    """One decision per tier, named `tier0`, `tier1`, ... in the order written."""
    found: dict[str, Node] = {}
    for index, tier in enumerate(tiers):
        low = Compare(field=field, gte=tier.min)
        found[f"tier{index}"] = low if tier.max is None else All(all=[low, Compare(field=field, lt=tier.max)])
    return found


def matched_tier(tiers: Sequence[Tier], fired: set[str]) -> tuple[int, Tier] | None:
    for index, tier in enumerate(tiers):
        if f"tier{index}" in fired:
            return index, tier
    return None


def tier_points(tiers: Sequence[Tier], fired: set[str]) -> float:
    """The points of the tier that matched, 0 when none did."""
    hit = matched_tier(tiers, fired)
    return 0.0 if hit is None else round_points(hit[1].points)


def check_tiers(
    tiers: Sequence[Tier], max_points: float, low: float | None, high: float | None
) -> list[Problem]:
    """Tiers are written from the lowest band up, touch without overlap or gap and reach the top."""
    problems: list[Problem] = []
    for i, tier in enumerate(tiers):
        if tier.max is not None and tier.max <= tier.min:
            problems.append(
                Problem(
                    ("tiers", i, "max"),
                    f"bậc {i + 1}: `max` ({fmt(tier.max)}) phải lớn hơn `min` ({fmt(tier.min)})",
                )
            )
        if tier.points > max_points:
            problems.append(
                Problem(
                    ("tiers", i, "points"),
                    f"bậc {i + 1} cho {fmt(tier.points)} điểm, vượt điểm tối đa "
                    f"của tiêu chí ({fmt(max_points)})",
                )
            )
        if i + 1 < len(tiers):
            nxt = tiers[i + 1]
            if nxt.min < tier.min:
                problems.append(
                    Problem(
                        ("tiers", i + 1, "min"),
                        "các bậc phải viết theo thứ tự tăng dần của `min`",
                        "sắp xếp lại các bậc từ thấp đến cao",
                    )
                )
            elif tier.max is None:
                problems.append(
                    Problem(
                        ("tiers", i, "max"),
                        f"bậc {i + 1} không có `max` nhưng chưa phải bậc cao nhất",
                        f"thêm `max: {fmt(nxt.min)}`",
                    )
                )
            elif tier.max > nxt.min:
                problems.append(
                    Problem(
                        ("tiers", i + 1, "min"),
                        f"bậc {i + 1} và bậc {i + 2} chồng lên nhau ({fmt(nxt.min)} < {fmt(tier.max)})",
                        f"đặt `min: {fmt(tier.max)}` cho bậc {i + 2}",
                    )
                )
            elif tier.max < nxt.min:
                problems.append(
                    Problem(
                        ("tiers", i + 1, "min"),
                        f"bỏ trống khoảng từ {fmt(tier.max)} đến {fmt(nxt.min)} "
                        f"giữa bậc {i + 1} và bậc {i + 2}",
                        f"đặt `min: {fmt(tier.max)}` cho bậc {i + 2}",
                    )
                )
    last = tiers[-1]
    if last.max is not None:
        problems.append(
            Problem(
                ("tiers", len(tiers) - 1, "max"),
                "bậc cao nhất không được có `max` (giá trị lớn hơn sẽ không có bậc)",
                "bỏ khóa `max` của bậc cao nhất",
            )
        )
    if low is not None and tiers[0].min > low:
        problems.append(
            Problem(
                ("tiers", 0, "min"),
                f"bỏ trống khoảng từ {fmt(low)} đến {fmt(tiers[0].min)} (dưới bậc thấp nhất)",
                f"thêm bậc `{{min: {fmt(low)}, max: {fmt(tiers[0].min)}, points: 0}}`",
            )
        )
    if max(t.points for t in tiers) != max_points:
        problems.append(
            Problem(
                ("tiers",),
                f"không bậc nào cho đủ {fmt(max_points)} điểm của tiêu chí",
                "bậc cao nhất nên cho đủ điểm tối đa",
            )
        )
    return problems


def tiers_direction(tiers: Sequence[Tier]) -> int:
    points = [t.points for t in tiers]
    if all(a <= b for a, b in zip(points, points[1:], strict=False)):
        return 1
    if all(a >= b for a, b in zip(points, points[1:], strict=False)):
        return -1
    return 0


class TiersScorer(Scorer):
    name = "tiers"
    model = TiersMethod
    label = "theo bậc"

    def conditions(self, method: TiersMethod, key: str, evidence: Evidence) -> dict[str, Node]:
        return tier_conditions(method.evidence, method.tiers)

    def points(
        self,
        method: TiersMethod,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> float:
        return tier_points(method.tiers, fired)

    def score(
        self,
        method: TiersMethod,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> Award:
        decl = evidence.get(method.evidence)
        shown = show_value(decl, values.get(method.evidence))
        unit = "%" if decl is not None and decl.type == "percent" else ""
        hit = matched_tier(method.tiers, fired)
        if hit is None:
            return Award(0.0, "không thuộc bậc nào", f"{shown}: không thuộc bậc nào → 0 điểm")
        index, tier = hit
        rule = f"bậc {index + 1} ({tier.label or tier.describe(unit)})"
        points = tier_points(method.tiers, fired)
        return Award(points, rule, f"{shown} → {rule}: {fmt(points)}/{fmt(max_points)} điểm")

    def check(self, method: TiersMethod, max_points: float, evidence: Evidence) -> list[Problem]:
        decl = evidence.get(method.evidence)
        if decl is None:
            return []
        if decl.type not in NUMERIC_TYPES:
            return [
                Problem(
                    ("evidence",),
                    f"chấm theo bậc cần trường số, tỷ lệ % hoặc số lượng; “{decl.id}” là kiểu {decl.type}",
                )
            ]
        return check_tiers(method.tiers, max_points, decl.low, decl.high)

    def describe(self, method: TiersMethod) -> str:
        bands = "; ".join(f"{t.describe()}: {fmt(t.points)}" for t in reversed(method.tiers))
        return f"Theo bậc của {method.evidence}: {bands}"

    def direction(self, method: TiersMethod) -> int:
        return tiers_direction(method.tiers)


REGISTRY.register(TiersScorer())
