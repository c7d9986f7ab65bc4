"""The province's review in the portal, as rows: units drawn for a field check and who checks
each, the decisions of a unit and year (the same table `cqtt decisions` writes), and appeals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.dialects import postgresql, sqlite

from engine.store.connect import Tx
from engine.store.schema import accounts, appeals, decisions, field_checks


# -- the field-check sample ---------------------------------------------------------------------------
def replace_unassigned_draw(conn: Tx, year: int, drawn: list[dict[str, Any]]) -> None:
    """Forget the year's drawn units nobody was assigned to yet, and add `drawn` but those still
    kept (assigned ones stay as they are)."""
    conn.execute(
        field_checks.delete().where(and_(field_checks.c.year == year, field_checks.c.checker_id.is_(None)))
    )
    kept = set(conn.execute(select(field_checks.c.unit_code).where(field_checks.c.year == year)).scalars())
    for row in drawn:
        if row["unit_code"] not in kept:
            conn.execute(field_checks.insert().values(year=year, **row))


def sample(conn: Tx, year: int) -> list[Any]:
    """The year's drawn units, by code, with the checker's login."""
    query = (
        select(field_checks, accounts.c.login)
        .outerjoin(accounts, accounts.c.id == field_checks.c.checker_id)
        .where(field_checks.c.year == year)
        .order_by(field_checks.c.unit_code)
    )
    return list(conn.execute(query).all())


def field_check(conn: Tx, year: int, code: str) -> Any:
    query = select(field_checks).where(field_checks.c.year == year, field_checks.c.unit_code == code)
    return conn.execute(query).first()


def assign(conn: Tx, year: int, code: str, checker_id: int, at: dt.datetime) -> bool:
    """Give a drawn unit its checker; False when the unit is not drawn."""
    done = conn.execute(
        field_checks.update()
        .where(field_checks.c.year == year, field_checks.c.unit_code == code)
        .values(checker_id=checker_id, assigned_at=at)
    )
    return bool(done.rowcount)


def drawn_count(conn: Tx, year: int) -> int:
    query = select(func.count()).select_from(field_checks).where(field_checks.c.year == year)
    return int(conn.execute(query).scalar_one())


# -- decisions ----------------------------------------------------------------------------------------
def decisions_of(conn: Tx, year: int, code: str) -> list[Any]:
    query = (
        select(decisions).where(decisions.c.unit == code, decisions.c.year == year).order_by(decisions.c.id)
    )
    return list(conn.execute(query).all())


def decisions_of_year(conn: Tx, year: int) -> list[Any]:
    return list(
        conn.execute(select(decisions).where(decisions.c.year == year).order_by(decisions.c.id)).all()
    )


# -- appeals ------------------------------------------------------------------------------------------
def add_appeal(conn: Tx, **values: Any) -> int | None:
    """File an open appeal; None when the decision already has one open (the database's
    one-open-appeal index decides, whatever arrives at once)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(appeals)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["decision_id"], index_where=appeals.c.state == "open")
        .returning(appeals.c.id)
    )
    found = conn.execute(statement).first()
    return int(found[0]) if found is not None else None


def appeals_of(conn: Tx, year: int, code: str | None = None) -> list[Any]:
    """The year's appeals (of one unit), oldest first, with the login of who filed each."""
    query = (
        select(appeals, accounts.c.login)
        .outerjoin(accounts, accounts.c.id == appeals.c.filed_by)
        .where(appeals.c.year == year)
        .order_by(appeals.c.id)
    )
    if code is not None:
        query = query.where(appeals.c.unit_code == code)
    return list(conn.execute(query).all())


def update_appeal(conn: Tx, appeal_id: int, **values: Any) -> None:
    conn.execute(appeals.update().where(appeals.c.id == appeal_id).values(**values))


def answer_open_appeal(conn: Tx, appeal_id: int, **values: Any) -> bool:
    """Answer an appeal that is still open; False when someone answered it first."""
    statement = (
        appeals.update()
        .where(appeals.c.id == appeal_id, appeals.c.state == "open")
        .values(**values)
        .returning(appeals.c.id)
    )
    return conn.execute(statement).first() is not None
