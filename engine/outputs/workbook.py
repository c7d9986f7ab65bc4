"""The ranked results workbook that appraisal teams and reviewers open, discuss and print.

Sheets, in order: Tổng hợp (summary per appraisal group with a chart), Xếp hạng (overall ranking),
one ranking sheet per appraisal group, Cảnh báo (flags by severity), Chi tiết (every unit x
criterion with its explanation), Minh chứng (evidence as read), Thông tin (provenance).
"""

from __future__ import annotations

import datetime as dt
import itertools
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.formatting.rule import CellIsRule

from engine.errors import OutputError
from engine.intake.binding import BINDING_SHEET
from engine.intake.evidence import FIXED_LABELS
from engine.intake.values import PERCENT_CELL, from_plain, to_cell
from engine.outputs import fastrows
from engine.outputs.xlsxstyle import (
    AMBER,
    BOLD,
    GREEN,
    MODEL_MARK,
    PERCENT,
    POINTS,
    RED,
    TITLE_FONT,
    WRAP,
    cell,
    header_row,
    last_cell,
    new_workbook,
    page_marks,
    plain,
    print_setup,
    set_widths,
    sheet_title,
    styled,
)
from engine.rules.model import CriteriaSet
from engine.scoring.flags import FLAG_LABELS, SEVERITY_WORDS, severity_word
from engine.scoring.ranked import by_group as groups_of
from engine.scoring.ranked import full_records, seals_by_code
from engine.scoring.results import PriorYears, RunResult, UnitResult
from engine.scoring.seal import PARTS
from engine.text import fixed, fmt, percent

# The sheets a re-check looks for, by role; recorded in the binding sheet as written.
RANKING_SHEET, FLAGS_SHEET, DETAIL_SHEET, EVIDENCE_SHEET, INFO_SHEET = (
    "Xếp hạng",
    "Cảnh báo",
    "Chi tiết",
    "Minh chứng",
    "Thông tin",
)
SHEETS = {
    "ranking": RANKING_SHEET,
    "flags": FLAGS_SHEET,
    "detail": DETAIL_SHEET,
    "evidence": EVIDENCE_SHEET,
    "info": INFO_SHEET,
}
UNIT_SEALS_HEADER = "unit"

RECOGNISED = "Đạt chuẩn"
NOT_RECOGNISED = "Chưa đạt"
YES, NO = "Có", "Không"


SIGNED_POINTS = "+0.00;-0.00;0.00"


def _previous_line(prior: PriorYears, share: float) -> str:
    """The recognised share against the year before, as the store knows it."""
    if prior.previous_share is None:
        return f"Năm {prior.year}: chưa có kết quả chấm trong cơ sở dữ liệu lịch sử"
    sign = "+" if share >= prior.previous_share else ""
    return (
        f"Năm {prior.year}: đủ điều kiện {percent(prior.previous_share)} ({prior.previous_recognisable}/"
        f"{prior.previous_units} đơn vị), đã công nhận {prior.previous_recognised}; năm nay {percent(share)} "
        f"({sign}{fixed((share - prior.previous_share) * 100)} điểm %)"
    )


def _decision(unit: UnitResult) -> str:
    return RECOGNISED if unit.recognised else NOT_RECOGNISED


def _ranking_columns(cs: CriteriaSet) -> list[str]:
    groups = [f"N{i}. {g.short or g.title[:30]} ({fmt(g.points)})" for i, g in enumerate(cs.groups, start=1)]
    return [
        "Hạng",
        "Mã đơn vị",
        "Tên đơn vị",
        "Nhóm thẩm định",
        "Tổng điểm",
        *groups,
        "Kết quả",
        "Đề nghị công nhận",
        "Tự chấm",
        "Chênh lệch (tự chấm − thẩm định)",
        "Số cảnh báo",
        "Lý do chưa đạt",
    ]


def _history_columns(prior: PriorYears | None, this: str = "") -> list[str]:
    """Columns from the history store, after the sealed ones (a re-check reads by heading and
    ignores them)."""
    if prior is None:
        return []
    y = prior.year
    sets = sorted({u.criteria for u in prior.units.values() if u.criteria and u.criteria != this})
    columns = [
        f"Tổng điểm năm {y}",
        f"Kết quả năm {y}",
        f"Thay đổi điểm (năm {y} theo {', '.join(sets)}, năm nay theo {this}: hai bộ khác nhau)"
        if sets
        else "Thay đổi điểm",
        "Lần đầu đủ điều kiện",
        f"Mất công nhận so với {y}",
    ]
    if any(u.withdrawal_candidate for u in prior.units.values()):
        columns.append("Xem xét thu hồi công nhận năm nay")
    return columns


def _history_cells(ws: Any, prior: PriorYears, unit: UnitResult, columns: int) -> list[Any]:
    p = prior.units.get(unit.code)
    if p is None:
        return [styled(ws, None) for _ in range(columns)]
    if p.decision is not None:
        standing = p.decision
    elif p.recognised is not None:
        standing = f"{RECOGNISED if p.recognised else NOT_RECOGNISED} (theo điểm, chưa có quyết định)"
    else:
        standing = "—"
    if len(p.codes) > 1:
        standing = f"sáp nhập từ {', '.join(p.codes)}"
    elif p.codes and p.codes[0] != unit.code:
        standing += f" (mã {p.codes[0]})"
    cells = [
        styled(ws, p.total, number_format=POINTS),
        styled(ws, standing, alignment=WRAP),
        styled(ws, p.change, number_format=SIGNED_POINTS),
        styled(ws, YES if p.first_recognition else None),
        styled(
            ws,
            (YES if p.decided_this_year else "Chưa đạt (chưa có quyết định năm nay)")
            if p.recognition_lost
            else None,
            alignment=WRAP,
        ),
    ]
    if columns > len(cells):
        cells.append(styled(ws, p.withdrawal_reason if p.withdrawal_candidate else None, alignment=WRAP))
    return cells


def _ranking_sheet(
    wb: Workbook,
    title: str,
    cs: CriteriaSet,
    units: Sequence[UnitResult],
    group_rank: bool,
    prior: PriorYears | None = None,
    announce: str | None = "",
) -> None:
    """A ranking, overall or of one assessment group; the rows are written when the workbook is
    saved (engine.outputs.fastrows)."""
    ws = wb.create_sheet(title)
    extra = _history_columns(prior, cs.ref)
    columns = _ranking_columns(cs) + extra
    n_groups = len(cs.groups)
    history_widths = [9, 18, 8, 9, 10, 30][: len(extra)]
    # Narrow enough to print on one A4 width at 85% or more (text at 8.5 pt at least); with the
    # history columns the sheet prints in strips, code and name repeated on each.
    set_widths(ws, [6, 7, 18, 15, 7, *([6.5] * n_groups), 10, 7, 7, 8, 6, 34, *history_widths])
    ws.freeze_panes = "D2"
    print_setup(ws, fit_width=not extra, title_columns=None if not extra else "A:C")
    ws.append(header_row(ws, columns))
    for number_format, font, alignment in (
        (None, None, None),
        (POINTS, BOLD, None),
        (POINTS, None, None),
        (None, None, WRAP),
        (SIGNED_POINTS, None, None),
    ):
        styled(ws, None, number_format=number_format, font=font, alignment=alignment)  # registered now

    def body() -> Iterator[list[Any]]:
        for unit in units:
            diff = None if unit.self_score is None else round(unit.self_score - unit.total, 2)
            yield [
                styled(ws, unit.group_rank if group_rank else unit.rank),
                styled(ws, unit.code),
                styled(ws, unit.name, alignment=WRAP),
                styled(ws, unit.group, alignment=WRAP),
                styled(ws, unit.total, number_format=POINTS, font=BOLD),
                *[styled(ws, g.points, number_format=POINTS) for g in unit.groups],
                styled(ws, _decision(unit)),
                styled(ws, YES if unit.proposed else NO),
                styled(ws, unit.self_score, number_format=POINTS),
                styled(ws, diff, number_format=POINTS),
                styled(ws, len(unit.flags)),
                styled(ws, "; ".join(unit.blocking), alignment=WRAP),
                *([] if prior is None else _history_cells(ws, prior, unit, len(extra))),
            ]

    fastrows.defer(wb, ws, len(columns), body(), len(units), announce=announce)
    rows = len(units) + 1
    ws.auto_filter.ref = f"A1:{last_cell(len(columns), rows)}"
    if units:
        from openpyxl.utils import get_column_letter

        decision = get_column_letter(6 + n_groups)
        flags = get_column_letter(10 + n_groups)
        gap = get_column_letter(9 + n_groups)
        ws.conditional_formatting.add(
            f"{decision}2:{decision}{rows}",
            CellIsRule(operator="equal", formula=[f'"{RECOGNISED}"'], fill=GREEN),
        )
        ws.conditional_formatting.add(
            f"{decision}2:{decision}{rows}",
            CellIsRule(operator="equal", formula=[f'"{NOT_RECOGNISED}"'], fill=RED),
        )
        ws.conditional_formatting.add(
            f"{flags}2:{flags}{rows}", CellIsRule(operator="greaterThan", formula=["0"], fill=AMBER)
        )
        tolerance = cs.flags.self_score_tolerance
        ws.conditional_formatting.add(
            f"{gap}2:{gap}{rows}", CellIsRule(operator="greaterThan", formula=[str(tolerance)], fill=AMBER)
        )
        if extra:
            first = len(_ranking_columns(cs)) + 1
            for offset, fill in ((3, GREEN), (4, RED), (5, RED)):
                if offset < len(extra):
                    col = get_column_letter(first + offset)
                    ws.conditional_formatting.add(
                        f"{col}2:{col}{rows}", CellIsRule(operator="notEqual", formula=['""'], fill=fill)
                    )


def result_title(cs: CriteriaSet, what: str = "Kết quả chấm điểm") -> str:
    """A results workbook's title, from its rule set (a Hưng Yên book is not titled like Bắc Giang's)."""
    return f"{what} theo {cs.title[:1].lower()}{cs.title[1:]}"


def is_checklist(cs: CriteriaSet) -> bool:
    """A set of targets each met or not (every criterion mandatory, all or nothing): what a reader
    wants first is the share of units meeting each target."""
    return all(c.is_mandatory and c.method.type in ("yes_no", "check") for _, c in cs.criteria())


def _summary_sheet(wb: Workbook, cs: CriteriaSet, run: RunResult) -> None:
    ws = wb.create_sheet("Tổng hợp")
    set_widths(ws, [34, 11, 10, 10, 13, 13, 10, 10, 12])
    print_setup(ws, "5:5")
    written = [0]  # rows appended: the chart goes below them (a streamed sheet does not count)

    def add(row: list[Any]) -> None:
        written[0] += 1
        ws.append(row)

    s = run.summary
    add([cell(ws, result_title(cs), font=TITLE_FONT, border=False)])
    add(
        [
            cell(
                ws,
                f"Bộ tiêu chí: {cs.title} — phiên bản {cs.version}"
                f"{'; ' + MODEL_MARK if cs.status == 'model' else ''}",
                border=False,
            )
        ]
    )
    where = "toàn tỉnh" if s.whole_province else f"của {s.scope}"
    waiting = f", kể cả {s.not_submitted} đơn vị chưa nộp" if s.not_submitted else ""
    if s.awaiting_appraisal:
        waiting = (
            f", kể cả {s.not_submitted - s.awaiting_appraisal} đơn vị chưa nộp"
            f" và {s.awaiting_appraisal} đơn vị chưa thẩm định xong"
        )
    target = (
        f"Tỷ lệ đủ điều kiện công nhận {where}: {percent(s.recognised_share)} "
        f"({s.recognisable}/{s.population} đơn vị{waiting})"
        + (
            f" — chỉ tiêu {percent(s.target_share, 0)}: {'ĐẠT' if s.meets_target else 'CHƯA ĐẠT'}"
            if s.target_share
            else ""
        )
    )
    add([cell(ws, target, font=BOLD, border=False)])
    prior = run.history
    add([cell(ws, _previous_line(prior, s.recognised_share), border=False)] if prior else [])
    columns = [
        "Nhóm thẩm định",
        "Đã nộp, được chấm",
        "Chưa nộp",
        "Đề nghị",
        "Đủ điều kiện công nhận",
        "Đề nghị nhưng chưa đạt",
        "Tỷ lệ đạt",
        "Cảnh báo",
        *([f"Tỷ lệ đạt năm {prior.year}"] if prior else []),
    ]
    add(header_row(ws, columns))
    for g in s.groups:
        before = (
            []
            if prior is None
            else [cell(ws, prior.previous_share_by_group.get(g.group), number_format=PERCENT)]
        )
        add(
            [
                cell(ws, g.group),
                cell(ws, g.units),
                cell(ws, g.not_submitted),
                cell(ws, g.proposed),
                cell(ws, g.recognisable),
                cell(ws, g.proposed_not_recognisable),
                cell(ws, g.recognised_share, number_format=PERCENT),
                cell(ws, g.flags),
                *before,
            ]
        )
    flags_total = sum(g.flags for g in s.groups)
    add(
        [
            cell(ws, "Toàn tỉnh" if s.whole_province else f"Cộng ({s.scope})", font=BOLD),
            cell(ws, s.units, font=BOLD),
            cell(ws, s.not_submitted, font=BOLD),
            cell(ws, s.proposed, font=BOLD),
            cell(ws, s.recognisable, font=BOLD),
            cell(ws, s.proposed_not_recognisable, font=BOLD),
            cell(ws, s.recognised_share, number_format=PERCENT, font=BOLD),
            cell(ws, flags_total, font=BOLD),
            *([] if prior is None else [cell(ws, prior.previous_share, number_format=PERCENT, font=BOLD)]),
        ]
    )
    if s.target_share is not None:
        add(
            [
                cell(ws, "Chỉ tiêu", font=BOLD),
                None,
                None,
                None,
                None,
                None,
                cell(ws, s.target_share, number_format=PERCENT, font=BOLD),
                None,
            ]
        )
    first, last = 6, 5 + len(s.groups)
    add([])
    add([cell(ws, "Cảnh báo theo loại", font=BOLD, border=False)])
    add(header_row(ws, ["Loại cảnh báo", "Số lượng"]))
    for code, (_, label) in FLAG_LABELS.items():
        add([cell(ws, label), cell(ws, s.flags_by_code.get(code, 0))])
    if is_checklist(cs):
        add([])
        add([cell(ws, "Tỷ lệ đơn vị đạt từng chỉ tiêu", font=BOLD, border=False)])
        add(header_row(ws, ["Chỉ tiêu", "Số đơn vị áp dụng", "Số đơn vị đạt", "Tỷ lệ đạt"]))
        for c in s.criteria:
            add(
                [
                    cell(ws, c.title),
                    cell(ws, c.applicable_units),
                    cell(ws, c.full_points_units),
                    cell(ws, c.full_points_share, number_format=PERCENT),
                ]
            )
    if run.not_submitted:
        add([])
        add(
            [
                cell(
                    ws,
                    f"Đơn vị chưa nộp hồ sơ{' hoặc chưa thẩm định xong' if s.awaiting_appraisal else ''} "
                    f"({len(run.not_submitted)}): không chấm, không xếp hạng, "
                    "vẫn tính trong mẫu số của tỷ lệ",
                    font=BOLD,
                    border=False,
                )
            ]
        )
        add(header_row(ws, ["Tên đơn vị", "Mã đơn vị", "Nhóm thẩm định", "Theo"]))
        for w in run.not_submitted:
            add([cell(ws, w.name), cell(ws, w.code), cell(ws, w.group), cell(ws, w.source)])
    if s.groups:
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Tỷ lệ đơn vị đủ điều kiện công nhận theo nhóm thẩm định"
        chart.y_axis.number_format = "0%"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = 1
        chart.legend = None
        data = Reference(ws, min_col=7, min_row=first - 1, max_row=last)
        labels = Reference(ws, min_col=1, min_row=first, max_row=last)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(labels)
        chart.height = max(7.5, 0.8 * len(s.groups) + 3)
        chart.width = 18
        ws.add_chart(chart, f"A{written[0] + 2}")  # below the tables: the page stays one width


LEGEND_ROWS = len(SEVERITY_WORDS)  # the legend of severity words above the Cảnh báo headings


def _flags_sheet(wb: Workbook, cs: CriteriaSet, run: RunResult) -> None:
    ws = wb.create_sheet(FLAGS_SHEET)
    set_widths(ws, [13, 7, 16, 14, 20, 45, 42, 26])
    heading = LEGEND_ROWS + 1
    ws.freeze_panes = f"A{heading + 1}"
    columns = [
        "Mức độ",
        "Mã đơn vị",
        "Tên đơn vị",
        "Nhóm thẩm định",
        "Loại cảnh báo",
        "Nội dung",
        "Căn cứ",
        "Mã cảnh báo",
    ]
    # Flags by severity, then as the ranking lists units (rank, then code): one integer per flag
    # (position in the ranking, index in the unit) kept per severity. The units are read in
    # ranking order, so each severity's keys come already in order: nothing to sort.
    by_severity: dict[int, array[int]] = {}
    for position, u in enumerate(run.units):
        for index, f in enumerate(u.flags):
            by_severity.setdefault(f.severity, array("q")).append((position << 16) | index)
    keys = array("q")
    for severity in sorted(by_severity):
        keys += by_severity.pop(severity)
    # The flag's code sits last, outside the printed area: it is for filters and scripts.
    # (Set before the first row: a streamed sheet writes its page setup with that row.)
    print_setup(ws, f"{heading}:{heading}", area=f"A1:G{heading + len(keys)}")
    fills = {1: RED, 2: AMBER}
    for severity, (word, meaning) in SEVERITY_WORDS.items():
        ws.append([cell(ws, word, font=BOLD, fill=fills.get(severity)), cell(ws, meaning, border=False)])
    ws.append(header_row(ws, columns))
    for fill in (RED, AMBER, None):
        styled(ws, None, fill=fill)  # registered now: the rows are written when the book is saved
    styled(ws, None, alignment=WRAP)
    basis = Basis(cs)

    def body() -> Iterator[list[Any]]:
        for key in keys:
            position, index = key >> 16, key & 0xFFFF
            unit = run.units[position]
            flag = unit.flags[index]
            yield [
                styled(ws, severity_word(flag.severity), fill=fills.get(flag.severity)),
                styled(ws, unit.code),
                styled(ws, unit.name, alignment=WRAP),
                styled(ws, unit.group, alignment=WRAP),
                styled(ws, FLAG_LABELS[flag.code][1], alignment=WRAP),
                styled(ws, flag.message, alignment=WRAP),
                styled(ws, basis.of(flag.facts), alignment=WRAP),
                styled(ws, flag.code),
            ]

    ws.auto_filter.ref = f"A{heading}:{last_cell(len(columns), len(keys) + heading)}"
    fastrows.defer(wb, ws, len(columns), body(), len(keys), first_row=heading + 1)


class Basis:
    """What a flag rests on, in words: the criteria, conditions and evidence it names by title
    (never by their ids in the rule file), with the document each comes from."""

    def __init__(self, cs: CriteriaSet) -> None:
        items: list[Any] = [c for _, c in cs.criteria()]
        items += list(cs.disqualifiers) + list(cs.recognition.requirements)
        self.titles: dict[str, str] = {g.id: g.title for g in cs.groups}
        self.titles.update({d.id: d.label for d in cs.evidence})
        self.titles.update({i.id: i.title for i in items})
        self.sources = {i.id: i.source.cite() for i in items if i.source is not None}

    def name(self, value: Any) -> str:
        if isinstance(value, str):
            return self.titles.get(value, value)
        if isinstance(value, list):
            return "; ".join(self.name(v) for v in value)
        if isinstance(value, dict):
            return "; ".join(f"{self.name(k)}: {_fact(v)}" for k, v in value.items())
        return _fact(value)

    def of(self, facts: dict[str, Any]) -> str:
        shown = [(k, v) for k, v in facts.items() if not (k == "fields" and "reasons" in facts)]
        parts = [f"{FACT_LABELS.get(k, k)}: {self.name(v)}" for k, v in shown]
        for key in ("criterion", "disqualifier", "requirement"):
            source = self.sources.get(str(facts.get(key)))
            if source:
                parts.append(f"theo {source}")
        return "; ".join(parts)


# Facts behind a flag, as reviewers read them (the JSON keeps the English keys).
FACT_LABELS = {
    "reasons": "lý do",
    "total": "tổng điểm",
    "self_score": "tự chấm",
    "difference": "chênh lệch",
    "criterion": "tiêu chí",
    "hidden_by_total": "tổng điểm vẫn đạt ngưỡng",
    "requirement": "yêu cầu",
    "detail": "chi tiết",
    "group": "nhóm",
    "points": "điểm thẩm định",
    "fields": "trường minh chứng",
    "threshold": "ngưỡng",
    "disqualifier": "điểm liệt",
    "written": "ô Đề nghị ghi",
}


def _fact(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(_fact, value))
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_fact(v)}" for k, v in value.items())
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float):
        return fmt(value)
    return str(value)


# Excel opens no sheet longer than this; a longer detail (22 rows a unit: past about 47,600 units)
# continues on “Chi tiết 2”, “Chi tiết 3”... with the heading repeated. Tests lower it.
MAX_SHEET_ROWS = 1_048_576


def _detail_sheet(wb: Workbook, cs: CriteriaSet, run: RunResult) -> list[str]:
    """The per-criterion detail, on as many sheets as Excel's row limit needs; returns their titles.
    The rows are written when the workbook is saved (engine.outputs.fastrows)."""
    # What a printed page shows comes first (columns A-F: unit, criterion, points, explanation in
    # words, one line each as a rule); the rest is for the screen, filters and re-checks.
    columns = [
        "Mã đơn vị",
        "Tên đơn vị",
        "Tiêu chí",
        "Điểm",
        "Tối đa",
        "Giải thích",
        "Nhóm tiêu chí",
        "Mã tiêu chí",
        "Minh chứng sử dụng",
        "Áp dụng",
        "Quy tắc khớp",
        "Nguồn",
    ]
    per_unit = len(cs.criteria())
    total = len(run.units) * per_unit
    per_part = MAX_SHEET_ROWS - 1  # below the heading
    parts: list[str] = []
    ids: dict[str, int] = {}  # style ids, registered with the first part's sheet
    titles = {g.id: g.title for g in cs.groups}
    numbers = {c.id: f"{gi}.{ci}" for gi, g in enumerate(cs.groups, 1) for ci, c in enumerate(g.criteria, 1)}

    def rows() -> Iterator[list[Any]]:
        for unit in full_records(run.units):  # plain data: see UnitResult.unpack_record
            criteria = unit["criteria"]
            if len(criteria) != per_unit:
                raise OutputError(f"đơn vị {unit['code']} có {len(criteria)} dòng tiêu chí, cần {per_unit}")
            code, name = unit["code"], fastrows.Styled(unit["name"], ids["wrap"])
            for r in criteria:
                used = "; ".join(f"{e['label']}: {e['shown']}" for e in r["evidence"])
                status = "missing" if r["status"] == "missing_evidence" else "points"
                yield [
                    code,
                    name,
                    fastrows.Styled(f"{numbers.get(r['id'], '')} {r['title']}".strip(), ids["wrap"]),
                    fastrows.Styled(r["points"], ids[status]),
                    fastrows.Styled(r["max_points"], ids["points"]),
                    fastrows.Styled(r["explanation"], ids["wrap"]),
                    titles[r["group"]],
                    r["id"],
                    used,
                    YES if r["applicable"] else NO,
                    r["rule"],
                    r["source"] or "",
                ]

    shared = rows()
    start = 0
    while start < total or not parts:
        count = min(per_part, total - start)
        title = DETAIL_SHEET if not parts else f"{DETAIL_SHEET} {len(parts) + 1}"
        parts.append(title)
        ws = wb.create_sheet(title)
        set_widths(ws, [6, 19, 62, 6, 5, 63, 30, 22, 40, 8, 26, 40])
        ws.freeze_panes = "C2"
        print_setup(ws, area=f"A1:F{count + 1}")
        ws.append(header_row(ws, columns))
        if not ids:
            ids["points"] = styled(ws, None, number_format=POINTS, border=False).style
            ids["missing"] = styled(ws, None, number_format=POINTS, fill=RED, border=False).style
            ids["wrap"] = styled(ws, None, alignment=WRAP, border=False).style
        ws.auto_filter.ref = f"A1:{last_cell(len(columns), count + 1)}"
        # Unit and criterion names, explanations, groups, ids, yes/no, rules and sources repeat
        # from unit to unit (shared table); the code and the evidence used are the unit's own.
        repeated = (1, 2, 5, 6, 7, 9, 10, 11)
        fastrows.defer(wb, ws, len(columns), itertools.islice(shared, count), count, shared=repeated)
        start += count
    return parts


def _evidence_sheet(wb: Workbook, cs: CriteriaSet, run: RunResult) -> None:
    """The evidence as read, one row per unit, in cells the evidence reader parses back to the
    same values: `cqtt recheck` re-scores from this sheet when no evidence file is given. The rows
    are written when the workbook is saved (engine.outputs.fastrows)."""
    ws = wb.create_sheet(EVIDENCE_SHEET)
    decls = cs.evidence
    n_groups = len(cs.groups)
    # Printed in strips across (code and name repeated on each): values are short, headings wrap.
    wide = {"items", "choice"}
    set_widths(
        ws,
        [7, 18, 14, 6, 8, 7, *([7] * n_groups), *[75 if d.type in wide else 10 for d in decls], 20, 40],
    )
    ws.freeze_panes = "C2"
    print_setup(ws, fit_width=False, title_columns="A:B")
    columns = [
        FIXED_LABELS["ma_don_vi"],
        FIXED_LABELS["ten_don_vi"],
        FIXED_LABELS["nhom_tham_dinh"],
        FIXED_LABELS["nam"],
        FIXED_LABELS["de_nghi"],
        FIXED_LABELS["tu_cham"],
        *[f"Tự chấm nhóm {i}" for i in range(1, n_groups + 1)],
        *[d.heading() for d in decls],
        FIXED_LABELS["ghi_chu"],
        FIXED_LABELS["nguon"],
    ]
    ws.append(header_row(ws, columns))
    ws.auto_filter.ref = f"A1:{last_cell(len(columns), len(run.units) + 1)}"
    styles: dict[str | None, int] = {}

    def style(number_format: str | None) -> int:
        """A number format's style id; None: the red, bordered cell of a value that was not read."""
        if number_format not in styles:
            bad = number_format is None
            found = styled(
                ws, None, number_format=number_format, fill=RED if bad else None, border=bad,
                alignment=WRAP if bad else None,
            )  # fmt: skip
            styles[number_format] = found.style
        return styles[number_format]

    invalid = style(None)  # red, bordered: a value that could not be read
    points = style(POINTS)
    style(PERCENT_CELL)  # every style must be registered now: styles.xml is written before the rows
    wrap = styled(ws, None, alignment=WRAP, border=False).style

    def rows() -> Iterator[list[Any]]:
        for unit in full_records(run.units, in_code_order=True):  # see UnitResult.unpack_record
            row: list[Any] = [
                unit["code"],
                fastrows.Styled(unit["name"], wrap),
                fastrows.Styled(unit["group"], wrap),
                unit["year"],
                YES if unit["proposed"] else NO,
                fastrows.Styled(unit["self_score"], points),
                *[fastrows.Styled(g["self_score"], points) for g in unit["groups"]],
            ]
            invalid_values, values = unit["evidence_invalid"], unit["values"]
            for d in decls:
                if d.id in invalid_values:
                    row.append(fastrows.Styled(f"(lỗi: {invalid_values[d.id]})", invalid))
                elif d.id in values:
                    value, number_format = to_cell(d, from_plain(d, values[d.id]))
                    if number_format:
                        row.append(fastrows.Styled(value, styles[number_format]))
                    else:
                        row.append(fastrows.Styled(value, wrap) if d.type in wide else value)
                else:
                    row.append(None)
            row.append(fastrows.Styled(unit["comment"] or "", wrap))
            row.append(fastrows.Styled(unit["source"], wrap))
            yield row

    # Made by a forked child while Chi tiết is written (with more than one process): its texts
    # are written in the cells, the shared table's numbers being this process's.
    fastrows.defer(wb, ws, len(columns), rows(), len(run.units), apart=True)


def _binding_sheet(wb: Workbook, run: RunResult, sheets: dict[str, str]) -> None:
    """Hidden: what this workbook is (results, schema version, criteria and hash), the names of
    its sheets as written, and the seal of every unit. `cqtt recheck` starts here."""
    ws = wb.create_sheet(BINDING_SHEET)
    ws.sheet_state = "hidden"
    c = run.criteria
    rows: list[tuple[str, str]] = [
        ("kind", "results"),
        ("schema_version", str(run.schema_version)),
        ("criteria", c.id),
        ("version", c.version),
        ("sha256", c.sha256),
        ("tool", run.tool),
        ("generated_at", run.generated_at or ""),
        ("seal", run.seal or ""),
        *[(f"sheet.{key}", title) for key, title in sheets.items()],
    ]
    for key, value in rows:
        ws.append([plain(ws, key), plain(ws, value)])
    ws.append([])
    ws.append([UNIT_SEALS_HEADER, *PARTS])
    # Written by the save as inline text: through openpyxl, 100,000 codes and 300,000 digests
    # would sit in its shared-strings table in memory until the end.
    seals = ([code, *[seal.get(p, "") for p in PARTS]] for code, seal in seals_by_code(run.units))
    fastrows.defer(wb, ws, 1 + len(PARTS), seals, len(run.units), first_row=len(rows) + 3, announce=None)


def _info_sheet(wb: Workbook, run: RunResult, generated_at: str, options: dict[str, str]) -> None:
    ws = wb.create_sheet(INFO_SHEET)
    set_widths(ws, [26, 72])
    print_setup(ws, portrait=True)
    ws.append(header_row(ws, ["Mục", "Giá trị"]))
    c = run.criteria
    rows: list[tuple[str, str]] = [
        ("Bộ tiêu chí", f"{c.id} — {c.title}"),
        ("Phiên bản", c.version),
        ("Trạng thái", "bản mẫu (model)" if c.status == "model" else "chính thức (official)"),
        ("Tệp tiêu chí", c.file),
        ("SHA-256 tệp tiêu chí", c.sha256),
    ]
    for item in run.inputs:
        rows.append(("Tệp minh chứng", item["file"]))
        rows.append(("SHA-256 tệp minh chứng", item["sha256"]))
    rows += [("Phiên bản công cụ", run.tool), ("Thời điểm chạy", generated_at)]
    rows += [(f"Tùy chọn: {k}", v) for k, v in options.items()]
    rows += [("Số lỗi minh chứng khi đọc", str(len(run.evidence_problems)))]
    for label, value in rows:
        ws.append([cell(ws, label, font=BOLD, alignment=WRAP), cell(ws, value, alignment=WRAP)])
    if run.evidence_problems:
        ws.append([])
        ws.append(header_row(ws, ["Lỗi minh chứng", "Chi tiết"]))
        for p in run.evidence_problems:
            where = ", ".join(
                x
                for x in [
                    p.file,
                    p.sheet and f"sheet “{p.sheet}”",
                    p.row and f"dòng {p.row}",
                    p.column and f"cột “{p.column}”",
                ]
                if x
            )
            value = "" if p.value is None else f" giá trị “{p.value}”:"
            ws.append(
                [
                    cell(ws, p.unit or "", alignment=WRAP),
                    cell(ws, f"{where}:{value} {p.message}", alignment=WRAP),
                ]
            )


def _when(generated_at: str) -> dt.datetime:
    """The run's time as naive UTC, for the workbook's properties and its zip entries."""
    try:
        when = dt.datetime.fromisoformat(generated_at)
    except ValueError:
        return dt.datetime(1980, 1, 1)
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC).replace(tzinfo=None)
    return when


def write_results(
    handle: BinaryIO,
    cs: CriteriaSet,
    run: RunResult,
    generated_at: str,
    options: dict[str, str],
    phase: Callable[[str], None] | None = None,
    processes: int = 1,
) -> None:
    """The results workbook; `phase` hears the name of each step (a long run never looks stuck);
    with more than one process, the Minh chứng sheet's rows are made by a forked child
    meanwhile (the same bytes either way)."""
    say = phase or (lambda _text: None)
    wb = new_workbook()
    say("sheet “Tổng hợp”")
    _summary_sheet(wb, cs, run)
    # The sheets below are laid out now and their rows written by the save, which names each.
    _ranking_sheet(wb, RANKING_SHEET, cs, run.units, group_rank=False, prior=run.history)
    taken = {"Tổng hợp", "Xếp hạng", "Cảnh báo", "Chi tiết", "Minh chứng", "Thông tin"}
    by_group = groups_of(run.units)  # in ranking order
    for index, group in enumerate(sorted(by_group)):
        title = sheet_title(f"XH {group}", taken)
        said = f"xếp hạng theo {len(by_group)} nhóm thẩm định" if index == 0 else None
        _ranking_sheet(wb, title, cs, by_group[group], group_rank=True, prior=run.history, announce=said)
    _flags_sheet(wb, cs, run)
    detail_parts = _detail_sheet(wb, cs, run)  # the long sheets are written (and named) by the save
    _evidence_sheet(wb, cs, run)
    _info_sheet(wb, run, generated_at, options)
    sheets = dict(SHEETS)
    if len(detail_parts) > 1:
        sheets["detail.parts"] = "|".join(detail_parts)
    _binding_sheet(wb, run, sheets)
    s = run.summary
    scope = "toàn tỉnh" if s.whole_province else s.scope
    page_marks(wb, "Kết quả chấm điểm", cs.ref, cs.status == "model", scope, generated_at)
    fastrows.save(wb, handle, _when(generated_at), say, processes)
