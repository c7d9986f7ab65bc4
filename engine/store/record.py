"""Write to the store: a scored run, the province's decisions, a withdrawal, a succession file.

Each call is one transaction, so two teams recording at once into one server each get all of
their rows or none. Nothing here updates or deletes a row: a decision that changes an earlier one
is a new row naming the one it replaces, and a run scored again is a new run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, select
from sqlalchemy.exc import IntegrityError

from engine.errors import CqttError
from engine.intake.succession import SuccessionRow
from engine.scoring.results import RunResult
from engine.store.connect import Store
from engine.store.schema import (
    criterion_results,
    decisions,
    recheck_units,
    rechecks,
    runs,
    succession,
    unit_results,
)

DECISION_KINDS = ("recognised", "not_recognised", "deferred")
REVOKED = "revoked"
BATCH = 2000  # rows per INSERT ... VALUES: bounded memory and fast on both databases


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def run_content_hash(run: RunResult) -> str:
    """What identifies a run's content: its seal (every unit's scored content) and the criteria."""
    if not run.seal:
        raise CqttError("kết quả không có niêm phong; không ghi được vào cơ sở dữ liệu")
    return hashlib.sha256(f"cqtt-run\n{run.criteria.sha256}\n{run.seal}".encode()).hexdigest()


@dataclass
class RecordedRun:
    run_id: int
    created: bool  # False when the same run was recorded before
    units: int


def _batches(rows: Iterable[dict[str, Any]]) -> Iterable[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def record_run(store: Store, run: RunResult) -> RecordedRun:
    """Record a run and every unit's result in one transaction; the same run twice adds nothing."""
    content = run_content_hash(run)
    years = {u.year for u in run.units}
    try:
        with store.write() as conn:
            existing = conn.execute(select(runs.c.id).where(runs.c.content_hash == content)).scalar()
            if existing is not None:
                return RecordedRun(existing, False, len(run.units))
            run_id = conn.execute(
                runs.insert().returning(runs.c.id),
                {
                    "content_hash": content,
                    "criteria_id": run.criteria.id,
                    "criteria_version": run.criteria.version,
                    "criteria_title": run.criteria.title,
                    "criteria_sha256": run.criteria.sha256,
                    "year": next(iter(years)) if len(years) == 1 else None,
                    "tool": run.tool,
                    "scored_at": run.generated_at,
                    "recorded_at": _now(),
                    "inputs": _json(run.inputs),
                    "units": len(run.units),
                },
            ).scalar_one()
            points: list[dict[str, Any]] = []
            for batch in _batches(_unit_rows(run, run_id, points)):
                conn.execute(unit_results.insert(), batch)
                for chunk in _batches(points):
                    conn.execute(criterion_results.insert(), chunk)
                points.clear()
            return RecordedRun(run_id, True, len(run.units))
    except IntegrityError:
        # another process recorded the same run between our check and our insert
        with store.read() as conn:
            existing = conn.execute(select(runs.c.id).where(runs.c.content_hash == content)).scalar_one()
        return RecordedRun(existing, False, len(run.units))


def _unit_rows(run: RunResult, run_id: int, points: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    for light in run.units:
        unit = light.full()
        points.extend(
            {
                "run_id": run_id,
                "code": unit.code,
                "criterion": c.id,
                "points": c.points,
                "max_points": c.max_points,
                "status": c.status,
            }
            for c in unit.criteria
        )
        yield {
            "run_id": run_id,
            "code": unit.code,
            "name": unit.name,
            "appraisal_group": unit.group,
            "year": unit.year,
            "proposed": unit.proposed,
            "self_score": unit.self_score,
            "total": unit.total,
            "max_total": unit.max_total,
            "recognised": unit.recognised,
            "rank": unit.rank,
            "groups": _json({g.id: g.points for g in unit.groups}),
            "blocking": _json(unit.blocking),
            "flags": _json([f.code for f in unit.flags]),
            "failed_gates": _json([{"id": g.id, "kind": g.kind} for g in unit.gates if not g.ok]),
            "seal": _json(unit.seal),
        }


# -- decisions -----------------------------------------------------------------------------------
@dataclass
class NewDecision:
    unit: str
    year: int
    decision: str
    number: str | None
    date: dt.date | None
    reason: str | None
    basis: str | None = None  # "tinh": the province's re-check; "to": the team's result
    basis_total: float | None = None
    basis_recognised: bool | None = None
    contradiction: str | None = None  # why the decision contradicts its basis (reason required)


@dataclass
class RecordedDecisions:
    added: int = 0
    replaced: int = 0
    unchanged: int = 0


def _latest(conn: Connection, unit: str, year: int, kinds: tuple[str, ...]) -> Any:
    return conn.execute(
        select(decisions)
        .where(and_(decisions.c.unit == unit, decisions.c.year == year, decisions.c.decision.in_(kinds)))
        .order_by(decisions.c.id.desc())
        .limit(1)
    ).first()


def record_decisions(
    store: Store,
    items: list[NewDecision],
    source: str,
    source_sha256: str | None,
    criteria: dict[str, str],
) -> RecordedDecisions:
    """Record decisions; one equal to the unit's current decision for that year is skipped, one
    that differs is added and names the decision it replaces."""
    counts = RecordedDecisions()
    now = _now()
    with store.write() as conn:
        for d in items:
            current = _latest(conn, d.unit, d.year, DECISION_KINDS)
            if current is not None and (current.decision, current.number, current.date, current.reason) == (
                d.decision,
                d.number,
                d.date,
                d.reason,
            ):
                counts.unchanged += 1
                continue
            conn.execute(
                decisions.insert(),
                {
                    "unit": d.unit,
                    "year": d.year,
                    "decision": d.decision,
                    "number": d.number,
                    "date": d.date,
                    "reason": d.reason,
                    "criteria_id": criteria.get("criteria") or None,
                    "criteria_version": criteria.get("version") or None,
                    "criteria_sha256": criteria.get("sha256") or None,
                    "source": source,
                    "source_sha256": source_sha256,
                    "replaces": None if current is None else current.id,
                    "recorded_at": now,
                    "basis": d.basis,
                    "basis_total": d.basis_total,
                    "basis_recognised": d.basis_recognised,
                    "contradiction": d.contradiction,
                },
            )
            if current is None:
                counts.added += 1
            else:
                counts.replaced += 1
    return counts


def record_revocation(
    store: Store, unit: str, year: int, number: str, date: dt.date, reason: str, correct: bool = False
) -> int:
    """Record the withdrawal of a unit's recognition for a year; the unit must hold one. With
    `correct`, the new row replaces a revocation recorded wrongly (nothing is deleted: both stay,
    the later names the earlier)."""
    with store.write() as conn:
        current = _latest(conn, unit, year, DECISION_KINDS)
        if current is None or current.decision != "recognised":
            what = (
                "chưa có quyết định nào" if current is None else "quyết định hiện hành không phải công nhận"
            )
            raise CqttError(
                f"đơn vị {unit} năm {year}: {what} trong cơ sở dữ liệu; chỉ thu hồi được một quyết định "
                "công nhận (nhập quyết định bằng cqtt decisions … --db)"
            )
        revoked = _latest(conn, unit, year, (REVOKED,))
        standing = revoked is not None and revoked.id > current.id
        if standing and not correct:
            raise CqttError(
                f"đơn vị {unit} năm {year}: đã thu hồi công nhận (quyết định {revoked.number}, "
                f"ngày {revoked.date:%d/%m/%Y}); nếu bản ghi đó sai, ghi lại với --correct"
            )
        if correct and not standing:
            raise CqttError(f"đơn vị {unit} năm {year}: chưa có lần thu hồi nào để sửa; bỏ --correct")
        return int(
            conn.execute(
                decisions.insert().returning(decisions.c.id),
                {
                    "unit": unit,
                    "year": year,
                    "decision": REVOKED,
                    "number": number,
                    "date": date,
                    "reason": reason,
                    "criteria_id": current.criteria_id,
                    "criteria_version": current.criteria_version,
                    "criteria_sha256": current.criteria_sha256,
                    "source": "cqtt revoke --correct" if correct else "cqtt revoke",
                    "source_sha256": None,
                    "replaces": revoked.id if correct and revoked is not None else current.id,
                    "recorded_at": _now(),
                },
            ).scalar_one()
        )


# -- succession ----------------------------------------------------------------------------------
def succession_cycle(store: Store, rows: list[SuccessionRow]) -> list[str] | None:
    """A chain of mergers that comes back to where it started (a → b → c → a), counting the rows
    already loaded: the codes in order, or None. History could never end on such a chain."""
    graph: dict[str, set[str]] = {}
    with store.read() as conn:
        for old, new in conn.execute(select(succession.c.old_code, succession.c.new_code)):
            graph.setdefault(old, set()).add(new)
    for r in rows:
        graph.setdefault(r.old_code, set()).add(r.new_code)
    state: dict[str, int] = {}  # 1 on the path, 2 done
    path: list[str] = []

    def visit(code: str) -> list[str] | None:
        state[code] = 1
        path.append(code)
        for nxt in sorted(graph.get(code, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[code] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def unknown_codes(store: Store, rows: list[SuccessionRow]) -> list[str]:
    """Codes of a succession file the store has never seen (no result, decision or unit list)."""
    from engine.store.schema import units as unit_list

    codes = sorted({c for r in rows for c in (r.new_code, r.old_code)})
    with store.read() as conn:
        known = {
            c for (c,) in conn.execute(select(unit_results.c.code).where(unit_results.c.code.in_(codes)))
        }
        known |= {c for (c,) in conn.execute(select(unit_list.c.code).where(unit_list.c.code.in_(codes)))}
        known |= {c for (c,) in conn.execute(select(decisions.c.unit).where(decisions.c.unit.in_(codes)))}
    return [c for c in codes if c not in known]


def record_succession(store: Store, rows: list[SuccessionRow], source: str) -> tuple[int, int]:
    """Add succession rows not already in the store; returns (added, already there). When another
    process loads the same rows at the same moment, the load is redone once and finds them."""
    try:
        return _record_succession(store, rows, source)
    except IntegrityError:
        return _record_succession(store, rows, source)


def _record_succession(store: Store, rows: list[SuccessionRow], source: str) -> tuple[int, int]:
    added = present = 0
    now = _now()
    with store.write() as conn:
        for r in rows:
            found = conn.execute(
                select(func.count())
                .select_from(succession)
                .where(
                    and_(
                        succession.c.new_code == r.new_code,
                        succession.c.old_code == r.old_code,
                        succession.c.effective == r.effective,
                    )
                )
            ).scalar_one()
            if found:
                present += 1
                continue
            conn.execute(
                succession.insert(),
                {
                    "new_code": r.new_code,
                    "old_code": r.old_code,
                    "effective": r.effective,
                    "new_name": r.new_name,
                    "old_name": r.old_name,
                    "source": source,
                    "recorded_at": now,
                },
            )
            added += 1
    return added, present


# -- the province's re-check -------------------------------------------------------------------------
@dataclass
class RecheckedUnit:
    unit: str
    name: str
    year: int | None
    team_total: float | None
    team_recognised: bool | None
    province_total: float | None
    province_recognised: bool | None
    disqualified: bool
    field_checked: bool
    blocking: list[str]


def record_recheck(
    store: Store,
    criteria: dict[str, str],
    source: str,
    source_sha256: str | None,
    field_file: str | None,
    tool: str,
    units: list[RecheckedUnit],
) -> int:
    """Keep a re-check: per unit the team's result and the province's, so that history shows both
    and which one a decision used. Returns the re-check's id."""
    years = {u.year for u in units}
    with store.write() as conn:
        recheck_id = int(
            conn.execute(
                rechecks.insert().returning(rechecks.c.id),
                {
                    "year": years.pop() if len(years) == 1 else None,
                    "criteria_id": criteria["id"],
                    "criteria_version": criteria["version"],
                    "criteria_sha256": criteria["sha256"],
                    "source": source,
                    "source_sha256": source_sha256,
                    "field_file": field_file,
                    "tool": tool,
                    "recorded_at": _now(),
                },
            ).scalar_one()
        )
        for batch in _batches(
            {
                "recheck_id": recheck_id,
                "unit": u.unit,
                "name": u.name,
                "year": u.year,
                "team_total": _number(u.team_total),
                "team_recognised": u.team_recognised if isinstance(u.team_recognised, bool) else None,
                "province_total": u.province_total,
                "province_recognised": u.province_recognised,
                "disqualified": u.disqualified,
                "field_checked": u.field_checked,
                "blocking": _json(u.blocking),
            }
            for u in units
        ):
            conn.execute(recheck_units.insert(), batch)
    return recheck_id


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
