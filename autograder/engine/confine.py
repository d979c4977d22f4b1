"""Confinement of a worker where bubblewrap is not available: Landlock, seccomp, another user.

Run as a launcher, ``python -I -S confine.py SPEC -- ARGV...``: it confines itself as SPEC
(JSON) says, then execs ARGV (the worker's interpreter) in the same process, so that
everything the worker ever runs is confined, from its first instruction on. It imports
the standard library only, runs in a process of its own (not in a ``preexec_fn`` after a
fork of the threaded grader), and ends with status 126 instead of exec'ing when a
confinement it was asked for cannot be applied: a worker never runs less confined than
its report says.

In this order:

1. another user (the grader runs as root): ``nobody`` (``DLGRADER_WORKER_UID``/``_GID``
   to change it), no supplementary groups. Where the interpreter lives in a folder that
   user cannot enter (``/root/.pyenv``), the worker keeps one capability,
   ``CAP_DAC_READ_SEARCH`` (read any file), and only together with Landlock, which
   then decides alone what it reads;
2. ``no_new_privs``;
3. Landlock (the best ABI the kernel has): write only under the worker's own folders,
   read and execute only the interpreter, its packages, /usr, /lib*, a few files of
   /etc, a few devices, the data, the worker's runtime and the submission; of /proc, the
   listing of its folders, the worker's own ``/proc/PID`` (``/proc/self``) and a few
   files of the whole system (``PROC_FILES``), not the files of any other process (their
   command lines name the grader's folders); no TCP bind or connect (ABI 4); no signals
   to, and no abstract sockets of, processes outside the sandbox (ABI 6);
4. a seccomp filter: ``socket()`` for any family but AF_UNIX, ``connect()``, ptrace,
   ``process_vm_*``, bpf, io_uring, mounts, namespaces (``unshare``, ``setns``, clone
   with CLONE_NEW*), kernel modules, keyrings, perf and handles (``open_by_handle_at``)
   fail with EACCES or EPERM; another architecture's system calls kill the process.
"""
from __future__ import annotations

import ctypes
import json
import os
import platform
import signal
import stat
import struct
import sys

# --- Landlock ------------------------------------------------------------------------------
SYS_LANDLOCK_CREATE_RULESET, SYS_LANDLOCK_ADD_RULE, SYS_LANDLOCK_RESTRICT_SELF = 444, 445, 446
LANDLOCK_CREATE_RULESET_VERSION = 1
LANDLOCK_RULE_PATH_BENEATH = 1

FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_CHAR, FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK, FS_MAKE_SYM = 1 << 8, 1 << 9, 1 << 10, 1 << 11, 1 << 12
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1

FS_ABI1 = (1 << 13) - 1  # EXECUTE .. MAKE_SYM
FILE_ONLY = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
READ_EXEC = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR
READ_ONLY = FS_READ_FILE | FS_READ_DIR
READ_WRITE = (FS_ABI1 | FS_REFER | FS_TRUNCATE) & ~(FS_EXECUTE | FS_MAKE_CHAR | FS_MAKE_BLOCK)
DEVICE_RW = FS_READ_FILE | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _syscall(*args) -> int:
    return _libc.syscall(*[ctypes.c_long(a) if isinstance(a, int) else a for a in args])


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 without Landlock."""
    if platform.system() != "Linux" or platform.machine() not in ARCHES:
        return 0
    version = _syscall(SYS_LANDLOCK_CREATE_RULESET, None, 0, LANDLOCK_CREATE_RULESET_VERSION)
    return max(0, version)


def _fs_rights(abi: int) -> int:
    rights = FS_ABI1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


# What a worker reads of /proc besides its own /proc/PID: files of the whole system (the CPUs,
# the memory, the kernel's settings under /proc/sys, the GPU driver's). The process folders of
# others stay unreadable: their command lines name the grader's class and output folders.
PROC_FILES = ("cpuinfo", "meminfo", "stat", "loadavg", "uptime", "version", "filesystems", "swaps", "cgroups",
              "devices", "vmstat", "pressure", "sys", "driver")
_PINNED: list[int] = []  # O_PATH descriptors of the /proc rules, kept open across exec (see proc_rules)


def proc_rules() -> list[tuple[str, int]]:
    """(path, rights) for /proc: the listing of its folders (READ_DIR beneath /proc, which lets
    no file be read), and reading beneath this process's own /proc/PID (the worker's: confine.py
    execs it in place, so /proc/self stays this folder) and beneath PROC_FILES.

    A procfs folder gets a new inode when its dentry is looked up again after the kernel dropped
    it, and a Landlock rule is tied to the inode: each rule's path is therefore held open (an
    O_PATH descriptor, inherited by the worker) so that its dentry, and the rule with it, lasts as
    long as the worker."""
    paths = [f"/proc/{os.getpid()}"] + [f"/proc/{name}" for name in PROC_FILES]
    for path in paths:
        try:
            fd = os.open(path, os.O_PATH)
        except OSError:
            continue
        os.set_inheritable(fd, True)
        _PINNED.append(fd)
    return [("/proc", FS_READ_DIR)] + [(path, READ_ONLY) for path in paths]


def landlock_ruleset(spec: dict, abi: int) -> int:
    """A ruleset fd for SPEC's paths ({"read_exec", "read", "write", "devices_rw"}: lists; "proc":
    true for the rules of proc_rules)."""
    handled = _fs_rights(abi)
    net = (NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0
    scoped = (SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0
    attr = struct.pack("QQQ", handled, net, scoped)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    fd = _syscall(SYS_LANDLOCK_CREATE_RULESET, ctypes.c_char_p(attr), size, 0)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    rules = [(path, rights) for key, rights in (("read_exec", READ_EXEC), ("read", READ_ONLY),
                                                ("write", READ_WRITE), ("devices_rw", DEVICE_RW))
             for path in spec.get(key, [])]
    if spec.get("proc"):
        rules += proc_rules()
    for path, rights in rules:
        try:
            target = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue  # /lib32 where there is none: nothing to allow
        try:
            allowed = rights & handled
            if not stat.S_ISDIR(os.fstat(target).st_mode):
                allowed &= FILE_ONLY
            rule = struct.pack("=Qi", allowed, target)
            if _syscall(SYS_LANDLOCK_ADD_RULE, fd, LANDLOCK_RULE_PATH_BENEATH, ctypes.c_char_p(rule), 0) < 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
        finally:
            os.close(target)
    return fd


def landlock_restrict(fd: int) -> None:
    if _syscall(SYS_LANDLOCK_RESTRICT_SELF, fd, 0) < 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    os.close(fd)


# --- seccomp -------------------------------------------------------------------------------
AUDIT_ARCH_X86_64, AUDIT_ARCH_AARCH64 = 0xC000003E, 0xC00000B7
# name: (x86_64, aarch64)
SYSCALLS = {
    "socket": (41, 198), "connect": (42, 203), "clone": (56, 220), "clone3": (435, 435),
    "ptrace": (101, 117), "process_vm_readv": (310, 270), "process_vm_writev": (311, 271), "bpf": (321, 280),
    "mount": (165, 40), "umount2": (166, 39), "pivot_root": (155, 41), "chroot": (161, 51),
    "unshare": (272, 97), "setns": (308, 268), "open_tree": (428, 428), "move_mount": (429, 429),
    "fsopen": (430, 430), "fsconfig": (431, 431), "fsmount": (432, 432), "fspick": (433, 433),
    "mount_setattr": (442, 442), "io_uring_setup": (425, 425), "io_uring_enter": (426, 426),
    "io_uring_register": (427, 427), "keyctl": (250, 219), "add_key": (248, 217), "request_key": (249, 218),
    "perf_event_open": (298, 241), "userfaultfd": (323, 282), "kexec_load": (246, 104),
    "kexec_file_load": (320, 294), "init_module": (175, 105), "finit_module": (313, 273),
    "delete_module": (176, 106), "open_by_handle_at": (304, 265), "name_to_handle_at": (303, 264),
    "swapon": (167, 224), "swapoff": (168, 225), "reboot": (169, 142), "acct": (163, 89),
}
ARCHES = {"x86_64": (0, AUDIT_ARCH_X86_64), "aarch64": (1, AUDIT_ARCH_AARCH64), "arm64": (1, AUDIT_ARCH_AARCH64)}
DENIED = ("ptrace", "process_vm_readv", "process_vm_writev", "bpf", "mount", "umount2", "pivot_root", "chroot",
          "unshare", "setns", "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick",
          "mount_setattr", "io_uring_setup", "io_uring_enter", "io_uring_register", "keyctl", "add_key",
          "request_key", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "init_module",
          "finit_module", "delete_module", "open_by_handle_at", "name_to_handle_at", "swapon", "swapoff",
          "reboot", "acct")
CLONE_NEW_ANY = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
AF_UNIX = 1
EPERM, EACCES, ENOSYS = 1, 13, 38
RET_ALLOW, RET_ERRNO, RET_KILL_PROCESS = 0x7FFF0000, 0x00050000, 0x80000000
LD_W_ABS, JEQ_K, JGE_K, JSET_K, RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
PR_SET_PDEATHSIG, PR_SET_KEEPCAPS, PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, PR_CAP_AMBIENT = 1, 8, 38, 22, 47
SECCOMP_MODE_FILTER = 2


def seccomp_program() -> bytes:
    """The filter as BPF instructions (struct sock_filter: u16 code, u8 jt, u8 jf, u32 k)."""
    column, audit_arch = ARCHES[platform.machine()]
    nr = {name: numbers[column] for name, numbers in SYSCALLS.items()}
    ins: list[tuple[int, int, int, int]] = [
        (LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (JEQ_K, 1, 0, audit_arch),
        (RET_K, 0, 0, RET_KILL_PROCESS),
        (LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
    ]
    if column == 0:  # the x32 ABI shares x86_64's audit arch: its numbers have bit 30 set
        ins += [(JGE_K, 0, 1, 0x40000000), (RET_K, 0, 0, RET_ERRNO | EPERM)]
    for name in DENIED:
        ins += [(JEQ_K, 0, 1, nr[name]), (RET_K, 0, 0, RET_ERRNO | EPERM)]
    ins += [(JEQ_K, 0, 1, nr["connect"]), (RET_K, 0, 0, RET_ERRNO | EACCES)]
    ins += [(JEQ_K, 0, 1, nr["clone3"]), (RET_K, 0, 0, RET_ERRNO | ENOSYS)]  # glibc falls back to clone
    ins += [(JEQ_K, 0, 4, nr["socket"]), (LD_W_ABS, 0, 0, 16),  # args[0], the family
            (JEQ_K, 0, 1, AF_UNIX), (RET_K, 0, 0, RET_ALLOW), (RET_K, 0, 0, RET_ERRNO | EACCES)]
    ins += [(JEQ_K, 0, 4, nr["clone"]), (LD_W_ABS, 0, 0, 16),  # args[0], the flags (both arches)
            (JSET_K, 0, 1, CLONE_NEW_ANY), (RET_K, 0, 0, RET_ERRNO | EPERM), (RET_K, 0, 0, RET_ALLOW)]
    ins += [(RET_K, 0, 0, RET_ALLOW)]
    return b"".join(struct.pack("=HBBI", *i) for i in ins)


def seccomp_available() -> bool:
    """Filters are supported: /proc/self/status has Seccomp_filters (CONFIG_SECCOMP_FILTER)."""
    if platform.machine() not in ARCHES:
        return False
    try:
        with open("/proc/self/status") as status:
            return any(line.startswith("Seccomp:") for line in status)
    except OSError:
        return False


def seccomp_install(program: bytes) -> None:
    buf = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(program) // 8, ctypes.addressof(buf))
    if _libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "seccomp")


# --- the user ------------------------------------------------------------------------------
CAP_DAC_READ_SEARCH = 2
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


def worker_user(uid: str = "", gid: str = "") -> tuple[int, int] | None:
    """The unprivileged user a root grader runs workers as (``uid``/``gid``: the settings
    DLGRADER_WORKER_UID/_GID, read by the grader); None when the grader is not root."""
    if os.geteuid() != 0:
        return None
    if not uid:
        try:
            import pwd

            entry = pwd.getpwnam("nobody")
            return entry.pw_uid, int(gid or entry.pw_gid)
        except (ImportError, KeyError):
            return 65534, int(gid or 65534)
    return int(uid), int(gid or uid)


def become(uid: int, gid: int, keep_read: bool) -> None:
    if keep_read:
        _libc.prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if keep_read:
        header = struct.pack("=Ii", _LINUX_CAPABILITY_VERSION_3, 0)
        bit = 1 << CAP_DAC_READ_SEARCH
        data = struct.pack("=6I", bit, bit, bit, 0, 0, 0)  # effective, permitted, inheritable (x2 words)
        if _syscall(SYS_CAPSET[platform.machine()], ctypes.c_char_p(header), ctypes.c_char_p(data)) < 0:
            raise OSError(ctypes.get_errno(), "capset")
        if _libc.prctl(PR_CAP_AMBIENT, 2, CAP_DAC_READ_SEARCH, 0, 0) != 0:  # PR_CAP_AMBIENT_RAISE
            raise OSError(ctypes.get_errno(), "PR_CAP_AMBIENT")
    if os.getuid() != uid or os.geteuid() != uid or os.getgid() != gid:
        raise OSError("the worker's user was not taken")


SYS_CAPSET = {"x86_64": 126, "aarch64": 91, "arm64": 91}


def die_with_parent(parent: int) -> None:
    """A change of user clears the parent-death signal set before: set it again."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


# --- the launcher --------------------------------------------------------------------------
def apply(spec: dict) -> None:
    """Confine this process as SPEC says; raises when a part asked for cannot be applied."""
    parent = os.getppid()
    ruleset = None
    if spec.get("landlock"):
        abi = landlock_abi()
        if abi < 1:
            raise OSError("Landlock is not available")
        ruleset = landlock_ruleset(spec, abi)  # before the change of user: paths open as root
    program = seccomp_program() if spec.get("seccomp") else None
    if spec.get("user"):
        uid, gid = spec["user"]
        become(uid, gid, bool(spec.get("keep_read")))
        die_with_parent(parent)
    if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "no_new_privs")
    if ruleset is not None:
        landlock_restrict(ruleset)
    if program is not None:
        seccomp_install(program)


def main(argv: list[str]) -> None:
    if len(argv) < 4 or argv[2] != "--":
        sys.stderr.write("usage: confine.py SPEC -- ARGV...\n")
        os._exit(2)
    try:
        apply(json.loads(argv[1]))
    except Exception as exc:  # noqa: BLE001 - never run the worker less confined than asked
        sys.stderr.write(f"dlgrader: the worker could not be confined: {exc}\n")
        sys.stderr.flush()
        os._exit(126)
    os.execv(argv[3], argv[3:])


if __name__ == "__main__":
    main(sys.argv)
