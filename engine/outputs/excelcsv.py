"""CSV that Excel opens as it was meant when a clerk double-clicks it: UTF-8 with a BOM (or Excel
reads Vietnamese as cp1252), and codes and fractions kept as text. A cell marked `AsText` is
written as ="07201", bare, which Excel shows as the text 07201 (the same cell quoted by the csv
module is not evaluated by every spreadsheet); every other cell is quoted as the csv module would.

Text typed by someone else (a unit's name, a survey answer) that starts as a formula does (=, +,
-, @, a tab or a carriage return) gets an apostrophe in front, as OWASP advises against CSV
injection: Excel shows `'=HYPERLINK(…)` as text instead of running it. A number written as text
("-5", "+1,5") is left alone: Excel reads it as the number it is."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

BOM = "\ufeff"


class AsText(str):
    """A cell Excel must not turn into a number or a date (a unit code, "10/12")."""


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def defused(text: str) -> str:
    """`text`, with an apostrophe in front when a spreadsheet would run it as a formula."""
    if text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _cell(value: object) -> str:
    if isinstance(value, AsText) and not any(c in value for c in '",\r\n'):
        return f'="{value}"'
    if isinstance(value, str):
        value = defused(value)
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([value])
    return out.getvalue()


def excel_csv(rows: Iterable[Iterable[object]]) -> bytes:
    """The rows as the bytes of a CSV file Excel opens correctly (CRLF line ends, as Excel writes)."""
    lines = (",".join(_cell(v) for v in row) for row in rows)
    return (BOM + "".join(line + "\r\n" for line in lines)).encode("utf-8")
