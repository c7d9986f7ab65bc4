"""The one place that decides what a user may do: `allowed(account, action, target)`.

Every route of the portal asks it, with the object the request names (a unit and its district,
a district), before doing anything; hiding a link is never the protection. An action not listed
here is refused to everyone.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.portal.roles import Account


@dataclass(frozen=True)
class Target:
    """What a request acts on: a unit (with the district the unit list puts it in), a district,
    or nothing in particular (a page of the province or of the system)."""

    unit: str | None = None
    district: str | None = None


NOTHING = Target()

# action -> {role: scope}; scope "own-unit", "own-district" or "all".
RULES: dict[str, dict[str, str]] = {
    "self": {"xa": "all", "huyen": "all", "tinh": "all", "chinh-sach": "all", "quan-tri": "all"},
    "unit.view": {"xa": "own-unit", "huyen": "own-district", "tinh": "all"},
    "unit.edit": {"xa": "own-unit"},
    "unit.appraise": {"huyen": "own-district"},
    "unit.attach": {"xa": "own-unit", "huyen": "own-district", "tinh": "all"},
    "unit.appeal": {"xa": "own-unit"},
    "district.view": {"huyen": "own-district", "tinh": "all"},
    "district.manage": {"huyen": "own-district"},
    "province.view": {"tinh": "all"},
    "review.manage": {"tinh": "all"},
    "surveys.manage": {"tinh": "all"},
    "rules.view": {"chinh-sach": "all", "tinh": "all"},
    "rules.draft": {"chinh-sach": "all"},
    "accounts.manage": {"quan-tri": "all"},
    "units.manage": {"quan-tri": "all"},
    "audit.view": {"quan-tri": "all"},
}


def allowed(account: Account | None, action: str, target: Target = NOTHING) -> bool:
    """Whether `account` may do `action` on `target`. A unit target must carry its district as
    the unit list gives it; a unit or district the list does not know is refused by the caller."""
    if account is None:
        return False
    scope = RULES.get(action, {}).get(account.role)
    if scope is None:
        return False
    if scope == "all":
        return True
    if scope == "own-unit":
        return target.unit is not None and target.unit == account.unit_code
    if scope == "own-district":
        return (
            target.district is not None
            and account.district is not None
            and target.district == account.district
        )
    return False


def actions_for(role: str) -> list[str]:
    return [action for action, roles in RULES.items() if role in roles]
