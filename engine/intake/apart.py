"""A sheet's rows parsed by a forked child while this process types the rows before.

Reading a national evidence file is two kinds of work of about the same cost: openpyxl parsing
the sheet's XML into cell values, and typing those values against the criteria set. Done one
after the other they take one core while the other waits for the scoring to start; here the
child parses (it inherits the open workbook: fork, nothing copied up front) and sends the rows in
batches over a pipe, and this process types each batch while the next is parsed.

The rows are the same, in the same order, as when this process parses them itself; an error met
by the child is raised here, as the same exception, at the row where it was met.
"""

from __future__ import annotations

import multiprocessing as mp
import pickle
import signal
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

BATCH_ROWS = 500  # rows per message: a few hundred KB, as pickled


def available() -> bool:
    return "fork" in mp.get_all_start_methods()


def _leave_quietly(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def _error_blob(exc: BaseException) -> bytes:
    """The exception, pickled so that it unpickles (else a RuntimeError saying what it was)."""
    try:
        blob = pickle.dumps(exc)
        pickle.loads(blob)
        return blob
    except Exception:  # noqa: BLE001 - an exception whose class does not pickle back
        return pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))


def _produce(make: Callable[[], Iterable[Any]], send: Any, batch: int) -> None:
    signal.signal(signal.SIGTERM, _leave_quietly)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops us
    chunk: list[Any] = []
    try:
        for item in make():
            chunk.append(item)
            if len(chunk) >= batch:
                send.send_bytes(b"r" + pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL))
                chunk = []
        if chunk:
            send.send_bytes(b"r" + pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL))
        send.send_bytes(b"e")
    except BaseException as exc:  # noqa: BLE001 - raised in the parent, where the rows are read
        if chunk:  # the rows made before the error are read first, as in one process
            send.send_bytes(b"r" + pickle.dumps(chunk, pickle.HIGHEST_PROTOCOL))
        send.send_bytes(b"x" + _error_blob(exc))


def made_apart(make: Callable[[], Iterable[T]], batch: int = BATCH_ROWS) -> Iterator[T]:
    """What `make()` yields, made by a forked child. Leaving the loop early (or failing) stops
    the child."""
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    child = ctx.Process(target=_produce, args=(make, send, batch), daemon=True)
    child.start()
    send.close()
    try:
        while True:
            try:
                message = receive.recv_bytes()
            except EOFError:
                child.join()
                raise RuntimeError(f"tiến trình đọc tệp dừng bất thường (mã {child.exitcode})") from None
            kind, body = message[:1], message[1:]
            if kind == b"e":
                return
            if kind == b"x":
                raise pickle.loads(body)
            yield from pickle.loads(body)
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        receive.close()
