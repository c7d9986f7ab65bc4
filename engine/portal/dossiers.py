"""Applications (hồ sơ đề nghị) and their states: the commune fills and submits, the district
verifies each value, asks for more, finalises and sends its list to the province.

Every version of the evidence is kept (the commune's declared values, the district's verified
values); a score is always the engine's, on one version. Every change of state is a row of the
timeline with who, when and why, and a row of the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.clock import aware, now, today
from engine.errors import CqttError
from engine.hashing import sha256_file
from engine.intake.evidence import Application, EvidenceSet, other_years, read_evidence, self_score_column
from engine.intake.values import to_text
from engine.intake.workbook import Limits, current_limits, limited
from engine.portal import audit, mail, submission
from engine.portal.form import changed_fields
from engine.portal.policy import TRANSITIONS, in_state
from engine.portal.roles import APPRAISED, STATES, SUBMITTED, UNDER_APPRAISAL, Account
from engine.portal.scoring import Scored, UnitValues, read, score_many, score_one
from engine.portal.surveys import live_values
from engine.portal.units import Unit, criteria_of
from engine.portal.units import unit as unit_of
from engine.rules.loader import LoadedCriteria
from engine.scoring.results import UnitResult
from engine.store import dossiers as rows
from engine.store.connect import Store, Tx


class EditConflict(CqttError):
    """A save made on a version someone else has replaced since the page was opened."""

    def __init__(self, message: str, current: int) -> None:
        super().__init__(message)
        self.current = current  # the id of the version saved meanwhile


class WorkflowError(CqttError):
    """A step that cannot be taken now (wrong state, missing reason...): one Vietnamese line."""


@dataclass
class Score:
    total: float
    recognised: bool
    proposed: bool | None
    flags: list[str]
    problems: int
    result: UnitResult
    issues: list[dict[str, Any]]

    def issue_for(self, key: str) -> str | None:
        return next((i["message"] for i in self.issues if i.get("field") == key), None)


@dataclass
class Version:
    id: int
    kind: str  # declared | verified
    draft: bool
    data: dict[str, str]
    notes: dict[str, str]
    source: str
    author: str
    created_at: dt.datetime
    score: Score | None = None


@dataclass
class Dossier:
    id: int
    year: int
    unit: Unit
    state: str
    scored_version_id: int | None
    updated_at: dt.datetime

    @property
    def state_label(self) -> str:
        return STATES[self.state]


@dataclass
class Step:
    at: dt.datetime
    who: str
    what: str
    comment: str
    items: list[str]
    due: dt.date | None = None  # a clarification request's answer date


# -- reading ----------------------------------------------------------------------------------------
def dossier(store: Store, year: int, code: str) -> Dossier | None:
    with store.read() as conn:
        return _dossier(conn, year, code)


def _dossier(conn: Tx, year: int, code: str) -> Dossier | None:
    row = rows.application(conn, year, code)
    if row is None:
        return None
    found = unit_of(conn, year, code)
    if found is None:
        found = Unit(year, code, code, "")
    return Dossier(row.id, row.year, found, row.state, row.scored_version_id, aware(row.updated_at))  # type: ignore[arg-type]


def _score(row: Any) -> Score | None:
    if row is None or row.total is None:
        return None
    return Score(
        total=row.total,
        recognised=bool(row.recognised),
        proposed=row.proposed,
        flags=json.loads(row.flags),
        problems=row.problems,
        result=UnitResult.model_validate_json(row.result),
        issues=json.loads(row.issues),
    )


def _version(row: Any) -> Version:
    return Version(
        id=row.id,
        kind=row.kind,
        draft=bool(row.draft),
        data=json.loads(row.data),
        notes=json.loads(row.notes),
        source=row.source,
        author=(f"{row.full_name} ({row.login})" if row.full_name else row.login) or "",
        created_at=aware(row.created_at),  # type: ignore[arg-type]
        score=_score(row),
    )


def versions(store: Store, application_id: int) -> list[Version]:
    with store.read() as conn:
        return [_version(r) for r in rows.versions(conn, application_id)]


def latest(found: list[Version], kind: str, drafts: bool = False) -> Version | None:
    for v in reversed(found):
        if v.kind == kind and (drafts or not v.draft):
            return v
    return None


@dataclass(frozen=True)
class VerifyStart:
    """What the team's verify form starts from."""

    values: dict[str, str]
    reasons: dict[str, str]
    earlier: dict[str, str]  # field -> the team's value, where the commune has changed it since


def verify_start(found: list[Version]) -> VerifyStart:
    """The team's form after a clarification round: its last verification for every field the
    commune did not change when it answered (value and reason kept), the commune's new value where
    it did (the team's earlier value shown beside it). Before any verification: as declared."""
    declared = latest(found, "declared")
    verified = latest(found, "verified")
    if declared is None:
        return VerifyStart({}, {}, {})
    if verified is None:
        return VerifyStart(dict(declared.data), {}, {})
    if verified.id > declared.id:
        return VerifyStart(dict(verified.data), dict(verified.notes), {})
    answered_on = next(
        (v for v in reversed(found) if v.kind == "declared" and not v.draft and v.id < verified.id), None
    )
    before = answered_on.data if answered_on is not None else {}
    values, reasons, earlier = dict(declared.data), {}, {}
    for key, answered in declared.data.items():
        if before.get(key) == answered:  # untouched by the commune's answer: the team's value stands
            if key in verified.data:
                values[key] = verified.data[key]
            if key in verified.notes:
                reasons[key] = verified.notes[key]
        elif verified.data.get(key) not in (None, answered):
            earlier[key] = verified.data[key]
    return VerifyStart(values, reasons, earlier)


def current(store: Store, d: Dossier) -> Version | None:
    """The version whose score counts now."""
    if d.scored_version_id is None:
        return None
    return next((v for v in versions(store, d.id) if v.id == d.scored_version_id), None)


def _step_name(before: str, after: str) -> str:
    rule = TRANSITIONS.get((before, after))
    return rule[1] if rule else f"{STATES[before]} → {STATES[after]}"


def timeline(store: Store, application_id: int) -> list[Step]:
    with store.read() as conn:
        found = rows.timeline(conn, application_id)
    return [
        Step(
            aware(r.at),  # type: ignore[arg-type]
            (f"{r.full_name} ({r.login})" if r.full_name else r.login) or "",
            TRANSITIONS.get(
                (r.from_state, r.to_state), ("", f"{STATES[r.from_state]} → {STATES[r.to_state]}")
            )[1],
            r.comment,
            json.loads(r.items),
            r.due,
        )
        for r in found
    ]


# -- writing ----------------------------------------------------------------------------------------
def application_id(store: Store, year: int, code: str) -> int:
    """The id of the unit's application of the year, made ("chưa nộp") when it has none (an
    attachment can come before the first save)."""
    with store.write() as conn:
        return int(ensure(conn, year, code).id)


def ensure(conn: Tx, year: int, code: str) -> Any:
    """The unit's application of the year, made ("chưa nộp") when it has none."""
    return rows.ensure(conn, year, code, now())


def _move(
    conn: Tx,
    app: Any,
    to: str,
    account: Account | None,
    comment: str = "",
    items: list[str] | None = None,
    due: dt.date | None = None,
) -> None:
    rule = TRANSITIONS.get((app.state, to))
    if rule is None or (account is not None and account.role not in rule[0]):
        raise WorkflowError(
            f"hồ sơ đang ở trạng thái “{STATES[app.state]}”: không thể chuyển sang “{STATES[to]}”"
        )
    moment = now()
    rows.add_transition(
        conn,
        application_id=app.id,
        from_state=app.state,
        to_state=to,
        account_id=account.id if account else None,
        at=moment,
        comment=comment,
        items=json.dumps(items or [], ensure_ascii=False),
        due=due,
    )
    rows.set_state(conn, app.id, to, moment)


def _write_version(
    conn: Tx,
    loaded: LoadedCriteria,
    app: Any,
    unit: Unit,
    kind: str,
    data: dict[str, str],
    notes: dict[str, str],
    draft: bool,
    source: str,
    account: Account | None,
    scored: Scored | None = None,
) -> tuple[int, Score]:
    """A new version and its score (made now on exactly these values, or made just before,
    outside the transaction, by `score_one` on the same values)."""
    version_id = rows.add_version(
        conn,
        application_id=app.id,
        kind=kind,
        draft=draft,
        data=json.dumps(data, ensure_ascii=False, sort_keys=True),
        notes=json.dumps(notes, ensure_ascii=False, sort_keys=True),
        source=source,
        author_id=account.id if account else None,
        created_at=now(),
    )
    if scored is None:
        scored = score_one(loaded, UnitValues(unit.code, unit.name, unit.district, unit.year, data), source)
    issues = [
        {"field": i.column, "value": None if i.value is None else str(i.value), "message": i.message}
        for i in scored.issues
    ]
    result = scored.unit
    rows.add_score(
        conn,
        version_id=version_id,
        criteria_sha256=loaded.sha256,
        total=result.total,
        recognised=result.recognised,
        proposed=scored.application.proposed,
        flags=json.dumps([f.code for f in result.flags]),
        problems=len(issues),
    )
    rows.add_result(
        conn,
        version_id=version_id,
        result=result.model_dump_json(),
        issues=json.dumps(issues, ensure_ascii=False),
    )
    score = Score(
        result.total, result.recognised, scored.application.proposed, [f.code for f in result.flags],
        len(issues), result, issues,
    )  # fmt: skip
    return version_id, score


def _complete(loaded: LoadedCriteria, data: dict[str, str]) -> dict[str, str]:
    """Every declared field present (blank when not filled), as a row of the template has every
    column: a required field left blank is then reported as missing."""
    full = {d.id: "" for d in loaded.model.evidence}
    full.update(data)
    return full


@dataclass
class Saved:
    version_id: int
    state: str
    score: Score
    problems: dict[str, str] = field(default_factory=dict)  # field key -> message
    submitted: bool = False


FORM_SOURCE = "biểu mẫu trên cổng"


def save_declared(
    store: Store, account: Account, address: str, year: int, code: str, data: dict[str, str], submit: bool
) -> Saved:
    """The commune's values: saved as a draft, or submitted (only when every value reads)."""
    loaded = criteria_of(store, year)
    live = live_values(store, year, [code]).get(code, {})  # the online surveys' tallies
    with store.write() as conn:
        unit = unit_of(conn, year, code)
        if unit is None:
            raise WorkflowError(f"đơn vị {code} không có trong danh sách năm {year}")
        app = ensure(conn, year, code)
        if not in_state("unit.edit", "xa", app.state):
            raise WorkflowError(f"hồ sơ đang ở trạng thái “{STATES[app.state]}”: xã không sửa được nữa")
        values = _complete(loaded, {**data, **live})
        unit_values = UnitValues(unit.code, unit.name, unit.district, year, values)
        readable = not submission.blocking(read(loaded, [unit_values], "biểu mẫu").issues)
        submitting = submit and readable  # a form with unreadable values is kept as a draft
        version_id, score = _write_version(
            conn, loaded, app, unit, "declared", values, {}, not submitting, FORM_SOURCE, account
        )
        problems = {i["field"]: i["message"] for i in score.issues if i.get("field")}
        if app.state == "chua_nop":
            _move(conn, app, "dang_soan", account)
            app = rows.application_by_id(conn, app.id)
        if submitting:
            to = "da_nop_lai" if app.state == "can_bo_sung" else "da_nop"
            _move(conn, app, to, account)
            rows.set_scored_version(conn, app.id, version_id)
            audit.record(
                conn, account, address, "resubmitted" if to == "da_nop_lai" else "submitted", f"{year}/{code}"
            )
            again = to == "da_nop_lai"
            did = "nộp lại hồ sơ sau yêu cầu bổ sung" if again else "nộp hồ sơ"
            mail.tell(
                conn, "huyen", year,
                f"{unit.name} đã {'nộp lại' if again else 'nộp'} hồ sơ năm {year}",
                f"{unit.name} ({unit.code}) đã {did} "
                f"đề nghị công nhận đạt chuẩn chính quyền thân thiện năm {year}. Tổ thẩm định xác minh "
                "từng giá trị trên cổng.",
                f"/nam/{year}/don-vi/{code}/tham-dinh", team=unit.district,
            )  # fmt: skip
        else:
            audit.record(conn, account, address, "draft_saved", f"{year}/{code}")
        state = rows.state_of(conn, app.id)
    return Saved(version_id, state, score, problems, submitted=submitting)


def request_clarification(
    store: Store,
    account: Account | None,
    address: str,
    year: int,
    code: str,
    comment: str,
    items: list[str],
    due: dt.date | None = None,
) -> None:
    """The district asks for more on named criteria or fields, by a date when it gives one; the
    commune may then edit again (its task list shows the date)."""
    if due is not None and due < today():
        raise WorkflowError(f"hạn trả lời {due.strftime('%d/%m/%Y')} đã qua; chọn từ hôm nay trở đi")
    comment = comment.strip()
    if not comment:
        raise WorkflowError("cần ghi nội dung yêu cầu bổ sung")
    if not items:
        raise WorkflowError("chọn ít nhất một tiêu chí hoặc trường minh chứng cần bổ sung")
    loaded = criteria_of(store, year)
    known = {c.id: c.title for _, c in loaded.model.criteria()} | {
        d.id: d.label for d in loaded.model.evidence
    }
    unknown = [i for i in items if i not in known]
    if unknown:
        raise WorkflowError(f"không có tiêu chí hay trường minh chứng: {', '.join(unknown)}")
    with store.write() as conn:
        app = ensure(conn, year, code)
        if not in_state("unit.appraise", "huyen", app.state):
            raise WorkflowError(f"hồ sơ đang ở trạng thái “{STATES[app.state]}”: chưa thể yêu cầu bổ sung")
        _move(conn, app, "can_bo_sung", account, comment[:2000], [known[i] for i in items], due)
        listed = "\n".join(f"- {known[i]}" for i in items)
        by = f"\nHạn trả lời: {due.strftime('%d/%m/%Y')}." if due else ""
        mail.tell(
            conn, "xa", year, f"Tổ thẩm định yêu cầu bổ sung hồ sơ năm {year}",
            f"Tổ thẩm định yêu cầu bổ sung hồ sơ năm {year}:\n{comment[:2000]}\n\nNội dung cần bổ sung:\n"
            f"{listed}{by}",
            f"/nam/{year}/don-vi/{code}", unit=code,
        )  # fmt: skip
        audit.record(conn, account, address, "clarification_requested", f"{year}/{code}", {"items": items})


def save_verified(
    store: Store,
    account: Account | None,
    address: str,
    year: int,
    code: str,
    values: dict[str, str],
    reasons: dict[str, str],
    expected: int | None = None,
) -> Saved:
    """The district's verified values: each declared value confirmed, or corrected with a reason.
    The verified version's score counts from now on. `expected`: the verification the person's
    page started from (0: none yet); another saved meanwhile refuses this save (EditConflict)."""
    with store.read() as conn:
        app = ensure_read(conn, year, code)
        declared = rows.latest_version(conn, app.id, "declared") if app is not None else None
    if app is None or not in_state("unit.appraise", "huyen", app.state):
        state = STATES[app.state] if app is not None else STATES["chua_nop"]
        raise WorkflowError(f"hồ sơ đang ở trạng thái “{state}”: không xác minh được")
    if declared is None:
        raise WorkflowError("hồ sơ chưa có giá trị do xã nộp")
    return save_version(
        store, account, address, year, code, "verified", json.loads(declared.data), values, reasons, expected
    )


VERSION_SOURCES = {"verified": "tổ thẩm định xác minh", "field": "tỉnh kiểm tra thực địa"}
VERSION_AUDIT = {"verified": "verified", "field": "field_checked"}


def save_version(
    store: Store,
    account: Account | None,
    address: str,
    year: int,
    code: str,
    kind: str,
    base: dict[str, str],
    values: dict[str, str],
    reasons: dict[str, str],
    expected: int | None = None,
) -> Saved:
    """A version made by checking another (`base`): the district's verification of the declared
    values, the province's field check of the verified ones. Each value that differs from the base
    needs a reason; the new version's score counts from now on. With `expected` (the id of the
    latest version of this kind when the page was opened, 0 for none), a version of the kind saved
    by someone else meanwhile refuses the save: two people never overwrite each other silently."""
    loaded = criteria_of(store, year)
    live = live_values(store, year, [code]).get(code, {})  # counted, not typed: no reason asked
    with store.write() as conn:
        unit = unit_of(conn, year, code)
        app = ensure(conn, year, code)
        if unit is None:
            raise WorkflowError(f"đơn vị {code} không có trong danh sách năm {year}")
        if expected is not None:
            rows.lock(conn, app.id)  # one save at a time per application, on PostgreSQL too
            newest = rows.latest_version(conn, app.id, kind)
            if (newest.id if newest is not None else 0) != expected:
                raise EditConflict(
                    "đã có người lưu kết quả khác sau khi trang này được mở; xem giá trị của họ rồi lưu lại",
                    newest.id if newest is not None else 0,
                )
        before = _complete(loaded, {**base, **live})
        after = _complete(loaded, {**values, **live})
        changed = changed_fields(loaded.model, before, after)
        missing = [k for k in changed if not reasons.get(k, "").strip()]
        if missing:
            raise WorkflowError(f"cần ghi lý do cho {len(missing)} giá trị đã sửa: " + ", ".join(missing[:5]))
        notes = {k: reasons[k].strip()[:1000] for k in changed}
        version_id, score = _write_version(
            conn, loaded, app, unit, kind, after, notes, False, VERSION_SOURCES[kind], account
        )
        rows.set_scored_version(conn, app.id, version_id)
        audit.record(conn, account, address, VERSION_AUDIT[kind], f"{year}/{code}", {"corrected": changed})
    return Saved(
        version_id, app.state, score, {i["field"]: i["message"] for i in score.issues if i.get("field")}
    )


def ensure_read(conn: Tx, year: int, code: str) -> Any:
    return rows.application(conn, year, code)


def finalise(store: Store, account: Account | None, address: str, year: int, code: str) -> None:
    """End the appraisal: only once the values submitted last have been verified."""
    with store.write() as conn:
        app = ensure(conn, year, code)
        if not in_state("unit.appraise", "huyen", app.state):
            raise WorkflowError(f"hồ sơ đang ở trạng thái “{STATES[app.state]}”: không hoàn tất được")
        declared = rows.latest_version(conn, app.id, "declared")
        verified = rows.latest_version(conn, app.id, "verified")
        if verified is None or declared is None or verified.id < declared.id:
            raise WorkflowError(
                "chưa xác minh các giá trị xã nộp lần cuối: xác nhận hoặc sửa từng giá trị rồi hoàn tất"
            )
        _move(conn, app, "da_tham_dinh", account)
        audit.record(conn, account, address, "appraisal_finalised", f"{year}/{code}")
        mail.tell(
            conn, "xa", year, f"Đã có kết quả thẩm định hồ sơ năm {year}",
            f"Tổ thẩm định đã hoàn tất thẩm định hồ sơ năm {year}. Điểm và giải thích từng tiêu chí "
            "đã hiện trên trang hồ sơ của xã.",
            f"/nam/{year}/don-vi/{code}", unit=code,
        )  # fmt: skip


def team_started(conn: Tx, app: Any) -> bool:
    """Whether the team has begun on what the commune submitted last: a verification made after
    it, or the submission made by the team itself (a workbook it imported)."""
    declared = rows.latest_version(conn, app.id, "declared")
    verified = rows.latest_version(conn, app.id, "verified")
    if declared is None:
        return False
    return (verified is not None and verified.id > declared.id) or declared.source != FORM_SOURCE


def started(store: Store, year: int, code: str) -> bool:
    """`team_started`, read on its own (for the page that offers a withdrawal)."""
    with store.read() as conn:
        app = rows.application(conn, year, code)
        return app is not None and team_started(conn, app)


def withdraw(store: Store, account: Account, address: str, year: int, code: str) -> str:
    """The commune takes its submission back to edit it, while its team has not started on it:
    the values stay as they were submitted (now a draft again), the step is in the timeline."""
    with store.write() as conn:
        app = ensure(conn, year, code)
        if not in_state("unit.withdraw", "xa", app.state):
            raise WorkflowError(f"hồ sơ đang ở trạng thái “{STATES[app.state]}”: không rút được")
        if team_started(conn, app):
            raise WorkflowError(
                "tổ thẩm định đã bắt đầu xem hồ sơ: không rút được nữa; liên hệ tổ nếu cần sửa"
            )
        _move(conn, app, "dang_soan", account, "xã rút hồ sơ để sửa trước khi tổ thẩm định bắt đầu")
        audit.record(conn, account, address, "withdrawn", f"{year}/{code}")
    return "dang_soan"


def reopen(store: Store, account: Account, address: str, year: int, code: str, reason: str) -> None:
    """The province opens a finalised appraisal (or one already sent) again, with its reason: the
    team verifies, finalises and sends it again. `review.reopen` checks there is no decision first."""
    reason = reason.strip()
    if not reason:
        raise WorkflowError("cần ghi lý do mở lại thẩm định")
    with store.write() as conn:
        app = ensure(conn, year, code)
        if not in_state("unit.reopen", "tinh", app.state):
            raise WorkflowError(
                f"hồ sơ đang ở trạng thái “{STATES[app.state]}”: không có thẩm định xong để mở lại"
            )
        _move(conn, app, "da_nop", account, reason[:2000])
        audit.record(
            conn, account, address, "appraisal_reopened", f"{year}/{code}", {"reason": reason[:2000]}
        )


def send_to_province(store: Store, account: Account | None, address: str, year: int, district: str) -> int:
    """Send the district's appraised applications to the province; refused while some are still
    under appraisal (the district sends one list)."""
    with store.write() as conn:
        found = rows.of_group(conn, year, district)
        pending = [r.unit_code for r in found if r.state in UNDER_APPRAISAL | {"can_bo_sung"}]
        if pending:
            raise WorkflowError(
                f"còn {len(pending)} hồ sơ chưa thẩm định xong ({', '.join(sorted(pending)[:5])}"
                f"{'…' if len(pending) > 5 else ''}); hoàn tất rồi gửi"
            )
        ready = [r for r in found if r.state == "da_tham_dinh"]
        if not ready:
            raise WorkflowError("không có hồ sơ nào đã thẩm định để gửi")
        for r in ready:
            _move(conn, r, "da_gui_tinh", account)
        audit.record(conn, account, address, "sent_to_province", f"{year}/{district}", {"units": len(ready)})
        mail.tell(
            conn, "tinh", year, f"{district} gửi danh sách {len(ready)} hồ sơ năm {year}",
            f"{district} đã gửi lên tỉnh {len(ready)} hồ sơ đã thẩm định năm {year}.",
            f"/nam/{year}/huyen/{district}",
        )  # fmt: skip
    return len(ready)


# -- a district's workbook --------------------------------------------------------------------------
@dataclass
class Uploaded:
    submitted: list[str] = field(default_factory=list)
    not_submitted: list[str] = field(default_factory=list)  # rows with only a code and a name
    kept: list[str] = field(default_factory=list)  # already submitted in the portal: unchanged
    drafts: list[str] = field(default_factory=list)  # a value does not read: kept as a draft
    outside: list[str] = field(default_factory=list)  # not units of this district
    issues: list[str] = field(default_factory=list)  # sheet, row, column, value: message


def upload_workbook(
    store: Store,
    account: Account | None,
    address: str,
    year: int,
    district: str | None,
    path: Path,
    name: str,
    limits: Limits | None = None,
) -> Uploaded:
    """A district's filled Excel template (the reader of `cqtt score`): every unit of the district
    with evidence becomes a submitted application; a row with only its code and name stays
    "chưa nộp"; every cell problem is listed by sheet, row and column. Without a district (the
    demonstration, an administrator's import), every unit of the list. A workbook past `limits`
    (its inflated size, its merged ranges) is refused before it is parsed."""
    loaded = criteria_of(store, year)
    with limited(limits or current_limits()):
        evidence = read_evidence([path], loaded.model)
    refusal = other_years(evidence, year)
    if refusal is not None:
        raise refusal  # never filed under another year than the page's
    source = f"tệp {name} (sha256 {sha256_file(path)[:12]}…)"
    outcome = import_evidence(store, account, address, year, district, evidence, source)
    outcome.issues = [line.replace(str(path), name) for line in outcome.issues]
    return outcome


def import_evidence(
    store: Store,
    account: Account | None,
    address: str,
    year: int,
    district: str | None,
    evidence: EvidenceSet,
    source: str,
) -> Uploaded:
    """Applications from evidence already read (a workbook, rows): each unit with evidence is
    submitted with its values as typed back (engine.intake.values.to_text), and scored."""
    loaded = criteria_of(store, year)
    outcome = Uploaded()
    decls = loaded.model.evidence_by_id()
    outcome.issues = [i.format() for i in evidence.issues]
    # Scored before the store is locked for writing: the district's 30 units take a moment, and
    # every other writer (a commune saving its draft) would wait for as long.
    with store.read() as conn:
        listed = {a.code: unit_of(conn, year, a.code) for a in evidence.applications}
    live = live_values(store, year, [c for c, u in listed.items() if u is not None])
    wanted: list[UnitValues] = []
    for app in evidence.applications:
        unit = listed[app.code]
        if unit is None or (district is not None and unit.district != district):
            continue
        typed = _typed_back(app, decls, [i for i in evidence.issues if i.unit == app.code])
        data = _complete(loaded, {**typed, **live.get(app.code, {})})
        wanted.append(UnitValues(unit.code, unit.name, unit.district, unit.year, data))
    prepared = {
        v.code: (v.data, scored) for v, scored in zip(wanted, score_many(loaded, wanted, source), strict=True)
    }
    with store.write() as conn:
        for app in evidence.applications:
            unit = unit_of(conn, year, app.code)
            if unit is None or (district is not None and unit.district != district):
                outcome.outside.append(app.code)
                continue
            row = ensure(conn, year, app.code)
            if row.state not in ("chua_nop", "dang_soan"):
                outcome.kept.append(app.code)
                continue
            data, scored = prepared[app.code]
            # the web form's rule: a row with a value that does not read stays a draft
            held = bool(submission.blocking(scored.issues))
            version_id, _ = _write_version(
                conn, loaded, row, unit, "declared", data, {}, held, source, account, scored
            )
            if held:
                if row.state == "chua_nop":
                    _move(conn, row, "dang_soan", account, f"nhập từ {source}, còn ô chưa đọc được")
                outcome.drafts.append(app.code)
                continue
            _move(conn, row, "da_nop", account, f"nhập từ {source}")
            rows.set_scored_version(conn, row.id, version_id)
            outcome.submitted.append(app.code)
        for waiting in evidence.not_submitted:  # rows with only a code and a name: not applied
            unit = unit_of(conn, year, waiting.code)
            if unit is None or (district is not None and unit.district != district):
                outcome.outside.append(waiting.code)
            else:
                outcome.not_submitted.append(waiting.code)
        audit.record(
            conn, account, address, "workbook_uploaded", f"{year}/{district or 'toàn tỉnh'}",
            {"file": source, "submitted": len(outcome.submitted), "issues": len(outcome.issues)},
        )  # fmt: skip
    return outcome


def _typed_back(app: Application, decls: dict[str, Any], issues: list[Any]) -> dict[str, str]:
    """An application's values as a person types them; a cell that could not be read keeps the
    text it held, so that its problem stays visible."""
    data = {k: to_text(decls[k], v) for k, v in app.values.items()}
    for fid in app.invalid:
        raw = next((i.value for i in issues if i.column == fid or decls[fid].label in (i.column or "")), None)
        if raw is not None:
            data[fid] = str(raw)
    data["de_nghi"] = "Có" if app.proposed else "Không"
    if app.self_score is not None:
        data["tu_cham"] = to_text(_number_decl(), app.self_score)
    for gid, points in app.group_self_scores.items():
        data[self_score_column(gid)] = to_text(_number_decl(), points)
    return data


def _number_decl() -> Any:
    from engine.rules.declarations import EvidenceDecl

    return EvidenceDecl(id="so", type="number", label="số")


def appraised(state: str) -> bool:
    return state in APPRAISED


SURVEY_SOURCE = "kiểm đếm khảo sát trực tuyến"


def refresh_survey_values(store: Store, account: Account | None, address: str, year: int) -> list[str]:
    """Bring every submitted application's score up to date with the online surveys' tallies: a
    new version (of the same kind, the same notes) for each unit whose counted values changed.
    Returns the units re-scored."""
    loaded = criteria_of(store, year)
    with store.read() as conn:
        scored = rows.scored_in_states(conn, year, SUBMITTED)
    live = live_values(store, year, [r.unit_code for r in scored])
    if not live:
        return []
    changes: list[tuple[Dossier, Version, dict[str, str]]] = []
    for r in scored:
        d = dossier(store, year, r.unit_code)
        version = current(store, d) if d else None
        if d is None or version is None:
            continue
        data = {**version.data, **live.get(r.unit_code, {})}
        if data != version.data:
            changes.append((d, version, data))
    wanted = [UnitValues(d.unit.code, d.unit.name, d.unit.district, year, data) for d, _, data in changes]
    rescored = score_many(loaded, wanted, SURVEY_SOURCE)
    with store.write() as conn:
        for (d, version, data), one in zip(changes, rescored, strict=True):
            app = ensure(conn, year, d.unit.code)
            if app.scored_version_id != version.id:
                continue  # someone saved a version meanwhile: its save took the tallies of then
            version_id, _ = _write_version(
                conn,
                loaded,
                app,
                d.unit,
                version.kind,
                data,
                version.notes,
                False,
                SURVEY_SOURCE,
                account,
                one,
            )
            rows.set_scored_version(conn, app.id, version_id)
        audit.record(
            conn,
            account,
            address,
            "survey_scores_refreshed",
            str(year),
            {"units": [d.unit.code for d, _, _ in changes]},
        )
    return [d.unit.code for d, _, _ in changes]
