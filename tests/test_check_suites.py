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
    assert dict(totals) == {**POINTS, **BONUS}  # the bonus's checks exist in both suites (run where its data is)


@pytest.mark.parametrize("suite", ["public", "hidden"])
def test_checks_live_in_the_module_of_their_exercise(suite):
    for filename, name, exercise, *_ in declared_checks(suite):
        owner = "ex08" if exercise == "mnist" else exercise
        assert filename.startswith(f"test_{owner}_"), f"{filename}::{name} grades {exercise}"


def in_process_checks():
    """{(suite, exercise, check name): (points, what)} of every check marked ``in_process``."""
    found = {}
    for suite in ("public", "hidden"):
        for path in sorted((CHECKS_DIR / suite).glob("test_*.py")):
            for node in ast.parse(path.read_text()).body:
                if not isinstance(node, ast.FunctionDef):
                    continue
                for mark in node.decorator_list:
                    if isinstance(mark, ast.Call) and getattr(mark.func, "id", "") == "check":
                        kw = {k.arg: ast.literal_eval(k.value) for k in mark.keywords}
                        if kw.get("in_process"):
                            exercise, _function, points = (ast.literal_eval(a) for a in mark.args)
                            found[suite, exercise, node.name] = (float(points), kw["in_process"])
    return found


def readme_in_process_table():
    """The rows of README.md's table of checks that rest on behaviour inside the worker."""
    text = (CHECKS_DIR.parents[1] / "README.md").read_text()
    start = text.index("<!-- in-process checks -->")
    end = text.index("<!-- end of in-process checks -->")
    rows = {}
    for line in text[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in ("public", "hidden"):
            suite, exercise, name, points, _what = cells
            rows[suite, exercise, name.strip("`")] = float(points)
    return rows


def test_readme_lists_every_in_process_check_with_its_points():
    """README.md names each check whose verdict also rests on what happened inside the worker,
    with its points, and names no other."""
    marked = {key: points for key, (points, _) in in_process_checks().items()}
    assert readme_in_process_table() == marked
