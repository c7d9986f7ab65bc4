"""The unit codes read so far, and where each was first read, without an object per code.

Reading evidence must refuse a unit code met twice and say where it was first read. A dict of
100,000 codes to where they were read took 21 MB while the files were read (most of what reading
grew by from 10,000 to 100,000 units); this keeps flat arrays instead, 24 bytes a code: an
open-addressing table of 64-bit digests of the codes, and for each the position of the code's first
unit and where it was read. Two codes whose digests agree are compared in full (`code_at`), so
two codes are never taken for one.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable

_EMPTY = 0
_ROW_BITS = 40  # a row number below 2**40, a table number above it; -1 for "no row"


class SeenCodes:
    """Codes (already casefolded by the caller) with where each was first read: a table number
    (the caller's) and a row. `code_at(position)` gives back the code of the position-th code
    added, to confirm a digest match."""

    def __init__(self, code_at: Callable[[int], str]) -> None:
        self._code_at = code_at
        self._digests = array("Q", bytes(8 * 1024))  # 0: empty slot
        self._positions = array("q", bytes(8 * 1024))
        self._where: array[int] = array("q")  # by position: table << _ROW_BITS | row (row + 1)

    def __len__(self) -> int:
        return len(self._where)

    def first(self, code: str) -> tuple[int, int | None] | None:
        """(table, row) where `code` was first read, or None when it was never added."""
        slot = self._find(code, _digest(code))
        if self._digests[slot] == _EMPTY:
            return None
        where = self._where[self._positions[slot]]
        row = (where & ((1 << _ROW_BITS) - 1)) - 1
        return where >> _ROW_BITS, None if row < 0 else row

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.first(code) is not None

    def add(self, code: str, table: int, row: int | None) -> None:
        """Record a code not seen before (check with `first`), read from `table` at `row`."""
        digest = _digest(code)
        slot = self._find(code, digest)
        if self._digests[slot] != _EMPTY:
            raise ValueError(f"mã đơn vị {code!r} đã có")
        self._digests[slot] = digest
        self._positions[slot] = len(self._where)
        self._where.append(table << _ROW_BITS | (0 if row is None else row + 1))
        if 2 * len(self._where) > len(self._digests):  # keep the table at most half full
            self._grow()

    def _find(self, code: str, digest: int) -> int:
        """The slot holding `code`, or the empty slot where it would go."""
        mask = len(self._digests) - 1
        slot = digest & mask
        while True:
            found = self._digests[slot]
            if found == _EMPTY or (found == digest and self._code_at(self._positions[slot]) == code):
                return slot
            slot = (slot + 1) & mask

    def _grow(self) -> None:
        digests, positions = self._digests, self._positions
        size = 2 * len(digests)
        self._digests = array("Q", bytes(8 * size))
        self._positions = array("q", bytes(8 * size))
        mask = size - 1
        for digest, position in zip(digests, positions, strict=True):
            if digest == _EMPTY:
                continue
            slot = digest & mask
            while self._digests[slot] != _EMPTY:
                slot = (slot + 1) & mask
            self._digests[slot] = digest
            self._positions[slot] = position


def _digest(code: str) -> int:
    """A code's 64-bit digest, never 0 (the empty slot)."""
    value = int.from_bytes(hashlib.blake2b(code.encode("utf-8", "surrogatepass"), digest_size=8).digest())
    return value or 1
