"""Ranking by total, highest first, with competition ranks (1, 2, 2, 4).

Tie rule: units with the same total share a rank, and the next rank skips as many places as there
were tied units. Within a tie, units are listed by unit code, which only orders the rows: it
never changes a rank. Recognition does not affect rank; the decision is shown beside it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine.scoring.results import UnitResult


def ordered(units: Sequence[UnitResult]) -> list[UnitResult]:
    return sorted(units, key=lambda u: (-u.total, u.code))


def competition_ranks(totals: Sequence[float]) -> list[int]:
    """Ranks for totals already sorted highest first."""
    ranks: list[int] = []
    for index, total in enumerate(totals):
        if index and total == totals[index - 1]:
            ranks.append(ranks[-1])
        else:
            ranks.append(index + 1)
    return ranks


def ranks_by_code(totals: Mapping[str, float]) -> dict[str, int]:
    """Each code's competition rank by its total (highest first; ties share a rank)."""
    ordered_codes = sorted(totals, key=lambda code: (-totals[code], code))
    ranks = competition_ranks([totals[code] for code in ordered_codes])
    return dict(zip(ordered_codes, ranks, strict=True))


def assign_ranks(units: list[UnitResult]) -> None:
    """Set `rank` (overall) and `group_rank` (within the appraisal group); order units by rank.
    For units in a list; a run's units (engine.scoring.ranked.RankedUnits) are ranked the same
    way from their totals and codes alone, and the tests compare the two."""
    units[:] = ordered(units)
    for unit, rank in zip(units, competition_ranks([u.total for u in units]), strict=True):
        unit.rank = rank
    by_group: dict[str, list[UnitResult]] = {}
    for unit in units:
        by_group.setdefault(unit.group, []).append(unit)
    for members in by_group.values():
        for unit, rank in zip(members, competition_ranks([u.total for u in members]), strict=True):
            unit.group_rank = rank
