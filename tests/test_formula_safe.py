"""Text someone else typed never runs as a formula in what the tool exports: a unit named
`=HYPERLINK(…)` is text in every workbook, and gets an apostrophe in every CSV (read back as it was
typed)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from cli import main
from engine.intake.csvtext import excel_text
from engine.outputs.excelcsv import AsText, excel_csv

ROOT = Path(__file__).parent.parent
NAMES = ['=HYPERLINK("http://ke-xau.example/","Bấm vào đây")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1+1", "-1+A1"]


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1+1", "'+1+1"),
        ("-1+A1", "'-1+A1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ('=HYPERLINK("a","b")', '"\'=HYPERLINK(""a"",""b"")"'),
        ("-5", "-5"),  # a number written as text stays the number Excel reads
        ("+1,5", '"+1,5"'),
        ("Xã Tân Mộc", "Xã Tân Mộc"),
        (-4, "-4"),
        (AsText("07201"), '="07201"'),
    ],
)
def test_a_csv_cell_that_would_run_as_a_formula_gets_an_apostrophe(value: object, written: str) -> None:
    assert excel_csv([[value]]) == ("\ufeff" + written + "\r\n").encode("utf-8")


@pytest.mark.parametrize("name", NAMES)
def test_a_defused_cell_reads_back_as_typed(name: str) -> None:
    import csv
    import io

    [cell] = next(csv.reader(io.StringIO(excel_csv([[name]]).decode("utf-8-sig"))))
    assert cell == "'" + name and excel_text(cell) == name


def _formulas(path: Path) -> list[str]:
    found = []
    for ws in openpyxl.load_workbook(path):
        for row in ws.iter_rows():
            found += [f"{ws.title}!{c.coordinate}: {c.value}" for c in row if c.data_type == "f"]
    return found


def test_unit_names_typed_as_formulas_stay_text_in_every_workbook(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(ROOT / "samples/bac-giang-2024.xlsx")
    ws = book["Nhập liệu"]
    for i, name in enumerate(NAMES):
        ws.cell(4 + i, 2).value = name
        ws.cell(4 + i, 2).data_type = "s"
    evidence = tmp_path / "minh-chung.xlsx"
    book.save(evidence)
    units = tmp_path / "don-vi.csv"
    units.write_text(
        "ma_don_vi,ten_don_vi,nhom_tham_dinh\n"
        + "".join(f'1000{i},"{n.replace(chr(34), chr(34) * 2)}",Nhóm\n' for i, n in enumerate(NAMES)),
        "utf-8",
    )
    runner = CliRunner()
    steps = [
        [
            "score",
            str(evidence),
            "--criteria",
            "bac-giang@2024",
            "-o",
            str(tmp_path / "kq.xlsx"),
            "--json",
            str(tmp_path / "kq.json"),
        ],
        ["sample", str(tmp_path / "kq.json"), "--n", "195", "--seed", "1", "-o", str(tmp_path / "mau.xlsx")],
        [
            "template",
            "--criteria",
            "bac-giang@2024",
            "--units",
            str(units),
            "-o",
            str(tmp_path / "mau-nhap.xlsx"),
        ],
    ]
    for args in steps:
        done = runner.invoke(main, args)
        assert done.exit_code == 0, done.output
    for name in ("kq.xlsx", "mau.xlsx", "mau-nhap.xlsx"):
        made = tmp_path / name
        assert not [f for f in _formulas(made) if "HYPERLINK" in f or "SUM(" in f or "+1" in f], name
        texts = {c.value for ws in openpyxl.load_workbook(made) for row in ws.iter_rows() for c in row}
        if name != "mau.xlsx":  # the sample holds only the units it drew
            assert any(isinstance(t, str) and NAMES[0] in t for t in texts), name
