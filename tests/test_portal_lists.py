"""The year's units as a list to work through: found by code or name with or without diacritics,
filtered by state, team, result and flag, sorted by any column, paged, and downloaded as Excel
exactly as shown; a team sees its own units only; an address asking for what the list does not
know is answered as if it had not asked."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from portal_helpers import DISTRICT, ROOT, YEAR, Portal, list_book, list_rows, make_portal

from engine.portal import dossiers, overview
from engine.portal.demo import appraise_as_submitted


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Portal:
    folder = tmp_path_factory.mktemp("danh-sach")
    made = make_portal(str(folder / "cong.sqlite"), folder)
    done = dossiers.upload_workbook(
        made.store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
    )
    appraise_as_submitted(made.store, YEAR, done.submitted[:120])
    yield made
    made.close()


def test_a_search_without_diacritics_finds_the_name_with_them(portal: Portal) -> None:
    tinh = portal.client("tinh")
    page = tinh.get(f"/nam/{YEAR}/danh-sach", query_string={"q": "tien dung"})
    assert [r[:2] for r in list_rows(page)] == [["07729", "Xã Tiến Dũng"]]
    assert "<strong>1</strong> trong 195 đơn vị (tìm “tien dung”)" in page.text
    same = tinh.get(f"/nam/{YEAR}/danh-sach", query_string={"q": "TIẾN DŨNG"})
    assert list_rows(same) == list_rows(page)
    by_code = tinh.get(f"/nam/{YEAR}/danh-sach", query_string={"q": "0772"})
    assert all(r[0].startswith("0772") for r in list_rows(by_code)) and list_rows(by_code)


def test_filters_sort_and_pages(portal: Portal) -> None:
    tinh = portal.client("tinh")
    args = {"team": "Huyện Lục Nam", "result": "dat", "sap_xep": "total", "giam": "1"}
    page = tinh.get(f"/nam/{YEAR}/danh-sach", query_string=args)
    rows = list_rows(page)
    assert rows and all(r[2] == "Huyện Lục Nam" and r[5] == "Đủ điều kiện (đã thẩm định)" for r in rows)
    totals = [float(r[4].replace(",", ".")) for r in rows]
    assert totals == sorted(totals, reverse=True)
    assert 'aria-sort="descending"' in page.text
    everything = tinh.get(f"/nam/{YEAR}/danh-sach")
    assert len(list_rows(everything)) == 50 and "Trang 1/4" in everything.text
    last = tinh.get(f"/nam/{YEAR}/danh-sach", query_string={"trang": "999"})
    assert len(list_rows(last)) == 45 and "Trang 4/4" in last.text  # past the end: the last page
    asked = {"result": "chua_xong", "flags": "self_score_inflated"}
    waiting = list_rows(tinh.get(f"/nam/{YEAR}/danh-sach", query_string=asked))
    assert waiting and all(r[5] == "Chưa thẩm định xong — theo số xã khai" and r[7] != "0" for r in waiting)
    inflated = [r for r in overview.listed_rows(portal.store, YEAR) if "self_score_inflated" in r["flags"]]
    assert len(waiting) == sum(1 for r in inflated if r["result"] == "chua_xong")


def test_the_download_is_the_list_as_shown(portal: Portal) -> None:
    tinh = portal.client("tinh")
    args = {"q": "xa", "state": "da_tham_dinh", "sap_xep": "name"}
    first = tinh.get(f"/nam/{YEAR}/danh-sach", query_string=args)
    total = int(re.search(r"<strong>(\d+)</strong> trong", first.text).group(1))  # type: ignore[union-attr]
    assert total > 50  # more than a page: the download holds every page, in the page's order
    shown: list[list[str]] = []
    for n in range(1, (total + 49) // 50 + 1):
        shown += list_rows(tinh.get(f"/nam/{YEAR}/danh-sach", query_string={**args, "trang": str(n)}))
    data = tinh.get(f"/nam/{YEAR}/danh-sach.xlsx", query_string=args)
    assert data.status_code == 200 and data.headers["Content-Disposition"].startswith("attachment;")
    book = list_book(data.data)
    assert [r[:4] + r[5:7] for r in book] == [r[:4] + r[5:7] for r in shown]
    assert [float(r[4]) for r in book] == [float(r[4].replace(",", ".")) for r in shown]
    sheet = load_workbook(io.BytesIO(data.data)).active
    assert sheet["A2"].value == f"Lọc: tìm “xa”; trạng thái: Đã thẩm định — {total} trong 195 dòng"


def test_a_team_lists_its_own_units_and_unknown_choices_are_ignored(portal: Portal) -> None:
    huyen = portal.client("huyen")
    own = huyen.get(
        f"/nam/{YEAR}/huyen/{DISTRICT}/danh-sach", query_string={"sap_xep": "x; DROP", "state": "khac"}
    )
    assert own.status_code == 200
    rows = list_rows(own)
    assert len(rows) == 24 and all(r[2] == DISTRICT for r in rows)
    assert huyen.get(f"/nam/{YEAR}/huyen/Huyện Hiệp Hòa/danh-sach").status_code == 403
    assert huyen.get(f"/nam/{YEAR}/danh-sach").status_code == 403
    assert huyen.get(f"/nam/{YEAR}/huyen/Huyện Không Có/danh-sach").status_code in (403, 404)


def test_the_list_follows_a_unit_moved_to_another_team(portal: Portal) -> None:
    from portal_helpers import post

    tinh = portal.client("tinh")
    tinh.get(f"/nam/{YEAR}/danh-sach")  # the list as it stands, kept until something changes
    draft = next(r for r in overview.listed_rows(portal.store, YEAR) if r["state"] == "dang_soan")
    other = next(t for t in ("Huyện Lục Nam", "Huyện Hiệp Hòa") if t != draft["team"])
    moved = post(
        tinh, f"/nam/{YEAR}/don-vi/{draft['code']}/chuyen-to", {"team": other}, follow_redirects=True
    )
    assert "Đã chuyển" in moved.text
    rows = list_rows(tinh.get(f"/nam/{YEAR}/danh-sach", query_string={"q": draft["code"]}))
    assert [r[:3] for r in rows] == [[draft["code"], draft["name"], other]]
