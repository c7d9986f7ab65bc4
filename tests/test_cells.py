"""Reading one cell: Vietnamese habits accepted, ambiguous values refused with a reason."""

from __future__ import annotations

import pytest

from engine.intake.cells import (
    CellError,
    is_percent_format,
    parse_cell,
    parse_number,
    parse_percent,
    parse_tally,
)
from engine.rules.declarations import Choice, EvidenceDecl, Tally


def decl(kind: str, **extra) -> EvidenceDecl:
    return EvidenceDecl(id="x", label="X", type=kind, **extra)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.234,5", 1234.5),
        ("0,95", 0.95),
        ("1,5", 1.5),
        ("1.5", 1.5),
        ("12", 12.0),
        ("1.234.567", 1234567.0),
        ("1,234.5", 1234.5),
        ("-3", -3.0),
        ("1 234,5", 1234.5),
        ("0,993", 0.993),  # no thousands group follows a lone 0: a share
        ("0.125", 0.125),
        (7, 7.0),
        (2.25, 2.25),
    ],
)
def test_numbers_in_vietnamese_and_unambiguous_forms(text, value) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["1.234", "1,234", "12.345"])
def test_three_digits_after_one_separator_is_ambiguous_for_decimals(text) -> None:
    with pytest.raises(CellError, match="hàng nghìn hay dấu thập phân"):
        parse_number(text)


def test_three_digits_after_one_separator_is_thousands_for_counts() -> None:
    assert parse_number("1.234", integer=True) == 1234
    assert parse_number("1,234", integer=True) == 1234


@pytest.mark.parametrize("text", ["abc", "1.2.3", "", "1,,2", True, float("nan"), "0,00001", 1e-05, 1e16])
def test_non_numbers_are_refused(text) -> None:
    with pytest.raises(CellError):
        parse_number(text)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("95%", 95.0),
        ("96,5 %", 96.5),
        ("0,95", 95.0),
        ("0,993", 99.3),
        (0.95, 95.0),
        (95, 95.0),
        ("100", 100.0),
        (0, 0.0),
        ("0%", 0.0),
    ],
)
def test_percent_forms(raw, value) -> None:
    assert parse_percent(raw) == pytest.approx(value)


def test_percent_cell_formatted_as_percent_holds_a_share() -> None:
    assert parse_percent(1, percent_format=True) == 100.0
    assert parse_percent(0.5, percent_format=True) == 50.0


def test_excel_percent_57_is_exactly_57_not_56_999() -> None:
    # Excel stores 57% as 0.57, and 0.57 * 100 is 56.99999999999999 in binary floating point:
    # without rounding, a unit typing 57% would miss a tier that starts at 57.
    assert parse_percent(0.57, percent_format=True) == 57.0
    assert parse_percent(0.29) == 29.0


@pytest.mark.parametrize(
    "number_format, percent",
    [
        ("0.0%", True),
        ("0%", True),
        ("0.00%;[Red]-0.00%", True),
        ('0"%"', False),
        ("0\\%", False),
        (None, False),
    ],
)
def test_only_a_real_percent_format_means_the_cell_holds_a_share(number_format, percent) -> None:
    assert is_percent_format(number_format) is percent


def test_bare_one_in_a_percent_field_is_refused() -> None:
    with pytest.raises(CellError, match="1% hay 100%"):
        parse_percent("1")


def test_percent_out_of_range_is_refused() -> None:
    with pytest.raises(CellError, match="ngoài khoảng cho phép"):
        parse_cell("120%", decl("percent"))


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("Có", True),
        ("có", True),
        ("x", True),
        ("X", True),
        ("Không", False),
        ("khong", False),
        (True, True),
        (0, False),
        ("Đạt", True),
    ],
)
def test_yes_no(raw, value) -> None:
    assert parse_cell(raw, decl("yes_no")) is value


def test_yes_no_refuses_other_text() -> None:
    with pytest.raises(CellError, match="Có.*Không"):
        parse_cell("có lẽ", decl("yes_no"))


def test_count_must_be_a_whole_number_in_range() -> None:
    d = decl("count", max=50)
    assert parse_cell("12", d) == 12
    with pytest.raises(CellError, match="số nguyên"):
        parse_cell("2,5", d)
    with pytest.raises(CellError, match="ngoài khoảng"):
        parse_cell(51, d)
    with pytest.raises(CellError, match="ngoài khoảng"):
        parse_cell(-1, d)


def test_number_with_its_unit_written_in_the_cell() -> None:
    assert parse_cell("45,5 m²", decl("number", unit="m²")) == 45.5


def test_items_by_label_or_id_with_suggestion_for_typos() -> None:
    d = decl("items", choices=[Choice(id="may_tinh", label="Máy tính"), Choice(id="may_in", label="Máy in")])
    assert parse_cell("Máy tính; may_in", d) == frozenset({"may_tinh", "may_in"})
    assert parse_cell("máy tinh", d) == frozenset({"may_tinh"})
    assert parse_cell("Không có", d) == frozenset()
    with pytest.raises(CellError, match="Máy in"):
        parse_cell("Máy inn", d)


def test_survey_tally() -> None:
    assert parse_tally("452 / 500") == Tally(satisfied=452, total=500)
    assert parse_tally({"satisfied": 3, "total": 4}) == Tally(satisfied=3, total=4)
    with pytest.raises(CellError, match="lớn hơn tổng"):
        parse_tally("6/5")
    with pytest.raises(CellError, match="452/500"):
        parse_tally("90%")
