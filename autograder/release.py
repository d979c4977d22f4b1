"""./grade.sh release OUT: the student bundle.

It holds the stubs, the walkthrough notebook, the public checks, the engine,
the data, grade.sh and the environment files, a student README in English and
Chinese (README.md, README.zh-CN.md: only what a student runs) and the
handout in English and Chinese (HANDOUT.md, HANDOUT.zh-CN.md: every function
students write, its signature, and the grading contract). It never holds
solutions/, the hidden checks, the project's tests or CI.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from .assignment import RELEASE_FILES as FILES
from .assignment import RELEASE_FOLDERS as FOLDERS
from .assignment import RELEASE_LEFT_OUT, RELEASE_READMES

ROOT = Path(__file__).resolve().parent.parent
# The bundle's READMEs speak to students only (what they run, how to start Jupyter, the first
# set-up); the repository's README.md / README.zh-CN.md are the instructors'.
READMES = RELEASE_READMES
# Instructor-only parts: hidden checks and the tools that need solutions/ or tests/.
LEFT_OUT = shutil.ignore_patterns(*RELEASE_LEFT_OUT)


def build_release(out: Path) -> Path:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise SystemExit(f"grade.sh release: {out} is not empty; give a new folder.")
    out.mkdir(parents=True, exist_ok=True)
    for name in FOLDERS:
        shutil.copytree(ROOT / name, out / name, ignore=LEFT_OUT)
    for name in FILES:
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, out / name)
    for source, name in READMES.items():
        shutil.copy2(ROOT / "autograder" / source, out / name)
        (out / "autograder" / source).unlink()
    return out
