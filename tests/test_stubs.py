"""exercises/ is generated from solutions/ by nbgrader's ClearSolutions and stays in step."""
import importlib
import re
import shutil

from conftest import ROOT, run_grade

from autograder import stubs


def test_stubs_match_solutions():
    assert stubs.check_stubs() == []
    done = run_grade("stubs", "--check")
    assert done.returncode == 0, done.stderr


def test_stubs_carry_the_header_and_no_solution_code():
    for sol in stubs.solution_files():
        stub = (ROOT / "exercises" / sol.name).read_text()
        assert stub.startswith("# Generated from solutions/") and "do not edit" in stub
        assert "BEGIN SOLUTION" not in stub and "END SOLUTION" not in stub
        regions = sol.read_text().count("### BEGIN SOLUTION")
        assert regions > 0
        assert stub.count("# YOUR CODE HERE\n") == regions
        assert stub.count("raise NotImplementedError()") == regions
        assert not re.search(r"^\s*pass\s*$", stub, re.M), f"{sol.name}: a stub must raise, never pass"


def test_every_stub_module_imports():
    for sol in stubs.solution_files():
        importlib.import_module(f"exercises.{sol.stem}")


def test_check_fails_after_a_solution_changes_without_regenerating(tmp_path):
    for name in ("solutions", "exercises"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    assert stubs.check_stubs(tmp_path) == []
    sol = tmp_path / "solutions" / "ex01_gradient_descent.py"
    sol.write_text(sol.read_text().replace('"""', '"""Edited. ', 1))
    problems = stubs.check_stubs(tmp_path)
    assert problems and "ex01_gradient_descent.py" in problems[0]
    stubs.write_stubs(tmp_path)
    assert stubs.check_stubs(tmp_path) == []


def test_check_fails_after_a_stub_is_edited_by_hand(tmp_path):
    for name in ("solutions", "exercises"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    stub = tmp_path / "exercises" / "ex03_model.py"
    stub.write_text(stub.read_text() + "\n# my note\n")
    assert any("ex03_model.py" in p for p in stubs.check_stubs(tmp_path))
