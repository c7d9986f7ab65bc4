"""Keep the C allocator from holding on to freed memory during a long run (glibc only).

A run at national scale makes large short-lived buffers: rows of XML text written 200 at a time,
chunks of results pickled by the scoring processes, pages of the evidence workbook. glibc serves a
buffer above its mmap threshold with its own mapping, returned when freed; but each time such a
buffer is freed it raises the threshold to that size, after which buffers of that size come from
the heap, where a hole left between live blocks is never returned. Over a 100,000-unit run that
kept several MB the process no longer used. Fixing the threshold keeps large buffers in mappings of
their own. Elsewhere than glibc nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_MMAP_THRESHOLD = -3  # glibc malloc.h
_THRESHOLD = 128 * 1024  # glibc's own starting value: only the automatic raising is switched off
_done = False


def keep_large_buffers_apart() -> None:
    """Fix glibc's mmap threshold (once per process; forked processes inherit it)."""
    global _done
    if _done or not sys.platform.startswith("linux"):
        return
    _done = True
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, _THRESHOLD)
    except (OSError, AttributeError):  # not glibc (musl has no mallopt): nothing to tune
        pass
