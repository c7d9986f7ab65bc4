"""The records of each stage, as Word documents people sign: what goes into each template.

* biên bản thẩm định: one per unit of a results file (workbook or JSON), from its evidence scored
  again with its own rule set: the record never repeats a number typed over in the file;
* biên bản kiểm tra thực địa: one per unit of a field-check workbook, the values found on site
  against those the team used;
* danh sách đề nghị công nhận: one per appraisal group of a results file, the units proposed that
  meet the standard, and apart the units proposed that do not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.era import group_word, local_recipients, two_tiers
from engine.outputs.records import DECISION_LIST, render, template_path
from engine.rules.model import CriteriaSet
from engine.scoring.flags import FLAG_LABELS, severity_word
from engine.scoring.results import UnitResult
from engine.text import cents, fmt

KINDS = {
    "bien-ban-tham-dinh": "bien-ban-tham-dinh.docx",
    "bien-ban-kiem-tra": "bien-ban-kiem-tra.docx",
    "danh-sach-de-nghi": "danh-sach-de-nghi.docx",
    "danh-sach-cong-nhan": DECISION_LIST,
}
RECOGNISED, NOT_RECOGNISED = "Đạt chuẩn", "Chưa đạt chuẩn"


@dataclass
class Record:
    """One document to write: its file name and what fills its template."""

    name: str
    context: dict[str, Any]


@dataclass
class Letterhead:
    """What the province fills in on every record (blank lines when not given)."""

    issuer: str = ""  # the body above ("UBND HUYỆN HIỆP HÒA")
    body: str = ""  # the issuing body ("TỔ THẨM ĐỊNH")
    place: str = ""  # before the date ("Hiệp Hòa")
    year: int | None = None


def file_name(*parts: str) -> str:
    """A file name from words: letters without diacritics, digits and hyphens."""
    text = "-".join(p for p in parts if p)
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "ban-ghi"


def _above(year: int | None, group: str) -> str:
    """The body above a group's record when the province gives none: the district's people's
    committee, or (two tiers: a team has no committee of its own) the province's."""
    if two_tiers(year):
        return "UBND TỈNH"
    return f"UBND {group.upper()}" if group else "……………………"


def _team_body(head: Letterhead, year: int | None, group: str) -> str:
    """The body issuing a team's record: as given, else the team by its name (two tiers)."""
    if head.body:
        return head.body
    return group.upper() if two_tiers(year) and group else "TỔ THẨM ĐỊNH"


def _common(cs: CriteriaSet, head: Letterhead, year: int | None, group: str) -> dict[str, Any]:
    return {
        "model": cs.status == "model",
        "co_quan_cap_tren": head.issuer or _above(year, group),
        "co_quan": head.body or "……………………",
        "ky_hieu": "BB",
        "dia_danh": head.place or "……………",
        "nam_ky": head.year or year or "……",
        "nam": year or "……",
        "bo_tieu_chi": f"{cs.title} (phiên bản {cs.version}{', bản mẫu' if cs.status == 'model' else ''})",
        "nhom": group,
    }


def _rich(text: str, bold: bool = False) -> Any:
    from docxtpl import RichText

    return RichText(text, bold=bold, size=22)  # 11 pt inside the tables


def appraisal(
    cs: CriteriaSet, unit: UnitResult, head: Letterhead, corrected: dict[str, tuple[str, str]] | None = None
) -> Record:
    """Biên bản thẩm định of one unit. `corrected`: evidence the team changed from what the commune
    declared, {field: (value declared, the team's reason)}, shown beside the value scored."""
    corrected = corrected or {}
    rows: list[dict[str, Any]] = []
    by_group: dict[str, list[Any]] = {}
    for r in unit.criteria:
        by_group.setdefault(r.group, []).append(r)
    for gi, (g, gr) in enumerate(zip(cs.groups, unit.groups, strict=True), start=1):
        rows.append(
            {
                "tt": _rich(str(gi), True),
                "ten": _rich(g.title, True),
                "minh_chung": "",
                "tu_cham": _rich(fmt(gr.self_score) if gr.self_score is not None else "", True),
                "diem": _rich(f"{fmt(gr.points)}/{fmt(gr.max_points)}", True),
                "nhan_xet": "điều chỉnh theo tỷ lệ vì có tiêu chí không áp dụng" if gr.rescaled else "",
            }
        )
        for ci, r in enumerate(by_group.get(g.id, []), start=1):
            used = "; ".join(
                f"{e.label}: {e.shown}"
                + (
                    f" (xã kê khai: {corrected[e.id][0]}; tổ thẩm định sửa: {corrected[e.id][1]})"
                    if e.id in corrected
                    else ""
                )
                for e in r.evidence
            )
            rows.append(
                {
                    "tt": _rich(f"{gi}.{ci}"),
                    "ten": _rich(r.title),
                    "minh_chung": used,
                    "tu_cham": _rich(""),
                    "diem": _rich(
                        f"{fmt(r.points)}/{fmt(r.max_points)}" if r.applicable else "không áp dụng"
                    ),
                    "nhan_xet": r.explanation,
                }
            )
    gates = [
        f"{'Đạt' if g.ok else 'Không đạt'} — {g.title}: {g.explanation}" for g in unit.gates if g.explanation
    ]
    flags = [f"{severity_word(f.severity)} — {FLAG_LABELS[f.code][1]}: {f.message}" for f in unit.flags]
    if unit.recognised:
        conclusion = (
            f"{unit.name} đạt {fmt(unit.total)}/{fmt(unit.max_total)} điểm, đủ điều kiện công nhận đạt chuẩn "
            "“Chính quyền thân thiện”."
        )
    else:
        conclusion = f"{unit.name} chưa đủ điều kiện công nhận: " + "; ".join(unit.blocking) + "."
    if unit.proposed and not unit.recognised:
        conclusion += (
            " Đơn vị đã được đề nghị công nhận nhưng chưa đạt chuẩn: không đưa vào danh sách đề nghị."
        )
    context = {
        **_common(cs, head, unit.year, unit.group),
        "co_quan": _team_body(head, unit.year, unit.group),
        "ten_don_vi": unit.name,
        "ten_don_vi_hoa": unit.name.upper(),
        "ma_don_vi": unit.code,
        "dong": rows,
        "tong_diem": fmt(unit.total),
        "diem_toi_da": fmt(unit.max_total),
        "tu_cham": fmt(unit.self_score) if unit.self_score is not None else "không ghi",
        "dieu_kien": gates,
        "canh_bao": flags or ["Không có cảnh báo."],
        "ket_luan": conclusion,
    }
    return Record(f"bien-ban-tham-dinh-{file_name(unit.code, unit.name)}.docx", context)


def proposal_lists(cs: CriteriaSet, units: list[UnitResult], head: Letterhead) -> Iterator[Record]:
    """Danh sách đề nghị công nhận of each appraisal group, in group order."""
    groups: dict[str, list[UnitResult]] = {}
    for u in units:
        groups.setdefault(u.group, []).append(u)
    for group in sorted(groups):
        members = sorted(groups[group], key=lambda u: (-u.total, u.code))
        listed = [u for u in members if u.proposed and u.recognised]
        left_out = [u for u in members if u.proposed and not u.recognised]
        year = next((u.year for u in members if u.year), None)
        context = {
            **_common(cs, head, year, group),
            "co_quan": _team_body(head, year, group),
            "ky_hieu": "DS",
            "units": [
                {
                    "stt": i,
                    "ten": u.name,
                    "ma": u.code,
                    "diem": fmt(u.total),
                    "tu_cham": fmt(u.self_score) if u.self_score is not None else "",
                    "ghi_chu": "; ".join(FLAG_LABELS[f.code][1] for f in u.flags if f.severity <= 2),
                }
                for i, u in enumerate(listed, start=1)
            ],
            "so_don_vi": len(listed),
            "loai_ra": [
                {"stt": i, "ten": u.name, "ma": u.code, "diem": fmt(u.total), "ly_do": "; ".join(u.blocking)}
                for i, u in enumerate(left_out, start=1)
            ],
            "noi_nhan": ["Ban Chỉ đạo thực hiện quy chế dân chủ ở cơ sở tỉnh", "Các đơn vị có tên"],
            "thay_mat": "TM. TỔ THẨM ĐỊNH",
            "chuc_vu_ky": "TỔ TRƯỞNG",
            "nguoi_ky": "",
        }
        yield Record(f"danh-sach-de-nghi-{file_name(group)}.docx", context)


@dataclass
class FieldRow:
    label: str
    used: str  # as the team's value is shown (the field workbook writes it so)
    found: str  # the value found on site, shown the same way ("" when none was written)
    note: str
    field: str = ""


@dataclass
class FieldUnit:
    code: str
    name: str
    group: str
    reason: str
    rows: list[FieldRow]


def _same_shown(found: str, used: str) -> bool:
    """Whether two values as shown say the same: a list of items ("Máy tính; Máy in") in any
    order, spacing or case is the same list."""

    def parts(text: str) -> frozenset[str]:
        return frozenset(" ".join(p.split()).casefold() for p in text.split(";") if p.strip())

    return found == used or parts(found) == parts(used)


def field_record(cs: CriteriaSet, unit: FieldUnit, year: int | None, head: Letterhead) -> Record:
    """Biên bản kiểm tra thực địa of one checked unit."""
    rows, differ, blank = [], 0, 0
    for i, r in enumerate(unit.rows, start=1):
        if not r.found:
            same = "chưa ghi"
            blank += 1
        else:
            same = "khớp" if _same_shown(r.found, r.used) else "khác"
            differ += same == "khác"
        rows.append(
            {"tt": i, "ten": r.label, "ke_khai": r.used, "thuc_te": r.found, "khop": same, "ghi_chu": r.note}
        )
    summary = f"Kiểm tra {len(rows)} minh chứng: {len(rows) - differ - blank} khớp, {differ} khác"
    summary += f", {blank} chưa ghi giá trị kiểm tra." if blank else "."
    context = {
        **_common(cs, head, year, unit.group),
        "co_quan": head.body or "BAN CHỈ ĐẠO QUY CHẾ DÂN CHỦ TỈNH",
        "co_quan_cap_tren": head.issuer or "UBND TỈNH",
        "ky_hieu": "BB-KT",
        "ten_don_vi": unit.name,
        "ten_don_vi_hoa": unit.name.upper(),
        "ma_don_vi": unit.code,
        "ly_do_chon": unit.reason.split("(", 1)[-1].rstrip(")") if "(" in unit.reason else unit.reason or "—",
        "dong": rows,
        "tom_tat": summary,
    }
    return Record(f"bien-ban-kiem-tra-{file_name(unit.code, unit.name)}.docx", context)


@dataclass
class Recognised:
    """A unit on the province's list of units recognised: the points its decision was taken on,
    its points by group, and what the list must say of it."""

    code: str
    name: str
    group: str
    total: float | None
    groups: dict[str, float]
    notes: list[str]


NUMERALS = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
RECIPIENTS = ["Như trên", "Ban Chỉ đạo thực hiện dân chủ ở cơ sở tỉnh"]  # and the local governments


def decision_list(cs: CriteriaSet, year: int, units: list[Recognised], head: Letterhead) -> Record:
    """The province's decision recognising the units of a year (danh sách công nhận), for signature:
    each unit with the points its decision was taken on and, in the annex, its points by group."""
    groups = [
        {
            "so": NUMERALS[i] if i < len(NUMERALS) else str(i + 1),
            "id": g.id,
            "ten": g.title,
            "diem": fmt(g.points),
        }
        for i, g in enumerate(cs.groups)
    ]
    rows = [
        {
            "stt": index,
            "ma": u.code,
            "ten": u.name,
            "huyen": u.group,
            "diem": cents(u.total) if u.total is not None else "",
            "nhom": "; ".join(
                f"{g['so']}: {cents(u.groups[g['id']])}" for g in groups if g["id"] in u.groups
            ),
            "ghi_chu": ". ".join(u.notes),
        }
        for index, u in enumerate(units, start=1)
    ]
    context = {
        "model": cs.status == "model",
        "co_quan_cap_tren": "ỦY BAN NHÂN DÂN",
        "co_quan": head.issuer or "TỈNH …………",
        "co_quan_ngan": "UBND tỉnh",
        "ky_hieu": "QĐ-UBND",
        "dia_danh": head.place or "…………",
        "nam_ky": head.year or year,
        "nam": year,
        "bo_tieu_chi": cs.ref,
        "so_don_vi": len(rows),
        "units": rows,
        "nhom_tieu_chi": groups,
        "noi_nhan": [*RECIPIENTS, local_recipients(year)],
        "cot_nhom": group_word(year).capitalize(),
        "thay_mat": "TM. ỦY BAN NHÂN DÂN",
        "chuc_vu_ky": "CHỦ TỊCH",
        "nguoi_ky": "",
    }
    return Record(f"danh-sach-cong-nhan-{year}.docx", context)


def render_bytes(record: Record, kind: str, templates: Path | None) -> bytes:
    """One record as .docx bytes (what the portal sends, and the check before writing files)."""
    import io

    handle = io.BytesIO()
    render(handle, template_path(KINDS[kind], templates), record.context)
    return handle.getvalue()


def write_records(records: list[Record], kind: str, out_dir: Path, templates: Path | None) -> list[Path]:
    """Write each record into `out_dir` (created when missing), each file atomically."""
    from engine.outputs.output import write_atomic

    template = template_path(KINDS[kind], templates)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for record in records:
        target = out_dir / record.name
        write_atomic(target, lambda h, r=record: render(h, template, r.context))  # type: ignore[misc]
        written.append(target)
    return written
