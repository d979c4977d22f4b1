"""The same class graded by ``./grade.sh bulk`` and by a real ``nbgrader autograde``, in one run.

    python benchmarks/peer_nbgrader.py [--students 8] [--keep FOLDER]

The class is benchmarks/bulk.py's (complete solutions, an independent implementation, partial work,
untouched stubs). The benchmark builds the nbgrader course itself (benchmarks/peer_course.py): an
assignment with one notebook per student holding that student's eight files, and one autograder
test cell per public check, worth its points, that makes the check's computation again in the
kernel. Both tools grade the public checks only, one torch thread per submission, as the kit's
workers use.

It prints the wall time per submission of ``bulk --jobs 2``, of ``bulk --jobs 1`` and of
``nbgrader autograde`` (which grades one notebook after another), their ratios, and each serial
run's overhead per submission beyond the checks' own compute: the test cells run one submission
after another in one warm Python process, with no tool (torch imported before the clock starts).
The kit's checks do more than the cells (hints' diagnoses, the grader's own reference runs, what
the worker observes); that work is counted in its overhead. Last, the points each tool gave each
student, check by check, and where they differ.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from bulk import make_class
from keepers import end_keepers
from peer_course import CELLS, EXERCISES, common_setup, exercise_file, student_code, test_cells

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "peer"
KERNEL = "dlgrader-peer"
CONFIG = """c = get_config()  # noqa: F821 - nbgrader's config loader defines it
c.CourseDirectory.course_id = "dlgrader-peer"
c.CourseDirectory.root = {root!r}
c.Execute.timeout = 600  # seconds per cell; nbgrader's default (30) is shorter than the training checks' budget
c.Execute.kernel_name = {kernel!r}
"""


def nb_metadata(**fields) -> dict:
    return {"nbgrader": {"schema_version": 3, **fields}}


def notebook(folder: Path) -> nbformat.NotebookNode:
    """The assignment's notebook holding ``folder``'s code (the stubs, for the course's source)."""
    cells = [nbformat.v4.new_markdown_cell("# The workflow chapter: exercises ex01-ex08\n"),
             nbformat.v4.new_code_cell(common_setup(), metadata=nb_metadata(
                 grade=False, solution=False, locked=True, grade_id="common_setup"))]
    for exercise in EXERCISES:
        path = exercise_file(folder, exercise)
        cells.append(nbformat.v4.new_markdown_cell(f"## {exercise}\n"))
        cells.append(nbformat.v4.new_code_cell(
            student_code(path) if path else "", metadata=nb_metadata(
                grade=False, solution=True, locked=False, grade_id=f"{exercise}_code")))
        setup, tests = test_cells(exercise)
        cells.append(nbformat.v4.new_code_cell(setup, metadata=nb_metadata(
            grade=False, solution=False, locked=True, grade_id=f"{exercise}_setup")))
        for cell in tests:
            cells.append(nbformat.v4.new_code_cell(cell.source, metadata=nb_metadata(
                grade=True, solution=False, locked=True, points=cell.points, grade_id=cell.name)))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": KERNEL, "display_name": "Python (dlgrader peer)", "language": "python"}
    return nb


def run(cmd: list[str], cwd: Path, env: dict) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - t0


def build_course(course: Path, subs: list[Path], env: dict) -> None:
    """An nbgrader course: its config, a kernel of this Python, the assignment made from the stubs'
    notebook by ``nbgrader generate_assignment``, the students, and each one's submitted notebook."""
    kernel = course / "jupyter" / "kernels" / KERNEL
    kernel.mkdir(parents=True)
    (kernel / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python (dlgrader peer)", "language": "python"}))
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course), kernel=KERNEL))
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    nbformat.write(notebook(ROOT / "exercises"), source / f"{ASSIGNMENT}.ipynb")
    nbgrader = [sys.executable, "-m", "nbgrader"]
    run([*nbgrader, "db", "assignment", "add", ASSIGNMENT], course, env)
    for sub in subs:
        run([*nbgrader, "db", "student", "add", sub.name], course, env)
    run([*nbgrader, "generate_assignment", ASSIGNMENT, "--force"], course, env)
    for sub in subs:
        folder = course / "submitted" / sub.name / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook(sub), folder / f"{ASSIGNMENT}.ipynb")
        (folder / "timestamp.txt").write_text("2026-12-01 23:59:00 UTC")


def nbgrader_points(course: Path, subs: list[Path]) -> dict[str, dict[str, float]]:
    """{student: {check: points}} from the course's gradebook."""
    from nbgrader.api import Gradebook

    points = {}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for sub in subs:
            nb = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, sub.name)  # (notebook, assignment, student)
            points[sub.name] = {grade.name: float(grade.score) for grade in nb.grades}
    return points


def kernel_seconds(course: Path, sub: Path) -> float:
    """Seconds nbgrader's kernel spent in the test cells of ``sub``'s notebook (nbclient's timing)."""
    from datetime import datetime

    nb = nbformat.read(course / "autograded" / sub.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    total = 0.0
    for cell in nb.cells:
        timing = cell.metadata.get("execution", {})
        if cell.metadata.get("nbgrader", {}).get("grade") and "shell.execute_reply" in timing:
            start, end = (datetime.fromisoformat(timing[key].replace("Z", "+00:00"))
                          for key in ("iopub.execute_input", "shell.execute_reply"))
            total += (end - start).total_seconds()
    return total


def bulk_points(out: Path, subs: list[Path]) -> dict[str, dict[str, float]]:
    points = {}
    for sub in subs:
        data = json.loads((out / "results" / f"{sub.name}.json").read_text())
        points[sub.name] = {t["name"]: float(t["points"]) for t in data["tests"] if t["exercise"] in EXERCISES}
    return points


def cell_compute(subs: list[Path], env: dict) -> list[float]:
    """Seconds of each submission's test cells, run in one warm Python process with no tool."""
    script = (
        "import sys, json; sys.path.insert(0, sys.argv[1]); import torch, torchvision, sklearn, matplotlib\n"
        "import peer_course\n"
        "from pathlib import Path\n"
        "peer_course.CELLS = Path(sys.argv[2])\n"
        "print(json.dumps([sum(r[2] for r in peer_course.run_in_process(Path(p))) for p in sys.argv[3:]]))\n")
    done = subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent), str(CELLS),
                           *map(str, subs)], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"running the test cells without a tool failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--keep", type=Path, help="copy the nbgrader course and bulk's output folders here")
    args = parser.parse_args()
    grade = str(ROOT / "grade.sh")
    with tempfile.TemporaryDirectory(prefix="dlpeer") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "DLGRADER_KEEP_WARM": "0", "TMPDIR": str(tmp), "OMP_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "DL_DATA_DIR": str(ROOT / "data"),
               "JUPYTER_PATH": str(tmp / "course" / "jupyter"),
               "PYTHONHASHSEED": "0",
               # nbgrader runs its database's `alembic` from PATH: this Python's
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
        subs = make_class(tmp / "class", args.students)
        course = tmp / "course"
        course.mkdir()
        build_course(course, subs, env)
        try:
            bulk2 = run([grade, "bulk", str(tmp / "class"), "--out", str(tmp / "bulk2"), "--jobs", "2"], ROOT, env)
            bulk1 = run([grade, "bulk", str(tmp / "class"), "--out", str(tmp / "bulk1"), "--jobs", "1"], ROOT, env)
        finally:
            end_keepers(str(tmp))
        nbg = run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"], course, env)
        compute = cell_compute(subs, env)
        in_kernel = sum(kernel_seconds(course, sub) for sub in subs) / len(subs)
        ours, theirs = bulk_points(tmp / "bulk2", subs), nbgrader_points(course, subs)
        if args.keep:
            for name in ("course", "bulk1", "bulk2"):
                shutil.copytree(tmp / name, args.keep / name, dirs_exist_ok=True)
    n = len(subs)
    per_compute = sum(compute) / n
    checks = sum(len(test_cells(ex)[1]) for ex in EXERCISES)
    print(f"{n} submissions, the {checks} public checks of ex01-ex08, one torch thread")
    print(f"./grade.sh bulk --jobs 2:       {bulk2:7.1f} s in all, {bulk2 / n:6.2f} s per submission")
    print(f"./grade.sh bulk --jobs 1:       {bulk1:7.1f} s in all, {bulk1 / n:6.2f} s per submission")
    print(f"nbgrader autograde:             {nbg:7.1f} s in all, {nbg / n:6.2f} s per submission")
    print(f"nbgrader / bulk --jobs 2:       {nbg / bulk2:.2f}x")
    print(f"nbgrader / bulk --jobs 1:       {nbg / bulk1:.2f}x")
    print(f"the checks' own compute (the test cells in one warm Python, no tool): {per_compute:.2f} s per submission")
    print(f"the same test cells inside nbgrader's kernels (nbclient's timing): {in_kernel:.2f} s per submission")
    print(f"overhead per submission beyond it: bulk --jobs 1 {bulk1 / n - per_compute:+.2f} s, "
          f"nbgrader autograde {nbg / n - per_compute:+.2f} s")
    differ = 0
    for sub in subs:
        mine, peer = ours[sub.name], theirs[sub.name]
        names = [c.name for ex in EXERCISES for c in test_cells(ex)[1]]
        diff = [name for name in names if abs(mine.get(name, 0.0) - peer.get(name, 0.0)) > 1e-9]
        differ += bool(diff)
        print(f"  {sub.name}: bulk {sum(mine.values()):g}, nbgrader {sum(peer.values()):g} points"
              + (f"; checks that differ: {', '.join(diff)}" if diff else ""))
    print(f"students whose points differ between the two: {differ} of {n}")


if __name__ == "__main__":
    main()
