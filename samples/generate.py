"""Generate the bundled sample evidence (seeded, so the files are reproducible).

    python samples/generate.py            # rewrite every sample file in samples/

Units are real: the pre-2025 commune-level units of Bắc Giang and Hưng Yên from the PyPI package
`vietnam-provinces` 0.6.0, saved once as samples/units/*.csv. Evidence is invented with a believable
spread: most units strong, some far below, two districts that propose nearly every unit ("en masse",
as the 2024 conclusion describes), inflated self-scores, units near the threshold, criteria that do
not apply (no public works, no complaints, no late files) and a few blank or wrong cells.

The xlsx samples are filled-in evidence templates (`cqtt template`), so they also prove that a
filled template goes straight into `cqtt score`. The same generator feeds benchmarks/.
"""

from __future__ import annotations

import csv
import io
import random
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from engine.intake.evidence import read_mappings, self_score_column  # noqa: E402
from engine.intake.units import UnitRow, read_units  # noqa: E402
from engine.outputs.template import write_template  # noqa: E402
from engine.rules import catalog  # noqa: E402
from engine.rules.loader import LoadedCriteria, load_criteria  # noqa: E402
from engine.scoring.engine import Engine  # noqa: E402

SEED = 20241123
EN_MASSE_GROUPS = {"Huyện Lục Ngạn", "Huyện Sơn Động"}
ITEMS = [
    "Máy tính",
    "Máy in",
    "Máy quét (scan)",
    "Ghế ngồi chờ",
    "Nước uống",
    "Wifi miễn phí",
    "Điều hòa",
    "Nhà vệ sinh",
    "Lối đi cho xe lăn",
]
DOCUMENTS = ["to_trinh", "bao_cao", "bang_tu_cham", "dang_ky", "phe_duyet_dang_ky"]


def _yn(flag: bool) -> str:
    return "Có" if flag else "Không"


def _tally(rng: random.Random, respondents: int, level: float) -> str:
    satisfied = min(respondents, round(respondents * (0.70 + 0.29 * level)))
    return f"{satisfied}/{respondents}"


def evidence(rng: random.Random, q: float, version: str) -> dict[str, Any]:
    """Evidence cells of one unit of quality `q`, written as people write them."""

    def lv(noise: float = 0.15) -> float:
        return min(1.0, max(0.0, q + rng.gauss(0, noise)))

    project = rng.random() < 0.6
    late = 0 if lv() > 0.75 else rng.randint(1, 30)
    complaints = 0 if rng.random() < 0.3 else rng.randint(1, 40)
    row: dict[str, Any] = {
        "ty_le_cong_khai_dung_han": round(0.78 + 0.22 * lv(), 3),
        "so_thanh_vien_ban_ttnd": 3 + int(9 * lv()),
        "ban_ttnd_ke_hoach_quy": _yn(rng.random() < 0.5 + 0.5 * q),
        "ban_ttnd_bao_cao_mttq": _yn(rng.random() < 0.5 + 0.5 * q),
        "co_cong_trinh_dau_tu": _yn(project),
        "ban_gsdtcd_moi_cong_trinh": _yn(rng.random() < 0.55 + 0.45 * q) if project else None,
        "so_tin_bai_tuyen_truyen": int(40 * lv(0.2)),
        "ty_le_ho_so_dung_han": round(min(1.0, 0.86 + 0.14 * lv(0.1)), 4),
        "so_ho_so_tre_han": late,
        "xin_loi_moi_ho_so_tre_han": _yn(rng.random() < 0.4 + 0.6 * q) if late else None,
        "ty_le_nop_truc_tuyen": round(0.1 + 0.8 * lv(0.2), 3),
        "trang_thiet_bi_mot_cua": "; ".join(i for i in ITEMS if rng.random() < 0.45 + 0.55 * q),
        "thiet_bi_danh_gia_hai_long": _yn(rng.random() < 0.3 + 0.7 * q),
        "dong_phuc": _yn(rng.random() < 0.6 + 0.4 * q),
        "deo_the": _yn(rng.random() < 0.6 + 0.4 * q),
        "quy_che_van_hoa_cong_so": _yn(rng.random() < 0.6 + 0.4 * q),
        "quy_tac_ung_xu_niem_yet": _yn(rng.random() < 0.5 + 0.5 * q),
        "vu_viec_sach_nhieu": _yn(rng.random() < 0.03),
        "so_hoi_nghi_doi_thoai": rng.choices([0, 1, 2, 3], [0.1 * (1.2 - q), 0.25, 0.4, 0.25])[0],
        "tiep_cong_dan_dung_lich": _yn(rng.random() < 0.6 + 0.4 * q),
        "so_don_thu": complaints,
        "ty_le_don_thu_dung_han": round(0.6 + 0.4 * lv(), 3) if complaints else None,
        "ks_pks01": _tally(rng, rng.randint(12, 30), lv()),
        "ks_to_chuc_doanh_nghiep": _tally(rng, rng.randint(8, 25), lv()),
        **{f"ks_pks0{i}": _tally(rng, rng.randint(40, 120), lv(0.1)) for i in range(2, 8)},
    }
    if version == "2024":
        row.update(
            {
                "phat_thanh_khoan_7_12": _yn(lv() > 0.3),
                "ban_ttnd_moi_thon_co_thanh_vien": _yn(rng.random() < 0.5 + 0.5 * q),
                "dien_tich_mot_cua": round(25 + 50 * lv(), 1),
                "diem_nong_an_ninh": _yn(rng.random() < 0.02),
                "chi_tra_an_sinh_dung_han": _yn(rng.random() < 0.85 + 0.15 * q),
                "su_co_an_toan_nghiem_trong": _yn(rng.random() < 0.04),
            }
        )
    else:
        row["phat_thanh_cong_khai"] = _yn(lv() > 0.3)
    return row


def applications(
    units: list[UnitRow], loaded: LoadedCriteria, year: int, seed: int = SEED
) -> list[dict[str, Any]]:
    """One row per unit: identity, evidence, proposal and self-scores (inflated for some)."""
    rng = random.Random(seed)
    version = "2024" if "phat_thanh_khoan_7_12" in loaded.model.evidence_by_id() else "2023"
    rows = []
    for unit in units:
        q = rng.betavariate(4.5, 1.6)
        row = {
            "ma_don_vi": unit.code,
            "ten_don_vi": unit.name,
            "nhom_tham_dinh": unit.group,
            "nam": year,
            **evidence(rng, q, version),
        }
        rows.append(row)
    engine = Engine(loaded)
    scored = {
        u.code: u for u in (engine.score(a) for a in read_mappings(rows, loaded.model, "(mẫu)").applications)
    }
    for row in rows:
        unit = scored[row["ma_don_vi"]]
        en_masse = row["nhom_tham_dinh"] in EN_MASSE_GROUPS
        proposed = rng.random() < 0.92 if en_masse else unit.total + rng.gauss(0, 4) >= 84
        row["de_nghi"] = _yn(proposed)
        complete = not proposed or rng.random() < 0.92
        docs = DOCUMENTS if complete else rng.sample(DOCUMENTS, 4)
        row["ho_so"] = "; ".join(docs) if proposed else "; ".join(DOCUMENTS[:2])
        inflation = rng.choice([0, 0, 0, 0, 1, 2, 6, 9, 14]) if proposed else 0
        if proposed:
            row["tu_cham"] = round(min(loaded.model.scale, unit.total + inflation), 1)
            for g in unit.groups:
                share = g.max_points / loaded.model.scale
                row[self_score_column(g.id)] = round(min(g.max_points, g.points + inflation * share * 1.5), 1)
    return rows


def _blemishes(rows: list[dict[str, Any]], rng: random.Random) -> None:
    """A few cells left blank or written wrongly, as in real submissions."""
    picks = rng.sample(range(len(rows)), 4)
    rows[picks[0]]["ty_le_nop_truc_tuyen"] = None
    rows[picks[1]]["ks_pks01"] = None
    rows[picks[2]]["so_tin_bai_tuyen_truyen"] = "chưa thống kê"
    rows[picks[3]]["ty_le_ho_so_dung_han"] = "1"


def filled_template(
    loaded: LoadedCriteria, units: list[UnitRow], rows: list[dict[str, Any]], year: int
) -> bytes:
    """A template generated by `cqtt template`, filled in as a team would."""
    from openpyxl import load_workbook

    raw = io.BytesIO()
    write_template(raw, loaded, units, year)
    raw.seek(0)
    book = load_workbook(raw)
    sheet = book["Nhập liệu"]
    ids = [c.value for c in sheet[3]]
    for offset, row in enumerate(rows):
        for col, field in enumerate(ids, start=1):
            if (
                field in row
                and row[field] is not None
                and field not in ("ma_don_vi", "ten_don_vi", "nhom_tham_dinh", "nam")
            ):
                sheet.cell(row=4 + offset, column=col).value = row[field]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    print(f"đã ghi {path.relative_to(HERE.parent)}")


def bad_cells_csv() -> str:
    """A small CSV with a bad cell of every kind the reader must catch."""
    header = [
        "ma_don_vi",
        "ten_don_vi",
        "nhom_tham_dinh",
        "de_nghi",
        "tu_cham",
        "ty_le_ho_so_dung_han",
        "ty_le_cong_khai_dung_han",
        "dien_tich_mot_cua",
        "so_hoi_nghi_doi_thoai",
        "vu_viec_sach_nhieu",
        "trang_thiet_bi_mot_cua",
        "ks_pks01",
        "ho_so",
        "cot_khong_ro",
    ]
    rows = [
        [
            "B01",
            "Xã Ví Dụ Một",
            "Tổ 1",
            "Có",
            "95",
            "1",
            "95%",
            "1.234",
            "2",
            "Không",
            "Máy tính; Máy in",
            "18/20",
            "to_trinh; bao_cao",
            "",
        ],
        [
            "B02",
            "Xã Ví Dụ Hai",
            "Tổ 1",
            "có lẽ",
            "chín mươi",
            "120%",
            "0,9",
            "45,5",
            "hai",
            "Có",
            "Máy tính; Máy fax",
            "25/20",
            "to_trinh",
            "?",
        ],
        [
            "B03",
            '=HYPERLINK("http://vi-du")',
            "Tổ 2",
            "Không",
            "",
            "96,5",
            "97%",
            "-5",
            "2,5",
            "x",
            "",
            "90%",
            "",
            "",
        ],
        ["", "Dòng không có mã", "Tổ 2", "Có", "", "", "", "", "", "", "", "", "", ""],
        ["B01", "Xã Ví Dụ Một (lặp)", "Tổ 2", "Không", "", "", "", "", "", "", "", "", "", ""],
    ]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


TEAM_RESULTS = "bac-giang-2024-to-tham-dinh.xlsx"


def team_results(rng: random.Random) -> None:
    """A team's results workbook as it might reach the province, with three seeded hand edits:
    a total typed over (raised past the threshold), one criterion's points changed, and one row
    deleted from the ranking. `cqtt recheck` on it must list exactly these and exit 3."""
    import tempfile

    from openpyxl import load_workbook

    from engine import jobs

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / TEAM_RESULTS
        jobs.score([HERE / "bac-giang-2024.xlsx"], "bac-giang@2024", None, path, None)
        book = load_workbook(path)
    ranking = book["Xếp hạng"]
    rows = list(ranking.iter_rows(min_row=2))
    below = [r for r in rows if isinstance(r[4].value, float) and 80 <= r[4].value < 85]
    typed_over = rng.choice(below)
    typed_over[4].value = round(typed_over[4].value + 6, 2)
    detail = book["Chi tiết"]
    scored = [r for r in detail.iter_rows(min_row=2) if r[6].value and r[6].value < r[7].value]
    changed = rng.choice(scored)
    changed[6].value = changed[7].value
    deleted = rng.choice([r for r in rows if r is not typed_over])
    ranking.delete_rows(deleted[0].row)
    out = io.BytesIO()
    book.save(out)
    _write(HERE / TEAM_RESULTS, out.getvalue())


DECISIONS_2023 = "bac-giang-2023-quyet-dinh.json"
SUCCESSION_EXAMPLE = "sap-nhap-vi-du-gia-dinh.csv"


def decisions_2023() -> None:
    """The province's decisions on the 2023 sample, as `cqtt decisions` writes them, for the
    history workflow. Made up, like the evidence: every proposed unit is decided as the 2023 score
    says, under invented decision numbers ("…/QĐ-VD", VD for ví dụ)."""
    from engine.intake.evidence import read_evidence
    from engine.review.decisions import Decision, DecisionFile

    loaded = load_criteria(catalog.resolve("bac-giang@2023"))
    run = Engine(loaded).run(read_evidence([HERE / "bac-giang-2023.xlsx"], loaded.model))
    decided, undecided = [], []
    for unit in sorted(run.units, key=lambda u: u.code):
        if not unit.proposed:
            undecided.append(unit.code)
            continue
        ok = unit.recognised
        decided.append(
            Decision(
                unit=unit.code,
                name=unit.name,
                year=unit.year,
                decision="recognised" if ok else "not_recognised",
                label="Công nhận" if ok else "Không công nhận",
                number="1203/QĐ-VD" if ok else "1204/QĐ-VD",
                date="2023-12-20",
                reason=None if ok else "Ví dụ giả định: " + "; ".join(unit.blocking),
                row=len(decided) + 2,
            )
        )
    sha = loaded.sha256
    found = DecisionFile(
        recheck_file={"file": "ví dụ giả định (samples/generate.py)", "sha256": ""},
        criteria={"criteria": loaded.model.id, "version": loaded.model.version, "sha256": sha},
        decisions=decided,
        undecided=undecided,
    )
    _write(HERE / DECISIONS_2023, (found.model_dump_json(indent=1) + "\n").encode())


def succession_example() -> None:
    """A made-up merger in the succession file format: two real 2024 sample units merged into an
    invented code 90001. Not a real mapping."""
    text = (
        "# VÍ DỤ GIẢ ĐỊNH: minh họa định dạng tệp sáp nhập, không phải sáp nhập thật.\n"
        "# Made-up example of the succession format; the new code 90001 does not exist.\n"
        "ma_moi,ten_moi,ma_cu,ten_cu,ngay_hieu_luc\n"
        "90001,Xã Ví Dụ (giả định),07243,Xã Đồng Tiến,01/07/2025\n"
        "90001,Xã Ví Dụ (giả định),07246,Xã Canh Nậu,01/07/2025\n"
    )
    _write(HERE / SUCCESSION_EXAMPLE, text.encode())


RESPONSES_2024 = "bac-giang-2024-phieu-khao-sat.csv"


def survey_responses(units: list[UnitRow], loaded: LoadedCriteria, rng: random.Random) -> str:
    """Raw answers to the 2024 survey forms, one row per respondent, as a form tool exports them
    (long headings, a timestamp, a phone number). Most units are well liked; three units have too
    few citizens' responses, two have a burst of identical answers from one phone within minutes
    (a duplicate and a burst), and a few rows are outside 2024, malformed or from an unknown code."""
    forms = loaded.model.surveys
    questions: list[tuple[str, str]] = []  # (question id, heading), shared by label across forms
    for form in forms:
        for q in form.questions:
            heading = f"Câu hỏi: Ông/bà đánh giá thế nào về “{q.label}”?"
            if heading not in [h for _, h in questions]:
                questions.append((q.label, heading))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["Dấu thời gian", "Mã đơn vị", "Mẫu phiếu", "Số điện thoại", *(h for _, h in questions)])
    column = {label: i for i, (label, _) in enumerate(questions)}
    few = {u.code for u in rng.sample(units, 3)}
    bursts = {u.code for u in rng.sample([u for u in units if u.code not in few], 2)}
    per_form = {"pks01": 12, "pks05": 18, "to_chuc": 12}
    phone = 900_000_000

    def row(when: Any, code: str, form: Any, levels: list[int], number: str, as_labels: bool) -> list[str]:
        cells = [""] * len(questions)
        for q, level in zip(form.questions, levels, strict=True):
            cells[column[q.label]] = form.levels[level - 1] if as_labels else str(level)
        return [f"{when:%d/%m/%Y %H:%M:%S}", code, form.id.upper(), number, *cells]

    import datetime as dt

    for unit in units:
        quality = rng.random()
        for form in forms:
            n = per_form.get(form.id, 17)
            if unit.code in few and form.id not in per_form:
                n = 10
            for _ in range(n):
                phone += 1
                when = dt.datetime(2024, 3, 1, 8) + dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 200))
                top = 0.8 + 0.19 * quality
                levels = [
                    3 if rng.random() < top else (2 if rng.random() < 0.9 else 1) for _ in form.questions
                ]
                writer.writerow(row(when, unit.code, form, levels, f"0{phone}", rng.random() < 0.2))
        if unit.code in bursts:
            form = next(f for f in forms if f.id == "pks05")
            start = dt.datetime(2024, 9, 12, 14, 3)
            for i in range(6):  # one phone, six identical answers in five minutes
                when = start + dt.timedelta(minutes=i)
                number = f"09123456{sorted(bursts).index(unit.code)}{sorted(bursts).index(unit.code)}"
                writer.writerow(row(when, unit.code, form, [3] * len(form.questions), number, False))
    extra = forms[0]
    writer.writerow(
        row(
            dt.datetime(2023, 12, 30, 9),
            units[0].code,
            extra,
            [3] * len(extra.questions),
            "0988000001",
            False,
        )
    )
    writer.writerow(
        row(dt.datetime(2024, 5, 2, 10), "99999", extra, [3] * len(extra.questions), "0988000002", False)
    )
    bad = row(
        dt.datetime(2024, 5, 2, 11), units[1].code, extra, [3] * len(extra.questions), "0988000003", False
    )
    bad[4] = "Rất hài lòng"
    writer.writerow(bad)
    return out.getvalue()


def bac_ninh_2025() -> None:
    """The first year after the reorganisation: the new Bắc Ninh's 99 units (official list,
    vietnam-provinces 2025) appraised by the province's 8 teams, under the model set bac-ninh@2025."""
    units = read_units(HERE / "units" / "bac-ninh-2025-to-tham-dinh.csv")
    loaded = load_criteria(catalog.resolve("bac-ninh@2025"))
    rows = applications(units, loaded, 2025, SEED + 2025 + 1)
    _write(HERE / "bac-ninh-2025.xlsx", filled_template(loaded, units, rows, 2025))


def main() -> None:
    bac_ninh_2025()
    units_bg = read_units(HERE / "units" / "bac-giang.csv")
    for version, year in (("2024", 2024), ("2023", 2023)):
        loaded = load_criteria(catalog.resolve(f"bac-giang@{version}"))
        rows = applications(units_bg, loaded, year, SEED + year)
        if version == "2024":
            _blemishes(rows, random.Random(SEED))
        _write(HERE / f"bac-giang-{version}.xlsx", filled_template(loaded, units_bg, rows, year))
    units_hy = read_units(HERE / "units" / "hung-yen.csv")
    rng = random.Random(SEED + 2025)
    out = io.StringIO()
    writer = csv.writer(out)
    fields = [
        "ma_don_vi",
        "ten_don_vi",
        "nhom_tham_dinh",
        "nam",
        "co_quy_che_dan_chu",
        "co_ban_ttnd",
        "co_cong_trinh_dau_tu",
        "co_ban_gsdtcd",
        "so_hoi_nghi_doi_thoai_mttq",
        "mttq_co_ke_hoach_giam_sat",
    ]
    writer.writerow(fields)
    for u in units_hy:
        project = rng.random() < 0.55
        writer.writerow(
            [
                u.code,
                u.name,
                u.group,
                2025,
                _yn(rng.random() < 0.97),
                _yn(rng.random() < 0.95),
                _yn(project),
                _yn(rng.random() < 0.85) if project else "",
                rng.choices([0, 1, 2], [0.07, 0.6, 0.33])[0],
                _yn(rng.random() < 0.9),
            ]
        )
    _write(HERE / "hung-yen-2025.csv", out.getvalue().encode("utf-8"))
    _write(HERE / "bad-cells.csv", bad_cells_csv().encode("utf-8"))
    team_results(random.Random(SEED + 7))
    decisions_2023()
    succession_example()
    loaded = load_criteria(catalog.resolve("bac-giang@2024"))
    text = survey_responses(units_bg, loaded, random.Random(SEED + 11))
    _write(HERE / RESPONSES_2024, text.encode("utf-8"))


if __name__ == "__main__":
    main()
