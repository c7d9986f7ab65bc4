"""Forgetting what the portal keeps only for a while, on a clock rather than on the next visitor:
login pages opened and left (anonymous sessions), login attempts past every window that counts
them, the keyed hashes of survey senders' addresses past the rate-limit window, and used survey
tickets past their signature's age. The server sweeps once a minute at most (`Sweeper`)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from engine.clock import now
from engine.portal.accounts import Throttle
from engine.portal.sessions import Lifetimes
from engine.portal.surveys import TICKET_HOURS, Limits
from engine.store import accounts as account_rows
from engine.store import sessions as session_rows
from engine.store import surveys as survey_rows
from engine.store.connect import Store

ATTEMPTS_KEPT = dt.timedelta(hours=24)  # at least: longer when a throttle window is longer


@dataclass(frozen=True)
class Swept:
    sessions: int
    attempts: int
    addresses: int
    tickets: int


def sweep(store: Store, lifetimes: Lifetimes, throttle: Throttle, limits: Limits) -> Swept:
    """Forget, now, every row kept only for a while whose while is over."""
    moment = now()
    windows = dt.timedelta(minutes=max(throttle.lock_minutes, throttle.window_minutes))
    with store.write() as conn:
        return Swept(
            session_rows.forget_anonymous_before(conn, moment - lifetimes.anonymous),
            account_rows.forget_attempts_before(conn, moment - max(windows, ATTEMPTS_KEPT)),
            survey_rows.forget_hits_before(conn, moment - dt.timedelta(minutes=limits.minutes)),
            survey_rows.forget_tickets_before(conn, moment - dt.timedelta(hours=TICKET_HOURS)),
        )


class Sweeper:
    """Sweeps at most once per `every` seconds, from whichever request comes first after that
    (no thread of its own: the portal may run as several processes, each sweeping)."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self._next = 0.0
        self._lock = threading.Lock()

    def due(self) -> bool:
        with self._lock:
            moment = time.monotonic()
            if moment < self._next:
                return False
            self._next = moment + self.every
            return True
