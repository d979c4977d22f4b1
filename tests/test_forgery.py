"""Forging cases (tests/hostile/forgery_*.py): no trick scores more than the same code without it.

Every case and its plain twin are graded as ONE class per suite and isolation level with
``./grade.sh bulk`` (tests/hostile/forgery.py). The hidden suite runs under bubblewrap and under
the fallback (DLGRADER_ISOLATION=process); the public suite, whose checks use the same
instruments on other data, under bubblewrap.
"""
import pytest
from conftest import bwrap_or_skip
from hostile import forgery

CASES = forgery.load_cases()
RUNS = [("hidden", "bwrap"), ("hidden", "process"), ("public", "bwrap")]
_GRADED: dict = {}


def graded(suite, isolation, tmp_path_factory) -> forgery.ClassRun:
    if (suite, isolation) not in _GRADED:
        root = tmp_path_factory.mktemp(f"forgery-{suite}-{isolation}")
        _GRADED[suite, isolation] = forgery.grade_class(CASES, root, suite, isolation)
    return _GRADED[suite, isolation]


def test_every_case_is_well_formed():
    assert CASES, "no forging case found"
    for case in CASES:
        assert case.exercise in {"ex01", "ex02", "ex03", "ex04", "ex05", "ex06", "ex07", "ex08"}, case.name
        assert case.trick and case.why, case.name
        assert case.files("trick") != case.files("plain"), f"{case.name}: the trick changes nothing"


@pytest.mark.parametrize("suite,isolation", RUNS, ids=[f"{s}-{i}" for s, i in RUNS])
def test_no_trick_scores_more_than_the_same_code_without_it(suite, isolation, tmp_path_factory):
    if isolation == "bwrap":
        bwrap_or_skip()
    run = graded(suite, isolation, tmp_path_factory)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    chosen = [c for c in CASES if suite in c.suites]
    wrong = [line for case in chosen for line in forgery.verdict(case, run)] + run.problems
    assert not wrong, "\n".join(wrong)
    # The class's reports say how the code was confined, and every twin was graded.
    assert all(r["status"] == "graded" for r in run.results.values()), \
        {s: r.get("problems") for s, r in run.results.items() if r["status"] != "graded"}
