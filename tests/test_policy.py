"""The one table of what each role may do in each state of an application (engine.portal.policy),
checked against the state machine and asked the way the views ask it."""

from __future__ import annotations

from engine.portal.policy import (
    APPEAL,
    FIELD_CHECK,
    IN_STATES,
    OTHER,
    TRANSITIONS,
    Target,
    attachment_slots,
    in_state,
    may,
)
from engine.portal.roles import APPRAISED, EDITABLE, STATES, SUBMITTED, UNDER_APPRAISAL, Account

XA = Account(1, "xa07444", "xa", unit_code="07444")
HUYEN = Account(2, "lucnam", "huyen", district="Huyện Lục Nam")
TINH = Account(3, "phuctra", "tinh")
MINE = Target(unit="07444", district="Huyện Lục Nam")
OTHERS = Target(unit="07201", district="Huyện Hiệp Hòa")
DOCS = [("doc:to_trinh", "Tờ trình")]


def test_every_state_named_in_the_table_is_a_state() -> None:
    for action, roles in IN_STATES.items():
        for role, states in roles.items():
            assert states <= set(STATES), (action, role)


def test_what_the_state_machine_lets_a_role_do_the_table_lets_it_do() -> None:
    """A commune submits only from a state it may edit in; a team asks for more or finalises only
    while it appraises."""
    for (before, after), (roles, _) in TRANSITIONS.items():
        if "xa" in roles and after in SUBMITTED:
            assert in_state("unit.edit", "xa", before), (before, after)
        if "xa" in roles and after not in SUBMITTED and before != "chua_nop":  # a withdrawal
            assert in_state("unit.withdraw", "xa", before) and in_state("unit.edit", "xa", after)
        if "tinh" in roles:  # the province reopens only what a team has finalised
            assert in_state("unit.reopen", "tinh", before) and after in UNDER_APPRAISAL
        if after in ("can_bo_sung", "da_tham_dinh"):
            assert in_state("unit.appraise", "huyen", before), (before, after)


def test_a_commune_edits_until_it_submits_and_sees_its_scores_once_appraised() -> None:
    for state in STATES:
        assert may(XA, "unit.edit", MINE, state) == (state in EDITABLE)
        assert may(XA, "unit.scores", MINE, state) == (state in APPRAISED)
        assert not may(XA, "unit.edit", OTHERS, state)  # scope first, whatever the state
        assert may(HUYEN, "unit.appraise", MINE, state) == (state in UNDER_APPRAISAL)
        assert may(HUYEN, "unit.scores", MINE, state) and not may(HUYEN, "unit.scores", OTHERS, state)


def test_the_kinds_of_file_each_role_may_attach_in_each_state() -> None:
    assert attachment_slots(XA, MINE, "dang_soan", DOCS, False) == [*DOCS, (OTHER, "Tài liệu khác")]
    assert attachment_slots(XA, MINE, "da_nop", DOCS, False) == []  # submitted: nothing more until asked
    assert attachment_slots(XA, MINE, "da_gui_tinh", DOCS, False) == []
    assert [s for s, _ in attachment_slots(XA, MINE, "da_gui_tinh", DOCS, True)] == [APPEAL]
    assert attachment_slots(XA, OTHERS, "dang_soan", DOCS, False) == []
    assert [s for s, _ in attachment_slots(HUYEN, MINE, "da_nop", DOCS, False)] == ["doc:to_trinh", OTHER]
    assert attachment_slots(HUYEN, MINE, "da_tham_dinh", DOCS, False) == []
    assert [s for s, _ in attachment_slots(TINH, OTHERS, "da_gui_tinh", DOCS, False)] == [FIELD_CHECK, OTHER]
    assert attachment_slots(TINH, OTHERS, "chua_nop", DOCS, False) == []
