"""Attachments of applications, as rows: the file's hash, size, type and shown name (the bytes
live in the data folder under the hash)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from engine.store.connect import Tx, new_id
from engine.store.schema import accounts, applications, attachments


def live_count(conn: Tx, application_id: int) -> int:
    query = (
        select(func.count())
        .select_from(attachments)
        .where(attachments.c.application_id == application_id, attachments.c.withdrawn_at.is_(None))
    )
    return int(conn.execute(query).scalar_one())


def add(conn: Tx, **values: Any) -> int:
    return new_id(conn.execute(attachments.insert().values(**values)))


def of_application(conn: Tx, application_id: int) -> list[Any]:
    """An application's attachments still in force, oldest first, with the uploader's login and name."""
    query = (
        select(attachments, accounts.c.login, accounts.c.full_name)
        .outerjoin(accounts, accounts.c.id == attachments.c.uploaded_by)
        .where(attachments.c.application_id == application_id, attachments.c.withdrawn_at.is_(None))
        .order_by(attachments.c.id)
    )
    return list(conn.execute(query).all())


def with_owner(conn: Tx, attachment_id: int) -> Any:
    """An attachment in force with the year and unit of its application, or None."""
    query = (
        select(
            attachments, accounts.c.login, accounts.c.full_name, applications.c.year, applications.c.unit_code
        )
        .join(applications, applications.c.id == attachments.c.application_id)
        .outerjoin(accounts, accounts.c.id == attachments.c.uploaded_by)
        .where(attachments.c.id == attachment_id, attachments.c.withdrawn_at.is_(None))
    )
    return conn.execute(query).first()


def withdraw(conn: Tx, attachment_id: int, application_id: int, at: Any) -> bool:
    """Mark an attachment in force as removed (the row and the file stay: the history keeps
    what was filed); False when it was not in force on that application."""
    done = conn.execute(
        attachments.update()
        .where(
            attachments.c.id == attachment_id,
            attachments.c.application_id == application_id,
            attachments.c.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=at)
    )
    return bool(done.rowcount)


def withdrawn_of(conn: Tx, application_id: int) -> list[Any]:
    """An application's removed attachments, oldest first, with the uploader's login and name."""
    query = (
        select(attachments, accounts.c.login, accounts.c.full_name)
        .outerjoin(accounts, accounts.c.id == attachments.c.uploaded_by)
        .where(attachments.c.application_id == application_id, attachments.c.withdrawn_at.is_not(None))
        .order_by(attachments.c.id)
    )
    return list(conn.execute(query).all())
