"""Workbooks that cost far more to read than their size: a zip bomb (a sheet that inflates to
hundreds of MB from a few hundred KB) and merged-range bombs (one `<mergeCell>` naming millions of
cells). Built from the sample's evidence template so that everything else about them is valid."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "samples" / "bac-giang-2024.xlsx"
ENTRY_PART = "xl/worksheets/sheet2.xml"  # "Nhập liệu" in the sample workbook


def _rewrite(source: Path, target: Path, change: dict[str, bytes]) -> None:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            out.writestr(item, change.get(item.filename, src.read(item.filename)))


def entry_part(path: Path = SAMPLE) -> str:
    """The part holding the sheet "Nhập liệu" (from the workbook's relationships)."""
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        return str(book["Nhập liệu"]._worksheet_path).lstrip("/")  # noqa: SLF001
    finally:
        book.close()


def zip_bomb(target: Path, inflated_mb: int = 300) -> Path:
    """The sample with its entry sheet's XML padded by `inflated_mb` MB of spaces before its end:
    valid XML, a few hundred KB compressed."""
    part = entry_part()
    with zipfile.ZipFile(SAMPLE) as src:
        xml = src.read(part)
        items = src.infolist()
        data = {i.filename: src.read(i.filename) for i in items}
    cut = xml.rindex(b"</worksheet>")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for item in items:
            if item.filename != part:
                out.writestr(item, data[item.filename])
                continue
            info = zipfile.ZipInfo(part, item.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            with out.open(info, "w", force_zip64=True) as handle:
                handle.write(xml[:cut])
                block = b" " * (1 << 20)
                for _ in range(inflated_mb):
                    handle.write(block)
                handle.write(xml[cut:])
    return target


def merge_bomb(target: Path, ref: str = "A1:ALL3000") -> Path:
    """The sample with one merged range `ref` on its entry sheet."""
    part = entry_part()
    with zipfile.ZipFile(SAMPLE) as src:
        xml = src.read(part)
    assert b"<mergeCells" not in xml  # the sample merges nothing: add the one range
    merged = f'</sheetData><mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>'
    xml = xml.replace(b"</sheetData>", merged.encode(), 1)
    _rewrite(SAMPLE, target, {part: xml})
    return target


def copy_sample(target: Path) -> Path:
    shutil.copyfile(SAMPLE, target)
    return target
