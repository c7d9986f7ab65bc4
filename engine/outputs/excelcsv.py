"""CSV that Excel opens as it was meant when a clerk double-clicks it: UTF-8 with a BOM (or Excel
reads Vietnamese as cp1252), and codes and fractions kept as text. A cell marked `AsText` is
written as ="07201", bare, which Excel shows as the text 07201 (the same cell quoted by the csv
module is not evaluated by every spreadsheet); every other cell is quoted as the csv module would."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

BOM = "\ufeff"


class AsText(str):
    """A cell Excel must not turn into a number or a date (a unit code, "10/12")."""


def _cell(value: object) -> str:
    if isinstance(value, AsText) and not any(c in value for c in '",\r\n'):
        return f'="{value}"'
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([value])
    return out.getvalue()


def excel_csv(rows: Iterable[Iterable[object]]) -> bytes:
    """The rows as the bytes of a CSV file Excel opens correctly (CRLF line ends, as Excel writes)."""
    lines = (",".join(_cell(v) for v in row) for row in rows)
    return (BOM + "".join(line + "\r\n" for line in lines)).encode("utf-8")
