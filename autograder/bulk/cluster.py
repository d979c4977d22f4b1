"""Grading a class on a Dask cluster: ``./grade.sh bulk INPUT --out DIR --scheduler ADDRESS``.

The TA's machine does what it does for a local run: it finds and reads the submissions
(sources.py: the allow-list, zips read in memory), decides what is to grade (the resume rules of
run.py) and writes every result itself, atomically. Only the grading moves: each submission
goes to the cluster as data (its allowed files as bytes, its id and problems as text), is graded
on a worker node by this kit's engine, and comes back as the files the TA writes (the JSON
result, Gradescope's results.json, the feedback page).

On a node, a submission is graded in a grader process of the node's own (run.py's pool process,
forked from a forkserver of the Dask worker process), never in the Dask worker process: student
code runs in the confined worker that grader process starts (bubblewrap where the node has it,
the report's ``isolation`` says what that node did), and a submission that ends its grader
process takes only that process with it, never the Dask worker. Each Dask worker thread keeps
one warm grader process; a grader process that dies is replaced by a fresh one.

Kit identity: ``./grade.sh worker ADDRESS`` advertises a Dask resource named after the hash of
its kit (every file of autograder/ and data/, the versions of the pinned packages, the Python
version and the grading limits, DLGRADER_CALL_SECONDS and the like), and every submission asks
for the resource of the TA's kit: a worker with other checks, another engine or other packages
is never handed a submission. Each worker is also asked for its fingerprint before anything is
sent, and one that differs is named with what differs; each task checks the fingerprint once
more on the node before it grades.

Faults: Dask reschedules what a worker that ends (SIGKILL, a node gone) was grading; the TA
hands out no more submissions than there are grading slots, so a worker's death costs only the
submissions it was grading. A submission whose workers end ``distributed.scheduler.allowed-
failures`` + 1 times is recorded as failing (``worker-ended``), a submission that ends its grader
process twice as ``grader-process-ended`` (as in a local run). A scheduler that restarts loses
its tasks: they are handed out again once the client has reconnected. The run says which
submissions were started more than once.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import socket
import sys
import threading
import time
from collections import Counter, deque
from pathlib import Path

from .. import settings
from .sources import StudentFiles, shown

KIT_ROOT = Path(__file__).resolve().parents[2]
KIT_FOLDERS = ("autograder", "data")
# The grading limits: a node grading with other limits could give another grade (an endless loop's timeout).
SETTINGS = ("DLGRADER_CALL_SECONDS", "DLGRADER_SUBMISSION_SECONDS", "DLGRADER_MEMORY_MB", "DLGRADER_DISK_MB",
            "DLGRADER_GRADER_SECONDS", "DLGRADER_MAX_REPLY_MB")
STARTED = "dlgrader-started"  # the event topic: a task that starts on a worker says so
HOW_TO_START = "start it with ./grade.sh worker ADDRESS from the same kit (README: Grading on a cluster)"
CONNECT_SECONDS = 30  # to reach the scheduler, and again after it restarted


def wait_for_workers() -> float:
    """How long a run waits for the first worker that grades with this kit."""
    return settings.value("DLGRADER_CLUSTER_WAIT_SECONDS")


class NodeUnfit(RuntimeError):
    """A node that must not grade (another kit, a daemonic Dask worker, grader processes that end as
    they start): the run stops with this message, never grades there."""


# --- the kit's identity -------------------------------------------------------------------------
def _pinned_packages() -> list[str]:
    requirements = KIT_ROOT / "requirements.txt"
    names = []
    if requirements.exists():
        for line in requirements.read_text().splitlines():
            m = re.fullmatch(r"([A-Za-z0-9_.\-]+)==\S+", line.split("#", 1)[0].strip())
            if m:
                names.append(m.group(1).lower())
    return sorted(set(names) | {"torch", "dask", "distributed"})


def _installed(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def kit_fingerprint() -> dict:
    """What decides a grade on this machine: the kit's files, the packages, Python, the limits."""
    files = {}
    for folder in KIT_FOLDERS:
        for path in sorted((KIT_ROOT / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc" \
                    and not any(part.startswith(".") for part in path.relative_to(KIT_ROOT).parts):
                files[path.relative_to(KIT_ROOT).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    return {"files": files, "packages": {n: _installed(n) for n in _pinned_packages()},
            "python": "%d.%d" % sys.version_info[:2], "settings": {v: settings.value(v) for v in SETTINGS}}


def kit_id(fingerprint: dict) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()[:16]


def resource_name(kit: str) -> str:
    """The Dask resource a worker of this kit advertises, and that each submission asks for."""
    return f"dlgrader-kit-{kit}"


def differences(mine: dict, theirs: dict, limit: int = 6) -> list[str]:
    """What differs between the TA's kit and a node's, in words (at most ``limit`` lines and a count)."""
    lines = []
    a, b = mine.get("files", {}), theirs.get("files", {})
    for name in sorted(set(a) | set(b)):
        if name not in b:
            lines.append(f"{name} is missing there")
        elif name not in a:
            lines.append(f"{name} is there but not here")
        elif a[name] != b[name]:
            lines.append(f"{name} differs")
    for name in sorted(set(mine.get("packages", {})) | set(theirs.get("packages", {}))):
        here, there = mine.get("packages", {}).get(name), theirs.get("packages", {}).get(name)
        if here != there:
            lines.append(f"package {name} is {here} here, {there} there")
    if mine.get("python") != theirs.get("python"):
        lines.append(f"Python is {mine.get('python')} here, {theirs.get('python')} there")
    for name in SETTINGS:
        here, there = mine.get("settings", {}).get(name), theirs.get("settings", {}).get(name)
        if here != there:
            lines.append(f"{name} is {here or 'unset'} here, {there or 'unset'} there")
    if len(lines) > limit:
        lines = lines[:limit] + [f"and {len(lines) - limit} more"]
    return lines


# --- on a node ------------------------------------------------------------------------------------
_NODE: dict = {}  # this process's kit id, once computed
_IDLE: list = []  # warm grader processes (run._GraderProcess) not grading now
_LOCK = threading.Lock()


def node_report() -> dict:
    """Run on each Dask worker (Client.run) before any submission is sent: its kit and how it grades."""
    import multiprocessing

    from ..engine.sandbox import choose_isolation

    _set_up_node()
    return {"kit": kit_fingerprint(), "host": socket.gethostname(), "isolation": choose_isolation(),
            "daemon": bool(multiprocessing.current_process().daemon)}


def _node_kit() -> str:
    if "kit" not in _NODE:
        _NODE["kit"] = kit_id(kit_fingerprint())
    return _NODE["kit"]


def _set_up_node() -> None:
    """Once per Dask worker process: remove what the grader processes of a Dask worker killed here left
    (worker folders, multiprocessing's folder), keep multiprocessing's folder of this one where the
    next can remove it (dlgrader-PID-...), and end this one's grader processes when it ends."""
    import shutil
    import tempfile
    from multiprocessing import current_process, util

    from ..engine.sandbox import FOLDER_PREFIX, remove_abandoned_folders

    with _LOCK:
        if "set up" in _NODE:
            return
        _NODE["set up"] = True
    remove_abandoned_folders()
    config = current_process()._config
    if config.get("tempdir") is None:  # where the forkserver's socket goes; pymp-XXXX otherwise
        config["tempdir"] = tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-multiprocessing-")
        util.Finalize(None, shutil.rmtree, args=(config["tempdir"], True), exitpriority=-100)
    util.Finalize(None, _stop_graders, exitpriority=20)  # before multiprocessing ends its daemonic children


def dask_setup(worker) -> None:
    """Dask's preload hook (worker_command passes ``--preload autograder.bulk.cluster``): the node is
    set up when its worker process starts, not at its first submission, so that a worker started
    again after one was killed removes, when it ends, what that one's grader processes left behind
    even if it graded nothing itself."""
    _set_up_node()


def _take_grader():
    from multiprocessing import get_context

    from .run import _GraderProcess

    _set_up_node()
    with _LOCK:
        if _IDLE:
            return _IDLE.pop()
    return _GraderProcess(get_context("forkserver"))


def _stop_graders() -> None:
    """The Dask worker process ends: its grader processes end their spare workers, then end."""
    from ..engine.sandbox import remove_abandoned_folders

    with _LOCK:
        graders, _IDLE[:] = list(_IDLE), []
    for g in graders:
        g.stop()
    for g in graders:
        g.end(timeout=10)
    remove_abandoned_folders()


def grade_on_node(payload: dict, kit: str) -> dict:
    """A Dask task: grade one submission (``payload``: plain data, see _payload) in a grader process of
    this node. Returns {"files": what the TA writes, "node": ...}, {"ended": how, ...} when the grader
    process died, or {"error": text, ...} when the grader failed on it."""
    import multiprocessing

    from distributed import get_worker

    from ..engine.sandbox import choose_isolation
    from .run import _how_it_ended

    worker = get_worker()
    node = {"host": socket.gethostname(), "worker": worker.address, "isolation": choose_isolation()}
    worker.log_event(STARTED, {"key": worker.get_current_task(), "student": payload["student"], **node})
    if _node_kit() != kit:
        raise NodeUnfit(f"worker {worker.address} on {node['host']} grades with another kit than the TA's "
                        f"(kit {_node_kit()}, the TA's {kit}): it changed on disk after the worker started; "
                        "restart the worker")
    if multiprocessing.current_process().daemon:
        raise NodeUnfit(f"worker {worker.address} on {node['host']} is a daemonic process and cannot start grader "
                        "processes; " + HOW_TO_START)
    student = StudentFiles(payload["student"], dict(payload["files"]), list(payload["problems"]), payload["source"])
    task = (student, payload["suite"], payload["lang"], payload["digest"], None, True)
    grader = _take_grader()
    try:
        while not grader.ready:
            kind, _ = grader.conn.recv()
            grader.ready = kind == "ready"
    except (EOFError, OSError):
        grader.end(timeout=2)
        raise NodeUnfit(f"the grader process on {node['host']} ({worker.address}) ended as it started "
                        f"({_how_it_ended(grader.proc.exitcode)})") from None
    try:
        grader.conn.send(task)
        kind, value = grader.conn.recv()
    except (EOFError, OSError):
        grader.proc.join(5)
        how = _how_it_ended(grader.proc.exitcode)
        grader.end(timeout=2)
        return {"ended": how, "node": node}
    with _LOCK:
        _IDLE.append(grader)
    if kind == "error":
        return {"error": value, "node": node}
    return {"files": value, "node": node}


# --- on the TA's machine ----------------------------------------------------------------------------
def _payload(student: StudentFiles, digest: str, suite: str, lang: str) -> dict:
    """What is sent of a submission: bytes and text only."""
    return {"student": student.student, "files": dict(student.files), "problems": list(student.problems),
            "source": student.source, "digest": digest, "suite": suite, "lang": lang}


def _key(student: StudentFiles, digest: str, attempt: int) -> str:
    """The same submission graded with the same kit keeps its key across runs: a TA's run started again
    while the cluster still grades the one that was killed takes over its tasks."""
    who = hashlib.sha256(student.student.encode()).hexdigest()[:12]
    return f"dlgrader-grade-{who}-{digest[:16]}-{attempt}"


def say(text: str) -> None:
    """A line for the TA, above the progress bar (tqdm.write), never appended to it."""
    from tqdm import tqdm

    tqdm.write(f"grade.sh bulk: {text}", file=sys.stderr)


class ClusterRun:
    """One ``bulk --scheduler`` run: the submissions in ``todo`` ((StudentFiles, digest)) graded on the
    cluster's workers that run the TA's kit, every result written here as it comes back."""

    def __init__(self, client, todo, suite: str, lang: str, out: Path, bar=None):
        self.client, self.suite, self.lang, self.out, self.bar = client, suite, lang, out, bar
        self.mine = kit_fingerprint()
        self.kit = kit_id(self.mine)
        self.resource = resource_name(self.kit)
        self.queue = deque((s, d, 1) for s, d in todo)
        self.running: dict = {}  # future -> (student, digest, attempt)
        self.workers: dict[str, bool] = {}  # address -> accepted
        self.slots = 0
        self.retried: dict[str, str] = {}  # student -> why it was handed out again
        self.keys: dict[str, str] = {}  # task key -> student
        self.written = Counter()

    # workers
    def check_workers(self) -> None:
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        new = [a for a in info if a not in self.workers]
        if new:
            reports = self.client.run(node_report, workers=new, on_error="return")
            for address in new:
                self.workers[address] = self._accept(address, reports.get(address), info[address])
        self.slots = sum(int(info[a].get("resources", {}).get(self.resource, 0)) for a in info if self.workers.get(a))

    def _accept(self, address: str, report, info: dict) -> bool:
        where = f"worker {address}" + (f" on {report['host']}" if isinstance(report, dict) else "")
        if not isinstance(report, dict):
            say(f"{where} is refused: it could not say which kit it runs ({shown(str(report))[:300]}); "
                + HOW_TO_START)
            return False
        diff = differences(self.mine, report["kit"])
        if diff:
            say(f"{where} is refused: its kit differs from this machine's ({'; '.join(diff)}). "
                "It grades nothing of this run; " + HOW_TO_START)
            return False
        if report["daemon"]:
            say(f"{where} is refused: it runs as a daemonic process, which cannot start grader processes; "
                + HOW_TO_START)
            return False
        if not info.get("resources", {}).get(self.resource):
            others = [r for r in info.get("resources", {}) if r.startswith("dlgrader-kit-")]
            why = (f"it was started with another kit ({others[0]}), changed since: restart it" if others
                   else f"it does not advertise the resource {self.resource}: " + HOW_TO_START)
            say(f"{where} runs this kit now but grades nothing of this run: {why}")
            return False
        say(f"{where}: the same kit, grades with isolation {report['isolation']}, "
            f"{int(info['resources'][self.resource])} at a time")
        return True

    # the run
    def submit(self, student: StudentFiles, digest: str, attempt: int) -> None:
        key = _key(student, digest, attempt)
        self.keys[key] = student.student
        future = self.client.submit(grade_on_node, _payload(student, digest, self.suite, self.lang), self.kit,
                                    key=key, resources={self.resource: 1}, pure=False)
        self.running[future] = (student, digest, attempt)

    def run(self) -> None:
        from distributed import wait

        waited_since = None
        last_check = 0.0
        while self.queue or self.running:
            if time.monotonic() - last_check > 2:
                self.check_workers()
                last_check = time.monotonic()
            if not self.slots and not self.running:
                if waited_since is None:
                    waited_since = time.monotonic()
                    say(f"waiting for a worker that grades with this kit (at most {wait_for_workers():.0f} s)")
                if time.monotonic() - waited_since > wait_for_workers():
                    raise RuntimeError(f"no worker of the cluster grades with this kit (resource {self.resource}) "
                                       f"after {wait_for_workers():.0f} s; {HOW_TO_START}. What was graded "
                                       "is kept: run the same command again to go on")
                time.sleep(1)
                continue
            waited_since = None
            while self.queue and len(self.running) < max(self.slots, 1):
                self.submit(*self.queue.popleft())
            try:
                done, _ = wait(list(self.running), timeout=2, return_when="FIRST_COMPLETED")
            except TimeoutError:
                continue
            for future in done:
                self.collect(future, *self.running.pop(future))
            if self.client.status in ("closing", "closed"):
                raise RuntimeError("the connection to the Dask scheduler was lost for good; what was graded is "
                                   "kept: run the same command again to go on")
        self.say_retried()

    def collect(self, future, student: StudentFiles, digest: str, attempt: int) -> None:
        from concurrent.futures import CancelledError

        from distributed import KilledWorker

        from .run import _record_death, _record_failure, write_graded

        try:
            value = future.result()
        except KilledWorker as exc:
            _record_failure(self.out, student, digest, "the cluster's workers ended (killed, or their node gone) "
                            f"each time while grading this submission ({shown(str(exc))[:200]}); it is recorded "
                            "with 0 points", status="worker-ended")
            return self._done(student)
        except NodeUnfit as exc:
            raise RuntimeError(f"{exc}. What was graded is kept: run the same command again to go on") from None
        except CancelledError:  # the scheduler restarted, or the connection was lost: hand it out again
            self.retried[student.student] = "the scheduler lost it"
            self.queue.append((student, digest, attempt + 1))
            return
        except Exception as exc:  # the grader's own failures come back as {"error": ...}: this is the cluster's
            raise RuntimeError(f"the cluster could not grade {shown(student.student)} ({type(exc).__name__}: "
                               f"{shown(str(exc))[:400]}). Is the scheduler started with the kit on its path "
                               "(./grade.sh scheduler)? What was graded is kept: run the same command again to "
                               "go on") from None
        future.release()
        if "ended" in value:
            if attempt == 1:
                self.retried[student.student] = f"its grader process ended ({value['ended']})"
                self.queue.append((student, digest, attempt + 1))
                return
            _record_death(self.out, student, digest, value["ended"])
        elif "error" in value:
            _record_failure(self.out, student, digest, value["error"])
        else:
            files = value["files"]
            result = files["result"]
            if result.get("student") != student.student or result.get("hash") != digest:
                raise RuntimeError(f"worker {value['node']['worker']} sent back the result of another submission")
            result["graded_on"] = value["node"]
            write_graded(self.out, student.student, files)
        self._done(student)

    def _done(self, student: StudentFiles) -> None:
        self.written[student.student] += 1
        if self.bar is not None:
            self.bar.update(1)

    def say_retried(self) -> None:
        starts = Counter()
        try:
            for _, msg in self.client.get_events(STARTED):
                if isinstance(msg, dict) and msg.get("key") in self.keys:
                    starts[self.keys[msg["key"]]] += 1
        except (OSError, TimeoutError):
            pass
        for student, n in starts.items():
            if n > 1:
                self.retried.setdefault(student, f"started {n} times: a worker ended while grading it")
        if self.retried:
            say("graded again on the cluster: " + "; ".join(f"{shown(s)} ({why})"
                                                            for s, why in sorted(self.retried.items())))
        else:
            say("graded again on the cluster: none")


def worker_command(address: str, jobs: int = 1, extra=()) -> tuple[list[str], dict[str, str]]:
    """The ``dask worker`` command (and the environment variables it needs) of a grading worker of this
    kit: ``jobs`` submissions at a time (threads, each with its grader process), the kit's resource,
    a Dask worker process that is not daemonic (it starts grader processes), the kit on PYTHONPATH."""
    kit = kit_id(kit_fingerprint())
    argv = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", str(jobs),
            "--nworkers", "1", "--resources", f"{resource_name(kit)}={jobs}",
            "--preload", "autograder.bulk.cluster", *extra]
    env = {"DASK_DISTRIBUTED__WORKER__DAEMON": "False", "PYTHONPATH": str(KIT_ROOT)}
    return argv, env


def start_worker(address: str, jobs: int = 1, extra=(), show: bool = False) -> int:
    """``./grade.sh worker ADDRESS``: become a grading Dask worker of the scheduler at ``address``
    (``show``: only print the command, for a job script or a container's command)."""
    import shlex

    try:
        import distributed  # noqa: F401
    except ModuleNotFoundError:
        print("grade.sh worker: Dask is not installed here: pip install -r requirements.txt", file=sys.stderr)
        return 2
    if jobs < 1:
        print("grade.sh worker: --jobs must be at least 1", file=sys.stderr)
        return 2
    argv, env = worker_command(address, jobs, extra)
    words = [f"{k}={shlex.quote(v)}" for k, v in env.items()] + [shlex.quote(w) for w in argv]
    if show:
        print(" ".join(words))
        return 0
    print(f"grade.sh worker: {' '.join(words)}", file=sys.stderr, flush=True)
    return run_worker(argv, {**os.environ, **env})


def run_worker(argv: list[str], env: dict[str, str], linger_seconds: float = 30) -> int:
    """Run the Dask worker and, once it has ended, clean what its grader processes left.

    A Dask worker process that ends without its finalizers (SIGKILL, or its nanny ending it at a
    shutdown) takes its grader processes with it (SIGKILL), and they leave their folders in the
    temporary folder: the preloaded parent's, the workers' of student code. This process is a
    subreaper, so those grader processes, their forkserver and their preloaded parents are re-parented
    to it: it waits until every one has ended (``linger_seconds``, then SIGKILL), then removes the
    folders whose grader process is gone. SIGTERM and SIGHUP are passed to the Dask worker, which
    shuts down as it would if it had been sent them; Ctrl-C reaches it from the terminal."""
    import signal
    import subprocess

    from ..engine.descendants import become_subreaper, wait_for_all
    from ..engine.sandbox import remove_abandoned_folders

    become_subreaper()
    proc = subprocess.Popen(argv, env=env)
    previous = {}

    def forward(signum, _frame):
        try:
            proc.send_signal(signum)
        except OSError:
            pass

    for signum in (signal.SIGTERM, signal.SIGHUP):
        previous[signum] = signal.signal(signum, forward)
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)  # the terminal sends it to the worker too
    try:
        code = proc.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    wait_for_all(linger_seconds)
    remove_abandoned_folders()
    return code if code >= 0 else 128 - code


def start_scheduler(extra=()) -> int:
    """``./grade.sh scheduler``: ``dask scheduler`` with this kit on its path (the scheduler unpickles the
    grading task, a function of this kit, when it receives it; it grades nothing and imports no torch)."""
    try:
        import distributed  # noqa: F401
    except ModuleNotFoundError:
        print("grade.sh scheduler: Dask is not installed here: pip install -r requirements.txt", file=sys.stderr)
        return 2
    argv = [sys.executable, "-m", "distributed.cli.dask_scheduler", *extra]
    env = {"PYTHONPATH": str(KIT_ROOT)}
    print(f"grade.sh scheduler: PYTHONPATH={KIT_ROOT} {' '.join(argv)}", file=sys.stderr, flush=True)
    os.execve(argv[0], argv, {**os.environ, **env})
    return 0  # not reached


def on_cluster(address: str):
    """What run.grade_class grades with (its ``grade_all``) on the cluster of the scheduler at ``address``."""
    import functools

    grade_all = functools.partial(grade_on_cluster, address=address)
    grade_all.where = f"on the cluster at {shown(address)}"
    return grade_all


def grade_on_cluster(todo, suite: str, lang: str, out: Path, address: str) -> None:
    """run.py's _grade_all for a cluster: ``todo`` graded on the workers of the scheduler at ``address``."""
    try:
        from distributed import Client
    except ModuleNotFoundError:
        raise RuntimeError("--scheduler needs Dask: pip install -r requirements.txt "
                           "(README: Grading on a cluster)") from None
    from tqdm import tqdm

    try:
        client = Client(address, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RuntimeError(f"cannot reach the Dask scheduler at {shown(address)} ({shown(str(exc))[:300]}); "
                           "start one with `dask scheduler` (README: Grading on a cluster)") from None
    try:
        with client.as_current(), tqdm(total=len(todo), unit="submission", file=sys.stderr, disable=not todo) as bar:
            job = ClusterRun(client, todo, suite, lang, out, bar)
            job.check_workers()
            job.run()
    finally:
        client.close()
