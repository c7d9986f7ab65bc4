"""Citizens' surveys online: the public form of a unit and survey form (no login, no cookie, no
JavaScript), its QR code and the A4 poster and A5 card to print, the unit's live tallies, and the
province's collection windows, scores brought up to date, and exports."""

from __future__ import annotations

import datetime as dt
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from engine.clock import today
from engine.errors import CqttError
from engine.intake.cells import parse_date
from engine.portal import audit, dossiers, surveys
from engine.portal.units import find_unit, of_district, year_of
from engine.rules.model import SurveyForm
from web.access import guard
from web.security import client_address
from web.views.common import XLSX, config, download, form_text, me, store, year_or_404

bp = Blueprint("surveys", __name__)
public = Blueprint("survey_public", __name__)  # the citizens' side: no account, no CSRF token

CONTACT_NOTICE = (
    "Phiếu không ghi tên. Số điện thoại hoặc email (không bắt buộc) chỉ dùng để nhận ra một người gửi "
    "nhiều lần: cổng chỉ giữ một mã không đọc ngược lại được, không liên lạc với bạn. Địa chỉ mạng của "
    "máy bạn chỉ được giữ {minutes} phút để chống gửi hàng loạt."
)


def _keys() -> surveys.Keys:
    return surveys.Keys.derive(config().secret_key())


def _limits() -> surveys.Limits:
    return surveys.Limits.from_environment()


def public_link(year: int, code: str, form_id: str) -> str:
    """The address a citizen opens (what the QR code holds): on the portal's public address
    (--public-url; else the address the server listens on), never on the Host header a request
    brings, which whoever sends the request chooses."""
    path = url_for(
        "survey_public.form", year=year, code=code, form_id=form_id,
        token=surveys.link_token(_keys(), year, code, form_id),
    )  # fmt: skip
    return config().public_base() + path


def _from_elsewhere() -> bool:
    """Whether a POST to the public form comes from another site's page: its Origin (or, when a
    browser sends none, its Sec-Fetch-Site) is not the portal's own. A form with no account has no
    session to carry a CSRF token; this and the one-time ticket stand in for it."""
    origin = request.headers.get("Origin")
    if origin is None:
        return request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none")
    own = {request.host_url.rstrip("/"), config().public_base()}
    return origin.rstrip("/") not in own


# -- the citizens' side -------------------------------------------------------------------------------
def _public_form(year: int, code: str, form_id: str, token: str) -> tuple[object, SurveyForm]:
    """The unit and form a public link names, or 404 for anything it cannot vouch for."""
    if year_of(store(), year) is None:
        abort(404)
    unit = find_unit(store(), year, code)
    form = surveys.form_of(store(), year, form_id)
    if unit is None or form is None or not surveys.token_ok(_keys(), year, code, form_id, token):
        abort(404)
    return unit, form


@public.route("/ks/<int:year>/<code>/<form_id>/<token>", methods=["GET", "POST"])
def form(year: int, code: str, form_id: str, token: str) -> ResponseReturnValue:
    unit, survey = _public_form(year, code, form_id, token)
    window = surveys.windows(store(), year).get(form_id)
    state = window.state(today()) if window else None
    limits = _limits()
    context = {
        "unit": unit, "form": survey, "window": window, "state": state, "year": year,
        "notice": CONTACT_NOTICE.format(minutes=limits.minutes), "chosen": {}, "errors": {}, "contact": "",
    }  # fmt: skip
    if state != "dang_mo":
        return render_template("survey_closed.html", **context), 200 if request.method == "GET" else 403
    context["ticket"] = surveys.issue_ticket(_keys(), year, code, form_id)
    if request.method == "GET":
        return render_template("survey_form.html", **context)
    if _from_elsewhere():
        refused = (
            "Phiếu chỉ nhận từ trang phiếu của cổng; mở đường dẫn trên tờ rơi hoặc quét mã QR để trả lời."
        )
        return render_template("survey_closed.html", **context, refused=refused), 403
    raw = {q.id: form_text(request.form, q.id, 5) for q in survey.questions}
    contact = form_text(request.form, "lien_he", 200)
    answers, errors = surveys.check_answers(survey, raw)
    problem = surveys.check_contact(contact)
    if problem:
        errors["lien_he"] = problem
    if errors:
        context.update(chosen=raw, errors=errors, contact=contact)
        return render_template("survey_form.html", **context), 400
    try:
        surveys.submit(
            store(), _keys(), limits, year, code, survey, answers, contact, client_address(),
            form_text(request.form, "phieu", 200),
        )  # fmt: skip
    except surveys.SurveyRefused as exc:
        statuses = {"closed": 403, "address": 429, "form": 429, "ticket": 400}
        status = statuses.get(exc.kind, 409)
        return render_template("survey_closed.html", **context, refused=str(exc)), status
    return redirect(url_for("survey_public.thanks", year=year, code=code, form_id=form_id, token=token), 303)


@public.route("/ks/<int:year>/<code>/<form_id>/<token>/cam-on")
def thanks(year: int, code: str, form_id: str, token: str) -> ResponseReturnValue:
    unit, survey = _public_form(year, code, form_id, token)
    return render_template("survey_thanks.html", unit=unit, form=survey, year=year)


# -- a unit's links, QR codes and posters ----------------------------------------------------------------
def _unit_form(year: int, code: str, form_id: str) -> tuple[object, SurveyForm]:
    year_or_404(year)
    unit = find_unit(store(), year, code)
    survey = surveys.form_of(store(), year, form_id)
    if unit is None or survey is None:
        abort(404)
    return unit, survey


@bp.route("/nam/<int:year>/don-vi/<code>/khao-sat")
@guard("unit.view", "unit")
def unit_page(year: int, code: str) -> object:
    year_or_404(year)
    unit = find_unit(store(), year, code)
    found, general = surveys.unit_surveys(store(), year, code)
    links = {s.form.id: public_link(year, code, s.form.id) for s in found}
    return render_template(
        "unit_surveys.html", year=year, unit=unit, surveys=found, general=general, links=links,
        labels=surveys.STATE_LABELS,
    )  # fmt: skip


@bp.route("/nam/<int:year>/don-vi/<code>/khao-sat/<form_id>/qr.svg")
@guard("unit.view", "unit")
def qr(year: int, code: str, form_id: str) -> object:
    import segno

    _unit_form(year, code, form_id)
    out = io.BytesIO()
    segno.make(public_link(year, code, form_id), error="m", micro=False).save(
        out, kind="svg", scale=4, border=4, xmldecl=False, title="Mã QR phiếu khảo sát"
    )
    response = download(out.getvalue(), f"ma-qr-{code}-{form_id}.svg", "image/svg+xml")
    response.headers["Content-Disposition"] = "inline"
    return response


def _poster(year: int, code: str, form_id: str, size: str) -> object:
    unit, survey = _unit_form(year, code, form_id)
    window = surveys.windows(store(), year).get(form_id)
    loaded = surveys.criteria_of(store(), year)
    return render_template(
        "survey_posters.html", year=year, team=None, form=survey, window=window, size=size,
        posters=[(unit, public_link(year, code, form_id))], model=loaded.model.status == "model",
    )  # fmt: skip


@bp.route("/nam/<int:year>/don-vi/<code>/khao-sat/<form_id>/to-roi")
@guard("unit.view", "unit")
def poster(year: int, code: str, form_id: str) -> object:
    return _poster(year, code, form_id, "a4")


@bp.route("/nam/<int:year>/don-vi/<code>/khao-sat/<form_id>/the")
@guard("unit.view", "unit")
def card(year: int, code: str, form_id: str) -> object:
    return _poster(year, code, form_id, "a5")


@bp.route("/nam/<int:year>/huyen/<district>/khao-sat/<form_id>/to-roi")
@guard("district.view", "district")
def team_posters(year: int, district: str, form_id: str) -> object:
    """Every unit's A4 poster of one survey form for a team, in one file to print (a page each)."""
    year_or_404(year)
    survey = surveys.form_of(store(), year, form_id)
    listed = of_district(store(), year, district)
    if survey is None or not listed:
        abort(404)
    window = surveys.windows(store(), year).get(form_id)
    loaded = surveys.criteria_of(store(), year)
    return render_template(
        "survey_posters.html", year=year, team=district, form=survey, window=window, size="a4",
        posters=[(u, public_link(year, u.code, form_id)) for u in listed],
        model=loaded.model.status == "model",
    )  # fmt: skip


# -- the province's side ------------------------------------------------------------------------------
@bp.route("/nam/<int:year>/khao-sat")
@guard("surveys.manage")
def province(year: int) -> object:
    year_or_404(year)
    return render_template(
        "surveys.html", year=year, summary=surveys.summary(store(), year), labels=surveys.STATE_LABELS,
        today=today(), limits=_limits(),
    )  # fmt: skip


def _date(raw: str, what: str) -> dt.date:
    try:
        return parse_date(raw)
    except ValueError:
        raise CqttError(f"{what} “{raw}” không hợp lệ (ghi ví dụ 01/03/{today().year})") from None


@bp.route("/nam/<int:year>/khao-sat/<form_id>/thoi-gian", methods=["POST"])
@guard("surveys.manage")
def set_window(year: int, form_id: str) -> object:
    year_or_404(year)
    try:
        opens = _date(form_text(request.form, "opens_on", 20) or today().strftime("%d/%m/%Y"), "ngày bắt đầu")
        closes = _date(form_text(request.form, "closes_on", 20), "ngày kết thúc")
        window = surveys.set_window(store(), me(), client_address(), year, form_id, opens, closes)
    except CqttError as exc:
        flash(f"Chưa đặt thời gian: {exc}.", "error")
    else:
        flash(
            f"Phiếu {form_id.upper()} nhận ý kiến từ {window.opens_on:%d/%m/%Y} "
            f"đến {window.closes_on:%d/%m/%Y}.",
            "ok",
        )
    return redirect(url_for("surveys.province", year=year))


@bp.route("/nam/<int:year>/khao-sat/<form_id>/dong", methods=["POST"])
@guard("surveys.manage")
def close(year: int, form_id: str) -> object:
    year_or_404(year)
    try:
        surveys.close_window(store(), me(), client_address(), year, form_id)
    except CqttError as exc:
        flash(f"Chưa đóng: {exc}.", "error")
        return redirect(url_for("surveys.province", year=year))
    changed = dossiers.refresh_survey_values(store(), me(), client_address(), year)
    flash(
        f"Đã kết thúc nhận phiếu {form_id.upper()}; "
        f"điểm của {len(changed)} hồ sơ được tính lại theo số phiếu.",
        "ok",
    )
    return redirect(url_for("surveys.province", year=year))


@bp.route("/nam/<int:year>/khao-sat/cap-nhat-diem", methods=["POST"])
@guard("surveys.manage")
def refresh(year: int) -> object:
    year_or_404(year)
    changed = dossiers.refresh_survey_values(store(), me(), client_address(), year)
    flash(f"Điểm của {len(changed)} hồ sơ đã nộp được tính lại theo số phiếu hiện có.", "ok")
    return redirect(url_for("surveys.province", year=year))


@bp.route("/nam/<int:year>/khao-sat/phieu-tra-loi.csv")
@guard("surveys.manage")
def responses_csv(year: int) -> object:
    year_or_404(year)
    audit.log(store(), me(), client_address(), "download", f"{year}/phieu-tra-loi.csv")
    return download(surveys.responses_csv(store(), year), f"phieu-tra-loi-{year}.csv", "text/csv")


@bp.route("/nam/<int:year>/khao-sat/kiem-dem.xlsx")
@guard("surveys.manage")
def tallies_xlsx(year: int) -> object:
    year_or_404(year)
    audit.log(store(), me(), client_address(), "download", f"{year}/kiem-dem.xlsx")
    return download(surveys.tallies_workbook(store(), year), f"kiem-dem-khao-sat-{year}.xlsx", XLSX)
