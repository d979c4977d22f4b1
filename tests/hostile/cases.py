"""Hostile and broken submissions, as data: what each one does and the outcome it expects.

A case is one trick or one broken input. The cases are graded as ONE class per isolation
level with ``./grade.sh bulk --jobs 2`` (the grader pool imports torch once, so the class costs
far less than one ``./grade.sh grade`` per case) and every case is then checked from
``OUT/results/<student>.json`` and from the machine afterwards (no process left, no file
written where it must not be).

Cases whose outcomes are independent share one submission: tricks that act on different
functions, or broken files that are different modules (each module is imported, or refused,
on its own). A case names the functions or modules it acts on; everything else of its
submission must be graded exactly as the reference submission it names.

Code tricks are applied to PARTIAL: the reference ex01 with ``softmax``, ``mse`` and
``smooth_l1`` wrong, so it earns some points and loses others. The student ``well_behaved``
(BASELINE) is PARTIAL alone; it is also the class's well-behaved submission, which must get
exactly the grade it gets alone. A trick gains nothing when the score equals the baseline's and every check has
the baseline's status, except the checks the case names (``smooth_l1`` ending in a timeout...).

Witnesses: some cases replace a function that is right in PARTIAL by a version that is right
only while the case's claim holds inside the worker (the daemon it started is alive, the
connection to the loopback listener failed, ...) and otherwise raises, saying what it saw. The
witness's check passing proves the claim.

The submission ``escapes`` holds the escapes (a socket to the loopback, reads and writes
outside its folder, the grader's command line from /proc): they are graded at both levels,
bubblewrap and the fallback ``landlock+seccomp``, and each witness states what both guarantee.
Only where the fallback is weaker (Landlock or seccomp alone, or none: ``STOPS_ESCAPES``) is the
submission left out (it would write into the data and home folders) and its cases skipped.

The submission ``grader_killer`` sends SIGKILL to its parent at import: neither level lets it
reach the grader process (it is left out where the fallback would let it, ``left_out``).

The submission ``tensorboard_flood`` writes 80 MB of event files while the check that reads
TensorBoard logs runs: the reader's limits cut it short within the submission's budget.
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parents[2]
BASELINE = "well_behaved"  # the student whose ex01 is PARTIAL and nothing else
GRADE = ROOT / "grade.sh"
SOLUTION = (ROOT / "solutions" / "ex01_gradient_descent.py").read_text()

# Short limits: a timeout costs 8 s, a memory bomb is stopped at 1.5 GB (a worker that has
# imported torch uses about 0.5 GB). The submission budget is long enough for the submission
# that hits all three limits on a loaded 2-core machine (it took 125 s of 120 on one shared by
# other test runs); test_hostile.py checks the budget itself with a shorter one.
LIMITS = {"DLGRADER_CALL_SECONDS": "8", "DLGRADER_SUBMISSION_SECONDS": "240", "DLGRADER_MEMORY_MB": "1500"}
TB_CHECK_SECONDS = 30  # the check that reads a TensorBoard flood: fit's run, and the reader's 5 s at most
ISOLATION_ENV = {"bwrap": {}, "process": {"DLGRADER_ISOLATION": "process"}}


def reported_isolation(isolation: str) -> str:
    """What a report names for a level of ISOLATION_ENV: "process" turns bubblewrap off, and the
    grader then confines as this machine allows ("landlock+seccomp", ..., or "process")."""
    from autograder.engine import sandbox

    return isolation if isolation == "bwrap" else sandbox.fallback_isolation()


def _replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the reference solution changed; update PARTIAL: {old!r}"
    return text.replace(old, new)


# The reference ex01 with four functions wrong: softmax normalizes over the whole tensor, mse
# sums instead of averaging, smooth_l1 forgets the 0.5 and beta, binary_cross_entropy forgets
# the minus sign. The rest is right.
PARTIAL = SOLUTION
for _old, _new in (
        ("    exp = (logits - logits.amax(dim=dim, keepdim=True)).exp()\n    return exp / exp.sum(dim=dim, keepdim=True)\n",
         "    exp = logits.exp()\n    return exp / exp.sum()\n"),
        ("    return ((pred - target) ** 2).mean()\n", "    return ((pred - target) ** 2).sum()\n"),
        ("    return torch.where(d < beta, 0.5 * d**2 / beta, d - 0.5 * beta).mean()\n",
         "    return torch.where(d < beta, d**2, d).mean()\n"),
        ("    return -(target * p.log() + (1 - target) * (1 - p).log()).mean()\n",
         "    return (target * p.log() + (1 - target) * (1 - p).log()).mean()\n")):
    PARTIAL = _replace_once(PARTIAL, _old, _new)
WRONG_IN_PARTIAL = {"softmax", "mse", "smooth_l1", "binary_cross_entropy"}

# Right versions of functions that are right in PARTIAL, for witnesses.
RIGHT = {
    "mae": ("pred, target", "return (pred - target).abs().mean()"),
    "linear_regression_grad": ("X, y, w, b", "r = X @ w + b - y\n"
                               "    return 2 / X.shape[0] * (X.T @ r), 2 / X.shape[0] * r.sum()"),
    "cross_entropy": ("logits, target",
                      "shifted = logits - logits.amax(dim=1, keepdim=True)\n"
                      "    return (shifted.exp().sum(dim=1).log() - shifted.gather(1, target.unsqueeze(1)).squeeze(1)).mean()"),
    "gd_step": ("w, b, dw, db, lr", "return w - lr * dw, b - lr * db"),
}


def witness(func: str, claim: str) -> str:
    """``func`` right only while ``claim`` (an expression: '' when the claim holds, else what
    was seen) is empty in the worker; otherwise it raises with what was seen."""
    args, body = RIGHT[func]
    return f'''
def {func}({args}):
    _seen = {claim}
    if _seen:
        raise RuntimeError("the claim of this case does not hold in the worker: " + repr(_seen)[:300])
    {body}
'''


PROC_SCAN = '''
import os as _os
def _cmdlines():
    out = []
    for pid in _os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    out.append(fh.read().decode("utf-8", "replace"))
            except OSError:
                pass
    return out
'''


@dataclass
class Ctx:
    """What the cases of one class run share with the test: unique marks and paths."""
    isolation: str
    root: Path  # the test's folder for this run
    token: str
    klass: Path = None
    out: Path = None
    canary: Path = None
    port: int = 0
    hits: list = field(default_factory=list)

    def mark(self, name: str) -> str:
        return f"dlgrader-hostile-{self.token}-{name}"


# --- what the submissions hold ----------------------------------------------------------------
class Symlink(str):
    """A file entry that is a symbolic link to this target."""


def ex01(*tricks: str) -> dict:
    """A submission of PARTIAL with these tricks appended (a later ``def`` replaces a function)."""
    return {"ex01_gradient_descent.py": "\n".join((PARTIAL, *tricks)).encode()}


COMPARISON_TRICKS = '''
import torch, pytest, _pytest.runner, _pytest.reports
from torch.overrides import TorchFunctionMode

# patch_torch_comparisons
torch.allclose = lambda *a, **k: True
torch.equal = lambda *a, **k: True
torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
torch.testing.assert_close = lambda *a, **k: None
torch.Tensor.__eq__ = lambda self, other: torch.ones_like(self, dtype=torch.bool)

# patch_pytest
pytest.approx = lambda *a, **k: True
_pytest.runner.call_and_report = lambda *a, **k: None
_pytest.reports.TestReport.passed = property(lambda self: True)

# global_torch_function_mode
class Agree(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if getattr(func, "__name__", "") in ("allclose", "equal", "isclose", "eq", "__eq__"):
            return True
        return func(*args, **(kwargs or {}))
Agree().__enter__()
'''

LYING_VALUES = '''
import torch

# lying_tensor_subclass
class Liar(torch.Tensor):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def allclose(self, *a, **k): return True
    def equal(self, *a, **k): return True
def softmax(logits, dim=-1):
    return torch.zeros_like(logits).as_subclass(Liar)

# eq_always_agrees
class Agrees(float):
    def __eq__(self, other): return True
    def __ne__(self, other): return False
    def __lt__(self, other): return True
    def __le__(self, other): return True
    def __abs__(self): return Agrees(0.0)
    def __sub__(self, other): return Agrees(0.0)
    __rsub__ = __sub__
    __hash__ = float.__hash__
class Anything:
    def __eq__(self, other): return True
    def __bool__(self): return True
def mse(pred, target):
    return Agrees(0.0)
def smooth_l1(pred, target, beta=1.0):
    return Anything()
'''

EXITS = '''
import os, sys, pytest
def softmax(logits, dim=-1):
    sys.exit(0)
def mse(pred, target):
    os._exit(0)
def smooth_l1(pred, target, beta=1.0):
    pytest.skip("nothing to see here")
'''


def output_forgery(ctx: Ctx, *more: str) -> dict:
    forged = json.dumps({"score": 100, "max_score": 100, "tests": [], "status": "graded"})
    target = f"/tmp/{ctx.mark('results')}/results/results.json"
    return ex01(f'''
import atexit, os, sys
FORGED = {forged!r}

# atexit_hook
def _fake():
    print(FORGED)
    with open("results.json", "w") as fh:
        fh.write(FORGED)
    os._exit(0)
atexit.register(_fake)

# fake_results_on_stdout (and on the worker's file descriptors 1 and 2)
print("===== 40 passed in 1.00s =====")
print(FORGED)
os.write(1, b'{{"ok": true, "value": 100}}\\n')
os.write(2, b"PASSED\\n")
sys.__stdout__.write("PASSED\\n")

# fake_results_json_files
for path in ("results.json", "../results.json", "../../results.json", os.path.expanduser("~/results.json"),
             os.path.join(os.environ.get("TMPDIR", "/tmp"), "results.json"), {target!r}):
    try:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(FORGED)
    except OSError:
        pass
''', *more)


def config_and_shadows(ctx: Ctx) -> dict:
    return {
        **ex01(),
        "conftest.py": b"import pytest\n@pytest.hookimpl(tryfirst=True)\n"
                       b"def pytest_runtest_makereport(item, call):\n    call.excinfo = None\n",
        "pytest.ini": b"[pytest]\naddopts = -p no:python\n",
        "setup.cfg": b"[tool:pytest]\naddopts = -x\n",
        "sitecustomize.py": b"import builtins\nbuiltins.print = None\n",
        "evil.pth": b"import os; os._exit(0)\n",
        "json.py": b"def dumps(*a, **k):\n    return '{\"score\": 100}'\n",
        "torch.py": b"raise SystemExit\n",
        "numpy.py": b"raise SystemExit\n",
        "pytest.py": b"def approx(*a, **k):\n    return True\n",
        "os.py": b"raise SystemExit\n",
        "__pycache__/ex01_gradient_descent.cpython-311.pyc": b"\x00" * 64,
    }


FORK_STORM = 200


def processes(ctx: Ctx) -> dict:
    """A daemon started with setsid, one double-forked, and a storm of FORK_STORM sleepers (the
    bound this test sets), each orphaned by a subshell that exits at once. Each writes its pid to
    a file of the worker's folder; the witnesses count the pids that are alive with ``kill(pid, 0)``
    (the worker reads no other process's /proc files under Landlock, nor the command lines there)."""
    linger, storm = ctx.mark("linger"), ctx.mark("storm")
    return ex01(f'''
import os, subprocess, sys, time
LINGER, STORM = {linger!r}, {storm!r}
_PIDS = os.path.join(os.environ.get("TMPDIR", "."), "pids-")

# lingering_daemon
_daemon = subprocess.Popen([sys.executable, "-c", "import time\\nwhile True: time.sleep(1)  # " + LINGER],
                           start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
with open(_PIDS + "linger", "a") as _fh:
    _fh.write("%d\\n" % _daemon.pid)
if os.fork() == 0:
    if os.fork() == 0:
        os.setsid()
        with open(_PIDS + "linger", "a") as _fh:
            _fh.write("%d\\n" % os.getpid())
        os.execv("/bin/sleep", [LINGER, "300"])
    os._exit(0)
os.wait()

# fork_storm
for _ in range({FORK_STORM // 20}):
    os.posix_spawn("/bin/bash", ["bash", "-c", "for i in $(seq 20); do (exec -a " + STORM + " sleep 300 & "
                   "echo $! >> " + _PIDS + "storm); done"], {{"PATH": "/usr/bin:/bin"}}, setsid=True)

def _alive(name, want):
    """How many of the pids written to pids-NAME are alive (waiting up to 5 s for WANT of them)."""
    deadline = time.monotonic() + 5
    while True:
        try:
            with open(_PIDS + name) as fh:
                pids = {{int(line) for line in fh if line.strip().isdigit()}}
        except OSError:
            pids = set()
        n = 0
        for pid in pids:
            try:
                os.kill(pid, 0)
                n += 1
            except OSError:  # gone (or, never here, another's)
                pass
        if n >= want or time.monotonic() > deadline:
            return n
        time.sleep(0.2)
''',
        witness("mae", "'' if _alive('linger', 2) >= 2 else 'daemons alive: %d' % _alive('linger', 2)"),
        witness("gd_step",
                f"'' if _alive('storm', {FORK_STORM}) >= {FORK_STORM} else 'sleepers: %d' % _alive('storm', {FORK_STORM})"))


LIMIT_BREAKERS = '''
import os, time

# infinite_loop_in_function
def smooth_l1(pred, target, beta=1.0):
    while True:
        pass

# memory_bomb: 100 MB at a time, touched; at most 4 GB should the watch fail
def mse(pred, target):
    chunks = []
    for _ in range(40):
        chunks.append(bytearray(100 * 1024 * 1024))
        time.sleep(0.01)
    return ((pred - target) ** 2).sum()

# orphan_memory_bomb: the memory is held by a double-forked orphan; at most 3 GB
def binary_cross_entropy(prob, target, eps=1e-7):
    if os.fork() == 0:
        if os.fork() == 0:
            os.setsid()
            chunks = []
            for _ in range(30):
                chunks.append(bytearray(100 * 1024 * 1024))
                time.sleep(0.02)
            time.sleep(60)
        os._exit(0)
    os.wait()
    time.sleep(7)
    return prob.mean()
'''


def escapes(ctx: Ctx) -> dict:
    """The four escapes, one witness each (all four functions are right in PARTIAL). What each
    witness states holds at both levels that stop them: under bubblewrap the paths of the host are
    not mounted (and /data is the data), under Landlock+seccomp they exist (``stat`` is not
    stopped) but cannot be opened, the data is read where ``DL_DATA_DIR`` says, and no process's
    /proc files but the worker's own can be read."""
    home = str(Path.home())
    secret_reads = [str(ROOT / "solutions" / "ex01_gradient_descent.py"),
                    str(ROOT / "autograder" / "checks" / "hidden" / "__init__.py"), str(ROOT / "autograder"),
                    str(ctx.klass / BASELINE / "ex01_gradient_descent.py"), str(ctx.canary), *home_entries()]
    writes = [str(ROOT / "data" / f"{ctx.mark('data')}.txt"), "/data/" + ctx.mark("data") + ".txt", str(ctx.canary),
              str(ctx.out / "results" / f"{ctx.mark('out')}.json")]
    rewrites = [str(ROOT / "data" / "iris.csv"), "/data/iris.csv", str(ctx.klass / BASELINE / "ex01_gradient_descent.py")]
    # bubblewrap makes the folders above the mounted Python installation (often in the home
    # folder) on its own throw-away root: a write there may succeed and is lost. What counts is
    # that the real home folder does not change (checked from outside, after the run).
    home_write = os.path.join(home, "." + ctx.mark("home"))
    return ex01(f'''
import os, socket
TOKEN = {ctx.token!r}
DATA_DIR = os.environ.get("DL_DATA_DIR", "")  # where this level gives the data: /data, or the host's folder

# socket_to_loopback
try:
    socket.create_connection(("127.0.0.1", {ctx.port}), timeout=2).sendall(b"leak " + TOKEN.encode())
    NETWORK = "connected to the loopback listener"
except OSError:
    NETWORK = ""

# read_outside_its_folder: a file is read (one byte), a folder listed
def _read(path):
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            with open(path, "rb") as fh:
                fh.read(1)
        return True
    except OSError:
        return False
SEEN = [p for p in {secret_reads!r} if _read(p)]
try:
    with open(os.path.join(DATA_DIR, "iris.csv")) as fh:
        DATA = fh.read(12)
except OSError as exc:
    DATA = str(exc)
if DATA != "sepal_length":
    SEEN.append("the data cannot be read at " + DATA_DIR + ": " + DATA)

# write_outside_its_folder
WROTE = []
try:
    with open({home_write!r}, "a") as fh:
        fh.write("owned " + TOKEN)
except OSError:
    pass
for path in {writes!r} + [os.path.join(DATA_DIR, {ctx.mark("data")!r} + "-env.txt")]:
    try:
        with open(path, "a") as fh:
            fh.write("owned " + TOKEN)
        WROTE.append(path)
    except OSError:
        pass
for path in {rewrites!r} + [os.path.join(DATA_DIR, "iris.csv")]:  # writes back the first byte: harmless, but a write all the same
    try:
        with open(path, "r+b") as fh:
            first = fh.read(1)
            fh.seek(0)
            fh.write(first)
        WROTE.append(path)
    except OSError:
        pass
''', PROC_SCAN, '''
# read_grader_command_line: the grader's (and grade.sh's) command line names the class and output
# folders, so it holds TOKEN; the parent's is the grader's under Landlock, bubblewrap's own otherwise
GRADER_SEEN = [c for c in _cmdlines() if TOKEN in c]
try:
    with open("/proc/%d/cmdline" % os.getppid(), "rb") as fh:
        if TOKEN.encode() in fh.read():
            GRADER_SEEN.append("the parent's command line")
except OSError:
    pass
''', witness("mae", "NETWORK"), witness("cross_entropy", "SEEN"), witness("gd_step", "WROTE"),
        witness("linear_regression_grad", "GRADER_SEEN"))


# A TensorBoard flood. fit(log_dir=...) (the reference's) logs its epochs, then writes
# TB_FLOOD_FILES event files of TB_FLOOD_MB MB each beside them: valid TFRecord framing (tensorboard's
# own RecordWriter, CRCs included) of scalar events under the four tags the check reads, about 44,000
# records a file, 1.7 million in all. Without its limits the grader's reader would decode them all:
# about 5 us a record on this machine (some 9 s, and a list entry each, a few hundred MB), past the
# whole 5 s it allows; tensorboard's EventAccumulator, which it used to call, takes 4.4 s for one such
# file here (about 3 minutes for them all). With the limits it reads 16 MB at most and stops there.
TB_FLOOD_FILES, TB_FLOOD_MB = 40, 2
ORIGINAL_FIT = "_reference_fit"
TB_FLOOD = f'''
{ORIGINAL_FIT} = fit


def fit(*args, log_dir=None, **kwargs):
    history = {ORIGINAL_FIT}(*args, log_dir=log_dir, **kwargs)
    if log_dir is not None:
        import io, os
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.record_writer import RecordWriter
        buf = io.BytesIO()
        writer = RecordWriter(buf)
        for step, tag in enumerate(("loss/train", "loss/val", "accuracy/val", "lr")):
            value = summary_pb2.Summary.Value(tag=tag, simple_value=0.5)
            writer.write(event_pb2.Event(wall_time=1.0, step=step, summary=summary_pb2.Summary(value=[value]))
                         .SerializeToString())
        unit = buf.getvalue()
        blob = unit * (({TB_FLOOD_MB} << 20) // len(unit))
        for i in range({TB_FLOOD_FILES}):
            with open(os.path.join(log_dir, "events.out.tfevents.%d.flood.%03d" % (1700000000 + i, i)), "wb") as fh:
                fh.write(blob)
    return history
'''


def tensorboard_flood(ctx: Ctx) -> dict:
    """PARTIAL's ex01 and the reference ex04 whose fit floods its log folder (TB_FLOOD)."""
    ex04 = (ROOT / "solutions" / "ex04_training.py").read_text()
    return {**ex01(), "ex04_training.py": (ex04 + TB_FLOOD).encode()}


def home_entries() -> list[str]:
    """Up to three entries of the home folder that are not on the way to the Python installation
    or the project (those are mounted read-only under bubblewrap): they must stay invisible."""
    home = Path.home()
    mounted = [Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, ROOT)]
    try:
        names = sorted(os.listdir(home))
    except OSError:
        return []
    keep = [str(home / n) for n in names if not any(m == home / n or home / n in m.parents for m in mounted)]
    return keep[:3]


def zip_bytes(members: list[tuple]) -> bytes:
    """members: (name or ZipInfo, data)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buf.getvalue()


def zip_slip(ctx: Ctx) -> bytes:
    return zip_bytes([("ex01_gradient_descent.py", SOLUTION),
                      (f"../../{ctx.mark('slip')}.py", "owned = True\n"),
                      (f"/tmp/{ctx.mark('abs')}.py", "owned = True\n")])


def zip_corrupt(ctx: Ctx) -> bytes:
    """The member's CRC is wrong, as in a damaged upload."""
    data = bytearray(zip_bytes([("ex01_gradient_descent.py", SOLUTION)]))
    for signature, offset in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        data[data.find(signature) + offset] ^= 0xFF
    return bytes(data)


# PARTIAL that sends SIGKILL to its parent at import. Under bubblewrap that parent is bubblewrap's
# own pid 1 in the worker's PID namespace, which ignores it; under the fallback it is the grader
# process, and Landlock's signal scope (ABI 6) or the worker's other user refuse it.
# tests/test_bulk_integrity.py grades it as a plain child process, where it ends its grader.
KILL_PARENT = "import os\nos.kill(os.getppid(), 9)\n"

# Every submission of the class: name -> builder(ctx) returning {file: bytes | Symlink} or zip bytes.
STUDENTS: dict[str, Callable[[Ctx], dict | bytes]] = {
    # well-behaved: PARTIAL, the baseline of the tricks; it must get in the class exactly the
    # grade it gets alone (its name sorts it after most hostile submissions of the class)
    BASELINE: lambda ctx: ex01(),
    # code tricks on PARTIAL
    "comparison_tricks": lambda ctx: ex01(COMPARISON_TRICKS, LYING_VALUES),
    "output_forgery": lambda ctx: {**config_and_shadows(ctx), **output_forgery(ctx, EXITS)},
    "processes": processes,
    "limit_breakers": lambda ctx: ex01(LIMIT_BREAKERS),
    # one broken module each; ex01 (right) is graded all the same
    "import_time": lambda ctx: {
        **ex01(),
        "ex02_data.py": b"import os\nos._exit(0)\n",
        "ex03_model.py": b"import sys\nsys.exit(0)\n",
        "ex04_training.py": b"import pytest\npytest.skip('nothing to see', allow_module_level=True)\n",
        "ex05_device.py": b"import numpy\nimport no_such_module_here\n",
        "ex06_experiments.py": b"while True:\n    pass\n",
    },
    "broken_files": lambda ctx: {
        **ex01(),
        "ex02_data.py": b"def load(:\n    return 1\n",
        "ex03_model.py": "# caf\u00e9, saved as Latin-1\nimport torch\n".encode("latin-1"),
        "ex04_training.py": Symlink("/etc/passwd"),
        "ex05_device.py": b"# " + b"x" * (60 * 1024 * 1024) + b"\n",
        "ex06_experiments.py": b"",
    },
    "empty_submission": lambda ctx: {},
    "zip_slip": zip_slip,
    "zip_bomb": lambda ctx: zip_bytes([("ex01_gradient_descent.py", b"#" * (60 * 1024 * 1024))]),
    "zip_corrupt": zip_corrupt,
    "escapes": escapes,
    "tensorboard_flood": tensorboard_flood,
    "grader_killer": lambda ctx: {"ex01_gradient_descent.py": (KILL_PARENT + PARTIAL).encode()},
}
WELL_BEHAVED = (BASELINE,)
# The levels that stop every escape: a weaker fallback (Landlock or seccomp alone, or a plain
# process, README.md's security table) leaves some of them open, and the student that would
# write into the data and home folders is then left out of the class with ESCAPES_NOT_STOPPED.
ESCAPES = "escapes"
STOPS_ESCAPES = {"bwrap", "landlock+seccomp"}
ESCAPES_NOT_STOPPED = ("this machine's fallback ({level}) does not stop every escape: only bubblewrap and "
                       "landlock+seccomp do (README.md, security section)")
KILLER = "grader_killer"
KILLER_NOT_STOPPED = ("this machine's fallback ({level}) lets a worker signal its grader (no Landlock signal "
                      "scope, ABI 6, and the grader is not root): tests/test_bulk_integrity.py grades that")


def stops_signals(isolation: str) -> bool:
    """Whether a worker's SIGKILL to its parent is stopped at this level of ISOLATION_ENV."""
    if isolation == "bwrap":
        return True
    from autograder.engine import confine, sandbox

    chosen = sandbox.confinement()
    return chosen["user"] is not None or (chosen["landlock"] and confine.landlock_abi() >= 6)


def left_out(isolation: str) -> dict[str, str]:
    """The students left out of the class at this level, with the reason."""
    level = reported_isolation(isolation)
    out = {}
    if level not in STOPS_ESCAPES:
        out[ESCAPES] = ESCAPES_NOT_STOPPED.format(level=level)
    if not stops_signals(isolation):
        out[KILLER] = KILLER_NOT_STOPPED.format(level=level)
    return out


def write_student(klass: Path, name: str, content) -> None:
    if isinstance(content, bytes):  # a zip
        (klass / f"{name}.zip").write_bytes(content)
        return
    folder = klass / name
    folder.mkdir(parents=True)
    for fname, data in content.items():
        path = folder / fname
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, Symlink):
            path.symlink_to(str(data))
        else:
            path.write_bytes(data)


def students_for(isolation: str) -> list[str]:
    return [s for s in STUDENTS if s not in left_out(isolation)]


# --- the expected outcomes ------------------------------------------------------------------
@dataclass
class Case:
    name: str
    student: str
    expect: str  # the outcome, in words
    same_as: str | None = None  # every other check has this student's status and points
    functions: dict = field(default_factory=dict)  # ex01 function -> the statuses its checks may have
    modules: dict = field(default_factory=dict)  # exercise -> the statuses its checks may have
    all_statuses: set | None = None  # the statuses every check may have
    score: str | float | None = "same"  # "same" as same_as, a number, or None: not compared
    feedback: dict = field(default_factory=dict)  # function or exercise -> a text in its feedback
    notes: tuple = ()  # texts in the report's notes
    problems: tuple = ()  # texts in the submission's problems
    after: Callable | None = None  # after(run): checks on the machine once the class is graded


def no_process_left(*names: str):
    def check(run):
        for name in names:
            found = run.marked_processes(run.ctx.mark(name))
            assert found == [], f"processes of the submission outlived it: {found}"
    return check


def nothing_written(run):
    ctx = run.ctx
    leaked = [p for p in (ROOT / "data" / f"{ctx.mark('data')}.txt", ROOT / "data" / f"{ctx.mark('data')}-env.txt",
                          Path.home() / f".{ctx.mark('home')}", ctx.out / "results" / f"{ctx.mark('out')}.json")
              if p.exists()]
    for p in leaked:
        p.unlink()
    assert leaked == []
    assert ctx.canary.read_text() == "untouched"
    assert run.data_digest == digest(ROOT / "data"), "the data folder changed"
    assert run.baseline_source == (ctx.klass / BASELINE / "ex01_gradient_descent.py").read_bytes()


def no_connection(run):
    assert run.ctx.hits == [], f"the submission reached the loopback listener: {run.ctx.hits}"


def nothing_unpacked(run):
    ctx = run.ctx
    escaped = [p for p in (ctx.klass.parent.parent / f"{ctx.mark('slip')}.py", ctx.klass / f"{ctx.mark('slip')}.py",
                           Path("/tmp") / f"{ctx.mark('abs')}.py") if p.exists()]
    assert escaped == []


def forged_files_changed_nothing(run):
    # Under process isolation the worker may write to the grader's /tmp: remove what it left.
    shutil.rmtree(Path("/tmp") / run.ctx.mark("results"), ignore_errors=True)


def the_grader_killer_is_graded(run):
    """Under bubblewrap ex01 is graded as the baseline's; under the fallback importing it raises
    PermissionError, so every ex01 check errs. Either way the class went on (test_hostile_bulk.py)."""
    ex01 = [t for t in run.results[KILLER]["tests"] if t["exercise"] == "ex01"]
    if run.ctx.isolation == "bwrap":
        ref = [t for t in run.results[BASELINE]["tests"] if t["exercise"] == "ex01"]
        # a check that watches the worker gives nothing beside code that signals (os.kill), never more
        tampered = {t["name"] for t in ex01
                    if t["status"] == "failed" and "This check watches how your code runs" in t["feedback"]}
        assert tampered <= {t["name"] for t in ref if t["status"] == "passed"}
        assert [(t["name"], t["status"], t["points"]) for t in ex01 if t["name"] not in tampered] == \
            [(t["name"], t["status"], t["points"]) for t in ref if t["name"] not in tampered]
    else:
        assert ex01 and all(t["status"] == "error" and "PermissionError" in t["feedback"] for t in ex01), \
            [(t["name"], t["status"], t["feedback"][:120]) for t in ex01]


def tensorboard_flood_is_cut_short(run):
    """The check that reads the logs fails with the limit's message within TB_CHECK_SECONDS, every
    other ex04 check passes (fit, plot... are graded), and the whole submission took less than its
    budget."""
    got = run.results["tensorboard_flood"]
    ex04 = {t["name"]: t for t in got["tests"] if t["exercise"] == "ex04"}
    # the two checks that read the event files (that they exist, one point per epoch)
    readers = [ex04.pop(name) for name in ("test_fit_writes_tensorboard_events",
                                           "test_fit_tensorboard_one_point_per_epoch")]
    for tb in readers:
        assert tb["status"] == "failed" and "more than 16 MB of event files" in tb["feedback"], tb
    assert ex04 and all(t["status"] == "passed" for t in ex04.values()), \
        {n: (t["status"], t["feedback"][:200]) for n, t in ex04.items() if t["status"] != "passed"}
    budget = float(LIMITS["DLGRADER_SUBMISSION_SECONDS"])
    assert got["seconds"] < budget and all(tb["seconds"] < TB_CHECK_SECONDS for tb in readers), \
        (got["seconds"], [tb["seconds"] for tb in readers])


ERRORS = {"error"}

CASES = [
    # -- tricks on PARTIAL: the grade is decided in the grader; each gains nothing -------------------
    Case("patch_torch_comparisons", "comparison_tricks", "torch.allclose/equal/isclose/testing.assert_close and "
         "Tensor.__eq__ patched at import (in the worker): same score and statuses as the baseline", BASELINE),
    Case("patch_pytest", "comparison_tricks", "pytest.approx, _pytest.runner.call_and_report and "
         "TestReport.passed patched at import (in the worker, not the grader): same as the baseline", BASELINE),
    Case("global_torch_function_mode", "comparison_tricks", "a TorchFunctionMode entered at import that answers "
         "True to every comparison: same as the baseline", BASELINE),
    Case("lying_tensor_subclass", "comparison_tricks", "softmax returns a Tensor subclass whose __eq__, allclose and "
         "equal always agree: softmax still fails", BASELINE, functions={"softmax": {"failed"}}),
    Case("eq_always_agrees", "comparison_tricks", "mse returns a float, smooth_l1 an object, whose __eq__ always "
         "agrees: both still fail", BASELINE, functions={"mse": {"failed"}, "smooth_l1": {"failed"}}),
    Case("os_exit_inside_function", "output_forgery", "mse calls os._exit(0): its check errs (the worker is "
         "restarted), the rest as the baseline", BASELINE, functions={"mse": ERRORS},
         feedback={"mse": "ended unexpectedly"}),
    Case("sys_exit_inside_function", "output_forgery", "softmax calls sys.exit(0): its checks fail naming SystemExit",
         BASELINE, functions={"softmax": {"failed"}}, feedback={"softmax": "SystemExit"}),
    Case("pytest_skip_inside_function", "output_forgery", "smooth_l1 calls pytest.skip: its check fails (only a pass "
         "counts)", BASELINE, functions={"smooth_l1": {"failed"}}),
    Case("atexit_hook", "output_forgery", "an atexit hook that prints a full-marks result, writes results.json "
         "and calls os._exit: same as the baseline", BASELINE),
    Case("fake_results_on_stdout", "output_forgery", "fake pytest summaries and protocol-like JSON printed, and "
         "written to file descriptors 1 and 2: same as the baseline", BASELINE),
    Case("fake_results_json_files", "output_forgery", "writes a full-marks results.json in its folder, its "
         "parents, its home, TMPDIR and /tmp: same as the baseline", BASELINE,
         after=forged_files_changed_nothing),
    Case("config_and_shadow_files", "output_forgery", "ships conftest.py, pytest.ini, setup.cfg, "
         "sitecustomize.py, a .pth, __pycache__ and json/torch/numpy/pytest/os.py: none is used, each is named in "
         "the notes, same as the baseline", BASELINE,
         notes=tuple(f"{n} was not graded" for n in (
             "conftest.py", "pytest.ini", "setup.cfg", "sitecustomize.py", "evil.pth", "__pycache__", "json.py",
             "torch.py", "numpy.py", "pytest.py", "os.py"))),
    # -- limits -------------------------------------------------------------------------------
    Case("lingering_daemon", "processes", "starts a setsid process and a double-forked one at import: both run "
         "while it is graded (witness: mae) and none is left afterwards", BASELINE,
         functions={"mae": {"passed"}}, after=no_process_left("linger")),
    Case("fork_storm", "processes", f"{FORK_STORM} sleepers (the bound this test sets), each orphaned by a "
         "subshell: all run while it is graded (witness: gd_step), none is left afterwards",
         BASELINE, functions={"gd_step": {"passed"}}, after=no_process_left("storm")),
    Case("infinite_loop_in_function", "limit_breakers", "smooth_l1 never returns: its check times out after 8 s, "
         "every other check is graded", BASELINE, functions={"smooth_l1": {"timeout"}},
         feedback={"smooth_l1": "did not finish within 8 s"}),
    Case("memory_bomb", "limit_breakers", "mse allocates 100 MB after 100 MB: the worker is stopped at the 1.5 GB "
         "limit, mse errs with a memory message, the machine carries on", BASELINE,
         functions={"mse": ERRORS}, feedback={"mse": "more memory than the limit"}),
    Case("orphan_memory_bomb", "limit_breakers", "binary_cross_entropy leaves the allocating to a double-forked "
         "orphan: its memory counts all the same, the check errs with a memory message", BASELINE,
         functions={"binary_cross_entropy": ERRORS}, feedback={"binary_cross_entropy": "more memory than the limit"}),
    # -- import time: the module's checks err, the other modules are graded ---------------------------
    Case("os_exit_at_import", "import_time", "ex02 calls os._exit(0) at import: every ex02 check errs; ex01 "
         "is graded as the baseline's", BASELINE, modules={"ex02": ERRORS},
         feedback={"ex02": "importing ex02_data.py ended the process"}),
    Case("sys_exit_at_import", "import_time", "ex03 calls sys.exit(0) at import: every ex03 check errs",
         BASELINE, modules={"ex03": ERRORS}, feedback={"ex03": "could not be imported (`SystemExit"}),
    Case("pytest_skip_at_import", "import_time", "ex04 calls pytest.skip at import: every ex04 check errs (a skip "
         "is no pass)", BASELINE, modules={"ex04": ERRORS}, feedback={"ex04": "could not be imported (`Skipped"}),
    Case("import_error", "import_time", "ex05 imports a module that does not exist: every ex05 check errs and "
         "names the error", BASELINE, modules={"ex05": ERRORS}, feedback={"ex05": "ModuleNotFoundError"}),
    Case("infinite_loop_at_import", "import_time", "ex06 loops forever at import: every ex06 check ends in a "
         "timeout", BASELINE, modules={"ex06": {"timeout"}}),
    # -- intake ----------------------------------------------------------------------------------
    Case("syntax_error", "broken_files", "ex02 has a syntax error: never run, every ex02 check errs with the "
         "line; ex01 is graded as the baseline's", BASELINE, modules={"ex02": ERRORS},
         feedback={"ex02": "SyntaxError"}),
    Case("non_utf8_source", "broken_files", "ex03 is saved as Latin-1: never run, every ex03 check errs asking "
         "for UTF-8", BASELINE, modules={"ex03": ERRORS}, feedback={"ex03": "not UTF-8"}),
    Case("symlink_to_etc_passwd", "broken_files", "ex04 is a symbolic link to /etc/passwd: never read, every "
         "ex04 check errs", BASELINE, modules={"ex04": ERRORS}, feedback={"ex04": "symbolic link"}),
    Case("sixty_mb_file", "broken_files", "ex05 is a 60 MB file: read no further than the 1 MB limit, every ex05 "
         "check errs", BASELINE, modules={"ex05": ERRORS}, feedback={"ex05": "larger than the limit"}),
    Case("empty_module", "broken_files", "ex06 is an empty file: it imports, and every ex06 check fails",
         BASELINE, modules={"ex06": {"failed", "error"}}),
    Case("empty_submission", "empty_submission", "a folder without files: graded 0, every check errs, the "
         "problem is named", score=0, all_statuses=ERRORS, problems=("no exNN_*.py file found",)),
    Case("zip_slip", "zip_slip", "a zip with ../ and absolute member paths: refused whole, graded 0, nothing "
         "written anywhere", score=0, all_statuses=ERRORS, problems=("unsafe path in archive",),
         after=nothing_unpacked),
    Case("zip_bomb", "zip_bomb", "a zip whose 60 MB member compresses 1000:1: refused, graded 0", score=0,
         all_statuses=ERRORS, problems=("zip bomb",)),
    Case("zip_corrupt", "zip_corrupt", "a zip whose member fails its CRC: refused, graded 0, and the rest of the "
         "class is graded", score=0, all_statuses=ERRORS, problems=("cannot be read from the archive",)),
    Case("tensorboard_flood", "tensorboard_flood", f"fit(log_dir=...) writes its epochs, then {TB_FLOOD_FILES} "
         f"event files of {TB_FLOOD_MB} MB (1.7 million scalar records) beside them: the check that reads them "
         "fails at the 16 MB limit, the rest of ex04 passes, and the submission is graded within its budget",
         BASELINE, modules={"ex04": {"passed", "failed"}}, score=None, after=tensorboard_flood_is_cut_short),
    Case("kill_the_grader_at_import", KILLER, "ex01 sends SIGKILL to its parent at import: the grader is not "
         "reached (bubblewrap's pid 1 ignores it; the fallback refuses it, so ex01's checks err naming "
         "PermissionError), the submission and the class are graded", BASELINE,
         modules={"ex01": {"passed", "failed", "error"}}, score=None, after=the_grader_killer_is_graded),
    # -- escapes: stopped by bubblewrap (not mounted, no network, own PID namespace) and by
    # landlock+seccomp (cannot be opened, no socket, no other process's /proc files) ------------------
    Case("socket_to_loopback", ESCAPES, "connects to a listener on 127.0.0.1: the connection fails (witness: "
         "mae) and the listener never hears from it", BASELINE, functions={"mae": {"passed"}}, score=None,
         after=no_connection),
    Case("read_outside_its_folder", ESCAPES, "reads the solutions, the hidden checks, the grader's source folder, "
         "another submission, a file of the test and the home folder's entries: every read fails, and the data "
         "is read where DL_DATA_DIR says (witness: cross_entropy)", BASELINE,
         functions={"cross_entropy": {"passed"}}, score=None),
    Case("write_outside_its_folder", ESCAPES, "writes into the data folder (new files, iris.csv, at the host's "
         "path and where DL_DATA_DIR says), the home folder, the gradebook folder, another submission and a file "
         "of the test: every write fails (witness: gd_step) and nothing changed", BASELINE,
         functions={"gd_step": {"passed"}}, score=None, after=nothing_written),
    Case("read_grader_command_line", ESCAPES, "reads the command lines of every process in /proc and of its "
         "parent (the grader's names the class and output folders): finds none (witness: "
         "linear_regression_grad)", BASELINE, functions={"linear_regression_grad": {"passed"}}, score=None),
]
CASES_BY_NAME = {c.name: c for c in CASES}
assert len(CASES) >= 25 and len(CASES_BY_NAME) == len(CASES)
assert {c.student for c in CASES} | set(WELL_BEHAVED) == set(STUDENTS)
# The code tricks on PARTIAL: their score must equal the baseline's.
TRICKS = [c.name for c in CASES if c.same_as == BASELINE and c.score == "same" and not c.modules]


def named_by_cases(student: str) -> tuple[set, set]:
    """(ex01 functions, exercises) that some case of this submission names: each is checked by
    its own case, and left out of the comparison with the reference by the others."""
    functions, modules = set(), set()
    for c in CASES:
        if c.student == student:
            functions |= set(c.functions)
            modules |= set(c.modules)
    return functions, modules


# --- one graded class per isolation level ---------------------------------------------------------
def digest(folder: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*")):
        h.update(str(p.relative_to(folder)).encode())
        if p.is_file():
            h.update(p.read_bytes())
    return h.hexdigest()


class ClassRun:
    def __init__(self, ctx: Ctx, done: subprocess.CompletedProcess, seconds: float, data_digest: str,
                 baseline_source: bytes):
        self.ctx, self.done, self.seconds = ctx, done, seconds
        self.data_digest, self.baseline_source = data_digest, baseline_source
        self.results = {}
        for path in (ctx.out / "results").glob("*.json"):
            data = json.loads(path.read_text())
            self.results[data["student"]] = data

    @staticmethod
    def marked_processes(mark: str) -> list[int]:
        """Processes whose command line holds ``mark``. Any found are ended (by pid: they are
        what this test's submissions started) so that a failure leaves nothing behind."""
        found = []
        for pid in os.listdir("/proc"):
            if pid.isdigit() and int(pid) != os.getpid():
                try:
                    if mark in Path(f"/proc/{pid}/cmdline").read_bytes().decode("utf-8", "replace"):
                        found.append(int(pid))
                except OSError:
                    pass
        for pid in found:
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        return found


def _listen(ctx: Ctx, stop: threading.Event) -> socket.socket:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    ctx.port = server.getsockname()[1]

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                ctx.hits.append(conn.recv(100) or b"<connected>")
            except OSError:
                ctx.hits.append(b"<connected>")
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server


_RUNS: dict[str, ClassRun] = {}


def class_run(isolation: str, tmp_path_factory) -> ClassRun:
    """Grade the whole class once per isolation level (shared by the test modules)."""
    if isolation in _RUNS:
        return _RUNS[isolation]
    token = f"{os.getpid()}{isolation[0]}{int(time.time() * 1000) % 10**6}"
    root = tmp_path_factory.mktemp(f"hostile-class-{isolation}")
    ctx = Ctx(isolation=reported_isolation(isolation), root=root, token=token)
    # The grader's command line names the class and output folders, so it holds the token: a
    # worker that could read it from /proc would find it.
    ctx.klass, ctx.out, ctx.canary = root / f"class-{token}", root / f"out-{token}", root / "canary.txt"
    ctx.klass.mkdir()
    ctx.canary.write_text("untouched")
    stop = threading.Event()
    server = _listen(ctx, stop)
    try:
        for name in students_for(isolation):
            write_student(ctx.klass, name, STUDENTS[name](ctx))
        data_digest = digest(ROOT / "data")
        baseline_source = (ctx.klass / BASELINE / "ex01_gradient_descent.py").read_bytes()
        env = {**os.environ, **LIMITS, **ISOLATION_ENV[isolation]}
        t0 = time.monotonic()
        done = subprocess.run([str(GRADE), "bulk", str(ctx.klass), "--out", str(ctx.out), "--jobs", "2"],
                              capture_output=True, text=True, env=env, cwd=ROOT, timeout=1500)
        run = ClassRun(ctx, done, time.monotonic() - t0, data_digest, baseline_source)
    finally:
        stop.set()
        if server is not None:
            time.sleep(0.3)
            server.close()
    _RUNS[isolation] = run
    return run


def grade_alone(folder: Path, out: Path, isolation: str, *extra: str, env: dict | None = None):
    """./grade.sh grade FOLDER --json OUT with the class's limits; (report, CompletedProcess)."""
    full_env = {**os.environ, **LIMITS, **ISOLATION_ENV[isolation], **(env or {})}
    done = subprocess.run([str(GRADE), "grade", str(folder), "--json", str(out), *extra], capture_output=True,
                          text=True, env=full_env, cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text()), done
