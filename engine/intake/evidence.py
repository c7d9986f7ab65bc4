"""Read the evidence of every unit from .xlsx, .csv, .yaml or .json into typed applications.

One row (or document) per unit. Columns are found by evidence id, Vietnamese label or "label
(unit)", so both hand-made sheets and generated templates work. Every problem is reported in one
pass with file, sheet, row, column and value; a unit with a bad cell is still read (that field is
left out and the unit is flagged later). Only problems that make the whole run meaningless stop it:
an unreadable file, no unit-code column, duplicate unit codes.
"""

from __future__ import annotations

import contextvars
import csv
import functools
import io
import json
import re
import zipfile
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine.errors import CqttError, EvidenceFileError, EvidenceIssue
from engine.intake import apart
from engine.intake.binding import BINDING_SHEET, read_binding
from engine.intake.cells import (
    CellError,
    clean_text,
    hint_for,
    is_blank,
    is_percent_format,
    parse_cell,
    parse_number,
    parse_proposal,
)
from engine.intake.csvtext import decode_csv, excel_text
from engine.intake.seen import SeenCodes
from engine.intake.workbook import merged_cells_problem, open_workbook
from engine.rules.model import CriteriaSet
from engine.spool import SpooledList
from engine.suggest import ascii_fold, did_you_mean

# Columns every evidence sheet has besides the declared evidence fields.
FIXED_COLUMNS: dict[str, list[str]] = {
    "ma_don_vi": ["Mã đơn vị", "Mã ĐVHC", "Mã xã", "code"],
    "ten_don_vi": ["Tên đơn vị", "Tên xã", "Đơn vị", "name"],
    "nhom_tham_dinh": ["Nhóm thẩm định", "Tổ thẩm định", "Huyện", "Cụm", "group"],
    "nam": ["Năm", "year"],
    "de_nghi": ["Đề nghị công nhận", "Đề nghị", "proposed"],
    "tu_cham": ["Tự chấm (tổng)", "Tự chấm", "Điểm tự chấm", "self_score"],
    "ghi_chu": ["Ghi chú", "comment"],
    "nguon": ["Nguồn", "source"],  # where a results workbook read each unit; not used for scoring
}
FIXED_LABELS = {key: names[0] for key, names in FIXED_COLUMNS.items()}


def _norm(text: Any) -> str:
    return re.sub(r"\s+", " ", ascii_fold(clean_text(text)).casefold())


FIXED_NAMES = {_norm(alias): key for key, names in FIXED_COLUMNS.items() for alias in (key, *names)}


def fixed_column(header: Any) -> str | None:
    """Which fixed column (unit code, name, group...) a heading means, if any."""
    return None if is_blank(header) else FIXED_NAMES.get(_norm(header))


SELF_SCORE_PREFIX = "tu_cham__"


def self_score_column(group_id: str) -> str:
    return f"{SELF_SCORE_PREFIX}{group_id}"


@dataclass
class Application:
    """One unit's application: identity, proposal, self-score and typed evidence values."""

    code: str
    name: str
    group: str
    year: int | None
    proposed: bool
    self_score: float | None
    group_self_scores: dict[str, float]
    values: dict[str, Any]
    invalid: dict[str, str]
    source: str
    comment: str | None = None
    row: int | None = None  # row in its sheet (or index in its document), to point back at it
    proposal_unclear: str | None = None  # the Đề nghị cell as written, when it says neither yes nor no
    typed: dict[str, Any] = field(
        default_factory=dict
    )  # values a survey tally replaced, as typed (None: blank)


@dataclass(frozen=True)
class NotSubmitted:
    """A unit listed (a template's row with its code and name, or the unit list) but with no
    evidence at all: it has not applied. Not scored, not ranked, not flagged; counted in the
    population a share is taken over."""

    code: str
    name: str
    group: str
    source: str  # where it was listed: a file's sheet and row, or the unit list


# Columns a template fills before a commune writes anything: a row with nothing else is not an
# application.
IDENTITY_COLUMNS = {"ma_don_vi", "ten_don_vi", "nhom_tham_dinh", "nam", "nguon"}


@dataclass
class EvidenceSet:
    """Everything read from the evidence files of one run."""

    applications: Sequence[Application]  # a list, or a SpooledList when read with spooled=True
    issues: list[EvidenceIssue]
    files: list[Path]
    bindings: dict[str, dict[str, str]] = field(default_factory=dict)  # template file -> criteria
    present: set[str] = field(default_factory=set)  # fields that have a column (or key) in the files
    not_submitted: list[NotSubmitted] = field(default_factory=list)  # rows with nothing but identity
    unit_list: str | None = None  # the province's unit list the population is (--units), if given


class EvidenceError(CqttError):
    """Problems that stop a run (duplicate codes...), every one listed."""

    def __init__(self, issues: list[EvidenceIssue], summary: str | None = None) -> None:
        self.issues = issues
        self.summary = summary or f"minh chứng có {len(issues)} lỗi không thể bỏ qua"
        first = issues[0].format()
        more = f" (và {len(issues) - 1} lỗi khác)" if len(issues) > 1 else ""
        super().__init__(first + more)


def other_years(evidence: EvidenceSet, year: int) -> EvidenceError | None:
    """The refusal of evidence whose rows state another year than the one it is taken for (every
    such row named, with its value), or None. A row without a year is the asked year's: a row that
    says another one is never filed under this one, nor scored as it."""
    wrong = [
        EvidenceIssue(
            file=a.source,
            sheet=None,
            row=None,
            column="Năm",
            value=a.year,
            message=f"đơn vị {a.code} ghi năm {a.year}, không phải năm {year} đang nhận; sửa cột Năm "
            f"hoặc nộp tệp này vào năm {a.year}",
            unit=a.code,
        )
        for a in evidence.applications
        if a.year is not None and a.year != year
    ]
    if not wrong:
        return None
    return EvidenceError(wrong, f"{len(wrong)} dòng ghi năm khác năm {year}; không nhận tệp này")


# A sheet formatted down to row 1,048,576 holds a million empty rows; reading them all costs
# seconds and hundreds of MB (openpyxl keeps every row's format). Evidence never has a gap this long.
BLANK_ROWS_LIMIT = 10_000
UNKNOWN_COLUMNS_SHOWN = 10  # a sheet with thousands of extra columns gets one line for the rest
BLANK_ROWS_TEXT = "10.000"


class ColumnMap:
    """Which header means which field, for one criteria set."""

    def __init__(self, cs: CriteriaSet, counterpart: CriteriaSet | None = None) -> None:
        self.decls = cs.evidence_by_id()
        self.names: dict[str, str] = dict(FIXED_NAMES)
        for index, group in enumerate(cs.groups, start=1):
            key = self_score_column(group.id)
            for alias in (key, f"Tự chấm nhóm {index}", f"Tự chấm: {group.title}"):
                self.names.setdefault(_norm(alias), key)
        for decl in cs.evidence:
            for alias in (decl.id, decl.label, decl.heading()):
                self.names.setdefault(_norm(alias), decl.id)
        # Renamed fields (`renamed: {id here: id there}`): a file written for the other version
        # reads under this one, whichever of the two versions declares the renaming.
        pairs = list(cs.renamed.items())
        if counterpart is not None:
            pairs += [(here, there) for there, here in counterpart.renamed.items()]
        others = counterpart.evidence_by_id() if counterpart is not None else {}
        for here, there in pairs:
            if here not in self.decls:
                continue
            aliases = [there]
            if there in others:
                aliases += [others[there].label, others[there].heading()]
            for alias in aliases:
                self.names.setdefault(_norm(alias), here)
        self.group_ids = [g.id for g in cs.groups]

    def resolve(self, header: Any) -> str | None:
        if is_blank(header):
            return None
        text = clean_text(header)
        bracket = re.search(r"\[([a-z0-9_]+)\]\s*$", text)
        if bracket and (bracket.group(1) in self.decls or _norm(bracket.group(1)) in self.names):
            return self.names.get(_norm(bracket.group(1)), bracket.group(1))
        return self.names.get(_norm(text))

    def known(self) -> list[str]:
        return [*FIXED_LABELS.values(), *(d.label for d in self.decls.values())]


@dataclass
class _Row:
    number: int | None  # 1-based row in the sheet, or document index
    cells: dict[str, tuple[Any, str, bool]]  # field -> (raw, column shown, percent format)


@dataclass
class _Table:
    file: str
    sheet: str | None
    rows: Iterable[_Row]  # read once: a sheet's rows come from the file as they are asked for
    issues: list[EvidenceIssue]  # complete once the rows are read
    binding: dict[str, str] | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field -> column letter or number


def _header_row(rows: list[list[Any]], cmap: ColumnMap) -> int | None:
    """The last of the first ten rows naming the unit-code column (templates carry a row of
    Vietnamese labels and, below it, a row of field ids; the ids are the surer match)."""
    found = None
    for index, row in enumerate(rows[:10]):
        if any(cmap.resolve(cell) == "ma_don_vi" for cell in row):
            found = index
    return found


def _table_from_grid(
    file: str, sheet: str | None, grid: Iterable[tuple[list[Any], list[bool]]], cmap: ColumnMap, letters: bool
) -> _Table | None:
    """A table from rows of (values, percent-format flags); None if no header row is found."""
    buffered: list[tuple[list[Any], list[bool]]] = []
    iterator = iter(grid)
    for item in iterator:
        buffered.append(item)
        if len(buffered) >= 10:
            break
    head_index = _header_row([r for r, _ in buffered], cmap)
    if head_index is None:
        return None
    header = buffered[head_index][0]
    issues: list[EvidenceIssue] = []
    columns: dict[int, tuple[str, str]] = {}
    for col, cell in enumerate(header):
        key = cmap.resolve(cell)
        where = _letter(col) if letters else str(col + 1)
        label = cmap.decls[key].label if key in cmap.decls else FIXED_LABELS.get(key or "", clean_text(cell))
        shown = f"{where} — {label}" if not is_blank(cell) else where
        if key is None:
            if not is_blank(cell):
                hint = did_you_mean(clean_text(cell), cmap.known())
                issues.append(
                    EvidenceIssue(
                        file,
                        sheet,
                        head_index + 1,
                        shown,
                        None,
                        "cột không thuộc bộ tiêu chí, bị bỏ qua"
                        + (f" ({hint})" if hint and "muốn" in hint else ""),
                    )
                )
            continue
        if key in {k for k, _ in columns.values()}:
            issues.append(
                EvidenceIssue(
                    file, sheet, head_index + 1, shown, None, "cột bị lặp lại; chỉ dùng cột đầu tiên"
                )
            )
            continue
        columns[col] = (key, shown)
    unknown = [i for i in issues if i.message.startswith("cột không thuộc bộ tiêu chí")]
    if len(unknown) > UNKNOWN_COLUMNS_SHOWN:
        dropped = {id(i) for i in unknown[UNKNOWN_COLUMNS_SHOWN:]}
        issues = [i for i in issues if id(i) not in dropped]
        issues.append(
            EvidenceIssue(
                file,
                sheet,
                head_index + 1,
                None,
                None,
                f"và {len(unknown) - UNKNOWN_COLUMNS_SHOWN} cột khác không thuộc bộ tiêu chí, bị bỏ qua",
            )
        )
    present = {k for k, _ in columns.values()}
    for decl in cmap.decls.values():
        if decl.id not in present:
            issues.append(
                EvidenceIssue(
                    file,
                    sheet,
                    head_index + 1,
                    decl.heading(),
                    None,
                    "thiếu cột minh chứng này" + (" (bắt buộc)" if decl.required else ""),
                )
            )

    def all_rows() -> Iterator[tuple[int, tuple[list[Any], list[bool]]]]:
        for offset, item in enumerate(buffered[head_index + 1 :], start=head_index + 2):
            yield offset, item
        for offset, item in enumerate(iterator, start=len(buffered) + 1):
            yield offset, item

    def rows() -> Iterator[_Row]:
        """The sheet's rows as they are read (a national file is never held whole in memory)."""
        blank_run = 0
        count = 0
        for number, (values, percent_flags) in all_rows():
            if all(is_blank(v) for v in values):
                blank_run += 1
                if blank_run >= BLANK_ROWS_LIMIT:
                    issues.append(
                        EvidenceIssue(
                            file,
                            sheet,
                            number - blank_run + 1,
                            None,
                            None,
                            f"dừng đọc sau {BLANK_ROWS_TEXT} dòng trống liên tiếp; nếu bên dưới còn đơn vị, "
                            "xóa các dòng trống rồi chạy lại",
                        )
                    )
                    return
                continue
            blank_run = 0
            cells = {}
            for col, (key, shown) in columns.items():
                raw = values[col] if col < len(values) else None
                pct = percent_flags[col] if col < len(percent_flags) else False
                cells[key] = (raw, shown, pct)
            yield _Row(number, cells)
            count += 1
            if count % PHASE_EVERY_ROWS == 0:
                _tell(f"Đang đọc minh chứng: {_count(count)} dòng…")

    letters_of = {key: shown.split(" — ")[0] for key, shown in columns.values()}
    return _Table(file, sheet, rows(), issues, columns=letters_of)


# A national file takes minutes to read: every this many rows, and when typing the values starts,
# `read_evidence(phase=...)` hears a line, so a long run never looks stuck.
PHASE_EVERY_ROWS = 20_000
_phase: contextvars.ContextVar[Callable[[str], None] | None] = contextvars.ContextVar("phase", default=None)
_processes: contextvars.ContextVar[int] = contextvars.ContextVar("processes", default=1)


def _tell(text: str) -> None:
    say = _phase.get()
    if say is not None:
        say(text)


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # 100.000, as Vietnamese readers write it


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col + 1)


@dataclass(frozen=True)
class UncomputedFormula:
    """A formula cell saved without its value (written by a program, never opened in Excel)."""

    text: str

    def __str__(self) -> str:
        return self.text


FORMULA, MERGE = "formula", "merge"
_MARKS = {FORMULA: (b"<f>", b"<f "), MERGE: (b"<mergeCell ",)}


def sheet_markers(path: Path) -> set[str]:
    """Which of formula cells and merged ranges the workbook's sheets hold, from one pass over
    their XML read a block at a time (a national sheet's XML is hundreds of MB): the second,
    slower reading each needs is done only when there is something to find."""
    import zipfile

    found: set[str] = set()
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            tail = b""
            with z.open(name) as part:
                while len(found) < len(_MARKS) and (block := part.read(1 << 20)):
                    text = tail + block
                    found |= {k for k, marks in _MARKS.items() if any(m in text for m in marks)}
                    tail = text[-11:]
            if len(found) == len(_MARKS):
                break
    return found


UNCALCULATED = (
    "ô có công thức nhưng chưa có giá trị đã tính (tệp chưa từng được mở bằng Excel); mở bằng Excel hoặc "
    "LibreOffice rồi lưu lại, hoặc ghi thẳng giá trị"
)


def _formulas(path: Path, markers: set[str] | None = None) -> dict[str, dict[tuple[int, int], str]]:
    """Formula cells per sheet title, read only when the workbook has any (a second pass costs)."""
    from openpyxl import load_workbook

    if FORMULA not in (sheet_markers(path) if markers is None else markers):
        return {}
    book = load_workbook(path, read_only=True, data_only=False)
    try:
        found: dict[str, dict[tuple[int, int], str]] = {}
        for sheet in book.worksheets:
            sheet.reset_dimensions()
            cells = {
                (c.row, c.column): str(c.value)
                for row in sheet.iter_rows()
                for c in row
                if getattr(c, "data_type", None) == "f"
            }
            if cells:
                found[sheet.title] = cells
        return found
    finally:
        book.close()


def _merges(path: Path, markers: set[str]) -> dict[str, dict[tuple[int, int], tuple[int, int]]]:
    """Per sheet title, each cell a merged range covers (but its first) -> the range's first cell,
    read only when the workbook has merged cells (people merge a district's rows, or "Có"). The
    ranges are read from each sheet's XML a block at a time, never the whole workbook at once."""
    import zipfile

    from openpyxl import load_workbook

    if MERGE not in markers:
        return {}
    book = load_workbook(path, read_only=True)
    try:
        parts = {ws.title: getattr(ws, "_worksheet_path", None) for ws in book.worksheets}
    finally:
        book.close()
    found: dict[str, dict[tuple[int, int], tuple[int, int]]] = {}
    with zipfile.ZipFile(path) as z:
        for title, part in parts.items():
            if not part:
                continue
            cells: dict[tuple[int, int], tuple[int, int]] = {}
            with z.open(part) as handle:
                for ref in merged_refs(handle):
                    _cover(cells, ref, path, title)
            if cells:
                found[title] = cells
    return found


_MERGE_REF = re.compile(rb'<mergeCell ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')
_LONGEST_ELEMENT = 64  # `<mergeCell ref="XFD1048576:XFD1048576"` and room to spare


def merged_refs(handle: Any, block: int = 1 << 20) -> Iterator[str]:
    """Every merged range a sheet's XML declares, read a block at a time; an element cut by the
    end of a block is completed by the next one and read once."""
    tail = b""
    while chunk := handle.read(block):
        text = tail + chunk
        end = 0
        for match in _MERGE_REF.finditer(text):
            end = match.end()
            yield match.group(1).decode()
        # what follows the last complete element, at most an element's length, starts the next block
        tail = text[max(end, len(text) - _LONGEST_ELEMENT) :]


def _cover(cells: dict[tuple[int, int], tuple[int, int]], ref: str, path: Path, title: str) -> None:
    """Each cell of a merged range (but its first) -> the range's first cell; a range (or the
    sheet's ranges together) past the limits is refused before its cells are listed."""
    from openpyxl.utils.cell import range_boundaries

    min_col, min_row, max_col, max_row = (int(b or 0) for b in range_boundaries(ref))
    covered = (max_row - min_row + 1) * (max_col - min_col + 1)
    problem = merged_cells_problem(ref, covered, len(cells) + covered)
    if problem is not None:
        raise EvidenceFileError(str(path), f"sheet “{title}”: {problem}")
    for r in range(min_row, max_row + 1):
        for c in range(min_col, max_col + 1):
            if (r, c) != (min_row, min_col):
                cells[(r, c)] = (min_row, min_col)


def _grid(
    rows: Iterable[Any],
    formulas: dict[tuple[int, int], str],
    merges: dict[tuple[int, int], tuple[int, int]] | None = None,
) -> Iterator[tuple[list[Any], list[bool]]]:
    """Cell values and percent-format flags, row by row; a formula cell without a value becomes
    an `UncomputedFormula` so that it is reported as such, not as an empty cell; a cell a merged
    range covers holds the range's value."""
    firsts = set((merges or {}).values())
    kept: dict[tuple[int, int], Any] = {}
    for r, row in enumerate(rows, start=1):
        values = [c.value for c in row]
        if formulas:
            for col, value in enumerate(values, start=1):
                if value is None and (r, col) in formulas:
                    values[col - 1] = UncomputedFormula(formulas[(r, col)])
        if merges:
            for col, value in enumerate(values, start=1):
                if (r, col) in firsts:
                    kept[(r, col)] = value
                elif value is None and (r, col) in merges:
                    values[col - 1] = kept.get(merges[(r, col)])
        yield values, [is_percent_format(getattr(c, "number_format", None)) for c in row]


def _damaged_as_said(
    grid: Iterator[tuple[list[Any], list[bool]]], path: Path, title: str
) -> Generator[tuple[list[Any], list[bool]], None, None]:
    """The rows; a sheet whose XML breaks off after the first rows (the file damaged in the
    middle, not at its start, where opening it would have failed) is refused in one line
    naming the sheet and the last row read, not as an unexpected error."""
    read = 0
    try:
        for item in grid:
            read += 1
            yield item
    except (EvidenceFileError, MemoryError):
        raise
    except Exception as exc:  # openpyxl and the XML parser raise many kinds
        raise EvidenceFileError(
            str(path),
            f"sheet “{title}”: tệp Excel bị hỏng sau dòng {read} ({type(exc).__name__}: {exc}); mở bằng "
            "Excel hoặc LibreOffice rồi lưu lại",
        ) from None


def _has_unit_table(sheet: Any, cmap: ColumnMap) -> bool:
    for row in sheet.iter_rows(max_row=10, values_only=True):
        if any(cmap.resolve(v) == "ma_don_vi" for v in row):
            return True
    return False


# Workbooks and JSON cqtt writes that are not evidence, by the kind their binding names: what each
# is, and the command that reads it.
WRITTEN_BY_CQTT = {
    "results": "đây là tệp kết quả chấm do cqtt ghi, không phải tệp minh chứng; để chấm lại và đối "
    "chiếu kết quả, dùng: cqtt recheck TỆP-KẾT-QUẢ",
    "recheck": "đây là sổ phúc tra do cqtt recheck ghi, không phải tệp minh chứng; quyết định ghi trong "
    "sổ được đọc bằng: cqtt decisions TỆP-PHÚC-TRA",
    "field": "đây là sổ kiểm tra thực địa do cqtt sample ghi, không phải tệp minh chứng; chấm lại với "
    "giá trị kiểm tra bằng: cqtt recheck TỆP-KẾT-QUẢ --field TỆP-KIỂM-TRA",
    "tallies": "đây là sổ kiểm đếm do cqtt survey tally ghi; đưa tệp CSV kiểm đếm (--csv) vào cqtt score "
    "cùng tệp minh chứng",
}


def _read_xlsx(path: Path, cmap: ColumnMap) -> Iterator[_Table]:
    """The unit tables of a workbook, one sheet at a time: the book stays open until the last
    table's rows have been read."""

    def refuse(reason: str) -> EvidenceFileError:
        return EvidenceFileError(str(path), reason)

    book = open_workbook(path, refuse=refuse)
    try:
        markers = sheet_markers(path)
        formulas = _formulas(path, markers)
        merges = _merges(path, markers)
    except EvidenceFileError:
        book.close()
        raise
    except Exception as exc:  # the sheets' XML damaged where openpyxl did not look
        book.close()
        raise refuse(f"không mở được tệp Excel ({type(exc).__name__}: {exc})") from None
    try:
        binding = read_binding(book)
        if binding and binding.get("kind") in WRITTEN_BY_CQTT:
            raise EvidenceFileError(str(path), WRITTEN_BY_CQTT[binding["kind"]])
        if binding is None and {"Xếp hạng", "Chi tiết", "Tổng hợp"} <= set(book.sheetnames):
            raise EvidenceFileError(str(path), WRITTEN_BY_CQTT["results"])  # its binding sheet deleted
        for sheet in book.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":
                if sheet.title != BINDING_SHEET and _has_unit_table(sheet, cmap):
                    yield (
                        _Table(
                            str(path),
                            sheet.title,
                            [],
                            [
                                EvidenceIssue(
                                    str(path),
                                    sheet.title,
                                    None,
                                    None,
                                    None,
                                    "sheet đang ẩn có bảng đơn vị nhưng không được chấm; hiện sheet "
                                    "(Unhide) nếu muốn chấm",
                                )
                            ],
                            binding,
                        )
                    )
                continue
            # The <dimension> a sheet declares can be wrong either way: "A1:B5" made only two units
            # be read (the rest silently lost), "A1:XFD1048576" would pad every row to 16,384
            # columns. Read the rows the sheet really holds.
            sheet.reset_dimensions()

            def grid_of(sheet: Any = sheet, own_file: bool = False) -> Iterator[tuple[list[Any], list[bool]]]:
                if own_file:
                    # A forked child reads through its own file handle: the one it inherits shares
                    # its offset with this process, whose buffered reader would then read from
                    # wherever the child left it (openpyxl opens each sheet from `_archive`).
                    sheet.parent._archive = zipfile.ZipFile(path)
                return _grid(sheet.iter_rows(), formulas.get(sheet.title, {}), merges.get(sheet.title))

            # With more than one process, a child parses while this process types (engine.intake.apart).
            if _processes.get() > 1 and apart.available():
                grid = apart.made_apart(functools.partial(grid_of, own_file=True))
            else:
                grid = grid_of()
            grid = _damaged_as_said(grid, path, sheet.title)
            table = _table_from_grid(str(path), sheet.title, grid, cmap, letters=True)
            try:
                if table is not None:
                    table.binding = binding
                    yield table
            finally:
                # A table left before its last row (10,000 blank rows in a row): its parsing child
                # stops now, before this process reads the next sheet from the same open file.
                grid.close()
    finally:
        book.close()


def _read_csv(path: Path, cmap: ColumnMap) -> Iterable[_Table]:
    text = decode_csv(path)
    first = text.splitlines()[0] if text.strip() else ""
    delimiter = max([",", ";", "\t"], key=first.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)

    def grid() -> Iterator[tuple[list[Any], list[bool]]]:
        try:
            for row in reader:  # a cell written ="07201" (Excel's way to keep text) is its text
                yield [excel_text(c) for c in row], [False] * len(row)
        except csv.Error as exc:
            raise EvidenceFileError(
                str(path),
                f"dòng {reader.line_num}: không đọc được CSV ({exc}); một ô quá dài hoặc thiếu dấu ngoặc "
                "kép đóng",
            ) from None

    table = _table_from_grid(str(path), None, grid(), cmap, letters=False)
    return [table] if table else []


def _read_documents(path: Path, cmap: ColumnMap) -> Iterable[_Table]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise EvidenceFileError(str(path), "tệp không phải UTF-8; lưu lại với mã hóa UTF-8") from None
    try:
        if path.suffix.lower() == ".json":
            docs: list[Any] = [json.loads(text)]
        else:
            docs = _yaml_documents(path, text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise EvidenceFileError(str(path), f"không đọc được nội dung: {exc}") from None
    except RecursionError:
        raise EvidenceFileError(
            str(path),
            "nội dung lồng quá sâu (hàng nghìn tầng [ hoặc {); tệp minh chứng chỉ cần danh sách đơn vị",
        ) from None
    bad = _lone_surrogate(docs)
    if bad is not None:
        raise EvidenceFileError(
            str(path),
            f"chuỗi “{bad.encode('utf-8', 'backslashreplace').decode()}” có ký tự không hợp lệ (nửa cặp "
            "UTF-16, \\ud800–\\udfff); sửa lại giá trị đó",
        )
    units: list[Any] = []
    for doc in docs:
        if isinstance(doc, dict) and "schema_version" in doc and "summary" in doc:
            raise EvidenceFileError(str(path), WRITTEN_BY_CQTT["results"])
        if isinstance(doc, dict) and isinstance(doc.get("units"), list):
            units.extend(doc["units"])
        elif isinstance(doc, list):
            units.extend(doc)
        elif doc is not None:
            units.append(doc)
    return [_table_from_mappings(str(path), units, cmap)]


def _lone_surrogate(value: Any) -> str | None:
    """The first string holding half of a UTF-16 pair ("\\ud800" in JSON), which no file can
    be written with; None when there is none."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if any(0xD800 <= ord(c) <= 0xDFFF for c in item):
                return item[:60]
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


def _yaml_documents(path: Path, text: str) -> list[Any]:
    """Every YAML document of an evidence file, refusing alias bombs before they are built."""
    from engine.rules.yamlfile import LIMIT_TEXT, oversized

    loader = yaml.SafeLoader(text)
    try:
        docs = []
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                break
            bad = oversized(node)
            if bad is not None:
                raise EvidenceFileError(
                    str(path),
                    f"dòng {bad.start_mark.line + 1}: các bí danh YAML (*tên) mở rộng thành hơn {LIMIT_TEXT} "
                    "nút; viết thẳng giá trị",
                )
            docs.append(loader.construct_document(node))
        return docs
    finally:
        loader.dispose()


def _table_from_mappings(file: str, units: list[Any], cmap: ColumnMap) -> _Table:
    rows: list[_Row] = []
    issues: list[EvidenceIssue] = []
    for number, unit in enumerate(units, start=1):
        if not isinstance(unit, dict):
            issues.append(
                EvidenceIssue(file, None, number, None, unit, "mỗi đơn vị phải là một bảng khóa: giá trị")
            )
            continue
        cells = {}
        for key, raw in unit.items():
            resolved = cmap.resolve(key)
            if resolved is None:
                issues.append(
                    EvidenceIssue(
                        file, None, number, str(key), None, "khóa không thuộc bộ tiêu chí, bị bỏ qua"
                    )
                )
                continue
            cells[resolved] = (raw, str(key), False)
        rows.append(_Row(number, cells))
    return _Table(file, None, rows, issues)


def read_mappings(units: list[dict[str, Any]], cs: CriteriaSet, file: str) -> EvidenceSet:
    """Applications from in-memory mappings (rule tests, API use), with the same checks as files."""
    cmap = ColumnMap(cs)
    table = _table_from_mappings(file, units, cmap)
    apps, issues = _typed(table, cmap)
    return EvidenceSet(apps, issues, [])


def _typed(table: _Table, cmap: ColumnMap) -> tuple[list[Application], list[EvidenceIssue]]:
    """Every application of a table, then its issues: the table's own (complete only once its
    rows are read) before those found typing the values."""
    typing: list[EvidenceIssue] = []
    apps = [a for a in (_application(table, row, cmap, typing) for row in table.rows) if a]
    return apps, table.issues + typing


READERS: dict[str, Callable[[Path, ColumnMap], Iterable[_Table]]] = {
    ".xlsx": _read_xlsx,
    ".xlsm": _read_xlsx,
    ".csv": _read_csv,
    ".yaml": _read_documents,
    ".yml": _read_documents,
    ".json": _read_documents,
}


def _application(
    table: _Table,
    row: _Row,
    cmap: ColumnMap,
    issues: list[EvidenceIssue],
    supplement: dict[str, dict[str, Any]] | None = None,
) -> Application | None:
    def issue(shown: str | None, raw: Any, message: str, unit: str | None) -> None:
        issues.append(EvidenceIssue(table.file, table.sheet, row.number, shown, raw, message, unit))

    raw_code, code_col, _ = row.cells.get("ma_don_vi", (None, "Mã đơn vị", False))
    if is_blank(raw_code):
        issue(code_col, None, "thiếu mã đơn vị; dòng bị bỏ qua", None)
        return None
    code = _code_of(raw_code)

    def text(key: str) -> str:
        raw = row.cells.get(key, (None, "", False))[0]
        return "" if is_blank(raw) else clean_text(raw)

    proposed = False
    unclear: str | None = None
    raw, shown, _ = row.cells.get("de_nghi", (None, "", False))
    if not is_blank(raw):
        try:
            proposed = parse_proposal(raw)
        except CellError as exc:
            unclear = clean_text(raw)
            issue(shown, raw, f"{exc}; đơn vị được gắn cảnh báo “Không rõ đề nghị”", code)

    def number(key: str) -> float | None:
        raw, shown, _ = row.cells.get(key, (None, "", False))
        if is_blank(raw):
            return None
        try:
            return parse_number(raw)
        except CellError as exc:
            issue(shown, raw, f"{exc}; bỏ qua điểm tự chấm", code)
            return None

    year: int | None = None
    raw, shown, _ = row.cells.get("nam", (None, "", False))
    if not is_blank(raw):
        try:
            value = parse_number(raw, integer=True)
            if not value.is_integer() or not 1990 <= value <= 2100:
                raise CellError("năm không hợp lệ")
            year = int(value)
        except CellError as exc:
            issue(shown, raw, str(exc), code)
    group_scores = {}
    for gid in cmap.group_ids:
        score = number(self_score_column(gid))
        if score is not None:
            group_scores[gid] = score
    values: dict[str, Any] = {}
    invalid: dict[str, str] = {}
    replaced: dict[str, Any] = {}
    counted = (supplement or {}).get(same_unit(code), {})
    for decl in cmap.decls.values():
        cell = row.cells.get(decl.id)
        if decl.id in counted:  # a tally counted from raw responses replaces the typed one
            values[decl.id] = counted[decl.id]
            typed = None
            if cell is not None and not is_blank(cell[0]):
                try:
                    typed = parse_cell(cell[0], decl, cell[2])
                except CellError:
                    typed = None
            if typed != counted[decl.id]:
                replaced[decl.id] = typed
                issues.append(
                    EvidenceIssue(
                        table.file, table.sheet, row.number, cell[1] if cell else decl.label,
                        None if cell is None or is_blank(cell[0]) else cell[0],
                        f"đã thay bằng số kiểm đếm từ phiếu trả lời ({counted[decl.id]})", code, "replaced",
                    )
                )  # fmt: skip
            continue
        if cell is not None and isinstance(cell[0], UncomputedFormula):
            invalid[decl.id] = "công thức chưa được tính"
            issue(
                cell[1],
                str(cell[0]),
                "ô có công thức nhưng chưa có giá trị đã tính (tệp chưa từng được mở bằng Excel); mở "
                "bằng Excel hoặc LibreOffice rồi lưu lại, hoặc dán giá trị",
                code,
            )
            continue
        if cell is None or is_blank(cell[0]):
            if decl.required and cell is not None:
                invalid[decl.id] = "thiếu giá trị"
                issue(cell[1], None, f"thiếu giá trị bắt buộc ({hint_for(decl)})", code)
            elif decl.required:
                invalid[decl.id] = "thiếu cột"
            continue
        raw, shown, pct = cell
        try:
            values[decl.id] = parse_cell(raw, decl, pct)
        except CellError as exc:
            invalid[decl.id] = str(exc)
            issue(shown, raw, f"{exc} ({hint_for(decl)})", code)
    where = _where(table, row.number)
    return Application(
        code=code,
        name=text("ten_don_vi") or code,
        group=text("nhom_tham_dinh") or "(chưa phân nhóm)",
        year=year,
        proposed=proposed,
        self_score=number("tu_cham"),
        group_self_scores=group_scores,
        values=values,
        invalid=invalid,
        source=where,
        comment=text("ghi_chu") or None,
        row=row.number,
        proposal_unclear=unclear,
        typed=replaced,
    )


def same_unit(code: str) -> str:
    """The form two codes of one unit share: case apart, and for a code of digits its leading
    zeros (Excel drops them: 07201 typed as a number becomes 7201)."""
    text = code.casefold()
    return text.lstrip("0") or "0" if text.isdigit() else text


def _code_of(raw: Any) -> str:
    return str(int(raw)) if isinstance(raw, float) and raw.is_integer() else clean_text(raw)


def _not_submitted(table: _Table, row: _Row) -> NotSubmitted | None:
    """The row as a unit that has not applied, when it holds a code and nothing but identity."""
    raw_code = row.cells.get("ma_don_vi", (None, "", False))[0]
    if is_blank(raw_code) or any(
        not is_blank(cell[0]) for key, cell in row.cells.items() if key not in IDENTITY_COLUMNS
    ):
        return None

    def text(key: str) -> str:
        raw = row.cells.get(key, (None, "", False))[0]
        return "" if is_blank(raw) else clean_text(raw)

    code = _code_of(raw_code)
    return NotSubmitted(code, text("ten_don_vi") or code, text("nhom_tham_dinh") or "(chưa phân nhóm)",
                        _where(table, row.number))  # fmt: skip


def _where(table: _Table, row: int | None) -> str:
    """Where a unit was read, as users see it: file name, sheet, row."""
    return (
        f"{Path(table.file).name}"
        + (f", sheet “{table.sheet}”" if table.sheet else "")
        + (f", dòng {row}" if row is not None else "")
    )


def read_sheet(
    file: str, sheet: str, grid: Iterable[tuple[list[Any], list[bool]]], cs: CriteriaSet
) -> tuple[list[Application], list[EvidenceIssue], dict[str, str]]:
    """Applications from one sheet's rows of (values, percent-format flags), with the same checks
    as an evidence file, and the column letter of each field (for pointing back at a cell)."""
    cmap = ColumnMap(cs)
    table = _table_from_grid(file, sheet, grid, cmap, letters=True)
    if table is None:
        return [], [], {}
    apps, issues = _typed(table, cmap)
    return apps, issues, table.columns


def read_evidence(
    paths: list[Path],
    cs: CriteriaSet,
    counterpart: CriteriaSet | None = None,
    phase: Callable[[str], None] | None = None,
    spooled: bool = False,
    processes: int = 1,
) -> EvidenceSet:
    """Read and merge evidence files; raise `EvidenceError` on duplicate codes or no units.
    `counterpart` is another version of the set whose renamed fields should be recognised;
    `phase` hears progress lines while a long file is read. With `spooled`, the applications
    are kept in a temporary file as they are typed (a read-only `SpooledList`: memory stays
    flat however many units the files hold); otherwise they are a list. With more than one
    `processes`, a workbook's rows are parsed by a forked child while they are typed here (the
    same result; never from a threaded server, which must not fork)."""
    token, processes_token = _phase.set(phase), _processes.set(processes)
    try:
        return _read_evidence(paths, cs, counterpart, SpooledList() if spooled else [])
    finally:
        _processes.reset(processes_token)
        _phase.reset(token)


def _read_evidence(
    paths: list[Path],
    cs: CriteriaSet,
    counterpart: CriteriaSet | None,
    applications: list[Application] | SpooledList[Application],
) -> EvidenceSet:
    from engine.intake.tallies import is_tallies_file, read_tallies

    cmap = ColumnMap(cs, counterpart)
    present: set[str] = set()
    tallies_paths = [p for p in paths if is_tallies_file(p)]
    supplement: dict[str, dict[str, Any]] = {}
    written: dict[str, str] = {}  # the canonical code -> as the tallies file writes it
    supplement_issues: list[EvidenceIssue] = []
    for path in tallies_paths:
        found, found_issues = read_tallies(path, cs)
        supplement_issues += found_issues
        for code, values in found.items():
            supplement.setdefault(same_unit(code), {}).update(values)
            written.setdefault(same_unit(code), code)
    if tallies_paths and len(tallies_paths) == len(paths):
        raise EvidenceFileError(
            ", ".join(map(str, paths)), "tệp kiểm đếm phiếu khảo sát cần đi cùng tệp minh chứng"
        )
    paths = [p for p in paths if p not in tallies_paths]
    issues: list[EvidenceIssue] = []
    # Codes (casefolded: codes that differ only by case are one unit) with the table and row
    # where each was first read; SeenCodes checks a digest match against the unit's own code.
    tables_read: list[_Table] = []
    first_seen = SeenCodes(lambda position: same_unit(applications[position].code))
    fatal: list[EvidenceIssue] = []
    bindings: dict[str, dict[str, str]] = {}
    not_submitted: dict[str, NotSubmitted] = {}  # by casefolded code
    blank_rows: dict[str, tuple[int, int | None]] = {}  # where each was listed: table, row
    for path in paths:
        reader = READERS.get(path.suffix.lower())
        if reader is None:
            raise EvidenceFileError(str(path), "định dạng không hỗ trợ; dùng .xlsx, .csv, .yaml hoặc .json")
        if path.is_dir():
            raise EvidenceFileError(str(path), "là một thư mục, không phải tệp minh chứng")
        if not path.is_file():
            raise EvidenceFileError(str(path), "không tìm thấy tệp")
        tables = 0
        for table in reader(path, cmap):
            tables += 1
            tables_read.append(table)
            if table.binding:
                bindings[str(path)] = table.binding
            typing: list[EvidenceIssue] = []  # after the table's own issues, known once it is read
            for row in table.rows:  # each row typed as it is read: never the whole sheet at once
                present.update(row.cells)
                blank = _not_submitted(table, row)
                app = _application(table, row, cmap, typing, supplement) if blank is None else None
                if app is None and blank is None:
                    continue
                code = blank.code if blank is not None else app.code  # type: ignore[union-attr]
                same = same_unit(code)
                seen = first_seen.first(same) or blank_rows.get(same)
                if seen is not None:
                    fatal.append(
                        EvidenceIssue(
                            table.file,
                            table.sheet,
                            row.number,
                            FIXED_LABELS["ma_don_vi"],
                            code,
                            f"mã đơn vị bị trùng (đã có ở {_where(tables_read[seen[0]], seen[1])})",
                            code,
                        )
                    )
                    continue
                if blank is not None:  # listed, nothing filled: has not applied
                    not_submitted[same] = blank
                    blank_rows[same] = (len(tables_read) - 1, row.number)
                    continue
                first_seen.add(same, len(tables_read) - 1, row.number)
                applications.append(app)  # type: ignore[arg-type]
            issues += table.issues + typing
        if not tables:
            raise EvidenceFileError(
                str(path), "không tìm thấy bảng có cột “Mã đơn vị” (ma_don_vi) trong 10 dòng đầu"
            )
    issues += supplement_issues
    for key in sorted(key for key in supplement if key not in first_seen and key not in not_submitted):
        issues.append(
            EvidenceIssue(
                ", ".join(map(str, tallies_paths)),
                None,
                None,
                "ma_don_vi",
                written[key],
                "đơn vị có trong tệp kiểm đếm nhưng không có trong minh chứng; bỏ qua",
                written[key],
            )
        )
    if supplement:
        present.update(f for values in supplement.values() for f in values)
    if fatal:
        raise EvidenceError(fatal)
    if not applications:
        if not_submitted:
            raise EvidenceFileError(
                ", ".join(map(str, paths)),
                f"không có đơn vị nào để chấm: {len(not_submitted)} đơn vị chỉ có mã và tên, "
                "chưa điền minh chứng",
            )
        if issues:
            raise EvidenceError(issues, "không có đơn vị nào để chấm")
        raise EvidenceFileError(", ".join(map(str, paths)), "không có đơn vị nào để chấm")
    return EvidenceSet(applications, issues, paths, bindings, present, list(not_submitted.values()))
