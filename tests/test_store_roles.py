"""On a real PostgreSQL server: the portal's login role may add and read the append-only records
but can never change, remove, truncate, drop or alter them (`cqtt db grant`), while the portal
still works signed in as that role; and on SQLite and PostgreSQL alike the store refuses to be
used once an append-only table has lost its guards, until `cqtt db upgrade` makes them again."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from cli import main
from engine.store.connect import open_store
from engine.store.schema import APPEND_ONLY

ROOT = Path(__file__).parent.parent
_roles = itertools.count(1)


def cqtt(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def _login_url(owner_url: str, role: str) -> str:
    return owner_url.replace("://cqtt@", f"://{role}@", 1)


@pytest.fixture()
def granted(pg_server, tmp_path: Path) -> tuple[str, str, str]:  # type: ignore[no-untyped-def]
    """A store made by its owner with a recorded run, and a login role granted by `cqtt db grant`."""
    owner = pg_server.create_database(f"cqtt_quyen_{next(_roles)}")
    role = f"cqtt_cong_{next(_roles)}"
    code, out = cqtt(
        "score", str(ROOT / "samples/bac-giang-2024.xlsx"), "--criteria", "bac-giang@2024",
        "--json", str(tmp_path / "k.json"), "--db", owner,
    )  # fmt: skip
    assert code == 0, out
    engine = create_engine(owner)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN"))
    engine.dispose()
    code, out = cqtt("db", "grant", role, "--db", owner)
    assert code == 0, out
    assert out.strip().endswith("không đổi hay xóa được bảng")
    return owner, role, _login_url(owner, role)


STATEMENTS = {
    "UPDATE": "UPDATE {t} SET {c} = {c}",
    "DELETE": "DELETE FROM {t}",
    "TRUNCATE": "TRUNCATE {t}",
    "DROP": "DROP TABLE {t}",
    "ALTER": "ALTER TABLE {t} DISABLE TRIGGER ALL",
}


def test_the_login_role_cannot_rewrite_any_append_only_table(granted: tuple[str, str, str]) -> None:
    _, _, login = granted
    engine = create_engine(login)
    try:
        for table, keys in APPEND_ONLY.items():
            column = keys[0][0]
            with engine.connect() as conn:
                assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() >= 0
            for verb, statement in STATEMENTS.items():
                with engine.connect() as conn, pytest.raises(DBAPIError) as refused:
                    conn.execute(text(statement.format(t=table, c=column)))
                message = str(refused.value.orig)
                assert "permission denied" in message or "must be owner" in message, (table, verb, message)
    finally:
        engine.dispose()


def test_the_portal_works_signed_in_as_the_login_role(granted: tuple[str, str, str], tmp_path: Path) -> None:
    from engine.portal import accounts, units
    from engine.store.roles import owner_warning

    owner, _, login = granted
    store = open_store(login)
    try:
        assert owner_warning(store) is None
        units.load(store, ROOT / "samples/units/bac-giang.csv", 2024, "bac-giang@2024")
        made, password = accounts.add(store, "phuctra", "tinh")
        assert (
            accounts.authenticate(store, "phuctra", password, "127.0.0.1", accounts.Throttle()).id == made.id
        )
    finally:
        store.close()
    as_owner = open_store(owner)
    try:
        assert "là siêu người dùng nên có thể tắt cơ chế chỉ-thêm" in (owner_warning(as_owner) or "")
    finally:
        as_owner.close()


def test_a_sqlite_store_whose_guard_was_dropped_is_refused_until_upgraded(tmp_path: Path) -> None:
    db = str(tmp_path / "h.sqlite")
    open_store(db).close()
    raw = sqlite3.connect(db)
    raw.execute("DROP TRIGGER decisions_no_delete")
    raw.commit()
    raw.close()
    code, out = cqtt("history", "07855", "--db", db)
    assert code == 1
    assert out.strip().splitlines()[-1] == (
        f"Lỗi: {db}: các bảng chỉ được thêm dòng (decisions) đã mất cơ chế chặn sửa, xóa (trigger bị xóa "
        "hoặc tắt ngoài cqtt); không dùng cơ sở dữ liệu này: đối chiếu với bản sao lưu, rồi chạy cqtt db "
        "upgrade để đặt lại"
    )
    code, out = cqtt("db", "upgrade", "--db", db)
    assert code == 0 and f"{db}: đã đặt lại cơ chế chỉ-thêm của các bảng decisions" in out
    store = open_store(db)
    store.close()


def test_insert_or_replace_cannot_rewrite_a_row_on_sqlite(tmp_path: Path) -> None:
    """INSERT OR REPLACE removes the row it meets without running DELETE triggers: refused too."""
    db = tmp_path / "h.sqlite"
    code, out = cqtt(
        "score", str(ROOT / "samples/bac-giang-2024.xlsx"), "--criteria", "bac-giang@2024",
        "--json", str(tmp_path / "k.json"), "--db", str(db),
    )  # fmt: skip
    assert code == 0, out
    raw = sqlite3.connect(db)
    try:
        for statement in (
            "INSERT OR REPLACE INTO runs SELECT * FROM runs WHERE id = 1",
            "REPLACE INTO unit_results SELECT * FROM unit_results LIMIT 1",
            "INSERT OR REPLACE INTO criterion_results SELECT * FROM criterion_results LIMIT 1",
        ):
            with pytest.raises(sqlite3.DatabaseError, match="chỉ được thêm dòng"):
                raw.execute(statement)
    finally:
        raw.close()
