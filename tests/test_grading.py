"""The grading contract of SPEC.md, run as users run it: ./grade.sh in a subprocess."""
import ast
import json
import re

import pytest
from conftest import ROOT, grade_json, run_grade

from autograder.assignment import MAX_SCORE, MODULES, POINTS


@pytest.fixture(scope="module")
def solutions_public(tmp_path_factory):
    return grade_json(ROOT / "solutions", tmp_path_factory.mktemp("pub"))


@pytest.fixture(scope="module")
def stubs_public(tmp_path_factory):
    return grade_json(ROOT / "exercises", tmp_path_factory.mktemp("stubs"))


def test_solutions_get_full_public_marks(solutions_public):
    report, done = solutions_public
    assert report["score"] == MAX_SCORE, [t for t in report["tests"] if t["status"] != "passed"]
    assert report["max_score"] == MAX_SCORE
    assert report["isolation"] in ("bwrap", "landlock+seccomp", "landlock", "seccomp", "process")
    assert {t["status"] for t in report["tests"]} == {"passed"}
    assert {ex: v["score"] for ex, v in report["exercises"].items() if ex in POINTS} == POINTS
    assert "All checks passed." in done.stdout


def test_report_has_the_fields_of_the_contract(solutions_public):
    report, _ = solutions_public
    for key in ("score", "max_score", "bonus", "isolation", "tests"):
        assert key in report
    for t in report["tests"]:
        assert set(t) >= {"name", "exercise", "points", "max_points", "status", "feedback"}
        assert t["status"] in ("passed", "failed", "error", "timeout")


def test_untouched_stubs_get_zero_and_read_as_not_implemented(stubs_public):
    report, done = stubs_public
    assert report["score"] == 0
    statuses = {t["status"] for t in report["tests"]}
    assert statuses == {"failed"}, [t for t in report["tests"] if t["status"] != "failed"][:3]
    assert all("not implemented yet" in t["feedback"] for t in report["tests"])
    assert "Traceback" not in done.stdout and "Traceback" not in done.stderr
    for function in {t["function"] for t in report["tests"]}:
        assert re.search(rf"\b{re.escape(function)}\b", done.stdout), function
    # The folder as it was given to ./grade.sh grade (here an absolute path), and the command again.
    folder = ROOT / "exercises"
    assert f"Next: open {folder / 'ex01_gradient_descent.py'}, write softmax" in done.stdout
    assert f"then run ./grade.sh grade {folder} again." in done.stdout


# train_mnist is the bonus: graded only where data/MNIST/raw exists, never in the self-check.
NOT_IN_THE_SELF_CHECK = {"train_mnist"}


def to_write(module: str) -> list[str]:
    """The public functions and classes of a stub that the student writes (they raise
    NotImplementedError); private helpers such as _atomic_save are reached through them."""
    tree = ast.parse((ROOT / "exercises" / f"{module}.py").read_text())
    return [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
            and not node.name.startswith("_") and node.name not in NOT_IN_THE_SELF_CHECK
            and any(isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n) for n in ast.walk(node))]


def test_the_self_check_names_every_function_still_to_write(stubs_public):
    report, done = stubs_public
    todo = {line.split()[2]: line for line in done.stdout.splitlines() if "Not implemented yet:" in line}
    missing = [(ex, name) for ex, module in MODULES.items() for name in to_write(module)
               if not re.search(rf"[:,] {re.escape(name)}\b", todo.get(ex, ""))]
    assert missing == [], done.stdout
    assert sum(len(to_write(m)) for m in MODULES.values()) >= 40


def test_self_check_grades_exercises_with_public_checks():
    done = run_grade()
    assert done.returncode == 0
    assert re.search(r"total\s+0/100", done.stdout)


def test_feedback_in_chinese(tmp_path):
    report, done = grade_json(ROOT / "exercises", tmp_path, "--lang", "zh", "-k", "ex01")
    assert "还没有实现" in report["tests"][0]["feedback"]
    assert "总分" in done.stdout


def test_gradescope_results(tmp_path):
    out = tmp_path / "results.json"
    done = run_grade("grade", ROOT / "exercises", "--gradescope", out, "-k", "ex02")
    assert done.returncode == 0
    data = json.loads(out.read_text())
    assert data["score"] == 0 and data["tests"]
    for t in data["tests"]:
        assert t["visibility"] == "visible" and t["status"] == "failed" and t["max_score"] > 0


def test_hidden_checks_are_after_published_on_gradescope(tmp_path):
    out = tmp_path / "results.json"
    done = run_grade("grade", ROOT / "exercises", "--hidden", "--gradescope", out, "-k", "ex02")
    assert done.returncode == 0
    assert {t["visibility"] for t in json.loads(out.read_text())["tests"]} == {"after_published"}


def test_missing_folder_is_a_clear_error_with_nonzero_exit(tmp_path):
    done = run_grade("grade", tmp_path / "nope")
    assert done.returncode == 2
    assert "does not exist" in done.stderr


def test_a_folder_with_exercises_subfolder_is_found(tmp_path):
    (tmp_path / "exercises").mkdir()
    solution = (ROOT / "solutions" / "ex01_gradient_descent.py").read_text()
    (tmp_path / "exercises" / "ex01_gradient_descent.py").write_text(solution)
    report, _ = grade_json(tmp_path, tmp_path, "-k", "ex01")
    assert report["exercises"]["ex01"]["score"] == POINTS["ex01"]
