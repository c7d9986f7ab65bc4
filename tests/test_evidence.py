"""Reading evidence files: every format, every problem reported with its place, nothing guessed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import Workbook

from engine.errors import EvidenceFileError
from engine.intake.evidence import EvidenceError, read_evidence


def _xlsx(path: Path, rows: list[list], sheet: str = "Minh chứng", percent_cols=()) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    for col in percent_cols:
        for cells in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            for c in cells:
                c.number_format = "0%"
    wb.save(path)
    return path


def test_xlsx_with_labels_as_headers_and_percent_cells(tmp_path: Path, bg2024) -> None:
    path = _xlsx(
        tmp_path / "a.xlsx",
        [
            [
                "Mã đơn vị",
                "Tên đơn vị",
                "Nhóm thẩm định",
                "Đề nghị công nhận",
                "Tỷ lệ hồ sơ thủ tục hành chính giải quyết đúng hạn, trước hạn",
            ],
            ["07201", "Phường Thọ Xương", "Thành phố Bắc Giang", "Có", 0.97],
        ],
        percent_cols=(5,),
    )
    read = read_evidence([path], bg2024.model)
    app = read.applications[0]
    assert (app.code, app.name, app.group, app.proposed) == (
        "07201",
        "Phường Thọ Xương",
        "Thành phố Bắc Giang",
        True,
    )
    assert app.values["ty_le_ho_so_dung_han"] == pytest.approx(97.0)
    # every other declared column is missing: reported once per column, not per unit
    missing = [i for i in read.issues if i.message.startswith("thiếu cột")]
    assert len(missing) == len(bg2024.model.evidence) - 1
    assert all(i.sheet == "Minh chứng" and i.row == 1 for i in missing)


def test_bad_cells_are_reported_with_sheet_row_column_and_value(tmp_path: Path, bg2024) -> None:
    path = _xlsx(
        tmp_path / "bad.xlsx",
        [
            [
                "ma_don_vi",
                "ten_don_vi",
                "ty_le_ho_so_dung_han",
                "so_hoi_nghi_doi_thoai",
                "vu_viec_sach_nhieu",
                "ks_pks01",
                "cot_la",
            ],
            ["X1", "Xã Một", "1.234", "hai", "có lẽ", "30/20", "?"],
            ["X2", "Xã Hai", "95%", 2, "Không", "18/20", None],
        ],
    )
    read = read_evidence([path], bg2024.model)
    assert [a.code for a in read.applications] == ["X1", "X2"]
    by_column = {i.column: i for i in read.issues if i.unit == "X1"}
    pct = by_column["C — Tỷ lệ hồ sơ thủ tục hành chính giải quyết đúng hạn, trước hạn"]
    assert (pct.file, pct.sheet, pct.row, pct.value) == (str(path), "Minh chứng", 2, "1.234")
    assert "hàng nghìn hay dấu thập phân" in pct.message
    assert (
        "cần một số"
        in by_column[
            "D — Số hội nghị đối thoại giữa Chủ tịch UBND xã với Nhân dân (phối hợp với UBMTTQ)"
        ].message
    )
    assert any("Có" in i.message and i.value == "có lẽ" for i in read.issues)
    assert any(i.value == "30/20" and "lớn hơn tổng" in i.message for i in read.issues)
    assert any(i.column == "G — cot_la" and "bị bỏ qua" in i.message for i in read.issues)
    x1 = read.applications[0]
    assert set(x1.invalid) >= {
        "ty_le_ho_so_dung_han",
        "so_hoi_nghi_doi_thoai",
        "vu_viec_sach_nhieu",
        "ks_pks01",
    }
    x2 = read.applications[1]
    assert x2.values["ty_le_ho_so_dung_han"] == 95.0 and x2.values["so_hoi_nghi_doi_thoai"] == 2


def test_csv_with_semicolons_and_bom(tmp_path: Path, bg2024) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        "\ufeffma_don_vi;ten_don_vi;ty_le_ho_so_dung_han;dien_tich_mot_cua\nX1;Xã Một;96,5%;1.234,5\n",
        encoding="utf-8",
    )
    app = read_evidence([path], bg2024.model).applications[0]
    assert app.values["ty_le_ho_so_dung_han"] == 96.5
    assert app.values["dien_tich_mot_cua"] == 1234.5


def test_yaml_documents_and_json_list_merge(tmp_path: Path, bg2024) -> None:
    y = tmp_path / "a.yaml"
    y.write_text(
        "ma_don_vi: X1\nten_don_vi: Xã Một\nso_hoi_nghi_doi_thoai: 2\n---\n"
        "ma_don_vi: X2\nten_don_vi: Xã Hai\n",
        encoding="utf-8",
    )
    j = tmp_path / "b.json"
    j.write_text(
        json.dumps({"units": [{"ma_don_vi": "X3", "ks_pks01": {"satisfied": 9, "total": 10}}]}),
        encoding="utf-8",
    )
    read = read_evidence([y, j], bg2024.model)
    assert [a.code for a in read.applications] == ["X1", "X3"]
    assert [w.code for w in read.not_submitted] == ["X2"]  # a code and a name only: has not applied
    assert read.applications[1].values["ks_pks01"].total == 10


def test_duplicate_codes_across_files_stop_the_run(tmp_path: Path, bg2024) -> None:
    a = tmp_path / "a.yaml"
    a.write_text("- {ma_don_vi: X1}\n- {ma_don_vi: X2}\n", encoding="utf-8")
    b = tmp_path / "b.csv"
    b.write_text("ma_don_vi\nX2\n", encoding="utf-8")
    with pytest.raises(EvidenceError) as caught:
        read_evidence([a, b], bg2024.model)
    issue = caught.value.issues[0]
    assert issue.value == "X2" and issue.row == 2 and "bị trùng" in issue.message
    assert "a.yaml" in issue.message


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("empty.csv", "", "không tìm thấy bảng"),
        ("noheader.csv", "a,b\n1,2\n", "không tìm thấy bảng"),
        ("bad.xlsx", "not a workbook", "không mở được tệp Excel"),
        ("x.txt", "ma_don_vi\nX1\n", "định dạng không hỗ trợ"),
        ("broken.yaml", "ma_don_vi: [", "không đọc được nội dung"),
    ],
)
def test_unreadable_files_name_the_file(tmp_path: Path, bg2024, name, content, words) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EvidenceFileError, match=words) as caught:
        read_evidence([path], bg2024.model)
    assert str(path) in str(caught.value)


def test_rows_without_a_code_are_reported_and_skipped(tmp_path: Path, bg2024) -> None:
    path = tmp_path / "a.csv"
    text = "ma_don_vi,ten_don_vi,ty_le_ho_so_dung_han\n,Xã không mã,90%\nX1,Xã Một,95%\n"
    path.write_text(text, encoding="utf-8")
    read = read_evidence([path], bg2024.model)
    assert [a.code for a in read.applications] == ["X1"]
    assert any(i.row == 2 and "thiếu mã đơn vị" in i.message for i in read.issues)


def test_input_files_are_not_modified(tmp_path: Path, bg2024) -> None:
    path = tmp_path / "a.csv"
    path.write_text("ma_don_vi,ty_le_ho_so_dung_han\nX1,95%\n", encoding="utf-8")
    before = path.read_bytes()
    read_evidence([path], bg2024.model)
    assert path.read_bytes() == before


def test_sheet_names_are_read_without_opening_the_book(tmp_path: Path) -> None:
    """Whether a workbook is one cqtt wrote is told from its list of sheets (xl/workbook.xml), not
    by opening the book (which reads every shared string of a national file first)."""
    from openpyxl import Workbook

    from engine.intake.workbook import sheet_names

    book = Workbook()
    book.active.title = "Minh chứng & ghi chú"
    book.create_sheet("_cqtt").sheet_state = "hidden"
    path = tmp_path / "so.xlsx"
    book.save(path)
    assert sheet_names(path) == ["Minh chứng & ghi chú", "_cqtt"]
    (tmp_path / "khong-phai.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    assert sheet_names(tmp_path / "khong-phai.xlsx") is None
