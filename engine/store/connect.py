"""Open a history store: find it, check that it is a cqtt store of this version, create a new one.

Every check that can refuse runs before anything is written, so a file that is not a cqtt
database, is damaged, or comes from a newer cqtt is reported and left exactly as it was. An older
store is upgraded only on request (`cqtt db upgrade`), never as a side effect of another command.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from engine.errors import CqttError
from engine.store.address import escaped, scrubbed
from engine.store.address import shown as shown_address
from engine.store.schema import store_info

# A connection inside `Store.read()` or `Store.write()`: what the repositories of this package take.
# The application functions hold transactions by it, and never write SQL themselves.
Tx = Connection

ENV_VAR = "CQTT_DB"
TIMEOUT_ENV = "CQTT_DB_TIMEOUT"
DEFAULT_TIMEOUT = 15.0  # seconds to wait for an SQLite file another process is writing
DEFAULT_NAME = "lich-su.sqlite"
SQLITE_MAGIC = b"SQLite format 3\x00"
MIGRATIONS = Path(__file__).parent / "migrations"
APPLICATION = "cqtt"


class StoreError(CqttError):
    """The history store cannot be used (not a cqtt store, locked, newer, unreachable...)."""


def default_location() -> Path:
    """Where the store lives when neither --db nor CQTT_DB names one: the user's data folder."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        base = Path(os.environ["LOCALAPPDATA"])
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "cqtt" / DEFAULT_NAME


def resolve_target(db: str | None) -> tuple[str, bool]:
    """The store to use: the --db value, else CQTT_DB, else the default file. The flag tells
    whether it is the default location (whose folder may be created)."""
    if db:
        return db, False
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR], False
    return str(default_location()), True


def _timeout() -> float:
    raw = os.environ.get(TIMEOUT_ENV)
    try:
        return float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        raise StoreError(f"{TIMEOUT_ENV}={raw!r}: cần một số giây, ví dụ 15") from None


def _is_url(target: str) -> bool:
    return "://" in target


class Store:
    """An open store. `write()` gives one transaction (one run, one file of decisions)."""

    def __init__(self, engine: Engine, label: str, raw: str = "") -> None:
        self.engine = engine
        self.label = label  # the address as it may be shown: never a password
        self._raw = raw  # as given, only to scrub its passwords from a driver's messages
        self.dialect = engine.dialect.name
        self.created = False  # a new store was made by this open
        self.upgraded_from: str | None = None  # the revision an upgrade started from
        self.guards_restored: list[str] = []  # append-only tables whose guards an upgrade made again

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self._errors(), self.engine.connect() as conn:
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One transaction; on SQLite it takes the write lock at once (BEGIN IMMEDIATE), waiting
        up to the timeout for another writer, so two writers never deadlock half way."""
        with self._errors(), self.engine.connect() as conn:
            conn = conn.execution_options(cqtt_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except IntegrityError:
            raise  # a concurrent writer got there first: the caller knows what that means
        except DBAPIError as exc:
            raise StoreError(scrubbed(_db_message(self.label, exc), self._raw)) from None


def _db_message(label: str, exc: DBAPIError) -> str:
    text_ = str(exc.orig).strip() if exc.orig else str(exc)
    first = text_.splitlines()[0] if text_ else type(exc).__name__
    if "locked" in first or "busy" in first or "lock timeout" in first:
        return (
            f"{label}: cơ sở dữ liệu đang bị một tiến trình khác ghi; đã chờ {_timeout():g} giây. "
            f"Chạy lại khi lệnh kia xong (hoặc đặt {TIMEOUT_ENV} để chờ lâu hơn)"
        )
    if "not a database" in first or "malformed" in first:
        return f"{label}: tệp hỏng hoặc không phải cơ sở dữ liệu SQLite ({first}); không thay đổi gì"
    return f"{label}: không dùng được cơ sở dữ liệu ({first})"


def _sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": _timeout()})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions begin where cqtt says, below
        dbapi_connection.execute("PRAGMA foreign_keys = ON")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("cqtt_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def _engine_for(target: str, default: bool) -> tuple[Engine, str]:
    if _is_url(target):
        try:
            url = make_url(escaped(target))
            url.port  # noqa: B018  (a port that is not a number fails here, not later)
        except (ArgumentError, ValueError):
            raise StoreError(
                f"--db {shown_address(target)!r}: địa chỉ cơ sở dữ liệu không hợp lệ (dạng postgresql://NGƯỜI-DÙNG@MÁY:CỔNG/TÊN)"
            ) from None
        if url.drivername in ("postgresql", "postgres"):
            url = url.set(drivername="postgresql+psycopg")
        label = shown_address(target)
        if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
            raise StoreError(
                f"{label}: trình điều khiển “{url.get_driver_name()}” không được hỗ trợ; dùng postgresql://… "
                "(psycopg)"
            )
        if url.get_backend_name() == "sqlite":
            return _engine_for(url.database or "", default)
        if url.get_backend_name() != "postgresql":
            raise StoreError(
                f"{label}: chỉ hỗ trợ SQLite (đường dẫn tệp) và PostgreSQL (postgresql+psycopg://…)"
            )
        try:
            # A lock another session holds is waited for as long as on SQLite (CQTT_DB_TIMEOUT),
            # then the statement fails with one line, not hangs.
            wait = max(1, int(_timeout() * 1000))
            engine = create_engine(
                url, connect_args={"connect_timeout": 10, "options": f"-c lock_timeout={wait}"}
            )
        except (NoSuchModuleError, ModuleNotFoundError):
            raise StoreError(
                f'{label}: cần trình điều khiển PostgreSQL; cài: pip install "cqtt[postgresql]"'
            ) from None
        return engine, label
    path = Path(target)
    label = str(path)
    if path.is_dir():
        raise StoreError(f"{label}: là một thư mục; --db cần đường dẫn một tệp, ví dụ {DEFAULT_NAME}")
    if path.exists() and not path.is_file():  # a named pipe or a device would hang or be read forever
        raise StoreError(f"{label}: không phải tệp thường (ống dẫn hay thiết bị); --db cần một tệp SQLite")
    if path.exists():
        with path.open("rb") as handle:
            head = handle.read(len(SQLITE_MAGIC))
        if head and head != SQLITE_MAGIC:
            raise StoreError(
                f"{label}: không phải cơ sở dữ liệu của cqtt (không phải tệp SQLite); tệp không bị thay "
                "đổi. Nếu đây là tệp minh chứng, ghi --db=ĐƯỜNG-DẪN hoặc đặt --db sau các tệp"
            )
    else:
        _timeout()  # a bad CQTT_DB_TIMEOUT is said before any file is made
        if not path.parent.exists():
            if not default:
                raise StoreError(f"{label}: thư mục “{path.parent}” không tồn tại")
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_private(path)
    return _sqlite_engine(path), label


def _create_private(path: Path) -> None:
    """Make a new store file readable and writable by its owner only (0600): it holds accounts,
    sessions and the audit log. SQLite gives its journal and WAL files the same mode."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another process made it meanwhile
    except OSError as exc:
        raise StoreError(f"{path}: không tạo được tệp cơ sở dữ liệu ({exc.strerror})") from None


def _alembic_config(conn: Connection) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = conn
    return cfg


def _revisions(conn: Connection) -> tuple[str | None, str, set[str]]:
    """The store's schema revision, the newest this cqtt knows, and every one it knows."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(conn))
    known = {r.revision for r in script.walk_revisions()}
    head = script.get_current_head()
    assert head is not None
    current = MigrationContext.configure(conn).get_current_revision()
    return current, head, known


def _lock(conn: Connection) -> None:
    """Serialise creation and upgrades of one store between processes."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(7220250701)"))


def _migrate(conn: Connection) -> None:
    from alembic import command

    command.upgrade(_alembic_config(conn), "head")


def _state(conn: Connection, label: str) -> tuple[str, str | None, str]:
    """("new" | "current" | "older", revision, head), or a StoreError for anything else."""
    tables = set(inspect(conn).get_table_names())
    if not tables:
        _, head, _ = _revisions(conn)
        return "new", None, head
    if store_info.name not in tables or "alembic_version" not in tables:
        shown = ", ".join(sorted(tables)[:5])
        raise StoreError(
            f"{label}: không phải cơ sở dữ liệu của cqtt (có các bảng {shown}); không thay đổi gì"
        )
    current, head, known = _revisions(conn)
    if current is None or current not in known:
        raise StoreError(
            f"{label}: cơ sở dữ liệu do phiên bản cqtt mới hơn tạo (lược đồ {current}, bản này biết đến "
            f"{head}); cập nhật cqtt để dùng"
        )
    return ("current" if current == head else "older"), current, head


def missing_guards(conn: Connection) -> list[str]:
    """The append-only tables whose guards (the triggers that refuse UPDATE, DELETE and, on
    SQLite, INSERT OR REPLACE) are gone or, on PostgreSQL, disabled."""
    from engine.store.migrations.append_only import trigger_names
    from engine.store.schema import APPEND_ONLY

    dialect = conn.dialect.name
    if dialect == "postgresql":
        rows = conn.execute(
            text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'")
        ).scalars()
    else:
        rows = conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
    present = set(rows)
    return [table for table in APPEND_ONLY if not trigger_names(table, dialect) <= present]


def _guard_again(conn: Connection, tables: list[str]) -> None:
    """Make the guards of `tables` again (`cqtt db upgrade` on a store whose guards were removed)."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from engine.store.migrations import append_only
    from engine.store.schema import APPEND_ONLY

    context = MigrationContext.configure(conn)
    with Operations.context(context):
        for table in tables:
            for name in append_only.trigger_names(table, conn.dialect.name):
                if conn.dialect.name == "postgresql":
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
                else:
                    conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
            append_only.append_only(table)
            append_only.no_replace(table, APPEND_ONLY[table])


def _check_guards(store: Store, repair: bool) -> None:
    with store.read() as conn:
        missing = missing_guards(conn)
    if not missing:
        return
    if not repair:
        raise StoreError(
            f"{store.label}: các bảng chỉ được thêm dòng ({', '.join(missing)}) đã mất cơ chế chặn sửa, xóa "
            "(trigger bị xóa hoặc tắt ngoài cqtt); không dùng cơ sở dữ liệu này: đối chiếu với bản sao lưu, "
            "rồi chạy cqtt db upgrade để đặt lại"
        )
    with store.write() as conn:
        _lock(conn)
        _guard_again(conn, missing_guards(conn))
    store.guards_restored = missing


def open_store(db: str | None, create: bool = True, upgrade: bool = False) -> Store:
    """Open the store named by --db (or CQTT_DB, or the default file), creating an empty one. A
    store whose append-only guards were removed is refused (re-made by `upgrade`)."""
    target, default = resolve_target(db)
    engine, label = _engine_for(target, default)
    store = Store(engine, label, target)
    try:
        with store.read() as conn:
            state, current, head = _state(conn, label)
        if state == "current":
            _check_guards(store, repair=upgrade)
            return store
        if state == "older" and not upgrade:
            raise StoreError(
                f"{label}: lược đồ cơ sở dữ liệu cũ ({current}, cần {head}); sao lưu rồi chạy: "
                f"cqtt db upgrade --db {label}"
            )
        if state == "new" and not create:
            raise StoreError(f"{label}: chưa có cơ sở dữ liệu; ghi kết quả bằng cqtt score … --db trước")
        with store.write() as conn:
            _lock(conn)
            state, current, head = _state(conn, label)  # another process may have done it meanwhile
            if state != "current":
                _migrate(conn)
                store.created = state == "new"
                store.upgraded_from = current
            if state == "new":
                from engine.scoring.engine import tool_version

                conn.execute(
                    store_info.insert(),
                    [
                        {"key": "application", "value": APPLICATION},
                        {"key": "created_by", "value": tool_version()},
                    ],
                )
        _check_guards(store, repair=upgrade)
        return store
    except SQLAlchemyError as exc:
        store.close()
        message = f"{label}: không dùng được cơ sở dữ liệu ({type(exc).__name__}: {exc})"
        raise StoreError(scrubbed(message, target)) from None
    except BaseException:
        store.close()
        raise


def revision(store: Store) -> tuple[str | None, str]:
    with store.read() as conn:
        current, head, _ = _revisions(conn)
        application = conn.execute(
            select(store_info.c.value).where(store_info.c.key == "application")
        ).scalar()
    assert application == APPLICATION
    return current, head


def new_id(result: Any) -> int:
    """The primary key an INSERT made."""
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])
