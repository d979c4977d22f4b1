"""Each suite gives every exercise exactly its handout points, and every check is declared properly."""
from collections import defaultdict

import pytest

from autograder.assignment import BONUS, POINTS
from autograder.checks import points
from autograder.grading.runner import CHECKS_DIR


def declared_checks(suite):
    """(file, name, exercise, function, weight) of every check of ``suite``, read as text."""
    found = []
    for c in points.declared(suite):
        assert c.keywords.get("en") and c.keywords.get("zh"), f"{c.name}: a title in both languages"
        found.append((c.file, c.name, c.exercise, c.function, c.weight))
    return found


@pytest.mark.parametrize("suite", ["public", "hidden"])
def test_points_per_exercise_match_the_handout(suite):
    """The derived points of each exercise's checks add up to its points exactly (in hundredths),
    the bonus's too (its checks exist in both suites and run where its data is)."""
    shares = points.points(suite)
    cents = defaultdict(int)
    for file, name, exercise, _function, _weight in declared_checks(suite):
        assert shares[file, name] > 0
        cents[exercise] += round(shares[file, name] * 100)
    assert {ex: c / 100 for ex, c in cents.items()} == {**POINTS, **BONUS}


def test_points_are_shared_in_proportion_to_weights_and_add_up_exactly():
    assert points.share(15, [2, 1.5, 1.5]) == [6.0, 4.5, 4.5]
    sixteen = points.share(15, [1] * 16)
    assert sum(round(p * 100) for p in sixteen) == 1500
    assert sixteen == [0.94] * 12 + [0.93] * 4  # ties go to the check declared first
    assert points.share(10, [1, 1, 1]) == [3.34, 3.33, 3.33]


@pytest.mark.parametrize("suite", ["public", "hidden"])
def test_checks_live_in_the_module_of_their_exercise(suite):
    for filename, name, exercise, *_ in declared_checks(suite):
        owner = "ex08" if exercise == "mnist" else exercise
        assert filename.startswith(f"test_{owner}_"), f"{filename}::{name} grades {exercise}"


def in_process_checks():
    """{(suite, exercise, check name): (points, what)} of every check marked ``in_process``, with
    its derived points."""
    found = {}
    for suite in ("public", "hidden"):
        shares = points.points(suite)
        for c in points.declared(suite):
            if c.keywords.get("in_process"):
                found[suite, c.exercise, c.name] = (shares[c.file, c.name], c.keywords["in_process"])
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
