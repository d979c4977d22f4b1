"""Grading a class: a dozen mixed submissions graded with --jobs 2 give exactly the
grades each gets alone; a rerun grades nothing; a run killed with SIGKILL and started
again ends with the same gradebook."""
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import pytest
from conftest import GRADE, ROOT, run_grade

from autograder.assignment import EXERCISES, MAX_SCORE

pytestmark = pytest.mark.timeout(2400)  # a class graded twice over; generous for a loaded CI machine

# Short enough that the endless submission costs little, long enough for a loaded 2-core CI machine.
LIMITS = {"DLGRADER_CALL_SECONDS": "30", "DLGRADER_SUBMISSION_SECONDS": "600"}
SOLUTIONS = ROOT / "solutions"
STUBS = ROOT / "exercises"
INDEPENDENT = ROOT / "tests" / "fixtures" / "independent"


def _copy(src: Path, dst: Path, only=None) -> Path:
    dst.mkdir(parents=True)
    for f in sorted(src.glob("ex0*.py")):
        if only is None or f.name[:4] in only:
            shutil.copy(f, dst / f.name)
    return dst


def _append(folder: Path, name: str, code: str, at_top: bool = False) -> None:
    path = folder / name
    text = path.read_text()
    path.write_text(code + text if at_top else text + "\n" + code)


def build_class(root: Path) -> dict[str, Path]:
    """The class folder and, per student, a folder holding what `./grade.sh grade` gets alone."""
    klass = root / "class"
    alone = root / "alone"
    klass.mkdir()
    subs = {
        "alice-complete": _copy(SOLUTIONS, alone / "alice-complete"),
        "ivan-independent": _copy(INDEPENDENT, alone / "ivan-independent"),
        "carol-stubs": _copy(STUBS, alone / "carol-stubs"),
        "heidi-two-files": _copy(SOLUTIONS, alone / "heidi-two-files", only={"ex01", "ex02"}),
    }
    bob = subs["bob-summed-loss"] = _copy(SOLUTIONS, alone / "bob-summed-loss")
    _append(bob, "ex01_gradient_descent.py", "def mse(pred, target):\n    return ((pred - target) ** 2).sum()\n")
    judy = subs["judy-partial"] = _copy(STUBS, alone / "judy-partial")
    for name in ("ex01_gradient_descent.py", "ex02_data.py", "ex03_model.py"):
        shutil.copy(SOLUTIONS / name, judy / name)
    dave = subs["dave-endless"] = _copy(SOLUTIONS, alone / "dave-endless")
    _append(dave, "ex03_model.py", "while True:\n    pass\n")
    erin = subs["erin-syntax-error"] = _copy(SOLUTIONS, alone / "erin-syntax-error")
    _append(erin, "ex04_training.py", "def broken(:\n    pass\n")
    frank = subs["frank-os-exit"] = _copy(SOLUTIONS, alone / "frank-os-exit")
    _append(frank, "ex05_device.py", "import os\nos._exit(0)\n", at_top=True)
    leo = subs["leo-chatty"] = _copy(SOLUTIONS, alone / "leo-chatty")
    _append(leo, "ex06_experiments.py", "print('100/100 all checks passed', flush=True)\n", at_top=True)
    mia = subs["mia-raises"] = _copy(SOLUTIONS, alone / "mia-raises")
    _append(mia, "ex07_checkpoint.py", "def export_model(path, model):\n    raise RuntimeError('disk full')\n")
    subs["grace-zipped"] = _copy(SOLUTIONS, alone / "grace-zipped")
    for student, folder in subs.items():
        if student == "grace-zipped":
            with zipfile.ZipFile(klass / f"{student}.zip", "w") as z:
                for f in sorted(folder.iterdir()):
                    z.write(f, f"homework/exercises/{f.name}")
        else:
            shutil.copytree(folder, klass / student)
    return subs


def read_gradebook(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


def bulk(klass: Path, out: Path):
    return run_grade("bulk", klass, "--out", out, "--jobs", "2", "--hidden", env=LIMITS, timeout=1800)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("bulk")
    subs = build_class(root)
    out = root / "out"
    done = bulk(root / "class", out)
    assert done.returncode == 0, done.stderr[-3000:]
    return root, subs, out, done


def single(folder: Path, tmp: Path) -> dict:
    report = tmp / f"{folder.name}.json"
    done = run_grade("grade", folder, "--hidden", "--json", report, env=LIMITS, timeout=1200)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(report.read_text())


def essence(report: dict) -> dict:
    """What must not differ between two gradings of the same files."""
    return {"score": report["score"], "exercises": report["exercises"],
            "tests": [(t["name"], t["status"], t["points"]) for t in report["tests"]]}


def test_one_row_per_student_each_equal_to_grading_it_alone(graded):
    root, subs, out, _ = graded
    rows = {r["student"]: r for r in read_gradebook(out / "gradebook.csv")}
    assert sorted(rows) == sorted(subs)
    assert list(read_gradebook(out / "gradebook.csv")[0]) == ["student", "score", "max_score", "status", *EXERCISES]
    tmp = root / "singles"
    tmp.mkdir()
    with ThreadPoolExecutor(2) as pool:
        alone = dict(zip(subs, pool.map(lambda f: single(f, tmp), subs.values())))
    for student, report in alone.items():
        in_bulk = json.loads((out / "results" / f"{student}.json").read_text())
        assert essence(in_bulk) == essence(report), student
        row = rows[student]
        assert float(row["score"]) == report["score"], student
        assert int(row["max_score"]) == MAX_SCORE
        for ex in EXERCISES:
            if ex in report["exercises"]:
                assert float(row[ex]) == report["exercises"][ex]["score"], (student, ex)


def test_each_kind_of_submission_gets_the_grade_it_deserves(graded):
    _, _, out, _ = graded
    result = {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}
    ex = {s: {e: v["score"] for e, v in r["exercises"].items()} for s, r in result.items()}
    assert result["alice-complete"]["score"] == MAX_SCORE
    assert result["ivan-independent"]["score"] == MAX_SCORE
    assert result["carol-stubs"]["score"] == 0
    assert {t["status"] for t in result["carol-stubs"]["tests"]} == {"failed"}
    assert ex["heidi-two-files"]["ex01"] == 15 and ex["heidi-two-files"]["ex02"] == 15
    assert result["heidi-two-files"]["score"] == 30
    assert 0 < ex["bob-summed-loss"]["ex01"] < 15 and result["bob-summed-loss"]["score"] > 85
    assert result["judy-partial"]["score"] == 45
    # the endless import costs ex03 (and what depends on it), never anything else
    dave = result["dave-endless"]
    assert ex["dave-endless"]["ex03"] == 0 and ex["dave-endless"]["ex01"] == 15 and ex["dave-endless"]["ex02"] == 15
    assert {t["status"] for t in dave["tests"] if t["exercise"] == "ex03"} <= {"timeout", "error"}
    assert ex["erin-syntax-error"]["ex04"] == 0 and ex["erin-syntax-error"]["ex01"] == 15
    assert any("SyntaxError" in t["feedback"] for t in result["erin-syntax-error"]["tests"] if t["exercise"] == "ex04")
    assert ex["frank-os-exit"]["ex05"] == 0 and ex["frank-os-exit"]["ex01"] == 15
    assert result["leo-chatty"]["score"] == MAX_SCORE
    assert 0 < ex["mia-raises"]["ex07"] < 10
    assert result["grace-zipped"]["files"] and ex["grace-zipped"]["ex01"] == 15


def test_outputs_for_the_ta(graded):
    _, subs, out, done = graded
    summary = json.loads((out / "summary.json").read_text())
    assert summary["students"] == len(subs)
    for student in subs:
        assert (out / "feedback" / f"{student}.md").read_text().strip()
        gradescope = json.loads((out / "gradescope" / f"{student}.json").read_text())
        assert "tests" in gradescope
    for png in ("score_histogram.png", "pass_rate_per_check.png"):
        data = (out / "plots" / png).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 2000
    assert "gradebook" in done.stderr


def test_rerun_grades_nothing_and_changes_nothing(graded):
    root, subs, out, _ = graded
    before = {p: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")}
    book = (out / "gradebook.csv").read_bytes()
    done = bulk(root / "class", out)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{len(subs)} already graded, 0 to grade" in done.stderr
    assert {p: p.stat().st_mtime_ns for p in (out / "results").glob("*.json")} == before
    assert (out / "gradebook.csv").read_bytes() == book


def test_a_changed_submission_is_regraded_alone(graded, tmp_path):
    root, subs, out, _ = graded
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    klass = tmp_path / "class"
    shutil.copytree(root / "class", klass)
    shutil.copy(SOLUTIONS / "ex01_gradient_descent.py", klass / "carol-stubs" / "ex01_gradient_descent.py")
    done = bulk(klass, copy)
    assert done.returncode == 0, done.stderr[-2000:]
    assert f"{len(subs) - 1} already graded, 1 to grade" in done.stderr
    rows = {r["student"]: r for r in read_gradebook(copy / "gradebook.csv")}
    assert float(rows["carol-stubs"]["ex01"]) == 15


def test_killed_with_sigkill_and_restarted_gives_the_same_gradebook(graded, tmp_path):
    root, subs, out, _ = graded
    again = tmp_path / "out"
    env = {**os.environ, **LIMITS}
    cmd = [str(GRADE), "bulk", str(root / "class"), "--out", str(again), "--jobs", "2", "--hidden"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and len(list((again / "results").glob("*.json"))) < 3:
        assert proc.poll() is None, "bulk ended before it could be killed"
        time.sleep(0.2)
    helpers = psutil.Process(proc.pid).children(recursive=True)  # forkserver, pool, workers
    os.kill(proc.pid, signal.SIGKILL)  # the main process only, as `kill -9 PID` does
    proc.wait()
    gone, alive = psutil.wait_procs(helpers, timeout=15)
    assert alive == [], f"left running after the bulk run was killed: {[p.pid for p in alive]}"
    partial = list((again / "results").glob("*.json"))
    assert 3 <= len(partial) < len(subs)
    for p in partial:  # what is there is whole
        json.loads(p.read_text())
    done = bulk(root / "class", again)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (again / "gradebook.csv").read_bytes() == (out / "gradebook.csv").read_bytes()
    leftovers = [p.name for d in ("results", "feedback", "gradescope") for p in (again / d).glob(".*")]
    assert leftovers == []
