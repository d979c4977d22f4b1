"""The preloaded worker parent of a grader process (bulk's pool processes, the keeper).

A fresh confined worker spends seconds importing torch, matplotlib and scikit-learn before its
first check. A grader process that grades one submission after another therefore starts, once,
a *preloaded parent* (worker/zygote.py): confined as a worker is (bubblewrap: no network, none of
the grader's files, the same limits), it imports what workers import and then only forks, one
child per worker. Each child gives itself its own user, mount and PID namespaces and mounts only
its own submission's folder before anything of the student's runs (see zygote.py); the grader
talks to it as to any worker (client.py) and watches its memory, its folder and its time the same
way.

Only under bubblewrap: Landlock and seccomp (process isolation) forbid the namespaces a child
needs to be set apart from its parent and its siblings, so there every worker is a fresh
interpreter, as before. ``DLGRADER_PRELOADED_WORKERS=0`` turns the preloaded parent off (fresh
workers everywhere); where it cannot start or fails its own check, workers are fresh too.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from .. import settings
from . import sandbox

ENV = "DLGRADER_PRELOADED_WORKERS"


def enabled() -> bool:
    """DLGRADER_PRELOADED_WORKERS: 1 (default) forks the workers of bulk's grader processes and of
    the keeper from a preloaded parent where bubblewrap is used; ``always``: every grader
    process, a single ``./grade.sh grade`` too (the hostile cases run through it so); 0 starts
    a fresh interpreter for every worker."""
    return settings.value(ENV) not in ("0", "no", "off", "false")


def always() -> bool:
    return settings.value(ENV) == "always"


class ParentUnavailable(Exception):
    """The preloaded parent is gone or refused: the worker is started fresh instead."""


class ForkedProcess:
    """A worker forked by the preloaded parent, as the grader sees it (what client.py uses of a
    Popen): ``pid`` is the host pid of its namespace's PID 1, which the worker is the child of."""

    def __init__(self, stdin, stdout, hello: socket.socket, startup_seconds: float):
        self.stdin, self.stdout = stdin, stdout
        self._hello, self._startup = hello, startup_seconds
        self._pid: int | None = None
        self._created = 0.0
        self.returncode: int | None = None
        self._lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        """Known once the child said hello (None if it never did: it is gone)."""
        with self._lock:
            if self._hello is not None:
                self._pid = self._read_hello()
                self._hello.close()
                self._hello = None
            return self._pid

    def _read_hello(self) -> int | None:
        import psutil

        self._hello.settimeout(self._startup)
        try:
            _, anc, _, _ = self._hello.recvmsg(1, socket.CMSG_SPACE(12))
        except OSError:
            return None
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("=iII", data[:12])[0]
                try:
                    self._created = psutil.Process(pid).create_time()
                except psutil.Error:
                    return None
                return pid
        return None

    def poll(self) -> int | None:
        import psutil

        if self.returncode is not None:
            return self.returncode
        pid = self.pid
        try:
            proc = psutil.Process(pid) if pid else None
            if proc is not None and proc.create_time() == self._created and proc.status() != psutil.STATUS_ZOMBIE:
                return None
        except psutil.Error:
            pass
        self.returncode = -signal.SIGKILL
        return self.returncode

    def kill_all(self) -> None:
        """SIGKILL to PID 1 of its namespace: the kernel ends every process in it."""
        pid = self.pid
        if pid and self.poll() is None:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("preloaded worker", timeout)
            time.sleep(0.02)
        return self.returncode


class PreloadedParent:
    """The parent process, its folder of submissions' folders (``spool``) and its control socket."""

    def __init__(self, data_dir: Path, limits: sandbox.Limits):
        self.data_dir, self.threads = Path(data_dir), limits.threads
        self.root = Path(tempfile.mkdtemp(prefix=f"{sandbox.FOLDER_PREFIX}{os.getpid()}-preloaded-"))
        self.spool, runtime = self.root / "spool", self.root / "runtime"
        for d in (self.spool, runtime):
            d.mkdir()
        for source in sandbox.WORKER_DIR.glob("*.py"):
            shutil.copyfile(source, runtime / source.name)
        (self.root / "passwd").write_text("student:x:0:0:student:/sandbox/home:/bin/sh\n")
        self.log = self.root / "parent.log"
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        argv = sandbox.bwrap_mounts(["--tmpfs", "/tmp"], str(self.root / "passwd"), self.data_dir)
        argv += ["--ro-bind", str(runtime), "/sandbox/runtime", "--bind", str(self.spool), "/sandbox/spool"]
        # Where a child's folders are mounted; TMPDIR exists, as it does for a fresh worker, so that
        # what the imports derive from it (torch's compiler cache folder) is a fresh worker's.
        for mount_point in ("/sandbox/pkg", "/sandbox/work", "/sandbox/work/.tmp", "/sandbox/home"):
            argv += ["--dir", mount_point]
        argv = sandbox.bwrap_tail(argv, sandbox.worker_environment(limits),
                                  ["/sandbox/runtime/zygote.py", str(limits.threads)])
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(argv, stdin=theirs, stdout=subprocess.DEVNULL, stderr=log,
                                         start_new_session=True, preexec_fn=sandbox.set_limits(limits))
        theirs.close()
        self.control = ours
        self.lock = threading.Lock()
        self.usable = self._ready(limits.startup_seconds)

    def _ready(self, seconds: float) -> bool:
        """The parent's own check (a child set apart in an empty folder) passed."""
        self.control.settimeout(seconds)
        line = b""
        try:
            while not line.endswith(b"\n"):
                chunk = self.control.recv(4096)
                if not chunk:
                    break
                line += chunk
            answer = json.loads(line or b"{}")
        except (OSError, ValueError):
            answer = {}
        finally:
            self.control.settimeout(None)
        self.problem = answer.get("problem", "no answer") if not answer.get("ready") else ""
        if self.problem:
            self.close()
        return not self.problem

    def serves(self, folder: sandbox.WorkerFolder, data_dir: Path, limits: sandbox.Limits, isolation: str) -> bool:
        return (self.usable and isolation == "bwrap" and folder.root.parent == self.spool
                and Path(data_dir) == self.data_dir and limits.threads == self.threads and self.proc.poll() is None)

    def fork(self, folder: sandbox.WorkerFolder, limits: sandbox.Limits, stderr_fd: int) -> ForkedProcess:
        """A worker for FOLDER (in the spool). Raises ParentUnavailable when the parent is gone."""
        os.makedirs(folder.work / ".tmp", exist_ok=True)
        proto_in_r, proto_in_w = os.pipe()
        proto_out_r, proto_out_w = os.pipe()
        hello_ours, hello_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        hello_ours.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        request = {"folder": folder.root.name,
                   "limits": {"cpu": limits.cpu_seconds, "file": limits.file_bytes, "open_files": limits.open_files}}
        fds = [proto_in_r, proto_out_w, stderr_fd, hello_theirs.fileno()]
        try:
            with self.lock:
                self.control.sendmsg([(json.dumps(request) + "\n").encode()],
                                     [(socket.SOL_SOCKET, socket.SCM_RIGHTS, struct.pack(f"{len(fds)}i", *fds))])
        except OSError:
            self.usable = False
            for fd in (proto_in_w, proto_out_r):
                os.close(fd)
            hello_ours.close()
            raise ParentUnavailable() from None
        finally:
            for fd in (proto_in_r, proto_out_w):
                os.close(fd)
            hello_theirs.close()
        return ForkedProcess(os.fdopen(proto_in_w, "wb"), os.fdopen(proto_out_r, "rb"), hello_ours,
                             limits.startup_seconds)

    def close(self) -> None:
        self.usable = False
        try:
            self.control.close()
        except OSError:
            pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        shutil.rmtree(self.root, ignore_errors=True)


_PARENT: list[PreloadedParent] = []


def start(data_dir: Path, limits: sandbox.Limits | None = None) -> PreloadedParent | None:
    """This grader process's preloaded parent, started if need be (None: switched off, not under
    bubblewrap, or its own check failed; workers are then fresh interpreters)."""
    if _PARENT and _PARENT[0].usable:
        return _PARENT[0]
    limits = limits or sandbox.Limits.from_env()
    if not enabled() or sandbox.choose_isolation() != "bwrap" or _PARENT:
        return None
    import atexit

    _PARENT.append(PreloadedParent(data_dir, limits))
    atexit.register(stop)
    return current()


def current() -> PreloadedParent | None:
    return _PARENT[0] if _PARENT and _PARENT[0].usable else None


def stop() -> None:
    while _PARENT:
        _PARENT.pop().close()
