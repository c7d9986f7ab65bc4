"""Who may do what to a PostgreSQL store: the owner role that runs migrations, and the portal's
login role, which may add and read the records but never change or remove one.

The append-only tables' triggers refuse UPDATE, DELETE and TRUNCATE to everyone, but a role that
owns a table can disable its triggers or drop it. So on a shared server the tables belong to an
owner role (which `cqtt db upgrade` runs as) and the portal signs in as another role granted only
what it needs: INSERT and SELECT on the append-only tables, and on the others (accounts, sessions,
applications' states) what their work needs. `cqtt db grant` makes those grants.
"""

from __future__ import annotations

import re

from sqlalchemy import text

from engine.store.connect import Store, StoreError
from engine.store.schema import APPEND_ONLY, metadata

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Tables the portal reads but never writes.
READ_ONLY = ("alembic_version", "cqtt_store")


def grant(store: Store, role: str) -> tuple[list[str], list[str]]:
    """Give `role` what the portal needs and nothing more; returns (append-only tables, others)."""
    if store.dialect != "postgresql":
        raise StoreError(f"{store.label}: phân quyền vai trò chỉ dùng với PostgreSQL (SQLite là một tệp)")
    if not ROLE_NAME.fullmatch(role):
        raise StoreError(f"vai trò “{role}” không hợp lệ: chữ thường không dấu, số và “_”, bắt đầu bằng chữ")
    appended = sorted(APPEND_ONLY)
    others = sorted(t for t in metadata.tables if t not in APPEND_ONLY)
    with store.write() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first()
        if exists is None:
            raise StoreError(
                f"{store.label}: chưa có vai trò “{role}”; tạo trước: CREATE ROLE {role} LOGIN PASSWORD '…'"
            )
        owner = conn.execute(text("SELECT current_user")).scalar_one()
        if owner == role:
            raise StoreError(
                f"“{role}” là vai trò đang chạy lệnh (chủ các bảng); cổng cần một vai trò đăng nhập khác"
            )
        conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        every = ", ".join([*appended, *others, *READ_ONLY])
        conn.execute(text(f'REVOKE ALL ON {every} FROM "{role}"'))
        conn.execute(text(f'GRANT SELECT, INSERT ON {", ".join(appended)} TO "{role}"'))
        conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON {", ".join(others)} TO "{role}"'))
        conn.execute(text(f'GRANT SELECT ON {", ".join(READ_ONLY)} TO "{role}"'))
        conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
    return appended, others


def owner_warning(store: Store) -> str | None:
    """A warning when the portal signs in to PostgreSQL as a role that could rewrite the
    append-only tables (their owner, or a superuser); None on SQLite or when it cannot."""
    if store.dialect != "postgresql":
        return None
    with store.read() as conn:
        role = conn.execute(text("SELECT current_user")).scalar_one()
        superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar()
        owned = conn.execute(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
        ).scalar_one()
    if superuser or owned:
        why = "là siêu người dùng" if superuser else f"sở hữu {owned} bảng"
        return (
            f"cảnh báo: cổng đăng nhập PostgreSQL bằng vai trò “{role}”, vai trò này {why} nên có thể "
            "tắt cơ chế chỉ-thêm của nhật ký và hồ sơ; dùng một vai trò riêng: cqtt db grant "
            "(xem docs/security.md)"
        )
    return None
