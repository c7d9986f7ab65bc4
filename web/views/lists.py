"""Lists people work through, one page and one download each: the year's units (the province's
whole list and each team's own), the online survey responses by unit and form, and the year's
decisions; searched (with or without diacritics), filtered, sorted, paged, and downloaded as shown.

Each list is a `Spec` (its columns, filters and rows); one page template and one workbook writer
serve them all, so a download always holds what the page showed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for

from engine.portal import listing, overview, review, surveys
from engine.portal.roles import STATES
from engine.portal.units import districts, has_district
from engine.scoring.flags import FLAG_LABELS
from web.access import guard
from web.views.common import list_download, store, year_or_404

bp = Blueprint("lists", __name__)


@dataclass(frozen=True)
class Spec:
    title: str  # "Danh sách đơn vị" — the page's heading before the year
    noun: str  # what a row is, for the count ("đơn vị")
    slug: str  # the download's file name and audit object
    columns: tuple[listing.Column, ...]
    filters: Callable[[int, str | None], list[listing.Filter]]
    rows: Callable[[int, str | None], list[dict[str, Any]]]
    searched: tuple[str, ...] = ("code", "name")
    anchor: str = ""  # where a unit's link lands on its page


def _team_filter(year: int) -> listing.Filter:
    return listing.Filter("team", "Tổ thẩm định / huyện", tuple((t, t) for t, _ in districts(store(), year)))


def _unit_filters(year: int, team: str | None) -> list[listing.Filter]:
    found = [
        listing.Filter("state", "Trạng thái", tuple(STATES.items())),
        listing.Filter("result", "Kết quả", tuple(overview.RESULTS.items())),
        listing.Filter("flags", "Cảnh báo", tuple((code, label) for code, (_, label) in FLAG_LABELS.items())),
    ]
    if team is None:
        found.insert(1, _team_filter(year))
    return found


UNITS = Spec(
    "Danh sách đơn vị",
    "đơn vị",
    "danh-sach",
    (
        listing.Column("code", "Mã"),
        listing.Column("name", "Tên đơn vị"),
        listing.Column("team", "Tổ thẩm định / huyện"),
        listing.Column("state_label", "Trạng thái"),
        listing.Column("total", "Tổng điểm", numeric=True),
        listing.Column("result_label", "Kết quả"),
        listing.Column("proposed", "Đề nghị"),
        listing.Column("flag_count", "Cảnh báo", numeric=True),
    ),
    _unit_filters,
    lambda year, team: overview.listed_rows(store(), year, team),
)


def _survey_filters(year: int, team: str | None) -> list[listing.Filter]:
    forms = [f for f in surveys.forms_of(store(), year) if f.id in surveys.windows(store(), year)]
    return [
        listing.Filter("form", "Mẫu phiếu", tuple((f.id, f"{f.id.upper()} — {f.label}") for f in forms)),
        _team_filter(year),
        listing.Filter("alarms", "Cần xem", tuple(surveys.ALARMS.items())),
    ]


SURVEYS = Spec(
    "Phiếu khảo sát theo đơn vị",
    "dòng (đơn vị × mẫu phiếu)",
    "phieu-theo-don-vi",
    (
        listing.Column("code", "Mã"),
        listing.Column("name", "Tên đơn vị"),
        listing.Column("team", "Tổ thẩm định / huyện"),
        listing.Column("form_label", "Mẫu phiếu"),
        listing.Column("counted", "Số phiếu được tính", numeric=True),
        listing.Column("satisfied", "Hài lòng", numeric=True),
        listing.Column("share", "Tỷ lệ hài lòng (%)", numeric=True),
        listing.Column("alarm_label", "Cần xem"),
    ),
    _survey_filters,
    lambda year, team: surveys.listed_rows(store(), year),
)


def _decision_filters(year: int, team: str | None) -> list[listing.Filter]:
    return [
        listing.Filter("decision", "Quyết định", tuple(review.DECISION_FILTER.items())),
        _team_filter(year),
        listing.Filter("contradicts", "Trái kết quả chấm", (("co", "Có"), ("khong", "Không"))),
        listing.Filter("appeal", "Kiến nghị", tuple(review.APPEAL_STATES.items())),
    ]


DECISIONS = Spec(
    "Quyết định công nhận",
    "đơn vị có quyết định",
    "quyet-dinh",
    (
        listing.Column("code", "Mã"),
        listing.Column("name", "Tên đơn vị"),
        listing.Column("team", "Tổ thẩm định / huyện"),
        listing.Column("decision_label", "Quyết định"),
        listing.Column("number", "Số quyết định"),
        listing.Column("date", "Ngày"),
        listing.Column("basis_total", "Điểm làm căn cứ", numeric=True),
        listing.Column("contradiction", "Trái kết quả chấm"),
        listing.Column("appeal_label", "Kiến nghị"),
    ),
    _decision_filters,
    lambda year, team: review.listed_decisions(store(), year),
    searched=("code", "name", "number"),
    anchor="quyet-dinh",
)


Shown = tuple[listing.Query, list[listing.Filter], listing.Shown]


def _shown(spec: Spec, year: int, team: str | None) -> Shown:
    year_or_404(year)
    if team is not None and not has_district(store(), year, team):
        abort(404)
    filters = spec.filters(year, team)
    query = listing.query_from(request.args, spec.columns, filters)
    return query, filters, listing.show(spec.rows(year, team), spec.columns, query, spec.searched)


def _page(spec: Spec, year: int, team: str | None, endpoint: str, **where: Any) -> object:
    query, filters, shown = _shown(spec, year, team)

    def page_url(**change: Any) -> str:
        values: dict[str, Any] = {"year": year, **where, **query.args(**change)}
        return url_for(endpoint, **values)

    return render_template(
        "listing.html",
        spec=spec,
        page_url=page_url,
        download_url=url_for(f"{endpoint}_xlsx", **{"year": year, **where, **query.args(trang="")}),
        year=year,
        team=team,
        columns=spec.columns,
        filters=filters,
        query=query,
        shown=shown,
        said=listing.described(query, filters),
    )


def _download(spec: Spec, year: int, team: str | None) -> object:
    query, filters, shown = _shown(spec, year, team)
    scope = team or "toàn tỉnh"
    title = f"{spec.title} năm {year} — {scope}"
    name = f"{year}/{scope}/{spec.slug}-{year}.xlsx"  # audited whole, downloaded as its last part
    return list_download(title, name, spec.columns, query, filters, shown)


@bp.route("/nam/<int:year>/danh-sach")
@guard("province.view")
def province(year: int) -> object:
    return _page(UNITS, year, None, "lists.province")


@bp.route("/nam/<int:year>/danh-sach.xlsx")
@guard("province.view")
def province_xlsx(year: int) -> object:
    return _download(UNITS, year, None)


@bp.route("/nam/<int:year>/huyen/<district>/danh-sach")
@guard("district.view", "district")
def team(year: int, district: str) -> object:
    return _page(UNITS, year, district, "lists.team", district=district)


@bp.route("/nam/<int:year>/huyen/<district>/danh-sach.xlsx")
@guard("district.view", "district")
def team_xlsx(year: int, district: str) -> object:
    return _download(UNITS, year, district)


@bp.route("/nam/<int:year>/khao-sat/theo-don-vi")
@guard("surveys.manage")
def surveys_page(year: int) -> object:
    return _page(SURVEYS, year, None, "lists.surveys_page")


@bp.route("/nam/<int:year>/khao-sat/theo-don-vi.xlsx")
@guard("surveys.manage")
def surveys_page_xlsx(year: int) -> object:
    return _download(SURVEYS, year, None)


@bp.route("/nam/<int:year>/quyet-dinh")
@guard("review.manage")
def decisions(year: int) -> object:
    return _page(DECISIONS, year, None, "lists.decisions")


@bp.route("/nam/<int:year>/quyet-dinh.xlsx")
@guard("review.manage")
def decisions_xlsx(year: int) -> object:
    return _download(DECISIONS, year, None)
