"""The student bundle: no solution code, no hidden checks, no markers, and ./grade.sh works in it alone."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, run_grade


def solution_lines():
    """Distinctive lines of solution code (inside the markers)."""
    lines = set()
    for sol in (ROOT / "solutions").glob("ex*.py"):
        inside = False
        for line in sol.read_text().splitlines():
            if "### BEGIN SOLUTION" in line:
                inside = True
            elif "### END SOLUTION" in line:
                inside = False
            elif inside and len(line.strip()) >= 30 and not line.strip().startswith("#"):
                lines.add(line.strip())
    return lines


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "bundle"
    done = run_grade("release", out)
    assert done.returncode == 0, done.stderr
    return out


def test_bundle_holds_no_solutions_hidden_checks_or_markers(bundle):
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*")}
    assert not any(n.startswith(("solutions", "tests", ".ci")) for n in names)
    assert not any("/hidden" in f"/{n}" for n in names)
    assert (bundle / "autograder" / "checks" / "public").is_dir()
    secrets = solution_lines()
    assert len(secrets) > 20
    for path in bundle.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md", ".ipynb", ".sh", ".txt", ".yml", ".ini", ".csv"):
            text = path.read_text(encoding="utf-8")
            assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, path
            leaked = [s for s in secrets if s in text]
            assert not leaked, (path, leaked[:3])


def test_grade_sh_works_inside_the_bundle_on_its_own(bundle, tmp_path):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    out = tmp_path / "r.json"
    done = subprocess.run([str(bundle / "grade.sh"), "grade", str(bundle / "exercises"), "--json", str(out)],
                          capture_output=True, text=True, env=env, cwd=bundle, timeout=600)
    assert done.returncode == 0, done.stderr
    assert re.search(r"total\s+0/100", done.stdout)
    hidden = subprocess.run([str(bundle / "grade.sh"), "grade", str(bundle / "exercises"), "--hidden"],
                            capture_output=True, text=True, env=env, cwd=bundle, timeout=600)
    assert hidden.returncode == 2 and "hidden checks" in hidden.stderr
