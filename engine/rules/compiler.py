"""Compile a criteria set into durable_rules rulesets in their JSON form.

Nothing here imports durable_rules: the output is plain data, handed to `engine.scoring.rete`, the one
module that talks to the rules engine. The compiler respects the limits measured on durable_rules
2.0.28 (see the project notes):

* at most 64 alpha conditions reachable for one message -> rulesets are cut per criterion group and
  again when a group holds more than `MAX_CONDITIONS` comparisons;
* at most 255 properties in a fact -> each ruleset records the fact keys its rules read, and only
  those are asserted to it;
* no general negation -> `not` is pushed down to the comparisons before compiling.

Rule names say what they decide: `c.<criterion>.<decision>` for a scoring decision,
`a.<criterion>` for an applicability condition, `d.<id>` for a disqualifier, `r.<id>` for a
requirement and `rec.*` for the recognition rule.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from engine.numbers import ceil_points, exact
from engine.rules.conditions import Node, normalise
from engine.rules.model import CriteriaSet, Criterion, Recognition

MAX_CONDITIONS = 48  # below the measured 64, to leave room for the engine's own nodes
WARMUP_RULE = "warmup"  # see engine.scoring.rete: every ruleset must handle one message before use
WARMUP_KEY = "cqtt__warmup"  # never an evidence key: ids cannot contain "__"
MAX_FACT_KEYS = 200  # below the measured 255


@dataclass(frozen=True)
class Decision:
    """One compiled rule: what it decides, for whom, and which fact keys it reads."""

    rule: str
    kind: str  # "method", "applies", "disqualifier", "requirement", "recognition"
    owner: str
    local: str
    expression: Any
    keys: frozenset[str]
    size: int


@dataclass
class RulesetPlan:
    name: str
    decisions: list[Decision] = field(default_factory=list)

    @property
    def keys(self) -> frozenset[str]:
        found: set[str] = set()
        for d in self.decisions:
            found |= d.keys
        return frozenset(found)

    @property
    def size(self) -> int:
        return sum(d.size for d in self.decisions)

    def definition(self) -> dict[str, Any]:
        rules = {d.rule: {"all": [{"m": d.expression}], "run": d.rule} for d in self.decisions}
        rules[WARMUP_RULE] = {"all": [{"m": {WARMUP_KEY: True}}], "run": WARMUP_RULE}
        return rules


@dataclass
class CompiledSet:
    """All rulesets of one criteria version: evidence rulesets first, then recognition."""

    prefix: str
    evidence: list[RulesetPlan]
    recognition: list[RulesetPlan]

    @property
    def all(self) -> list[RulesetPlan]:
        return [*self.evidence, *self.recognition]

    def to_json(self) -> str:
        return json.dumps({r.name: r.definition() for r in self.all}, ensure_ascii=False, indent=1)


class CompileError(ValueError):
    """A criterion cannot be compiled within the engine's limits; `owner` names it."""

    def __init__(self, owner: str, message: str) -> None:
        self.owner = owner
        super().__init__(message)


def expression(normal: tuple[Any, ...]) -> tuple[Any, set[str], int]:
    """durable_rules expression for a normalised condition, its fact keys, and its leaf count."""
    tag = normal[0]
    if tag == "cmp":
        _, key, op, value = normal
        if op == "eq":
            return {key: value}, {key}, 1
        name = "$neq" if op == "ne" else f"${op}"
        return {name: {key: value}}, {key}, 1
    if tag == "has":
        _, key, item, present = normal
        fact_key = item_key(key, item)
        return {fact_key: present}, {fact_key}, 1
    parts = [expression(p) for p in normal[1]]
    keys: set[str] = set()
    for _, k, _ in parts:
        keys |= k
    size = sum(n for _, _, n in parts)
    if len(parts) == 1:
        return parts[0][0], keys, size
    return {"$and" if tag == "and" else "$or": [p for p, _, _ in parts]}, keys, size


def item_key(field_id: str, item: str) -> str:
    """Fact key of the boolean "item present" derived from a list-of-items field."""
    return f"{field_id}__{item}"


def decision(rule: str, kind: str, owner: str, local: str, cond: Node) -> Decision:
    expr, keys, size = expression(normalise(cond))
    return Decision(rule, kind, owner, local, expr, frozenset(keys), size)


def criterion_decisions(criteria_set: CriteriaSet, criterion: Criterion) -> list[Decision]:
    evidence = criteria_set.evidence_by_id()
    found = []
    if criterion.applies_when is not None:
        found.append(
            decision(f"a.{criterion.id}", "applies", criterion.id, "applies", criterion.applies_when)
        )
    conditions = criterion.scorer.conditions(criterion.method, criterion.id, evidence)
    for local, cond in conditions.items():
        found.append(decision(f"c.{criterion.id}.{local}", "method", criterion.id, local, cond))
    return found


def _pack(prefix: str, label: str, batches: list[list[Decision]]) -> list[RulesetPlan]:
    """Fill rulesets with whole batches (a criterion's decisions stay together) up to the limits."""
    plans: list[RulesetPlan] = []
    current = RulesetPlan(f"{prefix}.{label}.0")
    for batch in batches:
        size = sum(d.size for d in batch)
        keys = set().union(*(d.keys for d in batch)) if batch else set()
        if size > MAX_CONDITIONS or len(keys) > MAX_FACT_KEYS:
            raise CompileError(
                batch[0].owner,
                f"“{batch[0].owner}” có {size} phép so sánh và {len(keys)} trường; "
                f"bộ máy luật chỉ nhận tối đa {MAX_CONDITIONS} phép so sánh và "
                f"{MAX_FACT_KEYS} trường cho một tiêu chí",
            )
        if current.decisions and (
            current.size + size > MAX_CONDITIONS or len(current.keys | keys) > MAX_FACT_KEYS
        ):
            plans.append(current)
            current = RulesetPlan(f"{prefix}.{label}.{len(plans)}")
        current.decisions.extend(batch)
    if current.decisions:
        plans.append(current)
    return plans


def compile_set(criteria_set: CriteriaSet, digest: str) -> CompiledSet:
    """Rulesets for one criteria version; `digest` (the file hash) makes the names unique."""
    prefix = f"cqtt.{criteria_set.id}.{criteria_set.version}.{digest[:12]}"
    evidence_plans: list[RulesetPlan] = []
    for group in criteria_set.groups:
        batches = [criterion_decisions(criteria_set, c) for c in group.criteria]
        evidence_plans.extend(_pack(prefix, f"g.{group.id}", batches))
    gates = [[decision(f"d.{d.id}", "disqualifier", d.id, "hit", d.when)] for d in criteria_set.disqualifiers]
    gates += [
        [decision(f"r.{r.id}", "requirement", r.id, "met", r.when)]
        for r in criteria_set.recognition.requirements
    ]
    evidence_plans.extend(_pack(prefix, "gates", gates))
    return CompiledSet(prefix, evidence_plans, _pack(prefix, "rec", recognition_batches(criteria_set)))


def recognition_batches(criteria_set: CriteriaSet) -> list[list[Decision]]:
    """The recognition rule as decisions over computed results (total, group shares, mandatory)."""
    rec = criteria_set.recognition
    found = [[_computed("rec.total", "total", "total", "gte", rec.min_total)]]
    if rec.min_group_share > 0:  # on the group's points: two decimals, compared exactly
        found += [
            [_computed(f"rec.group.{g.id}", g.id, group_key(g.id), "gte", group_minimum(g.points, rec))]
            for g in criteria_set.groups
        ]
    if rec.require_mandatory:
        for _, c in criteria_set.criteria():
            if c.is_mandatory:
                need = c.mandatory_min_points
                found.append(
                    [
                        _computed(
                            f"rec.mandatory.{c.id}",
                            c.id,
                            mandatory_key(c.id),
                            "gt" if need is None else "gte",
                            need or 0,
                        )
                    ]
                )
    return found


def _computed(rule: str, owner: str, key: str, op: str, value: float) -> Decision:
    return Decision(
        rule, "recognition", owner, rule.split(".")[1], {f"${op}": {key: value}}, frozenset({key}), 1
    )


def group_minimum(group_points: float, rec: Recognition) -> float:
    """The fewest points a group may have, to two decimals: `min_group_share` of the group's
    points, rounded up to the cent, so that points at or above it are exactly the points whose
    share of the group is at least `min_group_share` (half of 13 is 6,5; a third of 10 is 3,34)."""
    return ceil_points(exact(rec.min_group_share) * exact(group_points))


def group_key(group_id: str) -> str:
    return f"g__{group_id}"


def mandatory_key(criterion_id: str) -> str:
    return f"m__{criterion_id}"


def survey_rule(form_id: str) -> str:
    return f"s.{form_id}"


def compile_surveys(criteria_set: CriteriaSet, digest: str) -> CompiledSet:
    """One ruleset (or more) per survey form, deciding "satisfied" for one respondent's answers."""
    prefix = f"cqtt.{criteria_set.id}.{criteria_set.version}.{digest[:12]}.surveys"
    plans: list[RulesetPlan] = []
    for form in criteria_set.surveys:
        batch = [decision(survey_rule(form.id), "survey", form.id, "satisfied", form.satisfied)]
        plans.extend(_pack(prefix, form.id, [batch]))
    return CompiledSet(prefix, plans, [])
