"""./grade.sh bulk INPUT --out DIR [--jobs N] [--hidden] [--force]

Each submission is graded by the same engine as ``./grade.sh grade``, in a pool
of grader processes that import torch and pytest once. Each result is written
atomically to DIR/results/<student>.json as soon as it is graded, with the hash
of what was graded, so a run that is stopped (even with kill -9) and started
again grades only what is missing or changed. The gradebook, summary, feedback
files and plots are then rebuilt from the results folder.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from multiprocessing import get_context
from pathlib import Path

from ..reports.files import write_json
from .sources import StudentFiles, discover

CHECKS_DIR = Path(__file__).resolve().parents[1] / "checks"


def grader_version(suite: str) -> str:
    """A hash of the checks, so changed checks regrade everything."""
    h = hashlib.sha256(suite.encode())
    for path in sorted((CHECKS_DIR).rglob("*.py")) + sorted((CHECKS_DIR.parent / "engine" / "worker").glob("*.py")):
        if "hidden" in path.parts and suite != "hidden":
            continue
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def submission_hash(student: StudentFiles, version: str) -> str:
    h = hashlib.sha256(version.encode())
    for name in sorted(student.files):
        data = student.files[name]
        h.update(name.encode() + b"\0" + (b"<not a file>" if data is None else hashlib.sha256(data).digest()))
    for p in student.problems:
        h.update(p.encode())
    return h.hexdigest()


# --- in the pool ------------------------------------------------------------------
def _warm(bulk_pid: int) -> None:
    """Pool initializer: end with the bulk run (even on kill -9), and pay the imports once
    per grader process rather than once per submission."""
    from ..engine.sandbox import die_with_parent

    die_with_parent()  # our parent is the forkserver
    threading.Thread(target=_end_with, args=(bulk_pid, os.getppid()), daemon=True).start()
    import torch  # noqa: F401
    import pytest  # noqa: F401

    from multiprocessing import util

    from ..engine.client import warm_grader

    warm_grader()
    util.Finalize(None, _discard_spare, exitpriority=10)  # a pool process that ends ends its spare

    from ..grading import runner  # noqa: F401


def _end_with(bulk_pid: int, forkserver_pid: int) -> None:
    """The forkserver outlives a bulk run killed with SIGKILL: once the run is gone, end the
    forkserver and this process (workers of student code die with their grader)."""
    while True:
        time.sleep(1)
        try:
            os.kill(bulk_pid, 0)
        except ProcessLookupError:
            break
        except PermissionError:
            continue
    for pid in (forkserver_pid, os.getpid()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


_SPARE: list = []  # the worker this grader process started for its next submission


def _next_spare(start_next: bool):
    """The spare worker started during the previous submission (None the first time), and,
    when more submissions are to come, a new one, started now, that imports torch while this
    submission is graded."""
    from ..engine import sandbox
    from ..engine.client import Spare
    from ..grading.grade import DATA_DIR

    taken = _SPARE.pop() if _SPARE else None
    if start_next:
        _SPARE.append(Spare(DATA_DIR, sandbox.Limits.from_env(), sandbox.choose_isolation()))
    return taken


def _discard_spare() -> None:
    while _SPARE:
        _SPARE.pop().discard()


def grade_one(student: StudentFiles, suite: str, lang: str, digest: str, out_dir: str,
              start_next: bool = True) -> dict:
    """Grade one student and write their files; returns the JSON report written. ``start_next``:
    whether this grader process is likely to grade another one (then its worker starts now)."""
    from ..engine.intake import from_files
    from ..grading.grade import grade
    from ..reports.gradescope import results_json
    from .outputs import feedback_markdown

    intake = from_files(student.files)
    report = grade(intake, suite=suite, spare=_next_spare(start_next) if intake.files else None)
    data = report.to_json(lang)
    data.update(student=student.student, hash=digest, status="graded", problems=student.problems,
                files=sorted(intake.files))
    if not student.files and not student.problems:
        data["problems"] = ["no exNN_*.py file found in this submission"]
    out = Path(out_dir)
    write_json(out / "gradescope" / f"{student.student}.json", results_json(report, lang))
    from ..reports.files import write_text

    write_text(out / "feedback" / f"{student.student}.md", feedback_markdown(data, lang))
    write_json(out / "results" / f"{student.student}.json", data)  # last: marks it done
    return data


# --- the driver -----------------------------------------------------------------------
def main(args) -> int:
    from ..cli import _lang
    from ..engine.sandbox import remove_abandoned_folders
    from ..course.bulk_hooks import Course
    from .outputs import write_outputs

    lang = _lang(args.lang)
    suite = "hidden" if args.hidden else "public"
    out = Path(args.out)
    try:
        course = Course.from_args(args)  # roster and late options, checked before grading
        students, problems, keep = discover(Path(args.input))
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"grade.sh bulk: {exc}", file=sys.stderr)
        return 2
    (out / "results").mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(out)
    remove_abandoned_folders()
    version = grader_version(suite)
    todo, done = [], 0
    for s in students:
        digest = submission_hash(s, version)
        previous = out / "results" / f"{s.student}.json"
        if not args.force and previous.exists():
            try:
                if json.loads(previous.read_text()).get("hash") == digest:
                    done += 1
                    continue
            except (json.JSONDecodeError, OSError):
                pass
        todo.append((s, digest))
    for p in problems:
        print(f"not read: {p}", file=sys.stderr)
    print(f"{len(students)} submissions: {done} already graded, {len(todo)} to grade with {args.jobs} jobs",
          file=sys.stderr)
    t0 = time.monotonic()
    _grade_all(todo, suite, lang, out, max(1, args.jobs))
    keep_names = {s.student for s in students}
    summary = write_outputs(out, keep_names, lang, input_problems=problems,
                            late=course.late_for(args.input, keep, students))
    course.finish(out, students, version, suite, graded={s.student for s, _ in todo})
    print(f"graded {len(todo)} in {time.monotonic() - t0:.1f} s; mean {summary['score']['mean']:.1f}, "
          f"median {summary['score']['median']:.1f} of {summary['max_score']}; gradebook: {out / 'gradebook.csv'}",
          file=sys.stderr)
    from ..course import index_page  # copied code (with --similarity), then DIR/index.html: keep last
    index_page.after_bulk(out, students, args)
    if keep is not None:
        keep.cleanup()
    return 0


def _grade_all(todo, suite, lang, out: Path, jobs: int) -> None:
    from tqdm import tqdm

    pending = list(todo)
    with tqdm(total=len(pending), unit="submission", file=sys.stderr, disable=not pending) as bar:
        while pending:
            ctx = get_context("forkserver")
            try:
                with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx, initializer=_warm,
                                         initargs=(os.getpid(),)) as pool:
                    # The last `jobs` submissions are each some process's last: no worker for a next one.
                    futures = {pool.submit(grade_one, s, suite, lang, d, str(out), i < len(pending) - jobs): (s, d)
                               for i, (s, d) in enumerate(pending)}
                    for fut in as_completed(futures):
                        s, d = futures[fut]
                        try:
                            fut.result()
                        except BrokenProcessPool:
                            raise
                        except Exception as exc:  # the grader failed on this one: record it, go on
                            _record_failure(out, s, d, exc)
                        pending.remove((s, d))
                        bar.update(1)
            except BrokenProcessPool:
                # A grader process died (never student code: that runs in workers). Record the
                # first unfinished submission as failed so a poison input cannot loop forever.
                if pending:
                    s, d = pending.pop(0)
                    _record_failure(out, s, d, RuntimeError("the grading process died"))
                    bar.update(1)


def _remove_stale_temporaries(out: Path) -> None:
    """Temporary files of a run that was killed mid-write (files are written to a
    temporary name, then renamed: the finished files are always whole)."""
    for folder in (out / "results", out / "feedback", out / "gradescope", out / "plots", out):
        for tmp in folder.glob(".*"):
            if tmp.is_file():
                tmp.unlink(missing_ok=True)


def _record_failure(out: Path, student: StudentFiles, digest: str, exc: BaseException) -> None:
    write_json(out / "results" / f"{student.student}.json", {
        "student": student.student, "hash": digest, "status": "grader-error", "score": 0, "bonus": 0,
        "problems": student.problems + [f"{type(exc).__name__}: {exc}"], "tests": [], "exercises": {},
    })
