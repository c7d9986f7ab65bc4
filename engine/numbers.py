"""Exact points: every number a rule file or a clerk wrote is a decimal, and is computed as one.

Points are kept to two decimals, rounding half away from zero, once. Evidence and rule-file numbers
reach the engine as the binary float nearest to the decimal written ("99,3%" is the float 99.3),
and that float's shortest text (`repr`) is the decimal written, exactly. So every computation here
starts from that decimal, in `Fraction` arithmetic, and only the two-decimal result becomes a float
again: 99.3% on a linear scale from 80% (0) to 100% (5) is exactly 4.825 and gives 4.83, where the
same computation in binary floating point gives 4.82499… and 4.82.

A float that holds points (always made by `round_points`) is the nearest float to a whole number of
cents, so sums are made in whole cents (`cents`, `sum_points`) and are exact as well. Comparisons
with thresholds (recognition, borderline, tolerances, group shares) go through `exact` on both sides,
so a unit exactly at a threshold is on the side the rule says.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from fractions import Fraction

Number = int | float | Decimal | Fraction

_HALF = Fraction(1, 2)
_CENT = Decimal("0.01")


def exact(value: Number) -> Fraction:
    """The exact value of a number as it was written (a float by its shortest text)."""
    if isinstance(value, Fraction):
        return value
    if isinstance(value, float):
        return _exact_float(value)
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not a number")
    return Fraction(value)


@functools.lru_cache(maxsize=8192)
def _exact_float(value: float) -> Fraction:
    """Cached: the same few thousand values (tier bounds, points, typed evidence) recur."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return Fraction(Decimal(repr(value)))


def as_shown(value: float) -> float:
    """A number from a spreadsheet cell as the spreadsheet shows it: to 15 significant digits,
    as Excel keeps them. A share computed in binary (87.3 / 100 is 0.8729999999999999) is shown,
    and read, as the 0.873 a person sees; a number typed in a cell is unchanged."""
    if not math.isfinite(value):
        return value
    with localcontext() as ctx:
        ctx.prec = 15
        return float(+Decimal(repr(value)))


@functools.lru_cache(maxsize=8192)
def decimal(value: float) -> Decimal:
    """The decimal a float was written as, for sums: adding decimals of a few digits is exact (28
    significant digits are kept) and much cheaper than adding fractions."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    return Decimal(repr(value))


@functools.lru_cache(maxsize=8192)
def ratio(value: float) -> tuple[int, int]:
    """The decimal a float was written as, as (numerator, denominator) integers: for arithmetic
    on the hot path (linear scores), where fractions cost too much."""
    return decimal(value).as_integer_ratio()


def round_ratio(numerator: int, denominator: int) -> float:
    """numerator/denominator to two decimals, half away from zero, in integer arithmetic."""
    negative = (numerator < 0) != (denominator < 0)
    n, d = abs(numerator), abs(denominator)
    cents = (200 * n + d) // (2 * d)
    return (-cents if negative else cents) / 100


def round_cents(value: Number) -> int:
    """`value` in whole cents, rounding half away from zero."""
    if isinstance(value, float):
        value = decimal(value)
    if isinstance(value, Decimal):
        return int(value.scaleb(2, _WIDE).to_integral_value(rounding=ROUND_HALF_UP))
    x = exact(value) * 100
    whole = math.floor(abs(x) + _HALF)
    return whole if x >= 0 else -whole


def round_points(value: Number) -> float:
    """Points to two decimals, rounding half away from zero, as the float nearest to them."""
    if isinstance(value, float):
        return _round_float(value)
    if isinstance(value, Decimal):
        return float(value.quantize(_CENT, rounding=ROUND_HALF_UP))
    return round_cents(value) / 100


@functools.lru_cache(maxsize=8192)
def _round_float(value: float) -> float:
    return round_cents(value) / 100


def cents(points: float) -> int:
    """Whole cents of a value already kept to two decimals (made by `round_points`)."""
    return round(points * 100)


def sum_points(points: Iterable[float]) -> float:
    """The exact sum of values kept to two decimals."""
    return sum(map(cents, points)) / 100


def as_decimal(value: int | float | Decimal) -> Decimal:
    """The decimal a number was written as (a float by its shortest text)."""
    if isinstance(value, float):
        return decimal(value)
    if isinstance(value, bool):
        raise TypeError("a yes/no value is not a number")
    return Decimal(value)


# Differences of numbers of up to 17 significant digits between 1e-4 and 1e12 (what the reader
# lets through) need at most about 35 digits: kept exact with room to spare.
_WIDE = Context(prec=60)


def difference(a: int | float | Decimal, b: int | float | Decimal) -> float:
    """`a - b` to two decimals, exactly (a self-score against a total, say)."""
    return round_points(_WIDE.subtract(as_decimal(a), as_decimal(b)))


def ceil_points(value: Number) -> float:
    """The smallest two-decimal value at or above `value`: points at or above it are exactly the
    points at or above `value`, so a threshold like 50% of 13 points (6.5) or a third of 10
    (3.333…, so 3.34) can be compared with two-decimal points in any arithmetic."""
    return math.ceil(exact(value) * 100) / 100


def exceeds(a: int | float | Decimal, b: int | float | Decimal, tolerance: int | float | Decimal) -> bool:
    """Whether `a` is above `b` by more than `tolerance`, exactly (a self-score above the
    appraised total by more than the tolerance allowed)."""
    return _WIDE.subtract(as_decimal(a), as_decimal(b)) > as_decimal(tolerance)


def near(a: int | float | Decimal, b: int | float | Decimal, margin: int | float | Decimal) -> bool:
    """Whether `a` is within `margin` of `b`, ends included, exactly (a total near the threshold)."""
    return abs(_WIDE.subtract(as_decimal(a), as_decimal(b))) <= as_decimal(margin)


def at_least(a: int | float | Decimal, b: int | float | Decimal) -> bool:
    """Whether `a` ≥ `b`, as the decimals written."""
    return as_decimal(a) >= as_decimal(b)


POINTS_TOLERANCE = 0.005  # half a cent: points are kept to two decimals


def same_points(a: float, b: float) -> bool:
    """Two amounts of points are the same when they round to the same cents (a float's binary
    noise never makes two equal amounts differ, and 0,01 always does)."""
    return abs(a - b) <= POINTS_TOLERANCE
