"""Who uses the portal, and the states an application goes through."""

from __future__ import annotations

from dataclasses import dataclass

ROLES: dict[str, str] = {
    "xa": "Cán bộ xã",
    "huyen": "Tổ thẩm định",
    "tinh": "Phúc tra (tỉnh)",
    "chinh-sach": "Cán bộ chính sách",
    "quan-tri": "Quản trị hệ thống",
}

# States of an application (hồ sơ đề nghị), in the order they are reached.
STATES: dict[str, str] = {
    "chua_nop": "Chưa nộp",
    "dang_soan": "Đang soạn",
    "da_nop": "Đã nộp",
    "can_bo_sung": "Cần bổ sung",
    "da_nop_lai": "Đã nộp lại",
    "da_tham_dinh": "Đã thẩm định",
    "da_gui_tinh": "Đã gửi tỉnh",
}

# States in which the commune may change its declared values.
EDITABLE = {"chua_nop", "dang_soan", "can_bo_sung"}
# States in which the district may verify values, ask for more, or finalise.
UNDER_APPRAISAL = {"da_nop", "da_nop_lai"}
SUBMITTED = {"da_nop", "can_bo_sung", "da_nop_lai", "da_tham_dinh", "da_gui_tinh"}
APPRAISED = {"da_tham_dinh", "da_gui_tinh"}


@dataclass(frozen=True)
class Account:
    """A signed-in user, as every decision about what they may do sees them."""

    id: int
    login: str
    role: str
    unit_code: str | None = None
    district: str | None = None
    full_name: str | None = None
    must_change: bool = False
    teams: tuple[tuple[int, str], ...] = ()  # (year, team) where it differs from `district`

    def team_in(self, year: int | None) -> str | None:
        """The team (or district) this account appraises for in `year`."""
        if year is not None:
            for y, team in self.teams:
                if y == year:
                    return team
        return self.district

    @property
    def role_label(self) -> str:
        return ROLES.get(self.role, self.role)

    @property
    def shown(self) -> str:
        return self.full_name or self.login
