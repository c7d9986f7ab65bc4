"""Read a succession file: which new unit codes replaced which old ones, and from when.

Since 1 July 2025 provinces and communes have been merged, so a commune's history may sit under
codes that no longer exist. The file is a CSV (UTF-8) or an .xlsx whose first sheet has one row per
old code:

    ma_moi, ten_moi, ma_cu, ten_cu, ngay_hieu_luc
    90001,  Xã Ví Dụ, 07243, Xã Tân Sỏi, 01/07/2025

(Vietnamese headings such as "Mã mới", "Mã cũ", "Ngày hiệu lực" work too). Lines starting with "#"
are comments. Every problem is reported at once with the file, row, column and value.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import EvidenceFileError, EvidenceIssue
from engine.intake.cells import clean_text, is_blank, parse_date
from engine.intake.evidence import EvidenceError
from engine.intake.workbook import open_workbook
from engine.suggest import slug

COLUMNS = {
    "ma_moi": ["ma moi", "ma don vi moi", "new code"],
    "ten_moi": ["ten moi", "ten don vi moi", "new name"],
    "ma_cu": ["ma cu", "ma don vi cu", "old code"],
    "ten_cu": ["ten cu", "ten don vi cu", "old name"],
    "ngay_hieu_luc": ["ngay hieu luc", "hieu luc tu", "effective"],
}
REQUIRED = ("ma_moi", "ma_cu", "ngay_hieu_luc")
CODE = re.compile(r"[0-9A-Za-z._-]{1,20}")


@dataclass(frozen=True)
class SuccessionRow:
    new_code: str
    old_code: str
    effective: dt.date
    new_name: str | None = None
    old_name: str | None = None
    row: int = 0


def _key(heading: Any) -> str | None:
    text = slug(clean_text(heading)).replace("_", " ")
    for key, names in COLUMNS.items():
        if text == key.replace("_", " ") or text in names:
            return key
    return None


def _rows(path: Path) -> tuple[str | None, list[tuple[int, list[Any]]]]:
    if not path.is_file():
        raise EvidenceFileError(str(path), "không tìm thấy tệp")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            text = path.read_text("utf-8-sig")
        except UnicodeDecodeError:
            raise EvidenceFileError(str(path), "tệp không phải UTF-8; lưu lại dạng “CSV UTF-8”") from None
        lines = [
            (n, row)
            for n, row in enumerate(csv.reader(text.splitlines()), start=1)
            if row and not row[0].lstrip().startswith("#")
        ]
        return None, [(n, list(r)) for n, r in lines]
    if suffix == ".xlsx":
        book = open_workbook(path, refuse=lambda reason: EvidenceFileError(str(path), reason))
        try:
            sheet = book.worksheets[0]
            found = [
                (n, list(r))
                for n, r in enumerate(sheet.iter_rows(values_only=True), start=1)
                if any(not is_blank(v) for v in r)
                and not (isinstance(r[0], str) and r[0].lstrip().startswith("#"))
            ]
            return sheet.title, found
        finally:
            book.close()
    raise EvidenceFileError(str(path), "cần tệp .csv hoặc .xlsx")


def _code(raw: Any) -> str:
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return "" if is_blank(raw) else clean_text(raw)


def read_succession(path: Path) -> list[SuccessionRow]:
    sheet, rows = _rows(path)
    if not rows:
        raise EvidenceFileError(str(path), "tệp trống; cần dòng tiêu đề ma_moi, ma_cu, ngay_hieu_luc")
    head_number, head = rows[0]
    columns: dict[str, int] = {}
    for i, heading in enumerate(head):
        key = _key(heading)
        if key is not None and key not in columns:
            columns[key] = i
    missing = [k for k in REQUIRED if k not in columns]
    if missing:
        raise EvidenceFileError(
            str(path),
            f"dòng {head_number}: thiếu cột {', '.join(missing)} (cần ma_moi, ma_cu, ngay_hieu_luc; "
            "có thể thêm ten_moi, ten_cu)",
        )
    issues: list[EvidenceIssue] = []
    found: list[SuccessionRow] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in rows[1:]:

        def get(key: str, row: list[Any] = row) -> Any:
            i = columns.get(key)
            return row[i] if i is not None and i < len(row) else None

        def issue(key: str, value: Any, message: str, number: int = number) -> None:
            issues.append(EvidenceIssue(str(path), sheet, number, key, value, message))

        new, old = _code(get("ma_moi")), _code(get("ma_cu"))
        bad = False
        for key, code in (("ma_moi", new), ("ma_cu", old)):
            if not code:
                issue(key, None, "thiếu mã đơn vị")
                bad = True
            elif not CODE.fullmatch(code):
                issue(key, code, "mã đơn vị chỉ gồm chữ số, chữ cái, “.”, “-”, “_” (tối đa 20 ký tự)")
                bad = True
        if not bad and new == old:
            issue("ma_cu", old, "mã cũ trùng mã mới")
            bad = True
        raw_date = get("ngay_hieu_luc")
        try:
            effective = parse_date(raw_date)
        except (ValueError, TypeError):
            issue("ngay_hieu_luc", raw_date, "ngày không hợp lệ (ghi ví dụ 01/07/2025)")
            continue
        if bad:
            continue
        if (new, old) in seen:
            issue("ma_cu", old, f"cặp {new} ← {old} đã có ở dòng {seen[(new, old)]}")
            continue
        seen[(new, old)] = number
        names = [None if is_blank(get(k)) else clean_text(get(k)) for k in ("ten_moi", "ten_cu")]
        found.append(SuccessionRow(new, old, effective, names[0], names[1], number))
    pairs = {(r.new_code, r.old_code): r for r in found}
    for (new, old), r in pairs.items():
        if (old, new) in pairs and new < old:
            issues.append(
                EvidenceIssue(
                    str(path),
                    sheet,
                    r.row,
                    "ma_cu",
                    old,
                    f"vòng lặp: {new} thay {old} và {old} thay {new} (dòng {pairs[(old, new)].row})",
                )
            )
    if issues:
        issues.sort(key=lambda i: i.row or 0)
        raise EvidenceError(issues, f"tệp sáp nhập có {len(issues)} lỗi; chưa ghi dòng nào")
    return found
