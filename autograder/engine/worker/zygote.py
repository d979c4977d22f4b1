"""The preloaded worker parent: imports what workers import, then only forks (engine/preloaded.py
starts it, inside bubblewrap, and asks it for workers).

It runs no student code. For each request from the grader (on fd 0, a Unix socket: a JSON line
with the name of the submission's folder and the descriptors of its worker: requests in, replies
out, stderr, and a socket to say hello on) it forks a child that, before anything of the
student's runs:

1. makes its own user, mount and PID namespaces (``unshare``; uid 0 there is this process's
   user), and forks again: the grandchild is PID 1 of the new PID namespace, so every process
   the submission starts ends with it, and it sees no other process;
2. mounts its own submission's folders, and only them, where a worker finds them
   (``/sandbox/pkg`` read-only, ``/sandbox/work``, ``/sandbox/home``, ``/tmp``), an empty
   read-only tmpfs over the folder that holds all of them (``/sandbox/spool``), and a /proc of
   its own PID namespace;
3. drops every capability (it cannot undo those mounts), takes the worker's resource limits,
   new generator seeds and a new session, says hello (the grader learns its pid from the kernel,
   SO_PASSCRED) and serves the protocol as a fresh worker does (worker_main.py).

A child can change nothing of this process: it is a copy (sys.modules, torch's settings, the
RNG), its files are its own folder's, and a later child is forked from this process, never from
an earlier child. Forking is only safe with one thread: the parent checks that before each fork
and ends instead (the grader then starts fresh workers).
"""
from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import socket
import struct
import sys

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID = 0x00020000, 0x10000000, 0x20000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = (
    1, 2, 4, 8, 32, 4096, 16384, 1 << 18)
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 1, 24, 38
SPOOL = "/sandbox/spool"
_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{what}: {os.strerror(errno)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source and source.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), data and data.encode()), f"mount {target}")


def _mount_points() -> list[str]:
    """This process's mount points, outermost first (/proc/self/mountinfo's fifth field)."""
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        points = [line.split()[4].replace("\\040", " ") for line in f if len(line.split()) > 4]
    return sorted(set(points), key=lambda p: (p.count("/"), p))


def one_thread() -> bool:
    """Whether this process runs one thread only (Python's and the kernel's count)."""
    import threading

    return threading.active_count() == 1 and len(os.listdir("/proc/self/task")) == 1


PROC_COVERS = ("sys", "sysrq-trigger", "irq", "bus")  # read-only in every /proc, as bubblewrap's
MNT_DETACH = 2


def set_apart(folder: str) -> None:
    """In a child of the parent: a mount namespace with the submission's folders, and only them,
    mounted; then new user, mount and PID namespaces (uid and gid 0 there are ours here), whose
    mounts it cannot undo (they are locked to the namespace that made them). The caller forks
    next: that child is PID 1 of the new PID namespace."""
    _check(_libc.unshare(CLONE_NEWNS), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for name in PROC_COVERS:  # bubblewrap's covers: a /proc with none can be mounted again below
        _libc.umount2(f"/proc/{name}".encode(), MNT_DETACH)
    root = os.path.join(SPOOL, folder)
    # What is mounted below /tmp (the interpreter and its packages, where the kit lives under /tmp)
    # is mounted again on top of the submission's own /tmp, from a descriptor opened before.
    below_tmp = [(m, os.open(m, os.O_PATH)) for m in _mount_points() if m.startswith("/tmp/")]
    for source, target, readonly in (("pkg", "/sandbox/pkg", True), ("work", "/sandbox/work", False),
                                     ("home", "/sandbox/home", False), ("tmp", "/tmp", False)):
        _mount(os.path.join(root, source), target, None, MS_BIND | MS_REC)
        flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | (MS_RDONLY if readonly else 0)
        _mount(None, target, None, flags)
    for path, fd in below_tmp:
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, MS_BIND | MS_REC)
        _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_RDONLY)
        os.close(fd)
    _mount("none", SPOOL, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555")
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID), "unshare")
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"0 {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"0 {gid} 1")


def mount_own_proc() -> None:
    """In PID 1 of the new namespace: a /proc that shows its processes only, its covers read-only."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for name in PROC_COVERS:
        path = f"/proc/{name}"
        if os.path.exists(path):
            _mount(path, path, None, MS_BIND | MS_REC)
            _mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def drop_capabilities() -> None:
    """No capability left, in the bounding set either: the mounts above stay as they are."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # EINVAL: past the last
            break
    header = struct.pack("=Ii", 0x20080522, 0)
    data = struct.pack("=6I", 0, 0, 0, 0, 0, 0)
    _check(_libc.capset(ctypes.c_char_p(header), ctypes.c_char_p(data)), "capset")
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")


def set_limits(limits: dict) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu"], limits["cpu"] + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file"], limits["file"]))
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"], limits["open_files"]))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _die_with_parent() -> None:
    parent = os.getppid()
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


def _exit_as(status: int) -> None:
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status))


def _init(worker: int) -> None:
    """PID 1 of the worker's namespace: wait for the worker, then end, and the kernel ends every
    process left in the namespace with it."""
    os.closerange(3, 1 << 16)
    while True:
        try:
            pid, status = os.waitpid(-1, 0)
        except ChildProcessError:
            os._exit(1)
        if pid == worker:
            _exit_as(status)


def become_worker(request: dict, fds: list[int]) -> None:
    """In the forked child: the namespaces, the mounts, the limits; returns in the worker, PID 2
    of its namespace (PID 1 waits for it), ready to serve (fds 0, 1, 2: requests, replies, stderr)."""
    _die_with_parent()
    proto_in, proto_out, stderr, hello = fds
    os.dup2(stderr, 2)
    set_apart(request["folder"])
    pid = os.fork()
    if pid:  # the child in the parent's namespace: ends as the namespace's PID 1 ends
        for fd in fds:
            os.close(fd)
        _, status = os.waitpid(pid, 0)
        _exit_as(status)
    _die_with_parent()
    mount_own_proc()
    drop_capabilities()
    os.setsid()
    sock = socket.socket(fileno=hello)
    sock.sendall(b"h")  # the grader reads PID 1's pid off this message (SO_PASSCRED)
    sock.close()
    worker = os.fork()
    if worker:
        os.dup2(os.open(os.devnull, os.O_RDWR), 0)
        os.dup2(0, 1)
        _init(worker)
    _die_with_parent()
    set_limits(request["limits"])
    os.dup2(proto_in, 0)
    os.dup2(proto_out, 1)
    for fd in (proto_in, proto_out, stderr):
        if fd > 2:
            os.close(fd)
    os.chdir("/sandbox/work")  # the environment is the parent's: a fresh worker's, as bubblewrap set it
    _reseed()


def _reseed() -> None:
    """A fresh worker's generators start from a seed of its own (Python's random reseeds itself
    after a fork); a child would otherwise share its parent's, and every sibling's."""
    import numpy
    import torch

    torch.seed()
    numpy.random.seed()


def self_test() -> str:
    """Fork once as for a worker, in an empty folder, and report what failed ("" when nothing)."""
    os.makedirs(os.path.join(SPOOL, "self-test", "pkg"), exist_ok=True)
    for name in ("work", "home", "tmp"):
        os.makedirs(os.path.join(SPOOL, "self-test", name), exist_ok=True)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            _die_with_parent()
            set_apart("self-test")
            inner = os.fork()
            if inner:
                _, status = os.waitpid(inner, 0)
                os._exit(0)
            mount_own_proc()
            drop_capabilities()
            seen = sorted(os.listdir(SPOOL)) + [str(os.getpid())]
            os.write(write, json.dumps(seen).encode())
        except BaseException as exc:  # noqa: BLE001 - reported to the grader
            os.write(write, json.dumps(f"{type(exc).__name__}: {exc}").encode())
        os._exit(0)
    os.close(write)
    answer = b""
    while chunk := os.read(read, 4096):
        answer += chunk
    os.close(read)
    os.waitpid(pid, 0)
    try:
        seen = json.loads(answer or b'"no answer"')
    except ValueError:
        seen = "no answer"
    if seen != ["1"]:
        return seen if isinstance(seen, str) else f"the child saw {seen}"
    return ""


def _receive(control: socket.socket) -> tuple[dict, list[int]] | None:
    """One request: a JSON line, its descriptors on its first byte."""
    data, fds = b"", []
    while not data.endswith(b"\n"):
        msg, anc, _, _ = control.recvmsg(65536, socket.CMSG_SPACE(16 * 4))
        if not msg:
            return None
        for level, kind, payload in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds += list(struct.unpack(f"{len(payload) // 4}i", payload[:len(payload) // 4 * 4]))
        data += msg
    return json.loads(data), fds


def _reap(signum=None, frame=None) -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    control = socket.socket(fileno=os.dup(0))
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    threads = int(sys.argv[1])
    problem = self_test()
    control.sendall((json.dumps({"ready": not problem, "problem": problem}) + "\n").encode())
    if problem:
        return
    runtime = os.path.dirname(os.path.abspath(__file__))
    sys.path.insert(0, runtime)
    import worker_main

    sys.path.remove(runtime)
    sys.modules.pop("worker_main", None)
    sys.dont_write_bytecode = True
    import torch

    torch.set_num_threads(threads)
    worker_main.preload()
    instruments = worker_main.load_instruments(runtime)
    signal.signal(signal.SIGCHLD, _reap)
    while True:
        received = _receive(control)
        if received is None:
            return
        request, fds = received
        _reap()
        if len(fds) != 4 or not one_thread():
            os._exit(3)  # never fork a threaded parent: the grader starts fresh workers instead
        if os.fork() == 0:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            control.close()
            try:
                become_worker(request, fds)
            except BaseException as exc:  # noqa: BLE001 - the grader reads this as a failed start
                os.write(2, f"dlgrader: the worker could not be set apart: {exc}\n".encode())
                os._exit(126)
            sys.argv = ["worker_main.py", "/sandbox/pkg", str(threads)]
            try:
                worker_main.serve(*worker_main._private_streams(), "/sandbox/pkg", instruments)
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)


if __name__ == "__main__":
    main()
