"""Alembic environment: migrations always run on the connection cqtt hands over (never from an
ini file), so the same code upgrades an SQLite file and a PostgreSQL database."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
