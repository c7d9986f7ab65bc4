"""A throwaway portal for a first look (`cqtt web --demo`): the sample province (Bắc Giang before
2025, 195 units), its 2023 results and decisions in the history, 2023 appraised and sent, 2024 part
way through (some districts submitted, some appraised, one sent); and 2025, the first year after
the reorganisation: the new Bắc Ninh (99 units from the official list, 8 appraisal teams), its
applications submitted and two teams' appraised, the history of each new ward carrying its old
communes' results. One account per role; the team account is on a district in 2024 and on team 1
in 2025.

Everything lives in a temporary folder; the sample files come from the source tree's `samples/`.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from engine import jobs
from engine.errors import CqttError
from engine.portal import accounts, dossiers, units
from engine.store.connect import Store, open_store

DEMO_DISTRICT = "Huyện Lục Nam"
SENT_DISTRICT = "Huyện Hiệp Hòa"
NOT_STARTED = {"Huyện Sơn Động", "Thị xã Chũ"}  # districts with nothing submitted in 2024
TEAMS_2025 = "bac-ninh-2025-to-tham-dinh.csv"
DEMO_TEAM_2025 = "Tổ thẩm định số 1 — cụm Phường Bắc Giang"


def samples_folder() -> Path:
    """The sample files: ./samples when run from a clone, else the source tree's."""
    for candidate in (Path.cwd() / "samples", Path(__file__).resolve().parents[2] / "samples"):
        if (candidate / "units" / "bac-giang.csv").is_file():
            return candidate
    raise CqttError(
        "không tìm thấy thư mục samples/ của cqtt (cần cho --demo): chạy lệnh trong thư mục mã nguồn cqtt"
    )


@dataclass
class Demo:
    folder: Path
    db: str
    data_dir: Path
    logins: dict[str, tuple[str, str]] = field(default_factory=dict)  # role -> (login, password)
    unit: str = ""  # the commune of the demo account


def build(folder: Path | None = None, quiet: bool = True) -> Demo:
    samples = samples_folder()
    root = folder or Path(tempfile.mkdtemp(prefix="cqtt-demo-"))
    db = str(root / "cong-thong-tin.sqlite")
    demo = Demo(root, db, root / "du-lieu")
    unit_list = samples / "units" / "bac-giang.csv"
    jobs.score([samples / "bac-giang-2023.xlsx"], "bac-giang@2023", None, None, None, db=db)
    jobs.decisions_to_store(samples / "bac-giang-2023-quyet-dinh.json", db, None, None)
    store = open_store(db)
    try:
        units.load(store, unit_list, 2023, "bac-giang@2023", label="samples/units/bac-giang.csv")
        units.load(store, unit_list, 2024, "bac-giang@2024", label="samples/units/bac-giang.csv")
        _year_2023(store, samples)
        demo.unit = _year_2024(store, samples)
        _year_2025(store, samples)
        demo.logins = _accounts(store, demo.unit)
        accounts.assign_team(store, "lucnam", 2025, DEMO_TEAM_2025, None, "demo")
    finally:
        store.close()
    return demo


def appraise_as_submitted(store: Store, year: int, codes: list[str]) -> None:
    """Verify each unit's values as submitted, and finalise (as a team that found nothing wrong)."""
    for code in codes:
        d = dossiers.dossier(store, year, code)
        assert d is not None
        declared = dossiers.latest(dossiers.versions(store, d.id), "declared")
        assert declared is not None
        dossiers.save_verified(store, None, "demo", year, code, declared.data, {})
        dossiers.finalise(store, None, "demo", year, code)


def _year_2023(store: Store, samples: Path) -> None:
    done = dossiers.upload_workbook(
        store, None, "demo", 2023, None, samples / "bac-giang-2023.xlsx", "bac-giang-2023.xlsx"
    )
    appraise_as_submitted(store, 2023, done.submitted)
    for district, _ in units.districts(store, 2023):
        dossiers.send_to_province(store, None, "demo", 2023, district)


def _year_2024(store: Store, samples: Path) -> str:
    """2024 part way: every district but two has its units in; most are appraised, one district
    has sent its list. The demo commune (the first unit of Huyện Lục Nam) has not started."""
    listed = units.all_units(store, 2024)
    mine = next(u.code for u in listed if u.district == DEMO_DISTRICT)
    done = dossiers.upload_workbook(
        store, None, "demo", 2024, None, _without(samples, listed, mine), "minh-chung-2024.xlsx"
    )
    district_of = {u.code: u.district for u in listed}
    lucnam = [c for c in done.submitted if district_of[c] == DEMO_DISTRICT]
    appraised = [c for c in done.submitted if district_of[c] != DEMO_DISTRICT] + lucnam[: len(lucnam) // 2]
    appraise_as_submitted(store, 2024, appraised)
    dossiers.send_to_province(store, None, "demo", 2024, SENT_DISTRICT)
    return mine


def _year_2025(store: Store, samples: Path) -> None:
    """The new Bắc Ninh: its official list with the province's teams, every unit submitted, the
    first two teams' appraisals done; the 2025 reorganisation's table in the history."""
    from engine.intake.official import official_succession
    from engine.store.record import record_succession

    units.load_official(store, "Bắc Ninh", 2025, "bac-ninh@2025", samples / "units" / TEAMS_2025)
    done = dossiers.upload_workbook(
        store, None, "demo", 2025, None, samples / "bac-ninh-2025.xlsx", "bac-ninh-2025.xlsx"
    )
    district_of = {u.code: u.district for u in units.all_units(store, 2025)}
    first_teams = sorted(set(district_of.values()))[:2]
    appraise_as_submitted(store, 2025, [c for c in done.submitted if district_of[c] in first_teams])
    rows, source = official_succession("Bắc Ninh")
    record_succession(store, rows, source)


def _without(samples: Path, listed: list[units.Unit], mine: str) -> Path:
    """The 2024 sample with the demo commune's row and the districts that have not started left
    blank (code and name only): they are "chưa nộp"."""
    from openpyxl import load_workbook

    skip = {mine} | {u.code for u in listed if u.district in NOT_STARTED}
    book = load_workbook(samples / "bac-giang-2024.xlsx")
    sheet = book["Nhập liệu"]
    keys = [c.value for c in sheet[3]]
    for row in sheet.iter_rows(min_row=4):
        if row[0].value in skip:
            for cell, key in zip(row, keys, strict=False):
                if key not in ("ma_don_vi", "ten_don_vi", "nhom_tham_dinh", "nam"):
                    cell.value = None
    path = Path(tempfile.mkdtemp(prefix="cqtt-demo-")) / "minh-chung-2024.xlsx"
    book.save(path)
    return path


def _accounts(store: Store, unit: str) -> dict[str, tuple[str, str]]:
    made: dict[str, tuple[str, str]] = {}
    for role, login, options in (
        ("quan-tri", "quantri", {}),
        ("tinh", "phuctra", {}),
        ("chinh-sach", "chinhsach", {}),
        ("huyen", "lucnam", {"district": DEMO_DISTRICT}),
        ("xa", f"xa{unit}", {"unit": unit}),
    ):
        account, password = accounts.add(
            store, login, role, options.get("unit"), options.get("district"), f"Tài khoản mẫu ({role})"
        )
        made[role] = (account.login, password)
    accounts.keep_printed_passwords(store)  # a demonstration: the printed passwords work as they are
    return made


def describe(demo: Demo) -> list[str]:
    lines = [f"Cổng thử nghiệm trong {demo.folder} (xóa thư mục này khi xong)."]
    for role, (login, password) in demo.logins.items():
        from engine.portal.roles import ROLES

        lines.append(f"  {ROLES[role]:<24} {login:<12} mật khẩu: {password}")
    return lines
