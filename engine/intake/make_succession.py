"""Make the bundled table of the 2025 reorganisation (which old commune-level units formed each new
one) from vietnamadminunits' open dataset (MIT licence; its legacy and 2025 tables and its
converter's lists), run when a new release of it corrects the data:

    pip download --no-deps vietnamadminunits==1.0.4
    python -m engine.intake.make_succession vietnamadminunits-1.0.4-py3-none-any.whl

Writes engine/intake/data/sap-nhap-2025.csv.gz: ma_moi, ten_moi, ma_cu, ten_cu, ngay_hieu_luc,
tinh_moi, phan ("toàn bộ": the old unit went whole into the new one; "một phần": it was split, and
appears under each new unit that took part of it). A unit that kept its code is not listed (its
history is already under that code).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

TARGET = Path(__file__).parent / "data" / "sap-nhap-2025.csv.gz"
EFFECTIVE = "01/07/2025"


def rows_from(wheel: Path) -> list[tuple[str, str, str, str, str, str, str]]:
    with zipfile.ZipFile(wheel) as z:
        converter = json.loads(z.read("vietnamadminunits/data/converter_2025.json"))
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "dataset.db"
            db.write_bytes(z.read("vietnamadminunits/data/dataset.db"))
            conn = sqlite3.connect(db)
            legacy = {
                f"{p}_{d}_{w}": (code, name)
                for p, d, w, code, name in conn.execute(
                    "SELECT provinceKey, districtKey, wardKey, wardCode, ward FROM admin_units_legacy"
                )
            }
            new = {
                (p, w): (code, name, province)
                for p, w, code, name, province in conn.execute(
                    "SELECT provinceKey, wardKey, wardCode, ward, province FROM admin_units"
                )
            }
            conn.close()
    found = set()
    for province, wards in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for ward, olds in wards.items():
            if (province, ward) not in new:
                continue
            code, name, province_name = new[(province, ward)]
            for old in olds:
                if old in legacy and legacy[old][0] != code:
                    found.add((code, name, *legacy[old], EFFECTIVE, province_name, "toàn bộ"))
    for province, olds in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            for part in parts:
                if old not in legacy or (province, part["newWardKey"]) not in new:
                    continue
                code, name, province_name = new[(province, part["newWardKey"])]
                if legacy[old][0] != code:
                    found.add((code, name, *legacy[old], EFFECTIVE, province_name, "một phần"))
    return sorted(found)


def main() -> None:
    rows = rows_from(Path(sys.argv[1]))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["ma_moi", "ten_moi", "ma_cu", "ten_cu", "ngay_hieu_luc", "tinh_moi", "phan"])
    writer.writerows(rows)
    TARGET.write_bytes(gzip.compress(out.getvalue().encode("utf-8"), mtime=0))
    print(f"{TARGET}: {len(rows)} dòng")


if __name__ == "__main__":
    main()
