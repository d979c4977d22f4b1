"""Chinese feedback is Chinese throughout: no zh message of the catalog (hints included) holds an
English word, other than code and values.

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
         "nan", "inf", "py", "png", "svg", "pt", "cm"}
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
