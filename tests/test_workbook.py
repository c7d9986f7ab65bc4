"""The ranked workbook and the template, read back with openpyxl: sheets, headers, values, safety."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from engine import jobs
from engine.intake.evidence import read_mappings
from engine.intake.units import read_units
from engine.outputs.resultsjson import read_results
from engine.outputs.template import write_template
from engine.outputs.workbook import write_results

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "samples" / "bac-giang-2024.xlsx"


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("wb")
    xlsx, out = tmp / "r.xlsx", tmp / "r.json"
    outcome = jobs.score([SAMPLE], "bac-giang@2024", None, xlsx, out)
    return outcome, load_workbook(xlsx), read_results(out)


def _rows(sheet, start: int = 1) -> list[tuple]:
    return [r for r in sheet.iter_rows(min_row=start, values_only=True)]


def test_sheets_in_order(scored) -> None:
    outcome, book, data = scored
    groups = sorted({u["group"] for u in data["units"]})
    assert book.sheetnames[:2] == ["Tổng hợp", "Xếp hạng"]
    assert book.sheetnames[-5:] == ["Cảnh báo", "Chi tiết", "Minh chứng", "Thông tin", "_cqtt"]
    assert book["_cqtt"].sheet_state == "hidden"
    assert len(book.sheetnames) == 7 + len(groups)
    assert all(name.startswith("XH ") for name in book.sheetnames[2:-5])


def test_ranking_sheet_matches_the_json(scored) -> None:
    _, book, data = scored
    rows = _rows(book["Xếp hạng"])
    header = rows[0]
    assert header[:5] == ("Hạng", "Mã đơn vị", "Tên đơn vị", "Nhóm thẩm định", "Tổng điểm")
    assert "Kết quả" in header and "Chênh lệch (tự chấm − thẩm định)" in header
    decision = header.index("Kết quả")
    assert len(rows) - 1 == len(data["units"])
    for row, unit in zip(rows[1:], data["units"], strict=True):
        assert row[:5] == (unit["rank"], unit["code"], unit["name"], unit["group"], unit["total"])
        assert row[decision] == ("Đạt chuẩn" if unit["recognised"] else "Chưa đạt")
    totals = [r[4] for r in rows[1:]]
    assert totals == sorted(totals, reverse=True)


def test_group_sheets_rank_within_the_group(scored) -> None:
    _, book, data = scored
    name = "Huyện Lục Ngạn"
    sheet = book[f"XH {name}"]
    rows = _rows(sheet)[1:]
    members = [u for u in data["units"] if u["group"] == name]
    assert [r[1] for r in rows] == [u["code"] for u in members]
    assert [r[0] for r in rows] == [u["group_rank"] for u in members]
    assert rows[0][0] == 1


def test_flags_sheet_sorted_by_severity_with_facts(scored) -> None:
    _, book, data = scored
    rows = _rows(book["Cảnh báo"])
    assert [r[0] for r in rows[:3]] == ["Nghiêm trọng", "Cần xem", "Lưu ý"]  # the legend
    assert rows[3] == (
        "Mức độ",
        "Mã đơn vị",
        "Tên đơn vị",
        "Nhóm thẩm định",
        "Loại cảnh báo",
        "Nội dung",
        "Căn cứ",
        "Mã cảnh báo",
    )
    body = rows[4:]
    assert len(body) == sum(len(u["flags"]) for u in data["units"])
    order = {"Nghiêm trọng": 1, "Cần xem": 2, "Lưu ý": 3}
    severities = [order[r[0]] for r in body]
    assert severities == sorted(severities)
    inflated = [r for r in body if r[7] == "self_score_inflated"]
    assert inflated and "chênh lệch:" in inflated[0][6] and "tự chấm:" in inflated[0][6]


def test_detail_sheet_has_every_unit_and_criterion(scored) -> None:
    _, book, data = scored
    rows = _rows(book["Chi tiết"])
    assert len(rows) - 1 == sum(len(u["criteria"]) for u in data["units"])
    first = data["units"][0]["criteria"][0]
    heading = rows[0]
    assert rows[1][heading.index("Mã tiêu chí")] == first["id"]
    assert rows[1][heading.index("Điểm")] == first["points"]
    assert rows[1][heading.index("Giải thích")] == first["explanation"]
    assert heading[:6] == ("Mã đơn vị", "Tên đơn vị", "Tiêu chí", "Điểm", "Tối đa", "Giải thích")  # printed


def test_summary_and_provenance(scored) -> None:
    outcome, book, data = scored
    summary = _rows(book["Tổng hợp"])
    whole = next(r for r in summary if r[0] == "Cộng (10 nhóm thẩm định trong tệp)")  # no --units
    assert whole[1:5] == (195, 0, data["summary"]["proposed"], data["summary"]["recognisable"])
    assert book["Tổng hợp"]._charts, "the summary sheet has a bar chart per group"
    info = dict((r[0], r[1]) for r in _rows(book["Thông tin"]) if r[0])
    assert info["SHA-256 tệp tiêu chí"] == data["criteria"]["sha256"]
    assert info["Tệp minh chứng"] == str(SAMPLE)
    assert len(info["SHA-256 tệp minh chứng"]) == 64


def test_formats_freeze_panes_filters_and_print_setup(scored) -> None:
    _, book, _ = scored
    sheet = book["Xếp hạng"]
    assert sheet.freeze_panes == "D2"
    assert sheet.auto_filter.ref.startswith("A1:")
    assert sheet.print_title_rows == "$1:$1"
    assert sheet.page_setup.orientation == "landscape"
    assert sheet["E2"].number_format == "0.00"  # two decimals, as kept: 84,99 never shows as 85,0
    assert book["Tổng hợp"]["G6"].number_format == "0.0%"
    assert len(sheet.conditional_formatting) >= 3


def test_user_text_never_becomes_a_formula(bg2024, full_unit_2024) -> None:
    from engine.scoring.engine import Engine

    names = ["=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(A1)", "Xã\x07 Chuông"]
    rows = [
        {"ma_don_vi": f"F{i}", "ten_don_vi": name, "nhom_tham_dinh": "=cmd|' /C calc'!A0", **full_unit_2024}
        for i, name in enumerate(names)
    ]
    engine = Engine(bg2024)
    run = engine.run(read_mappings(rows, bg2024.model, "(test)"))
    handle = io.BytesIO()
    write_results(handle, bg2024.model, run, "2024-01-01T00:00:00+07:00", {})
    handle.seek(0)
    book = load_workbook(handle)
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    written = {r[2] for r in _rows(book["Xếp hạng"])[1:]}
    assert written == {"=1+1", "+SUM(A1:A2)", "-2+3", "@SUM(A1)", "Xã Chuông"}


def test_template_has_instructions_validation_protection_and_binding(bg2024) -> None:
    handle = io.BytesIO()
    units = read_units(ROOT / "samples/units/bac-giang.csv")
    write_template(handle, bg2024, units, 2024)
    handle.seek(0)
    book = load_workbook(handle)
    assert book.sheetnames == ["Hướng dẫn", "Nhập liệu", "_cqtt"]
    assert book["_cqtt"].sheet_state == "hidden"
    binding = {r[0]: r[1] for r in book["_cqtt"].iter_rows(values_only=True)}
    assert binding["criteria"] == "bac-giang" and binding["version"] == "2024"
    assert binding["sha256"] == bg2024.sha256
    sheet = book["Nhập liệu"]
    ids = [c.value for c in sheet[3]]
    declared = [d.id for d in bg2024.model.evidence]
    assert set(declared) <= set(ids)
    assert sheet["A4"].value == units[0].code and sheet["B4"].value == units[0].name
    assert sheet.freeze_panes == "C4"
    assert sheet.protection.sheet
    assert sheet["A1"].protection.locked and not sheet["F4"].protection.locked
    validations = {str(dv.sqref): dv for dv in sheet.data_validations.dataValidation}
    yes_no = ids.index("vu_viec_sach_nhieu") + 1
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(yes_no)
    dv = validations[f"{letter}4:{letter}{3 + len(units)}"]
    assert dv.type == "list" and dv.formula1 == '"Có,Không"'
    assert dv.error and "Có" in dv.error and dv.prompt
    percent = get_column_letter(ids.index("ty_le_ho_so_dung_han") + 1)
    dv = validations[f"{percent}4:{percent}{3 + len(units)}"]
    assert dv.type == "decimal" and (dv.formula1, dv.formula2) == ("0.0", "1.0")
    assert "%" in dv.prompt
    labels = [c.value for c in sheet[2]]
    assert "Tỷ lệ hồ sơ thủ tục hành chính giải quyết đúng hạn, trước hạn" in labels
    instructions = [r[0] for r in book["Hướng dẫn"].iter_rows(values_only=True) if r[0]]
    assert any("Nhập liệu" in str(line) for line in instructions)


def test_results_workbook_is_written_in_streaming_mode(bg2024, full_unit_2024, monkeypatch) -> None:
    """Write-only mode: the workbook is streamed, so memory does not grow with cells kept."""
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from engine.scoring.engine import Engine

    rows = [{"ma_don_vi": f"S{i}", **full_unit_2024} for i in range(50)]
    run = Engine(bg2024).run(read_mappings(rows, bg2024.model, "(test)"))
    seen = []

    import engine.outputs.xlsxstyle as wb_module

    original = wb_module.Workbook

    class Spy(original):
        def create_sheet(self, *args, **kwargs):
            sheet = super().create_sheet(*args, **kwargs)
            seen.append(sheet)
            return sheet

    monkeypatch.setattr(wb_module, "Workbook", Spy)
    write_results(io.BytesIO(), bg2024.model, run, "t", {})
    assert seen and all(isinstance(s, WriteOnlyWorksheet) for s in seen)


def test_units_list_headers_match_like_evidence_headers(tmp_path) -> None:
    """The units list accepts the same headings as evidence files, with or without diacritics."""
    path = tmp_path / "don-vi.csv"
    path.write_text("Ma don vi,Tên đơn vị,NHÓM THẨM ĐỊNH\n07201,Phường Thọ Xương,Tổ 1\n", "utf-8")
    units = read_units(path)
    assert [(u.code, u.name, u.group) for u in units] == [("07201", "Phường Thọ Xương", "Tổ 1")]


def test_the_same_inputs_give_a_byte_identical_workbook(tmp_path, monkeypatch) -> None:
    """With SOURCE_DATE_EPOCH the workbook's properties and zip entries carry the run's time, so
    two runs of the same inputs write the same bytes (as the JSON always did)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1732500000")
    books = []
    for name in ("a.xlsx", "b.xlsx"):
        time.sleep(1.1)  # openpyxl stamps the clock to the second; the copy must replace it
        jobs.score([ROOT / "samples" / "hung-yen-2025.csv"], "hung-yen@2025", None, tmp_path / name, None)
        books.append((tmp_path / name).read_bytes())
    assert books[0] == books[1]
