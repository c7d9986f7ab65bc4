"""Where each item comes from (`source` or `proposed`), and a version diff that says why units change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from engine.outputs.resultsjson import read_results
from engine.rules import catalog
from engine.rules.loader import load_criteria

ROOT = Path(__file__).parent.parent
EV2024 = ROOT / "samples" / "bac-giang-2024.xlsx"
EV2023 = ROOT / "samples" / "bac-giang-2023.xlsx"
DATA = Path(__file__).parent / "data"


def rows_of(path: Path, sheet: str) -> list[tuple]:
    book = load_workbook(path, read_only=True)
    try:
        return list(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_every_shipped_set_passes_strict_validation() -> None:
    code, out = run("criteria", "validate", "--strict")
    assert code == 0, out
    assert out.strip().endswith("4 tệp tiêu chí hợp lệ, 0 cảnh báo")


@pytest.mark.parametrize("ref", ["bac-giang@2023", "bac-giang@2024", "bac-ninh@2025", "hung-yen@2025"])
def test_every_item_of_the_shipped_sets_has_a_source_or_a_reason(ref: str) -> None:
    cs = load_criteria(catalog.resolve(ref)).model
    items = [c for _, c in cs.criteria()] + cs.disqualifiers + cs.recognition.requirements
    for item in items:
        assert (item.source is None) != (item.proposed is None), item.id
        if item.proposed is not None:
            assert len(item.proposed.split()) >= 6, f"{item.id}: say why in a sentence"


def test_bac_ninh_2025_cites_no_document_of_old_bac_giang_as_its_own() -> None:
    """The first set after the merger: what rested on the old province's documents is proposed,
    with its reason; the national law stays a source."""
    cs = load_criteria(catalog.resolve("bac-ninh@2025")).model
    items = [c for _, c in cs.criteria()] + cs.disqualifiers + cs.recognition.requirements
    assert all("Bắc Giang" not in (i.source.document if i.source else "") for i in items)
    assert sum(1 for i in items if i.proposed and "Bắc Giang cũ" in i.proposed) >= 13
    assert cs.status == "model" and cs.effective.covers(2025) and not cs.effective.covers(2024)


def test_hung_yen_items_cite_section_ii_2_2() -> None:
    cs = load_criteria(catalog.resolve("hung-yen@2025")).model
    assert all(c.source is not None and "II.2.2" in (c.source.article or "") for _, c in cs.criteria())


def test_an_item_without_either_warns_and_strict_refuses(tmp_path: Path) -> None:
    path = tmp_path / "thu.yaml"
    path.write_text((DATA / "minimal.yaml").read_text("utf-8"), "utf-8")
    code, out = run("criteria", "validate", path)
    assert code == 0
    line = next(x for x in out.splitlines() if "“dung_han”" in x)
    text = (DATA / "minimal.yaml").read_text("utf-8").splitlines()
    number = next(i for i, x in enumerate(text, start=1) if x.strip() == "- id: dung_han")
    assert line == (
        f"{path}:{number}: cảnh báo: [groups[0].criteria[0].id] tiêu chí “dung_han” chưa ghi nguồn cũng chưa "
        "ghi lý do đề xuất — gợi ý: thêm `source: {document: …, article: …, date: …}` nếu một văn bản quy "
        "định, hoặc `proposed: <một dòng lý do bản mẫu đề xuất>`"
    )
    code, out = run("criteria", "validate", "--strict", path)
    assert code == 1
    assert f"{path}:{number}: lỗi: [groups[0].criteria[0].id]" in out


def test_source_and_proposed_together_are_refused(tmp_path: Path, minimal_text: str) -> None:
    text = minimal_text.replace(
        "        title: Hồ sơ đúng hạn\n",
        "        title: Hồ sơ đúng hạn\n"
        "        source: {document: Văn bản A}\n"
        "        proposed: vì lý do B rõ ràng\n",
    )
    path = tmp_path / "thu.yaml"
    path.write_text(text, "utf-8")
    code, out = run("criteria", "validate", path)
    assert code == 1
    assert (
        "ghi `source` (văn bản làm căn cứ) hoặc `proposed` (lý do bản mẫu đề xuất), không ghi cả hai" in out
    )


def test_show_prints_the_origin_of_every_item() -> None:
    cs = load_criteria(catalog.resolve("bac-giang@2024")).model
    code, out = run("criteria", "show", "bac-giang@2024")
    assert code == 0
    origins = [
        x.strip() for x in out.splitlines() if x.strip().startswith(("nguồn:", "đề xuất của bản mẫu:"))
    ]
    assert len(origins) == len(cs.criteria()) + len(cs.disqualifiers) + len(cs.recognition.requirements)
    assert "nguồn: Luật Thực hiện dân chủ ở cơ sở năm 2022, Điều 32" in origins


def test_results_carry_the_origin_per_criterion(tmp_path: Path) -> None:
    cs = load_criteria(catalog.resolve("bac-giang@2024")).model
    out, xlsx = tmp_path / "r.json", tmp_path / "r.xlsx"
    code, text = run("score", EV2024, "--criteria", "bac-giang@2024", "--json", out, "-o", xlsx)
    assert code == 0, text
    unit = read_results(out)["units"][0]
    for result in unit["criteria"]:
        item = cs.criterion(result["id"])
        assert result["source"] == item.provenance()
        assert result["proposed"] == (item.proposed is not None)
    disqualifier = next(g for g in unit["gates"] if g["kind"] == "disqualifier")
    assert disqualifier["source"].startswith("Kết luận của Trưởng Ban Chỉ đạo")
    rows = rows_of(xlsx, "Chi tiết")
    column = list(rows[0]).index("Nguồn")
    shown = {r[column] for r in rows[1:]}
    assert "Đề xuất của bản mẫu: " + cs.criterion("ho_so_dung_han").proposed in shown
    assert all(shown)


def test_guide_workbook_prints_the_origin(tmp_path: Path) -> None:
    out = tmp_path / "hd.xlsx"
    code, _ = run("criteria", "show", "bac-giang@2024", "--xlsx", out)
    assert code == 0
    rows = rows_of(out, "Hướng dẫn chấm")
    head = next(r for r in rows if r and r[0] == "Nhóm")
    origins = [r[list(head).index("Nguồn / đề xuất")] for r in rows[rows.index(head) + 1 :] if r[4]]
    assert origins and all(o.startswith(("nguồn: ", "đề xuất của bản mẫu: ")) for o in origins)


def test_diff_reports_changed_sources() -> None:
    code, out = run("criteria", "diff", "bac-giang@2023", "bac-giang@2024")
    assert code == 0
    assert (
        "  * Tiêu chí “Hội nghị đối thoại của Chủ tịch UBND xã với Nhân dân” — nguồn: "
        "Mẫu “Đề nghị công nhận đạt chuẩn chính quyền thân thiện” "
        "trên cổng thông tin quy chế dân chủ tỉnh Bắc Giang, Nhóm 4: tổ chức tiếp xúc, đối thoại → "
        "Luật Thực hiện dân chủ ở cơ sở năm 2022, Điều 32"
    ) in out.splitlines()


# -- a diff that says why -------------------------------------------------------------------------------
@pytest.fixture()
def without_renaming(tmp_path: Path) -> Path:
    """bac-giang@2024 as it was before `renamed:`: the 2024 file cannot feed the 2023 field."""
    text = catalog.resolve("bac-giang@2024").read_text("utf-8")
    start = text.index("\nrenamed:")
    path = tmp_path / "2024.yaml"
    path.write_text(text[:start] + "\n", "utf-8")
    return path


def test_diff_names_the_field_the_file_lacks_and_why_each_unit_changes(
    without_renaming: Path, tmp_path: Path
) -> None:
    out = tmp_path / "diff.json"
    code, text = run(
        "criteria", "diff", "bac-giang@2023", without_renaming, "--evidence", EV2024, "--json", out
    )
    assert code == 0, text
    lines = text.splitlines()
    head = lines.index("Trường minh chứng bac-giang@2023 cần mà tệp minh chứng không có:")
    assert lines[head + 1] == (
        "  phat_thanh_cong_khai (Nội dung công khai được phát trên hệ thống truyền thanh): 195 đơn vị thiếu "
        "minh chứng theo bac-giang@2023"
    )
    assert head < next(i for i, x in enumerate(lines) if x.startswith("Đơn vị thay đổi kết quả"))
    data = json.loads(out.read_text("utf-8"))
    assert data["missing_fields"]["bac-giang@2023"] == [
        {
            "id": "phat_thanh_cong_khai",
            "label": "Nội dung công khai được phát trên hệ thống truyền thanh",
            "units_blocked": 195,
        }
    ]
    gained = [u for u in data["units"] if u["status_changed"] and u["new_recognised"]]
    assert gained
    for u in gained:  # every one of them was blocked under 2023 by the missing field, and it says so
        assert any("Nội dung công khai được phát trên hệ thống truyền thanh" in r for r in u["old_reasons"])
        assert u["new_reasons"] == []
    unit = next(u for u in data["units"] if u["code"] == "07243")
    assert unit["old_recognised"] is False and "Thiếu hoặc sai minh chứng" in "; ".join(unit["old_reasons"])
    # listed by size of change, status changes first
    sizes = [abs(u["delta"]) for u in data["units"] if u["status_changed"]]
    assert sizes == sorted(sizes, reverse=True)


def test_with_renamed_fields_one_file_reads_under_both_versions(tmp_path: Path) -> None:
    out, xlsx = tmp_path / "diff.json", tmp_path / "diff.xlsx"
    code, text = run(
        "criteria",
        "diff",
        "bac-giang@2023",
        "bac-giang@2024",
        "--evidence",
        EV2024,
        "--json",
        out,
        "-o",
        xlsx,
    )
    assert code == 0, text
    assert "cần mà tệp minh chứng không có" not in text
    data = json.loads(out.read_text("utf-8"))
    assert data["missing_fields"] == {"bac-giang@2023": [], "bac-giang@2024": []}
    changed = [u for u in data["units"] if u["status_changed"]]
    assert 0 < len(changed) < 20
    for u in changed:
        side = u["old_reasons"] if not u["old_recognised"] else u["new_reasons"]
        assert side, u["code"]
    book = load_workbook(xlsx, read_only=True)
    names = book.sheetnames
    book.close()
    assert names == ["Thay đổi bộ tiêu chí", "Thiếu minh chứng", "Đơn vị thay đổi", "Theo tiêu chí"]
    rows = rows_of(xlsx, "Đơn vị thay đổi")
    assert len(rows) - 1 == len(data["units"])
    effects = {r[0]: r for r in rows_of(xlsx, "Theo tiêu chí")[1:]}
    an_ninh = next(c for c in data["criteria"] if c["id"] == "an_ninh")
    assert effects["an_ninh"][4] == an_ninh["units_gain"] > 0


def test_a_2023_file_scores_under_2024_through_the_renamed_field(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    code, text = run("score", EV2023, "--criteria", "bac-giang@2024", "--json", out)
    assert code == 0, text
    units = read_results(out)["units"]
    assert not any("phat_thanh_khoan_7_12" in u["evidence_problems"] for u in units)
    assert {u["values"]["phat_thanh_khoan_7_12"] for u in units} == {True, False}


def test_renamed_must_name_a_field_of_this_version(tmp_path: Path, minimal_text: str) -> None:
    path = tmp_path / "thu.yaml"
    path.write_text(minimal_text + "\nrenamed:\n  co_ban_ttnd_moi: co_ban_ttnd\n", "utf-8")
    code, out = run("criteria", "validate", path)
    assert code == 1
    assert "[renamed.co_ban_ttnd_moi] “co_ban_ttnd_moi” không phải trường minh chứng của phiên bản này" in out
    assert "mã cũ “co_ban_ttnd” vẫn là một trường minh chứng của phiên bản này" in out
