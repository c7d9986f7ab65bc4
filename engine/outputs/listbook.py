"""A list as people saw it on a page (engine.portal.listing), written as an .xlsx: the same rows
in the same order, under the same headings, with the search and filters named above them."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any


def workbook(title: str, columns: Sequence[Any], shown: Any, said: str) -> bytes:
    """The rows as shown (every page), under the same headings, as an .xlsx; text that a
    spreadsheet would run as a formula stays text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    sheet = book.active
    sheet.title = "Danh sách"
    sheet.append([title])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append([f"Lọc: {said} — {len(shown.matched)} trong {shown.total} dòng"])
    sheet.append([c.label for c in columns])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for row in shown.matched:
        sheet.append([row.get(c.key) for c in columns])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text, never a formula
    for i, c in enumerate(columns, start=1):
        longest = max([len(c.label)] + [len(str(r.get(c.key) or "")) for r in shown.matched[:500]])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, longest + 2))
    sheet.freeze_panes = "A4"
    if shown.matched:
        sheet.auto_filter.ref = f"A3:{get_column_letter(len(columns))}{sheet.max_row}"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
