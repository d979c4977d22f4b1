"""How a worker process is started and confined.

Two levels, chosen per run and reported as ``isolation``:

- ``bwrap``: bubblewrap namespaces. No network, a private /tmp, /proc and
  /dev, the student files and the data read-only, a fresh writable folder as
  the only writable place, the grader's files, the home folder and other
  submissions not mounted at all, and a PID namespace so that every process the
  submission starts dies with it.
- ``process``: a plain child process in its own session. Same resource limits
  and the same fresh folders, but the file system and network are the grader's.

Both: a fresh interpreter (``-I``), a minimal environment with its own HOME and
caches, CPU-time, file-size, open-file and core limits. Memory is watched from
outside (see client.py): RLIMIT_AS would break ``import torch``.
"""
from __future__ import annotations

import os
import resource
import signal
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

WORKER_DIR = Path(__file__).resolve().parent / "worker"


@dataclass
class Limits:
    call_seconds: float = 120.0
    submission_seconds: float = 900.0
    startup_seconds: float = 120.0
    cpu_seconds: int = 1800
    memory_bytes: int = 3 * 1024**3
    file_bytes: int = 256 * 1024**2
    open_files: int = 512
    threads: int = 1

    @classmethod
    def from_env(cls) -> "Limits":
        """Defaults, overridden by DLGRADER_CALL_SECONDS, DLGRADER_SUBMISSION_SECONDS, DLGRADER_MEMORY_MB."""
        limits = cls()
        for var, attr, scale in (("DLGRADER_CALL_SECONDS", "call_seconds", 1),
                                 ("DLGRADER_SUBMISSION_SECONDS", "submission_seconds", 1),
                                 ("DLGRADER_MEMORY_MB", "memory_bytes", 1024 * 1024)):
            value = os.environ.get(var)
            if value:
                setattr(limits, attr, type(getattr(limits, attr))(float(value) * scale))
        return limits


def bwrap_path() -> str | None:
    if os.environ.get("DLGRADER_ISOLATION") == "process":
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
    if "level" not in _ISOLATION_CACHE:
        bwrap = bwrap_path()
        _ISOLATION_CACHE["level"] = "bwrap" if bwrap and bwrap_works(bwrap) else "process"
    return _ISOLATION_CACHE["level"]


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

    def __init__(self, files: dict[str, bytes]):
        self.root = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
        self.runtime = self.root / "runtime"
        self.package = self.root / "pkg" / "submission"
        self.work = self.root / "work"
        self.home = self.root / "home"
        for d in (self.runtime, self.package, self.work, self.home):
            d.mkdir(parents=True)
        for source in WORKER_DIR.glob("*.py"):  # worker_main, protocol, probes*
            shutil.copyfile(source, self.runtime / source.name)
        (self.package / "__init__.py").write_text('"""A student submission."""\n')
        self.add_files(files)
        (self.root / "passwd").write_text("student:x:0:0:student:/sandbox/home:/bin/sh\n")

    def add_files(self, files: dict[str, bytes]) -> None:
        for name, data in files.items():
            (self.package / name).write_bytes(data)

    def reset_scratch(self) -> None:
        """A restarted worker gets a clean work/ and home/."""
        for d in (self.work, self.home):
            shutil.rmtree(d, ignore_errors=True)
            d.mkdir()

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
    if isolation == "process":
        env = _environment(str(folder.home), str(folder.work), str(data_dir), limits.threads)
        os.makedirs(env["TMPDIR"], exist_ok=True)
        argv = [python, "-I", str(folder.runtime / "worker_main.py"), str(folder.package.parent), str(limits.threads)]
        return argv, env, str(folder.work)
    env = _environment("/sandbox/home", "/sandbox/work", "/data", limits.threads)
    os.makedirs(folder.work / ".tmp", exist_ok=True)
    argv = [bwrap_path() or "bwrap", "--unshare-all", "--die-with-parent", "--new-session", "--hostname", "sandbox",
            "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    for name in ("bin", "lib", "lib64", "lib32", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            argv += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            argv += ["--ro-bind", str(path), str(path)]
    for path in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime", "/etc/alternatives"):
        argv += ["--ro-bind-try", path, path]
    argv += ["--ro-bind", str(folder.root / "passwd"), "/etc/passwd"]
    for root in _python_roots():
        argv += ["--ro-bind", root, root]
    for dev in sorted(Path("/dev").glob("nvidia*")):
        argv += ["--dev-bind", str(dev), str(dev)]
    argv += ["--ro-bind", str(folder.runtime), "/sandbox/runtime",
             "--ro-bind", str(folder.package.parent), "/sandbox/pkg",
             "--bind", str(folder.work), "/sandbox/work",
             "--bind", str(folder.home), "/sandbox/home"]
    if Path(data_dir).is_dir():
        argv += ["--ro-bind", str(Path(data_dir).resolve()), "/data"]
    argv += ["--clearenv"]
    for key, value in env.items():
        argv += ["--setenv", key, value]
    argv += ["--chdir", "/sandbox/work", "--", python, "-I", "/sandbox/runtime/worker_main.py",
             "/sandbox/pkg", str(limits.threads)]
    return argv, {}, str(folder.work)


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
