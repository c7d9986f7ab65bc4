"""A signed-in (or not yet signed-in) hostile account against the portal: parallel guesses, held
logins, expired one-time passwords, weak passwords, bombs sent as uploads, files filed where they
do not belong. On SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from helpers import at_once
from portal_helpers import PASSWORD, YEAR, Portal, make_portal, post, unit_url

from engine.portal import accounts
from engine.portal.accounts import WRONG, LoginRefused, Throttle, address_message, throttled_message
from engine.store.schema import accounts as accounts_table


@pytest.fixture(params=["sqlite", "postgresql"])
def portal(request: pytest.FixtureRequest, tmp_path: Path) -> Portal:
    if request.param == "sqlite":
        db = str(tmp_path / "cong.sqlite")
    else:
        server = request.getfixturevalue("pg_server")
        db = server.create_database(f"cqtt_thu_dich_{abs(hash(str(tmp_path))) % 10**8}")
    made = make_portal(db, tmp_path)
    yield made
    made.close()


def _tries(portal: Portal, login: str, passwords: list[str], address: str = "10.0.0.7") -> list[str]:
    """Each password tried at once from its own thread; what each attempt was told."""
    return at_once(
        len(passwords),
        lambda i: accounts.authenticate(portal.store, login, passwords[i], address, Throttle()),
    )


def test_fifty_parallel_wrong_passwords_let_at_most_five_through(portal: Portal) -> None:
    told = _tries(portal, portal.logins["tinh"], [f"doan-sai-{i}" for i in range(50)])
    assert len(told) == 50
    verified = told.count(WRONG)  # (every attempt is counted before any is verified: a burst may see none)
    assert verified <= 5, told
    held = told.count(throttled_message(Throttle())) + told.count(address_message(Throttle()))
    assert held == 50 - verified, told
    # the right password is held too from there (the address itself is, after 50 tries), and
    # works from another address
    with pytest.raises(LoginRefused, match="Máy này đã đăng nhập sai nhiều lần"):
        accounts.authenticate(portal.store, portal.logins["tinh"], PASSWORD, "10.0.0.7", Throttle())
    assert accounts.authenticate(portal.store, portal.logins["tinh"], PASSWORD, "10.0.0.8", Throttle())


def test_an_unknown_login_is_held_exactly_as_a_known_one(portal: Portal) -> None:
    def told(login: str) -> list[str]:
        found = []
        for i in range(7):
            try:
                accounts.authenticate(portal.store, login, f"sai-{i}", "10.0.0.11", Throttle())
            except LoginRefused as exc:
                found.append(str(exc))
        return found

    known, unknown = told(portal.logins["huyen"]), told("khong-ton-tai")
    assert known == unknown == [WRONG] * 5 + [throttled_message(Throttle())] * 2  # nothing tells them apart


def test_a_one_time_password_ends(portal: Portal) -> None:
    account, password = accounts.add(portal.store, "moi-het-han", "xa", unit=portal.neighbour)
    with portal.store.write() as conn:
        conn.execute(
            accounts_table.update()
            .where(accounts_table.c.id == account.id)
            .values(password_expires_at=dt.datetime(2024, 1, 2, 3, 0, tzinfo=dt.UTC))
        )
    with pytest.raises(LoginRefused) as refused:
        accounts.authenticate(portal.store, "moi-het-han", password, "10.0.0.9", Throttle())
    assert str(refused.value) == (
        "Mật khẩu dùng một lần đã hết hạn ngày 02/01/2024 10:00; nhờ quản trị cấp lại mật khẩu."
    )
    fresh = accounts.reset_password(portal.store, "moi-het-han")
    assert accounts.authenticate(portal.store, "moi-het-han", fresh, "10.0.0.9", Throttle()).must_change


def test_checking_the_current_password_is_throttled_as_a_sign_in(portal: Portal) -> None:
    client = portal.client("xa")
    told = []
    for i in range(7):
        sent = post(
            client,
            "/doi-mat-khau",
            {"current": f"doan-{i}", "new": "cay-tre-ven-song-9", "repeated": "cay-tre-ven-song-9"},
        )
        told.append(sent.status_code)
    page = sent.text
    assert told == [400] * 7
    assert "Đăng nhập sai nhiều lần với tên này từ máy này" in page  # after five wrong checks
    right = post(
        client,
        "/doi-mat-khau",
        {"current": PASSWORD, "new": "cay-tre-ven-song-9", "repeated": "cay-tre-ven-song-9"},
    )
    assert "Đăng nhập sai nhiều lần với tên này từ máy này" in right.text  # held, even with the right one


@pytest.mark.parametrize(
    "new, why",
    [
        ("qwertyuiop", "nằm trong danh sách mật khẩu hay bị đoán"),
        ("0987654321", "không được chỉ gồm chữ số"),
        ("matkhau123", "chỉ là một từ hay bị đoán thêm số hoặc ký hiệu"),
        ("Password@2024", "chỉ là một từ hay bị đoán thêm số hoặc ký hiệu"),
        ("aaaaabbbbb", "quá ít ký tự khác nhau"),
        ("ngắn-quá", "cần ít nhất 10 ký tự"),
    ],
)
def test_weak_passwords_are_refused(new: str, why: str) -> None:
    from engine.portal.passwords import problem

    found = problem("xa07444", new)
    assert found is not None and why in found, found


def test_a_good_password_is_accepted() -> None:
    from engine.portal.passwords import problem

    assert problem("xa07444", "cay tre ven song Luc Ngan") is None


def test_resetting_a_password_does_not_enable_a_disabled_account(portal: Portal) -> None:
    login = portal.logins["xa-khac"]
    accounts.disable(portal.store, login)
    with pytest.raises(accounts.AccountError, match="đang bị khóa: cấp lại mật khẩu không mở khóa"):
        accounts.reset_password(portal.store, login)  # refused: no password exists to sign in with
    with pytest.raises(LoginRefused, match=WRONG):
        accounts.authenticate(portal.store, login, PASSWORD, "10.0.0.10", Throttle())  # its old one
    accounts.enable(portal.store, login)
    accounts.authenticate(portal.store, login, PASSWORD, "10.0.0.10", Throttle())  # opened on purpose


def _load_list(portal: Portal, criteria: str, year: str = "2024") -> object:
    from portal_helpers import ROOT

    listed = (ROOT / "samples/units/bac-giang.csv").read_bytes()
    return post(
        portal.client("quan-tri"),
        "/quan-tri/don-vi",
        {"year": year, "criteria": criteria, "file": (io.BytesIO(listed), "don-vi.csv")},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize(
    "criteria",
    ["/etc/passwd", "criteria/bac-giang/2024.yaml", "../../criteria/bac-giang/2023.yaml", "bac-giang@1999"],
)
def test_the_unit_list_form_takes_only_a_set_of_the_catalogue(portal: Portal, criteria: str) -> None:
    from engine.portal.units import year_of

    sent = _load_list(portal, criteria)
    assert sent.status_code == 400  # type: ignore[attr-defined]
    page = sent.text  # type: ignore[attr-defined]
    assert "không phải mã bộ tiêu chí trong danh mục" in page or "không có bộ tiêu chí" in page, page[-800:]
    assert year_of(portal.store, YEAR).criteria_ref == "bac-giang@2024"  # untouched


def test_a_years_rule_set_cannot_change_once_dossiers_exist(portal: Portal) -> None:
    from portal_helpers import full_unit_values

    from engine.portal.units import year_of

    xa = portal.client("xa")
    assert (
        post(xa, unit_url(portal.unit, "/ho-so"), {**full_unit_values(), "action": "draft"}).status_code
        == 200
    )
    refused = _load_list(portal, "bac-giang@2023")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert (
        f"năm {YEAR} đã có 1 hồ sơ chấm theo bac-giang@2024; không đổi bộ tiêu chí giữa năm (sang "
        "bac-giang@2023): nạp lại danh sách với bộ bac-giang@2024" in refused.text  # type: ignore[attr-defined]
    )
    assert year_of(portal.store, YEAR).criteria_ref == "bac-giang@2024"
    again = _load_list(portal, "bac-giang@2024")  # the same set: the list may be loaded again
    assert again.status_code == 200  # type: ignore[attr-defined]


def test_the_web_administrator_cannot_make_or_reset_a_province_account(portal: Portal) -> None:
    admin = portal.client("quan-tri")
    made = post(admin, "/quan-tri/tai-khoan", {"login": "toi-la-tinh", "role": "tinh"})
    assert made.status_code == 400
    assert "tài khoản vai trò “Phúc tra (tỉnh)” chỉ tạo được trên máy chủ (cqtt users add)" in made.text
    province = accounts.find(portal.store, portal.logins["tinh"])
    reset = post(admin, f"/quan-tri/tai-khoan/{province.id}/mat-khau", follow_redirects=True)
    assert "chỉ cấp lại trên máy chủ (cqtt users reset-password)" in reset.text
    assert accounts.authenticate(portal.store, portal.logins["tinh"], PASSWORD, "10.0.0.12", Throttle())
    commune = post(admin, "/quan-tri/tai-khoan", {"login": "xa-moi", "role": "xa", "unit": portal.neighbour})
    assert commune.status_code == 200 and "Đã tạo tài khoản xa-moi" in commune.text


def test_a_blocked_address_flooding_the_login_adds_no_rows_past_a_bound(portal: Portal) -> None:
    from sqlalchemy import func, select

    from engine.store.schema import audit_log, login_attempts

    throttle = Throttle(account_failures=3, address_failures=5)

    def count(table: object) -> int:
        with portal.store.read() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]

    logs_before = count(audit_log)
    told = []
    for i in range(300):
        try:
            accounts.authenticate(portal.store, f"doan-{i % 7}", "sai-mat-khau", "10.66.0.1", throttle)
        except LoginRefused as exc:
            told.append(str(exc))
    assert told[-1] == address_message(throttle)
    assert count(login_attempts) <= 2 * throttle.address_failures + 1
    assert count(audit_log) - logs_before <= 6 + 2  # the failures before the hold, one refusal a minute


def _decided(portal: Portal) -> tuple[accounts.Account, accounts.Account]:
    """The commune refused today (its appeal window open); its account and the province's."""
    from portal_helpers import ROOT

    from engine.clock import today
    from engine.portal import dossiers, review
    from engine.portal.demo import appraise_as_submitted

    done = dossiers.upload_workbook(
        portal.store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
    )
    appraise_as_submitted(portal.store, YEAR, [c for c in done.submitted if c == portal.unit])
    tinh = accounts.find(portal.store, portal.logins["tinh"])
    review.decide(
        portal.store, tinh, "test", YEAR, portal.unit, "not_recognised", "9/QĐ-UBND", today(), "Thiếu hồ sơ"
    )
    return accounts.find(portal.store, portal.logins["xa"]), tinh


def test_appeals_and_answers_sent_at_once_leave_exactly_one(portal: Portal) -> None:
    from engine.portal import review

    xa, tinh = _decided(portal)
    filed = at_once(
        8, lambda i: review.file_appeal(portal.store, xa, "test", YEAR, portal.unit, f"Kiến nghị {i}")
    )
    assert sorted(filed) == sorted(["ok"] + ["đã có một kiến nghị đang được xem xét"] * 7)
    [appeal] = review.appeals_of(portal.store, YEAR, portal.unit)
    answered = at_once(
        8,
        lambda i: review.answer_appeal(
            portal.store, tinh, "test", YEAR, portal.unit, appeal.id, i % 2 == 0, f"Trả lời {i}"
        ),
    )
    assert answered.count("ok") == 1
    assert all(t == "kiến nghị này không còn chờ trả lời" for t in answered if t != "ok")
    [kept] = review.appeals_of(portal.store, YEAR, portal.unit)
    assert kept.state in ("accepted", "rejected") and kept.answer is not None
