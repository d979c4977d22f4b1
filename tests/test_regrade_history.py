"""The regrade record: a class of four graded once with the hidden checks; then one hidden check is
edited (in a copy of the project) so that it always fails, and `bulk --force` from that copy
names in changes.csv exactly the students who passed that check, with that check and the reason
`checks changed`. A run killed with SIGKILL halfway leaves the history readable and unchanged,
and the next run completes it. Nothing in the history is ever rewritten."""
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import ROOT

from autograder.course import history

pytestmark = pytest.mark.timeout(2400)

LIMITS = {"DLGRADER_CALL_SECONDS": "60", "DLGRADER_SUBMISSION_SECONDS": "600"}
STUBS = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
CHECK = "ex01::test_mse_mae_2d"
HIDDEN_EX01 = Path("autograder/checks/hidden/test_ex01_gradient_descent.py")


def make_class(klass: Path) -> None:
    def student(name, solved=(), extra=""):
        folder = klass / name
        folder.mkdir(parents=True)
        for f in sorted(STUBS.glob("ex0*.py")):
            shutil.copy(SOLUTIONS / f.name if f.name[:4] in solved else f, folder / f.name)
        if extra:
            with open(folder / "ex01_gradient_descent.py", "a") as fh:
                fh.write("\n" + extra)

    student("ana-stubs")
    student("ben-ex01", solved={"ex01"})
    student("cho-summed-loss", solved={"ex01"},
            extra="def mse(pred, target):\n    return ((pred - target) ** 2).sum()\n")
    student("dev-ex01-ex02", solved={"ex01", "ex02"})


def copy_project(dest: Path) -> Path:
    """What grading needs, and nothing else (the .venv as the same link)."""
    dest.mkdir()
    for name in ("autograder", "data", "exercises"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("grade.sh", "requirements.txt"):
        shutil.copy2(ROOT / name, dest / name)
    os.symlink((ROOT / ".venv").resolve(), dest / ".venv")
    return dest


def bulk(project: Path, klass: Path, out: Path, *extra, jobs="2"):
    env = {**os.environ, **LIMITS}
    return subprocess.run([str(project / "grade.sh"), "bulk", str(klass), "--out", str(out), "--jobs", jobs,
                           "--hidden", *extra], capture_output=True, text=True, timeout=1500, env=env, cwd=project)


def results(out: Path) -> dict:
    return {p.stem: json.loads(p.read_text()) for p in (out / "results").glob("*.json")}


def status(result: dict, check: str) -> str:
    return {f"{t['exercise']}::{t['name']}": t["status"] for t in result["tests"]}[check]


def snapshot(out: Path) -> dict:
    return {p.name: p.read_bytes() for p in history.run_files(out / "history")}


@pytest.fixture(scope="module")
def regraded(tmp_path_factory):
    root = tmp_path_factory.mktemp("regrade")
    make_class(root / "class")
    out = root / "out"
    first = bulk(ROOT, root / "class", out)
    assert first.returncode == 0, first.stderr[-3000:]
    before = results(out)
    history_after_first = snapshot(out)
    changes_after_first = (out / "changes.csv").read_text()
    project = copy_project(root / "project")
    check = project / HIDDEN_EX01
    text = check.read_text()
    assert "def test_mse_mae_2d(ex01):\n" in text
    check.write_text(text.replace("def test_mse_mae_2d(ex01):\n",
                                  "def test_mse_mae_2d(ex01):\n    assert False, 'a check made to fail'\n"))
    second = bulk(project, root / "class", out, "--force")
    assert second.returncode == 0, second.stderr[-3000:]
    return root, out, project, before, history_after_first, changes_after_first, second


def test_the_first_run_records_everyone_and_changes_nothing(regraded):
    _, _, _, before, first_history, first_changes, _ = regraded
    assert sorted(before) == ["ana-stubs", "ben-ex01", "cho-summed-loss", "dev-ex01-ex02"]
    assert first_changes == ",".join(history.CHANGE_COLUMNS) + "\n"  # the header only: nothing to compare with
    (name, data), = first_history.items()
    assert history.RUN_FILE.match(name) and name.startswith("000001-")
    records = [json.loads(line) for line in data.decode().splitlines()]
    assert sorted(r["student"] for r in records) == sorted(before)
    for r in records:
        res = before[r["student"]]
        assert r["score"] == res["score"] and r["suite"] == "hidden" and r["status"] == "graded"
        assert r["checks"][CHECK] == status(res, CHECK) and len(r["checks"]) == len(res["tests"])
        assert len(r["submission"]) == 64 and len(r["checks_version"]) == 16


def test_force_after_editing_a_hidden_check_names_exactly_whom_it_affected(regraded):
    _, out, _, before, _, _, second = regraded
    passed_before = {s for s, r in before.items() if status(r, CHECK) == "passed"}
    assert passed_before == {"ben-ex01", "dev-ex01-ex02"}  # the summed loss and the stubs already failed it
    rows = list(csv.DictReader(io.StringIO((out / "changes.csv").read_text())))
    assert list(rows[0]) == history.CHANGE_COLUMNS
    assert {r["student"] for r in rows} == passed_before
    assert len(rows) == len(passed_before)
    after = results(out)
    for r in rows:
        assert r["check"] == CHECK and r["reason"] == "checks changed"
        assert r["old_status"] == "passed" and r["new_status"] == status(after[r["student"]], CHECK) != "passed"
        assert float(r["old_score"]) == before[r["student"]]["score"]
        assert float(r["new_score"]) == after[r["student"]]["score"] == before[r["student"]]["score"] - 1
    data = json.loads((out / "changes.json").read_text())
    assert [(r["student"], r["check"], r["reason"]) for r in data["rows"]] == \
        [(r["student"], r["check"], r["reason"]) for r in rows]
    first_name = sorted(snapshot(out))[0]
    since = datetime.fromisoformat(data["since"]).astimezone(timezone.utc)
    assert first_name == f"000001-{since:%Y%m%dT%H%M%SZ}.jsonl"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["changes"]["changed"] == sorted(passed_before)
    assert "2 student(s) changed since the last run" in second.stderr


def test_the_history_only_grows(regraded):
    _, out, _, before, first_history, _, _ = regraded
    now = snapshot(out)
    assert len(now) == 2
    for name, data in first_history.items():
        assert now[name] == data  # the first run's record, byte for byte
    second = [json.loads(line) for line in now[sorted(now)[1]].decode().splitlines()]
    first = [json.loads(line) for line in first_history[sorted(first_history)[0]].decode().splitlines()]
    assert sorted(r["student"] for r in second) == sorted(before)  # --force: everyone graded, everyone recorded
    assert {r["checks_version"] for r in second}.isdisjoint({r["checks_version"] for r in first})
    assert {r["student"]: r["submission"] for r in second} == {r["student"]: r["submission"] for r in first}


def test_a_rerun_that_changes_nothing_records_nothing(regraded):
    root, out, project, *_ = regraded
    kept = snapshot(out)
    done = bulk(project, root / "class", out)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "4 already graded, 0 to grade" in done.stderr
    assert snapshot(out) == kept
    assert (out / "changes.csv").read_text() == ",".join(history.CHANGE_COLUMNS) + "\n"
    assert json.loads((out / "changes.json").read_text())["rows"] == []


def test_killed_with_sigkill_leaves_the_history_readable_and_the_rerun_completes_it(regraded):
    root, out, *_ = regraded
    klass = root / "class"
    slow = klass / "zed-slow"  # sorted last: with one job it is graded last, and slowly
    shutil.copytree(klass / "ben-ex01", slow)
    with open(slow / "ex01_gradient_descent.py", "a") as fh:
        fh.write("\nimport time\ntime.sleep(15)\n")
    kept = snapshot(out)
    started = time.time()
    # The original project: the check is as it was, so every result is regraded.
    cmd = [str(ROOT / "grade.sh"), "bulk", str(klass), "--out", str(out), "--jobs", "1", "--hidden"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **LIMITS}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            fresh = [p for p in (out / "results").glob("*.json") if p.stat().st_mtime > started]
            if fresh:
                break
            assert proc.poll() is None, "bulk ended before it could be killed"
            time.sleep(0.2)
        assert proc.poll() is None, "bulk ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    time.sleep(2)  # its grader processes end with it (bulk/run.py)
    fresh = [p.stem for p in (out / "results").glob("*.json") if p.stat().st_mtime > started]
    assert 1 <= len(fresh) < 5
    assert snapshot(out) == kept  # readable: every file whole, none changed
    for data in snapshot(out).values():
        for line in data.decode().splitlines():
            json.loads(line)
    done = bulk(ROOT, klass, out)
    assert done.returncode == 0, done.stderr[-3000:]
    now = snapshot(out)
    assert all(now[name] == data for name, data in kept.items()) and len(now) == len(kept) + 1
    records = history.read(out / "history")
    last = history.latest(records)
    final = results(out)
    assert sorted(last) == sorted(final) == ["ana-stubs", "ben-ex01", "cho-summed-loss", "dev-ex01-ex02", "zed-slow"]
    newest = [json.loads(line) for line in now[sorted(now)[-1]].decode().splitlines()]
    assert sorted(r["student"] for r in newest) == sorted(final)  # those graded before the kill are recorded too
    for student, res in final.items():
        assert last[student]["score"] == res["score"]
        assert last[student]["checks"] == {f"{t['exercise']}::{t['name']}": t["status"] for t in res["tests"]}
    # The check is back: the two it had failed pass it again; zed-slow is new, so not a change.
    rows = list(csv.DictReader(io.StringIO((out / "changes.csv").read_text())))
    assert sorted((r["student"], r["check"], r["new_status"], r["reason"]) for r in rows) == \
        [("ben-ex01", CHECK, "passed", "checks changed"), ("dev-ex01-ex02", CHECK, "passed", "checks changed")]
    assert [p.name for p in (out / "history").iterdir() if not history.RUN_FILE.match(p.name)] == []


def test_the_reason_of_each_change_and_a_run_file_never_replaced(tmp_path):
    """history.record on its own (no grading): which reason, and names that only grow."""
    from datetime import timedelta

    def entry(student, files, checks, score, outcome):
        return {"student": student, "submission": files, "checks_version": checks, "suite": "hidden",
                "result": {"status": "graded", "score": score,
                           "tests": [{"exercise": "ex01", "name": "test_a", "status": outcome}]}}

    t0 = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
    first = [entry("a", "f1", "c1", 1, "passed"), entry("b", "f1", "c1", 1, "passed"),
             entry("c", "f1", "c1", 1, "passed"),
             entry("d", "f1", "c1", 1, "passed")]
    assert history.record(tmp_path, first, t0, {"a", "b", "c", "d"})["rows"] == 0
    second = [entry("a", "f2", "c2", 0, "failed"),  # both differ: the submission is named
              entry("b", "f1", "c2", 0, "failed"),
              entry("c", "f1", "c1", 0, "error"),  # same files, same checks, another outcome
              entry("d", "f2", "c1", 1, "passed")]  # another submission, same outcome: no change
    info = history.record(tmp_path, second, t0 + timedelta(hours=1), {"a", "b", "c", "d"})
    rows = json.loads((tmp_path / "changes.json").read_text())["rows"]
    assert [(r["student"], r["reason"], r["old_status"], r["new_status"]) for r in rows] == [
        ("a", "submission changed", "passed", "failed"), ("b", "checks changed", "passed", "failed"),
        ("c", "regraded, same submission and checks", "passed", "error")]
    assert info["changed"] == ["a", "b", "c"] and info["since"] == t0.isoformat()
    # A file that already has the next name (say, a copy made by hand) is never replaced.
    taken = tmp_path / "history" / "000003-20261201T140000Z.jsonl"
    taken.write_text("kept\n")
    info = history.record(tmp_path, [entry("a", "f3", "c2", 0, "failed")], t0 + timedelta(hours=2), {"a"})
    assert taken.read_text() == "kept\n" and info["history_file"] == "000004-20261201T140000Z.jsonl"
    assert [p.name for p in history.run_files(tmp_path / "history")] == [
        "000001-20261201T120000Z.jsonl", "000002-20261201T130000Z.jsonl", "000003-20261201T140000Z.jsonl",
        "000004-20261201T140000Z.jsonl"]
    assert len(history.read(tmp_path / "history")) == 4 + 4 + 1  # the line that is not JSON is skipped
