"""Whether a team's results file is as cqtt wrote it: each unit's cells against the seal written
with them, the run seal over all of them, rows added or doubled by hand, a seal sheet deleted.
Used by the re-check and by the field-check draw (a typed-over result must not steer the draw)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from engine.intake.binding import BINDING_SHEET
from engine.review.discrepancies import Discrepancy
from engine.review.teamfile import TeamResults
from engine.rules.model import CriteriaSet
from engine.scoring.seal import PARTS, UnitContent, digest, run_seal


class SealStatus(BaseModel):
    present: bool
    deleted: bool = False  # the book's cqtt writes a seal, but the seal sheet is gone
    run_seal_ok: bool | None = None  # the table of unit seals is itself intact
    units_checked: int = 0
    units_edited: int = 0
    parts_unchecked: list[str] = Field(default_factory=list)


def _duplicate_rows(team: TeamResults) -> list[Discrepancy]:
    """A unit on two rows of a sheet (or twice in a JSON): added by hand, whatever the seal says."""
    found = []
    for code, sheet, first, second in team.duplicates:
        if sheet == "JSON":
            label = (
                f"JSON: đơn vị có hai mục (units[{first - 1}] và units[{second - 1}]); chỉ mục đầu được đọc"
            )
            where = f"units[{second - 1}]"
        else:
            label = f"{sheet}: đơn vị có hai dòng (dòng {first} và dòng {second}); chỉ dòng đầu được đọc"
            where = f"{sheet}!A{second}"
        found.append(
            Discrepancy(
                unit=code,
                kind="hand_edit",
                item="duplicate",
                label="Sửa tay sau khi ghi: " + label,
                where=where,
            )  # fmt: skip
        )
    return found


def check_seal(cs: CriteriaSet, team: TeamResults) -> tuple[SealStatus, list[Discrepancy]]:
    """Recompute each unit's digests from the cells found and compare them with the seal."""
    seals = team.identity.seals
    if seals is None:
        deleted = []
        if team.identity.binding_deleted:
            deleted.append(
                Discrepancy(
                    unit="(cả sổ)",
                    kind="hand_edit",
                    item="binding",
                    label=f"Sửa tay sau khi ghi: sheet ẩn {BINDING_SHEET} (niêm phong) đã bị xóa khỏi sổ do "
                    f"{team.identity.tool} ghi; không kiểm tra được các sửa tay khác",
                    where=BINDING_SHEET,
                )
            )
        return SealStatus(present=False, deleted=bool(deleted)), [*deleted, *_duplicate_rows(team)]
    status = SealStatus(present=True)
    status.run_seal_ok = (
        team.identity.sha256 is not None
        and team.identity.run_seal is not None
        and run_seal(team.identity.sha256, seals) == team.identity.run_seal
    )
    found: list[Discrepancy] = []
    if status.run_seal_ok is False:
        found.append(
            Discrepancy(
                unit="(cả sổ)",
                kind="hand_edit",
                item="run_seal",
                label="Sửa tay sau khi ghi: niêm phong của cả lần chấm không khớp (đơn vị bị xóa, thêm, "
                "hoặc niêm phong bị sửa)",
                where="seal" if team.identity.kind == "json" else BINDING_SHEET,
            )
        )
    said = team.identity.summary_units
    if said is not None and said != len(team.units) + len(team.duplicates):
        found.append(
            Discrepancy(
                unit="(cả sổ)",
                kind="hand_edit",
                item="unit_count",
                label=f"Sửa tay sau khi ghi: phần tóm tắt ghi {said} đơn vị nhưng tệp có "
                f"{len(team.units) + len(team.duplicates)} mục đơn vị",
                where="summary.units",
            )
        )
    sheet_of = {"ranking": "ranking", "criteria": "detail", "evidence": "evidence"}
    status.parts_unchecked = [
        p for p in PARTS if team.identity.kind == "xlsx" and sheet_of[p] not in team.found
    ]
    for code in sorted(seals):
        content = team.contents.get(code, UnitContent(code))
        edited: list[str] = []
        for part in PARTS:
            if part in status.parts_unchecked:
                continue
            expected = seals[code].get(part)
            found_part = getattr(content, part)
            if found_part is None:
                edited.append(f"{_part_sheet(team, part)}: dòng của đơn vị đã bị xóa")
            elif expected != digest(part, found_part):
                edited.append(f"{_part_sheet(team, part)}: giá trị khác với lúc ghi")
        status.units_checked += 1
        if edited:
            status.units_edited += 1
            tu = team.units.get(code)
            parts = [p for p in PARTS if any(e.startswith(_part_sheet(team, p)) for e in edited)]
            where = _part_sheet(team, parts[0]) if parts else ""
            if parts and parts[0] == "ranking" and tu and "total" in tu.where:
                where = tu.where["total"].split("!")[0] + "!" + tu.where["total"].split("!")[-1]
            found.append(
                Discrepancy(
                    unit=code,
                    kind="hand_edit",
                    item=",".join(parts),
                    label="Sửa tay sau khi ghi: " + "; ".join(edited),
                    where=where,
                )
            )
    already = {d.unit for d in found if d.kind == "hand_edit"}
    found += _duplicate_rows(team)
    status.units_edited += len({code for code, *_ in team.duplicates} - already)
    for code in sorted(set(team.contents) - set(seals)):
        status.units_edited += 1
        found.append(
            Discrepancy(
                unit=code,
                kind="hand_edit",
                item="added",
                label="Sửa tay sau khi ghi: đơn vị được thêm vào sổ, không có trong niêm phong",
                where=team.units[code].where.get("total", "") if code in team.units else "",
            )
        )
    return status, found


def _part_sheet(team: TeamResults, part: str) -> str:
    if team.identity.kind == "json":
        return "JSON"
    role = {"ranking": "ranking", "criteria": "detail", "evidence": "evidence"}[part]
    return team.found.get(role, role)
