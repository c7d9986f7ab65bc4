""" "Did you mean" hints and safe identifiers, for errors that suggest the fix."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate nearest to `word`, comparing without diacritics or case; None if none is close."""
    pool = list(dict.fromkeys(candidates))
    folded = {ascii_fold(c).lower(): c for c in pool}
    hits = difflib.get_close_matches(ascii_fold(word).lower(), list(folded), n=1, cutoff=0.6)
    return folded[hits[0]] if hits else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    pool = list(candidates)
    hit = closest(word, pool)
    if hit is not None:
        return f"bạn muốn viết `{hit}`?"
    if pool and len(pool) <= 12:
        return "dùng một trong: " + ", ".join(f"`{c}`" for c in pool)
    return None


def ascii_fold(text: str) -> str:
    """Remove Vietnamese diacritics: "Tỷ lệ đúng hạn" -> "Ty le dung han"."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")


def slug(text: str) -> str:
    """A valid identifier from free text: "Tỷ lệ đúng hạn" -> "ty_le_dung_han"."""
    folded = re.sub(r"[^a-z0-9]+", "_", ascii_fold(text).lower()).strip("_")
    folded = re.sub(r"_+", "_", folded)
    if not folded or not folded[0].isalpha():
        folded = "f_" + folded
    return folded[:63]
