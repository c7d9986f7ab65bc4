"""Hostile survey responses for `cqtt survey tally`: files that are not a table of responses, and
answers that are not exactly one of the levels. Each gets its exact line (docs/hostile-inputs.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import Case, run_case
from openpyxl import Workbook

HEAD = (
    "Dấu thời gian,Mã đơn vị,Mẫu phiếu,Mã người trả lời,"
    "[pks01.cong_khai],[pks01.tham_gia_y_kien],[pks01.danh_gia_chung]\n"
)


def _tally(tmp: Path, name: str) -> list[str]:
    return ["survey", "tally", str(tmp / name), "--criteria", "bac-giang@2024", "--year", "2024",
            "--csv", str(tmp / "kiem-dem.csv")]  # fmt: skip


def survey_no_header(tmp: Path) -> list[str]:
    (tmp / "khac.csv").write_text("a,b\n1,2\n", "utf-8")
    return _tally(tmp, "khac.csv")


def survey_empty_file(tmp: Path) -> list[str]:
    (tmp / "rong.csv").write_bytes(b"")
    return _tally(tmp, "rong.csv")


def survey_header_only(tmp: Path) -> list[str]:
    (tmp / "tieu-de.csv").write_text(HEAD, "utf-8")
    return _tally(tmp, "tieu-de.csv")


def survey_answer_a_fraction(tmp: Path) -> list[str]:
    (tmp / "phieu.csv").write_text(HEAD + '01/03/2024 08:00,07201,PKS01,A1,3,"3/5",3\n', "utf-8")
    return _tally(tmp, "phieu.csv")


def survey_answer_a_decimal(tmp: Path) -> list[str]:
    (tmp / "phieu.csv").write_text(HEAD + '01/03/2024 08:00,07201,PKS01,A1,3,3,"2,9"\n', "utf-8")
    return _tally(tmp, "phieu.csv")


def survey_respondent_in_another_case(tmp: Path) -> list[str]:
    rows = "01/03/2024 08:00,07201,PKS01,NV01,3,3,3\n01/03/2024 09:00,07201,PKS01,nv01,1,1,1\n"
    (tmp / "phieu.csv").write_text(HEAD + rows, "utf-8")
    return _tally(tmp, "phieu.csv")


def survey_responses_on_a_hidden_sheet(tmp: Path) -> list[str]:
    book = Workbook()
    shown = book.active
    shown.title = "Phiếu"
    hidden = book.create_sheet("Phiếu cũ")
    for ws in (shown, hidden):
        for line in (HEAD + "01/03/2024 08:00,07201,PKS01,A1,3,3,3\n").splitlines():
            ws.append(line.split(","))
    hidden.sheet_state = "hidden"
    book.save(tmp / "phieu.xlsx")
    return _tally(tmp, "phieu.xlsx")


LEVELS = (
    "câu trả lời ngoài các mức (1 = Không hài lòng, 2 = Bình thường, 3 = Hài lòng); phiếu không được tính"
)
# fmt: off
CASES = [
    Case(survey_no_header, 1, "Lỗi: {tmp}/khac.csv: không tìm thấy dòng tiêu đề có cột “Mã đơn vị” trong 10 dòng đầu; tệp không phải bảng phiếu trả lời (mỗi dòng một người trả lời)"),
    Case(survey_empty_file, 1, "Lỗi: {tmp}/rong.csv: tệp trống, không có phiếu trả lời nào"),
    Case(survey_header_only, 1, "Lỗi: {tmp}/tieu-de.csv: tệp chỉ có dòng tiêu đề, không có phiếu trả lời nào"),
    Case(survey_answer_a_fraction, 0, "{tmp}/phieu.csv, dòng 2, cột “[pks01.tham_gia_y_kien]”: giá trị “3/5”: " + LEVELS, anywhere=True, writes=True),
    Case(survey_answer_a_decimal, 0, "{tmp}/phieu.csv, dòng 2, cột “[pks01.danh_gia_chung]”: giá trị “2,9”: " + LEVELS, anywhere=True, writes=True),
    Case(survey_respondent_in_another_case, 0, "{tmp}/phieu.csv, dòng 3: trùng mã người trả lời với dòng 2 (cùng mẫu phiếu pks01); phiếu bị bỏ qua", anywhere=True, writes=True),
    Case(survey_responses_on_a_hidden_sheet, 0, "{tmp}/phieu.xlsx, sheet “Phiếu cũ”: sheet đang ẩn; phiếu trên sheet này không được đọc — hiện sheet (Unhide) nếu cần kiểm đếm", anywhere=True, writes=True),
]
# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_survey_responses(case: Case, tmp_path: Path) -> None:
    run_case(case, tmp_path)
