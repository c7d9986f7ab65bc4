"""The audit log: who did what, when, from where. Rows are only ever added; the database
itself refuses to change or remove one (triggers made by the migration)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from dataclasses import dataclass
from typing import Any

from engine.clock import aware, now
from engine.portal.roles import Account
from engine.store import accounts as account_rows
from engine.store import audit as rows
from engine.store.connect import Store, Tx

ACTIONS: dict[str, str] = {
    "login": "Đăng nhập",
    "login_failed": "Đăng nhập sai",
    "login_refused": "Đăng nhập bị chặn",
    "password_check_failed": "Nhập sai mật khẩu hiện tại khi đổi mật khẩu",
    "logout": "Đăng xuất",
    "password_changed": "Đổi mật khẩu",
    "account_added": "Thêm tài khoản",
    "account_disabled": "Khóa tài khoản",
    "account_enabled": "Mở khóa tài khoản",
    "email_set": "Đặt địa chỉ thư nhận thông báo",
    "password_reset": "Cấp lại mật khẩu",
    "units_loaded": "Nạp danh sách đơn vị",
    "draft_saved": "Lưu bản nháp hồ sơ",
    "submitted": "Nộp hồ sơ",
    "resubmitted": "Nộp lại hồ sơ",
    "clarification_requested": "Yêu cầu bổ sung",
    "verified": "Xác minh, sửa giá trị minh chứng",
    "appraisal_finalised": "Hoàn tất thẩm định",
    "appraisal_reopened": "Tỉnh mở lại thẩm định",
    "deadlines_set": "Đặt thời hạn của năm",
    "withdrawn": "Xã rút hồ sơ để sửa",
    "attachment_removed": "Gỡ tệp đính kèm",
    "sent_to_province": "Gửi danh sách lên tỉnh",
    "workbook_uploaded": "Tải lên tệp Excel minh chứng",
    "attachment_uploaded": "Tải lên tệp đính kèm",
    "attachment_downloaded": "Tải về tệp đính kèm",
    "attachment_viewed": "Xem tệp đính kèm trên trang",
    "download": "Tải về kết quả",
    "rules_draft_checked": "Kiểm tra bản nháp bộ tiêu chí",
    "refused": "Bị từ chối truy cập",
    "sample_drawn": "Chọn mẫu kiểm tra thực địa",
    "checker_assigned": "Phân công kiểm tra thực địa",
    "field_checked": "Ghi kết quả kiểm tra thực địa",
    "decided": "Ghi quyết định",
    "revoked": "Thu hồi công nhận",
    "appeal_filed": "Gửi kiến nghị",
    "appeal_answered": "Trả lời kiến nghị",
    "survey_window_set": "Đặt thời gian nhận phiếu khảo sát",
    "survey_scores_refreshed": "Cập nhật điểm theo kiểm đếm khảo sát",
}


def record(
    conn: Tx,
    account: Account | None,
    address: str,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
    login: str | None = None,
) -> None:
    """Add one row, inside the caller's transaction (what it records and the record land together)."""
    rows.append(
        conn,
        at=now(),
        account_id=account.id if account else None,
        login=(account.login if account else login or "")[:64],
        address=address[:64],
        action=action,
        target=target,
        details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
    )


def log(
    store: Store, account: Account | None, address: str, action: str, target: str = "", **details: Any
) -> None:
    with store.write() as conn:
        record(conn, account, address, action, target, details)


REFUSALS_EVERY = 60.0  # seconds between two records of the same refusal from the same address
_refused: dict[tuple[str, str, str], float] = {}
_refused_lock = threading.Lock()


def log_refusal(
    store: Store, address: str, reason: str, target: str, account: Account | None = None, action: str = ""
) -> bool:
    """Record a refused request, at most once a minute per address and reason in this process: an
    address hammering a page it is refused adds a row a minute to the append-only log, not
    hundreds a second (the throttle that refused it counts every request). Returns whether a row
    was written."""
    key = (store.label, address, reason)
    moment = time.monotonic()
    with _refused_lock:
        last = _refused.get(key)
        if last is not None and moment - last < REFUSALS_EVERY:
            return False
        _refused[key] = moment
        if len(_refused) > 10_000:  # forget the oldest half: the table must not grow without bound
            for old in sorted(_refused, key=_refused.__getitem__)[:5_000]:
                del _refused[old]
    details = {"reason": reason}
    if account is None:
        with store.write() as conn:
            record(conn, None, address, action or "login_refused", target, details, login=target)
    else:
        log(store, account, address, action or "refused", target, **details)
    return True


@dataclass
class Entry:
    id: int
    at: dt.datetime
    login: str
    address: str
    action: str
    target: str
    details: dict[str, Any]

    @property
    def label(self) -> str:
        return ACTIONS.get(self.action, self.action)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "login": self.login,
            "address": self.address,
            "action": self.action,
            "label": self.label,
            "target": self.target,
            "details": self.details,
        }


def entries(
    store: Store, since: dt.datetime | None = None, login: str | None = None, limit: int | None = None
) -> list[Entry]:
    """The log in order, optionally from a time on and for one login; with `limit`, the latest."""
    with store.read() as conn:
        found_rows = rows.read(conn, since, login, limit)
    found = [
        Entry(r.id, aware(r.at) or r.at, r.login, r.address, r.action, r.target, json.loads(r.details))
        for r in found_rows
    ]
    return list(reversed(found)) if limit else found


def known_login(store: Store, login: str) -> bool:
    with store.read() as conn:
        return account_rows.login_taken(conn, login)
