"""Attachments: PDF, JPEG or PNG, the type judged from the content (not the name), the size
limited while reading, stored on disk under the data folder by their SHA-256 (the same file is
stored once), and named in the store. An uploaded name is shown, never used as a path."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from engine.clock import aware, now
from engine.errors import CqttError
from engine.portal import audit
from engine.portal.roles import Account
from engine.store import attachments as rows
from engine.store import dossiers as dossier_rows
from engine.store.connect import Store

DEFAULT_LIMIT = 20 * 1024 * 1024
MAX_FILES = 50  # attachments per application
CHUNK = 1 << 16
KINDS = {b"%PDF-": "application/pdf", b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
SUFFIX = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


class FileRefused(CqttError):
    """An upload that is not kept (too large, not a PDF or picture, too many)."""


def media_type(head: bytes) -> str | None:
    for magic, kind in KINDS.items():
        if head.startswith(magic):
            return kind
    return None


def shown_name(name: str) -> str:
    """An uploaded file's name as it may be shown: no folders, no control characters, at most
    120 characters."""
    base = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip().strip(".")
    return base[:120] or "tep"


def store_file(stream: BinaryIO, folder: Path, limit: int) -> tuple[str, int, str]:
    """Copy an upload into the data folder, checking its size as it is read and its type from its
    first bytes; returns (sha256, size, media type)."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)  # the commune's documents: owner only
    digest = hashlib.sha256()
    size = 0
    handle = tempfile.NamedTemporaryFile(dir=folder, prefix=".tai-len-", delete=False)  # noqa: SIM115
    try:
        with handle:
            head = b""
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > limit:
                    raise FileRefused(f"tệp lớn hơn giới hạn {limit // (1024 * 1024)} MB")
                if len(head) < 16:
                    head += chunk[:16]
                digest.update(chunk)
                handle.write(chunk)
        if size == 0:
            raise FileRefused("tệp rỗng")
        kind = media_type(head)
        if kind is None:
            raise FileRefused("chỉ nhận tệp PDF, JPEG hoặc PNG (kiểm tra theo nội dung tệp, không theo tên)")
        sha = digest.hexdigest()
        target = folder / sha[:2] / sha
        target.parent.mkdir(exist_ok=True, mode=0o700)
        if target.exists():
            os.unlink(handle.name)
        else:
            os.replace(handle.name, target)
        return sha, size, kind
    except BaseException:
        if os.path.exists(handle.name):
            os.unlink(handle.name)
        raise


def path_of(folder: Path, sha: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", sha):
        raise FileRefused("mã tệp không hợp lệ")
    return folder / sha[:2] / sha


@dataclass
class Attachment:
    id: int
    application_id: int
    slot: str
    sha256: str
    size: int
    media_type: str
    name: str
    uploaded_by: str  # the login
    uploaded_at: dt.datetime
    uploader: str = ""  # the name people read (the login where the account has no name)

    @property
    def download_name(self) -> str:
        stem = self.name.rsplit(".", 1)[0] if "." in self.name else self.name
        return stem + SUFFIX.get(self.media_type, "")


def add(
    store: Store,
    account: Account,
    address: str,
    application_id: int,
    slot: str,
    stream: BinaryIO,
    name: str,
    folder: Path,
    limit: int,
    target: str,
) -> Attachment:
    with store.read() as conn:
        count = rows.live_count(conn, application_id)
    if count >= MAX_FILES:  # said before the file is read; counted again below, in turn
        raise FileRefused(f"mỗi hồ sơ tối đa {MAX_FILES} tệp đính kèm")
    sha, size, kind = store_file(stream, folder, limit)
    moment = now()
    shown = shown_name(name)
    with store.write() as conn:
        dossier_rows.lock(conn, application_id)
        if rows.live_count(conn, application_id) >= MAX_FILES:
            raise FileRefused(f"mỗi hồ sơ tối đa {MAX_FILES} tệp đính kèm")
        attachment_id = rows.add(
            conn,
            application_id=application_id,
            slot=slot[:120],
            sha256=sha,
            size=size,
            media_type=kind,
            name=shown,
            uploaded_by=account.id,
            uploaded_at=moment,
            withdrawn_at=None,
        )
        audit.record(conn, account, address, "attachment_uploaded", target, {"slot": slot, "sha256": sha})
    return Attachment(attachment_id, application_id, slot, sha, size, kind, shown, account.login, moment)


def remove(
    store: Store, account: Account, address: str, application_id: int, attachment_id: int, target: str
) -> Attachment:
    """Take back a file the account filed itself (the commune, before it submits): no longer part
    of the application, still in the store and in the audit log."""
    with store.write() as conn:
        found = next((r for r in rows.of_application(conn, application_id) if r.id == attachment_id), None)
        if found is None or found.uploaded_by != account.id:
            raise FileRefused("chỉ gỡ được tệp chính mình đính kèm vào hồ sơ này")
        rows.withdraw(conn, attachment_id, application_id, now())
        audit.record(
            conn, account, address, "attachment_removed", target,
            {"slot": found.slot, "sha256": found.sha256, "name": found.name},
        )  # fmt: skip
    return _attachment(found)


def removed(store: Store, application_id: int) -> list[Attachment]:
    """The files taken back from an application (kept, shown in its history)."""
    with store.read() as conn:
        return [_attachment(r) for r in rows.withdrawn_of(conn, application_id)]


def listing(store: Store, application_id: int) -> list[Attachment]:
    with store.read() as conn:
        return [_attachment(r) for r in rows.of_application(conn, application_id)]


def _attachment(r: object) -> Attachment:
    return Attachment(
        r.id,  # type: ignore[attr-defined]
        r.application_id,  # type: ignore[attr-defined]
        r.slot,  # type: ignore[attr-defined]
        r.sha256,  # type: ignore[attr-defined]
        r.size,  # type: ignore[attr-defined]
        r.media_type,  # type: ignore[attr-defined]
        r.name,  # type: ignore[attr-defined]
        r.login or "",  # type: ignore[attr-defined]
        aware(r.uploaded_at),  # type: ignore[attr-defined, arg-type]
        r.full_name or r.login or "",  # type: ignore[attr-defined]
    )


def owner(store: Store, attachment_id: int) -> tuple[Attachment, int, str] | None:
    """An attachment with the year and unit of its application (for the scope check), or None."""
    with store.read() as conn:
        row = rows.with_owner(conn, attachment_id)
    if row is None:
        return None
    return _attachment(row), row.year, row.unit_code
