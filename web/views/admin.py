"""Administration: accounts and the unit list, and the audit log. No application content."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from engine.clock import VIETNAM
from engine.errors import CqttError
from engine.portal import accounts, audit, listing, units
from engine.portal.files import shown_name
from engine.portal.policy import WEB_MANAGED_ROLES
from engine.portal.roles import ROLES
from engine.rules import catalog
from web.access import guard
from web.security import client_address
from web.views.common import config, form_text, list_download, me, store

bp = Blueprint("admin", __name__)


@bp.route("/quan-tri/tai-khoan", methods=["GET", "POST"])
@guard("accounts.manage")
def accounts_page() -> object:
    shown_password = None
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        role = form_text(request.form, "role", 20)
        try:
            if role not in WEB_MANAGED_ROLES:
                raise CqttError(
                    f"tài khoản vai trò “{ROLES.get(role, role)}” chỉ tạo được trên máy chủ "
                    "(cqtt users add), không tạo trên cổng"
                )
            account, password = accounts.add(
                store(),
                form_text(request.form, "login", 64),
                role,
                form_text(request.form, "unit", 20) or None,
                form_text(request.form, "district", 200) or None,
                form_text(request.form, "full_name", 200) or None,
                by=me(),
                address=client_address(),
                email=form_text(request.form, "email", 254) or None,
            )
        except CqttError as exc:
            errors["login"] = str(exc)
            status = 400
        else:
            shown_password = (account.login, password)
    query, filters, shown = _accounts_shown()
    return (
        render_template(
            "accounts.html",
            listed=accounts.listing(store()),
            query=query,
            filters=filters,
            shown=shown,
            columns=ACCOUNT_COLUMNS,
            said=listing.described(query, filters),
            page_url=lambda **change: _link("admin.accounts_page", query.args(**change)),
            download_url=_link("admin.accounts_xlsx", query.args(trang="")),
            roles={key: ROLES[key] for key in WEB_MANAGED_ROLES},
            shown_password=shown_password,
            errors=errors,
            form=request.form,
            years=units.years(store()),
        ),
        status,
    )


def _link(endpoint: str, values: dict[str, Any]) -> str:
    return url_for(endpoint, **values)


ACCOUNT_COLUMNS = (
    listing.Column("login", "Tên đăng nhập"),
    listing.Column("name", "Họ tên"),
    listing.Column("role_label", "Vai trò"),
    listing.Column("scope", "Phạm vi"),
    listing.Column("status_label", "Trạng thái"),
    listing.Column("last_login", "Đăng nhập gần nhất"),
)
ACCOUNT_STATES = {"dang_dung": "Đang dùng", "cho_doi": "Chờ đổi mật khẩu", "da_khoa": "Đã khóa"}


def _accounts_shown() -> tuple[listing.Query, list[listing.Filter], listing.Shown]:
    """The accounts as the page lists them: searched by login, name or scope, filtered by role and
    state, sorted, paged."""
    filters = [
        listing.Filter("role", "Vai trò", tuple(ROLES.items())),
        listing.Filter("status", "Trạng thái", tuple(ACCOUNT_STATES.items())),
    ]
    rows = []
    for a in accounts.listing(store()):
        status = "da_khoa" if a.disabled else ("cho_doi" if a.account.must_change else "dang_dung")
        rows.append(
            {
                "id": a.account.id,
                "login": a.account.login,
                "name": a.account.full_name or "",
                "role": a.account.role,
                "role_label": a.account.role_label,
                "scope": a.account.unit_code or a.account.district or "toàn tỉnh",
                "status": status,
                "status_label": ACCOUNT_STATES[status],
                "last_login": a.last_login.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M")
                if a.last_login
                else "",
                "listed": a,
            }
        )
    query = listing.query_from(request.args, ACCOUNT_COLUMNS, filters)
    return query, filters, listing.show(rows, ACCOUNT_COLUMNS, query, ("login", "name", "scope"))


@bp.route("/quan-tri/tai-khoan.xlsx")
@guard("accounts.manage")
def accounts_xlsx() -> object:
    query, filters, shown = _accounts_shown()
    return list_download("Danh sách tài khoản", "tai-khoan.xlsx", ACCOUNT_COLUMNS, query, filters, shown)


@bp.route("/quan-tri/tai-khoan/xa-hang-loat", methods=["POST"])
@guard("accounts.manage")
def add_communes() -> object:
    """An account for every commune of a year's list that has none, and one slip per commune to
    print (login, one-time password, the portal's address): the passwords are shown this once."""
    raw = form_text(request.form, "year", 4)
    if not raw.isdigit() or int(raw) not in {y.year for y in units.years(store())}:
        flash(f"Năm “{raw}” chưa có danh sách đơn vị.", "error")
        return redirect(url_for("admin.accounts_page"))
    slips = accounts.add_communes(store(), int(raw), me(), client_address())
    if not slips:
        flash(f"Mọi đơn vị của danh sách năm {raw} đã có tài khoản xã.", "ok")
        return redirect(url_for("admin.accounts_page"))
    return render_template("slips.html", slips=slips, year=int(raw), address=config().public_base())


@bp.route("/quan-tri/tai-khoan/<int:account_id>/khoa", methods=["POST"])
@guard("accounts.manage")
def disable(account_id: int) -> object:
    found = next((a.account for a in accounts.listing(store()) if a.account.id == account_id), None)
    if found is None:
        flash("Không có tài khoản này.", "error")
    elif found.id == me().id:
        flash("Không tự khóa tài khoản đang dùng.", "error")
    else:
        accounts.disable(store(), found.login, me(), client_address())
        flash(f"Đã khóa tài khoản {found.login}; các phiên đăng nhập của tài khoản đã kết thúc.", "ok")
    return redirect(url_for("admin.accounts_page"))


@bp.route("/quan-tri/tai-khoan/<int:account_id>/mo-khoa", methods=["POST"])
@guard("accounts.manage")
def enable(account_id: int) -> object:
    """Open again a commune's or a team's account the administrator disabled."""
    found = next((a.account for a in accounts.listing(store()) if a.account.id == account_id), None)
    if found is None or found.role not in WEB_MANAGED_ROLES:
        flash("Không mở khóa được tài khoản này trên cổng (tài khoản cấp tỉnh: cqtt users enable).", "error")
        return redirect(url_for("admin.accounts_page"))
    try:
        accounts.enable(store(), found.login, me(), client_address())
    except CqttError as exc:
        flash(f"Không mở khóa được: {exc}.", "error")
    else:
        flash(f"Đã mở khóa tài khoản {found.login}; mật khẩu giữ như trước khi khóa.", "ok")
    return redirect(url_for("admin.accounts_page"))


@bp.route("/quan-tri/tai-khoan/<int:account_id>/mat-khau", methods=["POST"])
@guard("accounts.manage")
def reset(account_id: int) -> object:
    found = next((a.account for a in accounts.listing(store()) if a.account.id == account_id), None)
    if found is None:
        flash("Không có tài khoản này.", "error")
        return redirect(url_for("admin.accounts_page"))
    if found.role not in WEB_MANAGED_ROLES:
        flash(
            f"Mật khẩu tài khoản {found.role_label.lower()} chỉ cấp lại trên máy chủ "
            "(cqtt users reset-password).",
            "error",
        )
        return redirect(url_for("admin.accounts_page"))
    try:
        password = accounts.reset_password(store(), found.login, me(), client_address())
    except CqttError as exc:
        flash(f"Không cấp lại mật khẩu: {exc}.", "error")
        return redirect(url_for("admin.accounts_page"))
    return render_template("password_reset.html", login=found.login, password=password)


@bp.route("/quan-tri/don-vi", methods=["GET", "POST"])
@guard("units.manage")
def units_page() -> object:
    """A year's unit list from a file (.csv or .xlsx) or from the official list of a province
    (with its teams file). A list that would replace one already loaded is shown first (what it
    adds, what it leaves out, the units with an application it would drop) and loaded only when
    confirmed; a preview may be asked for any list."""
    loaded = None
    shown = None
    token = ""
    status = 200
    pending = config().data_dir / "cho-nap"
    if request.method == "POST":
        action = form_text(request.form, "action", 20)
        try:
            if action == "confirm":
                sent_token = form_text(request.form, "token", 40)
                if not sent_token or session.get("units_pending") != sent_token:
                    raise units.UnitsError("danh sách xem trước này không phải của phiên này; tải lên lại")
                session.pop("units_pending", None)
                year, criteria, source, rows = units.take_pending(pending, sent_token)
                loaded = units.load_rows(store(), year, criteria, rows, source, me(), client_address())
            else:
                shown = _preview_sent()
                if action == "preview" or shown.replaces:
                    token = units.keep_pending(pending, shown)
                    session["units_pending"] = token
                else:
                    loaded = units.load_rows(
                        store(), shown.year, shown.criteria, shown.units, shown.source, me(), client_address()
                    )
                    loaded.unassigned = shown.unassigned
                    shown = None
        except CqttError as exc:
            flash(str(exc), "error")
            shown, status = None, 400
    return (
        render_template(
            "units_admin.html",
            years=units.years(store()),
            districts={y.year: units.districts(store(), y.year) for y in units.years(store())},
            loaded=loaded,
            shown=shown,
            token=token,
            sets=sorted({e.set_id for e in catalog.entries()}),
            this_year=dt.date.today().year,
        ),
        status,
    )


def _preview_sent() -> units.Preview:
    """The list the form sends (a file, or a province's official list and its teams file),
    read and checked, nothing written."""
    from engine.intake.official import official_list

    try:
        year = int(form_text(request.form, "year", 4))
    except ValueError:
        year = 0
    criteria = form_text(request.form, "criteria", 150)
    province = form_text(request.form, "province", 100)
    if not year or not criteria:
        raise units.UnitsError("cần năm và bộ tiêu chí")
    with tempfile.TemporaryDirectory(prefix="cqtt-don-vi-") as tmp:
        if province:
            teams = _saved(request.files.get("teams"), Path(tmp))
            listed = official_list(province, teams[0] if teams else None)
            source = f"{listed.source}: {listed.province}" + (
                f"; tổ thẩm định theo {teams[1]}" if teams else ""
            )
            return units.preview(store(), year, criteria, listed.units, source, listed.unassigned)
        sent = _saved(request.files.get("file"), Path(tmp))
        if sent is None:
            raise units.UnitsError(
                "cần tệp danh sách đơn vị (.csv hoặc .xlsx), hoặc tên tỉnh để lấy danh sách chính thức"
            )
        path, name = sent
        try:
            rows = units.read_units(path)
        except CqttError as exc:
            raise units.UnitsError(str(exc).replace(str(path), name)) from None
        return units.preview(store(), year, criteria, rows, name)


def _saved(sent: Any, folder: Path) -> tuple[Path, str] | None:
    """An uploaded list saved to `folder` under a name of its kind (.csv or .xlsx)."""
    if sent is None or not sent.filename:
        return None
    name = shown_name(sent.filename)
    suffix = ".xlsx" if name.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    path = folder / f"danh-sach{suffix}"
    path.write_bytes(sent.stream.read(5 * 1024 * 1024))
    return path, name


AUDIT_COLUMNS = (
    listing.Column("at", "Lúc"),
    listing.Column("login", "Tài khoản"),
    listing.Column("address", "Địa chỉ"),
    listing.Column("label", "Việc"),
    listing.Column("target", "Đối tượng"),
)
AUDIT_KEPT = 5000  # the latest rows the page searches; `cqtt audit` reads the whole log


def _audit_shown() -> tuple[listing.Query, list[listing.Filter], listing.Shown]:
    """The latest entries of the log, searched by account, address, work or object (with or
    without diacritics), filtered by the kind of work, newest first unless sorted otherwise."""
    login = form_text(request.args, "login", 64) or None
    found = audit.entries(store(), login=login, limit=AUDIT_KEPT)
    rows = [
        {
            "at": e.at.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S"),
            "login": e.login,
            "address": e.address,
            "action": e.action,
            "label": e.label,
            "target": e.target,
        }
        for e in reversed(found)
    ]
    filters = [listing.Filter("action", "Việc", tuple(sorted(audit.ACTIONS.items(), key=lambda kv: kv[1])))]
    query = listing.query_from(request.args, AUDIT_COLUMNS, filters)
    return query, filters, listing.show(rows, AUDIT_COLUMNS, query, ("login", "address", "label", "target"))


@bp.route("/quan-tri/nhat-ky")
@guard("audit.view")
def log() -> object:
    query, filters, shown = _audit_shown()
    login = form_text(request.args, "login", 64)
    extra = {"login": login} if login else {}
    return render_template(
        "audit.html",
        shown=shown,
        query=query,
        filters=filters,
        columns=AUDIT_COLUMNS,
        login=login,
        kept=AUDIT_KEPT,
        said=listing.described(query, filters),
        page_url=lambda **change: _link("admin.log", {**extra, **query.args(**change)}),
        download_url=_link("admin.log_xlsx", {**extra, **query.args(trang="")}),
    )


@bp.route("/quan-tri/nhat-ky.xlsx")
@guard("audit.view")
def log_xlsx() -> object:
    query, filters, shown = _audit_shown()
    return list_download("Nhật ký hoạt động", "nhat-ky.xlsx", AUDIT_COLUMNS, query, filters, shown)
