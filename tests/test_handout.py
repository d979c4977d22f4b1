"""HANDOUT.md and HANDOUT.zh-CN.md show every public function and class of exercises/ with the stub's signature.

Students are told the signatures by the handouts. Each handout's ```python blocks are Python
(signatures ending in ``: ...``); a block belongs to the exercise module whose file name
(``exNN_name.py``) the last heading above it names. For every stub in exercises/, each public
(non-underscore) top-level function and class must be shown in that module's blocks, with the
parameters, kinds and defaults written in the stub (annotations too, where the handout gives
them); a class with its bases and each method it defines. Whatever a handout shows must exist in
that module and agree with it, a private helper or a constant included. Read with ast only.
"""
import ast
import re

import pytest
from conftest import ROOT

HANDOUTS = ["HANDOUT.md", "HANDOUT.zh-CN.md"]
STUBS = sorted((ROOT / "exercises").glob("ex[0-9][0-9]_*.py"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
MODULE_IN_HEADING = re.compile(r"\b(ex\d\d_[a-z0-9_]+)\.py\b")


def unparse(node):
    return None if node is None else ast.unparse(node)


def parameters(fn: ast.FunctionDef, annotations: bool = True):
    """(kind, name, default, annotation) for each parameter, in order."""
    a = fn.args
    positional = a.posonlyargs + a.args
    defaults = [None] * (len(positional) - len(a.defaults)) + list(a.defaults)
    out = [("positional only" if i < len(a.posonlyargs) else "positional", p.arg, unparse(d),
            unparse(p.annotation) if annotations else None)
           for i, (p, d) in enumerate(zip(positional, defaults))]
    if a.vararg:
        out.append(("*args", a.vararg.arg, None, unparse(a.vararg.annotation) if annotations else None))
    out += [("keyword only", p.arg, unparse(d), unparse(p.annotation) if annotations else None)
            for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        out.append(("**kwargs", a.kwarg.arg, None, unparse(a.kwarg.annotation) if annotations else None))
    return out


def signature(fn: ast.FunctionDef) -> str:
    """The signature as the stub writes it, for messages."""
    return f"def {fn.name}({ast.unparse(fn.args)})" + (f" -> {ast.unparse(fn.returns)}" if fn.returns else "")


def has_annotations(fn: ast.FunctionDef) -> bool:
    a = fn.args
    params = a.posonlyargs + a.args + a.kwonlyargs + [p for p in (a.vararg, a.kwarg) if p]
    return fn.returns is not None or any(p.annotation is not None for p in params)


def definitions(body):
    """{name: node} of the functions, classes and assigned constants of a module body."""
    out = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            out[node.name] = node
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            out[node.targets[0].id] = node
    return out


def handout_blocks(name, root=ROOT):
    """{module: [ast.Module, ...]}: each ```python block of the handout, under the module its heading names."""
    text = (root / name).read_text(encoding="utf-8")
    blocks = {}
    for match in BLOCK.finditer(text):
        headings = [line for line in text[:match.start()].splitlines() if line.startswith("#")]
        modules = [m for h in headings for m in MODULE_IN_HEADING.findall(h)]
        line = text[:match.start()].count("\n") + 2
        try:
            tree = ast.parse(match.group(1))
        except SyntaxError as exc:
            pytest.fail(f"{name}, the ```python block at line {line} is not Python: {exc}")
        if any(isinstance(n, (ast.FunctionDef, ast.ClassDef)) for n in tree.body):
            assert modules, f"{name}, line {line}: no heading above this block names its exNN_*.py file"
            blocks.setdefault(modules[-1], []).append(tree)
    return blocks


def shown(name, root=ROOT):
    """{module: {name: node}} of what the handout shows."""
    out = {}
    for module, trees in handout_blocks(name, root).items():
        for tree in trees:
            for key, node in definitions(tree.body).items():
                assert key not in out.setdefault(module, {}), f"{name}: {module}.{key} is shown twice"
                out[module][key] = node
    return out


def function_problem(where, stub: ast.FunctionDef, doc: ast.FunctionDef):
    if not isinstance(doc, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return f"{where}: shown as something else than a function; the stub has {signature(stub)}"
    annotated = has_annotations(doc)
    if parameters(stub, annotated) != parameters(doc, annotated) or (
            annotated and unparse(stub.returns) != unparse(doc.returns)):
        return f"{where}: the handout shows {signature(doc)}, the stub has {signature(stub)}"
    return None


def problems_of(handout, root=ROOT):
    found = []
    documented = shown(handout, root)
    stubs = {path.stem: definitions(ast.parse(path.read_text(encoding="utf-8")).body) for path in STUBS}
    for module, defs in stubs.items():
        mine = documented.get(module, {})
        for key, node in defs.items():
            if isinstance(node, ast.Assign) or key.startswith("_"):
                continue
            if key not in mine:
                found.append(f"{handout}: {module}.{key} is missing (a public "
                             f"{'class' if isinstance(node, ast.ClassDef) else 'function'} of exercises/{module}.py)")
    for module, mine in documented.items():
        if module not in stubs:
            found.append(f"{handout}: a block under {module}.py, which exercises/ does not have")
            continue
        for key, doc in mine.items():
            stub = stubs[module].get(key)
            where = f"{handout}: {module}.{key}"
            if stub is None:
                found.append(f"{where} is shown but exercises/{module}.py does not define it")
            elif isinstance(stub, ast.Assign):
                if not isinstance(doc, ast.Assign) or ast.dump(doc.value) != ast.dump(stub.value):
                    found.append(f"{where}: the handout shows {ast.unparse(doc)}, the stub has {ast.unparse(stub)}")
            elif isinstance(stub, ast.ClassDef):
                if not isinstance(doc, ast.ClassDef):
                    found.append(f"{where}: the stub defines a class")
                    continue
                if [unparse(b) for b in stub.bases] != [unparse(b) for b in doc.bases]:
                    found.append(f"{where}: the handout shows the bases ({', '.join(map(unparse, doc.bases))}), "
                                 f"the stub ({', '.join(map(unparse, stub.bases))})")
                stub_methods, doc_methods = definitions(stub.body), definitions(doc.body)
                for method, node in stub_methods.items():
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and method not in doc_methods:
                        found.append(f"{where}.{method} is missing")
                for method, node in doc_methods.items():
                    if method not in stub_methods:
                        found.append(f"{where}.{method} is shown but the stub's class does not define it")
                    else:
                        problem = function_problem(f"{where}.{method}", stub_methods[method], node)
                        found += [problem] if problem else []
            else:
                problem = function_problem(where, stub, doc)
                found += [problem] if problem else []
    return found


@pytest.mark.parametrize("handout", HANDOUTS)
def test_handout_shows_every_public_name_with_the_stubs_signature(handout):
    assert STUBS, "no stubs in exercises/"
    problems = problems_of(handout)
    assert not problems, "\n".join(problems)


def test_both_handouts_show_the_same_signatures():
    english, chinese = shown(HANDOUTS[0]), shown(HANDOUTS[1])
    assert {m: sorted(d) for m, d in english.items()} == {m: sorted(d) for m, d in chinese.items()}
    for module, defs in english.items():
        for key, node in defs.items():
            assert ast.dump(node) == ast.dump(chinese[module][key]), f"{module}.{key} differs between the handouts"


def test_a_changed_signature_or_a_missing_name_is_caught(tmp_path):
    """The test itself: a default changed in the handout, a name missing or one the stubs lack, is reported."""
    text = (ROOT / HANDOUTS[0]).read_text(encoding="utf-8")
    edited = text.replace("dim: int = -1", "dim: int = 1", 1).replace("def mae(", "def mean_abs_error(", 1)
    (tmp_path / HANDOUTS[0]).write_text(edited, encoding="utf-8")
    problems = "\n".join(problems_of(HANDOUTS[0], tmp_path))
    assert "ex01_gradient_descent.softmax: the handout shows def softmax(logits: torch.Tensor, dim: int=1)" in problems
    assert "ex01_gradient_descent.mae is missing" in problems
    assert "mean_abs_error is shown but exercises/ex01_gradient_descent.py does not define it" in problems


def prose(text):
    """The text outside code blocks, inline code and link targets."""
    text = re.sub(r"^```.*?^```", " ", text, flags=re.S | re.M)
    text = re.sub(r"`[^`\n]*`", " ", text)
    return re.sub(r"\]\([^)]*\)", "] ", text)


# Names that stay as they are in Chinese text: products, libraries and formats.
PROPER_NAMES = {"PyTorch", "NumPy", "MNIST", "Python", "Adam", "AdamW", "Xavier", "Kaiming", "ReLU", "Dropout",
                "TensorBoard", "CUDA", "NVIDIA", "Apple", "conda", "Jupyter", "iris", "scikit", "learn",
                "torchvision", "matplotlib", "softmax", "logits", "logit", "JSON", "English"}


def test_the_chinese_handout_is_written_in_chinese():
    text = prose((ROOT / HANDOUTS[1]).read_text(encoding="utf-8"))
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 3000
    english = sorted({w for w in re.findall(r"[A-Za-z]{4,}", text) if w not in PROPER_NAMES})
    assert not english, f"English words outside code in {HANDOUTS[1]}: {english[:20]}"


def test_the_student_docs_point_to_the_handout():
    for name in ("autograder/STUDENT_README.md", "README.md", "README.zh-CN.md"):
        text = (ROOT / name).read_text(encoding="utf-8")
        assert "HANDOUT" in text, name
    for name in ("autograder/STUDENT_README.md", "README.zh-CN.md", *HANDOUTS):
        assert "SPEC" not in (ROOT / name).read_text(encoding="utf-8"), name


@pytest.mark.parametrize("handout", HANDOUTS)
def test_the_points_table_is_the_assignments(handout):
    from autograder.assignment import BONUS, MAX_SCORE, POINTS

    text = (ROOT / handout).read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| (ex\d\d) \| `exercises/ex\d\d_\w+\.py` \| (\d+) \|$", text, re.M))
    assert {ex: int(p) for ex, p in rows.items()} == POINTS
    assert re.search(rf"^\| [^|]+ \| \| {MAX_SCORE} \|$", text, re.M)
    assert re.search(rf"^\| MNIST [^|]+ \| `exercises/ex08_capstone.py` \| \+ {BONUS['mnist']} \|$", text, re.M)
