"""Helpers shared by the tests: build rule files and score units from mappings."""

from __future__ import annotations

from typing import Any

from engine.intake.evidence import read_mappings
from engine.rules.loader import LoadedCriteria, parse_criteria
from engine.scoring.engine import Engine


def load_text(text: str, name: str = "thu.yaml") -> LoadedCriteria:
    return parse_criteria(text, name)


def score_one(engine: Engine, evidence: dict[str, Any], **unit: Any):
    """Score one unit given as a mapping of evidence ids to cell values."""
    row = {"ma_don_vi": unit.pop("code", "X1"), "ten_don_vi": unit.pop("name", "Xã thử"), **evidence}
    row.update(unit)
    read = read_mappings([row], engine.cs, "(test)")
    return engine.score(read.applications[0]), read


def in_fresh_process(function: Any, *args: Any) -> Any:
    """Call `function(*args)` in a new Python process started with "spawn" and return what it
    returns (an exception it raises is raised here).

    The test process runs threads (a portal server, the browser driver, the PostgreSQL helper):
    a process forked from it inherits their locks in whatever state they were and can hang at
    birth. Code under test that forks (the scoring workers, the JSON written alongside) is run
    from a process that has no other thread. `function` must be importable by name (a module-level
    function of a test module)."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_call_and_send, args=(function, args, send))  # not daemonic: it may fork
    child.start()
    send.close()
    try:
        ok, value = receive.recv()
    except EOFError:
        child.join()
        raise AssertionError(
            f"the spawned process ended without an answer (exit code {child.exitcode})"
        ) from None
    child.join()
    if not ok:
        raise value
    return value


def _call_and_send(function: Any, args: tuple[Any, ...], send: Any) -> None:
    try:
        send.send((True, function(*args)))
    except BaseException as exc:  # noqa: BLE001 - handed to the test process
        send.send((False, exc))


def at_once(n: int, act: Any) -> list[str]:
    """Call `act(i)` for i in range(n), each from its own thread, all released together; what each
    call was told: "ok", or the message of the project error it raised (any other error fails
    the test with its traceback)."""
    import threading

    from engine.errors import CqttError

    told: list[str] = []
    failed: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(n)

    def one(i: int) -> None:
        start.wait()
        try:
            act(i)
            outcome = "ok"
        except CqttError as exc:
            outcome = str(exc)
        except BaseException as exc:  # noqa: BLE001 - raised again below, in the test's thread
            with lock:
                failed.append(exc)
            return
        with lock:
            told.append(outcome)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if failed:
        raise failed[0]
    return told
