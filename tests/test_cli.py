"""The command line, driven through click's CliRunner: outputs, messages and exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli import main
from engine.outputs.resultsjson import read_results

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "samples" / "bac-giang-2024.xlsx"


@pytest.fixture()
def runner() -> CliRunner:
    return CliRunner()


def test_validate_bundled_criteria(runner: CliRunner) -> None:
    result = runner.invoke(main, ["criteria", "validate"])
    assert result.exit_code == 0, result.output
    assert "4 tệp tiêu chí hợp lệ" in result.output


def test_validate_lists_every_error_of_every_file_and_fails(runner: CliRunner, tmp_path: Path) -> None:
    broken = ROOT / "tests" / "broken"
    for name in ("scale-mismatch.yaml", "unknown-key.yaml"):
        shutil.copy(broken / name, tmp_path / name)
    result = runner.invoke(main, ["criteria", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "scale-mismatch.yaml:" in result.output and "unknown-key.yaml:" in result.output
    assert "bạn muốn viết `points`?" in result.output
    assert result.output.strip().splitlines()[-1] == "Lỗi: 3 lỗi trong 2 tệp tiêu chí"


def test_validate_a_missing_path(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["criteria", "validate", str(tmp_path / "khong-co.yaml")])
    assert result.exit_code == 1
    assert "không tìm thấy tệp" in result.output


def test_validate_warns_about_overlapping_versions(runner: CliRunner, tmp_path: Path) -> None:
    text = (ROOT / "criteria/bac-giang/2024.yaml").read_text("utf-8")
    (tmp_path / "2024.yaml").write_text(text.replace('supersedes: "2023"\n', ""), "utf-8")
    (tmp_path / "2025.yaml").write_text(
        text.replace('version: "2024"', 'version: "2025"').replace("from: 2024-01-01", "from: 2025-01-01"),
        "utf-8",
    )
    result = runner.invoke(main, ["criteria", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "chồng lên bac-giang@2024" in result.output
    assert "supersedes" not in result.output  # 2025 supersedes 2023: not in the folder, but bundled


def test_validate_a_bundled_file_alone(runner: CliRunner) -> None:
    """The example of `validate --help`: 2024 supersedes 2023, found beside it."""
    result = runner.invoke(main, ["criteria", "validate", "criteria/bac-giang/2024.yaml"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "hợp lệ: criteria/bac-giang/2024.yaml (bac-giang@2024)",
        "1 tệp tiêu chí hợp lệ, 0 cảnh báo",
    ]


def test_validate_warns_with_the_line_when_the_superseded_version_is_nowhere(
    runner: CliRunner, tmp_path: Path
) -> None:
    text = (ROOT / "criteria/bac-giang/2024.yaml").read_text("utf-8")
    draft = tmp_path / "ban-nhap.yaml"
    draft.write_text(text.replace('supersedes: "2023"', 'supersedes: "2019"'), "utf-8")
    line = text.splitlines().index('supersedes: "2023"') + 1
    result = runner.invoke(main, ["criteria", "validate", str(draft)])
    assert result.exit_code == 0, result.output
    assert (
        f"{draft}:{line}: cảnh báo: [supersedes] phiên bản bị thay thế 2019 không có trong các tệp của bộ "
        "“bac-giang” (cùng thư mục hoặc có sẵn trong cqtt) — gợi ý: dùng một trong: `2023`"
    ) in result.output


def test_rule_tests_pass_and_report_per_case(runner: CliRunner) -> None:
    result = runner.invoke(main, ["criteria", "test"])
    assert result.exit_code == 0, result.output
    assert "  ĐẠT  Không tổ chức đối thoại — tiêu chí bắt buộc không đạt dù tổng điểm cao" in result.output
    assert result.output.strip().splitlines()[-1].endswith("ca đạt, 0 ca sai")


def test_rule_tests_fail_with_the_difference(runner: CliRunner, tmp_path: Path) -> None:
    source = ROOT / "criteria/hung-yen"
    shutil.copy(source / "2025.yaml", tmp_path / "2025.yaml")
    text = (source / "2025.tests.yaml").read_text("utf-8")
    (tmp_path / "2025.tests.yaml").write_text(
        text.replace(
            "expect: {total: 100, recognised: true, flags: [], not_applicable: []}",
            "expect: {total: 90, recognised: true, flags: [], not_applicable: []}",
        ),
        "utf-8",
    )
    result = runner.invoke(main, ["criteria", "test", str(tmp_path)])
    assert result.exit_code == 1
    assert "  SAI  Đạt cả 5 chỉ tiêu" in result.output
    assert "total: mong đợi 90, tính được 100" in result.output
    assert result.output.strip().splitlines()[-1] == "Lỗi: 1 ca kiểm thử sai"


def test_rule_file_without_tests_is_reported(runner: CliRunner, tmp_path: Path) -> None:
    shutil.copy(ROOT / "criteria/hung-yen/2025.yaml", tmp_path / "2025.yaml")
    result = runner.invoke(main, ["criteria", "test", str(tmp_path)])
    assert result.exit_code == 1
    assert "không có tệp kiểm thử 2025.tests.yaml" in result.output


def test_show_prints_the_table_and_writes_a_guide(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "huong-dan.xlsx"
    result = runner.invoke(main, ["criteria", "show", "bac-giang", "--year", "2023", "--xlsx", str(out)])
    assert result.exit_code == 0, result.output
    assert "bac-giang@2023" in result.output
    assert (
        "Nhóm 4. Tổ chức tiếp xúc, đối thoại và giải quyết đơn thư khiếu nại, tố cáo — 15 điểm"
        in result.output
    )
    assert "Tổng điểm từ 85/100 trở lên" in result.output
    book = load_workbook(out)
    assert book.sheetnames == ["Hướng dẫn chấm", "Trường minh chứng", "Điều kiện công nhận"]
    rows = list(book["Hướng dẫn chấm"].iter_rows(values_only=True))
    assert rows[2][:4] == ("Nhóm", "Mã tiêu chí", "Tiêu chí", "Điểm")
    assert ("hoi_nghi_doi_thoai", 5) in {(r[1], r[3]) for r in rows[3:]}


def test_show_an_unknown_reference_suggests_the_name(runner: CliRunner) -> None:
    result = runner.invoke(main, ["criteria", "show", "bac-giag@2024"])
    assert result.exit_code == 1
    assert "bạn muốn viết `bac-giang`?" in result.output
    result = runner.invoke(main, ["criteria", "show", "bac-giang@2030"])
    assert "không có phiên bản 2030 (có: 2023, 2024)" in result.output


def test_diff_lists_changes_between_versions(runner: CliRunner) -> None:
    result = runner.invoke(main, ["criteria", "diff", "bac-giang@2023", "bac-giang@2024"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert '+ Nhóm “Bảo đảm "3 an" — an ninh, an sinh, an toàn”: Bảo đảm "3 an"' in out
    assert (
        '* Nhóm “Xây dựng và thực hiện dân chủ ở cơ sở; tuyên truyền về "Chính quyền thân thiện"” — '
        "điểm: 20 → 18" in out
    )
    assert "* Tiêu chí “Hồ sơ thủ tục hành chính giải quyết đúng hạn, trước hạn” — điểm: 8 → 7" in out
    assert "+ Điểm liệt “Có điểm nóng về an ninh, trật tự hoặc khiếu kiện đông người kéo dài”" in out
    assert "* Tiêu chí “Diện tích và trang thiết bị bộ phận một cửa” — cách chấm" in out
    assert (
        "~ Tiêu chí “Công khai đúng hạn 14 nhóm nội dung theo Điều 11 Luật THDCCS”: “Công khai đúng hạn các "
        "nội dung phải công khai” → “Công khai đúng hạn 14 nhóm nội dung theo Điều 11 Luật THDCCS”" in out
    )
    for key in ("nhóm ba_an", "dan_chu_co_so.points", "tiêu chí ho_so", "disqualifiers.", "bo_phan_mot_cua"):
        assert key not in out  # the rule file's keys are in the JSON and the workbook's code column


def test_diff_with_evidence_lists_units_whose_result_changes(runner: CliRunner) -> None:
    result = runner.invoke(
        main, ["criteria", "diff", "bac-giang@2023", "bac-giang@2024", "--evidence", str(SAMPLE)]
    )
    assert result.exit_code == 0, result.output
    assert "Đơn vị thay đổi kết quả (" in result.output
    assert "đổi trạng thái công nhận" in result.output
    assert ("→ đạt" in result.output) or ("→ chưa đạt" in result.output)


def test_score_writes_json_and_workbook(runner: CliRunner, tmp_path: Path) -> None:
    xlsx, out = tmp_path / "ket-qua.xlsx", tmp_path / "ket-qua.json"
    result = runner.invoke(
        main, ["score", str(SAMPLE), "--criteria", "bac-giang@2024", "-o", str(xlsx), "--json", str(out)]
    )
    assert result.exit_code == 0, result.output
    data = read_results(out)
    assert data["criteria"]["id"] == "bac-giang" and data["criteria"]["version"] == "2024"
    assert len(data["criteria"]["sha256"]) == 64
    assert len(data["units"]) == 195
    unit = data["units"][0]
    for key in (
        "code",
        "name",
        "group",
        "proposed",
        "self_score",
        "total",
        "recognised",
        "rank",
        "criteria",
        "flags",
    ):
        assert key in unit
    assert set(unit["criteria"][0]) >= {"id", "points", "max_points", "applicable", "explanation"}
    summary = data["summary"]
    assert summary["units"] == 195
    assert "Đã chấm 195 đơn vị theo bac-giang@2024" in result.output
    assert (
        f"Đủ điều kiện công nhận:           {summary['recognisable']} trong 195 đơn vị của " in result.output
    )
    assert "chỉ tiêu 60,0%" in result.output
    assert "sheet “Nhập liệu”, dòng 30" in result.output  # a bad cell, with its place
    assert xlsx.exists() and load_workbook(xlsx, read_only=True).sheetnames[0] == "Tổng hợp"


def test_score_refuses_to_overwrite_without_force(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "ket-qua.json"
    out.write_text("cũ", "utf-8")
    args = ["score", str(SAMPLE), "--criteria", "bac-giang@2024", "--json", str(out)]
    result = runner.invoke(main, args)
    assert result.exit_code == 1
    assert "tệp đã tồn tại; dùng --force để ghi đè" in result.output
    assert out.read_text("utf-8") == "cũ"
    assert runner.invoke(main, [*args, "--force"]).exit_code == 0
    assert json.loads(out.read_text("utf-8"))["summary"]["units"] == 195


def test_score_never_writes_over_its_input(runner: CliRunner, tmp_path: Path) -> None:
    evidence = tmp_path / "a.json"
    evidence.write_text('[{"ma_don_vi": "X1"}]', "utf-8")
    result = runner.invoke(
        main, ["score", str(evidence), "--criteria", "hung-yen", "--json", str(evidence), "--force"]
    )
    assert result.exit_code == 1
    assert "trùng với tệp đầu vào" in result.output
    assert evidence.read_text("utf-8") == '[{"ma_don_vi": "X1"}]'


def test_score_needs_an_output(runner: CliRunner) -> None:
    result = runner.invoke(main, ["score", str(SAMPLE), "--criteria", "bac-giang@2024"])
    assert result.exit_code == 2
    assert "cần ít nhất một tệp kết quả" in result.output


def test_score_bad_cells_sample_stops_on_duplicate_codes(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main,
        [
            "score",
            str(ROOT / "samples/bad-cells.csv"),
            "--criteria",
            "bac-giang@2024",
            "--json",
            str(tmp_path / "r.json"),
        ],
    )
    assert result.exit_code == 1
    assert "dòng 6" in result.output and "mã đơn vị bị trùng" in result.output
    assert result.output.strip().splitlines()[-1] == "Lỗi: minh chứng có 1 lỗi không thể bỏ qua"
    assert not (tmp_path / "r.json").exists()


def test_score_an_unknown_criteria_reference(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["score", str(SAMPLE), "--criteria", "ha-noi@2024", "--json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 1
    assert "không có bộ tiêu chí “ha-noi”" in result.output


def test_score_a_broken_rule_file_names_file_and_line(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main,
        [
            "score",
            str(SAMPLE),
            "--criteria",
            str(ROOT / "tests/broken/tiers-gap.yaml"),
            "--json",
            str(tmp_path / "r.json"),
        ],
    )
    assert result.exit_code == 1
    assert "tiers-gap.yaml:" in result.output and "bỏ trống khoảng từ 95 đến 96" in result.output


def test_score_warns_when_a_template_belongs_to_another_version(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["score", str(SAMPLE), "--criteria", "bac-giang@2023", "--json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 0, result.output
    assert "là mẫu nhập của bac-giang@2024" in result.output
    assert "nằm ngoài thời gian hiệu lực của bac-giang@2023" in result.output


def test_hung_yen_checklist_reports_share_per_target(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "hy.json"
    result = runner.invoke(
        main,
        [
            "score",
            str(ROOT / "samples/hung-yen-2025.csv"),
            "--criteria",
            "hung-yen",
            "--year",
            "2025",
            "--json",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    data = read_results(out)
    shares = {c["id"]: c for c in data["summary"]["criteria"]}
    units = data["units"]
    met = sum(
        1
        for u in units
        for c in u["criteria"]
        if c["id"] == "quy_che_dan_chu" and c["points"] == c["max_points"]
    )
    assert shares["quy_che_dan_chu"]["full_points_units"] == met
    assert shares["quy_che_dan_chu"]["full_points_share"] == round(met / len(units), 6)


def test_template_then_fill_then_score(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "mau.xlsx"
    result = runner.invoke(
        main,
        [
            "template",
            "--criteria",
            "hung-yen@2025",
            "--units",
            str(ROOT / "samples/units/hung-yen.csv"),
            "--year",
            "2025",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "139 đơn vị điền sẵn" in result.output
    book = load_workbook(out)
    sheet = book["Nhập liệu"]
    ids = [c.value for c in sheet[3]]
    answers = {
        "co_quy_che_dan_chu": "Có",
        "co_ban_ttnd": "Có",
        "co_cong_trinh_dau_tu": "Không",
        "so_hoi_nghi_doi_thoai_mttq": 1,
        "mttq_co_ke_hoach_giam_sat": "Có",
    }
    for field, value in answers.items():
        sheet.cell(row=4, column=ids.index(field) + 1).value = value
    book.save(out)
    scored = tmp_path / "r.json"
    result = runner.invoke(main, ["score", str(out), "--criteria", "hung-yen@2025", "--json", str(scored)])
    assert result.exit_code == 0, result.output
    assert "là mẫu nhập của" not in result.output
    data = read_results(scored)
    units = {u["code"]: u for u in data["units"]}
    first = units["11950"]
    assert first["name"] == "Phường Lam Sơn" and first["total"] == 100 and first["recognised"]
    # the 138 rows the template wrote and nobody filled have not applied: listed, not scored
    assert list(units) == ["11950"] and len(data["not_submitted"]) == 138
    assert "Chưa nộp hồ sơ: 138 đơn vị" in result.output


def test_bundled_samples_are_bound_to_the_current_criteria() -> None:
    """The xlsx samples are filled templates; regenerate them (make samples) after a rule edit."""
    from engine.intake.units import template_binding
    from engine.rules import catalog
    from engine.rules.loader import load_criteria

    for version in ("2023", "2024"):
        binding = template_binding(ROOT / f"samples/bac-giang-{version}.xlsx")
        loaded = load_criteria(catalog.resolve(f"bac-giang@{version}"))
        assert binding is not None
        assert (binding["version"], binding["sha256"]) == (version, loaded.sha256), (
            "samples are stale: run `make samples`"
        )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scor"], "Lỗi: Không có lệnh 'scor'. Ý bạn là 'score'?"),
        (["score"], "Lỗi: Thiếu đối số 'EVIDENCE...'."),
        (
            ["criteria", "show", "bac-giang", "--year", "abc"],
            "Lỗi: Giá trị không hợp lệ cho '--year': “abc” không phải một năm (ghi ví dụ 2024)",
        ),
        (
            ["score", "x.csv", "--criterio", "y"],
            "Lỗi: Không có tùy chọn '--criterio'. Ý bạn là '--criteria'?",
        ),
    ],
)
def test_usage_errors_are_in_vietnamese_with_exit_code_2(runner: CliRunner, args, message) -> None:
    result = runner.invoke(main, args)
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1] == message
    assert "Usage:" not in result.output


def test_evidence_with_no_readable_unit_says_why(runner: CliRunner, tmp_path: Path) -> None:
    evidence = tmp_path / "a.yaml"
    evidence.write_text("- một\n- hai\n", "utf-8")
    result = runner.invoke(
        main, ["score", str(evidence), "--criteria", "hung-yen", "--json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 1
    assert "dòng 2: giá trị “hai”: mỗi đơn vị phải là một bảng khóa: giá trị" in result.output
    assert result.output.strip().splitlines()[-1] == "Lỗi: không có đơn vị nào để chấm"


def test_the_wheel_carries_the_bundled_criteria(tmp_path: Path) -> None:
    """Installed without -e, the criteria are found as package data (importlib.resources)."""
    import subprocess
    import sys
    import zipfile

    source = tmp_path / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info"))
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(source)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel = next(tmp_path.glob("cqtt-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in (
        "criteria/bac-giang/2024.yaml",
        "criteria/bac-giang/2024.tests.yaml",
        "criteria/bac-giang/2023.yaml",
        "criteria/hung-yen/2025.yaml",
        "cli.py",
        "engine/scoring/rete.py",
        "scorers/tiers.py",
        "engine/portal/data/common-passwords.txt.gz",
        "engine/portal/data/vietnamese-passwords.txt",
        "engine/intake/data/sap-nhap-2025.csv.gz",
        "web/templates/unit.html",
    ):
        assert path in names, path


def test_criteria_list(runner: CliRunner) -> None:
    result = runner.invoke(main, ["criteria", "list"])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == [
        "bac-giang@2023",
        "bac-giang@2024",
        "bac-ninh@2025",
        "hung-yen@2025",
    ]


def test_help_loads_none_of_the_heavy_modules() -> None:
    """`cqtt --help` and every command's help answer without importing openpyxl, pydantic, the
    rules engine or the database layer (start-up time is measured by the benchmark, not here)."""
    import subprocess
    import sys

    code = (
        "import sys, cli\n"
        "from click.testing import CliRunner\n"
        "for args in (['--help'], ['score', '--help'], ['recheck', '--help'], ['history', '--help']):\n"
        "    assert CliRunner().invoke(cli.main, args).exit_code == 0\n"
        "names = ('openpyxl', 'pydantic', 'durable', 'sqlalchemy', 'alembic')\n"
        "heavy = [m for m in names if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == ""


def test_a_long_run_names_each_phase_also_without_a_terminal(tmp_path: Path, monkeypatch) -> None:
    """600 units (the 195 sample units three times over, codes made distinct): every phase of the
    run is printed on its own line, so that a long run never looks stuck. (Reading reports every
    20,000 rows of a file over 1 MB; lowered here to every 250 rows of any file.)"""
    import csv

    import engine.intake.evidence as evidence_module
    import engine.jobs as jobs_module

    monkeypatch.setattr(jobs_module, "LONG_INPUT_BYTES", 1)
    monkeypatch.setattr(evidence_module, "PHASE_EVERY_ROWS", 250)

    book = load_workbook(ROOT / "samples" / "bac-giang-2024.xlsx", read_only=True)
    rows = list(book["Nhập liệu"].iter_rows(min_row=3, values_only=True))
    book.close()
    header, body = list(rows[0]), [list(r) for r in rows[1:] if r[0]]
    path = tmp_path / "dai.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for copy in range(4):
            for row in body[:150]:
                writer.writerow([f"{row[0]}-{copy}", *("" if v is None else v for v in row[1:])])
    result = CliRunner().invoke(
        main,
        ["score", str(path), "--criteria", "bac-giang@2024", "-o", str(tmp_path / "r.xlsx"),
         "--json", str(tmp_path / "r.json")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    xlsx = tmp_path / "r.xlsx"
    expected = [
        "Đang đọc minh chứng: 250 dòng…",
        "Đang đọc minh chứng: 500 dòng…",
        f"Đang ghi JSON {tmp_path / 'r.json'}…",
        f"Đang ghi {xlsx}: sheet “Tổng hợp”…",
        f"Đang ghi {xlsx}: sheet “Xếp hạng”…",
        f"Đang ghi {xlsx}: sheet “Chi tiết”…",
        f"Đang ghi {xlsx}: sheet “Minh chứng”…",
    ]
    positions = [lines.index(line) for line in expected]
    assert positions == sorted(positions)
    assert lines.index(expected[-1]) < next(i for i, x in enumerate(lines) if x.startswith("Đã chấm 600"))


def test_criteria_diff_lists_its_changes_in_the_same_order_whatever_the_hash_seed(tmp_path) -> None:
    """Regression: added and removed items were listed in set order, which changes with Python's
    hash seed: the same two rule files gave differently ordered lines, JSON and workbook."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    cqtt = Path(sys.executable).with_name("cqtt")
    made = []
    for seed in ("1", "2", "3"):
        out = tmp_path / f"diff-{seed}.json"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [str(cqtt), "criteria", "diff", "bac-giang@2023", "bac-giang@2024", "--json", str(out)],
            env=env, check=True, capture_output=True,
        )  # fmt: skip
        made.append(out.read_bytes())
    assert made[0] == made[1] == made[2]
