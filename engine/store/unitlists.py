"""A programme year's unit list and its criteria set, as rows: the population of every share."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, func, select

from engine.store.connect import Tx
from engine.store.schema import applications, portal_years, units


def replace(
    conn: Tx, year: int, rows: list[dict[str, Any]], criteria_ref: str, criteria_sha256: str, at: dt.datetime
) -> set[str]:
    """Make `rows` the year's list and the criteria its set; returns the codes that had an
    application in the year (some may be gone from the new list)."""
    applied = set(conn.execute(select(applications.c.unit_code).where(applications.c.year == year)).scalars())
    conn.execute(delete(units).where(units.c.year == year))
    conn.execute(units.insert(), rows)
    conn.execute(delete(portal_years).where(portal_years.c.year == year))
    conn.execute(
        portal_years.insert().values(
            year=year, criteria_ref=criteria_ref, criteria_sha256=criteria_sha256, created_at=at
        )
    )
    return applied


def applications_started(conn: Tx, year: int) -> int:
    """The year's applications past "chưa nộp" (a draft, a submission, anything scored)."""
    query = (
        select(func.count())
        .select_from(applications)
        .where(applications.c.year == year, applications.c.state != "chua_nop")
    )
    return int(conn.execute(query).scalar_one())


def years(conn: Tx) -> list[Any]:
    return list(conn.execute(select(portal_years).order_by(portal_years.c.year)).all())


def unit(conn: Tx, year: int, code: str) -> Any:
    return conn.execute(select(units).where(units.c.year == year, units.c.code == code)).first()


def of_group(conn: Tx, year: int, group: str) -> list[Any]:
    query = select(units).where(units.c.year == year, units.c.district == group).order_by(units.c.code)
    return list(conn.execute(query).all())


def move(conn: Tx, year: int, code: str, group: str, at: Any) -> None:
    """Give a unit another group; its row counts as changed now (what the dashboard and the lists
    keep is made again)."""
    conn.execute(
        units.update().where(units.c.year == year, units.c.code == code).values(district=group, loaded_at=at)
    )


def of_year(conn: Tx, year: int) -> list[Any]:
    return list(conn.execute(select(units).where(units.c.year == year).order_by(units.c.code)).all())


def groups(conn: Tx, year: int) -> list[tuple[str, int]]:
    """Each appraisal group of the year's list and its number of units."""
    rows = conn.execute(
        select(units.c.district, func.count())
        .where(units.c.year == year)
        .group_by(units.c.district)
        .order_by(units.c.district)
    ).all()
    return [(r[0], r[1]) for r in rows]


def has_group(conn: Tx, year: int | None, group: str) -> bool:
    """Whether a group is in the year's list (any year's, with `year` None)."""
    query = select(units.c.code).where(units.c.district == group)
    if year is not None:
        query = query.where(units.c.year == year)
    return conn.execute(query.limit(1)).first() is not None


def has_unit(conn: Tx, code: str) -> bool:
    """Whether a code is in any year's list."""
    return conn.execute(select(units.c.code).where(units.c.code == code).limit(1)).first() is not None


def any_loaded(conn: Tx) -> bool:
    return conn.execute(select(units.c.code).limit(1)).first() is not None


def list_stamp(conn: Tx, year: int) -> tuple[Any, int]:
    """When the year's list was last loaded and its size: what the dashboard's cache keys on."""
    row = conn.execute(
        select(func.max(units.c.loaded_at), func.count()).select_from(units).where(units.c.year == year)
    ).one()
    return row[0], int(row[1])
