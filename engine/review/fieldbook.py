"""A field-check workbook read back for its record: the rule set it was drawn with (its binding
sheet), and for each unit every evidence item's value the team used beside the value found on site,
as the biên bản kiểm tra thực địa shows them."""

from __future__ import annotations

import re
from pathlib import Path

from engine.errors import CqttError
from engine.intake.binding import read_binding
from engine.intake.workbook import open_workbook
from engine.outputs.records.build import FieldRow, FieldUnit
from engine.review.field import FIELD_ID, FIELD_SHEET, VERIFIED, read_field
from engine.rules.model import CriteriaSet


def field_criteria(path: Path) -> str:
    """The rule set (`id@version`) a field-check workbook was drawn with, from its binding sheet."""
    book = open_workbook(path, "sổ kiểm tra thực địa", data_only=False)
    try:
        binding = read_binding(book) or {}
    finally:
        book.close()
    if binding.get("kind") != "field" or not binding.get("criteria") or not binding.get("version"):
        raise CqttError(
            f"{path}: không phải sổ kiểm tra thực địa do cqtt sample ghi (thiếu sheet ẩn _cqtt); "
            "biên bản kiểm tra lập từ sổ đó, sau khi ghi giá trị kiểm tra thực tế"
        )
    return f"{binding['criteria']}@{binding['version']}"


def field_units(path: Path, cs: CriteriaSet) -> list[FieldUnit]:
    """The units of a field-check workbook with, for each evidence item, the value the team used
    and the value found on site (as typed: the re-check parses and validates it)."""
    book = open_workbook(path, "sổ kiểm tra thực địa")
    try:
        if FIELD_SHEET not in book.sheetnames:
            raise CqttError(f"{path}: không có sheet “{FIELD_SHEET}”: đây không phải sổ kiểm tra thực địa")
        units: list[FieldUnit] = []
        columns: dict[str, int] = {}
        title = re.compile(r"^(\S+) — (.+) \((.+)\)$")
        for row in book[FIELD_SHEET].iter_rows(values_only=True):
            texts = ["" if v is None else str(v).strip() for v in row]
            found = title.match(texts[0]) if texts and len([t for t in texts if t]) == 1 else None
            if found:
                units.append(FieldUnit(found.group(1), found.group(2), found.group(3), "", []))
                continue
            if VERIFIED in texts and FIELD_ID in texts:
                columns = {t: i for i, t in enumerate(texts) if t}
                continue
            if units and texts and texts[0].startswith("Tổng điểm") and not units[-1].rows:
                units[-1].reason = texts[0]
                continue
            if not units or not columns or not texts[columns[FIELD_ID]]:
                continue
            units[-1].rows.append(
                FieldRow(
                    texts[columns["Minh chứng"]],
                    texts[columns["Giá trị tổ thẩm định dùng"]],
                    "",
                    texts[columns["Ghi chú"]],
                    texts[columns[FIELD_ID]],
                )
            )
    finally:
        book.close()
    if not units:
        raise CqttError(f"{path}: sổ kiểm tra thực địa không có đơn vị nào")
    # the values found, read as the re-check reads them (a bad cell is refused with its place)
    seen = {(v.code, v.field): v.shown for v in read_field(path, cs)}
    for unit in units:
        for row in unit.rows:
            row.found = seen.get((unit.code, row.field), "")
    return units
