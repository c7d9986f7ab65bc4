"""`cqtt criteria diff` for tools and for print: the same comparison as JSON and as a workbook.

The workbook has the set's changes, the evidence fields a version needs that the files lack, the
units whose result changes with the reasons on each side, and each criterion's effect (how many
units gain or lose points on it).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, BinaryIO

from openpyxl import Workbook

from engine.outputs import fastrows
from engine.outputs.xlsxstyle import (
    BOLD,
    GREEN,
    POINTS,
    RED,
    TITLE_FONT,
    WRAP,
    cell,
    header_row,
    new_workbook,
    page_marks,
    print_setup,
    set_widths,
)

if TYPE_CHECKING:
    from engine.scoring.compare import DiffOutcome

DIFF_SCHEMA = 1


def _status(value: bool | None) -> str:
    return "-" if value is None else ("Đạt" if value else "Chưa đạt")


def diff_data(outcome: DiffOutcome) -> dict[str, Any]:
    """The comparison as plain data (the JSON `cqtt criteria diff --json` writes)."""
    d = outcome.diff
    data: dict[str, Any] = {
        "kind": "criteria_diff",
        "schema_version": DIFF_SCHEMA,
        "old": {"ref": d.old, "sha256": outcome.sha256[0]},
        "new": {"ref": d.new, "sha256": outcome.sha256[1]},
        "changes": [asdict(c) for c in d.changes],
    }
    if outcome.units is not None:
        data["evidence"] = outcome.evidence
        data["units_scored"] = outcome.scored
        data["missing_fields"] = {
            d.old: [asdict(m) for m in outcome.missing[0]],
            d.new: [asdict(m) for m in outcome.missing[1]],
        }
        data["units"] = [
            {**asdict(u), "delta": round(u.delta, 4), "status_changed": u.status_changed}
            for u in outcome.units
        ]
        data["criteria"] = [asdict(e) | {"points_change": round(e.points_change, 4)} for e in outcome.effects]
        if outcome.eligible:
            data["eligible"] = {
                side: {"recognisable": a, "units": n, "target_share": target, "meets_target": met}
                for side, (a, n, target, met) in zip(("old", "new"), outcome.eligible, strict=True)
            }
    return data


def write_diff_json(handle: BinaryIO, outcome: DiffOutcome) -> None:
    handle.write(json.dumps(diff_data(outcome), ensure_ascii=False, indent=1).encode())


def _marks(wb: Workbook, outcome: DiffOutcome) -> None:
    d = outcome.diff
    page_marks(wb, f"So sánh {d.old} → {d.new}", f"{d.old} → {d.new}", any(outcome.models))


def write_diff_workbook(handle: BinaryIO, outcome: DiffOutcome) -> None:
    d = outcome.diff
    wb = new_workbook()
    ws = wb.create_sheet("Thay đổi bộ tiêu chí")
    set_widths(ws, [6, 34, 90, 26])
    print_setup(ws, "3:3")
    ws.append([cell(ws, f"So sánh {d.old} → {d.new}", font=TITLE_FONT, border=False)])
    effect = ""
    if outcome.eligible:
        (a, n, _, _), (b, _, _, _) = outcome.eligible
        effect = f"; đủ điều kiện công nhận {a}/{n} theo {d.old} → {b}/{n} theo {d.new}"
    ws.append([cell(ws, f"{len(d.changes)} thay đổi{effect}", border=False)])
    ws.append(header_row(ws, ["Loại", "Mục", "Thay đổi", "Mã trong tệp tiêu chí"]))
    kinds = {"added": "Thêm", "removed": "Bỏ", "renamed": "Đổi tên", "changed": "Sửa"}
    for c in d.changes:
        ws.append(
            [
                cell(ws, kinds[c.kind]),
                cell(ws, c.label or c.what, alignment=WRAP),
                cell(ws, c.detail, alignment=WRAP),
                cell(ws, c.what),
            ]
        )
    if outcome.units is None:
        _marks(wb, outcome)
        fastrows.finish(wb, handle)
        return
    ws = wb.create_sheet("Thiếu minh chứng")
    set_widths(ws, [18, 30, 70, 16])
    print_setup(ws)
    ws.append(header_row(ws, ["Phiên bản", "Mã trường", "Nội dung", "Số đơn vị bị chặn"]))
    for ref, fields in ((d.old, outcome.missing[0]), (d.new, outcome.missing[1])):
        for m in fields:
            ws.append(
                [cell(ws, ref), cell(ws, m.id), cell(ws, m.label, alignment=WRAP), cell(ws, m.units_blocked)]
            )
    ws = wb.create_sheet("Đơn vị thay đổi")
    set_widths(ws, [7, 18, 14, 7, 7, 7, 9, 9, 27, 27, 27])
    print_setup(ws)
    ws.freeze_panes = "C2"
    ws.append(
        header_row(
            ws,
            [
                "Mã đơn vị",
                "Tên đơn vị",
                "Nhóm thẩm định",
                f"Tổng điểm {d.old}",
                f"Tổng điểm {d.new}",
                "Chênh lệch",
                f"Kết quả {d.old}",
                f"Kết quả {d.new}",
                f"Lý do chưa đạt theo {d.old}",
                f"Lý do chưa đạt theo {d.new}",
                "Tiêu chí đổi điểm nhiều nhất",
            ],
        )
    )
    for u in outcome.units:
        moved = "; ".join(
            f"{m.id}: {'-' if m.old is None else f'{m.old:g}'} → {'-' if m.new is None else f'{m.new:g}'}"
            for m in u.moved[:5]
        )
        ws.append(
            [
                cell(ws, u.code),
                cell(ws, u.name),
                cell(ws, u.group),
                cell(ws, u.old_total, number_format=POINTS),
                cell(ws, u.new_total, number_format=POINTS),
                cell(ws, round(u.delta, 2), number_format="+0.0;-0.0;0.0", font=BOLD),
                cell(ws, _status(u.old_recognised), fill=GREEN if u.old_recognised else RED),
                cell(ws, _status(u.new_recognised), fill=GREEN if u.new_recognised else RED),
                cell(ws, "; ".join(u.old_reasons), alignment=WRAP),
                cell(ws, "; ".join(u.new_reasons), alignment=WRAP),
                cell(ws, moved, alignment=WRAP),
            ]
        )
    ws = wb.create_sheet("Theo tiêu chí")
    set_widths(ws, [28, 50, 10, 10, 12, 12, 14])
    print_setup(ws)
    ws.append(
        header_row(
            ws,
            [
                "Mã tiêu chí",
                "Tiêu chí",
                f"Có trong {d.old}",
                f"Có trong {d.new}",
                "Số đơn vị được thêm điểm",
                "Số đơn vị bị bớt điểm",
                "Tổng điểm thay đổi",
            ],
        )
    )
    for e in outcome.effects:
        ws.append(
            [
                cell(ws, e.id),
                cell(ws, e.title, alignment=WRAP),
                cell(ws, "Có" if e.in_old else "Không"),
                cell(ws, "Có" if e.in_new else "Không"),
                cell(ws, e.units_gain),
                cell(ws, e.units_lose),
                cell(ws, round(e.points_change, 2), number_format="+0.0;-0.0;0.0"),
            ]
        )
    _marks(wb, outcome)
    fastrows.finish(wb, handle)
