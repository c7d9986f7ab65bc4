"""Row heights that fit wrapped text, so that printed rows never overlap.

Neither Excel nor LibreOffice reliably grows a row to fit wrapped text in a file it opens: a row
with no height of its own prints at one line and its text runs over the rows below. So every
workbook cqtt writes gets, on every row whose text needs more than one line, a height estimated
from the column widths and the text, measured with Arial's advance widths (Arial is the font of
every workbook cqtt writes; Liberation Sans, LibreOffice's stand-in, has the same metrics).

The estimate wraps words greedily, as the spreadsheet does, and errs on the tall side: a little
white space is harmless, a clipped line is not.
"""

from __future__ import annotations

import functools
import html
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.etree import ElementTree

FONT_NAME = "Arial"
FONT_SIZE = 10.0
# Advance widths of Arial (and Liberation Sans) in 1/1000 em, for the base letters; a letter with
# diacritics has the width of its base letter (the marks sit above or below it).
_ADVANCE = {
    **dict.fromkeys("abdeghnopqu", 556),
    **dict.fromkeys("cksvxyz", 500),
    **dict.fromkeys("fijlt", 278),
    "i": 222,
    "j": 222,
    "l": 222,
    "m": 833,
    "r": 333,
    "w": 722,
    **dict.fromkeys("ABEKPSVXY", 667),
    **dict.fromkeys("CDHNRU", 722),
    **dict.fromkeys("GOQ", 778),
    **dict.fromkeys("FTZ", 611),
    "I": 278,
    "J": 500,
    "L": 556,
    "M": 833,
    "W": 944,
    **dict.fromkeys("0123456789", 556),
    **dict.fromkeys(" .,:;!'/|", 278),
    **dict.fromkeys('()-[]"“”‘’', 333),
    "%": 889,
    "—": 1000,
    "–": 556,
    "…": 1000,
    "→": 1000,
    "≥": 549,
    "≤": 549,
    "×": 584,
    "&": 667,
    "@": 1015,
}
_DEFAULT_ADVANCE = 600  # anything else: wider than most letters
_PX_PER_EM_AT_1PT = 96 / 72  # pixels of one em at 1 pt and 96 dpi
MAX_DIGIT_PX = 7  # Arial 10's widest digit: the unit of a column's width
_CELL_PADDING_PX = 5  # the margins a spreadsheet keeps inside a cell
_BASE = re.compile(r"[\u0300-\u036f]")


def _base(char: str) -> str:
    if char in "đĐ":
        return "d" if char == "đ" else "D"
    return _BASE.sub("", unicodedata.normalize("NFD", char))[:1] or char


@functools.lru_cache(maxsize=4096)
def char_em(char: str) -> float:
    """A character's advance in em."""
    return _ADVANCE.get(char, _ADVANCE.get(_base(char), _DEFAULT_ADVANCE)) / 1000


def text_px(text: str, size: float = FONT_SIZE) -> float:
    """The width of `text` on one line, in pixels at 96 dpi."""
    return sum(char_em(c) for c in text) * size * _PX_PER_EM_AT_1PT


def column_px(width: float) -> float:
    """The room for text in a column `width` characters wide (as the file stores widths)."""
    return max(width * MAX_DIGIT_PX - _CELL_PADDING_PX, MAX_DIGIT_PX)


@functools.lru_cache(maxsize=1_024)
def wrapped_lines(text: str, width: float, size: float = FONT_SIZE) -> int:
    """How many lines `text` takes in a wrapped cell of a column `width` characters wide (the
    texts that repeat are few; kept to a thousand: keyed by whole texts, a larger cache was most
    of the memory a 100,000-unit run grew by)."""
    room = column_px(width)
    lines = 0
    for paragraph in text.split("\n"):
        scale = size * _PX_PER_EM_AT_1PT
        if len(paragraph) * 1.02 * scale <= room:  # no character is wider than 1.015 em
            lines += 1
            continue
        space = char_em(" ") * scale
        used, count = 0.0, 1
        for word in paragraph.split(" "):
            w = sum(char_em(c) for c in word) * scale
            if used and used + space + w > room:
                count += 1
                used = 0.0
            if w > room:  # a word longer than the column breaks inside
                extra = math.ceil(w / room) - 1
                count += extra
                w -= extra * room
            used = w if not used else used + space + w
        lines += count
    return lines


def height_pt(lines: int, size: float = FONT_SIZE) -> float:
    """The height of a row of `lines` lines of text of `size` points, in points."""
    return round(lines * size * 1.15 + 2.5, 2)


DEFAULT_HEIGHT = height_pt(1)  # what a one-line row of Arial 10 gets without a height of its own


@dataclass(frozen=True)
class CellFormat:
    size: float
    wrap: bool


@dataclass
class Styles:
    """What row heights need from a workbook's styles.xml: each cell style's font size and wrap."""

    formats: list[CellFormat] = field(default_factory=list)

    @classmethod
    def parse(cls, xml: bytes) -> Styles:
        ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
        root = ElementTree.fromstring(xml)
        sizes = []
        for font in root.iter(f"{ns}font"):
            sz = font.find(f"{ns}sz")
            sizes.append(float(sz.get("val", FONT_SIZE)) if sz is not None else FONT_SIZE)
        formats = []
        xfs = root.find(f"{ns}cellXfs")
        for xf in [] if xfs is None else xfs.findall(f"{ns}xf"):
            font_id = int(xf.get("fontId", "0"))
            alignment = xf.find(f"{ns}alignment")
            wrap = alignment is not None and alignment.get("wrapText") in ("1", "true")
            formats.append(CellFormat(sizes[font_id] if font_id < len(sizes) else FONT_SIZE, wrap))
        return cls(formats)

    def of(self, style: int) -> CellFormat:
        if 0 <= style < len(self.formats):
            return self.formats[style]
        return CellFormat(FONT_SIZE, False)


@dataclass
class SheetFit:
    """Row heights for one sheet: its column widths and the workbook's styles."""

    styles: Styles
    widths: dict[int, float]  # 1-based column -> width in characters
    default_width: float = 8.43
    merged: dict[tuple[int, int], float] = field(default_factory=dict)  # (row, col) -> merged width

    def width(self, row: int, col: int) -> float:
        merged = self.merged.get((row, col))
        return merged if merged is not None else self.widths.get(col, self.default_width)

    def height(self, row: int, cells: Iterable[tuple[int, str | None, int]]) -> float | None:
        """The height row `row` needs for its cells (column, text or None, style id); None when one
        line of the default font is enough."""
        needed = 0.0
        for col, text, style in cells:
            fmt = self.styles.of(style)
            lines = 1
            if text and fmt.wrap:
                lines = wrapped_lines(text, self.width(row, col), fmt.size)
            elif text and "\n" in text:
                lines = text.count("\n") + 1
            if lines > 1 or fmt.size > FONT_SIZE:
                needed = max(needed, height_pt(lines, fmt.size))
        return needed if needed > DEFAULT_HEIGHT else None


_COL = re.compile(r'<col\b[^>]*?\bmin="(\d+)"[^>]*?\bmax="(\d+)"[^>]*?\bwidth="([\d.]+)"')
_COL_ANY = re.compile(r"<col\b[^>]*/?>")
_MERGE = re.compile(r'<mergeCell ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')
_DEFAULT_COL = re.compile(r'defaultColWidth="([\d.]+)"')


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def sheet_fit(styles: Styles, xml_head: str, xml_tail: str = "") -> SheetFit:
    """The fit of a sheet from its XML: <cols> in the part before the rows, merges after them."""
    widths: dict[int, float] = {}
    for tag in _COL_ANY.findall(xml_head):
        attrs = dict(re.findall(r'(\w+)="([^"]*)"', tag))
        if "width" in attrs:
            for col in range(int(attrs.get("min", "1")), int(attrs.get("max", "1")) + 1):
                widths[col] = float(attrs["width"])
    found = _DEFAULT_COL.search(xml_head)
    fit = SheetFit(styles, widths, float(found.group(1)) if found else 8.43)
    for first_col, first_row, last_col, last_row in _MERGE.findall(xml_tail):
        if first_row == last_row:  # a heading across columns: its text wraps over their widths
            start, end = _col_number(first_col), _col_number(last_col)
            fit.merged[(int(first_row), start)] = sum(fit.width(0, c) for c in range(start, end + 1))
    return fit


_ROW = re.compile(r"<row\b([^>]*?)(/>|>(.*?)</row>)", re.S)
_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)
_TEXT = re.compile(r"<t(?:\s[^>]*)?>(.*?)</t>", re.S)


def _unescape(text: str) -> str:
    """XML text as written (openpyxl writes every non-ASCII letter as a character reference)."""
    return html.unescape(text) if "&" in text else text


def fit_rows(body: str, fit: SheetFit, shared: list[str]) -> str:
    """The <sheetData> body with a height on every row whose text needs one (rows that already
    have a larger height keep it)."""

    def one(row: re.Match[str]) -> str:
        attrs, inner = row.group(1), row.group(3)
        if inner is None:  # <row .../>: nothing to fit
            return row.group(0)
        number = int(re.search(r'\br="(\d+)"', attrs).group(1))  # type: ignore[union-attr]
        cells = []
        for c in _CELL.finditer(inner):
            cattrs, content = c.group(1), c.group(2) or ""
            ref = re.search(r'\br="([A-Z]+)', cattrs)
            style = re.search(r'\bs="(\d+)"', cattrs)
            kind = re.search(r'\bt="(\w+)"', cattrs)
            text: str | None = None
            if kind and kind.group(1) == "s":
                index = re.search(r"<v>(\d+)</v>", content)
                text = shared[int(index.group(1))] if index else None
            elif kind and kind.group(1) in ("inlineStr", "str"):
                text = _unescape("".join(_TEXT.findall(content)))
            cells.append((_col_number(ref.group(1)) if ref else 0, text, int(style.group(1)) if style else 0))
        needed = fit.height(number, cells)
        if needed is None:
            return row.group(0)
        current = re.search(r'\bht="([\d.]+)"', attrs)
        if current and float(current.group(1)) >= needed:
            return row.group(0)
        attrs = re.sub(r'\s(ht|customHeight)="[^"]*"', "", attrs)
        return f'<row{attrs} ht="{needed:g}" customHeight="1">{inner}</row>'

    return _ROW.sub(one, body)


def shared_strings(xml: bytes | None) -> list[str]:
    if not xml:
        return []
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    root = ElementTree.fromstring(xml)
    return ["".join(t.text or "" for t in si.iter(f"{ns}t")) for si in root.findall(f"{ns}si")]
