"""What a student sees from the release bundle's ./grade.sh, run as a student runs it, on the stubs
with a few beginner's mistakes: one cause, one message; what their code printed; a live line
while a check runs; Ctrl-C in one line, leaving nothing running; Chinese throughout, with its
table's columns lined up and the language remembered. Plus the root-cause rules themselves on
made-up results (no grading)."""
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import living_descendants, run_grade, still_running
from test_zh_messages import english_words

from autograder.feedback.catalog import Msg, render
from autograder.grading.causes import attribute
from autograder.grading.results import CheckResult
from autograder.reports.console import width

SYNTAX_ERROR = "def init_weights(model, scheme='kaiming')\n    pass\n"  # no colon: line N of ex03_model.py
PRINTING_SOFTMAX = '''
def softmax(x):
    print("softmax was given", tuple(x.shape))
    return x
'''
ENDLESS_SOFTMAX = '''
def softmax(x):
    while True:
        pass
'''


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "bundle"
    done = run_grade("release", out)
    assert done.returncode == 0, done.stderr
    return out


def student_env(**extra):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    env.pop("DLGRADER_LANG", None)
    env.update({"DLGRADER_KEEP_WARM": "0", **extra})
    return env


def mistakes(bundle: Path, folder: Path, softmax: str) -> Path:
    """The bundle's stubs with a syntax error in ex03_model.py and ``softmax`` in ex01."""
    shutil.copytree(bundle / "exercises", folder, ignore=shutil.ignore_patterns("__pycache__", "*.ipynb"))
    model = folder / "ex03_model.py"
    model.write_text(model.read_text(encoding="utf-8") + "\n\n" + SYNTAX_ERROR, encoding="utf-8")
    ex01 = folder / "ex01_gradient_descent.py"
    ex01.write_text(ex01.read_text(encoding="utf-8") + "\n" + softmax, encoding="utf-8")
    return folder


def grade_sh(bundle, *args, **env):
    return subprocess.run([str(bundle / "grade.sh"), *map(str, args)], capture_output=True, text=True,
                          env=student_env(**env), cwd=bundle, timeout=600)


# One English run with --show-output and one Chinese run of the same folder (the checks of the
# modules that hold or meet the mistakes: ex01, ex03 and the three that import ex03).
SELECT = "ex01 or ex03 or ex05 or ex06 or ex08"


@pytest.fixture(scope="module")
def folder(bundle, tmp_path_factory):
    return mistakes(bundle, tmp_path_factory.mktemp("student") / "mine", PRINTING_SOFTMAX)


@pytest.fixture(scope="module")
def english(bundle, folder, tmp_path_factory):
    report = tmp_path_factory.mktemp("json") / "report.json"
    done = grade_sh(bundle, "--show-output", "grade", folder, "-k", SELECT, "--json", report)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout, json.loads(report.read_text())


@pytest.fixture(scope="module")
def chinese(bundle, folder):
    done = grade_sh(bundle, "--lang", "zh", "grade", folder, "-k", SELECT)  # remembered in the bundle
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def test_a_syntax_error_is_one_line_at_its_cause_and_one_per_module_that_imports_it(english, folder):
    out, report = english
    line_no = (folder / "ex03_model.py").read_text(encoding="utf-8").splitlines().index(SYNTAX_ERROR.splitlines()[0])
    causes = [line for line in out.splitlines() if "SyntaxError" in line]
    assert len(causes) == 1, out
    assert f"ex03_model.py, line {line_no + 1}:" in causes[0] and "[!] ex03" in causes[0], causes
    for module in ("ex05_device", "ex06_experiments", "ex08_capstone"):
        mentions = [line for line in out.splitlines() if f"{module}.py" in line]
        assert len(mentions) == 1, (module, out)
        assert "was not graded: it imports ex03_model.py" in mentions[0], mentions
    # No internal package name, no exception of the import machinery, no isolation detail.
    for word in ("submission.", "ModuleNotFoundError", "isolation", "bwrap", "Traceback"):
        assert word not in out, (word, out)
    assert report["isolation"]  # it stays in the JSON report
    dependents = [t for t in report["tests"] if t["exercise"] in ("ex05", "ex06", "ex08")]
    assert dependents and all(t["cause"] == "ex03_model.py" and t["points"] == 0 for t in dependents)
    assert "Next: fix the first line above" in out and "ex03_model.py" in out.splitlines()[-1], out


def test_what_a_failing_function_printed_is_shown_with_show_output(english):
    out, report = english
    lines = out.splitlines()
    at = next(i for i, line in enumerate(lines) if "ex01 softmax" in line and line.lstrip().startswith("[-]"))
    assert lines[at + 1].strip() == "your code printed:", lines[at:at + 3]
    assert "softmax was given" in lines[at + 2], lines[at:at + 3]
    assert any("softmax was given" in t.get("printed", "") for t in report["tests"])
    assert "Marks: [-] failed, [!] could not run, [ ] not written yet." in out, out


def test_chinese_output_holds_no_untranslated_english_and_its_columns_line_up(chinese, folder):
    lines = chinese.splitlines()
    # The folder's path and the command to type again are values, whatever their words.
    offenders = {line: words for line in lines
                 if (words := english_words(re.sub(r"\./grade\.sh .*?。", " ", line.replace(str(folder), " "))))}
    assert not offenders, offenders
    head, row = lines[0], next(line for line in lines if line.startswith("ex01"))
    assert width(head[:head.index("得分") + 2]) == len(row.split("/")[0]) + 4, (head, row)
    assert "your code printed" not in chinese and "输出了" in chinese
    assert lines[-1].startswith("下一步：") and "./grade.sh --lang zh grade" in lines[-1], lines[-1]


def read_until(fd: int, pattern: str, seconds: float) -> str:
    """What the terminal showed until ``pattern`` appeared (or the time ran out)."""
    seen, end = b"", time.monotonic() + seconds
    while time.monotonic() < end and not re.search(pattern, seen.decode("utf-8", "replace")):
        if select.select([fd], [], [], 0.5)[0]:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen.decode("utf-8", "replace")


def test_an_endless_loop_shows_a_live_line_and_ctrl_c_ends_everything_in_one_line(bundle, chinese, tmp_path):
    """In a terminal (a pty), without --lang: the Chinese asked for before is remembered."""
    folder = mistakes(bundle, tmp_path / "loop", ENDLESS_SOFTMAX)
    leader, follower = pty.openpty()
    proc = subprocess.Popen([str(bundle / "grade.sh"), "grade", str(folder), "-k", "softmax_matches"],
                            stdin=follower, stdout=follower, stderr=follower, cwd=bundle, start_new_session=True,
                            env=student_env(DLGRADER_CALL_SECONDS="120"))
    os.close(follower)
    try:
        # past the worker's start (a few seconds, counted in the first check's time): in the loop
        live = r"正在检查 ex01 softmax：(1[5-9]|[2-9]\d) 秒"
        t0 = time.monotonic()
        shown = read_until(leader, live, 120)
        assert re.search(live, shown), shown
        print(f"live line after {time.monotonic() - t0:.1f} s")
        started = living_descendants(proc.pid)
        assert any("worker" in " ".join(seen["cmdline"]) for _, seen in started), started
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the foreground group
        t0 = time.monotonic()
        assert proc.wait(timeout=60) == 130
        print(f"ended {time.monotonic() - t0:.1f} s after Ctrl-C")
        rest = read_until(leader, r"没有留下仍在运行的进程。", 5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        os.close(leader)
    said = [line.strip() for line in re.sub(r"\x1b\[K|\r", "\n", rest).splitlines() if line.strip()
            and not line.strip().startswith("正在检查")]
    assert said == [render(Msg("console.interrupted"), "zh")], rest
    assert "Traceback" not in shown + rest
    time.sleep(1)
    alive = [p for p, _ in started if still_running(p)]
    assert not alive, alive


# --- the root-cause rules on made-up results ---------------------------------------------
SOURCES = {
    "ex04_training.py": b"def evaluate(m):\n    return 1\n\ndef fit(m):\n    return evaluate(m)\n",
    "ex06_experiments.py": b"from .ex04_training import fit\n\ndef run_experiment():\n    return fit(None)\n",
    "ex07_checkpoint.py": b"def _atomic_save(o, p):\n    pass\n\ndef save_checkpoint(p):\n    _atomic_save(1, p)\n\n"
                          b"def load_checkpoint(p):\n    return 1\n",
}


def result(exercise, function, status="failed", feedback=None):
    if feedback is None:  # a value that differs, and a hint about the check's own function
        feedback = [Msg("cmp.number", got=1, expected=2), Msg("label.hint"), ":", Msg("hint.ex06_scaled")]
    return CheckResult(name=f"test_{function}", exercise=exercise, function=function, max_points=1.0,
                       title={"en": function, "zh": function}, status=status, feedback=feedback)


def test_a_check_that_runs_another_failing_function_names_that_function_instead_of_its_own_hint():
    evaluate, fit, experiment = result("ex04", "evaluate"), result("ex04", "fit"), result("ex06", "run_experiment")
    where = "ex07_checkpoint.py, line 2, in _atomic_save: fd = ..."
    save = result("ex07", "save_checkpoint", feedback=[Msg("raised", func="save_checkpoint", exc="OSError",
                                                           message="no folder"), Msg("where", where=where)])
    load = result("ex07", "load_checkpoint", feedback=[Msg("raised", func="load_checkpoint", exc="OSError",
                                                           message="no folder"), Msg("where", where=where)])
    fine = result("ex06", "lr_trace", status="passed", feedback=[])
    attribute([evaluate, fit, experiment, save, load, fine], SOURCES)
    assert evaluate.cause == "" and render(evaluate.feedback[-1]).startswith("train on scaled")  # its own
    for r, other in ((fit, "evaluate"), (experiment, "evaluate"), (load, "save_checkpoint")):
        assert r.cause.endswith(f".{other}"), (r.function, r.cause)
        text = " ".join(render(m) for m in r.feedback)
        assert f"also runs your `{other}`" in text and "fails its own checks" in text, text
        assert "train on scaled" not in text
    assert save.cause == "" and fine.feedback == []
    assert "这项关于 `run_experiment` 的检查也会运行你的 `evaluate`（ex04）" in render(experiment.feedback[0], "zh")


def test_grade_sh_ex04_in_the_bundle_checks_ex04_alone_and_says_the_total_is_over_it(bundle):
    done = grade_sh(bundle, "ex04", DLGRADER_LANG="en")  # the environment's language: nothing remembered
    assert done.returncode == 0, done.stderr + done.stdout
    rows = [line.split()[0] for line in done.stdout.splitlines() if re.match(r"ex\d\d\s", line)]
    assert set(rows) == {"ex04"}, done.stdout
    total = next(line for line in done.stdout.splitlines() if line.startswith("total"))
    assert re.fullmatch(r"total\s+0/15 \(ex04 only\)", total), total
    assert "./grade.sh ex04" in done.stdout.splitlines()[-1], done.stdout
