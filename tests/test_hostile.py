"""Hostile and broken submissions: each case states its expected outcome, checked under
bubblewrap and as a plain process (DLGRADER_ISOLATION=process).

The cases are data (tests/hostile/cases.py, which says what each does and expects). They are
graded as ONE class per isolation level with ``./grade.sh bulk --jobs 2`` (the grader imports
torch once for all of them) and each is checked from its ``results/<student>.json`` and from
the machine afterwards. Code tricks are applied to a partly-correct ex01 (PARTIAL): a trick
gains nothing when the score and every check's status equal those of PARTIAL without it (the
class's well-behaved submission, graded in the same run). Two more tests go through
``./grade.sh grade`` itself: the report files it writes and the processes it leaves, and the
intake of a folder with the time limit of a whole submission.

Every case runs at both levels, the escapes included (a socket to the loopback, reads and writes
outside the worker's folder, the grader's command line from /proc): bubblewrap and the fallback
``landlock+seccomp`` both stop them, and their witnesses state what both guarantee. Only on a
machine whose fallback is weaker are the escapes skipped, with the reason (README.md, security
section).
"""
import json
import os
import textwrap
import time

import pytest
from hostile import cases
from hostile.cases import CASES_BY_NAME, PARTIAL, TRICKS

from autograder.checks import points

OTHERS = [c.name for c in cases.CASES if c.name not in TRICKS]
# The checks that also rest on what the worker observed (``in_process``): beside code that can alter
# what the worker observes, they give nothing (plugin.watched_but_tampered), whatever the trick.
WATCHED = {c.name for suite in ("public", "hidden") for c in points.declared(suite) if c.keywords.get("in_process")}
TAMPERING = "This check watches how your code runs"


@pytest.fixture(scope="module")
def klass(isolation, tmp_path_factory):
    """The class of every case, graded once per isolation level (shared with test_hostile_bulk.py)."""
    run = cases.class_run(isolation, tmp_path_factory)
    assert run.done.returncode == 0, run.done.stderr[-3000:]
    return run


def skip_unless_stopped_here(name: str, isolation: str) -> None:
    """Only on a machine whose fallback is weaker than landlock+seccomp with Landlock ABI 6 (or a
    root grader) are some students left out of the class (cases.left_out): their cases say why."""
    reason = cases.left_out(isolation).get(CASES_BY_NAME[name].student)
    if reason:
        pytest.skip(reason)


def checks_by_key(report: dict) -> dict:
    return {(t["exercise"], t["name"]): t for t in report["tests"]}


def check_case(case: cases.Case, run: cases.ClassRun) -> None:
    """Assert every part of the outcome the case states."""
    assert case.student in run.results, f"{case.student} has no result: {run.done.stderr[-2000:]}"
    got = run.results[case.student]
    assert got["status"] == "graded", got.get("problems")
    assert got["isolation"] == run.ctx.isolation
    mine = checks_by_key(got)
    for function in case.functions:
        assert any(t["function"] == function for t in mine.values()), f"no check of {function}"
    for (exercise, _), t in mine.items():
        allowed = None
        if exercise == "ex01" and t["function"] in case.functions:
            allowed = case.functions[t["function"]]
        elif exercise in case.modules:
            allowed = case.modules[exercise]
        elif case.all_statuses is not None:
            allowed = case.all_statuses
        if t["name"] in WATCHED and t["status"] == "failed" and TAMPERING in t["feedback"]:
            continue  # a witness that watches the worker gives nothing beside code that can alter it
        if allowed is not None:
            assert t["status"] in allowed, (t["name"], t["status"], t["feedback"])
    forgone = 0.0  # what watched checks gave PARTIAL and give nothing beside the trick
    if case.same_as:
        ref = checks_by_key(run.results[case.same_as])
        assert set(mine) == set(ref)
        forgone = sum(ref[k]["points"] for k, t in mine.items()
                      if k[1] in WATCHED and t["status"] == "failed" and TAMPERING in t["feedback"])
        functions, modules = cases.named_by_cases(case.student)
        for key, t in mine.items():
            if (key[0] == "ex01" and t["function"] in functions) or key[0] in modules:
                continue  # checked above, by this case or by another case of the same submission
            if key[1] in WATCHED and t["status"] == "failed" and TAMPERING in t["feedback"]:
                continue  # a check that watches the worker gives nothing beside a trick (never more)
            assert (t["status"], t["points"]) == (ref[key]["status"], ref[key]["points"]), \
                (t["name"], t["status"], t["feedback"], "expected", ref[key]["status"])
    if case.score == "same":
        assert got["score"] == round(run.results[case.same_as]["score"] - forgone, 4)
    elif case.score is not None:
        assert got["score"] == case.score
    for where, text in case.feedback.items():
        named = [t for t in mine.values()
                 if t["exercise"] == where or (t["exercise"] == "ex01" and t["function"] == where)]
        assert named and all(text in t["feedback"] for t in named), [t["feedback"] for t in named]
    notes = "\n".join(got.get("notes", []))
    for text in case.notes:
        assert text in notes, notes
    problems = "\n".join(got.get("problems", []))
    for text in case.problems:
        assert text in problems, problems
    if case.after is not None:
        case.after(run)


def test_the_baseline_is_partly_correct(klass):
    """The tricks are measured against PARTIAL: it must earn some ex01 points and lose others."""
    baseline = klass.results[cases.BASELINE]
    statuses = {t["function"]: t["status"] for t in baseline["tests"] if t["exercise"] == "ex01"}
    assert 0 < baseline["exercises"]["ex01"]["score"] < baseline["exercises"]["ex01"]["max_score"]
    assert {f for f, s in statuses.items() if s != "passed"} == cases.WRONG_IN_PARTIAL
    assert {s for f, s in statuses.items() if f in cases.WRONG_IN_PARTIAL} == {"failed"}


@pytest.mark.parametrize("name", TRICKS)
def test_trick_gains_nothing(name, isolation, klass):
    """The trick on PARTIAL scores exactly what PARTIAL scores, check by check."""
    case = CASES_BY_NAME[name]
    skip_unless_stopped_here(name, isolation)
    check_case(case, klass)


@pytest.mark.parametrize("name", OTHERS)
def test_broken_submission(name, isolation, klass):
    case = CASES_BY_NAME[name]
    skip_unless_stopped_here(name, isolation)
    check_case(case, klass)


# --- through ./grade.sh grade ------------------------------------------------------------------
def test_report_files_cannot_be_forged_and_no_process_outlives_grade(tmp_path, isolation, klass):
    """PARTIAL that writes a full-marks report to the --json and --gradescope paths (given to it,
    and looked up in /proc), and leaves a setsid writer to do it again later plus a double-forked
    sleeper: the files hold the real grade, written after every process ended, and no process is
    left when grade.sh returns."""
    report, gradescope = tmp_path / "report.json", tmp_path / "results.json"
    mark = f"dlgrader-hostile-grade-{os.getpid()}-{isolation}"
    forged = json.dumps({"score": 100, "max_score": 100, "tests": []})
    evidence = tmp_path / "found-in-proc.txt"
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "ex01_gradient_descent.py").write_text(PARTIAL + textwrap.dedent(f"""
        import os, subprocess, sys
        FORGED, MARK = {forged!r}, {mark!r}
        targets = [{str(report)!r}, {str(gradescope)!r}]
        for pid in os.listdir("/proc"):
            try:
                args = open(f"/proc/{{pid}}/cmdline", "rb").read().decode().split("\\0")
            except (OSError, ValueError):
                continue
            targets += [args[i + 1] for i, a in enumerate(args[:-1]) if a in ("--json", "--gradescope")]
        for path in targets:
            try:
                with open(path, "w") as fh:
                    fh.write(FORGED)
            except OSError:
                pass
        try:  # for the test: what it found (only a worker that can write outside its folder can tell)
            with open({str(evidence)!r}, "w") as fh:
                fh.write("\\n".join(targets))
        except OSError:
            pass
        later = ("import time\\ntime.sleep(3)\\nfor p in %r:\\n    open(p, 'w').write(%r)  # %s"
                 % (targets, FORGED, MARK))
        subprocess.Popen([sys.executable, "-c", later], start_new_session=True)
        if os.fork() == 0:
            if os.fork() == 0:
                os.setsid()
                os.execv("/bin/sleep", [MARK, "300"])
            os._exit(0)
        os.wait()
        """))
    got, done = cases.grade_alone(sub, report, isolation, "--gradescope", str(gradescope), "-k", "ex01")
    assert cases.ClassRun.marked_processes(mark) == []
    baseline = [t for t in klass.results[cases.BASELINE]["tests"] if t["exercise"] == "ex01"]
    # the checks that watch the worker give nothing beside this code (it writes with os.write, forks)
    tampered = {t["name"] for t in got["tests"]
                if t["name"] in WATCHED and t["status"] == "failed" and TAMPERING in t["feedback"]}
    assert [(t["name"], t["status"]) for t in got["tests"] if t["name"] not in tampered] == \
        [(t["name"], t["status"]) for t in baseline if t["name"] not in tampered]
    forgone = sum(t["points"] for t in baseline if t["name"] in tampered)
    assert got["score"] == round(klass.results[cases.BASELINE]["exercises"]["ex01"]["score"] - forgone, 4)
    assert got["isolation"] == cases.reported_isolation(isolation)
    time.sleep(3.5)  # when the setsid writer would have written, had it lived
    assert json.loads(report.read_text()) == got
    assert json.loads(gradescope.read_text())["score"] == got["score"]
    if cases.reported_isolation(isolation) == "process":  # the attack was real: the paths were found and written
        assert evidence.read_text().count(str(report)) >= 2, evidence.read_text()
    else:  # under bubblewrap or Landlock the evidence file outside the worker's folder cannot be written
        assert not evidence.exists()


def test_folder_intake_and_the_submission_time_limit(tmp_path, isolation):
    """./grade.sh grade on a folder. Intake: each broken module is refused with its reason in
    the notes, and the files that are not the assignment's are named there and never used.
    Time: ex01 takes 4 s per call against a 12 s budget for the whole submission, so once the
    budget is spent the remaining checks end in a timeout without running."""
    sub = tmp_path / "sub"
    (sub / "__pycache__").mkdir(parents=True)
    (sub / "ex01_gradient_descent.py").write_text(cases.SOLUTION + textwrap.dedent("""
        import functools, time
        def _slow(f):
            @functools.wraps(f)
            def slow(*args, **kwargs):
                time.sleep(4)
                return f(*args, **kwargs)
            return slow
        for _name in ("softmax", "cross_entropy", "binary_cross_entropy", "mse", "mae", "smooth_l1",
                      "linear_regression_grad", "gd_step", "fit_linear_regression"):
            globals()[_name] = _slow(globals()[_name])
        """))
    (sub / "ex02_data.py").symlink_to("/etc/passwd")
    (sub / "ex03_model.py").write_bytes(b"# caf\xe9\nimport torch\n")
    (sub / "ex04_training.py").write_text("def build(:\n    pass\n")
    with open(sub / "ex05_device.py", "wb") as fh:
        fh.truncate(60 * 1024 * 1024)  # 60 MB (of zeros)
    extra = {"conftest.py": "import os\nos._exit(0)\n", "pytest.ini": "[pytest]\naddopts = -p no:python\n",
             "sitecustomize.py": "raise SystemExit\n", "evil.pth": "import os; os._exit(0)\n",
             "torch.py": "raise SystemExit\n", "numpy.py": "raise SystemExit\n", "pytest.py": "raise SystemExit\n",
             "json.py": "raise SystemExit\n", "__pycache__/ex01_gradient_descent.cpython-311.pyc": "x"}
    for name, text in extra.items():
        (sub / name).write_text(text)
    got, done = cases.grade_alone(sub, tmp_path / "report.json", isolation, "-k", "ex01",
                                  env={"DLGRADER_SUBMISSION_SECONDS": "12"})
    notes = "\n".join(got["notes"])
    for module, reason in (("ex02_data", "symbolic link"), ("ex03_model", "not UTF-8"),
                           ("ex04_training", "SyntaxError"), ("ex05_device", "larger than the limit")):
        assert f"{module}.py was not graded: " in notes and reason in notes, notes
    for name in ("conftest.py", "pytest.ini", "sitecustomize.py", "evil.pth", "torch.py", "numpy.py", "pytest.py",
                 "json.py", "__pycache__"):
        assert f"{name} was not graded" in notes, notes
    assert "was not graded" in done.stdout
    statuses = [t["status"] for t in got["tests"]]
    ex01_checks = [c for c in points.declared("public") if c.exercise == "ex01"]
    assert set(statuses) <= {"passed", "timeout"} and len(statuses) == len(ex01_checks), got["tests"]
    spent = [t for t in got["tests"] if "used up its total time" in t["feedback"]]
    assert spent and all(t["status"] == "timeout" for t in spent)
    # every ex01 check at 4 s or more (over 44 s) had there been no budget; 12 s, a last call and the checks' own time
    assert sum(t["seconds"] for t in got["tests"]) < 12 + 8 + 10


IN_PLACE_GD_STEP = '''
def gd_step(w, b, dw, db, lr):  # the right values, but computed in place
    w -= lr * dw
    b -= lr * db
    return w, b
'''

TAMPER_WITH_INSTRUMENTS = '''
import sys, torch
from torch.overrides import TorchFunctionMode

def _forged_run(w, b, dw, db, lr, ctx=None):
    return {"result": (w - lr * dw, b - lr * db), "inputs_after": [w, b, dw, db], "unchanged": [True] * 4,
            "shared": False}

# the instruments by name, and any module that holds them
for _name in ("probes", "probes_ex01", "probes_ex04", "protocol"):
    try:
        __import__(_name)
    except ImportError:
        pass
for _module in list(sys.modules.values()):
    if hasattr(_module, "gd_step_run"):
        _module.gd_step_run = _forged_run

# what instruments would compare with, patched and overridden
torch.equal = lambda a, b: True
torch.Tensor.eq = torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)
class _Agree(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("equal", "eq", "__eq__"):
            return True
        return func(*args, **(kwargs or {}))
_Agree().__enter__()

_in_place = gd_step
def gd_step(w, b, dw, db, lr):
    if torch.equal(torch.zeros(1), torch.ones(1)) is not True:  # witness: the patches are in force
        raise RuntimeError("torch.equal is not patched in the worker")
    return _in_place(w, b, dw, db, lr)
'''


def test_instruments_cannot_be_tampered_with(tmp_path, isolation):
    """The hidden check that gd_step leaves its inputs alone, on an in-place gd_step, with and
    without a submission that looks for the worker's instruments to replace them and patches
    what they would compare with: no point gained, every gd_step check ends the same. The
    forgery would pass: it reports what the reference solution gives, which passes."""
    reports = {}
    for name, code in (("solution", ""), ("in_place", IN_PLACE_GD_STEP),
                       ("tampered", IN_PLACE_GD_STEP + TAMPER_WITH_INSTRUMENTS)):
        sub = tmp_path / name
        sub.mkdir()
        (sub / "ex01_gradient_descent.py").write_text(cases.SOLUTION + code)
        reports[name], _ = cases.grade_alone(sub, tmp_path / f"{name}.json", isolation, "--hidden", "-k", "gd_step")
    solution, in_place, tampered = ({t["name"]: t["status"] for t in reports[n]["tests"]}
                                    for n in ("solution", "in_place", "tampered"))
    assert solution == {"test_gd_step_leaves_inputs": "passed"}, solution
    assert in_place == {"test_gd_step_leaves_inputs": "failed"}, in_place
    assert tampered == in_place
    assert reports["tampered"]["score"] == reports["in_place"]["score"] < reports["in_place"]["max_score"]
