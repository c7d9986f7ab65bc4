"""The layers: rules are data, engine/ reads, scores and writes, cli.py and web/ are faces over it.

Nothing in engine/ imports the faces (cli, web) or the application functions above it
(engine.jobs, engine.portal) and no module of engine/ or scorers/ takes part in an import cycle,
counting imports made inside functions too: a cycle hidden in a function is still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent
APPLICATION = ("engine.jobs", "engine.portal")
FACES = ("cli", "web")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in ("engine", "scorers", "web"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    found["cli"] = ROOT / "cli.py"
    return found


def _imports(path: Path, known: set[str]) -> set[str]:
    """Every project module a file imports, wherever the import statement is."""
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(path, known) - {name} for name, path in modules.items()}


def _layer(name: str) -> str:
    if name.startswith(FACES):
        return "face"
    if name.startswith(APPLICATION):
        return "application"
    return "engine"


def test_engine_never_imports_the_layers_above_it() -> None:
    wrong = []
    for name, imported in _graph().items():
        if _layer(name) != "engine":
            continue
        for other in imported:
            if _layer(other) != "engine":
                wrong.append(f"{name} imports {other}")
    assert wrong == []


def test_application_functions_never_import_the_faces() -> None:
    wrong = [
        f"{name} imports {other}"
        for name, imported in _graph().items()
        if _layer(name) == "application"
        for other in imported
        if _layer(other) == "face"
    ]
    assert wrong == []


def test_no_import_cycles_in_the_engine() -> None:
    graph = {
        name: {m for m in imported if not m.startswith(FACES)}
        for name, imported in _graph().items()
        if not name.startswith(FACES)
    }
    # a package importing its own submodules (an __init__ that re-exports) is not a cycle
    graph = {
        name: {m for m in imported if not m.startswith(name + ".") and not name.startswith(m + ".")}
        for name, imported in graph.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(stack[stack.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    assert [" → ".join(c) for c in cycles] == []
