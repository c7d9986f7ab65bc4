"""Properties over generated evidence: totals stay within the scale, and better evidence never
lowers a monotone criterion."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.intake.evidence import Application
from engine.rules.declarations import EvidenceDecl, Tally
from engine.scoring.engine import Engine


def _number(low: float, high: float) -> st.SearchStrategy[float]:
    """Numbers the evidence reader can produce: 0, or within [0.0001, 1e12)."""
    return st.floats(min_value=low, max_value=high, allow_nan=False).map(
        lambda x: 0.0 if abs(x) < 1e-4 else x
    )


def _value(decl: EvidenceDecl) -> st.SearchStrategy[Any]:
    if decl.type == "percent":
        return _number(0, 100)
    if decl.type == "count":
        return st.integers(min_value=0, max_value=int(decl.high or 1000))
    if decl.type == "number":
        return _number(decl.low or 0, decl.high or 1e6)
    if decl.type == "yes_no":
        return st.booleans()
    if decl.type == "items":
        return st.frozensets(st.sampled_from(decl.choice_ids()))
    if decl.type == "choice":
        return st.sampled_from(decl.choice_ids())
    return st.integers(min_value=0, max_value=400).flatmap(
        lambda total: st.integers(min_value=0, max_value=total).map(
            lambda sat: Tally(satisfied=sat, total=total)
        )
    )


def _evidence(engine: Engine) -> st.SearchStrategy[dict[str, Any]]:
    """Typed evidence for every field; any field may also be missing."""
    fields = {
        d.id: st.one_of(st.none(), _value(d)) if not d.required or d.type != "survey" else _value(d)
        for d in engine.cs.evidence
    }
    return st.fixed_dictionaries(fields).map(
        lambda values: {k: v for k, v in values.items() if v is not None}
    )


def _app(values: dict[str, Any]) -> Application:
    return Application(
        code="P",
        name="P",
        group="G",
        year=2024,
        proposed=True,
        self_score=None,
        group_self_scores={},
        values=values,
        invalid={},
        source="(hypothesis)",
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_totals_and_groups_stay_within_their_scale(engine2024: Engine, data) -> None:
    unit = engine2024.score(_app(data.draw(_evidence(engine2024))))
    assert 0 <= unit.total <= engine2024.cs.scale
    for group in unit.groups:
        assert 0 <= group.points <= group.max_points + 1e-9
    for c in unit.criteria:
        assert 0 <= c.points <= c.max_points


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_better_evidence_never_lowers_a_monotone_criterion(engine2024: Engine, data) -> None:
    values = data.draw(_evidence(engine2024))
    monotone = [
        (g, c)
        for g, c in engine2024.cs.criteria()
        if c.scorer.direction(c.method) != 0 and c.method.type != "survey"
    ]
    group, criterion = data.draw(st.sampled_from(monotone))
    field = criterion.scorer.evidence_ids(criterion.method)[0]
    decl = engine2024.evidence[field]
    if field not in values:
        return
    direction = criterion.scorer.direction(criterion.method)
    current = values[field]
    if decl.type == "yes_no":
        better = direction > 0
    elif decl.type == "items":
        better = current | frozenset(data.draw(st.frozensets(st.sampled_from(decl.choice_ids()))))
    else:
        step = data.draw(_number(0, 50))
        better = current + direction * step
        if decl.type == "count":
            better = int(round(better))
        high, low = decl.high, decl.low
        better = min(better, high) if high is not None else better
        better = max(better, low) if low is not None else better
        better = 0.0 if abs(better) < 1e-4 else better
    before = next(c for c in engine2024.score(_app(values)).criteria if c.id == criterion.id)
    after = next(
        c for c in engine2024.score(_app({**values, field: better})).criteria if c.id == criterion.id
    )
    assert after.points >= before.points, (criterion.id, current, better)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_more_satisfied_respondents_never_lower_a_survey_criterion(engine2024: Engine, data) -> None:
    values = data.draw(_evidence(engine2024))
    field = "ks_pks01"
    tally = data.draw(_value(engine2024.evidence[field]))
    extra = data.draw(st.integers(min_value=0, max_value=tally.total - tally.satisfied))
    before = engine2024.score(_app({**values, field: tally}))
    after = engine2024.score(
        _app({**values, field: Tally(satisfied=tally.satisfied + extra, total=tally.total)})
    )
    pick = [c for c in before.criteria if c.id == "hai_long_can_bo"][0]
    pick_after = [c for c in after.criteria if c.id == "hai_long_can_bo"][0]
    assert pick_after.points >= pick.points


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_scoring_is_deterministic(engine2024: Engine, data) -> None:
    values = data.draw(_evidence(engine2024))
    first = engine2024.score(_app(values)).model_dump()
    second = engine2024.score(_app(dict(reversed(list(values.items()))))).model_dump()
    assert first == second
