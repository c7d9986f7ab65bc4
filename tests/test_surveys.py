"""Satisfaction surveys from raw responses: tallies, the problems behind them, and scoring with them."""

from __future__ import annotations

import csv
import zipfile
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from engine.intake.csvtext import excel_text
from engine.outputs.resultsjson import read_results

ROOT = Path(__file__).parent.parent
RESPONSES = ROOT / "samples" / "bac-giang-2024-phieu-khao-sat.csv"
EVIDENCE = ROOT / "samples" / "bac-giang-2024.xlsx"
UNITS = ROOT / "samples" / "units" / "bac-giang.csv"
LEVELS = {"Không hài lòng": 1, "Bình thường": 2, "Hài lòng": 3}


def excel_rows(path: Path) -> list[dict[str, str]]:
    """A CSV cqtt wrote, as Excel reads it: the BOM dropped, ="07201" read as the text 07201."""
    rows = csv.DictReader(path.read_text("utf-8-sig").splitlines())
    return [{k: excel_text(v) for k, v in row.items()} for row in rows]


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def tallied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("kd")
    xlsx, out = folder / "kiem-dem.xlsx", folder / "kiem-dem.csv"
    code, output = run(
        "survey", "tally", RESPONSES, "--criteria", "bac-giang@2024", "--year", "2024",
        "--units", UNITS, "-o", xlsx, "--csv", out,
    )  # fmt: skip
    assert code == 0, output
    return xlsx, out, output


def _hand_count() -> dict[tuple[str, str], list[int]]:
    """The sample counted plainly: drop rows outside 2024, of unknown units, with an answer outside
    the levels, and a phone already seen on that form; satisfied per the forms' rules as written."""
    codes = {row["ma_don_vi"] for row in csv.DictReader(UNITS.read_text("utf-8").splitlines())}
    rows = list(csv.reader(RESPONSES.read_text("utf-8").splitlines()))
    head = rows[0]
    counts: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    seen: set[tuple[str, str]] = set()
    for row in rows[1:]:
        when, unit, form, phone = row[:4]
        if not when.split(" ")[0].endswith("/2024") or unit not in codes:
            continue
        answers = {head[i].split("“")[1].split("”")[0]: v for i, v in enumerate(row[4:], start=4) if v}
        try:
            levels = {k: int(v) if v.isdigit() else LEVELS[v] for k, v in answers.items()}
        except KeyError:
            continue
        if (form, phone) in seen:
            continue
        seen.add((form, phone))
        if form == "PKS05":
            happy = all(v >= 2 for v in levels.values()) and levels["Thái độ của công chức"] == 3
        else:
            happy = levels["Đánh giá chung"] == 3 and all(v >= 2 for v in levels.values())
        counts[(unit, form.lower())][0] += happy
        counts[(unit, form.lower())][1] += 1
    return counts


def test_sample_responses_tally_to_hand_counted_figures(tallied) -> None:  # type: ignore[no-untyped-def]
    _, out, output = tallied
    expected = _hand_count()
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 only with its BOM
    assert raw.decode("utf-8-sig").splitlines()[1].startswith('="07201",')  # the code's 0 kept
    rows = [
        {k: excel_text(v) for k, v in row.items()}
        for row in csv.DictReader(raw.decode("utf-8-sig").splitlines())
    ]
    assert len(rows) == 195
    fields = {
        "pks01": "ks_pks01",
        "pks05": "ks_pks05",
        "to_chuc": "ks_to_chuc_doanh_nghiep",
        "pks02": "ks_pks02",
    }
    checked = 0
    for row in rows:
        for form, fid in fields.items():
            satisfied, total = expected[(row["ma_don_vi"], form)]
            assert row[fid] == f"{satisfied}/{total}", (row["ma_don_vi"], form)
            checked += 1
    assert checked == 195 * 4
    assert "Đã kiểm đếm 24662/24675 phiếu trả lời của 195 đơn vị, 8 mẫu phiếu" in output


def test_every_kind_of_problem_in_the_sample_is_reported(tallied) -> None:  # type: ignore[no-untyped-def]
    _, _, output = tallied
    lines = output.splitlines()
    for kind, count in [
        ("Câu trả lời ngoài các mức:", 1),
        ("Người trả lời trùng:", 10),
        ("Ngoài năm đánh giá:", 1),
        ("Mã đơn vị không rõ:", 1),
        ("Loạt phiếu giống nhau:", 2),
        ("Dưới số phiếu tối thiểu:", 3),
    ]:
        assert f"  {kind:<30}{count}" in lines


def _responses(tmp: Path, rows: list[list[str]]) -> Path:
    head = ["Dấu thời gian", "Mã đơn vị", "Mẫu phiếu", "Mã người trả lời", "Số điện thoại",
            "Câu 1: Công khai, minh bạch thông tin", "Câu 2: Được tham gia ý kiến", "Câu 3: Đánh giá chung"]  # fmt: skip
    path = tmp / "phieu.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([head, *rows])
    return path


def test_each_problem_is_reported_with_file_row_and_column(tmp_path: Path) -> None:
    ok = ["3", "3", "Hài lòng"]
    rows = [
        ["01/03/2024 08:00", "07201", "PKS01", "", "0911000001", *ok],  # 2
        ["02/03/2024 08:00", "07201", "PKS01", "", "+84 911 000 001", *ok],  # 3: same phone
        ["03/03/2024 08:00", "07201", "PKS01", "A7", "", *ok],  # 4
        ["04/03/2024 08:00", "07201", "PKS01", "A7", "", *ok],  # 5: same respondent id
        ["31/12/2023 23:59", "07201", "PKS01", "", "0911000002", *ok],  # 6: outside 2024
        ["05/03/2024 08:00", "00000", "PKS01", "", "0911000003", *ok],  # 7: unknown unit
        ["06/03/2024 08:00", "07201", "PKS01", "", "0911000004", "4", "3", "Hài lòng"],  # 8: no level 4
        ["07/03/2024 08:00", "07201", "PKS09", "", "0911000005", *ok],  # 9: no such form
        *[[f"08/03/2024 09:0{i}", "07207", "PKS01", "", f"09120000{i:02d}", *ok] for i in range(5)],  # 10-14
    ]
    path = _responses(tmp_path, rows)
    code, output = run(
        "survey", "tally", path, "--criteria", "bac-giang@2024", "--year", "2024", "--units", UNITS,
        "--csv", tmp_path / "kd.csv", "-o", tmp_path / "kd.xlsx",
    )  # fmt: skip
    assert code == 0, output
    lines = output.splitlines()
    where = f"{path}"
    for line in [
        f"{where}, dòng 3: trùng số điện thoại hoặc email với dòng 2 (cùng mẫu phiếu pks01); phiếu bị bỏ qua",
        f"{where}, dòng 5: trùng mã người trả lời với dòng 4 (cùng mẫu phiếu pks01); phiếu bị bỏ qua",
        f"{where}, dòng 6, cột “Thời điểm”: giá trị “31/12/2023 23:59”: trả lời ngày 31/12/2023, ngoài năm đánh giá 2024; phiếu bị bỏ qua",
        f"{where}, dòng 7, cột “Mã đơn vị”: giá trị “00000”: mã đơn vị không có trong danh sách đơn vị; phiếu bị bỏ qua",
        f"{where}, dòng 8, cột “Câu 1: Công khai, minh bạch thông tin”: giá trị “4”: câu trả lời ngoài các mức (1 = Không hài lòng, 2 = Bình thường, 3 = Hài lòng); phiếu không được tính",
        f"{where}, dòng 9, cột “Mẫu phiếu”: giá trị “PKS09”: mẫu phiếu không có trong bộ tiêu chí (pks01, pks02, pks03, pks04, pks05, pks06, pks07, to_chuc); phiếu bị bỏ qua",
        f"{where}, dòng 10: 5 phiếu giống hệt nhau trong 4 phút (08/03/2024 09:00–09:04), dòng 10, 11, 12, 13, 14; cần xác minh",
        "đơn vị 07201, phiếu pks02, pks03, pks04, pks05, pks06, pks07: tiêu chí “Tỷ lệ người dân hài lòng (PKS02–PKS07)” cần tối thiểu 100 phiếu (pks02, pks03, pks04, pks05, pks06, pks07), có 0",
    ]:
        assert line in lines, line
    book = load_workbook(tmp_path / "kd.xlsx", read_only=True)
    problems = [(r[6], r[8]) for r in book["Vấn đề"].iter_rows(min_row=2, values_only=True)]
    book.close()
    assert (
        "07201",
        "tiêu chí “Tỷ lệ cán bộ, công chức hài lòng (PKS01)” cần tối thiểu 10 phiếu (pks01), có 2",
    ) in problems
    tallies = {r["ma_don_vi"]: r for r in excel_rows(tmp_path / "kd.csv")}
    assert tallies["07201"]["ks_pks01"] == "2/2" and tallies["07207"]["ks_pks01"] == "5/5"


def test_score_with_counted_tallies_equals_the_same_tallies_typed_in(tallied, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = tallied
    counted = {r["ma_don_vi"]: r for r in excel_rows(out)}
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    code, output = run("score", EVIDENCE, out, "--criteria", "bac-giang@2024", "--json", a)
    assert code == 0, output
    assert "  Đã thay bằng số kiểm đếm:" in output  # counted apart from errors, not one line each
    book = load_workbook(EVIDENCE)
    ws = book["Nhập liệu"]
    columns = {c.value: c.column for c in ws[3] if c.value}
    for row in range(4, ws.max_row + 1):
        code_ = ws.cell(row, 1).value
        if code_ in counted:
            for fid, value in counted[code_].items():
                if fid.startswith("ks_") and value:
                    ws.cell(row, columns[fid]).value = value
    typed = tmp_path / "go-tay.xlsx"
    book.save(typed)
    code, output = run("score", typed, "--criteria", "bac-giang@2024", "--json", b)
    assert code == 0, output
    units_a = {u["code"]: u for u in read_results(a)["units"]}
    units_b = {u["code"]: u for u in read_results(b)["units"]}
    assert units_a.keys() == units_b.keys()
    for unit, ua in units_a.items():
        ub = units_b[unit]
        assert (ua["total"], ua["recognised"], ua["rank"]) == (ub["total"], ub["recognised"], ub["rank"])
        assert [(c["id"], c["points"]) for c in ua["criteria"]] == [
            (c["id"], c["points"]) for c in ub["criteria"]
        ]
        assert ua["values"] == ub["values"]


def test_tallies_workbook_has_a_sheet_and_a_chart_per_form(tallied) -> None:  # type: ignore[no-untyped-def]
    xlsx, _, _ = tallied
    book = load_workbook(xlsx, read_only=True)
    names = book.sheetnames
    rows = list(book["PKS05"].iter_rows(min_row=3, max_row=10, values_only=True))
    book.close()
    assert names == [
        "Kiểm đếm",
        "PKS01",
        "PKS02",
        "PKS03",
        "PKS04",
        "PKS05",
        "PKS06",
        "PKS07",
        "TO_CHUC",
        "Vấn đề",
        "_cqtt",
    ]
    assert rows[0][:4] == ("Câu hỏi", "Không hài lòng", "Bình thường", "Hài lòng")
    assert rows[1][0] == "Thời gian chờ đợi" and sum(rows[1][1:4]) > 3000
    with zipfile.ZipFile(xlsx) as z:
        assert len([n for n in z.namelist() if n.startswith("xl/charts/chart")]) == 8


def test_a_survey_rule_on_an_unknown_question_is_refused_at_its_line(tmp_path: Path) -> None:
    text = (ROOT / "criteria" / "bac-giang" / "2024.yaml").read_text("utf-8")
    broken = text.replace("{field: thai_do, eq: 3}", "{field: thai_doo, eq: 3}").replace(
        "{all: [{field: danh_gia_chung, eq: 3}, {field: cong_khai, gte: 2}",
        "{all: [{field: danh_gia_chung, eq: 4}, {field: cong_khai, gte: 2}",
    )
    path = tmp_path / "2024.yaml"
    path.write_text(broken, "utf-8")
    code, output = run("criteria", "validate", path)
    assert code == 1
    line = next(i for i, x in enumerate(broken.splitlines(), start=1) if "thai_doo" in x)
    assert (
        f"{path}:{line}: lỗi: [surveys[4].satisfied.all[7].field] “thai_doo” không phải câu hỏi của mẫu phiếu “pks05” — gợi ý: bạn muốn viết `thai_do`?"
        in output
    )
    assert "câu trả lời được so với mức 1 đến 3 (thấp đến cao), không phải “4”" in output
