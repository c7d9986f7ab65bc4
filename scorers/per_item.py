"""Points per item met, capped: each listed item (a condition, or a choice of a list field) adds its
points, and the sum never exceeds the cap (by default the criterion's points)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal

from pydantic import Field, model_validator

from engine.numbers import decimal, round_points
from engine.rules.conditions import Compare, Condition, Node, describe, fields_read
from engine.rules.declarations import Ident, Strict
from engine.text import fmt

from .base import REGISTRY, Award, Evidence, Problem, Scorer, show_value


class Item(Strict):
    id: Ident
    label: str
    points: float = Field(gt=0)
    when: Condition


class PerItemMethod(Strict):
    type: Literal["per_item"]
    items: list[Item] | None = Field(default=None, min_length=1)
    items_from: Ident | None = None
    points_each: float | None = Field(default=None, gt=0)
    cap: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one_source(self) -> PerItemMethod:
        if (self.items is None) == (self.items_from is None):
            raise ValueError("cần đúng một trong hai khóa `items` hoặc `items_from`")
        if self.items_from is not None and self.points_each is None:
            raise ValueError("`items_from` cần `points_each` (số điểm cho mỗi mục có)")
        if self.items is not None and self.points_each is not None:
            raise ValueError("`points_each` chỉ dùng với `items_from`; với `items` ghi `points` cho từng mục")
        return self


def expand(method: PerItemMethod, evidence: Evidence) -> list[Item]:
    """The items to score: written out, or one per declared choice of the `items_from` field."""
    if method.items is not None:
        return list(method.items)
    decl = evidence.get(method.items_from or "")
    if decl is None or not decl.choices:
        return []
    return [
        Item(
            id=c.id, label=c.label, points=method.points_each or 0, when=Compare(field=decl.id, contains=c.id)
        )
        for c in decl.choices
    ]


def _cap(method: PerItemMethod, max_points: float) -> float:
    return min(method.cap or max_points, max_points)


class PerItemScorer(Scorer):
    name = "per_item"
    model = PerItemMethod
    label = "cộng điểm theo mục, có mức trần"

    def evidence_ids(self, method: PerItemMethod) -> list[str]:
        if method.items_from:
            return [method.items_from]
        found: set[str] = set()
        for item in method.items or []:
            found |= fields_read(item.when)
        return sorted(found)

    def direct_evidence(self, method: PerItemMethod) -> list[tuple[tuple[str | int, ...], str]]:
        return [(("items_from",), method.items_from)] if method.items_from else []

    def conditions(self, method: PerItemMethod, key: str, evidence: Evidence) -> dict[str, Node]:
        return {f"item:{item.id}": item.when for item in expand(method, evidence)}

    def points(
        self,
        method: PerItemMethod,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> float:
        if method.items is not None:
            pairs = [(f"item:{i.id}", i.points) for i in method.items]
        else:
            decl = evidence.get(method.items_from or "")
            each = method.points_each or 0
            pairs = [(f"item:{c.id}", each) for c in (decl.choices or [] if decl is not None else [])]
        raw = sum((decimal(points) for name, points in pairs if name in fired), Decimal(0))
        return round_points(min(raw, decimal(_cap(method, max_points))))

    def score(
        self,
        method: PerItemMethod,
        max_points: float,
        fired: set[str],
        values: Mapping[str, Any],
        evidence: Evidence,
    ) -> Award:
        items = expand(method, evidence)
        met = [i for i in items if f"item:{i.id}" in fired]
        missing = [i for i in items if f"item:{i.id}" not in fired]
        cap = _cap(method, max_points)
        raw = sum((decimal(i.points) for i in met), Decimal(0))
        points = self.points(method, max_points, fired, values, evidence)
        capped = f" (tối đa {fmt(cap)})" if raw > decimal(cap) else ""
        rule = f"{len(met)}/{len(items)} mục đạt"
        # The items missing are what a reader acts on; when none is, the count says it all.
        if missing:
            text = f"đạt {len(met)}/{len(items)} mục, thiếu: " + ", ".join(i.label for i in missing)
        else:
            text = f"đạt đủ {len(items)}/{len(items)} mục"
        text += f": {fmt(points)}/{fmt(max_points)} điểm{capped}"
        if method.items_from:
            decl = evidence.get(method.items_from)
            text = f"{show_value(decl, values.get(method.items_from))} → " + text
        return Award(points, rule, text)

    def check(self, method: PerItemMethod, max_points: float, evidence: Evidence) -> list[Problem]:
        problems: list[Problem] = []
        if method.items_from:
            decl = evidence.get(method.items_from)
            if decl is not None and decl.type != "items":
                problems.append(
                    Problem(
                        ("items_from",),
                        f"`items_from` cần trường kiểu items; “{decl.id}” là kiểu {decl.type}",
                    )
                )
                return problems
        if method.cap is not None and method.cap > max_points:
            problems.append(
                Problem(
                    ("cap",),
                    f"mức trần {fmt(method.cap)} vượt điểm tối đa của tiêu chí ({fmt(max_points)})",
                    f"đặt `cap: {fmt(max_points)}` hoặc bỏ `cap`",
                )
            )
        items = expand(method, evidence)
        reachable = sum((decimal(i.points) for i in items), Decimal(0))
        if items and reachable < decimal(min(method.cap or max_points, max_points)):
            problems.append(
                Problem(
                    ("items" if method.items else "points_each",),
                    f"tổng điểm các mục ({fmt(float(reachable))}) không đạt điểm tối đa "
                    f"của tiêu chí ({fmt(max_points)})",
                    "tăng điểm các mục hoặc giảm điểm tiêu chí",
                )
            )
        seen: set[str] = set()
        for index, item in enumerate(method.items or []):
            if item.id in seen:
                problems.append(Problem(("items", index, "id"), f"mã mục “{item.id}” bị trùng"))
            seen.add(item.id)
        return problems

    def describe(self, method: PerItemMethod) -> str:
        cap = f", tối đa {fmt(method.cap)}" if method.cap else ""
        if method.items_from:
            return f"{fmt(method.points_each or 0)} điểm mỗi mục có trong {method.items_from}{cap}"
        parts = "; ".join(f"{i.label} ({describe(i.when)}): {fmt(i.points)}" for i in method.items or [])
        return f"Cộng điểm theo mục: {parts}{cap}"

    def direction(self, method: PerItemMethod) -> int:
        return 1 if method.items_from else 0


REGISTRY.register(PerItemScorer())
