"""The portal in process (Flask's test client): the application's states from the commune's form to
the province's list, the district's workbook, the dashboard, and the downloads against `cqtt score`."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from portal_helpers import (
    DISTRICT,
    OTHER_DISTRICT,
    ROOT,
    YEAR,
    Portal,
    district_url,
    full_unit_values,
    make_portal,
    post,
    submit_dossier,
    unit_url,
)

from cli import main
from engine.outputs.resultsjson import read_results
from engine.portal import dossiers, overview, units
from engine.portal.demo import appraise_as_submitted
from web.views.common import DOCX


@pytest.fixture()
def portal(tmp_path: Path) -> Portal:
    made = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    yield made
    made.close()


def _state(portal: Portal, code: str) -> str:
    d = dossiers.dossier(portal.store, YEAR, code)
    return d.state if d else "chua_nop"


def test_commune_form_reads_vietnamese_habits_and_keeps_a_draft_with_problems(portal: Portal) -> None:
    xa = portal.client("xa")
    form = xa.get(unit_url(portal.unit, "/ho-so"))
    assert form.status_code == 200
    assert 'id="f-ty_le_cong_khai_dung_han"' in form.text and "ghi ví dụ 95% hoặc 0,95" in form.text
    values = full_unit_values()
    values["ty_le_cong_khai_dung_han"] = "0,993"  # a share, with a decimal comma
    values["ty_le_ho_so_dung_han"] = "1"  # 1% or 100%? refused beside its field
    sent = submit_dossier(xa, portal.unit, values)
    assert sent.status_code == 400
    assert "Chưa nộp được: còn 1 ô chưa đọc được" in sent.text
    assert '<a href="#f-ty_le_ho_so_dung_han">' in sent.text  # the summary links to the field
    assert "không rõ là 1% hay 100%" in sent.text
    assert _state(portal, portal.unit) == "dang_soan"  # kept as a draft
    values["ty_le_ho_so_dung_han"] = "99%"
    sent = submit_dossier(xa, portal.unit, values)
    assert sent.status_code == 200 and "Đã nộp hồ sơ năm 2024" in sent.text
    assert _state(portal, portal.unit) == "da_nop"
    page = xa.get(unit_url(portal.unit))
    assert "Đã nộp" in page.text
    assert "Tổng điểm" not in page.text  # the commune sees its scores once appraised
    assert "Điểm và giải thích hiện ra khi tổ thẩm định hoàn tất thẩm định" in page.text


def _submit(portal: Portal, code: str, login: str = "xa", **changes: str) -> None:
    values = {**full_unit_values(), **changes}
    with portal.store.read():
        pass
    client = portal.client(login)
    sent = submit_dossier(client, code, values)
    assert sent.status_code == 200, sent.text[:2000]


def test_clarification_resubmission_verification_and_appraisal(portal: Portal) -> None:
    _submit(portal, portal.unit, ty_le_cong_khai_dung_han="99,3%")
    huyen, xa = portal.client("huyen"), portal.client("xa")
    refused = post(
        huyen, unit_url(portal.unit, "/yeu-cau-bo-sung"), {"comment": "", "items": ["tuyen_truyen"]}
    )
    assert refused.status_code == 302
    assert _state(portal, portal.unit) == "da_nop"  # no comment: nothing happens
    post(
        huyen,
        unit_url(portal.unit, "/yeu-cau-bo-sung"),
        {"comment": "Bổ sung danh sách tin bài tuyên truyền", "items": ["tuyen_truyen"]},
    )
    assert _state(portal, portal.unit) == "can_bo_sung"
    page = xa.get(unit_url(portal.unit))
    assert (
        "Tổ thẩm định yêu cầu bổ sung" in page.text and "Bổ sung danh sách tin bài tuyên truyền" in page.text
    )
    assert "<li>Tuyên truyền về Chính quyền thân thiện trong năm</li>" in page.text  # by its title
    values = {**full_unit_values(), "ty_le_cong_khai_dung_han": "99,3%", "so_tin_bai_tuyen_truyen": "31"}
    done = submit_dossier(xa, portal.unit, values)
    assert "Đã nộp hồ sơ" in done.text and _state(portal, portal.unit) == "da_nop_lai"
    # the district corrects one value: without a reason it is refused beside the field
    verify = huyen.get(unit_url(portal.unit, "/tham-dinh"))
    assert verify.status_code == 200 and 'value="99,3%"' in verify.text
    corrected = {**values, "ty_le_cong_khai_dung_han": "90%"}
    no_reason = post(huyen, unit_url(portal.unit, "/tham-dinh"), corrected)
    assert no_reason.status_code == 400 and "Ghi lý do sửa giá trị này" in no_reason.text
    finalise_early = post(huyen, unit_url(portal.unit, "/hoan-tat"), follow_redirects=True)
    assert "chưa xác minh các giá trị xã nộp lần cuối" in finalise_early.text
    with_reason = post(
        huyen,
        unit_url(portal.unit, "/tham-dinh"),
        {**corrected, "ly_do__ty_le_cong_khai_dung_han": "Biên bản niêm yết chỉ có 9/10 nội dung"},
    )
    assert with_reason.status_code == 302
    post(huyen, unit_url(portal.unit, "/hoan-tat"))
    assert _state(portal, portal.unit) == "da_tham_dinh"
    d = dossiers.dossier(portal.store, YEAR, portal.unit)
    found = dossiers.versions(portal.store, d.id)
    declared, verified = dossiers.latest(found, "declared"), dossiers.latest(found, "verified")
    assert declared.data["ty_le_cong_khai_dung_han"] == "99,3%" and declared.score.total == 99.83
    assert verified.data["ty_le_cong_khai_dung_han"] == "90%" and verified.score.total == 97.5
    assert verified.notes == {"ty_le_cong_khai_dung_han": "Biên bản niêm yết chỉ có 9/10 nội dung"}
    assert d.scored_version_id == verified.id
    record = huyen.get(
        unit_url(portal.unit, "/bien-ban-tham-dinh.docx")
    )  # what was declared, what was scored
    assert record.status_code == 200
    assert (
        "Tỷ lệ nội dung (14 nhóm, Điều 11 Luật THDCCS) công khai đúng hạn và niêm yết đủ 30 ngày: 90% "
        "(xã kê khai: 99,3%; tổ thẩm định sửa: Biên bản niêm yết chỉ có 9/10 nội dung)"
    ) in _docx_text(record.data)
    page = xa.get(unit_url(portal.unit))  # now the commune sees every point and explanation
    assert '<strong id="tong-diem">97,5</strong>' in page.text
    assert "sửa vì: Biên bản niêm yết chỉ có 9/10 nội dung" in page.text
    assert "90%: tính theo tỷ lệ giữa 80% (0 điểm) và 100% (5 điểm): 2,5/5 điểm" in page.text
    steps = [s.what for s in dossiers.timeline(portal.store, d.id)]
    assert steps == [
        "Bắt đầu soạn hồ sơ",
        "Nộp hồ sơ",
        "Yêu cầu bổ sung",
        "Nộp lại hồ sơ đã bổ sung",
        "Hoàn tất thẩm định",
    ]


def test_the_district_sends_its_list_only_when_every_submission_is_appraised(portal: Portal) -> None:
    _submit(portal, portal.unit)
    huyen = portal.client("huyen")
    refused = post(huyen, district_url(DISTRICT, "/gui-tinh"), follow_redirects=True)
    assert "còn 1 hồ sơ chưa thẩm định xong" in refused.text
    post(huyen, unit_url(portal.unit, "/tham-dinh"), full_unit_values())
    post(huyen, unit_url(portal.unit, "/hoan-tat"))
    sent = post(huyen, district_url(DISTRICT, "/gui-tinh"), follow_redirects=True)
    assert "Đã gửi 1 hồ sơ đã thẩm định lên tỉnh" in sent.text
    assert _state(portal, portal.unit) == "da_gui_tinh"


def _district_book(portal: Portal, filled: dict[str, dict[str, str]]) -> bytes:
    """The district's blank template (downloaded from the portal), filled for some units."""
    huyen = portal.client("huyen")
    blank = huyen.get(district_url(DISTRICT, "/mau-nhap.xlsx"))
    assert blank.status_code == 200
    assert blank.headers["Content-Disposition"].startswith("attachment;")
    book = load_workbook(io.BytesIO(blank.data))
    sheet = book["Nhập liệu"]
    keys = [c.value for c in sheet[3]]
    for row in sheet.iter_rows(min_row=4):
        values = filled.get(row[0].value)
        if values:
            for cell, key in zip(row, keys, strict=False):
                if key in values:
                    cell.value = values[key]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_district_workbook_submits_filled_rows_and_leaves_blank_ones_not_submitted(portal: Portal) -> None:
    """Filled rows are submitted, blank ones are not applicants, and a row with a value that does
    not read stays a draft, as the web form keeps it (one rule decides what submitting needs)."""
    good = full_unit_values()
    bad = {**full_unit_values(), "so_tin_bai_tuyen_truyen": "chưa thống kê"}
    third = units.of_district(portal.store, YEAR, DISTRICT)[2].code
    _submit(portal, portal.unit)  # already submitted in the portal: kept as it is
    data = _district_book(portal, {portal.neighbour: good, portal.unit: good, third: bad})
    huyen = portal.client("huyen")
    sent = post(
        huyen,
        district_url(DISTRICT, "/tai-len"),
        {"file": (io.BytesIO(data), "mau-nhap-luc-nam.xlsx")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 200, sent.text[:2000]
    assert "<b>1</b> hồ sơ đã nộp từ tệp" in sent.text
    assert f"<b>1</b> hồ sơ chưa nộp được vì còn ô chưa đọc được, giữ là bản nháp: {third}." in sent.text
    assert "<b>21</b> đơn vị chưa nộp (dòng chỉ có mã và tên)" in sent.text
    assert "<b>1</b> hồ sơ đã nộp trên cổng, giữ nguyên" in sent.text
    assert (
        "mau-nhap-luc-nam.xlsx, sheet “Nhập liệu”, dòng " in sent.text
        and "giá trị “chưa thống kê”: cần một số" in sent.text
    )
    assert "thiếu giá trị bắt buộc" not in sent.text  # blank rows are not applicants
    assert _state(portal, portal.neighbour) == "da_nop" and _state(portal, third) == "dang_soan"
    rows = {r.unit.code: r for r in overview.rows(portal.store, YEAR, DISTRICT)}
    assert sum(r.scored for r in rows.values()) == 2
    held = dossiers.dossier(portal.store, YEAR, third)
    draft = dossiers.latest(dossiers.versions(portal.store, held.id), "declared", drafts=True)
    assert draft.draft and draft.data["so_tin_bai_tuyen_truyen"] == "chưa thống kê"  # kept as typed
    assert draft.score.issue_for("so_tin_bai_tuyen_truyen") == "cần một số (ghi một số nguyên, ví dụ 12)"
    from engine.portal.scoring import UnitValues, score_one
    from engine.portal.units import criteria_of

    for code in (portal.neighbour,):  # scored together on upload; the same as alone
        d = dossiers.dossier(portal.store, YEAR, code)
        kept = dossiers.current(portal.store, d)
        alone = score_one(
            criteria_of(portal.store, YEAR), UnitValues(code, d.unit.name, DISTRICT, YEAR, kept.data), "x"
        )
        assert kept.score.result.model_dump(exclude={"source"}) == alone.unit.model_dump(exclude={"source"})
    assert rows[third].state == "dang_soan" and not rows[third].scored
    page = huyen.get(district_url(DISTRICT))
    assert "Chưa nộp hoặc đang soạn (22)" in page.text
    assert "<b>4</b> đủ điều kiện" not in page.text
    assert "trong 24 đơn vị của Huyện Lục Nam" in page.text


def test_the_dashboard_counts_over_the_whole_unit_list(portal: Portal) -> None:
    _submit(portal, portal.unit)
    _submit(portal, portal.outsider, login="xa-khac", ty_le_cong_khai_dung_han="80%", vu_viec_sach_nhieu="Có")
    tinh = portal.client("tinh")
    waiting = overview.dashboard(portal.store, YEAR)  # nothing appraised yet: nothing eligible
    assert (waiting.province.eligible, waiting.province.proposed) == (0, 0)
    assert (waiting.province.pending_eligible, waiting.province.pending) == (1, 2)
    page = tinh.get(f"/nam/{YEAR}/tinh")
    assert " (0 trong 195 đơn vị của danh sách tỉnh, tính các hồ sơ đã thẩm định xong)" in page.text
    assert '<td class="num pending" id="chua-tham-dinh">1 / 2</td>' in page.text
    appraise_as_submitted(portal.store, YEAR, [portal.unit, portal.outsider])
    page = tinh.get(f"/nam/{YEAR}/tinh")
    assert page.status_code == 200
    assert (
        "Tỷ lệ đủ điều kiện công nhận toàn tỉnh: <strong>0,5%</strong>\n"
        " (1 trong 195 đơn vị của danh sách tỉnh, tính các hồ sơ đã thẩm định xong)" in page.text
    )
    d = overview.dashboard(portal.store, YEAR)
    assert (d.province.units, d.province.submitted, d.province.eligible, d.province.proposed) == (
        195,
        2,
        1,
        2,
    )
    assert d.province.proposed_not_eligible == 1 and d.province.flags["disqualified"] == 1
    lucnam = next(c for c in d.districts if c.name == DISTRICT)
    assert (lucnam.units, lucnam.submitted, lucnam.eligible) == (24, 1, 1)
    hiephoa = next(c for c in d.districts if c.name == OTHER_DISTRICT)
    assert (hiephoa.units, hiephoa.submitted, hiephoa.eligible) == (19, 1, 0)
    assert [s for _, s in d.progress][-1] == {"dang_soan": 2, "da_nop": 2, "da_tham_dinh": 2}


def _cells(data: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(data), read_only=True)
    found = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    book.close()
    return found


def same_results(portal_book: bytes, score_book: bytes) -> None:
    """Every sheet of the two workbooks holds the same cells, but what says where the evidence was
    read and when: Thông tin, the binding's time and inputs, and Minh chứng's Nguồn column (the
    portal's scope, or the file's sheet and row)."""
    a, b = _cells(portal_book), _cells(score_book)
    assert list(a) == list(b)
    for title in a:
        if title == "Thông tin":
            continue
        rows_a, rows_b = a[title], b[title]
        if title == "_cqtt":
            rows_a = [r for r in rows_a if r[0] not in ("generated_at", "inputs")]
            rows_b = [r for r in rows_b if r[0] not in ("generated_at", "inputs")]
        if title == "Minh chứng":
            where = rows_a[0].index("Nguồn")
            assert [r[where] for r in rows_a[1:]] != [r[where] for r in rows_b[1:]]
            rows_a = [r[:where] + r[where + 1 :] for r in rows_a]
            rows_b = [r[:where] + r[where + 1 :] for r in rows_b]
        assert rows_a == rows_b, title


def test_downloads_are_what_cqtt_score_writes_for_the_same_evidence(portal: Portal, tmp_path: Path) -> None:
    _submit(portal, portal.unit, ty_le_cong_khai_dung_han="99,3%")
    data = _district_book(
        portal, {portal.neighbour: {**full_unit_values(), "tu_cham": "100", "ty_le_nop_truc_tuyen": "67,55%"}}
    )
    huyen = portal.client("huyen")
    post(
        huyen,
        district_url(DISTRICT, "/tai-len"),
        {"file": (io.BytesIO(data), "tep.xlsx")},
        content_type="multipart/form-data",
    )
    appraise_as_submitted(
        portal.store, YEAR, [portal.unit, portal.neighbour]
    )  # the results are appraised ones
    results = huyen.get(district_url(DISTRICT, "/ket-qua.xlsx"))
    evidence = huyen.get(district_url(DISTRICT, "/minh-chung.xlsx"))
    as_json = huyen.get(district_url(DISTRICT, "/ket-qua.json"))
    assert results.status_code == evidence.status_code == as_json.status_code == 200
    source = tmp_path / "minh-chung.xlsx"
    source.write_bytes(evidence.data)
    out, out_json = tmp_path / "ket-qua.xlsx", tmp_path / "ket-qua.json"
    # the district's units in the year's list: the population (named as the portal names its list,
    # "danh sách đơn vị năm 2024", so that the units that have not applied read the same)
    listed = tmp_path / "đơn vị năm 2024"
    listed.write_text(
        "ma_don_vi,ten_don_vi,nhom_tham_dinh\n"
        + "".join(
            f"{u.code},{u.name},{u.district}\n" for u in units.of_district(portal.store, YEAR, DISTRICT)
        ),
        "utf-8",
    )
    scored = CliRunner().invoke(
        main,
        ["score", str(source), "--criteria", "bac-giang@2024", "-o", str(out), "--json", str(out_json),
         "--units", str(listed)],
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    assert "Đã chấm 2 đơn vị theo bac-giang@2024" in scored.output
    same_results(results.data, out.read_bytes())
    mine_path = tmp_path / "cong.json"
    mine_path.write_bytes(as_json.data)
    mine, theirs = read_results(mine_path), read_results(out_json)
    for unit in mine["units"] + theirs["units"]:
        unit.pop("source")  # where it was read: the portal's scope, or the file's sheet and row
    assert mine["units"] == theirs["units"] and mine["summary"] == theirs["summary"]
    assert mine["seal"] == theirs["seal"]
    # the records to sign: the same documents `cqtt records` makes from the downloaded workbook
    for kind, url, media in (
        ("bien-ban-tham-dinh", "/bien-ban-tham-dinh.zip", "application/zip"),
        ("danh-sach-de-nghi", "/danh-sach-de-nghi.docx", DOCX),
    ):
        got = huyen.get(district_url(DISTRICT, url))
        assert got.status_code == 200 and got.mimetype == media, kind
        made = CliRunner().invoke(main, ["records", str(out), "--kind", kind, "-o", str(tmp_path / kind)])
        assert made.exit_code == 0, made.output
        cli_docs = {p.name: _docx_text(p.read_bytes()) for p in sorted((tmp_path / kind).glob("*.docx"))}
        if media == DOCX:
            portal_docs = {
                re.search(r"filename\*=UTF-8''(.+)$", got.headers["Content-Disposition"]).group(
                    1
                ): _docx_text(got.data)
            }  # type: ignore[union-attr]
        else:
            with zipfile.ZipFile(io.BytesIO(got.data)) as z:
                portal_docs = {n: _docx_text(z.read(n)) for n in sorted(z.namelist())}
        assert portal_docs == cli_docs and len(cli_docs) == (2 if kind == "bien-ban-tham-dinh" else 1), kind
    one = huyen.get(unit_url(portal.unit, "/bien-ban-tham-dinh.docx"))
    assert one.status_code == 200 and "BIÊN BẢN THẨM ĐỊNH" in _docx_text(one.data)


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return re.sub(r"<[^>]+>", "", z.read("word/document.xml").decode())


def test_cli_users_units_and_audit(tmp_path: Path) -> None:
    db = str(tmp_path / "cong.sqlite")
    runner = CliRunner()
    loaded = runner.invoke(
        main,
        [
            "units",
            "load",
            "samples/units/bac-giang.csv",
            "--year",
            "2024",
            "--criteria",
            "bac-giang",
            "--db",
            db,
        ],
    )
    assert loaded.exit_code == 0, loaded.output
    assert loaded.output.splitlines() == [
        "Bộ tiêu chí bac-giang@2024: criteria/bac-giang/2024.yaml (sha256 35839c0a8f9d…); "
        "BẢN MẪU — chưa phải bộ tiêu chí chính thức",
        "Đã nạp 195 đơn vị (10 huyện) cho năm 2024, chấm theo bac-giang@2024",
    ]
    added = runner.invoke(main, ["users", "add", "quantri", "--role", "quan-tri", "--db", db])
    assert added.exit_code == 0, added.output
    first, second = added.output.splitlines()
    assert first == f"Đã thêm tài khoản quantri (Quản trị hệ thống, toàn tỉnh) vào {db}"
    assert second.startswith("Mật khẩu dùng một lần: ") and len(second.split(": ")[1]) == 19
    wrong = runner.invoke(main, ["users", "add", "xa1", "--role", "xa", "--unit", "99999", "--db", db])
    assert wrong.exit_code == 1
    assert wrong.output.strip().endswith(
        "Lỗi: mã đơn vị “99999” không có trong danh sách đơn vị đã nạp (cqtt units load)"
    )
    scoped = runner.invoke(
        main, ["users", "add", "lucnam", "--role", "huyen", "--district", DISTRICT, "--db", db]
    )
    assert scoped.exit_code == 0
    listed = runner.invoke(main, ["users", "list", "--db", db])
    assert (
        "lucnam" in listed.output and "chờ đổi mật khẩu" in listed.output and "2 tài khoản" in listed.output
    )
    assert (
        runner.invoke(main, ["users", "disable", "lucnam", "--db", db]).output == "Đã khóa tài khoản lucnam\n"
    )
    locked = runner.invoke(main, ["users", "reset-password", "lucnam", "--db", db])
    assert locked.exit_code == 1  # a new password never opens a disabled account by the way
    assert locked.output == (
        "Lỗi: tài khoản “lucnam” đang bị khóa: cấp lại mật khẩu không mở khóa; mở khóa trước\n"
    )
    opened = runner.invoke(main, ["users", "enable", "lucnam", "--db", db])
    assert opened.output == "Đã mở khóa tài khoản lucnam\n"
    reset = runner.invoke(main, ["users", "reset-password", "lucnam", "--db", db])
    assert reset.output.startswith("Mật khẩu dùng một lần của lucnam: ")
    log = runner.invoke(main, ["audit", "--json", "--db", db])
    actions = [json.loads(line)["action"] for line in log.output.splitlines()]
    assert actions == [
        "units_loaded", "account_added", "account_added",
        "account_disabled", "account_enabled", "password_reset",
    ]  # fmt: skip
    text = runner.invoke(main, ["audit", "--user", "lucnam", "--db", db])
    assert text.output.strip().endswith("0 bản ghi")  # the CLI acts as nobody: the rows name the object
    for printed in (second.split(": ")[1], reset.output.split(": ")[1].strip()):
        assert printed not in log.output  # passwords are never recorded


def test_a_policy_officer_checks_a_draft_without_touching_the_set_in_force(portal: Portal) -> None:
    _submit(portal, portal.unit)  # the year's evidence the draft is tried on
    officer = portal.client("chinh-sach")
    text = (ROOT / "criteria/bac-giang/2024.yaml").read_text("utf-8")
    broken = text.replace("min_total: 85", "min_total: tám mươi lăm")
    line = broken.splitlines().index("  min_total: tám mươi lăm") + 1
    sent = post(
        officer,
        "/bo-tieu-chi/ban-nhap",
        {"file": (io.BytesIO(broken.encode()), "ban-nhap.yaml")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 200
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", sent.text))
    assert f"Dòng {line} — điều kiện công nhận, điểm tối thiểu: " in said  # in words, with the line
    assert "ban-nhap.yaml · recognition.min_total" in said  # the key path kept in small print
    assert "[recognition.min_total]" not in sent.text
    stricter = text.replace("min_total: 85", "min_total: 99.9")
    tried = post(
        officer,
        "/bo-tieu-chi/ban-nhap",
        {"file": (io.BytesIO(stricter.encode()), "ban-nhap.yaml")},
        content_type="multipart/form-data",
    )
    assert "Hợp lệ: bac-giang@2024" in tried.text
    assert "* Công nhận: tổng điểm tối thiểu" in tried.text
    assert "Ảnh hưởng trên hồ sơ năm 2024" in tried.text
    assert "Đã thử trên 1 hồ sơ năm 2024 (1 đơn vị được chấm theo cả hai bộ)." in tried.text
    assert "0 đơn vị đổi kết quả công nhận." in tried.text  # 100 points: still above 99,9
    from engine.rules.loader import load_ref

    assert load_ref("bac-giang@2024").model.recognition.min_total == 85  # in force, unchanged


def test_the_administrator_loads_a_unit_list(portal: Portal) -> None:
    admin = portal.client("quan-tri")
    listed = "ma_don_vi,ten_don_vi,nhom_tham_dinh\n90001,Xã Thử Một,Huyện Thử\n90002,Xã Thử Hai,Huyện Thử\n"
    sent = post(
        admin,
        "/quan-tri/don-vi",
        {"year": "2025", "criteria": "bac-giang", "file": (io.BytesIO(listed.encode()), "don-vi.csv")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 200
    assert "Đã nạp 2 đơn vị (1 tổ thẩm định) cho năm 2025, chấm theo bac-giang@2024." in sent.text
    assert [u.code for u in units.all_units(portal.store, 2025)] == ["90001", "90002"]
    bad = post(
        admin,
        "/quan-tri/don-vi",
        {"year": "2025", "criteria": "bac-giang", "file": (io.BytesIO(b"ma,ten\n1,2\n"), "sai.csv")},
        content_type="multipart/form-data",
    )
    assert bad.status_code == 400
    assert "sai.csv: dòng đầu phải có cột “ma_don_vi” (Mã đơn vị)" in bad.text


def test_cqtt_web_without_db_makes_the_default_store_on_a_fresh_machine(tmp_path: Path) -> None:
    """Regression: `cqtt web` with neither --db nor CQTT_DB, before any other command had made the
    default folder, stopped with "thư mục … không tồn tại": it named the default file itself and
    lost the store's "the default folder may be created"."""
    import os
    import subprocess
    import sys
    import time

    from browser_helpers import drain, stop

    env = {k: v for k, v in os.environ.items() if k not in ("CQTT_DB", "CQTT_DATA_DIR")}
    env["XDG_DATA_HOME"] = str(tmp_path / "du-lieu-nguoi-dung")  # does not exist yet
    cqtt = Path(sys.executable).with_name("cqtt")
    process = subprocess.Popen(
        [str(cqtt), "web", "--port", "0", "--insecure-cookies", "--processes", "1"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stderr is not None
        seen, deadline = [], time.monotonic() + 60
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            seen.append(line)
            if "Cổng đang chạy tại" in line or (not line and process.poll() is not None):
                break
        drain(process)
        assert "Cổng đang chạy tại http://127.0.0.1:" in seen[-1], "".join(seen)
    finally:
        stop(process)
    made = tmp_path / "du-lieu-nguoi-dung" / "cqtt"
    assert (made / "lich-su.sqlite").is_file()
    assert (made / "du-lieu" / "bi-mat.key").is_file()
