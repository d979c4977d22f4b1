"""The Gradescope autograder bundle, built by one command and run the way Gradescope runs it."""
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

from conftest import ROOT, run_grade


def test_bundle_grades_a_submission_like_gradescope(tmp_path):
    bundle = tmp_path / "autograder.zip"
    done = run_grade("gradescope", bundle)
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(bundle) as z:
        names = z.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in z.infolist()}
        z.extractall(tmp_path / "ag")
    assert {"setup.sh", "run_autograder", "source/grade.sh", "source/requirements.txt"} <= set(names)
    assert any(n.startswith("source/autograder/checks/hidden/test_ex04") for n in names)
    assert not any(n.startswith(("source/solutions", "source/tests", "source/exercises")) for n in names)
    for script in ("setup.sh", "run_autograder", "source/grade.sh"):
        assert modes[script] & stat.S_IXUSR, script
        os.chmod(tmp_path / "ag" / script, 0o755)
    # building twice gives the same bytes
    again = tmp_path / "again.zip"
    assert run_grade("gradescope", again).returncode == 0
    assert again.read_bytes() == bundle.read_bytes()

    ag = tmp_path / "ag"
    submission = ag / "submission"
    submission.mkdir()
    shutil.copy(ROOT / "solutions" / "ex01_gradient_descent.py", submission)
    env = {**os.environ, "AUTOGRADER_ROOT": str(ag), "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    run = subprocess.run([str(ag / "run_autograder")], env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    results = json.loads((ag / "results" / "results.json").read_text())
    ex01 = [t for t in results["tests"] if "ex01" in t["name"]]
    assert ex01 and all(t["score"] == t["max_score"] for t in ex01)
    assert results["score"] == 15
    assert {t["visibility"] for t in results["tests"]} == {"after_published"}
