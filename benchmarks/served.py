"""`cqtt web` started for a benchmark on 127.0.0.1 (a free port), and stopped after it."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def portal(db: str, data_dir: Path, deadline: float, extra: list[str] | None = None) -> Iterator[str]:
    """The portal's address while the block runs; its log is read (and dropped) in the background
    so that the server never blocks on a full pipe."""
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
        threading.Thread(target=lambda: [None for _ in server.stderr], daemon=True).start()  # type: ignore[union-attr]
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
