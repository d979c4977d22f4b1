"""Grade one submission folder with one suite of checks."""
from __future__ import annotations

import contextlib
import time
from pathlib import Path

from ..assignment import select_exercises
from ..engine import sandbox
from ..engine.client import Spare, Submission
from ..engine.intake import Intake, collect
from .causes import attribute
from .results import Report

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "data"


def grade(path: Path | Intake, suite: str = "public", limits: sandbox.Limits | None = None,
          data_dir: Path = DATA_DIR, isolation: str | None = None, select: str | None = None,
          spare=None, exercises=None, progress=None) -> Report:
    """Intake, a worker started at once (its start-up overlaps ours) or a spare one that is
    already started (bulk grading), the checks; then each failure caused by another module or
    function is said to be theirs (causes.py). ``exercises``: names of exercises (``["ex04"]``)
    whose checks alone run, the total then being over them (assignment.select_exercises; an
    unknown name raises ValueError before anything starts). ``progress``: see GraderPlugin."""
    exercises = select_exercises(exercises)
    t0 = time.monotonic()
    intake = path if isinstance(path, Intake) else collect(Path(path))
    sub = Submission(intake.files, data_dir, limits, isolation=isolation, broken=intake.broken, spare=spare)
    try:
        if intake.files:
            sub.start()
        from .runner import run_checks

        with grader_threads(sub.limits.threads):
            results = run_checks(sub, suite, select, exercises, progress=progress)
    finally:
        sub.close()
    attribute(results, intake.files)
    return Report(results=results, isolation=sub.isolation, suite=suite, notes=intake.notes, exercises=exercises,
                  seconds=time.monotonic() - t0)


def start_spare() -> Spare:
    """A worker started now, in an empty folder, for the next grade() of this process (bulk
    grading's pool, the keeper): it imports torch while the grader does something else."""
    return Spare(DATA_DIR, sandbox.Limits.from_env(), sandbox.choose_isolation())


@contextlib.contextmanager
def grader_threads(threads: int):
    """torch in the grader's process uses as many threads as the worker's (one): its tensors are
    small, and more threads only wait for cores that the worker and, in bulk grading, the other
    grader processes and their next workers are using (on two cores, one-threaded references
    took a third of the grader's CPU time of two-threaded ones). The setting is the process's
    own, so it is put back afterwards."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(max(1, threads))
    try:
        yield
    finally:
        torch.set_num_threads(before)
