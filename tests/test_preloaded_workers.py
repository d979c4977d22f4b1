"""Workers forked from a preloaded parent (autograder/engine/preloaded.py, worker/zygote.py).

Under bubblewrap, bulk's grader processes and the keeper fork each worker from a parent that
has imported torch and the libraries once. Here, in this test process: two children of one
parent, alive together, cannot see each other's files, signal each other or read each
other's memory; nothing a child did (files, sys.modules, torch's default dtype, RNG, threads,
deterministic flag, a monkeypatched torch.nn.functional) is seen by a later child, which looks
exactly like a fresh worker; the parent forks with one thread only. With ``./grade.sh bulk``:
a small class gets the same grades with the parent and without it (DLGRADER_PRELOADED_WORKERS=0),
among them a clean submission graded right after one that changes torch's state at import.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
from conftest import ROOT, bwrap_or_skip, living_descendants, run_grade

from autograder.engine import preloaded, sandbox
from autograder.engine.client import Submission
from autograder.grading.grade import DATA_DIR

pytestmark = [pytest.mark.skipif(sys.platform != "linux", reason="namespaces are Linux's"),
              pytest.mark.timeout(900)]

SOLUTIONS = ROOT / "solutions"
STUBS = ROOT / "exercises"
SMALL = ("ex01_gradient_descent.py", "ex02_data.py", "ex03_model.py")

LOOK = r'''
import json, os, signal, sys
import torch
import torch.nn.functional as F

FOLDERS = ("/sandbox/work", "/sandbox/home", "/tmp")


def change_everything(secret):
    """What one submission may do to its worker: none of it may reach a later one."""
    for folder in FOLDERS:
        with open(os.path.join(folder, "secret.txt"), "w") as fh:
            fh.write(secret)
    torch.leaked = secret
    sys.modules["dlgrader_leak"] = torch
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(7)
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(2)
    F.relu = lambda *args, **kwargs: None
    return os.getpid()


def state():
    """What a worker starts with: compared between a fresh worker and a forked one."""
    return json.dumps({
        "files": [os.path.exists(os.path.join(folder, "secret.txt")) for folder in FOLDERS],
        "leaked": hasattr(torch, "leaked") or "dlgrader_leak" in sys.modules,
        "dtype": str(torch.get_default_dtype()), "seed": torch.initial_seed(), "rand": torch.rand(3).tolist(),
        "deterministic": torch.are_deterministic_algorithms_enabled(), "threads": torch.get_num_threads(),
        "relu": F.relu.__module__, "grad": torch.is_grad_enabled(), "cwd": os.getcwd(),
        "env": sorted(os.environ.items()), "uid": os.getuid(),
        "modules": sorted(name for name in sys.modules if name.startswith(("probes", "protocol", "worker_main"))),
    })


def _try(fn):
    try:
        fn()
        return "OK"
    except Exception as exc:
        return type(exc).__name__


def _umount(path):
    import ctypes, errno

    libc = ctypes.CDLL(None, use_errno=True)
    return "OK" if libc.umount2(path.encode(), 2) == 0 else errno.errorcode[ctypes.get_errno()]


def look(other_pid, other_folder):
    """From one child at another, alive, whose pid (the grader's) and folder (on the host) it is told."""
    def read_mem():
        with open(f"/proc/{other_pid}/mem", "rb") as fh:
            fh.read(1)

    def read_folder():
        os.listdir(other_folder)

    caps = [line.split()[1] for line in open("/proc/self/status") if line.startswith("CapEff")]
    return json.dumps({
        "spool": os.listdir("/sandbox/spool"), "processes": sorted(p for p in os.listdir("/proc") if p.isdigit()),
        "kill": _try(lambda: os.kill(other_pid, signal.SIGKILL)), "signal0": _try(lambda: os.kill(other_pid, 0)),
        "mem": _try(read_mem), "folder": _try(read_folder),
        "umount_spool": _umount("/sandbox/spool"),
        "caps": caps, "pid": os.getpid(),
    })
'''


def _copy(src: Path, dst: Path, names=SMALL) -> Path:
    dst.mkdir(parents=True)
    for name in names:
        shutil.copy(src / name, dst / name)
    return dst


# Changed at import, before any check runs: the default dtype, autograd, the RNG, the
# deterministic flag, the thread count and torch.nn.functional itself.
MEDDLER = '''import torch
import torch.nn.functional as _F

torch.set_default_dtype(torch.float64)
torch.set_grad_enabled(False)
torch.manual_seed(1234)
torch.use_deterministic_algorithms(True)
torch.set_num_threads(2)
_F.relu = lambda x, inplace=False: x * 0
_F.cross_entropy = lambda *args, **kwargs: torch.tensor(0.0)
torch.nn.functional.softmax = lambda x, dim=None, **kwargs: x
'''


def essence(report: dict) -> dict:
    return {"score": report["score"], "exercises": report["exercises"],
            "tests": [(t["name"], t["status"], t["points"]) for t in report["tests"]]}


@pytest.fixture(scope="module")
def parent():
    bwrap_or_skip()
    if not preloaded.enabled():
        pytest.fail("DLGRADER_PRELOADED_WORKERS is off in this environment")
    started = preloaded.start(DATA_DIR)
    assert started is not None, "the preloaded parent did not start: " + (
        preloaded._PARENT[0].problem if preloaded._PARENT else "switched off")
    yield started
    preloaded.stop()


def _files() -> dict[str, bytes]:
    return {"leak.py": LOOK.encode()}


@pytest.fixture(scope="module")
def fresh_state():
    """A fresh worker's state (no parent): what every forked child must start with."""
    bwrap_or_skip()
    assert preloaded.current() is None
    sub = Submission(_files(), DATA_DIR)
    try:
        state = json.loads(sub.call("leak.state"))
        assert not sub.process.forked
        return state
    finally:
        sub.close()


@pytest.fixture(scope="module")
def two_children(fresh_state, parent):
    """Child A changes everything and stays alive; child B, forked next, looks at A and at itself."""
    a, b = Submission(_files(), DATA_DIR), Submission(_files(), DATA_DIR)
    try:
        a.call("leak.change_everything", "forty-two")
        a_worker = psutil.Process(a.process.proc.pid).children()[0].pid  # A's worker, as the grader sees it
        seen = json.loads(b.call("leak.look", a_worker, str(a.folder.root)))
        state = json.loads(b.call("leak.state"))
        c = Submission(_files(), DATA_DIR)
        try:
            c_seed = json.loads(c.call("leak.state"))["seed"]
        finally:
            c.close()
        a_after = json.loads(a.call("leak.state"))
        forked = (a.process.forked, b.process.forked)
        yield {"seen": seen, "state": state, "a_after": a_after, "forked": forked, "a_worker": a_worker,
               "b_seed_again": c_seed}
    finally:
        a.close()
        b.close()


def test_children_are_forked_from_the_parent(two_children):
    assert two_children["forked"] == (True, True)


def test_a_child_cannot_see_signal_or_read_another(two_children):
    seen = two_children["seen"]
    assert seen["spool"] == []  # the folder of every submission's folder: an empty tmpfs
    assert seen["processes"] == ["1", "2"]  # its own PID namespace: PID 1 and the worker
    assert seen["pid"] == 2
    assert seen["kill"] == "ProcessLookupError" and seen["signal0"] == "ProcessLookupError"
    assert seen["mem"] in ("FileNotFoundError", "PermissionError")
    assert seen["folder"] == "FileNotFoundError"  # the grader's folders are not mounted
    assert seen["umount_spool"] == "EPERM"  # no capability is left to undo its mounts
    assert seen["caps"] == ["0000000000000000"]
    assert two_children["a_after"]["files"] == [True, True, True]  # A is alive and untouched
    assert psutil.pid_exists(two_children["a_worker"])


def test_nothing_a_child_did_reaches_the_next_one(two_children, fresh_state):
    state = two_children["state"]
    assert state["files"] == [False, False, False] and not state["leaked"]
    seeds = {name: (state.pop(name), fresh_state[name]) for name in ("seed", "rand")}
    assert state == {k: v for k, v in fresh_state.items() if k not in seeds}  # dtype, threads, flags, F, env
    assert seeds["seed"][0] not in (7, seeds["seed"][1], two_children["b_seed_again"])  # a seed of its own, as fresh
    changed = two_children["a_after"]
    assert changed["dtype"] == "torch.float64" and changed["relu"] != fresh_state["relu"]  # A did change its own


def test_the_parent_forks_with_one_thread_only(two_children, parent):
    """It checks /proc/self/task and threading before each fork and ends instead of forking
    with a second thread; it is still there, with one thread, after its children ran."""
    assert parent.proc.poll() is None
    living = living_descendants(parent.proc.pid)  # its children that already ended are left out
    bwraps = {p.pid for p, seen in living if seen["name"] == "bwrap"}
    zygotes = [p for p, seen in living
               if seen["cmdline"][-2:-1] == ["/sandbox/runtime/zygote.py"] and p.pid not in bwraps
               and seen["ppid"] in bwraps]  # not its children, which are python too
    assert len(zygotes) == 1 and zygotes[0].num_threads() == 1
    check = ("import sys, threading, time; sys.path.insert(0, 'autograder/engine/worker'); "
             "from zygote import one_thread; alone = one_thread(); "
             "threading.Thread(target=time.sleep, args=(1,)).start(); print(alone, one_thread())")
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["True", "False"], done.stderr


def test_not_used_without_bubblewrap(parent):
    folder = sandbox.WorkerFolder({}, under=parent.spool)
    try:
        limits = sandbox.Limits.from_env()
        assert parent.serves(folder, DATA_DIR, limits, "bwrap")
        assert not parent.serves(folder, DATA_DIR, limits, sandbox.fallback_isolation())
    finally:
        folder.remove()


def test_a_class_gets_the_same_grades_with_and_without_the_parent(tmp_path):
    """One grader process (--jobs 1) grades the class in order: the meddler, then a clean
    submission whose worker is forked from the same parent."""
    bwrap_or_skip()
    klass = tmp_path / "class"
    _copy(STUBS, klass / "ben-stubs")
    meddler = _copy(SOLUTIONS, klass / "cai-meddler")
    (meddler / "ex01_gradient_descent.py").write_text(MEDDLER + (SOLUTIONS / "ex01_gradient_descent.py").read_text())
    _copy(SOLUTIONS, klass / "dee-after-meddler")
    grades = {}
    for switch in ("1", "0"):
        out = tmp_path / f"out-{switch}"
        done = run_grade("bulk", klass, "--out", out, "--jobs", "1", env={"DLGRADER_PRELOADED_WORKERS": switch},
                         timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        grades[switch] = {p.stem: essence(json.loads(p.read_text())) for p in sorted((out / "results").glob("*.json"))}
    assert sorted(grades["1"]) == ["ben-stubs", "cai-meddler", "dee-after-meddler"]
    assert grades["1"] == grades["0"]
    clean = grades["1"]["dee-after-meddler"]
    assert clean["exercises"]["ex01"]["score"] == clean["exercises"]["ex01"]["max_score"] > 0
    assert clean["exercises"]["ex03"]["score"] == clean["exercises"]["ex03"]["max_score"] > 0
    assert grades["1"]["cai-meddler"] != clean  # the meddler did change its own worker
