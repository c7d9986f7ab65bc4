"""What every response and request goes through: the server-side session, CSRF (Flask-WTF),
security headers, bounded inputs, and error pages with a reference id (the details only in the
server log).

A visitor who has not signed in keeps no row in the store: what their page needs (the CSRF
secret of the login form, a flashed message) travels in a cookie signed with the installation's
secret (itsdangerous, as Flask's own sessions), so opening the login page a million times writes
nothing. Signing in replaces it with a server-side session. Served over HTTPS, the cookies carry
the `__Host-` prefix (secure, whole site, no domain: no other host can set them)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from flask import Flask, Response, g, render_template, request
from flask.sessions import SessionInterface, SessionMixin
from flask_wtf.csrf import CSRFError, CSRFProtect
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.datastructures import CallbackDict
from werkzeug.exceptions import HTTPException

from engine.portal import sessions
from engine.portal.roles import Account
from engine.store.connect import Store

COOKIE = "cqtt_phien"  # a signed-in session's token
VISITOR_COOKIE = "cqtt_khach"  # a visitor's signed data (no row in the store)


def cookie_names(secure: bool) -> tuple[str, str]:
    """The session and visitor cookies' names: with the `__Host-` prefix over HTTPS."""
    prefix = "__Host-" if secure else ""
    return prefix + COOKIE, prefix + VISITOR_COOKIE


MAX_FORM_BYTES = 1024 * 1024  # a request that is not an upload
LOG = logging.getLogger("cqtt.web")

# No inline script or style anywhere: scripts and styles come from /static only.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# A commune's file (PDF, PNG or JPEG, checked by its content) opened inside the portal's own
# pages: it may be framed by them only, runs nothing and loads nothing (the browser's PDF viewer
# draws it), and is never sniffed as anything else.
FILE_CSP = "default-src 'none'; img-src 'self'; object-src 'self'; frame-ancestors 'self'; base-uri 'none'"


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
        self.cookie, self.visitor_cookie = cookie_names(secure)

    def _visitors(self, app: Flask) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(app.secret_key, salt="cqtt phien khach")  # type: ignore[arg-type]

    def open_session(self, app: Flask, request: Any) -> PortalSession:
        token = request.cookies.get(self.cookie, "")
        found = sessions.load(self.store, token, self.lifetimes) if token else None
        opened = PortalSession(found)
        signed = request.cookies.get(self.visitor_cookie, "")
        if found is None and signed and len(signed) < 4096:
            try:
                age = int(self.lifetimes.anonymous.total_seconds())
                data = self._visitors(app).loads(signed, max_age=age)
            except BadSignature:
                data = None
            if isinstance(data, dict):
                dict.update(opened, data)  # as found: not a change
        return opened

    def save_session(self, app: Flask, session: Any, response: Response) -> None:
        assert isinstance(session, PortalSession)
        if session.sign_out or session.sign_in is not None:
            if session.found is not None:
                sessions.end(self.store, session.found.token)
            if session.sign_out:
                self._drop(response, self.cookie)
                return
            fresh = sessions.start(self.store, session.sign_in, client_address(), self.lifetimes)
            fresh.data = dict(session)  # the CSRF secret is made again below when needed
            fresh.data.pop("csrf_token", None)
            sessions.save(self.store, fresh, True)
            self._set_cookie(response, self.cookie, fresh.token)
            self._drop(response, self.visitor_cookie)
            return
        if session.found is None:
            if not session.modified:
                return  # nothing changed: the visitor's cookie (if any) stays as it is
            if not session:
                self._drop(response, self.visitor_cookie)
                return
            self._set_cookie(response, self.visitor_cookie, self._visitors(app).dumps(dict(session)))
            return
        session.found.data = dict(session)
        sessions.save(self.store, session.found, session.modified)

    def _set_cookie(self, response: Response, name: str, value: str) -> None:
        response.set_cookie(name, value, path="/", secure=self.secure, httponly=True, samesite="Lax")

    def _drop(self, response: Response, name: str) -> None:
        response.delete_cookie(name, path="/", secure=self.secure, httponly=True, samesite="Lax")


def client_address() -> str:
    return (request.remote_addr or "?")[:64]


def install(app: Flask, store: Store, lifetimes: sessions.Lifetimes, secure: bool) -> CSRFProtect:
    app.session_interface = StoreSessionInterface(store, lifetimes, secure)
    app.config.update(
        WTF_CSRF_TIME_LIMIT=None,  # valid while the session lives (a long form is not cut off)
        WTF_CSRF_SSL_STRICT=secure,
        SESSION_COOKIE_NAME=cookie_names(secure)[0],
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
        framed = getattr(response, "framed_file", False)  # a file opened in the portal's pages
        response.headers["Content-Security-Policy"] = FILE_CSP if framed else CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "SAMEORIGIN" if framed else "DENY"
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
