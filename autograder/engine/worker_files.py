"""Reading what student code wrote into its worker folder, from the grader's side, safely.

The worker's folder is written by student code, so any name in it may be a symbolic link
to a host file (``/etc/shadow``, a hidden check, another student's logs), a FIFO that blocks
a reader, or a file of gigabytes. Every read the grader makes there goes through this module:

- paths are relative to the folder and never contain ``..`` or an absolute part;
- every component is opened with ``O_NOFOLLOW`` relative to its parent (``openat``), so a
  link anywhere on the way is refused, not followed, and the path cannot be swapped for a
  link between a check and the open;
- only regular files are read (``fstat`` on the opened descriptor), at most ``limit`` bytes;
- listings use ``lstat`` only and stop at ``max_entries``.

A refusal raises ``UnsafeFile`` with a plain reason, which a check turns into a failure of
its own function ("... is a link, not a file").
"""
from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

DEFAULT_LIMIT = 16 * 1024 * 1024
MAX_ENTRIES = 2000


class UnsafeFile(Exception):
    """A file the grader will not read: a link, not a regular file, too large, or missing."""

    def __init__(self, relpath: str, reason: str):
        super().__init__(f"{relpath}: {reason}")
        self.relpath, self.reason = relpath, reason


def _parts(relpath) -> list[str]:
    path = PurePosixPath(str(relpath))
    if path.is_absolute() or any(p in ("..", "") for p in path.parts):
        raise UnsafeFile(str(relpath), "not a path inside the worker's folder")
    return [p for p in path.parts if p != "."]


def _open_dir(root: Path, parts: list[str], relpath: str) -> int:
    """A descriptor of the folder ``root/parts``, every component opened without following links."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        for part in parts:
            try:
                nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=fd)
            except FileNotFoundError:
                raise UnsafeFile(relpath, "missing") from None
            except (NotADirectoryError, OSError):
                raise UnsafeFile(relpath, "a link or not a folder") from None
            os.close(fd)
            fd = nxt
        return fd
    except BaseException:
        os.close(fd)
        raise


def read_bytes(root: Path, relpath, limit: int = DEFAULT_LIMIT) -> bytes:
    """The bytes of the regular file ``root/relpath``; raises UnsafeFile when it is missing, a
    link (anywhere on its path), not a regular file, or larger than ``limit`` bytes."""
    parts = _parts(relpath)
    if not parts:
        raise UnsafeFile(str(relpath), "not a file")
    dir_fd = _open_dir(Path(root), parts[:-1], str(relpath))
    try:
        try:
            fd = os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=dir_fd)
        except FileNotFoundError:
            raise UnsafeFile(str(relpath), "missing") from None
        except OSError:  # ELOOP: a link
            raise UnsafeFile(str(relpath), "a link, not a file") from None
    finally:
        os.close(dir_fd)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafeFile(str(relpath), "not a regular file")
        if info.st_size > limit:
            raise UnsafeFile(str(relpath), f"larger than {limit // 1024} KB")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        if len(data) > limit:  # grew while we read
            raise UnsafeFile(str(relpath), f"larger than {limit // 1024} KB")
        return data
    finally:
        os.close(fd)


def kind(root: Path, relpath) -> str:
    """``"file"``, ``"folder"``, ``"link"``, ``"other"`` or ``"missing"``, without following links."""
    try:
        parts = _parts(relpath)
    except UnsafeFile:
        return "missing"
    if not parts:
        return "folder"
    try:
        dir_fd = _open_dir(Path(root), parts[:-1], str(relpath))
    except UnsafeFile as exc:
        return "missing" if exc.reason == "missing" else "link"
    try:
        info = os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return "missing"
    finally:
        os.close(dir_fd)
    if stat.S_ISLNK(info.st_mode):
        return "link"
    if stat.S_ISREG(info.st_mode):
        return "file"
    if stat.S_ISDIR(info.st_mode):
        return "folder"
    return "other"


def size(root: Path, relpath) -> int:
    """The size of a regular file (0 when it is not one), without following links."""
    if kind(root, relpath) != "file":
        return 0
    parts = _parts(relpath)
    dir_fd = _open_dir(Path(root), parts[:-1], str(relpath))
    try:
        return os.stat(parts[-1], dir_fd=dir_fd, follow_symlinks=False).st_size
    finally:
        os.close(dir_fd)


def walk(root: Path, relpath=".", max_entries: int = MAX_ENTRIES, max_depth: int = 8) -> list[tuple[str, str]]:
    """``[(relative path, kind), ...]`` under ``root/relpath``, sorted, links listed but never
    entered; raises UnsafeFile past ``max_entries`` entries."""
    out: list[tuple[str, str]] = []
    base = _parts(relpath)

    def visit(parts: list[str], depth: int) -> None:
        fd = _open_dir(Path(root), parts, "/".join(parts) or ".")
        try:
            with os.scandir(fd) as entries:
                names = []
                for entry in entries:
                    names.append(entry.name)
                    if len(out) + len(names) > max_entries:
                        raise UnsafeFile("/".join(parts) or ".", f"more than {max_entries} entries")
            for name in sorted(names):
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
                if stat.S_ISLNK(info.st_mode):
                    what = "link"
                elif stat.S_ISREG(info.st_mode):
                    what = "file"
                elif stat.S_ISDIR(info.st_mode):
                    what = "folder"
                else:
                    what = "other"
                out.append(("/".join([*parts[len(base):], name]), what))
                if what == "folder" and depth < max_depth:
                    visit([*parts, name], depth + 1)
        finally:
            os.close(fd)

    visit(base, 0)
    return out
