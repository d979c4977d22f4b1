"""Each suite gives every exercise exactly its SPEC.md points, and every check is declared properly."""
import ast
from collections import defaultdict

import pytest

from autograder.assignment import BONUS, POINTS
from autograder.grading.runner import CHECKS_DIR


def declared_checks(suite):
    found = []
    for path in sorted((CHECKS_DIR / suite).glob("test_*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            marks = [d for d in node.decorator_list
                     if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "check"]
            assert len(marks) == 1, f"{path.name}::{node.name} needs exactly one @check(...)"
            args = [ast.literal_eval(a) for a in marks[0].args]
            kw = {k.arg: ast.literal_eval(k.value) for k in marks[0].keywords}
            assert kw.get("en") and kw.get("zh"), f"{node.name}: a title in both languages"
            found.append((path.name, node.name, *args))
    return found


@pytest.mark.parametrize("suite", ["public", "hidden"])
def test_points_per_exercise_match_the_spec(suite):
    totals = defaultdict(float)
    for _, _, exercise, _function, points in declared_checks(suite):
        assert points > 0
        totals[exercise] += points
    expected = dict(POINTS)
    if suite == "hidden" or "mnist" in totals:
        expected.update({k: v for k, v in BONUS.items() if k in totals})
    assert dict(totals) == expected


@pytest.mark.parametrize("suite", ["public", "hidden"])
def test_checks_live_in_the_module_of_their_exercise(suite):
    for filename, name, exercise, *_ in declared_checks(suite):
        owner = "ex08" if exercise == "mnist" else exercise
        assert filename.startswith(f"test_{owner}_"), f"{filename}::{name} grades {exercise}"
