"""The benchmark against nbgrader (benchmarks/peer_nbgrader.py) runs as the README says, with one
command, and its nbgrader course grades as the kit does: every public check has one test cell worth
its points, and on a class of complete solutions, an independent implementation and untouched stubs
the two tools give the same points, check by check."""
import ast
import re
import sys

import pytest
from conftest import ROOT, run_grade

sys.path.insert(0, str(ROOT / "benchmarks"))
import peer_course  # noqa: E402 - the benchmarks' own folder, put on the path above

pytestmark = pytest.mark.timeout(1500)


def student_names() -> set[str]:
    """The top-level names the student's files define (solutions/): a test cell must not rebind one."""
    names = set()
    for path in (ROOT / "solutions").glob("ex0*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def test_every_public_check_has_one_test_cell_worth_its_points_that_leaves_the_students_names_alone():
    taken = student_names()
    total = 0.0
    shared = peer_course.common_setup()
    assert "def _nb_wire" in shared
    for exercise in peer_course.EXERCISES:
        setup, cells = peer_course.test_cells(exercise)  # refuses a missing or a left-over cell
        assert [c.name for c in cells] == [name for name, _ in peer_course.public_checks(exercise)]
        total += sum(c.points for c in cells)
        for cell in [shared, setup, *(c.source for c in cells)]:
            tree = ast.parse(cell)
            bound = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign))
                     for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
                     if isinstance(t, ast.Name)}
            bound |= {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
            assert not bound & taken, f"{exercise}: a test cell rebinds the student's {sorted(bound & taken)}"
            assert "autograder" not in cell, f"{exercise}: a test cell uses the kit itself"
    assert total == 100


def test_the_stubs_pass_no_test_cell():
    """Run in this process, as a kernel would: the untouched stubs earn nothing from any cell."""
    results = peer_course.run_in_process(ROOT / "exercises")
    passed = [cell.name for cell, ok, _, _ in results if ok]
    assert len(results) == 108 and passed == []


def test_the_benchmark_grades_a_class_with_both_tools_and_they_agree_check_by_check(tmp_path):
    done = run_grade("benchmark", "peer_nbgrader", "--students", "3", "--keep", tmp_path, timeout=1400)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr[-3000:]
    for line in ("./grade.sh bulk --jobs 2:", "./grade.sh bulk --jobs 1:", "nbgrader autograde:"):
        seconds = re.search(re.escape(line) + r"\s+([\d.]+) s in all,\s+([\d.]+) s per submission", out)
        assert seconds and float(seconds.group(2)) > 0, out
    assert re.search(r"nbgrader / bulk --jobs 2:\s+[\d.]+x", out), out
    assert re.search(r"overhead per submission beyond it: bulk --jobs 1 [+-][\d.]+ s, nbgrader autograde [+-][\d.]+ s",
                     out), out
    # student-000: solutions/, student-001: the independent implementation, student-002: the stubs
    assert "student-000: bulk 100, nbgrader 100 points" in out, out
    assert "student-001: bulk 100, nbgrader 100 points" in out, out
    assert "student-002: bulk 0, nbgrader 0 points" in out, out
    assert "students whose points differ between the two: 0 of 3" in out, out
    # the course is a real nbgrader course: graded notebooks with the cells' outputs, and its gradebook
    graded = tmp_path / "course" / "autograded" / "student-001" / "peer" / "peer.ipynb"
    assert graded.is_file() and (tmp_path / "course" / "gradebook.db").is_file()
