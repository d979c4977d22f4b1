"""The student bundle: no solutions, hidden checks or markers; both handouts; ./grade.sh works in it alone."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, run_grade


def solution_blocks():
    """The distinctive lines of each solution block (between the markers) that appear
    nowhere outside the markers: a docstring or a feedback hint may show an idiom such
    as ``x.to(device)`` on purpose, and the grader's plumbing uses common ones."""
    blocks, outside_lines = [], set()
    for sol in sorted((ROOT / "solutions").glob("ex*.py")):
        block = None
        for line in sol.read_text().splitlines():
            if "### BEGIN SOLUTION" in line:
                block = set()
            elif "### END SOLUTION" in line:
                blocks.append(block)
                block = None
            elif len(line.strip()) >= 30 and not line.strip().startswith("#"):
                (block if block is not None else outside_lines).add(line.strip())
    hints = "\n".join(p.read_text() for p in (ROOT / "autograder" / "feedback").rglob("*.py"))
    # a line the grader's own plumbing also uses is a common idiom, not a solution
    plumbing = "\n".join(p.read_text() for p in (ROOT / "autograder").rglob("*.py")
                         if not {"checks", "worker", "feedback"} & set(p.relative_to(ROOT).parts))
    public = "\n".join(outside_lines) + hints + plumbing
    return [{line for line in b if line not in public} for b in blocks]


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
    blocks = solution_blocks()
    secrets = set().union(*blocks)
    assert len(secrets) > 20
    instruments = [bundle / "autograder" / "checks" / "public", bundle / "autograder" / "checks" / "helpers",
                   bundle / "autograder" / "checks" / "reference", bundle / "autograder" / "engine" / "worker"]
    for path in bundle.rglob("*"):
        if path.is_file() and path.suffix in (".py", ".md", ".ipynb", ".sh", ".txt", ".yml", ".ini", ".csv"):
            text = path.read_text(encoding="utf-8")
            assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text, path
            if any(folder in path.parents for folder in instruments):
                # The public checks and their helpers, the grader's references and the instruments compute expected
                # values and may state what SPEC.md states (an optimizer per name, a formula, a
                # reference loop on the grader's own objects); they never hold a whole solution block.
                copied = [b for b in blocks if len(b) >= 2 and b <= {line.strip() for line in text.splitlines()}]
                assert not copied, (path, sorted(copied[0])[:3])
            else:
                leaked = [line for line in secrets if line in text]
                assert not leaked, (path, leaked[:3])


def test_bundle_ships_both_handouts_and_its_readme_points_to_them(bundle):
    for name in ("HANDOUT.md", "HANDOUT.zh-CN.md"):
        assert (bundle / name).is_file(), name
        assert (bundle / name).read_bytes() == (ROOT / name).read_bytes(), name
    readme = (bundle / "README.md").read_text(encoding="utf-8")
    assert "HANDOUT.md" in readme and "HANDOUT.zh-CN.md" in readme
    # What students read never sends them to the course's SPEC.md, which they do not get.
    students_read = [bundle / n for n in ("README.md", "README.zh-CN.md", "HANDOUT.md", "HANDOUT.zh-CN.md")]
    students_read += [p for p in (bundle / "exercises").rglob("*") if p.suffix in (".py", ".ipynb")]
    students_read += list((bundle / "autograder" / "feedback").rglob("*.py"))
    for path in students_read:
        assert "SPEC.md" not in path.read_text(encoding="utf-8"), path


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
    for command in ("stubs", "gradescope"):
        tool = subprocess.run([str(bundle / "grade.sh"), command, *(["x.zip"] if command == "gradescope" else [])],
                              capture_output=True, text=True, env=env, cwd=bundle, timeout=600)
        assert tool.returncode == 2 and "for instructors" in tool.stderr, (command, tool.stderr[-500:])
        assert "Traceback" not in tool.stderr
