"""Layout: the package's import graph has no cycle, and no private name crosses a module boundary.

Imports inside functions count (a lazy import is still a dependency). A module always imports its
parent packages, so that edge is not counted; ``from pkg import sub`` counts as a dependency on ``pkg``
only when it takes a name from ``pkg`` that is not a submodule. What two modules share is public in the
module that owns it.
"""

from __future__ import annotations

import ast
from pathlib import Path

from test_packaging import PACKAGE_DIR, imported_modules, module_name


def package_modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {module_name(path): path for path in sorted(PACKAGE_DIR.rglob("*.py"))}


def dependencies(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The package modules that ``name`` imports, anywhere in the file."""
    found = imported_modules(path.read_text(), name, path.name == "__init__.py")
    named = {dotted for _, dotted in found}
    deps = set()
    for _, dotted in found:
        if dotted not in modules or dotted == name or name.startswith(dotted + "."):
            continue
        children = [n for n in named if n.startswith(dotted + ".") and n.count(".") == dotted.count(".") + 1]
        if children and all(child in modules for child in children):
            continue  # "from pkg import sub, other_sub": reaches the submodules, not pkg's own names
        deps.add(dotted)
    return deps


def import_graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports."""
    modules = package_modules()
    return {name: dependencies(name, path, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def private_imports() -> list[str]:
    """``from zipfian_envs.x import _name`` and ``x._name`` on an imported package module, as ``file:line name``."""
    modules = package_modules()
    crossings = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        module_aliases = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("zipfian_envs"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        crossings.append(f"{path.name}:{node.lineno} {node.module}.{alias.name}")
                    elif f"{node.module}.{alias.name}" in modules:
                        module_aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name in modules and alias.asname:
                        module_aliases[alias.asname] = alias.name
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in module_aliases
                and module_aliases[node.value.id] != name
                and node.attr.startswith("_")
                and not node.attr.startswith("__")
            ):
                crossings.append(f"{path.name}:{node.lineno} {module_aliases[node.value.id]}.{node.attr}")
    return crossings


def test_the_cycle_finder_finds_a_cycle():
    """The checker itself: a two-module loop and a three-module loop are reported, a chain is not."""
    graph = {"a": {"b"}, "b": {"a"}, "c": {"d"}, "d": {"e"}, "e": {"c"}, "f": {"a"}}
    assert sorted(cycles(graph)) == [["a", "b"], ["c", "d", "e"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_graph_sees_imports_inside_functions():
    """A lazy import is an edge: the harness imports the policies at module level, the CLI lazily."""
    graph = import_graph()
    assert "zipfian_envs.evaluation.policies" in graph["zipfian_envs.evaluation.harness"]
    assert "zipfian_envs.engine.compiled" in graph["zipfian_envs.engine.backend"]  # imported inside a function


def test_no_import_cycle_in_the_package():
    """No set of package modules imports each other, at module level or inside functions."""
    assert cycles(import_graph()) == []


def test_no_private_name_imported_across_modules():
    """What one module takes from another is public there."""
    assert private_imports() == []
