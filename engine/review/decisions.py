"""The province's decisions, read back from the filled Quyết định sheet of a re-check workbook.

Every row is checked (a unit the re-check covered, a decision from the list, a decision number and
date when the decision is final) and every bad row is reported at once with sheet, row and column.
Rows left without a decision are counted as undecided, not refused.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from engine.clock import today
from engine.errors import CqttError, EvidenceIssue
from engine.intake.binding import BINDING_SHEET
from engine.intake.cells import clean_text, is_blank, parse_date
from engine.intake.evidence import EvidenceError
from engine.intake.workbook import open_workbook
from engine.review.recheck import UnitDecisionRow
from engine.review.report import DECISION_SHEET, DECISIONS

FINAL = {"recognised", "not_recognised"}


@dataclass(frozen=True)
class RevocationFields:
    """How a face names the fields of a revocation in its messages (an option, a form's box)."""

    number: str
    date: str
    reason: str


def check_revocation(
    year: int, number: str, day: dt.date | None, reason: str, named: RevocationFields, shown_date: str = ""
) -> tuple[str, dt.date, str]:
    """The decision number, date and reason of a withdrawal of recognition, checked before anything
    is written (a row once written is never removed): both texts given, the number on one line, the
    date within the assessed year and today in Vietnam. Returns them cleaned; refuses with one line."""
    number, reason = number.strip(), reason.strip()
    if not number or not reason:
        raise CqttError(f"cần số quyết định ({named.number}) và lý do ({named.reason}) không để trống")
    if any(c in number for c in "\r\n\t"):
        raise CqttError(f"{named.number} {number!r}: số quyết định là một dòng (ví dụ 45/QĐ-UBND)")
    if day is None:
        raise CqttError(f"cần ngày quyết định thu hồi ({named.date})")
    now = today()
    if not dt.date(year, 1, 1) <= day <= now:
        shown = shown_date or f"{day:%d/%m/%Y}"
        raise CqttError(
            f"{named.date} {shown}: ngày thu hồi phải từ 01/01/{year} (năm được đánh giá) đến hôm nay "
            f"({now:%d/%m/%Y}); một bản ghi sai không xóa được, nên ngày được kiểm tra trước khi ghi"
        )
    return number[:100], day, reason[:2000]


class Decision(BaseModel):
    unit: str
    name: str = ""
    year: int | None = None
    decision: Literal["recognised", "not_recognised", "deferred"]
    label: str
    number: str | None = None
    date: str | None = None  # ISO 8601
    reason: str | None = None
    row: int
    # The province's result the decision was checked against, and why the decision contradicts
    # it when it does (then a written reason was required).
    basis_total: float | None = None
    basis_recognised: bool | None = None
    contradiction: str | None = None


class DecisionFile(BaseModel):
    kind: Literal["decisions"] = "decisions"
    schema_version: int = 1
    recheck_file: dict[str, str]
    criteria: dict[str, str]
    decisions: list[Decision]
    undecided: list[str]


def read_decisions(path: Path) -> DecisionFile:
    from openpyxl.utils import get_column_letter

    from engine.hashing import sha256_file

    if not path.is_file():
        raise CqttError(f"{path}: không tìm thấy tệp")
    book = open_workbook(path)
    issues: list[EvidenceIssue] = []
    decisions: list[Decision] = []
    undecided: list[str] = []
    try:
        binding: dict[str, str] = {}
        years: dict[str, int | None] = {}
        results: dict[str, UnitDecisionRow] = {}
        if BINDING_SHEET in book.sheetnames:
            heads: list[str] = []
            for row in book[BINDING_SHEET].iter_rows(values_only=True):
                if not row or row[0] is None:
                    continue
                if row[0] == "unit":
                    heads = [str(h) for h in row if h is not None]
                    continue
                if heads:
                    code = str(row[0])
                    years[code] = int(row[1]) if isinstance(row[1], (int, float)) else None
                    if "province_recognised" in heads:  # written since decisions are checked
                        cells = dict(zip(heads, row, strict=False))
                        results[code] = UnitDecisionRow(
                            code=code,
                            name="",
                            group="",
                            province_total=cells.get("province_total"),
                            province_recognised=cells.get("province_recognised"),
                            disqualified=bool(cells.get("disqualified")),
                            field_checked=bool(cells.get("field_checked")),
                        )
                elif len(row) > 1:
                    binding[str(row[0])] = "" if row[1] is None else str(row[1])
        if binding.get("kind") != "recheck":
            raise CqttError(
                f"{path}: không phải sổ phúc tra do “cqtt recheck” ghi (thiếu sheet ẩn {BINDING_SHEET})"
            )
        title = binding.get("sheet.decisions", DECISION_SHEET)
        sheet = book[title] if title in book.sheetnames else None
        if sheet is None:
            sheet = next((s for s in book.worksheets if _heading_row(s) is not None), None)
        if sheet is None:
            raise CqttError(f"{path}: không tìm thấy sheet “{DECISION_SHEET}”")
        head = _heading_row(sheet)
        if head is None:
            raise CqttError(f"{path}, sheet “{sheet.title}”: không tìm thấy dòng tiêu đề có cột “Quyết định”")
        start, columns = head
        from engine.intake.evidence import UNCALCULATED, _formulas

        uncalculated = _formulas(path).get(sheet.title, {})

        def issue(number: int, heading: str, value: Any, message: str, unit: str | None) -> None:
            col = get_column_letter(columns[heading] + 1) if heading in columns else ""
            issues.append(
                EvidenceIssue(str(path), sheet.title, number, f"{col} — {heading}", value, message, unit)
            )

        for number, row in enumerate(sheet.iter_rows(min_row=start + 1, values_only=True), start=start + 1):

            def get(heading: str, row: tuple[Any, ...] = row) -> Any:
                i = columns.get(heading)
                return row[i] if i is not None and i < len(row) else None

            if all(is_blank(v) for v in row):
                continue
            raw_code = get("Mã đơn vị")
            code = (
                str(int(raw_code))
                if isinstance(raw_code, float)
                else ("" if is_blank(raw_code) else clean_text(raw_code))
            )
            raw_decision = get("Quyết định")
            if is_blank(raw_decision):
                formula = uncalculated.get((number, columns.get("Quyết định", -1) + 1))
                if formula is not None:  # a formula never calculated reads as an empty cell
                    issue(number, "Quyết định", formula, UNCALCULATED, code or None)
                    continue
                if code:
                    undecided.append(code)
                continue
            if not code:
                issue(number, "Mã đơn vị", None, "thiếu mã đơn vị", None)
                continue
            if code not in years:
                issue(number, "Mã đơn vị", code, "đơn vị không có trong lần phúc tra này", code)
            label = clean_text(raw_decision)
            decision = DECISIONS.get(label)
            if decision is None:
                issue(
                    number, "Quyết định", label, "chọn “Công nhận”, “Không công nhận” hoặc “Tạm hoãn”", code
                )
                continue
            raw_number = get("Số quyết định")
            number_text = None if is_blank(raw_number) else clean_text(raw_number)
            raw_date = get("Ngày quyết định")
            date: dt.date | None = None
            if not is_blank(raw_date):
                try:
                    date = parse_date(raw_date)
                except ValueError:
                    issue(
                        number, "Ngày quyết định", raw_date, "ngày không hợp lệ (ghi ví dụ 15/12/2024)", code
                    )
                    continue
            if decision in FINAL:
                if number_text is None:
                    issue(number, "Số quyết định", None, f"quyết định “{label}” cần số quyết định", code)
                if date is None:
                    issue(number, "Ngày quyết định", None, f"quyết định “{label}” cần ngày quyết định", code)
                if number_text is None or date is None:
                    continue
            reason = get("Lý do")
            reason_text = None if is_blank(reason) else clean_text(reason)
            result = results.get(code)
            contradiction = result.contradiction(decision) if result is not None else None
            if contradiction and not reason_text:
                issue(
                    number,
                    "Lý do",
                    None,
                    f"quyết định “{label}” trái với kết quả phúc tra: {contradiction}; ghi lý do vào cột "
                    "“Lý do” (quyết định được lưu kèm cảnh báo)",
                    code,
                )
                continue
            name = get("Tên đơn vị")
            decisions.append(
                Decision(
                    unit=code,
                    name="" if is_blank(name) else clean_text(name),
                    year=years.get(code),
                    decision=decision,  # type: ignore[arg-type]
                    label=label,
                    number=number_text,
                    date=date.isoformat() if date else None,
                    reason=reason_text,
                    row=number,
                    basis_total=result.province_total if result else None,
                    basis_recognised=result.province_recognised if result else None,
                    contradiction=contradiction,
                )
            )
    finally:
        book.close()
    if issues:
        raise EvidenceError(issues, f"sheet quyết định có {len(issues)} lỗi; chưa ghi quyết định nào")
    seen: dict[str, int] = {}
    for d in decisions:
        if d.unit in seen:
            raise CqttError(
                f"{path}: đơn vị {d.unit} có hai quyết định (dòng {seen[d.unit]} và dòng {d.row})"
            )
        seen[d.unit] = d.row
    return DecisionFile(
        recheck_file={"file": str(path), "sha256": sha256_file(path)},
        criteria={k: binding.get(k, "") for k in ("criteria", "version", "sha256")},
        decisions=decisions,
        undecided=undecided,
    )


def _heading_row(sheet: Any) -> tuple[int, dict[str, int]] | None:
    for number, row in enumerate(sheet.iter_rows(max_row=10, values_only=True), start=1):
        texts = [clean_text(v) if isinstance(v, str) else "" for v in row]
        if "Quyết định" in texts and "Mã đơn vị" in texts:
            return number, {t: i for i, t in enumerate(texts) if t}
    return None
