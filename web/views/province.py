"""The province's dashboard: per district and for the province, units in the list, submitted,
appraised, proposed, eligible; the eligible share against the target over the whole list; flags
by kind; progress over time. And the province's downloads."""

from __future__ import annotations

from flask import Blueprint, render_template

from engine.portal import audit, exports, overview, review, surveys
from web.access import guard
from web.security import client_address
from web.views.common import XLSX, download, me, store, year_or_404

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
    )


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
