"""Notifications by e-mail through a real SMTP server on loopback: queued with the event they tell
(nothing lost while the mail server is down), in Vietnamese, with the link to the page, to the
people the event is for and only to them; received from a served portal in a real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import browser_or_skip, chromium, fill, login, new_page, start, stop
from mail_helpers import free_port, smtp_server
from portal_helpers import (
    DISTRICT,
    PASSWORD,
    ROOT,
    YEAR,
    Portal,
    full_unit_values,
    make_portal,
    post,
    submit_dossier,
    unit_url,
)

from engine.portal import accounts, mail, mailer, units
from engine.store import outbox
from engine.store.connect import open_store


@pytest.fixture
def portal(tmp_path: Path) -> Iterator[Portal]:
    made = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    for name, address in (
        ("xa", "vanphong.xa@xa.test"),
        ("huyen", "to.lucnam@to.test"),
        ("huyen-khac", "to.hiephoa@to.test"),
        ("tinh", "phuctra@tinh.test"),
    ):
        accounts.set_email(made.store, made.logins[name], address)
    mail.enable(True)
    try:
        yield made
    finally:
        mail.enable(False)
        made.close()


def test_a_submission_tells_its_team_and_no_other_and_survives_a_mail_server_down(portal: Portal) -> None:
    port = free_port()
    smtp = mail.Smtp("127.0.0.1", port, "cong@tinh.test")
    submit_dossier(portal.client("xa"), portal.unit, full_unit_values())
    with portal.store.read() as conn:
        queued = outbox.of_recipient(conn, "to.lucnam@to.test")
        assert outbox.of_recipient(conn, "to.hiephoa@to.test") == []  # another team's members: nothing
    assert len(queued) == 1 and queued[0].sent_at is None
    assert mail.send_pending(portal.store, smtp, "https://cong.tinh.test") == 0  # nobody listening yet
    with portal.store.read() as conn:
        [kept] = outbox.of_recipient(conn, "to.lucnam@to.test")
    assert (
        kept.sent_at is None and kept.attempts == 1 and kept.last_error.startswith("ConnectionRefusedError")
    )
    with smtp_server(port) as (inbox, _):
        assert mail.send_pending(portal.store, smtp, "https://cong.tinh.test") == 1
        [message] = inbox.wait_for(1)
        assert mail.send_pending(portal.store, smtp, "https://cong.tinh.test") == 0  # sent once
    assert message["To"] == "to.lucnam@to.test"
    assert message["Subject"] == f"Thị trấn Đồi Ngô đã nộp hồ sơ năm {YEAR}"
    body = message.get_content()
    assert "Kính gửi lucnam," in body and "Thị trấn Đồi Ngô (07444) đã nộp hồ sơ" in body
    assert f"Xem trên cổng: https://cong.tinh.test/nam/{YEAR}/don-vi/{portal.unit}/tham-dinh" in body


def test_a_request_for_more_tells_the_commune_with_its_items_and_date(portal: Portal) -> None:
    submit_dossier(portal.client("xa"), portal.unit, full_unit_values())
    post(
        portal.client("huyen"),
        unit_url(portal.unit, "/yeu-cau-bo-sung"),
        {"comment": "Gửi biên bản niêm yết", "items": ["cong_khai_dung_han"], "due": "31/12/2099"},
    )
    with smtp_server() as (inbox, port):
        mail.send_pending(
            portal.store, mail.Smtp("127.0.0.1", port, "cong@tinh.test"), "https://cong.tinh.test"
        )
        commune = [m for m in inbox.wait_for(2) if m["To"] == "vanphong.xa@xa.test"]
    [message] = commune
    assert message["Subject"] == f"Tổ thẩm định yêu cầu bổ sung hồ sơ năm {YEAR}"
    body = message.get_content()
    assert "Gửi biên bản niêm yết" in body and "Hạn trả lời: 31/12/2099." in body
    from engine.portal.units import criteria_of

    title = next(
        c.title for _, c in criteria_of(portal.store, YEAR).model.criteria() if c.id == "cong_khai_dung_han"
    )
    assert f"Nội dung cần bổ sung:\n- {title}\n" in body


def test_a_bad_address_or_setting_is_refused_with_its_reason(portal: Portal) -> None:
    with pytest.raises(
        accounts.AccountError, match=r"địa chỉ thư “a@b\\u000d\\u000abcc: x@y.z” không hợp lệ"
    ):
        accounts.set_email(portal.store, portal.logins["xa"], "a@b\r\nBcc: x@y.z")
    with pytest.raises(mail.MailSettingsError, match="--smtp “mail:cong”: cần MÁY:CỔNG"):
        mail.Smtp.parse("mail:cong", "cong@tinh.test")
    with pytest.raises(mail.MailSettingsError, match="--mail-from “cong”: cần một địa chỉ thư"):
        mail.Smtp.parse("mail:25", "cong")


def test_a_served_portal_mails_the_team_when_a_commune_submits_in_chromium(tmp_path: Path) -> None:
    browser_or_skip()
    db = str(tmp_path / "cong.sqlite")
    store = open_store(db)
    units.load(store, ROOT / "samples/units/bac-giang.csv", YEAR, "bac-giang@2024")
    commune = units.of_district(store, YEAR, DISTRICT)[0].code
    from portal_helpers import set_password

    accounts.add(store, f"xa{commune}", "xa", commune, None, "Cán bộ văn phòng xã")
    set_password(store, f"xa{commune}")
    accounts.add(store, "lucnam", "huyen", None, DISTRICT, "Nguyễn Văn An", email="an.nguyen@to.test")
    store.close()
    with smtp_server() as (inbox, port):
        process, url = start(
            db, tmp_path / "du-lieu",
            ["--smtp", f"127.0.0.1:{port}", "--mail-from", "cong@tinh.test", "--public-url", "https://cong.tinh.test"],
        )  # fmt: skip
        try:
            with chromium() as browser:
                xa = new_page(browser)
                login(xa, url, f"xa{commune}", PASSWORD)
                xa.goto(f"{url}/nam/{YEAR}/don-vi/{commune}/ho-so")  # type: ignore[attr-defined]
                fill(xa, full_unit_values())
                xa.click("button:has-text('Kiểm tra trước khi nộp')")  # type: ignore[attr-defined]
                xa.check("#seen")  # type: ignore[attr-defined]
                xa.click("#nop button:has-text('Nộp hồ sơ')")  # type: ignore[attr-defined]
                assert "Đã nộp hồ sơ năm 2024" in xa.inner_text("h1")  # type: ignore[attr-defined]
            [message] = inbox.wait_for(1)
        finally:
            stop(process)
    assert message["To"] == "an.nguyen@to.test"
    body = message.get_content()
    assert "Kính gửi Nguyễn Văn An," in body
    assert f"https://cong.tinh.test/nam/{YEAR}/don-vi/{commune}/tham-dinh" in body


def test_a_daily_digest_lists_the_work_once_a_day(portal: Portal) -> None:
    import datetime as dt

    from click.testing import CliRunner

    from cli import main
    from engine.clock import today

    said = CliRunner().invoke(
        main,
        ["users", "email", portal.logins["xa"], "vanphong.xa@xa.test", "--digest", "--db", portal.config.db],
    )
    assert (
        said.output
        == f"Thư thông báo của {portal.logins['xa']}: vanphong.xa@xa.test; thư tổng hợp mỗi ngày\n"
    )
    late = (today() - dt.timedelta(days=2)).strftime("%d/%m/%Y")
    post(portal.client("tinh"), f"/nam/{YEAR}/thoi-han", {"nop": late})
    assert mailer.queue_digests(portal.store, today()) == 1  # the commune asked; the others did not
    assert mailer.queue_digests(portal.store, today()) == 0  # once a day, whatever asks again
    with smtp_server() as (inbox, port):
        mail.send_pending(
            portal.store, mail.Smtp("127.0.0.1", port, "cong@tinh.test"), "https://cong.tinh.test"
        )
        [message] = inbox.wait_for(1)
    assert message["Subject"] == f"Việc cần làm năm {YEAR}: 1 việc, 1 quá hạn"
    body = message.get_content()
    assert f"- Soạn và nộp hồ sơ: Thị trấn Đồi Ngô ({portal.unit}) — hạn {late} (quá hạn 2 ngày)" in body
    assert "Xem trên cổng: https://cong.tinh.test/" in body
