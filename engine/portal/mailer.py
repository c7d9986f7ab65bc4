"""The serving process's mailer: sends what engine.portal.mail queued, and once a day queues the
digests of the task lists for the accounts that asked for one. Apart from engine.portal.mail so
that what queues messages (the workflow) never depends on what reads the task lists."""

from __future__ import annotations

import datetime as dt
import threading

from engine.clock import VIETNAM, now, today
from engine.portal import accounts, tasks
from engine.portal.mail import Smtp, enable, send_pending
from engine.portal.years import start_year, user_years
from engine.store import outbox as rows
from engine.store.connect import Store


def queue_digests(store: Store, on: dt.date) -> int:
    """Once a day, for each account that asked for it: its task list of the year it works on
    (overdue first, with dates), as one message; nothing when nothing waits for it."""
    queued = 0
    with store.read() as conn:
        readers = rows.digest_readers(conn)
    for r in readers:
        with store.write() as conn:
            if not rows.take_digest_day(conn, r.id, on):
                continue  # queued today already (by this process or another)
        account = accounts.find(store, r.login)
        year = start_year(user_years(store, account), account.role)
        if year is None:
            continue
        found = tasks.tasks_for(store, account, year)
        if not found:
            continue
        late = sum(1 for t in found if t.overdue(on))
        lines = []
        for t in found[:50]:
            due = ""
            if t.due is not None:
                late_by = f" (quá hạn {(on - t.due).days} ngày)" if t.overdue(on) else ""
                due = f" — hạn {t.due:%d/%m/%Y}{late_by}"
            lines.append(f"- {t.what}: {t.subject}{due}")
        more = f"\n… và {len(found) - 50} việc nữa trên cổng." if len(found) > 50 else ""
        with store.write() as conn:
            rows.queue(
                conn, created_at=now(), account_id=r.id, recipient=r.email,
                subject=f"Việc cần làm năm {year}: {len(found)} việc" + (f", {late} quá hạn" if late else ""),
                body=f"Kính gửi {r.full_name or r.login},\n\nViệc đang chờ anh/chị trên cổng "
                f"(ngày {on:%d/%m/%Y}):\n" + "\n".join(lines) + more + "\n",
                path="/",
            )  # fmt: skip
        queued += 1
    return queued


class Mailer:
    """The serving process's mailer: sends what is queued every few seconds, until stopped."""

    def __init__(
        self, store: Store, smtp: Smtp, base: str, every: float = 5.0, digest_hour: int | None = None
    ) -> None:
        self.store, self.smtp, self.base, self.every = store, smtp, base, every
        self.digest_hour = digest_hour  # Vietnam time; None: no daily digest
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="cqtt-mailer", daemon=True)

    def start(self) -> None:
        enable(True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        import logging

        log = logging.getLogger("cqtt.mail")
        while not self._stop.wait(self.every):
            try:
                if self.digest_hour is not None and dt.datetime.now(VIETNAM).hour >= self.digest_hour:
                    queue_digests(self.store, today())
                send_pending(self.store, self.smtp, self.base)
            except Exception:  # noqa: BLE001 - the mailer outlives one bad round; the cause is logged
                log.exception("gửi thư thông báo không được")
