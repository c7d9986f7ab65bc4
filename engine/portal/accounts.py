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
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from engine.clock import aware, now, shown
from engine.errors import CqttError
from engine.portal import audit, passwords
from engine.portal.roles import ROLES, Account
from engine.store import accounts as rows
from engine.store import sessions as session_rows
from engine.store import unitlists
from engine.store.connect import Store, Tx
from engine.text import terminal_safe

HASHER = PasswordHasher()  # argon2id with the library's current recommended parameters
# A hash made once, so that a login for an unknown account costs as much as a wrong password.
_DUMMY_HASH = HASHER.hash("cqtt: không phải mật khẩu của ai")
LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{1,62}")
# One-time passwords: letters and digits that cannot be mistaken for one another when read aloud
# or copied from paper (no 0/O, 1/l/I).
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class AccountError(CqttError):
    """A request about accounts that cannot be done (one line, Vietnamese)."""


@dataclass(frozen=True)
class Throttle:
    """How many failed logins are tolerated: per account before it is locked for a while, per
    address (an office network shares one) within the window before that address must wait."""

    account_failures: int = 5  # one login from one address, within lock_minutes
    lock_minutes: int = 15
    address_failures: int = 30  # one address, any login, within window_minutes
    window_minutes: int = 15
    login_failures: int = 50  # one login from every address, within lock_minutes

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
            number("CQTT_LOGIN_FAILURES_ANYWHERE", cls.login_failures),
        )


def one_time_days() -> int:
    """How long a one-time password works (CQTT_ONE_TIME_DAYS, default 7 days)."""
    raw = os.environ.get("CQTT_ONE_TIME_DAYS", "").strip()
    if raw and (not raw.isdigit() or int(raw) < 1):
        raise AccountError(f"CQTT_ONE_TIME_DAYS={raw!r}: cần một số ngày, ví dụ 7")
    return int(raw) if raw else 7


def one_time_end() -> dt.datetime:
    return now() + dt.timedelta(days=one_time_days())


def one_time_password() -> str:
    """Four groups of four, e.g. "k7wm-3rtx-pq9a-h2cz" (about 78 bits)."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))


def _account(row: object, teams: tuple[tuple[int, str], ...] = ()) -> Account:
    return Account(
        teams=teams,
        id=row.id,  # type: ignore[attr-defined]
        login=row.login,  # type: ignore[attr-defined]
        role=row.role,  # type: ignore[attr-defined]
        unit_code=row.unit_code,  # type: ignore[attr-defined]
        district=row.district,  # type: ignore[attr-defined]
        full_name=row.full_name,  # type: ignore[attr-defined]
        must_change=bool(row.must_change),  # type: ignore[attr-defined]
    )


def assign_team(
    store: Store, login: str, year: int, team: str, by: Account | None = None, address: str = "cli"
) -> Account:
    """Put a team account on `team` for `year` (a team of that year's unit list); its other
    years keep their teams. Audited."""
    from engine.store import unitlists

    team = " ".join(team.split())
    with store.write() as conn:
        row = rows.by_login(conn, login.strip().lower())
        if row is None:
            raise AccountError(f"không có tài khoản “{login}”")
        if row.role != "huyen":
            raise AccountError(f"tài khoản “{row.login}” không phải tài khoản tổ thẩm định (vai trò huyen)")
        if not unitlists.has_group(conn, year, team):
            known = [g for g, _ in unitlists.groups(conn, year)]
            hint = (
                f"; các tổ của năm {year}: {', '.join(known[:8])}"
                if known
                else f"; năm {year} chưa có danh sách"
            )
            raise AccountError(
                f"“{team}” không phải tổ thẩm định nào trong danh sách đơn vị năm {year}{hint}"
            )
        rows.set_team(conn, row.id, year, team, now())
        audit.record(conn, by, address, "team_assigned", row.login, {"year": year, "team": team})
    return find(store, row.login)


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
    email: str | None = None,
) -> tuple[Account, str]:
    """A new account and its one-time password (shown once, never stored); `email`, where the
    portal's notifications go."""
    login = login.strip().lower()
    if not LOGIN_PATTERN.fullmatch(login):
        raise AccountError(
            f"tên đăng nhập “{login}” không hợp lệ: 2–63 chữ thường không dấu, số, “.”, “_” hoặc “-”"
        )
    email = clean_email(email)
    password = one_time_password()
    hashed = HASHER.hash(password)  # before the store is locked: a hash takes a moment
    with store.write() as conn:
        account = _insert(conn, login, role, unit, district, full_name, hashed, email, by, address)
    return account, password


def _insert(
    conn: Tx,
    login: str,
    role: str,
    unit: str | None,
    district: str | None,
    full_name: str | None,
    hashed: str,
    email: str | None,
    by: Account | None,
    address: str,
) -> Account:
    """One new account with a one-time password's hash, audited (inside the caller's transaction)."""
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
        password_hash=hashed,
        must_change=True,
        disabled=False,
        created_at=now(),
        password_changed_at=None,
        password_expires_at=one_time_end(),
        email=email,
    )
    audit.record(
        conn, by, address, "account_added", login, {"role": role, "unit": unit, "district": district}
    )
    return Account(account_id, login, role, unit, district, full_name, True)


@dataclass(frozen=True)
class Slip:
    """What one commune receives on paper: its login and one-time password (shown once)."""

    login: str
    unit: str
    name: str
    team: str
    password: str


def add_communes(store: Store, year: int, by: Account | None = None, address: str = "cli") -> list[Slip]:
    """An account ("xa" + code) for every unit of the year's list that has no commune account yet,
    each with its one-time password: the slips to print and hand out. Units that have one keep it."""
    from engine.store import unitlists

    with store.read() as conn:
        listed = unitlists.of_year(conn, year)
        held = {r.unit_code for r in rows.all_accounts(conn) if r.role == "xa" and r.unit_code}
        taken = {r.login for r in rows.all_accounts(conn)}
    wanted = [
        u
        for u in listed
        if u.code not in held
        and f"xa{u.code}".lower() not in taken
        and LOGIN_PATTERN.fullmatch(f"xa{u.code}".lower())
    ]
    passwords = [one_time_password() for _ in wanted]
    # the hashes made on every core, before the store is locked (a province's hundred communes
    # would otherwise hold every other writer for as long as a hundred hashes take)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        hashes = list(pool.map(HASHER.hash, passwords))
    slips: list[Slip] = []
    with store.write() as conn:
        for unit, password, hashed in zip(wanted, passwords, hashes, strict=True):
            login = f"xa{unit.code}".lower()
            _insert(conn, login, "xa", unit.code, None, None, hashed, None, by, address)
            slips.append(Slip(login, unit.code, unit.name, unit.district, password))
    return slips


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
        teams = rows.teams_of(conn, row.id) if row is not None and row.role == "huyen" else ()
    if row is None:
        raise AccountError(f"không có tài khoản “{login}”")
    return _account(row, teams)


def by_id(conn: Tx, account_id: int) -> Account | None:
    """An enabled account, or None."""
    row = rows.by_id(conn, account_id)
    if row is None or row.disabled:
        return None
    return _account(row, rows.teams_of(conn, row.id) if row.role == "huyen" else ())


def disable(store: Store, login: str, by: Account | None = None, address: str = "cli") -> Account:
    """Disable an account and end its sessions at once."""
    found = find(store, login)
    with store.write() as conn:
        rows.update(conn, found.id, disabled=True)
        session_rows.end_all_of(conn, found.id, now())
        audit.record(conn, by, address, "account_disabled", found.login)
    return found


EMAIL_PATTERN = re.compile(r"[^@\s<>\"',;]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+")


def clean_email(email: str | None) -> str | None:
    """An address as kept (lower case, no spaces), None when none is given; refused when it is not
    one a mail server takes (a header cannot be smuggled in through it)."""
    if email is None or not email.strip():
        return None
    email = email.strip().lower()
    if len(email) > 254 or not EMAIL_PATTERN.fullmatch(email):
        said = terminal_safe(email[:80])  # a line break typed in is shown, never printed as one
        raise AccountError(f"địa chỉ thư “{said}” không hợp lệ (ví dụ vanphong.xa@bacgiang.gov.vn)")
    return email


def set_email(
    store: Store,
    login: str,
    email: str,
    by: Account | None = None,
    address: str = "cli",
    digest: bool | None = None,
) -> Account:
    """Where an account's notifications go (an empty address: none); `digest`, whether it also
    gets a daily list of its work (None: as it was; never without an address)."""
    found = find(store, login)
    kept = clean_email(email)
    changes: dict[str, object] = {"email": kept}
    if digest is not None or kept is None:
        changes["digest"] = bool(digest) and kept is not None
    with store.write() as conn:
        rows.update(conn, found.id, **changes)
        audit.record(conn, by, address, "email_set", found.login)
    return found


def enable(store: Store, login: str, by: Account | None = None, address: str = "cli") -> Account:
    """Open a disabled account again (its password stays what it was; reset it if it is not known)."""
    found = find(store, login)
    with store.write() as conn:
        row = rows.by_id(conn, found.id)
        if row is None or not row.disabled:
            raise AccountError(f"tài khoản “{found.login}” không bị khóa")
        rows.update(conn, found.id, disabled=False)
        audit.record(conn, by, address, "account_enabled", found.login)
    return found


def reset_password(store: Store, login: str, by: Account | None = None, address: str = "cli") -> str:
    """A new one-time password (which must be changed at the next login); sessions end. A
    disabled account stays disabled: a new password never opens it again by the way."""
    found = find(store, login)
    password = one_time_password()
    with store.write() as conn:
        row = rows.by_id(conn, found.id)
        if row is not None and row.disabled:
            raise AccountError(
                f"tài khoản “{found.login}” đang bị khóa: cấp lại mật khẩu không mở khóa; mở khóa trước"
            )
        rows.update(
            conn,
            found.id,
            password_hash=HASHER.hash(password),
            must_change=True,
            password_expires_at=one_time_end(),
        )
        rows.forgive(conn, found.login)  # the failed attempts no longer count against the login
        session_rows.end_all_of(conn, found.id, now())
        audit.record(conn, by, address, "password_reset", found.login)
    return password


class LoginRefused(AccountError):
    """Wrong login or password, or too many failures: the message never says which account exists."""


WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."


def throttled_message(throttle: Throttle) -> str:
    """What a login refused for its failures is told: the same whether the login exists or not."""
    return (
        f"Đăng nhập sai nhiều lần với tên này từ máy này; thử lại sau {throttle.lock_minutes} phút "
        "hoặc nhờ quản trị cấp lại mật khẩu."
    )


def address_message(throttle: Throttle) -> str:
    return f"Máy này đã đăng nhập sai nhiều lần; thử lại sau {throttle.window_minutes} phút."


def clean_login(login: str) -> str:
    """A login as typed, as it is compared and recorded: no surrounding spaces, lower case, no
    control characters (they would reach an operator's terminal through `cqtt audit`)."""
    return "".join(ch for ch in login.strip().lower() if ch.isprintable())[:64]


def _attempt(store: Store, login: str, password: str, address: str, throttle: Throttle) -> tuple[Any, int]:
    """Check a password for a login, counting the attempt first: (the account's row when the
    password is its own, else None; the attempt's id). Refused without verifying anything when
    the login has failed `account_failures` times from this address within `lock_minutes` (since
    its last success), `login_failures` times from anywhere, or the address `address_failures`
    times within `window_minutes`: attempts made in parallel are each recorded before any is
    counted, so no more than the limit is ever verified, whatever their timing."""
    moment = now()
    with store.write() as conn:
        attempt = rows.add_attempt(conn, login, address, moment)
    lock = moment - dt.timedelta(minutes=throttle.lock_minutes)
    window = moment - dt.timedelta(minutes=throttle.window_minutes)
    with store.read() as conn:
        from_address = rows.attempts_from(conn, address, window)
        at_login = rows.attempts_against(conn, login, address, lock)
        anywhere = rows.attempts_at_login(conn, login, lock)
        row = rows.by_login(conn, login)
    refusal = None
    if from_address > throttle.address_failures:
        refusal = "address", address_message(throttle)
    elif at_login > throttle.account_failures or anywhere > throttle.login_failures:
        refusal = "login", throttled_message(throttle)
    if refusal is not None:
        with store.write() as conn:
            if from_address > 2 * throttle.address_failures:
                rows.forget_attempt(conn, attempt)  # held anyway: a flood adds no rows past this
            else:
                rows.settle_attempt(conn, attempt, "refused")
        audit.log_refusal(
            store, address, f"{refusal[0]} {login}" if refusal[0] == "login" else refusal[0], login
        )
        raise LoginRefused(refusal[1])
    ok = _verify(row.password_hash if row is not None else _DUMMY_HASH, password)
    return (row if ok and row is not None else None), attempt


def authenticate(store: Store, login: str, password: str, address: str, throttle: Throttle) -> Account:
    """The account whose password this is, or `LoginRefused` (see `_attempt` for the throttle).
    A one-time password past its end is refused, said as such; failures are in the audit log."""
    login = clean_login(login)
    row, attempt = _attempt(store, login, password, address, throttle)
    if row is None or row.disabled:
        with store.write() as conn:
            rows.settle_attempt(conn, attempt, "failed")
            audit.record(conn, None, address, "login_failed", "", {}, login=login)
        raise LoginRefused(WRONG)
    expires = aware(row.password_expires_at)
    if row.must_change and expires is not None and expires <= now():
        with store.write() as conn:
            rows.settle_attempt(conn, attempt, "expired")
            audit.record(
                conn, None, address, "login_refused", login, {"reason": "one_time_expired"}, login=login
            )
        raise LoginRefused(
            f"Mật khẩu dùng một lần đã hết hạn ngày {shown(expires)}; nhờ quản trị cấp lại mật khẩu."
        )
    with store.read() as conn:
        account = _account(row, rows.teams_of(conn, row.id) if row.role == "huyen" else ())
    with store.write() as conn:
        rows.settle_attempt(conn, attempt, "ok")
        if HASHER.check_needs_rehash(row.password_hash):
            rows.update(conn, row.id, password_hash=HASHER.hash(password))
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
    return passwords.problem(account.login, new)


def change_password(
    store: Store,
    account: Account,
    current: str,
    new: str,
    repeated: str,
    address: str,
    throttle: Throttle | None = None,
) -> None:
    """Change a password after checking the current one, counted as a sign-in attempt (a stolen
    session cannot try passwords at will); every session of the account ends (the caller then
    starts a new one)."""
    throttle = throttle or Throttle.from_environment()
    try:
        row, attempt = _attempt(store, account.login, current, address, throttle)
    except LoginRefused as exc:
        raise AccountError(str(exc)) from None
    if row is None or row.id != account.id:
        with store.write() as conn:
            rows.settle_attempt(conn, attempt, "failed")
            audit.record(conn, account, address, "password_check_failed", account.login)
        raise AccountError("Mật khẩu hiện tại không đúng.")
    with store.write() as conn:
        rows.settle_attempt(conn, attempt, "ok")
    problem = password_problem(account, new, repeated)
    if problem is None and _verify(row.password_hash, new):
        problem = "Mật khẩu mới phải khác mật khẩu hiện tại."
    if problem:
        raise AccountError(problem)
    with store.write() as conn:
        rows.update(
            conn,
            account.id,
            password_hash=HASHER.hash(new),
            must_change=False,
            password_changed_at=now(),
            password_expires_at=None,
        )
        session_rows.end_all_of(conn, account.id, now())
        audit.record(conn, account, address, "password_changed", account.login)


def keep_printed_passwords(store: Store) -> None:
    """The demonstration portal only: the one-time passwords it printed work as they are."""
    with store.write() as conn:
        rows.clear_must_change_all(conn)
