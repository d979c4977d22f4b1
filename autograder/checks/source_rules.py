"""What a submission's source text names: the grader's inspection of student code, with ``ast``.

"By hand" checks need more than the right values: the value may come from the very built-in the
exercise forbids. Whatever the worker reports about the calls it saw is only what student code
chose to report, so the grader reads the source it was given (``sub.files[name]``, bytes) and
parses it here, in its own process. Nothing is imported or run.

A rule is a set of *words* (``"softmax"``) and the finder reports every place the module could
reach something so named:

- an attribute (``torch.softmax``, ``x.softmax(-1)``, ``nn.CrossEntropyLoss``),
- a name the module does not bind itself (``log_softmax`` after ``from ... import *``);
  the module's own functions and variables are its own business (``def softmax``),
- an imported name or module (``from torch.nn.functional import softmax as sm``),
- a string that could name it (``getattr(torch, "softmax")``, ``"soft" + "max"``),

and, with ``reflection=True``, every construction that reaches objects by computed names or
hides calls from the worker's recorder, since those make the list above meaningless:
``getattr`` with a computed name, ``eval``/``exec``/``compile``, ``__import__``, ``importlib``,
``globals()``/``vars()``/``__dict__``, frames, ``gc``, ``torch._C`` (``DisableTorchFunction``),
``torch.ops``, pickling, imports of the submission's other modules, ``from X import *``...

Words match identifiers case-insensitively with underscores ignored (``"log_softmax"`` matches
``LogSoftmax``). Docstrings, other bare string statements and the body of
``if __name__ == "__main__":`` (which never runs when the grader imports the module) are not
inspected; anything else is, wherever it sits in the module. The rules are meant for small
exercise modules: a module over MAX_SOURCE bytes, or one that cannot be parsed, is one finding.

Use::

    from .source_rules import forbidden, describe
    found = forbidden(sub.files["ex01_gradient_descent.py"], {"softmax"}, allow={"binarycrossentropy"})
    expect(not found, Msg(..., got=describe(found)))

``mentions(source, {"no_grad", "inference_mode"})`` is the positive form (where a module names
something), for rules such as "the loop disables gradients".
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Iterable

MAX_SOURCE = 512 * 1024


@dataclass(frozen=True, order=True)
class Finding:
    line: int
    what: str  # "torch.softmax", "getattr with a computed name", ...

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}" if self.line else self.what


def normalize(word: str) -> str:
    """Lowercase, letters and digits only: ``"log_softmax"`` and ``"LogSoftmax"`` are ``"logsoftmax"``."""
    return re.sub(r"[^a-z0-9]", "", str(word).lower())


# --- reflection: reaching things by computed names, or out of the recorder's sight -----------------
# Builtins that turn strings (or frames, or namespaces) into objects, as bare names.
REFLECTIVE_NAMES = frozenset({
    "eval", "exec", "compile", "__import__", "globals", "locals", "vars", "breakpoint", "__builtins__",
    "__loader__", "__spec__", "__dict__",
})
# Attributes that do the same, or switch torch's function overrides off.
REFLECTIVE_ATTRS = frozenset({
    "DisableTorchFunction", "DisableTorchFunctionSubclass", "_DisableTorchDispatch", "_disabled_torch_function_impl",
    "_C", "_ops", "ops", "library", "overrides", "_dynamo", "jit", "hub", "_refs", "_prims", "_decomp",
    "import_module", "attrgetter", "methodcaller", "_getframe", "f_globals", "f_locals", "f_back", "f_builtins",
    "tb_frame", "gi_frame", "cr_frame", "load", "loads", "_load", "serialization",
})
# Dunder attributes allowed: the ordinary protocol of objects, nothing that opens a namespace.
PLAIN_DUNDERS = frozenset({
    "__init__", "__len__", "__getitem__", "__iter__", "__next__", "__call__", "__name__", "__doc__", "__version__",
    "__enter__", "__exit__", "__repr__", "__str__", "__eq__", "__hash__", "__contains__", "__future__",
})
# Modules whose import gives the same reach (a dotted prefix matches its submodules too).
REFLECTIVE_MODULES = frozenset({
    "importlib", "gc", "inspect", "ctypes", "builtins", "__builtin__", "pickle", "_pickle", "cloudpickle", "dill",
    "marshal", "shelve", "copyreg", "codecs", "base64", "binascii", "types", "operator", "runpy", "pkgutil",
    "zipimport", "imp", "code", "codeop", "subprocess", "multiprocessing", "threading", "concurrent", "signal",
    "ast", "dis", "sys", "os", "io", "tempfile", "shutil", "socket",
    "torch._C", "torch.ops", "torch._ops", "torch.overrides", "torch.library", "torch.jit", "torch.hub",
    "torch.serialization", "torch._dynamo", "torch._refs", "torch._prims", "torch._decomp", "torch.utils.cpp_extension",
})
SUBMISSION_MODULE = re.compile(r"^(submission(\.|$)|ex\d\d_)")


def _module_is(name: str, modules: Iterable[str]) -> bool:
    return any(name == m or name.startswith(m + ".") for m in modules)


# --- the walk ---------------------------------------------------------------------------------
def _is_main_guard(node: ast.If) -> bool:
    test = node.test
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    return (any(isinstance(s, ast.Name) and s.id == "__name__" for s in sides)
            and any(isinstance(s, ast.Constant) and s.value == "__main__" for s in sides))


def _fold(node) -> str | None:
    """The value of a string expression built from constants (``"soft" + "max"``, f-strings of
    constants), else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        return node.value if isinstance(node.value, str) else node.value.decode("latin-1")
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _fold(node.left), _fold(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.FormattedValue):
                part = _fold(v.value)
                if part is None:
                    return None
                parts.append(part)
            else:
                parts.append(_fold(v) or "")
        return "".join(parts)
    return None


def _dotted(node) -> str:
    """``torch.nn.functional.softmax`` for an attribute chain (``?`` where it is not a name)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    parts.append(node.id if isinstance(node, ast.Name) else "?")
    return ".".join(reversed(parts))


class _Inspector:
    def __init__(self, tree: ast.Module, words: set[str], allow: set[str], reflection: bool, own_module_only: bool):
        self.words, self.allow = words, allow
        self.parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        self.reflection, self.own_module_only = reflection, own_module_only
        self.found: set[Finding] = set()
        self.skipped: set[int] = set()  # ids of nodes not inspected (docstrings, __main__ bodies)
        self.bound = self._bound_names(tree)
        main_is_safe = "__name__" not in self.bound
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list):
                for stmt in body:
                    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                            and isinstance(stmt.value.value, str):
                        self.skipped.add(id(stmt.value))  # a docstring or a string used as a comment
            if main_is_safe and isinstance(node, ast.If) and _is_main_guard(node):
                for stmt in node.body:  # the orelse runs on import: it stays inspected
                    for sub in ast.walk(stmt):
                        self.skipped.add(id(sub))
        for node in ast.walk(tree):
            if id(node) not in self.skipped:
                self._visit(node)

    @staticmethod
    def _bound_names(tree) -> set[str]:
        """Names the module binds itself (functions, classes, variables, parameters, ...);
        names bound only by an import are not its own."""
        bound = set()
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
                bound.add(node.id)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                bound.update(node.names)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.alias) and node.asname == "__name__":
                bound.add("__name__")
        return bound

    # matching ----------------------------------------------------------------------------
    def _named(self, text: str) -> bool:
        n = normalize(text)
        for a in self.allow:
            n = n.replace(a, "|")
        return any(w in n for w in self.words)

    def add(self, node, what: str) -> None:
        self.found.add(Finding(getattr(node, "lineno", 0), what))

    # nodes ---------------------------------------------------------------------------------
    def _visit(self, node) -> None:
        if isinstance(node, ast.Attribute):
            self._attribute(node)
        elif isinstance(node, ast.Name):
            self._name(node)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self._import(node)
        elif isinstance(node, ast.Call):
            self._call(node)
        elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            self._string(node, _fold(node))
        elif isinstance(node, (ast.BinOp, ast.JoinedStr)):
            text = _fold(node)
            if text is not None:
                self._string(node, text)
        elif isinstance(node, ast.Assign) and self._is_all(node):
            for sub in ast.walk(node.value):  # __all__ = ["softmax", ...] lists the module's own names
                self.skipped.add(id(sub))

    @staticmethod
    def _is_all(node: ast.Assign) -> bool:
        return any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)

    def _attribute(self, node: ast.Attribute) -> None:
        if self._named(node.attr):
            self.add(node, _dotted(node))
        if not self.reflection:
            return
        attr = node.attr
        if attr in REFLECTIVE_ATTRS or (attr.startswith("__") and attr.endswith("__") and attr not in PLAIN_DUNDERS):
            self.add(node, _dotted(node))
        elif attr in ("modules", "_getframe") and isinstance(node.value, ast.Name) and node.value.id == "sys":
            self.add(node, _dotted(node))

    def _name(self, node: ast.Name) -> None:
        if node.id in self.bound:
            return
        if self._named(node.id):
            self.add(node, node.id)
        if self.reflection and (node.id in REFLECTIVE_NAMES or node.id == "getattr" and not self._plain_getattr(node)):
            self.add(node, node.id if node.id != "getattr" else "getattr with a computed name")

    def _plain_getattr(self, name_node) -> bool:
        call = self.parents.get(id(name_node))
        return (isinstance(call, ast.Call) and call.func is name_node and len(call.args) >= 2
                and isinstance(call.args[1], ast.Constant) and isinstance(call.args[1].value, str))

    def _call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "getattr" and len(node.args) >= 2:
            name = _fold(node.args[1])
            if name is not None and self._named(name):
                self.add(node, f"getattr(..., {name!r})")

    def _import(self, node) -> None:
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if self.own_module_only and (node.level or SUBMISSION_MODULE.match(module)):
                self.add(node, f"an import from another module of the submission ({'.' * node.level}{module})")
            names = [module] if module else []
            for alias in node.names:
                if alias.name == "*":
                    if self.reflection:
                        self.add(node, f"from {module} import *")
                    continue
                names.append(f"{module}.{alias.name}" if module else alias.name)
                if self._named(alias.name):
                    self.add(node, f"from {module or '.'} import {alias.name}")
            modules = names
        else:
            modules = [alias.name for alias in node.names]
            for name in modules:
                if self.own_module_only and SUBMISSION_MODULE.match(name):
                    self.add(node, f"an import of another module of the submission ({name})")
                if self._named(name):
                    self.add(node, f"import {name}")
        if self.reflection:
            for name in modules:
                if _module_is(name, REFLECTIVE_MODULES):
                    self.add(node, f"import of {name}")

    def _string(self, node, text: str | None) -> None:
        # Strings that could be a name (no spaces): "softmax", "torch.nn.functional", "aten::_softmax".
        if text is not None and re.fullmatch(r"[\w.:/\-]+", text.strip()) and self._named(text):
            self.add(node, f"the string {text[:40]!r}")


def _parse(source) -> tuple[ast.Module | None, Finding | None]:
    data = source.encode("utf-8") if isinstance(source, str) else bytes(source)
    if len(data) > MAX_SOURCE:
        return None, Finding(0, f"a module of {len(data)} bytes, too large to inspect")
    try:
        return ast.parse(data), None
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        return None, Finding(0, f"a module that cannot be inspected ({type(exc).__name__})")


def forbidden(source, words: Iterable[str], *, allow: Iterable[str] = (), reflection: bool = True,
              own_module_only: bool = True) -> list[Finding]:
    """Where ``source`` (bytes or text of one module) could reach something named by ``words``,
    and (``reflection``) every construction that reaches things by computed names; with
    ``own_module_only``, imports of the submission's other modules too. ``allow`` holds longer
    words that contain a forbidden one and are fine (``"binarycrossentropy"``). Sorted by line."""
    tree, problem = _parse(source)
    if problem is not None:
        return [problem]
    try:
        inspector = _Inspector(tree, {normalize(w) for w in words}, {normalize(a) for a in allow}, reflection,
                               own_module_only)
    except RecursionError:
        return [Finding(0, "a module nested too deeply to inspect")]
    return sorted(inspector.found)


def mentions(source, words: Iterable[str], *, allow: Iterable[str] = ()) -> list[Finding]:
    """Where ``source`` names any of ``words`` (attributes, names it does not bind, imports,
    strings); no reflection rules. Empty when it never does, or cannot be parsed."""
    found = forbidden(source, words, allow=allow, reflection=False, own_module_only=False)
    return [f for f in found if f.line]


def describe(findings: list[Finding], limit: int = 3) -> str:
    """The first few findings, for feedback: ``line 12: torch.softmax; line 20: import of importlib``."""
    text = "; ".join(str(f) for f in findings[:limit])
    return text + (f" (and {len(findings) - limit} more)" if len(findings) > limit else "")
