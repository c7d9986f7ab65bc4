"""The only module that imports durable_rules.

The rulesets are compiled to durable_rules' JSON form (engine.rules.compiler) and handed to its C
engine module, `durable_rules_engine`, directly: assert the fact's JSON, then read the names of the
rules that fired. durable_rules' Python `Host` layer would run a Python action per fired rule, with
two JSON decodes, one encode and timestamps each: at about 37 rules fired a unit that was most of
the cost of scoring (1,600 against about 7,000 units/s measured on 10,000 units, the same rules
firing). No rule here has an action beyond naming itself, so nothing is lost by skipping it.

Rulesets are registered by name once per process (names carry the criteria file's hash, so two
versions live side by side). Facts are asserted in a fresh session deleted straight after: sessions
left behind exhaust memory after a few thousand units, and a fact asserted twice in one session is
refused. A run asserts the facts of many units at once (`run_batch`), in one session, each fact
carrying its position under UNIT_KEY: the rules each read one fact, so units cannot see each other,
and a batch costs about half of what a session per unit does (one JSON text, one call into the C
engine). When any fact of a batch matches no rule, `assert_facts` reports "not handled" for the
whole batch yet asserts the others: the fired actions are drained whatever it reports.

What fires for a fact depends only on the fields the ruleset reads (each rule reads one fact), so
a batch asserts each distinct fact once, and the answers for the first facts met are kept: a
ruleset that reads a few yes/no fields is asked a handful of times in a whole run. Every rule is
still evaluated by durable_rules, once for each distinct fact.

A ruleset that has never handled a message crashes the process (segmentation fault) when the
state of a session whose fact matched no rule is deleted. Each ruleset therefore gets one extra
rule that only a warm-up fact can match, and that fact is asserted once when the ruleset is
registered. (Measured on durable_rules 2.0.28; see tests/test_engine.py.)
"""

from __future__ import annotations

import itertools
import json
import operator
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import durable_rules_engine as core

from engine.errors import EngineError
from engine.rules.compiler import WARMUP_KEY, CompiledSet, RulesetPlan

# Result codes of core.assert_fact (durable/engine.py, Ruleset._handle_result).
_HANDLED, _NOT_HANDLED, _OBSERVED, _QUEUED = 0, 1, 2, 3

# Where a fact of a batch stands, written right after "sid" so that each fired action's message
# names its unit early. Never an evidence key: ids cannot contain "__".
UNIT_KEY = "cqtt__u"
_UNIT_MARK = f'"{UNIT_KEY}":'

_lock = threading.Lock()
_handles: dict[str, int] = {}  # ruleset name -> handle in the C engine
_sessions = itertools.count(1)


def register(compiled: CompiledSet) -> None:
    """Register every ruleset of a compiled set, once per process."""
    with _lock:
        for plan in compiled.all:
            if plan.name in _handles:
                continue
            rules = plan.definition()
            for rule in rules.values():
                del rule["run"]  # the rule's name is what a firing reports; no action runs
            try:
                handle = core.create_ruleset(plan.name, json.dumps(rules, ensure_ascii=False))
            except Exception as exc:  # the C core raises bare Exception subclasses
                raise EngineError(f"bộ máy luật không nhận bộ luật đã biên dịch: {exc}") from exc
            _fire(handle, plan.name, json.dumps({"sid": "warmup", WARMUP_KEY: True}), "warmup")
            _handles[plan.name] = handle


def _fire(handle: int, name: str, payload: str, sid: str, many: bool = False) -> list[str]:
    """Assert a fact's JSON (`many`: a list of facts) in session `sid`, collect the messages of
    the rules that fired, delete the session. Called with the lock held. A message is the JSON
    object {"<rule name>":{"m":<the fact as asserted>}}."""
    fired: list[str] = []
    try:
        result = core.assert_facts(handle, payload) if many else core.assert_fact(handle, payload)
        if result[0] == _OBSERVED:
            raise EngineError(f"sự kiện bị gửi hai lần vào “{name}”")
        if result[0] in (_HANDLED, _NOT_HANDLED):  # see the module docstring: drain either way
            started = core.start_action_for_state(handle, result[1])
            message = started[1] if started else None
            while message:
                fired.append(message)
                message = core.complete_and_start_action(handle, result[1])
    except EngineError:
        raise
    except Exception as exc:
        raise EngineError(f"bộ máy luật lỗi ở “{name}”: {exc}") from exc
    finally:
        try:
            core.delete_state(handle, sid)
        except Exception:  # noqa: S110 - no state was created when nothing matched
            pass
    return fired


class Facts:
    """A batch of facts, each as the JSON text of its fields (`"key":value`), ready for any
    ruleset: a ruleset is given the fields it reads, and a unit's fields are written once
    whichever rulesets read them."""

    __slots__ = ("fields",)

    def __init__(self, facts: Sequence[Mapping[str, Any]]) -> None:
        self.fields = [_fields(fact) for fact in facts]

    def __len__(self) -> int:
        return len(self.fields)


def _fields(fact: Mapping[str, Any]) -> dict[str, str]:
    written = {}
    for key, value in fact.items():
        kind = type(value)
        if kind is bool:
            text = "true" if value else "false"
        elif kind is float:
            if not (value == 0 or 1e-4 <= abs(value) < 1e16):
                # JSON writes these with an exponent ("1e-05", "1e+16") or not at all (nan),
                # which durable_rules refuses (error 204); the evidence layer keeps numbers
                # within [0.0001, 1e12), so this is a bug, not bad input.
                raise EngineError(f"giá trị {value!r} của “{key}” không đưa được vào bộ máy luật")
            text = repr(value)  # as json writes a float
        elif kind is int:
            text = str(value)
        else:
            text = json.dumps(value, ensure_ascii=False)
        prefix = _prefixes.get(key)
        if prefix is None:
            prefix = _prefixes[key] = json.dumps(key, ensure_ascii=False) + ":"
        written[key] = prefix + text
    return written


_prefixes: dict[str, str] = {}  # fact key -> its JSON text and colon


def run(plan: RulesetPlan, fact: Mapping[str, Any]) -> set[str]:
    """Assert one fact to one ruleset in a new session; return the names of the rules that fired."""
    return set(run_batch(plan, [fact])[0])


def run_batch(plan: RulesetPlan, facts: Facts | Sequence[Mapping[str, Any]]) -> list[frozenset[str]]:
    """The names of the rules of one ruleset that fire for each fact.

    A ruleset's rules each read one fact, so what fires for a fact depends only on the fields
    the ruleset reads: facts whose fields are the same get the same answer, and the answers for
    the first fields met (REMEMBERED per ruleset) are kept. The other facts are asserted in one
    new session, each distinct one once."""
    if not isinstance(facts, Facts):
        facts = Facts(facts)
    keys, every, known = _plans.get(plan.name) or _plan(plan)
    answers: list[frozenset[str]] = [_NOTHING] * len(facts)
    asked: dict[str, list[int]] = {}  # fields not known yet -> the facts that have them
    for index, fields in enumerate(facts.fields):
        try:
            body = ",".join(every(fields))
        except KeyError:  # a fact without some of the fields
            body = ",".join([fields[k] for k in keys if k in fields])
        if not body:  # a fact with nothing this ruleset reads fires nothing
            continue
        answer = known.get(body)
        if answer is not None:
            answers[index] = answer
        else:
            asked.setdefault(body, []).append(index)
    if not asked:
        return answers
    sid = f"s{next(_sessions)}"
    head = f'{{"sid":"{sid}",{_UNIT_MARK}'
    text = "[" + ",".join([f"{head}{n},{body}}}" for n, body in enumerate(asked)]) + "]"
    after_name = len('":{"m":') + len(head)  # from the end of a rule's name to the position
    found: list[set[str]] = [set() for _ in asked]
    with _lock:
        handle = _handles.get(plan.name)
        if handle is None:
            raise EngineError(f"bộ luật “{plan.name}” chưa được đăng ký với bộ máy luật")
        messages = _fire(handle, plan.name, text, sid, many=True)
    for message in messages:
        # Rule names are compiled from ids that hold no quote: the name ends at the first one.
        end = message.index('"', 2)
        start = end + after_name
        if not message.startswith(head, start - len(head)):
            raise EngineError(f"bộ máy luật trả lời không đúng dạng ở “{plan.name}”: {message[:200]}")
        found[int(message[start : message.index(",", start)])].add(message[2:end])
    for (body, indices), names in zip(asked.items(), found, strict=True):
        answer = frozenset(names)
        if len(_answers) < REMEMBERED * 2:  # one object for each distinct answer
            answer = _answers.setdefault(answer, answer)
        if len(known) < REMEMBERED:
            known[body] = answer
        for index in indices:
            answers[index] = answer
    return answers


def forget() -> None:
    """Drop the answers kept (a benchmark starts each figure afresh)."""
    with _lock:
        _plans.clear()
        _answers.clear()


def _plan(plan: RulesetPlan) -> _Plan:
    keys = sorted(plan.keys)
    every: Callable[[Mapping[str, str]], tuple[str, ...]]
    if len(keys) == 1:  # itemgetter of one key gives the value, not a tuple
        key = keys[0]
        every = lambda fields: (fields[key],)  # noqa: E731
    else:
        every = cast(Callable[[Mapping[str, str]], tuple[str, ...]], operator.itemgetter(*keys))
    with _lock:
        found = _plans[plan.name] = (keys, every, {})
    return found


# Answers kept per ruleset: a ruleset that reads a few yes/no fields sees a handful of distinct
# facts in a whole run, one that reads a percentage sees a new one nearly every unit.
REMEMBERED = 1024
# Ruleset name -> the fact keys it reads, a getter of their texts, the answers kept.
_Plan = tuple[list[str], Callable[[Mapping[str, str]], tuple[str, ...]], dict[str, frozenset[str]]]
_plans: dict[str, _Plan] = {}
_NOTHING: frozenset[str] = frozenset()
# Distinct answers (sets of rule names: the ways a ruleset's decisions combine, far fewer than
# the facts), shared by the facts that get them.
_answers: dict[frozenset[str], frozenset[str]] = {}
