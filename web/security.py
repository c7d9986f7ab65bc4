"""What every response and request goes through: the server-side session, CSRF (Flask-WTF),
security headers, bounded inputs, and error pages with a reference id (the details only in the
server log)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, Response, g, render_template, request
from flask.sessions import SessionInterface, SessionMixin
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.datastructures import CallbackDict
from werkzeug.exceptions import HTTPException

from engine.portal import sessions
from engine.portal.roles import Account
from engine.store.connect import Store

COOKIE = "cqtt_phien"
MAX_FORM_BYTES = 1024 * 1024  # a request that is not an upload
LOG = logging.getLogger("cqtt.web")

# No inline script or style anywhere: scripts and styles come from /static only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


class PortalSession(CallbackDict, SessionMixin):
    """The data of a server-side session (the CSRF secret, flashed messages), with what the
    request did to it: every change (set, delete, pop, update) marks it modified, as Flask's own
    session does."""

    def __init__(self, found: sessions.Session | None) -> None:
        def changed(_self: Any) -> None:
            self.modified = True

        super().__init__(found.data if found else {}, changed)
        self.found = found
        self.modified = False
        self.sign_in: Account | None = None  # set by a login: a new session replaces this one
        self.sign_out = False

    @property
    def account(self) -> Account | None:
        return self.found.account if self.found else None


class StoreSessionInterface(SessionInterface):
    """Sessions kept in the store: the cookie holds a random token only."""

    def __init__(self, store: Store, lifetimes: sessions.Lifetimes, secure: bool) -> None:
        self.store = store
        self.lifetimes = lifetimes
        self.secure = secure

    def open_session(self, app: Flask, request: Any) -> PortalSession:
        token = request.cookies.get(COOKIE, "")
        found = sessions.load(self.store, token, self.lifetimes) if token else None
        return PortalSession(found)

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        assert isinstance(session, PortalSession)
        if session.sign_out or session.sign_in is not None:
            if session.found is not None:
                sessions.end(self.store, session.found.token)
            if session.sign_out:
                response.delete_cookie(COOKIE, path="/", secure=self.secure, httponly=True, samesite="Lax")
                return
            fresh = sessions.start(self.store, session.sign_in, client_address(), self.lifetimes)
            fresh.data = dict(session)  # the CSRF secret is made again below when needed
            fresh.data.pop("csrf_token", None)
            sessions.save(self.store, fresh, True)
            self._set_cookie(response, fresh.token)
            return
        if session.found is None:
            if not session.modified:
                return  # nothing to keep: no session, no cookie
            fresh = sessions.start(self.store, None, client_address(), self.lifetimes)
            fresh.data = dict(session)
            sessions.save(self.store, fresh, True)
            self._set_cookie(response, fresh.token)
            return
        session.found.data = dict(session)
        sessions.save(self.store, session.found, session.modified)

    def _set_cookie(self, response: Response, token: str) -> None:
        response.set_cookie(COOKIE, token, path="/", secure=self.secure, httponly=True, samesite="Lax")


def client_address() -> str:
    return (request.remote_addr or "?")[:64]


def install(app: Flask, store: Store, lifetimes: sessions.Lifetimes, secure: bool) -> CSRFProtect:
    app.session_interface = StoreSessionInterface(store, lifetimes, secure)
    app.config.update(
        WTF_CSRF_TIME_LIMIT=None,  # valid while the session lives (a long form is not cut off)
        WTF_CSRF_SSL_STRICT=secure,
        SESSION_COOKIE_NAME=COOKIE,
        MAX_FORM_MEMORY_SIZE=512 * 1024,  # a text field
        MAX_FORM_PARTS=2000,
    )

    @app.before_request
    def _bounded() -> None:
        """Only an upload may be large; anything else is refused past 1 MB, before the form is
        read (this runs before the CSRF check, which reads it)."""
        if request.mimetype != "multipart/form-data":
            request.max_content_length = MAX_FORM_BYTES

    csrf = CSRFProtect(app)

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        if secure:
            response.headers["Strict-Transport-Security"] = "max-age=31536000"
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str, int]:
        LOG.info("CSRF refused: %s %s (%s)", request.method, request.path, error.description)
        return (
            render_template(
                "error.html",
                title="Yêu cầu không hợp lệ",
                message="Phiên làm việc đã hết hạn hoặc biểu mẫu đã cũ. Tải lại trang rồi làm lại.",
            ),
            400,
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[str, int]:
        code = error.code or 500
        messages = {
            400: ("Yêu cầu không hợp lệ", "Yêu cầu không đọc được. Tải lại trang rồi làm lại."),
            403: ("Không có quyền", "Tài khoản của bạn không được xem hoặc làm việc này."),
            404: ("Không tìm thấy", "Trang hoặc đơn vị bạn tìm không có."),
            405: ("Không hợp lệ", "Trang này không nhận yêu cầu kiểu này."),
            413: ("Tệp quá lớn", "Dữ liệu gửi lên vượt giới hạn cho phép."),
        }
        title, message = messages.get(code, ("Lỗi", "Không thực hiện được yêu cầu."))
        return render_template("error.html", title=title, message=message), code

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> tuple[str, int]:
        reference = uuid.uuid4().hex[:10]
        LOG.exception("error %s on %s %s", reference, request.method, request.path)
        return (
            render_template(
                "error.html",
                title="Lỗi hệ thống",
                message="Có lỗi khi xử lý yêu cầu. Báo cho quản trị mã tham chiếu dưới đây.",
                reference=reference,
            ),
            500,
        )

    return csrf


def current_account() -> Account | None:
    return g.get("account")
