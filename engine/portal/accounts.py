"""Accounts: who may sign in, with which role and scope; passwords (argon2id, argon2-cffi); the
throttle on failed logins.

A new account, or one whose password was reset, gets a one-time password that must be changed at
the first login. Passwords are never written anywhere but as their hash.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from engine.clock import aware, now
from engine.errors import CqttError
from engine.portal import audit
from engine.portal.roles import ROLES, Account
from engine.store import accounts as rows
from engine.store import sessions as session_rows
from engine.store import unitlists
from engine.store.connect import Store, Tx

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# A hash made once, so that a login for an unknown account costs as much as a wrong password.
_DUMMY_HASH = HASHER.hash("cqtt: không phải mật khẩu của ai")
LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")
MIN_PASSWORD = 10
# One-time passwords: letters and digits that cannot be mistaken for one another when read aloud
# or copied from paper (no 0/O, 1/l/I).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class AccountError(CqttError):
    """A request about accounts that cannot be done (one line, Vietnamese)."""


@dataclass(frozen=True)
class Throttle:
    """How many failed logins are tolerated: per account before it is locked for a while, per
    address (an office network shares one) within the window before that address must wait."""

    account_failures: int = 5
    lock_minutes: int = 15
    address_failures: int = 30
    window_minutes: int = 15

    @classmethod
    def from_environment(cls) -> Throttle:
        def number(name: str, default: int) -> int:
            raw = os.environ.get(name)
            try:
                return int(raw) if raw else default
            except ValueError:
                raise AccountError(f"{name}={raw!r}: cần một số nguyên") from None

        return cls(
            number("CQTT_LOGIN_FAILURES", cls.account_failures),
            number("CQTT_LOGIN_LOCK_MINUTES", cls.lock_minutes),
            number("CQTT_LOGIN_ADDRESS_FAILURES", cls.address_failures),
            number("CQTT_LOGIN_WINDOW_MINUTES", cls.window_minutes),
        )


def one_time_password() -> str:
    """Four groups of four, e.g. "k7wm-3rtx-pq9a-h2cz" (about 78 bits)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))


def _account(row: object) -> Account:
    return Account(
        id=row.id,  # type: ignore[attr-defined]
        login=row.login,  # type: ignore[attr-defined]
        role=row.role,  # type: ignore[attr-defined]
        unit_code=row.unit_code,  # type: ignore[attr-defined]
        district=row.district,  # type: ignore[attr-defined]
        full_name=row.full_name,  # type: ignore[attr-defined]
        must_change=bool(row.must_change),  # type: ignore[attr-defined]
    )


def check_scope(conn: Tx, role: str, unit: str | None, district: str | None) -> None:
    """A role's scope must be given, and be known to the unit list when it has one."""
    if role not in ROLES:
        raise AccountError(f"vai trò “{role}” không có; chọn một trong: {', '.join(ROLES)}")
    if role == "xa":
        if not unit or district:
            raise AccountError("tài khoản xã cần --unit MÃ (mã đơn vị), không có --district")
        if not unitlists.has_unit(conn, unit) and unitlists.any_loaded(conn):
            raise AccountError(f"mã đơn vị “{unit}” không có trong danh sách đơn vị đã nạp (cqtt units load)")
    elif role == "huyen":
        if not district or unit:
            raise AccountError(
                "tài khoản huyện cần --district TÊN (tên huyện hoặc nhóm thẩm định), không có --unit"
            )
        if not unitlists.has_group(conn, None, district) and unitlists.any_loaded(conn):
            raise AccountError(f"huyện “{district}” không có trong danh sách đơn vị đã nạp (cqtt units load)")
    elif unit or district:
        raise AccountError(f"vai trò “{role}” không gắn với đơn vị hay huyện nào; bỏ --unit, --district")


def add(
    store: Store,
    login: str,
    role: str,
    unit: str | None = None,
    district: str | None = None,
    full_name: str | None = None,
    by: Account | None = None,
    address: str = "cli",
) -> tuple[Account, str]:
    """A new account and its one-time password (shown once, never stored)."""
    login = login.strip().lower()
    if not LOGIN_PATTERN.fullmatch(login):
        raise AccountError(
            f"tên đăng nhập “{login}” không hợp lệ: 2–63 chữ thường không dấu, số, “.”, “_” hoặc “-”"
        )
    password = one_time_password()
    with store.write() as conn:
        check_scope(conn, role, unit, district)
        if rows.login_taken(conn, login):
            raise AccountError(f"tên đăng nhập “{login}” đã có")
        account_id = rows.insert(
            conn,
            login=login,
            role=role,
            unit_code=unit,
            district=district,
            full_name=full_name,
            password_hash=HASHER.hash(password),
            must_change=True,
            disabled=False,
            failed_logins=0,
            locked_until=None,
            created_at=now(),
            password_changed_at=None,
        )
        audit.record(
            conn, by, address, "account_added", login, {"role": role, "unit": unit, "district": district}
        )
    return Account(account_id, login, role, unit, district, full_name, True), password


@dataclass
class Listed:
    account: Account
    disabled: bool
    created_at: dt.datetime
    last_login: dt.datetime | None


def listing(store: Store) -> list[Listed]:
    with store.read() as conn:
        found = rows.all_accounts(conn)
        last = rows.last_sign_ins(conn)
    return [Listed(_account(r), bool(r.disabled), aware(r.created_at), aware(last.get(r.id))) for r in found]  # type: ignore[arg-type]


def find(store: Store, login: str) -> Account:
    with store.read() as conn:
        row = rows.by_login(conn, login.strip().lower())
    if row is None:
        raise AccountError(f"không có tài khoản “{login}”")
    return _account(row)


def by_id(conn: Tx, account_id: int) -> Account | None:
    """An enabled account, or None."""
    row = rows.by_id(conn, account_id)
    if row is None or row.disabled:
        return None
    return _account(row)


def disable(store: Store, login: str, by: Account | None = None, address: str = "cli") -> Account:
    """Disable an account and end its sessions at once."""
    found = find(store, login)
    with store.write() as conn:
        rows.update(conn, found.id, disabled=True)
        session_rows.end_all_of(conn, found.id, now())
        audit.record(conn, by, address, "account_disabled", found.login)
    return found


def reset_password(store: Store, login: str, by: Account | None = None, address: str = "cli") -> str:
    """A new one-time password (which must be changed at the next login); sessions end."""
    found = find(store, login)
    password = one_time_password()
    with store.write() as conn:
        rows.update(
            conn,
            found.id,
            password_hash=HASHER.hash(password),
            must_change=True,
            failed_logins=0,
            locked_until=None,
            disabled=False,
        )
        session_rows.end_all_of(conn, found.id, now())
        audit.record(conn, by, address, "password_reset", found.login)
    return password


class LoginRefused(AccountError):
    """Wrong login or password, or too many failures: the message never says which account exists."""


def authenticate(store: Store, login: str, password: str, address: str, throttle: Throttle) -> Account:
    """The account whose password this is, or `LoginRefused`. Failures are counted per account
    (a locked account waits `lock_minutes`) and per address (the address waits once it has
    failed `address_failures` times within the window); both are in the audit log."""
    login = login.strip().lower()[:64]
    moment = now()
    window = moment - dt.timedelta(minutes=throttle.window_minutes)
    with store.read() as conn:
        recent = rows.failures_from(conn, address, window)
        row = rows.by_login(conn, login)
    if recent >= throttle.address_failures:
        audit.log(store, None, address, "login_refused", login, reason="address")
        raise LoginRefused(f"Máy này đã đăng nhập sai nhiều lần; thử lại sau {throttle.window_minutes} phút.")
    locked = row is not None and row.locked_until is not None and aware(row.locked_until) > moment  # type: ignore[operator]
    if locked:
        audit.log(store, None, address, "login_refused", login, reason="account")
        raise LoginRefused(
            f"Tài khoản tạm khóa do đăng nhập sai nhiều lần; thử lại sau {throttle.lock_minutes} phút "
            "hoặc nhờ quản trị cấp lại mật khẩu."
        )
    ok = _verify(row.password_hash if row is not None else _DUMMY_HASH, password)
    if row is None or not ok or row.disabled:
        with store.write() as conn:
            rows.add_failure(conn, login, address, moment)
            if row is not None and not row.disabled:
                failures = row.failed_logins + 1
                lock = moment + dt.timedelta(minutes=throttle.lock_minutes)
                rows.update(
                    conn,
                    row.id,
                    failed_logins=0 if failures >= throttle.account_failures else failures,
                    locked_until=lock if failures >= throttle.account_failures else None,
                )
            audit.record(conn, None, address, "login_failed", "", {}, login=login)
        raise LoginRefused("Tên đăng nhập hoặc mật khẩu không đúng.")
    account = _account(row)
    with store.write() as conn:
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if HASHER.check_needs_rehash(row.password_hash):
            values["password_hash"] = HASHER.hash(password)
        rows.update(conn, row.id, **values)
    return account


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problem(account: Account, new: str, repeated: str) -> str | None:
    """Why a new password cannot be used, in Vietnamese, or None."""
    if new != repeated:
        return "Hai lần nhập mật khẩu mới không giống nhau."
    if len(new) < MIN_PASSWORD:
        return f"Mật khẩu mới cần ít nhất {MIN_PASSWORD} ký tự."
    if len(new) > 200:
        return "Mật khẩu mới quá dài (tối đa 200 ký tự)."
    if account.login in new.lower():
        return "Mật khẩu mới không được chứa tên đăng nhập."
    return None


def change_password(
    store: Store, account: Account, current: str, new: str, repeated: str, address: str
) -> None:
    """Change a password after checking the current one; every session of the account ends (the
    caller then starts a new one)."""
    with store.read() as conn:
        row = rows.by_id(conn, account.id)
    if row is None or not _verify(row.password_hash, current):
        raise AccountError("Mật khẩu hiện tại không đúng.")
    problem = password_problem(account, new, repeated)
    if problem is None and _verify(row.password_hash, new):
        problem = "Mật khẩu mới phải khác mật khẩu hiện tại."
    if problem:
        raise AccountError(problem)
    with store.write() as conn:
        rows.update(
            conn, account.id, password_hash=HASHER.hash(new), must_change=False, password_changed_at=now()
        )
        session_rows.end_all_of(conn, account.id, now())
        audit.record(conn, account, address, "password_changed", account.login)


def keep_printed_passwords(store: Store) -> None:
    """The demonstration portal only: the one-time passwords it printed work as they are."""
    with store.write() as conn:
        rows.clear_must_change_all(conn)
