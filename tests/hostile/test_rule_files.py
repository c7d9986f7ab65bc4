"""Hostile rule files: each is refused quickly with the file, the line and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import ROOT, Case, alias_bomb, run_case

MINIMAL = (ROOT / "tests" / "data" / "minimal.yaml").read_text("utf-8")


def _rule(tmp: Path, name: str, data: str | bytes) -> list[str]:
    path = tmp / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return ["criteria", "validate", str(path)]


def rule_alias_bomb(tmp: Path) -> list[str]:
    return _rule(tmp, "bom.yaml", "\n".join(alias_bomb(9)) + "\n")


def rule_python_object_tag(tmp: Path) -> list[str]:
    text = MINIMAL.replace(
        "title: Bộ tiêu chí thử nghiệm", "title: !!python/object/apply:os.system [echo hi]"
    )
    return _rule(tmp, "the.yaml", text)


def rule_duplicate_key(tmp: Path) -> list[str]:
    return _rule(tmp, "trung.yaml", MINIMAL.replace("scale: 20", "scale: 20\nscale: 30"))


def rule_nan(tmp: Path) -> list[str]:
    return _rule(tmp, "nan.yaml", MINIMAL.replace("scale: 20", "scale: .nan"))


def rule_infinity(tmp: Path) -> list[str]:
    return _rule(tmp, "inf.yaml", MINIMAL.replace("scale: 20", "scale: -.inf"))


def rule_huge_number(tmp: Path) -> list[str]:
    return _rule(tmp, "lon.yaml", MINIMAL.replace("scale: 20", "scale: 1e400"))


def rule_empty_file(tmp: Path) -> list[str]:
    return _rule(tmp, "rong.yaml", "")


def rule_binary_file(tmp: Path) -> list[str]:
    return _rule(tmp, "nhi-phan.yaml", bytes(range(256)) * 4)


def rule_utf16_file(tmp: Path) -> list[str]:
    return _rule(tmp, "utf16.yaml", MINIMAL.encode("utf-16"))


def rule_folder_without_yaml(tmp: Path) -> list[str]:
    (tmp / "rong").mkdir()
    return ["criteria", "validate", str(tmp / "rong")]


def rule_tab_indentation(tmp: Path) -> list[str]:
    return _rule(tmp, "tab.yaml", MINIMAL.replace("  - id: nhom_a", "\t- id: nhom_a"))


def rule_list_instead_of_mapping(tmp: Path) -> list[str]:
    return _rule(tmp, "danh-sach.yaml", "- a\n- b\n")


def rule_folder_as_criteria_ref(tmp: Path) -> list[str]:
    (tmp / "tc").mkdir()
    csv = ROOT / "samples" / "hung-yen-2025.csv"
    return ["score", str(csv), "--criteria", str(tmp / "tc"), "--json", str(tmp / "out.json")]


def rule_both_source_and_proposed(tmp: Path) -> list[str]:
    text = MINIMAL.replace(
        "        title: Hồ sơ đúng hạn\n",
        "        title: Hồ sơ đúng hạn\n        source: {document: A}\n        proposed: vì một lý do rõ ràng\n",
    )
    return _rule(tmp, "ca-hai.yaml", text)


def rule_reversed_linear(tmp: Path) -> list[str]:
    tiers = MINIMAL[MINIMAL.index("          type: tiers\n") : MINIMAL.index("      - id: ban_ttnd")]
    text = MINIMAL.replace(
        tiers, "          {type: linear, evidence: ty_le_dung_han, zero_at: 100, full_at: 80}\n"
    )
    return _rule(tmp, "nguoc.yaml", text.replace("        method:\n          {", "        method: {"))


def rule_nested_five_thousand_deep(tmp: Path) -> list[str]:
    return _rule(tmp, "sau.yaml", "id: x\nnote: " + "[" * 5000 + "]" * 5000 + "\n")


def rule_tiny_tier_bound(tmp: Path) -> list[str]:
    return _rule(
        tmp,
        "nho.yaml",
        MINIMAL.replace("{min: 90, max: 95, points: 3}", "{min: 0.00001, max: 95, points: 3}"),
    )


def rule_huge_tier_bound(tmp: Path) -> list[str]:
    return _rule(tmp, "to.yaml", MINIMAL.replace("{min: 95, points: 6}", "{min: 1e16, points: 6}"))


def rule_tiny_group_share(tmp: Path) -> list[str]:
    return _rule(tmp, "ty-le.yaml", MINIMAL.replace("min_group_share: 0.5", "min_group_share: 1.01e-05"))


def _line(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


SCALE = _line(MINIMAL, "scale: 20")
CRITERION = _line(MINIMAL, "- id: dung_han")
CASES = [
    Case(
        rule_alias_bomb,
        1,
        "{tmp}/bom.yaml:6: lỗi: [(neo và bí danh YAML)] các bí danh (*tên) ở đây mở rộng thành hơn 100.000 nút "
        "— gợi ý: tệp tiêu chí không cần lồng bí danh nhiều tầng; viết thẳng nội dung thay cho *tên",
        anywhere=True,
        isolated=True,
        seconds=10,
    ),
    Case(
        rule_python_object_tag,
        1,
        "{tmp}/the.yaml:2: lỗi: [title] thẻ YAML “!!python/object/apply:os.system” không được dùng trong tệp "
        "tiêu chí — gợi ý: bỏ thẻ; tệp tiêu chí chỉ chứa văn bản, số, Có/Không, danh sách và bảng khóa",
        anywhere=True,
    ),
    Case(
        rule_duplicate_key,
        1,
        f"{{tmp}}/trung.yaml:{SCALE + 1}: lỗi: [scale] khóa “scale” xuất hiện hai lần — gợi ý: xóa một trong "
        "hai; YAML chỉ giữ giá trị sau cùng",
        anywhere=True,
    ),
    Case(
        rule_nan,
        1,
        f"{{tmp}}/nan.yaml:{SCALE}: lỗi: [scale] “.nan” không phải một số dùng được (vô cực hoặc NaN) — gợi ý: "
        "ghi một số bình thường, ví dụ 20",
        anywhere=True,
    ),
    Case(
        rule_infinity,
        1,
        f"{{tmp}}/inf.yaml:{SCALE}: lỗi: [scale] “-.inf” không phải một số dùng được (vô cực hoặc NaN) — gợi ý: "
        "ghi một số bình thường, ví dụ 20",
        anywhere=True,
    ),
    Case(
        rule_huge_number,
        1,
        f"{{tmp}}/lon.yaml:{SCALE}: lỗi: [scale] “1e400” không phải một số dùng được (vô cực hoặc NaN) — gợi ý: "
        "ghi một số bình thường, ví dụ 20",
        anywhere=True,
    ),
    Case(
        rule_empty_file,
        1,
        "{tmp}/rong.yaml: lỗi: [(gốc)] tệp rỗng — gợi ý: bắt đầu bằng `id:`, `title:`, `version:`... như các "
        "tệp mẫu",
        anywhere=True,
    ),
    Case(
        rule_binary_file,
        1,
        "{tmp}/nhi-phan.yaml: lỗi: [(tệp)] tệp không phải UTF-8 (invalid start byte) — gợi ý: lưu lại tệp với "
        "mã hóa UTF-8",
        anywhere=True,
    ),
    Case(
        rule_utf16_file,
        1,
        "{tmp}/utf16.yaml: lỗi: [(tệp)] tệp không phải UTF-8 (invalid start byte) — gợi ý: lưu lại tệp với mã "
        "hóa UTF-8",
        anywhere=True,
    ),
    Case(
        rule_folder_without_yaml,
        1,
        "{tmp}/rong: lỗi: [(tệp)] không tìm thấy tệp tiêu chí .yaml nào",
        anywhere=True,
    ),
    Case(
        rule_tab_indentation,
        1,
        f"{{tmp}}/tab.yaml:{_line(MINIMAL, '  - id: nhom_a')}: lỗi: [(cú pháp YAML)] tệp YAML không đọc được: "
        "found character '\\t' that cannot start any token — gợi ý: kiểm tra thụt lề (dùng dấu cách, không "
        "dùng tab) và dấu “:” sau mỗi khóa",
        anywhere=True,
    ),
    Case(
        rule_list_instead_of_mapping,
        1,
        "{tmp}/danh-sach.yaml:1: lỗi: [(gốc)] nội dung gốc phải là một bảng các khóa — gợi ý: bắt đầu bằng "
        "`id:`, `title:`, `version:`... như các tệp mẫu",
        anywhere=True,
    ),
    Case(
        rule_reversed_linear,
        1,
        f"{{tmp}}/nguoc.yaml:{_line(MINIMAL, '- id: dung_han') + 3}: lỗi: "
        "[groups[0].criteria[0].method.zero_at] tiêu chí “dung_han”: `zero_at` (100) lớn hơn `full_at` (80): giá trị càng cao càng ít "
        "điểm. Nếu đúng là càng thấp càng tốt (ví dụ số ngày trễ hạn), ghi thêm `decreasing: true`; nếu không, "
        "đổi chỗ hai số",
        anywhere=True,
    ),
    Case(
        rule_nested_five_thousand_deep,
        1,
        "{tmp}/sau.yaml:1: lỗi: [(gốc)] nội dung lồng quá sâu (hàng nghìn tầng [ hoặc {{) — gợi ý: tệp tiêu chí chỉ "
        "cần vài tầng: nhóm, tiêu chí, cách chấm; xem các tệp mẫu",
        anywhere=True,
    ),
    Case(
        rule_tiny_tier_bound,
        1,
        f"{{tmp}}/nho.yaml:{_line(MINIMAL, '{min: 90, max: 95')}: lỗi: [groups[0].criteria[0].method.tiers[1].min] "
        "1e-05 nằm ngoài khoảng bộ máy luật so sánh được: ghi 0, hoặc một số có giá trị tuyệt đối từ 0,0001 đến "
        "dưới 10 000 000 000 000 000",
        anywhere=True,
    ),
    Case(
        rule_huge_tier_bound,
        1,
        f"{{tmp}}/to.yaml:{_line(MINIMAL, '{min: 95, points: 6}')}: lỗi: [groups[0].criteria[0].method.tiers[2].min] "
        "1e+16 nằm ngoài khoảng bộ máy luật so sánh được: ghi 0, hoặc một số có giá trị tuyệt đối từ 0,0001 đến "
        "dưới 10 000 000 000 000 000",
        anywhere=True,
    ),
    Case(
        rule_tiny_group_share,
        1,
        f"{{tmp}}/ty-le.yaml:{_line(MINIMAL, 'min_group_share')}: lỗi: [recognition.min_group_share] 1.01e-05 nằm "
        "ngoài khoảng bộ máy luật so sánh được: ghi 0, hoặc một số có giá trị tuyệt đối từ 0,0001 đến dưới "
        "10 000 000 000 000 000",
        anywhere=True,
    ),
    Case(rule_folder_as_criteria_ref, 1, "Lỗi: không tìm thấy tệp tiêu chí “{tmp}/tc”"),
    Case(
        rule_both_source_and_proposed,
        1,
        f"{{tmp}}/ca-hai.yaml:{CRITERION}: lỗi: [groups[0].criteria[0]] ghi `source` (văn bản làm căn cứ) hoặc "
        "`proposed` (lý do bản mẫu đề xuất), không ghi cả hai",
        anywhere=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_rule_file(case: Case, tmp_path: Path) -> None:
    run_case(case, tmp_path)
