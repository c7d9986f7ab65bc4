"""Text as Vietnamese readers see it, and text a spreadsheet can hold: the ground floor every
layer writes through (numbers with a decimal comma, shares as percentages, cell-safe text).

One function per way of writing a number, so that a page, a workbook and a printed record never
write the same number two ways.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from engine.numbers import decimal, round_cents

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# What a terminal would act on rather than show: C0 and C1 controls (ESC, CSI…), DEL, and the
# bidirectional overrides that reorder what follows them on screen.
_TERMINAL_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
EXCEL_CELL_LIMIT = 32_767  # characters a cell holds; Excel opens a longer one as a "repaired" file


def fmt(value: Any) -> str:
    """Points and other numbers as Vietnamese readers write them: decimal comma, at most two
    decimals (rounded half away from zero, as points are), no trailing zeros; yes/no as Có/Không."""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return _two_decimals(value)
    return str(value)


@functools.lru_cache(maxsize=8192)
def _two_decimals(value: float) -> str:
    """The value as written, to two decimals rounding half away from zero (99.325 is "99,33";
    formatting the float itself would give "99,32"). Cached: the same values recur."""
    n = round_cents(decimal(value))
    whole, part = divmod(abs(n), 100)
    text = f"{'-' if n < 0 else ''}{whole},{part:02d}".rstrip("0").rstrip(",")
    return "0" if text in ("-0", "") else text


def cents(value: float) -> str:
    """Points always with two decimals, as a signed list shows them (89,20), rounded as points are."""
    n = round_cents(decimal(value))
    whole, part = divmod(abs(n), 100)
    return f"{'-' if n < 0 else ''}{whole},{part:02d}"


def number(value: float) -> str:
    """A number from a rule file or a cell as it was written, with a decimal comma (0,95; 12)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value).replace(".", ",")


def short_number(value: float) -> str:
    """A computed number to six significant digits, decimal comma (a sum of points 99,9999 rather
    than its binary noise; 0,07 × 100 is 7)."""
    value = float(value)
    return str(int(value)) if value.is_integer() else f"{value:g}".replace(".", ",")


def percent(share: float, decimals: int = 1) -> str:
    """A share (0.472) as a percentage with a decimal comma: "47,2%"."""
    return f"{share:.{decimals}%}".replace(".", ",")


def fixed(value: float, decimals: int = 1) -> str:
    """A number to a fixed number of decimals, decimal comma: "-3,5"."""
    return f"{value:.{decimals}f}".replace(".", ",")


def safe_text(value: Any) -> str:
    """Text with the control characters Excel refuses removed, cut to what a cell holds (with a
    mark that says so)."""
    text = _CONTROL.sub("", str(value))
    if len(text) > EXCEL_CELL_LIMIT:
        mark = f"… (cắt bớt: {len(text)} ký tự, một ô Excel chứa tối đa {EXCEL_CELL_LIMIT})"
        text = text[: EXCEL_CELL_LIMIT - len(mark)] + mark
    return text


def terminal_safe(text: str) -> str:
    """`text` as a terminal may print it: every control character, DEL and bidirectional override
    written as its escape (\\u001b), so that what someone typed into a login or a form is shown,
    never acted on (a colour, a cleared screen, a line rewritten). Valid inside a JSON string."""
    return _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)
