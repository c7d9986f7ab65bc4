"""Signing in and out, changing a password (a one-time password must be changed first), and
one's own sessions: where the account is signed in, and signing out everywhere else."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for

from engine.portal import accounts, audit
from engine.portal.accounts import AccountError, LoginRefused
from engine.portal.sessions import end_others, forget_lapsed, live_sessions, sessions_per_account
from web.access import guard
from web.security import client_address
from web.views.common import config, form_text, me, store

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path of this site (never another site, never a scheme, never a control character
    or a backslash, which browsers read as a slash)."""
    if not target or any(ord(c) < 32 or ord(c) == 127 or c == "\\" for c in target):
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/dang-nhap", methods=["GET", "POST"])
def login() -> Any:
    error = None
    login_name = ""
    if request.method == "POST":
        login_name = form_text(request.form, "login", 64)
        password = str(request.form.get("password", ""))[:200]
        try:
            account = accounts.authenticate(
                store(), login_name, password, client_address(), config().throttle
            )
        except LoginRefused as exc:
            error = str(exc)
        else:
            session.sign_in = account  # type: ignore[attr-defined]
            audit.log(store(), account, client_address(), "login", account.login)
            forget_lapsed(store(), config().lifetimes)
            if account.must_change:
                return redirect(url_for("auth.change_password"))
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", error=error, login=login_name), 200 if error is None else 401


@bp.route("/dang-xuat", methods=["POST"])
@guard("self")
def logout() -> object:
    audit.log(store(), me(), client_address(), "logout", me().login)
    session.sign_out = True  # type: ignore[attr-defined]
    return redirect(url_for("auth.login"))


@bp.route("/phien-dang-nhap")
@guard("self")
def my_sessions() -> object:
    current = session.found.token if session.found else ""  # type: ignore[attr-defined]
    listed = live_sessions(store(), me(), current, config().lifetimes)
    return render_template("sessions.html", listed=listed, most=sessions_per_account())


@bp.route("/phien-dang-nhap/dang-xuat-noi-khac", methods=["POST"])
@guard("self")
def sign_out_elsewhere() -> object:
    current = session.found.token if session.found else ""  # type: ignore[attr-defined]
    ended = end_others(store(), me(), current)
    audit.log(store(), me(), client_address(), "signed_out_elsewhere", me().login, ended=ended)
    flash(f"Đã đăng xuất {ended} phiên ở nơi khác." if ended else "Không có phiên nào khác.", "ok")
    return redirect(url_for("auth.my_sessions"))


@bp.route("/doi-mat-khau", methods=["GET", "POST"])
@guard("self")
def change_password() -> object:
    errors: dict[str, str] = {}
    if request.method == "POST":
        current = str(request.form.get("current", ""))[:200]
        new = str(request.form.get("new", ""))[:300]
        repeated = str(request.form.get("repeated", ""))[:300]
        try:
            accounts.change_password(
                store(), me(), current, new, repeated, client_address(), config().throttle
            )
        except AccountError as exc:
            key = "current" if "hiện tại không đúng" in str(exc) or "sai nhiều lần" in str(exc) else "new"
            errors[key] = str(exc)
        else:
            fresh = accounts.find(store(), me().login)
            session.sign_in = fresh  # type: ignore[attr-defined]  # every session ended: a new one
            return render_template("password_changed.html")
    return render_template("change_password.html", errors=errors), 200 if not errors else 400
