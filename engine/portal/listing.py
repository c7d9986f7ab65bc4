"""Lists people work through: searched by code or name with or without diacritics ("tien thang"
finds "Xã Tiến Thắng"), filtered, sorted by any column, paged, and downloaded as Excel exactly as
shown (the same rows in the same order, every page of them, with the search and filters named).

A list is rows of plain values under named columns; the query comes from the page's address and
is checked against the columns and choices the list declares (anything else is ignored).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from engine.suggest import ascii_fold

PER_PAGE = 50


@lru_cache(maxsize=200_000)
def folded(text: str) -> str:
    """Text as a search compares it: no diacritics, no case, single spaces (kept: a country's
    unit names are folded once, not on every search)."""
    return " ".join(ascii_fold(text).casefold().split())


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False


@dataclass(frozen=True)
class Filter:
    key: str  # the row value it compares
    label: str
    choices: tuple[tuple[str, str], ...]  # (value, label)


@dataclass
class Query:
    search: str = ""
    sort: str = ""
    descending: bool = False
    filters: dict[str, str] = field(default_factory=dict)
    page: int = 1

    def args(self, **change: Any) -> dict[str, str]:
        """The page address's parameters for this query with `change` applied (for links)."""
        values: dict[str, str] = {
            "q": self.search,
            "sap_xep": self.sort,
            "giam": "1" if self.descending else "",
            "trang": str(self.page) if self.page > 1 else "",
            **self.filters,
        }
        values.update({k: str(v) for k, v in change.items()})
        return {k: v for k, v in values.items() if v}


def query_from(params: Mapping[str, str], columns: Sequence[Column], filters: Sequence[Filter]) -> Query:
    """The query an address asks for, keeping only what the list knows."""
    keys = {c.key for c in columns}
    sort = params.get("sap_xep", "")
    chosen = {}
    for f in filters:
        value = params.get(f.key, "")
        if value and value in {v for v, _ in f.choices}:
            chosen[f.key] = value
    page = params.get("trang", "1")
    return Query(
        search=params.get("q", "")[:100],
        sort=sort if sort in keys else "",
        descending=params.get("giam") == "1",
        filters=chosen,
        page=int(page) if page.isdigit() and 0 < len(page) <= 6 else 1,
    )


@dataclass
class Shown:
    rows: list[dict[str, Any]]  # the page's rows
    matched: list[dict[str, Any]]  # every row the search and filters keep, in order
    total: int  # rows before searching and filtering
    page: int
    pages: int


def _sort_key(column: Column, row: dict[str, Any]) -> tuple[int, Any]:
    value = row.get(column.key)
    if value is None or value == "":
        return (1, 0 if column.numeric else "")
    return (0, value if column.numeric else folded(str(value)))


def _matches(held: Any, wanted: str) -> bool:
    """A filter's value against a row's: one of a row's several (its flags), or the same."""
    if isinstance(held, (list, tuple, set, frozenset)):
        return wanted in held
    return str(held if held is not None else "") == wanted


def show(
    rows: list[dict[str, Any]],
    columns: Sequence[Column],
    query: Query,
    searched: Sequence[str],
    per_page: int = PER_PAGE,
) -> Shown:
    """The rows the query keeps (the search in the `searched` columns, every filter), sorted (blank
    values last either way), and the page asked for (the last one if it asks past it)."""
    wanted = folded(query.search)
    kept = [
        r
        for r in rows
        if (not wanted or any(wanted in folded(str(r.get(k) or "")) for k in searched))
        and all(_matches(r.get(k), v) for k, v in query.filters.items())
    ]
    by = next((c for c in columns if c.key == query.sort), None)
    if by is not None:
        present = [r for r in kept if r.get(by.key) not in (None, "")]
        blank = [r for r in kept if r.get(by.key) in (None, "")]
        present.sort(key=lambda r: _sort_key(by, r), reverse=query.descending)
        kept = present + blank
    pages = max(1, math.ceil(len(kept) / per_page))
    page = min(query.page, pages)
    return Shown(kept[(page - 1) * per_page : page * per_page], kept, len(rows), page, pages)


def described(query: Query, filters: Sequence[Filter]) -> str:
    """The search and filters in words (a download's heading says what it holds)."""
    parts = [f"tìm “{query.search}”"] if query.search else []
    for f in filters:
        value = query.filters.get(f.key)
        if value:
            parts.append(f"{f.label.lower()}: {dict(f.choices).get(value, value)}")
    return "; ".join(parts) if parts else "tất cả"
