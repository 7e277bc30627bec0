"""No import cycles among the application's modules (bot/, services/, db/, keyboards/, handlers/).

Module-level imports only (read with ast, nothing is imported): an import inside a function, or under
``if TYPE_CHECKING:``, runs later or never and cannot make a half-initialised module. ``from a.b import c``
counts as an import of the module ``a.b.c`` when that is a module, else of ``a.b``.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "services", "db", "keyboards", "handlers")

KNOWN_DEFERRED_CYCLES: set[frozenset[str]] = set()
"""Cycles closed only by imports inside functions, left until the feature branches of issue 15 remove
them (the integrator empties this set at merge: the test then fails on any cycle that is left)."""


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module, deferred: bool) -> list[ast.Import | ast.ImportFrom]:
    """The module-level imports, and with ``deferred`` also those inside functions and classes."""
    out: list[ast.Import | ast.ImportFrom] = []
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            out.append(node)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            pending += node.orelse
        elif isinstance(node, ast.If | ast.Try | ast.With | ast.AsyncWith):
            pending += list(ast.iter_child_nodes(node))
        elif isinstance(node, ast.ExceptHandler):
            pending += node.body
        elif deferred and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            pending += list(ast.walk(node))[1:]
    return out


def import_graph(deferred: bool = False) -> dict[str, set[str]]:
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        for node in _imports(ast.parse(path.read_text(), str(path)), deferred):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                if node.level:
                    anchor = name.split(".") if is_package else name.split(".")[:-1]
                    anchor = anchor[: len(anchor) - (node.level - 1)]
                    base = ".".join(anchor + ([base] if base else []))
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in modules else base)
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (a path that comes back to its start) for every strongly connected group (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.add(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(group)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_one_cycle(graph, group) for group in groups]


def _one_cycle(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    start = min(group)
    # breadth-first from start back to start, inside the group: the shortest cycle through it
    paths = {nxt: [start, nxt] for nxt in sorted(graph[start] & group)}
    seen = set(paths)
    frontier = list(paths)
    while frontier:
        node = frontier.pop(0)
        if start in graph[node]:
            return [*paths[node], start]
        for nxt in sorted(graph[node] & group):
            if nxt not in seen:
                seen.add(nxt)
                paths[nxt] = [*paths[node], nxt]
                frontier.append(nxt)
    raise AssertionError(f"no cycle found in {group}")


def test_the_graph_sees_real_imports() -> None:
    graph = import_graph()
    assert "services.privacy" in graph["bot.features"]
    assert "db.engine" in graph["services.outbox"]
    assert "bot.config" in graph["bot.factory"]


def test_cycles_are_found() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    found = cycles(import_graph())
    assert found == [], "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_cycles_hidden_in_function_level_imports() -> None:
    """An import moved into a function only hides a cycle: these count too, except the known ones."""
    found = cycles(import_graph(deferred=True))
    unexpected = [" -> ".join(c) for c in found if frozenset(c) not in KNOWN_DEFERRED_CYCLES]
    assert unexpected == [], "import cycles through imports inside functions:\n" + "\n".join(unexpected)
    gone = [sorted(c) for c in KNOWN_DEFERRED_CYCLES if not any(frozenset(f) == c for f in found)]
    assert gone == [], f"remove from KNOWN_DEFERRED_CYCLES, these cycles are gone: {gone}"
