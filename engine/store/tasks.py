"""What the task lists read, as queries: the units waiting for a commune's answer with their
date, a list's units with their application's state, whether a unit was checked on site, the
lists sent without a decision."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from engine.store.connect import Tx
from engine.store.schema import applications, decisions, evidence_versions, transitions, units


def requests(conn: Tx, year: int, team: str | None, code: str | None) -> dict[str, dt.date | None]:
    """The units whose application waits for the commune's answer, with the answer date of the
    latest request (None: the team gave none)."""
    latest = (
        select(transitions.c.application_id, func.max(transitions.c.id).label("last"))
        .where(transitions.c.to_state == "can_bo_sung")
        .group_by(transitions.c.application_id)
        .subquery()
    )
    query = (
        select(applications.c.unit_code, transitions.c.due)
        .join(latest, latest.c.application_id == applications.c.id)
        .join(transitions, transitions.c.id == latest.c.last)
        .join(units, (units.c.year == applications.c.year) & (units.c.code == applications.c.unit_code))
        .where(applications.c.year == year, applications.c.state == "can_bo_sung")
    )
    if team is not None:
        query = query.where(units.c.district == team)
    if code is not None:
        query = query.where(applications.c.unit_code == code)
    return {r.unit_code: r.due for r in conn.execute(query).all()}


def units_in(conn: Tx, year: int, team: str | None, code: str | None) -> list[tuple[str, str, str, str]]:
    """(code, name, team, state) of the year's list (of a team, or one unit)."""
    query = (
        select(units.c.code, units.c.name, units.c.district, applications.c.state)
        .outerjoin(
            applications, (applications.c.year == units.c.year) & (applications.c.unit_code == units.c.code)
        )
        .where(units.c.year == year)
        .order_by(units.c.code)
    )
    if team is not None:
        query = query.where(units.c.district == team)
    if code is not None:
        query = query.where(units.c.code == code)
    return [(r.code, r.name, r.district, r.state or "chua_nop") for r in conn.execute(query).all()]


def field_checked(conn: Tx, year: int, code: str) -> bool:
    query = (
        select(func.count())
        .select_from(evidence_versions)
        .join(applications, applications.c.id == evidence_versions.c.application_id)
        .where(
            applications.c.year == year, applications.c.unit_code == code, evidence_versions.c.kind == "field"
        )
    )
    return bool(conn.execute(query).scalar_one())


def sent_without_decision(conn: Tx, year: int) -> int:
    decided = select(decisions.c.unit).where(decisions.c.year == year)
    query = (
        select(func.count())
        .select_from(applications)
        .where(
            applications.c.year == year,
            applications.c.state == "da_gui_tinh",
            applications.c.unit_code.not_in(decided),
        )
    )
    return int(conn.execute(query).scalar_one())


def names_of(conn: Tx, year: int, codes: set[str]) -> dict[str, str]:
    """The names of some units of the year's list (only those asked for)."""
    if not codes:
        return {}
    query = select(units.c.code, units.c.name).where(units.c.year == year, units.c.code.in_(sorted(codes)))
    return {r.code: r.name for r in conn.execute(query).all()}
