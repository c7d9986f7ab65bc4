"""The official list of commune-level units since 1 July 2025: 34 provinces, 3,321 units; a
province loaded by name (diacritics optional), each unit with its appraisal team."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from cli import main
from engine.intake.official import UNASSIGNED, national_count, official_list, provinces
from engine.portal import units
from engine.store.connect import open_store

ROOT = Path(__file__).parent.parent
TEAMS = ROOT / "samples/units/bac-ninh-2025-to-tham-dinh.csv"


def test_the_country_has_34_provinces_and_3321_units() -> None:
    assert len(provinces()) == 34
    assert national_count() == 3321


def test_bac_ninh_has_99_units_whatever_way_its_name_is_typed() -> None:
    for typed in ("Bắc Ninh", "bac ninh", "Tỉnh Bắc Ninh", "BAC NINH"):
        listed = official_list(typed)
        assert listed.province == "Bắc Ninh" and len(listed.units) == 99
        assert all(len(u.code) == 5 and u.code.isdigit() for u in listed.units)
    assert {u.group for u in official_list("Bắc Ninh").units} == {UNASSIGNED}
    assert official_list("Hà Nội").province == "Thành phố Hà Nội"


def test_the_official_list_loads_with_its_teams(tmp_path: Path) -> None:
    db = str(tmp_path / "cong.sqlite")
    args = ["units", "load", "--official", "Bắc Ninh", "--teams", str(TEAMS), "--year", "2025"]
    done = CliRunner().invoke(main, [*args, "--criteria", "bac-giang@2024", "--db", db])
    assert done.exit_code == 0, done.output
    assert done.output.strip().splitlines()[-1] == (
        "Đã nạp 99 đơn vị của Bắc Ninh (8 tổ thẩm định) cho năm 2025, chấm theo bac-giang@2024"
    )
    store = open_store(db)
    try:
        listed = units.all_units(store, 2025)
        assert len(listed) == 99
        assert {u.district for u in listed if u.code == "07210"} == {
            "Tổ thẩm định số 1 — cụm Phường Bắc Giang"
        }
    finally:
        store.close()


def test_units_the_teams_file_leaves_out_are_named(tmp_path: Path) -> None:
    teams = tmp_path / "to.csv"
    teams.write_text("ma_don_vi,nhom_tham_dinh\n07210,Tổ 1\n", "utf-8")
    done = CliRunner().invoke(
        main,
        ["units", "load", "--official", "bac ninh", "--teams", str(teams), "--year", "2025",
         "--criteria", "bac-giang@2024", "--db", str(tmp_path / "c.sqlite")],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "cảnh báo: 98 đơn vị chưa được phân tổ thẩm định: 07228," in done.output


def test_a_file_and_official_are_one_or_the_other(tmp_path: Path) -> None:
    done = CliRunner().invoke(main, ["units", "load", "--year", "2025", "--db", str(tmp_path / "c.sqlite")])
    assert done.exit_code == 2
    assert "ghi một tệp danh sách đơn vị hoặc --official TỈNH (không cả hai)" in done.output


def test_the_reorganisation_table_names_each_new_units_old_units() -> None:
    from engine.intake.official import SPLIT_NOTE, official_succession

    rows, source = official_succession("Bắc Ninh")
    assert len(rows) == 214 and "vietnamadminunits" in source
    assert {r.effective.isoformat() for r in rows} == {"2025-07-01"}
    formed = sorted(r.old_code for r in rows if r.new_code == "07210")
    assert formed == ["07201", "07207", "07213", "07225", "07231", "07441"]
    everywhere, _ = official_succession()
    assert len({r.new_code for r in everywhere}) > 3000
    split = [r for r in everywhere if r.old_name and r.old_name.endswith(f"({SPLIT_NOTE})")]
    by_old: dict[str, set[str]] = {}
    for r in split:
        by_old.setdefault(r.old_code, set()).add(r.new_code)
    assert any(len(news) > 1 for news in by_old.values())


def test_a_new_wards_history_lists_its_old_communes_with_their_results(tmp_path: Path) -> None:
    db = str(tmp_path / "lich-su.sqlite")
    runner = CliRunner()
    for year in (2023, 2024):
        done = runner.invoke(
            main,
            ["score", str(ROOT / f"samples/bac-giang-{year}.xlsx"), "--criteria", f"bac-giang@{year}",
             "--json", str(tmp_path / f"k{year}.json"), "--db", db],
        )  # fmt: skip
        assert done.exit_code == 0, done.output
    loaded = runner.invoke(main, ["units", "succession", "--official", "--db", db])
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.strip().splitlines()[-1].startswith("Đã nạp 7")
    history = runner.invoke(main, ["history", "07210", "--db", db])
    assert history.exit_code == 0, history.output
    assert "hình thành từ 07207 Phường Ngô Quyền (từ 01/07/2025)" in history.output
    assert "Năm 2023 [mã 07207]: 89,8/100 điểm, đủ điều kiện theo bac-giang@2023" in history.output
    assert "Năm 2024 [mã 07207]:" in history.output
    again = runner.invoke(main, ["units", "succession", "--official", "--province", "Bắc Ninh", "--db", db])
    assert again.output.strip().splitlines()[-1].endswith("(214 dòng đã có từ trước)")


def test_the_administrator_previews_a_list_that_replaces_one_and_confirms_it(tmp_path: Path) -> None:
    import io
    import re

    from portal_helpers import make_portal, post

    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        admin = portal.client("quan-tri")
        before = [u.code for u in units.all_units(portal.store, 2024)]
        teams = TEAMS.read_bytes()
        shown = post(
            admin,
            "/quan-tri/don-vi",
            {
                "year": "2024",
                "criteria": "bac-giang",
                "province": "Bắc Ninh",
                "teams": (io.BytesIO(teams), "to.csv"),
            },
            content_type="multipart/form-data",
        )
        assert shown.status_code == 200
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", shown.text))
        assert "Xem trước: 99 đơn vị cho năm 2024 (bac-giang@2024)" in text
        assert "Sẽ thay danh sách đang có của năm 2024 (195 đơn vị)" in text
        assert [u.code for u in units.all_units(portal.store, 2024)] == before  # nothing replaced yet
        token = re.search(r'name="token" value="([0-9a-f]{32})"', shown.text).group(1)  # type: ignore[union-attr]
        stranger = portal.client("quan-tri")  # another session cannot confirm it
        refused = post(stranger, "/quan-tri/don-vi", {"action": "confirm", "token": token})
        assert "danh sách xem trước này không phải của phiên này" in refused.text
        done = post(admin, "/quan-tri/don-vi", {"action": "confirm", "token": token})
        assert "Đã nạp 99 đơn vị (8 huyện) cho năm 2024" in done.text
        assert len(units.all_units(portal.store, 2024)) == 99
        again = post(admin, "/quan-tri/don-vi", {"action": "confirm", "token": token})
        assert "danh sách xem trước này không phải của phiên này" in again.text  # confirmed once
    finally:
        portal.close()


def test_a_unit_list_may_be_an_xlsx(tmp_path: Path) -> None:
    import csv

    import openpyxl

    from engine.intake.units import read_units

    book = openpyxl.Workbook()
    for row in csv.reader((ROOT / "samples/units/bac-giang.csv").read_text("utf-8").splitlines()):
        book.active.append([int(row[0]) if row[0].isdigit() else row[0], *row[1:]])  # codes typed as numbers
    book.save(tmp_path / "don-vi.xlsx")
    assert read_units(tmp_path / "don-vi.xlsx") == read_units(ROOT / "samples/units/bac-giang.csv")


def test_a_team_account_is_made_with_the_teams_role_name_or_the_old_one(tmp_path: Path) -> None:
    from engine.portal import accounts

    db = str(tmp_path / "c.sqlite")
    runner = CliRunner()
    args = ["units", "load", "--official", "Bắc Ninh", "--teams", str(TEAMS), "--year", "2025"]
    assert runner.invoke(main, [*args, "--criteria", "bac-ninh", "--db", db]).exit_code == 0
    team = "Tổ thẩm định số 2 — cụm Xã Tiên Lục"
    for login, role in (("to2", "to-tham-dinh"), ("to2cu", "huyen")):
        done = runner.invoke(main, ["users", "add", login, "--role", role, "--district", team, "--db", db])
        assert done.exit_code == 0, done.output
        assert f"Đã thêm tài khoản {login} (Tổ thẩm định, {team})" in done.output
        store = open_store(db)
        try:
            assert accounts.find(store, login).role == "huyen"
        finally:
            store.close()


def test_a_previewed_list_nobody_confirms_is_forgotten_after_a_day(tmp_path: Path) -> None:
    import os
    import time

    from engine.portal.units import Preview, UnitRow, UnitsError, forget_pending, keep_pending, take_pending

    folder = tmp_path / "cho-nap"
    shown = Preview(
        2026,
        "bac-ninh@2025",
        [UnitRow("00001", "Phường Một", "Tổ 1")],
        [("Tổ 1", 1)],
        0,
        ["00001"],
        [],
        [],
        source="to.csv",
    )
    old, fresh = keep_pending(folder, shown), keep_pending(folder, shown)
    day_and_more = time.time() - 25 * 3600
    os.utime(folder / f"{old}.json", (day_and_more, day_and_more))
    assert forget_pending(folder) == 1
    assert take_pending(folder, fresh)[0] == 2026  # the recent one is still there to confirm
    try:
        take_pending(folder, old)
    except UnitsError as gone:
        assert str(gone) == "danh sách xem trước không còn (đã nạp hoặc đã bỏ); tải lên lại"
    else:
        raise AssertionError("a list forgotten was taken")
