"""The turn of a year in a real browser (the same Chromium and server as the portal's tests): the
administrator loads next year's unit list while this year's appeals are open; a refused commune
still lands on its decision and files its appeal; the team still has this year's list; an upload
whose rows say this year, sent on next year's page, is refused naming the rows; a policy officer
tries a draft on the year they choose and reads the eligible share against the target."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from browser_helpers import browser_or_skip, chromium, login, new_page, start, stop
from portal_helpers import DISTRICT, PASSWORD, ROOT, YEAR, set_password

from engine.clock import today
from engine.portal import accounts, dossiers, review, units
from engine.portal.demo import appraise_as_submitted
from engine.portal.overview import rows as unit_rows
from engine.store.connect import open_store

NEXT = YEAR + 1


@dataclass
class Turn:
    url: str
    refused: str  # a commune of DISTRICT refused today: its appeal window is open
    folder: Path


@pytest.fixture(scope="module")
def turn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Turn]:
    browser_or_skip()
    folder = tmp_path_factory.mktemp("sang-nam")
    db = str(folder / "cong.sqlite")
    store = open_store(db)
    try:
        units.load(store, ROOT / "samples/units/bac-giang.csv", YEAR, "bac-giang@2024")
        done = dossiers.upload_workbook(
            store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
        )
        appraise_as_submitted(store, YEAR, done.submitted)
        refused = next(u.code for u in units.of_district(store, YEAR, DISTRICT) if u.code in done.submitted)
        for name, role, unit, district in (
            ("quantri", "quan-tri", None, None),
            ("phuctra", "tinh", None, None),
            ("chinhsach", "chinh-sach", None, None),
            ("lucnam", "huyen", None, DISTRICT),
            (f"xa{refused}", "xa", refused, None),
        ):
            accounts.add(store, name, role, unit, district, "Tài khoản thử")
            set_password(store, name)
        tinh = accounts.find(store, "phuctra")
        review.decide(
            store, tinh, "test", YEAR, refused, "not_recognised", "7/QĐ-UBND", today(), "Thiếu biên bản"
        )
    finally:
        store.close()
    process, url = start(db, folder / "du-lieu")
    try:
        yield Turn(url, refused, folder)
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser(turn: Turn) -> Iterator[object]:
    with chromium() as launched:
        yield launched


def _flash(page: object) -> str:
    return " ".join(page.locator(".flash").all_inner_texts())  # type: ignore[attr-defined]


def test_next_years_list_takes_nobody_away_from_this_years_work(turn: Turn, browser: object) -> None:
    # the administrator loads next year's list while this year's appeals are open
    admin = new_page(browser)
    login(admin, turn.url, "quantri", PASSWORD)
    admin.goto(turn.url + "/quan-tri/don-vi")  # type: ignore[attr-defined]
    admin.fill("#year", str(NEXT))  # type: ignore[attr-defined]
    admin.set_input_files("#file", str(ROOT / "samples/units/bac-giang.csv"))  # type: ignore[attr-defined]
    admin.click("button:has-text('Nạp')")  # type: ignore[attr-defined]
    assert f"Đã nạp 195 đơn vị (10 tổ thẩm định) cho năm {NEXT}" in admin.inner_text("main")  # type: ignore[attr-defined]

    # the refused commune lands on its decision, says where its window is, and appeals
    xa = new_page(browser)
    login(xa, turn.url, f"xa{turn.refused}", PASSWORD)
    assert f"/nam/{YEAR}/don-vi/{turn.refused}" in xa.url  # type: ignore[attr-defined]
    bar = xa.inner_text("#cac-nam")  # type: ignore[attr-defined]
    assert f"{NEXT} (hồ sơ chưa nộp)" in bar and f"{YEAR} (còn hạn kiến nghị đến" in bar
    xa.fill("#grounds", "Biên bản niêm yết đã nộp kèm hồ sơ, đề nghị xem lại")  # type: ignore[attr-defined]
    xa.click("button:has-text('Gửi kiến nghị')")  # type: ignore[attr-defined]
    assert "Đã gửi kiến nghị; tỉnh trả lời trên trang này." in _flash(xa)
    xa.click(f"#cac-nam >> text={NEXT}")  # type: ignore[attr-defined]
    assert f"/nam/{NEXT}/don-vi/{turn.refused}" in xa.url  # type: ignore[attr-defined]

    # the team still has this year's list (its appraisals wait to be sent to the province)
    team = new_page(browser)
    login(team, turn.url, "lucnam", PASSWORD)
    assert f"/nam/{YEAR}/huyen/" in team.url  # type: ignore[attr-defined]
    assert turn.refused in team.inner_text("main")  # type: ignore[attr-defined]

    # this year's rows sent on next year's page are refused, each named
    team.click(f"#cac-nam >> text={NEXT}")  # type: ignore[attr-defined]
    assert f"/nam/{NEXT}/huyen/" in team.url  # type: ignore[attr-defined]
    team.set_input_files("#file", str(ROOT / "samples/bac-giang-2024.xlsx"))  # type: ignore[attr-defined]
    team.click("button:has-text('Tải lên')")  # type: ignore[attr-defined]
    page = team.inner_text("main")  # type: ignore[attr-defined]
    assert f"dòng ghi năm khác năm {NEXT}; không nhận tệp này" in page
    assert re.search(
        rf"dòng 4, cột “Năm”: giá trị “{YEAR}”: đơn vị \d{{5}} ghi năm {YEAR}, không phải năm {NEXT}", page
    )
    store = open_store(str(turn.folder / "cong.sqlite"))
    try:
        assert {r.state for r in unit_rows(store, NEXT)} == {"chua_nop"}  # nothing filed under next year
    finally:
        store.close()


def test_a_draft_is_tried_on_the_chosen_year_against_its_target(
    turn: Turn, browser: object, tmp_path: Path
) -> None:
    draft = tmp_path / "ban-nhap.yaml"
    text = (ROOT / "criteria/bac-giang/2024.yaml").read_text("utf-8")
    draft.write_text(text.replace("min_total: 85", "min_total: 95"), "utf-8")
    officer = new_page(browser)
    login(officer, turn.url, "chinhsach", PASSWORD)
    officer.goto(turn.url + "/bo-tieu-chi/ban-nhap")  # type: ignore[attr-defined]
    officer.select_option("#evidence_year", str(YEAR))  # type: ignore[attr-defined]
    officer.set_input_files("#file", str(draft))  # type: ignore[attr-defined]
    officer.click("button:has-text('Kiểm tra')")  # type: ignore[attr-defined]
    # the sample's 191 rows that read (4 with a value that does not read stay drafts, never scored)
    assert f"Đã thử trên 191 hồ sơ năm {YEAR}" in officer.inner_text("#da-thu")  # type: ignore[attr-defined]
    line = officer.inner_text("#ty-le")  # type: ignore[attr-defined]
    assert line.startswith("Đủ điều kiện công nhận: ") and "theo bac-giang@2024 → " in line
    assert "; chỉ tiêu " in line
