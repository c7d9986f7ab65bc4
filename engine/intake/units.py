"""The province's unit list (CSV: ma_don_vi, ten_don_vi, nhom_tham_dinh): the units a template is
pre-filled with and the population of every share; and whether a workbook is one of cqtt's
evidence templates (its hidden binding sheet)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from engine.errors import CqttError, EvidenceFileError
from engine.intake.binding import read_binding
from engine.intake.cells import clean_text, is_blank
from engine.intake.evidence import fixed_column
from engine.intake.workbook import open_workbook


@dataclass(frozen=True)
class UnitRow:
    code: str
    name: str
    group: str


def _sheet_rows(path: Path) -> list[list[str]]:
    """The first sheet of an .xlsx unit list, as text cells (a code keeps its leading zero when
    the sheet stores it as a number of five digits or fewer)."""
    book = open_workbook(path, "danh sách đơn vị", refuse=lambda reason: EvidenceFileError(str(path), reason))
    try:
        rows = []
        for row in book.worksheets[0].iter_rows(values_only=True):
            cells = ["" if v is None else str(v) for v in row]
            rows.append(cells)
    finally:
        book.close()
    for row in rows[1:]:
        if row and row[0].isdigit() and len(row[0]) < 5:
            row[0] = row[0].zfill(5)
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    return rows


def read_units(path: Path) -> list[UnitRow]:
    """The units list (CSV or the first sheet of an .xlsx: ma_don_vi, ten_don_vi, nhom_tham_dinh)
    used to pre-fill a template and as a year's population."""
    if path.is_file() and path.stat().st_size == 0:
        raise EvidenceFileError(str(path), "tệp danh sách đơn vị rỗng")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        if not path.is_file():
            raise EvidenceFileError(str(path), "không tìm thấy tệp danh sách đơn vị")
        rows = _sheet_rows(path)
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise EvidenceFileError(str(path), "không tìm thấy tệp danh sách đơn vị") from None
        except UnicodeDecodeError:
            raise EvidenceFileError(str(path), "tệp không phải UTF-8") from None
        rows = list(csv.reader(text.splitlines()))
    if not rows:
        raise EvidenceFileError(str(path), "tệp danh sách đơn vị rỗng")
    header = [fixed_column(h) for h in rows[0]]
    if "ma_don_vi" not in header:
        raise EvidenceFileError(str(path), "dòng đầu phải có cột “ma_don_vi” (Mã đơn vị)")
    units, seen = [], set()
    for number, row in enumerate(rows[1:], start=2):
        values = {k: row[i] for i, k in enumerate(header) if k and i < len(row)}
        code = clean_text(values.get("ma_don_vi", ""))
        if is_blank(code):
            if any(not is_blank(v) for v in row):
                raise EvidenceFileError(str(path), f"dòng {number}: thiếu mã đơn vị")
            continue
        if code in seen:
            raise EvidenceFileError(str(path), f"dòng {number}: mã đơn vị “{code}” bị trùng")
        seen.add(code)
        units.append(
            UnitRow(
                code, clean_text(values.get("ten_don_vi", "")), clean_text(values.get("nhom_tham_dinh", ""))
            )
        )
    return units


def template_binding(path: Path) -> dict[str, str] | None:
    """The criteria a template file was generated for; None if it is not a template."""
    if path.suffix.lower() not in (".xlsx", ".xlsm"):
        return None
    try:
        book = open_workbook(path)
    except CqttError:  # not a workbook openpyxl can open: not one of our templates
        return None
    try:
        return read_binding(book)
    finally:
        book.close()
