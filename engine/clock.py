"""Time as cqtt keeps it: moments in UTC, aware, whatever the database gives back; days as they
are in Vietnam (a decision's date, a deadline), whatever zone the server runs in."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns the stored UTC times without their zone; PostgreSQL with it."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def shown(value: dt.datetime | None) -> str:
    """A time as Vietnamese officials read it, in Vietnam's time (UTC+7)."""
    if value is None:
        return ""
    local = aware(value).astimezone(VIETNAM)  # type: ignore[union-attr]
    return local.strftime("%d/%m/%Y %H:%M")


VIETNAM = dt.timezone(dt.timedelta(hours=7))


def today() -> dt.date:
    """The date in Vietnam (deadlines are counted in days there)."""
    return dt.datetime.now(VIETNAM).date()
