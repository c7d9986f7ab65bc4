"""Tables that only grow: the database itself refuses UPDATE and DELETE on them (and TRUNCATE on
PostgreSQL; on SQLite an INSERT OR REPLACE that would remove a row), so that neither a bug nor a
person at the portal's database login can rewrite what happened."""

from __future__ import annotations

from alembic import op


def append_only(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION cqtt_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'bảng % chỉ được thêm dòng, không được sửa hay xóa', TG_TABLE_NAME; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION cqtt_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION cqtt_append_only()"
        )
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, 'bảng {table} chỉ được thêm dòng, không được sửa hay xóa'); END"
        )


def trigger_names(table: str, dialect: str) -> set[str]:
    """The guards `append_only` and `no_replace` make for a table (what the store checks at start)."""
    if dialect == "postgresql":
        return {f"{table}_append_only", f"{table}_no_truncate"}
    return {f"{table}_no_update", f"{table}_no_delete", f"{table}_no_replace"}


def no_replace(table: str, keys: tuple[tuple[str, ...], ...]) -> None:
    """On SQLite, refuse an insert that would meet a row by one of its keys: INSERT OR REPLACE
    removes the row it meets without running DELETE triggers."""
    if op.get_bind().dialect.name == "postgresql":
        return  # no REPLACE there; ON CONFLICT DO UPDATE is an UPDATE, refused above
    found = " OR ".join("(" + " AND ".join(f"{c} = NEW.{c}" for c in key) + ")" for key in keys)
    op.execute(
        f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} "
        f"WHEN EXISTS (SELECT 1 FROM {table} WHERE {found}) "
        f"BEGIN SELECT RAISE(ABORT, 'bảng {table} chỉ được thêm dòng, không được sửa hay xóa'); END"
    )
