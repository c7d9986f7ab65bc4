"""Where a rule-file problem is, in words policy staff read: "groups[1].criteria[0].points" becomes
"nhóm 2 “Công tác cải cách hành chính”, tiêu chí 1 “Công khai đúng hạn”, điểm". The key path stays
beside it in small print for whoever edits the file by hand."""

from __future__ import annotations

import re
from typing import Any

NAMES = {
    "groups": "nhóm",
    "criteria": "tiêu chí",
    "evidence": "trường minh chứng",
    "recognition": "điều kiện công nhận",
    "requirements": "yêu cầu",
    "disqualifiers": "điểm liệt",
    "tiers": "mức",
    "points": "điểm",
    "max_points": "điểm tối đa",
    "method": "cách chấm",
    "when": "điều kiện",
    "flags": "cảnh báo",
    "source": "căn cứ",
    "title": "tên",
    "id": "mã",
    "label": "nhãn",
    "choices": "lựa chọn",
    "scale": "thang điểm",
    "version": "phiên bản",
    "valid_from": "hiệu lực từ",
    "valid_to": "hiệu lực đến",
    "appeals": "kiến nghị",
    "surveys": "phiếu khảo sát",
    "min_total": "điểm tối thiểu",
    "min_group_share": "tỷ lệ tối thiểu mỗi nhóm",
    "mandatory": "bắt buộc",
    "type": "loại",
}
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def in_words(key: str, data: Any) -> str:
    """The key path in words, naming each list item by its title (or id) where the file has one;
    "" for an empty path (the whole file)."""
    parts = _PART.findall(key or "")
    words: list[str] = []
    node: Any = data
    for n, (name, index) in enumerate(parts):
        if name:
            node = node.get(name) if isinstance(node, dict) else None
            indexed_next = n + 1 < len(parts) and parts[n + 1][1] != ""
            if not indexed_next:  # a list item is named with its number instead
                words.append(NAMES.get(name, name))
            continue
        i = int(index)
        item = node[i] if isinstance(node, list) and 0 <= i < len(node) else None
        node = item
        owner = parts[n - 1][0] if n else ""
        title = (item.get("title") or item.get("label") or item.get("id")) if isinstance(item, dict) else None
        words.append(f"{NAMES.get(owner, owner)} {i + 1}" + (f" “{title}”" if isinstance(title, str) else ""))
    return ", ".join(words)
