"""The year's units as a list to work through: the province's whole list and each team's own,
searched (with or without diacritics), filtered, sorted, paged, and downloaded as shown."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, render_template, request, url_for

from engine.outputs import listbook
from engine.portal import audit, listing, overview
from engine.portal.roles import STATES
from engine.portal.units import districts, has_district
from engine.scoring.flags import FLAG_LABELS
from web.access import guard
from web.security import client_address
from web.views.common import XLSX, download, me, store, year_or_404

bp = Blueprint("lists", __name__)

COLUMNS = (
    listing.Column("code", "Mã"),
    listing.Column("name", "Tên đơn vị"),
    listing.Column("team", "Tổ thẩm định / huyện"),
    listing.Column("state_label", "Trạng thái"),
    listing.Column("total", "Tổng điểm", numeric=True),
    listing.Column("result_label", "Kết quả"),
    listing.Column("proposed", "Đề nghị"),
    listing.Column("flag_count", "Cảnh báo", numeric=True),
)
SEARCHED = ("code", "name")


def _filters(year: int, team: str | None) -> list[listing.Filter]:
    found = [
        listing.Filter("state", "Trạng thái", tuple(STATES.items())),
        listing.Filter("result", "Kết quả", tuple(overview.RESULTS.items())),
        listing.Filter("flags", "Cảnh báo", tuple((code, label) for code, (_, label) in FLAG_LABELS.items())),
    ]
    if team is None:
        found.insert(
            1,
            listing.Filter(
                "team", "Tổ thẩm định / huyện", tuple((t, t) for t, _ in districts(store(), year))
            ),
        )
    return found


def _shown(year: int, team: str | None) -> tuple[listing.Query, list[listing.Filter], listing.Shown]:
    year_or_404(year)
    if team is not None and not has_district(store(), year, team):
        abort(404)
    filters = _filters(year, team)
    query = listing.query_from(request.args, COLUMNS, filters)
    rows = overview.listed_rows(store(), year, team)
    return query, filters, listing.show(rows, COLUMNS, query, SEARCHED)


def _page(year: int, team: str | None, endpoint: str, download_endpoint: str, **where: Any) -> object:
    query, filters, shown = _shown(year, team)

    def page_url(**change: Any) -> str:
        values: dict[str, Any] = {"year": year, **where, **query.args(**change)}
        return url_for(endpoint, **values)

    return render_template(
        "listing.html",
        page_url=page_url,
        download_url=url_for(download_endpoint, **{"year": year, **where, **query.args(trang="")}),
        year=year,
        team=team,
        columns=COLUMNS,
        filters=filters,
        query=query,
        shown=shown,
        said=listing.described(query, filters),
    )


def _download(year: int, team: str | None) -> object:
    query, filters, shown = _shown(year, team)
    scope = team or "toàn tỉnh"
    audit.log(store(), me(), client_address(), "download", f"{year}/{scope}/danh-sach.xlsx")
    title = f"Danh sách đơn vị năm {year} — {scope}"
    data = listbook.workbook(title, COLUMNS, shown, listing.described(query, filters))
    return download(data, f"danh-sach-{year}.xlsx", XLSX)


@bp.route("/nam/<int:year>/danh-sach")
@guard("province.view")
def province(year: int) -> object:
    return _page(year, None, "lists.province", "lists.province_xlsx")


@bp.route("/nam/<int:year>/danh-sach.xlsx")
@guard("province.view")
def province_xlsx(year: int) -> object:
    return _download(year, None)


@bp.route("/nam/<int:year>/huyen/<district>/danh-sach")
@guard("district.view", "district")
def team(year: int, district: str) -> object:
    return _page(year, district, "lists.team", "lists.team_xlsx", district=district)


@bp.route("/nam/<int:year>/huyen/<district>/danh-sach.xlsx")
@guard("district.view", "district")
def team_xlsx(year: int, district: str) -> object:
    return _download(year, district)
