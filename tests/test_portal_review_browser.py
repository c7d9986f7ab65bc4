"""The province's review in a real browser (the same Chromium and server as the portal's tests):
the province draws the field-check sample and assigns a checker; the checker, on a tablet, enters
a value that triggers a disqualifier; the re-check lists that unit first; a decision that
contradicts the result is refused without a reason and flagged with one; a commune appeals in
time (another one, too late, is refused with the deadline); the province accepts, re-scores on a
new version of the evidence and decides again; the unit's timeline and `cqtt history` show the
whole chain.

Set CQTT_SCREENSHOTS=docs to write the README's pictures of the review.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_helpers import (
    PDF,
    browser_or_skip,
    chromium,
    login,
    new_page,
    shots_folder,
    start,
    stop,
)
from click.testing import CliRunner
from portal_helpers import APPEAL_STEPS, PASSWORD, ROOT, YEAR, full_unit_values, in_order, set_password

from cli import main
from engine.clock import today
from engine.portal import accounts, dossiers, units
from engine.portal.demo import appraise_as_submitted
from engine.store.connect import open_store

REASON = "Đối chiếu lại hồ sơ gốc theo kiến nghị của xã"


@dataclass
class Year:
    url: str
    db: str
    appealing: str  # a commune not eligible by its result: refused, appeals in time
    late: str  # another: refused long ago, appeals too late
    names: dict[str, str]


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    """The 2024 sample submitted and appraised as it stands; two province accounts (one checks on
    site), and the accounts of two communes that were not eligible."""
    browser_or_skip()
    folder = tmp_path_factory.mktemp("phuc-tra")
    db = str(folder / "cong.sqlite")
    store = open_store(db)
    try:
        units.load(store, ROOT / "samples/units/bac-giang.csv", YEAR, "bac-giang@2024")
        done = dossiers.upload_workbook(
            store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
        )
        appraise_as_submitted(store, YEAR, done.submitted)
        refused = []
        for code in done.submitted:
            score = dossiers.current(store, dossiers.dossier(store, YEAR, code)).score
            if score.proposed and not score.recognised:
                refused.append(code)
        appealing, late = refused[0], refused[1]
        for name, role, unit in (
            ("phuctra", "tinh", None),
            ("kiemtra", "tinh", None),
            (f"xa{appealing}", "xa", appealing),
            (f"xa{late}", "xa", late),
        ):
            accounts.add(store, name, role, unit, None, "Tài khoản thử")
            set_password(store, name)
        names = {u.code: u.name for u in units.all_units(store, YEAR)}
    finally:
        store.close()
    process, url = start(db, folder / "du-lieu")
    try:
        yield Year(url, db, appealing, late, names)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser(year: Year) -> Iterator[object]:
    with chromium() as launched:
        yield launched


def _flash(page: object) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())  # type: ignore[attr-defined]


def _set(row: object, key: str, value: str) -> None:
    """Enter a value found on site as a checker does: ticked boxes, a choice, or typed text."""
    boxes = row.locator("input[type=checkbox]")  # type: ignore[attr-defined]
    if boxes.count():
        wanted = {x.strip() for x in value.split(";")}
        for label in row.locator(".checks label").all():  # type: ignore[attr-defined]
            box = label.locator("input")
            if (
                label.inner_text().strip() in wanted or box.get_attribute("value") in wanted
            ) != box.is_checked():
                box.click()
    elif row.locator("select").count():  # type: ignore[attr-defined]
        row.locator("select").select_option(label=value)  # type: ignore[attr-defined]
    else:
        row.locator(f"#i-{key}").fill(value)  # type: ignore[attr-defined]


def _decide(page: object, decision: str, number: str, day: str, reason: str = "") -> None:
    page.select_option("#decision", label=decision)  # type: ignore[attr-defined]
    page.fill("#number", number)  # type: ignore[attr-defined]
    page.fill("#date", day)  # type: ignore[attr-defined]
    page.fill("#reason", reason)  # type: ignore[attr-defined]
    page.click("button:has-text('Ghi quyết định')")  # type: ignore[attr-defined]


def test_the_province_reviews_decides_and_hears_an_appeal(
    year: Year, browser: object, tmp_path: Path
) -> None:
    shots = shots_folder()
    url, day = year.url, today().strftime("%d/%m/%Y")
    # 1. the province draws the sample and assigns a checker
    tinh = new_page(browser)
    login(tinh, url, "phuctra", PASSWORD)
    tinh.click("nav >> text=Phúc tra")  # type: ignore[attr-defined]
    tinh.fill("#n", "6")  # type: ignore[attr-defined]
    tinh.fill("#seed", "2024")  # type: ignore[attr-defined]
    tinh.click("button:has-text('Chọn mẫu theo trọng số rủi ro')")  # type: ignore[attr-defined]
    assert "Đã chọn 6 đơn vị để kiểm tra thực địa (hạt giống 2024)." in _flash(tinh)
    rows = tinh.locator("#mau tbody tr")  # type: ignore[attr-defined]
    assert rows.count() == 6
    checked = re.match(r"(\d{5}) ", rows.nth(0).locator("td").nth(0).inner_text()).group(1)  # type: ignore[union-attr]
    rows.nth(0).locator("select").select_option("kiemtra")
    rows.nth(0).locator("button:has-text('Phân công')").click()
    assert f"Đã phân công kiểm tra {checked}." in _flash(tinh)
    assert "đã giao: kiemtra" in tinh.locator("#mau tbody tr").nth(0).inner_text()  # type: ignore[attr-defined]
    assert "lần đầu được đề nghị" in tinh.inner_text("#mau")  # type: ignore[attr-defined]

    # 2. the checker, on a tablet, finds a disqualifier and attaches the record of the visit
    tablet = new_page(browser, 820, 1180)
    login(tablet, url, "kiemtra", PASSWORD)
    tablet.goto(f"{url}/nam/{YEAR}/phuc-tra")  # type: ignore[attr-defined]
    tablet.locator("#mau tbody tr", has_text=checked).locator("text=Kiểm tra thực địa").click()  # type: ignore[attr-defined]
    _set(tablet.locator("#f-vu_viec_sach_nhieu"), "vu_viec_sach_nhieu", "Có")  # type: ignore[attr-defined]
    tablet.click("button:has-text('Lưu kết quả kiểm tra thực địa')")  # type: ignore[attr-defined]
    assert "Ghi lý do (điều thấy tại xã)" in tablet.inner_text("#f-vu_viec_sach_nhieu")  # type: ignore[attr-defined]
    tablet.fill(
        "input[name='ly_do__vu_viec_sach_nhieu']", "Biên bản tiếp công dân ghi nhận vụ việc đã xác minh"
    )  # type: ignore[attr-defined]
    if shots:
        tablet.screenshot(path=str(shots / "cong-kiem-tra-thuc-dia.png"))  # type: ignore[attr-defined]
    tablet.click("button:has-text('Lưu kết quả kiểm tra thực địa')")  # type: ignore[attr-defined]
    assert "Đã lưu kết quả kiểm tra thực địa" in _flash(tablet)
    assert "Điểm liệt: Có vụ việc cán bộ, công chức gây phiền hà" in tablet.inner_text(".blocking")  # type: ignore[attr-defined]
    assert "Quyết định dựa trên điểm phúc tra" in tablet.inner_text("#diem-to-tinh")  # type: ignore[attr-defined]
    record = tmp_path / "bien-ban-kiem-tra.pdf"
    record.write_bytes(PDF)
    tablet.select_option("#slot", label="Ảnh, biên bản kiểm tra thực địa")  # type: ignore[attr-defined]
    tablet.set_input_files("#file", str(record))  # type: ignore[attr-defined]
    tablet.click("button:has-text('Tải lên')")  # type: ignore[attr-defined]
    assert "Đã đính kèm “bien-ban-kiem-tra.pdf”" in _flash(tablet)

    # 3. the re-check lists that unit first
    tinh.goto(f"{url}/nam/{YEAR}/phuc-tra")  # type: ignore[attr-defined]
    first = tinh.locator("#bang-phuc-tra tbody tr").nth(0).inner_text()  # type: ignore[attr-defined]
    assert checked in first and "Đủ điều kiện → Chưa đạt" in first and "điểm liệt" in first
    assert "1 đơn vị đổi kết quả công nhận" in tinh.inner_text("#phuc-tra")  # type: ignore[attr-defined]
    if shots:
        tinh.screenshot(path=str(shots / "cong-phuc-tra.png"))  # type: ignore[attr-defined]

    # 4. a decision against the result: refused without a reason, flagged with one
    tinh.goto(f"{url}/nam/{YEAR}/don-vi/{checked}")  # type: ignore[attr-defined]
    _decide(tinh, "Công nhận", "125/QĐ-UBND", day)
    refused = tinh.inner_text("#form-quyet-dinh #loi-quyet-dinh")  # type: ignore[attr-defined]  # in the form
    assert "cần ghi lý do" in refused and "công nhận dù phát hiện điểm liệt khi kiểm tra thực địa" in refused
    assert tinh.input_value("#number") == "125/QĐ-UBND"  # type: ignore[attr-defined]  # what was typed, kept
    assert "Chưa có quyết định." in tinh.inner_text("#quyet-dinh")  # type: ignore[attr-defined]
    _decide(
        tinh,
        "Công nhận",
        "125/QĐ-UBND",
        day,
        "Vụ việc đã được xử lý kỷ luật, Ban Chỉ đạo đề nghị giữ công nhận",
    )
    assert "gắn cảnh báo: trái với kết quả chấm" in _flash(tinh)
    assert "CẢNH BÁO: trái với kết quả chấm" in tinh.inner_text("#bang-quyet-dinh")  # type: ignore[attr-defined]
    tinh.click("nav >> text=Tổng hợp toàn tỉnh")  # type: ignore[attr-defined]
    assert checked in tinh.inner_text("#phuc-tra")  # type: ignore[attr-defined]
    assert "1 quyết định trái với kết quả chấm" in tinh.inner_text("#quyet-dinh-trai")  # type: ignore[attr-defined]

    # 5. a commune refused today appeals in time; one refused in 2024 is too late
    for code, number, when in ((year.appealing, "126/QĐ-UBND", day), (year.late, "90/QĐ-UBND", "01/12/2024")):
        tinh.goto(f"{url}/nam/{YEAR}/don-vi/{code}")  # type: ignore[attr-defined]
        _decide(tinh, "Không công nhận", number, when)
        assert "Đã ghi quyết định." in _flash(tinh)
    xa = new_page(browser)
    login(xa, url, f"xa{year.appealing}", PASSWORD)
    xa.goto(f"{url}/nam/{YEAR}/don-vi/{year.appealing}")  # type: ignore[attr-defined]
    deadline = today() + dt.timedelta(days=15)
    assert xa.inner_text("#han-kien-nghi") == deadline.strftime("%d/%m/%Y")  # type: ignore[attr-defined]
    xa.fill("#grounds", "Tỷ lệ hài lòng tính thiếu 40 phiếu khảo sát của thôn Đồng; đề nghị tỉnh xem lại")  # type: ignore[attr-defined]
    xa.click("button:has-text('Gửi kiến nghị')")  # type: ignore[attr-defined]
    assert "Đã gửi kiến nghị" in _flash(xa)
    assert "Đang xem xét" in xa.inner_text("#kien-nghi")  # type: ignore[attr-defined]
    late = new_page(browser)
    login(late, url, f"xa{year.late}", PASSWORD)
    late.goto(f"{url}/nam/{YEAR}/don-vi/{year.late}")  # type: ignore[attr-defined]
    assert (
        "Đã hết thời hạn kiến nghị: hạn cuối 16/12/2024 (quyết định số 90/QĐ-UBND ngày 01/12/2024)."
        in late.inner_text("#het-han")  # type: ignore[attr-defined]
    )
    assert late.locator("#grounds").count() == 0  # type: ignore[attr-defined]

    # 6. the province accepts, re-scores on a new version of the evidence, and decides again
    tinh.click("nav >> text=Tổng hợp toàn tỉnh")  # type: ignore[attr-defined]
    assert year.appealing in tinh.inner_text("#kien-nghi-mo")  # type: ignore[attr-defined]
    tinh.click(f"#kien-nghi-mo >> text={year.appealing}")  # type: ignore[attr-defined]
    tinh.fill("#kien-nghi textarea[name='answer']", "Đã đối chiếu phiếu khảo sát: chấp nhận, chấm lại")  # type: ignore[attr-defined]
    tinh.click("button:has-text('Chấp nhận kiến nghị')")  # type: ignore[attr-defined]
    assert "Đã chấp nhận kiến nghị" in _flash(tinh)
    tinh.click("text=Kiểm tra thực địa, ghi giá trị thấy tại xã")  # type: ignore[attr-defined]
    for key, value in full_unit_values().items():
        row = tinh.locator(f"#f-{key}")  # type: ignore[attr-defined]
        _set(row, key, value)
        row.locator(f"input[name='ly_do__{key}']").fill(REASON)
    tinh.click("button:has-text('Lưu kết quả kiểm tra thực địa')")  # type: ignore[attr-defined]
    assert "Đã lưu kết quả kiểm tra thực địa" in _flash(tinh)
    assert "Đủ điều kiện công nhận" in tinh.inner_text(".total")  # type: ignore[attr-defined]
    _decide(tinh, "Công nhận", "127/QĐ-UBND", day)
    assert "Đã ghi quyết định." in _flash(tinh)
    decisions = tinh.inner_text("#bang-quyet-dinh")  # type: ignore[attr-defined]
    assert decisions.index("126/QĐ-UBND") < decisions.index("127/QĐ-UBND")
    assert "thay quyết định 126/QĐ-UBND" in decisions and "phúc tra của tỉnh" in decisions
    assert "Quyết định mới: Công nhận số 127/QĐ-UBND" in tinh.inner_text("#kien-nghi")  # type: ignore[attr-defined]
    assert "Chấp nhận" in tinh.inner_text("#kien-nghi")  # type: ignore[attr-defined]
    if shots:
        tinh.evaluate("document.getElementById('quyet-dinh').scrollIntoView()")  # type: ignore[attr-defined]
        tinh.screenshot(path=str(shots / "cong-quyet-dinh.png"))  # type: ignore[attr-defined]

    # 7. the commune's timeline and the history show the whole chain
    xa.reload()  # type: ignore[attr-defined]
    timeline = xa.inner_text(".timeline")  # type: ignore[attr-defined]
    assert in_order(timeline, APPEAL_STEPS)
    shown = CliRunner().invoke(main, ["history", year.appealing, "--db", year.db])
    assert shown.exit_code == 0, shown.output
    out = shown.output
    chain = [
        "quyết định trước: Không công nhận (số 126/QĐ-UBND",
        "kiến nghị của xã ngày",
        "tỉnh chấp nhận — Đã đối chiếu phiếu khảo sát: chấp nhận, chấm lại",
        "quyết định: Công nhận (số 127/QĐ-UBND",
        "theo điểm phúc tra của tỉnh",
        "thay quyết định trước",
    ]
    positions = [out.index(s) for s in chain]
    assert positions == sorted(positions)
    flagged = CliRunner().invoke(main, ["history", checked, "--db", year.db]).output
    assert "phúc tra của tỉnh sau kiểm tra thực địa" in flagged and "có điểm liệt" in flagged
    assert "CẢNH BÁO: quyết định công nhận dù phát hiện điểm liệt" in flagged
