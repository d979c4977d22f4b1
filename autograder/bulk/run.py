"""./grade.sh bulk INPUT --out DIR [--jobs N] [--hidden] [--force] [--max-students N]

Each submission is graded by the same engine as ``./grade.sh grade``, in a pool
of grader processes that import torch and pytest once. Each result is written
atomically to DIR/results/<student>.json as soon as it is graded, with the hash
of what was graded, so a run that is stopped (even with kill -9) and started
again grades only what is missing or changed. The gradebook, summary, feedback
files and plots are then rebuilt from the results folder.

The driver hands each grader process one submission at a time and knows which one
it holds: a grader process that dies (student code runs in its worker, but under
process isolation it can still signal its parent) takes only that submission
with it. That submission is graded again, alone, in a fresh process once the
others are done, and recorded as failing (``grader-process-ended``, 0 points)
when that process dies too.
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import threading
import time
from multiprocessing import get_context
from pathlib import Path

from ..reports.files import write_json
from .sources import MAX_STUDENTS, StudentFiles, discover, shown, submission_hash

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


# --- in the pool ------------------------------------------------------------------
def _warm(bulk_pid: int) -> None:
    """Pool initializer: end with the bulk run (even on kill -9), and pay the imports once
    per grader process rather than once per submission."""
    from ..engine.sandbox import die_with_parent

    die_with_parent()  # our parent is the forkserver
    threading.Thread(target=_end_with, args=(bulk_pid, os.getppid()), daemon=True).start()
    from multiprocessing import util

    from ..engine import preloaded
    from ..grading.grade import DATA_DIR

    preloaded.start(DATA_DIR)  # first: it imports torch while we import the rest
    util.Finalize(None, preloaded.stop, exitpriority=9)  # after the spare (10)
    import pytest  # noqa: F401
    import torch  # noqa: F401

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
    from ..grading.grade import start_spare

    taken = _SPARE.pop() if _SPARE else None
    if start_next:
        _SPARE.append(start_spare())
    return taken


def _discard_spare() -> None:
    while _SPARE:
        _SPARE.pop().discard()


def grade_one(student: StudentFiles, suite: str, lang: str, digest: str, out_dir: str | None,
              start_next: bool = True) -> dict:
    """Grade one student and write their files; returns the JSON report written. ``start_next``:
    whether this grader process is likely to grade another one (then its worker starts now).
    ``out_dir`` None: nothing is written, the files' contents are returned (see graded_files), as a
    node of a cluster sends them back to the TA's machine (bulk/cluster.py)."""
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
    files = {"result": data, "gradescope": results_json(report, lang), "feedback": feedback_markdown(data, lang)}
    if out_dir is None:
        return files
    write_graded(Path(out_dir), student.student, files)
    return data


def write_graded(out: Path, student: str, files: dict) -> None:
    """A graded student's files in ``out``, each written atomically; the result last: it marks the student done."""
    from ..reports.files import write_text

    write_json(out / "gradescope" / f"{student}.json", files["gradescope"])
    write_text(out / "feedback" / f"{student}.md", files["feedback"])
    write_json(out / "results" / f"{student}.json", files["result"])


# --- the driver -----------------------------------------------------------------------
def grade_class(input: str | Path, out: str | Path, *, jobs: int = 2, hidden: bool = False, force: bool = False,
                lang: str = "en", max_students: int = MAX_STUDENTS, course=None, similarity: bool = False,
                similarity_threshold: float | None = None, against=(), grade_all=None) -> int:
    """Grade a class: ``input``, a folder or zip of submissions, into the folder ``out``; the exit
    status of ``./grade.sh bulk``. ``jobs`` grader processes; ``hidden``: the hidden checks;
    ``force``: regrade what is already graded; ``lang``: the feedback's language ("en" or "zh");
    ``max_students``: more submissions are refused before grading; ``course``: the LMS side
    (course/bulk_hooks.py's Course: roster, late policy; None for none); ``similarity``: compare
    the class for copied code afterwards (``similarity_threshold``, ``against`` earlier terms);
    ``grade_all``: what grades the submissions to grade, (todo, suite, lang, out) -> None, with a
    ``where`` attribute that says where (bulk/cluster.py's on_cluster: a Dask cluster's workers);
    None: the pool of ``jobs`` grader processes here."""
    from ..course.bulk_hooks import Course

    course = Course() if course is None else course
    suite = "hidden" if hidden else "public"
    out = Path(out)
    try:
        students, problems, keep = discover(Path(input), max_students=max_students or MAX_STUDENTS)
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"grade.sh bulk: {shown(str(exc))}", file=sys.stderr)
        return 2
    try:
        code = _run(input, students, problems, out, suite, lang, course, keep, jobs=jobs, force=force,
                    grade_all=grade_all)
        if code == 0:
            _after(out, students, jobs, similarity, similarity_threshold, against)
        return code
    finally:
        if keep is not None:
            keep.cleanup()


def _run(input, students, problems, out: Path, suite: str, lang: str, course, keep, jobs: int, force: bool,
         grade_all=None) -> int:
    from ..engine.sandbox import remove_abandoned_folders
    from .outputs import write_outputs

    (out / "results").mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(out)
    remove_abandoned_folders()
    version = grader_version(suite)
    todo, done = [], 0
    for s in students:
        digest = submission_hash(s, version)
        previous = out / "results" / f"{s.student}.json"
        if not force and previous.exists():
            try:
                if json.loads(previous.read_text()).get("hash") == digest:
                    done += 1
                    continue
            except (json.JSONDecodeError, OSError, UnicodeDecodeError):
                pass
        todo.append((s, digest))
    for p in problems:
        print(f"problem: {p}", file=sys.stderr)
    where = grade_all.where if grade_all is not None else f"with {jobs} jobs"
    print(f"{len(students)} submissions: {done} already graded, {len(todo)} to grade {where}", file=sys.stderr)
    t0 = time.monotonic()
    try:
        if grade_all is not None:
            grade_all(todo, suite, lang, out)
        else:
            _grade_all(todo, suite, lang, out, max(1, jobs))
    except RuntimeError as exc:
        print(f"grade.sh bulk: {exc}", file=sys.stderr)
        return 2
    keep_names = {s.student for s in students}
    summary = write_outputs(out, keep_names, lang, input_problems=problems,
                            late=course.late_for(input, keep, students))
    course.finish(out, students, version, suite, graded={s.student for s, _ in todo})
    for student, lines in summary["submission_problems"].items():
        for line in lines:
            print(f"problem: {student}: {line}", file=sys.stderr)
    print(f"graded {len(todo)} in {time.monotonic() - t0:.1f} s; mean {summary['score']['mean']:.1f}, "
          f"median {summary['score']['median']:.1f} of {summary['max_score']}; gradebook: {out / 'gradebook.csv'}",
          file=sys.stderr)
    return 0


def _after(out: Path, students, jobs: int, similarity: bool, threshold: float | None, against) -> None:
    """The end of a run: the similarity of the class when asked for, then DIR/index.html (last, so
    that the TA's page shows everything the run wrote)."""
    from ..course import index_page

    if similarity:
        from ..course import similarity as copied_code

        copied_code.after_bulk(out, students, threshold=threshold, against=against, jobs=jobs)
    elif against or threshold is not None:
        print("grade.sh bulk: --against and --similarity-threshold need --similarity; similarity not run",
              file=sys.stderr)
    print(f"class page: {index_page.write(out)}", file=sys.stderr)


def _pool_process(conn, bulk_pid: int) -> None:
    """A grader process of the pool: warm up, say so, then grade one submission at a time as the
    driver hands them over (it always knows which one each process holds)."""
    _warm(bulk_pid)
    conn.send(("ready", None))
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        try:
            graded = grade_one(*task)
            conn.send(("done", graded if task[4] is None else graded.get("status")))
        except Exception as exc:  # the grader failed on this one: the driver records it and goes on
            conn.send(("error", f"{type(exc).__name__}: {exc}"))
    _discard_spare()
    conn.close()


class _GraderProcess:
    def __init__(self, ctx, alone: bool = False):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_pool_process, args=(child, os.getpid()), daemon=True)
        self.proc.start()
        child.close()  # ours closed: the process's death reads as EOF here
        self.ready = False
        self.task = None  # (student, digest) being graded
        self.alone = alone  # grades one retried submission, then ends
        self.spent = False  # has been handed a submission

    def stop(self) -> None:
        """Ask it to end (it ends its spare worker first); it is joined by end()."""
        try:
            self.conn.send(None)
        except OSError:
            pass

    def end(self, timeout: float = 10) -> None:
        if self.proc.is_alive():
            self.stop()
            self.proc.join(timeout)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.conn.close()


def _grade_all(todo, suite, lang, out: Path, jobs: int) -> None:
    """Grade ``todo`` with ``jobs`` grader processes, one submission per process at a time. A
    process that dies takes only the submission it was grading with it: that one is retried
    once, alone (nothing else is graded meanwhile) in a fresh process after the others, then
    recorded as failing."""
    from multiprocessing.connection import wait

    from tqdm import tqdm

    ctx = get_context("forkserver")
    queue, retries = list(todo), []
    procs: list[_GraderProcess] = []
    stopped: list[_GraderProcess] = []  # asked to end, joined at the end
    failed_starts = 0
    with tqdm(total=len(queue), unit="submission", file=sys.stderr, disable=not queue) as bar:
        try:
            while queue or retries or procs:
                if queue:  # the pool: at most `jobs` processes, no more than there is work for
                    while len([p for p in procs if not p.alone]) < min(jobs, len(queue)):
                        procs.append(_GraderProcess(ctx))
                elif retries and not procs:  # alone: nothing else is being graded
                    procs.append(_GraderProcess(ctx, alone=True))
                for p in list(procs):
                    if not p.ready or p.task is not None:
                        continue
                    if p.alone and not p.spent and retries:
                        p.task = retries.pop(0)
                    elif not p.alone and queue:
                        p.task = queue.pop(0)
                    else:  # no more work for this one
                        p.stop()
                        procs.remove(p)
                        stopped.append(p)
                        continue
                    p.spent = True
                    s, d = p.task
                    # Each of the last `jobs` submissions is likely its process's last: no worker for a next one.
                    p.conn.send((s, suite, lang, d, str(out), not p.alone and len(queue) >= jobs))
                if not procs:
                    continue
                for conn in wait([p.conn for p in procs]):
                    p = next(p for p in procs if p.conn is conn)
                    try:
                        kind, value = conn.recv()
                    except (EOFError, OSError):  # the process died
                        p.proc.join(5)
                        procs.remove(p)
                        p.conn.close()
                        if not p.ready:
                            failed_starts += 1
                            if failed_starts >= 3:
                                raise RuntimeError("grader processes end as they start "
                                                   f"({_how_it_ended(p.proc.exitcode)})") from None
                            continue
                        if p.task is None:  # it died between two submissions: another one is started
                            continue
                        s, d = p.task
                        how = _how_it_ended(p.proc.exitcode)
                        if p.alone:
                            _record_death(out, s, d, how)
                            bar.update(1)
                        else:
                            retries.append(p.task)
                            bar.write(f"grade.sh bulk: the grader process ended ({how}) while grading {s.student}; "
                                      "it will be graded again, alone, after the others", file=sys.stderr)
                        continue
                    if kind == "ready":
                        p.ready = True
                        continue
                    s, d = p.task
                    p.task = None
                    if kind == "error":
                        _record_failure(out, s, d, value)
                    bar.update(1)
        finally:
            for p in procs:
                p.stop()
            for p in stopped + procs:
                p.end(timeout=10 if p in stopped else 2)


def _how_it_ended(exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            return f"killed by {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"killed by signal {-exitcode}"
    return f"exit code {exitcode}"


def _remove_stale_temporaries(out: Path) -> None:
    """Temporary files of a run that was killed mid-write (files are written to a
    temporary name, then renamed: the finished files are always whole)."""
    for folder in (out / "results", out / "feedback", out / "gradescope", out / "plots", out):
        for tmp in folder.glob(".*"):
            if tmp.is_file():
                tmp.unlink(missing_ok=True)


def _record_failure(out: Path, student: StudentFiles, digest: str, error: str, status: str = "grader-error") -> None:
    from ..assignment import MAX_SCORE
    from ..reports.files import write_text
    from .outputs import feedback_markdown
    from .sources import shown

    data = {"student": student.student, "hash": digest, "status": status, "score": 0, "bonus": 0,
            "max_score": MAX_SCORE, "problems": student.problems + [shown(error)], "tests": [], "exercises": {}}
    write_text(out / "feedback" / f"{student.student}.md", feedback_markdown(data, "en"))
    write_json(out / "results" / f"{student.student}.json", data)


def _record_death(out: Path, student: StudentFiles, digest: str, how: str) -> None:
    """Its grader process ended twice while grading it (once in the pool, once alone): a failing
    grade, so that a submission that ends its grader cannot stop the class or loop forever."""
    _record_failure(out, student, digest, f"the grader process ended ({how}) while grading this submission, "
                    "twice (the second time alone, in a fresh process); it is recorded with 0 points",
                    status="grader-process-ended")
