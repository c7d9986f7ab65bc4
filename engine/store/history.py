"""Read the store back: one unit's history across years, and what the year before says about the
units of a new run (the columns and comparisons the results workbook gains).

A unit's standing in a year is the province's decision when there is one (and whether it was later
withdrawn); without a decision it is the score's own outcome, labelled as such. For each unit and
year the last run recorded is the current one; earlier runs stay in the store and are counted.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, and_, select, tuple_

from engine.numbers import same_points
from engine.scoring.results import PriorYears, RunResult, UnitPrior
from engine.store.connect import Store
from engine.store.record import DECISION_KINDS, REVOKED
from engine.store.schema import (
    appeals,
    applications,
    criterion_results,
    decisions,
    evidence_versions,
    portal_years,
    recheck_units,
    rechecks,
    runs,
    succession,
    unit_results,
    version_results,
)
from engine.text import fmt

DECISION_LABELS = {
    "recognised": "Công nhận",
    "not_recognised": "Không công nhận",
    "deferred": "Tạm hoãn",
    REVOKED: "Thu hồi công nhận",
}
TOP_CRITERIA = 5


class DecisionView(BaseModel):
    id: int
    decision: str
    label: str
    number: str | None = None
    date: str | None = None
    reason: str | None = None
    source: str
    replaces: int | None = None
    basis: str | None = None  # "tinh": the province's re-check; "to": the team's result
    basis_total: float | None = None
    contradiction: str | None = None


class RecheckView(BaseModel):
    """The province's re-check of the unit that year (the last one kept)."""

    team_total: float | None = None
    team_recognised: bool | None = None
    province_total: float | None = None
    province_recognised: bool | None = None
    disqualified: bool = False
    field_checked: bool = False
    blocking: list[str] = Field(default_factory=list)
    source: str = ""


class AppealView(BaseModel):
    """A commune's appeal against a decision, and the province's answer."""

    id: int
    decision_id: int
    filed_at: str
    deadline: str
    grounds: str
    state: str  # open, accepted, rejected
    answer: str | None = None
    new_decision_id: int | None = None


class YearView(BaseModel):
    year: int | None
    code: str  # the code the unit had that year (an old code before a merger)
    name: str
    group: str
    criteria: str  # id@version
    criteria_title: str
    criteria_sha256: str
    total: float | None
    max_total: float | None
    recognisable: bool | None  # the score's own outcome
    proposed: bool | None
    self_score: float | None = None
    rank: int | None = None
    flags: list[str] = Field(default_factory=list)
    blocking: list[str] = Field(default_factory=list)
    points: dict[str, float] = Field(default_factory=dict)
    run_id: int | None = None
    runs: int = 0  # runs recorded for this unit and year (the last one is shown)
    decision: DecisionView | None = None
    withdrawal: DecisionView | None = None
    recheck: RecheckView | None = None
    changes: list[str] = Field(default_factory=list)  # from the year before
    scored_in: str = "cqtt score"  # or "cổng" (the portal's application, its current version)
    replaced: list[DecisionView] = Field(default_factory=list)  # earlier decisions, oldest first
    appeals: list[AppealView] = Field(default_factory=list)

    @property
    def recognised(self) -> bool | None:
        """Recognised that year: by the decision (and not withdrawn), else by the score."""
        if self.decision is not None:
            return self.decision.decision == "recognised" and self.withdrawal is None
        return self.recognisable


class Link(BaseModel):
    code: str
    name: str | None = None
    effective: str


class UnitHistory(BaseModel):
    kind: str = "history"
    schema_version: int = 1
    unit: str
    name: str | None
    predecessors: list[Link] = Field(default_factory=list)
    successors: list[Link] = Field(default_factory=list)
    years: list[YearView] = Field(default_factory=list)


def _view(row: Any) -> DecisionView:
    return DecisionView(
        id=row.id,
        decision=row.decision,
        label=DECISION_LABELS.get(row.decision, row.decision),
        number=row.number,
        date=row.date.isoformat() if isinstance(row.date, dt.date) else row.date,
        reason=row.reason,
        source=row.source,
        replaces=row.replaces,
        basis=row.basis,
        basis_total=row.basis_total,
        contradiction=row.contradiction,
    )


def _decisions_by_unit_year(
    conn: Connection, codes: Iterable[str]
) -> dict[tuple[str, int], tuple[DecisionView | None, DecisionView | None]]:
    """(unit, year) -> (current decision, withdrawal of it if any)."""
    return {k: (current, withdrawn) for k, (current, withdrawn, _) in _decision_chains(conn, codes).items()}


def _decision_chains(
    conn: Connection, codes: Iterable[str]
) -> dict[tuple[str, int], tuple[DecisionView | None, DecisionView | None, list[DecisionView]]]:
    """(unit, year) -> (current decision, withdrawal of it if any, the decisions they replaced,
    oldest first)."""
    rows = conn.execute(
        select(decisions).where(decisions.c.unit.in_(list(codes))).order_by(decisions.c.id)
    ).all()
    found: dict[tuple[str, int], tuple[DecisionView | None, DecisionView | None, list[DecisionView]]] = {}
    for row in rows:
        key = (row.unit, row.year)
        current, withdrawn, earlier = found.get(key, (None, None, []))
        if row.decision in DECISION_KINDS:
            if current is not None:
                earlier = [*earlier, current] + ([withdrawn] if withdrawn is not None else [])
            found[key] = (_view(row), None, earlier)
        elif row.decision == REVOKED:
            found[key] = (current, _view(row), earlier)
    return found


def _appeals(conn: Connection, codes: Iterable[str]) -> dict[tuple[str, int], list[AppealView]]:
    rows = conn.execute(
        select(appeals).where(appeals.c.unit_code.in_(list(codes))).order_by(appeals.c.id)
    ).all()
    found: dict[tuple[str, int], list[AppealView]] = defaultdict(list)
    for r in rows:
        found[(r.unit_code, r.year)].append(
            AppealView(
                id=r.id,
                decision_id=r.decision_id,
                filed_at=_day_of(r.filed_at),
                deadline=r.deadline.isoformat(),
                grounds=r.grounds,
                state=r.state,
                answer=r.answer,
                new_decision_id=r.new_decision_id,
            )
        )
    return found


def _day_of(moment: dt.datetime) -> str:
    """The date in Vietnam (UTC+7) of a stored UTC time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.timezone(dt.timedelta(hours=7))).date().isoformat()


def _portal_results(conn: Connection, codes: Iterable[str]) -> dict[tuple[str, int], Any]:
    """(code, year) -> the portal application's current result: the province's field check, else
    the district's verified values, else the commune's submission (as the portal shows it)."""
    rows = conn.execute(
        select(
            applications.c.unit_code,
            applications.c.year,
            version_results.c.result,
            portal_years.c.criteria_ref,
            portal_years.c.criteria_sha256,
            evidence_versions.c.kind,
        )
        .join(version_results, version_results.c.version_id == applications.c.scored_version_id)
        .join(evidence_versions, evidence_versions.c.id == applications.c.scored_version_id)
        .join(portal_years, portal_years.c.year == applications.c.year)
        .where(applications.c.unit_code.in_(list(codes)))
    ).all()
    return {(r.unit_code, r.year): r for r in rows}


def _rechecks(conn: Connection, codes: Iterable[str]) -> dict[tuple[str, int | None], RecheckView]:
    """(unit, year) -> the last re-check kept of it."""
    rows = conn.execute(
        select(recheck_units, rechecks.c.source)
        .join(rechecks, rechecks.c.id == recheck_units.c.recheck_id)
        .where(recheck_units.c.unit.in_(list(codes)))
        .order_by(recheck_units.c.recheck_id)
    ).all()
    return {
        (r.unit, r.year): RecheckView(
            team_total=r.team_total,
            team_recognised=r.team_recognised,
            province_total=r.province_total,
            province_recognised=r.province_recognised,
            disqualified=bool(r.disqualified),
            field_checked=bool(r.field_checked),
            blocking=json.loads(r.blocking),
            source=r.source,
        )
        for r in rows
    }


def _latest_results(conn: Connection, where: Any) -> dict[tuple[str, int | None], tuple[Any, int]]:
    """(code, year) -> (row of the last run recorded, number of runs recorded)."""
    rows = conn.execute(
        select(
            unit_results,
            runs.c.criteria_id,
            runs.c.criteria_version,
            runs.c.criteria_title,
            runs.c.criteria_sha256,
        )
        .join(runs, runs.c.id == unit_results.c.run_id)
        .where(where)
        .order_by(unit_results.c.run_id)
    ).all()
    latest: dict[tuple[str, int | None], tuple[Any, int]] = {}
    for row in rows:
        key = (row.code, row.year)
        latest[key] = (row, latest[key][1] + 1 if key in latest else 1)
    return latest


def _chain(conn: Connection, code: str, column: str) -> list[Link]:
    """Predecessors (column "new_code") or successors ("old_code") of a code, followed through
    earlier (or later) reorganisations only: a link of the same day describes another unit made
    that day (since 2025 a code may name an old unit and the new one that kept its code, and an
    old unit split between several new ones must not bring in the others' predecessors)."""
    other = "old_code" if column == "new_code" else "new_code"
    found: list[Link] = []
    seen = {code}
    todo: list[tuple[str, Any]] = [(code, None)]
    while todo:
        current, reached_on = todo.pop(0)
        rows = conn.execute(
            select(succession).where(succession.c[column] == current).order_by(succession.c[other])
        ).all()
        for row in rows:
            nxt = row._mapping[other]
            if nxt in seen:
                continue
            if reached_on is not None and (
                row.effective >= reached_on if column == "new_code" else row.effective <= reached_on
            ):
                continue
            seen.add(nxt)
            todo.append((nxt, row.effective))
            name = row.old_name if other == "old_code" else row.new_name
            found.append(Link(code=nxt, name=name, effective=row.effective.isoformat()))
    return found


def codes_named(store: Store, name: str) -> dict[str, str]:
    """Code -> name of the units the store knows by this name (results and the portal's unit
    lists), compared without case, spacing or Unicode form."""
    import unicodedata

    from engine.store.schema import units as unit_list

    def key(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    wanted = key(name)
    found: dict[str, str] = {}
    with store.read() as conn:
        for table in (unit_results, unit_list):
            for code, shown in conn.execute(select(table.c.code, table.c.name).distinct()):
                if shown and key(shown) == wanted:
                    found.setdefault(code, shown)
    return dict(sorted(found.items()))


def unit_history(store: Store, code: str) -> UnitHistory:
    with store.read() as conn:
        predecessors = _chain(conn, code, "new_code")
        successors = _chain(conn, code, "old_code")
        codes = [code, *(p.code for p in predecessors)]
        latest = _latest_results(conn, unit_results.c.code.in_(codes))
        points: dict[tuple[int, str], dict[str, float]] = defaultdict(dict)
        keys = [(row.run_id, row.code) for row, _ in latest.values()]
        if keys:
            for r in conn.execute(
                select(criterion_results).where(
                    tuple_(criterion_results.c.run_id, criterion_results.c.code).in_(keys)
                )
            ):
                points[(r.run_id, r.code)][r.criterion] = r.points
        decided = _decision_chains(conn, codes)
        checked = _rechecks(conn, codes)
        filed = _appeals(conn, codes)
        portal = _portal_results(conn, codes)
    views: dict[tuple[str, int | None], YearView] = {}
    for (c, year), (row, count) in latest.items():
        views[(c, year)] = YearView(
            year=year,
            code=c,
            name=row.name,
            group=row.appraisal_group,
            criteria=f"{row.criteria_id}@{row.criteria_version}",
            criteria_title=row.criteria_title,
            criteria_sha256=row.criteria_sha256,
            total=row.total,
            max_total=row.max_total,
            recognisable=row.recognised,
            proposed=row.proposed,
            self_score=row.self_score,
            rank=row.rank,
            flags=json.loads(row.flags),
            blocking=json.loads(row.blocking),
            points=points[(row.run_id, c)],
            run_id=row.run_id,
            runs=count,
        )
    for (c, year), row in portal.items():
        if (c, year) in views:
            continue  # a run recorded by `cqtt score --db` is the year's result
        result = json.loads(row.result)
        views[(c, year)] = YearView(
            year=year,
            code=c,
            name=result.get("name", ""),
            group=result.get("group", ""),
            criteria=row.criteria_ref,
            criteria_title="",
            criteria_sha256=row.criteria_sha256,
            total=result.get("total"),
            max_total=result.get("max_total"),
            recognisable=result.get("recognised"),
            proposed=result.get("proposed"),
            self_score=result.get("self_score"),
            flags=[f.get("code", "") for f in result.get("flags", [])],
            blocking=result.get("blocking", []),
            points={c["id"]: c["points"] for c in result.get("criteria", [])},
            scored_in="cổng",
        )
    for (c, year), (decision, withdrawal, earlier) in decided.items():
        view = views.get((c, year))
        if view is None:
            view = views[(c, year)] = YearView(
                year=year,
                code=c,
                name="",
                group="",
                criteria="",
                criteria_title="",
                criteria_sha256="",
                total=None,
                max_total=None,
                recognisable=None,
                proposed=None,
            )
        view.decision, view.withdrawal, view.replaced = decision, withdrawal, earlier
        view.appeals = filed.get((c, year), [])
    for key, recheck in checked.items():
        if key in views:
            views[key].recheck = recheck
    years = sorted(views.values(), key=lambda v: (v.year is None, v.year or 0, v.code != code, v.code))
    by_code: dict[str, YearView] = {}
    previous_any: YearView | None = None
    for view in years:
        before = by_code.get(view.code)
        if before is None and view.code == code and len(predecessors) == 1:
            before = by_code.get(predecessors[0].code)
        if before is not None:
            view.changes = changes(before, view)
        by_code[view.code] = view
        previous_any = view
    del previous_any
    name = next((v.name for v in reversed(years) if v.code == code and v.name), None)
    return UnitHistory(unit=code, name=name, predecessors=predecessors, successors=successors, years=years)


def _yes(value: bool | None) -> str:
    return "-" if value is None else ("đạt" if value else "chưa đạt")


@functools.lru_cache(maxsize=16)
def _titles(ref: str | None) -> dict[str, str]:
    """Criterion id -> its title under a rule set (empty when the set is not available here)."""
    from engine.errors import CqttError
    from engine.rules.loader import load_ref

    if not ref:
        return {}
    try:
        loaded = load_ref(ref, notify=False)
    except (CqttError, OSError, ValueError):
        return {}
    return {c.id: c.title for _, c in loaded.model.criteria()}


def changes(before: YearView, after: YearView) -> list[str]:
    """What changed from one year to the next, in words people read (criteria by their titles,
    flags by their labels), most telling first."""
    from engine.scoring.flags import FLAG_LABELS

    titles = {**_titles(before.criteria), **_titles(after.criteria)}

    def criterion(k: str) -> str:
        return f"“{titles[k]}”" if k in titles else k

    def flag(code: str) -> str:
        return FLAG_LABELS[code][1].lower() if code in FLAG_LABELS else code

    found: list[str] = []
    if before.code != after.code:
        found.append(f"mã đơn vị {before.code} → {after.code}")
    if before.criteria and after.criteria and before.criteria != after.criteria:
        found.append(f"bộ tiêu chí {before.criteria} → {after.criteria}")
    if before.total is not None and after.total is not None:
        delta = after.total - before.total
        found.append(
            f"tổng điểm {fmt(before.total)} → {fmt(after.total)} ({'+' if delta >= 0 else ''}{fmt(delta)})"
        )
    if before.recognised != after.recognised and None not in (before.recognised, after.recognised):
        found.append(f"công nhận: {_yes(before.recognised)} → {_yes(after.recognised)}")
    moved = [
        (after.points[k] - before.points[k], k)
        for k in sorted(set(before.points) & set(after.points))
        if not same_points(after.points[k], before.points[k])
    ]
    moved.sort(key=lambda m: (-abs(m[0]), m[1]))
    for _delta, k in moved[:TOP_CRITERIA]:
        found.append(f"{criterion(k)}: {fmt(before.points[k])} → {fmt(after.points[k])}")
    if len(moved) > TOP_CRITERIA:
        found.append(f"và {len(moved) - TOP_CRITERIA} tiêu chí khác đổi điểm")
    if before.points and after.points:
        new = sorted(set(after.points) - set(before.points))
        gone = sorted(set(before.points) - set(after.points))
        if new:
            found.append(f"tiêu chí mới: {', '.join(map(criterion, new))}")
        if gone:
            found.append(f"tiêu chí không còn: {', '.join(map(criterion, gone))}")
    added = sorted(set(after.flags) - set(before.flags))
    removed = sorted(set(before.flags) - set(after.flags))
    if added:
        found.append(f"cảnh báo mới: {', '.join(map(flag, added))}")
    if removed:
        found.append(f"hết cảnh báo: {', '.join(map(flag, removed))}")
    return found


# -- the year before, for a new run ------------------------------------------------------------------
def prior_years(store: Store, run: RunResult) -> PriorYears | None:
    """What the store knows of the year before for the units of `run`, or None when it knows
    nothing (no earlier year recorded for any of them and no decision for this year)."""
    years = sorted({u.year for u in run.units if u.year is not None})
    if not years:
        return None
    codes = [u.code for u in run.units]
    with store.read() as conn:
        links = conn.execute(select(succession)).all()
        predecessors: dict[str, list[str]] = defaultdict(list)
        for link in links:
            predecessors[link.new_code].append(link.old_code)
        all_codes = set(codes) | {o for c in codes for o in predecessors.get(c, [])}
        earlier = _latest_results(
            conn, and_(unit_results.c.year < max(years), unit_results.c.year.is_not(None))
        )
        decided = _decisions_by_unit_year(conn, sorted(all_codes))
    if not any(k[0] in all_codes for k in earlier) and not any(k[0] in all_codes for k in decided):
        return None

    decided_years = {y for (_, y), (d, _) in decided.items() if d is not None}

    def standing(code: str, year: int) -> tuple[bool | None, str | None]:
        decision, withdrawal = decided.get((code, year), (None, None))
        if decision is not None:
            if withdrawal is not None:
                return False, DECISION_LABELS[REVOKED]
            return decision.decision == "recognised", decision.label
        if year in decided_years:  # the province decided that year, not on this unit
            return False, "Không có quyết định"
        found = earlier.get((code, year))
        if found is None:
            return None, None
        return bool(found[0].recognised and found[0].proposed), None  # by the score alone

    years_of: dict[str, set[int]] = defaultdict(set)
    for c, y in [*earlier, *decided]:
        if y is not None:
            years_of[c].add(y)
    prior: dict[str, UnitPrior] = {}
    for unit in run.units:
        if unit.year is None:
            continue
        last = unit.year - 1
        sources = [unit.code] if (unit.code, last) in earlier or (unit.code, last) in decided else []
        if not sources:
            sources = [
                o for o in predecessors.get(unit.code, []) if (o, last) in earlier or (o, last) in decided
            ]
        found = earlier.get((sources[0], last)) if len(sources) == 1 else None
        row = None if found is None else found[0]
        status, label = standing(sources[0], last) if len(sources) == 1 else (None, None)
        ever = any(
            standing(c, y)[0]
            for c in [unit.code, *predecessors.get(unit.code, [])]
            for y in years_of.get(c, ())
            if y < unit.year
        )
        this_year, withdrawn = decided.get((unit.code, unit.year), (None, None))
        candidate = (
            this_year is not None
            and this_year.decision == "recognised"
            and withdrawn is None
            and any(f.code == "disqualified" for f in unit.flags)
        )
        prior[unit.code] = UnitPrior(
            year=last,
            codes=sources,
            total=None if row is None else row.total,
            criteria=None if row is None else f"{row.criteria_id}@{row.criteria_version}",
            recognised=status,
            decision=label,
            change=None if row is None else round(unit.total - row.total, 2),
            first_recognition=unit.recognised and not ever,
            recognition_lost=bool(status) and not unit.recognised,
            decided_this_year=this_year is not None,
            withdrawal_candidate=candidate,
            withdrawal_reason=next((f.message for f in unit.flags if f.code == "disqualified"), None)
            if candidate
            else None,
        )
    last_year = max(years) - 1
    before = [row for (c, y), (row, _) in earlier.items() if y == last_year]
    return PriorYears(
        year=last_year,
        units=prior,
        previous_units=len(before),
        previous_recognisable=sum(1 for r in before if r.recognised),
        previous_recognised=sum(
            1
            for (c, y), (d, w) in decided.items()
            if y == last_year and d is not None and d.decision == "recognised" and w is None
        ),
        previous_share_by_group=_shares(before),
    )


def _shares(rows: list[Any]) -> dict[str, float]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r in rows:
        totals[r.appraisal_group][0] += 1
        totals[r.appraisal_group][1] += int(bool(r.recognised))
    return {g: n_ok / n for g, (n, n_ok) in sorted(totals.items()) if n}


def proposed_before(store: Store, pairs: list[tuple[str, int]]) -> set[str]:
    """The codes among `pairs` (code, year) proposed in an earlier year, under their own code or a
    code they replaced: a recorded result marked proposed, or any decision (only proposals get
    one)."""
    if not pairs:
        return set()
    with store.read() as conn:
        predecessors: dict[str, list[str]] = defaultdict(list)
        for link in conn.execute(select(succession)).all():
            predecessors[link.new_code].append(link.old_code)
        codes = sorted({c for code, _ in pairs for c in [code, *predecessors.get(code, [])]})
        years: dict[str, set[int]] = defaultdict(set)
        for row in conn.execute(
            select(unit_results.c.code, unit_results.c.year).where(
                and_(
                    unit_results.c.code.in_(codes),
                    unit_results.c.proposed.is_(True),
                    unit_results.c.year.is_not(None),
                )
            )
        ):
            years[row.code].add(row.year)
        for row in conn.execute(
            select(decisions.c.unit, decisions.c.year).where(decisions.c.unit.in_(codes))
        ):
            years[row.unit].add(row.year)
    return {
        code
        for code, year in pairs
        if any(y < year for c in [code, *predecessors.get(code, [])] for y in years.get(c, ()))
    }
