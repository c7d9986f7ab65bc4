"""What the district's ranking page and the province's dashboard show, computed from the unit
list (the denominator of every share) and each application's current score.

A share is "toàn tỉnh" only when it covers the province's whole unit list for the year; a unit
that did not submit is listed as "chưa nộp", never scored or ranked, but counted. A unit counts as
eligible (or proposed) only once its team has finalised the appraisal: before that its score is on
values nobody has finished checking, counted apart ("theo số xã khai, chưa thẩm định"), as the
downloads of the same scope do (engine.portal.exports).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from engine.portal.roles import APPRAISED, STATES, SUBMITTED
from engine.portal.units import Unit, criteria_of
from engine.scoring.flags import FLAG_LABELS
from engine.scoring.ranking import ranks_by_code
from engine.store import dossiers as dossier_rows
from engine.store.connect import Store


@dataclass
class Row:
    unit: Unit
    state: str
    total: float | None = None
    recognised: bool | None = None
    proposed: bool | None = None
    flags: list[str] = field(default_factory=list)
    kind: str | None = None  # whose values the score is on: declared | verified
    problems: int = 0
    rank: int | None = None

    @property
    def state_label(self) -> str:
        return STATES[self.state]

    @property
    def scored(self) -> bool:
        return self.total is not None and self.state in SUBMITTED


def rows(store: Store, year: int, district: str | None = None) -> list[Row]:
    """Every unit of the year's list (of one district), with its application's state and score."""
    with store.read() as conn:
        found = dossier_rows.unit_rows(conn, year, district)
    out = [_row(year, r) for r in found]
    _rank(out)
    return out


def _row(year: int, r: Any) -> Row:
    state = r.state or "chua_nop"
    row = Row(Unit(year, r.code, r.name, r.district), state)
    if state in SUBMITTED and r.total is not None:
        row.total, row.recognised, row.proposed = r.total, bool(r.recognised), r.proposed
        row.flags, row.kind, row.problems = json.loads(r.flags), r.kind, r.problems
    return row


def _rank(found: list[Row]) -> None:
    """Competition ranking by total (1, 2, 2, 4), as the results workbook ranks; only scored units."""
    ranks = ranks_by_code({r.unit.code: r.total or 0.0 for r in found if r.scored})
    for r in found:
        r.rank = ranks.get(r.unit.code)


@dataclass
class Counts:
    name: str
    units: int = 0
    submitted: int = 0
    appraised: int = 0
    sent: int = 0
    proposed: int = 0  # appraised applications only, as every count below but the pending ones
    eligible: int = 0
    proposed_not_eligible: int = 0
    pending_eligible: int = 0  # submitted, appraisal not finished: eligible on unchecked values
    pending_proposed: int = 0
    flags: Counter[str] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)

    def add_many(self, state: str, proposed: bool | None, recognised: bool | None, n: int) -> None:
        """`n` units in one state with the same score outcome (a group the database counted)."""
        self.units += n
        self.states[state] += n
        if state not in SUBMITTED:
            return
        self.submitted += n
        self.appraised += n if state in APPRAISED else 0
        self.sent += n if state == "da_gui_tinh" else 0
        if recognised is None:
            return
        if state not in APPRAISED:
            self.pending_proposed += n if proposed else 0
            self.pending_eligible += n if recognised else 0
            return
        self.proposed += n if proposed else 0
        self.eligible += n if recognised else 0
        self.proposed_not_eligible += n if proposed and not recognised else 0

    def add(self, r: Row) -> None:
        self.add_many(r.state, r.proposed if r.total is not None else None, r.recognised, 1)
        if r.state in SUBMITTED and r.total is not None:
            self.flags.update(r.flags)

    @property
    def pending(self) -> int:
        """Submitted applications whose appraisal is not finished."""
        return self.submitted - self.appraised

    @property
    def eligible_share(self) -> float:
        return self.eligible / self.units if self.units else 0.0

    def reaches(self, target: float | None) -> bool | None:
        if target is None or not self.units:
            return None
        from engine.numbers import exact

        return Fraction(self.eligible, self.units) >= exact(target)


@dataclass
class Dashboard:
    year: int
    criteria: str
    status: str
    target: float | None
    province: Counts
    districts: list[Counts]
    flag_labels: dict[str, str]
    progress: list[tuple[str, dict[str, int]]]  # day -> state -> units that reached it by then
    whole_list: bool = True  # the counts cover the province's whole unit list


def dashboard(store: Store, year: int) -> Dashboard:
    """The province's dashboard from the year's units as this process holds them (brought up to
    date by the units that changed since, not counted again: many reviewers open it while the
    districts work), made once per state of the store."""
    view = year_view(store, year)
    with view.lock:
        if view.dashboard is None:
            view.dashboard = _dashboard_of(store, year, view)
        return view.dashboard


def _dashboard_of(store: Store, year: int, view: YearView) -> Dashboard:
    province = Counts("Toàn tỉnh")
    by_district: dict[str, Counts] = {}
    for r in view.rows.values():
        mine = by_district.get(r.unit.district)
        if mine is None:
            mine = by_district[r.unit.district] = Counts(r.unit.district)
        mine.add(r)
        province.add(r)
    return _made(store, year, province, by_district)


def _made(store: Store, year: int, province: Counts, by_district: dict[str, Counts]) -> Dashboard:
    loaded = criteria_of(store, year)
    return Dashboard(
        year=year,
        criteria=loaded.model.ref,
        status=loaded.model.status,
        target=loaded.model.flags.target_share,
        province=province,
        districts=[by_district[k] for k in sorted(by_district)],
        flag_labels={code: label for code, (_, label) in FLAG_LABELS.items()},
        progress=progress(store, year),
    )


def count_dashboard(store: Store, year: int) -> Dashboard:
    """The counts of every district and of the province, aggregated by the database (a province
    of 10,000 units is a few hundred groups, not 10,000 rows); the flags counted once per distinct
    set of flags. What the held view must always agree with (tests compare them)."""
    with store.read() as conn:
        counted = dossier_rows.counted_by_group(conn, year)
        flagged = dossier_rows.flag_sets_by_group(conn, year, SUBMITTED)
    province = Counts("Toàn tỉnh")
    by_district: dict[str, Counts] = {}
    for district, state, proposed, recognised, n in counted:
        mine = by_district.setdefault(district, Counts(district))
        for target in (mine, province):
            target.add_many(state or "chua_nop", proposed, recognised, n)
    parsed: dict[str, list[str]] = {}
    for district, text, n in flagged:
        codes = parsed.setdefault(text, json.loads(text))
        for code in codes:
            by_district[district].flags[code] += n
            province.flags[code] += n
    return _made(store, year, province, by_district)


# -- the year's units held by the process, brought up to date by what changed ---------------------
@dataclass
class YearView:
    """Every unit of a year's list with its current state and score, as of `stamp`
    (engine.store.dossiers.change_stamp). Replaced, never changed, when the store moves on: a page
    that holds one reads a consistent whole."""

    stamp: tuple[Any, ...]
    rows: dict[str, Row]  # by code, in code order
    listed: dict[str, dict[str, Any]]  # by code: the row as the lists show it
    lock: threading.Lock = field(default_factory=threading.Lock)
    dashboard: Dashboard | None = None


_VIEWS: dict[tuple[str, int], YearView] = {}
_UPDATING: dict[tuple[str, int], threading.Lock] = {}
_GUARD = threading.Lock()


def year_view(store: Store, year: int) -> YearView:
    """The year's units as the store holds them now. When only applications changed since the
    view this process holds (the list itself is the same), only the units they belong to are read
    again; one thread brings the view up to date while the others asking wait for it."""
    key = (store.label, year)
    with store.read() as conn:
        stamp = dossier_rows.change_stamp(conn, year)
    held = _VIEWS.get(key)
    if held is not None and held.stamp == stamp:
        return held
    with _GUARD:
        updating = _UPDATING.setdefault(key, threading.Lock())
    with updating:
        held = _VIEWS.get(key)
        with store.read() as conn:
            # the stamp first, the rows after: the rows are at least as new as the stamp says,
            # and whatever commits in between is read again next time (reading a row is idempotent)
            stamp = dossier_rows.change_stamp(conn, year)
            if held is not None and held.stamp == stamp:
                return held
            made = _brought_up_to_date(conn, year, held, stamp) if held is not None else None
            if made is None:
                made = _view_of(year, stamp, dossier_rows.unit_rows(conn, year))
        if len(_VIEWS) > 20:
            _VIEWS.clear()
        _VIEWS[key] = made
        return made


def _view_of(year: int, stamp: tuple[Any, ...], found: list[Any]) -> YearView:
    rows = {r.code: _row(year, r) for r in found}
    return YearView(stamp, rows, {code: _listed(r) for code, r in rows.items()})


def _brought_up_to_date(conn: Any, year: int, held: YearView, stamp: tuple[Any, ...]) -> YearView | None:
    """The held view with the units changed since read again, or None when it must be made anew
    (another list loaded, or rows committed late under the ids the held view had seen)."""
    last_t, last_v, loaded_at, size, count_t, count_v = held.stamp
    if (loaded_at, size) != stamp[2:4]:
        return None
    codes, later_t, later_v = dossier_rows.changed_since(conn, year, last_t or 0, last_v or 0)
    if later_t != stamp[4] - count_t or later_v != stamp[5] - count_v:
        return None
    rows = dict(held.rows)
    listed = dict(held.listed)
    for r in dossier_rows.unit_rows(conn, year, codes=codes):
        fresh = _row(year, r)
        rows[r.code] = fresh
        listed[r.code] = _listed(fresh)
    return YearView(stamp, rows, listed)


def progress(store: Store, year: int) -> list[tuple[str, dict[str, int]]]:
    """For each day something happened: how many applications had reached each state by the end
    of that day (a unit counts once per state however often it went back and forth)."""
    with store.read() as conn:
        counted = dossier_rows.first_reached(conn, year)
    days = sorted({d for d, _, _ in counted})
    running: Counter[str] = Counter()
    out = []
    per_day: dict[str, Counter[str]] = {}
    for d, state, n in counted:
        per_day.setdefault(d, Counter())[state] += n
    for d in days:
        running.update(per_day[d])
        out.append((f"{d[8:10]}/{d[5:7]}/{d[0:4]}", dict(running)))
    return out


def past_years(store: Store, year: int, code: str) -> tuple[list[Any], list[Any]]:
    """The unit's history before `year` as the history store keeps it (`cqtt history`): the old
    units it was formed from, and each earlier year's result under its own code and decision."""
    from engine.store.history import unit_history

    found = unit_history(store, code)
    earlier = [y for y in found.years if y.year is not None and y.year < year]
    return list(found.predecessors), earlier


# -- the list of a year's units, as people search, sort, filter and download it -----------------------
RESULTS = {
    "dat": "Đủ điều kiện (đã thẩm định)",
    "khong_dat": "Chưa đạt (đã thẩm định)",
    "chua_xong": "Chưa thẩm định xong",
    "chua_nop": "Chưa nộp",
}


def listed_rows(store: Store, year: int, district: str | None = None) -> list[dict[str, Any]]:
    """Every unit of the year's list (of one team) as a row of plain values: what the list page
    shows and its download writes, counted as the dashboard counts (a result only once appraised),
    from the year's view (many people search the country's list while the teams work). The rows
    are shared: read them, never change them."""
    listed = year_view(store, year).listed.values()
    if district is None:
        return list(listed)
    return [r for r in listed if r["team"] == district]


def _listed(r: Row) -> dict[str, Any]:
    if r.state not in SUBMITTED:
        result = "chua_nop"
    elif r.state not in APPRAISED:
        result = "chua_xong"
    else:
        result = "dat" if r.recognised else "khong_dat"
    return {
        "code": r.unit.code,
        "name": r.unit.name,
        "team": r.unit.district,
        "state": r.state,
        "state_label": r.state_label,
        "total": r.total,
        "result": result,
        "result_label": RESULTS[result]
        + (" — theo số xã khai" if result == "chua_xong" and r.total is not None else ""),
        "proposed": "" if r.proposed is None else ("Có" if r.proposed else "Không"),
        "flags": r.flags,
        "flag_count": len(r.flags),
    }
