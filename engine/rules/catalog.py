"""Find criteria files: a path, or `SET@VERSION` / `SET` among the bundled sets.

Bundled sets live in the `criteria` package (one folder per set, `<version>.yaml` with
`<version>.tests.yaml` beside it). They are located through `importlib.resources`, so they are
found the same way from a source checkout, an editable install or a wheel.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import yaml

from engine.errors import CriteriaNotFound
from engine.suggest import did_you_mean

TESTS_SUFFIX = ".tests.yaml"


def bundled_root() -> Path:
    return Path(str(files("criteria")))


def is_rule_file(path: Path) -> bool:
    return path.suffix in (".yaml", ".yml") and not path.name.endswith(TESTS_SUFFIX)


def tests_file_for(rule_file: Path) -> Path:
    return rule_file.with_name(rule_file.stem + TESTS_SUFFIX)


def rule_files(paths: list[Path]) -> list[Path]:
    """Rule files named or found under the given paths (tests files left out), sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.y*ml")) if is_rule_file(p))
        else:
            found.append(path)
    return found


@dataclass(frozen=True)
class Entry:
    set_id: str
    version: str
    path: Path
    effective_from: dt.date | None
    effective_to: dt.date | None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split(".") if p.isdigit())


def entries(root: Path | None = None) -> list[Entry]:
    """Every bundled rule file with its version and effective period (read cheaply, not checked)."""
    return _entries(rule_files([root or bundled_root()]))


def entries_in(folder: Path) -> list[Entry]:
    """The rule files directly in one folder (not below it), read as `entries` reads them."""
    return _entries([p for p in sorted(folder.glob("*.y*ml")) if is_rule_file(p)])


def _entries(paths: list[Path]) -> list[Entry]:
    found = []
    for path in paths:
        try:
            head = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, OSError, UnicodeDecodeError):
            continue
        if not isinstance(head, dict):
            continue
        eff = head.get("effective") or {}
        found.append(
            Entry(
                str(head.get("id", path.parent.name)),
                str(head.get("version", path.stem)),
                path,
                eff.get("from"),
                eff.get("to"),
            )
        )
    return sorted(found, key=lambda e: (e.set_id, _version_key(e.version)))


def resolve(ref: str, year: int | None = None, root: Path | None = None) -> Path:
    """A rule file from a path or a reference such as `bac-giang@2024` or `bac-giang`.

    Without a version, the version in force in `year` is chosen (the newest when no year is given).
    """
    candidate = Path(ref)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise CriteriaNotFound(f"không tìm thấy tệp tiêu chí “{ref}”")
        return candidate
    match = re.fullmatch(r"([a-z0-9-]+)(?:@([0-9.]+))?", ref.strip())
    if not match:
        raise CriteriaNotFound(f"“{ref}” không phải đường dẫn hay mã bộ tiêu chí (dạng bac-giang@2024)")
    set_id, version = match.groups()
    known = entries(root)
    versions = [e for e in known if e.set_id == set_id]
    if not versions:
        hint = did_you_mean(set_id, sorted({e.set_id for e in known}))
        raise CriteriaNotFound(f"không có bộ tiêu chí “{set_id}”" + (f"; {hint}" if hint else ""))
    if version:
        exact = [e for e in versions if e.version == version]
        if not exact:
            have = ", ".join(e.version for e in versions)
            raise CriteriaNotFound(f"bộ “{set_id}” không có phiên bản {version} (có: {have})")
        return exact[0].path
    if year is None:
        return versions[-1].path
    in_force = [
        e
        for e in versions
        if e.effective_from
        and e.effective_from.year <= year
        and (e.effective_to is None or e.effective_to.year >= year)
    ]
    if not in_force:
        raise CriteriaNotFound(f"bộ “{set_id}” không có phiên bản hiệu lực năm {year}")
    return in_force[-1].path
