"""A grader kept warm for the next ``./grade.sh grade`` (like Gradle's daemon, for one run).

A student runs ``./grade.sh`` again and again, and most of each run is start-up:
the grader imports torch and pytest, and the worker, a fresh confined
interpreter, imports torch, matplotlib and scikit-learn. So when ``grade``
ends, it leaves a *keeper* behind: a grader process that has done exactly that
start-up (the worker is a Spare, as in bulk grading: started in an empty
folder, no student code run in it) and then waits. The next ``grade`` run with
the same settings hands its command line, working folder and output streams to
the keeper through a Unix socket and waits for its exit status; the keeper
grades as ``./grade.sh grade`` always does, writes to the caller's terminal and
files, and ends. Each keeper serves one run; an unused one ends after
``DLGRADER_KEEP_WARM`` minutes (15 by default; ``0`` turns keeping warm off).
The caller that is interrupted (Ctrl-C) or killed takes the keeper's grading
with it.

This module knows nothing of the command line: the CLI hands it the command that starts a
keeper (``leave_keeper``), and the keeper it starts hands ``keep`` what to prepare and what to
run for its one caller.

The socket lives in a folder of this user's own (``dlgrader.warm-UID`` in the
temporary folder, mode 0700; a folder that anyone else owns or can write is not
used), and the keeper serves only its own user, never a grader's worker or what one started
(``_peer_is_us``). The socket's name is a digest of
everything a run depends on besides its command line: the interpreter, the
folder of this copy, every source file of the grader and its checks, and the
environment variables that the grader or the worker read. A keeper therefore
never grades with other code or settings than the caller would have; when
anything differs, the caller grades by itself.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from .. import settings

PACKAGE_DIR = Path(__file__).resolve().parents[1]
ROOT = PACKAGE_DIR.parent
ENV_PREFIXES = ("DLGRADER_", "PYTEST_", "PYTHON", "CUDA_", "NVIDIA_", "OMP_", "MKL_", "LC_")
ENV_NAMES = ("LANG", "PATH", "HOME", "TMPDIR", "LD_LIBRARY_PATH", "MPLBACKEND", "TORCH_HOME", "XDG_CACHE_HOME")


def minutes() -> float:
    """How long an unused keeper waits (DLGRADER_KEEP_WARM, minutes); 0 turns keeping warm off."""
    return settings.value("DLGRADER_KEEP_WARM")


def _digest() -> str:
    h = hashlib.sha256()
    env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES) or k in ENV_NAMES}
    facts = {"python": sys.executable, "root": str(ROOT), "uid": os.getuid(), "bwrap": shutil.which("bwrap") or "",
             "env": env}
    h.update(json.dumps(facts, sort_keys=True).encode())
    for source in sorted(PACKAGE_DIR.rglob("*")):
        if source.suffix in (".py", ".ini", ".json", ".yml", ".yaml") and "__pycache__" not in source.parts:
            h.update(str(source.relative_to(PACKAGE_DIR)).encode() + b"\0" + source.read_bytes())
    return h.hexdigest()[:24]


def own_folder() -> Path | None:
    """This user's folder for keepers' sockets, created if need be; None when it is not safe
    (owned by someone else, or open to others)."""
    folder = Path(tempfile.gettempdir()) / f"dlgrader.warm-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(folder)
    except OSError:
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        return None
    return folder


def socket_path() -> Path | None:
    folder = own_folder()
    path = None if folder is None else folder / f"{_digest()}.sock"
    return path if path is not None and len(os.fsencode(path)) < 100 else None  # sockaddr_un's limit


# --- the caller's side ------------------------------------------------------------------
def hand_over(argv: list[str]) -> int | None:
    """Have a waiting keeper run ``grade`` with this command line, on our working folder and our
    stdout and stderr; its exit status, or None when no keeper waits for these settings."""
    if minutes() <= 0:
        return None
    path = socket_path()
    if path is None or not path.exists():
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.settimeout(5)
        conn.connect(str(path))
        request = json.dumps({"argv": argv, "cwd": os.getcwd()}).encode()
        socket.send_fds(conn, [request], [sys.stdout.fileno(), sys.stderr.fileno()])
        conn.settimeout(None)
        reply = b""
        while len(reply) < 4:
            chunk = conn.recv(4 - len(reply))
            if not chunk:
                break
            reply += chunk
    except (OSError, AttributeError, ValueError):  # no keeper answered, or no stdout to hand over
        return None  # not served: grade here
    finally:
        conn.close()
    if len(reply) == 4:
        return int.from_bytes(reply, "big", signed=True)
    if reply == b"":
        return None  # the keeper took nothing (it was ending): grade here
    return 2


def leave_keeper(environment: dict[str, str], command: list[str]) -> None:
    """Start a keeper for the next run: ``command`` followed by the minutes it waits, a process
    that calls ``keep``; in ``environment`` (the caller's as it started: the socket's name
    depends on it). It ends at once when one is already waiting. Detached: its own session, no
    inherited descriptors, its output to /dev/null."""
    wait = minutes()
    if wait <= 0 or own_folder() is None:
        return
    try:
        subprocess.Popen([*command, str(wait)], cwd=ROOT, env=environment,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True, close_fds=True)
    except OSError:
        pass  # keeping warm is a convenience: the next run starts by itself


# --- the keeper ---------------------------------------------------------------------------
def _listen(path: Path) -> socket.socket | None:
    """Bind the socket, or None when a live keeper already listens there."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(str(path))
    except OSError:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            probe.connect(str(path))
            listener.close()
            return None
        except OSError:
            pass  # a socket file left by a keeper that was killed
        finally:
            probe.close()
        try:
            path.unlink()
            listener.bind(str(path))
        except OSError:
            listener.close()
            return None
    listener.listen(1)
    return listener


def _peer_is_us(conn: socket.socket) -> bool:
    """The caller is this user's, and not a grader's worker or anything a worker started.

    Workers cannot connect at all under bubblewrap (the socket's folder is not in the
    sandbox) or Landlock+seccomp (``connect`` fails); this is the keeper's own check, from
    what the kernel says about the peer (SO_PEERCRED) and its ancestry, not what it says:
    the same uid (a root grader's workers run as another user); no more confined than the
    keeper (no_new_privs or a seccomp filter the keeper has not); no worker of a grader
    among its ancestors."""
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12)
    except (OSError, AttributeError):
        return True  # no SO_PEERCRED on this system: the folder's 0700 mode is the guard
    pid, uid = (int.from_bytes(creds[i:i + 4], sys.byteorder) for i in (0, 4))
    if uid != os.getuid():
        return False
    if pid <= 0:
        return False
    ours = _confinement(os.getpid())
    theirs = _confinement(pid)
    if theirs is None or ours is None:
        return False  # the peer is gone, or /proc cannot tell: not served
    if theirs[0] > ours[0] or theirs[1] > ours[1]:
        return False
    return not _has_worker_ancestor(pid)


def _confinement(pid: int) -> tuple[int, int] | None:
    """(NoNewPrivs, Seccomp_filters) of a process, from /proc/PID/status."""
    values = {"NoNewPrivs": 0, "Seccomp_filters": 0}
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in values:
                    values[key] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return values["NoNewPrivs"], values["Seccomp_filters"]


def _is_worker(pid: int) -> bool:
    """A grader's worker (also its bubblewrap or confine.py launcher, which become it, and the
    preloaded parent workers are forked from)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            args = fh.read().split(b"\0")
    except OSError:
        return False
    return any(a.endswith((b"/worker_main.py", b"/zygote.py", b"/engine/confine.py")) for a in args)


def _has_worker_ancestor(pid: int) -> bool:
    seen = set()
    while pid > 1 and pid not in seen:
        seen.add(pid)
        if _is_worker(pid):
            return True
        try:
            with open(f"/proc/{pid}/status") as status:
                pid = next(int(line.split()[1]) for line in status if line.startswith("PPid:"))
        except (OSError, StopIteration, ValueError, IndexError):
            return True  # the chain cannot be followed: not served
    return False


def _unlink_if_ours(path: Path, inode: int) -> None:
    try:
        if os.lstat(path).st_ino == inode:
            path.unlink()
    except OSError:
        pass


def _end_when_caller_leaves(conn: socket.socket) -> None:
    """The caller sends nothing more: end of stream means it is gone (Ctrl-C, killed). Then end
    our workers and everything they started, and ourselves."""
    try:
        while conn.recv(4096):
            pass
    except OSError:
        pass
    from .descendants import kill_all

    kill_all()  # our workers and all they started: descendants, or orphans re-parented to us
    from .sandbox import FOLDER_PREFIX

    for folder in Path(tempfile.gettempdir()).glob(f"{FOLDER_PREFIX}{os.getpid()}-*"):
        shutil.rmtree(folder, ignore_errors=True)
    os._exit(130)


def _warm_up(prepare):
    """What every grade run pays before its first check, paid now: ``prepare()`` (the worker for
    the run, returned), torch, pytest and the grader's side of the protocol."""
    from . import preloaded
    from .client import warm_grader

    # The keeper's worker, and a restarted one, are forked from the preloaded parent: it imports
    # torch while we do, and the worker is forked once both are done.
    # Without one, the fresh worker is started first, to import torch while we do.
    spare = None if preloaded.start(ROOT / "data") else prepare()
    import pytest  # noqa: F401
    import torch  # noqa: F401

    warm_grader()
    return spare or prepare()


def _wait_for_caller(listener: socket.socket, wait_seconds: float, spare):
    """(connection, its two streams, its request), or None when nobody came in time (or the
    spare worker ended meanwhile)."""
    deadline = time.monotonic() + wait_seconds
    listener.settimeout(1.0)
    while time.monotonic() < deadline and spare.process.alive():
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        if not _peer_is_us(conn):
            conn.close()
            continue
        fds: list[int] = []
        try:
            conn.settimeout(10)
            message, fds, _, _ = socket.recv_fds(conn, 1 << 20, 2)
            request = json.loads(message.decode())
            if len(fds) == 2 and isinstance(request, dict) and isinstance(request.get("argv"), list):
                conn.settimeout(None)
                return conn, fds, request
        except (OSError, ValueError):
            pass
        # Not a caller: another keeper checking that this socket is taken, say. Keep waiting.
        for fd in fds:
            os.close(fd)
        conn.close()
    return None


def keep(wait_seconds: float, prepare, run) -> None:
    """Be the keeper: listen, ``prepare()`` (it returns the spare worker for the run to serve),
    wait up to ``wait_seconds`` for one caller, and serve it with ``run(argv, spare)``, which
    returns the caller's exit status."""
    path = socket_path()
    if path is None:
        return
    listener = _listen(path)
    if listener is None:
        return
    inode = os.lstat(path).st_ino
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    served = spare = None
    try:
        spare = _warm_up(prepare)
        served = _wait_for_caller(listener, wait_seconds, spare)
    finally:
        _unlink_if_ours(path, inode)  # one run only: the next caller grades by itself
        listener.close()
        if served is None and spare is not None:
            spare.discard()
    if served is not None:
        serve(*served, run=run, spare=spare)


def serve(conn: socket.socket, fds: list[int], request: dict, run, spare) -> None:
    """Run as the caller asked (``run(argv, spare)``), on its streams and in its folder; send the
    exit status."""
    for target, fd in zip((1, 2), fds):
        os.dup2(fd, target)
        os.close(fd)
    threading.Thread(target=_end_when_caller_leaves, args=(conn,), daemon=True).start()
    try:
        os.chdir(request["cwd"])
        code = run([str(a) for a in request["argv"]], spare)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code if isinstance(exc.code, int) else 2
    except BaseException:  # noqa: BLE001 - the caller must hear back; the traceback goes to its stderr
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        conn.sendall(int(code).to_bytes(4, "big", signed=True))
    except OSError:
        pass
    os._exit(0)
