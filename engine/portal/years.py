"""The years a user has anything in, and what is still open in each: what lets every page offer
the user's own years and the start page open on the year with work waiting, not on the latest
list loaded (loading next year's list must not take anyone away from this year's work).

Open work, by role: a commune's application still to submit or complete, or a decision it may
still appeal (its deadline not passed, no appeal filed); a team's applications waiting for its
appraisal or for sending to the province; the province's applications sent to it without a
decision, and appeals waiting for an answer."""

from __future__ import annotations

from dataclasses import dataclass

from engine.clock import today
from engine.portal import review
from engine.portal.roles import APPRAISED, EDITABLE, UNDER_APPRAISAL, Account
from engine.portal.units import find_unit, has_district, years
from engine.store import dossiers as dossier_rows
from engine.store import reviews as review_rows
from engine.store.connect import Store
from engine.store.record import DECISION_KINDS


@dataclass(frozen=True)
class UserYear:
    year: int
    open_work: str  # what waits, in a few words ("" when nothing does)


def _commune(store: Store, year: int, code: str) -> UserYear | None:
    if find_unit(store, year, code) is None:
        return None
    with store.read() as conn:
        row = dossier_rows.application(conn, year, code)
    state = row.state if row is not None else "chua_nop"
    if state in EDITABLE:
        return UserYear(year, "hồ sơ chưa nộp" if state != "can_bo_sung" else "tổ thẩm định yêu cầu bổ sung")
    decided, revoked = review.current_decision(store, year, code)
    if decided is not None and revoked is None and decided.decision != "deferred":
        deadline = review.appeal_deadline(store, year, decided)
        appeals = review.appeals_of(store, year, code)
        if deadline is not None and today() <= deadline and not appeals:
            return UserYear(year, f"còn hạn kiến nghị đến {deadline:%d/%m/%Y}")
    return UserYear(year, "")


def _team(store: Store, year: int, district: str) -> UserYear | None:
    if not has_district(store, year, district):
        return None
    with store.read() as conn:
        found = dossier_rows.of_group(conn, year, district)
    waiting = sum(1 for r in found if r.state in UNDER_APPRAISAL or r.state == "da_tham_dinh")
    return UserYear(year, f"{waiting} hồ sơ chờ thẩm định hoặc gửi tỉnh" if waiting else "")


def _province(store: Store, year: int) -> UserYear:
    """Two queries a year (this bar is on every page the province opens): the applications sent
    to it, and the year's decisions."""
    with store.read() as conn:
        sent = dossier_rows.codes_in_states(conn, year, APPRAISED - {"da_tham_dinh"})
        decided = {r.unit for r in review_rows.decisions_of_year(conn, year) if r.decision in DECISION_KINDS}
    undecided = sum(1 for code in sent if code not in decided)
    answering = sum(1 for a in review.appeals_of(store, year) if a.state == "open")
    parts = [f"{undecided} hồ sơ chờ quyết định"] if undecided else []
    parts += [f"{answering} kiến nghị chờ trả lời"] if answering else []
    return UserYear(year, ", ".join(parts))


def user_years(store: Store, account: Account) -> list[UserYear]:
    """The years `account` has anything in, latest first, with what is open in each."""
    found: list[UserYear] = []
    for y in sorted((y.year for y in years(store)), reverse=True):
        if account.role == "xa" and account.unit_code:
            got = _commune(store, y, account.unit_code)
        elif account.role == "huyen" and (team := account.team_in(y)):
            got = _team(store, y, team)
        elif account.role == "tinh":
            got = _province(store, y)
        else:
            got = None
        if got is not None:
            found.append(got)
    return found


def start_year(listed: list[UserYear], role: str = "xa") -> int | None:
    """The year a user's start page opens on: for a commune or a team, the earliest with open
    work (older work runs out first: an appeal's deadline, an appraisal the province waits for),
    else the latest; for the province, the latest (its bar lists what waits in earlier years)."""
    if role == "tinh":
        return listed[0].year if listed else None
    waiting = [y.year for y in listed if y.open_work]
    if waiting:
        return min(waiting)
    return listed[0].year if listed else None
