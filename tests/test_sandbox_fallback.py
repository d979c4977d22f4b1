"""The confinement used where bubblewrap is not (autograder/engine/confine.py), on this machine.

With DLGRADER_ISOLATION=process the grader does not use bubblewrap and confines the worker
with what the kernel offers (Landlock, seccomp and, for a root grader, another user). One
hostile submission is graded with ``./grade.sh grade``: the exercise stubs, with ex01's
functions replaced by attacks. Each attack raises ``RuntimeError("SAW {...}")`` saying what
it saw, which the report's feedback carries back; the test also looks at the machine
afterwards (canary files, listeners). gd_step writes 600 MB with DLGRADER_DISK_MB=300: its
worker is ended for the disk limit and the rest is still graded. The same submission is
graded under bubblewrap for the disk limit (its /tmp is now a folder on disk, counted).

Every attack was checked to fail its test with the protection taken out (see the report of
the change that added this file).
"""
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import ROOT, bwrap_or_skip, run_grade

from autograder.engine import confine, sandbox, warm

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="Landlock and seccomp are Linux's")

ATTACKS = r'''
import json, os, socket, time
import torch

PATHS = json.loads({paths!r})


def _saw(result):
    raise RuntimeError("SAW " + json.dumps(result, separators=(",", ":")))


def _try(fn):
    try:
        value = fn()
        return "OK" if value is None else ("OK:" + str(value)[:40])
    except Exception as exc:
        return type(exc).__name__


def _append(path):
    with open(path, "a") as fh:
        fh.write("forged")


def softmax(logits, dim=-1):
    """Writes outside its folder."""
    _saw({{"venv": _try(lambda: _append(PATHS["venv"])), "source": _try(lambda: _append(PATHS["source"])),
          "home": _try(lambda: _append(PATHS["home"])), "tmp": _try(lambda: _append(PATHS["tmp_file"]))}})


def cross_entropy(logits, target):
    """Reads outside its folder."""
    _saw({{"secret": _try(lambda: open(PATHS["secret"]).read()),
          "grader": _try(lambda: open(PATHS["grader_file"]).read(20)),
          "listing": _try(lambda: os.listdir(PATHS["secret_dir"]))}})


def binary_cross_entropy(prob, target, eps=1e-7):
    """The network."""
    def tcp():
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect(("127.0.0.1", PATHS["port"]))
        s.sendall(b"tcp")
        s.close()
    _saw({{"inet": _try(tcp), "inet6": _try(lambda: socket.socket(socket.AF_INET6)),
          "netlink": _try(lambda: socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)),
          "udp": _try(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("127.0.0.1", 9)))}})


def mse(pred, target):
    """Unix sockets: one the test listens on, and one made by the keeper's own code."""
    def unix(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(3)
        s.connect(path)
        s.sendall(b"unix")
        s.close()
    _saw({{"unix": _try(lambda: unix(PATHS["unix"])), "keeper": _try(lambda: unix(PATHS["keeper"]))}})


def _ptrace_attach(pid):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(16, pid, 0, 0) == -1:  # PTRACE_ATTACH
        return ctypes.get_errno()
    os.waitpid(pid, 0x40000000)  # __WALL: it stops; then let it go on (else the grader stays stopped)
    libc.ptrace(17, pid, 0, 0)  # PTRACE_DETACH
    return "attached"


def mae(pred, target):
    """Who it is, and whether it can reach the grader (its parent)."""
    grader = os.getppid()
    _saw({{"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(),
          "kill_grader": _try(lambda: os.kill(grader, 0)),
          "environ_grader": _try(lambda: open("/proc/%d/environ" % grader).read(20)),
          "cmdline_grader": _try(lambda: open("/proc/%d/cmdline" % grader).read(20)),
          "own_status": _try(lambda: open("/proc/self/status").read(5)),
          "ptrace": _try(lambda: _ptrace_attach(grader))}})


def smooth_l1(pred, target, beta=1.0):
    """Still works: torch, numpy, matplotlib and scikit-learn in the confined worker."""
    import numpy, matplotlib.pyplot as plt, sklearn.model_selection
    fig = plt.figure()
    plt.plot([1, 2])
    fig.savefig(os.path.join(os.environ.get("HOME", "."), "plot.png"))
    x = numpy.arange(10.0)
    split = sklearn.model_selection.train_test_split(x, test_size=0.5, random_state=0)
    _saw({{"works": float(torch.tensor(x).sum()) + len(split[0])}})


def gd_step(*args, **kwargs):
    """600 MB written into /tmp (bubblewrap) or the temporary folder (TMPDIR), then it waits."""
    block = b"x" * (1 << 20)
    files = []
    for i in range(600):
        if i % 200 == 0:  # new files: the file-size limit is 256 MB
            for folder in ("/tmp", os.environ["TMPDIR"]):  # /tmp is not writable under Landlock
                try:
                    files.append(open(os.path.join(folder, "big-%d-%d" % (os.getpid(), i)), "wb"))
                    break
                except OSError:
                    pass
        files[-1].write(block)
    for fh in files:
        fh.close()
    time.sleep(30)
    return args[0]
'''


class Listeners:
    """A TCP listener on 127.0.0.1 and Unix ones; they record what connects."""

    def __init__(self, folder: Path):
        self.hits: list[str] = []
        self.stop = threading.Event()
        self.tcp = socket.socket()
        self.tcp.bind(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.unix_path, self.keeper_path = folder / "listener.sock", folder / "keeper.sock"
        self.unix = socket.socket(socket.AF_UNIX)
        self.unix.bind(str(self.unix_path))
        os.chmod(self.unix_path, 0o777)
        self.keeper = warm._listen(self.keeper_path)  # the keeper's own listening code
        os.chmod(self.keeper_path, 0o777)
        for server, name in ((self.tcp, "tcp"), (self.unix, "unix"), (self.keeper, "keeper")):
            server.listen(8)
            server.settimeout(0.2)
            threading.Thread(target=self._accept, args=(server, name), daemon=True).start()

    def _accept(self, server, name):
        while not self.stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            self.hits.append(name)
            conn.close()

    def close(self):
        self.stop.set()
        time.sleep(0.3)
        for server in (self.tcp, self.unix, self.keeper):
            server.close()


def _site_packages() -> Path:
    return next(Path(p) for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())


class Attack:
    """The hostile submission, its canaries and listeners; graded by run()."""

    def __init__(self, folder: Path):
        token = f"{os.getpid()}_{time.monotonic_ns() % 10**9}"
        self.folder = folder
        self.canaries = {"venv": _site_packages() / f"dlgrader_canary_{token}.py",
                         "source": ROOT / f".dlgrader-canary-{token}.txt",
                         "home": Path.home() / f".dlgrader-canary-{token}"}
        for path in self.canaries.values():
            path.write_text("untouched")
        secret_dir = folder / "secret"
        secret_dir.mkdir()
        (secret_dir / "secret.txt").write_text("the hidden answer")
        self.listeners = Listeners(folder)
        self.tmp_file = Path("/tmp") / f"dlgrader-canary-{token}"
        paths = {**{k: str(v) for k, v in self.canaries.items()}, "tmp_file": str(self.tmp_file),
                 "secret": str(secret_dir / "secret.txt"), "secret_dir": str(secret_dir),
                 "grader_file": str(ROOT / "autograder" / "engine" / "sandbox.py"),
                 "port": self.listeners.port, "unix": str(self.listeners.unix_path),
                 "keeper": str(self.listeners.keeper_path)}
        self.paths = paths
        self.submission = folder / "sub"
        self.submission.mkdir()
        for stub in sorted((ROOT / "exercises").glob("ex*.py")):
            if not stub.name.startswith("ex01"):
                (self.submission / stub.name).write_bytes(stub.read_bytes())
        self.reports = {}

    def run(self, name: str, env: dict) -> dict:
        """Grade with ./grade.sh (public checks); the report."""
        source = ATTACKS.format(paths=json.dumps(self.paths))
        (self.submission / "ex01_gradient_descent.py").write_text(source)
        out = self.folder / f"{name}.json"
        t0 = time.monotonic()
        done = run_grade("grade", self.submission, "--json", out, env={"DLGRADER_KEEP_WARM": "0", **env})
        assert done.returncode == 0, done.stderr[-3000:] + done.stdout[-2000:]
        report = json.loads(out.read_text())
        report["_seconds"] = time.monotonic() - t0
        self.reports[name] = report
        return report

    def close(self):
        for path in [*self.canaries.values(), self.tmp_file]:
            path.unlink(missing_ok=True)
        self.listeners.close()


def saw(report: dict, function: str) -> dict:
    """What the attack in ``function`` said it saw (from the feedback of its first check)."""
    for test in report["tests"]:
        if test["exercise"] == "ex01" and test["function"] == function:
            text = test["feedback"]
            assert "SAW " in text, f"{function}: {text}"
            start = text.index("SAW ") + 4
            return json.JSONDecoder().raw_decode(text[start:])[0]
    raise AssertionError(f"no check of {function}")


def checks_of(report: dict, function: str) -> list[dict]:
    return [t for t in report["tests"] if t["exercise"] == "ex01" and t["function"] == function]


DISK_ENV = {"DLGRADER_DISK_MB": "300", "DLGRADER_CALL_SECONDS": "60"}


@pytest.fixture(scope="module")
def attack(tmp_path_factory):
    a = Attack(tmp_path_factory.mktemp("fallback"))
    try:
        a.run("confined", {"DLGRADER_ISOLATION": "process", **DISK_ENV})
        yield a
    finally:
        a.close()


def test_the_report_names_landlock_and_seccomp(attack):
    assert sandbox.fallback_isolation() == "landlock+seccomp", "this machine has Landlock ABI >= 1 and seccomp"
    assert attack.reports["confined"]["isolation"] == "landlock+seccomp"


def test_no_write_outside_the_workers_folder(attack):
    seen = saw(attack.reports["confined"], "softmax")
    assert seen == {"venv": "PermissionError", "source": "PermissionError", "home": "PermissionError",
                    "tmp": "PermissionError"}, seen
    for path in attack.canaries.values():
        assert path.read_text() == "untouched", path
    assert not attack.tmp_file.exists()


def test_no_read_outside_what_a_worker_needs(attack):
    seen = saw(attack.reports["confined"], "cross_entropy")
    assert seen == {"secret": "PermissionError", "grader": "PermissionError", "listing": "PermissionError"}, seen


def test_no_network_and_no_unix_socket_of_the_host(attack):
    net = saw(attack.reports["confined"], "binary_cross_entropy")
    assert net == {"inet": "PermissionError", "inet6": "PermissionError", "netlink": "PermissionError",
                   "udp": "PermissionError"}, net
    unix = saw(attack.reports["confined"], "mse")
    assert unix["unix"] == unix["keeper"] == "PermissionError", unix
    assert attack.listeners.hits == [], attack.listeners.hits


def test_the_worker_is_not_root_and_cannot_reach_the_grader(attack):
    seen = saw(attack.reports["confined"], "mae")
    if os.geteuid() == 0:
        assert seen["uid"] == seen["euid"] != 0 and seen["gid"] != 0, seen
    assert seen["kill_grader"] == "PermissionError", seen  # Landlock's signal scope (or another user)
    assert seen["environ_grader"] == "PermissionError", seen
    assert seen["cmdline_grader"] == "PermissionError", seen  # of /proc, only its own files (confine.proc_rules)
    assert seen["own_status"] == "OK:Name:", seen
    assert seen["ptrace"] == "OK:1", seen  # ptrace(PTRACE_ATTACH) fails with EPERM


def test_torch_numpy_matplotlib_and_sklearn_work_confined(attack):
    assert saw(attack.reports["confined"], "smooth_l1") == {"works": 50.0}


def _disk_outcome(report: dict):
    big = checks_of(report, "gd_step")
    assert big and all(t["status"] == "error" for t in big), big
    assert "grew past the limit of 300 MB" in big[0]["feedback"], big[0]["feedback"]
    # The worker was restarted for the rest: the other attacks still reported what they saw.
    assert saw(report, "smooth_l1") == {"works": 50.0}
    others = [t for t in report["tests"] if t["exercise"] != "ex01"]
    assert others and all(t["status"] == "failed" and "not implemented" in t["feedback"] for t in others), \
        [t for t in others if t["status"] != "failed"][:3]


def test_past_the_disk_limit_the_worker_ends_and_the_rest_is_graded(attack):
    _disk_outcome(attack.reports["confined"])


def test_the_disk_limit_under_bubblewrap(attack):
    bwrap_or_skip()
    report = attack.run("bwrap", DISK_ENV)
    assert report["isolation"] == "bwrap"
    _disk_outcome(report)
    # The same statuses for the stubs at both levels.
    status = {name: {t["name"]: t["status"] for t in attack.reports[name]["tests"] if t["exercise"] != "ex01"}
              for name in ("confined", "bwrap")}
    assert status["confined"] == status["bwrap"]


def test_the_solutions_get_full_marks_confined(tmp_path):
    out = tmp_path / "solutions.json"
    done = run_grade("grade", ROOT / "solutions", "--json", out,
                     env={"DLGRADER_ISOLATION": "process", "DLGRADER_KEEP_WARM": "0"})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["isolation"] == "landlock+seccomp"
    assert report["score"] == report["max_score"] == 100, [t for t in report["tests"] if t["status"] != "passed"][:3]


# --- the keeper's own check of who connects -----------------------------------------------------
FAKE_WORKER = '''
import subprocess, sys
sys.exit(subprocess.run([sys.executable, "-c", sys.argv[1]]).returncode)
'''


def _served(tmp_path: Path, argv: list[str]) -> bool:
    """Whether warm._peer_is_us accepts the process ARGV (it connects to a listener made as the keeper's)."""
    path = tmp_path / f"k{time.monotonic_ns() % 10**6}.sock"
    listener = warm._listen(path)
    listener.settimeout(30)
    proc = subprocess.Popen([*argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        conn, _ = listener.accept()
        with conn:
            return warm._peer_is_us(conn)
    finally:
        listener.close()
        path.unlink()  # the next one is the only socket there
        proc.wait(timeout=30)


def test_the_keeper_serves_its_user_but_no_worker_or_what_a_worker_started(tmp_path):
    code = ("import glob, socket, time; s = socket.socket(socket.AF_UNIX); "
            f"s.connect(glob.glob({str(tmp_path / 'k*.sock')!r})[0]); time.sleep(1)")
    assert _served(tmp_path, [sys.executable, "-c", code])  # a caller of this user
    # no_new_privs (what confine.py always sets), nothing else: more confined than the keeper
    spec = json.dumps({"landlock": False, "seccomp": False})
    assert not _served(tmp_path, [sys.executable, "-I", "-S", confine.__file__, spec, "--", sys.executable, "-c", code])
    # a child of a process that runs a worker_main.py
    fake = tmp_path / "runtime" / "worker_main.py"
    fake.parent.mkdir()
    fake.write_text(FAKE_WORKER)
    assert not _served(tmp_path, [sys.executable, str(fake), code])
