"""Write output files atomically and never over an existing file without `force`.

The content goes to a temporary file in the target folder, which is renamed into place only when
complete: an interrupted run leaves either the old file or the new one, never half a workbook.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from engine.errors import OutputError


def check_target(path: Path, force: bool, inputs: list[Path] | None = None) -> None:
    """Refuse before any work is done: an existing file without force, an input, a missing folder."""
    resolved = path.resolve()
    for source in inputs or []:
        if source.exists() and source.resolve() == resolved:
            raise OutputError(f"{path}: tệp kết quả trùng với tệp đầu vào; chọn tên khác")
    if path.exists() and not force:
        raise OutputError(f"{path}: tệp đã tồn tại; dùng --force để ghi đè")
    if not path.parent.exists():
        raise OutputError(f"{path}: thư mục “{path.parent}” không tồn tại")


def write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
