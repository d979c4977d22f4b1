"""The grader's side of a worker: start it, send requests, enforce the limits.

Nothing here imports student code. Replies are decoded from JSON and
safetensors only; objects that are not data come back as ``Remote`` proxies
whose attribute accesses and calls become further requests.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import select
import selectors
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from .. import settings
from . import preloaded, sandbox
from .descendants import become_subreaper, reap_ended
from .worker import protocol


class WorkerFailure(Exception):
    """The worker could not answer: it crashed, ran out of time or memory."""

    def __init__(self, kind: str, detail: str = "", seconds: float = 0.0):
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail, self.seconds = kind, detail, seconds


class ReplyRefused(WorkerFailure):
    """A reply over one of the limits of protocol.py (its size, nesting, number of values or
    tensors): a protocol failure of that call; ``what``, ``size`` and ``limit`` say which."""

    def __init__(self, exc: "protocol.LimitExceeded"):
        super().__init__("protocol", str(exc))
        self.what, self.size, self.limit = exc.what, exc.size, exc.limit


def max_reply_bytes() -> int:
    """The largest tensor blob the grader reads from the worker: DLGRADER_MAX_REPLY_MB, else 256 MB."""
    mb = settings.value("DLGRADER_MAX_REPLY_MB") or settings.default("DLGRADER_MAX_REPLY_MB")
    return int(mb * protocol.MB)


READ_CHUNK = 8 * 1024 * 1024


class StudentError(Exception):
    """Student code raised; ``info`` has type, message, where, not_implemented."""

    def __init__(self, info: dict, target: str):
        super().__init__(f"{info.get('type')}: {info.get('message')}")
        self.info, self.target = info, target


class ModuleBroken(Exception):
    """A module of the submission is missing or cannot be imported."""

    def __init__(self, module: str, reason: str, info: dict | None = None):
        super().__init__(f"{module}: {reason}")
        self.module, self.reason, self.info = module, reason, info or {}


class WorkerProcess:
    """One running worker and the limits around it."""

    def __init__(self, folder: sandbox.WorkerFolder, data_dir: Path, limits: sandbox.Limits, isolation: str,
                 watch: bool = True):
        self.limits, self.isolation = limits, isolation
        self.stderr_path = folder.root / f"stderr-{time.monotonic_ns()}.log"
        self._stderr = open(self.stderr_path, "wb")
        become_subreaper()
        self.proc = self._fork(folder, data_dir)
        self.forked = self.proc is not None
        if self.proc is None:
            argv, env, cwd = sandbox.command(folder, data_dir, limits, isolation)
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, cwd=cwd,
                env=env or None, start_new_session=True, preexec_fn=sandbox.set_limits(limits),
            )
            _LIVE_WORKERS.add(self.proc.pid)
        self.seen: dict[int, float] = {}
        self.folder_root = folder.root
        # Set when a limit watched from here ends the worker; exceeded says which ("memory" or
        # "disk"; receive() notices either by memory_exceeded, failure() names the right one).
        self.memory_exceeded = False
        self.exceeded = ""
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._watch_memory, daemon=True)
        if watch:
            self.watch()

    def _fork(self, folder: sandbox.WorkerFolder, data_dir: Path):
        """A worker forked by this grader's preloaded parent, where it serves this folder; else None."""
        parent = preloaded.current()
        if parent is None or not parent.serves(folder, data_dir, self.limits, self.isolation):
            return None
        try:
            forked = parent.fork(folder, self.limits, self._stderr.fileno())
        except preloaded.ParentUnavailable:
            return None
        if forked.pid is None:  # it never said hello: the parent is gone, this worker starts fresh
            parent.close()
            return None
        return forked

    def watch(self) -> None:
        """Start watching the memory of the worker and of what it starts (once)."""
        if not self._watch.is_alive() and not self._stop.is_set():
            self._watch.start()

    # memory ------------------------------------------------------------
    def _tree(self):
        import psutil

        procs = []
        if self.forked:  # its PID namespace: PID 1, the worker and all they start, no escape
            pid = self.proc.pid
            try:
                procs = [] if pid is None else psutil.Process(pid).children(recursive=True)
            except psutil.Error:
                pass
            for p in procs:
                try:
                    self.seen.setdefault(p.pid, p.create_time())
                except psutil.Error:
                    pass
            return procs
        try:
            root = psutil.Process(self.proc.pid)
            procs = [root, *root.children(recursive=True)]
        except psutil.Error:
            pass
        # Orphans of the worker (double fork, setsid) are re-parented to us, the subreaper:
        # they are the worker's too, for the memory limit as for kill().
        try:
            for child in psutil.Process().children():
                if child.pid != self.proc.pid and not _other_worker(child.pid):
                    procs += [child, *child.children(recursive=True)]
        except psutil.Error:
            pass
        for p in procs:
            try:
                self.seen.setdefault(p.pid, p.create_time())
            except psutil.Error:
                pass
        return procs

    def _watch_memory(self):
        """Every 0.1 s the memory of the worker's processes, every 0.5 s the size of its folder."""
        rounds = 0
        while not self._stop.wait(0.1):
            total = 0
            for p in self._tree():
                try:
                    total += p.memory_info().rss
                except Exception:
                    pass
            rounds += 1
            kind = ""
            if total > self.limits.memory_bytes:
                kind = "memory"
            elif rounds % 5 == 0 and folder_bytes(self.folder_root, self.limits.disk_bytes) > self.limits.disk_bytes:
                kind = "disk"
            if kind:
                self.exceeded = kind
                self.memory_exceeded = True
                # Only the processes: closing the pipes here would hide the worker's end from
                # receive() (epoll forgets a closed fd), which then waited for the call's time limit.
                self._end_processes()
                return

    # I/O -----------------------------------------------------------------
    def send(self, header: dict, tensors: dict | None = None) -> None:
        try:
            protocol.write_frame(self.proc.stdin, header, tensors)
        except (BrokenPipeError, OSError, ValueError):
            raise self.failure("crash") from None

    def readable(self) -> bool:
        """Whether the worker has written something we have not read yet (never blocks)."""
        try:
            return bool(select.select([self.proc.stdout.fileno()], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def receive(self, timeout: float) -> tuple[dict, dict]:
        """One reply. Its sizes are checked against the limits before anything is allocated;
        it is then read into one buffer, which the header is parsed from and the tensors are
        views of (no other copy). A reply over a limit ends the worker: ReplyRefused."""
        fd = self.proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            prefix = bytearray(12)
            self._read_into(sel, fd, memoryview(prefix), deadline, timeout)
            try:
                head_len, blob_len = protocol.parse_sizes(prefix, protocol.REPLY_HEADER_BYTES, max_reply_bytes())
            except protocol.ProtocolError as exc:
                raise self._refused(exc) from None
            frame = memoryview(bytearray(head_len + blob_len))
            self._read_into(sel, fd, frame, deadline, timeout)
        try:
            return protocol.parse_body(frame[:head_len], frame[head_len:], protocol.REPLY_TREE)
        except protocol.ProtocolError as exc:
            raise self._refused(exc) from None

    def _read_into(self, sel, fd: int, view: memoryview, deadline: float, timeout: float) -> None:
        got = 0
        while got < len(view):
            if self.memory_exceeded:
                raise self.failure("memory")
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise WorkerFailure("timeout", seconds=timeout)
            if not sel.select(min(left, 0.5)):
                continue
            n = os.readv(fd, [view[got:got + READ_CHUNK]])
            if not n:
                raise self.failure("memory" if self.memory_exceeded else "crash")
            got += n

    def _refused(self, exc: "protocol.ProtocolError") -> WorkerFailure:
        self.kill()
        if isinstance(exc, protocol.LimitExceeded):
            return ReplyRefused(exc)
        return WorkerFailure("protocol", str(exc))

    def failure(self, kind: str) -> WorkerFailure:
        self.kill()
        if kind == "memory" and self.exceeded:
            kind = self.exceeded  # the watch ended the worker: for memory, or for its folder's size
        return WorkerFailure(kind, self.stderr_tail())

    def stderr_tail(self, limit: int = 1500) -> str:
        try:
            data = self.stderr_path.read_bytes()[-limit:]
        except OSError:
            return ""
        return data.decode("utf-8", "replace")

    # ending ----------------------------------------------------------------
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """End the worker and everything it started, wherever it went."""
        self._end_processes()
        if not self.forked:
            _LIVE_WORKERS.discard(self.proc.pid)
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self._stderr.close()

    def _end_processes(self) -> None:
        import psutil

        self._stop.set()
        self._tree()
        if self.forked:
            self.proc.kill_all()
        try:
            if not self.forked:
                os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        for pid, created in list(self.seen.items()):
            try:
                p = psutil.Process(pid)
                if p.create_time() == created:
                    p.kill()
            except psutil.Error:
                pass
        # Escapees re-parented to us (we are a subreaper) that are not our other workers.
        for child in [] if self.forked else psutil.Process().children():
            try:
                if child.pid != self.proc.pid and not _other_worker(child.pid):
                    child.kill()
            except psutil.Error:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        reap_ended()


_LIVE_WORKERS: set[int] = set()


def _other_worker(pid: int) -> bool:
    """Another worker of this grader, or its preloaded parent (never one worker's escapee)."""
    parent = preloaded.current()
    return pid in _LIVE_WORKERS or (parent is not None and pid == parent.proc.pid)

ENTRY_BYTES = 1024  # what each file or folder counts at least: a million empty files is not free


def folder_bytes(root: Path, stop_above: int) -> int:
    """The disk a worker's folder uses (blocks allocated, each entry ENTRY_BYTES at least, hard links
    once), walked with lstat, never following links; stops counting once past ``stop_above``."""
    total, seen, pending = 0, set(), [str(root)]
    while pending and total <= stop_above:
        try:
            entries = os.scandir(pending.pop())
        except OSError:
            continue
        with entries:
            for entry in entries:
                try:
                    info = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                if (info.st_dev, info.st_ino) in seen:
                    continue
                if info.st_nlink > 1:
                    seen.add((info.st_dev, info.st_ino))
                total += max(info.st_blocks * 512, ENTRY_BYTES)
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
    return total


class Remote:
    """A name or object in the worker. Attribute access builds a longer path;
    calling it sends a request. ``sub.fetch(remote)`` reads a value."""

    __slots__ = ("_r_sub", "_r_target")

    def __init__(self, sub, target: list):
        object.__setattr__(self, "_r_sub", sub)
        object.__setattr__(self, "_r_target", list(target))

    def __getattr__(self, name: str) -> "Remote":
        if name.startswith("_r_"):
            raise AttributeError(name)
        return Remote(self._r_sub, [*self._r_target, name])

    def __getitem__(self, key) -> "Remote":
        """``loaders[0]``, ``history["loss"]``: an item of a container in the worker (an int or str key)."""
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise TypeError(f"a remote object is indexed with an int or a str, not {type(key).__name__}")
        return Remote(self._r_sub, [*self._r_target, ["__item__", key]])

    def __iter__(self):
        raise TypeError("a remote object cannot be iterated in the grader: index it (obj[0]) or fetch it "
                        "(sub.fetch(obj)) to get its value as data")

    def __call__(self, *args, **kwargs):
        return self._r_sub.call(self, *args, **kwargs)

    def __repr__(self) -> str:
        return f"<remote {self._r_label}>"

    @property
    def _r_label(self) -> str:
        kind, root, *path = self._r_target
        text = "<object>" if kind == "handle" else str(root)
        for step in path:
            text += f"[{step[1]!r}]" if isinstance(step, list) else f".{step}"
        return text


# What the grader's own reference computations import late and slowly: torch loads its
# compiler (torch._dynamo, seconds) the first time anyone builds an optimizer.
GRADER_WARM_UP = ("torch._dynamo",)


def warm_grader() -> None:
    for name in GRADER_WARM_UP:
        if name not in sys.modules:
            importlib.import_module(name)


def new_folder(files: dict[str, bytes], data_dir: Path, limits: sandbox.Limits, isolation: str):
    """A worker's folder: in the spool of this grader's preloaded parent where it serves such a worker."""
    parent = preloaded.current() or (preloaded.start(data_dir, limits) if preloaded.always() else None)
    if parent is not None:
        folder = sandbox.WorkerFolder(files, under=parent.spool)
        if parent.serves(folder, data_dir, limits, isolation):
            return folder
        folder.remove()
    return sandbox.WorkerFolder(files)


class Spare:
    """A worker started ahead of the submission it will serve (bulk grading starts the next
    one while the current one is graded). It imports torch and the preloaded libraries in a
    folder of its own; the submission's files are written there when it is adopted, before
    the first import of student code. No student code has run in it before that."""

    def __init__(self, data_dir: Path, limits: sandbox.Limits, isolation: str):
        self.key = (Path(data_dir), limits, isolation)
        self.folder = new_folder({}, data_dir, limits, isolation)
        self.process = WorkerProcess(self.folder, Path(data_dir), limits, isolation, watch=False)

    def fits(self, data_dir: Path, limits: sandbox.Limits, isolation: str) -> bool:
        return self.key == (Path(data_dir), limits, isolation) and self.process.alive()

    def discard(self) -> None:
        self.process.kill()
        self.folder.remove()


class Submission:
    """The student's modules as seen from the grader: a worker that is started
    on demand (or a Spare adopted), restarted after a crash, and bounded by the limits."""

    def __init__(self, files: dict[str, bytes], data_dir: Path, limits: sandbox.Limits | None = None,
                 isolation: str | None = None, broken: dict[str, ModuleBroken] | None = None,
                 spare: Spare | None = None):
        self.files = files
        self.data_dir = Path(data_dir)
        self.limits = limits or sandbox.Limits.from_env()
        self.isolation = isolation or sandbox.choose_isolation()
        self.broken: dict[str, ModuleBroken] = dict(broken or {})
        self.process: WorkerProcess | None = None
        self.imported: set[str] = set()
        self.spent = 0.0  # seconds of the budget used: worker calls, and the grader's own work (charge)
        self.started = 0
        # The grader's clock of the check running now (grading/plugin.py): it stops while the
        # worker works, so that only the grader's own time is bounded by it.
        self.clock = None
        self._ready = False
        if spare is not None and spare.fits(self.data_dir, self.limits, self.isolation):
            self.folder = spare.folder
            self.folder.add_files(files)
            self.process = spare.process
            self.process.watch()
            self.started = 1
        else:
            if spare is not None:
                spare.discard()
            self.folder = new_folder(files, self.data_dir, self.limits, self.isolation)

    # worker life -----------------------------------------------------------
    def start(self) -> None:
        """Start a worker now (the grader starts it early to overlap start-up)."""
        if self.process is None or not self.process.alive():
            self._start()

    def _start(self):
        if self.process is not None:
            self.process.kill()
            self.folder.reset_scratch()
        self.imported.clear()
        with self._worker_side():  # not interrupted half-way by the grader's clock
            self.process = WorkerProcess(self.folder, self.data_dir, self.limits, self.isolation)
        self.started += 1
        self._ready = False

    def _ensure_ready(self):
        if self.spent >= self.limits.submission_seconds:  # no worker is started for a spent budget
            raise WorkerFailure("budget", seconds=self.limits.submission_seconds)
        if self.process is None or not self.process.alive():
            self._start()
        if not self._ready:
            if not self.process.readable():
                warm_grader()  # the worker is still starting: the grader's own imports cost nothing now
            try:
                header, _ = self._timed(lambda: self.process.receive(self.limits.startup_seconds))
            except WorkerFailure as exc:
                if exc.kind == "budget":
                    raise
                raise WorkerFailure("startup", exc.detail, exc.seconds) from None
            if not header.get("ready"):
                raise WorkerFailure("protocol", "the worker did not start")
            self._ready = True

    def _timed(self, fn):
        if self.spent >= self.limits.submission_seconds:
            raise WorkerFailure("budget", seconds=self.limits.submission_seconds)
        with self._worker_side():
            t0 = time.monotonic()
            try:
                return fn()
            finally:
                self.spent += time.monotonic() - t0

    @contextlib.contextmanager
    def _worker_side(self):
        clock = self.clock
        if clock is not None:
            clock.pause()
        try:
            yield
        finally:
            if clock is not None:
                clock.resume()

    def budget_left(self) -> float:
        return self.limits.submission_seconds - self.spent

    def charge(self, seconds: float) -> None:
        """Count the grader's own work on a check toward the submission's budget."""
        self.spent += max(0.0, seconds)

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process = None
        self.folder.remove()

    # requests --------------------------------------------------------------
    def module(self, name: str) -> Remote:
        return Remote(self, ["module", name])

    def probe(self, instrument) -> Remote:
        """The instrument function ``instrument`` (declared with ``@instrument`` in
        engine/worker/probes*.py), to be called in the worker under its wire name."""
        declared = getattr(instrument, "instrument", None)
        if not callable(instrument) or not isinstance(declared, dict):
            raise TypeError(f"sub.probe takes an instrument function (engine/worker/probes*.py, declared with "
                            f"@instrument), not {instrument!r}")
        return Remote(self, ["probe", declared["wire"]])

    def require(self, module: str) -> None:
        """Import a module in the worker once; remember modules that cannot be."""
        if module in self.broken:
            # The same exception object is raised for every check of this module; without
            # resetting it, each raise would add its frames to the old traceback and pytest's
            # report of check n would format n tracebacks (minutes for a class).
            raise self.broken[module].with_traceback(None)
        if module in self.imported:
            return
        if f"{module}.py" not in self.files:
            self.broken[module] = ModuleBroken(module, "missing")
            raise self.broken[module]
        self._ensure_ready()
        try:
            self._request({"op": "import", "module": module}, label=module)
        except StudentError as exc:
            self.broken[module] = ModuleBroken(module, "import", exc.info)
            raise self.broken[module] from None
        except WorkerFailure as exc:
            if exc.kind in ("crash", "timeout", "memory", "disk"):
                self.broken[module] = ModuleBroken(module, f"import-{exc.kind}", {"message": exc.detail[-300:]})
                raise self.broken[module] from None
            raise
        self.imported.add(module)

    def call(self, target, *args, handle: bool = False, **kwargs):
        remote = target if isinstance(target, Remote) else self._parse(target)
        self._require_for(remote)
        encoder = protocol.Encoder(refer=self._refer)
        header = {"op": "call", "target": self._wire_target(remote), "handle": handle,
                  "args": encoder.encode(list(args)), "kwargs": encoder.encode(dict(kwargs))}
        return self._request(header, encoder.tensors, label=remote._r_label)

    def fetch(self, target):
        remote = target if isinstance(target, Remote) else self._parse(target)
        self._require_for(remote)
        return self._request({"op": "get", "target": self._wire_target(remote)}, label=remote._r_label)

    def _refer(self, value):
        """The target of a Remote passed as an argument (a model the student's function returned,
        passed on to the next call); None for anything else."""
        if not isinstance(value, Remote):
            return None
        if value._r_sub is not self:
            raise protocol.ProtocolError("a remote object of another submission cannot be sent")
        if value._r_target[0] == "probe":
            raise protocol.ProtocolError("an instrument cannot be passed to student code")
        self._require_for(value)
        return self._wire_target(value)

    def _parse(self, dotted: str) -> Remote:
        module, *path = dotted.split(".")
        return Remote(self, ["module", module, *path])

    def _require_for(self, remote: Remote):
        if remote._r_target[0] == "module":
            self.require(remote._r_target[1])

    @staticmethod
    def _wire_target(remote: Remote) -> list:
        kind, root, *path = remote._r_target
        return [kind, root.id if hasattr(root, "id") else root, *path]

    def _request(self, header: dict, tensors: dict | None = None, label: str = ""):
        self._ensure_ready()
        proc = self.process

        # A call may not run past the submission's budget.
        limit = min(self.limits.call_seconds, max(self.budget_left(), 0.0))

        def roundtrip():
            proc.send(header, tensors)
            try:
                return proc.receive(limit)
            except WorkerFailure as exc:
                if exc.kind == "timeout" and limit < self.limits.call_seconds:
                    raise WorkerFailure("budget", seconds=self.limits.submission_seconds) from None
                raise

        reply, reply_tensors = self._timed(roundtrip)
        if reply.get("ok"):
            decoder = protocol.Decoder(reply_tensors, wrap_handle=lambda h: Remote(self, ["handle", h]))
            try:
                return decoder.decode(reply.get("value"))
            except protocol.ProtocolError as exc:
                proc.kill()
                raise WorkerFailure("protocol", str(exc)) from None
            except (KeyError, TypeError, ValueError, AttributeError, RuntimeError) as exc:  # a forged tree
                proc.kill()
                raise WorkerFailure("protocol", f"bad value ({type(exc).__name__})") from None
        error = reply.get("error")
        raise StudentError(error if isinstance(error, dict) else {}, label)
