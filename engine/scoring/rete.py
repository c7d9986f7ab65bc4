"""The only module that imports durable_rules.

The rulesets are compiled to durable_rules' JSON form (engine.rules.compiler) and handed to its C
engine module, `durable_rules_engine`, directly: assert the fact's JSON, then read the names of the
rules that fired. durable_rules' Python `Host` layer would run a Python action per fired rule, with
two JSON decodes, one encode and timestamps each: at about 37 rules fired a unit that was most of
the cost of scoring (1,600 against about 7,000 units/s measured on 10,000 units, the same rules
firing). No rule here has an action beyond naming itself, so nothing is lost by skipping it.

Rulesets are registered by name once per process (names carry the criteria file's hash, so two
versions live side by side). Each fact is asserted in a fresh session deleted straight after:
sessions left behind exhaust memory after a few thousand units, and a fact asserted twice in one
session is refused.

A ruleset that has never handled a message crashes the process (segmentation fault) when the
state of a session whose fact matched no rule is deleted. Each ruleset therefore gets one extra
rule that only a warm-up fact can match, and that fact is asserted once when the ruleset is
registered. (Measured on durable_rules 2.0.28; see tests/test_engine.py.)
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Mapping
from typing import Any

import durable_rules_engine as core

from engine.errors import EngineError
from engine.rules.compiler import WARMUP_KEY, CompiledSet, RulesetPlan

# Result codes of core.assert_fact (durable/engine.py, Ruleset._handle_result).
_HANDLED, _NOT_HANDLED, _OBSERVED, _QUEUED = 0, 1, 2, 3

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


def _fire(handle: int, name: str, payload: str, sid: str) -> set[str]:
    """Assert one fact's JSON in session `sid`, collect the rules that fired, delete the session.
    Called with the lock held."""
    fired: set[str] = set()
    try:
        result = core.assert_fact(handle, payload)
        if result[0] == _OBSERVED:
            raise EngineError(f"sự kiện bị gửi hai lần vào “{name}”")
        if result[0] == _HANDLED:
            started = core.start_action_for_state(handle, result[1])
            message = started[1] if started else None
            while message:
                # A message is the JSON object {"<rule name>": {...}}; rule names are compiled
                # from ids that hold no quote, so the name ends at the first quote after `{"`.
                fired.add(message[2 : message.index('"', 2)])
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
    payload = {key: fact[key] for key in plan.keys if key in fact}
    if not payload:
        return set()
    for key, value in payload.items():
        if isinstance(value, float) and "e" in repr(value):
            # durable_rules refuses "1e-05" or "1e+16" (error 204); the evidence layer keeps
            # numbers within [0.0001, 1e12), so this is a bug, not bad input.
            raise EngineError(f"giá trị {value!r} của “{key}” không đưa được vào bộ máy luật")
    sid = f"s{next(_sessions)}"
    payload["sid"] = sid
    text = json.dumps(payload, ensure_ascii=False)
    with _lock:
        handle = _handles.get(plan.name)
        if handle is None:
            raise EngineError(f"bộ luật “{plan.name}” chưa được đăng ký với bộ máy luật")
        return _fire(handle, plan.name, text, sid)
