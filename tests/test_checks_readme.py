"""autograder/checks/README.md is true: its examples of the check API run against solutions/ in a
real worker, and its walk-throughs, applied to a temporary copy of the kit, add checks that grade
(two files for a check, three with an instrument) and change no other check."""
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from autograder.checks import api, points
from autograder.engine.client import Submission
from autograder.engine.intake import collect
from autograder.grading.grade import DATA_DIR

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "autograder" / "checks" / "README.md"


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def absolute(code: str) -> str:
    """A check module's relative imports, as the test imports them."""
    return code.replace("from ..api import", "from autograder.checks.api import")


@pytest.fixture(scope="module")
def sub():
    submission = Submission(collect(ROOT / "solutions").files, DATA_DIR)
    submission.start()
    yield submission
    submission.close()


def test_the_readme_has_the_examples_this_file_runs():
    assert len(blocks()) == 7


def test_the_first_check_passes_on_the_solutions(sub):
    space = {}
    exec(absolute(blocks()[0]), space)
    check = space["test_softmax_matches_torch"]
    assert check.pytestmark[0].kwargs == {"exercise": "ex01", "function": "softmax", "points": 2,
                                          "en": "softmax matches torch.softmax", "zh": "softmax 与 torch.softmax 一致",
                                          "in_process": None}
    check(sub.module("ex01_gradient_descent"))  # raises CheckFailed where it would fail


def test_the_first_check_fails_on_a_wrong_softmax():
    files = collect(ROOT / "solutions").files
    files["ex01_gradient_descent.py"] += b"\n\ndef softmax(x, dim=-1):\n    return x.exp() / x.exp().sum()\n"
    wrong = Submission(files, DATA_DIR)
    wrong.start()
    try:
        space = {}
        exec(absolute(blocks()[0]), space)
        with pytest.raises(api.CheckFailed) as failed:
            space["test_softmax_matches_torch"](wrong.module("ex01_gradient_descent"))
        assert failed.value.hint.key == "hint.ex01_softmax_rows"
    finally:
        wrong.close()


def test_handles_are_called_read_indexed_and_passed_back(sub):
    space = {"sub": sub, "ex02": sub.module("ex02_data"), "ex03": sub.module("ex03_model"), "torch": torch,
             "np": np}
    exec(blocks()[1], space)  # its asserts are the test
    with pytest.raises(TypeError, match="cannot be iterated"):
        list(space["model"])
    with pytest.raises(TypeError, match="indexed with an int or a str"):
        space["data"][1.5]


# --- the walk-throughs, in a copy of the kit ---------------------------------------------------------
def _insert_hint(path: Path, entry: str) -> None:
    """The README's hint entry, as the last entry of the file's HINTS dict."""
    text = path.read_text(encoding="utf-8")
    end = text.rindex("\n}")
    path.write_text(text[:end] + "\n" + entry.rstrip("\n") + text[end:], encoding="utf-8")


def _append_check(path: Path, code: str) -> None:
    """The README's check, at the end of the module, its imports moved to the top."""
    imports = [line for line in code.splitlines() if line.startswith("from ")]
    body = "\n".join(line for line in code.splitlines() if not line.startswith("from "))
    text = path.read_text(encoding="utf-8")
    path.write_text("\n".join(imports) + "\n" + text.rstrip("\n") + "\n\n" + body.strip("\n") + "\n",
                    encoding="utf-8")


@pytest.fixture(scope="module")
def kit(tmp_path_factory):
    """A copy of the kit (its tracked files) with the README's two walk-throughs applied, and the
    files each one touched."""
    copy = tmp_path_factory.mktemp("kit") / "kit"
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    original = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    b = blocks()
    checks = copy / "autograder" / "checks" / "hidden" / "test_ex03_model.py"
    hints = copy / "autograder" / "feedback" / "hints" / "ex03.py"
    instruments = copy / "autograder" / "engine" / "worker" / "probes_ex03.py"

    _append_check(checks, b[2])
    _insert_hint(hints, b[3])
    first = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file() and p.read_bytes() != original[p]}
    before = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    instruments.write_text(instruments.read_text(encoding="utf-8").rstrip("\n") + "\n\n\n" + b[4], encoding="utf-8")
    _append_check(checks, b[5])
    _insert_hint(hints, b[6])
    second = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file() and p.read_bytes() != before[p]}
    return {"copy": copy, "first": first, "second": second}


def _grade(kit_copy: Path, folder: Path, out: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DLGRADER_")} | {"DLGRADER_KEEP_WARM": "0"}
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(folder), "--hidden", "-k",
                           "count_parameters_with_dropout or count_parameters_all_frozen", "--json", str(out)],
                          cwd=kit_copy, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(out.read_text())


@pytest.fixture(scope="module")
def graded(kit, tmp_path_factory):
    out = tmp_path_factory.mktemp("graded")
    copy = kit["copy"]
    return {"solutions": _grade(copy, copy / "solutions", out / "solutions.json"),
            "stubs": _grade(copy, copy / "exercises", out / "stubs.json")}


def test_a_check_touches_two_files_and_one_with_an_instrument_three(kit):
    assert kit["first"] == {"autograder/checks/hidden/test_ex03_model.py", "autograder/feedback/hints/ex03.py"}
    assert kit["second"] == {"autograder/checks/hidden/test_ex03_model.py", "autograder/feedback/hints/ex03.py",
                             "autograder/engine/worker/probes_ex03.py"}


def test_the_new_checks_pass_on_the_solutions_and_fail_on_the_stubs(graded):
    rows = {c["name"]: c for c in graded["solutions"]["tests"]}
    assert set(rows) == {"test_count_parameters_with_dropout", "test_count_parameters_all_frozen"}
    assert {c["status"] for c in rows.values()} == {"passed"}
    stubs = {c["name"]: c for c in graded["stubs"]["tests"]}
    assert {c["status"] for c in stubs.values()} == {"failed"}
    assert all("not implemented" in c["feedback"] for c in stubs.values())


def test_the_new_checks_get_derived_points_and_ex03_still_totals_15(kit, graded):
    shares = points.points("hidden", kit["copy"] / "autograder" / "checks")
    ex03 = [c for c in points.declared("hidden", kit["copy"] / "autograder" / "checks") if c.exercise == "ex03"]
    weights = sum(c.weight for c in ex03)
    assert weights == 17  # the 15 of before and the two new checks of weight 1
    assert sum(round(shares[c.file, c.name] * 100) for c in ex03) == 1500
    for row in graded["solutions"]["tests"]:
        assert row["max_points"] == shares["test_ex03_model.py", row["name"]]
        assert abs(row["max_points"] - 15 / 17) < 0.01
    # the declarations of every other check are as they were
    for c in ex03:
        if c.name not in ("test_count_parameters_with_dropout", "test_count_parameters_all_frozen"):
            assert c in points.declared("hidden")


def test_the_worker_runs_declared_instruments_only(sub):
    from autograder.engine.client import Remote, StudentError
    from autograder.engine.worker import probes, probes_ex03

    assert probes_ex03.count_run.instrument == {"ctx": True, "wire": "probes_ex03.count_run"}
    with pytest.raises(TypeError, match="declared with @instrument"):
        sub.probe(probes.make_batches)  # a helper of the instruments, not one
    with pytest.raises(TypeError, match="declared with @instrument"):
        sub.probe("probes_ex03.count_run")  # named by a string
    with pytest.raises(StudentError) as refused:  # the same helper asked for by its wire name
        sub.call(Remote(sub, ["probe", "probes.make_batches"]), 4, 2, 0)
    assert refused.value.info["type"] == "LookupError"
    assert "is not an instrument" in refused.value.info["message"]
