"""What people read follows the year's local government: districts until 2024, the province's
appraisal teams from 2025 (two tiers since 1 July 2025)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from engine.era import group_word, local_recipients, two_tiers
from engine.outputs.records.build import Letterhead, Recognised, decision_list, render_bytes
from engine.rules.loader import load_ref

TEAM = "Tổ thẩm định số 1 — cụm Phường Bắc Giang"


@pytest.mark.parametrize(
    ("year", "tiers", "word", "sent_to"),
    [
        (2023, False, "huyện", "UBND các huyện, thị xã, thành phố"),
        (2024, False, "huyện", "UBND các huyện, thị xã, thành phố"),
        (2025, True, "tổ thẩm định", "UBND các xã, phường, đặc khu"),
        (2026, True, "tổ thẩm định", "UBND các xã, phường, đặc khu"),
    ],
)
def test_the_year_says_who_appraises(year: int, tiers: bool, word: str, sent_to: str) -> None:
    assert (two_tiers(year), group_word(year), local_recipients(year)) == (tiers, word, sent_to)


def _text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        xml = z.read("word/document.xml").decode()
    return re.sub(r"<[^>]+>", "", xml.replace("</w:p>", "\n"))


@pytest.mark.parametrize(
    ("year", "heading", "sent_to"),
    [(2024, "Huyện", "UBND các huyện"), (2025, "Tổ thẩm định", "UBND các xã, phường, đặc khu")],
)
def test_the_decision_list_names_the_group_and_recipients_of_its_year(
    year: int, heading: str, sent_to: str
) -> None:
    cs = load_ref("bac-giang@2024").model
    unit = Recognised("07210", "Phường Bắc Giang", TEAM if year >= 2025 else "Huyện Lục Nam", 96.5, {}, [])
    record = decision_list(cs, year, [unit], Letterhead())
    text = _text(render_bytes(record, "danh-sach-cong-nhan", None))
    assert f"STTTên đơn vị{heading}Tổng điểm" in text.replace("\n", "")
    assert sent_to in text and ("UBND các huyện" in text) == (year < 2025)


def test_a_field_record_compares_item_lists_as_sets() -> None:
    from engine.outputs.records.build import FieldRow, FieldUnit, field_record

    rows = [
        FieldRow("Trang thiết bị", "Máy tính; Máy in; Ghế ngồi chờ", "Ghế ngồi chờ;máy in; Máy tính", ""),
        FieldRow("Hồ sơ", "Tờ trình; Báo cáo", "Tờ trình", "thiếu báo cáo"),
    ]
    record = field_record(
        load_ref("bac-giang@2024").model,
        FieldUnit("07210", "Phường Bắc Giang", TEAM, "", rows),
        2025,
        Letterhead(),
    )
    assert [r["khop"] for r in record.context["dong"]] == ["khớp", "khác"]
