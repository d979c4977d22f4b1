#!/usr/bin/env bash
# Grade the PyTorch workflow homework (see README.md).
#
#   ./grade.sh                 check your exercises/ with the public checks
#   ./grade.sh grade PATH ...  grade a submission (see ./grade.sh --help)
#   ./grade.sh test            run the project's own test suite
#   ./grade.sh benchmark NAME  run benchmarks/NAME.py (e.g. peer_nbgrader) in the same environment
#
# On first use, when the active Python lacks the packages, this creates .venv/
# beside this script and installs requirements.txt into it (a few minutes, once), step by step.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODULES="torch torchvision sklearn matplotlib tensorboard safetensors tqdm yaml psutil pytest pytest_timeout nbgrader nbclient ipykernel copydetect"

has_packages() {
  "$1" -c "
import importlib.util, sys
missing = [m for m in '$MODULES'.split() if importlib.util.find_spec(m) is None]
sys.exit(1 if missing else 0)
" >/dev/null 2>&1
}

find_python311() {
  for candidate in python3.11 python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  return 1
}

if [ -x "$ROOT/.venv/bin/python" ] && has_packages "$ROOT/.venv/bin/python"; then
  PY="$ROOT/.venv/bin/python"
elif command -v python3 >/dev/null 2>&1 && has_packages python3; then
  PY="$(command -v python3)"
else
  BASE="$(find_python311)" || {
    echo "grade.sh: Python 3.11 is needed. Install it (or activate the conda environment from environment.yml) and run ./grade.sh again." >&2
    exit 2
  }
  # First run only. pip's own lines ("Collecting ...", "Downloading ...", with a progress bar on a
  # terminal) show that it is working; torch is the large one.
  echo "grade.sh: first run: setting up the Python environment in .venv/ (once; a few minutes, more on a slow" \
       "connection, mostly downloading torch)." >&2
  echo "grade.sh: step 1 of 3: creating .venv/ ..." >&2
  "$BASE" -m venv "$ROOT/.venv"
  echo "grade.sh: step 2 of 3: updating pip ..." >&2
  "$ROOT/.venv/bin/python" -m pip install --quiet --upgrade pip >&2
  echo "grade.sh: step 3 of 3: installing the packages of requirements.txt (torch, torchvision, matplotlib, ...):" >&2
  if ! "$ROOT/.venv/bin/python" -m pip install --progress-bar on -r "$ROOT/requirements.txt" >&2; then
    echo "grade.sh: installing the packages failed; see the messages above. Fix the cause and run ./grade.sh again." >&2
    rm -rf "$ROOT/.venv"
    exit 2
  fi
  echo "grade.sh: the environment is ready (the next runs skip this set-up). Checking your exercises ..." >&2
  PY="$ROOT/.venv/bin/python"
fi

if [ "${1:-}" = "test" ]; then
  shift
  cd "$ROOT"
  if [ ! -d "$ROOT/tests" ]; then
    echo "grade.sh: this bundle has no tests/ folder; run ./grade.sh to check your exercises." >&2
    exit 2
  fi
  exec "$PY" -m pytest "$ROOT/tests" "$@"
fi
if [ "${1:-}" = "benchmark" ]; then
  # ./grade.sh benchmark NAME [ARGS]: python benchmarks/NAME.py ARGS, in this environment
  name="${2:-}"
  if [ -z "$name" ] || [ ! -f "$ROOT/benchmarks/$name.py" ]; then
    echo "grade.sh: name a benchmark of benchmarks/: $(cd "$ROOT/benchmarks" 2>/dev/null && grep -l '__main__' ./*.py | sed 's|^./||; s|\.py$||' | tr '\n' ' ')" >&2
    exit 2
  fi
  shift 2
  cd "$ROOT"
  exec "$PY" "$ROOT/benchmarks/$name.py" "$@"
fi
# Paths on the command line are the caller's, relative to where it was typed; the grader is
# found through PYTHONPATH, and -P keeps the caller's folder (a class of submissions, say) off
# sys.path, so no file there can stand in for a module of the grader.
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
exec "$PY" -P -m autograder "$@"
