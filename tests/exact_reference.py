"""An independent reading of a criteria set, in exact arithmetic, for the tests to score against.

It shares nothing with the engine but the parsed rule file: conditions are evaluated here in
Python on exact fractions (not by durable_rules), every method's points are computed from the
decimal each value was written as and rounded once to the cent, half away from zero, and groups,
rescaling, totals and the recognition thresholds follow the rule file's own words. A test that finds
the engine and this module disagreeing on any number has found a bug in one of them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from engine.rules.conditions import All, AnyOf, Compare, Not, fields_read
from engine.rules.declarations import Tally
from engine.rules.model import CriteriaSet, Criterion


def written(value: Any) -> Fraction:
    """The decimal a number was written as: a float's shortest text, read as a fraction."""
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, float):
        return Fraction(repr(value))
    return Fraction(value)


def to_cents(value: Fraction) -> Fraction:
    """Rounded to the cent, half away from zero."""
    cents = math.floor(abs(value) * 100 + Fraction(1, 2))
    return Fraction(cents if value >= 0 else -cents, 100)


def holds(cond: Any, values: dict[str, Any]) -> bool:
    """A condition over values that are all present."""
    if isinstance(cond, All):
        return all(holds(c, values) for c in cond.all)
    if isinstance(cond, AnyOf):
        return any(holds(c, values) for c in cond.any)
    if isinstance(cond, Not):
        return not holds(cond.not_, values)
    assert isinstance(cond, Compare)
    value, op, want = values[cond.field], cond.op, cond.value
    if op == "contains":
        return want in value
    if op == "in":
        return any(_equal(value, w) for w in want)
    if op == "eq":
        return _equal(value, want)
    if op == "ne":
        return not _equal(value, want)
    a, b = written(value), written(want)
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}[op]


def _equal(value: Any, want: Any) -> bool:
    if isinstance(value, bool) or isinstance(want, bool) or isinstance(value, str) or isinstance(want, str):
        return type(value) is type(want) and value == want
    return written(value) == written(want)


def _tier(tiers: list[Any], x: Fraction) -> Fraction:
    for tier in tiers:
        low = written(tier.min)
        if x >= low and (tier.max is None or x < written(tier.max)):
            return written(tier.points)
    return Fraction(0)


def method_points(c: Criterion, values: dict[str, Any], cs: CriteriaSet) -> Fraction:
    """A criterion's exact points, rounded once, when it applies and its evidence is present."""
    m, top = c.method, written(c.points)
    kind = m.type
    if kind == "tiers":
        return to_cents(_tier(m.tiers, written(values[m.evidence])))
    if kind == "linear":
        x, zero, full = written(values[m.evidence]), written(m.zero_at), written(m.full_at)
        rising = full > zero
        if (x <= zero) if rising else (x >= zero):
            return Fraction(0)
        if (x >= full) if rising else (x <= full):
            return to_cents(top)
        return to_cents(top * (x - zero) / (full - zero))
    if kind == "yes_no":
        return to_cents(top) if values[m.evidence] is m.expect else Fraction(0)
    if kind == "check":
        return to_cents(top) if holds(m.when, values) else Fraction(0)
    if kind == "per_item":
        if m.items is not None:
            raw = sum((written(i.points) for i in m.items if holds(i.when, values)), Fraction(0))
        else:
            raw = written(m.points_each) * len(values[m.items_from])
        cap = min(written(m.cap), top) if m.cap is not None else top
        return to_cents(min(raw, cap))
    if kind == "survey":
        tallies = [values[e] for e in m.evidence if isinstance(values.get(e), Tally)]
        satisfied = sum(t.satisfied for t in tallies)
        total = sum(t.total for t in tallies)
        if total == 0 or total < m.min_respondents:
            return Fraction(0)
        return to_cents(_tier(m.tiers, Fraction(100 * satisfied, total)))
    raise AssertionError(f"no reference for method {kind}")


@dataclass
class Reference:
    criteria: dict[str, Fraction] = field(default_factory=dict)
    groups: dict[str, Fraction] = field(default_factory=dict)
    total: Fraction = Fraction(0)
    below_total: bool = False
    groups_below: list[str] = field(default_factory=list)


def score(cs: CriteriaSet, values: dict[str, Any]) -> Reference:
    ref = Reference()
    for group in cs.groups:
        earned, possible, rescaled = Fraction(0), Fraction(0), False
        for c in group.criteria:
            gate = fields_read(c.applies_when) if c.applies_when is not None else set()
            reads = set(c.scorer.evidence_ids(c.method)) | {
                f for cond in _conditions(c) for f in fields_read(cond)
            }
            if not gate <= values.keys():
                points, counted = Fraction(0), True
            elif c.applies_when is not None and not holds(c.applies_when, values):
                counted = c.not_applicable == "full"
                points = to_cents(written(c.points)) if counted else Fraction(0)
                rescaled |= not counted
            elif not reads <= values.keys():
                points, counted = Fraction(0), True
            else:
                points, counted = method_points(c, values, cs), True
            ref.criteria[c.id] = points
            if counted:
                earned += points
                possible += written(c.points)
        if not rescaled:
            points = earned
        elif possible == 0:
            points = to_cents(written(group.points))
        else:
            points = to_cents(earned * written(group.points) / possible)
        ref.groups[group.id] = points
        ref.total += points
        share = written(cs.recognition.min_group_share)
        if share > 0 and points < share * written(group.points):
            ref.groups_below.append(group.id)
    ref.below_total = ref.total < written(cs.recognition.min_total)
    return ref


def _conditions(c: Criterion) -> list[Any]:
    m = c.method
    if m.type == "check":
        return [m.when]
    if m.type == "per_item" and m.items is not None:
        return [i.when for i in m.items]
    return []
