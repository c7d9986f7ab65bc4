"""The province's review: the field-check sample and checkers, the values found on site, the
re-check of every unit, decisions (with their guardrails), the decision list for signature,
appeals and revocations."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from engine.clock import shown as when
from engine.errors import CqttError
from engine.intake.cells import parse_date
from engine.portal import audit, dossiers, exports, files, review, submission
from engine.portal.accounts import listing
from engine.portal.form import changed_fields, checked_values, fields_of, form_for, ticked
from engine.portal.units import criteria_of
from engine.review.field import RISK_LABELS
from engine.text import fmt
from web.access import guard
from web.security import client_address
from web.views.common import DOCX, config, download, form_text, keep_form, me, online_for, store, year_or_404

bp = Blueprint("review", __name__)


def _date(raw: str) -> dt.date | None:
    if not raw.strip():
        return None
    try:
        return parse_date(raw.strip())
    except ValueError:
        raise CqttError(f"ngày “{raw}” không hợp lệ (ghi ví dụ 20/12/2024)") from None


@bp.route("/nam/<int:year>/phuc-tra")
@guard("review.manage")
def page(year: int) -> object:
    year_or_404(year)
    checkers = [a.account.login for a in listing(store()) if a.account.role == "tinh" and not a.disabled]
    return render_template(
        "review.html",
        year=year,
        recheck=review.recheck(store(), year),
        sample=review.sample_of(store(), year),
        summary=review.summary(store(), year),
        checkers=checkers,
        risk_labels=RISK_LABELS,
    )


@bp.route("/nam/<int:year>/phuc-tra/mau", methods=["POST"])
@guard("review.manage")
def draw(year: int) -> object:
    year_or_404(year)
    try:
        n = int(form_text(request.form, "n", 5) or "0")
        seed = int(form_text(request.form, "seed", 12) or "0")
        drawn = review.draw_sample(store(), me(), client_address(), year, n, seed)
    except ValueError:
        flash("Số đơn vị và hạt giống phải là số nguyên.", "error")
    except CqttError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã chọn {len(drawn)} đơn vị để kiểm tra thực địa (hạt giống {seed}).", "ok")
    return redirect(url_for("review.page", year=year) + "#mau")


@bp.route("/nam/<int:year>/phuc-tra/mau/<code>/phan-cong", methods=["POST"])
@guard("review.manage", "unit")
def assign(year: int, code: str) -> object:
    try:
        review.assign(store(), me(), client_address(), year, code, form_text(request.form, "checker", 64))
    except CqttError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã phân công kiểm tra {code}.", "ok")
    return redirect(url_for("review.page", year=year) + "#mau")


@bp.route("/nam/<int:year>/don-vi/<code>/bien-ban-kiem-tra.docx")
@guard("review.manage", "unit")
def field_record(year: int, code: str) -> object:
    """The biên bản kiểm tra thực địa of a unit checked on site, as `cqtt records` makes it."""
    from engine.outputs.records.build import Letterhead

    year_or_404(year)
    settings = config()
    made = exports.field_record(
        store(), year, code, Letterhead(issuer=settings.issuer, place=settings.place),
        settings.data_dir / "mau-van-ban",
    )  # fmt: skip
    if made is None:
        abort(404, "đơn vị chưa được kiểm tra thực địa")
    audit.log(store(), me(), client_address(), "download", f"{year}/{code}/bien-ban-kiem-tra.docx")
    return download(made[1], made[0], DOCX)


@bp.route("/nam/<int:year>/don-vi/<code>/thuc-dia", methods=["GET", "POST"])
@guard("review.manage", "unit")
def field_check(year: int, code: str) -> object:
    year_or_404(year)
    d = dossiers.dossier(store(), year, code)
    if d is None:
        abort(404)
    refusal = review.field_check_refusal(store(), me(), year, code)
    if refusal is not None:
        flash(f"Không kiểm tra thực địa được: {refusal}.", "error")
        return redirect(url_for("units.page", year=year, code=code))
    found = dossiers.versions(store(), d.id)
    team = dossiers.latest(found, "verified") or dossiers.latest(found, "declared")
    if team is None:
        flash("Hồ sơ chưa có giá trị để kiểm tra.", "warning")
        return redirect(url_for("units.page", year=year, code=code))
    loaded = criteria_of(store(), year)
    online = online_for(year, code)
    earlier = dossiers.latest(found, "field")
    values = dict(earlier.data) if earlier else dict(team.data)
    reasons = dict(earlier.notes) if earlier else {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values, reasons, changed = checked_values(loaded.model, team.data, request.form, set(online))
        errors = {k: "Ghi lý do (điều thấy tại xã)" for k in changed if not reasons.get(k)}
        sent_base = form_text(request.form, "base", 20)
        if not errors:
            try:
                saved = review.save_field(
                    store(), me(), client_address(), year, code, values, reasons,
                    int(sent_base) if sent_base.isdigit() else 0,
                )  # fmt: skip
            except dossiers.EditConflict:
                flash(
                    f"Chưa lưu: {earlier.author if earlier else 'người khác'} đã lưu kết quả kiểm tra "
                    f"thực địa lúc {when(earlier.created_at) if earlier else ''} sau khi trang này được mở "
                    "(máy khác?). Giá trị anh/chị gõ vẫn giữ trong ô; xem lại rồi lưu.",
                    "error",
                )
                status = 409
            except CqttError as exc:
                flash(str(exc), "error")
            else:
                flash(f"Đã lưu kết quả kiểm tra thực địa: {fmt(saved.score.total)} điểm.", "ok")
                return redirect(url_for("units.page", year=year, code=code))
        status = status if status == 409 else 400
        if errors:
            flash(f"Còn {len(errors)} giá trị khác tổ thẩm định chưa ghi lý do.", "error")
    fields = fields_of(loaded.model)
    ticks = {key: ticked(f, values.get(key)) for key, f in fields.items() if f.kind == "items"}
    return (
        render_template(
            "field_check.html",
            year=year,
            unit=d.unit,
            cs=loaded.model,
            sections=form_for(loaded.model),
            fields=fields,
            team=team.data,
            values=values,
            reasons=reasons,
            errors=errors,
            ticks=ticks,
            changed=set(changed_fields(loaded.model, team.data, values)) - set(online),
            online=online,
            base=earlier.id if earlier else 0,
            attachments=files.listing(store(), d.id),
            slot_names=submission.slot_names(loaded.model),
        ),
        status,
    )


@bp.route("/nam/<int:year>/don-vi/<code>/quyet-dinh", methods=["POST"])
@guard("review.manage", "unit")
def decide(year: int, code: str) -> object:
    appeal = form_text(request.form, "appeal", 12)
    try:
        recorded = review.decide(
            store(), me(), client_address(), year, code,
            form_text(request.form, "decision", 20), form_text(request.form, "number", 100),
            _date(form_text(request.form, "date", 20)), form_text(request.form, "reason", 2000),
            int(appeal) if appeal.isdigit() else None,
        )  # fmt: skip
    except CqttError as exc:
        keep_form("quyet-dinh", ("decision", "number", "date", "reason"), f"Chưa ghi quyết định: {exc}.")
        return redirect(url_for("units.page", year=year, code=code) + "#form-quyet-dinh")
    else:
        if recorded.contradiction:
            flash(
                f"Đã ghi quyết định, gắn cảnh báo: trái với kết quả chấm ({recorded.contradiction}).",
                "warning",
            )
        else:
            flash("Đã ghi quyết định.", "ok")
    return redirect(url_for("units.page", year=year, code=code) + "#quyet-dinh")


@bp.route("/nam/<int:year>/don-vi/<code>/thu-hoi", methods=["POST"])
@guard("review.manage", "unit")
def revoke(year: int, code: str) -> object:
    try:
        review.revoke(
            store(), me(), client_address(), year, code, form_text(request.form, "number", 100),
            _date(form_text(request.form, "date", 20)), form_text(request.form, "reason", 2000),
        )  # fmt: skip
    except CqttError as exc:
        flash(f"Chưa thu hồi: {exc}.", "error")
    else:
        flash("Đã ghi quyết định thu hồi công nhận.", "ok")
    return redirect(url_for("units.page", year=year, code=code) + "#quyet-dinh")


@bp.route("/nam/<int:year>/don-vi/<code>/kien-nghi", methods=["POST"])
@guard("unit.appeal", "unit")
def appeal(year: int, code: str) -> object:
    try:
        review.file_appeal(
            store(), me(), client_address(), year, code, form_text(request.form, "grounds", 5000)
        )
    except CqttError as exc:
        keep_form("kien-nghi", ("grounds",), f"Không gửi được kiến nghị: {exc}.")
        return redirect(url_for("units.page", year=year, code=code) + "#kien-nghi")
    else:
        flash("Đã gửi kiến nghị; tỉnh trả lời trên trang này.", "ok")
    return redirect(url_for("units.page", year=year, code=code) + "#kien-nghi")


@bp.route("/nam/<int:year>/don-vi/<code>/kien-nghi/<int:appeal_id>/tra-loi", methods=["POST"])
@guard("review.manage", "unit")
def answer(year: int, code: str, appeal_id: int) -> object:
    accept = form_text(request.form, "accept", 5) == "co"
    try:
        review.answer_appeal(
            store(),
            me(),
            client_address(),
            year,
            code,
            appeal_id,
            accept,
            form_text(request.form, "answer", 5000),
        )
    except CqttError as exc:
        flash(f"Chưa trả lời: {exc}.", "error")
    else:
        flash(
            "Đã chấp nhận kiến nghị: kiểm tra lại giá trị nếu cần, rồi ghi quyết định mới "
            "(thay quyết định cũ)."
            if accept
            else "Đã trả lời: không chấp nhận kiến nghị.",
            "ok",
        )
    return redirect(url_for("units.page", year=year, code=code) + "#kien-nghi")


@bp.route("/nam/<int:year>/danh-sach-cong-nhan.docx")
@guard("review.manage")
def decision_list(year: int) -> object:
    year_or_404(year)
    settings = config()
    data = review.decision_list(
        store(), year, settings.issuer, settings.place, settings.data_dir / "mau-van-ban"
    )
    audit.log(store(), me(), client_address(), "download", f"{year}/danh-sach-cong-nhan.docx")
    return download(data, f"danh-sach-cong-nhan-{year}.docx", DOCX)
