"""Where each role starts."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from web.access import guard
from web.views.common import latest_year, me

bp = Blueprint("home", __name__)


@bp.route("/")
@guard("self")
def index() -> object:
    account = me()
    year = latest_year()
    if account.role == "quan-tri":
        return redirect(url_for("admin.accounts_page"))
    if account.role == "chinh-sach":
        return redirect(url_for("rules.listing"))
    if year is None:
        return render_template("empty.html")
    if account.role == "xa" and account.unit_code:
        return redirect(url_for("units.page", year=year, code=account.unit_code))
    if account.role == "huyen" and account.district:
        return redirect(url_for("districts.page", year=year, district=account.district))
    return redirect(url_for("province.dashboard", year=year))
