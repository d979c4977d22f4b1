"""How a worker process is started and confined.

Three levels, chosen per run and reported as ``isolation``:

- ``bwrap``: bubblewrap namespaces. No network, a private /tmp, /proc and
  /dev, the student files and the data read-only, a fresh writable folder as
  the only writable place, the grader's files, the home folder and other
  submissions not mounted at all, and a PID namespace so that every process the
  submission starts dies with it.
- ``landlock+seccomp`` (or ``landlock``, ``seccomp``: what the kernel allowed),
  where bubblewrap is missing or refused, or with ``DLGRADER_ISOLATION=process``:
  the worker is started through confine.py, which applies Landlock (writes only
  in its own folder, reads only what a worker needs, of /proc only its own
  process's files and the system's), a seccomp filter (no
  network sockets, no ``connect``, no ptrace, mounts or namespaces) and, when the
  grader is root, another user, before it execs the worker.
- ``process``: none of those is available: a plain child process in its own
  session. Same resource limits and the same fresh folders, but the file system
  and network are the grader's.

All: a fresh interpreter (``-I``), a minimal environment with its own HOME and
caches, CPU-time, file-size, open-file and core limits. Memory and the size of
the worker's folder (``DLGRADER_DISK_MB``; under bubblewrap /tmp is a folder of
it, on disk) are watched from outside (see client.py): RLIMIT_AS would break
``import torch``.
"""
from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .. import settings

WORKER_DIR = Path(__file__).resolve().parent / "worker"
CONFINE = Path(__file__).resolve().parent / "confine.py"


@dataclass
class Limits:
    call_seconds: float = settings.default("DLGRADER_CALL_SECONDS")
    submission_seconds: float = settings.default("DLGRADER_SUBMISSION_SECONDS")
    startup_seconds: float = 120.0
    cpu_seconds: int = 1800
    memory_bytes: int = int(settings.default("DLGRADER_MEMORY_MB")) * 1024**2
    file_bytes: int = 256 * 1024**2
    open_files: int = 512
    threads: int = 1
    # everything under the worker's folder, /tmp included
    disk_bytes: int = int(settings.default("DLGRADER_DISK_MB")) * 1024**2

    @classmethod
    def from_env(cls) -> "Limits":
        """Defaults, overridden by DLGRADER_CALL_SECONDS, DLGRADER_SUBMISSION_SECONDS, DLGRADER_MEMORY_MB,
        DLGRADER_DISK_MB."""
        limits = cls()
        for var, attr, scale in (("DLGRADER_CALL_SECONDS", "call_seconds", 1),
                                 ("DLGRADER_SUBMISSION_SECONDS", "submission_seconds", 1),
                                 ("DLGRADER_MEMORY_MB", "memory_bytes", 1024 * 1024),
                                 ("DLGRADER_DISK_MB", "disk_bytes", 1024 * 1024)):
            setattr(limits, attr, type(getattr(limits, attr))(settings.value(var) * scale))
        return limits


def bwrap_path() -> str | None:
    if settings.value("DLGRADER_ISOLATION") in ("process", "none"):
        return None
    return shutil.which("bwrap")


def bwrap_works(bwrap: str) -> bool:
    """bwrap can be installed yet refused by the kernel (no user namespaces)."""
    import subprocess

    try:
        done = subprocess.run(
            [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "true"],
            capture_output=True, timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


_ISOLATION_CACHE: dict = {}


def choose_isolation() -> str:
    """``bwrap`` where bubblewrap works (and is not turned off), else the confinement level."""
    if "level" not in _ISOLATION_CACHE:
        bwrap = bwrap_path()
        _ISOLATION_CACHE["level"] = "bwrap" if bwrap and bwrap_works(bwrap) else confinement()["name"]
    return _ISOLATION_CACHE["level"]


def fallback_isolation() -> str:
    """What a report says where bubblewrap is not used (``DLGRADER_ISOLATION=process``) on this machine."""
    return confinement()["name"]


def _basic_reads() -> list[str]:
    paths = ["/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32"]
    paths += ["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives"]
    return paths + _python_roots() + [os.path.realpath(r) for r in _python_roots()]


def _probe(spec: dict) -> bool:
    """Whether a worker's interpreter starts under SPEC, lists its package folders and writes in a
    folder made like a worker's (in the same temporary folder, given to the same user)."""
    import subprocess

    folder = WorkerFolder({})
    try:
        folder.give_to(spec.get("user"))
        spec = {**spec, "write": [str(folder.work)], "read_exec": spec["read_exec"] + [str(folder.runtime)]}
        check = ("import ctypes, json, os, sys; [os.listdir(p) for p in sys.path if os.path.isdir(p)]; "
                 f"os.listdir({str(folder.runtime)!r}); open(os.path.join({str(folder.work)!r}, 'probe'), 'w')")
        argv = [sys.executable, "-I", "-S", str(CONFINE), json.dumps(spec), "--", sys.executable, "-I", "-c", check]
        try:
            return subprocess.run(argv, capture_output=True, timeout=60, cwd="/").returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False
    finally:
        folder.remove()


def confinement() -> dict:
    """The strongest confinement this machine allows without bubblewrap, found by trying it once
    (cached): {"name", "landlock", "seccomp", "user", "keep_read"}. "user" is the (uid, gid) a
    root grader runs workers as; "keep_read": that user keeps CAP_DAC_READ_SEARCH, because the
    interpreter lies where it cannot read (only ever with Landlock, which then limits reading)."""
    if "confinement" in _ISOLATION_CACHE:
        return _ISOLATION_CACHE["confinement"]
    if settings.value("DLGRADER_ISOLATION") == "none":  # a plain child process, asked for by name
        _ISOLATION_CACHE["confinement"] = {"landlock": False, "seccomp": False, "user": None, "keep_read": False,
                                           "name": "process"}
        return _ISOLATION_CACHE["confinement"]
    from . import confine

    landlock, seccomp = confine.landlock_abi() >= 1, confine.seccomp_available()
    user = confine.worker_user(settings.value("DLGRADER_WORKER_UID"), settings.value("DLGRADER_WORKER_GID"))
    candidates = []
    for ll, sc in ((landlock, seccomp), (landlock, False), (False, seccomp)):
        if not (ll or sc):
            continue
        if user is not None:
            candidates.append({"landlock": ll, "seccomp": sc, "user": user, "keep_read": False})
            if ll:
                candidates.append({"landlock": ll, "seccomp": sc, "user": user, "keep_read": True})
        candidates.append({"landlock": ll, "seccomp": sc, "user": None, "keep_read": False})
    chosen = {"landlock": False, "seccomp": False, "user": None, "keep_read": False}
    for candidate in candidates:
        if _probe({**candidate, "read_exec": _basic_reads(), "proc": True}):
            chosen = candidate
            break
    parts = [name for name in ("landlock", "seccomp") if chosen[name]]
    chosen["name"] = "+".join(parts) or "process"
    _ISOLATION_CACHE["confinement"] = chosen
    return chosen


FOLDER_PREFIX = "dlgrader-"  # then the grader's pid: dlgrader-PID-XXXXXXXX


def remove_abandoned_folders() -> None:
    """Worker folders whose grader is gone: a grader killed with SIGKILL cannot remove its own."""
    for path in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}*-*"):
        pid = path.name[len(FOLDER_PREFIX):].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:  # another user's grader, alive
            pass


class WorkerFolder:
    """A fresh temporary folder: runtime/ (worker code), pkg/submission/
    (the student's files), work/ (cwd, writable), home/."""

    def __init__(self, files: dict[str, bytes], under: Path | None = None):
        """``under``: the folder of a preloaded worker parent's submissions (preloaded.py)."""
        self.root = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-", dir=under))
        self.runtime = self.root / "runtime"
        self.package = self.root / "pkg" / "submission"
        self.work = self.root / "work"
        self.home = self.root / "home"
        self.tmp = self.root / "tmp"  # the worker's /tmp under bubblewrap: on disk, and counted
        for d in (self.runtime, self.package, self.work, self.home, self.tmp):
            d.mkdir(parents=True)
        for source in WORKER_DIR.glob("*.py"):  # worker_main, protocol, probes*
            shutil.copyfile(source, self.runtime / source.name)
        (self.package / "__init__.py").write_text('"""A student submission."""\n')
        self.add_files(files)
        (self.root / "passwd").write_text("student:x:0:0:student:/sandbox/home:/bin/sh\n")
        self.owner: tuple[int, int] | None = None

    def give_to(self, user: tuple[int, int] | None) -> None:
        """Make the writable folders the worker's user's (a root grader runs workers as another user)."""
        self.owner = user
        if user is None:
            return
        # Readable by the worker's group only (root's own otherwise): other users of the machine
        # still cannot enter the folder, whose name /tmp lists.
        for d, mode in ((self.root, 0o710), (self.runtime, 0o750), (self.package.parent, 0o750), (self.package, 0o750)):
            os.chown(d, -1, user[1])
            os.chmod(d, mode)
        for d in (self.work, self.work / ".tmp", self.home, self.tmp):
            d.mkdir(exist_ok=True)
            os.chown(d, *user)

    def add_files(self, files: dict[str, bytes]) -> None:
        for name, data in files.items():
            (self.package / name).write_bytes(data)

    def reset_scratch(self) -> None:
        """A restarted worker gets a clean work/ and home/."""
        for d in (self.work, self.home, self.tmp):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir()
        self.give_to(self.owner)

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _environment(home: str, work: str, data_dir: str, threads: int) -> dict[str, str]:
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": os.path.join(work, ".tmp"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        "TORCH_HOME": os.path.join(home, ".torch"),
        "MPLBACKEND": "Agg",
        "DL_DATA_DIR": data_dir,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": str(threads),
        "MKL_NUM_THREADS": str(threads),
    }
    for name in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _python_roots() -> list[str]:
    """The folders the interpreter and its packages live in (mounted read-only)."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable))}
    for entry in sys.path:
        if entry and os.path.isdir(entry) and ("site-packages" in entry or "dist-packages" in entry):
            roots.add(entry)
    keep = []
    for root in sorted(roots, key=len):
        if root.startswith("/usr/") or root == "/usr":
            continue
        if not any(root == k or root.startswith(k.rstrip("/") + "/") for k in keep):
            keep.append(root)
    return keep


def command(folder: WorkerFolder, data_dir: Path, limits: Limits, isolation: str) -> tuple[list[str], dict, str]:
    """The argv, environment and cwd that start a worker."""
    python = sys.executable
    if isolation != "bwrap":
        env = _environment(str(folder.home), str(folder.work), str(data_dir), limits.threads)
        os.makedirs(env["TMPDIR"], exist_ok=True)
        argv = [python, "-I", str(folder.runtime / "worker_main.py"), str(folder.package.parent), str(limits.threads)]
        level = confinement()
        if isolation == "process" or isolation != level["name"]:
            return argv, env, str(folder.work)
        folder.give_to(level["user"])
        spec = {**{k: level[k] for k in ("landlock", "seccomp", "user", "keep_read")},
                "read_exec": _basic_reads() + [str(folder.runtime), str(folder.package.parent)],
                "read": ["/dev/urandom", "/dev/random"]
                + ([str(Path(data_dir).resolve())] if Path(data_dir).is_dir() else []),
                "proc": True,  # its own /proc/PID and the system's files, not other processes' (confine.py)
                "write": [str(folder.work), str(folder.home), str(folder.tmp)],
                "devices_rw": ["/dev/null", "/dev/zero", "/dev/full", *map(str, sorted(Path("/dev").glob("nvidia*")))]}
        return [python, "-I", "-S", str(CONFINE), json.dumps(spec), "--", *argv], env, str(folder.work)
    env = worker_environment(limits)
    os.makedirs(folder.work / ".tmp", exist_ok=True)
    argv = bwrap_mounts(["--bind", str(folder.tmp), "/tmp"], str(folder.root / "passwd"), data_dir)
    argv += ["--ro-bind", str(folder.runtime), "/sandbox/runtime",
             "--ro-bind", str(folder.package.parent), "/sandbox/pkg",
             "--bind", str(folder.work), "/sandbox/work",
             "--bind", str(folder.home), "/sandbox/home"]
    return bwrap_tail(argv, env, ["/sandbox/runtime/worker_main.py", "/sandbox/pkg", str(limits.threads)]), {}, \
        str(folder.work)


def bwrap_mounts(tmp: list[str], passwd: str, data_dir: Path) -> list[str]:
    """bubblewrap's argv up to a worker's own folders: the system, the interpreter, the data."""
    argv = [bwrap_path() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", *tmp]
    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    for path in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives"):
        argv += ["--ro-bind-try", path, path]
    argv += ["--ro-bind", passwd, "/etc/passwd"]
    for root in _python_roots():
        argv += ["--ro-bind", root, root]
    for dev in sorted(Path("/dev").glob("nvidia*")):
        argv += ["--dev-bind", str(dev), str(dev)]
    if Path(data_dir).is_dir():
        argv += ["--ro-bind", str(Path(data_dir).resolve()), "/data"]
    return argv


def bwrap_tail(argv: list[str], env: dict[str, str], script: list[str]) -> list[str]:
    """The rest of bubblewrap's argv: the environment, the folder, the interpreter and SCRIPT."""
    argv = [*argv, "--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    return argv + ["--chdir", "/sandbox/work", "--", sys.executable, "-I", *script]


def worker_environment(limits: Limits) -> dict[str, str]:
    """A worker's environment under bubblewrap (the paths are the sandbox's)."""
    return _environment("/sandbox/home", "/sandbox/work", "/data", limits.threads)


def die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux), even by SIGKILL."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        parent = os.getppid()
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() != parent:  # the parent was already gone
            os._exit(1)
    except (OSError, AttributeError):
        pass


def set_limits(limits: Limits):
    """preexec_fn for the worker: resource limits that survive into bwrap; the worker
    dies with the grader even when the grader is killed with SIGKILL."""

    def apply():
        die_with_parent()
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
        resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files, limits.open_files))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply
