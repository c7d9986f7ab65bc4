"""Citizens' surveys in a real browser (the portal's Chromium, a phone-sized viewport): the
commune's QR link opens the form without an account, a citizen answers and submits, a second
answer with the same contact is counted once, a closed form says so; the A4 poster and the A5 card
print on one page each (Chromium's own PDF, read by pdfinfo).

Set CQTT_SCREENSHOTS=docs to write the README's pictures of the survey form and the poster.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_helpers import browser_or_skip, chromium, login, new_page, shots_folder, start, stop
from portal_helpers import PASSWORD, ROOT, sample_for_year, set_password

from engine.clock import today
from engine.portal import accounts, dossiers, units
from engine.portal.demo import appraise_as_submitted
from engine.store.connect import open_store

PHONE = (360, 740)
# A response counts only in its own year (as with `cqtt survey tally --year`): the portal's year here
# is the current one, with the 2024 rules and sample.
THIS_YEAR = today().year


@dataclass
class Served:
    url: str
    db: str
    commune: str


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    browser_or_skip()
    folder = tmp_path_factory.mktemp("khao-sat")
    db = str(folder / "cong.sqlite")
    store = open_store(db)
    try:
        units.load(store, ROOT / "samples/units/bac-giang.csv", THIS_YEAR, "bac-giang@2024")
        done = dossiers.upload_workbook(
            store, None, "test", THIS_YEAR, None, sample_for_year(THIS_YEAR, folder), "minh-chung.xlsx"
        )
        appraise_as_submitted(store, THIS_YEAR, done.submitted)
        commune = done.submitted[0]
        for name, role, unit in (("phuctra", "tinh", None), (f"xa{commune}", "xa", commune)):
            accounts.add(store, name, role, unit, None, "Tài khoản thử")
            set_password(store, name)
    finally:
        store.close()
    process, url = start(db, folder / "du-lieu")
    try:
        yield Served(url, db, commune)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[object]:
    with chromium() as launched:
        yield launched


def _pages_of(pdf: bytes, tmp_path: Path, name: str) -> int:
    pdfinfo = shutil.which("pdfinfo")
    if pdfinfo is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have pdfinfo: .ci/run installs poppler-utils")
        pytest.skip("pdfinfo is not installed (apt-get install poppler-utils)")
    path = tmp_path / name
    path.write_bytes(pdf)
    info = subprocess.run([pdfinfo, str(path)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]


def _answer(page: object, levels: list[int], contact: str = "") -> None:
    for index, level in enumerate(levels):
        page.locator("fieldset.question").nth(index).locator("label.choice").nth(level - 1).click()  # type: ignore[attr-defined]
    page.fill("#lien_he", contact)  # type: ignore[attr-defined]
    page.click("button:has-text('Gửi phiếu')")  # type: ignore[attr-defined]


def test_a_citizen_answers_on_a_phone_and_the_tally_counts_once(
    served: Served, browser: object, tmp_path: Path
) -> None:
    shots = shots_folder()
    url, code = served.url, served.commune
    # the province opens PKS04 until the end of the month
    tinh = new_page(browser)
    login(tinh, url, "phuctra", PASSWORD)
    tinh.goto(f"{url}/nam/{THIS_YEAR}/khao-sat")  # type: ignore[attr-defined]
    row = tinh.locator("#mp-pks04")  # type: ignore[attr-defined]
    row.locator("input[name='closes_on']").fill(f"31/01/{THIS_YEAR + 1}")
    row.locator("button:has-text('Mở nhận phiếu')").click()
    assert f"chỉ nhận ý kiến trong năm {THIS_YEAR}" in tinh.inner_text(".flash")  # type: ignore[attr-defined]
    closes = min(today() + dt.timedelta(days=30), dt.date(THIS_YEAR, 12, 31)).strftime("%d/%m/%Y")
    tinh.locator("#mp-pks04 input[name='closes_on']").fill(closes)  # type: ignore[attr-defined]
    tinh.locator("#mp-pks04 button:has-text('Mở nhận phiếu')").click()  # type: ignore[attr-defined]
    assert "Đang nhận phiếu" in tinh.inner_text("#mp-pks04")  # type: ignore[attr-defined]

    # the commune finds its link and prints its poster and card
    xa = new_page(browser)
    login(xa, url, f"xa{code}", PASSWORD)
    xa.goto(f"{url}/nam/{THIS_YEAR}/don-vi/{code}/khao-sat")  # type: ignore[attr-defined]
    link = re.search(r"http://127\.0\.0\.1:\d+/ks/\S+", xa.inner_text("#ks-pks04")).group(0)  # type: ignore[union-attr, attr-defined]
    for kind, size in (("to-roi", "A4"), ("the", "A5")):
        xa.goto(f"{url}/nam/{THIS_YEAR}/don-vi/{code}/khao-sat/pks04/{kind}")  # type: ignore[attr-defined]
        assert link in xa.inner_text(".link")  # type: ignore[attr-defined]
        assert xa.evaluate("document.querySelector('img.qr').naturalWidth") > 0  # type: ignore[attr-defined]
        pdf = xa.pdf(prefer_css_page_size=True, print_background=True)  # type: ignore[attr-defined]
        assert _pages_of(pdf, tmp_path, f"{kind}.pdf") == 1, f"the {size} {kind} takes more than one page"
        if shots and kind == "to-roi":
            xa.screenshot(path=str(shots / "khao-sat-to-roi.png"), full_page=True)  # type: ignore[attr-defined]

    # a citizen scans it: no account, a phone's width
    phone = new_page(browser, *PHONE)
    phone.goto(link)  # type: ignore[attr-defined]
    assert "PKS04" in phone.inner_text("h1")  # type: ignore[attr-defined]
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE[0]  # type: ignore[attr-defined]
    for box in phone.locator("label.choice").all():  # type: ignore[attr-defined]
        assert box.bounding_box()["height"] >= 44  # a finger's target
    phone.click("button:has-text('Gửi phiếu')")  # type: ignore[attr-defined]
    assert "Phiếu còn 3 chỗ cần sửa" in phone.inner_text(".error-summary")  # type: ignore[attr-defined]
    if shots:
        phone.goto(link)  # type: ignore[attr-defined]
        phone.screenshot(path=str(shots / "khao-sat-dien-thoai.png"), full_page=True)  # type: ignore[attr-defined]
    _answer(phone, [3, 3, 3], "0912 345 678")
    assert "Cảm ơn bạn đã gửi ý kiến" in phone.inner_text("h1")  # type: ignore[attr-defined]
    assert phone.context.cookies() == []  # type: ignore[attr-defined]
    # the same person again (another way of writing the number): kept, counted once
    again = new_page(browser, *PHONE)
    again.goto(link)  # type: ignore[attr-defined]
    _answer(again, [1, 1, 1], "+84 912 345 678")
    assert "Cảm ơn bạn đã gửi ý kiến" in again.inner_text("h1")  # type: ignore[attr-defined]
    other = new_page(browser, *PHONE)
    other.goto(link)  # type: ignore[attr-defined]
    _answer(other, [2, 3, 2])
    xa.goto(f"{url}/nam/{THIS_YEAR}/don-vi/{code}/khao-sat")  # type: ignore[attr-defined]
    row_text = xa.inner_text("#ks-pks04")  # type: ignore[attr-defined]
    assert "1/2" in row_text and "50,0%" in row_text  # 3 kept, 2 counted, 1 satisfied
    assert "trùng số điện thoại hoặc email" in row_text

    # the province ends the collection: the link says so, and the scores take the tally
    tinh.goto(f"{url}/nam/{THIS_YEAR}/khao-sat")  # type: ignore[attr-defined]
    tinh.locator("#mp-pks04 button:has-text('Kết thúc nhận phiếu ngay')").click()  # type: ignore[attr-defined]
    assert "Đã kết thúc nhận phiếu PKS04" in tinh.inner_text(".flash")  # type: ignore[attr-defined]
    closed = new_page(browser, *PHONE)
    closed.goto(link)  # type: ignore[attr-defined]
    assert "đã kết thúc nhận ý kiến ngày" in closed.inner_text("#thong-bao")  # type: ignore[attr-defined]
    assert closed.locator("button:has-text('Gửi phiếu')").count() == 0  # type: ignore[attr-defined]
    store = open_store(served.db)
    try:
        current = dossiers.current(store, dossiers.dossier(store, THIS_YEAR, code))
        assert current is not None and current.data["ks_pks04"] == "1/2"
    finally:
        store.close()
