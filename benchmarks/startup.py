"""How long a student waits: `./grade.sh grade` on a complete solution, public and
hidden, as a ratio to the interpreter importing torch, torchvision and sklearn.

    python benchmarks/startup.py [--repeat 3]

Every figure is the median of --repeat runs on this machine, measured in this run;
ratios, not seconds, are what compare across machines.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def median(cmd: list[str], repeat: int) -> float:
    return statistics.median(wall(cmd) for _ in range(repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    python = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        report = str(Path(tmp) / "r.json")
        wall([str(ROOT / "grade.sh"), "grade", "solutions", "--json", report])  # warm the file cache
        base = median([python, "-c", "import torch, torchvision, sklearn"], args.repeat)
        public = median([str(ROOT / "grade.sh"), "grade", "solutions", "--json", report], args.repeat)
        hidden = median([str(ROOT / "grade.sh"), "grade", "solutions", "--hidden", "--json", report], args.repeat)
        stubs = median([str(ROOT / "grade.sh"), "grade", "exercises", "--json", report], args.repeat)
    print(f"python -c 'import torch, torchvision, sklearn'   {base:6.2f} s   1.00x")
    print(f"./grade.sh grade solutions           (public)    {public:6.2f} s   {public / base:.2f}x")
    print(f"./grade.sh grade solutions --hidden               {hidden:6.2f} s   {hidden / base:.2f}x")
    print(f"./grade.sh grade exercises (untouched stubs)      {stubs:6.2f} s   {stubs / base:.2f}x")


if __name__ == "__main__":
    main()
