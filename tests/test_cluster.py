"""Grading a class on a Dask cluster (``bulk --scheduler``): a real ``dask scheduler`` and real
``dask worker`` processes on this machine (``./grade.sh scheduler``, ``./grade.sh worker``), and
test_bulk's class of twelve (complete, partly wrong, stubs, an endless loop, a syntax error,
``os._exit`` at import, a zip...).

The class is graded once locally (``bulk --jobs 2``) for reference and ONCE on the cluster, with
every fault of the run at once: a third worker started from a copy of the kit with one check file
changed (refused, and the run says why); the TA's bulk command killed with SIGKILL after a few
results, then started again with the cluster still up (it resumes); during that second run the
worker that grades is killed with SIGKILL (Dask grades its submission again, the run says so).
The gradebook must equal the local one row for row, every student graded once; a last run grades
nothing. At the end no process of the cluster and no temporary folder is left.
"""
import getpass
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import psutil
import pytest
from conftest import GRADE, ROOT
from test_bulk import build_class, read_gradebook

distributed = pytest.importorskip("distributed")  # in requirements.txt: CI and grade.sh install it

pytestmark = pytest.mark.timeout(1800)  # two gradings of the class; generous for a loaded 2-core machine
LIMITS = {"DLGRADER_CALL_SECONDS": "30", "DLGRADER_SUBMISSION_SECONDS": "600", "DLGRADER_KEEP_WARM": "0"}
CHANGED_CHECK = "autograder/checks/public/test_ex01_gradient_descent.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def student_key_part(student: str) -> str:
    import hashlib

    return hashlib.sha256(student.encode()).hexdigest()[:12]


def copy_of_the_kit(dest: Path) -> Path:
    """This kit with one check file changed: a node with another version of the checks."""
    dest.mkdir()
    for name in ("autograder", "data"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("grade.sh", "requirements.txt"):
        shutil.copy(ROOT / name, dest / name)
    (dest / ".venv").symlink_to((ROOT / ".venv").resolve())
    with open(dest / CHANGED_CHECK, "a") as fh:
        fh.write("\n# another version of the checks\n")
    return dest


class Cluster:
    """A scheduler and workers as processes of their own sessions, and every process they start."""

    def __init__(self, root: Path, env: dict):
        self.root, self.env = root, env
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.procs: list[subprocess.Popen] = []
        self.seen: dict[int, psutil.Process] = {}

    def start(self, *args, grade=GRADE, log="x") -> subprocess.Popen:
        out = open(self.root / f"{log}.log", "w")
        proc = subprocess.Popen([str(grade), *map(str, args)], cwd=self.root, env=self.env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
        out.close()
        self.procs.append(proc)
        return proc

    def scheduler(self):
        port = self.address.rsplit(":", 1)[1]
        return self.start("scheduler", "--", "--host", "127.0.0.1", "--port", port, "--no-dashboard",
                          log="scheduler")

    def worker(self, name: str, kit: Path = ROOT):
        return self.start("worker", self.address, "--", "--host", "127.0.0.1", "--no-dashboard", "--name", name,
                          "--local-directory", self.root / f"dask-{name}", grade=kit / "grade.sh", log=name)

    def remember(self) -> None:
        """Every process the cluster has now (grader processes, workers of student code...)."""
        for proc in self.procs:
            try:
                top = psutil.Process(proc.pid)
                for p in [top, *top.children(recursive=True)]:
                    self.seen.setdefault(p.pid, p)
            except psutil.NoSuchProcess:
                pass

    def stop(self) -> list[int]:
        """End the workers, then the scheduler, as an operator would (SIGTERM); what is left after a
        minute is killed, and returned."""
        self.remember()
        for proc in self.procs[1:] + self.procs[:1]:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(60)
                except subprocess.TimeoutExpired:
                    pass
        _, alive = psutil.wait_procs(list(self.seen.values()), timeout=30)
        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
        for p in alive:
            try:
                p.kill()
            except psutil.NoSuchProcess:
                pass
        return [p.pid for p in alive]


def results_count(out: Path) -> int:
    return len(list((out / "results").glob("*.json")))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("cluster")
    subs = build_class(root)
    klass = root / "class"
    tmp = root / "tmp"  # the TMPDIR of everything this test starts: what is left there is a leftover
    tmp.mkdir()
    # Dask's own scratch folder (dask-scratch-space) goes beside, not into TMPDIR
    env = {**os.environ, **LIMITS, "TMPDIR": str(tmp), "DASK_TEMPORARY_DIRECTORY": str(root / "dask-scratch")}
    timings = {}

    t0 = time.monotonic()
    local = subprocess.run([str(GRADE), "bulk", klass, "--out", root / "local", "--jobs", "2"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=1500)
    assert local.returncode == 0, local.stderr[-3000:]
    timings["local bulk --jobs 2"] = time.monotonic() - t0

    cluster = Cluster(root, env)
    client = None
    runs = []
    try:
        t0 = time.monotonic()
        cluster.scheduler()
        cluster.worker("good-1")
        cluster.worker("good-2")
        cluster.worker("other-checks", kit=copy_of_the_kit(root / "other-kit"))
        client = distributed.Client(cluster.address, timeout=120)
        client.wait_for_workers(3, timeout=300)
        timings["cluster up"] = time.monotonic() - t0

        out = root / "out"
        cmd = [str(GRADE), "bulk", str(klass), "--out", str(out), "--scheduler", cluster.address]
        t0 = time.monotonic()
        # 1. the TA's command, killed with SIGKILL after two results
        with open(root / "ta-1.log", "w") as log:
            first = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 900
        while results_count(out) < 2:
            assert first.poll() is None, (root / "ta-1.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "no result after 15 minutes"
            time.sleep(0.2)
        helpers = psutil.Process(first.pid).children(recursive=True)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        _, alive = psutil.wait_procs(helpers, timeout=15)
        assert alive == [], f"left running after the TA's command was killed: {[p.pid for p in alive]}"
        runs.append(("killed", (root / "ta-1.log").read_text(), results_count(out)))

        # 2. started again with the cluster still up; the worker that grades is killed with SIGKILL
        with open(root / "ta-2.log", "w") as log:
            second = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        killed = None
        while killed is None and second.poll() is None and time.monotonic() < deadline:
            cluster.remember()
            busy = {w: keys for w, keys in client.processing().items() if keys}
            if busy and results_count(out) >= runs[0][2] + 2:
                address, keys = sorted(busy.items())[0]
                pid = client.run(os.getpid, workers=[address])[address]
                cluster.remember()
                os.kill(pid, signal.SIGKILL)
                killed = keys[0]
            time.sleep(0.5)
        second.wait(1500)
        runs.append(("resumed", (root / "ta-2.log").read_text(), killed))
        assert second.returncode == 0, runs[-1][1][-3000:]
        timings["on the cluster, both TA runs"] = time.monotonic() - t0

        # 3. a rerun grades nothing
        again = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        runs.append(("rerun", again.stderr, again.returncode))
        cluster.remember()
    finally:
        if client is not None:
            client.close()
        left = cluster.stop()
    leftovers = sorted(p.name for p in tmp.iterdir())
    print("seconds:", {k: round(v) for k, v in timings.items()})
    return {"subs": subs, "local": root / "local", "out": root / "out", "runs": runs, "left": left,
            "leftovers": leftovers, "workers": {p.name: p.read_text() for p in root.glob("*.log")}}


def test_the_cluster_gradebook_equals_the_local_one_row_for_row(graded):
    local, out = graded["local"], graded["out"]
    assert (out / "gradebook.csv").read_text() == (local / "gradebook.csv").read_text()
    rows = read_gradebook(out / "gradebook.csv")
    assert sorted(r["student"] for r in rows) == sorted(graded["subs"])
    for student in graded["subs"]:
        here = json.loads((local / "results" / f"{student}.json").read_text())
        there = json.loads((out / "results" / f"{student}.json").read_text())
        assert there["score"] == here["score"] and there["status"] == here["status"], student
        assert [(t["name"], t["status"], t["points"]) for t in there["tests"]] == \
            [(t["name"], t["status"], t["points"]) for t in here["tests"]], student
        assert there["isolation"] == there["graded_on"]["isolation"], student  # what the node did
        assert (out / "feedback" / f"{student}.md").read_text() == (local / "feedback" / f"{student}.md").read_text()


def test_each_student_graded_once_across_the_kill_and_the_restart(graded):
    (_, _, before), (_, resumed, killed), (_, rerun, code) = graded["runs"]
    n = len(graded["subs"])
    assert 2 <= before < n
    assert f"{n} submissions: {before} already graded, {n - before} to grade on the cluster" in resumed
    assert f"graded {n - before} in" in resumed
    assert code == 0 and f"{n} submissions: {n} already graded, 0 to grade" in rerun
    out = graded["out"]
    assert len(list((out / "results").glob("*.json"))) == n
    assert [p.name for d in ("results", "feedback", "gradescope") for p in (out / d).glob(".*")] == []


def test_the_run_says_which_submission_was_graded_again(graded):
    _, resumed, killed = graded["runs"][1]
    assert killed is not None, "no worker was seen grading"
    again = next(line for line in resumed.splitlines() if "graded again on the cluster:" in line)
    student = next(s for s in graded["subs"] if student_key_part(s) in killed)
    assert student in again and "a worker ended while grading it" in again, again
    assert "Traceback" not in resumed


def test_a_worker_with_other_checks_is_refused_and_the_run_says_so(graded):
    _, resumed, _ = graded["runs"][1]
    refused = [line for line in resumed.splitlines() if "is refused" in line]
    assert refused and all(f"{CHANGED_CHECK} differs" in line for line in refused), resumed[-3000:]
    out = graded["out"]
    graded_on = {json.loads(p.read_text())["graded_on"]["worker"] for p in (out / "results").glob("*.json")}
    logs = graded["runs"][0][1] + resumed
    accepted = set(re.findall(r"worker (tcp://\S+) on \S+: the same kit, grades with", logs))
    refused = set(re.findall(r"worker (tcp://\S+) on \S+ is refused", logs))
    assert refused and not refused & accepted
    assert graded_on and graded_on <= accepted, (graded_on, accepted)


def test_nothing_is_left_running_or_in_the_temporary_folder(graded):
    assert graded["left"] == [], f"processes left after the cluster was stopped: {graded['left']}"
    # torch's compile cache (torchinductor_USER) is a cache a local run leaves too, not a leftover
    leftovers = [name for name in graded["leftovers"] if name != f"torchinductor_{getpass.getuser()}"]
    assert leftovers == [], leftovers
