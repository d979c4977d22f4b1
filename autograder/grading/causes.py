"""One cause, one message: a failure that another module or another function caused says so.

A module that cannot be graded (a syntax error, a file missing, an import that fails) fails
every check of its own; a module that imports it cannot be imported either. Such a dependent
module's checks say, in one message, that they were not graded because of the other file,
named as the student names it (``ex03_model.py``), never by the worker's package name.

A check that fails while the functions it ran include one of another function's that fails
its own checks (``run_experiment`` trains with the student's ``fit``, which evaluates with
the student's ``evaluate``) says to fix that function first, instead of a hint about its own.
Which functions a check ran is what the check called in the worker (recorded by the plugin)
and, from there, what their source calls: the student's modules are read as text with
``ast``, never imported. Whether a function "fails its own checks" is decided by the other
checks of the same run. Points do not change: only what the feedback blames.
"""
from __future__ import annotations

import ast
import re

from ..assignment import MODULES
from ..feedback.catalog import Msg

EXERCISE_OF = {module: ex for ex, module in MODULES.items()}
MODULE_FAILURES = ("module_missing", "module_import", "module_import_crash", "module_rejected", "cause.syntax",
                   "cause.module")
_DOTTED = re.compile(r"^(ex\d\d_\w+)\.([A-Za-z_]\w*)")
_WHERE = re.compile(r"(ex\d\d_\w+)\.py, line \d+, in ([A-Za-z_]\w*)")
_SYNTAX = re.compile(r"^SyntaxError: (?P<message>.*) \(line (?P<line>\d+): (?P<text>.*)\)$", re.DOTALL)


def _key(result) -> str:
    first = result.feedback[0] if result.feedback else None
    return getattr(first, "key", "")


def _module_of(result) -> str:
    return MODULES.get(result.exercise, MODULES["ex08"])


class Sources:
    """The student's modules as syntax trees: what each imports from the others, what each
    function refers to."""

    def __init__(self, files: dict[str, bytes]):
        self.trees: dict[str, ast.Module] = {}
        for name, data in files.items():
            module = name[:-3]
            if module not in EXERCISE_OF:
                continue
            try:
                self.trees[module] = ast.parse(data.decode("utf-8"))
            except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError):
                continue
        self._imports = {m: self._read_imports(t) for m, t in self.trees.items()}

    @staticmethod
    def _student_module(dotted: str | None) -> str | None:
        last = (dotted or "").rsplit(".", 1)[-1]
        return last if last in EXERCISE_OF else None

    def _read_imports(self, tree: ast.Module) -> dict[str, tuple[str, str | None]]:
        """{local name: (student module, name in it, or None for the module itself)}."""
        found: dict[str, tuple[str, str | None]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                module = self._student_module(node.module)
                for alias in node.names:
                    if module is not None:
                        found[alias.asname or alias.name] = (module, alias.name)
                    elif node.module is None or self._student_module(alias.name):  # from . import ex04_training
                        if alias.name in EXERCISE_OF:
                            found[alias.asname or alias.name] = (alias.name, None)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    module = self._student_module(alias.name)
                    if module is not None:
                        found[alias.asname or alias.name.rsplit(".", 1)[-1]] = (module, None)
        return found

    def imported_modules(self, module: str) -> set[str]:
        """The student modules ``module`` imports, directly or through others."""
        seen: set[str] = set()
        todo = [module]
        while todo:
            for other, _ in self._imports.get(todo.pop(), {}).values():
                if other not in seen and other != module:
                    seen.add(other)
                    todo.append(other)
        return seen

    def _definition(self, module: str, name: str):
        tree = self.trees.get(module)
        for node in tree.body if tree is not None else ():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
                return node
        return None

    def _refers_to(self, module: str, node) -> set[tuple[str, str]]:
        imports = self._imports.get(module, {})
        out: set[tuple[str, str]] = set()
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name):
                if self._definition(module, sub.id) is not None:
                    out.add((module, sub.id))
                elif sub.id in imports and imports[sub.id][1] is not None:
                    out.add(imports[sub.id])
            elif isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name):
                target = imports.get(sub.value.id)
                if target is not None and target[1] is None:
                    out.add((target[0], sub.attr))
        return out

    def reach(self, start: set[tuple[str, str]]) -> set[tuple[str, str]]:
        """The functions and classes ``start`` runs, as far as their source says."""
        seen = set(start)
        todo = list(start)
        while todo:
            module, name = todo.pop()
            node = self._definition(module, name)
            if node is None:
                continue
            for ref in self._refers_to(module, node):
                if ref not in seen:
                    seen.add(ref)
                    todo.append(ref)
        return seen


def called(target, args) -> list[tuple[str, str]]:
    """The student functions one request of a check names: ``ex04.fit(...)`` (a module target),
    or an instrument's ``"ex04_training.evaluate"`` argument."""
    out = []
    path = getattr(target, "_r_target", None)
    if isinstance(target, str):
        match = _DOTTED.match(target)
        if match:
            out.append((match.group(1), match.group(2)))
    elif path and path[0] == "module" and len(path) >= 3 and isinstance(path[1], str):
        out.append((path[1], str(path[2])))
    for arg in args:
        if isinstance(arg, str):
            match = _DOTTED.match(arg)
            if match and match.group(1) in EXERCISE_OF:
                out.append((match.group(1), match.group(2)))
    return [c for c in out if c[0] in EXERCISE_OF]


def _raised_in(result) -> set[tuple[str, str]]:
    """The student functions the feedback's traceback lines name (``ex07_checkpoint.py, line 52,
    in _atomic_save``)."""
    found = set()
    for part in result.feedback:
        for value in getattr(part, "params", {}).values():
            for module, name in _WHERE.findall(str(value)):
                if module in EXERCISE_OF:
                    found.add((module, name))
    return found


def attribute(results: list, files: dict[str, bytes]) -> list:
    """Rewrite, in place, the feedback of the results whose failure has its cause elsewhere
    (see the module docstring); returns ``results``."""
    sources = Sources(files)
    _modules(results, sources)
    _functions(results, sources)
    return results


def _modules(results: list, sources: Sources) -> None:
    broken: dict[str, str] = {}  # module: the key of its failure
    for r in results:
        if r.status != "passed" and _key(r) in MODULE_FAILURES:
            broken.setdefault(str(r.feedback[0].params.get("module", _module_of(r))), _key(r))
    for r in results:  # a syntax error: its file, line and code, in the student's language
        if r.status != "passed" and _key(r) == "module_rejected":
            match = _SYNTAX.match(str(r.feedback[0].params.get("reason", "")))
            if match:
                r.feedback = [Msg("cause.syntax", file=f"{_module_of(r)}.py", **match.groupdict())]
    for module, key in broken.items():
        if key not in ("module_import", "module_import_crash"):
            continue  # a file of its own that is missing or does not parse is its own cause
        roots = sorted(m for m in sources.imported_modules(module) & set(broken)
                       if not (sources.imported_modules(m) & set(broken)) or broken[m] not in
                       ("module_import", "module_import_crash"))
        if not roots:
            continue
        for r in results:
            if _module_of(r) == module and r.status != "passed" and _key(r) in MODULE_FAILURES:
                r.cause = f"{roots[0]}.py"
                r.feedback = [Msg("cause.module", file=f"{module}.py", cause=f"{roots[0]}.py")]


def _functions(results: list, sources: Sources) -> None:
    failing: dict[tuple[str, str], list] = {}
    for r in results:
        if r.status != "passed" and _key(r) not in MODULE_FAILURES:
            failing.setdefault((_module_of(r), r.function), []).append(r)
    raw: dict[int, list[tuple[str, str]]] = {}
    for r in results:
        if r.status == "passed" or _key(r) in MODULE_FAILURES + ("not_implemented",):
            continue
        own = (_module_of(r), r.function)
        ran = sources.reach({own, *getattr(r, "calls", ())})
        # Student code that raised where neither the check's function nor what it called leads:
        # an instrument ran another of the student's functions first (save_checkpoint before
        # load_checkpoint); those whose source leads there are what ran.
        for place in _raised_in(r) - ran:
            ran |= {f for f in failing if place in sources.reach({f})}
        raw[id(r)] = sorted(f for f in ran - {own} if any(o is not r for o in failing.get(f, ())))
    # A function is a root cause when one of its own failing checks has no other cause.
    roots = {f for f, own in failing.items() if any(not raw.get(id(o)) for o in own)}
    for r in results:
        causes = raw.get(id(r)) or []
        chosen = [f for f in causes if f in roots]
        if not chosen:
            continue
        module, name = min(chosen, key=lambda f: (f[0], f[1]))  # the earliest exercise first
        kept = []
        for part in r.feedback:  # what came back stays; the hint about its own function goes
            if getattr(part, "key", "") == "label.hint":
                break
            kept.append(part)
        r.cause = f"{module}.{name}"
        r.feedback = [Msg("cause.function", func=r.function, other=name, exercise=EXERCISE_OF[module]), *kept]
