"""What makes a new password acceptable: long enough, not the login, not a password people pick.

The list of common passwords is a maintained one shipped as data (data/README.md): Django's list
of about 20,000, with words Vietnamese users pick added. A password is refused when it is on the
list, or is a word of the list with digits and signs around it ("matkhau123", "Password@2024").
"""

from __future__ import annotations

import functools
import gzip
import re
from pathlib import Path

DATA = Path(__file__).parent / "data"
MIN_LENGTH = 10
MAX_LENGTH = 200


@functools.cache
def common() -> frozenset[str]:
    with gzip.open(DATA / "common-passwords.txt.gz", "rt", encoding="utf-8") as handle:
        words = {line.strip().lower() for line in handle if line.strip()}
    local = (DATA / "vietnamese-passwords.txt").read_text("utf-8").splitlines()
    words |= {line.strip().lower() for line in local if line.strip() and not line.startswith("#")}
    return frozenset(words)


_AROUND = re.compile(r"^[\W\d_]+|[\W\d_]+$")


def problem(login: str, new: str) -> str | None:
    """Why `new` cannot be `login`'s password (Vietnamese, one sentence), or None."""
    if len(new) < MIN_LENGTH:
        return f"Mật khẩu mới cần ít nhất {MIN_LENGTH} ký tự."
    if len(new) > MAX_LENGTH:
        return f"Mật khẩu mới quá dài (tối đa {MAX_LENGTH} ký tự)."
    lowered = new.lower()
    if login and login in lowered:
        return "Mật khẩu mới không được chứa tên đăng nhập."
    if new.isdigit():
        return "Mật khẩu mới không được chỉ gồm chữ số."
    if len(set(lowered)) < 5:
        return "Mật khẩu mới có quá ít ký tự khác nhau."
    if lowered in common() or lowered.replace(" ", "") in common():
        return "Mật khẩu mới nằm trong danh sách mật khẩu hay bị đoán; chọn một câu dài dễ nhớ với bạn."
    core = _AROUND.sub("", lowered)
    if core != lowered and (not core or core in common()):
        return "Mật khẩu mới chỉ là một từ hay bị đoán thêm số hoặc ký hiệu; chọn một câu dài dễ nhớ với bạn."
    return None
