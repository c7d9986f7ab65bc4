"""`cqtt web` started for a benchmark on 127.0.0.1 (a free port), and stopped after it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def portal(db: str, data_dir: Path, deadline: float, extra: list[str] | None = None) -> Iterator[str]:
    """The portal's address while the block runs; its log is read in the background so that the
    server never blocks on a full pipe (kept in CQTT_BENCH_LOG when set, else dropped)."""
    cqtt = Path(sys.executable).with_name("cqtt")
    command = [str(cqtt), "web", "--db", db, "--data-dir", str(data_dir), "--port", "0", "--insecure-cookies"]
    server = subprocess.Popen(
        command + (extra or []), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True
    )
    try:
        assert server.stderr is not None
        base = None
        while base is None and time.monotonic() < deadline:
            line = server.stderr.readline()
            found = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            base = found.group(1) if found else None
            if not line and server.poll() is not None:
                raise SystemExit("the portal did not start")
        if base is None:
            raise SystemExit("the portal did not start in time")
        kept = os.environ.get("CQTT_BENCH_LOG")

        def drain() -> None:
            sink = open(kept, "a", encoding="utf-8") if kept else None  # noqa: SIM115 - open for the run
            for line in server.stderr:  # type: ignore[union-attr]
                if sink is not None:
                    sink.write(line)
                    sink.flush()

        threading.Thread(target=drain, daemon=True).start()
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A client that reads a redirect as the answer (a 303 after a form is sent) instead of following it."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def percentiles(values: list[float]) -> str:
    if not values:
        return "-"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return f"p50 {at(0.50):5.0f} ms  p95 {at(0.95):5.0f} ms  p99 {at(0.99):5.0f} ms  (n={len(values)})"
