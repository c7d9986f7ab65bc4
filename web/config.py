"""How a portal is served: where its store and files are, cookies, limits, lifetimes."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import CqttError
from engine.intake.workbook import Limits
from engine.portal.accounts import Throttle
from engine.portal.files import DEFAULT_LIMIT
from engine.portal.mail import Smtp
from engine.portal.sessions import Lifetimes


@dataclass
class PortalConfig:
    db: str | None  # the history store: an SQLite file or a PostgreSQL URL; None: CQTT_DB or the default
    data_dir: Path  # attachments (by SHA-256) and the installation's secret
    secure_cookies: bool = True  # served over HTTPS (a TLS reverse proxy); off only for --demo
    upload_limit: int = DEFAULT_LIMIT
    # an uploaded workbook inflated, and its merged ranges (CQTT_XLSX_* may lower or raise them)
    xlsx_limits: Limits = field(default_factory=lambda: Limits.from_environment(inflated_mb=100))
    behind_proxy: int = 0  # proxies whose X-Forwarded-For/-Proto are trusted
    lifetimes: Lifetimes = field(default_factory=Lifetimes)
    throttle: Throttle = field(default_factory=Throttle.from_environment)
    demo: bool = False
    issuer: str = ""  # the issuing body on records ("TỈNH BẮC GIANG")
    place: str = ""  # the place name before the date on records ("Bắc Giang")
    public_url: str = ""  # the address citizens reach the portal at (QR codes); else where it listens
    smtp: Smtp | None = None  # the province's mail server for notifications (none: the task list alone)
    mail_every: float = 5.0  # seconds between the mailer's rounds
    digest_hour: int | None = None  # the hour (Vietnam time) each day's digests are queued; None: none

    def public_base(self) -> str:
        """The portal's address as citizens' links carry it: --public-url; the address the server
        listens on when none is given (cqtt web sets it); a fixed loopback name for an app made
        without a server (tests). Never a request's Host header."""
        return self.public_url.rstrip("/") or "http://localhost"

    @property
    def files(self) -> Path:
        return self.data_dir / "tep"

    def secret_key(self) -> bytes:
        """The installation's secret (signs CSRF tokens, visitors' cookies and survey tickets;
        keys the hashes of survey contacts), made once and kept in the data folder (0700),
        readable by its owner only (0600). One restored readable by others (a backup copied
        back as 0644) is refused, not used silently: anyone who read it could forge them."""
        path = self.data_dir / "bi-mat.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
            fresh = path.with_name(f".bi-mat-{secrets.token_hex(8)}.tmp")
            fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
            try:
                os.link(fresh, path)  # only the first of several processes' keys is kept
            except FileExistsError:
                pass
            finally:
                os.unlink(fresh)
        mode = path.stat().st_mode & 0o777
        if os.name == "posix" and mode & 0o077:
            raise CqttError(
                f"{path}: tệp bí mật của cổng đọc được bởi người khác (quyền {mode:04o}); "
                f"chỉ chủ sở hữu được đọc: chmod 600 {path}"
            )
        return path.read_bytes()
