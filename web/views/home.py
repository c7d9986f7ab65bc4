"""Where each role starts."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, redirect, render_template, url_for

from engine.clock import today
from engine.portal import tasks
from engine.portal.roles import Account
from engine.portal.tasks import Task
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


def my_tasks(year: int) -> tuple[list[Task], dt.date, dict[str, dt.date]]:
    """The signed-in user's work for `year` ("Việc cần làm"), today's date, and the year's dates."""
    account = me()
    return tasks.tasks_for(store(), account, year), today(), tasks.deadlines(store(), year)


def task_url(task: Task, year: int) -> str:
    """Where a task is done."""
    if task.kind in ("nop", "bo_sung") and task.unit:
        return url_for("units.form", year=year, code=task.unit)
    if task.kind == "tham_dinh" and task.unit:
        return url_for("units.verify", year=year, code=task.unit)
    if task.kind == "tham_dinh" and task.team:  # many units: the team's list, filtered to them
        return url_for("lists.team", year=year, district=task.team, state=task.state or "")
    if task.kind == "thuc_dia" and task.unit:
        return url_for("review.field_check", year=year, code=task.unit)
    if task.kind == "kien_nghi" and task.unit:
        return url_for("units.page", year=year, code=task.unit, _anchor="kien-nghi")
    if task.kind == "gui_tinh" and task.team:
        return url_for("districts.page", year=year, district=task.team, _anchor="gui-tinh")
    if task.kind == "quyet_dinh":
        return url_for("review.page", year=year)
    return url_for("units.page", year=year, code=task.unit) if task.unit else url_for("home.index")


def year_links(account: Account | None) -> list[tuple[UserYear, str]]:
    """The years the signed-in user has anything in, each with its page (the bar every page
    shows under the header)."""
    if account is None or account.role not in ("xa", "huyen", "tinh"):
        return []
    return [(y, year_page(account, y.year)) for y in user_years(store(), account)]
