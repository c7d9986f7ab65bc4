"""The year's units as each serving process holds them (engine.portal.overview.year_view): brought
up to date by reading again only the units that changed, counted exactly as the database counts
them, and never missing a change a slow transaction committed after a later one (its id is below
the latest the process had seen: the count of rows tells)."""

from __future__ import annotations

from pathlib import Path

import pytest
from portal_helpers import ROOT, YEAR, Portal, make_portal
from sqlalchemy import func, select, update

from engine.clock import now
from engine.portal import dossiers, overview
from engine.portal.demo import appraise_as_submitted
from engine.store import dossiers as dossier_rows
from engine.store.schema import applications, transitions


@pytest.fixture()
def portal(tmp_path: Path) -> Portal:
    made = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    done = dossiers.upload_workbook(
        made.store, None, "test", YEAR, None, ROOT / "samples/bac-giang-2024.xlsx", "bac-giang-2024.xlsx"
    )
    made.submitted = done.submitted  # type: ignore[attr-defined]
    yield made
    made.close()


def _agrees(portal: Portal) -> None:
    held = overview.dashboard(portal.store, YEAR)
    counted = overview.count_dashboard(portal.store, YEAR)
    assert held.province == counted.province and held.districts == counted.districts
    with portal.store.read() as conn:
        fresh = overview._view_of(YEAR, (), dossier_rows.unit_rows(conn, YEAR))
    assert overview.listed_rows(portal.store, YEAR) == list(fresh.listed.values())


def test_only_the_units_that_changed_are_read_again(portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    first = overview.year_view(portal.store, YEAR)
    assert overview.year_view(portal.store, YEAR) is first  # nothing changed: the same view
    read: list[list[str]] = []
    original = dossier_rows.unit_rows

    def counted(conn: object, year: int, group: str | None = None, codes: object = None) -> list[object]:
        read.append(sorted(codes) if codes is not None else ["(every unit)"])  # type: ignore[arg-type]
        return original(conn, year, group, codes)  # type: ignore[arg-type]

    monkeypatch.setattr(dossier_rows, "unit_rows", counted)
    appraise_as_submitted(portal.store, YEAR, portal.submitted[:7])  # type: ignore[attr-defined]
    after = overview.year_view(portal.store, YEAR)
    assert after is not first and read == [sorted(portal.submitted[:7])]  # type: ignore[attr-defined]
    assert all(after.rows[c].state == "da_tham_dinh" for c in portal.submitted[:7])  # type: ignore[attr-defined]
    assert first.rows[portal.submitted[0]].state == "da_nop"  # type: ignore[attr-defined]  # never changed in place
    monkeypatch.setattr(dossier_rows, "unit_rows", original)
    _agrees(portal)


def test_a_change_committed_late_under_a_seen_id_is_not_missed(portal: Portal) -> None:
    """Two writers: the first takes a transition id, the second a later one and commits first; the
    process reads the store between the two commits. The first's row then adds to the count of
    transitions without raising the latest id: the view is read again whole."""
    code = portal.submitted[0]  # type: ignore[attr-defined]
    with portal.store.write() as conn:
        latest = conn.execute(select(func.max(transitions.c.id))).scalar_one()
        application = conn.execute(
            select(applications.c.id).where(
                (applications.c.year == YEAR) & (applications.c.unit_code == code)
            )
        ).scalar_one()
        dossier_rows.add_transition(  # the second writer, committed first
            conn, id=latest + 10, application_id=application, from_state="da_nop", to_state="da_nop",
            account_id=None, at=now(), comment="", items="[]",
        )  # fmt: skip
    held = overview.year_view(portal.store, YEAR)
    assert held.rows[code].state == "da_nop"
    with portal.store.write() as conn:  # the first writer, committed last, with the lower id
        conn.execute(update(applications).where(applications.c.id == application).values(state="can_bo_sung"))
        dossier_rows.add_transition(
            conn, id=latest + 5, application_id=application, from_state="da_nop", to_state="can_bo_sung",
            account_id=None, at=now(), comment="", items="[]",
        )  # fmt: skip
    assert overview.year_view(portal.store, YEAR).rows[code].state == "can_bo_sung"
    _agrees(portal)
