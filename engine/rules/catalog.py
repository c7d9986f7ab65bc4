"""Find criteria files: a path, or `SET@VERSION` / `SET` among the province's own rules folders
and the bundled sets.

Bundled sets live in the `criteria` package (one folder per set, `<version>.yaml` with
`<version>.tests.yaml` beside it). They are located through `importlib.resources`, so they are
found the same way from a source checkout, an editable install or a wheel. After `pip install .`
that is a copy inside the installation: a province keeps its own rules in a folder it registers
(`cqtt --rules DIR`, or `CQTT_RULES`, several joined by the path separator), searched first; a
set there with the same id and version as a bundled one is the one used.
"""

from __future__ import annotations

import datetime as dt
import os
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


def registered_roots() -> list[Path]:
    """The province's rules folders, in the order searched: --rules, then CQTT_RULES."""
    from engine.rules.registered import rules_folders

    env = [Path(p) for p in os.environ.get("CQTT_RULES", "").split(os.pathsep) if p.strip()]
    return [*rules_folders, *env]


def twin_of(path: Path) -> Path | None:
    """The same set and version in the other place (a registered folder or the bundled sets)
    with different content: a policy officer editing one copy while the other is read."""
    mine = next((e for e in _entries([path])), None)
    resolved = path.resolve()
    roots = [r.resolve() for r in (*registered_roots(), bundled_root())]
    if mine is None or not any(resolved.is_relative_to(r) for r in roots):
        return None  # a file named by its path (a draft): what was asked for is what is read
    for entry in [*_entries(rule_files(registered_roots())), *entries(bundled_root())]:
        if (entry.set_id, entry.version) == (mine.set_id, mine.version) and entry.path.resolve() != resolved:
            try:
                if entry.path.read_bytes() != path.read_bytes():
                    return entry.path
            except OSError:
                continue
    return None


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
    """Every rule file with its version and effective period (read cheaply, not checked): those
    under `root`, or the registered folders' and then the bundled sets not shadowed by them."""
    if root is not None:
        return _entries(rule_files([root]))
    own = _entries(rule_files([r for r in registered_roots() if r.is_dir()]))
    taken = {(e.set_id, e.version) for e in own}
    bundled = [e for e in _entries(rule_files([bundled_root()])) if (e.set_id, e.version) not in taken]
    return sorted([*own, *bundled], key=lambda e: (e.set_id, _version_key(e.version)))


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
