"""Someone without an account against the portal, and a stolen or forgotten session: a survey
answer replayed, forged or sent from another site's page, answers sent at once from one address,
a Host header chosen to make QR codes point elsewhere, what is kept only for a while kept longer,
a line break in `next=`, sessions without end. On SQLite and on a real PostgreSQL server where the
store matters."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import at_once
from portal_helpers import PASSWORD, Portal, csrf_of, make_portal, post
from sqlalchemy import func, select

from engine.clock import now, today
from engine.portal import accounts, sessions, surveys, upkeep
from engine.portal.accounts import Throttle
from engine.portal.sessions import Lifetimes
from engine.store.schema import login_attempts, survey_hits, survey_responses, survey_tokens, web_sessions

THIS_YEAR = today().year
FORM = "pks01"


@pytest.fixture(params=["sqlite", "postgresql"])
def portal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Portal]:
    if request.param == "sqlite":
        db = str(tmp_path / "cong.sqlite")
    else:
        db = request.getfixturevalue("pg_server").create_database(
            f"cqtt_khach_{abs(hash(str(tmp_path))) % 10**8}"
        )
    made = make_portal(db, tmp_path, THIS_YEAR)
    tinh = accounts.find(made.store, made.logins["tinh"])
    surveys.set_window(made.store, tinh, "test", THIS_YEAR, FORM, today(), dt.date(THIS_YEAR, 12, 31))
    yield made
    made.close()


def _keys(portal: Portal) -> surveys.Keys:
    return surveys.Keys.derive(portal.config.secret_key())


def _link(portal: Portal) -> str:
    token = surveys.link_token(_keys(portal), THIS_YEAR, portal.unit, FORM)
    return f"/ks/{THIS_YEAR}/{portal.unit}/{FORM}/{token}"


def _answers(portal: Portal) -> dict[str, str]:
    form = surveys.form_of(portal.store, THIS_YEAR, FORM)
    assert form is not None
    return {q.id: "3" for q in form.questions}


def _ticket(client: object, link: str) -> str:
    page = client.get(link)  # type: ignore[attr-defined]
    found = re.search(r'name="phieu" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def _stored(portal: Portal) -> int:
    with portal.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(survey_responses)).scalar_one())


def test_a_replayed_answer_counts_once(portal: Portal) -> None:
    visitor = portal.app.test_client()
    link = _link(portal)
    sent = {**_answers(portal), "lien_he": "", "phieu": _ticket(visitor, link)}
    assert visitor.post(link, data=sent).status_code == 303
    again = visitor.post(link, data=sent)
    assert again.status_code == 409
    assert "Phiếu này đã được gửi và đã tính; mỗi lần mở trang phiếu chỉ gửi được một lần." in again.text
    assert _stored(portal) == 1
    fresh = {**sent, "phieu": _ticket(visitor, link)}  # opened again: a new answer, counted
    assert visitor.post(link, data=fresh).status_code == 303 and _stored(portal) == 2


@pytest.mark.parametrize(
    "ticket",
    ["", "không-phải-phiếu", "eyJhIjoxfQ.Zz9Yzw.abcdefghijklmnopqrstuvwxyz0"],
    ids=["none", "text", "forged"],
)
def test_an_answer_without_a_ticket_of_the_portal_is_refused(portal: Portal, ticket: str) -> None:
    visitor = portal.app.test_client()
    sent = visitor.post(_link(portal), data={**_answers(portal), "phieu": ticket})
    assert sent.status_code == 400
    assert (
        "Phiếu gửi lên không phải phiếu cổng vừa mở cho bạn; tải lại trang phiếu rồi chọn và gửi lại."
        in sent.text
    )
    assert _stored(portal) == 0


def test_another_forms_ticket_is_refused(portal: Portal) -> None:
    other = surveys.issue_ticket(_keys(portal), THIS_YEAR, portal.unit, "pks02")
    sent = portal.app.test_client().post(_link(portal), data={**_answers(portal), "phieu": other})
    assert sent.status_code == 400 and _stored(portal) == 0


def test_a_ticket_older_than_its_hours_is_refused(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    opened = time.time() - surveys.TICKET_HOURS * 3600 - 60
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: opened)
    old = surveys.issue_ticket(_keys(portal), THIS_YEAR, portal.unit, FORM)
    monkeypatch.undo()
    sent = portal.app.test_client().post(_link(portal), data={**_answers(portal), "phieu": old})
    assert sent.status_code == 400
    assert (
        f"Trang phiếu đã mở quá {surveys.TICKET_HOURS} giờ; tải lại trang phiếu rồi chọn và gửi lại."
        in sent.text
    )


@pytest.mark.parametrize(
    "headers",
    [{"Origin": "https://trang-la.example"}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}],
    ids=["other-site", "null", "fetch-cross-site"],
)
def test_an_answer_posted_from_another_sites_page_is_refused(portal: Portal, headers: dict[str, str]) -> None:
    visitor = portal.app.test_client()
    link = _link(portal)
    sent = visitor.post(link, data={**_answers(portal), "phieu": _ticket(visitor, link)}, headers=headers)
    assert sent.status_code == 403
    assert (
        "Phiếu chỉ nhận từ trang phiếu của cổng; mở đường dẫn trên tờ rơi hoặc quét mã QR để trả lời."
        in sent.text
    )
    assert _stored(portal) == 0
    same = visitor.post(
        link,
        data={**_answers(portal), "phieu": _ticket(visitor, link)},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code == 303 and _stored(portal) == 1


def test_answers_sent_at_once_from_one_address_stop_at_its_limit(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CQTT_SURVEY_PER_ADDRESS", "5")
    keys, limits = _keys(portal), surveys.Limits.from_environment()
    form = surveys.form_of(portal.store, THIS_YEAR, FORM)
    assert form is not None
    answers = {q.id: 3 for q in form.questions}
    tickets = [surveys.issue_ticket(keys, THIS_YEAR, portal.unit, FORM) for _ in range(20)]
    told = at_once(
        len(tickets),
        lambda i: surveys.submit(
            portal.store, keys, limits, THIS_YEAR, portal.unit, form, answers, "", "10.9.8.7", tickets[i]
        ),
    )
    refused = (
        f"Đã nhận nhiều phiếu từ cùng một mạng trong ít phút; vui lòng gửi lại sau {limits.minutes} phút."
    )
    assert sorted(told) == sorted([refused] * 15 + ["ok"] * 5)
    assert _stored(portal) == 5


def test_the_qr_link_never_comes_from_the_host_header(portal: Portal) -> None:
    xa, evil = portal.app.test_client(), "http://ke-xau.example"  # every request names that host
    token = re.search(r'name="csrf_token" value="([^"]+)"', xa.get("/dang-nhap", base_url=evil).text).group(1)  # type: ignore[union-attr]
    data = {"csrf_token": token, "login": portal.logins["xa"], "password": PASSWORD}
    assert xa.post("/dang-nhap", data=data, base_url=evil).status_code == 302
    page = xa.get(f"/nam/{THIS_YEAR}/don-vi/{portal.unit}/khao-sat", base_url=evil)
    assert page.status_code == 200
    assert "ke-xau.example" not in page.text and "http://localhost" + _link(portal) in page.text
    portal.config.public_url = "https://khaosat.bacgiang.gov.vn"
    try:
        page = xa.get(f"/nam/{THIS_YEAR}/don-vi/{portal.unit}/khao-sat", base_url=evil)
        assert "https://khaosat.bacgiang.gov.vn" + _link(portal) in page.text
    finally:
        portal.config.public_url = ""


def _count(portal: Portal, table: object) -> int:
    with portal.store.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_what_is_kept_for_a_while_is_forgotten_on_time_without_a_new_visitor(portal: Portal) -> None:
    long_ago = now() - dt.timedelta(days=2)
    with portal.store.write() as conn:
        conn.execute(
            survey_hits.insert(), [{"key": "dia_chi:cu", "at": long_ago}, {"key": "dia_chi:moi", "at": now()}]
        )
        conn.execute(survey_tokens.insert().values(token_hash="a" * 64, issued_at=long_ago, used_at=long_ago))
        conn.execute(
            login_attempts.insert().values(login="ai-do", address="10.1.1.1", at=long_ago, outcome="failed")
        )
        conn.execute(
            web_sessions.insert().values(
                token_hash="b" * 64, account_id=None, created_at=long_ago, seen_at=long_ago,
                expires_at=long_ago, revoked_at=None, address="10.1.1.1", data="{}",
            )
        )  # fmt: skip
    swept = upkeep.sweep(portal.store, Lifetimes(), Throttle(), surveys.Limits())
    assert swept == upkeep.Swept(sessions=1, attempts=1, addresses=1, tickets=1)
    with portal.store.read() as conn:
        assert [r.key for r in conn.execute(select(survey_hits)).all()] == ["dia_chi:moi"]
    assert _count(portal, survey_tokens) == 0 and _count(portal, login_attempts) == 0
    # the server sweeps by itself, once a minute at most, on whichever request comes first
    with portal.store.write() as conn:
        conn.execute(survey_hits.insert().values(key="dia_chi:cu", at=long_ago))
    portal.app.test_client().get("/dang-nhap")
    assert _count(portal, survey_hits) == 1


@pytest.mark.parametrize(
    "target", ["/nam\r\nSet-Cookie: x=1", "/a\nb", "\\\\ke-xau.example", "/\\ke-xau.example"]
)
def test_a_next_address_with_a_line_break_or_backslash_goes_home(portal: Portal, target: str) -> None:
    client = portal.app.test_client()
    token = csrf_of(client, "/dang-nhap")
    sent = client.post(
        "/dang-nhap",
        query_string={"next": target},
        data={"csrf_token": token, "login": portal.logins["tinh"], "password": PASSWORD},
    )
    assert sent.status_code == 302 and sent.headers["Location"] == "/"


def test_an_account_holds_a_few_sessions_and_can_end_the_others(
    portal: Portal, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CQTT_SESSIONS_PER_ACCOUNT", "3")
    clients = [portal.client("huyen") for _ in range(4)]  # the fourth ends the first
    assert clients[0].get("/phien-dang-nhap").status_code == 302
    page = clients[3].get("/phien-dang-nhap")
    assert page.status_code == 200 and page.text.count("<tr><td>") == 3 and "Phiên này" in page.text
    ended = post(clients[3], "/phien-dang-nhap/dang-xuat-noi-khac", follow_redirects=True)
    assert "Đã đăng xuất 2 phiên ở nơi khác." in ended.text
    assert [c.get("/phien-dang-nhap").status_code for c in clients] == [302, 302, 302, 200]
    account = accounts.find(portal.store, portal.logins["huyen"])
    assert len(sessions.live_sessions(portal.store, account, "", Lifetimes())) == 1


def test_over_https_the_cookies_carry_the_host_prefix(tmp_path: Path) -> None:
    from web import create_app
    from web.config import PortalConfig

    made = make_portal(str(tmp_path / "cong.sqlite"), tmp_path, THIS_YEAR)
    try:
        app = create_app(PortalConfig(db=made.config.db, data_dir=made.config.data_dir, secure_cookies=True))
        client = app.test_client()
        page = client.get("/dang-nhap", base_url="https://localhost")
        cookie = page.headers["Set-Cookie"]
        assert cookie.startswith("__Host-cqtt_khach=") and "Secure" in cookie and "Path=/" in cookie
        assert "Domain" not in cookie
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        signed_in = client.post(
            "/dang-nhap",
            base_url="https://localhost",
            data={"csrf_token": token, "login": made.logins["tinh"], "password": PASSWORD},
            headers={"Referer": "https://localhost/dang-nhap"},
        )
        assert signed_in.status_code == 302, signed_in.text[:300]
        assert any(c.startswith("__Host-cqtt_phien=") for c in signed_in.headers.getlist("Set-Cookie"))
        app.extensions["cqtt.store"].close()
    finally:
        made.close()
