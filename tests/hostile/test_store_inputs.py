"""Bad inputs to the history store commands, each with the exact last line it must get.

A case builds its input in `tmp_path` and returns the arguments. Every file a case names is
hashed before and after: a refused store or input is never modified, and no traceback is printed.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from engine.clock import today

ROOT = Path(__file__).parent.parent.parent
DECISIONS = ROOT / "samples" / "bac-giang-2023-quyet-dinh.json"
EVIDENCE = ROOT / "samples" / "bac-giang-2024.xlsx"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def db_is_the_evidence_file(tmp: Path) -> list[str]:
    copy = _write(tmp / "minh-chung.xlsx", EVIDENCE.read_bytes())
    return ["history", "07207", "--db", str(copy)]


def db_is_another_apps_sqlite(tmp: Path) -> list[str]:
    conn = sqlite3.connect(tmp / "khac.sqlite")
    conn.execute("CREATE TABLE khach_hang (id INTEGER)")
    conn.commit()
    conn.close()
    return ["decisions", str(DECISIONS), "--db", str(tmp / "khac.sqlite")]


def db_is_corrupt(tmp: Path) -> list[str]:
    _write(tmp / "hong.sqlite", b"SQLite format 3\x00" + b"\xff" * 4000)
    return ["decisions", str(DECISIONS), "--db", str(tmp / "hong.sqlite")]


def db_is_a_directory(tmp: Path) -> list[str]:
    (tmp / "thu-muc").mkdir()
    return ["history", "07207", "--db", str(tmp / "thu-muc")]


def db_in_a_missing_folder(tmp: Path) -> list[str]:
    return ["decisions", str(DECISIONS), "--db", str(tmp / "khong-co" / "h.sqlite")]


def db_url_password_as_a_parameter(tmp: Path) -> list[str]:
    return ["history", "07207", "--db", "postgresql://cqtt@127.0.0.1:1/cqtt?sslmode=disable&password=BiMat"]


def db_url_password_with_an_at_and_a_slash(tmp: Path) -> list[str]:
    return ["history", "07207", "--db", "postgresql://cqtt:Bi@Mat/Rat@127.0.0.1:1/cqtt"]


def units_official_unknown_province(tmp: Path) -> list[str]:
    return ["units", "load", "--official", "Bắc Ninhh", "--year", "2025", "--criteria", "bac-giang@2024",
            "--db", str(tmp / "cong.sqlite")]  # fmt: skip


def units_official_teams_of_another_province(tmp: Path) -> list[str]:
    (tmp / "to.csv").write_text("ma_don_vi,nhom_tham_dinh\n07210,Tổ 1\n00070,Tổ 2\n", "utf-8")
    return ["units", "load", "--official", "Bắc Ninh", "--teams", str(tmp / "to.csv"), "--year", "2025",
            "--criteria", "bac-giang@2024", "--db", str(tmp / "cong.sqlite")]  # fmt: skip


def _load(tmp: Path, *source: str) -> list[str]:
    return [
        "units",
        "load",
        *source,
        "--year",
        "2025",
        "--criteria",
        "bac-ninh",
        "--db",
        str(tmp / "cong.sqlite"),
    ]


def units_list_broken_xlsx(tmp: Path) -> list[str]:
    _write(tmp / "hong.xlsx", bytes(range(256)))
    return _load(tmp, str(tmp / "hong.xlsx"))


def units_list_empty_xlsx(tmp: Path) -> list[str]:
    _write(tmp / "rong.xlsx", b"")
    return _load(tmp, str(tmp / "rong.xlsx"))


def units_teams_empty_file(tmp: Path) -> list[str]:
    _write(tmp / "to.csv", b"")
    return _load(tmp, "--official", "Bắc-Ninh", "--teams", str(tmp / "to.csv"))


def units_teams_a_pdf(tmp: Path) -> list[str]:
    _write(tmp / "to.pdf", "%PDF-1.4 không phải danh sách".encode())
    return _load(tmp, "--official", "bac ninh", "--teams", str(tmp / "to.pdf"))


def db_url_of_another_database(tmp: Path) -> list[str]:
    return ["history", "07207", "--db", "mysql://u@localhost/cqtt"]


def history_of_a_store_never_written(tmp: Path) -> list[str]:
    return ["history", "07207", "--db", str(tmp / "moi.sqlite")]


def succession_missing_column(tmp: Path) -> list[str]:
    path = _write(tmp / "sn.csv", b"ma_moi,ma_cu\n90001,07243\n")
    return ["units", "succession", str(path), "--db", str(tmp / "h.sqlite")]


def succession_bad_rows(tmp: Path) -> list[str]:
    text = (
        "Mã mới,Mã cũ,Ngày hiệu lực\n"
        "90001,07243,31/02/2025\n"  # no such day
        "90001,90001,01/07/2025\n"  # replaces itself
        "90002,,01/07/2025\n"  # no old code
        "90003,07246,01/07/2025\n"
        "90003,07246,01/07/2025\n"  # the same pair twice
    )
    return ["units", "succession", str(_write(tmp / "sn.csv", text.encode())), "--db", str(tmp / "h.sqlite")]


def succession_cycle(tmp: Path) -> list[str]:
    text = "ma_moi,ma_cu,ngay_hieu_luc\n90001,90002,01/07/2025\n90002,90001,01/07/2025\n"
    return ["units", "succession", str(_write(tmp / "sn.csv", text.encode())), "--db", str(tmp / "h.sqlite")]


def succession_not_utf8(tmp: Path) -> list[str]:
    path = _write(
        tmp / "sn.csv", "ma_moi,ma_cu,ngay_hieu_luc,ten_moi\n1,2,01/07/2025,Xa Hòa\n".encode("latin-1")
    )
    return ["units", "succession", str(path), "--db", str(tmp / "h.sqlite")]


def succession_wrong_kind_of_file(tmp: Path) -> list[str]:
    return ["units", "succession", str(_write(tmp / "sn.txt", b"x")), "--db", str(tmp / "h.sqlite")]


def _revoke(tmp: Path, date: str, reason: str) -> list[str]:
    args = ["--year", "2023", "--decision-number", "1/QĐ", "--date", date, "--reason", reason]
    return ["revoke", "07207", *args, "--db", str(tmp / "h.sqlite")]


def revoke_bad_date(tmp: Path) -> list[str]:
    return _revoke(tmp, "31/13/2024", "x")


def revoke_blank_reason(tmp: Path) -> list[str]:
    return _revoke(tmp, "01/12/2024", "  ")


def revoke_without_a_decision(tmp: Path) -> list[str]:
    return _revoke(tmp, "01/12/2024", "Điểm nóng")


def decisions_json_of_another_kind(tmp: Path) -> list[str]:
    path = _write(tmp / "qd.json", b'{"kind": "decisions", "decisions": 3}')
    return ["decisions", str(path), "--db", str(tmp / "h.sqlite")]


def decisions_without_a_year(tmp: Path) -> list[str]:
    text = DECISIONS.read_text("utf-8").replace('"year": 2023', '"year": null')
    return ["decisions", str(_write(tmp / "qd.json", text.encode())), "--db", str(tmp / "h.sqlite")]


def decisions_with_nowhere_to_go(tmp: Path) -> list[str]:
    return ["decisions", str(DECISIONS)]


def timeout_not_a_number(tmp: Path) -> list[str]:
    return ["decisions", str(DECISIONS), "--db", str(tmp / "h.sqlite")]


def db_is_a_named_pipe(tmp: Path) -> list[str]:
    os.mkfifo(tmp / "ong")
    return ["history", "07207", "--db", str(tmp / "ong")]


def db_url_with_a_bad_port_and_a_password(tmp: Path) -> list[str]:
    return ["history", "07207", "--db", "postgresql://cqtt:bi-mat@localhost:cong/cqtt"]


def db_url_of_an_unsupported_driver(tmp: Path) -> list[str]:
    return ["history", "07207", "--db", "postgresql+asyncpg://cqtt@localhost/cqtt"]


def _recognised_2023(tmp: Path) -> str:
    db = str(tmp / "h.sqlite")
    done = CliRunner().invoke(main, ["decisions", str(DECISIONS), "--db", db])
    assert done.exit_code == 0, done.output
    return db


def revoke_dated_1990(tmp: Path) -> list[str]:
    db = _recognised_2023(tmp)
    return ["revoke", "07207", "--year", "2023", "--decision-number", "45/QĐ-UBND", "--date", "20/03/1990",
            "--reason", "Sai phạm", "--db", db]  # fmt: skip


def revoke_dated_2099(tmp: Path) -> list[str]:
    db = _recognised_2023(tmp)
    return ["revoke", "07207", "--year", "2023", "--decision-number", "45/QĐ-UBND", "--date", "20/03/2099",
            "--reason", "Sai phạm", "--db", db]  # fmt: skip


def revoke_number_with_a_line_break(tmp: Path) -> list[str]:
    db = _recognised_2023(tmp)
    return ["revoke", "07207", "--year", "2023", "--decision-number", "45/QĐ-UBND\n46", "--date", "20/03/2024",
            "--reason", "Sai phạm", "--db", db]  # fmt: skip


def succession_cycle_of_three(tmp: Path) -> list[str]:
    rows = "90001,90002,01/07/2025\n90002,90003,01/07/2025\n90003,90001,01/07/2025\n"
    _write(tmp / "sn.csv", ("ma_moi,ma_cu,ngay_hieu_luc\n" + rows).encode())
    return ["units", "succession", str(tmp / "sn.csv"), "--db", str(tmp / "h.sqlite")]


def succession_cycle_across_two_loads(tmp: Path) -> list[str]:
    _write(tmp / "dot-1.csv", b"ma_moi,ma_cu,ngay_hieu_luc\n90001,90002,01/07/2025\n")
    first = CliRunner().invoke(
        main, ["units", "succession", str(tmp / "dot-1.csv"), "--db", str(tmp / "h.sqlite")]
    )
    assert first.exit_code == 0, first.output
    _write(tmp / "dot-2.csv", b"ma_moi,ma_cu,ngay_hieu_luc\n90002,90001,01/08/2025\n")
    return ["units", "succession", str(tmp / "dot-2.csv"), "--db", str(tmp / "h.sqlite")]


TODAY = today().strftime("%d/%m/%Y")  # Vietnam's day, as the message counts it


def _disabled_account(tmp: Path) -> str:
    """A store with one province account, disabled."""
    db = str(tmp / "cong.sqlite")
    for args in (["users", "add", "kiemtra", "--role", "tinh"], ["users", "disable", "kiemtra"]):
        done = CliRunner().invoke(main, [*args, "--db", db])
        assert done.exit_code == 0, done.output
    return db


def reset_password_of_a_disabled_account(tmp: Path) -> list[str]:
    return ["users", "reset-password", "kiemtra", "--db", _disabled_account(tmp)]


def enable_an_account_that_is_not_disabled(tmp: Path) -> list[str]:
    db = _disabled_account(tmp)
    CliRunner().invoke(main, ["users", "enable", "kiemtra", "--db", db])
    return ["users", "enable", "kiemtra", "--db", db]


def email_with_a_second_recipient_smuggled(tmp: Path) -> list[str]:
    return ["users", "email", "kiemtra", "a@b.vn\r\nBcc: x@y.vn", "--db", _disabled_account(tmp)]


def web_smtp_without_a_port(tmp: Path) -> list[str]:
    return ["web", "--smtp", "mail:cong", "--mail-from", "cong@tinh.vn", "--db", str(tmp / "cong.sqlite")]


CASES: list[tuple[Callable[[Path], list[str]], int, str]] = [
    (
        email_with_a_second_recipient_smuggled,
        1,
        "Lỗi: địa chỉ thư “a@b.vn\\u000d\\u000abcc: x@y.vn” không hợp lệ (ví dụ vanphong.xa@bacgiang.gov.vn)",
    ),
    (web_smtp_without_a_port, 1, "Lỗi: --smtp “mail:cong”: cần MÁY:CỔNG, ví dụ mail.bacgiang.gov.vn:587"),
    (
        reset_password_of_a_disabled_account,
        1,
        "Lỗi: tài khoản “kiemtra” đang bị khóa: cấp lại mật khẩu không mở khóa; mở khóa trước",
    ),
    (enable_an_account_that_is_not_disabled, 1, "Lỗi: tài khoản “kiemtra” không bị khóa"),
    (
        units_list_broken_xlsx,
        1,
        "Lỗi: {tmp}/hong.xlsx: không mở được danh sách đơn vị (BadZipFile: File is not a zip file)",
    ),
    (units_list_empty_xlsx, 1, "Lỗi: {tmp}/rong.xlsx: tệp danh sách đơn vị rỗng"),
    (units_teams_empty_file, 1, "Lỗi: {tmp}/to.csv: tệp danh sách đơn vị rỗng"),
    (units_teams_a_pdf, 1, "Lỗi: {tmp}/to.pdf: dòng đầu phải có cột “ma_don_vi” (Mã đơn vị)"),
    (
        units_official_unknown_province,
        1,
        "Lỗi: không có tỉnh, thành phố “Bắc Ninhh” trong danh mục 34 tỉnh, thành phố sau 01/07/2025; "
        "có phải: Bắc Ninh, Tây Ninh, Quảng Ninh?",
    ),
    (
        units_official_teams_of_another_province,
        1,
        "Lỗi: {tmp}/to.csv: 1 mã không phải đơn vị của Bắc Ninh: dòng 3 (“00070”)",
    ),
    (
        db_url_password_as_a_parameter,
        1,
        "Lỗi: postgresql://cqtt@127.0.0.1:1/cqtt?sslmode=disable&password=***: không dùng được cơ sở dữ liệu "
        '(connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused)',
    ),
    (
        db_url_password_with_an_at_and_a_slash,
        1,
        "Lỗi: postgresql://cqtt:***@127.0.0.1:1/cqtt: không dùng được cơ sở dữ liệu "
        '(connection failed: connection to server at "127.0.0.1", port 1 failed: Connection refused)',
    ),
    (
        db_is_a_named_pipe,
        1,
        "Lỗi: {tmp}/ong: không phải tệp thường (ống dẫn hay thiết bị); --db cần một tệp SQLite",
    ),
    (
        db_url_with_a_bad_port_and_a_password,
        1,
        "Lỗi: --db 'postgresql://cqtt:***@localhost:cong/cqtt': địa chỉ cơ sở dữ liệu không hợp lệ (dạng "
        "postgresql://NGƯỜI-DÙNG@MÁY:CỔNG/TÊN)",
    ),
    (
        db_url_of_an_unsupported_driver,
        1,
        "Lỗi: postgresql+asyncpg://cqtt@localhost/cqtt: trình điều khiển “asyncpg” không được hỗ trợ; dùng "
        "postgresql://… (psycopg)",
    ),
    (
        revoke_dated_1990,
        1,
        "Lỗi: --date 20/03/1990: ngày thu hồi phải từ 01/01/2023 (năm được đánh giá) đến hôm nay "
        f"({TODAY}); một bản ghi sai không xóa được, nên ngày được kiểm tra trước khi ghi",
    ),
    (
        revoke_dated_2099,
        1,
        "Lỗi: --date 20/03/2099: ngày thu hồi phải từ 01/01/2023 (năm được đánh giá) đến hôm nay "
        f"({TODAY}); một bản ghi sai không xóa được, nên ngày được kiểm tra trước khi ghi",
    ),
    (
        revoke_number_with_a_line_break,
        1,
        "Lỗi: --decision-number '45/QĐ-UBND\\n46': số quyết định là một dòng (ví dụ 45/QĐ-UBND)",
    ),
    (
        db_is_the_evidence_file,
        1,
        "Lỗi: {tmp}/minh-chung.xlsx: không phải cơ sở dữ liệu của cqtt (không phải tệp SQLite); tệp không "
        "bị thay đổi. Nếu đây là tệp minh chứng, ghi --db=ĐƯỜNG-DẪN hoặc đặt --db sau các tệp",
    ),
    (
        db_is_another_apps_sqlite,
        1,
        "Lỗi: {tmp}/khac.sqlite: không phải cơ sở dữ liệu của cqtt (có các bảng khach_hang); "
        "không thay đổi gì",
    ),
    (
        db_is_corrupt,
        1,
        "Lỗi: {tmp}/hong.sqlite: tệp hỏng hoặc không phải cơ sở dữ liệu SQLite (file is not a database); "
        "không thay đổi gì",
    ),
    (
        db_is_a_directory,
        1,
        "Lỗi: {tmp}/thu-muc: là một thư mục; --db cần đường dẫn một tệp, ví dụ lich-su.sqlite",
    ),
    (db_in_a_missing_folder, 1, "Lỗi: {tmp}/khong-co/h.sqlite: thư mục “{tmp}/khong-co” không tồn tại"),
    (
        db_url_of_another_database,
        1,
        "Lỗi: mysql://u@localhost/cqtt: chỉ hỗ trợ SQLite (đường dẫn tệp) và PostgreSQL (postgresql+psycopg://…)",
    ),
    (
        history_of_a_store_never_written,
        1,
        "Lỗi: {tmp}/moi.sqlite: chưa có cơ sở dữ liệu; ghi kết quả bằng cqtt score … --db trước",
    ),
    (
        succession_missing_column,
        1,
        "Lỗi: {tmp}/sn.csv: dòng 1: thiếu cột ngay_hieu_luc (cần ma_moi, ma_cu, ngay_hieu_luc; có thể thêm "
        "ten_moi, ten_cu)",
    ),
    (succession_bad_rows, 1, "Lỗi: tệp sáp nhập có 4 lỗi; chưa ghi dòng nào"),
    (succession_cycle, 1, "Lỗi: tệp sáp nhập có 1 lỗi; chưa ghi dòng nào"),
    (
        succession_cycle_of_three,
        1,
        "Lỗi: {tmp}/sn.csv: vòng lặp sáp nhập 90001 → 90003 → 90002 → 90001 (tính cả các dòng đã nạp trước); "
        "chưa ghi dòng nào",
    ),
    (
        succession_cycle_across_two_loads,
        1,
        "Lỗi: {tmp}/dot-2.csv: vòng lặp sáp nhập 90001 → 90002 → 90001 (tính cả các dòng đã nạp trước); "
        "chưa ghi dòng nào",
    ),
    (succession_not_utf8, 1, "Lỗi: {tmp}/sn.csv: tệp không phải UTF-8; lưu lại dạng “CSV UTF-8”"),
    (succession_wrong_kind_of_file, 1, "Lỗi: {tmp}/sn.txt: cần tệp .csv hoặc .xlsx"),
    (revoke_bad_date, 1, "Lỗi: --date '31/13/2024': ngày không hợp lệ (ghi ví dụ 15/12/2024)"),
    (revoke_blank_reason, 1, "Lỗi: cần số quyết định (--decision-number) và lý do (--reason) không để trống"),
    (
        revoke_without_a_decision,
        1,
        "Lỗi: đơn vị 07207 năm 2023: chưa có quyết định nào trong cơ sở dữ liệu; chỉ thu hồi được một quyết "
        "định công nhận (nhập quyết định bằng cqtt decisions … --db)",
    ),
    (
        decisions_json_of_another_kind,
        1,
        "Lỗi: {tmp}/qd.json: không phải tệp quyết định do “cqtt decisions” ghi "
        "(recheck_file: Field required)",
    ),
    (
        decisions_without_a_year,
        1,
        "Lỗi: {tmp}/qd.json: không rõ năm đánh giá của 126 đơn vị (07207, 07210, 07216, 07222, 07225…); ghi "
        "--year NĂM",
    ),
    (decisions_with_nowhere_to_go, 2, "Lỗi: cần --json QUYET-DINH.json hoặc --db (hoặc cả hai)"),
]

# Per-row details printed above the last line, for the cases that list every problem.
DETAILS = {
    "succession_bad_rows": [
        "{tmp}/sn.csv, dòng 2, cột “ngay_hieu_luc”: giá trị “31/02/2025”: ngày không hợp lệ "
        "(ghi ví dụ 01/07/2025)",
        "{tmp}/sn.csv, dòng 3, cột “ma_cu”: giá trị “90001”: mã cũ trùng mã mới",
        "{tmp}/sn.csv, dòng 4, cột “ma_cu”: thiếu mã đơn vị",
        "{tmp}/sn.csv, dòng 6, cột “ma_cu”: giá trị “07246”: cặp 90003 ← 07246 đã có ở dòng 5",
    ],
    "succession_cycle": [
        "{tmp}/sn.csv, dòng 2, cột “ma_cu”: giá trị “90002”: vòng lặp: 90001 thay 90002 và 90002 thay 90001 "
        "(dòng 3)",
    ],
}


@pytest.mark.parametrize(("build", "code", "message"), CASES, ids=[c[0].__name__ for c in CASES])
def test_bad_store_input_gets_its_message(build, code, message, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = build(tmp_path)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = CliRunner().invoke(main, args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert lines[-1] == message.format(tmp=tmp_path)
    if build.__name__ in DETAILS:
        assert lines[:-1] == [d.format(tmp=tmp_path) for d in DETAILS[build.__name__]]
    for path, data in before.items():
        assert path.read_bytes() == data, f"{path} was modified"
    assert DECISIONS.exists()


def test_bad_timeout_setting_is_one_line(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CQTT_DB_TIMEOUT", "mười")
    result = CliRunner().invoke(main, timeout_not_a_number(tmp_path))
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == "Lỗi: CQTT_DB_TIMEOUT='mười': cần một số giây, ví dụ 15"
    assert not (tmp_path / "h.sqlite").exists()


def db_password_in_the_url(tmp: Path) -> list[str]:
    return ["score", str(EVIDENCE), "--criteria", "bac-giang@2024", "--json", str(tmp / "kq.json"),
            "--db", "postgresql://cqtt:bi-mat@127.0.0.1:9/cqtt"]  # fmt: skip


def test_a_password_in_the_url_is_never_printed(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, db_password_in_the_url(tmp_path))
    assert result.exit_code == 1
    assert "bi-mat" not in result.output
    assert (
        result.output.strip()
        .splitlines()[-1]
        .startswith("Lỗi: postgresql://cqtt:***@127.0.0.1:9/cqtt: không dùng được cơ sở dữ liệu (")
    )
    assert not (tmp_path / "kq.json").exists()


def test_a_run_whose_workbook_cannot_be_written_is_not_recorded(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The disk fills while the workbook is written: the error says so, and the store holds no run
    (a later history or re-check would otherwise show a run nobody has the outputs of)."""
    import errno

    from engine.outputs import workbook

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(workbook, "write_results", full)
    db = tmp_path / "h.sqlite"
    out = tmp_path / "kq.xlsx"
    result = CliRunner().invoke(main, ["score", str(EVIDENCE), "--criteria", "bac-giang@2024", "-o", str(out),
                                       "--db", str(db)])  # fmt: skip
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == (
        f"Lỗi: {out}: không ghi được (đĩa đầy); tệp cũ (nếu có) vẫn nguyên"
    )
    later = CliRunner().invoke(main, ["history", "07207", "--db", str(db)])
    assert later.output.strip().splitlines()[-1] == f"Lỗi: {db}: không có lịch sử nào của đơn vị 07207"


def test_succession_codes_the_store_never_saw_are_warned(tmp_path: Path) -> None:
    _write(tmp_path / "sn.csv", b"ma_moi,ma_cu,ngay_hieu_luc\n07207,99999,01/07/2025\n")
    db = tmp_path / "h.sqlite"
    CliRunner().invoke(main, ["decisions", str(DECISIONS), "--db", str(db)])  # the store knows 07207
    result = CliRunner().invoke(main, ["units", "succession", str(tmp_path / "sn.csv"), "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"cảnh báo: 1 mã chưa có trong {db} (chưa từng được chấm hay nạp danh sách đơn vị): 99999; kiểm tra "
        "lại nếu không phải mã mới",
        f"Đã nạp 1 dòng sáp nhập vào {db} (0 dòng đã có từ trước)",
    ]


def test_a_revocation_recorded_wrongly_is_corrected_by_a_new_record_that_names_it(tmp_path: Path) -> None:
    db = _recognised_2023(tmp_path)

    def revoke(date: str, *extra: str) -> list[str]:
        result = CliRunner().invoke(
            main,
            ["revoke", "07207", "--year", "2023", "--decision-number", "45/QĐ-UBND", "--date", date,
             "--reason", "Sai phạm", "--db", db, *extra],
        )  # fmt: skip
        assert "Traceback" not in result.output
        return [str(result.exit_code), *result.output.strip().splitlines()]

    assert revoke("20/03/2024")[0] == "0"  # meant 20/03/2025
    again = revoke("20/03/2025")
    assert again[0] == "1"
    assert again[-1] == (
        "Lỗi: đơn vị 07207 năm 2023: đã thu hồi công nhận (quyết định 45/QĐ-UBND, ngày 20/03/2024); nếu bản "
        "ghi đó sai, ghi lại với --correct"
    )
    assert revoke("20/03/2025", "--correct")[0] == "0"
    history = CliRunner().invoke(main, ["history", "07207", "--db", db])
    assert (
        "  THU HỒI công nhận (số 45/QĐ-UBND, ngày 20/03/2025); lý do: Sai phạm" in history.output.splitlines()
    )
    assert "20/03/2024" not in history.output


def test_postgresql_locked_by_another_session_waits_then_says_so(pg_server, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The same bounded wait as SQLite: a session holding the store's tables makes `score --db`
    wait CQTT_DB_TIMEOUT seconds and say so in one line (it waited forever)."""
    import time

    from sqlalchemy import create_engine

    url = pg_server.create_database("cqtt_verrou")
    seeded = CliRunner().invoke(main, ["decisions", str(DECISIONS), "--db", url])
    assert seeded.exit_code == 0, seeded.output
    engine = create_engine(url)
    holder = engine.connect()
    holder.begin()
    holder.exec_driver_sql("LOCK TABLE decisions IN ACCESS EXCLUSIVE MODE")
    monkeypatch.setenv("CQTT_DB_TIMEOUT", "1")
    try:
        started = time.monotonic()
        result = CliRunner().invoke(main, ["decisions", str(DECISIONS), "--db", url])
        code, out = result.exit_code, result.output
        waited = time.monotonic() - started
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert code == 1
    label = url.replace("postgresql://", "postgresql+psycopg://") if url.startswith("postgresql://") else url
    assert out.strip().splitlines()[-1] == (
        f"Lỗi: {label}: cơ sở dữ liệu đang bị một tiến trình khác ghi; đã chờ 1 giây. Chạy lại khi lệnh kia "
        "xong (hoặc đặt CQTT_DB_TIMEOUT để chờ lâu hơn)"
    )
    assert waited < 30


def test_control_characters_typed_into_the_portal_reach_no_terminal(tmp_path: Path) -> None:
    """A login or target typed by anyone (a refused sign-in records what was typed) is printed by
    `cqtt audit` with its control characters escaped: an escape sequence is shown, never acted on."""
    from engine.portal import audit
    from engine.store.connect import open_store

    db = str(tmp_path / "cong.sqlite")
    store = open_store(db)
    typed = "ai\x1b]0;da-bi-chiem\x07\x1b[2J\x9b31m\u202egnp.exe"
    audit.log(store, None, "10.0.0.9\r\n", "login_refused", typed)
    store.close()
    for args in (["audit", "--db", db], ["audit", "--json", "--db", db]):
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 0, result.output
        assert not any(c in result.output for c in "\x1b\x07\x9b\u202e\r")
        assert "ai\\u001b]0;da-bi-chiem\\u0007\\u001b[2J\\u009b31m\\u202egnp.exe" in result.output
