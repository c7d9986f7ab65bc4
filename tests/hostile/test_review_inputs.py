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
    assert TEAM.read_bytes() == before
