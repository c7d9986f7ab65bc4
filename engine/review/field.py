"""Units for on-site checks: a reproducible, risk-weighted draw, the field workbook, and the
verified values read back into a re-check.

The draw is weighted sampling without replacement by exponential keys (Efraimidis-Spirakis):
each unit gets u = (first 16 hex digits of SHA-256 of "SEED:CODE", as an integer, + 0.5) / 2^64,
its key is -ln(u) / weight, and the N smallest keys are drawn (ties by unit code). The key of a
unit depends only on the seed, its code and its weight, so anyone can redo the draw from the seed
and weights recorded in the workbook, on any machine, in any language.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from pydantic import BaseModel, Field

from engine.errors import CqttError, EvidenceIssue
from engine.intake.binding import BINDING_SHEET
from engine.intake.cells import CellError, clean_text, is_blank, is_percent_format, parse_cell
from engine.intake.evidence import Application, EvidenceError
from engine.intake.workbook import open_workbook
from engine.numbers import exact, near
from engine.outputs import fastrows
from engine.outputs.output import run_time
from engine.outputs.template import validation_for
from engine.outputs.xlsxstyle import font, new_workbook, page_marks
from engine.rules.model import CriteriaSet, SampleWeights
from engine.scoring.engine import tool_version
from engine.text import fmt
from scorers.base import show_value

FIELD_SHEET = "Kiểm tra thực địa"
DRAW_SHEET = "Mẫu chọn"
VERIFIED = "Giá trị kiểm tra thực tế"
FIELD_ID = "Mã trường"
RISK_LABELS = {
    "borderline": "sát ngưỡng công nhận",
    "self_score_inflated": "tự chấm cao hơn điểm thẩm định",
    "group_at_minimum": "có nhóm tiêu chí vừa đủ mức tối thiểu",
    "few_respondents": "ít phiếu khảo sát",
    "first_proposal": "lần đầu được đề nghị",
}


WEIGHT_LABELS = {
    "base": "mỗi đơn vị",
    "borderline": "cộng nếu sát ngưỡng công nhận",
    "self_score_inflated": "cộng nếu tự chấm cao hơn điểm thẩm định",
    "group_at_minimum": "cộng nếu có nhóm vừa đủ mức tối thiểu",
    "few_respondents": "cộng nếu ít phiếu khảo sát",
    "first_proposal": "cộng nếu lần đầu được đề nghị",
    "group_margin": "“vừa đủ” là trong khoảng (tỷ lệ điểm nhóm)",
    "few_respondents_factor": "“ít phiếu” là dưới (lần số phiếu tối thiểu)",
}


class Drawn(BaseModel):
    code: str
    name: str
    group: str
    total: float | None
    weight: float
    risks: list[str]
    key: float


class Draw(BaseModel):
    kind: str = "field_sample"
    tool: str
    generated_at: str
    results_file: dict[str, str]
    criteria: dict[str, str]
    seed: int
    n: int
    weights: dict[str, float]
    population: int
    units: list[Drawn]
    store: str | None = None  # the history store that told which units are proposed the first time
    edited: list[str] = Field(default_factory=list)  # units edited by hand: drawn on their re-scored result
    method: str = (
        "u = (int(sha256('SEED:CODE')[:16], 16) + 0.5) / 2^64; key = -ln(u) / weight; "
        "the N smallest keys, ties by code"
    )


def unit_key(seed: int, code: str, weight: float) -> float:
    head = hashlib.sha256(f"{seed}:{code}".encode()).hexdigest()[:16]
    u = (int(head, 16) + 0.5) / 2.0**64
    return -math.log(u) / weight


@dataclass
class Candidate:
    code: str
    name: str
    group: str
    total: float | None
    risks: list[str] = field(default_factory=list)


def risks_of(
    cs: CriteriaSet,
    total: float | None,
    group_shares: dict[str, float | None],
    flags: set[str],
    app: Application | None,
) -> list[str]:
    """Which of the weighted risks a unit shows, from its results and evidence."""
    w = cs.flags.sample_weights
    rec = cs.recognition
    found = []
    if "borderline" in flags or (
        total is not None and near(total, rec.min_total, cs.flags.borderline_margin)
    ):
        found.append("borderline")
    if flags & {"self_score_inflated", "group_self_score_inflated"}:
        found.append("self_score_inflated")
    if rec.min_group_share > 0 and any(
        s is not None and exact(s) <= exact(rec.min_group_share) + exact(w.group_margin)
        for s in group_shares.values()
    ):
        found.append("group_at_minimum")
    if app is not None:
        for _, c in cs.criteria():
            minimum = getattr(c.method, "min_respondents", None)
            if minimum is None:
                continue
            for fid in c.method.evidence:
                tally = app.values.get(fid)
                if tally is not None and getattr(tally, "total", None) is not None:
                    if tally.total < w.few_respondents_factor * max(minimum, 1):
                        found.append("few_respondents")
                        break
            if "few_respondents" in found:
                break
    return found


def weight_of(w: SampleWeights, risks: list[str]) -> float:
    return w.base + sum(getattr(w, r) for r in risks)


def draw(candidates: list[Candidate], w: SampleWeights, n: int, seed: int) -> list[Drawn]:
    drawn = [
        Drawn(
            code=c.code,
            name=c.name,
            group=c.group,
            total=c.total,
            weight=weight_of(w, c.risks),
            risks=c.risks,
            key=unit_key(seed, c.code, weight_of(w, c.risks)),
        )
        for c in candidates
    ]
    drawn.sort(key=lambda d: (d.key, d.code))
    return drawn[:n]


# Given (unit code, assessment year) pairs, the codes proposed in an earlier year (history store).
ProposedBefore = Callable[[list[tuple[str, int]]], set[str]]


def _rescored_where_edited(loaded: Any, team: Any, apps: dict[str, Application]) -> list[str]:
    """The units whose cells were edited after the file was written (its seal says so): their
    result is taken from the engine on the evidence the file carries, not from the edited cells,
    so that a typed-over "Kết quả" cannot steer a unit out of the draw. Returns their codes."""
    from engine.review.sealcheck import check_seal
    from engine.scoring.engine import Engine

    _, found = check_seal(loaded.model, team)
    edited = sorted({d.unit for d in found if d.kind == "hand_edit" and d.unit in team.units})
    engine = Engine(loaded) if edited else None
    for code in edited:
        app = apps.get(code)
        if app is None or engine is None:
            continue
        scored = engine.score(app)
        u = team.units[code]
        u.in_ranking, u.total = True, scored.total
        u.recognised, u.proposed = scored.recognised, scored.proposed
        u.groups = {g.id: g.points for g in scored.groups}
        u.flags = {f.code for f in scored.flags}
    return edited


def sample(
    results: Path,
    ref: str | None,
    n: int,
    seed: int,
    proposed_before: ProposedBefore | None = None,
    store: str | None = None,
) -> tuple[Draw, CriteriaSet, dict[str, Application]]:
    """Draw `n` units among those proposed and recognisable in a results file. With a history
    store, a unit never proposed before carries the `first_proposal` weight."""
    from engine.review.discrepancies import resolve_criteria
    from engine.review.teamfile import read_team

    if n < 1:
        raise CqttError("--n phải từ 1 trở lên")
    loaded, _ = resolve_criteria(results, ref)
    cs = loaded.model
    team = read_team(results, cs)
    apps = {a.code: a for a in team.applications or []}
    edited = _rescored_where_edited(loaded, team, apps)
    group_points = {g.id: g.points for g in cs.groups}
    candidates = []
    for code, u in sorted(team.units.items()):
        if not u.in_ranking or u.proposed is not True or u.recognised is not True:
            continue
        shares = {
            gid: (float(p) / group_points[gid] if isinstance(p, (int, float)) else None)
            for gid, p in u.groups.items()
            if gid in group_points
        }
        total = float(u.total) if isinstance(u.total, (int, float)) else None
        candidates.append(
            Candidate(
                code,
                u.name or code,
                u.group or "",
                total,
                risks_of(cs, total, shares, u.flags or set(), apps.get(code)),
            )
        )
    if proposed_before is not None:
        pairs = [(c.code, apps[c.code].year) for c in candidates if c.code in apps and apps[c.code].year]
        earlier = proposed_before([(code, year) for code, year in pairs if year is not None])
        dated = {code for code, _ in pairs}
        for c in candidates:
            if c.code in dated and c.code not in earlier:
                c.risks.append("first_proposal")
    if not candidates:
        raise CqttError(
            f"{results}: không có đơn vị nào vừa được đề nghị vừa đủ điều kiện công nhận để chọn mẫu"
        )
    from engine.hashing import sha256_file

    w = cs.flags.sample_weights
    result = Draw(
        tool=tool_version(),
        generated_at=run_time(),
        results_file={"file": str(results), "sha256": sha256_file(results)},
        criteria={"id": cs.id, "version": cs.version, "sha256": loaded.sha256},
        seed=seed,
        n=n,
        weights={k: float(v) for k, v in w.model_dump().items()},
        population=len(candidates),
        units=draw(candidates, w, n, seed),
        store=store,
        edited=edited,
    )
    return result, cs, apps


# -- the field workbook ---------------------------------------------------------------------------
_THIN = Side(style="thin", color="B7B7B7")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD = (font(bold=True, color="FFFFFF"), PatternFill("solid", fgColor="1F4E78"))
_TITLE = font(bold=True, size=13, color="1F4E78")
_ENTRY = PatternFill("solid", fgColor="FFF2CC")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _print(ws: Any) -> None:
    ws.page_setup.orientation = "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def write_field(handle: BinaryIO, result: Draw, cs: CriteriaSet, apps: dict[str, Application]) -> None:
    """One block per drawn unit, one unit per printed A4 page: every evidence item with the value
    the team used and an empty cell for the verified value (same validation as the template)."""
    wb = new_workbook(write_only=False)
    ws = wb.active
    ws.title = FIELD_SHEET
    _print(ws)
    # The field's code sits last, for the reader (and scripts): the checker reads the label.
    for col, width in enumerate([7, 38, 17, 17, 18, 9], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    headings = ["Mã đơn vị", "Minh chứng", "Giá trị tổ thẩm định dùng", VERIFIED, "Ghi chú", FIELD_ID]
    validations: dict[str, Any] = {}
    row = 1
    for index, unit in enumerate(result.units):
        app = apps.get(unit.code)
        ws.cell(row, 1, f"{unit.code} — {unit.name} ({unit.group})").font = _TITLE
        row += 1
        risks = ", ".join(RISK_LABELS[r] for r in unit.risks) or "không có yếu tố rủi ro"
        ws.cell(row, 1, f"Tổng điểm {fmt(unit.total) if unit.total is not None else '-'}; trọng số "
                f"{fmt(unit.weight)} ({risks})")  # fmt: skip
        row += 1
        for col, text in enumerate(headings, start=1):
            c = ws.cell(row, col, text)
            c.font, c.fill = _HEAD
            c.border, c.alignment = _BORDER, _WRAP
        row += 1
        for d in cs.evidence:
            if app is not None and d.id in app.values:
                used = show_value(d, app.values[d.id])
            elif app is not None and d.id in app.invalid:
                used = f"(lỗi: {app.invalid[d.id]})"
            else:
                used = "(trống)"
            for col, value in enumerate([unit.code, d.label, used, None, None, d.id], start=1):
                c = ws.cell(row, col, value)
                c.border, c.alignment = _BORDER, _WRAP
                if isinstance(value, str):
                    c.data_type = "s"
            ws.cell(row, 4).fill = _ENTRY
            ws.cell(row, 5).fill = _ENTRY
            if d.type == "percent":
                ws.cell(row, 4).number_format = "0.0%"
            dv = validations.get(d.id)
            if dv is None:
                dv = validations[d.id] = validation_for(d)
                ws.add_data_validation(dv)
            dv.add(f"D{row}")
            row += 1
        row += 1
        if index < len(result.units) - 1:
            ws.row_breaks.append(Break(id=row - 1))
    _draw_sheet(wb, result)
    bind = wb.create_sheet(BINDING_SHEET)
    bind.sheet_state = "hidden"
    for key, value in [
        ("kind", "field"),
        ("criteria", result.criteria["id"]),
        ("version", result.criteria["version"]),
        ("sha256", result.criteria["sha256"]),
        ("results_sha256", result.results_file["sha256"]),
        ("seed", str(result.seed)),
    ]:
        bind.append([key, value])
    scope = f"{len(result.units)}/{result.population} đơn vị được chọn"
    page_marks(wb, "Kiểm tra thực địa", cs.ref, cs.status == "model", scope, result.generated_at)
    fastrows.finish(wb, handle, result.generated_at)


def _draw_sheet(wb: Workbook, result: Draw) -> None:
    ws = wb.create_sheet(DRAW_SHEET)
    _print(ws)
    for col, width in enumerate([8, 11, 26, 20, 10, 10, 50, 14], start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    lines = [
        f"Chọn {len(result.units)}/{result.population} đơn vị được đề nghị và đủ điều kiện công nhận, "
        f"theo trọng số rủi ro; hạt giống (seed) {result.seed}.",
        f"Tệp kết quả: {result.results_file['file']} (sha256 {result.results_file['sha256']}).",
        f"Bộ tiêu chí: {result.criteria['id']}@{result.criteria['version']} "
        f"(sha256 {result.criteria['sha256']}).",
        "Trọng số: " + "; ".join(f"{WEIGHT_LABELS.get(k, k)} {fmt(v)}" for k, v in result.weights.items()),
        "Cách chọn (làm lại được trên mọi máy): mỗi đơn vị có một số u từ 0 đến 1 lấy từ mã băm SHA-256 của "
        "“hạt giống:mã đơn vị”; khóa của đơn vị là −ln(u) chia cho trọng số; chọn N đơn vị có khóa nhỏ nhất, "
        "khóa bằng nhau thì theo mã đơn vị.",
        "Công thức (cho người lập trình kiểm tra lại): " + result.method,
    ]
    for line in lines:
        ws.append([line])
    ws.append([])
    heads = [
        "STT",
        "Mã đơn vị",
        "Tên đơn vị",
        "Nhóm thẩm định",
        "Tổng điểm",
        "Trọng số",
        "Yếu tố rủi ro",
        "Khóa",
    ]
    ws.append(heads)
    head_row = ws.max_row
    for col in range(1, len(heads) + 1):
        c = ws.cell(head_row, col)
        c.font, c.fill = _HEAD
    for i, u in enumerate(result.units, start=1):
        ws.append(
            [
                i,
                u.code,
                u.name,
                u.group,
                u.total,
                u.weight,
                ", ".join(RISK_LABELS[r] for r in u.risks),
                round(u.key, 6),
            ]
        )
    ws.print_title_rows = f"{head_row}:{head_row}"


# -- reading the filled workbook back -------------------------------------------------------------
@dataclass
class Verified:
    code: str
    field: str
    value: Any
    shown: str
    where: str


def read_field(path: Path, cs: CriteriaSet) -> list[Verified]:
    """Every verified value filled in, parsed as the template's cells are; all bad cells at once."""
    book = open_workbook(path, "sổ kiểm tra thực địa")
    decls = cs.evidence_by_id()
    found: list[Verified] = []
    issues: list[EvidenceIssue] = []
    try:
        sheets = [s for s in book.worksheets if s.title != BINDING_SHEET]
        sheet = next((s for s in sheets if s.title == FIELD_SHEET), None) or next(
            (s for s in sheets if _has_heading(s)), None
        )
        if sheet is None:
            raise CqttError(f"{path}: không tìm thấy sheet “{FIELD_SHEET}” (cột “{VERIFIED}”)")
        columns: dict[str, int] = {}
        seen: dict[tuple[str, str], int] = {}  # (unit, field) -> the row its value was read from
        from engine.intake.evidence import UNCALCULATED, _formulas

        uncalculated = _formulas(path).get(sheet.title, {})
        for number, row in enumerate(sheet.iter_rows(), start=1):
            values = [c.value for c in row]
            texts = [clean_text(v) if isinstance(v, str) else "" for v in values]
            if VERIFIED in texts and FIELD_ID in texts:
                columns = {t: i for i, t in enumerate(texts) if t}
                continue
            if not columns or VERIFIED not in columns or columns[VERIFIED] >= len(values):
                continue
            raw = values[columns[VERIFIED]]
            if is_blank(raw):
                formula = uncalculated.get((number, columns[VERIFIED] + 1))
                if formula is not None:  # a formula never calculated reads as an empty cell
                    issues.append(
                        EvidenceIssue(str(path), sheet.title, number, VERIFIED, formula, UNCALCULATED)
                    )
                continue
            code = values[columns.get("Mã đơn vị", 0)]
            fid = clean_text(values[columns[FIELD_ID]]) if not is_blank(values[columns[FIELD_ID]]) else ""
            letter = get_column_letter(columns[VERIFIED] + 1)
            where = f"{sheet.title}!{letter}{number}"
            if fid not in decls:
                issues.append(
                    EvidenceIssue(
                        str(path), sheet.title, number, FIELD_ID, fid, "mã trường không có trong bộ tiêu chí"
                    )
                )
                continue
            pct = is_percent_format(getattr(row[columns[VERIFIED]], "number_format", None))
            try:
                value = parse_cell(raw, decls[fid], pct)
            except CellError as exc:
                issues.append(EvidenceIssue(str(path), sheet.title, number, VERIFIED, raw, str(exc)))
                continue
            code_text = str(int(code)) if isinstance(code, float) and code.is_integer() else clean_text(code)
            earlier = seen.get((code_text.casefold(), fid))
            if earlier is not None:  # two values found on site for one cell: which is true?
                issues.append(
                    EvidenceIssue(
                        str(path), sheet.title, number, VERIFIED, raw,
                        f"đơn vị {code_text}, “{decls[fid].label}” đã có giá trị kiểm tra ở dòng {earlier}; "
                        "mỗi ô chỉ ghi một giá trị thấy tại xã (xóa một trong hai dòng)",
                    )
                )  # fmt: skip
                continue
            seen[(code_text.casefold(), fid)] = number
            found.append(Verified(code_text, fid, value, show_value(decls[fid], value), where))
    finally:
        book.close()
    if issues:
        raise EvidenceError(issues, f"sổ kiểm tra thực địa có {len(issues)} ô không đọc được")
    return found


def _has_heading(sheet: Any) -> bool:
    for row in sheet.iter_rows(max_row=5, values_only=True):
        if VERIFIED in [clean_text(v) if isinstance(v, str) else "" for v in row]:
            return True
    return False


def apply_field(path: Path, cs: CriteriaSet, apps: list[Application]) -> list[Any]:
    """Replace declared evidence by the verified values; each change is a "field check" discrepancy."""
    from engine.review.discrepancies import Discrepancy

    by_code = {a.code: a for a in apps}
    decls = cs.evidence_by_id()
    found = []
    for v in read_field(path, cs):
        app = by_code.get(v.code)
        if app is None:
            raise CqttError(f"{path}, {v.where}: đơn vị {v.code} không có trong kết quả")
        before = app.values.get(v.field)
        if before == v.value and v.field not in app.invalid:
            continue
        shown_before = (
            show_value(decls[v.field], before)
            if before is not None
            else (f"(lỗi: {app.invalid[v.field]})" if v.field in app.invalid else "(trống)")
        )
        app.values[v.field] = v.value
        app.invalid.pop(v.field, None)
        found.append(
            Discrepancy(
                unit=v.code,
                kind="field_check",
                item=v.field,
                label=f"Kiểm tra thực địa: {decls[v.field].label}",
                team=shown_before,
                province=v.shown,
                where=f"{path.name}: {v.where}",
            )
        )
    return found
