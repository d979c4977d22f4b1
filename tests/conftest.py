"""Shared helpers for the project's tests."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent

# Each test's ./grade.sh starts its own worker; tests/test_warm.py turns keeping one warm back on.
os.environ["DLGRADER_KEEP_WARM"] = "0"
GRADE = ROOT / "grade.sh"


def require_bwrap() -> bool:
    """CI installs bubblewrap and sets DLGRADER_REQUIRE_BWRAP=1: there a missing bwrap fails."""
    return os.environ.get("DLGRADER_REQUIRE_BWRAP") == "1"


def bwrap_or_skip():
    from autograder.engine import sandbox

    if sandbox.choose_isolation() == "bwrap":
        return
    if require_bwrap():
        pytest.fail("bubblewrap is required here (DLGRADER_REQUIRE_BWRAP=1) but does not work")
    pytest.skip("bubblewrap is not installed here; CI runs these with it")


def living_descendants(pid: int) -> list[tuple[psutil.Process, dict]]:
    """The processes under PID that are running now, each with what was read of it at once
    (its "name", "ppid" and "cmdline"). A child that has just ended (a zombie not yet reaped) or
    is gone between listing and reading is left out: a test that looks while processes come and
    go must not fail on the moment it looked."""
    found = []
    for p in psutil.Process(pid).children(recursive=True):
        try:
            with p.oneshot():
                if p.status() != psutil.STATUS_ZOMBIE:
                    found.append((p, {"name": p.name(), "ppid": p.ppid(), "cmdline": p.cmdline()}))
        except psutil.Error:  # ended since the listing (ZombieProcess and NoSuchProcess are Errors)
            pass
    return found


def still_running(p: psutil.Process) -> bool:
    """Whether P runs still: not ended, not a zombie waiting to be reaped."""
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def run_grade(*args, env=None, timeout=600):
    """Run ./grade.sh as a user would; returns the CompletedProcess."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([str(GRADE), *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=full_env, cwd=ROOT)


def grade_json(path, tmp_path, *extra, env=None):
    out = tmp_path / f"report-{len(list(tmp_path.iterdir()))}.json"
    done = run_grade("grade", path, "--json", out, *extra, env=env)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(out.read_text()), done


@pytest.fixture(scope="module", params=["bwrap", "process"])
def isolation(request):
    """Each hostile case runs under bubblewrap and as a plain process."""
    if request.param == "bwrap":
        bwrap_or_skip()
    return request.param


@pytest.fixture(scope="session")
def python():
    return sys.executable


@pytest.fixture
def copy_tree(tmp_path):
    def copy(src, name="sub"):
        dst = tmp_path / name
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__"))
        return dst
    return copy
