"""Read back a results file written by cqtt (workbook or JSON, any schema version) as a team sent it.

People work on these workbooks before they reach the province: they sort and filter rows, hide
or widen columns, add comments, rename or delete sheets, type over a total. Everything here is
found by the hidden binding sheet and by headings, never by cell address, and every value keeps
the cell it came from so that a discrepancy can point at it. What cannot be found is named in
`missing`, not guessed.

Two steps: `read_identity` says which criteria version the file was scored with (so the caller can
load it), then `read_team` reads the units against that version.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import CqttError, EvidenceIssue
from engine.intake.binding import BINDING_SHEET
from engine.intake.cells import CellError, clean_text, is_blank, is_percent_format, parse_cell, parse_number
from engine.intake.evidence import Application, read_sheet
from engine.intake.values import from_plain, to_plain
from engine.intake.workbook import open_workbook
from engine.outputs.resultsjson import ResultsFormatError, expand
from engine.outputs.workbook import (
    DETAIL_SHEET,
    EVIDENCE_SHEET,
    FLAGS_SHEET,
    INFO_SHEET,
    NOT_RECOGNISED,
    RANKING_SHEET,
    RECOGNISED,
    UNIT_SEALS_HEADER,
)
from engine.rules.model import CriteriaSet
from engine.scoring.results import READABLE_SCHEMAS, RESULTS_SCHEMA
from engine.scoring.seal import INVALID, PARTS, UnitContent, evidence_content, ranking_content


class TeamFileError(CqttError):
    """A results file that cannot be read as one (not cqtt's, damaged, from a newer version)."""


@dataclass
class Identity:
    """Which file this is and what it was scored with."""

    path: Path
    kind: str  # "xlsx" | "json"
    schema_version: int
    criteria_id: str | None
    version: str | None
    sha256: str | None
    inputs: list[dict[str, str]] = field(default_factory=list)
    run_seal: str | None = None
    seals: dict[str, dict[str, str]] | None = None  # unit -> part -> digest
    sheets: dict[str, str] = field(default_factory=dict)  # role -> title as written
    tool: str | None = None  # "cqtt 0.1.0": the version that wrote the file, when it says
    binding_deleted: bool = False  # written by a cqtt that seals its books, yet the seal sheet is gone
    summary_units: int | None = None  # how many units the file's own summary says it holds

    @property
    def ref(self) -> str:
        return f"{self.criteria_id}@{self.version}"


@dataclass
class TeamUnit:
    """One unit as the team's file shows it; `where` maps each value's key to its cell."""

    code: str
    name: str | None = None
    group: str | None = None
    rank: Any = None
    total: Any = None
    groups: dict[str, Any] = field(default_factory=dict)  # group id -> points
    recognised: Any = None
    proposed: Any = None
    self_score: Any = None
    flag_count: Any = None
    flags: set[str] | None = None
    criteria: dict[str, Any] = field(default_factory=dict)
    where: dict[str, str] = field(default_factory=dict)
    in_ranking: bool = False


@dataclass
class TeamResults:
    identity: Identity
    units: dict[str, TeamUnit]
    applications: list[Application] | None  # the evidence the file carries, if any
    evidence_issues: list[EvidenceIssue]
    contents: dict[str, UnitContent]  # what the seal covers, as found in the file
    found: dict[str, str]  # role -> sheet title found
    missing: list[str]  # what could not be found, in Vietnamese
    evidence_where: dict[str, dict[str, str]] = field(default_factory=dict)  # unit -> field -> cell
    # a unit (or a unit's criterion) on two rows of one sheet: (unit, sheet, first row, second row)
    duplicates: list[tuple[str, str, int, int]] = field(default_factory=list)


ROLE_LABELS = {
    "ranking": f"sheet xếp hạng (“{RANKING_SHEET}”)",
    "detail": f"sheet điểm từng tiêu chí (“{DETAIL_SHEET}”)",
    "evidence": f"sheet minh chứng (“{EVIDENCE_SHEET}”)",
    "flags": f"sheet cảnh báo (“{FLAGS_SHEET}”)",
    "info": f"sheet thông tin (“{INFO_SHEET}”)",
}
SIGNATURES = {
    "ranking": {"Hạng", "Mã đơn vị", "Tổng điểm", "Kết quả"},
    "detail": {"Mã đơn vị", "Mã tiêu chí", "Điểm"},
    "flags": {"Mã đơn vị", "Mã cảnh báo"},
    "info": {"Mục", "Giá trị"},
}


# -- identity -------------------------------------------------------------------------------------
def read_identity(path: Path) -> Identity:
    if not path.is_file():
        raise TeamFileError(f"{path}: không tìm thấy tệp kết quả")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _json_identity(path, _load_json(path))
    if suffix in (".xlsx", ".xlsm"):
        book = _open_book(path)
        try:
            return _xlsx_identity(path, book)
        finally:
            book.close()
    raise TeamFileError(f"{path}: cần sổ kết quả .xlsx hoặc tệp kết quả .json do cqtt ghi")


def _check_schema(path: Path, version: int) -> int:
    if version not in READABLE_SCHEMAS:
        newer = version > RESULTS_SCHEMA
        raise TeamFileError(
            f"{path}: phiên bản định dạng kết quả {version} "
            + ("mới hơn công cụ này; hãy cập nhật cqtt" if newer else "không được hỗ trợ")
        )
    return version


def _load_json(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TeamFileError(f"{path}: không đọc được JSON ({exc})") from None
    except RecursionError:
        raise TeamFileError(
            f"{path}: nội dung lồng quá sâu (hàng nghìn tầng [ hoặc {{); không phải tệp kết quả"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("units"), list) or "criteria" not in data:
        raise TeamFileError(f"{path}: không phải tệp kết quả của cqtt (thiếu “criteria” hoặc “units”)")
    try:
        return expand(data)  # version 3 says what units share once; read every version alike
    except ResultsFormatError as exc:
        raise TeamFileError(f"{path}: tệp kết quả định dạng phiên bản 3 bị hỏng ({exc})") from None


def _json_identity(path: Path, data: dict[str, Any]) -> Identity:
    version = data.get("schema_version", 1)
    if not isinstance(version, int):
        raise TeamFileError(f"{path}: “schema_version” phải là số nguyên")
    _check_schema(path, version)
    c = data.get("criteria") or {}
    seals = None
    if version >= 2:
        seals = {str(u.get("code")): dict(u.get("seal") or {}) for u in data["units"] if isinstance(u, dict)}
    return Identity(
        path=path,
        kind="json",
        schema_version=version,
        criteria_id=c.get("id"),
        version=c.get("version"),
        sha256=c.get("sha256"),
        inputs=[i for i in data.get("inputs") or [] if isinstance(i, dict)],
        run_seal=data.get("seal"),
        seals=seals,
        tool=data.get("tool") if isinstance(data.get("tool"), str) else None,
        summary_units=_summary_units(data),
    )


def _summary_units(data: dict[str, Any]) -> int | None:
    summary = data.get("summary")
    units = summary.get("units") if isinstance(summary, dict) else None
    return units if isinstance(units, int) and not isinstance(units, bool) else None


def _open_book(path: Path) -> Any:
    return open_workbook(path, refuse=lambda reason: TeamFileError(f"{path}: {reason}"))


def _read_binding(book: Any) -> tuple[dict[str, str], dict[str, dict[str, str]] | None]:
    if BINDING_SHEET not in book.sheetnames:
        return {}, None
    values: dict[str, str] = {}
    seals: dict[str, dict[str, str]] | None = None
    parts: list[str] = []
    for row in book[BINDING_SHEET].iter_rows(values_only=True):
        if not row or row[0] is None:
            continue
        key = str(row[0])
        if seals is None and key == UNIT_SEALS_HEADER:
            seals, parts = {}, [str(p) for p in row[1:] if p]
            continue
        if seals is not None:
            seals[key] = {p: str(v) for p, v in zip(parts, row[1:], strict=False) if v}
        elif len(row) > 1:
            values[key] = "" if row[1] is None else str(row[1])
    return values, seals


def _xlsx_identity(path: Path, book: Any) -> Identity:
    binding, seals = _read_binding(book)
    if binding and binding.get("kind") != "results":
        what = "mẫu nhập minh chứng" if "sheet" in binding else f"tệp loại “{binding.get('kind')}”"
        raise TeamFileError(f"{path}: đây là {what}, không phải sổ kết quả chấm điểm")
    if binding:
        try:
            version = int(binding.get("schema_version", "1"))
        except ValueError:
            raise TeamFileError(
                f"{path}: sheet ẩn {BINDING_SHEET} ghi phiên bản định dạng không hợp lệ"
            ) from None
        _check_schema(path, version)
        sheets = {k.split(".", 1)[1]: v for k, v in binding.items() if k.startswith("sheet.")}
        info = _info_rows(book, sheets.get("info"))
        return Identity(
            path=path,
            kind="xlsx",
            schema_version=version,
            criteria_id=binding.get("criteria"),
            version=binding.get("version"),
            sha256=binding.get("sha256"),
            inputs=_inputs_from_info(info),
            run_seal=binding.get("seal") or None,
            seals=seals,
            sheets=sheets,
            tool=binding.get("tool") or _first_info(info, "Phiên bản công cụ"),
        )
    info = _info_rows(book, None)
    if not info:
        raise TeamFileError(
            f"{path}: không phải sổ kết quả của cqtt (không có sheet ẩn {BINDING_SHEET} "
            f"và không tìm thấy sheet “{INFO_SHEET}”)"
        )
    first = dict(info)
    criteria_id = (first.get("Bộ tiêu chí") or "").split(" — ")[0] or None
    tool = first.get("Phiên bản công cụ")
    return Identity(
        path=path,
        kind="xlsx",
        schema_version=1,
        criteria_id=criteria_id,
        version=first.get("Phiên bản"),
        sha256=first.get("SHA-256 tệp tiêu chí"),
        inputs=_inputs_from_info(info),
        tool=tool,
        binding_deleted=_seals_its_books(tool),
    )


def _seals_its_books(tool: str | None) -> bool:
    """Whether the cqtt that wrote a book (its Thông tin says which) writes the hidden seal sheet:
    every release from 0.1.0 does, so a book of theirs without it has lost it."""
    match = re.match(r"cqtt (\d+)\.(\d+)", tool or "")
    return match is not None and (int(match.group(1)), int(match.group(2))) >= (0, 1)


def _first_info(info: list[tuple[str, str]], label: str) -> str | None:
    return next((value for key, value in info if key == label), None)


def _info_rows(book: Any, title: str | None) -> list[tuple[str, str]]:
    """(label, value) rows of the Thông tin sheet, found by title or by its headings."""
    sheet = _sheet_by_role(book, "info", title)
    if sheet is None:
        return []
    rows = []
    for row in sheet.iter_rows(values_only=True):
        if row and len(row) > 1 and isinstance(row[0], str) and row[1] is not None:
            rows.append((row[0].strip(), str(row[1])))
    return rows


def _inputs_from_info(info: list[tuple[str, str]]) -> list[dict[str, str]]:
    inputs: list[dict[str, str]] = []
    for label, value in info:
        if label == "Tệp minh chứng":
            inputs.append({"file": value})
        elif label == "SHA-256 tệp minh chứng" and inputs:
            inputs[-1]["sha256"] = value
    return inputs


# -- finding sheets -------------------------------------------------------------------------------
def _headings(sheet: Any) -> tuple[int, list[str]] | None:
    """(1-based row, headings) of the first of ten rows that looks like a heading row."""
    for number, row in enumerate(sheet.iter_rows(max_row=10, values_only=True), start=1):
        texts = [clean_text(v) if isinstance(v, str) else "" for v in row]
        if "Mã đơn vị" in texts or "Mục" in texts:
            return number, texts
    return None


def _matches(sheet: Any, role: str, cs: CriteriaSet | None) -> bool:
    found = _headings(sheet)
    if found is None:
        return False
    texts = set(found[1])
    if role == "evidence":
        if cs is None or "Tổng điểm" in texts:
            return False
        return "Mã đơn vị" in texts and any(d.heading() in texts for d in cs.evidence)
    return SIGNATURES[role] <= texts


def _sheet_by_role(book: Any, role: str, title: str | None, cs: CriteriaSet | None = None) -> Any:
    """The sheet playing `role`: by the title written (if still there and still that sheet),
    else the sheet whose headings match. For the ranking, where each appraisal group has a copy,
    the one with the most rows (the overall ranking has them all)."""
    default = {"ranking": RANKING_SHEET, "detail": DETAIL_SHEET, "evidence": EVIDENCE_SHEET}
    default.update({"flags": FLAGS_SHEET, "info": INFO_SHEET})
    for name in (title, default[role]):
        if name and name in book.sheetnames and _matches(book[name], role, cs):
            return book[name]
    candidates = [s for s in book.worksheets if s.title != BINDING_SHEET and _matches(s, role, cs)]
    if not candidates:
        return None
    if role == "ranking" and len(candidates) > 1:
        return max(candidates, key=lambda s: sum(1 for _ in s.iter_rows(values_only=True)))
    return candidates[0]


def _rows(sheet: Any) -> Iterator[tuple[int, dict[str, tuple[Any, str]]]]:
    """Rows below the heading row as {heading: (value, cell)}; headings repeated keep the first."""
    from openpyxl.utils import get_column_letter

    head = _headings(sheet)
    assert head is not None
    start, texts = head
    columns: dict[int, str] = {}
    for index, text in enumerate(texts):
        if text and text not in columns.values():
            columns[index] = text
    for number, row in enumerate(sheet.iter_rows(min_row=start + 1, values_only=True), start=start + 1):
        cells = {
            name: (row[i], f"{get_column_letter(i + 1)}{number}")
            for i, name in columns.items()
            if i < len(row)
        }
        if any(not is_blank(v) for v, _ in cells.values()):
            yield number, cells


# -- values as shown in cells ---------------------------------------------------------------------
def _code(raw: Any) -> str | None:
    if is_blank(raw):
        return None
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return clean_text(raw)


def _number(raw: Any) -> Any:
    """A number from a cell; text that is not a number is kept as typed (it shows as a
    discrepancy and breaks the seal, which is what an edit like that should do)."""
    if is_blank(raw):
        return None
    try:
        return parse_number(raw)
    except CellError:
        return clean_text(raw)


def _recognised(raw: Any) -> Any:
    text = clean_text(raw) if isinstance(raw, str) else raw
    return {RECOGNISED: True, NOT_RECOGNISED: False}.get(text, text) if text is not None else None


def _yes_no(raw: Any) -> Any:
    text = clean_text(raw) if isinstance(raw, str) else raw
    return {"Có": True, "Không": False}.get(text, text) if text is not None else None


def _text(raw: Any) -> str:
    return "" if is_blank(raw) else str(raw)


# -- the workbook ---------------------------------------------------------------------------------
def read_team(path: Path, cs: CriteriaSet) -> TeamResults:
    identity = read_identity(path)
    if identity.kind == "json":
        return _read_json(identity, cs)
    book = _open_book(path)
    try:
        return _read_xlsx(identity, book, cs)
    finally:
        book.close()


def _read_xlsx(identity: Identity, book: Any, cs: CriteriaSet) -> TeamResults:
    units: dict[str, TeamUnit] = {}
    found: dict[str, str] = {}
    missing: list[str] = []

    def unit(code: str) -> TeamUnit:
        return units.setdefault(code, TeamUnit(code))

    sheets = {role: _sheet_by_role(book, role, identity.sheets.get(role), cs) for role in ROLE_LABELS}
    for role, sheet in sheets.items():
        if sheet is None:
            missing.append(f"không tìm thấy {ROLE_LABELS[role]}")
        else:
            found[role] = sheet.title
    group_index = {i: g.id for i, g in enumerate(cs.groups, start=1)}
    duplicates: list[tuple[str, str, int, int]] = []
    ranking = sheets["ranking"]
    if ranking is not None:
        rows_of: dict[str, int] = {}
        for number, cells in _rows(ranking):
            code = _code(cells.get("Mã đơn vị", (None, ""))[0])
            if code is None:
                continue
            if code in rows_of:  # a row added by hand (a forged copy above the real one)
                duplicates.append((code, ranking.title, rows_of[code], number))
                continue
            rows_of[code] = number
            u = unit(code)
            u.in_ranking = True
            where = {k: f"{ranking.title}!{c}" for k, (_, c) in cells.items()}
            u.name = _text(cells.get("Tên đơn vị", ("", ""))[0])
            u.group = _text(cells.get("Nhóm thẩm định", ("", ""))[0])
            for key, heading, conv in (
                ("rank", "Hạng", _number),
                ("total", "Tổng điểm", _number),
                ("recognised", "Kết quả", _recognised),
                ("proposed", "Đề nghị công nhận", _yes_no),
                ("self_score", "Tự chấm", _number),
                ("flag_count", "Số cảnh báo", _number),
            ):
                if heading in cells:
                    setattr(u, key, conv(cells[heading][0]))
                    u.where[key] = where[heading]
            for heading, (raw, _) in cells.items():
                match = re.match(r"N(\d+)\.", heading)
                if match and int(match.group(1)) in group_index:
                    gid = group_index[int(match.group(1))]
                    u.groups[gid] = _number(raw)
                    u.where[f"group:{gid}"] = where[heading]
    detail = sheets["detail"]
    if detail is not None:
        parts = [detail]  # a long detail continues on further sheets (written in the binding)
        for title in identity.sheets.get("detail.parts", "").split("|")[1:]:
            if title in book.sheetnames and _matches(book[title], "detail", cs):
                parts.append(book[title])
            else:
                missing.append(f"không tìm thấy phần tiếp theo của {ROLE_LABELS['detail']}: “{title}”")
        criterion_rows: dict[tuple[str, str], int] = {}
        for part in parts:
            for number, cells in _rows(part):
                code = _code(cells.get("Mã đơn vị", (None, ""))[0])
                cid = _text(cells.get("Mã tiêu chí", ("", ""))[0])
                if code is None or not cid or "Điểm" not in cells:
                    continue
                if (code, cid) in criterion_rows:
                    duplicates.append((code, part.title, criterion_rows[(code, cid)], number))
                    continue
                criterion_rows[(code, cid)] = number
                u = unit(code)
                u.criteria[cid] = _number(cells["Điểm"][0])
                u.where[f"criterion:{cid}"] = f"{part.title}!{cells['Điểm'][1]}"
    flags = sheets["flags"]
    if flags is not None:
        for u in units.values():
            u.flags = set()
        for _, cells in _rows(flags):
            code = _code(cells.get("Mã đơn vị", (None, ""))[0])
            flag = _text(cells.get("Mã cảnh báo", ("", ""))[0])
            if code is not None and flag:
                u = unit(code)
                u.flags = (u.flags or set()) | {flag}
                u.where.setdefault("flags", f"{flags.title}!{cells['Mã cảnh báo'][1]}")
    applications: list[Application] | None = None
    issues: list[EvidenceIssue] = []
    evidence_where: dict[str, dict[str, str]] = {}
    evidence = sheets["evidence"]
    if evidence is not None:
        grid = (
            ([c.value for c in row], [is_percent_format(getattr(c, "number_format", None)) for c in row])
            for row in evidence.iter_rows()
        )
        applications, issues, letters = read_sheet(str(identity.path), evidence.title, grid, cs)
        for app in applications:
            evidence_where[app.code] = {
                f: f"{evidence.title}!{letter}{app.row}" for f, letter in letters.items()
            }
    contents = _contents(cs, units, applications, sheets)
    return TeamResults(
        identity, units, applications, issues, contents, found, missing, evidence_where, duplicates
    )


def _contents(
    cs: CriteriaSet, units: dict[str, TeamUnit], apps: list[Application] | None, sheets: dict[str, Any]
) -> dict[str, UnitContent]:
    """What the seal covers, rebuilt from the cells found (a part is None where its sheet is gone)."""
    contents = {code: UnitContent(code) for code in units}
    for code, u in units.items():
        c = contents[code]
        if sheets.get("ranking") is not None and u.in_ranking:
            c.ranking = _ranking_of(cs, u)
        if sheets.get("detail") is not None and u.criteria:
            c.criteria = [[cid, points] for cid, points in u.criteria.items()]
    for app in apps or []:
        c = contents.setdefault(app.code, UnitContent(app.code))
        c.evidence = evidence_of(cs, app)
    return contents


def _ranking_of(cs: CriteriaSet, u: TeamUnit) -> list[Any]:
    """The ranking part of the seal for a unit as its file shows it."""
    return ranking_content(
        u.code,
        u.name or "",
        u.group or "",
        u.total,
        [u.groups.get(g.id) for g in cs.groups],
        u.recognised,
        u.proposed,
        u.self_score,
        u.rank,
        u.flag_count,
    )


def evidence_of(cs: CriteriaSet, app: Application) -> list[Any]:
    """The evidence part of the seal for an application as read."""
    plain = [
        (d.id, INVALID if d.id in app.invalid and d.id not in app.values else _plain(d, app.values.get(d.id)))
        for d in cs.evidence
    ]
    return evidence_content(
        app.year, app.proposed, app.self_score, [app.group_self_scores.get(g.id) for g in cs.groups], plain
    )


def _plain(decl: Any, value: Any) -> Any:
    return None if value is None else to_plain(decl, value)


# -- JSON -----------------------------------------------------------------------------------------
def _read_json(identity: Identity, cs: CriteriaSet) -> TeamResults:
    data = _load_json(identity.path)
    decls = cs.evidence_by_id()
    units: dict[str, TeamUnit] = {}
    apps: list[Application] = []
    issues: list[EvidenceIssue] = []
    contents: dict[str, UnitContent] = {}
    file = str(identity.path)
    first_index: dict[str, int] = {}
    duplicates: list[tuple[str, str, int, int]] = []
    for index, raw in enumerate(data["units"]):
        if not isinstance(raw, dict) or "code" not in raw:
            issues.append(
                EvidenceIssue(file, None, index + 1, None, None, "mục đơn vị không hợp lệ, bị bỏ qua")
            )
            continue
        at = f"units[{index}]"
        code = str(raw["code"])
        if code in first_index:  # the same unit twice: named once, not charged to every other unit
            duplicates.append((code, "JSON", first_index[code] + 1, index + 1))
            continue
        first_index[code] = index
        u = TeamUnit(code, name=raw.get("name"), group=raw.get("group"), in_ranking=True)
        for key in ("rank", "total", "recognised", "proposed", "self_score"):
            setattr(u, key, raw.get(key))
            u.where[key] = f"{at}.{key}"
        groups = [g for g in raw.get("groups") or [] if isinstance(g, dict)]
        for gi, g in enumerate(groups):
            u.groups[str(g.get("id"))] = g.get("points")
            u.where[f"group:{g.get('id')}"] = f"{at}.groups[{gi}].points"
        for ci, r in enumerate(c for c in raw.get("criteria") or [] if isinstance(c, dict)):
            u.criteria[str(r.get("id"))] = r.get("points")
            u.where[f"criterion:{r.get('id')}"] = f"{at}.criteria[{ci}].points"
        flags = [f for f in raw.get("flags") or [] if isinstance(f, dict)]
        u.flags = {str(f.get("code")) for f in flags}
        u.flag_count = len(flags)
        u.where["flags"] = f"{at}.flags"
        units[code] = u
        app, problems = _json_application(identity, cs, raw, index)
        issues += problems
        apps.append(app)
        group_self = {str(g.get("id")): g.get("self_score") for g in groups}
        invalid = set(raw.get("evidence_invalid") or {})
        values = raw.get("values") or {}
        contents[code] = UnitContent(
            code,
            ranking=_ranking_of(cs, u),
            criteria=[[cid, p] for cid, p in u.criteria.items()],
            evidence=evidence_content(
                raw.get("year"),
                raw.get("proposed"),
                raw.get("self_score"),
                [group_self.get(g.id) for g in cs.groups],
                [(d, INVALID if d in invalid else values.get(d)) for d in decls],
            ),
        )
    return TeamResults(identity, units, apps, issues, contents, {}, [], {}, duplicates)


def _json_application(
    identity: Identity, cs: CriteriaSet, raw: dict[str, Any], index: int
) -> tuple[Application, list[EvidenceIssue]]:
    """The evidence a JSON unit carries. Schema 2 has the exact values; schema 1 only the values
    each criterion used and, for the rest, the text shown (parsed as a cell would be)."""
    decls = cs.evidence_by_id()
    file = str(identity.path)
    values: dict[str, Any] = {}
    invalid = {str(k): str(v) for k, v in (raw.get("evidence_invalid") or {}).items() if k in decls}
    issues: list[EvidenceIssue] = []
    plain: dict[str, Any] = dict(raw.get("values") or {})
    if identity.schema_version < 2:
        for r in raw.get("criteria") or []:
            for used in r.get("evidence") or []:
                if used.get("value") is not None:
                    plain.setdefault(used["id"], used["value"])
    for fid, value in plain.items():
        if fid in decls and fid not in invalid:
            try:
                values[fid] = from_plain(decls[fid], value)
            except (ValueError, KeyError, TypeError) as exc:
                invalid[fid] = str(exc)
                issues.append(
                    EvidenceIssue(file, None, index + 1, f"values.{fid}", value, str(exc), raw.get("code"))
                )
    if identity.schema_version < 2:
        for fid, shown in (raw.get("evidence") or {}).items():
            if fid in decls and fid not in values and fid not in invalid:
                try:
                    values[fid] = parse_cell(shown, decls[fid])
                except CellError as exc:
                    invalid[fid] = str(exc)
    group_self = {
        str(g.get("id")): float(g["self_score"])
        for g in raw.get("groups") or []
        if isinstance(g, dict) and isinstance(g.get("self_score"), (int, float))
    }
    app = Application(
        code=str(raw.get("code")),
        name=str(raw.get("name") or raw.get("code")),
        group=str(raw.get("group") or "(chưa phân nhóm)"),
        year=raw.get("year") if isinstance(raw.get("year"), int) else None,
        proposed=bool(raw.get("proposed")),
        self_score=raw.get("self_score") if isinstance(raw.get("self_score"), (int, float)) else None,
        group_self_scores=group_self,
        values=values,
        invalid=invalid,
        source=str(raw.get("source") or f"{identity.path.name}, units[{index}]"),
        comment=raw.get("comment"),
        row=index + 1,
    )
    return app, issues


def seal_parts_label(part: str) -> str:
    return {"ranking": RANKING_SHEET, "criteria": DETAIL_SHEET, "evidence": EVIDENCE_SHEET}[part]


__all__ = ["PARTS", "Identity", "TeamFileError", "TeamResults", "TeamUnit", "read_identity", "read_team"]
