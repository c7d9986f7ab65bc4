"""The layers, as a tested fact: rules are data, engine/ reads, scores and writes, cli.py and web/
are faces over it.

The order, lowest first (a module imports only from its own layer and the layers below it):

    ground       engine.errors, numbers, text, clock, hashing, suggest, spool, allocator
    rules        engine.rules and scorers (the point methods the rules name)
    intake       engine.intake: evidence, unit lists, survey responses in
    scoring      engine.scoring: the engine, results, rule tests, two runs compared
    outputs      engine.outputs: workbooks, JSON, records written
    review       engine.review: the province's re-check, field checks, decisions read back
    store        engine.store: the history store, the only SQL
    application  engine.jobs (the CLI's), engine.portal (the portal's)
    faces        cli, web

Imports made inside functions count: a hidden upward import is still one. No module takes part in
an import cycle. SQLAlchemy and Alembic are imported only by engine.store, durable_rules only by
engine.scoring.rete, click only by the command line, Flask only by web.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parent.parent
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "ground",
        (
            "engine.errors",
            "engine.numbers",
            "engine.text",
            "engine.clock",
            "engine.hashing",
            "engine.suggest",
            "engine.spool",
            "engine.allocator",
            "engine.era",
        ),
    ),
    ("rules", ("engine.rules", "scorers")),
    ("intake", ("engine.intake",)),
    ("scoring", ("engine.scoring",)),
    ("outputs", ("engine.outputs",)),
    ("review", ("engine.review",)),
    ("store", ("engine.store",)),
    ("application", ("engine.jobs", "engine.portal")),
    ("faces", ("cli", "web")),
]
# Third-party packages only one part of the code may import.
CONFINED: dict[str, tuple[str, ...]] = {
    "sqlalchemy": ("engine.store",),
    "alembic": ("engine.store",),
    "durable_rules": ("engine.scoring.rete",),
    "durable": ("engine.scoring.rete",),
    "click": ("cli",),
    "flask": ("web",),
    "flask_wtf": ("web",),
    "werkzeug": ("web",),
    "waitress": ("web",),
    "vietnam_provinces": ("engine.intake.official",),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for package in ("engine", "scorers", "web"):
        for path in (ROOT / package).rglob("*.py"):
            found[_module_name(path)] = path
    found["cli"] = ROOT / "cli.py"
    return found


def _imported_names(path: Path) -> set[str]:
    """Every module name a file imports (absolute), wherever the import statement is."""
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    package = _module_name(path).rpartition(".")[0] if path.name != "__init__.py" else _module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the file's package
                parent = package.split(".")
                parent = parent[: len(parent) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(f"{base}.{a.name}" for a in node.names)
    return names


def _project_imports(path: Path, known: set[str]) -> set[str]:
    found: set[str] = set()
    for name in _imported_names(path):
        while name and name not in known:
            name = name.rpartition(".")[0]
        if name:
            found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {
        name: _project_imports(path, known) - {name}
        for name, path in modules.items()
        if "migrations" not in path.parts
    }


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def layer_of(name: str) -> int:
    for index, (_, prefixes) in enumerate(LAYERS):
        if _within(name, prefixes):
            return index
    if name == "engine":
        return 0
    raise AssertionError(f"{name} belongs to no layer: add it to LAYERS in tests/test_architecture.py")


def test_every_module_has_a_layer() -> None:
    unplaced = []
    for name in _graph():
        try:
            layer_of(name)
        except AssertionError as exc:
            unplaced.append(str(exc))
    assert unplaced == []


def test_every_import_goes_down_the_layers_or_stays_in_its_own() -> None:
    upward = [
        f"{name} ({LAYERS[layer_of(name)][0]}) imports {other} ({LAYERS[layer_of(other)][0]})"
        for name, imported in sorted(_graph().items())
        for other in sorted(imported)
        if layer_of(other) > layer_of(name)
    ]
    assert upward == []


def test_the_layers_are_the_ones_the_readme_draws() -> None:
    """A change of the order is a change of the architecture: the README's picture says it too."""
    readme = (ROOT / "README.md").read_text("utf-8")
    for name, _ in LAYERS[1:]:
        assert f"{name}/" in readme or name in ("application", "faces"), name


def test_libraries_are_confined_to_their_part() -> None:
    modules = _modules()
    wrong = []
    for name, path in sorted(modules.items()):
        for imported in _imported_names(path):
            top = imported.partition(".")[0]
            allowed = CONFINED.get(top)
            if allowed is not None and not _within(name, allowed):
                wrong.append(f"{name} imports {imported} (only {', '.join(allowed)} may)")
    assert sorted(set(wrong)) == []


def test_no_import_cycles() -> None:
    graph = _graph()
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


def test_the_check_sees_an_upward_import() -> None:
    """The test above is not vacuous: an import of the store from intake is caught."""
    assert layer_of("engine.store.connect") > layer_of("engine.intake.evidence")
    assert layer_of("web.views.units") == len(LAYERS) - 1
