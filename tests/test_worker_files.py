"""The grader reads the worker's folder only as regular files inside it: links, FIFOs and
oversized files are refused, never followed or read."""
import os

import pytest

from autograder.engine import worker_files
from autograder.engine.worker_files import UnsafeFile


@pytest.fixture
def folder(tmp_path):
    work = tmp_path / "work"
    (work / "runs" / "a").mkdir(parents=True)
    (work / "ok.txt").write_bytes(b"hello")
    (work / "runs" / "a" / "events").write_bytes(b"x" * 10)
    secret = tmp_path / "secret.txt"
    secret.write_text("the hidden answer")
    os.symlink(secret, work / "link.txt")
    os.symlink(tmp_path, work / "up")
    os.symlink("/", work / "runs" / "root")
    os.mkfifo(work / "fifo")
    (work / "big.bin").write_bytes(b"\0" * 4096)
    return work


def test_regular_files_are_read(folder):
    assert worker_files.read_bytes(folder, "ok.txt") == b"hello"
    assert worker_files.read_bytes(folder, "runs/a/events") == b"x" * 10
    assert worker_files.kind(folder, "ok.txt") == "file"


@pytest.mark.parametrize("path", ["link.txt", "up/secret.txt", "runs/root/etc/passwd", "../secret.txt", "/etc/passwd"])
def test_links_and_escapes_are_refused(folder, path):
    with pytest.raises(UnsafeFile):
        worker_files.read_bytes(folder, path)


def test_fifo_and_oversized_files_are_refused_without_blocking(folder):
    with pytest.raises(UnsafeFile, match="not a regular file"):
        worker_files.read_bytes(folder, "fifo")
    with pytest.raises(UnsafeFile, match="larger than"):
        worker_files.read_bytes(folder, "big.bin", limit=1024)
    assert len(worker_files.read_bytes(folder, "big.bin", limit=4096)) == 4096


def test_kinds_and_walk_never_follow_links(folder):
    assert worker_files.kind(folder, "link.txt") == "link"
    assert worker_files.kind(folder, "up/secret.txt") == "link"
    assert worker_files.kind(folder, "nothing") == "missing"
    assert worker_files.kind(folder, "fifo") == "other"
    listed = dict(worker_files.walk(folder))
    assert listed["runs/root"] == "link" and listed["up"] == "link"
    assert not any(p.startswith(("runs/root/", "up/")) for p in listed)
    assert listed["runs/a/events"] == "file"
    with pytest.raises(UnsafeFile, match="entries"):
        worker_files.walk(folder, max_entries=3)
