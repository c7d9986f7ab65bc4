"""The tallies `cqtt survey tally` writes: a print-ready workbook and a CSV to merge into evidence.

Workbook: “Kiểm đếm” (per unit, each form's satisfied/total, ready to copy into the evidence),
one sheet per form (the province's distribution over levels for each question, with a chart, then
each unit's), “Vấn đề” (every problem with file, row and column) and the hidden binding sheet.
The CSV has the unit code and one column per survey field, the way `cqtt score` reads it beside the
evidence file.
"""

from __future__ import annotations

from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference

from engine.intake.binding import BINDING_SHEET
from engine.outputs import fastrows
from engine.outputs.excelcsv import AsText, excel_csv
from engine.outputs.xlsxstyle import (
    AMBER,
    BOLD,
    PERCENT,
    TITLE_FONT,
    WRAP,
    cell,
    header_row,
    new_workbook,
    page_marks,
    print_setup,
    set_widths,
    sheet_title,
)
from engine.rules.model import SurveyForm
from engine.scoring.tally import TallyResult
from engine.text import percent

TALLY_SHEET = "Kiểm đếm"
PROBLEM_SHEET = "Vấn đề"
MARKER = "kiem_dem"  # the CSV column that marks a tallies file (value: the criteria ref)
KINDS = {
    "unknown_form": "Mẫu phiếu không rõ",
    "unknown_unit": "Mã đơn vị không rõ",
    "bad_answer": "Câu trả lời ngoài các mức",
    "missing_answer": "Thiếu câu trả lời",
    "bad_time": "Thời điểm không đọc được",
    "outside_year": "Ngoài năm đánh giá",
    "duplicate": "Người trả lời trùng",
    "burst": "Loạt phiếu giống nhau",
    "below_minimum": "Dưới số phiếu tối thiểu",
    "no_header": "Tệp không có bảng",
    "hidden_sheet": "Sheet đang ẩn",
}


def write_tallies_csv(handle: BinaryIO, result: TallyResult) -> None:
    """The tallies as `cqtt score` reads them beside the evidence, and as Excel opens them by a
    double-click: a BOM, codes and "452/500" kept as text (not a number without its zero, not a
    date)."""
    fields = [f.evidence for f in result.forms]
    rows: list[list[object]] = [["ma_don_vi", *fields, MARKER]]
    ref = f"{result.criteria['criteria']}@{result.criteria['version']}"
    for unit in result.units():
        row: list[object] = [AsText(unit)]
        for form in result.forms:
            t = result.tallies.get((unit, form.id))
            row.append(AsText(t.text) if t else "")
        rows.append([*row, ref])
    handle.write(excel_csv(rows))


def write_tallies(handle: BinaryIO, result: TallyResult) -> None:
    wb = new_workbook()
    below = {p.unit for p in result.problems if p.kind == "below_minimum"}
    ws = wb.create_sheet(TALLY_SHEET)
    forms = result.forms
    set_widths(ws, [7, 20, *([12] * len(forms)), 24])
    print_setup(ws)
    ws.freeze_panes = "C2"
    ws.append(
        header_row(
            ws,
            ["Mã đơn vị", "Tên đơn vị", *(f"{f.id.upper()} [{f.evidence}]" for f in forms), "Ghi chú"],
        )
    )
    for unit in result.units():
        cells = [cell(ws, unit), cell(ws, result.names.get(unit, ""))]
        for form in forms:
            t = result.tallies.get((unit, form.id))
            cells.append(cell(ws, t.text if t else None))
        note = "dưới số phiếu tối thiểu" if unit in below else ""
        cells.append(cell(ws, note, fill=AMBER if note else None))
        ws.append(cells)
    taken = {TALLY_SHEET, PROBLEM_SHEET, BINDING_SHEET}
    for form in forms:
        _form_sheet(wb, result, form, sheet_title(form.id.upper(), taken))
        taken.add(form.id.upper())
    _problem_sheet(wb, result)
    ref = f"{result.criteria['criteria']}@{result.criteria['version']}"
    page_marks(wb, "Sổ kiểm đếm phiếu khảo sát", ref, result.model, f"{len(result.units())} đơn vị")
    binding = wb.create_sheet(BINDING_SHEET)
    for key, value in (("kind", "tallies"), *result.criteria.items()):
        binding.append([key, value])
    binding.sheet_state = "hidden"
    fastrows.finish(wb, handle)


def _form_sheet(wb: Workbook, result: TallyResult, form: SurveyForm, title: str) -> None:
    ws = wb.create_sheet(title)
    levels = form.levels
    answers = len(levels) * len(form.questions)
    # Column A holds the questions of the summary above and the codes of the table below.
    narrow = 5 if answers > 15 else 7
    set_widths(ws, [16, 16, 7, 7, 8, *([narrow] * max(answers, len(levels)))])
    print_setup(ws, None, fit_width=True)
    ws.append([cell(ws, form.label, font=TITLE_FONT, border=False)])
    units = [t for (u, f), t in sorted(result.tallies.items()) if f == form.id]
    total = sum(t.total for t in units)
    happy = sum(t.satisfied for t in units)
    share = percent(happy / total) if total else "-"
    ws.append([cell(ws, f"Toàn tỉnh: {total} phiếu, {happy} hài lòng ({share})", border=False)])
    ws.append(header_row(ws, ["Câu hỏi", *levels]))
    for q in form.questions:
        counts = [sum(t.levels[q.id][i] for t in units) for i in range(len(levels))]
        ws.append([cell(ws, q.label, alignment=WRAP), *(cell(ws, n) for n in counts)])
    last = 3 + len(form.questions)
    if units:
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "percentStacked"
        chart.overlap = 100
        chart.title = f"{form.id.upper()}: phân bố câu trả lời"
        data = Reference(ws, min_col=2, max_col=1 + len(levels), min_row=3, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=4, max_row=last))
        chart.height = max(7.0, 1.0 * len(form.questions) + 3)
        chart.width = 18
        ws.add_chart(chart, f"A{last + 3}")
        rows_under_chart = int(chart.height / 0.5) + 2  # rows of 15 pt are about 0.5 cm
    else:
        rows_under_chart = 0
    for _ in range(rows_under_chart + 2):
        ws.append([])
    # One row per unit, the counts of each question's levels side by side: the province's units
    # print in a few pages, each unit's answers on one line; filterable in Excel.
    ws.append(
        header_row(
            ws,
            [
                "Mã đơn vị",
                "Tên đơn vị",
                "Số phiếu",
                "Hài lòng",
                "Tỷ lệ hài lòng",
                *(f"{q.label}: {level}" for q in form.questions for level in levels),
            ],
        )
    )
    for t in units:
        unit_share = t.satisfied / t.total if t.total else None
        ws.append(
            [
                cell(ws, t.unit),
                cell(ws, result.names.get(t.unit, ""), alignment=WRAP),
                cell(ws, t.total),
                cell(ws, t.satisfied, font=BOLD),
                cell(ws, unit_share, number_format=PERCENT),
                *(cell(ws, n) for q in form.questions for n in t.levels[q.id]),
            ]
        )


def _problem_sheet(wb: Workbook, result: TallyResult) -> None:
    ws = wb.create_sheet(PROBLEM_SHEET)
    set_widths(ws, [16, 22, 11, 7, 24, 12, 8, 8, 50])
    print_setup(ws)
    ws.append(
        header_row(
            ws, ["Loại", "Tệp", "Sheet", "Dòng", "Cột", "Giá trị", "Mã đơn vị", "Mẫu phiếu", "Nội dung"]
        )
    )
    for p in result.problems:
        ws.append(
            [
                cell(ws, KINDS.get(p.kind, p.kind)),
                cell(ws, p.file or ""),
                cell(ws, p.sheet or ""),
                cell(ws, p.row),
                cell(ws, p.column or ""),
                cell(ws, None if p.value is None else str(p.value)),
                cell(ws, p.unit or ""),
                cell(ws, p.form or ""),
                cell(ws, p.message, alignment=WRAP),
            ]
        )
