"""Citizens' survey responses in the portal, as rows: the collection windows, the responses
(append-only) and the recent submissions rate limiting counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite

from engine.store.connect import Tx, new_id
from engine.store.schema import survey_hits, survey_responses, survey_tokens, survey_windows

# The key of the PostgreSQL advisory lock public submissions take turns on (any fixed number).
_SUBMISSIONS_LOCK = 0x637174745F6B73  # "cqtt_ks"


def windows(conn: Tx, year: int) -> list[Any]:
    return list(conn.execute(select(survey_windows).where(survey_windows.c.year == year)).all())


def set_window(conn: Tx, year: int, form_id: str, **values: Any) -> None:
    done = conn.execute(
        survey_windows.update()
        .where(survey_windows.c.year == year, survey_windows.c.form_id == form_id)
        .values(**values)
    )
    if not done.rowcount:
        conn.execute(survey_windows.insert().values(year=year, form_id=form_id, **values))


def forget_hits_before(conn: Tx, limit: dt.datetime) -> int:
    """Addresses are not kept longer than rate limiting looks back."""
    return int(conn.execute(survey_hits.delete().where(survey_hits.c.at < limit)).rowcount or 0)


def take_turn(conn: Tx) -> None:
    """Hold public submissions in turn until this transaction ends, so that two answers sent at
    once from one address each count the other (on SQLite the write transaction already does;
    on PostgreSQL, READ COMMITTED would let both count the same rows and both pass)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SUBMISSIONS_LOCK})


def use_ticket(conn: Tx, ticket_hash: str, issued_at: dt.datetime, at: dt.datetime) -> bool:
    """Mark a form's one-time ticket used; False when it already was (a replayed answer)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(survey_tokens)
        .values(token_hash=ticket_hash, issued_at=issued_at, used_at=at)
        .on_conflict_do_nothing(index_elements=["token_hash"])
        .returning(survey_tokens.c.token_hash)
    )
    return conn.execute(statement).first() is not None  # (rowcount is -1 here on PostgreSQL)


def forget_tickets_before(conn: Tx, limit: dt.datetime) -> int:
    """Used tickets issued before `limit`: their signature has expired, so none can come back."""
    return int(conn.execute(survey_tokens.delete().where(survey_tokens.c.issued_at < limit)).rowcount or 0)


def hits_since(conn: Tx, key: str, since: dt.datetime) -> int:
    query = (
        select(func.count())
        .select_from(survey_hits)
        .where(survey_hits.c.key == key, survey_hits.c.at >= since)
    )
    return int(conn.execute(query).scalar_one())


def add_hits(conn: Tx, keys: list[str], at: dt.datetime) -> None:
    conn.execute(survey_hits.insert(), [{"key": key, "at": at} for key in keys])


def answered_by(conn: Tx, year: int, form_id: str, respondent: str) -> int:
    query = (
        select(func.count())
        .select_from(survey_responses)
        .where(
            survey_responses.c.year == year,
            survey_responses.c.form_id == form_id,
            survey_responses.c.respondent == respondent,
        )
    )
    return int(conn.execute(query).scalar_one())


def add_response(conn: Tx, **values: Any) -> int:
    return new_id(conn.execute(survey_responses.insert().values(**values)))


def responses(conn: Tx, year: int) -> list[Any]:
    query = select(survey_responses).where(survey_responses.c.year == year).order_by(survey_responses.c.id)
    return list(conn.execute(query).all())


def responses_of_units(conn: Tx, year: int, codes: list[str]) -> list[Any]:
    """The responses to some units, with the other responses of the same respondents to the same
    forms (a duplicate is then found as when the whole province is counted), in order."""
    query = select(survey_responses).where(survey_responses.c.year == year)
    mine = conn.execute(
        query.where(survey_responses.c.unit_code.in_(codes)).order_by(survey_responses.c.id)
    ).all()
    pairs = {(r.form_id, r.respondent) for r in mine if r.respondent is not None}
    others: list[Any] = []
    for form_id in sorted({f for f, _ in pairs}):
        people = sorted(p for f, p in pairs if f == form_id)
        others += conn.execute(
            query.where(
                survey_responses.c.form_id == form_id,
                survey_responses.c.respondent.in_(people),
                survey_responses.c.unit_code.not_in(codes),
            )
        ).all()
    return sorted([*mine, *others], key=lambda r: r.id)


def latest_response_id(conn: Tx, year: int) -> Any:
    query = select(func.max(survey_responses.c.id)).where(survey_responses.c.year == year)
    return conn.execute(query).scalar_one()


def received_by_form(conn: Tx, year: int) -> dict[str, int]:
    query = (
        select(survey_responses.c.form_id, func.count())
        .where(survey_responses.c.year == year)
        .group_by(survey_responses.c.form_id)
    )
    return {r[0]: int(r[1]) for r in conn.execute(query).all()}


def count_for(conn: Tx, year: int, code: str, form_id: str) -> int:
    query = (
        select(func.count())
        .select_from(survey_responses)
        .where(
            survey_responses.c.year == year,
            survey_responses.c.unit_code == code,
            survey_responses.c.form_id == form_id,
        )
    )
    return int(conn.execute(query).scalar_one())
