"""Options and the file system: outputs on one path, permissions, interrupted runs, reproducible
runs, unwritable and full folders."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile import ROOT, Case, run_case

HUNG_YEN = ROOT / "samples" / "hung-yen-2025.csv"
SAMPLE = ROOT / "samples" / "bac-giang-2024.xlsx"


def _score(*outputs: str) -> list[str]:
    return ["score", str(HUNG_YEN), "--criteria", "hung-yen@2025", *outputs]


def opt_two_outputs_one_path(tmp: Path) -> list[str]:
    return _score("-o", str(tmp / "r.xlsx"), "--json", str(tmp / "r.xlsx"))


def opt_two_outputs_spelled_differently(tmp: Path) -> list[str]:
    (tmp / "a").mkdir()
    return _score("-o", str(tmp / "r.xlsx"), "--json", str(tmp / "a" / ".." / "r.xlsx"))


def opt_two_outputs_through_a_symlink(tmp: Path) -> list[str]:
    (tmp / "that").mkdir()
    (tmp / "link").symlink_to(tmp / "that")
    return _score("-o", str(tmp / "that" / "r.xlsx"), "--json", str(tmp / "link" / "r.xlsx"))


def opt_two_outputs_hard_linked(tmp: Path) -> list[str]:
    (tmp / "r.xlsx").write_bytes(b"old")
    os.link(tmp / "r.xlsx", tmp / "r.json")
    return _score("-o", str(tmp / "r.xlsx"), "--json", str(tmp / "r.json"), "--force")


def opt_output_is_the_evidence(tmp: Path) -> list[str]:
    copy = tmp / "minh-chung.csv"
    shutil.copy(HUNG_YEN, copy)
    return ["score", str(copy), "--criteria", "hung-yen@2025", "--json", str(copy), "--force"]


def _rules_copy(tmp: Path) -> Path:
    folder = tmp / "hung-yen"
    folder.mkdir()
    for name in ("2025.yaml", "2025.tests.yaml"):
        shutil.copy(ROOT / "criteria/hung-yen" / name, folder / name)
    return folder / "2025.yaml"


def opt_json_over_the_rule_file(tmp: Path) -> list[str]:
    rules = _rules_copy(tmp)
    return ["score", str(HUNG_YEN), "--criteria", str(rules), "--json", str(rules), "--force"]


def opt_json_over_the_rules_tests(tmp: Path) -> list[str]:
    rules = _rules_copy(tmp)
    return ["score", str(HUNG_YEN), "--criteria", str(rules), "--json", str(rules.with_name("2025.tests.yaml")),
            "--force"]  # fmt: skip


def opt_guide_over_the_rule_file(tmp: Path) -> list[str]:
    rules = _rules_copy(tmp)
    return ["criteria", "show", str(rules), "--xlsx", str(rules), "--force"]


def opt_template_over_the_rule_file(tmp: Path) -> list[str]:
    rules = _rules_copy(tmp)
    return ["template", "--criteria", str(rules), "-o", str(rules), "--force"]


def opt_diff_json_over_the_new_rules(tmp: Path) -> list[str]:
    rules = _rules_copy(tmp)
    return ["criteria", "diff", "hung-yen@2025", str(rules), "--json", str(rules), "--force"]


def opt_tallies_over_the_rule_file(tmp: Path) -> list[str]:
    folder = tmp / "bac-giang"
    folder.mkdir()
    shutil.copy(ROOT / "criteria/bac-giang/2024.yaml", folder / "2024.yaml")
    return ["survey", "tally", str(ROOT / "samples/bac-giang-2024-phieu-khao-sat.csv"), "--criteria",
            str(folder / "2024.yaml"), "--csv", str(folder / "2024.yaml"), "--force"]  # fmt: skip


def opt_json_over_the_history_store(tmp: Path) -> list[str]:
    (tmp / "h.sqlite").write_bytes(b"")
    return _score("--json", str(tmp / "h.sqlite"), "--db", str(tmp / "h.sqlite"), "--force")


def opt_output_is_a_folder(tmp: Path) -> list[str]:
    (tmp / "ket-qua.json").mkdir()
    return _score("--json", str(tmp / "ket-qua.json"))


def opt_output_folder_missing(tmp: Path) -> list[str]:
    return _score("--json", str(tmp / "khong-co" / "r.json"))


def opt_output_exists_without_force(tmp: Path) -> list[str]:
    (tmp / "r.json").write_text("{}", "utf-8")
    return _score("--json", str(tmp / "r.json"))


def opt_no_output_at_all(tmp: Path) -> list[str]:
    return _score()


def opt_year_of_twenty_digits(tmp: Path) -> list[str]:
    return ["score", str(HUNG_YEN), "--criteria", "hung-yen", "--year", "12345678901234567890", "--json",
            str(tmp / "r.json")]  # fmt: skip


def opt_workbook_named_csv(tmp: Path) -> list[str]:
    return _score("-o", str(tmp / "ket-qua.csv"))


def opt_same_evidence_twice(tmp: Path) -> list[str]:
    shutil.copy(HUNG_YEN, tmp / "minh-chung.csv")
    (tmp / "a").mkdir()
    return ["score", str(tmp / "minh-chung.csv"), str(tmp / "a" / ".." / "minh-chung.csv"), "--criteria",
            "hung-yen@2025", "--json", str(tmp / "r.json")]  # fmt: skip


def opt_year_not_a_number(tmp: Path) -> list[str]:
    return _score("--year", "hai nghìn", "--json", str(tmp / "r.json"))


def opt_jobs_zero(tmp: Path) -> list[str]:
    return _score("--jobs", "0", "--json", str(tmp / "r.json"))


def opt_jobs_not_a_number(tmp: Path) -> list[str]:
    return _score("-j", "hai", "--json", str(tmp / "r.json"))


def opt_unknown_criteria(tmp: Path) -> list[str]:
    return ["score", str(HUNG_YEN), "--criteria", "ha-noi@2030", "--json", str(tmp / "r.json")]


def opt_bad_source_date_epoch(tmp: Path) -> list[str]:
    os.environ["SOURCE_DATE_EPOCH"] = "hôm qua"
    return _score("--json", str(tmp / "r.json"))


CASES = [
    # fmt: off
    Case(
        opt_json_over_the_rule_file,
        1,
        "Lỗi: {tmp}/hung-yen/2025.yaml: tệp kết quả trùng với tệp đầu vào; chọn tên khác",
    ),
    Case(
        opt_json_over_the_rules_tests,
        1,
        "Lỗi: {tmp}/hung-yen/2025.tests.yaml: tệp kết quả trùng với tệp đầu vào; chọn tên khác",
    ),
    Case(
        opt_guide_over_the_rule_file,
        2,
        "Lỗi: Giá trị không hợp lệ cho '--xlsx': {tmp}/hung-yen/2025.yaml: tệp Excel cần đuôi .xlsx (tệp này sẽ "
        "được ghi dạng Excel)",
    ),
    Case(
        opt_template_over_the_rule_file,
        2,
        "Lỗi: Giá trị không hợp lệ cho '-o' / '--output': {tmp}/hung-yen/2025.yaml: tệp Excel cần đuôi .xlsx "
        "(tệp này sẽ được ghi dạng Excel)",
    ),
    Case(
        opt_diff_json_over_the_new_rules,
        1,
        "Lỗi: {tmp}/hung-yen/2025.yaml: tệp kết quả trùng với tệp đầu vào; chọn tên khác",
    ),
    Case(
        opt_tallies_over_the_rule_file,
        1,
        "Lỗi: {tmp}/bac-giang/2024.yaml: tệp kết quả trùng với tệp đầu vào; chọn tên khác",
    ),
    Case(
        opt_json_over_the_history_store,
        1,
        "Lỗi: {tmp}/h.sqlite: tệp kết quả trùng với tệp đầu vào; chọn tên khác",
    ),
    # fmt: on
    Case(
        opt_two_outputs_one_path,
        1,
        "Lỗi: {tmp}/r.xlsx và {tmp}/r.xlsx là cùng một tệp; hai tệp kết quả cần hai tên khác nhau",
    ),
    Case(
        opt_two_outputs_spelled_differently,
        1,
        "Lỗi: {tmp}/r.xlsx và {tmp}/a/../r.xlsx là cùng một tệp; hai tệp kết quả cần hai tên khác nhau",
    ),
    Case(
        opt_two_outputs_through_a_symlink,
        1,
        "Lỗi: {tmp}/that/r.xlsx và {tmp}/link/r.xlsx là cùng một tệp; hai tệp kết quả cần hai tên khác nhau",
    ),
    Case(
        opt_two_outputs_hard_linked,
        1,
        "Lỗi: {tmp}/r.xlsx và {tmp}/r.json là cùng một tệp; hai tệp kết quả cần hai tên khác nhau",
    ),
    Case(
        opt_output_is_the_evidence,
        1,
        "Lỗi: {tmp}/minh-chung.csv: tệp kết quả trùng với tệp đầu vào; chọn tên khác",
    ),
    Case(
        opt_output_is_a_folder,
        1,
        "Lỗi: {tmp}/ket-qua.json: là một thư mục; ghi tên tệp kết quả, ví dụ {tmp}/ket-qua.json/ket-qua.xlsx",
    ),
    Case(opt_output_folder_missing, 1, "Lỗi: {tmp}/khong-co/r.json: thư mục “{tmp}/khong-co” không tồn tại"),
    Case(opt_output_exists_without_force, 1, "Lỗi: {tmp}/r.json: tệp đã tồn tại; dùng --force để ghi đè"),
    Case(
        opt_no_output_at_all, 2, "Lỗi: cần ít nhất một tệp kết quả: -o KET-QUA.xlsx hoặc --json KET-QUA.json"
    ),
    Case(
        opt_year_not_a_number,
        2,
        "Lỗi: Giá trị không hợp lệ cho '--year': “hai nghìn” không phải một năm (ghi ví dụ 2024)",
    ),
    Case(
        opt_year_of_twenty_digits,
        2,
        "Lỗi: Giá trị không hợp lệ cho '--year': 12345678901234567890: năm cần từ 1990 đến 2100",
    ),
    Case(
        opt_workbook_named_csv,
        2,
        "Lỗi: Giá trị không hợp lệ cho '-o' / '--output': {tmp}/ket-qua.csv: tệp Excel cần đuôi .xlsx (tệp này sẽ được ghi dạng Excel)",
    ),
    Case(
        opt_same_evidence_twice,
        1,
        "Lỗi: {tmp}/a/../minh-chung.csv: tệp minh chứng được đưa hai lần (cùng tệp với {tmp}/minh-chung.csv); bỏ một lần",
    ),
    Case(opt_jobs_zero, 2, "Lỗi: Giá trị không hợp lệ cho '-j' / '--jobs': cần từ 1 trở lên (đang là 0)"),
    Case(opt_jobs_not_a_number, 2, "Lỗi: Giá trị 'hai' của '-j' / '--jobs' không phải số nguyên."),
    Case(
        opt_unknown_criteria,
        1,
        "Lỗi: không có bộ tiêu chí “ha-noi”; dùng một trong: `bac-giang`, `bac-ninh`, `hung-yen`",
    ),
    Case(
        opt_bad_source_date_epoch,
        1,
        "Lỗi: SOURCE_DATE_EPOCH='hôm qua': cần số giây kể từ 1970, ví dụ 1732500000",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_hostile_option(case: Case, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    try:
        run_case(case, tmp_path)
    finally:
        os.environ.pop("SOURCE_DATE_EPOCH", None)


# -- cases that need a process of their own ----------------------------------------------------------
def _cqtt(*args: str, env: dict[str, str] | None = None, **kwargs) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    return subprocess.Popen(
        [sys.executable, str(ROOT / "cli.py"), *args],
        cwd=kwargs.pop("cwd", ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        **kwargs,
    )


def test_case_outputs_get_the_users_umask(tmp_path: Path) -> None:
    """Regression: results were created 0600 (the temporary file's mode survived the rename)."""
    old = os.umask(0o022)
    try:
        done = _cqtt(*_score("--json", str(tmp_path / "r.json"), "-o", str(tmp_path / "r.xlsx")))
        out, _ = done.communicate(timeout=120)
        assert done.returncode == 0, out
    finally:
        os.umask(old)
    for name in ("r.json", "r.xlsx"):
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o644


def _wait_for_temp(folder: Path, name: str, proc: subprocess.Popen) -> Path:  # type: ignore[type-arg]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = list(folder.glob(f".{name}.*.tmp"))
        if found:
            return found[0]
        assert proc.poll() is None, "the run ended before it started writing"
        time.sleep(0.005)
    raise AssertionError("no temporary file appeared")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_case_interrupted_run_leaves_no_temporary_file(tmp_path: Path, signum: int) -> None:
    proc = _cqtt("score", str(SAMPLE), "--criteria", "bac-giang@2024", "-o", str(tmp_path / "r.xlsx"))
    _wait_for_temp(tmp_path, "r.xlsx", proc)
    proc.send_signal(signum)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in out
    assert out.strip().splitlines()[-1] == "Đã dừng."
    assert list(tmp_path.iterdir()) == []


def test_case_killed_run_temp_file_is_removed_by_the_next_run(tmp_path: Path) -> None:
    proc = _cqtt("score", str(SAMPLE), "--criteria", "bac-giang@2024", "-o", str(tmp_path / "r.xlsx"))
    left = _wait_for_temp(tmp_path, "r.xlsx", proc)
    proc.kill()
    proc.communicate(timeout=30)
    assert left.exists()
    other = tmp_path / ".r.xlsx.999999999.abcdefgh.tmp"  # no such process either
    other.write_bytes(b"x")
    mine_but_alive = tmp_path / f".r.xlsx.{os.getpid()}.abcdefgh.tmp"  # a live process's: kept
    mine_but_alive.write_bytes(b"x")
    again = _cqtt("score", str(SAMPLE), "--criteria", "bac-giang@2024", "-o", str(tmp_path / "r.xlsx"))
    out, _ = again.communicate(timeout=120)
    assert again.returncode == 0, out
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["r.xlsx", mine_but_alive.name])


def test_case_two_runs_with_source_date_epoch_are_byte_identical(tmp_path: Path) -> None:
    """Regression: generated_at and the criteria file's absolute path made every run differ."""
    os.chdir(ROOT)
    outputs = []
    for name in ("a.json", "b.json"):
        target = tmp_path / name
        proc = _cqtt(
            "score",
            "samples/hung-yen-2025.csv",
            "--criteria",
            "hung-yen@2025",
            "--json",
            str(target),
            env={"SOURCE_DATE_EPOCH": "1732500000"},
        )
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 0, out
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1]
    data = json.loads(outputs[0])
    assert data["generated_at"] == "2024-11-25T02:00:00+00:00"
    assert data["criteria"]["file"] == "hung-yen@2025"
    assert [i["file"] for i in data["inputs"]] == ["samples/hung-yen-2025.csv"]
    assert str(ROOT) not in outputs[0].decode()


def _small_mount(folder: Path, options: str) -> None:
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.decode().strip()})")


def test_case_read_only_output_folder(tmp_path: Path) -> None:
    folder = tmp_path / "chi-doc"
    folder.mkdir()
    if os.geteuid() == 0:  # root writes through file modes: use a read-only file system
        _small_mount(folder, "ro,size=64k")
        reason = "thư mục chỉ đọc"
    else:
        folder.chmod(0o555)
        reason = "không có quyền ghi vào thư mục"
    try:
        proc = _cqtt(*_score("--json", str(folder / "r.json")))
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 1, out
        assert out.strip().splitlines()[-1] == f"Lỗi: {folder}/r.json: không ghi được ({reason})"
        assert list(folder.iterdir()) == []
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], check=False)
        folder.chmod(0o755)


def test_case_full_disk(tmp_path: Path) -> None:
    mount = tmp_path / "nho"
    mount.mkdir()
    _small_mount(mount, "size=64k")
    try:
        (mount / "cu.xlsx").write_bytes(b"old results")
        proc = _cqtt(
            "score", str(SAMPLE), "--criteria", "bac-giang@2024", "-o", str(mount / "cu.xlsx"), "--force"
        )
        out, _ = proc.communicate(timeout=120)
        assert proc.returncode == 1, out
        assert out.strip().splitlines()[-1] == (
            f"Lỗi: {mount}/cu.xlsx: không ghi được (đĩa đầy); tệp cũ (nếu có) vẫn nguyên"
        )
        assert (mount / "cu.xlsx").read_bytes() == b"old results"
        assert sorted(p.name for p in mount.iterdir()) == ["cu.xlsx"]
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def _interrupted_as_the_temporary_file_appears(folder: str) -> list[str]:
    """In a process of its own (signals reach the main thread, as in `cqtt`): Ctrl-C arrives the
    moment the temporary file exists; what is left in the folder afterwards."""
    import tempfile
    from pathlib import Path

    from engine.outputs import output

    real = tempfile.mkstemp

    def mkstemp_then_interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        made = real(*args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)  # delivered at once unless held
        return made

    output.tempfile.mkstemp = mkstemp_then_interrupted  # type: ignore[assignment]
    try:
        output.write_atomic(Path(folder) / "r.json", lambda handle: handle.write(b"{}"))
    except KeyboardInterrupt:
        return sorted(p.name for p in Path(folder).iterdir())
    raise AssertionError("the interruption was lost")


def test_case_signal_as_the_temporary_file_appears_leaves_nothing(tmp_path: Path) -> None:
    """Ctrl-C sent the moment the temporary file exists (before the code that removes it on an
    interruption was entered) left it behind; seen under load in the case above."""
    from helpers import in_fresh_process

    assert in_fresh_process(_interrupted_as_the_temporary_file_appears, str(tmp_path)) == []
