"""What a government portal's reviewers check first, each as a test: CSRF, sessions, the login
throttle, uploads (type from the content, size, names), escaping of every text people type, the
append-only audit log, error pages, headers. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import pytest
from portal_helpers import (
    DISTRICT,
    PASSWORD,
    YEAR,
    Portal,
    csrf_of,
    district_url,
    full_unit_values,
    make_portal,
    post,
    submit_dossier,
    unit_url,
)
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from engine.portal import accounts, audit, dossiers, files
from engine.portal.accounts import Throttle
from engine.store.schema import audit_log, evidence_versions, transitions, web_sessions

SCRIPT = '<script>alert("xss")</script>'
PDF = b"%PDF-1.4\n% a small test document\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def portal(request: pytest.FixtureRequest, tmp_path: Path) -> Portal:
    if request.param == "sqlite":
        db = str(tmp_path / "cong.sqlite")
    else:
        server = request.getfixturevalue("pg_server")
        db = server.create_database(f"cqtt_an_ninh_{abs(hash(str(tmp_path))) % 10**8}")
    made = make_portal(db, tmp_path)
    yield made
    made.close()


def _submit(portal: Portal, **changes: str) -> None:
    xa = portal.client("xa")
    sent = submit_dossier(xa, portal.unit, {**full_unit_values(), **changes})
    assert sent.status_code == 200, sent.text[:1000]


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(portal: Portal) -> None:
    xa = portal.client("xa")
    forged = xa.post(unit_url(portal.unit, "/ho-so"), data={**full_unit_values(), "action": "submit"})
    assert forged.status_code == 400
    assert "Phiên làm việc đã hết hạn hoặc biểu mẫu đã cũ" in forged.text
    other = xa.post(unit_url(portal.unit, "/ho-so"), data={"csrf_token": "gia-mao", "action": "submit"})
    assert other.status_code == 400
    assert dossiers.dossier(portal.store, YEAR, portal.unit) is None
    visitor = portal.app.test_client()
    assert visitor.post("/dang-nhap", data={"login": "quantri", "password": PASSWORD}).status_code == 400


def _cookie(client: object) -> str:
    return client.get_cookie("cqtt_phien").value  # type: ignore[attr-defined]


def test_sessions_are_server_side_and_end_at_logout_password_change_and_disable(portal: Portal) -> None:
    tinh = portal.client("tinh")
    token = _cookie(tinh)
    assert len(token) >= 40
    with portal.store.read() as conn:
        stored = conn.execute(select(web_sessions.c.token_hash)).scalars().all()
    assert token not in stored and all(len(h) == 64 for h in stored)  # only a hash is kept
    thief = portal.app.test_client()
    thief.set_cookie("cqtt_phien", token)
    assert thief.get(f"/nam/{YEAR}/tinh").status_code == 200  # the stolen cookie works...
    post(tinh, "/dang-xuat")
    after = thief.get(f"/nam/{YEAR}/tinh")
    assert after.status_code == 302 and "/dang-nhap" in after.headers["Location"]  # ...until logout
    # a password change ends the account's other sessions; disabling ends them all
    first, second = portal.client("huyen"), portal.client("huyen")
    changed = post(
        first,
        "/doi-mat-khau",
        {"current": PASSWORD, "new": "mot-mat-khau-moi-du-dai", "repeated": "mot-mat-khau-moi-du-dai"},
    )
    assert "Đã đổi mật khẩu" in changed.text
    assert first.get(district_url(DISTRICT)).status_code == 200  # the changer gets a new session
    assert second.get(district_url(DISTRICT)).status_code == 302
    xa = portal.client("xa")
    accounts.disable(portal.store, portal.logins["xa"])
    assert xa.get(unit_url(portal.unit)).status_code == 302


def test_a_visitor_keeps_no_row_and_the_session_is_made_at_login(portal: Portal) -> None:
    with portal.store.read() as conn:
        before = conn.execute(select(web_sessions.c.token_hash)).scalars().all()
    visitors = [portal.app.test_client() for _ in range(20)]
    tokens = [csrf_of(v, "/dang-nhap") for v in visitors]
    with portal.store.read() as conn:
        assert conn.execute(select(web_sessions.c.token_hash)).scalars().all() == before
    client = visitors[0]
    assert client.get_cookie("cqtt_phien") is None and client.get_cookie("cqtt_khach") is not None
    forged = portal.app.test_client()
    forged.set_cookie("cqtt_khach", client.get_cookie("cqtt_khach").value[:-2] + "xx")  # type: ignore[union-attr]
    refused = forged.post(
        "/dang-nhap", data={"csrf_token": tokens[0], "login": portal.logins["tinh"], "password": PASSWORD}
    )
    assert refused.status_code == 400  # a visitor's data is signed: an altered cookie holds no CSRF secret
    client.post(
        "/dang-nhap", data={"csrf_token": tokens[0], "login": portal.logins["tinh"], "password": PASSWORD}
    )
    assert len(_cookie(client)) >= 40 and client.get_cookie("cqtt_khach") is None


def test_failed_logins_lock_the_account_and_then_the_address(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    made = make_portal(str(tmp_path / "c.sqlite"), tmp_path)
    made.config.throttle = Throttle(
        account_failures=3, lock_minutes=15, address_failures=8, window_minutes=15
    )
    try:
        client = made.app.test_client()
        caplog.set_level(logging.DEBUG)

        def attempt(login: str, password: str) -> object:
            token = csrf_of(client, "/dang-nhap")
            return client.post("/dang-nhap", data={"csrf_token": token, "login": login, "password": password})

        for _ in range(3):
            wrong = attempt("phuctra", "sai-mat-khau-123")
            assert wrong.status_code == 401 and "Tên đăng nhập hoặc mật khẩu không đúng." in wrong.text
        locked = attempt("phuctra", PASSWORD)  # the right password, but this login is held here
        held = "Đăng nhập sai nhiều lần với tên này từ máy này; thử lại sau 15 phút"
        assert locked.status_code == 401 and held in locked.text
        for _ in range(3):
            attempt("khong-co-ai", "sai")  # unknown logins count for the address
        unknown = attempt("khong-co-ai", "sai")  # and are held exactly as known ones are
        assert unknown.status_code == 401 and held in unknown.text
        refused = attempt("lucnam", PASSWORD)
        assert "Máy này đã đăng nhập sai nhiều lần; thử lại sau 15 phút." in refused.text
        from engine.portal.audit import entries

        actions = [e.action for e in entries(made.store)]
        assert actions.count("login_failed") == 6 and actions.count("login_refused") == 3
        assert "login" not in actions
        every_line = "\n".join(r.getMessage() for r in caplog.records)
        assert PASSWORD not in every_line and "sai-mat-khau-123" not in every_line
        with made.store.read() as conn:
            assert PASSWORD not in str(conn.execute(select(audit_log)).all())
    finally:
        made.close()


def test_a_one_time_password_must_be_changed_first(portal: Portal) -> None:
    account, password = accounts.add(portal.store, "moi", "tinh")
    client = portal.app.test_client()
    token = csrf_of(client, "/dang-nhap")
    first = client.post("/dang-nhap", data={"csrf_token": token, "login": "moi", "password": password})
    assert first.headers["Location"].endswith("/doi-mat-khau")
    elsewhere = client.get(f"/nam/{YEAR}/tinh")
    assert elsewhere.status_code == 302 and elsewhere.headers["Location"].endswith("/doi-mat-khau")
    assert post(client, "/dang-xuat").status_code == 302  # leaving is always possible


def test_next_never_leaves_the_site(portal: Portal) -> None:
    client = portal.app.test_client()
    token = csrf_of(client, "/dang-nhap")
    for target in ("//evil.example/x", "https://evil.example/", "javascript:alert(1)"):
        sent = client.post(
            f"/dang-nhap?next={target}",
            data={"csrf_token": token, "login": portal.logins["tinh"], "password": PASSWORD},
        )
        assert sent.headers["Location"] == "/"
        client = portal.app.test_client()
        token = csrf_of(client, "/dang-nhap")


def _attach(portal: Portal, client: object, name: str, data: bytes) -> object:
    return post(
        client,  # type: ignore[arg-type]
        unit_url(portal.unit, "/tep"),
        {"slot": "doc:to_trinh", "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_uploads_are_judged_by_their_content_and_stored_by_their_hash(portal: Portal) -> None:
    xa = portal.client("xa")
    xa.get(unit_url(portal.unit, "/ho-so"))
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
    refused = _attach(portal, xa, "to-trinh.pdf", elf)
    assert "Không nhận tệp “to-trinh.pdf”: chỉ nhận tệp PDF, JPEG hoặc PNG" in refused.text
    mz = _attach(portal, xa, "bao-cao.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    assert "chỉ nhận tệp PDF, JPEG hoặc PNG" in mz.text
    travelled = _attach(portal, xa, "../../../../tmp/cqtt-di-ra-ngoai.pdf", PDF)
    assert "Đã đính kèm “cqtt-di-ra-ngoai.pdf”" in travelled.text
    windows = _attach(portal, xa, "..\\..\\windows\\x.pdf", PDF)
    assert "Đã đính kèm" in windows.text
    assert not Path("/tmp/cqtt-di-ra-ngoai.pdf").exists()
    stored = sorted(p.name for p in portal.config.files.rglob("*") if p.is_file())
    import hashlib

    assert stored == [hashlib.sha256(PDF).hexdigest()]  # one file, by its hash, stored once
    d = dossiers.dossier(portal.store, YEAR, portal.unit)
    listed = files.listing(portal.store, d.id)
    assert listed[0].name == "cqtt-di-ra-ngoai.pdf" and len(listed) == 2
    assert all("/" not in a.name and "\\" not in a.name and not a.name.startswith(".") for a in listed)
    served = xa.get(f"/tep/{listed[0].id}")
    assert served.data == PDF and served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith('attachment; filename="cqtt-di-ra-ngoai.pdf"')
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.headers["X-Frame-Options"] == "DENY"
    # opened inside the portal's own pages: inline, framed by them only, running and loading nothing
    viewed = portal.client("huyen").get(f"/tep/{listed[0].id}/xem")
    assert viewed.data == PDF and viewed.mimetype == "application/pdf"
    assert viewed.headers["Content-Disposition"].startswith("inline;")
    policy = viewed.headers["Content-Security-Policy"]
    assert (
        "default-src 'none'" in policy and "frame-ancestors 'self'" in policy and "script-src" not in policy
    )
    assert (
        viewed.headers["X-Frame-Options"] == "SAMEORIGIN"
        and viewed.headers["X-Content-Type-Options"] == "nosniff"
    )
    seen = [e for e in audit.entries(portal.store) if e.action == "attachment_viewed"]
    assert seen and seen[-1].target == str(listed[0].id)
    assert portal.client("huyen").get(unit_url(portal.unit)).headers["X-Frame-Options"] == "DENY"


def send_large(client: object, path: str, data: dict[str, object]) -> object:
    """A large POST, its body built in memory (the test client would otherwise keep it in a
    temporary file that stays open when the portal refuses the body without reading it)."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import stream_encode_multipart

    body = {"csrf_token": csrf_of(client), **data}
    if any(isinstance(v, tuple) for v in body.values()):
        body = {k: FileStorage(v[0], v[1]) if isinstance(v, tuple) else v for k, v in body.items()}
        stream, length, boundary = stream_encode_multipart(body, use_tempfile=False)
        kind = f"multipart/form-data; boundary={boundary}"
    else:
        from urllib.parse import urlencode

        raw = urlencode(body).encode()
        stream, length, kind = io.BytesIO(raw), len(raw), "application/x-www-form-urlencoded"
    return client.post(path, input_stream=stream, content_length=length, content_type=kind)  # type: ignore[attr-defined]


def test_upload_sizes_are_bounded(tmp_path: Path) -> None:
    made = make_portal(str(tmp_path / "c.sqlite"), tmp_path)
    made.config.upload_limit = 1024 * 1024
    made.app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024
    try:
        xa = made.client("xa")
        xa.get(unit_url(made.unit, "/ho-so"))
        large = send_large(
            xa,
            unit_url(made.unit, "/tep"),
            {"slot": "doc:to_trinh", "file": (io.BytesIO(PDF + b"0" * (3 * 1024 * 1024)), "lon.pdf")},
        )
        assert large.status_code == 413 and "Dữ liệu gửi lên vượt giới hạn cho phép." in large.text
        over = _attach(made, xa, "hoi-lon.pdf", PDF + b"0" * (1024 * 1024 + 10))
        assert "Không nhận tệp “hoi-lon.pdf”: tệp lớn hơn giới hạn 1 MB" in over.text
        assert not [p for p in made.config.files.rglob("*") if p.is_file()]  # nothing half-kept
    finally:
        made.close()


def test_text_people_type_is_escaped_on_every_page_that_shows_it(portal: Portal) -> None:
    values = {
        k: SCRIPT for k in ("tu_cham", "ty_le_cong_khai_dung_han", "so_thanh_vien_ban_ttnd", "ks_pks01")
    }
    xa = portal.client("xa")
    saved = post(xa, unit_url(portal.unit, "/ho-so"), {**full_unit_values(), **values, "action": "draft"})
    _attach(portal, xa, f"{SCRIPT}.pdf", PDF)
    _submit(portal)
    huyen = portal.client("huyen")
    post(huyen, unit_url(portal.unit, "/yeu-cau-bo-sung"), {"comment": SCRIPT, "items": ["tuyen_truyen"]})
    submit_dossier(xa, portal.unit, full_unit_values())
    post(
        huyen,
        unit_url(portal.unit, "/tham-dinh"),
        {**full_unit_values(), "so_tin_bai_tuyen_truyen": "3", "ly_do__so_tin_bai_tuyen_truyen": SCRIPT},
    )
    admin = portal.client("quan-tri")
    post(admin, "/quan-tri/tai-khoan", {"login": "nguoi-moi", "role": "tinh", "full_name": SCRIPT})
    visitor = portal.app.test_client()
    token = csrf_of(visitor, "/dang-nhap")
    bad_login = visitor.post("/dang-nhap", data={"csrf_token": token, "login": SCRIPT, "password": "x"})
    pages = [
        saved,
        bad_login,
        xa.get(unit_url(portal.unit)),
        huyen.get(unit_url(portal.unit)),
        huyen.get(district_url(DISTRICT)),
        huyen.get(unit_url(portal.unit, "/tham-dinh")),
        portal.client("tinh").get(f"/nam/{YEAR}/tinh"),
        admin.get("/quan-tri/tai-khoan"),
        admin.get("/quan-tri/nhat-ky"),
    ]
    shown = 0
    for page in pages:
        assert "<script>" not in page.text, page.request.path
        shown += page.text.count("&lt;script&gt;")
    assert shown >= 6


def _refused(conn: object, statement: object) -> None:
    with pytest.raises(DBAPIError, match="chỉ được thêm dòng"):
        conn.execute(statement)  # type: ignore[attr-defined]


def test_the_audit_log_timeline_and_evidence_versions_cannot_be_changed(portal: Portal) -> None:
    _submit(portal)
    for table in (audit_log, transitions, evidence_versions):
        for statement in (update(table).values(id=table.c.id), delete(table)):
            with portal.store.engine.connect() as conn:
                with conn.begin():
                    _refused(conn, statement)
    with portal.store.read() as conn:
        assert conn.execute(select(audit_log)).first() is not None
    if portal.store.dialect == "postgresql":
        with portal.store.engine.connect() as conn, conn.begin():
            _refused(conn, text("TRUNCATE audit_log"))


def test_an_unexpected_error_is_a_page_with_a_reference_and_the_details_only_in_the_log(
    portal: Portal, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from engine.portal import overview

    def broken(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("chi tiết nội bộ: đường dẫn /srv/bi-mat")

    monkeypatch.setattr(overview, "rows", broken)
    page = portal.client("huyen").get(district_url(DISTRICT))
    assert page.status_code == 500
    reference = re.search(r'Mã tham chiếu: <strong class="mono">([0-9a-f]{10})</strong>', page.text).group(1)
    assert "bi-mat" not in page.text and "Traceback" not in page.text
    logged = [r for r in caplog.records if reference in r.getMessage()]
    assert logged and "bi-mat" in (logged[0].exc_text or "")


def test_security_headers_and_cookie_flags(portal: Portal, tmp_path: Path) -> None:
    client = portal.app.test_client()
    page = client.get("/dang-nhap")
    headers = page.headers
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY" and headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert re.fullmatch(r"app;dur=\d+\.\d", headers["Server-Timing"])  # the application's time alone
    cookie = page.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts == [(' src="/static/cqtt.js" defer', "")]  # no inline script: the CSP allows none
    made = make_portal(str(tmp_path / "https.sqlite"), tmp_path / "https")
    made.config.secure_cookies = True
    try:
        from web import create_app

        app = create_app(made.config)
        secure = app.test_client().get("/dang-nhap", base_url="https://localhost")
        assert "Secure" in secure.headers["Set-Cookie"]
        assert secure.headers["Strict-Transport-Security"].startswith("max-age=")
        app.extensions["cqtt.store"].close()
    finally:
        made.close()


def test_form_fields_are_bounded(portal: Portal) -> None:
    xa = portal.client("xa")
    huge = "9" * 100_000
    sent = post(
        xa, unit_url(portal.unit, "/ho-so"), {**full_unit_values(), "tu_cham": huge, "action": "draft"}
    )
    assert sent.status_code == 200
    d = dossiers.dossier(portal.store, YEAR, portal.unit)
    draft = dossiers.latest(dossiers.versions(portal.store, d.id), "declared", drafts=True)
    assert len(draft.data["tu_cham"]) == 500
    too_big = send_large(xa, unit_url(portal.unit, "/ho-so"), {"tu_cham": "9" * 2_000_000, "action": "draft"})
    assert too_big.status_code == 413  # only an upload may be larger than 1 MB


def _key_of(folder: str) -> bytes:
    from web.config import PortalConfig

    return PortalConfig(db="", data_dir=Path(folder)).secret_key()


def test_the_installation_secret_is_made_once_when_several_processes_start(tmp_path: Path) -> None:
    """`cqtt web` forks several processes: the first one's secret is everyone's (one started
    after another used to fail with FileExistsError)."""
    import multiprocessing

    # spawned, not forked: a process forked from the test process (which runs other threads) can
    # hang at birth; each spawned process makes or reads the secret as a served process does
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        keys = pool.map(_key_of, [str(tmp_path / "du-lieu")] * 8)
    assert len(set(keys)) == 1 and len(keys[0]) == 32
    secret = tmp_path / "du-lieu" / "bi-mat.key"
    assert oct(secret.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in secret.parent.iterdir()] == ["bi-mat.key"]
