"""Long sheets written as text into the saved workbook read back as the cells openpyxl writes."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

from openpyxl import Workbook, load_workbook

from engine.outputs import fastrows
from engine.outputs.xlsxstyle import POINTS, RED, header_row, styled

WHEN = dt.datetime(2024, 11, 25, 2, 0, 0)


def _write(rows: list[list], plain_rows: list[list] | None = None, shared: tuple[int, ...] = ()) -> bytes:
    wb = Workbook(write_only=True)
    before = wb.create_sheet("Trước")
    for row in plain_rows or []:
        before.append(row)
    ws = wb.create_sheet("Dài")
    ws.append(header_row(ws, ["A", "B", "C", "D"]))
    points = styled(ws, None, number_format=POINTS, fill=RED, border=False).style
    body = [[fastrows.Styled(v, points) if isinstance(v, float) else v for v in r] for r in rows]
    fastrows.defer(wb, ws, 4, body, len(body), shared=shared)
    after = wb.create_sheet("Sau")
    after.append(["sau"])
    out = io.BytesIO()
    fastrows.save(wb, out, WHEN)
    return out.getvalue()


def test_values_read_back_as_written() -> None:
    rows = [
        ["=SUM(A1:A2)", "a & b < c > d", "  lề trái", 4.75],
        [True, False, 12, None],
        ["Xã \x07Đông", "", "“ngoặc” 'đơn' \"kép\"", 0.1 + 0.2],
    ]
    book = load_workbook(io.BytesIO(_write(rows)))
    ws = book["Dài"]
    got = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert got == [
        ["=SUM(A1:A2)", "a & b < c > d", "  lề trái", 4.75],
        [True, False, 12, None],
        ["Xã Đông", None, "“ngoặc” 'đơn' \"kép\"", 0.3],  # numbers as openpyxl writes them: %.16g
    ]
    assert ws["A2"].data_type == "s"  # text, never a formula
    assert ws["D2"].number_format == POINTS and ws["D2"].fill.fgColor.rgb.endswith("FFC7CE")
    assert [s.title for s in book.worksheets] == ["Trước", "Dài", "Sau"]
    assert book["Sau"]["A1"].value == "sau"
    assert ws["A1"].value == "A"  # the heading written by openpyxl stays


def test_repeated_texts_are_written_once_in_the_shared_table() -> None:
    rows = [
        ["=SUM(A1:A2)", "a & b < c > d", "  lề trái", 4.75],
        [True, "a & b < c > d", "Xã \x07Đông", None],
        ["riêng", "", "  lề trái", 0.1 + 0.2],
    ]
    data = _write(rows, shared=(0, 1, 2))
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        table = z.read("xl/sharedStrings.xml").decode()
        sheet = z.read("xl/worksheets/sheet2.xml").decode()
        assert "/xl/sharedStrings.xml" in z.read("[Content_Types].xml").decode()
        assert 'Target="sharedStrings.xml"' in z.read("xl/_rels/workbook.xml.rels").decode()
    assert table.count("a &amp; b &lt; c &gt; d") == 1 and table.count("lề trái") == 1
    assert 'xml:space="preserve">  lề trái' in table and "Xã Đông" in table
    assert "a &amp; b" not in sheet and 't="s"' in sheet
    got = [[c.value for c in r] for r in load_workbook(io.BytesIO(data))["Dài"].iter_rows(min_row=2)]
    assert got == [
        ["=SUM(A1:A2)", "a & b < c > d", "  lề trái", 4.75],
        [True, "a & b < c > d", "Xã Đông", None],
        ["riêng", None, "  lề trái", 0.3],
    ]
    assert load_workbook(io.BytesIO(data))["Dài"]["A2"].data_type == "s"  # text, never a formula
    assert _write(rows, shared=(0, 1, 2)) == data


def test_the_shared_table_is_bounded() -> None:
    table = fastrows.SharedStrings(limit=2)
    assert [table.number(t) for t in ["a", "b", "a", "c", "", "b"]] == [0, 1, 0, None, None, 1]
    assert b"".join(table.xml()).decode().endswith('uniqueCount="2"><si><t>a</t></si><si><t>b</t></si></sst>')


def test_the_same_workbook_gives_the_same_bytes() -> None:
    rows = [[f"X{i}", "tên", i, float(i) / 3] for i in range(50)]
    assert _write(rows, [["a", 1]]) == _write(rows, [["a", 1]])
    book = load_workbook(io.BytesIO(_write(rows)))
    assert book.properties.created == book.properties.modified == WHEN


def test_a_style_first_used_while_the_rows_are_written_is_refused() -> None:
    """styles.xml is written before the deferred rows: a style registered later would point at
    nothing (Excel and openpyxl fail on such a file), so it is refused."""
    import pytest

    from engine.outputs.xlsxstyle import BOLD

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Dài")
    ws.append(["A"])
    fastrows.defer(wb, ws, 1, ([styled(ws, i, font=BOLD)] for i in range(3)), 3)
    with pytest.raises(RuntimeError, match="after the workbook's styles were written"):
        fastrows.save(wb, io.BytesIO(), WHEN)


def test_a_long_sheet_declares_its_extent_and_never_a_wrong_one() -> None:
    """openpyxl's read-only reader scans a whole sheet without <dimension> before its first row;
    the declared extent must be exact (a short one made readers drop rows)."""
    import zipfile

    import pytest

    rows = [[f"X{i}", i] for i in range(7)]
    written = _write(rows)
    xml = zipfile.ZipFile(io.BytesIO(written)).read("xl/worksheets/sheet2.xml").decode()
    assert xml.index('<dimension ref="A1:D8"/>') < xml.index("<sheetData>")  # heading + 7 rows
    book = load_workbook(io.BytesIO(written), read_only=True)
    assert book["Dài"].calculate_dimension() == "A1:D8"
    assert len(list(book["Dài"].iter_rows())) == 8
    book.close()
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Dài")
    ws.append(["A"])
    fastrows.defer(wb, ws, 1, [["a"], ["b"]], 3)
    with pytest.raises(RuntimeError, match="2 rows, 3 declared"):
        fastrows.save(wb, io.BytesIO(), WHEN)
