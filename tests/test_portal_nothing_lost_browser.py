"""In a real Chromium against the portal served on loopback: the check before submitting with a
missing document and self-scores that do not add up, a withdrawal, a page that warns before its
unsaved edits are left, two team members saving the same verify page, and the province reopening
a finalised appraisal after a confirmation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import DIALOGS, Served, browser_or_skip, chromium, fill, login, new_page, start, stop
from openpyxl import load_workbook
from portal_helpers import DISTRICT, PASSWORD, ROOT, YEAR, full_unit_values, set_password

from engine.clock import today
from engine.portal import accounts, units
from engine.store.connect import open_store


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    browser_or_skip()
    folder = tmp_path_factory.mktemp("cong")
    db = str(folder / "cong.sqlite")
    store = open_store(db)
    units.load(store, ROOT / "samples/units/bac-giang.csv", YEAR, "bac-giang@2024")
    commune = units.of_district(store, YEAR, DISTRICT)[0].code
    accounts.add(store, f"xa{commune}", "xa", commune, None, "Cán bộ văn phòng xã")
    set_password(store, f"xa{commune}")
    for name, role, district, full in (
        ("lucnam", "huyen", DISTRICT, "Nguyễn Văn An"),
        ("lucnam2", "huyen", DISTRICT, "Trần Thị Bình"),
        ("phuctra", "tinh", None, "Lê Văn Cường"),
        ("quantri", "quan-tri", None, "Quản trị"),
    ):
        accounts.add(store, name, role, None, district, full)
        set_password(store, name)
    store.close()
    process, url = start(db, folder / "du-lieu")
    try:
        yield Served(url, db, process, commune, "")
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[object]:
    with chromium() as launched:
        yield launched


def test_check_withdraw_two_savers_and_reopen(served: Served, browser: object, tmp_path: Path) -> None:
    url, code = served.url, served.commune
    unit = f"{url}/nam/{YEAR}/don-vi/{code}"
    # 0. the province sets the year's dates; the commune's start page lists its work by them
    tinh = new_page(browser)
    login(tinh, url, "phuctra", PASSWORD)
    tinh.goto(f"{url}/nam/{YEAR}/tinh")  # type: ignore[attr-defined]
    late, soon = (today() - dt.timedelta(days=2)), (today() + dt.timedelta(days=10))
    tinh.fill("#han-nop", late.strftime("%d/%m/%Y"))  # type: ignore[attr-defined]
    tinh.fill("#han-tham_dinh", soon.strftime("%d/%m/%Y"))  # type: ignore[attr-defined]
    tinh.click("button:has-text('Lưu thời hạn')")  # type: ignore[attr-defined]
    assert "Đã lưu thời hạn của năm." in tinh.inner_text(".flash")  # type: ignore[attr-defined]
    xa = new_page(browser)
    login(xa, url, f"xa{code}", PASSWORD)
    xa.goto(unit)  # type: ignore[attr-defined]
    task = xa.inner_text("#viec-can-lam tbody tr")  # type: ignore[attr-defined]
    assert "Soạn và nộp hồ sơ" in task and late.strftime("%d/%m/%Y") in task and "quá hạn 2 ngày" in task
    # 1. a form with unsaved edits warns before it is left
    xa.goto(f"{unit}/ho-so")  # type: ignore[attr-defined]
    values = {
        **full_unit_values(),
        "ho_so": "to_trinh; bao_cao; bang_tu_cham; dang_ky",
        "tu_cham": "97",
        "tu_cham__dan_chu_co_so": "20",
        "tu_cham__cai_cach_hanh_chinh": "30",
        "tu_cham__van_hoa_cong_so": "10",
        "tu_cham__doi_thoai_don_thu": "12,5",
        "tu_cham__hai_long": "10",
        "tu_cham__ba_an": "5",
    }
    fill(xa, values)
    before = len(DIALOGS)
    xa.goto(unit)  # type: ignore[attr-defined]
    assert len(DIALOGS) == before + 1  # the leave-page question was asked (and answered: leave)
    xa.goto(f"{unit}/ho-so")  # type: ignore[attr-defined]
    fill(xa, values)
    # 2. the check before submitting: a missing document and a self-score sum that is wrong
    xa.click("button:has-text('Kiểm tra trước khi nộp')")  # type: ignore[attr-defined]
    notes = xa.inner_text("#can-luu-y")  # type: ignore[attr-defined]
    assert "Thiếu 1/5 văn bản hồ sơ bắt buộc: Văn bản phê duyệt đăng ký của Ban Chỉ đạo" in notes
    assert "Tổng điểm tự chấm 97 khác tổng điểm tự chấm các nhóm 87,5." in notes
    assert xa.inner_text("#cong-nhom") == "87,5"  # type: ignore[attr-defined]
    xa.click("#nop button:has-text('Nộp hồ sơ')")  # type: ignore[attr-defined]  # not marked as seen
    assert "Đánh dấu ô “Đã xem các điểm cần lưu ý”" in xa.inner_text(".flash")  # type: ignore[attr-defined]
    xa.check("#seen")  # type: ignore[attr-defined]
    xa.click("#nop button:has-text('Nộp hồ sơ')")  # type: ignore[attr-defined]
    assert "Đã nộp hồ sơ năm 2024" in xa.inner_text("h1")  # type: ignore[attr-defined]
    # 3. the commune withdraws it (asked first), adds the missing document, submits again
    xa.goto(unit)  # type: ignore[attr-defined]
    xa.click("#rut-ho-so button")  # type: ignore[attr-defined]
    assert DIALOGS[-1].startswith("Rút hồ sơ về để sửa?")
    assert "Đã rút hồ sơ về để sửa." in xa.inner_text(".flash")  # type: ignore[attr-defined]
    fill(xa, {"ho_so": "to_trinh; bao_cao; bang_tu_cham; dang_ky; phe_duyet_dang_ky", "tu_cham": "87,5"})
    xa.click("button:has-text('Kiểm tra trước khi nộp')")  # type: ignore[attr-defined]
    assert "Thiếu" not in xa.inner_text("#can-luu-y")  # type: ignore[attr-defined]
    xa.check("#seen")  # type: ignore[attr-defined]
    xa.click("#nop button:has-text('Nộp hồ sơ')")  # type: ignore[attr-defined]
    assert "Đã nộp hồ sơ năm 2024" in xa.inner_text("h1")  # type: ignore[attr-defined]
    # 4. two team members open the verify page; the second save is refused with the first's change
    first, second = new_page(browser), new_page(browser)
    login(first, url, "lucnam", PASSWORD)
    login(second, url, "lucnam2", PASSWORD)
    first.goto(f"{url}/nam/{YEAR}/huyen/{DISTRICT}")  # type: ignore[attr-defined]
    task = first.inner_text("#viec-can-lam tbody tr")  # type: ignore[attr-defined]
    assert "Thẩm định hồ sơ" in task and soon.strftime("%d/%m/%Y") in task  # the team's, by its date
    for page in (first, second):
        page.goto(f"{unit}/tham-dinh")  # type: ignore[attr-defined]
    first.fill("#i-so_tin_bai_tuyen_truyen", "12")  # type: ignore[attr-defined]
    first.fill("input[name='ly_do__so_tin_bai_tuyen_truyen']", "Chỉ 12 tin có ngày đăng")  # type: ignore[attr-defined]
    first.click("button:has-text('Lưu kết quả xác minh')")  # type: ignore[attr-defined]
    assert "Đã lưu kết quả xác minh" in first.inner_text(".flash")  # type: ignore[attr-defined]
    second.fill("#i-so_tin_bai_tuyen_truyen", "20")  # type: ignore[attr-defined]
    second.fill("input[name='ly_do__so_tin_bai_tuyen_truyen']", "Đếm lại được 20")  # type: ignore[attr-defined]
    second.click("button:has-text('Lưu kết quả xác minh')")  # type: ignore[attr-defined]
    assert "Chưa lưu: Nguyễn Văn An (lucnam) đã lưu kết quả xác minh" in second.inner_text(".flash")  # type: ignore[attr-defined]
    row = second.inner_text("#f-so_tin_bai_tuyen_truyen")  # type: ignore[attr-defined]
    assert "Nguyễn Văn An (lucnam) đã lưu: 12 — lý do: Chỉ 12 tin có ngày đăng" in row
    assert second.input_value("#i-so_tin_bai_tuyen_truyen") == "20"  # type: ignore[attr-defined]
    second.fill("#i-so_tin_bai_tuyen_truyen", "12")  # type: ignore[attr-defined]  # agrees with the first
    second.fill("input[name='ly_do__so_tin_bai_tuyen_truyen']", "Chỉ 12 tin có ngày đăng")  # type: ignore[attr-defined]
    second.click("button:has-text('Lưu kết quả xác minh')")  # type: ignore[attr-defined]
    assert "Đã lưu kết quả xác minh" in second.inner_text(".flash")  # type: ignore[attr-defined]
    # 5. a clarification round: the commune changes another value; the team's correction stands
    second.check("input[value='cong_khai_dung_han']")  # type: ignore[attr-defined]
    second.fill("#comment", "Gửi lại biên bản niêm yết")  # type: ignore[attr-defined]
    second.click("button:has-text('Gửi yêu cầu bổ sung')")  # type: ignore[attr-defined]
    xa.goto(f"{unit}/ho-so")  # type: ignore[attr-defined]
    fill(xa, {"ty_le_cong_khai_dung_han": "95%"})
    xa.click("button:has-text('Kiểm tra trước khi nộp lại')")  # type: ignore[attr-defined]
    xa.check("#seen")  # type: ignore[attr-defined]
    xa.click("#nop button:has-text('Nộp lại hồ sơ')")  # type: ignore[attr-defined]
    second.goto(f"{unit}/tham-dinh")  # type: ignore[attr-defined]
    assert second.input_value("#i-so_tin_bai_tuyen_truyen") == "12"  # type: ignore[attr-defined]
    reason = second.input_value("input[name='ly_do__so_tin_bai_tuyen_truyen']")  # type: ignore[attr-defined]
    assert reason == "Chỉ 12 tin có ngày đăng"
    assert second.input_value("#i-ty_le_cong_khai_dung_han") == "95%"  # type: ignore[attr-defined]
    assert "tổ đã xác minh trước đó" in second.inner_text("#f-ty_le_cong_khai_dung_han")  # type: ignore[attr-defined]
    # the team then confirms the tin-bài count as declared after all, ticked, in one step
    second.check("#x-so_tin_bai_tuyen_truyen")  # type: ignore[attr-defined]
    second.click("button:has-text('Lưu, các giá trị đã đánh dấu như xã khai')")  # type: ignore[attr-defined]
    assert DIALOGS[-1].startswith("Đặt các giá trị đã đánh dấu về như xã khai")
    assert "Đã lưu kết quả xác minh" in second.inner_text(".flash")  # type: ignore[attr-defined]
    second.goto(f"{unit}/tham-dinh")  # type: ignore[attr-defined]
    declared = full_unit_values()["so_tin_bai_tuyen_truyen"]
    assert second.input_value("#i-so_tin_bai_tuyen_truyen") == declared  # type: ignore[attr-defined]
    second.goto(unit)  # type: ignore[attr-defined]
    second.click("button:has-text('Hoàn tất thẩm định')")  # type: ignore[attr-defined]
    assert second.inner_text("#trang-thai") == "Đã thẩm định"  # type: ignore[attr-defined]
    # 6. the province reopens it: a reason is required, the question says what follows
    tinh.goto(unit)  # type: ignore[attr-defined]
    tinh.click("#mo-lai button:has-text('Mở lại thẩm định')")  # type: ignore[attr-defined]
    assert "Chưa mở lại được: cần ghi lý do mở lại thẩm định." in tinh.inner_text("#loi-mo-lai")  # type: ignore[attr-defined]
    assert tinh.evaluate("document.activeElement.id") == "loi-mo-lai"  # type: ignore[attr-defined]  # type: ignore[attr-defined]
    tinh.fill("#reopen-reason", "Biên bản đối thoại ghi sai năm")  # type: ignore[attr-defined]
    tinh.click("#mo-lai button:has-text('Mở lại thẩm định')")  # type: ignore[attr-defined]
    assert DIALOGS[-1].startswith("Mở lại thẩm định ")
    assert tinh.inner_text("#trang-thai") == "Đã nộp"  # type: ignore[attr-defined]
    assert "Biên bản đối thoại ghi sai năm" in tinh.inner_text("main")  # type: ignore[attr-defined]  # timeline
    # 7. the province's list: found without diacritics, filtered, downloaded exactly as shown
    tinh.goto(f"{url}/nam/{YEAR}/tinh")  # type: ignore[attr-defined]
    tinh.click("#mo-danh-sach")  # type: ignore[attr-defined]
    tinh.fill("#q", "doi ngo")  # type: ignore[attr-defined]
    tinh.select_option("#loc-team", DISTRICT)  # type: ignore[attr-defined]
    tinh.click("#loc button:has-text('Lọc')")  # type: ignore[attr-defined]
    shown = [
        [c.strip() for c in row.split("\t")]
        for row in tinh.locator("#danh-sach tbody tr").all_inner_texts()  # type: ignore[attr-defined]
    ]
    assert [r[:4] for r in shown] == [[code, "Thị trấn Đồi Ngô", DISTRICT, "Đã nộp"]]
    with tinh.expect_download() as got:  # type: ignore[attr-defined]
        tinh.click("#tai-excel")  # type: ignore[attr-defined]
    saved = tmp_path / got.value.suggested_filename
    got.value.save_as(saved)
    assert saved.name == f"danh-sach-{YEAR}.xlsx"
    book = load_workbook(saved).active
    rows = book.iter_rows(min_row=4, values_only=True)
    written = [[str(v) if v is not None else "" for v in r] for r in rows]
    assert [r[:4] for r in written] == [r[:4] for r in shown]
    assert book["A2"].value == f"Lọc: tìm “doi ngo”; tổ thẩm định / huyện: {DISTRICT} — 1 trong 195 dòng"
    # 8. the administrator makes every commune's account at once and prints one slip per commune
    admin = new_page(browser)
    login(admin, url, "quantri", PASSWORD)
    admin.goto(f"{url}/quan-tri/tai-khoan")  # type: ignore[attr-defined]
    admin.select_option("#nam-xa", str(YEAR))  # type: ignore[attr-defined]
    # 194 argon2 hashes: a good while on a shared 2-core machine, hence the longer wait
    admin.click("#xa-hang-loat button", timeout=180_000)  # type: ignore[attr-defined]
    admin.wait_for_selector("section.slip", timeout=180_000)  # type: ignore[attr-defined]
    assert DIALOGS[-1].startswith("Tạo tài khoản cho mọi đơn vị chưa có tài khoản xã?")
    assert admin.locator("section.slip").count() == 194  # type: ignore[attr-defined]  # one had an account
    admin.emulate_media(media="print")  # type: ignore[attr-defined]
    assert admin.locator("header.top").is_hidden()  # type: ignore[attr-defined]
    first = admin.locator("section.slip").first  # type: ignore[attr-defined]
    assert first.evaluate("e => getComputedStyle(e).breakAfter") == "page"  # one slip a page
