"""The workbooks open in a real spreadsheet application and show the values of the JSON results.

LibreOffice (headless) converts every sheet to UTF-8 CSV; the cells are compared with the JSON.
Skipped on a developer machine without LibreOffice; in CI (`CI` set) a missing LibreOffice fails,
since `.ci/run` installs it.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from engine import jobs
from engine.intake.evidence import read_mappings
from engine.intake.units import read_units
from engine.outputs.output import write_atomic
from engine.outputs.resultsjson import read_results
from engine.outputs.template import write_template
from engine.outputs.workbook import LEGEND_ROWS, write_results
from engine.scoring.engine import Engine

ROOT = Path(__file__).parent.parent
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"

if not SOFFICE and not os.environ.get("CI"):
    pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc)", allow_module_level=True)


def convert(book: Path, out: Path) -> dict[str, list[list[str]]]:
    """Every sheet of `book` as rows of text, through LibreOffice."""
    if not SOFFICE:
        pytest.fail("CI must have LibreOffice: .ci/run installs libreoffice-calc")
    out.mkdir(parents=True, exist_ok=True)
    profile = out / "profile"
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out),
            str(book),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    sheets = {}
    for path in out.glob(f"{book.stem}-*.csv"):
        with path.open(encoding="utf-8", newline="") as handle:
            sheets[path.stem[len(book.stem) + 1 :]] = list(csv.reader(handle))
    assert sheets, f"LibreOffice wrote no sheet: {done.stdout} {done.stderr}"
    return sheets


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lo")
    xlsx, out = tmp / "ket-qua.xlsx", tmp / "ket-qua.json"
    jobs.score([ROOT / "samples/bac-giang-2024.xlsx"], "bac-giang@2024", None, xlsx, out)
    return convert(xlsx, tmp / "csv"), read_results(out)


def test_ranking_values_match_the_json(converted) -> None:
    sheets, data = converted
    rows = sheets["Xếp hạng"]
    assert rows[0][:5] == ["Hạng", "Mã đơn vị", "Tên đơn vị", "Nhóm thẩm định", "Tổng điểm"]
    decision = rows[0].index("Kết quả")
    assert len(rows) - 1 == len(data["units"])
    for row, unit in zip(rows[1:], data["units"], strict=True):
        assert int(row[0]) == unit["rank"]
        assert row[1] == unit["code"] and row[2] == unit["name"] and row[3] == unit["group"]
        assert float(row[4]) == pytest.approx(unit["total"])
        assert row[decision] == ("Đạt chuẩn" if unit["recognised"] else "Chưa đạt")


def test_every_sheet_opens_with_its_rows(converted) -> None:
    sheets, data = converted
    for name in ("Tổng hợp", "Cảnh báo", "Chi tiết", "Minh chứng", "Thông tin"):
        assert name in sheets
    assert len(sheets["Chi tiết"]) - 1 == sum(len(u["criteria"]) for u in data["units"])
    assert len(sheets["Cảnh báo"]) - 1 - LEGEND_ROWS == sum(len(u["flags"]) for u in data["units"])
    # the sample's file alone is its 10 districts, not the province (that takes --units)
    whole = next(r for r in sheets["Tổng hợp"] if r and r[0] == "Cộng (10 nhóm thẩm định trong tệp)")
    assert int(whole[4]) == data["summary"]["recognisable"]
    assert whole[6].endswith("%")  # kept as a percentage
    assert float(whole[6][:-1]) / 100 == pytest.approx(data["summary"]["recognised_share"], abs=1e-6)


def test_formula_like_names_stay_text_in_a_real_application(tmp_path: Path, bg2024, full_unit_2024) -> None:
    names = ["=1+1", "+1+1", "-1+1", "@SUM(1)"]
    rows = [{"ma_don_vi": f"F{i}", "ten_don_vi": n, **full_unit_2024} for i, n in enumerate(names)]
    run = Engine(bg2024).run(read_mappings(rows, bg2024.model, "(test)"))
    book = tmp_path / "cong-thuc.xlsx"
    write_atomic(book, lambda h: write_results(h, bg2024.model, run, "t", {}))
    sheets = convert(book, tmp_path / "csv")
    assert {r[2] for r in sheets["Xếp hạng"][1:]} == set(names)


def test_template_opens_with_its_headers_and_units(tmp_path: Path, bg2024) -> None:
    units = read_units(ROOT / "samples/units/bac-giang.csv")
    book = tmp_path / "mau.xlsx"
    write_atomic(book, lambda h: write_template(h, bg2024, units, 2024))
    sheets = convert(book, tmp_path / "csv")
    entry = sheets["Nhập liệu"]
    assert entry[2][0] == "ma_don_vi" and "ty_le_ho_so_dung_han" in entry[2]
    assert entry[1][0] == "Mã đơn vị"
    assert [r[0] for r in entry[3 : 3 + len(units)]] == [u.code for u in units]
    assert any("Mẫu nhập minh chứng" in r[0] for r in sheets["Hướng dẫn"] if r)


def test_recheck_and_field_workbooks_open_with_their_rows(tmp_path: Path) -> None:
    team = ROOT / "samples/bac-giang-2024-to-tham-dinh.xlsx"
    recheck, field = tmp_path / "phuc-tra.xlsx", tmp_path / "thuc-dia.xlsx"
    outcome = jobs.recheck(team, None, None, None, recheck, None)
    jobs.sample(team, None, 3, 2024, field, None)
    sheets = convert(recheck, tmp_path / "csv-recheck")
    rows = sheets["Sai lệch"]
    assert rows[0][:4] == ["Mã đơn vị", "Tên đơn vị", "Nhóm thẩm định", "Loại sai lệch"]
    assert [r[0] for r in rows[1:]] == [d.unit for d in outcome.result.discrepancies]
    assert len(sheets["Quyết định"]) - 1 == len(outcome.result.units)
    field_rows = convert(field, tmp_path / "csv-field")["Kiểm tra thực địa"]
    assert sum(1 for r in field_rows if r and r[0] == "Mã đơn vị") == 3


def test_a_results_workbook_resaved_by_libreoffice_keeps_its_seal(tmp_path: Path) -> None:
    """Opening and saving the workbook in a spreadsheet application is not an edit."""
    xlsx = tmp_path / "ket-qua.xlsx"
    jobs.score([ROOT / "samples/bac-giang-2024.xlsx"], "bac-giang@2024", None, xlsx, None)
    out = tmp_path / "resaved"
    profile = out / "profile"
    done = subprocess.run(
        [SOFFICE or "soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
         "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out), str(xlsx)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outcome = jobs.recheck(out / "ket-qua.xlsx", None, None, None, None, None)
    assert outcome.result.discrepancies == []
    assert outcome.result.seal.present and outcome.result.seal.units_edited == 0


def test_last_year_columns_open_in_libreoffice(tmp_path: Path) -> None:
    """The 2024 workbook scored with a store that holds 2023: LibreOffice shows last year's columns
    with the values the JSON's history section holds."""
    store = str(tmp_path / "h.sqlite")
    jobs.score(
        [ROOT / "samples/bac-giang-2023.xlsx"], "bac-giang@2023", None, None, tmp_path / "a.json", db=store
    )
    jobs.decisions_to_store(ROOT / "samples/bac-giang-2023-quyet-dinh.json", store, None, None)
    xlsx, out = tmp_path / "r.xlsx", tmp_path / "r.json"
    jobs.score([ROOT / "samples/bac-giang-2024.xlsx"], "bac-giang@2024", None, xlsx, out, db=store)
    history = json.loads(out.read_text("utf-8"))["history"]
    rows = convert(xlsx, tmp_path / "csv")["Xếp hạng"]
    head = rows[0]
    total, standing = head.index("Tổng điểm năm 2023"), head.index("Kết quả năm 2023")
    code = head.index("Mã đơn vị")
    assert len(rows) == 196
    for row in rows[1:]:
        prior = history["units"][row[code]]
        assert float(row[total].replace(",", ".")) == pytest.approx(prior["total"], abs=0.05)
        assert row[standing] == prior["decision"] or (
            prior["decision"] is None and "theo điểm" in row[standing]
        )
    summary = convert(xlsx, tmp_path / "csv2")["Tổng hợp"]
    assert any(r and r[0].startswith("Năm 2023: đủ điều kiện") for r in summary)


def test_tallies_and_diff_workbooks_open_in_libreoffice(tmp_path: Path) -> None:
    """The survey tallies workbook (charts in write-only sheets) and the diff workbook open, and
    show the figures their JSON/CSV counterparts hold."""
    from engine.intake.responses import read_responses
    from engine.outputs.tallybook import write_tallies
    from engine.scoring.tally import tally

    loaded = jobs.load_ref("bac-giang@2024")
    read = read_responses([ROOT / "samples/bac-giang-2024-phieu-khao-sat.csv"], loaded.model)
    result = tally(read, loaded, 2024)
    book = tmp_path / "kiem-dem.xlsx"
    write_atomic(book, lambda h: write_tallies(h, result))
    sheets = convert(book, tmp_path / "csv")
    rows = sheets["Kiểm đếm"]
    assert rows[0][2] == "PKS01 [ks_pks01]"
    shown = {r[0]: r[2] for r in rows[1:]}
    for (unit, form), t in result.tallies.items():
        if form == "pks01":
            assert shown[unit] == t.text
    assert {"PKS05", "Vấn đề"} <= set(sheets)
    out = tmp_path / "so-sanh.json"
    diff_book = tmp_path / "so-sanh.xlsx"
    jobs.diff("bac-giang@2023", "bac-giang@2024", [ROOT / "samples/bac-giang-2024.xlsx"], out, diff_book)
    data = json.loads(out.read_text("utf-8"))
    units = convert(diff_book, tmp_path / "csv2")["Đơn vị thay đổi"]
    assert [r[0] for r in units[1:]] == [u["code"] for u in data["units"]]


def test_csv_files_cqtt_writes_open_with_codes_and_fractions_as_text(tmp_path: Path) -> None:
    """The tallies CSV opened as a clerk opens it: the codes keep their 0, "10/12" stays a tally (a
    plain CSV would give the number 7201 and a date)."""
    from openpyxl import load_workbook

    out = tmp_path / "kiem-dem.csv"
    jobs.survey_tally(
        [ROOT / "samples/bac-giang-2024-phieu-khao-sat.csv"], "bac-giang@2024", 2024, None, None, out, False
    )
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    profile = tmp_path / "profile"
    done = subprocess.run(
        [SOFFICE or "soffice", f"-env:UserInstallation=file://{profile}", "--headless",
         "--infilter=CSV:44,34,76,1", "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo"), str(out)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(tmp_path / "lo" / "kiem-dem.xlsx", data_only=True).active
    first = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    assert first[:3] == ["07201", "10/12", "15/17"]
