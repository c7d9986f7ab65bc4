"""Outputs that never mislead: who applied, over which population, which rules, what changed.
Each test holds the exact line or cell a reader must see, on the bundled samples changed as a
district team, a reviewer or a policy officer would change them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from engine.outputs.resultsjson import read_results
from engine.rules.loader import load_ref

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "samples" / "bac-giang-2024.xlsx"
SHEET = "Nhập liệu"


def cqtt(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def edited(tmp: Path, change, name: str = "minh-chung.xlsx") -> Path:  # type: ignore[no-untyped-def]
    """The 2024 sample with `change(ws, columns, rows)` applied: columns by field id, rows by code."""
    book = load_workbook(SAMPLE)
    ws = book[SHEET]
    columns = {c.value: c.column for c in ws[3] if c.value}
    rows = {ws.cell(r, 1).value: r for r in range(4, ws.max_row + 1) if ws.cell(r, 1).value}
    change(ws, columns, rows)
    path = tmp / name
    book.save(path)
    return path


# -- 3. the Đề nghị column -------------------------------------------------------------------------
@pytest.mark.parametrize("written", ["Có đề nghị", "đ/n", "ĐN", "x", "Đề nghị", "✓"])
def test_common_ways_of_writing_yes_keep_the_proposal_and_its_flag(tmp_path: Path, written: str) -> None:
    def change(ws, col, rows):  # type: ignore[no-untyped-def]
        ws.cell(rows["07465"], col["de_nghi"]).value = written

    code, out = cqtt(
        "score", edited(tmp_path, change), "--criteria", "bac-giang@2024", "--json", tmp_path / "k.json"
    )
    assert code == 0, out
    assert "Đề nghị" not in "".join(line for line in out.splitlines() if "07465" in line)
    unit = next(u for u in read_results(tmp_path / "k.json")["units"] if u["code"] == "07465")
    assert unit["proposed"] is True
    assert [f["code"] for f in unit["flags"]][0] == "proposed_not_recognisable"


def test_an_unreadable_proposal_is_flagged_and_counted_never_silently_not_proposed(tmp_path: Path) -> None:
    def change(ws, col, rows):  # type: ignore[no-untyped-def]
        ws.cell(rows["07465"], col["de_nghi"]).value = "Chờ ý kiến huyện"

    book = tmp_path / "kq.xlsx"
    code, out = cqtt(
        "score",
        edited(tmp_path, change),
        "--criteria",
        "bac-giang@2024",
        "--json",
        tmp_path / "k.json",
        "-o",
        book,
    )
    assert code == 0, out
    assert (
        f"{tmp_path}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 99, cột “E — Đề nghị công nhận”: "
        "giá trị “Chờ ý kiến huyện”: không rõ có đề nghị hay không (ghi “Có” hoặc “Không”); "
        "đơn vị được gắn cảnh báo “Không rõ đề nghị”" in out.splitlines()
    )
    assert "  Không rõ đề nghị:                         1" in out.splitlines()
    unit = next(u for u in read_results(tmp_path / "k.json")["units"] if u["code"] == "07465")
    flag = unit["flags"][0]
    assert flag["code"] == "proposal_unclear"
    assert flag["message"].startswith(
        "Không rõ có đề nghị công nhận hay không (ô Đề nghị ghi “Chờ ý kiến huyện”); nếu có đề nghị thì chưa "
        "đạt chuẩn: "
    )
    flags_sheet = load_workbook(book, read_only=True)["Cảnh báo"]
    assert any("Không rõ đề nghị" in [str(c) for c in row] for row in flags_sheet.iter_rows(values_only=True))


# -- 7. a scale that falls ----------------------------------------------------------------------------
def test_a_decreasing_scale_said_on_purpose_scores_and_explains_itself(minimal_text: str) -> None:
    from helpers import load_text, score_one

    from engine.scoring.engine import Engine

    tiers = minimal_text[
        minimal_text.index("          type: tiers\n") : minimal_text.index("      - id: ban_ttnd")
    ]
    text = minimal_text.replace(
        "        method:\n" + tiers,
        "        method: {type: linear, evidence: ty_le_dung_han, zero_at: 20, full_at: 5,"
        " decreasing: true}\n",
    )
    engine = Engine(load_text(text, "giam-dan.yaml"))
    base = {
        "co_ban_ttnd": True,
        "so_hoi_nghi": 2,
        "co_du_an": False,
        "vu_viec": False,
        "thiet_bi": "may_tinh",
    }
    scored, _ = score_one(engine, {**base, "ty_le_dung_han": 8})
    criterion = next(c for c in scored.criteria if c.id == "dung_han")
    assert criterion.points == 4.8  # 6 × (20 − 8) / 15
    assert (
        criterion.explanation
        == "8%: tính theo tỷ lệ, càng thấp càng nhiều điểm giữa 20% (0 điểm) và 5% (6 điểm): 4,8/6 điểm"
    )
    high, _ = score_one(engine, {**base, "ty_le_dung_han": 30})
    assert (
        next(c for c in high.criteria if c.id == "dung_han").explanation == "30%: từ mức 20% trở lên → 0 điểm"
    )


# -- 1, 2. who applied, over which population ---------------------------------------------------------
IDENTITY = {"ma_don_vi", "ten_don_vi", "nhom_tham_dinh", "nam"}


def district_file(tmp: Path, district: str = "Huyện Lục Nam", filled: int = 10) -> tuple[Path, list[str]]:
    """The district's template rows, the first `filled` as its communes filled them, the others
    with only the code, name, district and year the template wrote. Returns the file and the
    filled codes."""
    book = load_workbook(SAMPLE)
    ws = book[SHEET]
    ids = [c.value for c in ws[3]]
    for r in range(ws.max_row, 3, -1):
        if ws.cell(r, 3).value != district:
            ws.delete_rows(r)
    codes = []
    for index, r in enumerate(range(4, ws.max_row + 1)):
        if index < filled:
            codes.append(ws.cell(r, 1).value)
            continue
        for c, key in enumerate(ids, start=1):
            if key not in IDENTITY:
                ws.cell(r, c).value = None
    path = tmp / "luc-nam.xlsx"
    book.save(path)
    return path, codes


def _recognised(codes: list[str], tmp: Path) -> int:
    """How many of these units the full sample's run finds eligible."""
    cqtt("score", SAMPLE, "--criteria", "bac-giang@2024", "--json", tmp / "ca-tinh.json")
    return sum(u["recognised"] for u in read_results(tmp / "ca-tinh.json")["units"] if u["code"] in codes)


def test_blank_template_rows_have_not_applied_and_count_in_the_district_share(tmp_path: Path) -> None:
    path, codes = district_file(tmp_path)
    eligible = _recognised(codes, tmp_path)
    book = tmp_path / "kq.xlsx"
    code, out = cqtt(
        "score", path, "--criteria", "bac-giang@2024", "-o", book, "--json", tmp_path / "kq.json"
    )
    assert code == 0, out
    lines = out.splitlines()
    assert "Đã chấm 10 đơn vị theo bac-giang@2024 (sha256 35839c0a8f9d…)" in lines
    waiting = next(line for line in lines if line.startswith("Chưa nộp hồ sơ"))
    assert waiting.startswith(
        "Chưa nộp hồ sơ: 14 đơn vị (không chấm, không xếp hạng, vẫn tính trong mẫu số): 07480 Xã Chu Điện, "
    )
    share = f"{eligible / 24:.1%}".replace(".", ",")
    assert (
        f"  Đủ điều kiện công nhận:           {eligible} trong 24 đơn vị của Huyện Lục Nam "
        f"({share}; chỉ tiêu 60,0%: chưa đạt)" in lines
    )
    assert "  Đơn vị thiếu hoặc sai minh chứng: 0 (0 lỗi khi đọc)" in lines
    assert "Tiêu chí bắt buộc không đạt" not in out and "toàn tỉnh" not in out
    data = read_results(tmp_path / "kq.json")
    assert [u["code"] for u in data["units"]] == sorted(codes, key=[u["code"] for u in data["units"]].index)
    assert len(data["units"]) == 10 and len(data["not_submitted"]) == 14
    assert data["summary"]["population"] == 24 and data["summary"]["scope"] == "Huyện Lục Nam"
    summary = [
        [v for v in row if v is not None]
        for row in load_workbook(book)["Tổng hợp"].iter_rows(values_only=True)
    ]
    assert [
        f"Tỷ lệ đủ điều kiện công nhận của Huyện Lục Nam: {share} ({eligible}/24 đơn vị, "
        "kể cả 14 đơn vị chưa nộp) — chỉ tiêu 60%: CHƯA ĐẠT"
    ] in summary
    assert [
        "Cộng (Huyện Lục Nam)",
        10,
        14,
        *next(r for r in summary if r and r[0] == "Huyện Lục Nam")[3:],
    ] in summary
    assert not any(r and r[0] == "Toàn tỉnh" for r in summary)
    assert ["Xã Chu Điện", "07480", "Huyện Lục Nam", "luc-nam.xlsx, sheet “Nhập liệu”, dòng 14"] in summary
    ranked = load_workbook(book)["Xếp hạng"]
    assert "07480" not in [str(c) for row in ranked.iter_rows(values_only=True) for c in row]


def test_only_the_province_unit_list_makes_a_share_province_wide(tmp_path: Path) -> None:
    path, codes = district_file(tmp_path)
    eligible = _recognised(codes, tmp_path)
    code, out = cqtt(
        "score", path, "--criteria", "bac-giang@2024", "--json", tmp_path / "kq.json",
        "--units", ROOT / "samples/units/bac-giang.csv",
    )  # fmt: skip
    assert code == 0, out
    share = f"{eligible / 195:.1%}".replace(".", ",")
    assert (
        f"  Đủ điều kiện công nhận:           {eligible} trong 195 đơn vị toàn tỉnh "
        f"({share}; chỉ tiêu 60,0%: chưa đạt)" in out.splitlines()
    )
    assert "Chưa nộp hồ sơ: 185 đơn vị" in out
    data = read_results(tmp_path / "kq.json")
    assert data["summary"]["whole_province"] is True and data["summary"]["not_submitted"] == 185
    listed = {w["code"]: w["source"] for w in data["not_submitted"]}
    assert listed["07201"] == "danh sách bac-giang.csv" and listed["07480"].startswith("luc-nam.xlsx")


# -- 12. what the survey tallies changed --------------------------------------------------------------
def test_values_replaced_by_tallies_are_counted_apart_and_the_results_they_change_named(
    tmp_path: Path,
) -> None:
    tallies = tmp_path / "kiem-dem.csv"
    code, out = cqtt(
        "survey", "tally", ROOT / "samples/bac-giang-2024-phieu-khao-sat.csv", "--criteria", "bac-giang@2024",
        "--year", "2024", "--csv", tallies,
    )  # fmt: skip
    assert code == 0, out
    cqtt("score", SAMPLE, "--criteria", "bac-giang@2024", "--json", tmp_path / "go-tay.json")
    code, out = cqtt(
        "score", SAMPLE, tallies, "--criteria", "bac-giang@2024", "--json", tmp_path / "kiem-dem.json"
    )
    assert code == 0, out
    typed = {u["code"]: u["recognised"] for u in read_results(tmp_path / "go-tay.json")["units"]}
    data = read_results(tmp_path / "kiem-dem.json")
    counted = {u["code"]: u["recognised"] for u in data["units"]}
    changed = sorted(c for c in counted if counted[c] != typed[c])
    replaced = [p for p in data["evidence_problems"] if p["kind"] == "replaced"]
    errors = [p for p in data["evidence_problems"] if p["kind"] == "problem"]
    assert changed and len(replaced) > 1000 and len(errors) < 10
    lines = out.splitlines()
    assert f"  Đã thay bằng số kiểm đếm:         {len(replaced)} giá trị khảo sát gõ tay" in lines
    assert any(line.endswith(f"({len(errors)} lỗi khi đọc)") for line in lines)
    assert (
        f"Số kiểm đếm làm đổi kết quả của {len(changed)} đơn vị: đủ điều kiện {sum(typed.values())} "
        f"(theo số gõ tay) → {sum(counted.values())} (theo số kiểm đếm): {', '.join(changed[:20])}…"
    ) in lines
    assert "đã thay bằng số kiểm đếm" not in out  # each replacement is in the JSON and workbook, not a line
    assert data["summary"]["tallies_changed"] == changed


# -- 9. a checklist set's workbook ---------------------------------------------------------------------
def test_a_checklist_workbook_is_titled_by_its_set_and_shows_each_target_share(tmp_path: Path) -> None:
    book, out = tmp_path / "hy.xlsx", tmp_path / "hy.json"
    code, printed = cqtt(
        "score", ROOT / "samples/hung-yen-2025.csv", "--criteria", "hung-yen@2025", "-o", book, "--json", out
    )
    assert code == 0, printed
    rows = [
        [v for v in r if v is not None] for r in load_workbook(book)["Tổng hợp"].iter_rows(values_only=True)
    ]
    assert rows[0] == [
        "Kết quả chấm điểm theo chỉ tiêu thực hiện dân chủ ở cơ sở cấp xã đến năm 2025 — tỉnh Hưng Yên"
    ]
    assert not any("Bắc Giang" in str(v) or "Chính quyền thân thiện”" in str(v) for r in rows[:2] for v in r)
    start = rows.index(["Tỷ lệ đơn vị đạt từng chỉ tiêu"])
    assert rows[start + 1] == ["Chỉ tiêu", "Số đơn vị áp dụng", "Số đơn vị đạt", "Tỷ lệ đạt"]
    for criterion in read_results(out)["summary"]["criteria"]:
        assert [
            criterion["title"],
            criterion["applicable_units"],
            criterion["full_points_units"],
            criterion["full_points_share"],
        ] in rows[start + 2 :]
    bg = tmp_path / "bg.xlsx"
    cqtt("score", SAMPLE, "--criteria", "bac-giang@2024", "-o", bg)
    bg_rows = [
        [v for v in r if v is not None] for r in load_workbook(bg)["Tổng hợp"].iter_rows(values_only=True)
    ]
    assert bg_rows[0] == [
        'Kết quả chấm điểm theo bộ tiêu chí xây dựng "Chính quyền thân thiện" xã, phường, thị trấn '
        "tỉnh Bắc Giang"
    ]
    assert ["Tỷ lệ đơn vị đạt từng chỉ tiêu"] not in bg_rows  # a points scale: Chi tiết has the criteria


# -- 14, 15. year over year ------------------------------------------------------------------------------
def test_year_over_year_says_when_the_sets_differ_and_before_this_years_decision(tmp_path: Path) -> None:
    db = tmp_path / "lich-su.sqlite"
    code, _ = cqtt("score", ROOT / "samples/bac-giang-2023.xlsx", "--criteria", "bac-giang@2023", "--json",
                   tmp_path / "a.json", "--db", db)  # fmt: skip
    assert code == 0
    book = tmp_path / "b.xlsx"
    code, out = cqtt("score", SAMPLE, "--criteria", "bac-giang@2024", "-o", book, "--db", db)
    assert code == 0, out
    lines = out.splitlines()
    assert (
        "  Năm 2023 chấm theo bac-giang@2023, năm nay theo bac-giang@2024: tổng điểm và thay đổi điểm "
        "so sánh hai bộ tiêu chí khác nhau" in lines
    )
    assert any(
        line.startswith("  Đã công nhận năm 2023, năm nay chưa đạt:")
        and line.endswith(" 0 (chưa có quyết định năm nay)")
        for line in lines
    )
    assert not any(line.startswith("  Mất công nhận") for line in lines)
    heads = [c.value for c in load_workbook(book)["Xếp hạng"][1]]
    assert (
        "Thay đổi điểm (năm 2023 theo bac-giang@2023, năm nay theo bac-giang@2024: hai bộ khác nhau)" in heads
    )
    lost = heads.index("Mất công nhận so với 2023") + 1
    marks = {
        c.value
        for c in next(load_workbook(book)["Xếp hạng"].iter_cols(min_col=lost, max_col=lost, min_row=2))
    }
    assert marks == {None, "Chưa đạt (chưa có quyết định năm nay)"}
    code, out = cqtt("history", "07207", "--db", db)
    line = next(x for x in out.splitlines() if x.startswith("  so với năm trước:"))
    assert "“Tỷ lệ tổ chức, doanh nghiệp hài lòng”: 0 → 5" in line
    assert "cảnh báo mới: sát ngưỡng công nhận" in line
    for code_ in ("hai_long_to_chuc", "borderline", "self_score_inflated", "an_ninh"):
        assert code_ not in line


# -- 17. files people open by double-click ---------------------------------------------------------------
def test_an_output_held_open_by_another_program_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows, Excel holds the workbook it has open: replacing it fails with a permission error
    although the folder is writable (os.replace behaves so there; here it is made to)."""
    import os

    target = tmp_path / "ket-qua.xlsx"
    target.write_bytes(b"the old workbook")
    real = os.replace

    def held(src: str, dst: str) -> None:
        if Path(dst) == target:
            raise PermissionError(13, "Access is denied", str(dst))
        real(src, dst)

    monkeypatch.setattr(os, "replace", held)
    code, out = cqtt("score", SAMPLE, "--criteria", "bac-giang@2024", "-o", target, "--force")
    assert code == 1
    assert out.splitlines()[-1] == (
        f"Lỗi: {target}: tệp đang mở trong chương trình khác, hãy đóng rồi chạy lại; tệp cũ vẫn nguyên"
    )
    assert target.read_bytes() == b"the old workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["ket-qua.xlsx"]  # no temporary file left


def test_a_name_typed_in_nfc_finds_the_file_stored_in_nfd(tmp_path: Path) -> None:
    import unicodedata

    folder = tmp_path / unicodedata.normalize("NFD", "Lục Nam")
    folder.mkdir()
    stored = folder / unicodedata.normalize("NFD", "minh chứng xã.xlsx")
    stored.write_bytes(SAMPLE.read_bytes())
    typed = tmp_path / "Lục Nam" / "minh chứng xã.xlsx"  # as typed on a keyboard: NFC
    assert typed.name == unicodedata.normalize("NFC", typed.name) and not typed.exists()
    code, out = cqtt("score", typed, "--criteria", "bac-giang@2024", "--json", tmp_path / "kq.json")
    assert code == 0, out
    assert "Đã chấm 195 đơn vị" in out


def test_history_takes_a_units_name_and_lists_the_units_a_name_is_ambiguous_between(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    code, _ = cqtt("score", SAMPLE, "--criteria", "bac-giang@2024", "--json", tmp_path / "a.json", "--db", db)
    assert code == 0
    by_code = cqtt("history", "07495", "--db", db)[1]
    by_name = cqtt("history", "xã  lan mẫu", "--db", db)
    assert by_name == (0, by_code)
    code, out = cqtt("history", "Xã Đồng Tiến", "--db", db)
    assert code == 1
    assert out.splitlines()[-1] == (
        "Lỗi: có 2 đơn vị tên “Xã Đồng Tiến”: 07243 Xã Đồng Tiến; 07816 Xã Đồng Tiến; ghi mã đơn vị"
    )


# -- 5. which rules ------------------------------------------------------------------------------------
def test_a_provinces_rules_folder_is_searched_first_and_every_run_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    own = tmp_path / "quy-dinh" / "bac-giang"
    own.mkdir(parents=True)
    edited = (
        (ROOT / "criteria/bac-giang/2024.yaml").read_text("utf-8").replace("min_total: 85", "min_total: 80")
    )
    (own / "2024.yaml").write_text(edited, "utf-8")
    digest = hashlib.sha256(edited.encode()).hexdigest()
    monkeypatch.chdir(tmp_path)
    code, out = cqtt(
        "--rules", "quy-dinh", "score", SAMPLE, "--criteria", "bac-giang@2024", "--json", "a.json"
    )
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == (
        f"Bộ tiêu chí bac-giang@2024: quy-dinh/bac-giang/2024.yaml (sha256 {digest[:12]}…); "
        "BẢN MẪU — chưa phải bộ tiêu chí chính thức"
    )
    assert lines[1] == (
        f"cảnh báo: {ROOT / 'criteria/bac-giang/2024.yaml'} cũng là bac-giang@2024 nhưng nội dung khác; đang "
        "dùng quy-dinh/bac-giang/2024.yaml (thư mục của tỉnh đặt bằng --rules hoặc CQTT_RULES được tìm trước "
        "bộ có sẵn)"
    )
    assert read_results(tmp_path / "a.json")["criteria"]["sha256"] == digest
    monkeypatch.setenv("CQTT_RULES", str(tmp_path / "quy-dinh"))
    code, out = cqtt("score", SAMPLE, "--criteria", "bac-giang@2024", "--json", "b.json")
    assert code == 0 and read_results(tmp_path / "b.json")["criteria"]["sha256"] == digest
    monkeypatch.delenv("CQTT_RULES")
    code, out = cqtt("score", SAMPLE, "--criteria", "bac-giang@2024", "--json", "c.json")
    bundled = hashlib.sha256((ROOT / "criteria/bac-giang/2024.yaml").read_bytes()).hexdigest()
    assert out.splitlines()[0].startswith(
        f"Bộ tiêu chí bac-giang@2024: {ROOT / 'criteria/bac-giang/2024.yaml'} "
    )
    assert read_results(tmp_path / "c.json")["criteria"]["sha256"] == bundled


# -- 8. a model set says so everywhere ------------------------------------------------------------------
MODEL = "BẢN MẪU — chưa phải bộ tiêu chí chính thức"


def _page_marks(book: Path) -> dict[str, tuple[str, str]]:
    """Each visible sheet's printed page header (centre) and footer (right), as Excel prints them."""
    found = {}
    for ws in load_workbook(book).worksheets:
        if ws.sheet_state == "visible":
            found[ws.title] = (ws.oddHeader.center.text or "", ws.oddFooter.right.text or "")
    return found


def test_every_command_and_every_printed_page_of_a_model_set_says_so(tmp_path: Path) -> None:
    books = {
        "score": ["score", SAMPLE, "--criteria", "bac-giang@2024", "-o", tmp_path / "kq.xlsx"],
        "template": ["template", "--criteria", "bac-giang@2024", "-o", tmp_path / "mau.xlsx"],
        "guide": ["criteria", "show", "bac-giang@2024", "--xlsx", tmp_path / "hd.xlsx"],
        "diff": ["criteria", "diff", "bac-giang@2023", "bac-giang@2024", "-o", tmp_path / "ss.xlsx"],
        "tally": ["survey", "tally", ROOT / "samples/bac-giang-2024-phieu-khao-sat.csv", "--criteria",
                  "bac-giang@2024", "-o", tmp_path / "kd.xlsx"],
        "recheck": ["recheck", ROOT / "samples/bac-giang-2024-to-tham-dinh.xlsx", "-o", tmp_path / "pt.xlsx"],
        "sample": ["sample", ROOT / "samples/bac-giang-2024-to-tham-dinh.xlsx", "--n", "3", "--seed", "1",
                   "-o", tmp_path / "td.xlsx"],
    }  # fmt: skip
    for name, args in books.items():
        code, out = cqtt(*args)
        assert code in (0, 3), (name, out)
        assert "(sha256 " in out and f"; {MODEL}" in out.splitlines()[0], (name, out.splitlines()[0])
        book = Path(args[args.index("-o") + 1] if "-o" in args else args[-1])
        marks = _page_marks(book)
        assert marks and all(mark == ("BẢN MẪU", "Trang &P/&N") for mark in marks.values()), (name, marks)
    summary = [
        r[0] for r in load_workbook(tmp_path / "kq.xlsx")["Tổng hợp"].iter_rows(max_row=2, values_only=True)
    ]
    assert summary[1].endswith(MODEL)
    recheck = [
        r[0] for r in load_workbook(tmp_path / "pt.xlsx")["Tổng hợp"].iter_rows(max_row=1, values_only=True)
    ]
    assert recheck[0] == f"Kết quả phúc tra theo bac-giang@2024 — {MODEL}"


# -- 13. a draft against the version it edits --------------------------------------------------------
def test_a_draft_diff_names_its_sides_by_file_and_shows_the_effect_on_the_target(tmp_path: Path) -> None:
    draft = tmp_path / "du-thao.yaml"
    text = (
        (ROOT / "criteria/bac-giang/2024.yaml").read_text("utf-8").replace("min_total: 85", "min_total: 80")
    )
    draft.write_text(text, "utf-8")
    book = tmp_path / "so-sanh.xlsx"
    code, out = cqtt(
        "criteria", "diff", ROOT / "criteria/bac-giang/2024.yaml", draft, "--evidence", SAMPLE, "-o", book,
        "--json", tmp_path / "so-sanh.json",
    )  # fmt: skip
    assert code == 0, out
    lines = out.splitlines()
    assert "So sánh 2024.yaml → du-thao.yaml: 1 thay đổi" in lines
    assert "  * Công nhận: tổng điểm tối thiểu: 85 → 80" in lines
    assert "cảnh báo" not in out  # a file named by its path is what was asked for
    import json

    data = json.loads((tmp_path / "so-sanh.json").read_text("utf-8"))
    old, new = data["eligible"]["old"], data["eligible"]["new"]
    assert new["recognisable"] > old["recognisable"]
    shares = [f"{x['recognisable'] / x['units']:.1%}".replace(".", ",") for x in (old, new)]
    assert (
        f"Đủ điều kiện công nhận: {old['recognisable']}/195 ({shares[0]}) theo 2024.yaml → "
        f"{new['recognisable']}/195 ({shares[1]}) theo du-thao.yaml; chỉ tiêu 60,0%: chưa đạt → chưa đạt"
    ) in lines
    wb = load_workbook(book)
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            if row and row[0] in ("Loại", "Mã đơn vị", "Mã tiêu chí", "Phiên bản"):
                heads = [h for h in row if h]
                assert len(heads) == len(set(heads)), (ws.title, heads)
                break
    changes = list(wb["Thay đổi bộ tiêu chí"].iter_rows(min_row=4, values_only=True))
    assert changes[0] == ("Sửa", "Công nhận: tổng điểm tối thiểu", "85 → 80", "recognition.min_total")


# -- 15. text for people holds no machine codes -------------------------------------------------------
def test_rule_test_failures_read_in_words(tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "bac-giang"
    folder.mkdir()
    shutil.copy(ROOT / "criteria/bac-giang/2024.yaml", folder / "2024.yaml")
    tests = (ROOT / "criteria/bac-giang/2024.tests.yaml").read_text("utf-8")
    (folder / "2024.tests.yaml").write_text(
        tests.replace("recognised: true", "recognised: false", 1), "utf-8"
    )
    code, out = cqtt("criteria", "test", folder / "2024.yaml")
    assert code == 1
    assert "công nhận (recognised): mong đợi chưa đạt, tính được đạt" in out
    assert "False" not in out and "True" not in out


def test_the_recheck_names_flags_by_their_labels_and_the_field_form_puts_codes_last(tmp_path: Path) -> None:
    team = tmp_path / "to.xlsx"
    cqtt("score", SAMPLE, "--criteria", "bac-giang@2024", "-o", team)
    book = load_workbook(team)
    ws = book["Cảnh báo"]
    heads = [c.value for c in ws[4]]  # below the legend of severity words
    code_col = heads.index("Mã cảnh báo")
    row = next(r for r in ws.iter_rows(min_row=5) if r[code_col].value == "borderline")
    ws.delete_rows(row[0].row)  # a team hides a "sát ngưỡng" flag
    book.save(tmp_path / "to-sua.xlsx")
    code, out = cqtt("recheck", tmp_path / "to-sua.xlsx", "--json", tmp_path / "pt.json")
    assert code == 3
    assert "Cảnh báo “Sát ngưỡng công nhận”: tổ không → tỉnh có" in out
    assert "“borderline”" not in out
    field = tmp_path / "td.xlsx"
    code, out = cqtt("sample", team, "--n", "2", "--seed", "7", "-o", field)
    assert code == 0, out
    fbook = load_workbook(field)
    heads = next(r for r in fbook["Kiểm tra thực địa"].iter_rows(values_only=True) if r[0] == "Mã đơn vị")
    assert heads == (
        "Mã đơn vị", "Minh chứng", "Giá trị tổ thẩm định dùng", "Giá trị kiểm tra thực tế", "Ghi chú",
        "Mã trường",
    )  # fmt: skip
    lines = [r[0] for r in fbook["Mẫu chọn"].iter_rows(max_row=6, values_only=True) if r[0]]
    weights = next(line for line in lines if line.startswith("Trọng số: "))
    assert "mỗi đơn vị 1" in weights and "cộng nếu sát ngưỡng công nhận 3" in weights
    assert "base" not in weights and "borderline" not in weights
    assert any(
        line.startswith("Cách chọn (làm lại được trên mọi máy): mỗi đơn vị có một số u") for line in lines
    )


def test_a_diff_describes_scoring_methods_by_the_evidence_labels_not_their_ids() -> None:
    code, out = cqtt("criteria", "diff", "bac-giang@2023", "bac-giang@2024")
    assert code == 0, out
    method = next(
        line for line in out.splitlines() if "Phát nội dung khoản 7–12" in line and "cách chấm" in line
    )
    assert "Có/không: “Nội dung công khai được phát trên hệ thống truyền thanh” = Có → Có/không: " in method
    assert "phat_thanh" not in method
    ids = [d.id for d in load_ref("bac-giang@2024").model.evidence]
    described = [line for line in out.splitlines() if "cách chấm" in line or "áp dụng khi" in line]
    assert described and not [
        line for line in described if any(f" {i} " in line or f"({i}" in line for i in ids)
    ]
