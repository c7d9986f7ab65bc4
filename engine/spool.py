"""Records kept in an unnamed temporary file instead of memory, for runs at national scale.

At 100,000 units the typed evidence, the light results and the full results would each hold
hundreds of MB as Python objects for the whole run, though each is needed only one unit at a time.
A `Spool` holds bytes appended in order and read back at random; a `SpooledList` is a read-only
sequence of picklable objects kept in a spool, with only two integers a record in memory.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import weakref
from array import array
from collections.abc import Iterator, Sequence
from typing import Generic, TypeVar, overload

T = TypeVar("T")


class Spool:
    """Bytes appended in order, read at random with pread (which leaves the file position alone,
    so forked processes can read the same spool). The file goes when the spool does."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(buffering=0)
        self._size = 0
        weakref.finalize(self, self._file.close)

    def put(self, data: bytes) -> tuple[int, int]:
        offset = self._size
        view = memoryview(data)
        while view:
            written = self._file.write(view)
            view = view[written:]
        self._size += len(data)
        return offset, len(data)

    def get(self, offset: int, length: int) -> bytes:
        data = os.pread(self._file.fileno(), length, offset)
        if len(data) != length:
            raise OSError(f"tệp tạm kết quả bị cắt ngắn ({len(data)}/{length} byte)")
        return data


class LazySequence(Sequence[T], Generic[T]):
    """A read-only sequence whose items are made when asked for: a subclass gives `__len__` and
    `_item(index)` for 0 <= index < len; indexing from the end and slices are handled here."""

    def _item(self, index: int) -> T:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> list[T]: ...

    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(len(self)))]
        size = len(self)
        if index < 0:
            index += size
        if not 0 <= index < size:
            raise IndexError(f"{type(self).__name__} index out of range")
        return self._item(index)


class SpooledList(LazySequence[T]):
    """Objects appended in order and read back one at a time, each a fresh copy: changing an
    object read from the list does not change the list. Iterating reads the file in blocks."""

    READ_BLOCK = 256  # records read with one pread when iterating

    def __init__(self, items: Sequence[T] | Iterator[T] = ()) -> None:
        self._spool = Spool()
        self._offsets = array("q")
        self._lengths = array("q")
        for item in items:
            self.append(item)

    def append(self, item: T) -> None:
        offset, length = self._spool.put(pickle.dumps(item, protocol=pickle.HIGHEST_PROTOCOL))
        self._offsets.append(offset)
        self._lengths.append(length)

    def __len__(self) -> int:
        return len(self._offsets)

    def _item(self, index: int) -> T:
        loaded: T = pickle.loads(self._spool.get(self._offsets[index], self._lengths[index]))
        return loaded

    def __iter__(self) -> Iterator[T]:
        return self.iterate(0, len(self))

    def iterate(self, start: int, stop: int) -> Iterator[T]:
        """Records start..stop-1 in order; their bytes lie end to end, read a block at a time."""
        for first in range(start, stop, self.READ_BLOCK):
            last = min(first + self.READ_BLOCK, stop)
            base = self._offsets[first]
            block = self._spool.get(base, self._offsets[last - 1] + self._lengths[last - 1] - base)
            for i in range(first, last):
                at = self._offsets[i] - base
                yield pickle.loads(block[at : at + self._lengths[i]])
