"""The province's review in the portal: the field-check sample and who checks each unit, the values
found on site (a third version of the evidence, scored like the others), the re-check of every
unit (the district's score beside the province's), decisions that cannot silently contradict the
scores, appeals within the period the rule file sets, and revocations.

The sample is the seeded, risk-weighted draw of `cqtt sample` (engine.review.field); decisions go
to the same table as `cqtt decisions --db`, revocations as `cqtt revoke`, re-checks as
`cqtt recheck --db`: history reads them all alike.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.clock import aware, now, today
from engine.errors import CqttError
from engine.numbers import same_points
from engine.portal import audit, dossiers, mail, scoring
from engine.portal.overview import rows as unit_rows
from engine.portal.policy import in_state
from engine.portal.roles import APPRAISED, SUBMITTED, Account
from engine.portal.scoring import UnitValues
from engine.portal.units import all_units, criteria_of
from engine.review.decisions import RevocationFields, check_revocation
from engine.review.field import Candidate, draw, risks_of
from engine.review.recheck import UnitDecisionRow
from engine.scoring.engine import DISQUALIFIED, tool_version
from engine.scoring.ranking import ranks_by_code
from engine.store import accounts as account_rows
from engine.store import dossiers as dossier_rows
from engine.store import reviews as rows
from engine.store.connect import Store
from engine.store.history import DECISION_LABELS, proposed_before
from engine.store.record import (
    DECISION_KINDS,
    REVOKED,
    NewDecision,
    RecheckedUnit,
    record_decisions,
    record_recheck,
    record_revocation,
)
from engine.text import fmt

DECISIONS = {"recognised": "Công nhận", "not_recognised": "Không công nhận", "deferred": "Tạm hoãn"}


class ReviewError(CqttError):
    """A step of the province's review that cannot be taken (one Vietnamese line)."""


# -- the field-check sample -------------------------------------------------------------------------
@dataclass
class Checked:
    code: str
    name: str
    district: str
    weight: float
    risks: list[str]
    checker: str | None
    done: bool


def draw_sample(store: Store, account: Account, address: str, year: int, n: int, seed: int) -> list[Checked]:
    """Draw `n` units among the year's appraised applications (the team has finalised them: a
    value still being verified is not one to check on site) that are proposed and recognisable by their
    current score, weighted by risk (first proposals weigh more: earlier years in the store and in
    the portal), as `cqtt sample` draws; the draw replaces any earlier draw of the year that has
    no checker assigned yet."""
    if not 1 <= n <= 1000:
        raise ReviewError("số đơn vị cần chọn phải từ 1 đến 1000")
    loaded = criteria_of(store, year)
    cs = loaded.model
    scored = [
        (d, v)
        for d, v in _scored(store, year, APPRAISED)
        if v.score is not None and v.score.proposed and v.score.recognised
    ]
    # the evidence as the engine read it (survey respondents weigh as in `cqtt sample`)
    read = scoring.read(
        loaded,
        [UnitValues(d.unit.code, d.unit.name, d.unit.district, year, v.data) for d, v in scored],
        "cổng",
    )
    apps = {a.code: a for a in read.applications}
    candidates: list[Candidate] = []
    group_points = {g.id: g.points for g in cs.groups}
    for dossier, version in scored:
        assert version.score is not None
        result = version.score.result
        shares: dict[str, float | None] = {
            g.id: g.points / group_points[g.id] for g in result.groups if group_points.get(g.id)
        }
        unit = dossier.unit
        risks = risks_of(cs, result.total, shares, {f.code for f in result.flags}, apps.get(unit.code))
        candidates.append(Candidate(unit.code, unit.name, unit.district, result.total, risks))
    if not candidates:
        raise ReviewError(
            f"năm {year} chưa có hồ sơ nào đã thẩm định xong, vừa được đề nghị vừa đủ điều kiện để chọn mẫu"
        )
    earlier = proposed_before(store, [(c.code, year) for c in candidates]) | _proposed_in_portal(
        store, year, [c.code for c in candidates]
    )
    for c in candidates:
        if c.code not in earlier:
            c.risks.append("first_proposal")
    drawn = draw(candidates, cs.flags.sample_weights, n, seed)
    moment = now()
    with store.write() as conn:
        rows.replace_unassigned_draw(
            conn,
            year,
            [
                {
                    "unit_code": d.code, "seed": seed, "weight": d.weight, "risks": json.dumps(d.risks),
                    "drawn_by": account.id, "drawn_at": moment, "checker_id": None, "assigned_at": None,
                }
                for d in drawn
            ],
        )  # fmt: skip
        audit.record(conn, account, address, "sample_drawn", str(year), {"n": n, "seed": seed})
    return sample_of(store, year)


def _proposed_in_portal(store: Store, year: int, codes: list[str]) -> set[str]:
    with store.read() as conn:
        return dossier_rows.proposed_in_earlier_years(conn, year, codes)


def _scored(
    store: Store, year: int, states: Collection[str] = SUBMITTED
) -> list[tuple[dossiers.Dossier, dossiers.Version]]:
    """Every application of the year in `states` (by default every submitted one) with the
    version its score is on."""
    with store.read() as conn:
        codes = dossier_rows.codes_in_states(conn, year, states)
    found = []
    for code in codes:
        d = dossiers.dossier(store, year, code)
        if d is None:
            continue
        version = dossiers.current(store, d)
        if version is not None:
            found.append((d, version))
    return found


def sample_of(store: Store, year: int) -> list[Checked]:
    with store.read() as conn:
        drawn = rows.sample(conn, year)
    found = []
    for r in drawn:
        d = dossiers.dossier(store, year, r.unit_code)
        versions = dossiers.versions(store, d.id) if d else []
        found.append(
            Checked(
                r.unit_code,
                d.unit.name if d else r.unit_code,
                d.unit.district if d else "",
                r.weight,
                json.loads(r.risks),
                r.login,
                dossiers.latest(versions, "field") is not None,
            )
        )
    return found


def assign(store: Store, account: Account, address: str, year: int, code: str, checker: str) -> None:
    with store.write() as conn:
        row = account_rows.enabled_with_role(conn, checker, "tinh")
        if row is None:
            raise ReviewError(f"“{checker}” không phải tài khoản phúc tra của tỉnh đang dùng")
        if not rows.assign(conn, year, code, row.id, now()):
            raise ReviewError(f"đơn vị {code} không có trong mẫu kiểm tra thực địa năm {year}")
        audit.record(conn, account, address, "checker_assigned", f"{year}/{code}", {"checker": checker})


def field_check_refusal(store: Store, account: Account, year: int, code: str) -> str | None:
    """Why `account` may not record values found on site at this unit now, or None: only a unit
    of the year's sample (by the checker it was assigned to; any of the province's checkers while
    nobody is) or one whose appeal the province accepted (scored again on what it finds), only
    once the team has its result."""
    with store.read() as conn:
        drawn = rows.field_check(conn, year, code)
        checker = account_rows.by_id(conn, drawn.checker_id) if drawn and drawn.checker_id else None
    reopened = any(a.state == "accepted" for a in appeals_of(store, year, code))
    if drawn is None and not reopened:
        return (
            f"đơn vị {code} không có trong mẫu kiểm tra thực địa năm {year} và không có kiến nghị được "
            "chấp nhận; chọn mẫu ở trang phúc tra"
        )
    if checker is not None and checker.id != account.id and not reopened:
        return f"việc kiểm tra thực địa đơn vị {code} đã giao cho {checker.full_name or checker.login}"
    d = dossiers.dossier(store, year, code)
    if d is None or not in_state("review.field_check", account.role, d.state):
        return "chỉ kiểm tra thực địa hồ sơ đã nộp"
    return None


def in_sample(store: Store, year: int, code: str) -> bool:
    with store.read() as conn:
        return rows.field_check(conn, year, code) is not None


# -- the values found on site -----------------------------------------------------------------------
def save_field(
    store: Store,
    account: Account,
    address: str,
    year: int,
    code: str,
    values: dict[str, str],
    reasons: dict[str, str],
    expected: int | None = None,
) -> dossiers.Saved:
    """The values found on site: a third version of the evidence ("tỉnh kiểm tra"), scored like the
    others; every value that differs from the district's needs a reason. From now on the unit's
    score is the province's, and the re-check is kept (team's and province's results)."""
    refusal = field_check_refusal(store, account, year, code)
    if refusal is not None:
        raise ReviewError(refusal)
    d = dossiers.dossier(store, year, code)
    assert d is not None
    found = dossiers.versions(store, d.id)
    team = dossiers.latest(found, "verified") or dossiers.latest(found, "declared")
    if team is None or team.score is None:
        raise ReviewError("hồ sơ chưa có kết quả của tổ thẩm định")
    saved = dossiers.save_version(
        store, account, address, year, code, "field", team.data, values, reasons, expected
    )
    loaded = criteria_of(store, year)
    province = saved.score
    record_recheck(
        store,
        {"id": loaded.model.id, "version": loaded.model.version, "sha256": loaded.sha256},
        f"cổng: kiểm tra thực địa {year}",
        None,
        None,
        tool_version(),
        [
            RecheckedUnit(
                code,
                d.unit.name,
                year,
                team.score.total,
                team.score.recognised,
                province.total,
                province.recognised,
                _disqualified(province.result.blocking),
                True,
                province.result.blocking,
            )  # fmt: skip
        ],
    )
    return saved


def _disqualified(blocking: list[str]) -> bool:
    return any(b.startswith(DISQUALIFIED) for b in blocking)


# -- the re-check -------------------------------------------------------------------------------------
@dataclass
class Rechecked:
    code: str
    name: str
    district: str
    team_total: float
    team_recognised: bool
    province_total: float
    province_recognised: bool
    field_checked: bool
    disqualified: bool

    @property
    def recognition_changed(self) -> bool:
        return self.team_recognised != self.province_recognised

    @property
    def total_changed(self) -> bool:
        return not same_points(self.team_total, self.province_total)


@dataclass
class RecheckPage:
    units: list[Rechecked] = field(default_factory=list)  # recognition changes, totals, the rest
    rank_shifts: int = 0  # units that only moved because others' points did


def recheck(store: Store, year: int) -> RecheckPage:
    """Every submitted unit, the district's result beside the province's (the same unless a field
    check found other values), ordered as `cqtt recheck` orders its discrepancies."""
    page = RecheckPage()
    for d, current in _scored(store, year):
        found = dossiers.versions(store, d.id)
        team = dossiers.latest(found, "verified") or dossiers.latest(found, "declared")
        if team is None or team.score is None or current.score is None:
            continue
        page.units.append(
            Rechecked(
                d.unit.code,
                d.unit.name,
                d.unit.district,
                team.score.total,
                team.score.recognised,
                current.score.total,
                current.score.recognised,
                current.kind == "field",
                _disqualified(current.score.result.blocking),
            )  # fmt: skip
        )
    before = ranks_by_code({u.code: u.team_total for u in page.units})
    after = ranks_by_code({u.code: u.province_total for u in page.units})
    page.rank_shifts = sum(1 for u in page.units if not u.total_changed and before[u.code] != after[u.code])
    page.units.sort(key=lambda u: (not u.recognition_changed, not u.total_changed, u.district, u.code))
    return page


# -- decisions ----------------------------------------------------------------------------------------
@dataclass
class DecisionRow:
    id: int
    decision: str
    label: str
    number: str | None
    date: dt.date | None
    reason: str | None
    contradiction: str | None
    basis: str | None
    basis_total: float | None
    replaces: int | None
    recorded_at: dt.datetime


def decisions_of(store: Store, year: int, code: str) -> list[DecisionRow]:
    with store.read() as conn:
        found = rows.decisions_of(conn, year, code)
    return [
        DecisionRow(
            r.id,
            r.decision,
            DECISION_LABELS.get(r.decision, r.decision),
            r.number,
            r.date,
            r.reason,
            r.contradiction,
            r.basis,
            r.basis_total,
            r.replaces,
            aware(r.recorded_at),  # type: ignore[arg-type]
        )  # fmt: skip
        for r in found
    ]


def current_decision(store: Store, year: int, code: str) -> tuple[DecisionRow | None, DecisionRow | None]:
    """The unit's current decision for the year, and its revocation if any."""
    current = revoked = None
    for row in decisions_of(store, year, code):
        if row.decision in DECISION_KINDS:
            current, revoked = row, None
        elif row.decision == REVOKED:
            revoked = row
    return current, revoked


def basis_of(store: Store, year: int, code: str) -> tuple[UnitDecisionRow, str]:
    """The result a decision is checked against: the province's (after a field check) or the
    district's, as the same row `cqtt decisions` checks."""
    d = dossiers.dossier(store, year, code)
    version = dossiers.current(store, d) if d else None
    if d is None or version is None or version.score is None:
        raise ReviewError("hồ sơ chưa có kết quả chấm để quyết định")
    score = version.score
    row = UnitDecisionRow(
        code=code,
        name=d.unit.name,
        group=d.unit.district,
        year=year,
        province_total=score.total,
        province_recognised=score.recognised,
        disqualified=_disqualified(score.result.blocking),
        field_checked=version.kind == "field",
        basis="phúc tra" if version.kind == "field" else "thẩm định",
    )
    return row, "tinh" if version.kind == "field" else "to"


def decide(
    store: Store,
    account: Account,
    address: str,
    year: int,
    code: str,
    decision: str,
    number: str,
    date: dt.date | None,
    reason: str,
    appeal_id: int | None = None,
) -> DecisionRow:
    """Record the province's decision. One that contradicts the current result (recognised while
    not eligible or with a disqualifier found, refused while eligible) needs a written reason and
    is kept with the contradiction, which lists, history, the dashboard and the audit log show.
    A decision taken on an accepted appeal replaces the current one and the appeal names it."""
    if decision not in DECISIONS:
        raise ReviewError("chọn Công nhận, Không công nhận hoặc Tạm hoãn")
    number, reason = number.strip()[:100], reason.strip()[:2000]
    if "\n" in number or "\r" in number:
        raise ReviewError("số quyết định chỉ một dòng")
    if decision != "deferred" and (not number or date is None):
        raise ReviewError(f"quyết định “{DECISIONS[decision]}” cần số và ngày quyết định")
    if date is not None and not (dt.date(year, 1, 1) <= date <= today()):
        raise ReviewError(f"ngày quyết định phải trong khoảng 01/01/{year} đến hôm nay")
    appeal = None
    if appeal_id is not None:
        appeal = next((a for a in appeals_of(store, year, code) if a.id == appeal_id), None)
        if appeal is None or appeal.state != "accepted" or appeal.new_decision_id is not None:
            raise ReviewError("kiến nghị này chưa được chấp nhận hoặc đã có quyết định mới")
    basis, kind = basis_of(store, year, code)
    contradiction = basis.contradiction(decision)
    if contradiction and not reason:
        raise ReviewError(f"quyết định trái với kết quả chấm: {contradiction}; cần ghi lý do")
    loaded = criteria_of(store, year)
    record_decisions(
        store,
        [
            NewDecision(
                code,
                year,
                decision,
                number or None,
                date,
                reason or None,
                kind,
                basis.province_total,
                basis.province_recognised,
                contradiction,
            )  # fmt: skip
        ],
        "cổng cqtt",
        None,
        {"criteria": loaded.model.id, "version": loaded.model.version, "sha256": loaded.sha256},
    )
    current, _ = current_decision(store, year, code)
    assert current is not None
    with store.write() as conn:
        if appeal is not None:
            rows.update_appeal(conn, appeal.id, new_decision_id=current.id)
        audit.record(
            conn, account, address, "decided", f"{year}/{code}",
            {"decision": decision, "number": number, "contradiction": contradiction,
             "appeal": appeal.id if appeal else None, "replaces": current.replaces},
        )  # fmt: skip
    return current


def revoke(
    store: Store,
    account: Account,
    address: str,
    year: int,
    code: str,
    number: str,
    date: dt.date | None,
    reason: str,
) -> None:
    named = RevocationFields("ô “Số quyết định thu hồi”", "ô “Ngày”", "ô “Lý do thu hồi”")
    number, day, reason = check_revocation(year, number, date, reason, named)
    record_revocation(store, code, year, number, day, reason)
    audit.log(store, account, address, "revoked", f"{year}/{code}", number=number)


def reopen(store: Store, account: Account, address: str, year: int, code: str, reason: str) -> None:
    """Open a unit's finalised appraisal again; refused while a decision on it stands (the
    decision is revoked first, so no decision ever rests on an appraisal being redone)."""
    decided, revoked = current_decision(store, year, code)
    if decided is not None and revoked is None:
        raise ReviewError(
            f"đơn vị đã có quyết định “{DECISIONS.get(decided.decision, decided.decision)}” "
            f"số {decided.number}: thu hồi quyết định trước khi mở lại thẩm định"
        )
    dossiers.reopen(store, account, address, year, code, reason)


# -- appeals ------------------------------------------------------------------------------------------
@dataclass
class Appeal:
    id: int
    year: int
    code: str
    decision_id: int
    grounds: str
    filed_by: str
    filed_at: dt.datetime
    deadline: dt.date
    state: str
    answer: str | None
    answered_at: dt.datetime | None
    new_decision_id: int | None

    @property
    def state_label(self) -> str:
        return {"open": "Đang xem xét", "accepted": "Chấp nhận", "rejected": "Không chấp nhận"}[self.state]


def appeal_deadline(store: Store, year: int, decision: DecisionRow) -> dt.date | None:
    """The last day to appeal a decision: its date plus the rule file's `appeals.days`; None when
    the set states no appeal period or the decision has no date."""
    period = criteria_of(store, year).model.appeals
    if period is None or decision.date is None:
        return None
    return decision.date + dt.timedelta(days=period.days)


def file_appeal(store: Store, account: Account, address: str, year: int, code: str, grounds: str) -> Appeal:
    grounds = grounds.strip()[:5000]
    if not grounds:
        raise ReviewError("cần ghi nội dung kiến nghị")
    current, revoked = current_decision(store, year, code)
    if current is None or revoked is not None or current.decision == "deferred":
        raise ReviewError("chưa có quyết định nào được ban hành để kiến nghị")
    deadline = appeal_deadline(store, year, current)
    if deadline is None:
        raise ReviewError("bộ tiêu chí không quy định thời hạn kiến nghị")
    if today() > deadline:
        raise ReviewError(
            f"đã hết thời hạn kiến nghị: quyết định số {current.number} ngày {current.date:%d/%m/%Y}, "
            f"hạn cuối {deadline:%d/%m/%Y}"
        )
    if any(a.state == "open" for a in appeals_of(store, year, code)):
        raise ReviewError("đã có một kiến nghị đang được xem xét")
    with store.write() as conn:
        appeal_id = rows.add_appeal(
            conn, year=year, unit_code=code, decision_id=current.id, grounds=grounds, filed_by=account.id,
            filed_at=now(), deadline=deadline, state="open", answer=None, answered_by=None,
            answered_at=None, new_decision_id=None,
        )  # fmt: skip
        if appeal_id is None:  # another one was filed at the same moment
            raise ReviewError("đã có một kiến nghị đang được xem xét")
        audit.record(conn, account, address, "appeal_filed", f"{year}/{code}", {"appeal": appeal_id})
        mail.tell(
            conn, "tinh", year, f"Xã {code} gửi kiến nghị về quyết định năm {year}",
            f"Đơn vị {code} gửi kiến nghị về quyết định số {current.number}:\n{grounds}",
            f"/nam/{year}/don-vi/{code}#kien-nghi",
        )  # fmt: skip
    return next(a for a in appeals_of(store, year, code) if a.id == appeal_id)


def appeals_of(store: Store, year: int, code: str | None = None) -> list[Appeal]:
    with store.read() as conn:
        found = rows.appeals_of(conn, year, code)
    return [
        Appeal(
            r.id,
            r.year,
            r.unit_code,
            r.decision_id,
            r.grounds,
            r.login or "",
            aware(r.filed_at),  # type: ignore[arg-type]
            r.deadline,
            r.state,
            r.answer,
            aware(r.answered_at),
            r.new_decision_id,
        )  # fmt: skip
        for r in found
    ]


def answer_appeal(
    store: Store,
    account: Account,
    address: str,
    year: int,
    code: str,
    appeal_id: int,
    accept: bool,
    answer: str,
) -> Appeal:
    """The province's answer, with its reason. A changed result is then decided again (`decide`),
    and the new decision names the one it replaces."""
    answer = answer.strip()[:5000]
    if not answer:
        raise ReviewError("cần ghi lý do trả lời kiến nghị")
    found = next((a for a in appeals_of(store, year, code) if a.id == appeal_id), None)
    if found is None or found.state != "open":
        raise ReviewError("kiến nghị này không còn chờ trả lời")
    with store.write() as conn:
        answered = rows.answer_open_appeal(
            conn,
            appeal_id,
            state="accepted" if accept else "rejected",
            answer=answer,
            answered_by=account.id,
            answered_at=now(),
        )
        if not answered:  # another answer got there first
            raise ReviewError("kiến nghị này không còn chờ trả lời")
        audit.record(
            conn,
            account,
            address,
            "appeal_answered",
            f"{year}/{code}",
            {"appeal": appeal_id, "accepted": accept},
        )
    return next(a for a in appeals_of(store, year, code) if a.id == appeal_id)


def steps(
    store: Store, year: int, code: str, versions: list[dossiers.Version], scores_shown: bool = True
) -> list[dossiers.Step]:
    """The review's steps for the unit's timeline: field checks (only to who may see the unit's
    scores: a commune learns of its field check once its appraisal is over), decisions and
    revocations, appeals and their answers."""
    found: list[dossiers.Step] = [
        dossiers.Step(
            v.created_at,
            v.author or "",
            f"Tỉnh kiểm tra thực địa: {fmt(v.score.total)} điểm" if v.score else "Tỉnh kiểm tra thực địa",
            "; ".join(f"{k}: {n}" for k, n in sorted(v.notes.items())),
            [],
        )
        for v in versions
        if v.kind == "field" and scores_shown
    ]
    for q in decisions_of(store, year, code):
        what = "Thu hồi công nhận" if q.decision == REVOKED else f"Quyết định: {q.label}"
        ref = " ".join(x for x in (q.number and f"số {q.number}", q.date and f"ngày {q.date:%d/%m/%Y}") if x)
        basis = ""
        if q.basis_total is not None:
            basis = (
                f"căn cứ {fmt(q.basis_total)} điểm ({'phúc tra' if q.basis == 'tinh' else 'tổ thẩm định'})"
            )
        comment = "; ".join(
            x
            for x in (
                ref,
                basis,
                "thay quyết định trước" if q.replaces else "",
                f"CẢNH BÁO: trái với kết quả chấm ({q.contradiction})" if q.contradiction else "",
                f"lý do: {q.reason}" if q.reason else "",
            )
            if x
        )
        found.append(dossiers.Step(q.recorded_at, "", what, comment, []))
    for a in appeals_of(store, year, code):
        found.append(dossiers.Step(a.filed_at, a.filed_by, "Xã gửi kiến nghị", a.grounds, []))
        if a.answered_at is not None:
            what = "Tỉnh chấp nhận kiến nghị" if a.state == "accepted" else "Tỉnh không chấp nhận kiến nghị"
            found.append(dossiers.Step(a.answered_at, "", what, a.answer or "", []))
    return found


def summary(store: Store, year: int) -> dict[str, Any]:
    """What the dashboard shows of the review: the sample, decisions by kind, those that
    contradict the scores, open appeals, and the decisions still open to appeal with the last
    day for each."""
    with store.read() as conn:
        decided = rows.decisions_of_year(conn, year)
        sampled = rows.drawn_count(conn, year)
    latest: dict[str, Any] = {}
    for r in decided:
        if r.decision in DECISION_KINDS:
            latest[r.unit] = r
        elif r.decision == REVOKED and r.unit in latest:
            latest[r.unit] = r
    counts: dict[str, int] = {}
    for r in latest.values():
        label = DECISION_LABELS.get(r.decision, r.decision)
        counts[label] = counts.get(label, 0) + 1
    flagged = [(r.unit, r.contradiction, r.reason) for r in latest.values() if r.contradiction]
    open_appeals = [a for a in appeals_of(store, year) if a.state == "open"]
    period = criteria_of(store, year).model.appeals
    window: list[tuple[str, dt.date]] = []
    if period is not None:
        for r in latest.values():
            if r.decision in ("recognised", "not_recognised") and r.date is not None:
                last = r.date + dt.timedelta(days=period.days)
                if last >= today():
                    window.append((r.unit, last))
    return {
        "counts": counts,
        "flagged": sorted(flagged),
        "appeals": open_appeals,
        "sample": sampled,
        "open_to_appeal": sorted(window, key=lambda w: (w[1], w[0])),
        "appeal_days": period.days if period is not None else None,
    }


# -- the list of decisions -------------------------------------------------------------------------
DECISION_FILTER = {**DECISIONS, REVOKED: "Thu hồi công nhận"}
APPEAL_STATES = {"open": "Đang xem xét", "accepted": "Chấp nhận", "rejected": "Không chấp nhận"}


def listed_decisions(store: Store, year: int) -> list[dict[str, Any]]:
    """Each unit with a decision this year as a row of plain values (the province's list of
    decisions, searched and downloaded like the units' list): its current decision or revocation,
    the number and date, the score it was taken against, whether it contradicts the scores, and
    its latest appeal."""
    with store.read() as conn:
        decided = rows.decisions_of_year(conn, year)
    latest: dict[str, Any] = {}
    for r in decided:
        if r.decision in DECISION_KINDS or (r.decision == REVOKED and r.unit in latest):
            latest[r.unit] = r
    appealed: dict[str, Appeal] = {}
    for a in appeals_of(store, year):
        appealed[a.code] = a  # oldest first: the last one stays
    units = {u.code: u for u in all_units(store, year)}
    out = []
    for code, r in latest.items():
        unit = units.get(code)
        appeal = appealed.get(code)
        out.append(
            {
                "code": code,
                "name": unit.name if unit else "",
                "team": unit.district if unit else "",
                "decision": r.decision,
                "decision_label": DECISION_FILTER.get(r.decision, r.decision),
                "number": r.number or "",
                "date": r.date,
                "basis_total": r.basis_total,
                "contradicts": "co" if r.contradiction else "khong",
                "contradiction": r.contradiction or "",
                "appeal": appeal.state if appeal else "",
                "appeal_label": appeal.state_label if appeal else "",
            }
        )
    return sorted(out, key=lambda row: (row["team"], row["code"]))


# -- the decision list for signature --------------------------------------------------------------
def decision_list(store: Store, year: int, issuer: str, place: str, templates: Path | None) -> bytes:
    """The list of units recognised in the year (by their current decision, not revoked), with the
    score each decision was taken against and, in the annex, the points by group, for signature."""
    from engine.outputs.records.build import Letterhead, Recognised, render_bytes
    from engine.outputs.records.build import decision_list as make

    loaded = criteria_of(store, year)
    units: list[Recognised] = []
    for r in unit_rows(store, year):
        current, revoked = current_decision(store, year, r.unit.code)
        if current is None or revoked is not None or current.decision != "recognised":
            continue
        d = dossiers.dossier(store, year, r.unit.code)
        version = dossiers.current(store, d) if d else None
        points = {g.id: g.points for g in version.score.result.groups} if version and version.score else {}
        notes = []
        if current.basis == "tinh":
            notes.append("Điểm phúc tra sau kiểm tra thực địa")
        if current.contradiction:
            notes.append(f"Trái với kết quả chấm: {current.contradiction}. Lý do: {current.reason}")
        total = current.basis_total if current.basis_total is not None else r.total
        units.append(Recognised(r.unit.code, r.unit.name, r.unit.district, total, points, notes))
    head = Letterhead(issuer=issuer, place=place, year=today().year)
    return render_bytes(make(loaded.model, year, units, head), "danh-sach-cong-nhan", templates)
