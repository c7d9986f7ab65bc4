"""Open a workbook someone gave us, or say in one line why it cannot be opened.

Every reader of an .xlsx (evidence, a team's results, a field-check book, decisions, survey
responses, succession and unit lists) opens it here, so that a damaged or foreign file gets the
same sentence wherever it is given, and so that no workbook is parsed before its size is known.

An .xlsx is a zip archive: a 600 KB file can inflate to gigabytes (a "zip bomb"), and one merged
range can name millions of cells. Both are refused before anything is parsed, from what the
archive's directory and the sheets' merged ranges declare: the archive's inflated size (in all,
and against its compressed size for a large part) and the cells a merged range covers are bounded
(`Limits`; `CQTT_XLSX_*` environment variables, the portal's own smaller limit). Python's zip
reader never inflates a part past the size its directory declares, so the declared sizes bound
what reading can cost.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import CqttError

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What a workbook may cost before it is read at all."""

    inflated: int = 4096 * MB  # the archive's parts, inflated, in all (a national file is ~1 GB)
    ratio: int = 200  # a large part inflating more than this many times its size is a bomb
    ratio_from: int = 50 * MB  # "large": a small part may compress as well as it likes
    merged_cells: int = 100_000  # cells one merged range may cover
    merged_total: int = 2_000_000  # cells all merged ranges of a sheet may cover

    @classmethod
    def from_environment(cls, inflated_mb: int | None = None) -> Limits:
        """The limits the environment sets (CQTT_XLSX_MAX_MB, CQTT_XLSX_MAX_RATIO,
        CQTT_XLSX_MAX_MERGED_CELLS), else the defaults; `inflated_mb` is a caller's own default."""

        def number(name: str, default: int) -> int:
            raw = os.environ.get(name, "").strip()
            if not raw:
                return default
            if not raw.isdigit() or int(raw) < 1:
                raise CqttError(f"{name}={raw!r}: cần một số nguyên dương")
            return int(raw)

        inflated = number("CQTT_XLSX_MAX_MB", inflated_mb or cls.inflated // MB) * MB
        return cls(
            inflated=inflated,
            ratio=number("CQTT_XLSX_MAX_RATIO", cls.ratio),
            ratio_from=min(cls.ratio_from, inflated),
            merged_cells=number("CQTT_XLSX_MAX_MERGED_CELLS", cls.merged_cells),
            merged_total=max(cls.merged_total, number("CQTT_XLSX_MAX_MERGED_CELLS", cls.merged_cells)),
        )


_current: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("cqtt_xlsx_limits", default=None)


def current_limits() -> Limits:
    """The limits in force here: those set by `limited`, else the environment's."""
    return _current.get() or Limits.from_environment()


@contextlib.contextmanager
def limited(limits: Limits) -> Iterator[None]:
    """Read the workbooks opened inside the block under `limits` (the portal's uploads)."""
    token = _current.set(limits)
    try:
        yield
    finally:
        _current.reset(token)


def size_text(n: int) -> str:
    """Bytes as a person reads them: "1.024 MB", "600 KB"."""
    if n >= MB:
        return f"{_count(n // MB)} MB"
    return f"{_count(max(1, n // 1024))} KB"


def check_archive(path: Path, limits: Limits | None = None) -> str | None:
    """Why the archive cannot be read within the limits (one Vietnamese clause), or None. A file
    that is not a zip archive is left to the reader that opens it, which says so."""
    limits = limits or current_limits()
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    inflated = sum(p.file_size for p in parts)
    if inflated > limits.inflated:
        return (
            f"tệp giải nén ra {size_text(inflated)}, vượt giới hạn {size_text(limits.inflated)} "
            f"(tệp nén {size_text(path.stat().st_size)}); không đọc tệp này"
        )
    for part in parts:
        if part.file_size >= limits.ratio_from and part.file_size > limits.ratio * max(part.compress_size, 1):
            return (
                f"phần “{part.filename}” giải nén ra {size_text(part.file_size)} từ "
                f"{size_text(part.compress_size)} (gấp hơn {limits.ratio} lần): tệp giống “bom nén”; "
                "không đọc tệp này"
            )
    return None


def merged_cells_problem(ref: str, covered: int, total: int, limits: Limits | None = None) -> str | None:
    """Why a sheet's merged range cannot be read within the limits, or None."""
    limits = limits or current_limits()
    if covered > limits.merged_cells:
        return (
            f"vùng gộp ô {ref} phủ {_count(covered)} ô, vượt giới hạn {_count(limits.merged_cells)} ô; bỏ "
            "gộp ô (Merge & Center) ở vùng này rồi lưu lại"
        )
    if total > limits.merged_total:
        return f"các vùng gộp ô phủ hơn {_count(limits.merged_total)} ô; bỏ gộp ô rồi lưu lại"
    return None


def _count(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # 100.000, as Vietnamese readers write it


_SHEET_NAME = re.compile(rb"<(?:\w+:)?sheet\b[^>]*?\bname=\"([^\"]*)\"")
_WORKBOOK_PART_LIMIT = 4 * 1024 * 1024  # a real workbook.xml is a few KB


def sheet_names(path: Path) -> list[str] | None:
    """The sheet names a workbook lists, read from its xl/workbook.xml alone (opening the book
    reads its shared strings, a second of a national file, to tell whether a sheet exists); None
    when the file is not a readable workbook (the reader says why)."""
    import html

    try:
        with zipfile.ZipFile(path) as archive, archive.open("xl/workbook.xml") as part:
            text = part.read(_WORKBOOK_PART_LIMIT)
    except (OSError, KeyError, zipfile.BadZipFile, RuntimeError, ValueError):
        return None
    return [html.unescape(m.decode("utf-8", "replace")) for m in _SHEET_NAME.findall(text)]


def open_workbook(
    path: Path,
    what: str = "tệp Excel",
    data_only: bool = True,
    refuse: Callable[[str], Exception] | None = None,
) -> Any:
    """The workbook, opened read-only (stream the rows; close it when done). A file openpyxl
    cannot open, or one past the limits, is refused with `refuse(reason)` (default: a CqttError
    naming the file), the reason being "không mở được <what> (<error>: <detail>)" or the limit."""
    from openpyxl import load_workbook

    def refused(reason: str) -> Exception:
        return refuse(reason) if refuse else CqttError(f"{path}: {reason}")

    problem = check_archive(path)
    if problem is not None:
        raise refused(problem)
    try:
        return load_workbook(path, read_only=True, data_only=data_only)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise refused(f"không mở được {what} ({type(exc).__name__}: {exc})") from None
