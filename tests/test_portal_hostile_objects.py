"""A signed-in account reaching for objects that are not its to touch: a field check of a unit
outside the sample or given to another checker, a commune reading its field check before its
appraisal ends, a file filed under a kind the application has not or that is another role's,
uploads sent at once past the cap, a workbook bomb sent to the district's upload."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from bombs import zip_bomb
from helpers import at_once
from portal_helpers import (
    ROOT,
    YEAR,
    Portal,
    csrf_of,
    make_portal,
    set_password,
    unit_url,
)

from engine.portal import accounts, dossiers, files, review
from engine.portal.demo import appraise_as_submitted
from engine.portal.files import MAX_FILES
from engine.portal.overview import rows as unit_rows
from engine.portal.policy import FIELD_CHECK, OTHER

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def submitted(tmp_path_factory: pytest.TempPathFactory) -> Portal:
    """The 2024 sample uploaded and appraised as it stands (the sample is drawn only from
    appraised applications), a sample of 6 drawn, its first unit given to a second province checker."""
    folder = tmp_path_factory.mktemp("doi-tuong")
    made = make_portal(str(folder / "cong.sqlite"), folder)
    done = dossiers.upload_workbook(
        made.store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
    )
    appraise_as_submitted(made.store, YEAR, done.submitted)
    accounts.add(made.store, "kiemtra", "tinh", None, None, "Người kiểm tra thực địa")
    set_password(made.store, "kiemtra")
    made.logins["kiemtra"] = "kiemtra"
    tinh = accounts.find(made.store, made.logins["tinh"])
    drawn = review.draw_sample(made.store, tinh, "test", YEAR, 6, 3)
    review.assign(made.store, tinh, "test", YEAR, drawn[0].code, "kiemtra")
    yield made
    made.close()


def _outside_sample(portal: Portal) -> str:
    drawn = {c.code for c in review.sample_of(portal.store, YEAR)}
    return next(
        r.unit.code
        for r in unit_rows(portal.store, YEAR)
        if r.unit.code not in drawn and r.state == "da_tham_dinh"
    )


def _flash(page: object) -> str:
    text = page.text  # type: ignore[attr-defined]
    return text[text.index('class="flash') :][:600]


def test_no_field_check_of_a_unit_outside_the_sample(submitted: Portal) -> None:
    code = _outside_sample(submitted)
    tinh = submitted.client("tinh")
    page = tinh.get(unit_url(code, "/thuc-dia"), follow_redirects=True)
    assert (
        f"Không kiểm tra thực địa được: đơn vị {code} không có trong mẫu kiểm tra thực địa năm {YEAR} "
        "và không có kiến nghị được chấp nhận; chọn mẫu ở trang phúc tra." in _flash(page)
    )
    d = dossiers.dossier(submitted.store, YEAR, code)
    sent = tinh.post(
        unit_url(code, "/thuc-dia"), data={"csrf_token": csrf_of(tinh), "vu_viec_sach_nhieu": "Có"}
    )
    assert sent.status_code == 302
    assert dossiers.latest(dossiers.versions(submitted.store, d.id), "field") is None
    assert "Kiểm tra thực địa, ghi giá trị thấy tại xã" not in tinh.get(unit_url(code)).text


def test_a_unit_given_to_one_checker_is_checked_by_no_other(submitted: Portal) -> None:
    given = next(c for c in review.sample_of(submitted.store, YEAR) if c.checker == "kiemtra")
    other = accounts.find(submitted.store, submitted.logins["tinh"])
    with pytest.raises(review.ReviewError) as refused:
        review.save_field(submitted.store, other, "test", YEAR, given.code, {}, {})
    assert (
        str(refused.value)
        == f"việc kiểm tra thực địa đơn vị {given.code} đã giao cho Người kiểm tra thực địa"
    )
    page = submitted.client("tinh").get(unit_url(given.code, "/thuc-dia"), follow_redirects=True)
    assert f"việc kiểm tra thực địa đơn vị {given.code} đã giao cho Người kiểm tra thực địa" in _flash(page)
    assert (
        "Kiểm tra thực địa, ghi giá trị thấy tại xã"
        in submitted.client("kiemtra").get(unit_url(given.code)).text
    )


def test_a_commune_learns_of_its_field_check_only_once_appraised(submitted: Portal) -> None:
    """The province reopens a sampled unit's appraisal (with its reason) and checks it on site
    meanwhile: the commune sees nothing of the check until its team has finalised again."""
    given = next(c for c in review.sample_of(submitted.store, YEAR) if c.checker == "kiemtra")
    checker = accounts.find(submitted.store, "kiemtra")
    province = accounts.find(submitted.store, submitted.logins["tinh"])
    review.reopen(submitted.store, province, "test", YEAR, given.code, "Tổ cần xem lại biên bản đối thoại")
    d = dossiers.dossier(submitted.store, YEAR, given.code)
    assert d.state == "da_nop"
    team = dossiers.current(submitted.store, d)
    review.save_field(submitted.store, checker, "test", YEAR, given.code, dict(team.data), {})
    assert dossiers.latest(dossiers.versions(submitted.store, d.id), "field") is not None
    login = f"xa{given.code}"
    accounts.add(submitted.store, login, "xa", given.code, None)
    set_password(submitted.store, login)
    submitted.logins[login] = login
    page = submitted.client(login).get(unit_url(given.code))
    assert page.status_code == 200
    assert "kiểm tra thực địa" not in page.text.lower()
    assert "Tỉnh kiểm tra thực địa" in submitted.client("kiemtra").get(unit_url(given.code)).text


def test_an_invented_kind_of_file_is_refused_and_another_roles_kind_is_not_offered(tmp_path: Path) -> None:
    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        xa = portal.client("xa")
        url = unit_url(portal.unit, "/tep")

        def send(slot: str) -> object:
            data = {"csrf_token": csrf_of(xa), "slot": slot, "file": (io.BytesIO(PDF), "bien-ban.pdf")}
            return xa.post(url, data=data, content_type="multipart/form-data", follow_redirects=True)

        assert send("../../etc/passwd").status_code == 400
        assert send("doc:khong-co").status_code == 400
        field = send(FIELD_CHECK)  # the province's kind of file, sent by the commune
        assert field.status_code == 200
        assert "Không đính kèm được loại tệp này ở trạng thái này của hồ sơ." in field.text
        assert files.listing(portal.store, dossiers.application_id(portal.store, YEAR, portal.unit)) == []
        assert send(OTHER).status_code == 200
        assert len(files.listing(portal.store, dossiers.application_id(portal.store, YEAR, portal.unit))) == 1
    finally:
        portal.close()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_uploads_sent_at_once_stop_at_the_cap(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if backend == "sqlite":
        db = str(tmp_path / "cong.sqlite")
    else:
        db = request.getfixturevalue("pg_server").create_database(
            f"cqtt_tep_{abs(hash(str(tmp_path))) % 10**8}"
        )
    portal = make_portal(db, tmp_path)
    try:
        xa = accounts.find(portal.store, portal.logins["xa"])
        application_id = dossiers.application_id(portal.store, YEAR, portal.unit)
        folder = tmp_path / "tep"

        def attach(content: bytes, name: str) -> None:
            files.add(
                portal.store, xa, "test", application_id, OTHER, io.BytesIO(content), name, folder, 10**6, "t"
            )

        for i in range(MAX_FILES - 3):
            attach(PDF + bytes([i]), f"{i}.pdf")
        told = at_once(12, lambda i: attach(PDF + b"x" * (i + 1), f"x{i}.pdf"))
        assert sorted(told) == sorted(["ok"] * 3 + [f"mỗi hồ sơ tối đa {MAX_FILES} tệp đính kèm"] * 9)
        assert len(files.listing(portal.store, application_id)) == MAX_FILES
    finally:
        portal.close()


def test_a_workbook_bomb_sent_to_the_district_upload_is_refused_unread(tmp_path: Path) -> None:
    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        bomb = zip_bomb(tmp_path / "bom.xlsx")
        huyen = portal.client("huyen")
        data = {"csrf_token": csrf_of(huyen), "file": (io.BytesIO(bomb.read_bytes()), "mau-nhap.xlsx")}
        sent = huyen.post(
            f"/nam/{YEAR}/huyen/Huyện Lục Nam/tai-len", data=data, content_type="multipart/form-data"
        )
        assert sent.status_code == 400
        assert (
            "mau-nhap.xlsx: tệp giải nén ra 300 MB, vượt giới hạn 100 MB (tệp nén 363 KB); không đọc tệp này"
            in sent.text
        )  # the portal's bound (100 MB inflated) is met before the ratio is
        assert {r.state for r in unit_rows(portal.store, YEAR)} == {"chua_nop"}
    finally:
        portal.close()


def test_an_upload_whose_rows_say_another_year_is_refused_naming_them(tmp_path: Path) -> None:
    import openpyxl

    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        book = openpyxl.load_workbook(ROOT / "samples/bac-giang-2024.xlsx")
        sheet = book["Nhập liệu"]
        mine = [r for r in range(4, sheet.max_row + 1) if sheet.cell(r, 3).value == "Huyện Lục Nam"][:2]
        for row in mine:
            sheet.cell(row, 4).value = 2023
        sent_file = io.BytesIO()
        book.save(sent_file)
        huyen = portal.client("huyen")
        data = {"csrf_token": csrf_of(huyen), "file": (io.BytesIO(sent_file.getvalue()), "mau-nhap.xlsx")}
        sent = huyen.post(
            f"/nam/{YEAR}/huyen/Huyện Lục Nam/tai-len", data=data, content_type="multipart/form-data"
        )
        assert sent.status_code == 400
        assert "2 dòng ghi năm khác năm 2024; không nhận tệp này" in sent.text
        for row in mine:
            code = sheet.cell(row, 1).value
            assert (
                f"mau-nhap.xlsx, sheet “Nhập liệu”, dòng {row}, cột “Năm”: giá trị “2023”: "
                f"đơn vị {code} ghi năm 2023, không phải năm 2024 đang nhận" in sent.text
            )
        assert {r.state for r in unit_rows(portal.store, YEAR)} == {"chua_nop"}
    finally:
        portal.close()
