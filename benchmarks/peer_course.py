"""The nbgrader course that benchmarks/peer_nbgrader.py grades: one notebook per student.

A student's notebook opens with a locked cell of the set-up every exercise's test cells share
(``peer_nbgrader_cells/common.py``), then holds, per exercise, a cell with that student's ``exNN_*.py`` (its imports
of the other exercises dropped: in one notebook, in order, their names are already defined),
a locked cell of shared test set-up, and one autograder test cell (nbgrader's grade cell) per
public check of ``autograder/checks/public/test_exNN_*.py``, worth the same points. The test
cells are in ``benchmarks/peer_nbgrader_cells/exNN.py``; they make each public check's
computation again in plain torch, on the same inputs, as an nbgrader course's asserts would.

``python benchmarks/peer_course.py FOLDER [exNN ...]`` runs a submission folder's notebook code in
this process (every exercise's code, the test cells of the exercises named, all by default) and
prints which test cells pass: the way to write and check a test cell.
"""
from __future__ import annotations

import ast
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CELLS = Path(__file__).resolve().parent / "peer_nbgrader_cells"
PUBLIC = ROOT / "autograder" / "checks" / "public"
EXERCISES = [f"ex0{i}" for i in range(1, 9)]
HEADER = re.compile(r"^# %% (\w+)\s*$", re.M)


@dataclass(frozen=True)
class TestCell:
    exercise: str
    name: str  # the public check's function name, also the grade cell's id
    points: float
    source: str


def public_checks(exercise: str) -> list[tuple[str, float]]:
    """(name, points) of each public check of ``exercise``, in file order, read from its ``@check``."""
    (path,) = PUBLIC.glob(f"test_{exercise}_*.py")
    found = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef):
            for dec in node.decorator_list:
                if (isinstance(dec, ast.Call) and getattr(dec.func, "id", "") == "check"
                        and ast.literal_eval(dec.args[0]) == exercise):  # not the bonus's, in ex08's file
                    found.append((node.name, float(ast.literal_eval(dec.args[2]))))
    return found


def cell_sources(exercise: str) -> dict[str, str]:
    """The cells of ``peer_nbgrader_cells/<exercise>.py`` by name (``setup`` is not graded)."""
    text = (CELLS / f"{exercise}.py").read_text(encoding="utf-8")
    parts = HEADER.split(text)
    return {name: body.strip("\n") + "\n" for name, body in zip(parts[1::2], parts[2::2])}


def common_setup() -> str:
    """The set-up cell every exercise's test cells share, first in the notebook."""
    return cell_sources("common").get("setup", "")


def test_cells(exercise: str) -> tuple[str, list[TestCell]]:
    """The set-up cell and the test cells of ``exercise``: exactly one per public check, or an error
    that names what is missing or left over."""
    sources = cell_sources(exercise)
    setup = sources.pop("setup", "")
    checks = public_checks(exercise)
    missing = [name for name, _ in checks if name not in sources]
    extra = sorted(set(sources) - {name for name, _ in checks})
    if missing or extra:
        raise SystemExit(f"peer_nbgrader_cells/{exercise}.py: no cell for {missing}; cells of no check: {extra}")
    return setup, [TestCell(exercise, name, points, sources[name]) for name, points in checks]


def student_code(path: Path) -> str:
    """The text of one exercise file without its imports of the other exercises (``from .ex03_model
    import MLP``): in the notebook those names are defined by the cells above."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return text  # a broken file goes into its cell as it is, as in a student's notebook
    for node in reversed(tree.body):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            del lines[node.lineno - 1:node.end_lineno]
    return "".join(lines)


def exercise_file(folder: Path, exercise: str) -> Path | None:
    found = sorted(folder.glob(f"{exercise}_*.py"))
    return found[0] if found else None


def run_in_process(folder: Path, exercises=EXERCISES) -> list[tuple[TestCell, bool, float, str]]:
    """Run the notebook of ``folder`` cell by cell in one namespace of this process, as a kernel
    would (every exercise's code; the test cells of ``exercises``): (cell, passed, seconds, error)
    for each test cell. The seconds are the test cells' own compute, with everything imported before."""
    namespace: dict = {"__name__": "__main__"}
    results = []
    exec(compile(common_setup(), "common:setup", "exec"), namespace)
    for exercise in EXERCISES:
        path = exercise_file(folder, exercise)
        try:
            exec(compile(student_code(path), str(path), "exec"), namespace)
        except Exception as exc:  # noqa: BLE001 - as a notebook cell's error: the later cells still run
            print(f"{path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        if exercise not in exercises:
            continue
        setup, cells = test_cells(exercise)
        try:
            exec(compile(setup, f"{exercise}:setup", "exec"), namespace)
        except Exception as exc:  # noqa: BLE001 - a set-up cell may use the student's code; its cells then fail
            print(f"{exercise} set-up: {type(exc).__name__}: {exc}", file=sys.stderr)
        for cell in cells:
            t0 = time.perf_counter()
            try:
                exec(compile(cell.source, f"{exercise}:{cell.name}", "exec"), namespace)
                passed, error = True, ""
            except Exception as exc:  # noqa: BLE001 - a failing test cell is a result
                passed, error = False, f"{type(exc).__name__}: {str(exc)[:200]}"
            results.append((cell, passed, time.perf_counter() - t0, error))
    return results


def main() -> None:
    folder = Path(sys.argv[1])
    exercises = sys.argv[2:] or EXERCISES
    import torch  # noqa: F401 - imported before the cells are timed

    total = got = 0.0
    for cell, passed, seconds, error in run_in_process(folder, exercises):
        total += cell.points
        got += cell.points if passed else 0
        print(f"{'pass' if passed else 'FAIL'} {cell.exercise} {cell.name} {cell.points:g} ({seconds:.2f} s) {error}")
    print(f"{got:g} / {total:g} points")


if __name__ == "__main__":
    main()
