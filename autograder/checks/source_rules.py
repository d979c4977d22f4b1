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

Tampering
---------
``tampering(source)`` finds the constructions that can alter what the worker *observes* while
student code runs: what a check marked ``in_process`` rests on besides the grader's own values
(``grading/plugin.py`` turns the pass of such a check into a failure while any module of the
submission has one). It is narrower than ``reflection=True``: ``os`` (``os.replace``,
``os.makedirs``, ``os.path``), ``io``, ``tempfile``, ``shutil``, ``pathlib``, ``getattr`` with a
constant name and ``self.x = ...`` are what correct solutions use, and stay clean. The same
skips apply (docstrings, bare strings, the ``__main__`` block). Each rule, and why:

- frames and tracebacks (``sys._getframe``, ``f_back``, ``f_globals``, ``f_locals``, ``tb_frame``,
  ``gi_frame``, ``__traceback__``, ``sys.exc_info``): the caller's frame is the instrument's, and
  its globals are the instruments' module (``_exception``, ``TensorDataset``, ``EVENTS``);
- ``gc``, ``ctypes``, ``inspect``, ``builtins``/``__builtins__``, ``importlib``/``__import__``,
  ``eval``/``exec``/``compile``/``breakpoint``: they reach any object of the worker (its
  ``Worker``, its descriptors, the recorder) by search or by a computed name;
- function internals and namespaces (``__globals__``, ``__closure__``, ``__code__``,
  ``__defaults__``, ``__kwdefaults__``, ``__self__``, ``__func__``, ``__wrapped__``, ``__dict__``,
  ``__subclasses__``, ``__setattr__``/``__delattr__``; ``vars()`` of an import or of what a call
  returned): from an object the instruments hand over (``type(model).forward``) to the
  instruments' globals, or around an attribute's own rules;
- ``sys.modules``, ``sys.settrace``/``setprofile``/``addaudithook``/``monitoring``,
  ``sys.meta_path``: modules replaced by name, code run on every line or call of the instruments;
- ``getattr``/``setattr``/``delattr``/``hasattr`` with a computed name (every rule above could be
  spelled that way), with a constant name that another rule names, and ``setattr``/``delattr``
  on anything but ``self``/``cls``: the module changes an object it did not create;
- an attribute assigned or deleted on something reached from an import or from a call
  (``torch.Tensor.detach = ...``, ``nn.Module.train = ...``, ``F.softmax = ...``,
  ``torch.is_grad_enabled = ...``, ``type(x).foo = ...``, also through a name bound to such a
  thing), and any ``x.__class__ = ...``/``__bases__``: the instruments call those very functions
  and types, so a patched one reports what the submission wants;
- class bodies defining ``__class__``, ``__instancecheck__``, ``__subclasscheck__``,
  ``__subclasshook__``, ``__getattribute__``, ``__torch_function__`` or ``__torch_dispatch__``,
  a ``metaclass=``, and ``type(name, bases, namespace)``: objects that answer ``isinstance``,
  type names or torch's overrides (the instruments' recorder is a ``TorchFunctionMode``) as they
  like; ``torch._C``, ``torch.overrides``, ``torch.library``, ``torch.utils._python_dispatch`` and
  ``DisableTorchFunction``/the function-mode stack: the recorder switched off, popped or reached;
- raw descriptors and inherited ones (``os.write``, ``os.read``, ``os.fdopen``, ``os.dup``,
  ``os.dup2``, ``os.sendfile``, ``os.fork``, ``os.system``, ``os.popen``, ``os.exec*``,
  ``os.spawn*``, ``os.posix_spawn``, ``os.kill``; ``open``/``io.open``/``io.FileIO`` of an int;
  strings naming ``/proc/`` or ``/dev/fd``; the modules ``posix``, ``_io``, ``fcntl``, ``mmap``,
  ``pty``, ``subprocess``): the worker answers on private descriptors (``worker_main.py``), and a
  reply frame written there, or by a child that inherited them, is read as the worker's. The
  module's own ``fd`` of ``tempfile.mkstemp``/``os.open`` stays allowed for ``os.fdopen``,
  ``os.write`` and ``os.read``, as the solution's atomic save does;
- the engine by name (imports of ``autograder``, ``probes*``, ``protocol``, ``worker_main``;
  strings naming them or the worker's parts: ``"Worker"``, ``"EVENTS"``, ``"proto_out"``,
  ``"CallRecorder"``...; attributes that are the instruments' records, ``.seen``, ``.moves``,
  ``.EVENTS``, ``._TAGS``, ``.handle``, ``.instruments``, on anything but ``self``/``cls``): no
  exercise needs them, and a model the instruments built keeps its record in ``model.seen``;
- ``threading``, ``_thread``, ``concurrent``, ``signal``, ``multiprocessing`` (torch's too), ``faulthandler``,
  ``pdb``/``bdb``/``trace``/``profile``: code that runs after the function returned, while the
  instrument is still looking (a thread that puts ``model.training`` back, a signal handler).

A construction these rules miss can still forge an observation; what they find is enough to say
that a check watching the code cannot trust what it sees.
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
        self.bound = self._bound_names(tree)
        self.skipped = _skipped_nodes(tree, self.bound)  # docstrings, __main__ bodies
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


# --- tampering: constructions that can alter what the worker observes ------------------------
# (see "Tampering" in the module docstring; each set below is one of its rules)
# Attributes that reach frames, closures, code, namespaces or a process's hooks.
TAMPER_ATTRS = frozenset({
    "_getframe", "_current_frames", "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "f_trace",
    "tb_frame", "tb_next", "gi_frame", "cr_frame", "ag_frame", "gi_code", "cr_code", "__traceback__",
    "__globals__", "__closure__", "__code__", "__subclasses__", "__builtins__", "__dict__", "__self__",
    "__func__", "__defaults__", "__kwdefaults__", "__setattr__", "__delattr__", "__wrapped__",
    "DisableTorchFunction", "DisableTorchFunctionSubclass", "_DisableTorchDispatch",
    "_get_current_function_mode", "_get_current_function_mode_stack", "_pop_mode", "_push_mode",
    "_get_function_mode_stack_at", "_len_torch_function_stack",
})
# Attributes of sys that reach frames, modules, import machinery or tracing hooks.
TAMPER_SYS = frozenset({
    "modules", "_getframe", "_current_frames", "settrace", "setprofile", "addaudithook", "exc_info", "exception",
    "last_traceback", "last_value", "last_exc", "meta_path", "path_hooks", "path_importer_cache", "monitoring",
    "call_tracing", "_getframemodulename", "__dict__",
})
# Functions of os that write, read or duplicate descriptors, or start code that inherits them.
TAMPER_OS = frozenset({
    "write", "writev", "pwrite", "pwritev", "read", "readv", "pread", "preadv", "fdopen", "dup", "dup2", "sendfile",
    "set_inheritable", "openpty", "fork", "forkpty", "register_at_fork", "system", "popen", "posix_spawn",
    "posix_spawnp", "execv", "execve", "execl", "execle", "execlp", "execlpe", "execvp", "execvpe", "spawnv",
    "spawnve", "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnvp", "spawnvpe", "kill", "killpg", "pidfd_open",
})
# Of those, the ones a module may use on a descriptor it opened itself (tempfile.mkstemp, os.open).
OWN_FD_OS = frozenset({"write", "fdopen", "read"})
# Modules whose import gives that reach (a dotted prefix matches its submodules too).
TAMPER_MODULES = frozenset({
    "gc", "ctypes", "_ctypes", "cffi", "inspect", "builtins", "__builtin__", "importlib", "imp", "runpy", "pkgutil",
    "zipimport", "threading", "_thread", "signal", "multiprocessing", "concurrent", "subprocess", "_posixsubprocess",
    "pty", "posix", "nt", "_io", "fcntl", "mmap", "pdb", "bdb", "trace", "cProfile", "profile", "_testcapi",
    "faulthandler", "torch.multiprocessing", "torch._C", "torch.overrides", "torch.library",
    "torch.utils._python_dispatch",
    "autograder", "submission.probes", "probes", "probes_ex01", "probes_ex02", "probes_ex03", "probes_ex04",
    "probes_ex05", "probes_ex06", "probes_ex07", "probes_ex08", "protocol",
    "worker_main",
})
# Builtins that run text as code, import by name or give the builtins' namespace.
TAMPER_NAMES = frozenset({"eval", "exec", "compile", "__import__", "__builtins__", "breakpoint"})
# Names of the worker's parts and of the instruments' records, as strings or as attributes.
ENGINE_WORDS = ("autograder", "probes", "workermain")
ENGINE_NAMES = frozenset({
    "protocol", "Worker", "CallRecorder", "ProbeModel", "PredictModel", "SentModel", "ProbeSGD", "ProbeStepLR",
    "ProbeLoader", "EVENTS", "_TAGS", "NO_EXCEPTION", "proto_in", "proto_out", "instruments", "resolve_handle",
    "resolve_argument",
})
RECORD_ATTRS = frozenset({"seen", "EVENTS", "_TAGS", "moves", "_probe_ready", "proto_in", "proto_out", "instruments",
                          "handles", "handle"})
# Dunders whose definition in a class changes what isinstance, type names or torch's overrides see.
TAMPER_DEFS = frozenset({"__class__", "__instancecheck__", "__subclasscheck__", "__subclasshook__",
                         "__torch_function__", "__torch_dispatch__", "__getattribute__"})
OPEN_FUNCS = frozenset({"open", "io.open", "io.FileIO", "FileIO", "builtins.open"})


def _skipped_nodes(tree: ast.Module, bound: set[str] | None = None) -> set[int]:
    """ids of the nodes the rules do not inspect: docstrings and other bare strings, and the body
    of ``if __name__ == "__main__":`` unless the module binds ``__name__`` itself (``bound``: the
    names it binds, computed when not given)."""
    skipped: set[int] = set()
    binds_name = "__name__" in (_Inspector._bound_names(tree) if bound is None else bound)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list):
            for stmt in body:
                if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) \
                        and isinstance(stmt.value.value, str):
                    skipped.add(id(stmt.value))  # a docstring or a string used as a comment
        if not binds_name and isinstance(node, ast.If) and _is_main_guard(node):
            for stmt in node.body:  # the orelse runs on import: it stays inspected
                for sub in ast.walk(stmt):
                    skipped.add(id(sub))
    return skipped


def _root(node):
    """The node an attribute or subscript chain starts from (``torch`` in ``torch.Tensor.to``)."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node


def _chain_has_call(node) -> bool:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
        if isinstance(node, ast.Call):
            return True
    return False


def _engine_string(text: str) -> bool:
    if not re.fullmatch(r"[\w.:/\-]+", text.strip()):
        return False
    n = normalize(text)
    return any(w in n for w in ENGINE_WORDS) or text.strip() in ENGINE_NAMES or text.strip() in TAMPER_ATTRS \
        or _module_is(text.strip(), TAMPER_MODULES - {"protocol", "trace", "profile", "nt", "posix"})


def _descriptor_path(text: str) -> bool:
    return "/proc/" in text or text.rstrip("/") == "/proc" or "/dev/fd" in text


def _show(node) -> str:
    """``type(...).forward.__globals__`` for a chain whose root is a call."""
    text = _dotted(node)
    root = _root(node)
    if isinstance(root, ast.Call) and text.startswith("?"):
        return _dotted(root.func).replace("?", "(...)") + "(...)" + text[1:]
    return text


class _Tampering:
    """The walk of ``tampering``: one finding per construction, code-like (``import gc``)."""

    def __init__(self, tree: ast.Module):
        self.found: set[Finding] = set()
        self.skipped = _skipped_nodes(tree)
        self.parents = {id(child): node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        self.bound = _Inspector._bound_names(tree)
        self.modules: dict[str, str] = {}  # local name -> the module or imported object it names
        self.own_fds: set[str] = set()  # names bound to descriptors the module opened (mkstemp, os.open)
        self.aliases: set[str] = set()  # names bound to something reached from an import or a call of type()
        nodes = [n for n in ast.walk(tree) if id(n) not in self.skipped]
        for node in nodes:
            if isinstance(node, ast.Import):
                for a in node.names:
                    self.modules[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    if a.name != "*":
                        self.modules[a.asname or a.name] = f"{node.module}.{a.name}"
        for _ in range(3):  # aliases of aliases
            for node in nodes:
                self._bindings(node)
        for node in nodes:
            self._visit(node)

    def add(self, node, what: str) -> None:
        self.found.add(Finding(getattr(node, "lineno", 0), what))

    def resolve(self, node) -> str:
        """``sys._getframe`` for ``s._getframe`` after ``import sys as s``; ``?`` where unknown."""
        dotted = _dotted(node)
        head, _, rest = dotted.partition(".")
        if head in self.modules:
            return self.modules[head] + ("." + rest if rest else "")
        return dotted

    def _imported(self, node) -> bool:
        root = _root(node)
        return isinstance(root, ast.Name) and (root.id in self.modules or root.id in self.aliases)

    def _bindings(self, node) -> None:
        targets, value = [], None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
            targets, value = [node.target], node.value
        elif isinstance(node, (ast.For, ast.comprehension)):
            targets, value = [node.target], node.iter
        if value is None:
            return
        names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        if isinstance(value, ast.Call) and self.resolve(value.func) in ("tempfile.mkstemp", "os.open", "mkstemp"):
            first = targets[0].elts[0] if isinstance(targets[0], ast.Tuple) and targets[0].elts else targets[0]
            if isinstance(first, ast.Name):
                self.own_fds.add(first.id)
            return
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id == "type" \
                and "type" not in self.bound:
            self.aliases.update(names)
        elif isinstance(value, (ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.List)):
            parts = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
            if any(isinstance(p, (ast.Name, ast.Attribute, ast.Subscript)) and self._imported(p)
                   and not isinstance(p, ast.Subscript) for p in parts):
                self.aliases.update(names)

    # nodes ---------------------------------------------------------------------------------
    def _visit(self, node) -> None:
        if isinstance(node, ast.Attribute):
            self._attribute(node)
        elif isinstance(node, ast.Name):
            if node.id in TAMPER_NAMES and node.id not in self.bound:
                self.add(node, node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            self._import(node)
        elif isinstance(node, ast.Call):
            self._call(node)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete)):
            self._store(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name in TAMPER_DEFS \
                and isinstance(self.parents.get(id(node)), ast.ClassDef):
            self.add(node, f"def {node.name}")
        elif isinstance(node, ast.ClassDef):
            for kw in node.keywords:
                if kw.arg == "metaclass":
                    self.add(node, f"class {node.name}(metaclass=...)")
        elif isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            self._string(node, _fold(node))
        elif isinstance(node, ast.BinOp):
            text = _fold(node)
            if text is not None:
                self._string(node, text)
        elif isinstance(node, ast.JoinedStr):
            text = _fold(node)
            pieces = [text] if text is not None else [
                v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)]
            for piece in pieces:
                self._string(node, piece)

    def _attribute(self, node: ast.Attribute) -> None:
        attr, dotted = node.attr, self.resolve(node)
        if attr in TAMPER_ATTRS:
            self.add(node, _show(node))
        elif dotted.startswith("sys.") and dotted.count(".") == 1 and attr in TAMPER_SYS:
            self.add(node, dotted)
        elif dotted.startswith("os.") and dotted.count(".") == 1 and attr in TAMPER_OS and not self._own_fd(node):
            self.add(node, dotted)
        elif _module_is(dotted, TAMPER_MODULES) and dotted.split(".")[0] == "torch":
            self.add(node, dotted)
        elif attr in RECORD_ATTRS and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
            self.add(node, _show(node))

    def _own_fd(self, node: ast.Attribute) -> bool:
        """``os.fdopen(fd, "wb")`` on the descriptor of the module's own ``tempfile.mkstemp``."""
        call = self.parents.get(id(node))
        if node.attr not in OWN_FD_OS or not (isinstance(call, ast.Call) and call.func is node and call.args):
            return False
        first = call.args[0]
        return isinstance(first, ast.Name) and first.id in self.own_fds \
            or isinstance(first, ast.Call) and isinstance(first.func, ast.Attribute) and first.func.attr == "fileno"

    def _import(self, node) -> None:
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [module] if module and not node.level else []
            for a in node.names:
                full = f"{module}.{a.name}" if module else a.name
                if module == "sys" and a.name in TAMPER_SYS or module == "os" and a.name in TAMPER_OS \
                        or a.name in TAMPER_ATTRS or a.name in TAMPER_NAMES or a.name in ENGINE_NAMES:
                    self.add(node, f"from {module} import {a.name}")
                if not node.level:
                    names.append(full)
                elif _module_is(a.name, TAMPER_MODULES):  # from . import probes
                    self.add(node, f"from {'.' * node.level}{module} import {a.name}")
        else:
            names = [a.name for a in node.names]
        for name in names:
            if _module_is(name, TAMPER_MODULES):
                self.add(node, f"import {name}")
                break

    def _call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) and func.id not in self.bound else None
        if name in ("getattr", "setattr", "delattr", "hasattr") and len(node.args) >= 2:
            attr = _fold(node.args[1])
            if attr is None:
                self.add(node, f"{name}(..., <a computed name>)")
            elif attr in TAMPER_ATTRS or attr in RECORD_ATTRS or attr in TAMPER_DEFS:
                self.add(node, f"{name}(..., {attr!r})")
            if name in ("setattr", "delattr"):
                target = node.args[0]
                if not (isinstance(target, ast.Name) and target.id in ("self", "cls")):
                    self.add(node, f"{name}({_dotted(target) if not isinstance(target, ast.Call) else '...'}, ...)")
        dotted = self.resolve(func) if isinstance(func, (ast.Name, ast.Attribute)) else ""
        if (dotted in OPEN_FUNCS and (name is not None or isinstance(func, ast.Attribute))) and node.args:
            first = node.args[0]
            if _fold(first) is None and self._int_like(first):
                self.add(node, f"{dotted}(<a descriptor>)")
        if name == "type" and len(node.args) == 3:
            self.add(node, "type(name, bases, namespace)")
        if name == "vars" and node.args and (self._imported(node.args[0]) or isinstance(node.args[0], ast.Call)
                                             or _chain_has_call(node.args[0])):
            self.add(node, f"vars({_show(node.args[0]) if not isinstance(node.args[0], ast.Call) else '...'})")

    def _int_like(self, node) -> bool:
        if isinstance(node, ast.Constant):
            return isinstance(node.value, int)
        if isinstance(node, (ast.BinOp, ast.UnaryOp)):
            return all(self._int_like(n) for n in ast.iter_child_nodes(node) if isinstance(n, ast.expr))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("int", "len"):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "fileno":
            return True
        return False

    def _store(self, node) -> None:
        if isinstance(node, ast.Delete):
            targets, verb = node.targets, "del "
        else:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            verb = ""
        for target in targets:
            for t in (target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target]):
                if not isinstance(t, (ast.Attribute, ast.Subscript)):
                    continue
                attr = t.attr if isinstance(t, ast.Attribute) else None
                text = _show(t) if isinstance(t, ast.Attribute) else _show(t.value) + "[...]"
                if attr in ("__class__", "__bases__") or isinstance(t, ast.Attribute) and attr in TAMPER_ATTRS:
                    self.add(node, f"{verb}{text}{' = ...' if not verb else ''}")
                elif isinstance(t, ast.Attribute) and (self._imported(t) or _chain_has_call(t)):
                    self.add(node, f"{verb}{text}{' = ...' if not verb else ''}")

    def _string(self, node, text: str | None) -> None:
        if text is None:
            return
        if _descriptor_path(text):
            self.add(node, f"the string {text[:40]!r}")
        elif _engine_string(text):
            self.add(node, f"the string {text[:40]!r}")


def tampering(source) -> list[Finding]:
    """Where ``source`` (bytes or text of one module) could alter what the worker observes while
    its code runs: the rules under "Tampering" in this module's docstring. Sorted by line; empty
    for a module that does none of it. A module that cannot be inspected is one finding."""
    tree, problem = _parse(source)
    if problem is not None:
        return [problem]
    try:
        return sorted(_Tampering(tree).found)
    except RecursionError:
        return [Finding(0, "a module nested too deeply to inspect")]
