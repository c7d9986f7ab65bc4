"""A criteria set as people read it: a text table for the terminal, a printable scoring guide."""

from __future__ import annotations

from collections.abc import Iterable
from typing import BinaryIO

from engine.outputs import fastrows
from engine.outputs.rowfit import text_px
from engine.outputs.xlsxstyle import (
    BOLD,
    POINTS,
    SHRINK,
    TITLE_FONT,
    WRAP,
    cell,
    header_row,
    new_workbook,
    page_marks,
    print_setup,
    set_widths,
)
from engine.rules.conditions import describe
from engine.rules.declarations import TYPE_LABELS
from engine.rules.model import CriteriaSet, Criterion, Provenance
from engine.text import fmt


def _notes(c: Criterion) -> str:
    parts = []
    if c.is_mandatory:
        need = c.mandatory_min_points
        parts.append("bắt buộc" + (f" (tối thiểu {fmt(need)} điểm)" if need else ""))
    if c.applies_when is not None:
        what = "tính đủ điểm" if c.not_applicable == "full" else "quy đổi điểm nhóm"
        parts.append(f"áp dụng khi {describe(c.applies_when)}; không áp dụng: {what}")
    return "; ".join(parts)


def recognition_lines(cs: CriteriaSet) -> list[str]:
    rec = cs.recognition
    lines = [f"Tổng điểm từ {fmt(rec.min_total)}/{fmt(cs.scale)} trở lên"]
    if rec.min_group_share:
        lines.append(f"Mỗi nhóm đạt từ {fmt(rec.min_group_share * 100)}% số điểm của nhóm")
    if rec.require_mandatory:
        lines.append("Đạt mọi tiêu chí bắt buộc")
    if rec.require_no_disqualifier and cs.disqualifiers:
        lines.append("Không vi phạm điểm liệt: " + "; ".join(d.title for d in cs.disqualifiers))
    lines += [f"{r.title}" for r in rec.requirements]
    if rec.require_complete_evidence:
        lines.append("Minh chứng đầy đủ, hợp lệ")
    return lines


def text_table(cs: CriteriaSet) -> str:
    out = [
        f"{cs.title}",
        f"{cs.ref} — {'bản mẫu' if cs.status == 'model' else 'chính thức'}, "
        f"hiệu lực từ {cs.effective.from_:%d/%m/%Y}"
        + (f" đến {cs.effective.to:%d/%m/%Y}" if cs.effective.to else "")
        + f", thang điểm {fmt(cs.scale)}",
    ]
    if cs.note:
        out.append(f"Ghi chú: {cs.note}")
    out += [f"Căn cứ: {source.cite()}" for source in cs.sources]
    width = max(len(c.id) for _, c in cs.criteria())
    for index, group in enumerate(cs.groups, start=1):
        out += ["", f"Nhóm {index}. {group.title} — {fmt(group.points)} điểm [{group.id}]"]
        if group.source is not None:
            out.append(f"  nguồn: {group.source.cite()}")
        for c in group.criteria:
            out.append(f"  {c.id:<{width}}  {fmt(c.points):>4}  {c.title}")
            out.append(f"  {'':<{width}}        cách chấm: {c.scorer.describe(c.method)}")
            if _notes(c):
                out.append(f"  {'':<{width}}        {_notes(c)}")
            out.append(f"  {'':<{width}}        {_origin(c)}")
    out += ["", "Điều kiện công nhận:"] + [f"  - {line}" for line in recognition_lines(cs)]
    for title, items in (("Điểm liệt", cs.disqualifiers), ("Yêu cầu hồ sơ", cs.recognition.requirements)):
        if items:
            out += ["", f"{title}:"]
            for item in items:
                out += [f"  {item.id}: {item.title}", f"    {_origin(item)}"]
    return "\n".join(out)


def _origin(item: Provenance) -> str:
    """Where an item comes from, as printed beside it."""
    if item.source is not None:
        return f"nguồn: {item.source.cite()}"
    if item.proposed is not None:
        return f"đề xuất của bản mẫu: {item.proposed}"
    return "chưa ghi nguồn (cần `source` hoặc `proposed`)"


def _code_width(codes: Iterable[str]) -> float:
    """A column width (characters) that holds the longest code on one line in Arial 10."""
    return max(12.0, max((text_px(c) for c in codes), default=0) / 7 + 2)


def write_guide(handle: BinaryIO, cs: CriteriaSet, sha256: str) -> None:
    """A scoring guide workbook teams can print: criteria, evidence fields, recognition rule."""
    wb = new_workbook()
    ws = wb.create_sheet("Hướng dẫn chấm")
    # Codes are shown whole (they are what a rule file says): their column fits the longest one.
    code = _code_width(c.id for _, c in cs.criteria())
    set_widths(ws, [6, code, 32, 6, 60 - code, 28, 28])
    print_setup(ws, "3:3")
    ws.freeze_panes = "A4"
    ws.append([cell(ws, cs.title, font=TITLE_FONT, border=False)])
    status = "bản mẫu, cần đối chiếu quyết định chính thức" if cs.status == "model" else "chính thức"
    ws.append([cell(ws, f"{cs.ref} — {status} — thang điểm {fmt(cs.scale)}", border=False)])
    ws.append(
        header_row(ws, ["Nhóm", "Mã tiêu chí", "Tiêu chí", "Điểm", "Cách chấm", "Ghi chú", "Nguồn / đề xuất"])
    )
    for index, group in enumerate(cs.groups, start=1):
        ws.append(
            [
                cell(ws, index, font=BOLD),
                cell(ws, group.id, font=BOLD),
                cell(ws, group.title, font=BOLD, alignment=WRAP),
                cell(ws, group.points, font=BOLD, number_format=POINTS),
                cell(ws, ""),
                cell(ws, ""),
                cell(ws, f"nguồn: {group.source.cite()}" if group.source else "", alignment=WRAP),
            ]
        )
        for c in group.criteria:
            ws.append(
                [
                    cell(ws, index),
                    cell(ws, c.id, alignment=SHRINK),
                    cell(ws, c.title, alignment=WRAP),
                    cell(ws, c.points, number_format=POINTS),
                    cell(ws, c.scorer.describe(c.method), alignment=WRAP),
                    cell(ws, _notes(c), alignment=WRAP),
                    cell(ws, _origin(c), alignment=WRAP),
                ]
            )
    ws2 = wb.create_sheet("Trường minh chứng")
    code = _code_width(d.id for d in cs.evidence)
    set_widths(ws2, [code, 48, 14, 10, 12, 8, 64 - code])
    print_setup(ws2)
    ws2.append(
        header_row(
            ws2,
            [
                "Mã trường",
                "Nội dung",
                "Kiểu",
                "Đơn vị",
                "Khoảng cho phép",
                "Bắt buộc",
                "Lựa chọn / hướng dẫn",
            ],
        )
    )
    for d in cs.evidence:
        span = d.range_text()
        extra = "; ".join(c.label for c in d.choices or []) or (d.help or "")
        ws2.append(
            [
                cell(ws2, d.id, alignment=SHRINK),
                cell(ws2, d.label, alignment=WRAP),
                cell(ws2, TYPE_LABELS[d.type]),
                cell(ws2, d.unit or ""),
                cell(ws2, span),
                cell(ws2, "Có" if d.required else "Không"),
                cell(ws2, extra, alignment=WRAP),
            ]
        )
    ws3 = wb.create_sheet("Điều kiện công nhận")
    set_widths(ws3, [100])
    print_setup(ws3, portrait=True)
    ws3.append(header_row(ws3, ["Đơn vị được công nhận đạt chuẩn khi:"]))
    for line in recognition_lines(cs):
        ws3.append([cell(ws3, line, alignment=WRAP)])
    for title, items in (("Điểm liệt", cs.disqualifiers), ("Yêu cầu hồ sơ", cs.recognition.requirements)):
        for item in items:
            ws3.append([cell(ws3, f"{title} — {item.title}: {_origin(item)}", alignment=WRAP)])
    for source in cs.sources:
        ws3.append([cell(ws3, f"Căn cứ: {source.cite()}", border=False)])
    ws3.append([cell(ws3, f"SHA-256 tệp tiêu chí: {sha256}", border=False)])
    page_marks(wb, "Hướng dẫn chấm", cs.ref, cs.status == "model")
    fastrows.finish(wb, handle)
