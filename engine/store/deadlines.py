"""The dates the province sets for a year, as rows (one per kind)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from engine.store.connect import Tx
from engine.store.schema import deadlines


def of_year(conn: Tx, year: int) -> dict[str, dt.date]:
    found = conn.execute(select(deadlines.c.kind, deadlines.c.due).where(deadlines.c.year == year)).all()
    return {r.kind: r.due for r in found}


def set_due(conn: Tx, year: int, kind: str, **values: Any) -> None:
    done = conn.execute(
        deadlines.update().where(deadlines.c.year == year, deadlines.c.kind == kind).values(**values)
    )
    if not done.rowcount:
        conn.execute(deadlines.insert().values(year=year, kind=kind, **values))


def clear(conn: Tx, year: int, kind: str) -> None:
    conn.execute(deadlines.delete().where(deadlines.c.year == year, deadlines.c.kind == kind))
