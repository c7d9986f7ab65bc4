"""The portal's accounts and failed logins, as rows: who may sign in, with which role and scope.

Only this package writes SQL; engine.portal.accounts decides (passwords, throttling, scopes) and
calls these."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from engine.store.connect import Tx, new_id
from engine.store.schema import accounts, login_attempts, team_members, web_sessions


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


# -- sign-in attempts ----------------------------------------------------------------------------------
COUNTED = ("pending", "failed")  # attempts that count against a login from an address


def add_attempt(conn: Tx, login: str, address: str, at: dt.datetime) -> int:
    """Record an attempt before its password is verified (committed on its own, so that every
    attempt made in parallel is seen by the counts of those that follow it)."""
    return new_id(
        conn.execute(
            login_attempts.insert().values(login=login, address=address[:64], at=at, outcome="pending")
        )
    )


def settle_attempt(conn: Tx, attempt_id: int, outcome: str) -> None:
    conn.execute(login_attempts.update().where(login_attempts.c.id == attempt_id).values(outcome=outcome))


def teams_of(conn: Tx, account_id: int) -> tuple[tuple[int, str], ...]:
    query = (
        select(team_members.c.year, team_members.c.team)
        .where(team_members.c.account_id == account_id)
        .order_by(team_members.c.year)
    )
    return tuple((int(y), str(t)) for y, t in conn.execute(query).all())


def set_team(conn: Tx, account_id: int, year: int, team: str, at: dt.datetime) -> None:
    """Give a team account its team for a year (replacing the year's earlier one)."""
    conn.execute(
        team_members.delete().where(team_members.c.account_id == account_id, team_members.c.year == year)
    )
    conn.execute(team_members.insert().values(account_id=account_id, year=year, team=team, assigned_at=at))


def forget_attempt(conn: Tx, attempt_id: int) -> None:
    conn.execute(login_attempts.delete().where(login_attempts.c.id == attempt_id))


def attempts_against(conn: Tx, login: str, address: str, since: dt.datetime) -> int:
    """Attempts at `login` from `address` since `since` that are pending or failed, after its last
    success from there."""
    last_ok = (
        select(func.coalesce(func.max(login_attempts.c.id), 0))
        .where(
            login_attempts.c.login == login,
            login_attempts.c.address == address,
            login_attempts.c.outcome == "ok",
        )
        .scalar_subquery()
    )
    query = (
        select(func.count())
        .select_from(login_attempts)
        .where(
            login_attempts.c.login == login,
            login_attempts.c.address == address,
            login_attempts.c.at >= since,
            login_attempts.c.outcome.in_(COUNTED),
            login_attempts.c.id > last_ok,
        )
    )
    return int(conn.execute(query).scalar_one())


def attempts_at_login(conn: Tx, login: str, since: dt.datetime) -> int:
    """Pending or failed attempts at `login` from any address since `since`."""
    query = (
        select(func.count())
        .select_from(login_attempts)
        .where(
            login_attempts.c.login == login,
            login_attempts.c.at >= since,
            login_attempts.c.outcome.in_(COUNTED),
        )
    )
    return int(conn.execute(query).scalar_one())


def attempts_from(conn: Tx, address: str, since: dt.datetime) -> int:
    """Attempts from an address since `since` that were not successes (refused ones included:
    an address that keeps trying stays refused)."""
    query = (
        select(func.count())
        .select_from(login_attempts)
        .where(
            login_attempts.c.address == address,
            login_attempts.c.at >= since,
            login_attempts.c.outcome.in_((*COUNTED, "refused")),
        )
    )
    return int(conn.execute(query).scalar_one())


def forgive(conn: Tx, login: str) -> None:
    """A password reset: the failed attempts at this login no longer count."""
    conn.execute(
        login_attempts.update()
        .where(login_attempts.c.login == login, login_attempts.c.outcome.in_(COUNTED))
        .values(outcome="cleared")
    )


def forget_attempts_before(conn: Tx, limit: dt.datetime) -> int:
    done = conn.execute(login_attempts.delete().where(login_attempts.c.at < limit))
    return done.rowcount or 0


def clear_must_change_all(conn: Tx) -> None:
    """Every account's password usable as it is (the demonstration portal's printed passwords)."""
    conn.execute(accounts.update().values(must_change=False))
