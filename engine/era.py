"""Which local government a certification year is appraised under. Since 1 July 2025 Vietnam has
two tiers (province, then xã, phường and đặc khu): no districts, and the province forms appraisal
teams (tổ thẩm định) that each take a set of units. A year before is appraised by districts.
What people read (column headings, the body above a team's record, who a decision is sent to)
follows the year."""

from __future__ import annotations

TWO_TIERS_FROM = 2025  # the first certification year after the reorganisation of 1 July 2025


def two_tiers(year: int | None) -> bool:
    """Whether `year` is appraised by the province's teams (no districts). Unknown: today's."""
    return year is None or year >= TWO_TIERS_FROM


def group_word(year: int | None) -> str:
    """What a unit's group is called in `year`: "tổ thẩm định" or "huyện"."""
    return "tổ thẩm định" if two_tiers(year) else "huyện"


def local_recipients(year: int | None) -> str:
    """The local governments a province's decision of `year` is sent to."""
    return "UBND các xã, phường, đặc khu" if two_tiers(year) else "UBND các huyện, thị xã, thành phố"
