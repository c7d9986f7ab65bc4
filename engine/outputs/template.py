"""Write the evidence template a commune or appraisal team fills in, generated from the rule file.

Sheets: "Hướng dẫn" (instructions and the list of fields), "Nhập liệu" (one row per unit, one column
per evidence field grouped under its criterion group, with dropdowns, ranges and Vietnamese input
and error messages; header rows frozen and locked), and a hidden sheet "_cqtt" that binds the file
to its criteria set, version and file hash so that scoring it against another version warns.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.styles import PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from engine.intake.binding import BINDING_SHEET
from engine.intake.cells import dropdown_label
from engine.intake.evidence import FIXED_LABELS, self_score_column
from engine.intake.units import UnitRow
from engine.outputs import fastrows
from engine.outputs.output import run_time
from engine.outputs.xlsxstyle import (
    BOLD,
    CENTER,
    HEADER_FILL,
    HEADER_FONT,
    SHRINK,
    TITLE_FONT,
    WRAP,
    cell,
    font,
    new_workbook,
    page_marks,
    print_setup,
    set_widths,
)
from engine.rules.declarations import TYPE_LABELS, EvidenceDecl
from engine.rules.loader import LoadedCriteria
from engine.text import fmt

ENTRY_SHEET = "Nhập liệu"
BLANK_ROWS = 300
GROUP_FILLS = ["DDEBF7", "E2EFDA", "FFF2CC", "FCE4D6", "EDE2F6", "D9E1F2", "FFE699", "C6E0B4"]
UNLOCKED = Protection(locked=False)
ID_FONT = font(size=8, color="808080")


def validation_for(decl: EvidenceDecl) -> DataValidation:
    """Excel data validation for one evidence column, with Vietnamese messages."""
    title = decl.label[:32]
    if decl.type == "yes_no":
        dv = DataValidation(type="list", formula1='"Có,Không"', allow_blank=True)
        prompt, error = "Chọn Có hoặc Không.", "Chỉ nhận “Có” hoặc “Không”."
    elif decl.type == "choice":
        labels = ",".join(dropdown_label(c.label) for c in decl.choices or [])
        dv = DataValidation(type="list", formula1=f'"{labels[:250]}"', allow_blank=True)
        prompt, error = "Chọn một mục trong danh sách.", "Giá trị không có trong danh sách."
    elif decl.type == "percent":
        low, high = (decl.low or 0) / 100, (decl.high if decl.high is not None else 100) / 100
        dv = DataValidation(
            type="decimal", operator="between", formula1=str(low), formula2=str(high), allow_blank=True
        )
        prompt = f"Tỷ lệ %, ví dụ 95%. Từ {fmt(low * 100)}% đến {fmt(high * 100)}%."
        error = f"Tỷ lệ phải từ {fmt(low * 100)}% đến {fmt(high * 100)}%."
    elif decl.type in ("number", "count"):
        kind = "whole" if decl.type == "count" else "decimal"
        low = decl.low if decl.low is not None else -1e12
        high = decl.high if decl.high is not None else 1e12
        dv = DataValidation(
            type=kind, operator="between", formula1=str(low), formula2=str(high), allow_blank=True
        )
        word = "Số nguyên" if kind == "whole" else "Số"
        unit = f" ({decl.unit})" if decl.unit else ""
        span = f" từ {fmt(low)} đến {fmt(high)}" if decl.low is not None or decl.high is not None else ""
        prompt, error = f"{word}{unit}{span}.", f"{word} không hợp lệ: cần{span or ' một số'}."
    elif decl.type == "items":
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="1000", allow_blank=True)
        choices = "; ".join(c.label for c in decl.choices or [])
        prompt = f"Ghi các mục có, cách nhau bằng dấu “;”: {choices}"[:255]
        error = "Nội dung quá dài."
    else:  # survey
        dv = DataValidation(type="textLength", operator="lessThanOrEqual", formula1="30", allow_blank=True)
        prompt, error = (
            "Số phiếu hài lòng/tổng số phiếu, ví dụ 452/500.",
            "Ghi dạng số phiếu hài lòng/tổng số phiếu.",
        )
    dv.promptTitle, dv.prompt = title, prompt[:255]
    dv.errorTitle, dv.error = "Giá trị không hợp lệ", error[:225]
    dv.showInputMessage = dv.showErrorMessage = True
    dv.errorStyle = "stop"
    return dv


def _columns(loaded: LoadedCriteria) -> list[tuple[str, str, str, int | None, Any]]:
    """(id, heading, group band title, group index or None, decl or kind) for every column."""
    cs = loaded.model
    fixed = [
        ("ma_don_vi", FIXED_LABELS["ma_don_vi"]),
        ("ten_don_vi", FIXED_LABELS["ten_don_vi"]),
        ("nhom_tham_dinh", FIXED_LABELS["nhom_tham_dinh"]),
        ("nam", FIXED_LABELS["nam"]),
        ("de_nghi", FIXED_LABELS["de_nghi"]),
        ("tu_cham", FIXED_LABELS["tu_cham"]),
    ]
    cols: list[tuple[str, str, str, int | None, Any]] = [
        (key, label, "Thông tin đơn vị", None, key) for key, label in fixed
    ]
    for index, group in enumerate(cs.groups, start=1):
        cols.append(
            (
                self_score_column(group.id),
                f"Tự chấm nhóm {index}",
                "Tự chấm theo nhóm",
                None,
                ("self", group.points),
            )
        )
    placed: set[str] = set()
    evidence = cs.evidence_by_id()
    for index, group in enumerate(cs.groups, start=1):
        for c in group.criteria:
            for eid in sorted(c.evidence_read(), key=lambda e: list(evidence).index(e)):
                if eid in placed:
                    continue
                placed.add(eid)
                cols.append(
                    (eid, evidence[eid].heading(), f"Nhóm {index}: {group.title}", index, evidence[eid])
                )
    rest = [d for d in cs.evidence if d.id not in placed]
    for d in rest:
        cols.append((d.id, d.heading(), "Hồ sơ và điều kiện khác", 0, d))
    cols.append(("ghi_chu", FIXED_LABELS["ghi_chu"] + " (nơi lưu minh chứng)", "", None, "ghi_chu"))
    return cols


def write_template(
    handle: BinaryIO,
    loaded: LoadedCriteria,
    units: list[UnitRow],
    year: int | None,
    filled: dict[str, dict[str, Any]] | None = None,
) -> None:
    """The evidence template for `units`; with `filled` (unit code -> column -> value), the rows
    of those units carry their values, as a team would have typed them."""
    cs = loaded.model
    cols = _columns(loaded)
    wb = new_workbook()
    _instructions(wb, loaded, cols)
    ws = wb.create_sheet(ENTRY_SHEET)
    widths = [11, 26, 22, 7, 11, 10] + [9] * len(cs.groups)
    widths += [16 if isinstance(c[4], EvidenceDecl) else 30 for c in cols[len(widths) :]]
    set_widths(ws, widths)
    ws.freeze_panes = "C4"
    print_setup(ws, "1:3", fit_width=False)  # dozens of columns: print across pages
    band_row, label_row, id_row = [], [], []
    for index, (cid, heading, band, gindex, _kind) in enumerate(cols):
        color = GROUP_FILLS[(gindex - 1) % len(GROUP_FILLS)] if gindex else "D9D9D9"
        fill = PatternFill("solid", fgColor=color)
        show_band = index == 0 or cols[index - 1][2] != band
        band_row.append(cell(ws, band if show_band else "", font=BOLD, fill=fill))
        label_row.append(cell(ws, heading, font=HEADER_FONT, fill=HEADER_FILL, alignment=CENTER))
        id_row.append(cell(ws, cid, font=ID_FONT, fill=fill, alignment=SHRINK))
    ws.append(band_row)
    ws.append(label_row)
    ws.append(id_row)
    ws.row_dimensions[2].height = 75
    rows: list[UnitRow | None] = list(units) or [None] * BLANK_ROWS
    first, last = 4, 3 + len(rows)
    for unit in rows:
        values: dict[str, Any] = {}
        if unit is not None:
            values = {
                **(filled or {}).get(unit.code, {}),
                "ma_don_vi": unit.code,
                "ten_don_vi": unit.name,
                "nhom_tham_dinh": unit.group,
                "nam": year,
            }
        row = []
        for cid, _, _, _, kind in cols:
            fmt_ = "0.0%" if isinstance(kind, EvidenceDecl) and kind.type == "percent" else None
            c = cell(ws, values.get(cid), number_format=fmt_)
            c.protection = UNLOCKED
            row.append(c)
        ws.append(row)
    for index, (cid, _, _, _, kind) in enumerate(cols, start=1):
        letter = get_column_letter(index)
        dv: DataValidation | None = None
        if isinstance(kind, EvidenceDecl):
            dv = validation_for(kind)
        elif cid == "de_nghi":
            dv = DataValidation(type="list", formula1='"Có,Không"', allow_blank=True)
            dv.prompt, dv.error = "Đơn vị có được đề nghị công nhận không?", "Chọn Có hoặc Không."
        elif cid == "nam":
            dv = DataValidation(
                type="whole", operator="between", formula1="2000", formula2="2100", allow_blank=True
            )
            dv.prompt, dv.error = "Năm đánh giá, ví dụ 2024.", "Năm phải từ 2000 đến 2100."
        elif cid == "tu_cham" or (isinstance(kind, tuple) and kind[0] == "self"):
            top = cs.scale if cid == "tu_cham" else kind[1]
            dv = DataValidation(
                type="decimal", operator="between", formula1="0", formula2=str(top), allow_blank=True
            )
            dv.prompt = f"Điểm tự chấm, từ 0 đến {fmt(top)}."
            dv.error = f"Điểm tự chấm phải từ 0 đến {fmt(top)}."
        if dv is not None:
            dv.errorTitle = dv.errorTitle or "Giá trị không hợp lệ"
            dv.showInputMessage = dv.showErrorMessage = True
            dv.add(f"{letter}{first}:{letter}{last}")
            ws.data_validations.append(dv)
    protection = ws.protection
    protection.sheet = True
    for allowed in (
        "formatCells",
        "formatColumns",
        "formatRows",
        "sort",
        "autoFilter",
        "insertRows",
        "deleteRows",
    ):
        setattr(protection, allowed, False)
    bind = wb.create_sheet(BINDING_SHEET)
    bind.sheet_state = "hidden"
    generated = run_time()  # SOURCE_DATE_EPOCH makes it reproducible, as every output
    for key, value in [
        ("criteria", cs.id),
        ("version", cs.version),
        ("sha256", loaded.sha256),
        ("generated_at", generated),
        ("sheet", ENTRY_SHEET),
    ]:
        bind.append([cell(bind, key, border=False), cell(bind, value, border=False)])
    page_marks(wb, "Mẫu nhập minh chứng", cs.ref, cs.status == "model")
    fastrows.finish(wb, handle)


def _instructions(wb: Workbook, loaded: LoadedCriteria, cols: list[Any]) -> None:
    cs = loaded.model
    ws = wb.create_sheet("Hướng dẫn")
    set_widths(ws, [26, 48, 14, 10, 12, 8, 40])
    print_setup(ws, header_rows=None)
    lines = [
        f"Mẫu nhập minh chứng — {cs.title}",
        f"Bộ tiêu chí {cs.ref}"
        + (" (bản mẫu, cần đối chiếu quyết định chính thức)" if cs.status == "model" else ""),
        "",
        "Cách điền:",
        f"1. Mỗi dòng của sheet “{ENTRY_SHEET}” là một đơn vị cấp xã; không sửa 3 dòng tiêu đề, "
        "không đổi tên sheet.",
        "2. Tỷ lệ ghi dạng phần trăm (ví dụ 95%); câu hỏi có/không chọn “Có” hoặc “Không” từ danh "
        "sách; số thập phân dùng dấu phẩy (1234,5).",
        "3. Danh sách mục (trang thiết bị, văn bản hồ sơ): ghi các mục có, cách nhau bằng dấu "
        "chấm phẩy, đúng tên trong bảng dưới.",
        "4. Phiếu khảo sát: ghi “số phiếu hài lòng và rất hài lòng/tổng số phiếu”, ví dụ 452/500.",
        "5. Để trống ô không có số liệu; ô bắt buộc để trống sẽ bị cảnh báo khi chấm.",
        "6. “Đề nghị công nhận”: Có nếu đơn vị được đề nghị; “Tự chấm”: điểm trong bảng tự chấm "
        "(tổng và từng nhóm).",
        "7. Văn bản, ảnh minh chứng gốc lưu trong hồ sơ của đơn vị; ghi nơi lưu ở cột “Ghi chú”.",
        f"8. Chấm điểm: cqtt score <tệp này> --criteria {cs.ref} -o ket-qua.xlsx",
        "",
    ]
    for index, line in enumerate(lines):
        ws.append([cell(ws, line, font=TITLE_FONT if index == 0 else None, border=False)])
    ws.append(
        [
            cell(ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=CENTER)
            for h in [
                "Cột (mã trường)",
                "Nội dung",
                "Kiểu",
                "Đơn vị",
                "Khoảng cho phép",
                "Bắt buộc",
                "Lựa chọn / hướng dẫn",
            ]
        ]
    )
    for cid, _, _, _, kind in cols:
        if not isinstance(kind, EvidenceDecl):
            continue
        d = kind
        span = d.range_text()
        extra = "; ".join(c.label for c in d.choices or []) or (d.help or "")
        ws.append(
            [
                cell(ws, cid),
                cell(ws, d.label, alignment=WRAP),
                cell(ws, TYPE_LABELS[d.type]),
                cell(ws, d.unit or ""),
                cell(ws, span),
                cell(ws, "Có" if d.required else "Không"),
                cell(ws, extra, alignment=WRAP),
            ]
        )
