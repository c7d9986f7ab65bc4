"""Rows parsed by a forked child (engine.intake.apart) are the rows one process reads."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.intake import apart
from engine.intake.evidence import read_evidence
from engine.rules import catalog
from engine.rules.loader import load_criteria

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(not apart.available(), reason="fork is not available here")


def test_the_items_come_in_order_across_batches() -> None:
    assert list(apart.made_apart(lambda: iter(range(1234)), batch=100)) == list(range(1234))
    assert list(apart.made_apart(lambda: iter([]))) == []


def _fails_after(n: int) -> Iterator[int]:
    yield from range(n)
    raise ValueError("hỏng ở đây")


def test_an_error_is_raised_after_the_items_made_before_it() -> None:
    got: list[int] = []
    with pytest.raises(ValueError, match="hỏng ở đây"):
        for item in apart.made_apart(lambda: _fails_after(7), batch=5):
            got.append(item)
    assert got == list(range(7))


class _Unpicklable(Exception):
    def __init__(self, a: int, b: int) -> None:  # pickled args do not call this back
        super().__init__(f"{a}+{b}")


def _raises_unpicklable() -> Iterator[int]:
    yield 1
    raise _Unpicklable(1, 2)


def test_an_error_that_does_not_pickle_back_is_said_as_it_was() -> None:
    with pytest.raises(RuntimeError, match=r"_Unpicklable: 1\+2"):
        list(apart.made_apart(_raises_unpicklable))


def _forever() -> Iterator[int]:
    while True:
        yield os.getpid()


def test_leaving_early_stops_the_child() -> None:
    items = apart.made_apart(_forever, batch=10)
    child = next(items)
    assert child != os.getpid()
    items.close()  # type: ignore[attr-defined]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    else:
        pytest.fail("the child still runs")


@pytest.mark.parametrize(
    ("sample", "ref"),
    [("bac-giang-2024.xlsx", "bac-giang@2024"), ("bac-ninh-2025.xlsx", "bac-ninh@2025")],
)
def test_evidence_read_with_a_child_is_the_evidence_read_alone(sample: str, ref: str) -> None:
    loaded = load_criteria(catalog.resolve(ref))
    alone = read_evidence([ROOT / "samples" / sample], loaded.model)
    helped = read_evidence([ROOT / "samples" / sample], loaded.model, processes=2)
    assert len(alone.applications) > 20
    assert helped.applications == alone.applications
    assert helped.issues == alone.issues
    assert helped.not_submitted == alone.not_submitted


def test_a_sheet_left_early_then_the_next_sheet(tmp_path: Path) -> None:
    """The first sheet's reading stops after 10,000 blank rows (its child still parsing the rows
    below); the second sheet is read from the same open file once that child has stopped."""
    from openpyxl import load_workbook

    from engine.intake.evidence import BLANK_ROWS_LIMIT

    book = load_workbook(ROOT / "samples" / "bac-giang-2024.xlsx")
    first = book["Nhập liệu"]
    second = book.copy_worksheet(first)
    second.title = "Nhập liệu 2"
    first.delete_rows(12, 400)  # heading and 8 units
    second.delete_rows(4, 8)  # the units after them
    for r in range(12, 12 + BLANK_ROWS_LIMIT + 600):  # styled empty rows: read, then given up
        first.cell(row=r, column=1).number_format = "0"
    first.cell(row=12 + BLANK_ROWS_LIMIT + 700, column=1, value="bỏ qua")
    path = tmp_path / "hai-sheet.xlsx"
    book.save(path)
    loaded = load_criteria(catalog.resolve("bac-giang@2024"))
    alone = read_evidence([path], loaded.model)
    helped = read_evidence([path], loaded.model, processes=2)
    assert {i.sheet for i in alone.issues if "dòng trống liên tiếp" in i.message} == {"Nhập liệu"}
    assert len(alone.applications) > 30
    assert helped.applications == alone.applications
    assert helped.issues == alone.issues
