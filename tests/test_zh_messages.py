"""Chinese feedback is Chinese throughout: no zh message of the catalog (hints included) holds an
English word, other than code and values; no check puts English words into a message as a parameter
(``got="no exception"``: it gives a catalog Msg, rendered in the same language), nor as the label
shown in front of a message (``name="w with the same seed"``: ``name=Msg("label.same_seed", what="w")``);
no check's zh title holds one.

What counts as code or a value, and may stay as it is in a Chinese sentence:
- anything in backticks, and the message's {placeholders} (filled with names and values);
- a token shaped like code: with _ . ( ) [ ] = / ' - or a digit in it (``x.flatten()``, ``lr=0.01``);
- a single letter (``w``, ``X``), an acronym or a CamelCase name (``CPU``, ``MSE``, ``DataLoader``, ``StepLR``);
- a name the student's code uses: an identifier, keyword or builtin of solutions/, or one of its short
  string values (``"kaiming"``, ``"train"``, ``"sgd"``);
- a few proper names and values: see NAMES.
Any other Latin word is English that was not translated; the test names each message key that holds one.
"""
import ast
import builtins
import keyword
import re

from conftest import ROOT

from autograder.feedback.catalog import MESSAGES

NAMES = {"Python", "PyTorch", "NumPy", "Jupyter", "matplotlib", "torchvision", "importlib", "gc", "iris",
         "nan", "inf", "py", "png", "svg", "pt", "cm", "namedtuple"}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.()\[\]=/'-]*")
CODE_SHAPED = re.compile(r"[0-9_.()\[\]=/'-]")
NAME_SHAPED = re.compile(r"[A-Z]{2,}s?|[A-Z][a-z]+[A-Z]\w*|[A-Za-z]")


def code_names() -> set[str]:
    """The identifiers and short string values of the solutions (what a student's code uses)."""
    names = set()
    for path in (ROOT / "solutions").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Name):
                names.add(node.id)
            elif isinstance(node, ast.Attribute):
                names.add(node.attr)
            elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
            elif isinstance(node, ast.keyword) and node.arg:
                names.add(node.arg)
            elif isinstance(node, ast.alias):
                names.update(node.name.split("."))
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and re.fullmatch(r"[a-z_]+",
                                                                                               node.value):
                names.add(node.value)
    return names


ALLOWED = code_names() | NAMES | set(keyword.kwlist) | set(dir(builtins))


def english_words(text: str) -> list[str]:
    """The Latin words of ``text`` that are neither code nor values (see the module docstring)."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"\{[^{}]*\}", " ", text)
    return [w for w in WORD.findall(text)
            if not (CODE_SHAPED.search(w) or NAME_SHAPED.fullmatch(w) or w in ALLOWED)]


def test_the_rule_catches_english_and_lets_code_through():
    found = english_words("请先修正 `evaluate`：the results are wrong")
    assert "the" in found and "wrong" in found and "evaluate" not in found
    assert english_words("调用 model.eval()，用 DataLoader 和 CPU，lr=0.01，{func} 的 w") == []
    assert "please" in english_words("please fix it")


def test_no_chinese_message_holds_untranslated_english():
    offenders = {key: words for key, texts in MESSAGES.items() if (words := english_words(texts["zh"]))}
    assert not offenders, f"zh messages with English words (translate them, or put code in backticks): {offenders}"


# --- what the checks put into messages and titles ------------------------------------------
def _shown_text(node):
    """The string constants of a Msg parameter that end up as text in the message: a constant, the
    constant parts of an f-string, either side of ``+``, ``or`` and ``a if c else b``. The arguments of
    calls and subscripts (``out.get("message")``, ``w["category"]``) are not shown, so not looked at."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node
    elif isinstance(node, ast.JoinedStr):
        for part in node.values:
            yield from _shown_text(part)
    elif isinstance(node, ast.BinOp):
        yield from _shown_text(node.left)
        yield from _shown_text(node.right)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _shown_text(value)
    elif isinstance(node, ast.IfExp):
        yield from _shown_text(node.body)
        yield from _shown_text(node.orelse)


def _calls(name: str | None, folder: str = "autograder"):
    """(path, call) for every call of ``name`` (``Msg(...)``, ``check(...)``; None: any call) in ``folder``."""
    for path in sorted((ROOT / folder).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = node.func if isinstance(node, ast.Call) else None
            if func is not None and (name is None or name in (getattr(func, "id", None), getattr(func, "attr", None))):
                yield path.relative_to(ROOT), node


def english_values() -> list[str]:
    """Where a Msg gets a parameter holding English words, which would stand untranslated in the
    Chinese sentence around it ("实际得到 no exception"): such a value must be a Msg of the catalog."""
    return [f"{path}:{text.lineno}: {kw.arg}={text.value!r} {words}"
            for path, call in _calls("Msg") for kw in call.keywords
            for text in _shown_text(kw.value) if (words := english_words(text.value))]


def test_the_scan_finds_word_values_and_lets_code_through():
    source = ('Msg("cmp.number", got="no exception", expected="ValueError")\n'
              'Msg("cmp.number", got=f"{n} batches moved", expected=out.get("message") or "nn.Module")\n')
    found = [(kw.arg, text.value) for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             and getattr(node.func, "id", None) == "Msg" for kw in node.keywords
             for text in _shown_text(kw.value) if english_words(text.value)]
    assert found == [("got", "no exception"), ("got", " batches moved")]


def test_no_check_passes_english_words_as_a_value():
    offenders = english_values()
    assert not offenders, ("Msg parameters holding English words (give a catalog Msg instead, e.g. "
                           "got=Msg(\"value.no_exception\")):\n" + "\n".join(offenders))


def english_labels() -> list[str]:
    """Where a check labels what it compared (``name=`` of fail, expect_* and the exercise helpers,
    shown in front of the message) with English words: such a label must be a Msg of the catalog
    (``label.*``, ``label.exNN_*``); code (``softmax(x)``, ``history['lr']``) stays a str."""
    return [f"{path}:{text.lineno}: name={text.value!r} {words}"
            for path, call in _calls(None, "autograder/checks") for kw in call.keywords if kw.arg == "name"
            for text in _shown_text(kw.value) if (words := english_words(text.value))]


def test_the_label_scan_finds_word_labels_and_lets_code_through():
    source = ('expect_close(w2, w1, name="w with the same seed")\n'
              'expect_equal(a, b, name=f"{call}: keys best first" if c else "history[\'lr\']")\n'
              'fail(p, name=Msg("label.same_seed", what="w"))\nhelper(x, name="softmax(x)" + "w_new")\n')
    found = [text.value for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)
             for kw in node.keywords if kw.arg == "name"
             for text in _shown_text(kw.value) if english_words(text.value)]
    assert found == ["w with the same seed", ": keys best first"]


def test_no_check_labels_with_english_words():
    labels = sum(kw.arg == "name" for _, call in _calls(None, "autograder/checks") for kw in call.keywords)
    assert labels > 300, "the scan found no name= labels: has the expect_* helpers' name= changed?"
    offenders = english_labels()
    assert not offenders, ("name= labels holding English words (give a catalog Msg instead, e.g. "
                           "name=Msg(\"label.same_seed\", what=\"w\")):\n" + "\n".join(offenders))


def test_no_check_title_holds_untranslated_english():
    offenders = [f"{path}:{call.lineno}: {text.value!r} {words}" for path, call in _calls("check")
                 for kw in call.keywords if kw.arg == "zh"
                 for text in _shown_text(kw.value) if (words := english_words(text.value))]
    titles = sum(kw.arg == "zh" for _, call in _calls("check") for kw in call.keywords)
    assert titles > 100, "the scan found no check titles: has @check changed?"
    assert not offenders, "zh check titles with English words (translate them, or put code in backticks):\n" + \
        "\n".join(offenders)


# --- the readers' reasons (feedback/reasons.py) ------------------------------------------------
READERS = ["autograder/engine/worker_files.py", "autograder/checks/plot_structure_ex04.py",
           "autograder/checks/svg_plot.py", "autograder/checks/tensorboard_reader.py",
           "autograder/checks/reference/ex05.py", "autograder/checks/reference/ex08.py"]
REFUSALS = {"UnsafeFile", "NotAPlot", "BadFile", "NotAnMLP", "TooMuch"}
SAMPLES = [("exc.reason", "a link, not a file"), ("wk", "0.weight"), ("bk", "0.bias"), ("shape", "[3, 4]"),
           ("exc", "ParseError: bad"), ("missing", "'train_loss'"), ("what", "folder"), ("relpath", "plots/a.png"),
           ("path", "tb/x"), ("key", "0.weight")]


def reader_sentences() -> list[str]:
    """Every reason the readers give, as a sample text: each sentence they pass to their exception
    (or to the list of refused files), its {fields} filled with a value of the kind it holds."""
    found = []
    for rel in READERS:
        tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            name = getattr(node.func, "id", getattr(node.func, "attr", "")) if isinstance(node, ast.Call) else ""
            if name not in REFUSALS | {"append"} or not node.args:
                continue
            text = node.args[-1]
            if name == "append" and not isinstance(text, ast.JoinedStr):
                continue
            if isinstance(text, ast.Constant) and isinstance(text.value, str):
                found.append(text.value)
            elif isinstance(text, ast.JoinedStr):
                sample = ""
                for part in text.values:
                    if isinstance(part, ast.Constant):
                        sample += part.value
                    else:
                        source = ast.unparse(part.value)
                        sample += next((v for k, v in SAMPLES if k in source), "12")
                found.append(sample)
    return found


def test_every_reason_a_reader_gives_is_a_catalog_message_and_chinese_in_chinese():
    from autograder.feedback.catalog import Msg, render
    from autograder.feedback.reasons import reason

    def keys(msg):
        yield msg.key
        for value in msg.params.values():
            if isinstance(value, Msg):
                yield from keys(value)

    sentences = reader_sentences()
    assert len(sentences) >= 30, sentences
    for text in sentences:
        msg = reason(text)
        assert "reason.verbatim" not in set(keys(msg)), f"no reason.* message has the shape of {text!r}"
        assert render(msg, "en") and not english_words(render(msg, "zh")), (text, render(msg, "zh"))
    assert reason("plots/a.png: a link, not a file").render("zh") == "plots/a.png：是链接，不是文件"
    assert reason("something new").render("zh") == "`something new`"  # an unknown shape: quoted, as code
