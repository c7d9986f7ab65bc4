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

A ruleset that has never handled a message crashes the process (segmentation fault) when the
state of a session whose fact matched no rule is deleted. Each ruleset therefore gets one extra
rule that only a warm-up fact can match, and that fact is asserted once when the ruleset is
registered. (Measured on durable_rules 2.0.28; see tests/test_engine.py.)
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import durable_rules_engine as core

from engine.errors import EngineError
from engine.rules.compiler import WARMUP_KEY, CompiledSet, RulesetPlan

# Result codes of core.assert_fact (durable/engine.py, Ruleset._handle_result).
_HANDLED, _NOT_HANDLED, _OBSERVED, _QUEUED = 0, 1, 2, 3

# Where a fact of a batch stands, written right after "sid" so that each fired action's message
# names its unit early. Never an evidence key: ids cannot contain "__".
UNIT_KEY = "cqtt__u"
_UNIT_MARK = f'"{UNIT_KEY}": '

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


def _fire(handle: int, name: str, payload: str, sid: str, many: bool = False) -> list[tuple[str, str]]:
    """Assert a fact's JSON (`many`: a list of facts) in session `sid`, collect the rules that
    fired as (rule name, action message), delete the session. Called with the lock held."""
    fired: list[tuple[str, str]] = []
    try:
        result = core.assert_facts(handle, payload) if many else core.assert_fact(handle, payload)
        if result[0] == _OBSERVED:
            raise EngineError(f"sự kiện bị gửi hai lần vào “{name}”")
        if result[0] in (_HANDLED, _NOT_HANDLED):  # see the module docstring: drain either way
            started = core.start_action_for_state(handle, result[1])
            message = started[1] if started else None
            while message:
                # A message is the JSON object {"<rule name>": {"m": {fact}}}; rule names are
                # compiled from ids that hold no quote, so the name ends at the first quote.
                fired.append((message[2 : message.index('"', 2)], message))
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


def run(plan: RulesetPlan, fact: Mapping[str, Any]) -> set[str]:
    """Assert one fact to one ruleset in a new session; return the names of the rules that fired."""
    return run_batch(plan, [fact])[0]


def run_batch(plan: RulesetPlan, facts: Sequence[Mapping[str, Any]]) -> list[set[str]]:
    """Assert many facts to one ruleset in one new session; return, for each fact, the names of the
    rules that fired for it."""
    fired: list[set[str]] = [set() for _ in facts]
    keys = sorted(plan.keys)
    sid = f"s{next(_sessions)}"
    payloads = []
    for index, fact in enumerate(facts):
        payload: dict[str, Any] = {"sid": sid, UNIT_KEY: index}
        for key in keys:
            if key in fact:
                value = payload[key] = fact[key]
                if type(value) is float and not (value == 0 or 1e-4 <= abs(value) < 1e16):
                    # JSON writes these with an exponent ("1e-05", "1e+16") or not at all (nan),
                    # which durable_rules refuses (error 204); the evidence layer keeps numbers
                    # within [0.0001, 1e12), so this is a bug, not bad input.
                    raise EngineError(f"giá trị {value!r} của “{key}” không đưa được vào bộ máy luật")
        if len(payload) > 2:  # a fact with nothing this ruleset reads fires nothing
            payloads.append(payload)
    if not payloads:
        return fired
    text = json.dumps(payloads, ensure_ascii=False)
    with _lock:
        handle = _handles.get(plan.name)
        if handle is None:
            raise EngineError(f"bộ luật “{plan.name}” chưa được đăng ký với bộ máy luật")
        for name, message in _fire(handle, plan.name, text, sid, many=True):
            start = message.index(_UNIT_MARK, len(name)) + len(_UNIT_MARK)
            fired[int(message[start : message.index(",", start)])].add(name)
    return fired
