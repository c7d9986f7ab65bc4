"""Scoring many units at once gives each unit the result it gets alone: the rules engine sees a
batch of facts in one session, and results already made for the same values are given again."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import load_text

from engine.intake.evidence import Application, read_evidence
from engine.rules.compiler import RulesetPlan
from engine.scoring import engine as engine_module
from engine.scoring import rete
from engine.scoring.engine import Engine
from engine.scoring.results import UnitResult
from engine.scoring.seal import Sealer, content_of

SAMPLE = Path(__file__).parent.parent / "samples" / "bac-giang-2024.xlsx"


@pytest.fixture(scope="module")
def sample_apps(bg2024) -> list[Application]:  # type: ignore[no-untyped-def]
    apps = list(read_evidence([SAMPLE], bg2024.model).applications)
    assert len(apps) > 100
    return apps


def test_a_batch_scores_each_unit_as_scored_alone_with_nothing_kept(
    bg2024, sample_apps: list[Application], monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    batch = Engine(bg2024).score_batch(sample_apps)
    monkeypatch.setattr(engine_module, "CRITERION_CACHE_SIZE", 0)
    monkeypatch.setattr(engine_module, "MADE_CACHE_SIZE", 0)
    monkeypatch.setattr(engine_module, "USED_PER_EVIDENCE", 0)
    monkeypatch.setattr(engine_module, "ANSWERS_KEPT", 0)
    monkeypatch.setattr(Sealer, "ITEM_TEXTS", 0)
    monkeypatch.setattr(rete, "REMEMBERED", 0)
    rete.forget()
    plain = Engine(bg2024)
    alone = [plain.score(app) for app in sample_apps]
    assert not any(plain._kept.values()) and not plain._sealer._texts and not plain._answers
    assert not any(known for *_, known in rete._plans.values())
    assert [u.model_dump_json() for u in batch] == [u.model_dump_json() for u in alone]
    assert len({u.total for u in batch}) > 10 and any(not u.recognised for u in batch)


def test_the_seal_made_while_scoring_is_the_digest_of_the_units_content(
    engine2024: Engine, sample_apps: list[Application]
) -> None:
    for unit in engine2024.score_batch(sample_apps):
        sealed = content_of(engine2024.cs, unit).digests()
        assert unit.seal == {"criteria": sealed["criteria"], "evidence": sealed["evidence"]}


def test_a_fact_of_a_batch_matching_no_rule_costs_the_others_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """durable_rules answers "not handled" for a whole batch when one fact matches no rule, yet
    asserts the others: their firings must still be collected."""
    monkeypatch.setattr(rete, "REMEMBERED", 0)  # every batch asserted, none answered from memory
    plan = _one_ruleset("count")
    facts = [{"e0": 7}, {"e0": -1}, {"e0": 2}, {}, {"e0": 5}]
    alone = [rete.run(plan, fact) for fact in facts]
    assert alone[1] == set() and alone[3] == set() and all(alone[i] for i in (0, 2, 4))
    assert rete.run_batch(plan, facts) == alone
    assert rete.run_batch(plan, [{"e0": -1}, {"e0": 9}]) == [set(), alone[0]]


def test_a_packed_result_unpacks_to_the_full_result(
    engine2024: Engine, sample_apps: list[Application]
) -> None:
    units = engine2024.score_batch(sample_apps[:40])
    for unit in units:
        made = [engine2024._result_json.get(id(r)) for r in unit.criteria]
        with_dictionary = unit.packed(made, engine2024._dictionary)
        plain = unit.packed()
        assert with_dictionary.criteria == [] and with_dictionary.code == unit.code
        for light in (with_dictionary, plain):
            assert light.full().model_dump_json() == unit.model_dump_json()
    assert any(x is not None for x in made) and isinstance(units[0], UnitResult)


def test_facts_met_again_get_the_answer_durable_rules_gave(monkeypatch: pytest.MonkeyPatch) -> None:
    """A ruleset's answer for the same fields is the same: answers kept, and facts repeated in
    a batch, give what asserting each fact gives."""
    plan = _one_ruleset("number")
    facts = [{"e0": 7}, {"e0": 2}, {"e0": 7}, {"e0": 7.0}, {"e0": 2}, {"e0": 5.5}]
    monkeypatch.setattr(rete, "REMEMBERED", 0)
    alone = [rete.run(plan, fact) for fact in facts]
    assert alone[0] != alone[1]
    monkeypatch.setattr(rete, "REMEMBERED", 2)  # the first two bodies met are kept
    rete.forget()
    first = rete.run_batch(plan, facts)
    again = rete.run_batch(plan, list(reversed(facts)))
    assert first == alone and again == list(reversed(alone))
    assert len(rete._plans[plan.name][2]) == 2


def test_each_method_gives_the_points_its_explanation_gives(bg2024, sample_apps: list[Application]) -> None:  # type: ignore[no-untyped-def]
    """Scoring adds up Scorer.points; outputs write Scorer.score: they must agree everywhere."""
    engine = Engine(bg2024)
    seen: set[str] = set()
    decided = engine._fired_batch([a.values for a in sample_apps])
    for app, (_, decisions) in zip(sample_apps, decided, strict=True):
        for _, c in engine._criteria:
            if not app.values.keys() >= set(c.evidence_read()):
                continue
            mine = set(decisions.get(c.id, frozenset()))
            award = c.scorer.score(c.method, c.points, mine, app.values, engine.evidence)
            assert c.scorer.points(c.method, c.points, mine, app.values, engine.evidence) == award.points
            seen.add(c.scorer.name)
    assert {"linear", "tiers", "survey", "per_item", "yes_no"} <= seen


def test_the_cycle_collector_runs_again_after_a_batch(
    engine2024: Engine, sample_apps: list[Application]
) -> None:
    import gc

    assert gc.isenabled()
    engine2024.decide_batch(sample_apps[:5])
    assert gc.isenabled()
    with pytest.raises(AttributeError):
        engine2024.decide_batch([None])  # type: ignore[list-item]
    assert gc.isenabled()


def _one_ruleset(kind: str) -> RulesetPlan:
    """The evidence ruleset of a set with one criterion: tiers on one field of type `kind`."""
    text = (
        'id: lo\ntitle: Lô\nversion: "2024"\nstatus: model\neffective: {from: 2024-01-01}\nscale: 1\n'
        f"evidence:\n  - {{id: e0, type: {kind}, max: 100, label: Trường 0}}\n"
        "groups:\n  - id: nhom\n    title: Nhóm\n    points: 1\n    criteria:\n"
        "      - id: c0\n        title: Tiêu chí 0\n        points: 1\n        method:\n"
        "          type: tiers\n          evidence: e0\n          tiers:\n"
        "            - {min: 0, max: 5, points: 0}\n            - {min: 5, points: 1}\n"
        "recognition: {min_total: 1}\n"
    )
    return Engine(load_text(text, "lo.yaml")).compiled.evidence[0]
