"""Shared fixtures: bundled criteria, engines, and helpers to build evidence and rule files."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine.rules import catalog
from engine.rules.loader import LoadedCriteria, load_criteria
from engine.scoring.engine import Engine

TESTS = Path(__file__).parent
DATA = TESTS / "data"
ROOT = TESTS.parent

# A shell starts a background job (`pytest … &`) with Ctrl-C ignored, and ignored it stays in every
# process the tests start, so the tests of an interrupted run saw their `cqtt` finish instead. A
# handler of our own is reset to the default in a started process: Ctrl-C reaches it again.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session")
def bg2024() -> LoadedCriteria:
    return load_criteria(catalog.resolve("bac-giang@2024"))


@pytest.fixture(scope="session")
def hy2025() -> LoadedCriteria:
    return load_criteria(catalog.resolve("hung-yen@2025"))


@pytest.fixture(scope="session")
def bg2023() -> LoadedCriteria:
    return load_criteria(catalog.resolve("bac-giang@2023"))


@pytest.fixture(scope="session")
def engine2024(bg2024: LoadedCriteria) -> Engine:
    return Engine(bg2024)


@pytest.fixture(scope="session")
def full_unit_2024() -> dict[str, Any]:
    """The evidence of a unit that scores 100/100 under bac-giang@2024 (the tests file defaults)."""
    tests = yaml.safe_load((ROOT / "criteria/bac-giang/2024.tests.yaml").read_text("utf-8"))
    return dict(tests["defaults"])


@pytest.fixture()
def minimal_text() -> str:
    return (DATA / "minimal.yaml").read_text("utf-8")


# -- history stores: an SQLite file, and a real PostgreSQL server started for the session ------------
@pytest.fixture(scope="session")
def pg_server():  # type: ignore[no-untyped-def]
    import os

    import pgserver

    try:
        server = pgserver.start()
    except FileNotFoundError as exc:
        if os.environ.get("CQTT_REQUIRE_POSTGRES"):
            pytest.fail(f"CQTT_REQUIRE_POSTGRES is set but the server cannot start: {exc}")
        pytest.skip(f"PostgreSQL tests skipped: {exc} (apt-get install postgresql)")
    except RuntimeError as exc:
        pytest.fail(str(exc))
    yield server
    server.stop()


_databases = iter(range(1, 10_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty store on each backend: what `--db` is given."""
    if request.param == "sqlite":
        return str(tmp_path / "lich-su.sqlite")
    server = request.getfixturevalue("pg_server")
    return server.create_database(f"cqtt_test_{next(_databases)}")
