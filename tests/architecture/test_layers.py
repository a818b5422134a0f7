"""The tree says what ARCHITECTURE.md says: stages import only the stages before them, no module
imports another in a cycle, and no underscore name crosses a module boundary.

Every ``import`` of the package counts, at module level or inside a function."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import networkx as nx

PACKAGE = Path(__file__).resolve().parents[2] / "wenze"

# The pipeline, in order: a stage may import itself and any stage of an earlier layer.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"dsl"}),
    frozenset({"events"}),
    frozenset({"engine"}),
    frozenset({"fast", "live", "simulate"}),
    frozenset({"report"}),
    frozenset({"store", "graphs", "bdd", "serve"}),
    frozenset({"cli"}),
)
# Edges allowed between stages of one layer (the service keeps its state in the store).
SIBLINGS: frozenset[tuple[str, str]] = frozenset({("serve", "store"), ("serve", "graphs")})
# The package's own face (``wenze.load``, ``python -m wenze``) may use any stage but the CLI…
FACADE = frozenset({"wenze", "wenze.__main__"})
# …and the edge (store, graphs, bdd, serve, cli) may use that face.
EDGE = 5
# Only the command line and the service may reach the store.
STORE_USERS = frozenset({"cli", "serve", "store"})


def _layer(stage: str) -> int:
    for i, layer in enumerate(LAYERS):
        if stage in layer:
            return i
    raise AssertionError(f"wenze/{stage}: a stage ARCHITECTURE.md and LAYERS do not name")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    paths = sorted(PACKAGE.rglob("*.py"))
    return {_module_name(p): p for p in paths if "migrations" not in p.parts}


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The wenze module ``name`` stands for (a package, a module, or a name inside one)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports(module: str, path: Path) -> list[tuple[str, int, str | None]]:
    """(imported module, line, imported name) for every wenze import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[str, int, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (target := _resolve(alias.name)) is not None:
                    out.append((target, node.lineno, None))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = _resolve(f"{base}.{alias.name}") if base.startswith("wenze") else None
                if target is None:
                    continue
                name = None if target == f"{base}.{alias.name}" else alias.name
                out.append((target, node.lineno, name))
    return out


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and module not in FACADE else None


def test_every_stage_is_a_layer():
    stages = {_stage(m) for m in MODULES} - {None}
    for stage in stages:
        _layer(stage)


def test_imports_point_down_the_pipeline():
    wrong = []
    for module, path in MODULES.items():
        own = _stage(module)
        for target, line, _name in _imports(module, path):
            there = _stage(target)
            where = f"{path.relative_to(PACKAGE.parent)}:{line}: {module} → {target}"
            if module in FACADE:
                if there == "cli" and module == "wenze":
                    wrong.append(where + " (the package's face imports the command line)")
                continue
            if there is None:
                if _layer(own) < EDGE:
                    wrong.append(where + " (a stage below the edge imports the package's face)")
                continue
            if there == own:
                continue
            if there == "store" and own not in STORE_USERS:
                wrong.append(where + " (only the command line and the service use the store)")
            elif _layer(there) > _layer(own):
                wrong.append(where + " (against the pipeline)")
            elif _layer(there) == _layer(own) and (own, there) not in SIBLINGS:
                wrong.append(where + " (between sibling stages)")
    assert not wrong, "\n".join(wrong)


def test_no_module_imports_itself_back():
    graph = nx.DiGraph()
    for module, path in MODULES.items():
        graph.add_node(module)
        for target, _line, _name in _imports(module, path):
            # a package's __init__ re-exporting its own modules is not a cycle of meaning
            if target != module and not target.startswith(module + "."):
                graph.add_edge(module, target)
    cycles = [c for c in nx.simple_cycles(graph) if len(c) > 1]
    assert not cycles, "\n".join(" → ".join([*c, c[0]]) for c in sorted(cycles)[:20])


def test_no_private_name_crosses_a_module():
    crossing = defaultdict(list)
    for module, path in MODULES.items():
        for target, line, name in _imports(module, path):
            if name is not None and name.startswith("_") and target != module:
                crossing[target].append(f"{path.relative_to(PACKAGE.parent)}:{line}: {name}")
        # ``alias._name`` on an imported wenze module
        tree = ast.parse(path.read_text(encoding="utf-8"))
        aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("wenze"):
                for a in node.names:
                    if f"{node.module}.{a.name}" in MODULES:
                        aliases[a.asname or a.name] = f"{node.module}.{a.name}"
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name in MODULES and a.asname:
                        aliases[a.asname] = a.name
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
                    and node.value.id in aliases and node.attr.startswith("_")
                    and not node.attr.startswith("__")):
                where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
                crossing[aliases[node.value.id]].append(f"{where}: {node.value.id}.{node.attr}")
    assert not crossing, "\n".join(f"{t}: {', '.join(v)}" for t, v in sorted(crossing.items()))
