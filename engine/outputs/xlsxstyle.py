"""Shared helpers for the workbooks the tool writes: safe text cells, styles, print setup.

Every workbook is written in openpyxl's write-only (streaming) mode so that national-scale runs
stay within a few hundred MB. Text that came from users is always written as a text cell: a name
starting with "=" never becomes a formula, and control characters (which Excel rejects) are removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

from engine.text import safe_text

FONT_NAME, FONT_SIZE = "Arial", 10  # on every PC; LibreOffice's Liberation Sans has its metrics


def font(**kwargs: Any) -> Font:
    """A font of the workbooks' family (row heights are estimated with its metrics)."""
    return Font(name=FONT_NAME, size=kwargs.pop("size", FONT_SIZE), family=2, **kwargs)


BASE_FONT = font()
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
HEADER_FONT = font(bold=True, color="FFFFFF")
TITLE_FONT = font(bold=True, size=14, color="1F4E78")
BOLD = font(bold=True)
THIN = Side(style="thin", color="B7B7B7")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
GREEN = PatternFill("solid", fgColor="C6EFCE")
RED = PatternFill("solid", fgColor="FFC7CE")
AMBER = PatternFill("solid", fgColor="FFEB9C")
GREY = PatternFill("solid", fgColor="EDEDED")
SHRINK = Alignment(shrink_to_fit=True, vertical="top")  # codes that must not wrap nor be cut


def new_workbook(write_only: bool = True) -> Workbook:
    """A workbook whose default font (cells without a style of their own, and the unit of column
    widths) is Arial 10 rather than openpyxl's Calibri 11, which LibreOffice lacks and replaces
    with a wider font: text measured for one would spill in the other."""
    wb = Workbook(write_only=write_only)
    wb._fonts[0] = copy(BASE_FONT)
    wb._fonts.clean = False
    wb._named_styles["Normal"].font = copy(BASE_FONT)
    return wb


@dataclass(frozen=True)
class Styled:
    """A cell value with its style id, for rows written by engine.outputs.fastrows (`styled`
    makes them)."""

    value: Any
    style: int


POINTS = "0.00"  # points are kept to two decimals: 84,99 must never show as 85,0
PERCENT = "0.0%"

_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def cell(
    ws: WriteOnlyWorksheet,
    value: Any,
    *,
    number_format: str | None = None,
    font: Font | None = None,
    fill: PatternFill | None = None,
    alignment: Alignment | None = None,
    border: bool = True,
) -> WriteOnlyCell:
    """A streaming cell; strings are forced to text so that "=..." stays text.

    Assigning fonts and borders cell by cell makes openpyxl hash every style object again, which
    dominated the time of a national-scale workbook; the style of each combination is built once
    per workbook and copied (as openpyxl does when it copies cells).
    """
    if isinstance(value, str):
        c = WriteOnlyCell(ws, value=None)
        c.value = safe_text(value)
        c.data_type = "s"
        if alignment is None and border:  # text in a table wraps rather than being cut off
            alignment = WRAP
    else:
        c = WriteOnlyCell(ws, value=value)
    c._style = copy(_style_of(ws, number_format, font, fill, alignment, border))
    return c


def styled(
    ws: WriteOnlyWorksheet,
    value: Any,
    *,
    number_format: str | None = None,
    font: Font | None = None,
    fill: PatternFill | None = None,
    alignment: Alignment | None = None,
    border: bool = True,
) -> Any:
    """What `cell` gives, for a sheet whose rows are written by engine.outputs.fastrows: the
    value with its style id. Register each combination once before the workbook is saved (call
    it with None): styles.xml is written before the deferred rows are."""
    ids: dict[tuple[Any, ...], int] = ws.parent.__dict__.setdefault("_cqtt_style_ids", {})
    key = (number_format, id(font), id(fill), id(alignment), border)
    found = ids.get(key)
    if found is None:
        if ws.parent.__dict__.get("_cqtt_styles_written"):
            raise RuntimeError(f"style {key} first used after the workbook's styles were written")
        proto = cell(
            ws, None, number_format=number_format, font=font, fill=fill, alignment=alignment, border=border
        )
        found = ids[key] = int(proto.style_id)
    return Styled(value, found)


def plain(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """An unstyled value for long tables: written as is, except text that openpyxl would take
    for a formula (it starts with "="), which becomes a text cell."""
    if isinstance(value, str):
        text = safe_text(value)
        if text.startswith("="):
            c = WriteOnlyCell(ws, value=None)
            c.value = text
            c.data_type = "s"
            return c
        return text
    return value


def _style_of(
    ws: WriteOnlyWorksheet,
    number_format: str | None,
    font: Font | None,
    fill: PatternFill | None,
    alignment: Alignment | None,
    border: bool,
) -> Any:
    cache: dict[tuple[Any, ...], tuple[Any, tuple[Any, ...]]] = ws.parent.__dict__.setdefault(
        "_cqtt_styles", {}
    )
    key = (number_format, id(font), id(fill), id(alignment), border)
    hit = cache.get(key)
    if hit is None:
        proto = WriteOnlyCell(ws)
        if number_format:
            proto.number_format = number_format
        if font:
            proto.font = font
        if fill:
            proto.fill = fill
        if alignment:
            proto.alignment = alignment
        if border:
            proto.border = BORDER
        hit = (proto._style, (font, fill, alignment))  # keep the objects alive: ids stay theirs
        cache[key] = hit
    return hit[0]


def header_row(ws: WriteOnlyWorksheet, labels: Sequence[str]) -> list[WriteOnlyCell]:
    return [cell(ws, label, font=HEADER_FONT, fill=HEADER_FILL, alignment=CENTER) for label in labels]


def set_widths(ws: WriteOnlyWorksheet, widths: Iterable[float]) -> None:
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width


def print_setup(
    ws: WriteOnlyWorksheet,
    header_rows: str | None = "1:1",
    fit_width: bool = True,
    *,
    portrait: bool = False,
    title_columns: str | None = None,
    area: str | None = None,
) -> None:
    """A4, landscape unless `portrait`, fit to page width (unless the sheet is too wide to read
    that way: then `title_columns` repeat on the left of every strip), header rows repeated on
    every printed page, margins that leave room for the page header and footer, `area` the part
    printed when the rest of the columns are for the screen only."""
    ws.page_setup.orientation = "portrait" if portrait else "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    if fit_width:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    else:
        ws.page_setup.scale = 85  # text at 8.5 pt: small, still read without glasses
        ws.page_setup.pageOrder = "overThenDown"  # a unit's strips follow each other
    if header_rows:
        ws.print_title_rows = header_rows
    if title_columns:
        ws.print_title_cols = title_columns
    if area:
        ws.print_area = area
    ws.print_options.gridLines = False


MODEL_MARK = "BẢN MẪU — chưa phải bộ tiêu chí chính thức"


def _header_text(text: str, limit: int = 80) -> str:
    text = text.replace("&", "&&")  # "&" starts a code in a header; 255 characters in all
    return text if len(text) <= limit else text[: limit - 1] + "…"


def printed_date(when: str | None) -> str:
    """The day a run was made, as the page footer shows it (dd/mm/yyyy), from its ISO time."""
    if not when:
        return ""
    day = when[:10]
    return f"{day[8:10]}/{day[5:7]}/{day[:4]}" if len(day) == 10 and day[4] == "-" else ""


def page_marks(wb: Any, title: str, ref: str, model: bool, scope: str = "", when: str | None = None) -> None:
    """What every printed page of every sheet says: the workbook's title and its scope (province,
    appraisal group or unit) and the rule set with its version at the top, "BẢN MẪU" there while
    the set is a model; the date of the run and the page number and count at the bottom."""
    day = printed_date(when)
    for ws in wb.worksheets:
        if getattr(ws, "sheet_state", "visible") != "visible":
            continue
        ws.oddHeader.left.text = _header_text(f"{title} — {scope}" if scope else title, 100)
        ws.oddHeader.left.size = ws.oddHeader.center.size = ws.oddHeader.right.size = 9
        ws.oddHeader.center.text = "BẢN MẪU" if model else ""
        ws.oddHeader.right.text = _header_text(f"{ws.title} — {ref}", 90)
        ws.oddFooter.left.text = f"Lập ngày {day}" if day else ""
        ws.oddFooter.left.size = ws.oddFooter.right.size = 9
        ws.oddFooter.right.text = "Trang &P/&N"


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet name (at most 31 characters, none of []:*?/\\)."""
    base = _SHEET_BAD.sub("-", safe_text(name)).strip("'") or "Sheet"
    base = base[:31]
    title, n = base, 2
    while title.casefold() in {t.casefold() for t in taken}:
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(title)
    return title


def last_cell(columns: int, rows: int) -> str:
    return f"{get_column_letter(columns)}{rows}"
