"""A database password never shows, however the address writes it: in messages, in the label
every output records, in a driver's own error text; and a password with an @ or a / left
unescaped still reaches the server whole."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from engine.store.address import escaped, scrubbed, shown

ROOT = Path(__file__).parent.parent
SECRET = "Bi@Mat/Rat%Dai"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("postgresql://cqtt:matkhau@db.tinh.vn/cqtt", "postgresql://cqtt:***@db.tinh.vn/cqtt"),
        ("postgresql://cqtt:pa@ss/w0rd@127.0.0.1:5432/cqtt", "postgresql://cqtt:***@127.0.0.1:5432/cqtt"),
        ("postgresql://cqtt:s%40fe@h/x", "postgresql://cqtt:***@h/x"),
        (
            "postgresql://cqtt@h/x?password=BiMat&sslmode=require",
            "postgresql://cqtt@h/x?password=***&sslmode=require",
        ),
        (
            "postgresql://cqtt@h/x?sslmode=require&sslpassword=k",
            "postgresql://cqtt@h/x?sslmode=require&sslpassword=***",
        ),
        ("postgresql://h/x", "postgresql://h/x"),
        ("/srv/cqtt/lich-su.sqlite", "/srv/cqtt/lich-su.sqlite"),
    ],
)
def test_an_address_is_shown_without_its_password(raw: str, expected: str) -> None:
    assert shown(raw) == expected


def test_an_unescaped_password_is_escaped_whole_and_scrubbed_from_any_text() -> None:
    raw = f"postgresql://cqtt:{SECRET}@127.0.0.1:5432/cqtt"
    assert escaped(raw) == "postgresql://cqtt:Bi%40Mat%2FRat%25Dai@127.0.0.1:5432/cqtt"
    assert escaped("postgresql://cqtt:s%40fe@h/x") == "postgresql://cqtt:s%40fe@h/x"
    assert scrubbed(f"lỗi: password {SECRET} và Bi%40Mat%2FRat%25Dai", raw) == "lỗi: password *** và ***"


@pytest.mark.parametrize(
    "raw",
    [
        f"postgresql://cqtt:{SECRET}@127.0.0.1:1/cqtt",
        "postgresql://cqtt@127.0.0.1:1/cqtt?password=BiMatRatDai",
        "postgresql://cqtt:BiMatRatDai@127.0.0.1:cong/cqtt",
    ],
)
def test_a_store_that_cannot_be_reached_is_named_without_its_password(raw: str) -> None:
    result = CliRunner().invoke(main, ["history", "01234", "--db", raw])
    assert result.exit_code == 1
    assert "BiMat" not in result.output and "Rat" not in result.output and "***" in result.output


def test_outputs_that_record_their_store_never_record_its_password(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = pg_server.create_database("cqtt_dia_chi") + "?password=BiMatRatDai"
    runner = CliRunner()
    results = tmp_path / "kq.json"
    evidence = str(ROOT / "samples/bac-giang-2024.xlsx")
    drawn = ["-o", str(tmp_path / "mau.xlsx"), "--json", str(tmp_path / "mau.json")]
    steps = [
        ["score", evidence, "--criteria", "bac-giang@2024", "--json", str(results), "--db", url],
        ["sample", str(results), "--n", "5", "--seed", "1", *drawn, "--db", url],
    ]
    printed = ""
    for args in steps:
        done = runner.invoke(main, args)
        assert done.exit_code == 0, done.output
        printed += done.output
    assert "BiMatRatDai" not in printed and "password=***" in printed
    with zipfile.ZipFile(tmp_path / "mau.xlsx") as book:
        inside = "".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    assert "BiMatRatDai" not in inside + results.read_text("utf-8")
    recorded = json.loads((tmp_path / "mau.json").read_text("utf-8"))["store"]
    assert recorded == url.replace("BiMatRatDai", "***")


def test_a_password_with_an_at_and_a_slash_unescaped_reaches_the_server(pg_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = pg_server.create_database("cqtt_dia_chi_2")  # the test server trusts loopback: any password
    scheme, rest = url.split("://", 1)
    written = f"{scheme}://{rest.replace('@', ':' + SECRET + '@', 1)}"
    assert SECRET in written
    made = CliRunner().invoke(
        main,
        [
            "score",
            str(ROOT / "samples/bac-giang-2024.xlsx"),
            "--criteria",
            "bac-giang@2024",
            "--json",
            str(tmp_path / "k.json"),
            "--db",
            written,
        ],
    )
    assert made.exit_code == 0, made.output
    asked = CliRunner().invoke(main, ["history", "99999", "--db", written])
    assert "không có lịch sử nào của đơn vị 99999" in asked.output and "Bi@Mat" not in asked.output
