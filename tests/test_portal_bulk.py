"""Work done for many at once: an account for every commune of a year's list, with one slip per
commune to print; communes that have an account keep it; the passwords work once."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from portal_helpers import YEAR, Portal, make_portal, post

from engine.portal import accounts
from engine.portal.accounts import Throttle


@pytest.fixture
def portal(tmp_path: Path) -> Portal:
    made = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    yield made
    made.close()


def test_accounts_for_every_commune_with_a_slip_each(portal: Portal) -> None:
    admin = portal.client("quan-tri")
    page = admin.get("/quan-tri/tai-khoan")
    assert "Tạo tài khoản cho mọi đơn vị chưa có tài khoản xã?" in page.text  # asked first
    made = post(admin, "/quan-tri/tai-khoan/xa-hang-loat", {"year": str(YEAR)})
    assert made.status_code == 200
    slips = re.findall(r'<section class="slip" id="phieu-(\d+)">(.*?)</section>', made.text, re.S)
    assert len(slips) == 193  # 195 units, two of which had a commune account already
    assert portal.unit not in {code for code, _ in slips} and portal.outsider not in {c for c, _ in slips}
    code, body = slips[0]
    login = f"xa{code}"
    password = re.search(r"Mật khẩu dùng một lần</th><td class=\"mono\">([^<]+)</td>", body).group(1)  # type: ignore[union-attr]
    assert f'<td class="mono">{login}</td>' in body and "http://localhost" in body
    account = accounts.authenticate(portal.store, login, password, "10.0.0.9", Throttle())
    assert account.unit_code == code and account.must_change  # changed at the first login
    again = post(admin, "/quan-tri/tai-khoan/xa-hang-loat", {"year": str(YEAR)}, follow_redirects=True)
    assert f"Mọi đơn vị của danh sách năm {YEAR} đã có tài khoản xã." in again.text
    unknown = post(admin, "/quan-tri/tai-khoan/xa-hang-loat", {"year": "1999"}, follow_redirects=True)
    assert "Năm “1999” chưa có danh sách đơn vị." in unknown.text


def test_the_accounts_list_is_searched_filtered_and_downloaded_as_shown(portal: Portal) -> None:
    from engine.portal import accounts as made

    made.add(portal.store, "to.tienthang", "huyen", None, "Huyện Lục Nam", "Nguyễn Tiến Thắng")
    admin = portal.client("quan-tri")
    page = admin.get("/quan-tri/tai-khoan", query_string={"q": "tien thang"})
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td>", page.text)
    assert rows == [("to.tienthang", "Nguyễn Tiến Thắng")]
    waiting = admin.get("/quan-tri/tai-khoan", query_string={"status": "cho_doi", "role": "huyen"})
    assert [r[0] for r in re.findall(r"<tr><td>([^<]+)</td><td>([^<]*)</td>", waiting.text)] == [
        "to.tienthang"
    ]
    data = admin.get("/quan-tri/tai-khoan.xlsx", query_string={"q": "tien thang"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data.data)).active
    assert [c.value for c in sheet[4]][:5] == [
        "to.tienthang",
        "Nguyễn Tiến Thắng",
        "Tổ thẩm định",
        "Huyện Lục Nam",
        "Chờ đổi mật khẩu",
    ]
    assert sheet["A2"].value == "Lọc: tìm “tien thang” — 1 trong 8 dòng"


def test_the_audit_log_is_searched_filtered_and_downloaded_as_shown(portal: Portal) -> None:
    admin = portal.client("quan-tri")
    victim = accounts.find(portal.store, portal.logins["xa-khac"])
    post(admin, f"/quan-tri/tai-khoan/{victim.id}/khoa")
    page = admin.get("/quan-tri/nhat-ky", query_string={"q": "khoa tai khoan"})
    rows = re.findall(
        r"<tr><td>([^<]+)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>",
        page.text,
    )
    assert [(r[1], r[3], r[4]) for r in rows] == [("quantri", "Khóa tài khoản", victim.login)]
    same = admin.get("/quan-tri/nhat-ky", query_string={"action": "account_disabled"})
    assert "<strong>1</strong> trong" in same.text
    data = admin.get("/quan-tri/nhat-ky.xlsx", query_string={"q": "khoa tai khoan"})
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data.data)).active
    assert [c.value for c in sheet[4]] == list(rows[0])
