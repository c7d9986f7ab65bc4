"""E-mail notifications through the province's own SMTP server: a commune when a request for more
or a result arrives, a team when a dossier is submitted or resubmitted, the province when a list is
sent or an appeal filed. Every message is in Vietnamese and carries the link to the page.

A message is queued in the same transaction as the event it tells (engine.store.outbox): a mail
server that is down delays it, never loses it; the mailer (one thread per serving process) claims
each message before sending it, so several processes send it once. Without an SMTP server
configured, nothing is queued: the task list alone tells people what waits for them.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

from engine.clock import now
from engine.errors import CqttError
from engine.store import outbox as rows
from engine.store.connect import Store, Tx

_ENABLED = {"on": False}  # set by the serving process when an SMTP server is configured
HOLD = dt.timedelta(minutes=5)  # a message claimed longer ago by a mailer that died is taken again


class MailSettingsError(CqttError):
    """An SMTP setting that cannot work."""


@dataclass(frozen=True)
class Smtp:
    host: str
    port: int
    sender: str
    user: str = ""
    password: str = ""
    starttls: bool = False

    @classmethod
    def parse(
        cls, address: str, sender: str, user: str = "", password: str = "", starttls: bool = False
    ) -> Smtp:
        """`--smtp HOST:PORT` (port 25 when none) with `--mail-from`."""
        host, _, port = address.strip().rpartition(":") if ":" in address else (address.strip(), "", "25")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise MailSettingsError(f"--smtp “{address}”: cần MÁY:CỔNG, ví dụ mail.bacgiang.gov.vn:587")
        if "@" not in sender:
            raise MailSettingsError(
                f"--mail-from “{sender}”: cần một địa chỉ thư, ví dụ cong@bacgiang.gov.vn"
            )
        return cls(host, int(port), sender, user, password, starttls)

    @classmethod
    def from_environment(cls) -> Smtp | None:
        """CQTT_SMTP, CQTT_MAIL_FROM, CQTT_SMTP_USER, CQTT_SMTP_PASSWORD, CQTT_SMTP_STARTTLS=1."""
        address = os.environ.get("CQTT_SMTP", "")
        if not address:
            return None
        return cls.parse(
            address,
            os.environ.get("CQTT_MAIL_FROM", ""),
            os.environ.get("CQTT_SMTP_USER", ""),
            os.environ.get("CQTT_SMTP_PASSWORD", ""),
            os.environ.get("CQTT_SMTP_STARTTLS") == "1",
        )


def enable(on: bool) -> None:
    _ENABLED["on"] = on


def tell(
    conn: Tx,
    role: str,
    year: int,
    subject: str,
    body: str,
    path: str,
    unit: str | None = None,
    team: str | None = None,
) -> int:
    """Queue one message for every account the event is for (inside the event's transaction)."""
    if not _ENABLED["on"]:
        return 0
    found = rows.recipients(conn, role, year, unit, team)
    moment = now()
    for r in found:
        greeting = f"Kính gửi {r.full_name or r.login},"
        rows.queue(
            conn,
            created_at=moment,
            account_id=r.id,
            recipient=r.email,
            subject=subject,
            body=f"{greeting}\n\n{body}\n",
            path=path,
        )
    return len(found)


def _message(smtp: Smtp, base: str, r: Any) -> EmailMessage:
    message = EmailMessage()
    message["From"] = formataddr(("Cổng chấm điểm Chính quyền thân thiện", smtp.sender))
    message["To"] = r.recipient
    message["Subject"] = r.subject
    message["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[1])
    link = f"{base.rstrip('/')}{r.path}"
    message.set_content(
        f"{r.body}\nXem trên cổng: {link}\n\n"
        "Thư gửi tự động từ cổng chấm điểm “Chính quyền thân thiện”; không trả lời thư này.\n"
    )
    return message


def send_pending(store: Store, smtp: Smtp, base: str) -> int:
    """Send what is queued (each message claimed first); a failure is kept for the next round."""
    sent = 0
    with store.read() as conn:
        waiting = rows.due(conn, now() - HOLD)
    for r in waiting:
        with store.write() as conn:
            if not rows.claim(conn, r.id, now(), now() - HOLD):
                continue
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=20) as server:
                if smtp.starttls:
                    server.starttls(context=ssl.create_default_context())
                if smtp.user:
                    server.login(smtp.user, smtp.password)
                server.send_message(_message(smtp, base, r))
        except (OSError, smtplib.SMTPException) as exc:
            with store.write() as conn:
                rows.settle(conn, r.id, None, f"{type(exc).__name__}: {exc}"[:500])
            continue
        with store.write() as conn:
            rows.settle(conn, r.id, now(), None)
        sent += 1
    return sent
