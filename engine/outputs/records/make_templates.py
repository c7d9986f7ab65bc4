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
DOTS = "." * 44  # a blank line to write a name on


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


def _table(
    document: Any, headings: list[str], cells: list[str], widths: list[float], loop: str = "u in units"
) -> None:
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
    table.rows[1].cells[0].paragraphs[0].add_run("{%tr for " + loop + " %}")
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
        ["STT", "Tên đơn vị", "{{ cot_nhom }}", "Tổng điểm"],
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


def _title(document: Any, lines: list[tuple[str, int, bool]]) -> None:
    document.add_paragraph()
    for text, size, bold in lines:
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        p.paragraph_format.space_after = Pt(0)
        run = p.add_run(text)
        run.bold, run.font.size = bold, Pt(size)
        run.italic = not bold
    document.add_paragraph()


def _heading(document: Any, text: str) -> None:
    p = document.add_paragraph()
    p.paragraph_format.space_before = Pt(6)
    p.paragraph_format.keep_with_next = True
    p.add_run(text).bold = True


def _lines(document: Any, texts: list[str], size: int = 13) -> None:
    for text in texts:
        p = document.add_paragraph()
        p.paragraph_format.space_after = Pt(2)
        p.add_run(text).font.size = Pt(size)


def _signatures(document: Any, left: list[str], right: list[str]) -> None:
    """Two signature blocks side by side (titles in bold, then the signing note, room to sign, and
    the name line), kept on the page of the text above them."""
    table = document.add_table(rows=1, cols=2)
    table.autofit = False
    _grid(table, [83, 83])
    keep = OxmlElement("w:cantSplit")
    keep.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(keep)
    for cell, lines in zip(table.rows[0].cells, (left, right), strict=True):
        cell.width = Mm(83)
        first = True
        for text in lines:
            p = cell.paragraphs[0] if first else cell.add_paragraph()
            first = False
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.paragraph_format.space_after = Pt(0)
            run = p.add_run(text)
            run.bold = not text.startswith("(")
            run.italic = text.startswith("(")
        for _ in range(4):
            cell.add_paragraph()
        p = cell.add_paragraph("……………………………………")
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _start(title: list[tuple[str, int, bool]]) -> Any:
    """A record's first lines: page, letterhead and title."""
    document = Document()
    _font(document)
    _page(document)
    _heading_block(document)
    _title(document, title)
    return document


def appraisal_record() -> Any:
    """Biên bản thẩm định: one unit's application as the district team appraised it."""
    document = _start(
        [
            ("BIÊN BẢN THẨM ĐỊNH", 14, True),
            ("Hồ sơ đề nghị công nhận đạt chuẩn “Chính quyền thân thiện” năm {{ nam }}", 13, True),
            ("của {{ ten_don_vi }} (mã {{ ma_don_vi }}), {{ nhom }}", 13, False),
        ]
    )
    document.add_paragraph(
        "Hôm nay, ngày ...... tháng ...... năm {{ nam_ky }}, tại ........................................, "
        "Tổ thẩm định {{ nhom }} thẩm định hồ sơ đề nghị công nhận đạt chuẩn “Chính quyền thân thiện” "
        "của {{ ten_don_vi }} theo {{ bo_tieu_chi }}."
    )
    _heading(document, "I. THÀNH PHẦN")
    _lines(
        document,
        [
            "1. Tổ thẩm định:",
            "- Ông (bà) " + DOTS + " chức vụ .................... Tổ trưởng;",
            "- Ông (bà) " + DOTS + " chức vụ .................... thành viên;",
            "- Ông (bà) " + DOTS + " chức vụ .................... thành viên;",
            "2. Đại diện {{ ten_don_vi }}:",
            "- Ông (bà) " + DOTS + " chức vụ ....................................",
        ],
    )
    _heading(document, "II. KẾT QUẢ THẨM ĐỊNH TỪNG TIÊU CHÍ")
    p = document.add_paragraph(
        "Tự chấm: điểm đơn vị tự chấm theo nhóm tiêu chí; Điểm: điểm thẩm định theo bộ tiêu chí; "
        "Minh chứng: giá trị trong hồ sơ được dùng để chấm."
    )
    p.runs[0].italic, p.runs[0].font.size = True, Pt(11)
    _table(
        document,
        ["TT", "Tiêu chí", "Minh chứng", "Tự chấm", "Điểm / tối đa", "Nhận xét"],
        [
            "{{r d.tt }}",
            "{{r d.ten }}",
            "{{ d.minh_chung }}",
            "{{r d.tu_cham }}",
            "{{r d.diem }}",
            "{{ d.nhan_xet }}",
        ],
        [10, 42, 40, 16, 18, 40],
        loop="d in dong",
    )
    document.add_paragraph(
        "Tổng điểm thẩm định: {{ tong_diem }}/{{ diem_toi_da }} điểm; đơn vị tự chấm: {{ tu_cham }} điểm."
    )
    _heading(document, "III. ĐIỀU KIỆN CÔNG NHẬN VÀ CẢNH BÁO")
    for text in ("{%p for g in dieu_kien %}", "- {{ g }}", "{%p endfor %}"):
        document.add_paragraph(text)
    for text in ("{%p for c in canh_bao %}", "- {{ c }}", "{%p endfor %}"):
        document.add_paragraph(text)
    _heading(document, "IV. KẾT LUẬN")
    document.add_paragraph("{{ ket_luan }}")
    document.add_paragraph(
        "Biên bản lập thành ...... bản, đã đọc lại cho các thành viên cùng nghe và thống nhất ký tên."
    ).paragraph_format.space_after = Pt(6)
    _signatures(
        document,
        ["ĐẠI DIỆN {{ ten_don_vi_hoa }}", "(Ký, ghi rõ họ tên, đóng dấu)"],
        ["TỔ TRƯỞNG TỔ THẨM ĐỊNH", "(Ký, ghi rõ họ tên)"],
    )
    _signatures(document, ["THÀNH VIÊN", "(Ký, ghi rõ họ tên)"], ["THÀNH VIÊN", "(Ký, ghi rõ họ tên)"])
    return document


def field_record() -> Any:
    """Biên bản kiểm tra thực địa: values found at the unit against those the team used."""
    document = _start(
        [
            ("BIÊN BẢN KIỂM TRA THỰC ĐỊA", 14, True),
            ("Kết quả xây dựng “Chính quyền thân thiện” năm {{ nam }}", 13, True),
            ("tại {{ ten_don_vi }} (mã {{ ma_don_vi }}), {{ nhom }}", 13, False),
        ]
    )
    document.add_paragraph(
        "Hôm nay, ngày ...... tháng ...... năm {{ nam_ky }}, tại trụ sở {{ ten_don_vi }}, đoàn kiểm tra "
        "của {{ co_quan }} kiểm tra thực tế các minh chứng trong hồ sơ đề nghị công nhận theo "
        "{{ bo_tieu_chi }}. Đơn vị được chọn kiểm tra: {{ ly_do_chon }}."
    )
    _heading(document, "I. THÀNH PHẦN")
    _lines(
        document,
        [
            "1. Đoàn kiểm tra: ông (bà) " + DOTS + " chức vụ ......................;",
            "   ông (bà) " + DOTS + " chức vụ ......................;",
            "2. Đại diện {{ ten_don_vi }}: ông (bà) " + DOTS + " chức vụ ......................",
        ],
    )
    _heading(document, "II. KẾT QUẢ KIỂM TRA")
    _table(
        document,
        ["TT", "Minh chứng", "Giá trị tổ thẩm định dùng", "Giá trị kiểm tra thực tế", "Khớp", "Ghi chú"],
        [
            "{{ d.tt }}",
            "{{ d.ten }}",
            "{{ d.ke_khai }}",
            "{{ d.thuc_te }}",
            "{{ d.khop }}",
            "{{ d.ghi_chu }}",
        ],
        [10, 46, 28, 28, 20, 34],
        loop="d in dong",
    )
    document.add_paragraph("{{ tom_tat }}")
    _heading(document, "III. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA")
    _lines(document, ["." * 150, "." * 150])
    document.add_paragraph(
        "Biên bản lập thành ...... bản, đã đọc lại cho các bên cùng nghe và thống nhất ký tên."
    ).paragraph_format.space_after = Pt(6)
    _signatures(
        document,
        ["ĐẠI DIỆN {{ ten_don_vi_hoa }}", "(Ký, ghi rõ họ tên, đóng dấu)"],
        ["NGƯỜI KIỂM TRA", "(Ký, ghi rõ họ tên)"],
    )
    return document


def proposal_list() -> Any:
    """Danh sách đề nghị công nhận: the units a district proposes, with those it may not."""
    document = _start(
        [
            ("DANH SÁCH", 14, True),
            ("đơn vị cấp xã đề nghị công nhận đạt chuẩn “Chính quyền thân thiện” năm {{ nam }}", 13, True),
            ("{{ nhom }}", 13, False),
        ]
    )
    document.add_paragraph(
        "Căn cứ {{ bo_tieu_chi }} và kết quả thẩm định hồ sơ, {{ nhom }} đề nghị công nhận "
        "{{ so_don_vi }} đơn vị cấp xã đạt chuẩn “Chính quyền thân thiện” năm {{ nam }} như sau:"
    )
    _table(
        document,
        ["STT", "Tên đơn vị", "Mã", "Tổng điểm", "Tự chấm", "Ghi chú"],
        ["{{ u.stt }}", "{{ u.ten }}", "{{ u.ma }}", "{{ u.diem }}", "{{ u.tu_cham }}", "{{ u.ghi_chu }}"],
        [12, 56, 18, 22, 20, 38],
    )
    document.add_paragraph("Danh sách này có {{ so_don_vi }} đơn vị.")
    document.add_paragraph("{%p if loai_ra %}")
    _heading(document, "Đơn vị đã được đề nghị nhưng chưa đạt chuẩn (không đưa vào danh sách):")
    _table(
        document,
        ["STT", "Tên đơn vị", "Mã", "Tổng điểm", "Lý do chưa đạt"],
        ["{{ u.stt }}", "{{ u.ten }}", "{{ u.ma }}", "{{ u.diem }}", "{{ u.ly_do }}"],
        [12, 50, 18, 22, 64],
        loop="u in loai_ra",
    )
    document.add_paragraph("{%p endif %}")
    _signature(document)
    return document


TEMPLATES = {
    "danh-sach-cong-nhan.docx": decision_list,
    "bien-ban-tham-dinh.docx": appraisal_record,
    "bien-ban-kiem-tra.docx": field_record,
    "danh-sach-de-nghi.docx": proposal_list,
}


FALLBACK = "Liberation Serif"  # metric-compatible with Times New Roman, with every Vietnamese letter


def _name_fallback(path: Path) -> None:
    """Name the fallback font in the document's font table (w:altName), where Word and Writer look
    when Times New Roman is missing; the zip is rewritten entry by entry."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in entries:
            if info.filename == "word/fontTable.xml":
                text = data.decode("utf-8")
                entry = f'<w:font w:name="{FONT}">'
                if entry in text and "w:altName" not in text.split(entry, 1)[1].split("</w:font>", 1)[0]:
                    text = text.replace(entry, f'{entry}<w:altName w:val="{FALLBACK}"/>', 1)
                data = text.encode("utf-8")
            out.writestr(info, data)


def main() -> None:
    HERE.mkdir(exist_ok=True)
    for name, make in TEMPLATES.items():
        make().save(str(HERE / name))
        _name_fallback(HERE / name)
        print(HERE / name)


if __name__ == "__main__":
    main()
