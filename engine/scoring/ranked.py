"""A run's unit results in ranking order, kept on disk: what keeps memory flat at national scale.

Each unit's light result (no per-criterion detail) and its packed full result go to a temporary
file as they are scored, one record a unit; memory keeps, per unit, what ranking and the run's
seal need (code, total, group, ranks, the three 8-byte digests) and where its record lies: about
90 bytes a unit instead of several KB. Reading a unit gives a fresh light result with its ranks
and seal, whose `full()` reads the complete result.
"""

from __future__ import annotations

import pickle
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from engine.scoring.results import UnitResult
from engine.scoring.seal import PARTS, digest, ranking_of, run_seal_of_rows
from engine.spool import LazySequence, Spool

DIGEST_BYTES = 8  # a unit's digests are 16 hex digits (engine.scoring.seal.digest)
SEAL_ORDER = ("criteria", "evidence", "ranking")  # as a unit's seal was always written


class RankedUnits(LazySequence[UnitResult]):
    """Light unit results, added in input order, read in ranking order once `finish` has run."""

    def __init__(self) -> None:
        # One record a unit in one spool: its light result pickled, then its packed full result.
        self._records = Spool()
        self._at_offset = array("q")
        self._light_length = array("I")
        self._full_length = array("I")
        self._codes = bytearray()  # every unit's code in UTF-8, end to end
        self._code_end = array("Q")  # by input index: where its code ends in _codes
        self._totals = array("d")
        self._group_of = array("i")
        self._groups: dict[str, int] = {}
        self._digests = {part: bytearray() for part in PARTS}
        self._order = array("i")  # ranking position -> input index
        self._by_code = array("i")  # unit-code order -> input index
        self._rank = array("i")  # by input index
        self._group_rank = array("i")
        self._finished = False

    def add(self, light: UnitResult) -> None:
        """Keep one light result (made by `UnitResult.packed`, in input order)."""
        packed = light.take_packed()
        pickled = pickle.dumps(light, protocol=pickle.HIGHEST_PROTOCOL)
        at, _ = self._records.put(pickled + packed)
        self._at_offset.append(at)
        self._light_length.append(len(pickled))
        self._full_length.append(len(packed))
        self._codes += light.code.encode()
        self._code_end.append(len(self._codes))
        self._totals.append(light.total)
        self._group_of.append(self._groups.setdefault(light.group, len(self._groups)))
        for part in ("criteria", "evidence"):
            self._digests[part] += bytes.fromhex(light.seal[part])

    def finish(self) -> None:
        """Rank (see engine.scoring.ranking: competition ranks, ties listed by code) and seal the
        ranking part, which holds the rank. Ranks are given walking the ranking once, keeping per
        group only its last total and rank: no list of a run's totals or ranks is made."""
        n = len(self)
        totals, codes, ends = self._totals, bytes(self._codes), self._code_end
        # Codes compared as UTF-8 bytes sort as the strings do (UTF-8 keeps code point order),
        # and a bytes key weighs less than a decoded string.
        self._by_code = array("i", sorted(range(n), key=lambda i: codes[ends[i - 1] if i else 0 : ends[i]]))
        # Highest total first, ties by code: a stable sort of the code order by total alone.
        self._order = array("i", sorted(self._by_code, key=totals.__getitem__, reverse=True))
        self._rank = array("i", bytes(4 * n))
        self._group_rank = array("i", bytes(4 * n))
        group_seen: dict[int, tuple[int, float, int]] = {}  # group -> (units so far, last total, rank)
        for position, i in enumerate(self._order):
            total, group = totals[i], self._group_of[i]
            if position and total == totals[self._order[position - 1]]:
                self._rank[i] = self._rank[self._order[position - 1]]
            else:
                self._rank[i] = position + 1
            count, last, rank = group_seen.get(group, (0, 0.0, 0))
            rank = rank if count and total == last else count + 1
            self._group_rank[i] = rank
            group_seen[group] = (count + 1, total, rank)
        self._finished = True
        ranking = bytearray(DIGEST_BYTES * n)
        for position, light in enumerate(self):
            i = self._order[position]
            ranking[i * DIGEST_BYTES : (i + 1) * DIGEST_BYTES] = bytes.fromhex(light.seal["ranking"])
        self._digests["ranking"] = ranking

    def _members_by_group(self) -> dict[int, array[int]]:
        """Input indices of each group's units, in ranking order."""
        members: dict[int, array[int]] = {}
        for i in self._order:
            members.setdefault(self._group_of[i], array("i")).append(i)
        return members

    def _full_record(self, i: int) -> tuple[int, int]:
        """(offset, length) of the packed full result of the unit at input index `i`."""
        return self._at_offset[i] + self._light_length[i], self._full_length[i]

    def code(self, i: int) -> str:
        """The code of the unit at input index `i`."""
        return self._codes[self._code_end[i - 1] if i else 0 : self._code_end[i]].decode()

    def _seal_of(self, i: int) -> dict[str, str]:
        at = slice(i * DIGEST_BYTES, (i + 1) * DIGEST_BYTES)
        return {part: self._digests[part][at].hex() for part in SEAL_ORDER if self._digests[part]}

    def _at(self, i: int) -> UnitResult:
        """The unit at input index `i`, with its ranks and seal."""
        light: UnitResult = pickle.loads(self._records.get(self._at_offset[i], self._light_length[i]))
        return self._dress(i, light)

    def _dress(self, i: int, light: UnitResult) -> UnitResult:
        light.rank, light.group_rank = self._rank[i], self._group_rank[i]
        light.seal = self._seal_of(i)
        if "ranking" not in light.seal:  # sealed here, the first time the rank is known
            light.seal["ranking"] = str(digest("ranking", ranking_of(light)))
        light.attach_full(self._records, *self._full_record(i))
        return light

    # -- the sequence, in ranking order ------------------------------------------------------
    def __len__(self) -> int:
        return len(self._code_end)

    def _item(self, position: int) -> UnitResult:
        self._check()
        return self._at(self._order[position])

    def __iter__(self) -> Iterator[UnitResult]:
        self._check()
        for i in self._order:
            yield self._at(i)

    def _check(self) -> None:
        if not self._finished:
            raise RuntimeError("RankedUnits read before finish()")

    # -- other orders ------------------------------------------------------------------------
    def in_input_order(self) -> Iterator[UnitResult]:
        self._check()
        for i in range(len(self)):
            yield self._at(i)

    def by_code(self) -> Iterator[UnitResult]:
        self._check()
        for i in self._by_code:
            yield self._at(i)

    def full_results(self, in_code_order: bool = False) -> Iterator[UnitResult]:
        """Every unit's full result with its ranks and seal, in ranking (or unit-code) order,
        without reading the light results: what the long sheets and the JSON are made of."""
        self._check()
        order = self._by_code if in_code_order else self._order
        for i in order:
            unit = UnitResult.unpack(self._records.get(*self._full_record(i)))
            unit.rank, unit.group_rank, unit.seal = self._rank[i], self._group_rank[i], self._seal_of(i)
            yield unit

    def full_records(self, in_code_order: bool = False) -> Iterator[dict[str, Any]]:
        """As `full_results`, as plain JSON data (UnitResult.unpack_record): what the long
        sheets and the JSON file are written from."""
        self._check()
        order = self._by_code if in_code_order else self._order
        for i in order:
            record = UnitResult.unpack_record(self._records.get(*self._full_record(i)))
            record.update(rank=self._rank[i], group_rank=self._group_rank[i], seal=self._seal_of(i))
            yield record

    def by_group(self) -> dict[str, Sequence[UnitResult]]:
        """Each appraisal group's units in ranking order, read as they are asked for."""
        self._check()
        names = {index: name for name, index in self._groups.items()}
        return {names[g]: _Subset(self, members) for g, members in self._members_by_group().items()}

    def seals_by_code(self) -> Iterator[tuple[str, dict[str, str]]]:
        """(code, seal) of every unit in unit-code order, from memory."""
        self._check()
        for i in self._by_code:
            yield self.code(i), self._seal_of(i)

    def seal(self, criteria_sha256: str) -> str:
        """The run's seal (engine.scoring.seal.run_seal) from the digests kept in memory."""
        self._check()

        def rows() -> Iterator[list[str | None]]:
            for i in self._by_code:
                seal = self._seal_of(i)
                yield [self.code(i), *(seal.get(p) for p in PARTS)]

        return run_seal_of_rows(criteria_sha256, rows())


class _Subset(LazySequence[UnitResult]):
    """Some of a run's units (input indices, in the order given), read as they are asked for."""

    def __init__(self, units: RankedUnits, indices: array[int]) -> None:
        self._units = units
        self._indices = indices

    def __len__(self) -> int:
        return len(self._indices)

    def _item(self, position: int) -> UnitResult:
        return self._units._at(self._indices[position])


def by_code(units: Sequence[UnitResult]) -> Iterable[UnitResult]:
    """Units in unit-code order, whether kept on disk or in a list."""
    if isinstance(units, RankedUnits):
        return units.by_code()
    return sorted(units, key=lambda u: u.code)


def full_results(units: Sequence[UnitResult], in_code_order: bool = False) -> Iterator[UnitResult]:
    """The full result of each unit, in the order given or in unit-code order."""
    if isinstance(units, RankedUnits):
        yield from units.full_results(in_code_order)
        return
    for unit in by_code(units) if in_code_order else units:
        yield unit.full()


def full_records(units: Sequence[UnitResult], in_code_order: bool = False) -> Iterator[dict[str, Any]]:
    """As `full_results`, each unit's full result as plain JSON data."""
    if isinstance(units, RankedUnits):
        yield from units.full_records(in_code_order)
        return
    for unit in by_code(units) if in_code_order else units:
        yield unit.full_record()


def seals_by_code(units: Sequence[UnitResult]) -> Iterator[tuple[str, dict[str, str]]]:
    """(code, seal) of each unit, in unit-code order."""
    if isinstance(units, RankedUnits):
        yield from units.seals_by_code()
        return
    for unit in by_code(units):
        yield unit.code, unit.seal


def by_group(units: Sequence[UnitResult]) -> dict[str, Sequence[UnitResult]]:
    """Each appraisal group's units, in the order given (ranking order for a run's units)."""
    if isinstance(units, RankedUnits):
        return units.by_group()
    groups: dict[str, list[UnitResult]] = {}
    for unit in units:
        groups.setdefault(unit.group, []).append(unit)
    return dict(groups)
