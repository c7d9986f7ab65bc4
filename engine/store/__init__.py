"""The history store: every recorded run, unit result and decision, across years.

A database (an SQLite file by default, PostgreSQL for a province's shared server) reached through
SQLAlchemy Core, its schema kept by Alembic migrations. Rows are only ever added: a run scored again
is a new run, a decision changed is a new decision that names the one it replaces, so that the
history can always be audited. Nothing outside this package imports SQLAlchemy or Alembic, and
nothing imports this package unless a command was given a store (start-up stays fast).
"""
