"""The province's re-check: re-scoring a team's results, the seal, the field sample, decisions."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from engine.outputs.resultsjson import read_results
from engine.review.field import Candidate, draw, unit_key
from engine.rules.model import SampleWeights

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "samples" / "bac-giang-2024.xlsx"


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A team's untouched results, workbook and JSON, from the bundled sample."""
    folder = tmp_path_factory.mktemp("team")
    xlsx, out = folder / "team.xlsx", folder / "team.json"
    result = CliRunner().invoke(
        main, ["score", str(SAMPLE), "--criteria", "bac-giang@2024", "-o", str(xlsx), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    return xlsx, out


def _recheck(tmp_path: Path, *args: str) -> tuple[int, str, dict]:
    out = tmp_path / "recheck.json"
    result = CliRunner().invoke(main, ["recheck", *args, "--json", str(out), "--force"])
    data = json.loads(out.read_text("utf-8")) if out.exists() else {}
    return result.exit_code, result.output, data


def _kinds(data: dict) -> set[tuple[str, str]]:
    return {(d["unit"], d["kind"]) for d in data["discrepancies"]}


def test_untouched_workbook_and_json_have_no_discrepancy(scored, tmp_path: Path) -> None:
    xlsx, out = scored
    for path in (xlsx, out):
        code, output, data = _recheck(tmp_path, str(path))
        assert code == 0, output
        assert data["discrepancies"] == []
        assert data["seal"]["present"] and data["seal"]["run_seal_ok"]
        assert data["seal"]["units_checked"] == 195


def test_rescoring_from_the_evidence_files_agrees_with_the_workbook(scored, tmp_path: Path) -> None:
    code, output, data = _recheck(tmp_path, str(scored[0]), "--evidence", str(SAMPLE))
    assert code == 0, output
    assert data["evidence_from"] == str(SAMPLE)


def _ranking_row(ws, code: str) -> int:
    for row in ws.iter_rows(min_row=2):
        if row[1].value == code:
            return row[0].row
    raise AssertionError(code)


def test_hand_edits_are_each_found_where_they_were_made(scored, tmp_path: Path) -> None:
    book = load_workbook(scored[0])
    ranking = book["Xếp hạng"]
    total_unit, total_row = ranking["B5"].value, 5
    true_total = ranking["E5"].value
    ranking["E5"] = true_total - 7  # a total typed over
    detail = book["Chi tiết"]
    criterion_unit, criterion_id = detail["A40"].value, detail["H40"].value
    detail["D40"] = detail["D40"].value + 1  # a criterion's points changed
    deleted_unit = ranking["B9"].value
    ranking.delete_rows(9)  # a row deleted
    # Things people do that are not edits of scores: sort, hide, widen, comment, rename.
    ranking.column_dimensions["C"].hidden = True
    ranking.column_dimensions["E"].width = 30
    book["Minh chứng"].title = "MC đã xem"
    edited = tmp_path / "edited.xlsx"
    book.save(edited)

    code, output, data = _recheck(tmp_path, str(edited))
    assert code == 3, output
    assert _kinds(data) == {
        (total_unit, "total"),
        (total_unit, "hand_edit"),
        (criterion_unit, "criterion_points"),
        (criterion_unit, "hand_edit"),
        (deleted_unit, "unit_missing"),
        (deleted_unit, "hand_edit"),
    }
    by = {(d["unit"], d["kind"]): d for d in data["discrepancies"]}
    total = by[(total_unit, "total")]
    assert total["where"] == f"Xếp hạng!E{total_row}"
    assert total["team"] == pytest.approx(true_total - 7)
    assert total["province"] == pytest.approx(true_total)
    assert total["difference"] == pytest.approx(-7)
    crit = by[(criterion_unit, "criterion_points")]
    assert crit["item"] == criterion_id and crit["where"] == "Chi tiết!D40"
    assert "đã bị xóa" in by[(deleted_unit, "hand_edit")]["label"]
    assert data["seal"]["units_edited"] == 3


def test_a_resorted_workbook_is_not_an_edit(scored, tmp_path: Path) -> None:
    book = load_workbook(scored[0])
    ws = book["Xếp hạng"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    rows.sort(key=lambda r: str(r[2]))  # sorted by name, as someone looking for a commune would
    for r, values in enumerate(rows, start=2):
        for c, value in enumerate(values, start=1):
            ws.cell(r, c).value = value  # ws.cell(r, c, None) would leave the old value
    path = tmp_path / "sorted.xlsx"
    book.save(path)
    code, output, data = _recheck(tmp_path, str(path))
    assert code == 0, output


def test_seal_detects_an_edit_even_without_a_score_change(scored, tmp_path: Path) -> None:
    book = load_workbook(scored[0])
    ws = book["Xếp hạng"]
    unit = ws["B3"].value
    ws["C3"] = "Xã Đổi Tên"  # not a score, but not what was scored either
    path = tmp_path / "renamed-unit.xlsx"
    book.save(path)
    code, _, data = _recheck(tmp_path, str(path))
    assert code == 3
    assert _kinds(data) == {(unit, "hand_edit")}


def test_json_total_edited(scored, tmp_path: Path) -> None:
    data = json.loads(scored[1].read_text("utf-8"))
    unit = data["units"][3]
    unit["total"] += 2
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    code, _, out = _recheck(tmp_path, str(path))
    assert code == 3
    assert _kinds(out) == {(unit["code"], "total"), (unit["code"], "hand_edit")}
    assert [d["where"] for d in out["discrepancies"] if d["kind"] == "total"] == ["units[3].total"]


def test_schema_2_json_is_still_read_and_its_seal_checked(scored, tmp_path: Path) -> None:
    """Version 2 repeated titles and explanations in every unit; the same results in that shape
    (what `read_results` gives) are read, with the seal, as before."""
    data = read_results(scored[1])
    data["schema_version"] = 2
    assert "catalogue" not in data and "title" in data["units"][0]["criteria"][0]
    path = tmp_path / "v2.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    code, output, out = _recheck(tmp_path, str(path))
    assert out["team_schema_version"] == 2
    assert out["seal"]["present"] and out["seal"]["run_seal_ok"]
    assert code == 0, output
    data["units"][5]["criteria"][2]["points"] += 1  # an edit is still found in a version-2 file
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    code, _, out = _recheck(tmp_path, str(path))
    assert code == 3
    assert (data["units"][5]["code"], "hand_edit") in _kinds(out)


def test_schema_1_json_is_still_read(scored, tmp_path: Path) -> None:
    """Results written before the schema version existed: no version, no exact values, no seal."""
    data = read_results(scored[1])
    del data["schema_version"], data["seal"]
    for unit in data["units"]:
        del unit["values"], unit["seal"]
    path = tmp_path / "v1.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    code, output, out = _recheck(tmp_path, str(path))
    assert out["team_schema_version"] == 1
    assert out["seal"]["present"] is False
    assert "định dạng cũ" in output
    assert code == 0, out["discrepancies"][:3]


def test_schema_1_workbook_is_still_read(scored, tmp_path: Path) -> None:
    book = load_workbook(scored[0])
    del book["_cqtt"]  # as the books of the early versions, which wrote no seal
    info = book["Thông tin"]
    for row in info.iter_rows():
        if row[0].value == "Phiên bản công cụ":
            row[1].value = "cqtt 0.0.9"
    path = tmp_path / "v1.xlsx"
    book.save(path)
    code, output, out = _recheck(tmp_path, str(path))
    assert out["team_schema_version"] == 1 and out["seal"]["present"] is False
    assert code == 0, output


def test_a_newer_schema_is_refused_with_one_line(scored, tmp_path: Path) -> None:
    data = json.loads(scored[1].read_text("utf-8"))
    data["schema_version"] = 99
    path = tmp_path / "future.json"
    path.write_text(json.dumps(data), "utf-8")
    code, output, _ = _recheck(tmp_path, str(path))
    assert code == 1
    assert output.strip().splitlines()[-1] == (
        f"Lỗi: {path}: phiên bản định dạng kết quả 99 mới hơn công cụ này; hãy cập nhật cqtt"
    )


def test_other_criteria_hash_stops_unless_criteria_is_named(scored, tmp_path: Path) -> None:
    data = json.loads(scored[1].read_text("utf-8"))
    data["criteria"]["sha256"] = "0" * 64
    path = tmp_path / "other-hash.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    code, output, _ = _recheck(tmp_path, str(path))
    assert code == 1
    assert "khác tệp mà kết quả đã dùng (sha256 000000000000…); dùng --criteria" in output
    code, output, out = _recheck(tmp_path, str(path), "--criteria", "bac-giang@2024")
    assert code == 3
    # the hash is part of what the run seal covers: the edit is also a broken seal
    assert [d["kind"] for d in out["discrepancies"]] == ["file_hash", "hand_edit"]


def test_evidence_file_that_differs_from_the_workbook(scored, tmp_path: Path) -> None:
    book = load_workbook(SAMPLE)
    ws = book["Nhập liệu"]
    header = [c.value for c in ws[3]]
    col = header.index("so_tin_bai_tuyen_truyen") + 1
    unit = ws.cell(4, 1).value
    ws.cell(4, col, 0)
    changed = tmp_path / "bac-giang-2024.xlsx"  # same name as the file the team scored
    book.save(changed)
    code, _, out = _recheck(tmp_path, str(scored[0]), "--evidence", str(changed))
    assert code == 3
    kinds = Counter(d["kind"] for d in out["discrepancies"])
    assert kinds["file_hash"] == 1
    ev = [d for d in out["discrepancies"] if d["kind"] == "evidence_value"]
    assert [(d["unit"], d["item"], d["province"]) for d in ev] == [
        (unit, "so_tin_bai_tuyen_truyen", "0 tin/bài/buổi")
    ]
    assert ev[0]["where"].startswith("Minh chứng!")


def test_a_template_is_not_a_results_file(tmp_path: Path) -> None:
    template = tmp_path / "mau.xlsx"
    CliRunner().invoke(main, ["template", "--criteria", "bac-giang@2024", "-o", str(template)])
    code, output, _ = _recheck(tmp_path, str(template))
    assert code == 1
    assert f"Lỗi: {template}: đây là mẫu nhập minh chứng, không phải sổ kết quả chấm điểm" in output


def test_recheck_workbook_sheets_and_decision_dropdown(scored, tmp_path: Path) -> None:
    out = tmp_path / "phuc-tra.xlsx"
    result = CliRunner().invoke(main, ["recheck", str(scored[0]), "-o", str(out)])
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Tổng hợp", "Sai lệch", "Quyết định", "Thông tin", "_cqtt"]
    ws = book["Quyết định"]
    assert ws.max_row == 196
    (dv,) = [d for d in ws.data_validations.dataValidation if d.type == "list"]
    assert dv.formula1 == '"Công nhận,Không công nhận,Tạm hoãn"'
    assert book["Sai lệch"].freeze_panes == "C2"


# -- field sample ---------------------------------------------------------------------------------
def test_sample_is_reproducible_and_recorded(scored, tmp_path: Path) -> None:
    runs = []
    for name in ("a", "b"):
        out, js = tmp_path / f"{name}.xlsx", tmp_path / f"{name}.json"
        result = CliRunner().invoke(
            main, ["sample", str(scored[0]), "--n", "8", "--seed", "2024", "-o", str(out), "--json", str(js)]
        )
        assert result.exit_code == 0, result.output
        runs.append(json.loads(js.read_text("utf-8")))
    assert [u["code"] for u in runs[0]["units"]] == [u["code"] for u in runs[1]["units"]]
    assert runs[0]["seed"] == 2024 and runs[0]["weights"]["borderline"] == 3
    # a third party can redo the draw from what is recorded
    for u in runs[0]["units"]:
        assert u["key"] == pytest.approx(unit_key(2024, u["code"], u["weight"]))
    other = CliRunner().invoke(
        main, ["sample", str(scored[0]), "--n", "8", "--seed", "7", "-o", str(tmp_path / "c.xlsx"),
               "--json", str(tmp_path / "c.json")],
    )  # fmt: skip
    assert other.exit_code == 0
    assert [u["code"] for u in json.loads((tmp_path / "c.json").read_text())["units"]] != [
        u["code"] for u in runs[0]["units"]
    ]


def test_riskier_units_are_drawn_more_often() -> None:
    weights = SampleWeights()
    candidates = [Candidate(f"{i:05d}", f"X{i}", "g", 90.0) for i in range(20)]
    candidates[0].risks = ["borderline", "self_score_inflated"]  # weight 6
    candidates[1].risks = ["few_respondents"]  # weight 2
    counts: Counter[str] = Counter()
    for seed in range(2000):
        counts.update(d.code for d in draw(candidates, weights, 3, seed))
    plain = sum(counts[c.code] for c in candidates[2:]) / 18
    assert counts["00000"] > 1.8 * counts["00001"] > 1.8 * 0.9 * plain
    assert counts["00001"] > 1.2 * plain


def test_filled_field_workbook_changes_the_scores(scored, tmp_path: Path) -> None:
    field = tmp_path / "field.xlsx"
    js = tmp_path / "field.json"
    result = CliRunner().invoke(
        main, ["sample", str(scored[0]), "--n", "2", "--seed", "1", "-o", str(field), "--json", str(js)]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(field)
    ws = book["Kiểm tra thực địa"]
    target = None
    for row in ws.iter_rows():
        if row[5].value == "khong_sach_nhieu" or (target is None and row[5].value == "phat_thanh_khoan_7_12"):
            target = row
    assert target is not None
    unit, fid = target[0].value, target[5].value
    target[3].value = "Không"  # the field's code is the last column, the value found on site the 4th
    filled = tmp_path / "field-filled.xlsx"
    book.save(filled)
    code, output, out = _recheck(tmp_path, str(scored[0]), "--field", str(filled))
    assert code == 3, output
    checks = [d for d in out["discrepancies"] if d["kind"] == "field_check"]
    assert [(d["unit"], d["item"], d["team"], d["province"]) for d in checks] == [(unit, fid, "Có", "Không")]
    assert any(d["unit"] == unit and d["kind"] == "total" for d in out["discrepancies"])


def test_a_bad_verified_value_names_its_cell(scored, tmp_path: Path) -> None:
    field = tmp_path / "field.xlsx"
    CliRunner().invoke(main, ["sample", str(scored[0]), "--n", "1", "--seed", "1", "-o", str(field)])
    book = load_workbook(field)
    book["Kiểm tra thực địa"]["D5"] = "có lẽ"
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    code, output, _ = _recheck(tmp_path, str(scored[0]), "--field", str(bad))
    assert code == 1
    assert (
        f"{bad}, sheet “Kiểm tra thực địa”, dòng 5, cột “Giá trị kiểm tra thực tế”: giá trị “có lẽ”:"
        in output
    )


# -- decisions ------------------------------------------------------------------------------------
def _recheck_book(scored, tmp_path: Path) -> Path:
    out = tmp_path / "phuc-tra.xlsx"
    result = CliRunner().invoke(main, ["recheck", str(scored[0]), "-o", str(out)])
    assert result.exit_code == 0
    return out


def test_decisions_read_back(scored, tmp_path: Path) -> None:
    import datetime as dt

    book = load_workbook(_recheck_book(scored, tmp_path))
    ws = book["Quyết định"]
    ws["K2"], ws["L2"], ws["M2"], ws["N2"] = "Công nhận", "123/QĐ-UBND", dt.datetime(2024, 12, 15), "Đạt"
    ws["K3"] = "Tạm hoãn"
    filled = tmp_path / "filled.xlsx"
    book.save(filled)
    out = tmp_path / "qd.json"
    result = CliRunner().invoke(main, ["decisions", str(filled), "--json", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text("utf-8"))
    first = data["decisions"][0]
    assert (first["unit"], first["decision"], first["number"], first["date"], first["year"]) == (
        ws["A2"].value, "recognised", "123/QĐ-UBND", "2024-12-15", 2024,
    )  # fmt: skip
    assert data["decisions"][1]["decision"] == "deferred"
    assert len(data["undecided"]) == 193


def test_decisions_with_bad_rows_are_all_reported(scored, tmp_path: Path) -> None:
    book = load_workbook(_recheck_book(scored, tmp_path))
    ws = book["Quyết định"]
    ws["K2"] = "Công nhận"  # no number, no date
    ws["K3"] = "Đồng ý"  # not in the list
    ws["A4"], ws["K4"], ws["L4"], ws["M4"] = "99999", "Không công nhận", "5/QĐ", "31/02/2024"
    filled = tmp_path / "bad.xlsx"
    book.save(filled)
    out = tmp_path / "qd.json"
    result = CliRunner().invoke(main, ["decisions", str(filled), "--json", str(out)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    where = f"{filled}, sheet “Quyết định”"
    assert f"{where}, dòng 2, cột “L — Số quyết định”: quyết định “Công nhận” cần số quyết định" in lines
    assert f"{where}, dòng 2, cột “M — Ngày quyết định”: quyết định “Công nhận” cần ngày quyết định" in lines
    assert (
        f"{where}, dòng 3, cột “K — Quyết định”: giá trị “Đồng ý”: chọn “Công nhận”, “Không công nhận” "
        "hoặc “Tạm hoãn”"
    ) in lines
    assert (
        f"{where}, dòng 4, cột “A — Mã đơn vị”: giá trị “99999”: đơn vị không có trong lần phúc tra này"
        in lines
    )
    assert (
        f"{where}, dòng 4, cột “M — Ngày quyết định”: giá trị “31/02/2024”: "
        "ngày không hợp lệ (ghi ví dụ 15/12/2024)"
    ) in lines
    assert lines[-1] == "Lỗi: sheet quyết định có 5 lỗi; chưa ghi quyết định nào"
    assert not out.exists()


def test_results_copy_is_not_modified_by_recheck(scored, tmp_path: Path) -> None:
    copy = tmp_path / "copy.xlsx"
    shutil.copy(scored[0], copy)
    before = copy.read_bytes()
    _recheck(tmp_path, str(copy))
    assert copy.read_bytes() == before


def test_bundled_team_sample_lists_exactly_its_seeded_edits(tmp_path: Path) -> None:
    """samples/generate.py seeds three hand edits: a total typed over, a criterion's points
    changed, a ranking row deleted. The re-check must find those and nothing else."""
    team = ROOT / "samples" / "bac-giang-2024-to-tham-dinh.xlsx"
    code, output, data = _recheck(tmp_path, str(team), "--evidence", str(SAMPLE))
    assert code == 3, output
    kinds = Counter(d["kind"] for d in data["discrepancies"])
    assert kinds == {"total": 1, "criterion_points": 1, "unit_missing": 1, "hand_edit": 3}
    units = {d["unit"] for d in data["discrepancies"]}
    assert len(units) == 3
    total = next(d for d in data["discrepancies"] if d["kind"] == "total")
    assert total["difference"] == pytest.approx(6)


def test_readme_recheck_output_is_what_the_command_prints(tmp_path: Path, monkeypatch) -> None:
    import re

    readme = (ROOT / "README.md").read_text("utf-8")
    shown = re.findall(r"```text\n(.*?)\n```", readme, re.S)[1].splitlines()
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(
        main,
        ["recheck", "samples/bac-giang-2024-to-tham-dinh.xlsx", "--evidence", "samples/bac-giang-2024.xlsx",
         "--json", str(tmp_path / "r.json")],
    )  # fmt: skip
    assert result.exit_code == 3
    assert [line for line in result.output.splitlines() if not line.startswith("Đã ghi")] == shown


def test_a_detail_longer_than_a_sheet_continues_on_more_sheets_and_rechecks_clean(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Excel opens no sheet past 1,048,576 rows (the detail of about 47,600 units); with the limit
    lowered to 1,000 rows the 195 units' detail spans five sheets, heading repeated, and the
    re-check reads them all: same points, nothing reported as edited."""
    from engine import jobs
    from engine.outputs import workbook

    monkeypatch.setattr(workbook, "MAX_SHEET_ROWS", 1000)
    xlsx = tmp_path / "dai.xlsx"
    jobs.score([SAMPLE], "bac-giang@2024", None, xlsx, None)
    book = load_workbook(xlsx, read_only=True)
    parts = [t for t in book.sheetnames if t.startswith("Chi tiết")]
    sizes = [sum(1 for _ in book[t].iter_rows()) for t in parts]
    heads = [next(book[t].iter_rows(max_row=1, values_only=True))[:4] for t in parts]
    book.close()
    assert parts == ["Chi tiết", "Chi tiết 2", "Chi tiết 3", "Chi tiết 4", "Chi tiết 5"]
    assert all(n <= 1000 for n in sizes) and sum(n - 1 for n in sizes) == 195 * 22
    assert len(set(heads)) == 1
    code, output, data = _recheck(tmp_path, str(xlsx))
    assert code == 0, output
    assert data["seal"]["units_edited"] == 0


# -- files written before exact points (cqtt 0.1.0) ------------------------------------------------
BEFORE_EXACT = ROOT / "tests" / "data" / "truoc-0.2.0"
# The units of Huyện Lục Nam whose cong_khai_dung_han landed on a half cent that 0.1.0 rounded down.
# The rule file as it was then (bac-giang@2024 has since gained its appeal period).
RULES_THEN = ["--criteria", str(BEFORE_EXACT / "bac-giang-2024.yaml")]
HALF_CENT_UNITS = {"07450", "07459", "07465", "07483", "07486", "07498", "07510", "07513"}


@pytest.mark.parametrize("name", ["ket-qua.xlsx", "ket-qua.json"])
def test_rounding_differences_of_a_file_written_before_the_fix_are_apart(tmp_path: Path, name: str) -> None:
    """cqtt 0.1.0 gave 4,82 for 4,825: re-checked now, those 0,01 differences (criterion, group,
    total) are not discrepancies or hand edits, are counted apart, and exit 0 when nothing else
    differs."""
    code, output, data = _recheck(tmp_path, str(BEFORE_EXACT / name), *RULES_THEN)
    assert code == 0, output
    assert data["discrepancies"] == []
    assert data["team_tool"] == "cqtt 0.1.0" and data["rounding_fixed_in"] == "0.2.0"
    rounding = data["rounding"]
    assert {d["unit"] for d in rounding} == HALF_CENT_UNITS
    assert Counter(d["kind"] for d in rounding) == {"criterion_points": 8, "group_points": 8, "total": 8}
    assert {d["difference"] for d in rounding} == {-0.01}
    assert {d["item"] for d in rounding if d["kind"] == "criterion_points"} == {"cong_khai_dung_han"}
    assert (
        "Chênh lệch do cách làm tròn đã sửa ở phiên bản 0.2.0 (cqtt 0.1.0 ghi sổ này; không tính là "
        "sai lệch): 24"
    ) in output
    assert output.splitlines()[-2] == (
        "Đã phúc tra 24 đơn vị theo bac-giang@2024: 0 sai lệch ở 0 đơn vị; "
        "0 đơn vị đổi kết quả công nhận, 0 đơn vị đổi tổng điểm; "
        "niêm phong: 0/24 đơn vị bị sửa tay; 24 chênh lệch do cách làm tròn (tính riêng)"
    )


def test_rounding_apart_also_when_rescored_from_the_evidence_file(tmp_path: Path) -> None:
    code, output, data = _recheck(
        tmp_path,
        str(BEFORE_EXACT / "ket-qua.xlsx"),
        "--evidence",
        str(BEFORE_EXACT / "luc-nam-2024.xlsx"),
        *RULES_THEN,
    )
    assert code == 0, output
    assert len(data["rounding"]) == 24 and data["discrepancies"] == []


def test_an_edit_in_a_file_written_before_the_fix_is_still_a_discrepancy(tmp_path: Path) -> None:
    """A total typed over in an old file: the edit is a discrepancy (exit 3); the rounding of the
    other units stays apart, and the edited unit's own criterion and group are still rounding."""
    book = load_workbook(BEFORE_EXACT / "ket-qua.xlsx")
    ranking = book["Xếp hạng"]
    row = _ranking_row(ranking, "07465")
    ranking.cell(row=row, column=5).value = 87.65
    edited = tmp_path / "sua.xlsx"
    book.save(edited)
    code, output, data = _recheck(tmp_path, str(edited), *RULES_THEN)
    assert code == 3, output
    assert _kinds(data) == {("07465", "total"), ("07465", "hand_edit")}
    total = next(d for d in data["discrepancies"] if d["kind"] == "total")
    assert (total["team"], total["province"]) == (87.65, 81.66)
    assert len(data["rounding"]) == 23
    assert ("07465", "group_points") in {(d["unit"], d["kind"]) for d in data["rounding"]}


def test_the_recheck_workbook_lists_rounding_on_its_own_sheet(tmp_path: Path) -> None:
    out = tmp_path / "phuc-tra.xlsx"
    result = CliRunner().invoke(
        main, ["recheck", str(BEFORE_EXACT / "ket-qua.xlsx"), "-o", str(out), *RULES_THEN]
    )
    assert result.exit_code == 0, result.output
    book = load_workbook(out)
    assert book["Sai lệch"].max_row == 1  # the header only
    sheet = book["Làm tròn"]
    assert sheet["A1"].value.startswith(
        "Chênh lệch do cách làm tròn đã sửa ở phiên bản 0.2.0: sổ của tổ do cqtt 0.1.0 ghi"
    )
    assert [c.value for c in sheet[2]][:4] == ["Mã đơn vị", "Tên đơn vị", "Nhóm thẩm định", "Loại sai lệch"]
    assert sheet.max_row == 2 + 24
    info = {r[0].value: r[1].value for r in book["Thông tin"].iter_rows(min_row=2)}
    assert info["Phiên bản công cụ ghi sổ của tổ"] == "cqtt 0.1.0"


def test_a_current_file_has_no_rounding_apart(scored, tmp_path: Path) -> None:
    code, output, data = _recheck(tmp_path, str(scored[1]))
    assert code == 0 and data["rounding"] == [] and data["team_tool"] == "cqtt 0.2.0"
    assert "làm tròn" not in output


# -- the review chain: field check, re-check stored, decisions with guardrails, history -------------
def _field_filled(team: Path, tmp_path: Path, changes: dict[tuple[str, str], str]) -> tuple[Path, list[str]]:
    """The seeded field sample of `team`, with values found on site for some (unit, field)."""
    field = tmp_path / "thuc-dia.xlsx"
    out = tmp_path / "mau.json"
    drawn = CliRunner().invoke(
        main,
        ["sample", str(team), "--n", "10", "--seed", "2024", "-o", str(field), "--json", str(out), "--force"],
    )
    assert drawn.exit_code == 0, drawn.output
    codes = [u["code"] for u in json.loads(out.read_text("utf-8"))["units"]]
    book = load_workbook(field)
    ws = book["Kiểm tra thực địa"]
    for row in ws.iter_rows():
        key = (row[0].value, row[5].value if len(row) > 5 else None)
        if key in changes:
            row[3].value = changes[key]
    filled = tmp_path / "thuc-dia-da-dien.xlsx"
    book.save(filled)
    return filled, codes


def test_a_field_check_recheck_lists_recognition_changes_first_and_keeps_rank_shifts_apart(
    scored, tmp_path: Path
) -> None:
    """A disqualifier found on site at one drawn unit and a lower value at another: the re-check's
    first lines are the unit whose recognition changes, then the one whose total changes; units
    that only move in the ranking are a count, not discrepancies."""
    team = scored[0]
    _, codes = _field_filled(team, tmp_path, {})
    first, second = codes[0], codes[1]
    filled, _ = _field_filled(
        team, tmp_path, {(first, "vu_viec_sach_nhieu"): "Có", (second, "so_tin_bai_tuyen_truyen"): "0"}
    )
    result = CliRunner().invoke(
        main,
        ["recheck", str(team), "--field", str(filled), "--json", str(tmp_path / "r.json"),
         "-o", str(tmp_path / "phuc-tra.xlsx"), "--db", str(tmp_path / "h.sqlite")],
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    lines = [line for line in result.output.splitlines() if not line.startswith("Bộ tiêu chí ")]
    data = json.loads((tmp_path / "r.json").read_text("utf-8"))
    first_units = [d["unit"] for d in data["discrepancies"]]
    assert first_units[0] == first and data["discrepancies"][0]["kind"] == "recognition"
    assert set(first_units) == {first, second}  # nothing charged to other units
    assert lines[0].startswith(
        f"  {first} "
    ) and "Kết quả công nhận: tổ Đạt chuẩn → tỉnh Chưa đạt" in "\n".join(lines[:5])
    assert data["rank_shifts"] and first not in data["rank_shifts"]
    assert (
        f"{len(data['rank_shifts'])} đơn vị chỉ đổi hạng vì đơn vị khác đổi điểm "
        "(không tính là sai lệch của tổ)" in lines
    )
    assert "1 đơn vị đổi kết quả công nhận, 2 đơn vị đổi tổng điểm" in lines[-3]
    assert lines[-1] == f"Đã lưu kết quả phúc tra vào {tmp_path / 'h.sqlite'}"
    book = load_workbook(tmp_path / "phuc-tra.xlsx")
    assert book["Sai lệch"]["A2"].value == first


def test_a_decision_contradicting_the_recheck_needs_a_reason_and_is_flagged(scored, tmp_path: Path) -> None:
    team = scored[0]
    _, codes = _field_filled(team, tmp_path, {})
    filled, _ = _field_filled(team, tmp_path, {(codes[0], "vu_viec_sach_nhieu"): "Có"})
    db = str(tmp_path / "h.sqlite")
    CliRunner().invoke(
        main,
        [
            "score",
            str(SAMPLE),
            "--criteria",
            "bac-giang@2024",
            "--json",
            str(tmp_path / "k.json"),
            "--db",
            db,
        ],
    )
    CliRunner().invoke(
        main, ["recheck", str(team), "--field", str(filled), "-o", str(tmp_path / "p.xlsx"), "--db", db]
    )
    book = load_workbook(tmp_path / "p.xlsx")
    ws = book["Quyết định"]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == codes[0])
    row[10].value, row[11].value, row[12].value = "Công nhận", "15/QĐ-UBND", "20/12/2024"
    decided = tmp_path / "quyet-dinh.xlsx"
    book.save(decided)
    refused = CliRunner().invoke(main, ["decisions", str(decided), "--db", db])
    assert refused.exit_code == 1
    assert (
        f"{decided}, sheet “Quyết định”, dòng {row[0].row}, cột “N — Lý do”: quyết định “Công nhận” trái với "
        "kết quả phúc tra: công nhận dù phát hiện điểm liệt khi kiểm tra thực địa"
    ) in refused.output
    row[13].value = "Đã khắc phục, có xác nhận của Ban Thường trực UBMTTQ"
    book.save(decided)
    stored = CliRunner().invoke(main, ["decisions", str(decided), "--db", db])
    assert stored.exit_code == 0, stored.output
    assert f"  cảnh báo: {codes[0]}" in stored.output and "công nhận dù phát hiện điểm liệt" in stored.output
    history = CliRunner().invoke(main, ["history", codes[0], "--db", db])
    text = history.output
    assert "phúc tra của tỉnh sau kiểm tra thực địa:" in text and "có điểm liệt (điểm của tổ:" in text
    assert "— theo điểm phúc tra của tỉnh" in text
    assert "CẢNH BÁO: quyết định công nhận dù phát hiện điểm liệt khi kiểm tra thực địa" in text
    assert "lý do ghi kèm: Đã khắc phục, có xác nhận của Ban Thường trực UBMTTQ" in text
