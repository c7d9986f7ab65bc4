"""A tallies file written by `cqtt survey tally`, given to `cqtt score` beside the evidence file.

Its counts replace the survey tallies typed into the evidence; where the evidence had a different
figure the run says so, cell by cell. A CSV is recognised by its `kiem_dem` column, a workbook by
its hidden binding sheet (kind: tallies).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from engine.errors import EvidenceFileError, EvidenceIssue
from engine.intake.cells import CellError, clean_text, is_blank, parse_tally
from engine.intake.workbook import open_workbook
from engine.rules.declarations import Tally
from engine.rules.model import CriteriaSet

MARKER = "kiem_dem"
SHEET = "Kiểm đếm"


def is_tallies_file(path: Path) -> bool:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv" and path.is_file():
            from engine.intake.csvtext import decode_csv

            first = decode_csv(path).split("\n", 1)[0].rstrip("\r")
            return MARKER in [clean_text(c) for c in next(csv.reader([first]), [])]
        if suffix == ".xlsx" and path.is_file():
            from openpyxl import load_workbook

            from engine.intake.binding import BINDING_SHEET
            from engine.intake.workbook import check_archive, sheet_names

            if BINDING_SHEET not in (sheet_names(path) or []) or check_archive(path) is not None:
                return False  # not a workbook cqtt wrote, or one the reader refuses with its reason
            book = load_workbook(path, read_only=True)
            try:
                if BINDING_SHEET not in book.sheetnames:
                    return False
                rows = book[BINDING_SHEET].iter_rows(max_row=1, values_only=True)
                return any(r[:2] == ("kind", "tallies") for r in rows)
            finally:
                book.close()
    except (OSError, EvidenceFileError, ValueError, KeyError):
        return False
    except Exception:  # a damaged workbook is for the evidence reader to report
        return False
    return False


def read_tallies(path: Path, cs: CriteriaSet) -> tuple[dict[str, dict[str, Tally]], list[EvidenceIssue]]:
    """unit code -> survey field -> tally, and the problems found (with row and column)."""
    fields = {d.id for d in cs.evidence if d.type == "survey"}
    if path.suffix.lower() == ".csv":
        from engine.intake.csvtext import decode_csv, excel_text

        rows: list[list[Any]] = [
            [excel_text(c) for c in r] for r in csv.reader(io.StringIO(decode_csv(path)))
        ]
        sheet = None
    else:
        book = open_workbook(path, "sổ kiểm đếm", refuse=lambda reason: EvidenceFileError(str(path), reason))
        try:
            if SHEET not in book.sheetnames:
                raise EvidenceFileError(str(path), f"sổ kiểm đếm thiếu sheet “{SHEET}”")
            rows = [list(r) for r in book[SHEET].iter_rows(values_only=True)]
        finally:
            book.close()
        sheet = SHEET
    if not rows:
        raise EvidenceFileError(str(path), "tệp kiểm đếm rỗng")
    columns: dict[int, str] = {}
    code_col = None
    for i, heading in enumerate(rows[0]):
        text = clean_text(heading) if not is_blank(heading) else ""
        key = text.rsplit("[", 1)[-1].rstrip("]").strip() if text.endswith("]") else text
        if key in ("ma_don_vi", "Mã đơn vị"):
            code_col = i
        elif key in fields:
            columns[i] = key
    if code_col is None:
        raise EvidenceFileError(str(path), "tệp kiểm đếm thiếu cột ma_don_vi")
    found: dict[str, dict[str, Tally]] = {}
    issues: list[EvidenceIssue] = []
    for number, row in enumerate(rows[1:], start=2):
        if all(is_blank(v) for v in row):
            continue
        raw = row[code_col] if code_col < len(row) else None
        code = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else clean_text(raw or "")
        if not code:
            continue
        for i, fid in columns.items():
            value = row[i] if i < len(row) else None
            if is_blank(value):
                continue
            try:
                found.setdefault(code, {})[fid] = parse_tally(value)
            except CellError as exc:
                issues.append(EvidenceIssue(str(path), sheet, number, fid, value, str(exc), code))
    return found, issues
