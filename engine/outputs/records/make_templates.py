"""Make the bundled record templates (run after changing the layout; the .docx files are kept):

    python -m engine.outputs.records.make_templates

Times New Roman (the font of Vietnamese administrative documents, which carries every diacritic;
Liberation Serif is its metric-compatible fallback where it is missing), A4, margins of 20-30 mm.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

HERE = Path(__file__).parent / "templates"
FONT = "Times New Roman"


def _font(document: Any) -> None:
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(13)
    fonts = style.element.rPr.rFonts
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    style.paragraph_format.space_after = Pt(3)


def _field(paragraph: object, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that the reader's program fills in."""
    simple = OxmlElement("w:fldSimple")
    simple.set(qn("w:instr"), instruction)
    inner = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "20")
    props.append(size)
    inner.append(props)
    text = OxmlElement("w:t")
    text.text = "1"
    inner.append(text)
    simple.append(inner)
    paragraph._p.append(simple)  # type: ignore[attr-defined]


def _page(document: Any, landscape: bool = False) -> None:
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_height, section.page_width = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = header.add_run("{% if model %}BẢN MẪU — chưa phải bộ tiêu chí chính thức{% endif %}")
    run.bold, run.font.size = True, Pt(10)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Trang ").font.size = Pt(10)
    _field(footer, "PAGE")
    footer.add_run("/").font.size = Pt(10)
    _field(footer, "NUMPAGES")


def _heading_block(document: Any) -> None:
    """Issuing body on the left, Quốc hiệu and tiêu ngữ on the right, number and date below."""
    table = document.add_table(rows=2, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row in table.rows:
        row.cells[0].width, row.cells[1].width = Mm(68), Mm(98)
    _grid(table, [68, 98])
    left, right = table.rows[0].cells
    p = left.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("{{ co_quan_cap_tren }}").font.size = Pt(12)
    p = left.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run("{{ co_quan }}")
    run.bold, run.font.size = True, Pt(12)
    p = right.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    run.bold, run.font.size = True, Pt(12)
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run("Độc lập - Tự do - Hạnh phúc")
    run.bold, run.font.size = True, Pt(13)
    left, right = table.rows[1].cells
    p = left.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("Số:        /{{ ky_hieu }}").font.size = Pt(13)
    p = right.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run("{{ dia_danh }}, ngày      tháng      năm {{ nam_ky }}")
    run.italic, run.font.size = True, Pt(13)


def _signature(document: Any) -> None:
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    table.rows[0].cells[0].width, table.rows[0].cells[1].width = Mm(80), Mm(86)
    _grid(table, [80, 86])
    left, right = table.rows[0].cells
    p = left.paragraphs[0]
    run = p.add_run("Nơi nhận:")
    run.bold, run.italic, run.font.size = True, True, Pt(12)
    for text in ("{%p for n in noi_nhan %}", "- {{ n }};", "{%p endfor %}", "- Lưu: VT."):
        p = left.add_paragraph()
        p.paragraph_format.space_after = Pt(0)
        p.add_run(text).font.size = Pt(11)
    p = right.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run("{{ thay_mat }}")
    run.bold = True
    p = right.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run("{{ chuc_vu_ky }}")
    run.bold = True
    p = right.add_paragraph("(Ký, ghi rõ họ tên, đóng dấu)")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.runs[0].italic = True
    for _ in range(4):
        right.add_paragraph()
    p = right.add_paragraph("{{ nguoi_ky }}")
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.runs[0].bold = True


def _grid(table: object, widths: list[float]) -> None:
    """Column widths as Word and LibreOffice read them (the table grid, not only the cells)."""
    for column, width in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):  # type: ignore[attr-defined]
        column.set(qn("w:w"), str(int(Mm(width).twips)))


def _table(document: Any, headings: list[str], cells: list[str], widths: list[float]) -> None:
    table = document.add_table(rows=3, cols=len(headings))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)
        keep = OxmlElement("w:cantSplit")  # a unit's row never breaks across two pages
        keep.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(keep)
    _grid(table, widths)
    for cell, heading, width in zip(table.rows[0].cells, headings, widths, strict=True):
        cell.width = Mm(width)
        run = cell.paragraphs[0].add_run(heading)
        run.bold, run.font.size = True, Pt(12)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for u in units %}")
    for cell, text, width in zip(table.rows[2].cells, cells, widths, strict=True):
        cell.width = Mm(width)
        cell.paragraphs[0].add_run(text).font.size = Pt(12)
    row = table.add_row()
    row.cells[0].paragraphs[0].add_run("{%tr endfor %}")
    # the header row repeats on every page
    header = table.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header.append(repeat)


def decision_list() -> Any:
    document = Document()
    _font(document)
    _page(document)
    _heading_block(document)
    document.add_paragraph()
    for text, size in (("DANH SÁCH", 14), ("đơn vị được công nhận đạt chuẩn “Chính quyền thân thiện”", 14)):
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = p.add_run(text)
        run.bold, run.font.size = True, Pt(size)
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run(
        "năm {{ nam }} (kèm theo Quyết định số        /{{ ky_hieu }} của {{ co_quan_ngan }})"
    ).italic = True
    document.add_paragraph(
        "Căn cứ bộ tiêu chí {{ bo_tieu_chi }} và kết quả thẩm định, phúc tra, {{ so_don_vi }} đơn vị "
        "cấp xã được công nhận đạt chuẩn “Chính quyền thân thiện” năm {{ nam }} như sau:"
    )
    _table(
        document,
        ["STT", "Tên đơn vị", "Huyện / nhóm thẩm định", "Tổng điểm"],
        ["{{ u.stt }}", "{{ u.ten }}", "{{ u.huyen }}", "{{ u.diem }}"],
        [13, 64, 58, 30],
    )
    document.add_paragraph("Danh sách này có {{ so_don_vi }} đơn vị.")
    _signature(document)
    p = document.add_paragraph()
    p.add_run().add_break(WD_BREAK.PAGE)
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = p.add_run("PHỤ LỤC")
    run.bold, run.font.size = True, Pt(14)
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    p.add_run("Điểm theo nhóm tiêu chí và ghi chú của các đơn vị được công nhận").bold = True
    p = document.add_paragraph("Các nhóm tiêu chí (điểm tối đa):")
    p.runs[0].italic = True
    for text in (
        "{%p for g in nhom_tieu_chi %}",
        "{{ g.so }}. {{ g.ten }} ({{ g.diem }} điểm)",
        "{%p endfor %}",
    ):
        document.add_paragraph(text).paragraph_format.left_indent = Mm(5)
    _table(
        document,
        ["STT", "Tên đơn vị (mã)", "Điểm theo nhóm", "Ghi chú"],
        ["{{ u.stt }}", "{{ u.ten }} ({{ u.ma }})", "{{ u.nhom }}", "{{ u.ghi_chu }}"],
        [12, 48, 72, 33],
    )
    return document


def main() -> None:
    HERE.mkdir(exist_ok=True)
    decision_list().save(str(HERE / "danh-sach-cong-nhan.docx"))
    print(HERE / "danh-sach-cong-nhan.docx")


if __name__ == "__main__":
    main()
