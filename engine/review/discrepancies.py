"""What a re-check finds, one row each: the kinds of discrepancy, and the criteria a results file
was scored with (a changed rule file is itself a discrepancy)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from engine.errors import CqttError
from engine.review.teamfile import read_identity
from engine.rules import catalog
from engine.rules.loader import LoadedCriteria, load_criteria, load_ref

Kind = Literal[
    "total",
    "group_points",
    "criterion_points",
    "recognition",
    "rank",
    "flag",
    "evidence_value",
    "unit_added",
    "unit_missing",
    "file_hash",
    "hand_edit",
    "field_check",
]

KIND_LABELS: dict[str, str] = {
    "total": "Tổng điểm",
    "group_points": "Điểm nhóm",
    "criterion_points": "Điểm tiêu chí",
    "recognition": "Kết quả công nhận",
    "rank": "Hạng",
    "flag": "Cảnh báo",
    "evidence_value": "Giá trị minh chứng",
    "unit_added": "Đơn vị không có trong minh chứng",
    "unit_missing": "Đơn vị thiếu trong kết quả của tổ",
    "file_hash": "Mã băm tệp",
    "hand_edit": "Sửa tay (niêm phong không khớp)",
    "field_check": "Kiểm tra thực địa",
}


class Discrepancy(BaseModel):
    unit: str
    name: str = ""
    group: str = ""
    kind: Kind
    item: str  # what exactly: criterion id, group id, field id, flag code, file
    label: str  # the same in Vietnamese
    team: Any = None
    province: Any = None
    difference: float | None = None
    where: str = ""  # sheet!cell in the team's workbook, or a JSON path


def resolve_criteria(team_path: Path, ref: str | None) -> tuple[LoadedCriteria, list[Discrepancy]]:
    """The criteria version the results name; with `ref`, the one given (and any hash change
    becomes a discrepancy). Without `ref`, a hash that differs stops the re-check."""
    ident = read_identity(team_path)
    found: list[Discrepancy] = []
    if ref is not None:
        loaded = load_ref(ref)
        if ident.sha256 and loaded.sha256 != ident.sha256:
            found.append(
                Discrepancy(
                    unit="(toàn bộ)",
                    kind="file_hash",
                    item="criteria",
                    label=f"Tệp tiêu chí ({ident.ref} → {loaded.model.ref})",
                    team=ident.sha256,
                    province=loaded.sha256,
                    where="_cqtt" if ident.kind == "xlsx" else "criteria.sha256",
                )
            )
        return loaded, found
    if not ident.criteria_id or not ident.version:
        raise CqttError(f"{team_path}: kết quả không ghi bộ tiêu chí đã dùng; chỉ định bằng --criteria")
    try:
        loaded = load_criteria(catalog.resolve(ident.ref, None))
    except CqttError:
        raise CqttError(
            f"{team_path}: không tìm thấy bộ tiêu chí {ident.ref} mà kết quả đã dùng; "
            "chỉ định tệp bằng --criteria"
        ) from None
    if ident.sha256 and loaded.sha256 != ident.sha256:
        raise CqttError(
            f"tệp tiêu chí {loaded.path} (sha256 {loaded.sha256[:12]}…) khác tệp mà kết quả đã dùng "
            f"(sha256 {ident.sha256[:12]}…); dùng --criteria để chỉ định tệp cần dùng"
        )
    return loaded, found
