"""The portal's accounts and failed logins, as rows: who may sign in, with which role and scope.

Only this package writes SQL; engine.portal.accounts decides (passwords, throttling, scopes) and
calls these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from engine.store.connect import Tx, new_id
from engine.store.schema import accounts, login_failures, web_sessions


def by_login(conn: Tx, login: str) -> Any:
    return conn.execute(select(accounts).where(accounts.c.login == login)).first()


def by_id(conn: Tx, account_id: int) -> Any:
    return conn.execute(select(accounts).where(accounts.c.id == account_id)).first()


def login_taken(conn: Tx, login: str) -> bool:
    return conn.execute(select(accounts.c.id).where(accounts.c.login == login)).first() is not None


def insert(conn: Tx, **values: Any) -> int:
    return new_id(conn.execute(accounts.insert().values(**values)))


def update(conn: Tx, account_id: int, **values: Any) -> None:
    conn.execute(accounts.update().where(accounts.c.id == account_id).values(**values))


def all_accounts(conn: Tx) -> list[Any]:
    return list(conn.execute(select(accounts).order_by(accounts.c.role, accounts.c.login)).all())


def last_sign_ins(conn: Tx) -> dict[int, dt.datetime]:
    """Each account's latest session start."""
    rows = conn.execute(
        select(web_sessions.c.account_id, func.max(web_sessions.c.created_at)).group_by(
            web_sessions.c.account_id
        )
    ).all()
    return {r[0]: r[1] for r in rows if r[0] is not None}


def enabled_with_role(conn: Tx, login: str, role: str) -> Any:
    """An enabled account of a role, by login, or None."""
    query = select(accounts).where(
        accounts.c.login == login, accounts.c.role == role, accounts.c.disabled.is_(False)
    )
    return conn.execute(query).first()


def failures_from(conn: Tx, address: str, since: dt.datetime) -> int:
    return int(
        conn.execute(
            select(func.count())
            .select_from(login_failures)
            .where(login_failures.c.address == address, login_failures.c.at >= since)
        ).scalar_one()
    )


def add_failure(conn: Tx, login: str, address: str, at: dt.datetime) -> None:
    conn.execute(login_failures.insert().values(login=login, address=address[:64], at=at))


def clear_must_change_all(conn: Tx) -> None:
    """Every account's password usable as it is (the demonstration portal's printed passwords)."""
    conn.execute(accounts.update().values(must_change=False))
