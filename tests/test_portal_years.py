"""Years never mix: loading next year's unit list while this year's work is open takes nobody away
from it. Every page names its year and offers the user's own years with what is open in each; the
start page is the year with work waiting (the earliest), not the latest list loaded."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from portal_helpers import DISTRICT, ROOT, YEAR, Portal, csrf_of, make_portal, unit_url

from engine.clock import today
from engine.portal import accounts, dossiers, overview, review, units
from engine.portal.demo import appraise_as_submitted
from engine.portal.years import start_year, user_years

NEXT = YEAR + 1


@pytest.fixture(scope="module")
def turn_of_year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """2024 appraised by its teams; the commune refused today (its appeal window open); then the
    province loads the 2025 list."""
    folder = tmp_path_factory.mktemp("sang-nam")
    made = make_portal(str(folder / "cong.sqlite"), folder)
    done = dossiers.upload_workbook(
        made.store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
    )
    appraise_as_submitted(made.store, YEAR, done.submitted)
    tinh = accounts.find(made.store, made.logins["tinh"])
    review.decide(
        made.store,
        tinh,
        "test",
        YEAR,
        made.unit,
        "not_recognised",
        "50/QĐ-UBND",
        today(),
        "Hồ sơ thiếu biên bản niêm yết",
        None,
    )
    units.load(made.store, ROOT / "samples/units/bac-giang.csv", NEXT, "bac-giang@2024")
    yield made
    made.close()


def _years_bar(page: str) -> str:
    found = re.search(r'<nav class="years.*?</nav>', page, re.S)
    assert found, page[:500]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", found.group(0))).strip()


def test_a_refused_commune_still_lands_on_its_decision_and_appeals(turn_of_year: Portal) -> None:
    xa = turn_of_year.client("xa")
    start = xa.get("/")
    assert start.headers["Location"] == unit_url(turn_of_year.unit)  # 2024, not the empty 2025
    page = xa.get(unit_url(turn_of_year.unit))
    deadline = review.appeal_deadline(
        turn_of_year.store, YEAR, review.current_decision(turn_of_year.store, YEAR, turn_of_year.unit)[0]
    )
    assert deadline is not None
    assert _years_bar(page.text) == (
        f"Năm đánh giá: {NEXT} (hồ sơ chưa nộp) · {YEAR} (còn hạn kiến nghị đến {deadline:%d/%m/%Y})"
    )
    filed = xa.post(
        unit_url(turn_of_year.unit, "/kien-nghi"),
        data={"csrf_token": csrf_of(xa), "grounds": "Tỷ lệ hài lòng tính thiếu phiếu của thôn Đồng"},
        follow_redirects=True,
    )
    assert filed.status_code == 200
    assert [a.year for a in review.appeals_of(turn_of_year.store, YEAR, turn_of_year.unit)] == [YEAR]
    # the appeal filed, nothing is open in 2024 any more: the start page is the year to submit
    assert xa.get("/").headers["Location"] == f"/nam/{NEXT}/don-vi/{turn_of_year.unit}"


def test_the_team_still_has_its_list_of_the_year_it_appraised(turn_of_year: Portal) -> None:
    huyen = turn_of_year.client("huyen")
    start = huyen.get("/")
    assert f"/nam/{YEAR}/huyen/" in start.headers["Location"]
    page = huyen.get(start.headers["Location"])
    waiting = len(units.of_district(turn_of_year.store, YEAR, DISTRICT))
    assert turn_of_year.unit in page.text
    bar = _years_bar(page.text)
    assert bar.startswith(f"Năm đánh giá: {NEXT} · {YEAR} (")
    assert "hồ sơ chờ thẩm định hoặc gửi tỉnh" in bar and waiting > 0


def test_the_province_starts_on_the_latest_year_and_sees_what_waits_in_others(turn_of_year: Portal) -> None:
    tinh = turn_of_year.client("tinh")
    assert tinh.get("/").headers["Location"] == f"/nam/{NEXT}/tinh"
    bar = _years_bar(tinh.get(f"/nam/{NEXT}/tinh").text)
    assert bar.startswith(f"Năm đánh giá: {NEXT} · {YEAR}")


def test_the_earliest_year_with_open_work_comes_first(turn_of_year: Portal) -> None:
    outsider = turn_of_year.logins["xa-khac"]
    listed = user_years(turn_of_year.store, accounts.find(turn_of_year.store, outsider))
    assert [y.year for y in listed] == [NEXT, YEAR]
    assert start_year(listed) == (YEAR if listed[1].open_work else NEXT)
    assert start_year([]) is None


def test_an_account_without_years_sees_no_bar(tmp_path: Path) -> None:
    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        page = portal.client("quan-tri").get("/quan-tri/tai-khoan")
        assert 'class="years' not in page.text
    finally:
        portal.close()


def test_a_draft_is_tried_on_the_year_chosen_with_its_target_line(tmp_path: Path) -> None:
    import io

    from portal_helpers import post, sample_for_year

    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        done = dossiers.upload_workbook(
            portal.store,
            None,
            "test",
            YEAR,
            None,
            ROOT / "samples/bac-giang-2024.xlsx",
            "bac-giang-2024.xlsx",
        )
        appraise_as_submitted(portal.store, YEAR, done.submitted)
        units.load(portal.store, ROOT / "samples/units/bac-giang.csv", NEXT, "bac-giang@2024")
        later = dossiers.upload_workbook(
            portal.store, None, "test", NEXT, None, sample_for_year(NEXT, tmp_path), "minh-chung.xlsx"
        )
        officer = portal.client("chinh-sach")
        form = officer.get("/bo-tieu-chi/ban-nhap").text
        assert f'<option value="{YEAR}" selected>' in form  # the last year whose appraisal is done
        assert f"{NEXT} — {len(later.submitted)} hồ sơ đã chấm, 0 đã thẩm định" in form
        stricter = (
            (ROOT / "criteria/bac-giang/2024.yaml")
            .read_text("utf-8")
            .replace("min_total: 85", "min_total: 95")
        )

        def tried(year: str) -> str:
            sent = post(
                officer,
                "/bo-tieu-chi/ban-nhap",
                {"file": (io.BytesIO(stricter.encode()), "ban-nhap.yaml"), "evidence_year": year},
                content_type="multipart/form-data",
            )
            assert sent.status_code == 200, sent.text[:300]
            return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", sent.text))

        default = tried("")
        assert f"Đã thử trên {len(done.submitted)} hồ sơ năm {YEAR}" in default
        chosen = tried(str(NEXT))
        assert f"Đã thử trên {len(later.submitted)} hồ sơ năm {NEXT}" in chosen
        share = re.search(
            r"Đủ điều kiện công nhận: (\d+)/(\d+) \(([\d,]+%)\) theo bac-giang@2024 → (\d+)/\2", chosen
        )
        assert share is not None, chosen[-1500:]
        assert int(share.group(4)) <= int(share.group(1))  # a stricter threshold never adds units
        assert "; chỉ tiêu " in chosen[share.start() : share.start() + 300]
        refused = post(
            officer,
            "/bo-tieu-chi/ban-nhap",
            {"file": (io.BytesIO(stricter.encode()), "ban-nhap.yaml"), "evidence_year": "1999"},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert "Chọn một năm có hồ sơ đã chấm để thử bản nháp." in refused.text
    finally:
        portal.close()


def test_a_team_members_scope_follows_the_year(tmp_path: Path) -> None:
    """A member of team A in 2025 who was in district B in 2024 sees B's 2024 units and A's 2025
    units, nothing else."""
    from click.testing import CliRunner

    from cli import main

    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        teams = ROOT / "samples/units/bac-ninh-2025-to-tham-dinh.csv"
        units.load_official(portal.store, "Bắc Ninh", NEXT, "bac-giang@2024", teams)
        team_a = "Tổ thẩm định số 1 — cụm Phường Bắc Giang"
        done = CliRunner().invoke(
            main, ["users", "team", "lucnam", "--year", str(NEXT), "--team", team_a, "--db", portal.config.db]
        )
        assert done.exit_code == 0, done.output
        assert done.output.strip() == f"Tài khoản lucnam thẩm định năm {NEXT} cho {team_a}"
        listed = units.all_units(portal.store, NEXT)
        in_a = next(u.code for u in listed if u.district == team_a)
        in_b = next(u.code for u in listed if u.district != team_a)
        mine_2024 = portal.unit
        other_2024 = portal.outsider
        huyen = portal.client("huyen")
        seen = {
            (year, code): huyen.get(f"/nam/{year}/don-vi/{code}").status_code
            for year, code in ((YEAR, mine_2024), (YEAR, other_2024), (NEXT, in_a), (NEXT, in_b))
        }
        assert seen == {(YEAR, mine_2024): 200, (YEAR, other_2024): 403, (NEXT, in_a): 200, (NEXT, in_b): 403}
        assert huyen.get(f"/nam/{NEXT}/huyen/{team_a}").status_code == 200
        assert huyen.get(f"/nam/{YEAR}/huyen/{DISTRICT}").status_code == 200
        other_team = next(u.district for u in listed if u.district != team_a)
        assert huyen.get(f"/nam/{NEXT}/huyen/{other_team}").status_code == 403
        from urllib.parse import unquote

        assert (
            unquote(huyen.get("/").headers["Location"]) == f"/nam/{NEXT}/huyen/{team_a}"
        )  # nothing open: the latest
        refused = CliRunner().invoke(
            main,
            ["users", "team", "lucnam", "--year", str(NEXT), "--team", "Tổ 99", "--db", portal.config.db],
        )
        assert refused.exit_code == 1
        assert (
            f"Lỗi: “Tổ 99” không phải tổ thẩm định nào trong danh sách đơn vị năm {NEXT}; các tổ của năm"
            in refused.output
        )
    finally:
        portal.close()


def test_the_province_moves_a_unit_to_another_team_before_its_appraisal_starts(tmp_path: Path) -> None:
    from portal_helpers import OTHER_DISTRICT, post

    from engine.portal import audit

    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        tinh = portal.client("tinh")
        page = tinh.get(unit_url(portal.neighbour))
        assert 'id="chuyen-to"' in page.text
        moved = post(
            tinh, unit_url(portal.neighbour, "/chuyen-to"), {"team": OTHER_DISTRICT}, follow_redirects=True
        )
        name = units.find_unit(portal.store, YEAR, portal.neighbour).name
        assert f"Đã chuyển {name} sang {OTHER_DISTRICT}." in moved.text
        assert units.find_unit(portal.store, YEAR, portal.neighbour).district == OTHER_DISTRICT
        assert portal.client("huyen").get(unit_url(portal.neighbour)).status_code == 403  # the old team
        assert portal.client("huyen-khac").get(unit_url(portal.neighbour)).status_code == 200  # the new one
        entry = [e for e in audit.entries(portal.store, None, None) if e.action == "unit_moved"][-1]
        assert entry.target == f"{YEAR}/{portal.neighbour}"
        # once the commune submits, its appraisal has started: no move
        dossiers.upload_workbook(
            portal.store,
            None,
            "test",
            YEAR,
            None,
            ROOT / "samples/bac-giang-2024.xlsx",
            "bac-giang-2024.xlsx",
        )
        assert 'id="chuyen-to"' not in tinh.get(unit_url(portal.unit)).text
        refused = post(
            tinh, unit_url(portal.unit, "/chuyen-to"), {"team": OTHER_DISTRICT}, follow_redirects=True
        )
        assert (
            "Không chuyển tổ được:" in refused.text
            and "đã nộp hồ sơ, việc thẩm định đã bắt đầu" in refused.text
        )
        assert units.find_unit(portal.store, YEAR, portal.unit).district == DISTRICT
        commune = portal.client("xa")
        assert (
            commune.post(
                unit_url(portal.unit, "/chuyen-to"), data={"csrf_token": csrf_of(commune)}
            ).status_code
            == 403
        )
    finally:
        portal.close()


def test_the_teams_corrections_survive_a_clarification_round(tmp_path: Path) -> None:
    """After the commune answers a request for more, the verify form keeps the team's corrections
    and reasons for every field the commune did not change, and shows both where it did."""
    from portal_helpers import full_unit_values

    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        xa = accounts.find(portal.store, portal.logins["xa"])
        team = accounts.find(portal.store, portal.logins["huyen"])
        first = {**full_unit_values(), "so_tin_bai_tuyen_truyen": "24", "ty_le_cong_khai_dung_han": "95%"}
        dossiers.save_declared(portal.store, xa, "test", YEAR, portal.unit, first, True)
        corrected = {**first, "so_tin_bai_tuyen_truyen": "12", "ty_le_cong_khai_dung_han": "89%"}
        reasons = {
            "so_tin_bai_tuyen_truyen": "Chỉ 12 tin có ngày đăng",
            "ty_le_cong_khai_dung_han": "Sổ niêm yết",
        }
        dossiers.save_verified(portal.store, team, "test", YEAR, portal.unit, corrected, reasons)
        dossiers.request_clarification(
            portal.store, team, "test", YEAR, portal.unit, "Gửi bảng niêm yết", ["ty_le_cong_khai_dung_han"]
        )
        answered = {**first, "ty_le_cong_khai_dung_han": "92%"}  # the commune changes one field only
        dossiers.save_declared(portal.store, xa, "test", YEAR, portal.unit, answered, True)
        page = portal.client("huyen").get(unit_url(portal.unit, "/tham-dinh"))
        assert page.status_code == 200
        row = re.search(r'<tr id="f-so_tin_bai_tuyen_truyen".*?</tr>', page.text, re.S).group(0)  # type: ignore[union-attr]
        assert 'value="12"' in row and 'value="Chỉ 12 tin có ngày đăng"' in row  # the team's, kept
        row = re.search(r'<tr id="f-ty_le_cong_khai_dung_han".*?</tr>', page.text, re.S).group(0)  # type: ignore[union-attr]
        assert "tổ đã xác minh trước đó: 89%" in row  # the commune's new value, the team's beside it
        assert 'name="ly_do__ty_le_cong_khai_dung_han" value=""' in row
    finally:
        portal.close()


def test_the_dashboard_its_downloads_and_cqtt_score_agree_on_the_share(tmp_path: Path) -> None:
    """Seven of ten districts not started, two appraised, one submitted but not appraised: the
    dashboard, its JSON, and `cqtt score --units` on the evidence it exports count the same
    eligible units over the same population (the province's list, not the districts in the file);
    the applications still under appraisal are never among them, counted apart alike."""
    import json

    from engine import jobs

    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        for district in ("Huyện Lục Nam", "Huyện Hiệp Hòa", "Thành phố Bắc Giang"):
            done = dossiers.upload_workbook(
                portal.store, None, "test", YEAR, district, ROOT / "samples/bac-giang-2024.xlsx", "mau.xlsx"
            )
            if district != "Thành phố Bắc Giang":
                appraise_as_submitted(portal.store, YEAR, done.submitted)
            else:
                waiting = len(done.submitted)
        tinh = portal.client("tinh")
        page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", tinh.get(f"/nam/{YEAR}/tinh").text))
        shown = re.search(r"\(([\d]+) trong (\d+) đơn vị của danh sách tỉnh", page)
        assert shown is not None, page[:800]
        assert int(shown.group(1)) > 0
        summary = json.loads(tinh.get(f"/nam/{YEAR}/tinh/ket-qua.json").data)["summary"]
        assert (summary["recognisable"], summary["population"]) == (int(shown.group(1)), int(shown.group(2)))
        assert summary["population"] == 195 and summary["not_submitted"] > 0
        assert (
            summary["awaiting_appraisal"]
            == waiting
            == overview.dashboard(portal.store, YEAR).province.pending
        )
        pending = overview.dashboard(portal.store, YEAR).province.pending_eligible
        assert f"{pending} / {waiting}" in page  # counted apart, labelled
        book = tmp_path / "minh-chung.xlsx"
        book.write_bytes(tinh.get(f"/nam/{YEAR}/tinh/minh-chung.xlsx").data)
        cli = jobs.score(
            [book],
            "bac-giang@2024",
            None,
            None,
            tmp_path / "k.json",
            units_path=ROOT / "samples/units/bac-giang.csv",
        )
        assert (cli.run.summary.recognisable, cli.run.summary.population) == (int(shown.group(1)), 195)
    finally:
        portal.close()


def test_a_refused_decision_comes_back_with_what_was_typed_and_its_error_in_the_form(tmp_path: Path) -> None:
    from portal_helpers import post

    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        done = dossiers.upload_workbook(
            portal.store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "mau.xlsx"
        )
        appraise_as_submitted(portal.store, YEAR, [portal.unit])
        assert portal.unit in done.submitted
        tinh = portal.client("tinh")
        sent = post(
            tinh,
            unit_url(portal.unit, "/quyet-dinh"),
            {"decision": "recognised", "number": "21/QĐ-UBND", "date": "31/02/2024", "reason": "Đã xem lại"},
        )
        assert sent.status_code == 302 and sent.headers["Location"].endswith("#form-quyet-dinh")
        page = tinh.get(sent.headers["Location"].split("#")[0]).text
        form = page[
            page.index('id="form-quyet-dinh"') : page.index("</form>", page.index('id="form-quyet-dinh"'))
        ]
        assert 'id="loi-quyet-dinh"' in form and "Chưa ghi quyết định:" in form
        assert (
            'value="21/QĐ-UBND"' in form and 'value="31/02/2024"' in form and "Đã xem lại</textarea>" in form
        )
        assert 'value="recognised" selected' in form
        assert review.decisions_of(portal.store, YEAR, portal.unit) == []
        again = tinh.get(unit_url(portal.unit)).text  # shown once
        assert 'id="loi-quyet-dinh"' not in again
    finally:
        portal.close()
