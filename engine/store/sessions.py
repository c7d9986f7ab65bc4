"""The portal's server-side sessions, as rows: a token's hash, whose, when seen, when it ends."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import delete, select

from engine.store.connect import Tx
from engine.store.schema import web_sessions


def insert(conn: Tx, **values: Any) -> None:
    conn.execute(web_sessions.insert().values(**values))


def by_hash(conn: Tx, token_hash: str) -> Any:
    return conn.execute(select(web_sessions).where(web_sessions.c.token_hash == token_hash)).first()


def update_live(conn: Tx, token_hash: str, **values: Any) -> None:
    """Change a session that has not ended."""
    conn.execute(
        web_sessions.update()
        .where(web_sessions.c.token_hash == token_hash, web_sessions.c.revoked_at.is_(None))
        .values(**values)
    )


def end(conn: Tx, token_hash: str, at: dt.datetime) -> None:
    update_live(conn, token_hash, revoked_at=at)


def end_all_of(conn: Tx, account_id: int, at: dt.datetime) -> None:
    """End every live session of an account (password changed or reset, account disabled)."""
    conn.execute(
        web_sessions.update()
        .where(web_sessions.c.account_id == account_id, web_sessions.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )


def live_of(conn: Tx, account_id: int, at: dt.datetime) -> list[Any]:
    """An account's sessions not ended and not past their absolute end, the latest seen first
    (the idle limit is the portal's to judge)."""
    query = (
        select(web_sessions)
        .where(
            web_sessions.c.account_id == account_id,
            web_sessions.c.revoked_at.is_(None),
            web_sessions.c.expires_at > at,
        )
        .order_by(web_sessions.c.seen_at.desc(), web_sessions.c.token_hash)
    )
    return list(conn.execute(query).all())


def forget_anonymous_before(conn: Tx, limit: dt.datetime) -> int:
    """Remove sessions nobody signed into, last seen before `limit`."""
    done = conn.execute(
        delete(web_sessions).where(web_sessions.c.account_id.is_(None), web_sessions.c.seen_at < limit)
    )
    return done.rowcount or 0
