"""How long a student waits: `./grade.sh grade` on a complete solution, public and
hidden, as a ratio to the interpreter importing torch, torchvision and sklearn.

    python benchmarks/startup.py [--repeat 3] [--read 30]

"cold" runs start everything themselves (DLGRADER_KEEP_WARM=0). "again" is the
run a student makes next: the previous run left a keeper warm (engine/warm.py),
and --read seconds pass in between, as while the student reads the feedback.
Every figure is the median of --repeat runs on this machine, measured in this
run; ratios, not seconds, are what compare across machines.
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
GRADE = str(ROOT / "grade.sh")


def wall(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def median(cmd: list[str], repeat: int, env: dict) -> float:
    return statistics.median(wall(cmd, env) for _ in range(repeat))


def again(cmd: list[str], repeat: int, read: float, env: dict) -> float:
    """A run after a previous one, with the keeper that run left."""
    times = []
    for _ in range(repeat):
        wall(cmd, env)  # leaves a keeper
        time.sleep(read)
        times.append(wall(cmd, env))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--read", type=float, default=30.0, help="seconds between a run and the next")
    args = parser.parse_args()
    python = sys.executable
    folder = tempfile.mkdtemp(prefix="dlb")  # this benchmark's own keepers and worker folders
    cold_env = {**os.environ, "DLGRADER_KEEP_WARM": "0", "TMPDIR": folder}
    warm_env = {**os.environ, "DLGRADER_KEEP_WARM": "5", "TMPDIR": folder}
    report = str(Path(folder) / "r.json")
    public_cmd = [GRADE, "grade", "solutions", "--json", report]
    try:
        wall(public_cmd, cold_env)  # warm the file cache
        base = median([python, "-c", "import torch, torchvision, sklearn"], args.repeat, cold_env)
        public = median(public_cmd, args.repeat, cold_env)
        hidden = median([GRADE, "grade", "solutions", "--hidden", "--json", report], args.repeat, cold_env)
        stubs = median([GRADE, "grade", "exercises", "--json", report], args.repeat, cold_env)
        public_again = again(public_cmd, args.repeat, args.read, warm_env)
    finally:
        end_keepers(folder)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"python -c 'import torch, torchvision, sklearn'       {base:6.2f} s   1.00x")
    print(f"./grade.sh grade solutions           (public, cold)  {public:6.2f} s   {public / base:.2f}x")
    print(f"./grade.sh grade solutions           (public, again) {public_again:6.2f} s   {public_again / base:.2f}x")
    print(f"./grade.sh grade solutions --hidden           (cold)  {hidden:6.2f} s   {hidden / base:.2f}x")
    print(f"./grade.sh grade exercises (untouched stubs, cold)    {stubs:6.2f} s   {stubs / base:.2f}x")


if __name__ == "__main__":
    main()
