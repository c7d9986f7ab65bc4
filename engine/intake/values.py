"""Typed evidence values in the three forms a run writes and a re-check reads back.

- typed: what the engine scores (float, int, bool, choice id, frozenset of item ids, `Tally`);
- plain: the same value exactly, in JSON terms (results schema 2 carries them per unit);
- cell: what the results workbook's Minh chứng sheet holds, chosen so that the evidence reader
  parses it back to the identical typed value (percentages as Excel percentages of the share).

Round trips are exact; a test scores the sample, reads the workbook back and re-scores it.
"""

from __future__ import annotations

from typing import Any

from engine.numbers import exact
from engine.rules.declarations import EvidenceDecl, Tally

PERCENT_CELL = "0.0#%"
NO_ITEMS = "(không có)"  # read back as an empty list (cells.EMPTY_LIST)


def to_plain(decl: EvidenceDecl, value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, Tally):
        return {"satisfied": value.satisfied, "total": value.total}
    return value


def from_plain(decl: EvidenceDecl, plain: Any) -> Any:
    """The typed value from its plain form; `ValueError` when it does not fit the declaration."""
    kind = decl.type
    if kind == "items":
        if not isinstance(plain, list) or not all(isinstance(x, str) for x in plain):
            raise ValueError("cần danh sách mã mục")
        unknown = set(plain) - set(decl.choice_ids())
        if unknown:
            raise ValueError(f"mục không có trong danh sách: {', '.join(sorted(unknown))}")
        return frozenset(plain)
    if kind == "survey":
        if not isinstance(plain, dict):
            raise ValueError("cần {satisfied, total}")
        return Tally(satisfied=int(plain["satisfied"]), total=int(plain["total"]))
    if kind == "yes_no":
        if not isinstance(plain, bool):
            raise ValueError("cần đúng/sai")
        return plain
    if kind == "choice":
        if plain not in decl.choice_ids():
            raise ValueError(f"“{plain}” không có trong danh sách")
        return plain
    if isinstance(plain, bool) or not isinstance(plain, (int, float)):
        raise ValueError("cần một số")
    return int(plain) if kind == "count" else float(plain)


def to_cell(decl: EvidenceDecl, value: Any) -> tuple[Any, str | None]:
    """(cell value, number format) for the Minh chứng sheet."""
    kind = decl.type
    labels = {c.id: c.label for c in decl.choices or []}
    if kind == "percent":
        return float(exact(value) / 100), PERCENT_CELL  # 87.3 is written 0.873, not 0.8729999999999999
    if kind == "yes_no":
        return ("Có" if value else "Không"), None
    if kind == "choice":
        return labels.get(value, value), None
    if kind == "items":
        return ("; ".join(labels.get(v, v) for v in sorted(value)) or NO_ITEMS), None
    if kind == "survey":
        return f"{value.satisfied}/{value.total}", None
    return value, None


def to_text(decl: EvidenceDecl, value: Any) -> str:
    """The typed value as a person types it in a cell or a form field ("95,5%", "Có",
    "Máy tính; Máy in", "452/500"), read back by the evidence reader to the identical value."""
    kind = decl.type
    labels = {c.id: c.label for c in decl.choices or []}
    if kind == "yes_no":
        return "Có" if value else "Không"
    if kind == "choice":
        return labels.get(value, str(value))
    if kind == "items":
        return "; ".join(labels.get(v, v) for v in sorted(value)) or NO_ITEMS
    if kind == "survey":
        return f"{value.satisfied}/{value.total}"
    if kind == "count":
        return str(int(value))
    text = _decimal_text(value)
    return text + "%" if kind == "percent" else text


def _decimal_text(value: Any) -> str:
    """A number with a decimal comma and no thousands separator: 1234,5 (the reader would ask
    whether "1.234" means thousands)."""
    number = exact(value)
    if number.denominator == 1:
        return str(number.numerator)
    from decimal import Decimal

    text = f"{Decimal(repr(float(value))):f}"
    if len(text.partition(".")[2]) == 3:  # "0,123" would read as thousands or decimals: "0,1230"
        text += "0"
    return text.replace(".", ",")
