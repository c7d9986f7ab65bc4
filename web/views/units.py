"""A unit's application: its page (state, timeline, scores and explanations), the commune's form,
attachments, and the district's appraisal (verify each value, ask for more, finalise)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from engine.clock import shown as when
from engine.clock import today
from engine.errors import CqttError
from engine.intake.cells import parse_date
from engine.portal import audit, dossiers, exports, files, review, submission
from engine.portal.form import checked_values, fields_of, form_for, from_form, ticked
from engine.portal.overview import past_years
from engine.portal.policy import allowed, attachment_slots, may
from engine.portal.scoring import UnitValues
from engine.portal.units import criteria_of, districts, find_unit, move_unit
from web.access import guard
from web.security import client_address
from web.views.common import (
    DOCX,
    config,
    download,
    form_text,
    keep_form,
    kept_form,
    me,
    online_for,
    store,
    year_or_404,
)

bp = Blueprint("units", __name__)


VERSION_KINDS = {"declared": "xã khai", "verified": "tổ xác minh", "field": "tỉnh kiểm tra thực địa"}


def _context(year: int, code: str) -> dict[str, Any]:
    year_or_404(year)
    unit = find_unit(store(), year, code)
    if unit is None:
        abort(404)
    loaded = criteria_of(store(), year)
    d = dossiers.dossier(store(), year, code)
    found = dossiers.versions(store(), d.id) if d else []
    state = d.state if d else "chua_nop"
    account = me()
    sees_scores = may(account, "unit.scores", g.target, state)
    current = next((v for v in found if d and v.id == d.scored_version_id), None)
    declared = dossiers.latest(found, "declared")
    decided, revoked = review.current_decision(store(), year, code)
    appeals = review.appeals_of(store(), year, code)
    deadline = review.appeal_deadline(store(), year, decided) if decided is not None else None
    can_appeal = (
        may(account, "unit.appeal", g.target, state)
        and decided is not None
        and revoked is None
        and decided.decision != "deferred"
        and deadline is not None
        and not any(a.state == "open" for a in appeals)
    )
    shown = [
        (label, version)
        for label, version in (
            ("Xã khai", declared),
            ("Tổ xác minh", dossiers.latest(found, "verified")),
            ("Tỉnh kiểm tra", dossiers.latest(found, "field")),
        )
        if version is not None and version.score is not None
    ]
    team_version = dossiers.latest(found, "verified") or declared
    accepted = next((a for a in appeals if a.state == "accepted" and a.new_decision_id is None), None)
    documents = submission.document_slots(loaded.model)
    attach_slots = attachment_slots(account, g.target, state, documents, bool(appeals) or can_appeal)
    return {
        "team_version": team_version,
        "field_version": dossiers.latest(found, "field"),
        "accepted_appeal": accepted,
        "attach_slots": attach_slots,
        "slot_names": submission.slot_names(loaded.model),
        "limit_mb": config().upload_limit // (1024 * 1024),
        "online": online_for(year, code),
        "version_kinds": VERSION_KINDS,
        "shown_versions": [
            (label, v, {c.id: c for c in v.score.result.criteria}) for label, v in shown if v.score
        ],
        "decisions": review.decisions_of(store(), year, code),
        "decided": decided,
        "revoked": revoked,
        "appeals": appeals,
        "appeal_deadline": deadline,
        "can_appeal": can_appeal,
        "appeal_late": can_appeal and deadline is not None and today() > deadline,
        "can_review": may(account, "review.manage", g.target, state),
        "kept": _kept(
            bool(appeals) or can_appeal,
            may(account, "review.manage", g.target, state),
            may(account, "unit.reopen", g.target, state),
        ),
        "past": past_years(store(), year, code) if sees_scores else ([], []),
        "move_to": [t for t, _ in districts(store(), year) if t != g.target.district]
        if may(account, "unit.move", g.target, state)
        else [],
        "in_sample": review.in_sample(store(), year, code),
        "can_field_check": allowed(account, "review.manage", g.target)
        and review.field_check_refusal(store(), account, year, code) is None,
        "decision_labels": review.DECISIONS,
        "today": today(),
        "declared_by_id": {c.id: c for c in declared.score.result.criteria}
        if declared and declared.score
        else {},
        "year": year,
        "unit": unit,
        "cs": loaded.model,
        "loaded": loaded,
        "dossier": d,
        "state": state,
        "versions": found,
        "declared": declared,
        "draft": dossiers.latest(found, "declared", drafts=True),
        "verified": dossiers.latest(found, "verified"),
        "current": current,
        "sees_scores": sees_scores,
        "timeline": sorted(
            dossiers.timeline(store(), d.id) + review.steps(store(), year, code, found, sees_scores),
            key=lambda s: s.at,
        )
        if d
        else [],
        "attachments": files.listing(store(), d.id) if d else [],
        "removed_files": files.removed(store(), d.id) if d else [],
        "sections": form_for(loaded.model),
        "fields": fields_of(loaded.model),
        "can_edit": may(account, "unit.edit", g.target, state),
        "can_appraise": may(account, "unit.appraise", g.target, state),
        "can_withdraw": may(account, "unit.withdraw", g.target, state)
        and not dossiers.started(store(), year, code),
        "can_reopen": may(account, "unit.reopen", g.target, state),
    }


@bp.route("/nam/<int:year>/don-vi/<code>")
@guard("unit.view", "unit")
def page(year: int, code: str) -> object:
    return render_template("unit.html", **_context(year, code))


@bp.route("/nam/<int:year>/don-vi/<code>/ho-so", methods=["GET", "POST"])
@guard("unit.edit", "unit")
def form(year: int, code: str) -> object:
    ctx = _context(year, code)
    if not ctx["can_edit"]:
        flash("Hồ sơ đã nộp; xã chỉ sửa được khi tổ thẩm định yêu cầu bổ sung.", "warning")
        return redirect(url_for("units.page", year=year, code=code))
    values = dict(ctx["draft"].data) if ctx["draft"] else {}
    problems: dict[str, str] = dict(
        (i["field"], i["message"])
        for i in (ctx["draft"].score.issues if ctx["draft"] and ctx["draft"].score else [])
    )
    status = 200
    base = ctx["draft"].id if ctx["draft"] else 0  # the save this page starts from
    if request.method == "POST":
        values = from_form(ctx["cs"], request.form)
        action = request.form.get("action")
        before = ctx["draft"]  # the latest save when this request came: someone else's, maybe
        sent_base = form_text(request.form, "base", 20)
        try:  # whatever the button, what was typed is saved first (a draft): nothing is lost
            saved = dossiers.save_declared(store(), me(), client_address(), year, code, values, False)
        except CqttError as exc:
            flash(str(exc), "error")
            return redirect(url_for("units.form", year=year, code=code))
        problems, base = saved.problems, saved.version_id
        if before is not None and sent_base.isdigit() and int(sent_base) != before.id:
            _tell_overlap(ctx, before, values)
        chosen = request.files.get("file")
        if action == "attach" or (chosen is not None and chosen.filename):
            _store_upload(_context(year, code), year, code)  # a file chosen is never left behind
        if action == "attach":
            return redirect(url_for("units.form", year=year, code=code) + "#tep")
        if action and action.startswith("go-tep-") and action[7:].isdigit():
            _remove_upload(year, code, int(action[7:]))
            return redirect(url_for("units.form", year=year, code=code) + "#tep")
        if action == "submit" and not problems:
            return redirect(url_for("units.check", year=year, code=code))
        if action == "submit":
            flash(f"Chưa nộp được: còn {len(problems)} ô chưa đọc được. Sửa các ô được đánh dấu.", "error")
            status = 400
        else:
            flash("Đã lưu bản nháp.", "ok")
    ticks = {key: ticked(f, values.get(key)) for key, f in ctx["fields"].items() if f.kind == "items"}
    return (
        render_template("form.html", **ctx, values=values, problems=problems, ticks=ticks, base=base),
        status,
    )


@bp.route("/nam/<int:year>/don-vi/<code>/kiem-tra-truoc-khi-nop", methods=["GET", "POST"])
@guard("unit.edit", "unit")
def check(year: int, code: str) -> object:
    """ "Kiểm tra trước khi nộp": the commune's answers as saved, the documents the rule file asks
    for and which are missing, the self-score arithmetic; then the submission itself, of exactly
    the version shown (a draft changed meanwhile in another tab is shown again first)."""
    ctx = _context(year, code)
    if not ctx["can_edit"] or ctx["draft"] is None:
        flash("Hồ sơ không ở trạng thái xã nộp được.", "warning")
        return redirect(url_for("units.page", year=year, code=code))
    draft = ctx["draft"]
    unit = ctx["unit"]
    ready = submission.check(
        ctx["loaded"],
        UnitValues(unit.code, unit.name, unit.district, year, draft.data),
        {a.slot for a in ctx["attachments"]},
    )
    status = 200
    if request.method == "POST":
        if form_text(request.form, "version", 20) != str(draft.id):
            flash("Hồ sơ vừa được sửa ở nơi khác: xem lại bản dưới đây trước khi nộp.", "error")
            status = 409
        elif not ready.ready:
            flash(f"Chưa nộp được: còn {len(ready.problems)} ô chưa đọc được.", "error")
            status = 400
        elif ready.warnings and request.form.get("seen") != "1":
            flash("Đánh dấu ô “Đã xem các điểm cần lưu ý” để nộp, hoặc quay lại sửa.", "error")
            status = 400
        else:
            try:
                saved = dossiers.save_declared(
                    store(), me(), client_address(), year, code, dict(draft.data), True
                )
            except CqttError as exc:
                flash(str(exc), "error")
                return redirect(url_for("units.page", year=year, code=code))
            if saved.submitted:
                return render_template("submitted.html", year=year, unit=unit, state=saved.state)
            flash(f"Chưa nộp được: còn {len(saved.problems)} ô chưa đọc được.", "error")
            status = 400
    return render_template("check.html", **ctx, ready=ready), status


def _tell_overlap(ctx: dict[str, Any], before: Any, values: dict[str, str]) -> None:
    """Another save of the form came between this page's opening and its save: the typed values
    are kept (the newest version), and the person is told which of the other's values they
    replaced (both versions stay in the history): never silently."""
    fields = ctx["fields"]
    differ = [
        f"{fields[k].label}: “{before.data.get(k) or '—'}”"
        for k in fields
        if (before.data.get(k) or "") != (values.get(k) or "") and k not in ctx["online"]
    ]
    said = f"; giá trị của bản đó khác bản này ở {len(differ)} ô: " + "; ".join(differ[:8]) if differ else ""
    flash(
        f"Lưu ý: {before.author or 'người khác'} đã lưu hồ sơ lúc {when(before.created_at)} sau khi trang "
        f"này được mở. Bản vừa lưu là các giá trị trên trang này{said}{'…' if len(differ) > 8 else ''} "
        "(cả hai bản được giữ trong lịch sử hồ sơ).",
        "warning",
    )


def _remove_upload(year: int, code: str, attachment_id: int) -> None:
    """Take back one of the commune's own files before it submits (kept in the history)."""
    application_id = dossiers.application_id(store(), year, code)
    try:
        gone = files.remove(store(), me(), client_address(), application_id, attachment_id, f"{year}/{code}")
    except CqttError as exc:
        flash(f"Không gỡ được tệp: {exc}.", "error")
    else:
        flash(f"Đã gỡ tệp “{gone.name}” khỏi hồ sơ (vẫn ghi trong lịch sử hồ sơ).", "ok")


def _store_upload(ctx: dict[str, Any], year: int, code: str) -> None:
    """Keep the file sent with the request under the slot it names, or say why not (a flash)."""
    account = me()
    slot = form_text(request.form, "slot", 120)
    if slot not in ctx["slot_names"]:
        abort(400)  # not a kind of file this application has: no invented slot is ever stored
    if slot not in dict(ctx["attach_slots"]):
        flash("Không đính kèm được loại tệp này ở trạng thái này của hồ sơ.", "error")
        return
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("Chọn một tệp để tải lên.", "error")
        return
    application_id = dossiers.application_id(store(), year, code)
    try:
        files.add(
            store(), account, client_address(), application_id, slot, upload.stream, upload.filename,  # type: ignore[arg-type]
            config().files, config().upload_limit, f"{year}/{code}",
        )  # fmt: skip
    except files.FileRefused as exc:
        flash(f"Không nhận tệp “{files.shown_name(upload.filename)}”: {exc}.", "error")
    else:
        flash(f"Đã đính kèm “{files.shown_name(upload.filename)}”.", "ok")
    finally:
        upload.close()  # the request's temporary copy, whether or not it was kept


@bp.route("/nam/<int:year>/don-vi/<code>/tep", methods=["POST"])
@guard("unit.attach", "unit")
def attach(year: int, code: str) -> object:
    ctx = _context(year, code)
    _store_upload(ctx, year, code)
    back = "units.form" if ctx["can_edit"] else "units.page"
    return redirect(url_for(back, year=year, code=code) + "#tep")


@bp.route("/tep/<int:attachment_id>")
@guard("unit.view", "attachment")
def attachment(attachment_id: int) -> object:
    found = g.attachment
    path = files.path_of(config().files, found.sha256)
    if not path.is_file():
        abort(404)
    if found.uploaded_by != me().login:
        audit.log(
            store(), me(), client_address(), "attachment_downloaded", str(attachment_id), sha256=found.sha256
        )
    return download(path.read_bytes(), found.download_name, found.media_type)


VIEWABLE = {"application/pdf", "image/png", "image/jpeg"}  # what an upload's content may be


@bp.route("/tep/<int:attachment_id>/xem")
@guard("unit.view", "attachment")
def attachment_view(attachment_id: int) -> object:
    """The file opened inside the verify and field-check pages, beside the value it supports:
    shown inline with the type its content was checked to have at upload, framed by the
    portal's own pages only (web.security.FILE_CSP)."""
    found = g.attachment
    path = files.path_of(config().files, found.sha256)
    if not path.is_file() or found.media_type not in VIEWABLE:
        abort(404)
    if found.uploaded_by != me().login:
        audit.log(
            store(), me(), client_address(), "attachment_viewed", str(attachment_id), sha256=found.sha256
        )
    response = download(path.read_bytes(), found.download_name, found.media_type, inline=True)
    response.framed_file = True  # type: ignore[attr-defined]
    return response


@bp.route("/nam/<int:year>/don-vi/<code>/tham-dinh", methods=["GET", "POST"])
@guard("unit.appraise", "unit")
def verify(year: int, code: str) -> object:
    ctx = _context(year, code)
    if not ctx["can_appraise"] or ctx["declared"] is None:
        flash("Hồ sơ không ở trạng thái chờ thẩm định.", "warning")
        return redirect(url_for("units.page", year=year, code=code))
    declared = ctx["declared"].data
    start = dossiers.verify_start(ctx["versions"])  # the team's corrections survive a clarification round
    values, reasons = start.values, start.reasons
    errors: dict[str, str] = {}
    status = 200
    base = ctx["verified"].id if ctx["verified"] else 0  # the verification this page starts from
    other = None  # someone else's verification saved since this page was opened
    if request.method == "POST":
        values, reasons, changed = checked_values(ctx["cs"], declared, request.form, set(ctx["online"]))
        if request.form.get("action") == "nhu-xa-khai":  # the ticked values confirmed as declared
            chosen = set(request.form.getlist("nhu_xa_khai")) & set(ctx["fields"])
            for key in chosen:
                if key in declared:
                    values[key] = declared[key]
                else:
                    values.pop(key, None)
                reasons.pop(key, None)
            changed = [k for k in changed if k not in chosen]
        errors = {k: "Ghi lý do sửa giá trị này" for k in changed if not reasons.get(k)}
        sent_base = form_text(request.form, "base", 20)
        expected = int(sent_base) if sent_base.isdigit() else 0
        if not errors:
            try:
                dossiers.save_verified(store(), me(), client_address(), year, code, values, reasons, expected)
            except dossiers.EditConflict:
                other = ctx["verified"]
                status = 409
                flash(
                    f"Chưa lưu: {other.author if other else 'người khác'} đã lưu kết quả xác minh "
                    "sau khi trang này được mở. Giá trị của họ ở bên dưới mỗi ô khác; giá trị "
                    "anh/chị đã gõ vẫn giữ trong ô. Xem lại rồi lưu.",
                    "error",
                )
            except CqttError as exc:
                flash(str(exc), "error")
                status = 400
            else:
                flash("Đã lưu kết quả xác minh; điểm thẩm định tính theo các giá trị này.", "ok")
                return redirect(url_for("units.page", year=year, code=code))
        else:
            status = 400
            flash(f"Còn {len(errors)} giá trị đã sửa chưa ghi lý do.", "error")
    ticks = {key: ticked(f, values.get(key)) for key, f in ctx["fields"].items() if f.kind == "items"}
    return (
        render_template(
            "verify.html",
            **ctx,
            values=values,
            reasons=reasons,
            errors=errors,
            declared_values=declared,
            earlier=start.earlier,
            ticks=ticks,
            base=base,
            other=other,
        ),
        status,
    )


@bp.route("/nam/<int:year>/don-vi/<code>/yeu-cau-bo-sung", methods=["POST"])
@guard("unit.appraise", "unit")
def clarify(year: int, code: str) -> object:
    items = [i[:100] for i in request.form.getlist("items")][:100]
    raw_due = form_text(request.form, "due", 20).strip()
    try:
        try:
            due = parse_date(raw_due) if raw_due else None
        except ValueError:
            raise CqttError(f"hạn trả lời “{raw_due}” không hợp lệ (ghi ví dụ 20/11/{year})") from None
        dossiers.request_clarification(
            store(), me(), client_address(), year, code, form_text(request.form, "comment", 2000), items, due
        )
    except CqttError as exc:
        flash(str(exc), "error")
    else:
        flash("Đã gửi yêu cầu bổ sung cho xã.", "ok")
    return redirect(url_for("units.page", year=year, code=code))


@bp.route("/nam/<int:year>/don-vi/<code>/hoan-tat", methods=["POST"])
@guard("unit.appraise", "unit")
def finalise(year: int, code: str) -> object:
    try:
        dossiers.finalise(store(), me(), client_address(), year, code)
    except CqttError as exc:
        flash(str(exc), "error")
    else:
        flash("Đã hoàn tất thẩm định hồ sơ.", "ok")
    return redirect(url_for("units.page", year=year, code=code))


@bp.route("/nam/<int:year>/don-vi/<code>/rut-ho-so", methods=["POST"])
@guard("unit.withdraw", "unit")
def withdraw(year: int, code: str) -> object:
    """The commune takes its submission back to edit it, before its team starts."""
    try:
        dossiers.withdraw(store(), me(), client_address(), year, code)
    except CqttError as exc:
        flash(f"Không rút được hồ sơ: {exc}.", "error")
        return redirect(url_for("units.page", year=year, code=code))
    flash(
        "Đã rút hồ sơ về để sửa. Sửa xong, kiểm tra và nộp lại; tổ thẩm định chỉ thấy hồ sơ khi xã nộp.", "ok"
    )
    return redirect(url_for("units.form", year=year, code=code))


@bp.route("/nam/<int:year>/don-vi/<code>/mo-lai", methods=["POST"])
@guard("unit.reopen", "unit")
def reopen(year: int, code: str) -> object:
    """The province opens a finalised appraisal again, with its reason (kept in the timeline)."""
    try:
        review.reopen(store(), me(), client_address(), year, code, form_text(request.form, "reason", 2000))
    except CqttError as exc:
        keep_form("mo-lai", ("reason",), f"Chưa mở lại được: {exc}.")
        return redirect(url_for("units.page", year=year, code=code, _anchor="mo-lai"))
    flash("Đã mở lại thẩm định; tổ thẩm định xác minh, hoàn tất và gửi lại hồ sơ này.", "ok")
    return redirect(url_for("units.page", year=year, code=code))


@bp.route("/nam/<int:year>/don-vi/<code>/chuyen-to", methods=["POST"])
@guard("unit.move", "unit")
def move(year: int, code: str) -> object:
    """The province gives the unit another team, before its appraisal starts."""
    team = form_text(request.form, "team", 300)
    try:
        moved = move_unit(store(), me(), client_address(), year, code, team)
    except CqttError as exc:
        flash(f"Không chuyển tổ được: {exc}.", "error")
    else:
        flash(f"Đã chuyển {moved.name} sang {moved.district}.", "ok")
    return redirect(url_for("units.page", year=year, code=code))


def _kept(appeals_shown: bool, decisions_shown: bool, reopen_shown: bool) -> dict[str, Any]:
    """The refused form kept for this page; said as a message when its form is not on the page."""
    kept = kept_form()
    shown = {"kien-nghi": appeals_shown, "quyet-dinh": decisions_shown, "mo-lai": reopen_shown}
    if kept and not shown.get(str(kept.get("name")), False):
        flash(str(kept.get("error", "")), "error")
        return {}
    return kept


def _scores_shown_to_me(year: int, code: str) -> None:
    """A commune sees its scores (and their record) once the district has appraised them."""
    d = dossiers.dossier(store(), year, code)
    if not may(me(), "unit.scores", g.target, d.state if d else "chua_nop"):
        abort(403)


@bp.route("/nam/<int:year>/don-vi/<code>/bien-ban-tham-dinh.docx")
@guard("unit.view", "unit")
def appraisal_record(year: int, code: str) -> object:
    """The unit's biên bản thẩm định, once its application is scored (a commune's, once appraised)."""
    from engine.outputs.records.build import Letterhead

    _scores_shown_to_me(year, code)
    files = exports.records(
        store(), year, exports.Scope(unit=code), "bien-ban-tham-dinh", Letterhead(place=config().place),
        config().data_dir / "mau-van-ban",
    )  # fmt: skip
    if not files:
        abort(404, "đơn vị chưa có hồ sơ thẩm định xong")
    audit.log(store(), me(), client_address(), "download", f"{year}/{code}/bien-ban-tham-dinh.docx")
    name, data = files[0]
    return download(data, name, DOCX)


@bp.route("/nam/<int:year>/don-vi/<code>/ket-qua.json")
@guard("unit.view", "unit")
def result_json(year: int, code: str) -> object:
    _scores_shown_to_me(year, code)
    audit.log(store(), me(), client_address(), "download", f"{year}/{code}/ket-qua.json")
    data = exports.results_json(store(), year, exports.Scope(unit=code))
    return download(data, f"ket-qua-{year}-{code}.json", "application/json")
