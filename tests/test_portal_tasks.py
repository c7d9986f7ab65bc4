""" "Việc cần làm": each role's start page lists what waits for it, with the year's dates the
province sets and the date a team gives a clarification request; overdue work stands first."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from portal_helpers import (
    DISTRICT,
    ROOT,
    YEAR,
    Portal,
    district_url,
    full_unit_values,
    make_portal,
    post,
    set_password,
    submit_dossier,
    unit_url,
)

from engine.clock import today
from engine.portal import accounts, tasks


@pytest.fixture
def portal(tmp_path: Path) -> Portal:
    made = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    yield made
    made.close()


def _tasks(page: object) -> list[str]:
    """The task list's rows, as text."""
    found = re.search(r'<section id="viec-can-lam".*?</section>', page.text, re.S)  # type: ignore[attr-defined]
    assert found is not None, page.text[:2000]  # type: ignore[attr-defined]
    rows = re.findall(r"<tr class=\"[^\"]*\">(.*?)</tr>", found.group(0), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in rows]


def _day(offset: int) -> str:
    return (today() + dt.timedelta(days=offset)).strftime("%d/%m/%Y")


def test_the_province_sets_the_years_dates_in_order(portal: Portal) -> None:
    tinh = portal.client("tinh")
    wrong = post(
        tinh,
        f"/nam/{YEAR}/thoi-han",
        {"nop": _day(10), "tham_dinh": _day(5), "gui_tinh": ""},
        follow_redirects=True,
    )
    assert (
        "Chưa lưu thời hạn: thời hạn phải theo thứ tự: nộp hồ sơ, rồi thẩm định xong, rồi gửi lên tỉnh."
        in wrong.text
    )
    bad = post(tinh, f"/nam/{YEAR}/thoi-han", {"nop": "31/13/2024"}, follow_redirects=True)
    assert (
        f"Chưa lưu thời hạn: hạn xã nộp hồ sơ “31/13/2024” không hợp lệ (ghi ví dụ 31/10/{YEAR})." in bad.text
    )
    assert tasks.deadlines(portal.store, YEAR) == {}
    done = post(
        tinh, f"/nam/{YEAR}/thoi-han", {"nop": _day(-3), "tham_dinh": _day(7), "gui_tinh": _day(14)},
        follow_redirects=True,
    )  # fmt: skip
    assert "Đã lưu thời hạn của năm." in done.text
    assert tasks.deadlines(portal.store, YEAR) == {
        "nop": today() - dt.timedelta(days=3),
        "tham_dinh": today() + dt.timedelta(days=7),
        "gui_tinh": today() + dt.timedelta(days=14),
    }
    assert f'value="{_day(7)}"' in done.text  # shown again in the form


def test_each_role_sees_its_work_with_its_dates_overdue_first(portal: Portal) -> None:
    tinh, xa, huyen = portal.client("tinh"), portal.client("xa"), portal.client("huyen")
    post(tinh, f"/nam/{YEAR}/thoi-han", {"nop": _day(-3), "tham_dinh": _day(7), "gui_tinh": _day(14)})
    # the commune: its application is late
    assert _tasks(xa.get(unit_url(portal.unit))) == [
        f"Soạn và nộp hồ sơ {accounts_unit_name(portal)} ({portal.unit}) {_day(-3)} quá hạn 3 ngày"
    ]
    submit_dossier(xa, portal.unit, full_unit_values())
    submit_dossier(portal.client("xa-khac"), portal.outsider, full_unit_values())  # another team's
    # the team: the dossier to appraise, by the appraisal date; not the other team's
    rows = _tasks(huyen.get(district_url(DISTRICT)))
    assert rows == [f"Thẩm định hồ sơ {accounts_unit_name(portal)} ({portal.unit}) {_day(7)}"]
    # a request for more with its own date: the commune's task, and the team's waiting line
    post(
        huyen,
        unit_url(portal.unit, "/yeu-cau-bo-sung"),
        {"comment": "Gửi biên bản niêm yết", "items": ["cong_khai_dung_han"], "due": _day(2)},
    )
    assert _tasks(xa.get(unit_url(portal.unit))) == [
        f"Bổ sung hồ sơ theo yêu cầu của tổ {accounts_unit_name(portal)} ({portal.unit}) {_day(2)}"
    ]
    assert f"hạn trả lời {_day(2)}" in xa.get(unit_url(portal.unit)).text
    assert _tasks(huyen.get(district_url(DISTRICT))) == [
        f"Chờ xã bổ sung {accounts_unit_name(portal)} ({portal.unit}) {_day(2)}"
    ]
    late = post(
        huyen,
        unit_url(portal.unit, "/yeu-cau-bo-sung"),
        {"comment": "x", "items": ["cong_khai_dung_han"], "due": _day(-1)},
        follow_redirects=True,
    )
    assert f"hạn trả lời {_day(-1)} đã qua; chọn từ hôm nay trở đi" in late.text
    # the province: nothing sent yet, so no decision to take; its page lists nothing
    assert _tasks(tinh.get(f"/nam/{YEAR}/tinh")) == []
    assert "Không có việc nào đang chờ." in tinh.get(f"/nam/{YEAR}/tinh").text


def test_overdue_work_stands_first(portal: Portal) -> None:
    tinh, huyen = portal.client("tinh"), portal.client("huyen")
    post(tinh, f"/nam/{YEAR}/thoi-han", {"nop": _day(-5), "tham_dinh": _day(-1), "gui_tinh": _day(14)})
    login = f"xa{portal.neighbour}"
    accounts.add(portal.store, login, "xa", portal.neighbour, None)
    set_password(portal.store, login)
    portal.logins[login] = login
    submit_dossier(portal.client(login), portal.neighbour, full_unit_values())
    submit_dossier(portal.client("xa"), portal.unit, full_unit_values())
    post(
        huyen,
        unit_url(portal.unit, "/yeu-cau-bo-sung"),
        {"comment": "Gửi biên bản", "items": ["cong_khai_dung_han"], "due": _day(2)},
    )
    rows = _tasks(huyen.get(district_url(DISTRICT)))
    assert [r.split(" (")[0] for r in rows][0].startswith("Thẩm định hồ sơ")  # overdue: first
    assert rows[0].endswith(f"{_day(-1)} quá hạn 1 ngày") and rows[1].endswith(_day(2))


def accounts_unit_name(portal: Portal) -> str:
    from engine.portal.units import find_unit

    found = find_unit(portal.store, YEAR, portal.unit)
    assert found is not None
    return found.name


def test_a_team_member_of_another_year_sees_that_years_work_only(portal: Portal) -> None:
    account = accounts.find(portal.store, portal.logins["huyen"])
    assert tasks.tasks_for(portal.store, account, YEAR + 5) == []


def test_many_dossiers_to_appraise_make_one_line_to_the_list_filtered(portal: Portal) -> None:
    from engine.portal import dossiers
    from engine.portal.tasks import GROUPED_OVER

    dossiers.upload_workbook(
        portal.store, None, "test", YEAR, DISTRICT, ROOT / "samples/bac-giang-2024.xlsx", "mau.xlsx"
    )
    huyen = portal.client("huyen")
    page = huyen.get(district_url(DISTRICT))
    waiting = sum(1 for r in tasks_rows(portal) if r == "da_nop")
    assert waiting > GROUPED_OVER
    assert _tasks(page) == [f"Thẩm định hồ sơ ({waiting} hồ sơ) {DISTRICT} —"]
    link = re.search(r'<section id="viec-can-lam".*?<a href="([^"]+)">Thẩm định hồ sơ', page.text, re.S)
    assert link is not None
    listed = huyen.get(link.group(1).replace("&amp;", "&"))
    assert f"<strong>{waiting}</strong> trong 24 đơn vị" in listed.text  # the list, filtered to them


def tasks_rows(portal: Portal) -> list[str]:
    from engine.portal import overview

    return [r.state for r in overview.rows(portal.store, YEAR, DISTRICT)]
