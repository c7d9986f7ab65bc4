"""Write output files atomically and never over an existing file without `force`.

The content goes to a temporary file in the target folder, which is renamed into place only when
complete: an interrupted run leaves either the old file or the new one, never half a workbook.
"""

from __future__ import annotations

import os
import re
import signal
import tempfile
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from engine.errors import OutputError


def run_time() -> str:
    """The time a run records, ISO 8601 with the local offset. SOURCE_DATE_EPOCH (seconds since
    1970, the reproducible-builds convention) fixes it, so two runs on the same inputs write
    byte-identical JSON; it is then given in UTC."""
    import datetime as dt

    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.UTC).isoformat(timespec="seconds")
        except (ValueError, OverflowError, OSError):
            raise OutputError(
                f"SOURCE_DATE_EPOCH={epoch!r}: cần số giây kể từ 1970, ví dụ 1732500000"
            ) from None
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same resolved path (relative or absolute, symbolic
    links followed), or, for files that exist, the same inode (hard links)."""
    if a.resolve() == b.resolve():
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def check_target(path: Path, force: bool, inputs: list[Path] | None = None) -> None:
    """Refuse before any work is done: an existing file without force, an input, a missing folder."""
    for source in inputs or []:
        if source.exists() and same_file(source, path):
            raise OutputError(f"{path}: tệp kết quả trùng với tệp đầu vào; chọn tên khác")
    if path.is_dir():
        raise OutputError(f"{path}: là một thư mục; ghi tên tệp kết quả, ví dụ {path / 'ket-qua.xlsx'}")
    if path.exists() and not force:
        raise OutputError(f"{path}: tệp đã tồn tại; dùng --force để ghi đè")
    if not path.parent.exists():
        raise OutputError(f"{path}: thư mục “{path.parent}” không tồn tại")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove temporary files of `path` left by a cqtt run that was killed outright (SIGKILL,
    power cut): `.NAME.PID.xxxx.tmp` whose process no longer runs. A live run's file is kept."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(\d+)\.[A-Za-z0-9_]+\.tmp")
    removed: list[Path] = []
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return removed
    for candidate in candidates:
        match = pattern.fullmatch(candidate.name)
        if match is None or int(match.group(1)) == os.getpid() or _alive(int(match.group(1))):
            continue
        try:
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            pass
    return removed


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write to a temporary file beside `path`, then rename it into place. The file gets the
    permissions of any file the user creates (0666 less the umask), not the temporary file's 0600:
    results are shared in common folders. Interrupted (exception, Ctrl-C, SIGTERM, which the CLI
    turns into an exit), the temporary file is removed; killed outright, the next run removes it."""
    remove_stale_temps(path)
    # Ctrl-C or SIGTERM arriving between the temporary file's creation and the `try` below would
    # leave it behind (seen under load: the signal sent as soon as the file appears). They wait
    # while the file is made and are delivered inside the `try`, whose cleanup removes it.
    held = _hold_signals()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        _release_signals(held)
        raise OutputError(f"{path}: không ghi được ({_reason(exc)})") from None
    try:
        _release_signals(held)
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.replace(tmp, path)
        except PermissionError:
            # The folder took the temporary file, so the file itself is held: on Windows, Excel
            # locks the workbook it has open.
            raise OutputError(
                f"{path}: tệp đang mở trong chương trình khác, hãy đóng rồi chạy lại; tệp cũ vẫn nguyên"
            ) from None
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        _discard_writers(exc)
        if isinstance(exc, OSError):
            kept = "tệp cũ (nếu có) vẫn nguyên"
            raise OutputError(f"{path}: không ghi được ({_reason(exc)}); {kept}") from None
        raise


def _hold_signals() -> Iterable[int] | None:
    """Block SIGINT and SIGTERM in this thread; the mask before, to give to `_release_signals`
    (None where signals cannot be blocked: Windows, or not the main thread)."""
    if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not threading.main_thread():
        return None
    return signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


def _release_signals(held: Iterable[int] | None) -> None:
    """Restore the mask; a signal that came meanwhile is delivered now."""
    if held is not None:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def _discard_writers(exc: BaseException) -> None:
    """Free what the interrupted writer left behind now, quietly. openpyxl's streaming sheets are
    generators that, collected later, try to finish their XML in the closed file and print a
    traceback after our one-line message."""
    import gc
    import sys
    import traceback

    hook = sys.unraisablehook
    sys.unraisablehook = lambda _unraisable: None
    try:
        seen: set[int] = set()
        current: BaseException | None = exc
        while current is not None and id(current) not in seen:  # the exception and its causes
            seen.add(id(current))
            traceback.clear_frames(current.__traceback__)
            current = current.__context__ or current.__cause__
        gc.collect()
    finally:
        sys.unraisablehook = hook


def _reason(exc: OSError) -> str:
    import errno

    reasons = {
        errno.ENOSPC: "đĩa đầy",
        errno.EDQUOT: "hết hạn mức dung lượng",
        errno.EACCES: "không có quyền ghi vào thư mục",
        errno.EPERM: "không có quyền ghi vào thư mục",
        errno.EROFS: "thư mục chỉ đọc",
    }
    return reasons.get(exc.errno or 0, exc.strerror or type(exc).__name__)
