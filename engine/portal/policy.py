"""The one place that decides what a user may do.

* `allowed(account, action, target)`: the role and its scope. Every route of the portal asks it,
  with the object the request names (a unit and its district, a district), before doing anything;
  hiding a link is never the protection. An action not listed here is refused to everyone.
* `may(account, action, target, state)`: the same, in the state the unit's application is in
  (`IN_STATES`): the views show a form or a button only when it is true, the application functions
  refuse the step when `in_state` is false, the templates only read what the views decided.
* `TRANSITIONS`: the state machine of an application, and who moves it.
* `attachment_slots`: which kinds of file a user may attach to an application now.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.portal.roles import APPRAISED, EDITABLE, STATES, SUBMITTED, UNDER_APPRAISAL, Account


@dataclass(frozen=True)
class Target:
    """What a request acts on: a unit (with the district the unit list puts it in), a district,
    or nothing in particular (a page of the province or of the system)."""

    unit: str | None = None
    district: str | None = None
    year: int | None = None  # the year the unit or district is named in (a team's scope is per year)


NOTHING = Target()

# action -> {role: scope}; scope "own-unit", "own-district" or "all".
RULES: dict[str, dict[str, str]] = {
    "self": {"xa": "all", "huyen": "all", "tinh": "all", "chinh-sach": "all", "quan-tri": "all"},
    "unit.view": {"xa": "own-unit", "huyen": "own-district", "tinh": "all"},
    "unit.edit": {"xa": "own-unit"},
    "unit.appraise": {"huyen": "own-district"},
    "unit.attach": {"xa": "own-unit", "huyen": "own-district", "tinh": "all"},
    "unit.appeal": {"xa": "own-unit"},
    "unit.withdraw": {"xa": "own-unit"},
    "unit.reopen": {"tinh": "all"},
    "year.deadlines": {"tinh": "all"},
    "unit.scores": {"xa": "own-unit", "huyen": "own-district", "tinh": "all"},
    "district.view": {"huyen": "own-district", "tinh": "all"},
    "district.manage": {"huyen": "own-district"},
    "province.view": {"tinh": "all"},
    "review.manage": {"tinh": "all"},
    "unit.move": {"tinh": "all"},
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
        team = account.team_in(target.year)
        return target.district is not None and team is not None and target.district == team
    return False


def actions_for(role: str) -> list[str]:
    return [action for action, roles in RULES.items() if role in roles]


# The accounts the portal's administrator makes and resets: communes and appraisal teams. The
# province-wide roles (province, policy staff, administrators) see every dossier or manage the
# portal: they are made and reset on the server (`cqtt users add`, `reset-password`), so that the
# web administrator cannot give themselves the province's view with a one-time password they hold.
WEB_MANAGED_ROLES = ("xa", "huyen")

ANY_STATE = frozenset(STATES)

# action -> role -> the states of the unit's application in which the role may do it. An action
# or role not listed here does not depend on the state (its scope alone decides).
IN_STATES: dict[str, dict[str, frozenset[str]]] = {
    # the commune's declared values: before submitting, and when the team asks for more
    "unit.edit": {"xa": frozenset(EDITABLE)},
    # the team's verification, requests for more, finalising
    "unit.appraise": {"huyen": frozenset(UNDER_APPRAISAL)},
    # evidence files: the commune while it may edit, the team while it appraises, the province
    # once the application is submitted (what it saw on site)
    "unit.attach": {
        "xa": frozenset(EDITABLE | APPRAISED),
        "huyen": frozenset(UNDER_APPRAISAL),
        "tinh": frozenset(SUBMITTED),
    },
    # points, explanations, results and records: a commune sees its own once appraised
    "unit.scores": {"xa": frozenset(APPRAISED), "huyen": ANY_STATE, "tinh": ANY_STATE},
    # the province's decisions on a submitted application
    "review.manage": {"tinh": frozenset(SUBMITTED)},
    # a unit moved to another team only before its appraisal starts
    "unit.move": {"tinh": frozenset({"chua_nop", "dang_soan"})},
    # the values found on site, once the team has its result
    "review.field_check": {"tinh": frozenset(UNDER_APPRAISAL | APPRAISED)},
    # an appeal against a decision, which only an appraised application can have
    "unit.appeal": {"xa": frozenset(APPRAISED)},
    # a first submission taken back, while the team has not started on it (dossiers.withdraw
    # checks that); a resubmission answers the team's request, which the team has in hand
    "unit.withdraw": {"xa": frozenset({"da_nop"})},
    # a finalised appraisal (or a sent list) opened again by the province, with a reason
    "unit.reopen": {"tinh": frozenset(APPRAISED)},
}


def in_state(action: str, role: str, state: str) -> bool:
    """Whether the role may do `action` on an application in `state` (scope aside)."""
    return state in IN_STATES.get(action, {}).get(role, ANY_STATE)


def may(account: Account | None, action: str, target: Target, state: str) -> bool:
    """`allowed`, in the state the unit's application is in."""
    return account is not None and allowed(account, action, target) and in_state(action, account.role, state)


# (from, to) -> the roles that may make the change, and what the change is called.
TRANSITIONS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("chua_nop", "dang_soan"): (("xa", "huyen"), "Bắt đầu soạn hồ sơ"),
    ("dang_soan", "da_nop"): (("xa", "huyen"), "Nộp hồ sơ"),
    ("can_bo_sung", "da_nop_lai"): (("xa",), "Nộp lại hồ sơ đã bổ sung"),
    ("chua_nop", "da_nop"): (("huyen",), "Nhập hồ sơ từ tệp Excel của tổ thẩm định"),
    ("da_nop", "can_bo_sung"): (("huyen",), "Yêu cầu bổ sung"),
    ("da_nop_lai", "can_bo_sung"): (("huyen",), "Yêu cầu bổ sung"),
    ("da_nop", "da_tham_dinh"): (("huyen",), "Hoàn tất thẩm định"),
    ("da_nop_lai", "da_tham_dinh"): (("huyen",), "Hoàn tất thẩm định"),
    ("da_tham_dinh", "da_gui_tinh"): (("huyen",), "Gửi danh sách lên tỉnh"),
    ("da_nop", "dang_soan"): (("xa",), "Xã rút hồ sơ để sửa"),
    ("da_tham_dinh", "da_nop"): (("tinh",), "Tỉnh mở lại thẩm định"),
    ("da_gui_tinh", "da_nop"): (("tinh",), "Tỉnh mở lại thẩm định"),
}

# Kinds of attachment besides the documents the rule file asks for.
OTHER, FIELD_CHECK, APPEAL = "khac", "thuc-dia", "kien-nghi"
SLOT_LABELS = {
    OTHER: "Tài liệu khác",
    FIELD_CHECK: "Ảnh, biên bản kiểm tra thực địa",
    APPEAL: "Tài liệu kèm kiến nghị",
}


def attachment_slots(
    account: Account | None,
    target: Target,
    state: str,
    documents: list[tuple[str, str]],
    appealing: bool,
) -> list[tuple[str, str]]:
    """The kinds of file `account` may attach now, as (slot, label): the rule file's documents and
    "other" for the commune while it may edit and for the team while it appraises; the commune's
    appeal files once appraised, while it has or may file an appeal (`appealing`); the province's
    field-check files. Empty: no upload form, and an upload is refused."""
    if account is None or not may(account, "unit.attach", target, state):
        return []
    if account.role == "tinh":
        return [(FIELD_CHECK, SLOT_LABELS[FIELD_CHECK]), (OTHER, SLOT_LABELS[OTHER])]
    if account.role == "xa" and state not in EDITABLE:
        return [(APPEAL, SLOT_LABELS[APPEAL])] if appealing else []
    return [*documents, (OTHER, SLOT_LABELS[OTHER])]
