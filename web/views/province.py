"""The province's dashboard: per district and for the province, units in the list, submitted,
appraised, proposed, eligible; the eligible share against the target over the whole list; flags
by kind; progress over time. And the province's downloads."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine.errors import CqttError
from engine.portal import audit, exports, overview, review, surveys, tasks
from web.access import guard
from web.security import client_address
from web.views.common import XLSX, download, form_text, me, store, year_or_404

bp = Blueprint("province", __name__)


@bp.route("/nam/<int:year>/tinh")
@guard("province.view")
def dashboard(year: int) -> object:
    year_or_404(year)
    from engine.portal.units import years

    return render_template(
        "dashboard.html",
        d=overview.dashboard(store(), year),
        years=years(store()),
        review=review.summary(store(), year),
        surveys=surveys.summary(store(), year),
        survey_labels=surveys.STATE_LABELS,
        year=year,
        deadline_kinds=tasks.DEADLINE_KINDS,
        deadline_dates=tasks.deadlines(store(), year),
    )


@bp.route("/nam/<int:year>/thoi-han", methods=["POST"])
@guard("year.deadlines")
def set_deadlines(year: int) -> object:
    """The year's dates the task lists show: submitting, appraising, sending the lists."""
    from engine.intake.cells import parse_date

    year_or_404(year)
    dates: dict[str, dt.date | None] = {}
    try:
        for kind, label in tasks.DEADLINE_KINDS.items():
            raw = form_text(request.form, kind, 20).strip()
            try:
                dates[kind] = parse_date(raw) if raw else None
            except ValueError:
                raise CqttError(f"{label.lower()} “{raw}” không hợp lệ (ghi ví dụ 31/10/{year})") from None
        tasks.set_deadlines(store(), me(), client_address(), year, dates)
    except CqttError as exc:
        flash(f"Chưa lưu thời hạn: {exc}.", "error")
    else:
        flash("Đã lưu thời hạn của năm.", "ok")
    return redirect(url_for("province.dashboard", year=year, _anchor="thoi-han"))


def _download(year: int, kind: str) -> object:
    year_or_404(year)
    scope = exports.Scope()
    audit.log(store(), me(), client_address(), "download", f"{year}/toàn tỉnh/{kind}")
    if kind == "ket-qua.xlsx":
        return download(
            exports.results_workbook(store(), year, scope), f"ket-qua-toan-tinh-{year}.xlsx", XLSX
        )
    if kind == "ket-qua.json":
        data = exports.results_json(store(), year, scope)
        return download(data, f"ket-qua-toan-tinh-{year}.json", "application/json")
    return download(
        exports.template(store(), year, scope, filled=True), f"minh-chung-toan-tinh-{year}.xlsx", XLSX
    )


@bp.route("/nam/<int:year>/tinh/ket-qua.xlsx")
@guard("province.view")
def results_xlsx(year: int) -> object:
    return _download(year, "ket-qua.xlsx")


@bp.route("/nam/<int:year>/tinh/ket-qua.json")
@guard("province.view")
def results_json(year: int) -> object:
    return _download(year, "ket-qua.json")


@bp.route("/nam/<int:year>/tinh/minh-chung.xlsx")
@guard("province.view")
def evidence_xlsx(year: int) -> object:
    return _download(year, "minh-chung.xlsx")
