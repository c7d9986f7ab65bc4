"""The messages the portal owes people, as rows: queued with what they tell, claimed by one
mailer at a time, marked sent (or their error kept for the next try)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, or_, select

from engine.store.connect import Tx
from engine.store.schema import accounts, digests, outbox, team_members

MAX_ATTEMPTS = 5


def recipients(conn: Tx, role: str, year: int, unit: str | None = None, team: str | None = None) -> list[Any]:
    """The enabled accounts with an address that a message about `unit` or `team` in `year` is
    for: the commune's accounts, the team's members that year (else the accounts made with the
    district), or every province account."""
    query = select(accounts.c.id, accounts.c.email, accounts.c.full_name, accounts.c.login).where(
        accounts.c.role == role, accounts.c.disabled.is_(False), accounts.c.email.is_not(None)
    )
    if role == "xa":
        query = query.where(accounts.c.unit_code == unit)
    elif role == "huyen":
        member = select(team_members.c.account_id).where(team_members.c.year == year)
        query = query.where(
            or_(
                accounts.c.id.in_(
                    select(team_members.c.account_id).where(
                        and_(team_members.c.year == year, team_members.c.team == team)
                    )
                ),
                and_(accounts.c.id.not_in(member), accounts.c.district == team),
            )
        )
    return [r for r in conn.execute(query.order_by(accounts.c.id)).all() if r.email]


def queue(conn: Tx, **values: Any) -> None:
    conn.execute(outbox.insert().values(attempts=0, **values))


def due(conn: Tx, stale: dt.datetime, limit: int = 50) -> list[Any]:
    """Messages not sent, not given up on, not held by a mailer since `stale`."""
    query = (
        select(outbox)
        .where(
            outbox.c.sent_at.is_(None),
            outbox.c.attempts < MAX_ATTEMPTS,
            or_(outbox.c.claimed_at.is_(None), outbox.c.claimed_at < stale),
        )
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return list(conn.execute(query).all())


def claim(conn: Tx, message_id: int, at: dt.datetime, stale: dt.datetime) -> bool:
    """Take one message to send; False when another mailer has it."""
    done = conn.execute(
        outbox.update()
        .where(
            outbox.c.id == message_id,
            outbox.c.sent_at.is_(None),
            or_(outbox.c.claimed_at.is_(None), outbox.c.claimed_at < stale),
        )
        .values(claimed_at=at, attempts=outbox.c.attempts + 1)
    )
    return bool(done.rowcount)


def settle(conn: Tx, message_id: int, sent_at: dt.datetime | None, error: str | None) -> None:
    values: dict[str, Any] = {"sent_at": sent_at, "last_error": error}
    if sent_at is None:
        values["claimed_at"] = None  # free for the next try
    conn.execute(outbox.update().where(outbox.c.id == message_id).values(**values))


def of_recipient(conn: Tx, address: str) -> list[Any]:
    return list(conn.execute(select(outbox).where(outbox.c.recipient == address).order_by(outbox.c.id)).all())


def digest_readers(conn: Tx) -> list[Any]:
    """The enabled accounts that asked for a daily list of their work, with an address."""
    query = select(accounts).where(
        accounts.c.digest.is_(True), accounts.c.disabled.is_(False), accounts.c.email.is_not(None)
    )
    return list(conn.execute(query.order_by(accounts.c.id)).all())


def take_digest_day(conn: Tx, account_id: int, day: dt.date) -> bool:
    """Mark the account's digest of `day` as queued; False when it already was (another process)."""
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    done = conn.execute(
        dialect.insert(digests).values(account_id=account_id, day=day).on_conflict_do_nothing()
    )
    return bool(done.rowcount)
