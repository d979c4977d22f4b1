"""The grader's own modules import each other in one direction only.

Read statically (ast), nothing imported: no module of the grader imports a module that imports
it back, directly or through others, counting imports inside functions too (a lazy import is
still a dependency); and only the command line's own entry points (``autograder/__main__.py``)
import ``autograder.cli``: the CLI calls the grader, never the other way round.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "autograder"
CLI = "autograder.cli"
MAY_IMPORT_CLI = {"autograder.__main__"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "__pycache__" not in p.parts}


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The grader's modules that ``name`` (the file ``path``) imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()

    def add(target: str) -> None:
        # `import a.b.c` or `from a.b import c`: the deepest of the grader's modules it names.
        while target and target not in known:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                add(f"{source}.{alias.name}" if f"{source}.{alias.name}" in known else source)
    return found


@functools.cache
def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(name, path, known) for name, path in known.items()}


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return groups


def path_within(edges: dict[str, set[str]], group: list[str]) -> str:
    """One round trip through a cycle, for the message: a -> b -> a."""
    start, members = group[0], set(group)
    trail, seen = [start], {start}
    while True:
        here = trail[-1]
        nxt = sorted(edges[here] & members)
        if start in nxt and len(trail) > 1:
            return " -> ".join(trail + [start])
        fresh = [n for n in nxt if n not in seen]
        if not fresh:
            return " <-> ".join(group)
        trail.append(fresh[0])
        seen.add(fresh[0])


def test_the_graph_is_read():
    edges = graph()
    assert "autograder.grading.grade" in edges["autograder.cli"]
    assert "autograder.engine.worker.probes" in edges["autograder.engine.worker.probes_ex01"]
    assert "autograder.feedback.catalog" in edges["autograder.feedback"]


def test_no_module_imports_one_that_imports_it_back():
    edges = graph()
    found = cycles(edges)
    assert not found, "import cycles among the grader's modules:\n" + "\n".join(
        path_within(edges, g) for g in found)


def test_only_the_entry_point_imports_the_cli():
    edges = graph()
    upward = sorted(m for m, targets in edges.items() if CLI in targets and m not in MAY_IMPORT_CLI)
    assert not upward, f"these modules import {CLI} (the CLI calls them, not they it): {upward}"


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path):
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(edges) == [["a", "b", "c"]]
    assert path_within(edges, ["a", "b", "c"]) == "a -> b -> c -> a"
    pkg = tmp_path / "autograder"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "cli.py").write_text("")
    (pkg / "sub" / "x.py").write_text("def f():\n    from .. import cli\n    from ..sub import y\n")
    (pkg / "sub" / "y.py").write_text("from . import x\n")
    known = {"autograder.cli": pkg / "cli.py", "autograder.sub.x": pkg / "sub" / "x.py",
             "autograder.sub.y": pkg / "sub" / "y.py"}
    assert imported("autograder.sub.x", pkg / "sub" / "x.py", known) == {"autograder.cli", "autograder.sub.y"}
    assert imported("autograder.sub.y", pkg / "sub" / "y.py", known) == {"autograder.sub.x"}
