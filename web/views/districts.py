"""A district's page: its units ranked, those that did not submit, the team's Excel upload,
sending the list to the province, and the district's downloads."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from engine.errors import CqttError
from engine.portal import audit, dossiers, exports, overview, surveys
from engine.portal.files import shown_name
from engine.portal.policy import Target, allowed
from engine.portal.units import criteria_of
from web.access import guard
from web.security import client_address
from web.views.common import DOCX, XLSX, ZIP, config, download, me, store, year_or_404

bp = Blueprint("districts", __name__)


@bp.route("/nam/<int:year>/huyen/<district>")
@guard("district.view", "district")
def page(year: int, district: str) -> object:
    year_or_404(year)
    found = overview.rows(store(), year, district)
    counts = overview.Counts(district)
    for r in found:
        counts.add(r)
    loaded = criteria_of(store(), year)
    return render_template(
        "district.html",
        year=year,
        district=district,
        ranked=sorted((r for r in found if r.scored), key=lambda r: (r.rank or 0, r.unit.code)),
        waiting=[r for r in found if not r.scored],
        counts=counts,
        cs=loaded.model,
        can_manage=allowed(me(), "district.manage", Target(district=district)),
        upload=None,
        survey_forms=sorted(surveys.windows(store(), year)),
    )


@bp.route("/nam/<int:year>/huyen/<district>/tai-len", methods=["POST"])
@guard("district.manage", "district")
def upload(year: int, district: str) -> object:
    year_or_404(year)
    sent = request.files.get("file")
    if sent is None or not sent.filename:
        flash("Chọn tệp Excel mẫu nhập đã điền.", "error")
        return redirect(url_for("districts.page", year=year, district=district))
    name = shown_name(sent.filename)
    if not name.lower().endswith((".xlsx", ".xlsm", ".csv")):
        flash(f"“{name}”: cần tệp mẫu nhập Excel (.xlsx) hoặc CSV.", "error")
        return redirect(url_for("districts.page", year=year, district=district))
    with tempfile.TemporaryDirectory(prefix="cqtt-tai-len-") as tmp:
        path = Path(tmp) / ("tai-len" + Path(name).suffix.lower())
        limit = config().upload_limit
        data = sent.stream.read(limit + 1)
        if len(data) > limit:
            flash(f"Tệp lớn hơn giới hạn {limit // (1024 * 1024)} MB.", "error")
            return redirect(url_for("districts.page", year=year, district=district))
        path.write_bytes(data)
        try:
            outcome = dossiers.upload_workbook(
                store(), me(), client_address(), year, district, path, name, config().xlsx_limits
            )
        except CqttError as exc:
            details = getattr(exc, "issues", None)
            lines = (
                [i.format().replace(str(path), name).replace(path.name, name) for i in details]
                if details
                else []
            )
            message = str(getattr(exc, "summary", None) or exc).replace(str(path), name)
            page_ = render_template(
                "upload_failed.html", year=year, district=district, message=message, lines=lines
            )
            return page_, 400
    return render_template("uploaded.html", year=year, district=district, outcome=outcome, name=name)


@bp.route("/nam/<int:year>/huyen/<district>/gui-tinh", methods=["POST"])
@guard("district.manage", "district")
def send(year: int, district: str) -> object:
    try:
        n = dossiers.send_to_province(store(), me(), client_address(), year, district)
    except CqttError as exc:
        flash(str(exc), "error")
    else:
        flash(f"Đã gửi {n} hồ sơ đã thẩm định lên tỉnh.", "ok")
    return redirect(url_for("districts.page", year=year, district=district))


def _download(year: int, district: str, kind: str) -> object:
    year_or_404(year)
    scope = exports.Scope(district=district)
    audit.log(store(), me(), client_address(), "download", f"{year}/{district}/{kind}")
    stem = f"{scope.slug().replace('_', '-')}-{year}"
    if kind == "ket-qua.xlsx":
        return download(exports.results_workbook(store(), year, scope), f"ket-qua-{stem}.xlsx", XLSX)
    if kind == "ket-qua.json":
        return download(
            exports.results_json(store(), year, scope), f"ket-qua-{stem}.json", "application/json"
        )
    if kind == "minh-chung.xlsx":
        return download(exports.template(store(), year, scope, filled=True), f"minh-chung-{stem}.xlsx", XLSX)
    return download(exports.template(store(), year, scope, filled=False), f"mau-nhap-{stem}.xlsx", XLSX)


def _head() -> object:
    from engine.outputs.records.build import Letterhead

    return Letterhead(place=config().place)  # the issuing body: the district's, from its name


@bp.route("/nam/<int:year>/huyen/<district>/danh-sach-de-nghi.docx")
@guard("district.view", "district")
def proposal_list(year: int, district: str) -> object:
    """The district's danh sách đề nghị công nhận, as `cqtt records` writes it."""
    year_or_404(year)
    audit.log(store(), me(), client_address(), "download", f"{year}/{district}/danh-sach-de-nghi.docx")
    templates = config().data_dir / "mau-van-ban"
    files = exports.records(
        store(), year, exports.Scope(district=district), "danh-sach-de-nghi", _head(), templates
    )
    if not files:
        abort(404, "chưa có hồ sơ thẩm định xong")
    name, data = files[0]
    return download(data, name, DOCX)


@bp.route("/nam/<int:year>/huyen/<district>/bien-ban-tham-dinh.zip")
@guard("district.view", "district")
def appraisal_records(year: int, district: str) -> object:
    """A biên bản thẩm định for each unit of the district that submitted, in one .zip."""
    year_or_404(year)
    audit.log(store(), me(), client_address(), "download", f"{year}/{district}/bien-ban-tham-dinh.zip")
    templates = config().data_dir / "mau-van-ban"
    scope = exports.Scope(district=district)
    files = exports.records(store(), year, scope, "bien-ban-tham-dinh", _head(), templates)
    stem = f"{scope.slug().replace('_', '-')}-{year}"
    return download(exports.zipped(files), f"bien-ban-tham-dinh-{stem}.zip", ZIP)


@bp.route("/nam/<int:year>/huyen/<district>/bien-ban-tham-dinh.docx")
@guard("district.view", "district")
def appraisal_records_file(year: int, district: str) -> object:
    """Every biên bản thẩm định of the district in one Word file to print, each unit from a new
    page, in the order of the .zip."""
    from engine.outputs.records.combine import combined

    year_or_404(year)
    audit.log(store(), me(), client_address(), "download", f"{year}/{district}/bien-ban-tham-dinh.docx")
    templates = config().data_dir / "mau-van-ban"
    scope = exports.Scope(district=district)
    files = exports.records(store(), year, scope, "bien-ban-tham-dinh", _head(), templates)
    if not files:
        abort(404, "chưa có hồ sơ thẩm định xong")
    stem = f"{scope.slug().replace('_', '-')}-{year}"
    return download(combined([data for _, data in files]), f"bien-ban-tham-dinh-{stem}.docx", DOCX)


@bp.route("/nam/<int:year>/huyen/<district>/ket-qua.xlsx")
@guard("district.view", "district")
def results_xlsx(year: int, district: str) -> object:
    return _download(year, district, "ket-qua.xlsx")


@bp.route("/nam/<int:year>/huyen/<district>/ket-qua.json")
@guard("district.view", "district")
def results_json(year: int, district: str) -> object:
    return _download(year, district, "ket-qua.json")


@bp.route("/nam/<int:year>/huyen/<district>/minh-chung.xlsx")
@guard("district.view", "district")
def evidence_xlsx(year: int, district: str) -> object:
    return _download(year, district, "minh-chung.xlsx")


@bp.route("/nam/<int:year>/huyen/<district>/mau-nhap.xlsx")
@guard("district.view", "district")
def template_xlsx(year: int, district: str) -> object:
    return _download(year, district, "mau-nhap.xlsx")
