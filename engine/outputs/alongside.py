"""Write one output in a forked process while this process writes another.

The JSON and the workbook are written from the same scored run and do not depend on each other;
on a machine with two cores the JSON (about a tenth of a national run) is written by a child
process meanwhile. The child inherits the run (fork: nothing is copied up front) and reports
back one line: nothing when it wrote its file, or the reason it did not, raised here as the same
OutputError the caller would have raised itself.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from engine.errors import CqttError, OutputError


def available() -> bool:
    return "fork" in mp.get_all_start_methods()


def _leave_quietly(signum: int, _frame: Any) -> None:
    """Stopped by the parent (it failed or was interrupted): leave through the code that removes
    the half-written temporary file, without a word (the parent says "Đã dừng." once)."""
    raise SystemExit(128 + signum)


def _child(work: Callable[[], None], send: Any) -> None:
    signal.signal(signal.SIGTERM, _leave_quietly)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    try:
        work()
    except CqttError as exc:
        send.send(str(exc))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent as one line
        send.send(f"{type(exc).__name__}: {exc}")
    else:
        send.send(None)


class Child:
    """A forked child doing `work` until `wait` (its reason raised as OutputError if it failed)
    or `stop`."""

    def __init__(self, work: Callable[[], None], what: str) -> None:
        ctx = mp.get_context("fork")
        self._receive, send = ctx.Pipe(duplex=False)
        self._process = ctx.Process(target=_child, args=(work, send), daemon=True)
        self._process.start()
        send.close()
        self._what = what

    def wait(self) -> None:
        self._process.join()
        if self._receive.poll():
            reason = self._receive.recv()
        else:
            reason = f"tiến trình ghi {self._what} dừng bất thường (mã {self._process.exitcode})"
        if reason is not None:
            raise OutputError(reason)

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()


@contextmanager
def alongside(work: Callable[[], None], what: str) -> Iterator[None]:
    """Run `work` in a forked child for the duration of the block; on leaving, wait for it and
    raise OutputError with its reason if it failed. If the block fails, the child is stopped."""
    child = Child(work, what)
    try:
        yield
    except BaseException:
        child.stop()
        raise
    child.wait()
