"""Records people sign: the decision list ("Danh sách đơn vị được công nhận" and its annex) made
from the .docx template, opened in LibreOffice Writer and converted to PDF, read back as text page
by page (pdftotext): the layout of an administrative document, the units recognised and only
those, "BẢN MẪU" on every page while the rule set is a model, page numbers that count the pages.

Skipped on a developer machine without LibreOffice Writer or pdftotext; in CI (`CI` set) they are
required (.ci/run installs them).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from docx import Document
from portal_helpers import ROOT, YEAR, Portal, make_portal

from engine.outputs.records import BUNDLED, DECISION_LIST
from engine.portal import accounts, dossiers, review
from engine.portal.demo import appraise_as_submitted
from engine.portal.overview import rows as unit_rows

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
PDFTOTEXT = shutil.which("pdftotext")


def _tools_or_skip() -> None:
    writer = SOFFICE and any(
        Path(p).exists()
        for p in ("/usr/lib/libreoffice/program/swriter", "/usr/lib/libreoffice/program/libswlo.so")
    )
    if writer and PDFTOTEXT:
        return
    message = "LibreOffice Writer and pdftotext are needed (apt-get install libreoffice-writer poppler-utils)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def to_pdf_pages(document: Path, out: Path) -> list[str]:
    """The document as LibreOffice lays it out: the text of each page of the PDF it prints."""
    _tools_or_skip()
    out.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            str(SOFFICE),
            f"-env:UserInstallation=file://{out / 'profile'}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            str(document),
        ],
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr
    pdf = out / f"{document.stem}.pdf"
    text = subprocess.run(
        [str(PDFTOTEXT), str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.fixture(scope="module")
def decided(tmp_path_factory: pytest.TempPathFactory) -> Portal:
    """The 2024 sample appraised; the province recognises every eligible proposed unit, one unit
    against its result (with a reason), refuses one and revokes another."""
    folder = tmp_path_factory.mktemp("ho-so")
    made = make_portal(str(folder / "cong.sqlite"), folder)
    done = dossiers.upload_workbook(
        made.store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
    )
    appraise_as_submitted(made.store, YEAR, done.submitted)
    province = accounts.find(made.store, made.logins["tinh"])
    day = dt.date(2024, 12, 20)
    eligible, other = [], []
    for code in done.submitted:
        score = dossiers.current(made.store, dossiers.dossier(made.store, YEAR, code)).score
        (eligible if score.recognised and score.proposed else other).append(code)
    for code in eligible:
        review.decide(made.store, province, "test", YEAR, code, "recognised", "125/QĐ-UBND", day, "")
    review.decide(
        made.store,
        province,
        "test",
        YEAR,
        other[0],
        "recognised",
        "125/QĐ-UBND",
        day,
        "Theo kết luận của Ban Chỉ đạo",
    )
    review.decide(made.store, province, "test", YEAR, other[1], "not_recognised", "126/QĐ-UBND", day, "")
    review.revoke(
        made.store, province, "test", YEAR, eligible[-1], "130/QĐ-UBND", day, "Vi phạm sau công nhận"
    )
    yield made
    made.close()


def _names(portal: Portal, codes: list[str]) -> list[str]:
    by_code = {r.unit.code: r.unit.name for r in unit_rows(portal.store, YEAR)}
    return [by_code[c] for c in codes]


def test_the_decision_list_as_libreoffice_prints_it(decided: Portal, tmp_path: Path) -> None:
    path = tmp_path / "danh-sach-cong-nhan.docx"
    path.write_bytes(review.decision_list(decided.store, YEAR, "TỈNH BẮC GIANG", "Bắc Giang", None))
    pages = to_pdf_pages(path, tmp_path / "pdf")
    text = "\n".join(pages)

    assert len(pages) >= 3  # the list over pages, the signature, the annex on a page of its own
    for number, page in enumerate(pages, start=1):
        assert "BẢN MẪU — chưa phải bộ tiêu chí chính thức" in page
        assert f"Trang {number}/{len(pages)}" in page
    first = pages[0]
    for line in (
        "ỦY BAN NHÂN DÂN",
        "TỈNH BẮC GIANG",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "/QĐ-UBND",
        "Bắc Giang, ngày",
        "DANH SÁCH",
        "đơn vị được công nhận đạt chuẩn “Chính quyền thân thiện”",
    ):
        assert line in first, line
    signed = next(p for p in pages if "Nơi nhận:" in p)
    assert (
        "TM. ỦY BAN NHÂN DÂN" in signed and "CHỦ TỊCH" in signed and "(Ký, ghi rõ họ tên, đóng dấu)" in signed
    )
    assert "PHỤ LỤC" not in signed and "PHỤ LỤC" in pages[pages.index(signed) + 1]

    current = [
        r.unit.code
        for r in unit_rows(decided.store, YEAR)
        if (d := review.current_decision(decided.store, YEAR, r.unit.code))
        and d[0]
        and d[0].decision == "recognised"
        and d[1] is None
    ]
    assert (
        f"Căn cứ bộ tiêu chí bac-giang@2024 và kết quả thẩm định, phúc tra, {len(current)} đơn vị"
        in " ".join(text.split())
    )
    for code in current:
        assert f"({code})" in text  # the annex names each unit with its code
    for name in _names(decided, current):
        assert name in text
    revoked_or_refused = [
        r.unit.code
        for r in unit_rows(decided.store, YEAR)
        if (d := review.current_decision(decided.store, YEAR, r.unit.code))
        and d[0]
        and (d[0].decision != "recognised" or d[1])
    ]
    assert len(revoked_or_refused) == 2
    for code in revoked_or_refused:
        assert f"({code})" not in text
    assert "Trái với kết quả chấm: công nhận dù kết quả thẩm định chưa đạt chuẩn" in " ".join(text.split())


def test_an_official_rule_set_prints_no_model_mark(
    decided: Portal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = review.criteria_of(decided.store, YEAR)
    official = SimpleNamespace(model=loaded.model.model_copy(update={"status": "official"}))
    monkeypatch.setattr(review, "criteria_of", lambda store, year: official)
    path = tmp_path / "ds.docx"
    path.write_bytes(review.decision_list(decided.store, YEAR, "TỈNH BẮC GIANG", "Bắc Giang", None))
    headers = " ".join(p.text for s in Document(str(path)).sections for p in s.header.paragraphs)
    assert "BẢN MẪU" not in headers
    body = " ".join(p.text for p in Document(str(path)).paragraphs)
    assert "DANH SÁCH" in body and "BẢN MẪU" not in body


def test_the_provinces_own_template_is_used(decided: Portal, tmp_path: Path) -> None:
    """A province edits the template in Word and puts it in its templates folder: that one is used."""
    own = tmp_path / "mau-van-ban"
    own.mkdir()
    template = Document(str(BUNDLED / DECISION_LIST))
    title = next(p for p in template.paragraphs if p.text == "DANH SÁCH")
    title.runs[0].text = "DANH SÁCH ĐƠN VỊ (mẫu riêng của tỉnh)"
    template.save(str(own / DECISION_LIST))
    path = tmp_path / "ds.docx"
    path.write_bytes(review.decision_list(decided.store, YEAR, "TỈNH BẮC GIANG", "Bắc Giang", own))
    body = [p.text for p in Document(str(path)).paragraphs]
    assert "DANH SÁCH ĐƠN VỊ (mẫu riêng của tỉnh)" in body


def test_a_teams_records_in_one_file_print_each_from_a_new_page(decided: Portal, tmp_path: Path) -> None:
    """The team's one file to print holds the records of the .zip, in its order, each from a new
    page with its pages counted from 1, as many pages as each record alone."""
    import io
    import re
    import zipfile

    from portal_helpers import DISTRICT, district_url

    huyen = decided.client("huyen")
    one = huyen.get(district_url(DISTRICT, "/bien-ban-tham-dinh.docx"))
    assert one.status_code == 200 and one.headers["Content-Disposition"].startswith("attachment")
    zipped = huyen.get(district_url(DISTRICT, "/bien-ban-tham-dinh.zip"))
    with zipfile.ZipFile(io.BytesIO(zipped.data)) as z:
        names = z.namelist()
        alone = {n: z.read(n) for n in names[:2]}
    assert len(names) > 10
    path = tmp_path / "bien-ban.docx"
    path.write_bytes(one.data)
    pages = to_pdf_pages(path, tmp_path / "pdf")
    starts = [i for i, page in enumerate(pages) if re.search(r"^Trang 1$", page, re.M)]
    assert len(starts) == len(names) and starts[0] == 0  # each record from a new page
    for i, page in enumerate(pages):
        first = max(s for s in starts if s <= i)
        assert re.search(rf"^Trang {i - first + 1}$", page, re.M), i  # counted within the record
        assert "/" not in " ".join(re.findall(r"^Trang .*$", page, re.M))
    units = [r.unit for r in unit_rows(decided.store, YEAR) if r.unit.district == DISTRICT]
    by_file = {n: next(u for u in units if u.code in n) for n in names}
    for n, s in zip(names, starts, strict=True):
        unit = by_file[n]
        assert "BIÊN BẢN THẨM ĐỊNH" in pages[s] and f"của {unit.name} (mã {unit.code})" in " ".join(
            pages[s].split()
        )
    for k, (n, data) in enumerate(alone.items()):
        single = tmp_path / f"rieng-{k}.docx"
        single.write_bytes(data)
        own = to_pdf_pages(single, tmp_path / f"pdf-{k}")
        end = starts[k + 1] if k + 1 < len(starts) else len(pages)
        assert len(own) == end - starts[k], n
