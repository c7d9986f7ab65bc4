"""What the tool keeps for itself is its owner's only: a new store file 0600 (its folder 0700 when
the tool makes it), the portal's data folder 0700, its secret 0600, every attachment 0600 in
folders 0700; a secret restored readable by others is refused with one line."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from portal_helpers import make_portal

from cli import main
from engine.errors import CqttError
from engine.portal import accounts, dossiers, files
from web.config import PortalConfig

ROOT = Path(__file__).parent.parent
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def _usual_umask() -> object:
    before = os.umask(0o022)  # what a server's account usually has: files 0644 unless asked
    yield
    os.umask(before)


def test_a_new_store_and_the_default_folder_are_the_owners_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CQTT_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    evidence = str(ROOT / "samples/bac-giang-2024.xlsx")
    for db in (["--db", str(tmp_path / "lich-su.sqlite")], ["--db"]):
        done = CliRunner().invoke(
            main,
            [
                "score",
                evidence,
                "--criteria",
                "bac-giang@2024",
                "--json",
                str(tmp_path / "k.json"),
                "--force",
                *db,
            ],
        )
        assert done.exit_code == 0, done.output
    assert _mode(tmp_path / "lich-su.sqlite") == 0o600
    default = tmp_path / "data" / "cqtt"
    assert _mode(default) == 0o700
    assert [(p.name, _mode(p)) for p in sorted(default.iterdir()) if p.suffix == ".sqlite"] == [
        ("lich-su.sqlite", 0o600)
    ]


def test_the_portals_data_secret_and_attachments_are_the_owners_only(tmp_path: Path) -> None:
    portal = make_portal(str(tmp_path / "cong.sqlite"), tmp_path)
    try:
        data = portal.config.data_dir
        assert _mode(data) == 0o700 and _mode(data / "bi-mat.key") == 0o600
        xa = accounts.find(portal.store, portal.logins["xa"])
        application = dossiers.application_id(portal.store, 2024, portal.unit)
        kept = files.add(
            portal.store,
            xa,
            "test",
            application,
            "khac",
            io.BytesIO(PDF),
            "a.pdf",
            portal.config.files,
            10**6,
            "t",
        )
        path = files.path_of(portal.config.files, kept.sha256)
        assert _mode(path) == 0o600 and _mode(path.parent) == 0o700 and _mode(portal.config.files) == 0o700
    finally:
        portal.close()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_secret_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    config = PortalConfig(db=str(tmp_path / "c.sqlite"), data_dir=tmp_path / "du-lieu")
    config.secret_key()
    secret = tmp_path / "du-lieu" / "bi-mat.key"
    secret.chmod(mode)
    with pytest.raises(CqttError) as refused:
        config.secret_key()
    assert str(refused.value) == (
        f"{secret}: tệp bí mật của cổng đọc được bởi người khác (quyền {mode:04o}); "
        f"chỉ chủ sở hữu được đọc: chmod 600 {secret}"
    )
    secret.chmod(0o600)
    assert len(config.secret_key()) == 32
