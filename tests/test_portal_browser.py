"""The portal in a real browser: Chromium from the distribution, driven by Playwright, against
`cqtt web` served by waitress on 127.0.0.1 (a free port), stopped by its process id at the end.

The whole flow of a year: a commune signs in with its one-time password, fills its form as people
type in Excel, attaches a PDF and submits; the district asks for more on one criterion; the
commune answers and resubmits; the district corrects one value with a reason and finalises; the
province's dashboard counts it; the district's workbook equals `cqtt score` on the same evidence.

Set CQTT_SCREENSHOTS=docs to write the README's pictures. Without Chromium the tests skip, unless
CQTT_REQUIRE_BROWSER is set (CI sets it after installing Chromium).
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_helpers import (
    DIALOGS,
    PDF,
    Served,
    browser_or_skip,
    chromium,
    drain,
    fill,
    login,
    new_page,
    shots_folder,
    start,
    stop,
)
from click.testing import CliRunner
from portal_helpers import DISTRICT, PASSWORD, ROOT, YEAR, full_unit_values, set_password

from cli import main
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
    _, one_time = accounts.add(store, f"xa{commune}", "xa", commune, None, "Cán bộ văn phòng xã")
    for name, role, district in (("lucnam", "huyen", DISTRICT), ("phuctra", "tinh", None)):
        accounts.add(store, name, role, None, district, "Tài khoản thử")
        set_password(store, name)
    store.close()
    process, url = start(db, folder / "du-lieu")
    try:
        yield Served(url, db, process, commune, one_time)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[object]:
    with chromium() as launched:
        yield launched


def test_a_year_from_the_communes_form_to_the_provinces_dashboard(
    served: Served, browser: object, tmp_path: Path
) -> None:
    shots = shots_folder()
    url, code = served.url, served.commune
    # 1. the commune signs in with its one-time password, which it must change first
    xa = new_page(browser)
    login(xa, url, f"xa{code}", served.one_time)
    assert xa.url.endswith("/doi-mat-khau")  # type: ignore[attr-defined]
    xa.fill("#current", served.one_time)  # type: ignore[attr-defined]
    xa.fill("#new", "mat-khau-cua-xa-2024")  # type: ignore[attr-defined]
    xa.fill("#repeated", "mat-khau-cua-xa-2024")  # type: ignore[attr-defined]
    xa.click("button:has-text('Đổi mật khẩu')")  # type: ignore[attr-defined]
    assert "Đã đổi mật khẩu" in xa.inner_text("h1")  # type: ignore[attr-defined]
    xa.click("text=Tiếp tục")  # type: ignore[attr-defined]
    assert xa.inner_text("#trang-thai") == "Chưa nộp"  # type: ignore[attr-defined]
    # 2. it fills its form with Vietnamese habits, saves, attaches a PDF and submits
    xa.click("text=Soạn hồ sơ")  # type: ignore[attr-defined]
    values = {**full_unit_values(), "ty_le_cong_khai_dung_han": "99,3%", "ty_le_ho_so_dung_han": "0,99",
              "dien_tich_mot_cua": "1.234,5", "ty_le_nop_truc_tuyen": "85 %"}  # fmt: skip
    values["ty_le_don_thu_dung_han"] = "1"  # "1% or 100%?": refused beside the field
    fill(xa, values)
    xa.click("button:has-text('Kiểm tra trước khi nộp')")  # type: ignore[attr-defined]
    summary = xa.inner_text(".error-summary")  # type: ignore[attr-defined]
    assert "Có 1 ô cần sửa" in summary and "không rõ là 1% hay 100%" in summary
    assert "không rõ là 1% hay 100%" in xa.inner_text("#f-ty_le_don_thu_dung_han")  # type: ignore[attr-defined]
    fill(xa, {"ty_le_don_thu_dung_han": "100%"})
    xa.click("button:has-text('Lưu bản nháp')")  # type: ignore[attr-defined]
    assert "Đã lưu bản nháp." in xa.inner_text(".flash")  # type: ignore[attr-defined]
    document = tmp_path / "to-trinh.pdf"
    document.write_bytes(PDF)
    fill(xa, {"so_tin_bai_tuyen_truyen": "33"})  # typed, not saved: the upload keeps it
    xa.select_option("#slot", label="Tờ trình của UBND xã")  # type: ignore[attr-defined]
    xa.set_input_files("#file", str(document))  # type: ignore[attr-defined]
    xa.click("button:has-text('Tải lên')")  # type: ignore[attr-defined]
    assert "Đã đính kèm “to-trinh.pdf”" in xa.inner_text(".flash")  # type: ignore[attr-defined]
    assert xa.input_value("#i-so_tin_bai_tuyen_truyen") == "33"  # type: ignore[attr-defined]
    assert "to-trinh.pdf" in xa.inner_text("#tep-dinh-kem")  # type: ignore[attr-defined]
    if shots:
        tablet = new_page(browser, 820, 1180)
        login(tablet, url, f"xa{code}", "mat-khau-cua-xa-2024")
        tablet.goto(f"{url}/nam/{YEAR}/don-vi/{code}/ho-so")  # type: ignore[attr-defined]
        tablet.screenshot(path=str(shots / "cong-bieu-mau.png"))  # type: ignore[attr-defined]
    xa.click("button:has-text('Kiểm tra trước khi nộp')")  # type: ignore[attr-defined]
    assert "Kiểm tra trước khi nộp" in xa.inner_text("h1")  # type: ignore[attr-defined]
    notes = xa.inner_text("#can-luu-y")  # type: ignore[attr-defined]
    assert "Chưa đính kèm tệp cho 4 văn bản đã khai" in notes
    xa.check("#seen")  # type: ignore[attr-defined]
    xa.click("#nop button:has-text('Nộp hồ sơ')")  # type: ignore[attr-defined]
    assert "Đã nộp hồ sơ năm 2024" in xa.inner_text("h1")  # type: ignore[attr-defined]
    # 3. the district asks for more on one criterion
    huyen = new_page(browser)
    login(huyen, url, "lucnam", PASSWORD)
    assert "Huyện Lục Nam — năm 2024" in huyen.inner_text("h1")  # type: ignore[attr-defined]
    huyen.click(f"a[href='/nam/{YEAR}/don-vi/{code}']")  # type: ignore[attr-defined]
    huyen.check("input[value='tuyen_truyen']")  # type: ignore[attr-defined]
    huyen.fill("#comment", "Gửi danh sách tin, bài tuyên truyền kèm ngày đăng")  # type: ignore[attr-defined]
    huyen.click("button:has-text('Gửi yêu cầu bổ sung')")  # type: ignore[attr-defined]
    assert huyen.inner_text("#trang-thai") == "Cần bổ sung"  # type: ignore[attr-defined]
    # 4. the commune answers and resubmits
    xa.goto(f"{url}/nam/{YEAR}/don-vi/{code}")  # type: ignore[attr-defined]
    assert "Gửi danh sách tin, bài tuyên truyền kèm ngày đăng" in xa.inner_text("#yeu-cau")  # type: ignore[attr-defined]
    xa.click("text=Bổ sung hồ sơ")  # type: ignore[attr-defined]
    fill(xa, {"so_tin_bai_tuyen_truyen": "36"})
    xa.click("button:has-text('Kiểm tra trước khi nộp lại')")  # type: ignore[attr-defined]
    xa.check("#seen")  # type: ignore[attr-defined]
    xa.click("#nop button:has-text('Nộp lại hồ sơ')")  # type: ignore[attr-defined]
    assert "Đã nộp lại" in xa.inner_text("main")  # type: ignore[attr-defined]
    # 5. the district corrects one value (a reason is required) and finalises
    huyen.goto(f"{url}/nam/{YEAR}/don-vi/{code}/tham-dinh")  # type: ignore[attr-defined]
    huyen.fill("#i-ty_le_cong_khai_dung_han", "90%")  # type: ignore[attr-defined]
    huyen.click("button:has-text('Lưu kết quả xác minh')")  # type: ignore[attr-defined]
    assert "Ghi lý do sửa giá trị này" in huyen.inner_text("#f-ty_le_cong_khai_dung_han")  # type: ignore[attr-defined]
    huyen.fill("input[name='ly_do__ty_le_cong_khai_dung_han']", "Biên bản niêm yết chỉ có 9/10 nội dung")  # type: ignore[attr-defined]
    huyen.click("button:has-text('Lưu kết quả xác minh')")  # type: ignore[attr-defined]
    huyen.click("button:has-text('Hoàn tất thẩm định')")  # type: ignore[attr-defined]
    assert DIALOGS[-1].startswith("Hoàn tất thẩm định ")  # asked, and what follows said
    assert huyen.inner_text("#trang-thai") == "Đã thẩm định"  # type: ignore[attr-defined]
    assert huyen.inner_text("#tong-diem") == "97,5"  # type: ignore[attr-defined]
    # the commune now sees every point, the correction and its reason
    xa.goto(f"{url}/nam/{YEAR}/don-vi/{code}")  # type: ignore[attr-defined]
    row = xa.inner_text("#tc-cong_khai_dung_han")  # type: ignore[attr-defined]
    assert "99,3%" in row and "90%" in row and "sửa vì: Biên bản niêm yết chỉ có 9/10 nội dung" in row
    assert "4,83" in row and "2,5" in row  # declared 4,825 → 4,83; verified 2,5
    if shots:
        xa.screenshot(path=str(shots / "cong-ho-so-xa.png"), full_page=False)  # type: ignore[attr-defined]
    # 6. the province's dashboard counts it over the whole list
    tinh = new_page(browser)
    login(tinh, url, "phuctra", PASSWORD)
    assert "1 trong 195 đơn vị của danh sách tỉnh" in tinh.inner_text("#ty-le")  # type: ignore[attr-defined]
    lucnam = tinh.locator("#bang-tong-hop tr", has_text="Huyện Lục Nam").inner_text()  # type: ignore[attr-defined]
    assert re.split(r"\s+", lucnam.strip())[3:] == [
        "24",
        "1",
        "23",
        "1",
        "0",
        "1",
        "1",
        "0",
        "4,2%",
        "0",
        "/",
        "0",
    ]
    if shots:
        tinh.screenshot(path=str(shots / "cong-tong-hop.png"), full_page=False)  # type: ignore[attr-defined]
    # 7. the district's workbook equals cqtt score on the same evidence
    huyen.goto(f"{url}/nam/{YEAR}/huyen/{DISTRICT}")  # type: ignore[attr-defined]
    with huyen.expect_download() as got:  # type: ignore[attr-defined]
        huyen.click("text=Sổ kết quả xếp hạng (.xlsx)")  # type: ignore[attr-defined]
    portal_book = tmp_path / "cong.xlsx"
    got.value.save_as(portal_book)
    with huyen.expect_download() as got:  # type: ignore[attr-defined]
        huyen.click("text=Minh chứng đã chấm (mẫu Excel đã điền)")  # type: ignore[attr-defined]
    evidence = tmp_path / "minh-chung.xlsx"
    got.value.save_as(evidence)
    out = tmp_path / "ket-qua.xlsx"
    # the population is the district's units in the year's list (the sample list, named as the
    # portal names it, so that the units that have not applied read the same)
    listed = tmp_path / "đơn vị năm 2024"
    rows = (ROOT / "samples/units/bac-giang.csv").read_text("utf-8").splitlines()
    listed.write_text(
        "\n".join([rows[0], *(r for r in rows[1:] if r.endswith("," + DISTRICT))]) + "\n", "utf-8"
    )
    scored = CliRunner().invoke(
        main, ["score", str(evidence), "--criteria", "bac-giang@2024", "-o", str(out), "--units", str(listed)]
    )
    assert scored.exit_code == 0, scored.output
    from test_portal import same_results

    same_results(portal_book.read_bytes(), out.read_bytes())


def test_a_200_mb_upload_is_refused_before_it_is_read(served: Served) -> None:
    """The server answers 413 to the headers alone: nothing near 200 MB is read or kept."""
    host, port = served.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(
            f"POST /nam/{YEAR}/don-vi/{served.commune}/tep HTTP/1.1\r\nHost: {host}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {200 * 1024 * 1024}\r\n\r\n".encode()
            + b"--x\r\n" * 100
        )
        answer = conn.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413")


def test_the_demo_serves_in_one_command(browser: object) -> None:
    """`cqtt web --demo`: a throwaway portal with the sample province and one account per role."""
    cqtt = Path(sys.executable).with_name("cqtt")
    process = subprocess.Popen(
        [str(cqtt), "web", "--demo", "--port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stderr is not None and process.stdout is not None
        deadline, url = time.monotonic() + 120, None
        while time.monotonic() < deadline and url is None:
            line = process.stderr.readline()
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            url = found.group(1) if found else None
            assert line or process.poll() is None
        printed = []
        while len(printed) < 6:
            printed.append(process.stdout.readline())
        logins = dict(re.findall(r"\s(\S+)\s+mật khẩu: (\S+)", "".join(printed)))
        drain(process)
        assert set(logins) == {"quantri", "phuctra", "chinhsach", "lucnam", "xa07444"}
        page = new_page(browser)
        login(page, url, "phuctra", logins["phuctra"])
        assert "Tổng hợp toàn tỉnh — năm 2025" in page.inner_text("h1")  # type: ignore[attr-defined]
        assert "Cổng thử nghiệm với dữ liệu mẫu giả định" in page.inner_text("body")  # type: ignore[attr-defined]
        bar = page.inner_text("#cac-nam")  # type: ignore[attr-defined]
        assert "2024" in bar and "2023" in bar  # both years of the demo, before and after the merger
        assert "Tổ thẩm định số 1 — cụm Phường Bắc Giang" in page.inner_text("main")  # type: ignore[attr-defined]
        page.goto(f"{url}/nam/2025/don-vi/07210")  # type: ignore[attr-defined]
        assert "Phường Bắc Giang" in page.inner_text("h1")  # type: ignore[attr-defined]
        past = page.inner_text("#lich-su")  # type: ignore[attr-defined]  # the old wards it was formed from
        assert "Hình thành từ: 07201 Phường Thọ Xương (từ 01/07/2025); 07207 Phường Ngô Quyền" in past
        assert re.search(r"2023\s+07207 Phường Ngô Quyền\s+89,8\s+Đủ điều kiện", past), past
        team = new_page(browser)
        login(team, url, "lucnam", logins["lucnam"])
        assert "/nam/2024/huyen/" in team.url  # type: ignore[attr-defined]  # 2024's appraisals wait
        team.click("#cac-nam >> text=2025")  # type: ignore[attr-defined]
        assert "Tổ thẩm định số 1 — cụm Phường Bắc Giang — năm 2025" in team.inner_text("h1")  # type: ignore[attr-defined]
    finally:
        stop(process)
