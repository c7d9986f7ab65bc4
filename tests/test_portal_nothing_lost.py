"""Nothing typed is lost and no step is taken by accident: the check before submitting, a
submission withdrawn before the team starts, a finalised appraisal reopened by the province with
its reason, files uploaded or removed from the form without losing its edits, two team members
saving the same verify page, a disabled account that a new password does not open."""

from __future__ import annotations

import html
import io
import re
import uuid
from pathlib import Path

import pytest
from portal_helpers import (
    YEAR,
    Portal,
    full_unit_values,
    make_portal,
    post,
    submit_dossier,
    unit_url,
    verify_base,
)

from engine.portal import accounts, dossiers, files
from engine.portal.audit import entries

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(params=["sqlite", "postgresql"])
def portal(request: pytest.FixtureRequest, tmp_path: Path) -> Portal:
    if request.param == "sqlite":
        db = str(tmp_path / "cong.sqlite")
    else:
        db = request.getfixturevalue("pg_server").create_database(f"cqtt_mat_{uuid.uuid4().hex[:12]}")
    made = make_portal(db, tmp_path)
    yield made
    made.close()


def _text(page: object) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text))  # type: ignore[attr-defined]


def _state(portal: Portal, code: str) -> str:
    d = dossiers.dossier(portal.store, YEAR, code)
    return d.state if d else "chua_nop"


def _check_page(portal: Portal, values: dict[str, str]) -> object:
    xa = portal.client("xa")
    sent = post(xa, unit_url(portal.unit, "/ho-so"), {**values, "action": "submit"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/kiem-tra-truoc-khi-nop")
    assert _state(portal, portal.unit) == "dang_soan"  # saved as a draft, not submitted yet
    return xa, xa.get(sent.headers["Location"])


def test_the_check_before_submitting_names_a_missing_document_and_a_wrong_self_score_sum(
    portal: Portal,
) -> None:
    values = {
        **full_unit_values(),
        "ho_so": "to_trinh; bao_cao; bang_tu_cham; dang_ky",  # 4 of the 5 documents
        "tu_cham": "97",
        "tu_cham__dan_chu_co_so": "20",
        "tu_cham__cai_cach_hanh_chinh": "30",
        "tu_cham__van_hoa_cong_so": "10",
        "tu_cham__doi_thoai_don_thu": "12,5",
        "tu_cham__hai_long": "10",
        "tu_cham__ba_an": "5",
    }
    xa, page = _check_page(portal, values)
    shown = _text(page)
    assert page.status_code == 200
    assert (
        "Thiếu 1/5 văn bản hồ sơ bắt buộc: Văn bản phê duyệt đăng ký của Ban Chỉ đạo; "
        "thiếu văn bản thì hồ sơ không đủ điều kiện công nhận." in shown
    ), shown[:3000]
    assert "Tổng điểm tự chấm 97 khác tổng điểm tự chấm các nhóm 87,5." in shown
    assert "Cộng các nhóm 87,5" in shown and "Tổng điểm tự chấm đã ghi 97" in shown
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    unseen = post(xa, unit_url(portal.unit, "/kiem-tra-truoc-khi-nop"), {"version": version})
    assert unseen.status_code == 400
    assert "Đánh dấu ô “Đã xem các điểm cần lưu ý” để nộp, hoặc quay lại sửa." in unseen.text
    assert _state(portal, portal.unit) == "dang_soan"
    seen = post(xa, unit_url(portal.unit, "/kiem-tra-truoc-khi-nop"), {"version": version, "seen": "1"})
    assert seen.status_code == 200 and "Đã nộp hồ sơ năm 2024" in seen.text
    assert _state(portal, portal.unit) == "da_nop"


def test_a_draft_changed_in_another_tab_is_shown_again_before_it_is_submitted(portal: Portal) -> None:
    xa, page = _check_page(portal, full_unit_values())
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    other_tab = portal.client("xa")
    post(other_tab, unit_url(portal.unit, "/ho-so"), {**full_unit_values(), "so_tin_bai_tuyen_truyen": "7"})
    stale = post(xa, unit_url(portal.unit, "/kiem-tra-truoc-khi-nop"), {"version": version, "seen": "1"})
    assert stale.status_code == 409
    assert "Hồ sơ vừa được sửa ở nơi khác: xem lại bản dưới đây trước khi nộp." in stale.text
    assert _state(portal, portal.unit) == "dang_soan"
    assert re.search(r"Số tin, bài[^<]*</th><td>7", stale.text)  # the newer draft is the one shown


def test_a_value_that_does_not_read_keeps_the_check_from_submitting(portal: Portal) -> None:
    xa = portal.client("xa")
    sent = post(
        xa,
        unit_url(portal.unit, "/ho-so"),
        {**full_unit_values(), "ty_le_ho_so_dung_han": "1", "action": "submit"},
    )
    assert sent.status_code == 400 and "Chưa nộp được: còn 1 ô chưa đọc được" in sent.text
    page = xa.get(unit_url(portal.unit, "/kiem-tra-truoc-khi-nop"))
    assert "Chưa nộp được: còn 1 ô chưa đọc được" in page.text and ">Nộp hồ sơ</button>" not in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    forced = post(xa, unit_url(portal.unit, "/kiem-tra-truoc-khi-nop"), {"version": version, "seen": "1"})
    assert forced.status_code == 400 and _state(portal, portal.unit) == "dang_soan"


def test_a_commune_withdraws_until_its_team_starts(portal: Portal) -> None:
    xa, huyen = portal.client("xa"), portal.client("huyen")
    assert submit_dossier(xa, portal.unit, full_unit_values()).status_code == 200
    page = xa.get(unit_url(portal.unit))
    assert 'id="rut-ho-so"' in page.text and "Rút hồ sơ về để sửa?" in page.text
    back = post(xa, unit_url(portal.unit, "/rut-ho-so"), follow_redirects=True)
    assert "Đã rút hồ sơ về để sửa." in back.text and _state(portal, portal.unit) == "dang_soan"
    form = xa.get(unit_url(portal.unit, "/ho-so"))
    assert 'value="99%"' in form.text  # the values submitted are the draft again
    assert "Xã rút hồ sơ để sửa" in xa.get(unit_url(portal.unit)).text  # in the timeline
    assert submit_dossier(xa, portal.unit, full_unit_values()).status_code == 200
    base = verify_base(huyen, portal.unit)
    post(huyen, unit_url(portal.unit, "/tham-dinh"), {**full_unit_values(), "base": base})
    assert 'id="rut-ho-so"' not in xa.get(unit_url(portal.unit)).text
    late = post(xa, unit_url(portal.unit, "/rut-ho-so"), follow_redirects=True)
    assert (
        "Không rút được hồ sơ: tổ thẩm định đã bắt đầu xem hồ sơ: không rút được nữa; liên hệ tổ nếu cần sửa."
        in late.text
    )
    assert _state(portal, portal.unit) == "da_nop"


def test_the_province_reopens_a_finalised_appraisal_with_its_reason(portal: Portal) -> None:
    xa, huyen, tinh = portal.client("xa"), portal.client("huyen"), portal.client("tinh")
    submit_dossier(xa, portal.unit, full_unit_values())
    post(huyen, unit_url(portal.unit, "/tham-dinh"), {**full_unit_values(), "base": "0"})
    post(huyen, unit_url(portal.unit, "/hoan-tat"))
    assert _state(portal, portal.unit) == "da_tham_dinh"
    page = tinh.get(unit_url(portal.unit))
    assert 'id="mo-lai"' in page.text and "Mở lại thẩm định" in page.text
    empty = post(tinh, unit_url(portal.unit, "/mo-lai"), {"reason": "  "}, follow_redirects=True)
    assert "Chưa mở lại được: cần ghi lý do mở lại thẩm định." in empty.text
    assert _state(portal, portal.unit) == "da_tham_dinh"
    reason = "Biên bản đối thoại ghi sai năm; tổ xem lại"
    done = post(tinh, unit_url(portal.unit, "/mo-lai"), {"reason": reason}, follow_redirects=True)
    assert "Đã mở lại thẩm định" in done.text and _state(portal, portal.unit) == "da_nop"
    assert "Tỉnh mở lại thẩm định" in done.text and reason in done.text  # the timeline, with the reason
    assert entries(portal.store, login=portal.logins["tinh"])[-1].action == "appraisal_reopened"
    assert "Xác minh minh chứng" in huyen.get(unit_url(portal.unit)).text  # the team works on it again
    assert "Tổng điểm" not in xa.get(unit_url(portal.unit)).text  # the commune waits for it again


def test_a_decision_stands_in_the_way_of_reopening(portal: Portal) -> None:
    xa, huyen, tinh = portal.client("xa"), portal.client("huyen"), portal.client("tinh")
    submit_dossier(xa, portal.unit, full_unit_values())
    post(huyen, unit_url(portal.unit, "/tham-dinh"), {**full_unit_values(), "base": "0"})
    post(huyen, unit_url(portal.unit, "/hoan-tat"))
    decided = post(
        tinh,
        unit_url(portal.unit, "/quyet-dinh"),
        {"decision": "recognised", "number": "12/QĐ-UBND", "date": "15/12/2024", "reason": ""},
        follow_redirects=True,
    )
    assert decided.status_code == 200
    refused = post(tinh, unit_url(portal.unit, "/mo-lai"), {"reason": "Xem lại"}, follow_redirects=True)
    assert (
        "Chưa mở lại được: đơn vị đã có quyết định “Công nhận” số 12/QĐ-UBND: thu hồi quyết định "
        "trước khi mở lại thẩm định." in refused.text
    )
    assert "Xem lại</textarea>" in refused.text  # the reason typed is kept in its form
    assert _state(portal, portal.unit) == "da_tham_dinh"


def test_a_file_uploaded_from_the_form_keeps_its_edits_and_can_be_removed(portal: Portal) -> None:
    xa = portal.client("xa")
    typed = {**full_unit_values(), "so_tin_bai_tuyen_truyen": "31"}
    sent = post(
        xa,
        unit_url(portal.unit, "/ho-so"),
        {**typed, "action": "attach", "slot": "doc:to_trinh", "file": (io.BytesIO(PDF), "to-trinh.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Đã đính kèm “to-trinh.pdf”." in sent.text
    assert 'value="31"' in sent.text  # what was typed above the upload is still in the form
    d = dossiers.dossier(portal.store, YEAR, portal.unit)
    draft = dossiers.latest(dossiers.versions(portal.store, d.id), "declared", drafts=True)
    assert draft.data["so_tin_bai_tuyen_truyen"] == "31"
    [kept] = files.listing(portal.store, d.id)
    other = portal.client("huyen")  # nobody else's file is removed from the form
    assert other.get(unit_url(portal.unit, "/ho-so")).status_code == 403
    removed = post(
        xa,
        unit_url(portal.unit, "/ho-so"),
        {**typed, "so_tin_bai_tuyen_truyen": "32", "action": f"go-tep-{kept.id}"},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Đã gỡ tệp “to-trinh.pdf” khỏi hồ sơ (vẫn ghi trong lịch sử hồ sơ)." in removed.text
    assert 'value="32"' in removed.text and "Đã gỡ: to-trinh.pdf" in removed.text
    assert files.listing(portal.store, d.id) == []
    assert entries(portal.store, login=portal.logins["xa"])[-1].action == "attachment_removed"
    assert xa.get(f"/tep/{kept.id}").status_code == 404  # no longer part of the application
    again = post(
        xa, unit_url(portal.unit, "/ho-so"), {**typed, "action": f"go-tep-{kept.id}"}, follow_redirects=True
    )
    assert "Không gỡ được tệp: chỉ gỡ được tệp chính mình đính kèm vào hồ sơ này." in again.text


def test_two_team_members_saving_one_verify_page_never_overwrite_each_other_silently(portal: Portal) -> None:
    xa = portal.client("xa")
    submit_dossier(xa, portal.unit, full_unit_values())
    first, second = portal.client("huyen"), portal.client("huyen")
    base_first, base_second = verify_base(first, portal.unit), verify_base(second, portal.unit)
    assert base_first == base_second == "0"
    saved = post(
        first,
        unit_url(portal.unit, "/tham-dinh"),
        {
            **full_unit_values(),
            "so_tin_bai_tuyen_truyen": "12",
            "ly_do__so_tin_bai_tuyen_truyen": "Chỉ 12 tin có ngày đăng",
            "base": base_first,
        },
    )
    assert saved.status_code == 302
    clash = post(
        second,
        unit_url(portal.unit, "/tham-dinh"),
        {
            **full_unit_values(),
            "so_tin_bai_tuyen_truyen": "20",
            "ly_do__so_tin_bai_tuyen_truyen": "Đếm lại được 20",
            "base": base_second,
        },
    )
    assert clash.status_code == 409
    shown = _text(clash)
    assert "đã lưu kết quả xác minh sau khi trang này được mở" in shown
    assert "lucnam đã lưu: 12 — lý do: Chỉ 12 tin có ngày đăng" in shown  # the other's change, beside
    assert 'value="20"' in clash.text and 'value="Đếm lại được 20"' in clash.text  # what was typed
    d = dossiers.dossier(portal.store, YEAR, portal.unit)
    verified = dossiers.latest(dossiers.versions(portal.store, d.id), "verified")
    assert verified.data["so_tin_bai_tuyen_truyen"] == "12"  # the first save stands
    new_base = re.search(r'name="base" value="(\d+)"', clash.text).group(1)  # type: ignore[union-attr]
    assert new_base == str(verified.id)
    again = post(
        second,
        unit_url(portal.unit, "/tham-dinh"),
        {
            **full_unit_values(),
            "so_tin_bai_tuyen_truyen": "20",
            "ly_do__so_tin_bai_tuyen_truyen": "Đếm lại được 20",
            "base": new_base,
        },
    )
    assert again.status_code == 302  # seen, then saved on purpose; both versions kept
    kinds = [v.kind for v in dossiers.versions(portal.store, d.id) if not v.draft]
    assert kinds.count("verified") == 2


def test_a_new_password_does_not_open_a_disabled_account(portal: Portal) -> None:
    admin = portal.client("quan-tri")
    victim = accounts.find(portal.store, portal.logins["xa-khac"])
    page = admin.get("/quan-tri/tai-khoan")
    assert f"Khóa tài khoản {victim.login}? Các phiên đăng nhập" in page.text  # asked before
    post(admin, f"/quan-tri/tai-khoan/{victim.id}/khoa")
    listed = admin.get("/quan-tri/tai-khoan").text
    assert f"/quan-tri/tai-khoan/{victim.id}/mat-khau" not in listed  # no reset offered while disabled
    refused = post(admin, f"/quan-tri/tai-khoan/{victim.id}/mat-khau", follow_redirects=True)
    assert (
        f"Không cấp lại mật khẩu: tài khoản “{victim.login}” đang bị khóa: cấp lại mật khẩu không mở khóa; "
        "mở khóa trước." in refused.text
    )
    opened = post(admin, f"/quan-tri/tai-khoan/{victim.id}/mo-khoa", follow_redirects=True)
    assert f"Đã mở khóa tài khoản {victim.login}; mật khẩu giữ như trước khi khóa." in opened.text
    assert (
        portal.client("xa-khac").get("/doi-mat-khau").status_code == 200
    )  # signs in again with its password


def test_ticked_values_are_confirmed_as_declared_in_one_step(portal: Portal) -> None:
    xa, huyen = portal.client("xa"), portal.client("huyen")
    submit_dossier(xa, portal.unit, full_unit_values())
    corrected = {
        **full_unit_values(),
        "so_tin_bai_tuyen_truyen": "12",
        "ly_do__so_tin_bai_tuyen_truyen": "Chỉ 12 tin có ngày đăng",
        "ty_le_nop_truc_tuyen": "70%",
        "ly_do__ty_le_nop_truc_tuyen": "Theo cổng dịch vụ công",
        "base": "0",
    }
    assert post(huyen, unit_url(portal.unit, "/tham-dinh"), corrected).status_code == 302
    base = verify_base(huyen, portal.unit)
    page = huyen.get(unit_url(portal.unit, "/tham-dinh"))
    assert 'name="nhu_xa_khai" value="so_tin_bai_tuyen_truyen"' in page.text
    # the page as it came back (both corrections), one of them ticked "như xã khai"
    confirmed = post(
        huyen,
        unit_url(portal.unit, "/tham-dinh"),
        {**corrected, "base": base, "action": "nhu-xa-khai", "nhu_xa_khai": ["so_tin_bai_tuyen_truyen"]},
    )
    assert confirmed.status_code == 302
    d = dossiers.dossier(portal.store, YEAR, portal.unit)
    verified = dossiers.latest(dossiers.versions(portal.store, d.id), "verified")
    assert verified.data["so_tin_bai_tuyen_truyen"] == full_unit_values()["so_tin_bai_tuyen_truyen"]
    assert "so_tin_bai_tuyen_truyen" not in verified.notes  # confirmed: no reason needed, none kept
    assert verified.data["ty_le_nop_truc_tuyen"] == "70%"  # the other correction stands, with its reason
    assert verified.notes["ty_le_nop_truc_tuyen"] == "Theo cổng dịch vụ công"
    last = entries(portal.store, login=portal.logins["huyen"])[-1]
    assert (last.action, last.details) == ("verified", {"corrected": ["ty_le_nop_truc_tuyen"]})


def test_the_communes_result_shows_each_group_and_each_reason_once(portal: Portal) -> None:
    from engine.portal.demo import appraise_as_submitted

    xa = portal.client("xa")
    submit_dossier(xa, portal.unit, {**full_unit_values(), "vu_viec_sach_nhieu": "Có", "ho_so": "to_trinh"})
    appraise_as_submitted(portal.store, YEAR, [portal.unit])
    page = xa.get(unit_url(portal.unit)).text
    groups = re.search(r'<table class="list" id="diem-nhom">.*?<tbody>(.*?)</tbody>', page, re.S)
    assert groups is not None
    rows = re.findall(r'<th scope="row">(.*?)</th><td class="num">([\d,]+)</td>', groups.group(1))
    d = dossiers.dossier(portal.store, YEAR, portal.unit)
    result = dossiers.current(portal.store, d).score.result
    assert [html.unescape(title) for title, _ in rows] == [g.title for g in result.groups]
    shown = sum(float(points.replace(",", ".")) for _, points in rows)
    assert abs(shown - result.total) < 0.05  # the groups add up to the total shown
    reasons = re.search(r'<ul class="blocking" id="ly-do-chua-dat">(.*?)</ul>', page, re.S)
    assert reasons is not None
    listed = re.findall(r"<li>(.*?)</li>", reasons.group(1))
    assert len(listed) == len(set(result.blocking)) >= 2  # a disqualifier and a missing document
    for line in listed:
        assert page.count(f">{line}<") == 1  # said once: not again among the warnings
    assert sorted(html.unescape(x) for x in listed) == sorted(set(result.blocking))


def test_the_verify_page_shows_the_communes_files_beside_their_document_and_yes_no_as_a_choice(
    portal: Portal,
) -> None:
    xa = portal.client("xa")
    post(
        xa,
        unit_url(portal.unit, "/ho-so"),
        {
            **full_unit_values(),
            "action": "attach",
            "slot": "doc:to_trinh",
            "file": (io.BytesIO(PDF), "to-trinh.pdf"),
        },
        content_type="multipart/form-data",
    )
    submit_dossier(xa, portal.unit, full_unit_values())
    page = portal.client("huyen").get(unit_url(portal.unit, "/tham-dinh")).text
    row = re.search(r'<tr id="f-ho_so".*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    beside = re.search(
        r'value="to_trinh"[^>]*>[^<]*</label><span class="hint files"> — tệp: '
        r'<a href="/tep/\d+/xem" target="xem-tep" class="view-file">to-trinh.pdf</a>',
        row,
    )
    assert beside is not None, row
    assert 'id="tep-cua-xa" open' in page  # the files listed above the values, opened
    yes_no = re.search(r'<tr id="f-vu_viec_sach_nhieu".*?</tr>', page, re.S).group(0)  # type: ignore[union-attr]
    assert (
        '<select id="i-vu_viec_sach_nhieu" name="vu_viec_sach_nhieu"' in yes_no
        and "<option selected>Không</option>" in yes_no
    )


def test_two_saves_of_the_communes_form_keep_both_and_say_so(portal: Portal) -> None:
    first, second = portal.client("xa"), portal.client("xa")
    post(first, unit_url(portal.unit, "/ho-so"), {**full_unit_values(), "action": "draft"})
    opened = {
        c: re.search(r'name="base" value="(\d+)"', c.get(unit_url(portal.unit, "/ho-so")).text).group(1)  # type: ignore[union-attr]
        for c in (first, second)
    }
    assert opened[first] == opened[second] != "0"
    mine = post(
        first,
        unit_url(portal.unit, "/ho-so"),
        {**full_unit_values(), "so_tin_bai_tuyen_truyen": "31", "action": "draft", "base": opened[first]},
    )
    assert "Đã lưu bản nháp." in mine.text and "Lưu ý:" not in mine.text  # nobody came between
    again = re.search(r'name="base" value="(\d+)"', mine.text).group(1)  # type: ignore[union-attr]
    assert again != opened[first]  # the page now starts from its own save
    theirs = post(
        second,
        unit_url(portal.unit, "/ho-so"),
        {**full_unit_values(), "so_tin_bai_tuyen_truyen": "40", "action": "draft", "base": opened[second]},
    )
    said = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", theirs.text)))
    assert "đã lưu hồ sơ lúc" in said and "sau khi trang này được mở" in said
    assert "Số tin, bài, buổi tuyên truyền về Chính quyền thân thiện trong năm: “31”" in said
    assert 'value="40"' in theirs.text  # what this person typed is what was saved, and is shown
    d = dossiers.dossier(portal.store, YEAR, portal.unit)
    drafts = [v.data["so_tin_bai_tuyen_truyen"] for v in dossiers.versions(portal.store, d.id) if v.draft]
    assert drafts[-2:] == ["31", "40"]  # both kept
