"""Hostile evidence files: broken, huge or odd workbooks and CSVs, and the cells people type.

Most start from a five-unit copy of the bundled 2024 sample (units 07201 to 07213, rows 4 to 8 of
sheet “Nhập liệu”) and change one thing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import tempfile
import unicodedata
import zipfile
from functools import cache
from pathlib import Path

import pytest
from hostile import ROOT, Case, alias_bomb, run_case
from openpyxl import load_workbook

SAMPLE = ROOT / "samples" / "bac-giang-2024.xlsx"
HUNG_YEN = ROOT / "samples" / "hung-yen-2025.csv"
SHEET = "Nhập liệu"


@cache
def base() -> Path:
    """The sample cut to its first five units (built once per test session)."""
    book = load_workbook(SAMPLE)
    book[SHEET].delete_rows(9, 300)
    path = Path(tempfile.mkdtemp(prefix="cqtt-hostile-")) / "co-so.xlsx"
    book.save(path)
    return path


def _edit(tmp: Path, change, name: str = "minh-chung.xlsx") -> Path:  # type: ignore[no-untyped-def]
    book = load_workbook(base())
    ws = book[SHEET]
    columns = {c.value: c.column for c in ws[3] if c.value}
    change(ws, columns, book)
    path = tmp / name
    book.save(path)
    return path


def _score(tmp: Path, path: Path, ref: str = "bac-giang@2024", *extra: str) -> list[str]:
    return ["score", str(path), "--criteria", ref, "--json", str(tmp / "ket-qua.json"), *extra]


def _rewrite(tmp: Path, edit, name: str) -> Path:  # type: ignore[no-untyped-def]
    """The base workbook with its data sheet's XML rewritten (what openpyxl would never write)."""
    path = tmp / name
    with zipfile.ZipFile(base()) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet2.xml":
                data = edit(data.decode("utf-8")).encode("utf-8")
            zout.writestr(item, data)
    return path


# -- broken files --------------------------------------------------------------------------------
def ev_text_named_xlsx(tmp: Path) -> list[str]:
    (tmp / "a.xlsx").write_text("không phải Excel", "utf-8")
    return _score(tmp, tmp / "a.xlsx")


def ev_truncated_xlsx(tmp: Path) -> list[str]:
    (tmp / "cut.xlsx").write_bytes(base().read_bytes()[:6000])
    return _score(tmp, tmp / "cut.xlsx")


def ev_folder_as_file(tmp: Path) -> list[str]:
    (tmp / "thu-muc.xlsx").mkdir()
    return _score(tmp, tmp / "thu-muc.xlsx")


def ev_unsupported_extension(tmp: Path) -> list[str]:
    (tmp / "minh-chung.txt").write_text("ma_don_vi\n1\n", "utf-8")
    return _score(tmp, tmp / "minh-chung.txt")


def ev_empty_csv(tmp: Path) -> list[str]:
    (tmp / "rong.csv").write_bytes(b"")
    return _score(tmp, tmp / "rong.csv", "hung-yen@2025")


def ev_binary_csv(tmp: Path) -> list[str]:
    (tmp / "nhi-phan.csv").write_bytes(bytes(range(128, 256)) * 50)
    return _score(tmp, tmp / "nhi-phan.csv", "hung-yen@2025")


def ev_utf16_without_bom(tmp: Path) -> list[str]:
    (tmp / "u16.csv").write_bytes(HUNG_YEN.read_text("utf-8").encode("utf-16-le"))
    return _score(tmp, tmp / "u16.csv", "hung-yen@2025")


def ev_yaml_alias_bomb(tmp: Path) -> list[str]:
    lines = [*alias_bomb(8), "units:\n  - {ma_don_vi: '1', ten_don_vi: *h, co_quy_che_dan_chu: *h}"]
    (tmp / "bom.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    return _score(tmp, tmp / "bom.yaml", "hung-yen@2025")


def ev_json_not_utf8(tmp: Path) -> list[str]:
    (tmp / "mc.json").write_bytes('[{"ma_don_vi": "1", "ten_don_vi": "Xã Hòa"}]'.encode("utf-16"))
    return _score(tmp, tmp / "mc.json", "hung-yen@2025")


# -- what Excel and people write -----------------------------------------------------------------
def _results_of(tmp: Path) -> Path:
    from click.testing import CliRunner

    from cli import main

    done = CliRunner().invoke(
        main,
        [
            "score",
            str(base()),
            "--criteria",
            "bac-giang@2024",
            "-o",
            str(tmp / "kq.xlsx"),
            "--json",
            str(tmp / "kq.json"),
        ],
    )
    assert done.exit_code == 0, done.output
    return tmp / "kq.xlsx"


def ev_results_json_as_evidence(tmp: Path) -> list[str]:
    _results_of(tmp)
    return ["score", str(tmp / "kq.json"), "--criteria", "bac-giang@2024", "-o", str(tmp / "lai.xlsx")]


def ev_results_workbook_as_evidence(tmp: Path) -> list[str]:
    return ["score", str(_results_of(tmp)), "--criteria", "bac-giang@2024", "-o", str(tmp / "lai.xlsx")]


def ev_results_workbook_without_binding(tmp: Path) -> list[str]:
    book = load_workbook(_results_of(tmp))
    del book["_cqtt"]
    book.save(tmp / "kq-sua.xlsx")
    return ["score", str(tmp / "kq-sua.xlsx"), "--criteria", "bac-giang@2024", "-o", str(tmp / "lai.xlsx")]


def ev_json_nested_a_hundred_thousand_deep(tmp: Path) -> list[str]:
    (tmp / "sau.json").write_text("[" * 100_000 + "]" * 100_000, "utf-8")
    return _score(tmp, tmp / "sau.json", "hung-yen@2025")


def ev_yaml_nested_five_thousand_deep(tmp: Path) -> list[str]:
    (tmp / "sau.yaml").write_text("a: " + "[" * 5000 + "]" * 5000 + "\n", "utf-8")
    return _score(tmp, tmp / "sau.yaml", "hung-yen@2025")


def ev_json_lone_surrogate(tmp: Path) -> list[str]:
    (tmp / "mc.json").write_text('[{"ma_don_vi": "X\\ud800", "co_quy_che_dan_chu": "Có"}]', "utf-8")
    return _score(tmp, tmp / "mc.json", "hung-yen@2025")


def ev_proposal_unreadable(tmp: Path) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        ws.cell(5, col["de_nghi"]).value = "Xem xét sau"

    return _score(tmp, _edit(tmp, change))


def ev_utf16_tab_separated(tmp: Path) -> list[str]:
    (tmp / "unicode.txt.csv").write_bytes(HUNG_YEN.read_text("utf-8").replace(",", "\t").encode("utf-16"))
    return _score(tmp, tmp / "unicode.txt.csv", "hung-yen@2025")


def ev_semicolon_separated(tmp: Path) -> list[str]:
    (tmp / "chau-au.csv").write_text(HUNG_YEN.read_text("utf-8").replace(",", ";"), "utf-8")
    return _score(tmp, tmp / "chau-au.csv", "hung-yen@2025")


TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def _cp1258(text: str) -> bytes:
    """Text as Windows-1258 stores it: letters with their shapes, tone marks as separate characters."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base_ = unicodedata.normalize("NFC", "".join(p for p in parts if p not in TONES))
        out.append(base_ + "".join(p for p in parts if p in TONES))
    return "".join(out).encode("cp1258")


def ev_windows_1258(tmp: Path) -> list[str]:
    (tmp / "cp1258.csv").write_bytes(_cp1258(HUNG_YEN.read_text("utf-8")))
    return _score(tmp, tmp / "cp1258.csv", "hung-yen@2025")


def ev_declared_whole_sheet(tmp: Path) -> list[str]:
    path = _rewrite(
        tmp, lambda x: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:XFD1048576"', x), "a.xlsx"
    )
    return _score(tmp, path)


def ev_declared_too_small(tmp: Path) -> list[str]:
    path = _rewrite(tmp, lambda x: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:B5"', x), "b.xlsx")
    return _score(tmp, path)


def ev_sheet_broken_in_the_middle(tmp: Path) -> list[str]:
    """Rows 1-4 well formed, then a cell whose tag never closes: opening succeeds, reading fails."""
    cut = '<row r="5"><c r="A5"><v>1</v></c'
    path = _rewrite(
        tmp, lambda x: x[: x.index('<row r="5"')] + cut + x[x.index('<row r="5"') + 12 :], "hong.xlsx"
    )
    return _score(tmp, path, "bac-giang@2024", "--jobs", "2")


def ev_sheet_broken_in_the_middle_one_process(tmp: Path) -> list[str]:
    return [*ev_sheet_broken_in_the_middle(tmp)[:-2], "--jobs", "1"]


def ev_million_styled_empty_rows(tmp: Path) -> list[str]:
    rows = "".join(f'<row r="{r}"><c r="A{r}" s="1"/><c r="B{r}" s="1"/></row>' for r in range(20, 1_000_020))
    path = _rewrite(tmp, lambda x: x.replace("</sheetData>", rows + "</sheetData>"), "trieu-dong.xlsx")
    return _score(tmp, path)


def ev_formula_without_value(tmp: Path) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        ws.cell(4, col["so_thanh_vien_ban_ttnd"]).value = "=2+3"

    return _score(tmp, _edit(tmp, change))


def ev_merged_cells(tmp: Path) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        c = col["so_tin_bai_tuyen_truyen"]
        ws.merge_cells(start_row=4, end_row=5, start_column=c, end_column=c)

    return _score(tmp, _edit(tmp, change))


def ev_hidden_rows_still_count(tmp: Path) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        ws.row_dimensions[5].hidden = True

    return _score(tmp, _edit(tmp, change))


def ev_units_on_a_hidden_sheet(tmp: Path) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        copy = book.copy_worksheet(ws)
        copy.title = "Bản nháp"
        copy.sheet_state = "hidden"
        for row in copy.iter_rows(min_row=4):
            row[0].value = "9" + str(row[0].value)

    return _score(tmp, _edit(tmp, change))


def ev_date_in_a_number_cell(tmp: Path) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        ws.cell(4, col["so_thanh_vien_ban_ttnd"]).value = dt.datetime(2024, 3, 5)

    return _score(tmp, _edit(tmp, change))


def ev_excel_error_values(tmp: Path) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        ws.cell(4, col["ty_le_ho_so_dung_han"]).value = "#DIV/0!"
        ws.cell(5, col["ty_le_ho_so_dung_han"]).value = "#N/A"

    return _score(tmp, _edit(tmp, change))


def ev_nbsp_thousands(tmp: Path) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        ws.cell(4, col["so_ho_so_tre_han"]).value = "1\u00a0234"

    return _score(tmp, _edit(tmp, change))


def ev_percent_over_100(tmp: Path) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        ws.cell(4, col["ty_le_ho_so_dung_han"]).value = "120%"

    return _score(tmp, _edit(tmp, change))


def ev_tally_more_satisfied_than_asked(tmp: Path) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        ws.cell(4, col["ks_pks01"]).value = "600/500"

    return _score(tmp, _edit(tmp, change))


def _codes(tmp: Path, first: str, second: str) -> list[str]:
    def change(ws, col, book):  # type: ignore[no-untyped-def]
        ws.cell(4, 1).value = first
        ws.cell(5, 1).value = second

    return _score(tmp, _edit(tmp, change))


def ev_codes_equal_after_nfc(tmp: Path) -> list[str]:
    return _codes(tmp, unicodedata.normalize("NFC", "XÃ01"), unicodedata.normalize("NFD", "XÃ01"))


def ev_codes_equal_but_case(tmp: Path) -> list[str]:
    return _codes(tmp, "ab01", "AB01")


def ev_codes_equal_but_spaces(tmp: Path) -> list[str]:
    return _codes(tmp, "07201", " 07201\u00a0")


def ev_codes_equal_but_the_leading_zero(tmp: Path) -> list[str]:
    return _codes(tmp, "07201", 7201)  # Excel turned the second into a number


def ev_one_megabyte_cell(tmp: Path) -> list[str]:
    lines = HUNG_YEN.read_text("utf-8").splitlines()
    head, first, *rest = lines
    cells = first.split(",")
    cells[1] = "Xã " + "A" * 1_000_000
    (tmp / "o-lon.csv").write_text("\n".join([head, ",".join(cells), *rest]) + "\n", "utf-8")
    return _score(tmp, tmp / "o-lon.csv", "hung-yen@2025")


def ev_twenty_thousand_columns(tmp: Path) -> list[str]:
    lines = HUNG_YEN.read_text("utf-8").splitlines()
    extra = [f"cot_{i}" for i in range(20_000)]
    out = [lines[0] + "," + ",".join(extra)] + [line + "," * 20_000 for line in lines[1:]]
    (tmp / "rong-ngang.csv").write_text("\n".join(out) + "\n", "utf-8")
    return _score(tmp, tmp / "rong-ngang.csv", "hung-yen@2025")


def ev_formula_looking_text(tmp: Path) -> list[str]:
    lines = HUNG_YEN.read_text("utf-8").splitlines()
    head, first, *rest = lines
    cells = first.split(",")
    cells[1] = '"=HYPERLINK(""http://x"",""bấm"")"'
    cells[2] = "+cmd|' /C calc'!A0"
    second = rest[0].split(",")
    second[1] = "@SUM(1+1)"
    second[2] = "-2+3"
    third = rest[1].split(",")
    third[1] = "\t=1+1"
    text = "\n".join([head, ",".join(cells), ",".join(second), ",".join(third), *rest[2:]]) + "\n"
    (tmp / "cong-thuc.csv").write_text(text, "utf-8")
    return [
        "score",
        str(tmp / "cong-thuc.csv"),
        "--criteria",
        "hung-yen@2025",
        "-o",
        str(tmp / "ket-qua.xlsx"),
    ]


def ev_zip_bomb(tmp: Path) -> list[str]:
    """A 400 KB workbook whose sheet inflates to 300 MB (Python's zip reader would inflate all of
    it for openpyxl)."""
    from bombs import zip_bomb

    zip_bomb(tmp / "bom-nen.xlsx")
    return ["score", str(tmp / "bom-nen.xlsx"), "--criteria", "bac-giang@2024", "-o", str(tmp / "kq.xlsx")]


def ev_merged_range_bomb(tmp: Path) -> list[str]:
    """One `<mergeCell ref="A1:ALL3000">` in a small workbook: 3 million cells to list."""
    from bombs import merge_bomb

    merge_bomb(tmp / "gop-o.xlsx")
    return ["score", str(tmp / "gop-o.xlsx"), "--criteria", "bac-giang@2024", "-o", str(tmp / "kq.xlsx")]


def ev_rows_of_another_year(tmp: Path) -> list[str]:
    """Two rows whose Năm says 2023, scored for 2024: refused, the rows named (they were scored as
    2024 and, in the portal, filed as that year's dossiers)."""
    import openpyxl

    book = openpyxl.load_workbook(SAMPLE)
    for row in (5, 9):
        book["Nhập liệu"].cell(row, 4).value = 2023
    book.save(tmp / "nam-khac.xlsx")
    return _score(tmp, tmp / "nam-khac.xlsx", "bac-giang", "--year", "2024")


def ev_merged_whole_sheet(tmp: Path) -> list[str]:
    """The whole sheet merged into one range: 17 billion cells."""
    from bombs import merge_bomb

    merge_bomb(tmp / "gop-ca-sheet.xlsx", "A1:XFD1048576")
    return [
        "score",
        str(tmp / "gop-ca-sheet.xlsx"),
        "--criteria",
        "bac-giang@2024",
        "-o",
        str(tmp / "kq.xlsx"),
    ]


# fmt: off
CASES = [
    Case(ev_text_named_xlsx, 1, "Lỗi: {tmp}/a.xlsx: không mở được tệp Excel (BadZipFile: File is not a zip file)"),
    Case(ev_truncated_xlsx, 1, "Lỗi: {tmp}/cut.xlsx: không mở được tệp Excel (BadZipFile: File is not a zip file)"),
    Case(ev_folder_as_file, 1, "Lỗi: {tmp}/thu-muc.xlsx: là một thư mục, không phải tệp minh chứng"),
    Case(ev_unsupported_extension, 1, "Lỗi: {tmp}/minh-chung.txt: định dạng không hỗ trợ; dùng .xlsx, .csv, .yaml hoặc .json"),
    Case(ev_empty_csv, 1, "Lỗi: {tmp}/rong.csv: không tìm thấy bảng có cột “Mã đơn vị” (ma_don_vi) trong 10 dòng đầu"),
    Case(ev_binary_csv, 1, "Lỗi: {tmp}/nhi-phan.csv: không xác định được bảng mã của tệp CSV (không phải UTF-8, UTF-16 có BOM hay Windows-1258); hãy lưu lại dạng “CSV UTF-8”"),
    Case(ev_utf16_without_bom, 1, "Lỗi: {tmp}/u16.csv: tệp có vẻ là UTF-16 nhưng thiếu dấu BOM đầu tệp; hãy lưu lại dạng “CSV UTF-8”"),
    Case(ev_yaml_alias_bomb, 1, "Lỗi: {tmp}/bom.yaml: dòng 6: các bí danh YAML (*tên) mở rộng thành hơn 100.000 nút; viết thẳng giá trị", isolated=True, seconds=10),
    Case(ev_json_not_utf8, 1, "Lỗi: {tmp}/mc.json: tệp không phải UTF-8; lưu lại với mã hóa UTF-8"),
    Case(ev_utf16_tab_separated, 0, "Đã chấm 139 đơn vị theo hung-yen@2025 (sha256 {hy})", anywhere=True, writes=True),
    Case(ev_semicolon_separated, 0, "Đã chấm 139 đơn vị theo hung-yen@2025 (sha256 {hy})", anywhere=True, writes=True),
    Case(ev_windows_1258, 0, "Đã chấm 139 đơn vị theo hung-yen@2025 (sha256 {hy})", anywhere=True, writes=True),
    Case(ev_declared_whole_sheet, 0, "Đã chấm 5 đơn vị theo bac-giang@2024 (sha256 {bg})", anywhere=True, writes=True, isolated=True, seconds=20),
    Case(ev_declared_too_small, 0, "Đã chấm 5 đơn vị theo bac-giang@2024 (sha256 {bg})", anywhere=True, writes=True),
    Case(ev_million_styled_empty_rows, 0, "{tmp}/trieu-dong.xlsx, sheet “Nhập liệu”, dòng 9: dừng đọc sau 10.000 dòng trống liên tiếp; nếu bên dưới còn đơn vị, xóa các dòng trống rồi chạy lại", anywhere=True, writes=True, isolated=True, seconds=30),
    Case(ev_formula_without_value, 0, "{tmp}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 4, cột “O — Số thành viên Ban Thanh tra nhân dân”: giá trị “=2+3”: ô có công thức nhưng chưa có giá trị đã tính (tệp chưa từng được mở bằng Excel); mở bằng Excel hoặc LibreOffice rồi lưu lại, hoặc dán giá trị", anywhere=True, writes=True),
    Case(ev_merged_cells, 0, "Đã chấm 5 đơn vị theo bac-giang@2024 (sha256 {bg})", anywhere=True, writes=True),
    Case(ev_hidden_rows_still_count, 0, "Đã chấm 5 đơn vị theo bac-giang@2024 (sha256 {bg})", anywhere=True, writes=True),
    Case(ev_units_on_a_hidden_sheet, 0, "{tmp}/minh-chung.xlsx, sheet “Bản nháp”: sheet đang ẩn có bảng đơn vị nhưng không được chấm; hiện sheet (Unhide) nếu muốn chấm", anywhere=True, writes=True),
    Case(ev_date_in_a_number_cell, 0, "{tmp}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 4, cột “O — Số thành viên Ban Thanh tra nhân dân”: giá trị “2024-03-05 00:00:00”: ô đang là ngày giờ (05/03/2024), cần một số; đổi định dạng ô sang Number rồi nhập lại (ghi một số nguyên, ví dụ 12)", anywhere=True, writes=True),
    Case(ev_excel_error_values, 0, "{tmp}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 5, cột “V — Tỷ lệ hồ sơ thủ tục hành chính giải quyết đúng hạn, trước hạn”: giá trị “#N/A”: ô báo lỗi của Excel (#N/A); sửa công thức hoặc nhập giá trị (ghi ví dụ 95% hoặc 0,95)", anywhere=True, writes=True),
    Case(ev_nbsp_thousands, 0, "Đã chấm 5 đơn vị theo bac-giang@2024 (sha256 {bg})", anywhere=True, writes=True),
    Case(ev_percent_over_100, 0, "{tmp}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 4, cột “V — Tỷ lệ hồ sơ thủ tục hành chính giải quyết đúng hạn, trước hạn”: giá trị “120%”: 120% nằm ngoài khoảng cho phép (0 – 100) (ghi ví dụ 95% hoặc 0,95)", anywhere=True, writes=True),
    Case(ev_tally_more_satisfied_than_asked, 0, "{tmp}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 4, cột “AS — PKS01 — cán bộ, công chức đánh giá thực hiện dân chủ ở xã”: giá trị “600/500”: số phiếu hài lòng lớn hơn tổng số phiếu (ghi “số phiếu hài lòng/tổng số phiếu”, ví dụ 452/500)", anywhere=True, writes=True),
    Case(ev_codes_equal_after_nfc, 1, "{tmp}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 5, cột “Mã đơn vị”: giá trị “XÃ01”: mã đơn vị bị trùng (đã có ở minh-chung.xlsx, sheet “Nhập liệu”, dòng 4)", anywhere=True),
    Case(ev_codes_equal_but_case, 1, "{tmp}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 5, cột “Mã đơn vị”: giá trị “AB01”: mã đơn vị bị trùng (đã có ở minh-chung.xlsx, sheet “Nhập liệu”, dòng 4)", anywhere=True),
    Case(ev_codes_equal_but_spaces, 1, "{tmp}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 5, cột “Mã đơn vị”: giá trị “07201”: mã đơn vị bị trùng (đã có ở minh-chung.xlsx, sheet “Nhập liệu”, dòng 4)", anywhere=True),
    Case(ev_one_megabyte_cell, 1, "Lỗi: {tmp}/o-lon.csv: dòng 2: không đọc được CSV (field larger than field limit (131072)); một ô quá dài hoặc thiếu dấu ngoặc kép đóng", isolated=True),
    Case(ev_twenty_thousand_columns, 0, "{tmp}/rong-ngang.csv, dòng 1: và 19990 cột khác không thuộc bộ tiêu chí, bị bỏ qua", anywhere=True, writes=True, isolated=True),
    Case(ev_formula_looking_text, 0, "Đã ghi: {tmp}/ket-qua.xlsx", writes=True),
    Case(ev_results_json_as_evidence, 1, "Lỗi: {tmp}/kq.json: đây là tệp kết quả chấm do cqtt ghi, không phải tệp minh chứng; để chấm lại và đối chiếu kết quả, dùng: cqtt recheck TỆP-KẾT-QUẢ"),
    Case(ev_results_workbook_as_evidence, 1, "Lỗi: {tmp}/kq.xlsx: đây là tệp kết quả chấm do cqtt ghi, không phải tệp minh chứng; để chấm lại và đối chiếu kết quả, dùng: cqtt recheck TỆP-KẾT-QUẢ"),
    Case(ev_results_workbook_without_binding, 1, "Lỗi: {tmp}/kq-sua.xlsx: đây là tệp kết quả chấm do cqtt ghi, không phải tệp minh chứng; để chấm lại và đối chiếu kết quả, dùng: cqtt recheck TỆP-KẾT-QUẢ"),
    Case(ev_codes_equal_but_the_leading_zero, 1, "{tmp}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 5, cột “Mã đơn vị”: giá trị “7201”: mã đơn vị bị trùng (đã có ở minh-chung.xlsx, sheet “Nhập liệu”, dòng 4)", anywhere=True),
    Case(ev_json_nested_a_hundred_thousand_deep, 1, "Lỗi: {tmp}/sau.json: nội dung lồng quá sâu (hàng nghìn tầng [ hoặc {{); tệp minh chứng chỉ cần danh sách đơn vị"),
    Case(ev_yaml_nested_five_thousand_deep, 1, "Lỗi: {tmp}/sau.yaml: nội dung lồng quá sâu (hàng nghìn tầng [ hoặc {{); tệp minh chứng chỉ cần danh sách đơn vị"),
    Case(ev_json_lone_surrogate, 1, "Lỗi: {tmp}/mc.json: chuỗi “X\\ud800” có ký tự không hợp lệ (nửa cặp UTF-16, \\ud800–\\udfff); sửa lại giá trị đó"),
    Case(ev_zip_bomb, 1, "Lỗi: {tmp}/bom-nen.xlsx: phần “xl/worksheets/sheet2.xml” giải nén ra 300 MB từ 353 KB (gấp hơn 200 lần): tệp giống “bom nén”; không đọc tệp này", isolated=True, seconds=10),
    Case(ev_merged_range_bomb, 1, "Lỗi: {tmp}/gop-o.xlsx: sheet “Nhập liệu”: vùng gộp ô A1:ALL3000 phủ 3.000.000 ô, vượt giới hạn 100.000 ô; bỏ gộp ô (Merge & Center) ở vùng này rồi lưu lại", isolated=True, seconds=10),
    Case(ev_merged_whole_sheet, 1, "Lỗi: {tmp}/gop-ca-sheet.xlsx: sheet “Nhập liệu”: vùng gộp ô A1:XFD1048576 phủ 17.179.869.184 ô, vượt giới hạn 100.000 ô; bỏ gộp ô (Merge & Center) ở vùng này rồi lưu lại", isolated=True, seconds=10),
    Case(ev_rows_of_another_year, 1, "Lỗi: 2 dòng ghi năm khác năm 2024; không nhận tệp này"),
    Case(ev_sheet_broken_in_the_middle, 1, "Lỗi: {tmp}/hong.xlsx: sheet “Nhập liệu”: tệp Excel bị hỏng sau dòng 4 (ParseError: not well-formed (invalid token): line 1, column 19742); mở bằng Excel hoặc LibreOffice rồi lưu lại"),
    Case(ev_sheet_broken_in_the_middle_one_process, 1, "Lỗi: {tmp}/hong.xlsx: sheet “Nhập liệu”: tệp Excel bị hỏng sau dòng 4 (ParseError: not well-formed (invalid token): line 1, column 19742); mở bằng Excel hoặc LibreOffice rồi lưu lại"),
    Case(ev_proposal_unreadable, 0, "{tmp}/minh-chung.xlsx, sheet “Nhập liệu”, dòng 5, cột “E — Đề nghị công nhận”: giá trị “Xem xét sau”: không rõ có đề nghị hay không (ghi “Có” hoặc “Không”); đơn vị được gắn cảnh báo “Không rõ đề nghị”", anywhere=True, writes=True),
]

# fmt: on


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_evidence_file(case: Case, tmp_path: Path, bg2024, hy2025) -> None:  # type: ignore[no-untyped-def]
    message = case.message.replace("{bg}", bg2024.sha256[:12] + "…").replace("{hy}", hy2025.sha256[:12] + "…")
    output = run_case(dataclasses.replace(case, message=message), tmp_path)
    if case.build is ev_formula_looking_text:
        with zipfile.ZipFile(tmp_path / "ket-qua.xlsx") as z:
            sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
            assert sheets and not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)
    if case.build is ev_merged_cells:  # the merged value is read into every cell the range covers
        import json

        units = json.loads((tmp_path / "ket-qua.json").read_text("utf-8"))
        from engine.outputs.resultsjson import expand

        by_code = {u["code"]: u["values"]["so_tin_bai_tuyen_truyen"] for u in expand(units)["units"]}
        assert by_code["07201"] == by_code["07207"] is not None  # rows 4 and 5 of the merged column
    if case.build is ev_codes_equal_but_spaces:
        assert "07201" in output


def test_a_one_megabyte_unit_name_is_cut_to_what_a_cell_holds(tmp_path: Path) -> None:
    """Every cell cqtt writes respects Excel's 32,767 characters (a longer one makes Excel repair
    the file and drop the sheet's rows); the cut says so. (A JSON carries the name whole: an
    .xlsx cannot hold it and a CSV cell is refused above 128 KB.)"""
    import json

    from click.testing import CliRunner

    from cli import main

    unit = {"ma_don_vi": "X1", "ten_don_vi": "Xã " + "A" * 1_000_000, "co_quy_che_dan_chu": "Có"}
    evidence = tmp_path / "minh-chung.json"
    evidence.write_text(json.dumps([unit], ensure_ascii=False), "utf-8")
    out = tmp_path / "ket-qua.xlsx"
    done = CliRunner().invoke(main, ["score", str(evidence), "--criteria", "hung-yen@2025", "-o", str(out)])
    assert done.exit_code == 0, done.output[-500:]
    longest, cut = 0, set()
    for ws in load_workbook(out, read_only=True).worksheets:
        for row in ws.iter_rows(values_only=True):
            for value in row:
                if isinstance(value, str):
                    longest = max(longest, len(value))
                    if value.endswith("… (cắt bớt: 1000003 ký tự, một ô Excel chứa tối đa 32767)"):
                        cut.add(ws.title)
    assert longest == 32_767
    assert {"Xếp hạng", "Cảnh báo", "Chi tiết", "Minh chứng"} <= cut


def test_whatever_the_templates_dropdown_offers_the_reader_accepts(tmp_path: Path) -> None:
    """Choice labels with a comma or a double quote: the dropdown's inline list cannot hold them as
    written, and what it offers instead used to be refused by the reader."""
    import re as re_

    from click.testing import CliRunner

    from cli import main

    rules = (
        (ROOT / "tests/data/minimal.yaml")
        .read_text("utf-8")
        .replace(
            "  - id: thiet_bi\n",
            "  - id: xep_loai\n    type: choice\n    label: Xếp loại\n    required: false\n"
            '    choices: [{id: tot, label: "Tốt, đầy đủ"}, {id: kha, label: \'Khá "đạt"\'}]\n'
            "  - id: thiet_bi\n",
        )
    )
    (tmp_path / "tc.yaml").write_text(rules, "utf-8")
    template = tmp_path / "mau.xlsx"
    done = CliRunner().invoke(
        main, ["template", "--criteria", str(tmp_path / "tc.yaml"), "-o", str(template)]
    )
    assert done.exit_code == 0, done.output
    book = load_workbook(template)
    ws = book["Nhập liệu"]
    columns = {c.value: c.column for c in ws[3] if c.value}
    column = columns["xep_loai"]
    letter = ws.cell(4, column).column_letter
    lists = [dv.formula1 for dv in ws.data_validations.dataValidation if letter in str(dv.sqref)]
    assert lists and '"' not in lists[0][1:-1]  # the inline list is well formed
    offered = lists[0][1:-1].split(",")
    assert offered == ["Tốt đầy đủ", "Khá 'đạt'"]
    base = {
        "ty_le_dung_han": 0.96,
        "co_ban_ttnd": "Có",
        "so_hoi_nghi": 2,
        "co_du_an": "Không",
        "vu_viec": "Không",
    }
    for row, value in ((4, offered[0]), (5, offered[1])):
        ws.cell(row, 1).value, ws.cell(row, 2).value = f"X{row}", f"Xã {row}"
        for key, typed in base.items():
            ws.cell(row, columns[key]).value = typed
        ws.cell(row, column).value = value
    book.save(template)
    out = tmp_path / "kq.json"
    scored = CliRunner().invoke(
        main, ["score", str(template), "--criteria", str(tmp_path / "tc.yaml"), "--json", str(out)]
    )
    assert scored.exit_code == 0, scored.output
    assert not re_.search(r"Xếp loại.*không có trong danh sách", scored.output)


def _read_cost(path: str) -> tuple[float, int, str]:
    """In a fresh process: the seconds and the bytes of peak memory growth that reading `path`
    as evidence costs before it is refused, and the refusal."""
    import resource
    import time
    from pathlib import Path

    from engine.errors import CqttError
    from engine.intake.evidence import read_evidence
    from engine.rules import catalog
    from engine.rules.loader import load_criteria

    model = load_criteria(catalog.resolve("bac-giang@2024")).model
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    try:
        read_evidence([Path(path)], model)
    except CqttError as exc:
        message = str(exc)
    else:
        message = "read"
    elapsed = time.monotonic() - started
    return elapsed, (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024, message


@pytest.mark.parametrize("kind", ["zip", "merge", "whole-sheet"])
def test_a_bomb_is_refused_within_a_second_and_50_mb(kind: str, tmp_path: Path) -> None:
    from bombs import merge_bomb, zip_bomb
    from helpers import in_fresh_process

    path = tmp_path / "bom.xlsx"
    {"zip": zip_bomb, "merge": merge_bomb, "whole-sheet": lambda p: merge_bomb(p, "A1:XFD1048576")}[kind](
        path
    )
    seconds, grown, message = in_fresh_process(_read_cost, str(path))
    assert message != "read" and ("bom nén" in message or "vùng gộp ô" in message), message
    assert seconds < 1.0, seconds
    assert grown < 50 * 1024 * 1024, grown


def test_a_merged_range_cut_by_the_end_of_a_block_is_read_once() -> None:
    """Regression: a `<mergeCell>` whose element straddled the boundary of the 1 MB block the scan
    reads was missed, so the rows it covers lost their group or value."""
    import io

    from engine.intake.evidence import merged_refs

    xml = (
        b'<worksheet><sheetData/><mergeCells count="3">'
        + b"".join(f'<mergeCell ref="{r}"/>'.encode() for r in ("C4:C9", "A1:B1", "AB100:AC1048576"))
        + b"</mergeCells></worksheet>"
    )
    for block in range(1, len(xml) + 2):
        found = list(merged_refs(io.BytesIO(xml), block))
        assert found == ["C4:C9", "A1:B1", "AB100:AC1048576"], block


def test_rows_of_another_year_are_each_named(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, ev_rows_of_another_year(tmp_path))
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-3:-1] == [
        f"nam-khac.xlsx, sheet “Nhập liệu”, dòng {row}, cột “Năm”: giá trị “2023”: đơn vị {code} ghi năm 2023, "
        "không phải năm 2024 đang nhận; sửa cột Năm hoặc nộp tệp này vào năm 2023"
        for row, code in ((5, "07207"), (9, "07222"))
    ]
    assert not (tmp_path / "ket-qua.json").exists()
