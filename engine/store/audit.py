"""The append-only audit log, as rows: who did what, when, from where (the database refuses to
change or remove a row; see migrations/append_only.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from engine.store.connect import Tx
from engine.store.schema import audit_log


def append(conn: Tx, **values: Any) -> None:
    conn.execute(audit_log.insert().values(**values))


def read(
    conn: Tx, since: dt.datetime | None = None, login: str | None = None, limit: int | None = None
) -> list[Any]:
    """The log in order (with `limit`, the latest rows, newest first)."""
    query = select(audit_log).order_by(audit_log.c.id.desc() if limit else audit_log.c.id)
    if since is not None:
        query = query.where(audit_log.c.at >= since)
    if login is not None:
        query = query.where(audit_log.c.login == login)
    if limit:
        query = query.limit(limit)
    return list(conn.execute(query).all())
