"""What waits for each person ("Việc cần làm"), with its deadline: the year's dates the province
sets (submitting, appraising, sending the lists), the date a team gives a clarification request,
and the rule file's appeal window. Overdue work stands first, then by date.

Who sees what is the policy's scope: a commune its own application, a team the units it has that
year, the province the appeals to answer, the field checks given to the person, the lists sent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from engine.clock import now, today
from engine.errors import CqttError
from engine.portal import audit
from engine.portal.roles import UNDER_APPRAISAL, Account
from engine.store import deadlines as rows
from engine.store import reviews as review_rows
from engine.store import tasks as task_rows
from engine.store.connect import Store

# kind -> what the date is, as the province's form says it
DEADLINE_KINDS = {
    "nop": "Hạn xã nộp hồ sơ",
    "tham_dinh": "Hạn tổ thẩm định xong",
    "gui_tinh": "Hạn gửi danh sách lên tỉnh",
}


# more units than this with the same work and date make one line (linking to the list filtered)
GROUPED_OVER = 10


class DeadlineError(CqttError):
    """A date the province cannot set."""


@dataclass(frozen=True)
class Task:
    kind: str  # nop | bo_sung | tham_dinh | cho_xa | gui_tinh | kien_nghi | thuc_dia | quyet_dinh
    what: str  # the work, in words
    subject: str  # the unit (name and code), or the team
    due: dt.date | None = None
    unit: str | None = None  # the unit's code, where the work is on one unit
    team: str | None = None
    count: int = 1
    state: str | None = None  # for work on many units: the state they are in (the list's filter)

    def overdue(self, on: dt.date) -> bool:
        return self.due is not None and self.due < on


def deadlines(store: Store, year: int) -> dict[str, dt.date]:
    with store.read() as conn:
        return rows.of_year(conn, year)


def set_deadlines(
    store: Store, account: Account, address: str, year: int, dates: dict[str, dt.date | None]
) -> dict[str, dt.date]:
    """Set (or clear, with None) the year's dates; the appraisal cannot end before submitting,
    nor the lists be sent before the appraisal ends."""
    unknown = sorted(set(dates) - set(DEADLINE_KINDS))
    if unknown:
        raise DeadlineError(f"không có loại thời hạn {', '.join(unknown)}")
    with store.write() as conn:
        wanted = {**rows.of_year(conn, year), **{k: v for k, v in dates.items() if v is not None}}
        for k, v in dates.items():
            if v is None:
                wanted.pop(k, None)
        order = [wanted.get(k) for k in ("nop", "tham_dinh", "gui_tinh")]
        known = [d for d in order if d is not None]
        if known != sorted(known):
            raise DeadlineError("thời hạn phải theo thứ tự: nộp hồ sơ, rồi thẩm định xong, rồi gửi lên tỉnh")
        moment = now()
        for kind in DEADLINE_KINDS:
            if kind in wanted:
                rows.set_due(conn, year, kind, due=wanted[kind], set_by=account.id, set_at=moment)
            else:
                rows.clear(conn, year, kind)
        audit.record(
            conn, account, address, "deadlines_set", str(year),
            {k: v.isoformat() for k, v in sorted(wanted.items())},
        )  # fmt: skip
    return wanted


def tasks_for(store: Store, account: Account, year: int) -> list[Task]:
    """The account's work for the year, overdue first, then by date, then by unit."""
    found: list[Task] = []
    with store.read() as conn:
        due = rows.of_year(conn, year)
        if account.role == "xa" and account.unit_code:
            asked = task_rows.requests(conn, year, None, account.unit_code)
            for code, name, _, state in task_rows.units_in(conn, year, None, account.unit_code):
                if state in ("chua_nop", "dang_soan"):
                    found.append(Task("nop", "Soạn và nộp hồ sơ", f"{name} ({code})", due.get("nop"), code))
                elif state == "can_bo_sung":
                    found.append(
                        Task(
                            "bo_sung",
                            "Bổ sung hồ sơ theo yêu cầu của tổ",
                            f"{name} ({code})",
                            asked.get(code),
                            code,
                        )
                    )
        elif account.role == "huyen" and (team := account.team_in(year)) is not None:
            asked = task_rows.requests(conn, year, team, None)
            listed = task_rows.units_in(conn, year, team, None)
            for state in sorted(UNDER_APPRAISAL):  # one line per unit, or one for many
                these = [(code, name) for code, name, _, s in listed if s == state]
                what = "Thẩm định hồ sơ nộp lại" if state == "da_nop_lai" else "Thẩm định hồ sơ"
                if len(these) > GROUPED_OVER:
                    found.append(
                        Task("tham_dinh", f"{what} ({len(these)} hồ sơ)", team, due.get("tham_dinh"),
                             team=team, count=len(these), state=state)
                    )  # fmt: skip
                    continue
                for code, name in these:
                    found.append(Task("tham_dinh", what, f"{name} ({code})", due.get("tham_dinh"), code))
            for code, name, _, state in listed:
                if state == "can_bo_sung":
                    found.append(Task("cho_xa", "Chờ xã bổ sung", f"{name} ({code})", asked.get(code), code))
            ready = sum(1 for *_, state in listed if state == "da_tham_dinh")
            if ready:
                found.append(
                    Task(
                        "gui_tinh",
                        f"Gửi danh sách lên tỉnh ({ready} hồ sơ đã thẩm định)",
                        team,
                        due.get("gui_tinh"),
                        team=team,
                        count=ready,
                    )  # fmt: skip
                )
        elif account.role == "tinh":
            appeals = [a for a in review_rows.appeals_of(conn, year, None) if a.state == "open"]
            mine = [d for d in review_rows.sample(conn, year) if d.login == account.login]
            names = task_rows.names_of(
                conn, year, {a.unit_code for a in appeals} | {d.unit_code for d in mine}
            )
            for appeal in appeals:
                if appeal.state == "open":
                    subject = f"{names.get(appeal.unit_code, appeal.unit_code)} ({appeal.unit_code})"
                    found.append(Task("kien_nghi", "Trả lời kiến nghị", subject, None, appeal.unit_code))
            for drawn in mine:
                if not task_rows.field_checked(conn, year, drawn.unit_code):
                    subject = f"{names.get(drawn.unit_code, drawn.unit_code)} ({drawn.unit_code})"
                    found.append(Task("thuc_dia", "Kiểm tra thực địa", subject, None, drawn.unit_code))
            waiting = task_rows.sent_without_decision(conn, year)
            if waiting:
                what = f"Quyết định công nhận ({waiting} hồ sơ đã gửi tỉnh chưa có quyết định)"
                found.append(Task("quyet_dinh", what, f"năm {year}", None, count=waiting))
    on = today()
    return sorted(found, key=lambda t: (not t.overdue(on), t.due or dt.date.max, t.subject))
