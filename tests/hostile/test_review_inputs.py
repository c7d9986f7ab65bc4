"""Bad inputs to the re-check commands, each with the exact one-line reason it must get.

A case is a function that builds the input in `tmp_path` and returns the arguments; the table
below pairs it with the exit code and the last line the user must see. Nothing is written on
refusal and no traceback is printed.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main

ROOT = Path(__file__).parent.parent.parent
TEAM = ROOT / "samples" / "bac-giang-2024-to-tham-dinh.xlsx"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def empty_file(tmp: Path) -> list[str]:
    return ["recheck", str(_write(tmp / "trong.xlsx", b""))]


def text_named_xlsx(tmp: Path) -> list[str]:
    return ["recheck", str(_write(tmp / "ket-qua.xlsx", "không phải Excel".encode()))]


def zip_that_is_not_a_workbook(tmp: Path) -> list[str]:
    path = tmp / "nen.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.txt", "x")
    return ["recheck", str(path)]


def directory_as_results(tmp: Path) -> list[str]:
    (tmp / "thu-muc.xlsx").mkdir()
    return ["recheck", str(tmp / "thu-muc.xlsx")]


def missing_results(tmp: Path) -> list[str]:
    return ["recheck", str(tmp / "khong-co.xlsx")]


def csv_as_results(tmp: Path) -> list[str]:
    return ["recheck", str(_write(tmp / "ket-qua.csv", b"a,b\n"))]


def json_not_results(tmp: Path) -> list[str]:
    return ["recheck", str(_write(tmp / "ket-qua.json", b'{"units": 3}'))]


def json_broken(tmp: Path) -> list[str]:
    return ["recheck", str(_write(tmp / "ket-qua.json", b'{"units": ['))]


def json_schema_not_a_number(tmp: Path) -> list[str]:
    data = {"schema_version": "2", "criteria": {}, "units": []}
    return ["recheck", str(_write(tmp / "ket-qua.json", json.dumps(data).encode()))]


def _v3(**changes: object) -> bytes:
    """A minimal version-3 results document (one unit, one criterion), with `changes` applied."""
    criterion = {"id": "c", "title": "C", "group": "g", "max_points": 1, "mandatory": False, "evidence": []}
    data: dict = {
        "schema_version": 3,
        "criteria": {"id": "bac-giang", "version": "2024"},
        "catalogue": {"criteria": [criterion], "groups": [], "gates": [], "evidence": []},
        "units": [{"code": "X", "criteria": [[1.0, "scored", True, 0, 0]], "groups": [], "gates": []}],
        "texts": ["quy tắc"],
    }
    data.update(changes)
    return json.dumps(data, ensure_ascii=False).encode()


def json_v3_text_index_out_of_range(tmp: Path) -> list[str]:
    unit = {"code": "X", "criteria": [[1.0, "scored", True, 0, 7]], "groups": [], "gates": []}
    return ["recheck", str(_write(tmp / "ket-qua.json", _v3(units=[unit])))]


def json_v3_rows_fewer_than_catalogue(tmp: Path) -> list[str]:
    unit = {"code": "X", "criteria": [], "groups": [], "gates": []}
    return ["recheck", str(_write(tmp / "ket-qua.json", _v3(units=[unit])))]


def json_v3_without_catalogue(tmp: Path) -> list[str]:
    return ["recheck", str(_write(tmp / "ket-qua.json", _v3(catalogue=None)))]


def sample_zero_units(tmp: Path) -> list[str]:
    return ["sample", str(TEAM), "--n", "0", "--seed", "1"]


def decisions_from_results_workbook(tmp: Path) -> list[str]:
    return ["decisions", str(TEAM), "--json", str(tmp / "qd.json")]


def output_same_as_input(tmp: Path) -> list[str]:
    return ["recheck", str(TEAM), "--force", "-o", str(TEAM)]


def json_nested_deep(tmp: Path) -> list[str]:
    return ["recheck", str(_write(tmp / "ket-qua.json", b"[" * 100_000 + b"]" * 100_000))]


def field_cell_verified_twice(tmp: Path) -> list[str]:
    from openpyxl import load_workbook

    field = tmp / "thuc-dia.xlsx"
    drawn = CliRunner().invoke(main, ["sample", str(TEAM), "--n", "1", "--seed", "1", "-o", str(field)])
    assert drawn.exit_code == 0, drawn.output
    book = load_workbook(field)
    ws = book["Kiểm tra thực địa"]
    row = next(r for r in ws.iter_rows() if r[5].value == "ty_le_cong_khai_dung_han")
    row[3].value = "50%"
    ws.append([c.value for c in row])  # the same cell again, further down, another value
    ws.cell(ws.max_row, 4).value = "99%"
    book.save(tmp / "thuc-dia-da-dien.xlsx")
    return ["recheck", str(TEAM), "--field", str(tmp / "thuc-dia-da-dien.xlsx"), "-o", str(tmp / "pt.xlsx")]


def records_from_a_typed_over_team_workbook(tmp: Path) -> list[str]:
    return ["records", str(TEAM), "--kind", "bien-ban-tham-dinh", "-o", str(tmp / "bien-ban")]


def field_record_from_a_results_workbook(tmp: Path) -> list[str]:
    return ["records", str(TEAM), "--kind", "bien-ban-kiem-tra", "-o", str(tmp / "kiem-tra")]


def _scored(tmp: Path) -> Path:
    out = tmp / "ket-qua.json"
    done = CliRunner().invoke(
        main, ["score", str(ROOT / "samples" / "bac-giang-2024.xlsx"), "--criteria", "bac-giang@2024",
               "--json", str(out), "-o", str(tmp / "ket-qua.xlsx")],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    return out


def records_with_a_template_that_is_not_a_docx(tmp: Path) -> list[str]:
    (tmp / "mau").mkdir()
    (tmp / "mau" / "bien-ban-tham-dinh.docx").write_text("không phải tệp Word", "utf-8")
    return ["records", str(_scored(tmp)), "--kind", "bien-ban-tham-dinh", "--templates", str(tmp / "mau"),
            "-o", str(tmp / "bien-ban")]  # fmt: skip


def records_with_a_template_field_written_wrong(tmp: Path) -> list[str]:
    from docx import Document

    (tmp / "mau").mkdir()
    document = Document()
    document.add_paragraph("Biên bản của {{ ten_don_vi }")
    document.save(str(tmp / "mau" / "bien-ban-tham-dinh.docx"))
    return ["records", str(_scored(tmp)), "--kind", "bien-ban-tham-dinh", "--templates", str(tmp / "mau"),
            "-o", str(tmp / "bien-ban")]  # fmt: skip


def field_record_with_an_unreadable_value_found(tmp: Path) -> list[str]:
    from openpyxl import load_workbook

    field = tmp / "thuc-dia.xlsx"
    drawn = CliRunner().invoke(main, ["sample", str(TEAM), "--n", "1", "--seed", "1", "-o", str(field)])
    assert drawn.exit_code == 0, drawn.output
    book = load_workbook(field)
    row = next(r for r in book["Kiểm tra thực địa"].iter_rows() if r[5].value == "dong_phuc")
    row[3].value = "có lẽ"
    book.save(tmp / "thuc-dia-da-ghi.xlsx")
    return [
        "records",
        str(tmp / "thuc-dia-da-ghi.xlsx"),
        "--kind",
        "bien-ban-kiem-tra",
        "-o",
        str(tmp / "kt"),
    ]


CASES: list[tuple[Callable[[Path], list[str]], int, str]] = [
    (empty_file, 1, "Lỗi: {tmp}/trong.xlsx: không mở được tệp Excel (BadZipFile: File is not a zip file)"),
    (
        text_named_xlsx,
        1,
        "Lỗi: {tmp}/ket-qua.xlsx: không mở được tệp Excel (BadZipFile: File is not a zip file)",
    ),
    (
        zip_that_is_not_a_workbook,
        1,
        'Lỗi: {tmp}/nen.xlsx: không mở được tệp Excel (KeyError: "There is no item named '
        "'[Content_Types].xml' in the archive\")",
    ),
    (directory_as_results, 1, "Lỗi: {tmp}/thu-muc.xlsx: không tìm thấy tệp kết quả"),
    (missing_results, 1, "Lỗi: {tmp}/khong-co.xlsx: không tìm thấy tệp kết quả"),
    (csv_as_results, 1, "Lỗi: {tmp}/ket-qua.csv: cần sổ kết quả .xlsx hoặc tệp kết quả .json do cqtt ghi"),
    (
        json_not_results,
        1,
        "Lỗi: {tmp}/ket-qua.json: không phải tệp kết quả của cqtt (thiếu “criteria” hoặc “units”)",
    ),
    (
        json_broken,
        1,
        "Lỗi: {tmp}/ket-qua.json: không đọc được JSON (Expecting value: line 1 column 12 (char 11))",
    ),
    (json_schema_not_a_number, 1, "Lỗi: {tmp}/ket-qua.json: “schema_version” phải là số nguyên"),
    (
        json_v3_text_index_out_of_range,
        1,
        "Lỗi: {tmp}/ket-qua.json: tệp kết quả định dạng phiên bản 3 bị hỏng "
        "(units[0].criteria[0][4]: chỉ số văn bản 7 không có trong “texts”)",
    ),
    (
        json_v3_rows_fewer_than_catalogue,
        1,
        "Lỗi: {tmp}/ket-qua.json: tệp kết quả định dạng phiên bản 3 bị hỏng "
        "(units[0].criteria: cần 1 dòng theo “catalogue”)",
    ),
    (
        json_v3_without_catalogue,
        1,
        "Lỗi: {tmp}/ket-qua.json: tệp kết quả định dạng phiên bản 3 bị hỏng "
        "(thiếu “catalogue” (danh mục tiêu chí) của định dạng phiên bản 3)",
    ),
    (sample_zero_units, 1, "Lỗi: --n phải từ 1 trở lên"),
    (
        decisions_from_results_workbook,
        1,
        f"Lỗi: {TEAM}: không phải sổ phúc tra do “cqtt recheck” ghi (thiếu sheet ẩn _cqtt)",
    ),
    (output_same_as_input, 1, f"Lỗi: {TEAM}: tệp kết quả trùng với tệp đầu vào; chọn tên khác"),
    (
        json_nested_deep,
        1,
        "Lỗi: {tmp}/ket-qua.json: nội dung lồng quá sâu (hàng nghìn tầng [ hoặc {{); không phải tệp kết quả",
    ),
    (field_cell_verified_twice, 1, "Lỗi: sổ kiểm tra thực địa có 1 ô không đọc được"),
    (
        records_from_a_typed_over_team_workbook,
        1,
        f"Lỗi: {TEAM}: 6 chỗ khác kết quả chấm lại từ chính minh chứng trong tệp (đơn vị 07375, Sửa tay sau "
        "khi ghi: Xếp hạng: dòng của đơn vị đã bị xóa); biên bản chỉ lập từ kết quả đúng như khi chấm: xem bằng "
        f"`cqtt recheck {TEAM}`",
    ),
    (
        records_with_a_template_that_is_not_a_docx,
        1,
        "Lỗi: {tmp}/mau/bien-ban-tham-dinh.docx: mẫu văn bản không mở được (PackageNotFoundError); cần tệp "
        "Word .docx, lưu lại bằng Word hoặc LibreOffice Writer",
    ),
    (
        records_with_a_template_field_written_wrong,
        1,
        "Lỗi: {tmp}/mau/bien-ban-tham-dinh.docx: mẫu văn bản có trường viết sai (unexpected '}}'); mỗi trường "
        "viết {{{{ tên_trường }}}}, so với mẫu kèm theo "
        + str(ROOT / "engine/outputs/records/templates/bien-ban-tham-dinh.docx"),
    ),
    (field_record_with_an_unreadable_value_found, 1, "Lỗi: sổ kiểm tra thực địa có 1 ô không đọc được"),
    (
        field_record_from_a_results_workbook,
        1,
        f"Lỗi: {TEAM}: không phải sổ kiểm tra thực địa do cqtt sample ghi (thiếu sheet ẩn _cqtt); biên bản "
        "kiểm tra lập từ sổ đó, sau khi ghi giá trị kiểm tra thực tế",
    ),
]


@pytest.mark.parametrize(("build", "code", "message"), CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_review_input_gets_its_message(build, code, message, tmp_path: Path) -> None:
    before = TEAM.read_bytes()
    args = build(tmp_path)
    if args[0] == "sample":
        args += ["-o", str(tmp_path / "out.xlsx")]
    elif args[0] == "recheck" and "-o" not in args:
        args += ["-o", str(tmp_path / "out.xlsx")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    assert result.output.strip().splitlines()[-1] == message.format(tmp=tmp_path)
    assert not (tmp_path / "out.xlsx").exists() and not (tmp_path / "qd.json").exists()
    for folder in ("bien-ban", "kt", "kiem-tra"):  # a refused record writes nothing, not even its folder
        assert not (tmp_path / folder).exists()
    assert TEAM.read_bytes() == before


def test_a_cell_verified_twice_names_both_rows(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, field_cell_verified_twice(tmp_path))
    assert result.exit_code == 1
    assert (
        f"{tmp_path}/thuc-dia-da-dien.xlsx, sheet “Kiểm tra thực địa”, dòng 41, cột “Giá trị kiểm tra thực tế”: "
        "giá trị “99%”: đơn vị 07285, “Tỷ lệ nội dung (14 nhóm, Điều 11 Luật THDCCS) công khai đúng hạn và niêm "
        "yết đủ 30 ngày” đã có giá trị kiểm tra ở dòng 4; mỗi ô chỉ ghi một giá trị thấy tại xã (xóa một trong "
        "hai dòng)"
    ) in result.output.splitlines()
    assert not (tmp_path / "pt.xlsx").exists()


def test_a_forged_ranking_row_above_the_real_one_is_a_hand_edit(tmp_path: Path) -> None:
    """A copy of a unit's row inserted above the real one, with another total and result: the unit
    is on two rows, named, and the re-check exits 3 (it said "0 sai lệch" when the rows agreed with
    the seal below)."""
    from openpyxl import load_workbook

    book = load_workbook(TEAM)
    ws = book["Xếp hạng"]
    heads = [c.value for c in ws[1]]
    real = next(r for r in ws.iter_rows(min_row=2) if r[1].value == "07201")
    values, number = [c.value for c in real], real[0].row
    ws.insert_rows(2)
    for column, value in enumerate(values, start=1):
        ws.cell(2, column).value = value
    ws.cell(2, heads.index("Tổng điểm") + 1).value = 40
    ws.cell(2, heads.index("Kết quả") + 1).value = "Chưa đạt"
    forged = tmp_path / "ket-qua-to.xlsx"
    book.save(forged)
    result = CliRunner().invoke(main, ["recheck", str(forged), "-o", str(tmp_path / "pt.xlsx")])
    assert result.exit_code == 3, result.output
    assert (
        f"  07201 Phường Thọ Xương — Sửa tay sau khi ghi: Xếp hạng: đơn vị có hai dòng (dòng 2 và dòng "
        f"{number + 1}); chỉ dòng đầu được đọc [Xếp hạng!A{number + 1}]"
    ) in result.output.splitlines()


def _results_json(tmp: Path) -> dict:  # type: ignore[type-arg]
    out = tmp / "ket-qua.json"
    done = CliRunner().invoke(
        main,
        [
            "score",
            str(ROOT / "samples/bac-giang-2024.xlsx"),
            "--criteria",
            "bac-giang@2024",
            "--json",
            str(out),
        ],
    )
    assert done.exit_code == 0, done.output
    return json.loads(out.read_text("utf-8"))


def _recheck_json(tmp: Path, data: dict) -> tuple[int, list[str]]:  # type: ignore[type-arg]
    path = tmp / "ket-qua-sua.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    result = CliRunner().invoke(main, ["recheck", str(path), "--json", str(tmp / "pt.json")])
    assert "Traceback" not in result.output
    return result.exit_code, result.output.splitlines()


def test_a_results_json_with_units_deleted_is_a_discrepancy_of_its_own(tmp_path: Path) -> None:
    data = _results_json(tmp_path)
    data["units"] = data["units"][:1]  # 194 of 195 deleted, the summary left as it was
    code, lines = _recheck_json(tmp_path, data)
    assert code == 3
    assert (
        "  (cả sổ)  — Sửa tay sau khi ghi: niêm phong của cả lần chấm không khớp (đơn vị bị xóa, thêm, hoặc "
        "niêm phong bị sửa) [seal]" in lines
    )
    assert (
        "  (cả sổ)  — Sửa tay sau khi ghi: phần tóm tắt ghi 195 đơn vị nhưng tệp có 1 mục đơn vị [summary.units]"
        in lines
    )


def test_a_results_json_with_a_unit_twice_names_it_and_nothing_else(tmp_path: Path) -> None:
    data = _results_json(tmp_path)
    copied = data["units"][5]
    data["units"].append(copied)
    code, lines = _recheck_json(tmp_path, data)
    assert code == 3
    named = [line for line in lines if line.startswith("  ") and "—" in line]
    assert named == [
        "  (cả sổ)  — Sửa tay sau khi ghi: phần tóm tắt ghi 195 đơn vị nhưng tệp có 196 mục đơn vị [summary.units]",
        f"  {copied['code']} {copied['name']} — Sửa tay sau khi ghi: JSON: đơn vị có hai mục (units[5] và "
        "units[195]); chỉ mục đầu được đọc [units[195]]",
    ]  # not 193 rank discrepancies charged to the others


def test_a_book_whose_seal_sheet_was_deleted_says_so(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    book = load_workbook(TEAM)
    del book["_cqtt"]
    book.save(tmp_path / "ket-qua-to.xlsx")
    result = CliRunner().invoke(
        main, ["recheck", str(tmp_path / "ket-qua-to.xlsx"), "--json", str(tmp_path / "p.json")]
    )
    assert result.exit_code == 3
    lines = result.output.splitlines()
    assert (
        "  (cả sổ)  — Sửa tay sau khi ghi: sheet ẩn _cqtt (niêm phong) đã bị xóa khỏi sổ do cqtt 0.2.0 ghi; "
        "không kiểm tra được các sửa tay khác [_cqtt]" in lines
    )
    assert lines[-2].endswith("niêm phong đã bị xóa (sheet ẩn _cqtt); sửa tay không kiểm tra được")
    assert "trước định dạng phiên bản 2" not in result.output


def test_a_result_typed_over_does_not_steer_a_unit_out_of_the_draw(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    team = tmp_path / "ket-qua-to.xlsx"
    done = CliRunner().invoke(
        main,
        ["score", str(ROOT / "samples/bac-giang-2024.xlsx"), "--criteria", "bac-giang@2024", "-o", str(team)],
    )
    assert done.exit_code == 0, done.output
    first = CliRunner().invoke(
        main,
        [
            "sample",
            str(team),
            "--n",
            "5",
            "--seed",
            "7",
            "--json",
            str(tmp_path / "a.json"),
            "-o",
            str(tmp_path / "a.xlsx"),
        ],
    )
    drawn = [u["code"] for u in json.loads((tmp_path / "a.json").read_text("utf-8"))["units"]]
    assert first.exit_code == 0 and drawn
    book = load_workbook(team)
    ws = book["Xếp hạng"]
    heads = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[heads.index("Mã đơn vị")].value == drawn[0])
    row[heads.index("Kết quả")].value = "Chưa đạt"  # the team keeps its unit away from the field check
    edited = tmp_path / "ket-qua-to-sua.xlsx"
    book.save(edited)
    again = CliRunner().invoke(
        main,
        [
            "sample",
            str(edited),
            "--n",
            "5",
            "--seed",
            "7",
            "--json",
            str(tmp_path / "b.json"),
            "-o",
            str(tmp_path / "b.xlsx"),
        ],
    )
    assert again.exit_code == 0, again.output
    assert [u["code"] for u in json.loads((tmp_path / "b.json").read_text("utf-8"))["units"]] == drawn
    assert (
        f"cảnh báo: 1 đơn vị bị sửa tay sau khi ghi ({drawn[0]}); các đơn vị này được chọn theo kết quả chấm lại "
        "từ minh chứng trong sổ, không theo ô đã sửa"
    ) in again.output.splitlines()


def test_an_uncalculated_formula_in_a_field_or_decision_cell_is_named(tmp_path: Path) -> None:
    """A formula typed by a script and never calculated reads as an empty cell: it was silently
    "not checked" or "not decided"."""
    from openpyxl import load_workbook

    field = tmp_path / "thuc-dia.xlsx"
    CliRunner().invoke(main, ["sample", str(TEAM), "--n", "1", "--seed", "1", "-o", str(field)])
    book = load_workbook(field)
    book["Kiểm tra thực địa"]["D4"] = "=1+1"
    book.save(tmp_path / "thuc-dia-cong-thuc.xlsx")
    result = CliRunner().invoke(
        main,
        [
            "recheck",
            str(TEAM),
            "--field",
            str(tmp_path / "thuc-dia-cong-thuc.xlsx"),
            "-o",
            str(tmp_path / "p.xlsx"),
        ],
    )
    assert result.exit_code == 1
    assert (
        f"{tmp_path}/thuc-dia-cong-thuc.xlsx, sheet “Kiểm tra thực địa”, dòng 4, cột “Giá trị kiểm tra thực tế”: "
        "giá trị “=1+1”: ô có công thức nhưng chưa có giá trị đã tính (tệp chưa từng được mở bằng Excel); mở "
        "bằng Excel hoặc LibreOffice rồi lưu lại, hoặc ghi thẳng giá trị"
    ) in result.output.splitlines()
    recheck = tmp_path / "phuc-tra.xlsx"
    done = CliRunner().invoke(main, ["recheck", str(TEAM), "-o", str(recheck)])
    assert done.exit_code in (0, 3), done.output
    book = load_workbook(recheck)
    ws = book["Quyết định"]
    heads = [c.value for c in ws[1]]
    ws.cell(2, heads.index("Quyết định") + 1).value = '=IF(1,"Công nhận","")'
    book.save(tmp_path / "phuc-tra-cong-thuc.xlsx")
    result = CliRunner().invoke(
        main, ["decisions", str(tmp_path / "phuc-tra-cong-thuc.xlsx"), "--json", str(tmp_path / "qd.json")]
    )
    assert result.exit_code == 1, result.output
    letter = chr(ord("A") + heads.index("Quyết định"))
    assert any(
        line.startswith(f"{tmp_path}/phuc-tra-cong-thuc.xlsx, sheet “Quyết định”, dòng 2, cột “{letter} — Quyết định”: ")
        and line.endswith("ô có công thức nhưng chưa có giá trị đã tính (tệp chưa từng được mở bằng Excel); mở "
                          "bằng Excel hoặc LibreOffice rồi lưu lại, hoặc ghi thẳng giá trị")
        for line in result.output.splitlines()
    ), result.output  # fmt: skip
