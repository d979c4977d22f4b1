"""The message catalog: both languages everywhere, the same placeholders, no dangling keys."""
import re
import string

from autograder.feedback.catalog import LANGUAGES, MESSAGES, Msg
from autograder.grading.runner import CHECKS_DIR

ROOT = CHECKS_DIR.parent


def fields(template):
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_message_has_every_language_with_the_same_placeholders():
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGUAGES), key
        assert fields(texts["en"]) == fields(texts["zh"]), key
        assert re.search(r"[\u4e00-\u9fff]", texts["zh"]) or not re.search(r"[A-Za-z]{4,}", texts["zh"]), key



def test_no_placeholder_is_named_key():
    """Msg(key, **params): a parameter called ``key`` could not be passed."""
    assert not [k for k, texts in MESSAGES.items() if "key" in fields(texts["en"])]

def test_every_hint_is_used_and_every_used_key_exists():
    source = "\n".join(p.read_text() for p in ROOT.rglob("*.py"))
    used = set(re.findall(r"""["'](hint\.[A-Za-z0-9_]+)["']""", source))
    hints = {k for k in MESSAGES if k.startswith("hint.")}
    definitions = "\n".join(p.read_text() for p in (ROOT / "feedback" / "hints").glob("*.py"))
    used_outside_definitions = {k for k in used if source.count(f'"{k}"') + source.count(f"'{k}'")
                                > definitions.count(f'"{k}"') + definitions.count(f"'{k}'")}
    assert used <= hints, f"unknown hint keys: {sorted(used - hints)}"
    assert hints <= used_outside_definitions, f"hints no check uses: {sorted(hints - used_outside_definitions)}"



def test_every_value_text_is_used_and_every_used_one_exists():
    """The ``value.*`` messages: words a check shows as got or expected (a Msg parameter)."""
    checks = "\n".join(p.read_text() for p in (ROOT / "checks").rglob("*.py"))
    used = set(re.findall(r"""["'](value\.[A-Za-z0-9_]+)["']""", checks))
    values = {k for k in MESSAGES if k.startswith("value.")}
    assert used <= values, f"unknown value keys: {sorted(used - values)}"
    assert values <= used, f"value texts no check uses: {sorted(values - used)}"

def test_every_label_is_used_and_every_used_one_exists():
    """The ``label.*`` messages: a check's label in front of its message (``name=``), and the report's
    own labels (got, expected, hint)."""
    source = "\n".join(p.read_text() for p in ROOT.rglob("*.py") if "feedback" not in p.parts)
    used = set(re.findall(r"""["'](label\.[A-Za-z0-9_]+)["']""", source))
    labels = {k for k in MESSAGES if k.startswith("label.")}
    assert used <= labels, f"unknown label keys: {sorted(used - labels)}"
    assert labels <= used, f"label texts nothing uses: {sorted(labels - used)}"


def test_rendering_in_both_languages():
    msg = Msg("not_implemented", func="softmax")
    assert "softmax" in msg.render("en") and "not implemented" in msg.render("en")
    assert "还没有实现" in msg.render("zh")
