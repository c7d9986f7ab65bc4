"""On paper: every workbook cqtt writes prints cleanly through LibreOffice, and every stage's
record (.docx) prints with its letterhead and signature blocks.

The workbooks and records of the 195-unit sample are printed to PDF by LibreOffice in the test,
then read back: pages per sheet within the bounds stated below, the page header and footer on
the pages, text of at least 8 pt, and (from the workbook XML) no row whose wrapped text needs more
lines than its height gives. Bounds for the results workbook: its detail sheet holds 4,290
criterion rows (22 a unit); one line each at 8 pt is some 45 rows a landscape page, so the detail
alone needs about 100 pages (130 with the rows whose text wraps); the per-unit detail on paper
is the biên bản thẩm định.

With CQTT_README_IMAGES=docs the test also renders the README's pictures of a printed page.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from cli import main
from engine.outputs.rowfit import char_em, column_px

ROOT = Path(__file__).parent.parent
SAMPLES = ROOT / "samples"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
needs_office = pytest.mark.skipif(
    SOFFICE is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and poppler-utils (pdftotext) are needed to print",
)

# Pages for the 195-unit sample, per sheet (by the sheet's name in the page header) and in all.
RESULTS_BOUNDS = {
    "Tổng hợp": 2,
    "Xếp hạng": 15,
    "Cảnh báo": 20,
    "Chi tiết": 135,
    "Minh chứng": 70,
    "Thông tin": 2,
}
RESULTS_TOTAL = 260
BOOK_TOTALS = {
    "mau": 10,
    "hd": 10,
    "ss": 35,
    "kd": 70,
    "pt": 12,
    "td": 12,
}  # td: 5 units, two pages each at most


def cqtt(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def books(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every kind of workbook cqtt writes, from the samples."""
    d = tmp_path_factory.mktemp("books")
    team = SAMPLES / "bac-giang-2024-to-tham-dinh.xlsx"
    runs = {
        "kq": ["score", SAMPLES / "bac-giang-2024.xlsx", "--criteria", "bac-giang@2024", "-o", d / "kq.xlsx",
               "--json", d / "kq.json"],
        "mau": ["template", "--criteria", "bac-giang@2024", "-o", d / "mau.xlsx"],
        "hd": ["criteria", "show", "bac-giang@2024", "--xlsx", d / "hd.xlsx"],
        "ss": ["criteria", "diff", "bac-giang@2023", "bac-giang@2024", "--evidence",
               SAMPLES / "bac-giang-2024.xlsx", "-o", d / "ss.xlsx"],
        "kd": ["survey", "tally", SAMPLES / "bac-giang-2024-phieu-khao-sat.csv", "--criteria",
               "bac-giang@2024", "-o", d / "kd.xlsx"],
        "pt": ["recheck", team, "-o", d / "pt.xlsx"],
        "td": ["sample", team, "--n", "5", "--seed", "1", "-o", d / "td.xlsx"],
    }  # fmt: skip
    for name, args in runs.items():
        code, out = cqtt(*args)
        assert code in (0, 3), (name, out)
    return {name: d / f"{name}.xlsx" for name in runs} | {"json": d / "kq.json"}


def to_pdf(document: Path) -> Path:
    profile = document.parent / "lo-profile"
    subprocess.run(
        [SOFFICE or "soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(document.parent), str(document)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    pdf = document.with_suffix(".pdf")
    assert pdf.is_file(), f"LibreOffice wrote no PDF for {document.name}"
    return pdf


def pdf_pages(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def on(words: str, page: str) -> bool:
    """Whether `words` are printed on `page` (pdftotext puts spaces inside some Vietnamese words)."""
    return re.sub(r"\s+", "", words) in re.sub(r"\s+", "", page)


def sheet_of(page: str, ref: str) -> str:
    """The sheet a printed page belongs to, from its page header ("Sheet — bac-giang@2024")."""
    head = " ".join(page.strip().splitlines()[:2])
    found = re.search(rf"\s{{2,}}(\S[^—]*?) — {re.escape(ref)}", head)
    return re.sub(r"^B\s*Ả\s*N\s*M\s*Ẫ\s*U\s*", "", re.sub(r"\s+", " ", found.group(1))) if found else "?"


def smallest_text(pdf: Path, pages: list[int]) -> float:
    """The smallest font size (pt, as printed) on the given pages, header and footer left out."""
    import pdfplumber

    sizes = []
    with pdfplumber.open(pdf) as document:
        for number in pages:
            page = document.pages[number]
            top, bottom = 0.07 * page.height, 0.93 * page.height
            sizes += [c["size"] for c in page.chars if top < c["top"] < bottom and c["text"].strip()]
    return min(sizes)


def _needed_lines(text: str, width: float, size: float) -> int:
    """A lower bound of the lines wrapped text takes: its width on one line over the column's room
    (independent of the word-by-word estimate the writer uses)."""
    lines = 0
    for paragraph in text.split("\n"):
        px = sum(char_em(c) for c in paragraph) * size * 96 / 72
        lines += max(1, math.ceil(px / column_px(width)))
    return lines


def short_rows(book: Path) -> list[str]:
    """Rows of wrapped text whose height gives fewer lines than the text needs, and text cut off
    (wider than its column, not wrapped, the next cell not empty)."""
    wb = load_workbook(book)
    found = []
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        merged = {(r.min_row, r.min_col): r for r in ws.merged_cells.ranges if r.min_row == r.max_row}
        area = ws.print_area  # the columns after it are for the screen only
        last = ws.max_column
        if area:
            found_area = re.search(r"\$?[A-Z]+\$?\d+:\$?([A-Z]+)\$?\d+", area)
            last = column_index_from_string(found_area.group(1)) if found_area else last
        for row in ws.iter_rows(max_col=last):
            for i, c in enumerate(row):
                if not isinstance(c.value, str) or c.alignment.shrink_to_fit:  # shrunk: never cut
                    continue
                if not c.alignment.wrap_text:
                    width = ws.column_dimensions[get_column_letter(c.column)].width or 8.43
                    px = sum(char_em(ch) for ch in c.value) * (c.font.sz or 10) * 96 / 72
                    beside = row[i + 1].value if i + 1 < len(row) else None
                    if beside not in (None, "") and px > column_px(width) + 2:
                        found.append(f"{ws.title}!{c.coordinate}: “{c.value[:30]}” bị cắt")
                    continue
                span = merged.get((c.row, c.column))
                columns = range(c.column, (span.max_col if span else c.column) + 1)
                width = sum(ws.column_dimensions[get_column_letter(i)].width or 8.43 for i in columns)
                size = c.font.sz or 10
                lines = _needed_lines(c.value, width, size)
                height = ws.row_dimensions[c.row].height or 12.75
                if lines > 1 and height < lines * size * 1.1:
                    found.append(f"{ws.title}!{c.coordinate}: {lines} dòng, cao {height} pt")
    return found


def test_no_wrapped_text_needs_more_lines_than_its_row_gives(books: dict[str, Path]) -> None:
    for name, book in books.items():
        if book.suffix == ".xlsx":
            assert short_rows(book) == [], name


def test_every_sheet_has_its_page_setup_and_marks(books: dict[str, Path]) -> None:
    for name, book in books.items():
        if book.suffix != ".xlsx":
            continue
        for ws in load_workbook(book).worksheets:
            if ws.sheet_state != "visible":
                continue
            assert ws.page_setup.paperSize in (9, "9"), (name, ws.title)
            assert ws.oddHeader.center.text == "BẢN MẪU", (name, ws.title)
            assert ws.oddFooter.right.text == "Trang &P/&N", (name, ws.title)
            assert ws.oddHeader.right.text.startswith(ws.title), (name, ws.title)
            fits = ws.sheet_properties.pageSetUpPr is not None and ws.sheet_properties.pageSetUpPr.fitToPage
            scale = ws.page_setup.scale
            assert fits or (scale is not None and int(scale) >= 85), (name, ws.title)


def test_flags_say_their_severity_in_words_with_a_legend_and_name_no_ids(books: dict[str, Path]) -> None:
    ws = load_workbook(books["kq"])["Cảnh báo"]
    rows = list(ws.iter_rows(values_only=True))
    assert [r[0] for r in rows[:3]] == ["Nghiêm trọng", "Cần xem", "Lưu ý"]
    assert rows[3][0] == "Mức độ" and rows[3][6] == "Căn cứ"
    body = rows[4:]
    assert {r[0] for r in body} == {"Nghiêm trọng", "Cần xem", "Lưu ý"}
    ids = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")  # sach_nhieu_nguoi_dan, ho_so_day_du
    assert [r[6] for r in body if ids.search(r[6] or "")] == []
    basis = " ".join(r[6] or "" for r in body)
    assert "Hồ sơ đề nghị công nhận đủ 5 văn bản" in basis and "theo Luật Thực hiện dân chủ" in basis


def test_explanations_are_plain_words_with_the_exact_rule_beside(books: dict[str, Path]) -> None:
    book = load_workbook(books["kq"], read_only=True)
    try:
        rows = book["Chi tiết"].iter_rows(values_only=True)
        heading = next(rows)
        explanation, rule = heading.index("Giải thích"), heading.index("Quy tắc khớp")
        seen = [(r[explanation], r[rule]) for r in rows]
    finally:
        book.close()
    assert not any("nội suy" in e for e, _ in seen)
    linear = [(e, r) for e, r in seen if "tính theo tỷ lệ giữa 80% (0 điểm) và 100% (5 điểm)" in e]
    assert linear and all(r.startswith("nội suy tuyến tính (80% → 0, 100% → 5)") for _, r in linear)


@needs_office
def test_the_results_workbook_prints_within_its_bounds(books: dict[str, Path]) -> None:
    pdf = to_pdf(books["kq"])
    pages = pdf_pages(pdf)
    counts = Counter(sheet_of(p, "bac-giang@2024") for p in pages)
    assert "?" not in counts, [p[:200] for p in pages if sheet_of(p, "bac-giang@2024") == "?"][:2]
    for sheet, bound in RESULTS_BOUNDS.items():
        assert 0 < counts[sheet] <= bound, (sheet, counts[sheet], bound)
    assert len(pages) <= RESULTS_TOTAL, counts
    for number, page in enumerate(pages, start=1):
        assert on("Kết quả chấm điểm — 10 nhóm thẩm định trong tệp", page), number
        assert on("BẢN MẪU", page) and on(f"Trang {number}/{len(pages)}", page), number
        assert re.search(r"Lập ngày \d\d/\d\d/\d{4}", page), number
    firsts = sorted(
        {next(i for i, p in enumerate(pages) if sheet_of(p, "bac-giang@2024") == s) for s in counts}
    )
    assert smallest_text(pdf, firsts) >= 8.0
    images = os.environ.get("CQTT_README_IMAGES")
    if images:
        ranking = next(i for i, p in enumerate(pages) if sheet_of(p, "bac-giang@2024") == "Xếp hạng") + 1
        _picture(pdf, ranking, Path(images) / "xep-hang-trang-in.png")


@needs_office
@pytest.mark.parametrize("name", sorted(BOOK_TOTALS))
def test_every_other_workbook_prints_within_its_bound(books: dict[str, Path], name: str) -> None:
    pdf = to_pdf(books[name])
    pages = pdf_pages(pdf)
    assert 0 < len(pages) <= BOOK_TOTALS[name], (name, len(pages))
    assert all(on("BẢN MẪU", p) and on(f"Trang {i}/{len(pages)}", p) for i, p in enumerate(pages, 1)), name
    firsts = [i for i, p in enumerate(pages) if i == 0 or sheet_of(p, "@") != sheet_of(pages[i - 1], "@")]
    assert smallest_text(pdf, firsts[:12]) >= 8.0, name


def _picture(pdf: Path, page: int, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    stem = target.with_suffix("")
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(stem)], check=True)  # fmt: skip


# -- records -------------------------------------------------------------------------------------------
writer = pytest.mark.skipif(
    SOFFICE is None or not (Path(SOFFICE).resolve().parent / "swriter").exists(),
    reason="LibreOffice Writer is needed to print the records",
)


@needs_office
@writer
@pytest.mark.parametrize(
    ("kind", "source", "unit", "per_record", "must"),
    [
        ("bien-ban-tham-dinh", "kq", "07855", 8,
         ["BIÊN BẢN THẨM ĐỊNH", "TỔ TRƯỞNG TỔ THẨM ĐỊNH", "THÀNH VIÊN", "ĐẠI DIỆN XÃ THƯỜNG THẮNG",
          "IV. KẾT LUẬN", "99,83/100"]),
        ("bien-ban-kiem-tra", "td", None, 4,
         ["BIÊN BẢN KIỂM TRA THỰC ĐỊA", "NGƯỜI KIỂM TRA", "II. KẾT QUẢ KIỂM TRA", "Khớp"]),
        ("danh-sach-de-nghi", "json", None, 3, ["DANH SÁCH", "đề nghị công nhận", "Nơi nhận:"]),
    ],
)  # fmt: skip
def test_each_record_prints_with_its_letterhead_and_signatures(
    books: dict[str, Path], tmp_path: Path, kind: str, source: str, unit: str | None, per_record: int,
    must: list[str],
) -> None:  # fmt: skip
    out = tmp_path / kind
    code, said = cqtt(
        "records", books[source], "--kind", kind, "-o", out, *(["--unit", unit] if unit else [])
    )
    assert code == 0, said
    documents = sorted(out.glob("*.docx"))
    assert documents and said.strip().endswith(f"Đã ghi {len(documents)} văn bản vào {out}")
    for document in documents[:3]:
        pdf = to_pdf(document)
        pages = pdf_pages(pdf)
        text = " ".join(pages)
        assert 0 < len(pages) <= per_record, (document.name, len(pages))
        for word in ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", *must]:
            assert on(word, text), (document.name, word)
        assert all(on("BẢN MẪU", p) and on(f"Trang {i}/{len(pages)}", p) for i, p in enumerate(pages, 1))
        with zipfile.ZipFile(document) as z:  # the fallback, named where Word and Writer look for it
            assert '<w:altName w:val="Liberation Serif"/>' in z.read("word/fontTable.xml").decode()
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
        assert "LiberationSerif" in fonts or "TimesNewRoman" in fonts, fonts
        assert smallest_text(pdf, list(range(len(pages)))) >= 8.0
    if kind == "bien-ban-tham-dinh" and os.environ.get("CQTT_README_IMAGES"):
        _picture(to_pdf(documents[0]), 1, Path(os.environ["CQTT_README_IMAGES"]) / "bien-ban-tham-dinh.png")


def test_records_in_one_file_to_print(books: dict[str, Path], tmp_path: Path) -> None:
    """`--one-file`: the records one per file would hold, in one Word file, each from a new page
    and its pages counted from 1; written atomically like every output, refused over an existing
    file without --force."""
    apart, together = tmp_path / "rieng", tmp_path / "chung"
    code, said = cqtt("records", books["td"], "--kind", "bien-ban-kiem-tra", "-o", apart)
    assert code == 0, said
    separate = sorted(apart.glob("*.docx"))
    code, said = cqtt("records", books["td"], "--kind", "bien-ban-kiem-tra", "-o", together, "--one-file")
    assert code == 0, said
    (one,) = together.glob("*.docx")
    assert said.strip().endswith(f"Đã ghi các văn bản vào một tệp: {one}")
    pages = pdf_pages(to_pdf(one))
    firsts = [i for i, p in enumerate(pages) if re.search(r"^\s*Trang 1\s*$", p, re.M)]
    assert len(firsts) == len(separate) > 1 and firsts[0] == 0
    assert sum(1 for p in pages if on("BIÊN BẢN KIỂM TRA THỰC ĐỊA", p)) == len(separate)
    code, said = cqtt("records", books["td"], "--kind", "bien-ban-kiem-tra", "-o", together, "--one-file")
    assert code != 0 and "--force" in said


def test_a_proposal_list_leaves_out_the_units_proposed_below_the_standard(
    books: dict[str, Path], tmp_path: Path
) -> None:
    from docx import Document

    from engine.outputs.resultsjson import read_results

    code, said = cqtt("records", books["json"], "--kind", "danh-sach-de-nghi", "-o", tmp_path)
    assert code == 0, said
    units = read_results(books["json"])["units"]
    group = [u for u in units if u["group"] == "Huyện Lục Ngạn"]
    text = "\n".join(
        c.text for t in Document(str(tmp_path / "danh-sach-de-nghi-huyen-luc-ngan.docx")).tables
        for r in t.rows for c in r.cells
    )  # fmt: skip
    for u in group:
        if u["proposed"]:
            assert u["code"] in text, u["code"]
    listed = [u for u in group if u["proposed"] and u["recognised"]]
    assert f"đề nghị công nhận {len(listed)} đơn vị" in " ".join(
        p.text for p in Document(str(tmp_path / "danh-sach-de-nghi-huyen-luc-ngan.docx")).paragraphs
    )


def test_a_record_is_never_made_from_a_typed_over_results_workbook(
    books: dict[str, Path], tmp_path: Path
) -> None:
    edited = tmp_path / "sua-tay.xlsx"
    wb = load_workbook(books["kq"])
    ws = wb["Xếp hạng"]
    assert ws["B2"].value == "07855"
    ws["E2"].value = 75  # the total of the first unit, typed over
    wb.save(edited)
    code, said = cqtt("records", edited, "--kind", "bien-ban-tham-dinh", "-o", tmp_path / "bb")
    assert code == 1
    assert "chỗ khác kết quả chấm lại từ chính minh chứng trong tệp (đơn vị 07855" in said
    assert not (tmp_path / "bb").exists() or not list((tmp_path / "bb").iterdir())


def test_a_province_template_replaces_the_bundled_one(books: dict[str, Path], tmp_path: Path) -> None:
    from docx import Document

    mine = tmp_path / "mau"
    mine.mkdir()
    document = Document()
    document.add_paragraph("Biên bản của tỉnh cho {{ ten_don_vi }}: {{ tong_diem }} điểm")
    document.save(str(mine / "bien-ban-tham-dinh.docx"))
    code, said = cqtt(
        "records", books["kq"], "--kind", "bien-ban-tham-dinh", "-o", tmp_path / "bb", "--unit", "07855",
        "--templates", mine,
    )  # fmt: skip
    assert code == 0, said
    [written] = (tmp_path / "bb").glob("*.docx")
    with zipfile.ZipFile(written) as z:
        assert "Biên bản của tỉnh cho Xã Thường Thắng: 99,83 điểm" in re.sub(
            r"<[^>]+>", "", z.read("word/document.xml").decode()
        )
