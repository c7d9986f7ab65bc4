"""Server-side sessions: the browser holds a random token (Python's `secrets`), the store holds
only its SHA-256, who it belongs to, when it was last seen, when it ends, and a little data (the
CSRF secret). A session is replaced at login, and ended at logout, password change and account
disable; it lapses after an idle time and after an absolute time, whatever happens."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

from engine.clock import aware, now
from engine.portal.accounts import by_id
from engine.portal.roles import Account
from engine.store import sessions as rows
from engine.store.connect import Store

TOUCH_EVERY = dt.timedelta(seconds=60)  # last-seen is written at most this often (fewer writes)


def sessions_per_account() -> int:
    """How many sessions one account may hold at once (CQTT_SESSIONS_PER_ACCOUNT, default 5: an
    office computer, a laptop, a phone and a little more); signing in once more ends the one
    seen longest ago."""
    raw = os.environ.get("CQTT_SESSIONS_PER_ACCOUNT", "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else 5


@dataclass(frozen=True)
class Lifetimes:
    idle: dt.timedelta = dt.timedelta(minutes=30)
    absolute: dt.timedelta = dt.timedelta(hours=10)  # a working day
    anonymous: dt.timedelta = dt.timedelta(minutes=30)  # a login page left open


@dataclass
class Session:
    token: str  # only in memory and in the cookie
    account: Account | None
    data: dict[str, Any] = field(default_factory=dict)
    seen_at: dt.datetime | None = None
    new: bool = False


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start(store: Store, account: Account | None, address: str, lifetimes: Lifetimes) -> Session:
    """A new session (at sign-in); the account's sessions past `sessions_per_account` end, the
    one seen longest ago first."""
    token = secrets.token_urlsafe(32)
    moment = now()
    limit = lifetimes.absolute if account is not None else lifetimes.anonymous
    with store.write() as conn:
        if account is not None:
            for old in rows.live_of(conn, account.id, moment)[sessions_per_account() - 1 :]:
                rows.end(conn, old.token_hash, moment)
        rows.insert(
            conn,
            token_hash=_hash(token),
            account_id=account.id if account else None,
            created_at=moment,
            seen_at=moment,
            expires_at=moment + limit,
            revoked_at=None,
            address=address[:64],
            data="{}",
        )
    return Session(token, account, {}, moment, new=True)


def load(store: Store, token: str, lifetimes: Lifetimes) -> Session | None:
    """The live session for a cookie's token, or None (unknown, ended, lapsed, account disabled)."""
    if not token or len(token) > 100:
        return None
    moment = now()
    with store.read() as conn:
        row = rows.by_hash(conn, _hash(token))
        if row is None or row.revoked_at is not None:
            return None
        seen, expires = aware(row.seen_at), aware(row.expires_at)
        idle = lifetimes.idle if row.account_id is not None else lifetimes.anonymous
        if moment >= expires or moment - seen >= idle:  # type: ignore[operator]
            return None
        account = by_id(conn, row.account_id) if row.account_id is not None else None
        if row.account_id is not None and account is None:
            return None  # disabled since
    return Session(token, account, json.loads(row.data), seen)


def save(store: Store, session: Session, changed: bool) -> None:
    """Write the session's data when it changed, and its last-seen time now and then."""
    moment = now()
    touch = session.seen_at is None or moment - session.seen_at >= TOUCH_EVERY
    if not changed and not touch:
        return
    values: dict[str, Any] = {"seen_at": moment}
    if changed:
        values["data"] = json.dumps(session.data)
    with store.write() as conn:
        rows.update_live(conn, _hash(session.token), **values)
    session.seen_at = moment


def end(store: Store, token: str) -> None:
    with store.write() as conn:
        rows.end(conn, _hash(token), now())


def _at(value: dt.datetime) -> dt.datetime:
    found = aware(value)
    assert found is not None
    return found


@dataclass(frozen=True)
class Live:
    """One of an account's sessions, as its owner sees it listed."""

    key: str  # the first characters of the token's hash: names the session, cannot be used as it
    created_at: dt.datetime
    seen_at: dt.datetime
    address: str
    current: bool


def live_sessions(store: Store, account: Account, current: str, lifetimes: Lifetimes) -> list[Live]:
    """The account's sessions still working (not ended, not lapsed), the one in use first."""
    moment = now()
    mine = _hash(current)
    with store.read() as conn:
        found = rows.live_of(conn, account.id, moment)
    listed = [
        Live(r.token_hash[:12], _at(r.created_at), _at(r.seen_at), r.address, r.token_hash == mine)
        for r in found
        if moment - _at(r.seen_at) < lifetimes.idle
    ]
    return sorted(listed, key=lambda s: not s.current)


def end_others(store: Store, account: Account, current: str) -> int:
    """End every session of the account but the one in use ("sign out elsewhere")."""
    moment = now()
    mine = _hash(current)
    with store.write() as conn:
        others = [r.token_hash for r in rows.live_of(conn, account.id, moment) if r.token_hash != mine]
        for token_hash in others:
            rows.end(conn, token_hash, moment)
    return len(others)


def forget_lapsed(store: Store, lifetimes: Lifetimes) -> int:
    """Remove anonymous sessions that have lapsed (login pages opened and left); signed-in
    sessions stay, ended, as a record of who was signed in when."""
    limit = now() - lifetimes.anonymous
    with store.write() as conn:
        return rows.forget_anonymous_before(conn, limit)
