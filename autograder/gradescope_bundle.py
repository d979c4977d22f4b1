"""./grade.sh gradescope OUT.zip: the autograder bundle to upload to Gradescope.

Gradescope builds an image from the zip by running ``setup.sh`` once, then runs
``run_autograder`` for every submission with the files in /autograder/submission
and reads /autograder/results/results.json. The bundle holds the engine, the
public and hidden checks, the data and grade.sh; never solutions/ or the tests.
Hidden checks are published to students only after the grades are
(``visibility: after_published``).
"""
from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

from .assignment import GRADESCOPE_FILES as FILES
from .assignment import GRADESCOPE_FOLDERS as FOLDERS
from .assignment import GRADESCOPE_LEFT_OUT

ROOT = Path(__file__).resolve().parent.parent
SKIP_PARTS = set(GRADESCOPE_LEFT_OUT)

SETUP_SH = """#!/usr/bin/env bash
# Run once by Gradescope when it builds the autograder image.
set -euo pipefail
apt-get update
apt-get install -y --no-install-recommends bubblewrap python3-venv || true
cd /autograder/source
python3 -m venv .venv
.venv/bin/python -m pip install --upgrade pip
# CPU wheels of torch: the grader needs no GPU.
.venv/bin/python -m pip install --extra-index-url https://download.pytorch.org/whl/cpu -r requirements.txt
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Run by Gradescope for every submission (AUTOGRADER_ROOT only for trying it elsewhere).
set -uo pipefail
AG="${AUTOGRADER_ROOT:-/autograder}"
mkdir -p "$AG/results"
rm -f "$AG/results/results.json"
cd "$AG/source"
export DLGRADER_KEEP_WARM=0  # one submission per container: no worker is kept for a next one
./grade.sh grade "$AG/submission" --hidden --gradescope "$AG/results/results.json"
status=$?
if [ ! -s "$AG/results/results.json" ]; then
  # The grader itself failed: say so instead of leaving Gradescope without results.
  printf '{"score": 0, "output": "The autograder could not grade this submission (exit %s). '\\
'Please contact the course staff."}\\n' "$status" \\
    > "$AG/results/results.json"
fi
"""


def _add(z: zipfile.ZipFile, name: str, data: bytes, executable: bool = False) -> None:
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    mode = 0o755 if executable else 0o644
    info.external_attr = (stat.S_IFREG | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    z.writestr(info, data)


def build_bundle(out: Path) -> Path:
    """Write the zip (deterministic: same sources, same bytes) and return its path."""
    out = Path(out)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        _add(z, "setup.sh", SETUP_SH.encode(), executable=True)
        _add(z, "run_autograder", RUN_AUTOGRADER.encode(), executable=True)
        for folder in FOLDERS:
            for path in sorted((ROOT / folder).rglob("*")):
                rel = path.relative_to(ROOT)
                if path.is_dir() or SKIP_PARTS & set(rel.parts) or path.suffix == ".pyc":
                    continue
                _add(z, f"source/{rel.as_posix()}", path.read_bytes(), executable=bool(path.stat().st_mode & 0o111))
        for name in FILES:
            _add(z, f"source/{name}", (ROOT / name).read_bytes(), executable=name.endswith(".sh"))
    from .reports.files import write_bytes

    return write_bytes(out, buf.getvalue())
