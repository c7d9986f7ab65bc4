"""Raw survey responses: one row per respondent, as a form tool exports them (.xlsx or .csv).

Columns are found by their headings, the way evidence headings are: the unit code, the form, the
time of the answer, an optional respondent id and contact (kept only as a hash), and one column per
question, matched by the question's id, its label, or a long heading that contains the label
("Câu 1. Ông/bà đánh giá thế nào về thời gian chờ đợi?"). Answers are the level's label or its
number (1 = lowest). Every problem names the file, row and column; nothing is guessed.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import EvidenceFileError, EvidenceIssue
from engine.intake.cells import clean_text, is_blank, parse_date
from engine.intake.csvtext import decode_csv, excel_text
from engine.intake.workbook import open_workbook
from engine.rules.model import CriteriaSet, SurveyForm
from engine.suggest import ascii_fold

FIXED = {
    "ma_don_vi": ["ma don vi", "ma xa", "ma dvhc", "ma don vi hanh chinh"],
    "mau_phieu": ["mau phieu", "phieu", "ma phieu", "form"],
    "thoi_diem": ["thoi diem", "thoi gian", "dau thoi gian", "timestamp", "ngay tra loi", "ngay"],
    "ma_nguoi_tra_loi": ["ma nguoi tra loi", "nguoi tra loi", "respondent id", "ma phieu tra loi"],
    "lien_he": ["lien he", "so dien thoai", "dien thoai", "email", "thu dien tu"],
}


@dataclass
class Response:
    file: str
    sheet: str | None
    row: int
    unit: str
    form: SurveyForm
    time: dt.datetime | None
    respondent: str | None  # the respondent id, or a hash of the contact
    answers: dict[str, int]  # question id -> level (1..n)
    columns: dict[str, str]  # question id -> column shown in messages


@dataclass
class Problem:
    """Something wrong with a response or a tally, where it is: a file's sheet, row and column,
    or a response taken online (`ONLINE`, its number), or a unit and form."""

    kind: str  # unknown_form, unknown_unit, bad_answer, missing_answer, bad_time, outside_year,
    #            duplicate, burst, below_minimum, no_header, hidden_sheet
    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: Any = None
    unit: str | None = None
    form: str | None = None

    def format(self) -> str:
        if self.file is None:  # about a unit and form, not a row
            return f"đơn vị {self.unit}, phiếu {self.form}: {self.message}"
        if self.file == ONLINE:
            return f"{ONLINE} số {self.row} (đơn vị {self.unit}, phiếu {self.form}): {self.message}"
        return EvidenceIssue(self.file, self.sheet, self.row, self.column, self.value, self.message).format()


ONLINE = "phiếu trực tuyến"  # the "file" of a response taken by the portal; its row is its number


@dataclass
class ReadResponses:
    responses: list[Response] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    rows: int = 0


def _key(text: Any) -> str:
    """Text compared without case, diacritics or punctuation (any length: headings are long)."""
    if is_blank(text):
        return ""
    return " ".join(re.sub(r"[^a-z0-9]+", " ", ascii_fold(clean_text(text)).lower()).split())


def _fixed(heading: Any) -> str | None:
    key = _key(heading)
    for name, aliases in FIXED.items():
        if key == name.replace("_", " ") or key in aliases:
            return name
    return None


def _question_column(heading: Any, form: SurveyForm) -> str | None:
    """The question a heading names: "[question_id]" or "[form_id.question_id]" at its end (a file
    with the columns of several forms, as the portal exports it), the question's id or label, or a
    long heading from a form tool that contains the label."""
    text = clean_text(heading) if not is_blank(heading) else ""
    bracket = re.search(r"\[(?:([a-z0-9_]+)\.)?([a-z0-9_]+)\]\s*$", text)
    if bracket and bracket.group(1):  # another form's column is never this form's
        wanted = bracket.group(2) if bracket.group(1) == form.id else None
        return next((q.id for q in form.questions if q.id == wanted), None)
    key = _key(text)
    for q in form.questions:
        if (bracket and bracket.group(2) == q.id) or key in (q.id.replace("_", " "), _key(q.label)):
            return q.id
    for q in form.questions:  # a long heading from a form tool that contains the label
        label = _key(q.label)
        if label and len(label) >= 4 and f" {label} " in f" {key} ":
            return q.id
    return None


HIDDEN = object()  # the one row `_rows` gives for a hidden sheet


def _rows(path: Path) -> Iterator[tuple[str | None, int, list[Any]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = decode_csv(path)
        first = text.splitlines()[0] if text.strip() else ""
        delimiter = max([",", ";", "\t"], key=first.count)
        for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            yield None, number, [excel_text(cell) for cell in row]
        return
    if suffix in (".xlsx", ".xlsm"):
        book = open_workbook(path, refuse=lambda reason: EvidenceFileError(str(path), reason))
        try:
            for sheet in book.worksheets:
                if getattr(sheet, "sheet_state", "visible") != "visible":
                    yield sheet.title, 0, [HIDDEN]  # said, not silently dropped
                    continue
                sheet.reset_dimensions()
                for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                    yield sheet.title, number, list(row)
        finally:
            book.close()
        return
    raise EvidenceFileError(str(path), "cần tệp phiếu trả lời .xlsx hoặc .csv")


def _time(raw: Any) -> dt.datetime:
    if isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, dt.date):
        return dt.datetime.combine(raw, dt.time())
    text = clean_text(raw)
    match = re.fullmatch(r"(.+?)[ T](\d{1,2}):(\d{2})(?::(\d{2}))?", text)
    if match:
        day = parse_date(match.group(1))
        return dt.datetime.combine(
            day, dt.time(int(match.group(2)), int(match.group(3)), int(match.group(4) or 0))
        )
    return dt.datetime.combine(parse_date(text), dt.time())


def _level(raw: Any, form: SurveyForm) -> int:
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        if float(raw).is_integer() and 1 <= raw <= len(form.levels):
            return int(raw)
        raise ValueError
    text = clean_text(raw)
    key = _key(text)
    for number, label in enumerate(form.levels, start=1):
        if key == _key(label):
            return number
    # exactly a level's number ("3"), or its number and its label ("3 - Hài lòng", "3. Hài lòng");
    # "2.5", "3/5" or "2,9" is none of the levels, whatever its first digit
    match = re.fullmatch(r"(\d+)(?:\s*[-.:)–—]\s*(.+))?", text)
    if match and 1 <= int(match.group(1)) <= len(form.levels):
        number = int(match.group(1))
        if match.group(2) is None or _key(match.group(2)) == _key(form.levels[number - 1]):
            return number
    raise ValueError


def _form_of(raw: Any, forms: dict[str, SurveyForm]) -> SurveyForm | None:
    key = _key(raw)
    for form in forms.values():
        if key in (form.id.replace("_", " "), _key(form.label)) or key.startswith(
            form.id.replace("_", " ") + " "
        ):
            return form
    return None


def normal_contact(contact: str) -> str:
    """A contact as it is compared: the last nine digits of a phone number (0912…, +84 912…, 84912…
    are one number), or an e-mail address in lower case."""
    text = clean_text(contact).lower()
    digits = re.sub(r"\D", "", text)
    return digits[-9:] if "@" not in text and len(digits) >= 9 else text


def contact_hash(contact: str) -> str:
    """Contacts are compared as hashes and never written anywhere."""
    return "lien_he:" + hashlib.sha256(normal_contact(contact).encode()).hexdigest()[:16]


def read_responses(paths: list[Path], cs: CriteriaSet) -> ReadResponses:
    forms = {f.id: f for f in cs.surveys}
    out = ReadResponses()
    for path in paths:
        if path.is_dir():
            raise EvidenceFileError(str(path), "là một thư mục, không phải tệp phiếu trả lời")
        if not path.is_file():
            raise EvidenceFileError(str(path), "không tìm thấy tệp")
        header: dict[str, int] | None = None
        questions: dict[str, dict[str, int]] = {}
        shown: dict[int, str] = {}
        current_sheet: str | None = "\0"
        headers_found = read_before = 0
        for sheet, number, row in _rows(path):
            if row and row[0] is HIDDEN:
                out.problems.append(
                    Problem(
                        "hidden_sheet",
                        "sheet đang ẩn; phiếu trên sheet này không được đọc — hiện sheet "
                        "(Unhide) nếu cần kiểm đếm",
                        str(path),
                        sheet,
                    )  # fmt: skip
                )
                continue
            if sheet != current_sheet:
                header, current_sheet = None, sheet
            if header is None:
                found = {name: i for i, h in enumerate(row) if (name := _fixed(h)) is not None}
                if "ma_don_vi" not in found:
                    if number >= 10:
                        header = {}
                    continue
                header = found
                headers_found += 1
                shown = {i: clean_text(h) for i, h in enumerate(row) if not is_blank(h)}
                for form in forms.values():
                    questions[form.id] = {}
                    for i, h in enumerate(row):
                        q = _question_column(h, form)
                        if q is not None and q not in questions[form.id]:
                            questions[form.id][q] = i
                continue
            if not header or all(is_blank(v) for v in row):
                continue
            out.rows += 1
            read_before += 1
            _read_row(str(path), sheet, number, row, header, questions, shown, forms, out)
        if current_sheet == "\0":
            raise EvidenceFileError(str(path), "tệp trống, không có phiếu trả lời nào")
        if not headers_found:
            raise EvidenceFileError(
                str(path),
                "không tìm thấy dòng tiêu đề có cột “Mã đơn vị” trong 10 dòng đầu; tệp không phải bảng phiếu "
                "trả lời (mỗi dòng một người trả lời)",
            )
        if not read_before:
            raise EvidenceFileError(str(path), "tệp chỉ có dòng tiêu đề, không có phiếu trả lời nào")
    return out


def _read_row(
    file: str,
    sheet: str | None,
    number: int,
    row: list[Any],
    header: dict[str, int],
    questions: dict[str, dict[str, int]],
    shown: dict[int, str],
    forms: dict[str, SurveyForm],
    out: ReadResponses,
) -> None:
    def cell(name: str) -> Any:
        i = header.get(name)
        return row[i] if i is not None and i < len(row) else None

    def problem(
        kind: str, column: int | None, value: Any, message: str, unit: str | None, form: str | None
    ) -> None:
        col = shown.get(column, "") if column is not None else None
        out.problems.append(Problem(kind, message, file, sheet, number, col, value, unit, form))

    raw_code = cell("ma_don_vi")
    unit = (
        str(int(raw_code))
        if isinstance(raw_code, float) and raw_code.is_integer()
        else clean_text(raw_code or "")
    )
    if not unit:
        problem("unknown_unit", header["ma_don_vi"], None, "thiếu mã đơn vị; phiếu bị bỏ qua", None, None)
        return
    if "mau_phieu" in header:
        form = _form_of(cell("mau_phieu"), forms)
        if form is None:
            problem(
                "unknown_form",
                header["mau_phieu"],
                cell("mau_phieu"),
                "mẫu phiếu không có trong bộ tiêu chí (" + ", ".join(forms) + "); phiếu bị bỏ qua",
                unit,
                None,
            )
            return
    else:
        answered = [f for f in forms.values() if len(questions.get(f.id, {})) == len(f.questions)]
        if len(answered) != 1:
            problem(
                "unknown_form",
                None,
                None,
                "không xác định được mẫu phiếu (thiếu cột “Mẫu phiếu”)",
                unit,
                None,
            )
            return
        form = answered[0]
    time: dt.datetime | None = None
    raw_time = cell("thoi_diem")
    if not is_blank(raw_time):
        try:
            time = _time(raw_time)
        except (ValueError, TypeError):
            problem(
                "bad_time",
                header.get("thoi_diem"),
                raw_time,
                "thời điểm không đọc được (ghi ví dụ 15/03/2024 09:30)",
                unit,
                form.id,
            )
    respondent = None
    if not is_blank(cell("ma_nguoi_tra_loi")):
        respondent = "ma:" + clean_text(cell("ma_nguoi_tra_loi")).casefold()  # "NV01" is "nv01"
    elif not is_blank(cell("lien_he")):
        respondent = contact_hash(str(cell("lien_he")))
    answers: dict[str, int] = {}
    columns: dict[str, str] = {}
    cols = questions.get(form.id, {})
    for q in form.questions:
        i = cols.get(q.id)
        raw = row[i] if i is not None and i < len(row) else None
        if i is not None:
            columns[q.id] = shown.get(i, q.label)
        if is_blank(raw):
            problem(
                "missing_answer",
                i,
                None,
                f"thiếu câu trả lời “{q.label}”; phiếu không được tính",
                unit,
                form.id,
            )
            return
        try:
            answers[q.id] = _level(raw, form)
        except ValueError:
            levels = ", ".join(f"{n} = {label}" for n, label in enumerate(form.levels, start=1))
            problem(
                "bad_answer",
                i,
                raw,
                f"câu trả lời ngoài các mức ({levels}); phiếu không được tính",
                unit,
                form.id,
            )
            return
    out.responses.append(Response(file, sheet, number, unit, form, time, respondent, answers, columns))
