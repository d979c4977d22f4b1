"""Bulk grading against one `./grade.sh grade` per submission, on the same machine and
the same class, measured in one run.

    python benchmarks/bulk.py [--students 8] [--jobs 2] [--no-in-a-row]

The class mixes complete solutions, an independent implementation, partial work and
untouched stubs. It prints the wall time per submission both ways and their ratio. The
single runs are timed twice: each started cold (DLGRADER_KEEP_WARM=0), and one after
another as a TA would type them, each served by the keeper the previous one left
(autograder/engine/warm.py; ``--no-in-a-row`` leaves those out). Last, the start-up of one
submission's worker (until it answers), as bulk's grader processes start it: forked from their
preloaded parent (autograder/engine/preloaded.py), once per submission of the class, against a
fresh confined interpreter (DLGRADER_PRELOADED_WORKERS=0), twice.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from keepers import end_keepers

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [ROOT / "solutions", ROOT / "tests" / "fixtures" / "independent", ROOT / "exercises"]


def make_class(folder: Path, n: int) -> list[Path]:
    subs = []
    for i in range(n):
        dst = folder / f"student-{i:03d}"
        dst.mkdir(parents=True)
        for f in sorted(SOURCES[i % len(SOURCES)].glob("ex0*.py")):
            shutil.copy(f, dst / f.name)
        if i % 4 == 3:  # partial work: the first four exercises done, the rest untouched
            for f in sorted((ROOT / "exercises").glob("ex0[5-8]*.py")):
                shutil.copy(f, dst / f.name)
        subs.append(dst)
    return subs


def timed(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def worker_startups(subs: list[Path], fresh: int = 2) -> tuple[list[float], list[float], str]:
    """Seconds from asking for a submission's worker to its first answer: forked from a preloaded
    parent, for each submission; fresh, for the first ``fresh`` ones. And the isolation used."""
    sys.path.insert(0, str(ROOT))
    from autograder.engine import preloaded, sandbox
    from autograder.engine.client import Submission, warm_grader
    from autograder.engine.intake import collect
    from autograder.grading.grade import DATA_DIR

    warm_grader()  # the grader's own imports: a pool process has done them before its first submission

    def startup(folder: Path) -> tuple[float, bool]:
        files = collect(folder).files
        t0 = time.perf_counter()
        sub = Submission(files, DATA_DIR)
        try:
            sub.start()
            sub._ensure_ready()
            return time.perf_counter() - t0, sub.process.forked
        finally:
            sub.close()

    forked = []
    if preloaded.start(DATA_DIR) is not None:
        startup(subs[0])  # the parent's own imports, paid once per grader process, not counted
        forked = [seconds for seconds, was_forked in map(startup, subs) if was_forked]
        preloaded.stop()
    fresh_runs = [startup(s)[0] for s in subs[:fresh]]
    return forked, fresh_runs, sandbox.choose_isolation()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--no-in-a-row", action="store_true", help="leave out the single runs served by keepers")
    args = parser.parse_args()
    grade = str(ROOT / "grade.sh")
    with tempfile.TemporaryDirectory(prefix="dlb") as tmp:
        cold = {**os.environ, "DLGRADER_KEEP_WARM": "0", "TMPDIR": tmp}
        warm = {**os.environ, "DLGRADER_KEEP_WARM": "5", "TMPDIR": tmp}
        klass = Path(tmp) / "class"
        subs = make_class(klass, args.students)

        def singles(env: dict) -> list[float]:
            return [timed([grade, "grade", str(s), "--hidden", "--json", str(Path(tmp) / f"{s.name}.json")], env)
                    for s in subs]

        try:
            cold_singles = singles(cold)
            warm_singles = [] if args.no_in_a_row else singles(warm)
        finally:
            end_keepers(tmp)
        bulk = timed([grade, "bulk", str(klass), "--out", str(Path(tmp) / "out"), "--jobs", str(args.jobs),
                      "--hidden"], cold)
        os.environ.update(DLGRADER_KEEP_WARM="0", TMPDIR=tmp)
        tempfile.tempdir = None
        forked, fresh, isolation = worker_startups(subs)
    n = len(subs)
    total, total_warm = sum(cold_singles), sum(warm_singles)
    print(f"{n} submissions, hidden checks")
    print(f"one ./grade.sh grade each, cold:        {total:7.1f} s in all, {total / n:5.1f} s per submission")
    if warm_singles:
        print(f"one ./grade.sh grade each, in a row:    {total_warm:7.1f} s in all, "
              f"{total_warm / n:5.1f} s per submission")
    print(f"./grade.sh bulk --jobs {args.jobs}:                {bulk:7.1f} s in all, {bulk / n:5.1f} s per submission")
    print(f"bulk / sum of cold singles:             {bulk / total:.2f}x")
    if warm_singles:
        print(f"bulk / sum of singles in a row:         {bulk / total_warm:.2f}x")
    print(f"isolation: {isolation}")
    if forked:
        print(f"worker start-up, forked (as in bulk):   median {statistics.median(forked):.2f} s "
              f"(min {min(forked):.2f}, max {max(forked):.2f}, {len(forked)} of {n} workers forked)")
    else:
        print("worker start-up, forked (as in bulk):   no preloaded parent here (not under bubblewrap, or off)")
    print(f"worker start-up, a fresh interpreter:   median {statistics.median(fresh):.2f} s ({len(fresh)} workers)")


if __name__ == "__main__":
    main()
