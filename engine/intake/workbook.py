"""Open a workbook someone gave us, or say in one line why it cannot be opened.

Every reader of an .xlsx (evidence, a team's results, a field-check book, decisions, survey
responses, succession and unit lists) opens it here, so that a damaged or foreign file gets the
same sentence wherever it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.errors import CqttError


def open_workbook(
    path: Path,
    what: str = "tệp Excel",
    data_only: bool = True,
    refuse: Callable[[str], Exception] | None = None,
) -> Any:
    """The workbook, opened read-only (stream the rows; close it when done). A file openpyxl
    cannot open is refused with `refuse(reason)` (default: a CqttError naming the file), the
    reason being "không mở được <what> (<error>: <detail>)"."""
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        reason = f"không mở được {what} ({type(exc).__name__}: {exc})"
        raise (refuse(reason) if refuse else CqttError(f"{path}: {reason}")) from None
