"""Score applications: typed evidence -> durable_rules decisions -> scorer points -> recognition.

For each unit: build one fact from its typed evidence (list fields expanded to one boolean per
declared item, survey shares derived by their scorers); assert to each evidence ruleset the part of
the fact it reads; give each criterion's scorer the decisions that fired; add up groups (rescaling
where a criterion does not apply and the rule file says so); then assert the computed results to the
recognition rulesets. The engine never special-cases a criterion id.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing as mp
import os
import signal
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from fractions import Fraction
from typing import Any

from engine.intake.evidence import Application, EvidenceSet
from engine.numbers import exact, round_points, sum_points
from engine.rules.compiler import CompiledSet, compile_set, group_key, item_key, mandatory_key
from engine.rules.conditions import fields_read
from engine.rules.declarations import Tally
from engine.rules.loader import LoadedCriteria
from engine.rules.model import CriteriaSet, Criterion, Disqualifier, Group, Requirement
from engine.scoring import rete
from engine.scoring.decided import Decided, Outcome
from engine.scoring.flags import unit_flags
from engine.scoring.ranked import RankedUnits
from engine.scoring.results import (
    CriteriaInfo,
    CriterionResult,
    EvidenceProblem,
    EvidenceUsed,
    GateKind,
    GateResult,
    GroupResult,
    NotSubmittedUnit,
    RunResult,
    UnitResult,
    packing_dictionary,
)
from engine.scoring.seal import Sealer
from engine.scoring.summary import CriterionTally, summarise
from engine.spool import SpooledList
from engine.text import fmt
from scorers.base import Scorer, show_value


def tool_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"cqtt {version('cqtt')}"
    except PackageNotFoundError:
        return "cqtt (chưa cài đặt)"


Decisions = dict[str, frozenset[str]]  # criterion id -> its scoring decisions that fired
DISQUALIFIED = "Điểm liệt"  # how a blocking reason for a disqualifier begins


class Engine:
    """A compiled criteria version, ready to score any number of applications."""

    def __init__(self, loaded: LoadedCriteria) -> None:
        self.loaded = loaded
        self.cs: CriteriaSet = loaded.model
        self.evidence = self.cs.evidence_by_id()
        self.compiled: CompiledSet = compile_set(self.cs, loaded.sha256)
        rete.register(self.compiled)
        self._criteria = self.cs.criteria()
        self._rescaled = {c.id for _, c in self._criteria if c.not_applicable == "rescale"}
        # Evidence id -> (value type, value) -> EvidenceUsed (see _used_one).
        self._used_cache: dict[str, dict[tuple[type, Any], EvidenceUsed]] = {}
        # Criteria whose scoring method derives facts of its own (Scorer.derived overridden).
        self._deriving = [c for _, c in self._criteria if type(c.scorer).derived is not Scorer.derived]
        self._group_results: dict[tuple[Any, ...], GroupResult] = {}  # see _group_result
        self._gate_results: dict[tuple[Any, ...], GateResult] = {}  # see _gate
        # each group's criteria: (index, whether its points are rescaled away when it does not apply)
        self._group_members = [
            [(i, c.id in self._rescaled) for i, (g, c) in enumerate(self._criteria) if g.id == group.id]
            for group in self.cs.groups
        ]
        self._rescaled_points: dict[tuple[str, tuple[int, ...], int], float] = {}
        self._group_possible = [
            sum((exact(c.points) for c in g.criteria), Fraction(0)) for g in self.cs.groups
        ]
        self._result_json: dict[int, bytes] = {}  # id of a kept criterion result -> its JSON
        self._sealer = Sealer([d.id for d in self.cs.evidence])
        self._reads = {c.id: sorted(c.evidence_read()) for _, c in self._criteria}
        self._applies_rule = {c.id: f"a.{c.id}" for _, c in self._criteria}  # its rule's name
        # Fact keys of each choice of a list-of-items field: choice -> its key.
        self._item_keys = {
            d.id: [(choice, item_key(d.id, choice)) for choice in d.choice_ids()]
            for d in self.cs.evidence
            if d.type == "items"
        }
        # A scoring decision's rule name -> (criterion id, the decision's own name).
        self._decisions = {
            d.rule: (d.owner, d.local)
            for plan in self.compiled.evidence
            for d in plan.decisions
            if d.kind == "method"
        }
        self._answers: dict[frozenset[str], tuple[tuple[str, frozenset[str]], ...]] = {}
        self._kept: dict[str, dict[Any, Outcome]] = {c.id: {} for _, c in self._criteria}
        # For each criterion: the evidence it reads, a placeholder for each, its outcomes kept and
        # its applicability rule's name (see _outcomes).
        self._lookups = [
            (
                c,
                self._reads[c.id],
                (_ABSENT,) * len(self._reads[c.id]),
                self._kept[c.id],
                self._applies_rule[c.id],
            )
            for _, c in self._criteria
        ]
        # Recognition: each group's rule; the mandatory criteria with their place and rule; the
        # evidence each disqualifier and requirement reads.
        self._group_rules = [f"rec.group.{g.id}" for g in self.cs.groups]
        self._mandatory = [
            (i, c, f"rec.mandatory.{c.id}") for i, (_, c) in enumerate(self._criteria) if c.is_mandatory
        ]
        self._disqualifiers = [(q, frozenset(fields_read(q.when))) for q in self.cs.disqualifiers]
        self._requirements = [(r, sorted(fields_read(r.when))) for r in self.cs.recognition.requirements]
        self._read_sets = {cid: frozenset(reads) for cid, reads in self._reads.items()}
        self._gate_fields = {
            c.id: fields_read(c.applies_when) if c.applies_when is not None else set()
            for _, c in self._criteria
        }
        # The preset dictionary for packing full results: the result of a unit with no evidence
        # holds every title, label and source a unit's result repeats.
        empty = Application(
            code="",
            name="",
            group="",
            year=None,
            proposed=False,
            self_score=None,
            group_self_scores={},
            values={},
            invalid={},
            source="",
        )
        self._dictionary = packing_dictionary(self.score(empty).model_dump_json().encode("utf-8"))

    # -- facts -------------------------------------------------------------------------------
    def fact(self, values: dict[str, Any]) -> dict[str, Any]:
        fact: dict[str, Any] = {}
        items, declared = self._item_keys, self.evidence
        for key, value in values.items():
            if key not in declared:
                continue
            pairs = items.get(key)
            if pairs is not None:
                for choice, name in pairs:
                    fact[name] = choice in value
            elif not isinstance(value, Tally):
                fact[key] = value
        for criterion in self._deriving:
            fact.update(criterion.scorer.derived(criterion.method, criterion.id, values))
        return fact

    def _fired_batch(self, values: Sequence[dict[str, Any]]) -> list[tuple[set[str], Decisions]]:
        """For each unit, the evidence rules that fired and, per criterion, its scoring
        decisions among them: each ruleset sees all the units at once."""
        facts = rete.Facts([self.fact(v) for v in values])
        answers = [rete.run_batch(plan, facts) for plan in self.compiled.evidence]
        found = []
        for mine in zip(*answers, strict=True):
            decisions: Decisions = {}
            for answer in mine:
                for cid, names in self._decisions_in(answer):
                    have = decisions.get(cid)
                    decisions[cid] = names if have is None else have | names
            found.append((set().union(*mine), decisions))
        return found

    def _decisions_in(self, answer: frozenset[str]) -> tuple[tuple[str, frozenset[str]], ...]:
        """A ruleset's answer for a fact as (criterion id, its scoring decisions) pairs. The
        same answers recur from unit to unit (most are the very same objects, see rete)."""
        found = self._answers.get(answer)
        if found is None:
            owners: dict[str, set[str]] = {}
            for name in answer:
                owner = self._decisions.get(name)
                if owner is not None:
                    owners.setdefault(owner[0], set()).add(owner[1])
            found = tuple((cid, frozenset(names)) for cid, names in owners.items())
            if len(self._answers) < ANSWERS_KEPT:
                self._answers[answer] = found
        return found

    # -- one unit ----------------------------------------------------------------------------
    def _used(self, ids: Iterable[str], values: dict[str, Any]) -> list[EvidenceUsed]:
        return [self._used_one(eid, values.get(eid)) for eid in sorted(set(ids))]

    def _used_one(self, eid: str, value: Any) -> EvidenceUsed:
        """One evidence value as shown and in plain terms; the same values recur from unit to
        unit, and an EvidenceUsed is never changed once made."""
        cache = self._used_cache.get(eid)
        if cache is None:
            cache = self._used_cache[eid] = {}
        key = (type(value), value)  # the type too: 1, 1.0 and True are equal keys
        try:
            found, hashable = cache.get(key), True
        except TypeError:  # an unhashable value: built each time
            found, hashable = None, False
        if found is None:
            found = self._evidence_used(eid, value)
            if hashable and len(cache) < USED_PER_EVIDENCE:
                cache[key] = found
        return found

    def _evidence_used(self, eid: str, value: Any) -> EvidenceUsed:
        decl = self.evidence.get(eid)
        plain: Any = value
        if isinstance(value, frozenset):
            plain = sorted(value)
        elif isinstance(value, Tally):
            plain = {"satisfied": value.satisfied, "total": value.total}
        return EvidenceUsed(
            id=eid, label=decl.label if decl else eid, value=plain, shown=show_value(decl, value)
        )

    def _outcomes(self, values: dict[str, Any], fired: set[str], decisions: Decisions) -> list[Outcome]:
        """Each criterion's outcome: applicability first, then evidence, then the scoring method.

        An outcome is a function of the values the criterion reads and of the decisions that
        fired for it (the rules engine decided those for this unit), so an outcome already made
        for the same values and decisions is given again, with its full result once written:
        most criteria read a yes/no or a small count and take a handful of values over thousands
        of units. Outcomes are never changed once made, but for the full result they keep. A
        criterion whose values rarely repeat stops adding at CRITERION_CACHE_SIZE."""
        outcomes = []
        get, mine_of = values.get, decisions.get
        for c, reads, absent, cache, applies_rule in self._lookups:
            applies, mine = applies_rule in fired, mine_of(c.id, _NONE)
            try:
                read = tuple(map(get, reads, absent))
                key: tuple[Any, ...] | None = (applies, mine, read, tuple(map(type, read)))
                found = cache.get(key)
            except TypeError:  # an unhashable value: made each time
                key, found = None, None
            if found is None:
                found = self._decide(c, values, applies, mine)
                if key is not None and len(cache) < CRITERION_CACHE_SIZE:
                    cache[key] = found
                    found.kept = True
            outcomes.append(found)
        return outcomes

    def _decide(self, c: Criterion, values: dict[str, Any], applies: bool, mine: frozenset[str]) -> Outcome:
        """The outcome made anew: `applies` whether the applicability rule fired, `mine` the
        criterion's scoring decisions that fired."""
        keys = values.keys()
        if not keys >= self._gate_fields[c.id]:
            return Outcome(0.0, True, "missing_evidence", applies, mine)
        if c.applies_when is not None and not applies:
            points = round_points(c.points) if c.not_applicable == "full" else 0.0
            return Outcome(points, False, "not_applicable", applies, mine)
        if not keys >= self._read_sets[c.id]:
            return Outcome(0.0, True, "missing_evidence", applies, mine)
        return Outcome(self._method_points(c, mine, values), True, "scored", applies, mine)

    def _method_points(self, c: Criterion, mine: frozenset[str], values: dict[str, Any]) -> float:
        """A criterion's points by its scoring method, from the decisions that fired for it."""
        return c.scorer.points(c.method, c.points, set(mine), values, self.evidence)

    def _full(self, index: int, outcome: Outcome, values: dict[str, Any]) -> CriterionResult:
        """The criterion's full result for an outcome: evidence as shown, the rule in words and
        the explanation. Made once for an outcome (a mandatory criterion's is read for its gate
        while deciding, and again when written)."""
        if outcome.full is not None:
            return outcome.full
        group, c = self._criteria[index]
        found = outcome.full = self._criterion_result(group.id, c, values, outcome)
        if outcome.kept:
            # Kept outcomes live as long as the engine, so their results' ids stay theirs.
            self._result_json[id(found)] = found.model_dump_json().encode("utf-8")
        return found

    def _criterion_result(
        self, group_id: str, c: Criterion, values: dict[str, Any], outcome: Outcome
    ) -> CriterionResult:
        reads = self._reads[c.id]

        def result(rule: str, explanation: str) -> CriterionResult:
            return CriterionResult(
                id=c.id,
                title=c.title,
                group=group_id,
                max_points=c.points,
                mandatory=c.is_mandatory,
                evidence=self._used(reads, values),
                source=c.provenance() if c.has_provenance else None,
                proposed=c.source is None and c.proposed is not None,
                points=outcome.points,
                applicable=outcome.applicable,
                status=outcome.status,
                rule=rule,
                explanation=explanation,
            )

        gate_fields = self._gate_fields[c.id]
        if outcome.status == "missing_evidence":
            missing_gate = sorted(f for f in gate_fields if f not in values)
            if missing_gate:
                return result("thiếu minh chứng", self._missing_text(missing_gate, "xác định áp dụng"))
            missing = sorted(f for f in set(reads) - gate_fields if f not in values)
            return result("thiếu minh chứng", self._missing_text(missing, "chấm điểm"))
        if outcome.status == "not_applicable":
            if c.not_applicable == "full":
                return result(
                    "không áp dụng: tính đủ điểm",
                    f"Không áp dụng cho đơn vị này: được tính đủ {fmt(c.points)} điểm theo bộ tiêu chí",
                )
            return result(
                "không áp dụng: quy đổi điểm nhóm",
                "Không áp dụng cho đơn vị này: không tính vào điểm tối đa, điểm nhóm được quy đổi theo tỷ lệ",
            )
        award = c.scorer.score(c.method, c.points, set(outcome.mine), values, self.evidence)
        return result(award.rule, award.explanation)

    def _missing_text(self, fields: list[str], purpose: str) -> str:
        labels = "; ".join(self.evidence[f].label if f in self.evidence else f for f in fields)
        return f"Thiếu hoặc sai minh chứng để {purpose} ({labels}) → 0 điểm"

    def _groups(self, outcomes: list[Outcome], self_scores: dict[str, float]) -> list[GroupResult]:
        groups = []
        for group, members, possible_all in zip(
            self.cs.groups, self._group_members, self._group_possible, strict=True
        ):
            earned = 0  # whole cents (engine.numbers.cents): every criterion's points have two decimals
            excluded: list[int] = []
            for index, rescalable in members:
                o = outcomes[index]
                if rescalable and o.status == "not_applicable":
                    excluded.append(index)
                else:
                    earned += round(o.points * 100)
            points = earned / 100 if not excluded else self._rescale(group, possible_all, excluded, earned)
            groups.append(self._group_result(group, points, bool(excluded), self_scores.get(group.id)))
        return groups

    def _rescale(self, group: Group, possible_all: Fraction, excluded: list[int], earned: int) -> float:
        """A group's points when criteria that do not apply are taken out of its maximum: the
        exact share of what could be earned, rounded once. Made once for each case met (the
        arithmetic is exact, so in fractions, and the same few cases recur over thousands of
        units)."""
        key = (group.id, tuple(excluded), earned)
        found = self._rescaled_points.get(key)
        if found is None:
            possible = possible_all - sum((exact(self._criteria[i][1].points) for i in excluded), Fraction(0))
            if possible == 0:
                found = round_points(group.points)
            else:
                found = round_points(Fraction(earned, 100) * exact(group.points) / possible)
            if len(self._rescaled_points) < MADE_CACHE_SIZE:
                self._rescaled_points[key] = found
        return found

    def _group_result(
        self, group: Group, points: float, rescaled: bool, self_score: float | None
    ) -> GroupResult:
        """A group's result, made once for each set of values (never changed once made)."""
        key = (group.id, points, rescaled, type(self_score), self_score)
        found = self._group_results.get(key)
        if found is None:
            found = GroupResult(
                id=group.id,
                title=group.title,
                points=points,
                max_points=group.points,
                share=round(points / group.points, 6),
                rescaled=rescaled,
                self_score=self_score,
            )
            if len(self._group_results) < MADE_CACHE_SIZE:
                self._group_results[key] = found
        return found

    def _gate(
        self, owner: Criterion | Disqualifier | Requirement, kind: GateKind, ok: bool, text: str
    ) -> GateResult:
        """A gate's result, made once for each outcome and explanation (never changed once made)."""
        key = (kind, owner.id, ok, text)
        found = self._gate_results.get(key)
        if found is None:
            found = GateResult(
                id=owner.id,
                title=owner.title,
                kind=kind,
                ok=ok,
                explanation=text,
                source=owner.provenance() if owner.has_provenance else None,
            )
            if len(self._gate_results) < MADE_CACHE_SIZE:
                self._gate_results[key] = found
        return found

    def score(self, app: Application) -> UnitResult:
        return self.score_batch([app])[0]

    def score_batch(self, apps: Sequence[Application]) -> list[UnitResult]:
        """Score several units, with their full results."""
        return [self.result(d) for d in self.decide_batch(apps)]

    def decide_batch(self, apps: Sequence[Application]) -> list[Decided]:
        """Decide several units (see engine.scoring.decided). The rules engine gets every unit's
        facts at once, once for the evidence rules and once, after the points are added up, for
        the recognition rules."""
        with _collector_paused():
            fired = self._fired_batch([a.values for a in apps])
            decided = [self._points(app, *mine) for app, mine in zip(apps, fired, strict=True)]
            for d, passed in zip(decided, self._recognition_fired(decided), strict=True):
                d.passed = passed
                d.problems = self._evidence_problems(d)
                d.gates, d.blocking = self._recognition(d)
        return decided

    def _points(self, app: Application, fired: set[str], decisions: Decisions) -> Decided:
        """Each criterion's outcome, the groups and the total of one unit."""
        outcomes = self._outcomes(app.values, fired, decisions)
        groups = self._groups(outcomes, app.group_self_scores)
        return Decided(app, fired, outcomes, groups, sum_points(g.points for g in groups))

    def result(self, d: Decided) -> UnitResult:
        """A decided unit's full result: every criterion with its evidence and explanation, the
        flags and the seal."""
        app = d.app
        criteria = [self._full(i, o, app.values) for i, o in enumerate(d.outcomes)]
        used = [self._used_one(k, v) for k, v in app.values.items() if k in self.evidence]
        unit = UnitResult(
            code=app.code,
            name=app.name,
            group=app.group,
            year=app.year,
            proposed=app.proposed,
            self_score=app.self_score,
            total=d.total,
            max_total=self.cs.scale,
            recognised=d.recognised,
            blocking=d.blocking,
            criteria=criteria,
            groups=d.groups,
            gates=d.gates,
            source=app.source,
            comment=app.comment,
            evidence={u.id: u.shown for u in used},
            evidence_invalid={k: v for k, v in app.invalid.items() if k in self.evidence},
            evidence_problems=d.problems,
            values={u.id: u.value for u in used},
        )
        unit.flags = unit_flags(self.cs, app, unit)
        unit.seal = {
            "criteria": self._sealer.criteria((r.id, r.points) for r in criteria),
            "evidence": self._sealer.evidence(
                app.year,
                app.proposed,
                app.self_score,
                [g.self_score for g in d.groups],
                app.values,
                app.invalid,
                self._plain,
            ),
        }
        return unit

    def _plain(self, eid: str, value: Any) -> Any:
        return self._used_one(eid, value).value

    def _recognition_fired(self, decided: Sequence[Decided]) -> list[set[str]]:
        """The recognition rules that passed, for each unit, from its computed points."""
        facts = []
        for d in decided:
            fact: dict[str, Any] = {"total": d.total}
            fact.update({group_key(g.id): g.points for g in d.groups})
            for index, c, _ in self._mandatory:
                o = d.outcomes[index]
                fact[mandatory_key(c.id)] = c.points if not o.applicable else o.points
            facts.append(fact)
        passed: list[set[str]] = [set() for _ in facts]
        written = rete.Facts(facts)
        for plan in self.compiled.recognition:
            for mine, fired in zip(passed, rete.run_batch(plan, written), strict=True):
                mine |= fired
        return passed

    def _recognition(self, d: Decided) -> tuple[list[GateResult], list[str]]:
        """The gates of a decided unit and what blocks its recognition."""
        app, groups, total, fired, passed = d.app, d.groups, d.total, d.fired, d.passed
        rec = self.cs.recognition
        blocking: list[str] = []
        gates: list[GateResult] = []
        if "rec.total" not in passed:
            blocking.append(f"Tổng điểm {fmt(total)} thấp hơn ngưỡng {fmt(rec.min_total)}")
        if rec.min_group_share > 0:
            for g, rule in zip(groups, self._group_rules, strict=True):
                if rule not in passed:
                    blocking.append(
                        f"Nhóm “{g.title}” đạt {fmt(g.points)}/{fmt(g.max_points)} "
                        f"điểm, dưới {fmt(rec.min_group_share * 100)}% số điểm"
                    )
        for index, c, rule in self._mandatory:
            ok = rule in passed
            explanation = self._full(index, d.outcomes[index], app.values).explanation
            gates.append(self._gate(c, "mandatory", ok, explanation))
            if not ok and rec.require_mandatory:
                blocking.append(f"Tiêu chí bắt buộc không đạt: {c.title}")
        values = app.values
        for q, reads in self._disqualifiers:
            missing = not values.keys() >= reads
            hit = f"d.{q.id}" in fired
            text = "Không xác định được (thiếu minh chứng)" if missing else "Có" if hit else "Không"
            gates.append(self._gate(q, "disqualifier", not hit and not missing, text))
            if hit and rec.require_no_disqualifier:
                blocking.append(f"{DISQUALIFIED}: {q.title}")
        for r, shown_ids in self._requirements:
            met = f"r.{r.id}" in fired
            shown = "; ".join(u.shown for u in self._used(shown_ids, values))
            gates.append(self._gate(r, "requirement", met, ("Đạt" if met else "Chưa đạt") + f" ({shown})"))
            if not met:
                blocking.append(f"Chưa đáp ứng yêu cầu: {r.title}")
        if d.problems and rec.require_complete_evidence:
            labels = [self.evidence[f].label for f in d.problems]
            blocking.append("Thiếu hoặc sai minh chứng: " + "; ".join(labels))
        return gates, blocking

    def _evidence_problems(self, d: Decided) -> list[str]:
        """Evidence ids that are invalid, or missing where a rule needed them."""
        keys = d.app.values.keys()
        needed: set[str] = set()
        for o, (_, c) in zip(d.outcomes, self._criteria, strict=True):
            if o.status == "missing_evidence":
                needed |= self._read_sets[c.id] - keys
        for _, reads in self._disqualifiers:
            needed |= reads - keys
        bad = needed | {f for f in d.app.invalid if f in self.evidence}
        return sorted(f for f in bad if f in self.evidence)

    # -- a run -------------------------------------------------------------------------------
    def score_many(self, apps: Iterable[Application]) -> tuple[list[UnitResult], CriterionTally]:
        """Score applications in order: light results (see UnitResult.packed) and their tally."""
        units = []
        tally = CriterionTally()
        batch: list[Application] = []
        for app in itertools.chain(apps, [None]):
            if app is not None:
                batch.append(app)
                if len(batch) < BATCH_UNITS:
                    continue
            for unit in self.score_batch(batch) if batch else []:
                tally.add(unit)
                made = [self._result_json.get(id(r)) for r in unit.criteria]
                units.append(unit.packed(made, self._dictionary))
            batch = []
        return units, tally

    def _scored(
        self, apps: Sequence[Application], jobs: int, progress: Callable[[int], None] | None
    ) -> Iterator[tuple[list[UnitResult], CriterionTally]]:
        """Chunks of scored units in input order, from `jobs` processes when that pays. Workers
        are given index ranges and read the applications themselves (a spooled list is read from
        its file, which the forked workers share), so nothing is held twice."""
        spans = [(i, min(i + CHUNK_UNITS, len(apps))) for i in range(0, len(apps), CHUNK_UNITS)]
        if jobs > 1 and len(apps) >= PARALLEL_FROM_UNITS and "fork" in mp.get_all_start_methods():
            global _worker_engine, _worker_apps, _pool_parent
            _worker_engine, _worker_apps = self, apps  # inherited by the forked workers
            _pool_parent = os.getpid()
            try:
                workers = min(jobs, len(spans))
                with mp.get_context("fork").Pool(workers, initializer=_plain_signals) as pool:
                    for done in pool.imap(_score_span, spans):
                        if progress:
                            progress(len(done[0]))
                        yield done
            finally:
                _worker_engine, _worker_apps = None, None
            return
        for start, stop in spans:
            done = self.score_many(_span(apps, start, stop))
            if progress:
                progress(stop - start)
            yield done

    def run(
        self, evidence: EvidenceSet, progress: Callable[[int], None] | None = None, jobs: int = 1
    ) -> RunResult:
        """Score every application. With `jobs` > 1 the units are scored by that many processes,
        in chunks taken back in input order: the results are the same whatever `jobs` is. The
        results go to disk as they come (RankedUnits): memory does not grow with the units."""
        units = RankedUnits()
        tally = CriterionTally()
        for done, part in self._scored(evidence.applications, jobs, progress):
            for light in done:
                units.add(light)
            tally.merge(part)
        units.finish()
        problems = [
            EvidenceProblem(
                file=i.file,
                sheet=i.sheet,
                row=i.row,
                column=i.column,
                value=_plain(i.value),
                unit=i.unit,
                message=i.message,
                kind=i.kind,
            )
            for i in evidence.issues
        ]
        run = RunResult(
            tool=tool_version(),
            criteria=CriteriaInfo(
                id=self.cs.id,
                version=self.cs.version,
                title=self.cs.title,
                status=self.cs.status,
                sha256=self.loaded.sha256,
                file=str(self.loaded.path),
            ),
            units=[],
            summary=summarise(self.cs, units, evidence, tally),
            evidence_problems=problems,
            seal=units.seal(self.loaded.sha256),
            not_submitted=[
                NotSubmittedUnit(code=w.code, name=w.name, group=w.group, source=w.source)
                for w in sorted(evidence.not_submitted, key=lambda w: (w.group, w.code))
            ],
        )
        run.units = units  # set after validation, which would read every unit into a list
        return run


# What the engine keeps of results already made (the first ones met; once full, a cache keeps
# what it has). Small and fixed, so that a scoring process holds as much at 100,000 units as at
# 10,000: the values that recur are met early.
USED_PER_EVIDENCE = 1024  # values as shown, per evidence id (see Engine._used_one)
MADE_CACHE_SIZE = 4096  # group and gate results (see Engine._group_result, _gate)
CRITERION_CACHE_SIZE = 256  # outcomes per criterion (see Engine._outcomes)
ANSWERS_KEPT = 2048  # rulesets' answers read into decisions (see Engine._decisions_in)
_ABSENT = object()  # a value the unit does not have, in an outcome's cache key
_NONE: frozenset[str] = frozenset()

# Units given to the rules engine at once (one session per ruleset): past about 50 a batch costs no
# less per unit, and the batch's facts and results are held together.
BATCH_UNITS = 100

# Scoring in several processes pays only past a few hundred units (a process takes about 0.1 s to
# start); each worker takes chunks of this many units, so the bar moves and both cores stay busy.
PARALLEL_FROM_UNITS = 400
CHUNK_UNITS = 200
_worker_engine: Engine | None = None
_worker_apps: Sequence[Application] | None = None
_pool_parent = 0  # the process that forked the pool's workers


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Deciding a batch makes many small objects and no reference cycles; Python's cycle
    collector would scan them, with everything else the process holds, several times a batch
    (about 7% of the scoring time at 10,000 units). It runs again as soon as the batch is done."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _plain_signals() -> None:
    """In a forked worker: SIGTERM kills at once and Ctrl-C is left to the parent. The parent's
    own SIGTERM handler (cli: print "Đã dừng." and exit through the cleanup code) is inherited by
    fork; in a worker waiting for tasks it left the pool's shutdown waiting for that worker
    forever (seen in CI: Pool.terminate joining a worker blocked on the task queue's lock)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent killed outright (SIGKILL, out of memory): a worker finishing its span wrote to the
    # broken result pipe and printed a BrokenPipeError traceback. It now ends quietly, at once
    # where Linux can say so (the parent-death signal), else when it next writes to the pipe.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    _die_with_parent()


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when its parent dies (prctl PR_SET_PDEATHSIG); elsewhere the
    SIGPIPE default does it at the next write."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    # A parent killed between the fork and the line above sends no signal: this worker was already
    # handed to another parent, and would wait for tasks forever holding the parent's pipes.
    if os.getppid() != _pool_parent:
        os._exit(0)


def _score_span(span: tuple[int, int]) -> tuple[list[UnitResult], CriterionTally]:
    """In a forked worker: score applications start..stop-1 with the engine the parent compiled."""
    assert _worker_engine is not None and _worker_apps is not None
    return _worker_engine.score_many(_span(_worker_apps, *span))


def _span(apps: Sequence[Application], start: int, stop: int) -> list[Application]:
    if isinstance(apps, SpooledList):
        return list(apps.iterate(start, stop))
    return list(apps[start:stop])


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
