"""Runs the checks with pytest inside the grader's process.

The configuration is fixed here: our own ini file and rootdir, no plugin
autoloading, no cache, and only the check folders on the command line. Nothing
from the submission's folder is ever read by pytest. Each check's outcome is
taken from its own report: only an explicit pass counts.
"""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

from ..assignment import CHECK_FILES

CHECKS_DIR = Path(__file__).resolve().parent.parent / "checks"
SUITES = {"public": [CHECKS_DIR / "public"], "hidden": [CHECKS_DIR / "hidden"]}


def pytest_args(paths: list[Path], select: str | None = None) -> list[str]:
    args = [str(p) for p in paths]
    args += ["-c", str(CHECKS_DIR / "pytest.ini"), "--rootdir", str(CHECKS_DIR),
             "-p", "no:cacheprovider", "-p", "no:stepwise", "-p", "no:randomly",
             # These two call gc.collect() five times at the end, about a second with torch loaded;
             # what they report (exceptions in __del__ and threads of the grader) is not a grade.
             "-p", "no:unraisableexception", "-p", "no:threadexception", "-q", "-s",
             "--assert=plain", "-W", "ignore", "--tb=native"]  # only the exceptions are used, not the text
    if select:
        args += ["-k", select]
    return args


def check_paths(suite: str, exercises=None) -> list[Path]:
    """The suite's folders, or only the check files of ``exercises`` (assignment.select_exercises);
    the checks of other exercises in those files are left out by the plugin."""
    if not exercises:
        return SUITES[suite]
    wanted = {CHECK_FILES[ex] for ex in exercises}
    return [f for folder in SUITES[suite] for f in sorted(folder.glob("test_ex*_*.py")) if f.name[5:9] in wanted]


def run_checks(submission, suite: str, select: str | None = None, exercises=None, progress=None):
    """Run one suite against a Submission; returns the CheckResults in order. ``exercises``: only
    the checks of these (None: all); the submission's other modules are still there to import.
    ``progress``: see GraderPlugin. A Ctrl-C while the checks run is a KeyboardInterrupt here."""
    missing = [p for p in SUITES[suite] if not p.is_dir()]
    if missing:
        raise FileNotFoundError(f"the {suite} checks are not in this copy ({missing[0]}); "
                                "hidden checks ship only with the instructor's copy")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    os.environ.pop("PYTEST_ADDOPTS", None)
    os.environ.pop("PYTEST_PLUGINS", None)
    import pytest

    from .plugin import GraderPlugin

    plugin = GraderPlugin(submission, hidden=(suite == "hidden"), exercises=exercises, progress=progress)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = pytest.main(pytest_args(check_paths(suite, exercises), select), plugins=[plugin])
    if code == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt
    if code not in (0, 1) or not plugin.results:
        raise RuntimeError(f"the checks could not be collected (pytest exit {code}):\n{out.getvalue()[-3000:]}")
    return plugin.ordered_results()
