"""The processes a grading process leaves behind: it becomes their subreaper, reaps the ones that
have ended, and ends the rest.

A worker of student code can double-fork or call setsid; as a subreaper, the process that started
it gets those orphans re-parented to it instead of to PID 1, so nothing a submission started
outlives its grading. One place for the grader process (engine/client.py), the keeper
(engine/warm.py), Ctrl-C (cli.py) and a cluster node's ``./grade.sh worker`` (bulk/cluster.py).
"""
from __future__ import annotations

import ctypes
import os
import time

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphans of this process's descendants are re-parented to it (Linux; elsewhere nothing)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def reap_ended() -> None:
    """Collect every child that has ended already, without waiting for the others."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_all() -> None:
    """SIGKILL every descendant of this process (its children, theirs, and the orphans re-parented
    to it), wherever it is now; one that has ended meanwhile is passed over."""
    try:
        import psutil
    except ImportError:  # the environment is being set up: nothing was started yet
        return
    for child in psutil.Process().children(recursive=True):
        try:
            child.kill()
        except psutil.Error:
            pass


def wait_for_all(seconds: float) -> None:
    """Reap children until none is left; after ``seconds``, SIGKILL every one still running."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid:
            continue
        if time.monotonic() > deadline:
            kill_all()
        time.sleep(0.1)
