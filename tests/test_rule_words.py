"""A rule-file problem's place in words: list items by their number and title, keys by their
Vietnamese names, whatever the path holds (a missing item, a file that is not a mapping)."""

from __future__ import annotations

import yaml
from portal_helpers import ROOT

from engine.rules.words import in_words

SET = yaml.safe_load((ROOT / "criteria/bac-giang/2024.yaml").read_text("utf-8"))


def test_items_are_named_by_number_and_title() -> None:
    assert in_words("groups[1].criteria[0].points", SET) == (
        "nhóm 2 “Công tác cải cách hành chính”, "
        "tiêu chí 1 “Hồ sơ thủ tục hành chính giải quyết đúng hạn, trước hạn”, điểm"
    )
    assert in_words("recognition.requirements[0].when", SET) == (
        "điều kiện công nhận, yêu cầu 1 “Hồ sơ đề nghị công nhận đủ 5 văn bản”, điều kiện"
    )


def test_a_path_the_file_does_not_hold_is_still_said() -> None:
    assert in_words("groups[9].title", SET) == "nhóm 10, tên"
    assert in_words("groups[0].criteria[2].points", None) == "nhóm 1, tiêu chí 3, điểm"
    assert in_words("", SET) == ""
    assert in_words("khoa_la", SET) == "khoa_la"
