"""Where each role starts."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from engine.portal.roles import Account
from engine.portal.years import UserYear, start_year, user_years
from web.access import guard
from web.views.common import latest_year, me, store

bp = Blueprint("home", __name__)


@bp.route("/")
@guard("self")
def index() -> object:
    """The user's page of the year with work waiting for them (see engine.portal.years), not
    the latest list loaded."""
    account = me()
    if account.role == "quan-tri":
        return redirect(url_for("admin.accounts_page"))
    if account.role == "chinh-sach":
        return redirect(url_for("rules.listing"))
    year = start_year(user_years(store(), account), account.role) or latest_year()
    if year is None:
        return render_template("empty.html")
    return redirect(year_page(account, year))


def year_page(account: Account, year: int) -> str:
    """Where `account` works on `year`."""
    if account.role == "xa" and account.unit_code:
        return url_for("units.page", year=year, code=account.unit_code)
    if account.role == "huyen" and (team := account.team_in(year)):
        return url_for("districts.page", year=year, district=team)
    return url_for("province.dashboard", year=year)


def year_links(account: Account | None) -> list[tuple[UserYear, str]]:
    """The years the signed-in user has anything in, each with its page (the bar every page
    shows under the header)."""
    if account is None or account.role not in ("xa", "huyen", "tinh"):
        return []
    return [(y, year_page(account, y.year)) for y in user_years(store(), account)]
