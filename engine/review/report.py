"""The re-check workbook the province works in: Tổng hợp, Sai lệch, Quyết định, Thông tin.

Quyết định has one row per unit with a drop-down for the decision and cells for its number, date
and reason; `cqtt decisions` reads it back. A hidden binding sheet names the file as a re-check,
with its criteria and the units it covers, so that decisions are checked against them.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule
from openpyxl.worksheet.datavalidation import DataValidation

from engine.intake.binding import BINDING_SHEET
from engine.outputs import fastrows
from engine.outputs.xlsxstyle import (
    AMBER,
    BOLD,
    GREEN,
    MODEL_MARK,
    RED,
    TITLE_FONT,
    WRAP,
    cell,
    header_row,
    last_cell,
    new_workbook,
    page_marks,
    print_setup,
    set_widths,
)
from engine.review.recheck import KIND_LABELS, Discrepancy, RecheckResult

EXACT = "0.00"  # a discrepancy of 0.05 must not disappear in a one-decimal format
DECISION_SHEET = "Quyết định"
DISCREPANCY_SHEET = "Sai lệch"
ROUNDING_SHEET = "Làm tròn"
DECISIONS = {"Công nhận": "recognised", "Không công nhận": "not_recognised", "Tạm hoãn": "deferred"}
DECISION_COLUMNS = [
    "Mã đơn vị",
    "Tên đơn vị",
    "Nhóm thẩm định",
    "Năm",
    "Điểm của tổ",
    "Kết quả của tổ",
    "Điểm phúc tra",
    "Kết quả phúc tra",
    "Số sai lệch",
    "Sửa tay",
    "Quyết định",
    "Số quyết định",
    "Ngày quyết định",
    "Lý do",
]


def _result(value: Any) -> str:
    if value is True:
        return "Đạt chuẩn"
    if value is False:
        return "Chưa đạt"
    return "" if value is None else str(value)


def _value(value: Any) -> Any:
    if isinstance(value, bool):
        return _result(value)
    return value


def write_recheck(handle: BinaryIO, result: RecheckResult) -> None:
    wb = new_workbook()
    _summary(wb, result)
    _discrepancies(wb, result)
    _decisions(wb, result)
    _info(wb, result)
    bind = wb.create_sheet(BINDING_SHEET)
    bind.sheet_state = "hidden"
    for key, value in [
        ("kind", "recheck"),
        ("schema_version", str(result.schema_version)),
        ("criteria", result.criteria.id),
        ("version", result.criteria.version),
        ("sha256", result.criteria.sha256),
        ("team_sha256", result.team_file["sha256"]),
        ("sheet.decisions", DECISION_SHEET),
    ]:
        bind.append([key, value])
    bind.append([])
    # what a decision on each unit is checked against (engine.review.decisions)
    bind.append(["unit", "year", "province_total", "province_recognised", "disqualified", "field_checked"])
    for u in result.units:
        bind.append(
            [u.code, u.year, u.province_total, u.province_recognised, u.disqualified, u.field_checked]
        )
    c = result.criteria
    names = [g.group for g in result.groups]
    scope = ", ".join(names) if len(names) <= 2 else f"{len(names)} nhóm thẩm định"
    page_marks(wb, "Kết quả phúc tra", f"{c.id}@{c.version}", c.status == "model", scope, result.generated_at)
    fastrows.finish(wb, handle, result.generated_at)


def _summary(wb: Workbook, r: RecheckResult) -> None:
    ws = wb.create_sheet("Tổng hợp")
    set_widths(ws, [36, 11, 16, 18, 12])
    print_setup(ws, "4:4")
    changed = sum(g.recognition_changed for g in r.groups)
    c = r.criteria
    model = f" — {MODEL_MARK}" if c.status == "model" else ""
    ws.append([cell(ws, f"Kết quả phúc tra theo {c.id}@{c.version}{model}", font=TITLE_FONT, border=False)])
    ws.append(
        [
            cell(
                ws,
                f"{len(r.discrepancies)} sai lệch ở "
                f"{sum(1 for u in r.units if u.discrepancies)}/{len(r.units)} "
                f"đơn vị; {changed} đơn vị đổi kết quả công nhận; {r.seal.units_edited} đơn vị bị sửa tay",
                font=BOLD,
                border=False,
            )
        ]
    )
    ws.append([])
    ws.append(
        header_row(
            ws, ["Nhóm thẩm định", "Số đơn vị", "Đơn vị có sai lệch", "Đổi kết quả công nhận", "Sửa tay"]
        )
    )
    for g in r.groups:
        ws.append(
            [
                cell(ws, g.group),
                cell(ws, g.units),
                cell(ws, g.with_discrepancies, fill=AMBER if g.with_discrepancies else None),
                cell(ws, g.recognition_changed, fill=RED if g.recognition_changed else None),
                cell(ws, g.hand_edited, fill=RED if g.hand_edited else None),
            ]
        )
    ws.append(
        [
            cell(ws, "Toàn tỉnh", font=BOLD),
            cell(ws, sum(g.units for g in r.groups), font=BOLD),
            cell(ws, sum(g.with_discrepancies for g in r.groups), font=BOLD),
            cell(ws, changed, font=BOLD),
            cell(ws, sum(g.hand_edited for g in r.groups), font=BOLD),
        ]
    )
    ws.append([])
    if r.rank_shifts:
        shifted = (
            f"{len(r.rank_shifts)} đơn vị chỉ đổi hạng vì đơn vị khác đổi điểm: không tính là sai lệch của "
            "tổ (sheet “Sai lệch” liệt kê trước các đơn vị đổi kết quả công nhận, rồi đơn vị đổi tổng điểm)."
        )
        ws.append([cell(ws, shifted, border=False)])
    if r.rounding:
        ws.append(
            [
                cell(
                    ws,
                    rounding_note(r) + f" Số chênh lệch: {len(r.rounding)} (sheet “{ROUNDING_SHEET}”).",
                    border=False,
                )
            ]
        )
    ws.append([cell(ws, "Sai lệch theo loại", font=BOLD, border=False)])
    ws.append(header_row(ws, ["Loại sai lệch", "Số lượng"]))
    for kind, label in KIND_LABELS.items():
        n = sum(1 for d in r.discrepancies if d.kind == kind)
        if n:
            ws.append([cell(ws, label), cell(ws, n)])


def _discrepancies(wb: Workbook, r: RecheckResult) -> None:
    _discrepancy_sheet(wb, DISCREPANCY_SHEET, r.discrepancies)
    if r.rounding:
        _discrepancy_sheet(wb, ROUNDING_SHEET, r.rounding, rounding_note(r))


def rounding_note(r: RecheckResult) -> str:
    """Why the rows of the Làm tròn sheet are not discrepancies."""
    return (
        f"Chênh lệch do cách làm tròn đã sửa ở phiên bản {r.rounding_fixed_in}: sổ của tổ do "
        f"{r.team_tool} ghi, khi điểm tuyến tính còn tính bằng số nhị phân rồi mới làm tròn (4,825 "
        "thành 4,82). Chấm lại bằng cách tính của phiên bản đó cho đúng các giá trị này, nên chúng "
        "không phải sai lệch hay sửa tay."
    )


def _discrepancy_sheet(wb: Workbook, title: str, found: list[Discrepancy], note: str | None = None) -> None:
    ws = wb.create_sheet(title)
    set_widths(ws, [7, 18, 15, 24, 46, 11, 11, 9, 16])
    ws.freeze_panes = "C2"
    print_setup(ws)
    columns = [
        "Mã đơn vị",
        "Tên đơn vị",
        "Nhóm thẩm định",
        "Loại sai lệch",
        "Nội dung",
        "Giá trị của tổ",
        "Giá trị phúc tra",
        "Chênh lệch",
        "Vị trí trong sổ của tổ",
    ]
    if note:
        ws.append([cell(ws, note, alignment=WRAP, font=BOLD, border=False)])
    ws.append(header_row(ws, columns))
    severe = {"hand_edit", "recognition", "unit_added", "unit_missing", "file_hash"}
    for d in found:
        ws.append(
            [
                cell(ws, d.unit),
                cell(ws, d.name),
                cell(ws, d.group),
                cell(ws, KIND_LABELS[d.kind], fill=RED if d.kind in severe else None),
                cell(ws, d.label),
                cell(ws, _value(d.team), number_format=EXACT if isinstance(d.team, float) else None),
                cell(ws, _value(d.province), number_format=EXACT if isinstance(d.province, float) else None),
                cell(ws, d.difference, number_format=EXACT),
                cell(ws, d.where),
            ]
        )
    top = 2 if note else 1
    ws.auto_filter.ref = f"A{top}:{last_cell(len(columns), len(found) + top)}"


def _decisions(wb: Workbook, r: RecheckResult) -> None:
    ws = wb.create_sheet(DECISION_SHEET)
    set_widths(ws, [7, 18, 15, 6, 8, 10, 8, 10, 8, 7, 13, 12, 11, 24])
    ws.freeze_panes = "C2"
    print_setup(ws)
    ws.append(header_row(ws, DECISION_COLUMNS))
    for u in r.units:
        edited = "Có" if u.hand_edited else "Không"
        ws.append(
            [
                cell(ws, u.code),
                cell(ws, u.name),
                cell(ws, u.group),
                cell(ws, u.year),
                cell(ws, u.team_total, number_format=EXACT),
                cell(ws, _result(u.team_recognised)),
                cell(ws, u.province_total, number_format=EXACT),
                cell(ws, _result(u.province_recognised)),
                cell(ws, u.discrepancies, fill=AMBER if u.discrepancies else None),
                cell(ws, edited, fill=RED if u.hand_edited else None),
                cell(ws, None),
                cell(ws, None),
                cell(ws, None, number_format="DD/MM/YYYY"),
                cell(ws, None, alignment=WRAP),
            ]
        )
    rows = len(r.units) + 1
    ws.auto_filter.ref = f"A1:{last_cell(len(DECISION_COLUMNS), rows)}"
    if r.units:
        dv = DataValidation(type="list", formula1='"' + ",".join(DECISIONS) + '"', allow_blank=True)
        dv.promptTitle, dv.prompt = "Quyết định", "Chọn Công nhận, Không công nhận hoặc Tạm hoãn."
        dv.errorTitle, dv.error = "Giá trị không hợp lệ", "Chỉ chọn một mục trong danh sách."
        dv.showInputMessage = dv.showErrorMessage = True
        dv.add(f"K2:K{rows}")
        ws.data_validations.append(dv)
        date = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True)
        date.prompt, date.error = "Ngày quyết định, ví dụ 15/12/2024.", "Cần một ngày hợp lệ."
        date.showInputMessage = date.showErrorMessage = True
        date.add(f"M2:M{rows}")
        ws.data_validations.append(date)
        for text, fill in (("Đạt chuẩn", GREEN), ("Chưa đạt", RED)):
            ws.conditional_formatting.add(
                f"F2:F{rows}", CellIsRule(operator="equal", formula=[f'"{text}"'], fill=fill)
            )
            ws.conditional_formatting.add(
                f"H2:H{rows}", CellIsRule(operator="equal", formula=[f'"{text}"'], fill=fill)
            )


def _info(wb: Workbook, r: RecheckResult) -> None:
    ws = wb.create_sheet("Thông tin")
    set_widths(ws, [26, 72])
    print_setup(ws, portrait=True)
    ws.append(header_row(ws, ["Mục", "Giá trị"]))
    seal = r.seal
    if not seal.present:
        seal_text = (
            "niêm phong đã bị xóa (sheet ẩn _cqtt); sửa tay không kiểm tra được"
            if seal.deleted
            else "không có (sổ ghi trước định dạng phiên bản 2)"
        )
    else:
        seal_text = (
            f"có; kiểm {seal.units_checked} đơn vị, {seal.units_edited} đơn vị bị sửa tay; "
            f"bảng niêm phong {'nguyên vẹn' if seal.run_seal_ok else 'đã bị sửa'}"
        )
        if seal.parts_unchecked:
            seal_text += "; không kiểm được phần: " + ", ".join(seal.parts_unchecked)
    rows: list[tuple[str, str]] = [
        ("Sổ kết quả của tổ", r.team_file["file"]),
        ("SHA-256 sổ của tổ", r.team_file["sha256"]),
        ("Định dạng sổ của tổ", f"phiên bản {r.team_schema_version}"),
        ("Phiên bản công cụ ghi sổ của tổ", r.team_tool or "(sổ không ghi)"),
        ("Bộ tiêu chí", f"{r.criteria.id}@{r.criteria.version} — {r.criteria.title}"),
        ("SHA-256 tệp tiêu chí", r.criteria.sha256),
        ("Minh chứng dùng để chấm lại", r.evidence_from),
        *[(f"SHA-256 {e['file']}", e["sha256"]) for e in r.evidence],
        ("Niêm phong", seal_text),
        *(
            [("Sổ kiểm tra thực địa", f"{r.field_file['file']} (sha256 {r.field_file['sha256']})")]
            if r.field_file
            else []
        ),
        *[("Không tìm thấy", text) for text in r.not_found],
        ("Phiên bản công cụ", r.tool),
        ("Thời điểm chạy", r.generated_at),
        (
            "Lưu ý",
            "Niêm phong chỉ cho thấy sổ bị sửa sau khi ghi, không chống được người cố ý làm giả: "
            "chấm lại từ minh chứng mới là phép kiểm tra.",
        ),
    ]
    for label, value in rows:
        ws.append([cell(ws, label, font=BOLD), cell(ws, value, alignment=WRAP)])
