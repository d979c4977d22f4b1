"""Grading on a Dask cluster against a local bulk run, on the same machine and the same class,
measured in one run.

    python benchmarks/cluster.py [--students 8] [--hidden]

The class is benchmarks/bulk.py's (complete solutions, an independent implementation, partial
work, stubs). It is graded by ``./grade.sh bulk --jobs 2``, then by ``./grade.sh bulk
--scheduler`` on a scheduler and two single-threaded grading workers started here
(``./grade.sh scheduler``, ``./grade.sh worker``; their start-up is timed apart: a cluster
outlives one run). Both start their grader processes cold. It prints both wall times, their
ratio and the distributed path's overhead per submission.
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from bulk import make_class, timed

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=8)
    parser.add_argument("--hidden", action="store_true", help="grade with the hidden checks")
    args = parser.parse_args()
    from distributed import Client

    grade = str(ROOT / "grade.sh")
    hidden = ["--hidden"] if args.hidden else []
    with tempfile.TemporaryDirectory(prefix="dlc") as tmp:
        env = {**os.environ, "DLGRADER_KEEP_WARM": "0", "TMPDIR": tmp}
        klass = Path(tmp) / "class"
        n = len(make_class(klass, args.students))
        local = timed([grade, "bulk", str(klass), "--out", str(Path(tmp) / "local"), "--jobs", "2", *hidden], env)

        address = f"tcp://127.0.0.1:{free_port()}"
        procs = []
        try:
            t0 = time.perf_counter()
            procs.append(subprocess.Popen([grade, "scheduler", "--", "--host", "127.0.0.1", "--port",
                                           address.rsplit(":", 1)[1], "--no-dashboard"], env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            for i in range(2):
                procs.append(subprocess.Popen([grade, "worker", address, "--jobs", "1", "--", "--no-dashboard",
                                               "--local-directory", str(Path(tmp) / f"dask-{i}")], env=env,
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            with Client(address, timeout=120) as client:
                client.wait_for_workers(2, timeout=300)
            start_up = time.perf_counter() - t0
            cluster = timed([grade, "bulk", str(klass), "--out", str(Path(tmp) / "cluster"), "--scheduler", address,
                             *hidden], env)
        finally:
            for p in reversed(procs):
                p.send_signal(signal.SIGTERM)
            for p in reversed(procs):
                try:
                    p.wait(60)
                except subprocess.TimeoutExpired:
                    p.kill()
        books = [(Path(tmp) / name / "gradebook.csv").read_bytes() for name in ("local", "cluster")]
        same = books[0] == books[1]
    print(f"{n} submissions, {'hidden' if args.hidden else 'public'} checks; the same gradebook: {same}")
    print(f"./grade.sh bulk --jobs 2:                          {local:7.1f} s, {local / n:5.1f} s per submission")
    print(f"./grade.sh bulk --scheduler (2 workers, 1 thread): {cluster:7.1f} s, {cluster / n:5.1f} s per submission")
    print(f"cluster start-up (scheduler and 2 workers):        {start_up:7.1f} s, once")
    print(f"cluster / local:                                   {cluster / local:.2f}x")
    print(f"overhead of the distributed path per submission:   {(cluster - local) / n:+.2f} s")


if __name__ == "__main__":
    main()
