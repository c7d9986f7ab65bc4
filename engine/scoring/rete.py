"""The only module that imports durable_rules.

durable_rules keeps one process-wide host and registers rulesets by name, forever. This module
owns that host, registers each compiled ruleset once (names carry the criteria file's hash, so two
versions live side by side), and runs one fact per ruleset per unit in a fresh session that is
deleted straight after, because sessions left behind exhaust memory after a few thousand units.

A ruleset that has never handled a message crashes the process (segmentation fault) when the
state of a session whose fact matched no rule is deleted. Each ruleset therefore gets one extra
rule that only a warm-up fact can match, and that fact is asserted once when the ruleset is
registered. (Measured on durable_rules 2.0.28; see tests/test_engine.py.)

Actions are deliberately trivial (append the rule name to a list) so that the per-unit cost stays
small; an exception inside an action is swallowed by durable_rules and reported in the returned
state, so every assert checks that state and raises `EngineError`.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Mapping
from typing import Any

from durable.engine import Host, MessageNotHandledException, MessageObservedException

from engine.errors import EngineError
from engine.rules.compiler import WARMUP_KEY, WARMUP_RULE, CompiledSet, RulesetPlan


class _Host(Host):
    """A durable_rules host whose actions record the name of the rule that fired."""

    def __init__(self) -> None:
        self.sink: list[str] = []
        super().__init__()

    def _run(self) -> None:
        """No background dispatch: durable_rules' host otherwise starts timer threads that call
        into the engine while a unit is being scored; this project uses neither timers nor
        queued events, so everything runs in the caller's thread."""

    def get_action(self, action_name: str) -> Callable[[Any], None]:
        if action_name == WARMUP_RULE:
            return lambda _closure: None

        def record(_closure: Any) -> None:
            self.sink.append(action_name)

        return record


_lock = threading.Lock()
_host: _Host | None = None
_registered: set[str] = set()
_sessions = itertools.count(1)


def _get_host() -> _Host:
    global _host
    if _host is None:
        _host = _Host()
    return _host


def register(compiled: CompiledSet) -> None:
    """Register every ruleset of a compiled set, once per process."""
    with _lock:
        host = _get_host()
        fresh = {r.name: r.definition() for r in compiled.all if r.name not in _registered}
        if not fresh:
            return
        try:
            host.set_rulesets(fresh)
        except Exception as exc:  # the C core raises bare Exception subclasses
            raise EngineError(f"bộ máy luật không nhận bộ luật đã biên dịch: {exc}") from exc
        _registered.update(fresh)
        for name in fresh:
            host.assert_fact(name, {"sid": "warmup", WARMUP_KEY: True})
            host.delete_state(name, "warmup")


def run(plan: RulesetPlan, fact: Mapping[str, Any]) -> set[str]:
    """Assert one fact to one ruleset in a new session; return the names of the rules that fired."""
    host = _get_host()
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
    with _lock:
        fired: list[str] = []
        host.sink = fired
        try:
            state = host.assert_fact(plan.name, payload)
        except MessageNotHandledException:
            state = None  # no rule matched this fact
        except MessageObservedException as exc:
            raise EngineError(f"sự kiện bị gửi hai lần vào “{plan.name}”") from exc
        except Exception as exc:
            raise EngineError(f"bộ máy luật lỗi ở “{plan.name}”: {exc}") from exc
        finally:
            try:
                host.delete_state(plan.name, sid)
            except Exception:  # noqa: S110 - no state was created when nothing matched
                pass
    if isinstance(state, dict) and state.get("exception"):
        raise EngineError(f"một hành động của luật trong “{plan.name}” bị lỗi: {state['exception']}")
    return set(fired)
