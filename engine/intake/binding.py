"""The hidden sheet that binds a workbook cqtt wrote to what it was made for (criteria, kind)."""

from __future__ import annotations

from typing import Any

BINDING_SHEET = "_cqtt"  # hidden sheet of a generated template: which criteria it was made for


def read_binding(book: Any) -> dict[str, str] | None:
    """The criteria id, version and file hash a template was generated for, if it is one."""
    if BINDING_SHEET not in book.sheetnames:
        return None
    rows = book[BINDING_SHEET].iter_rows(values_only=True)
    return {str(r[0]): str(r[1]) for r in rows if r and r[0] is not None and len(r) > 1}
