"""Hostile and broken submissions: each case states its expected outcome, checked
under bubblewrap and as a plain process.

Each trick is added to the untouched ex01 stub (worth 0 points) or replaces it;
whatever the trick, ex01 must stay at 0 and every other grade must stand.
"""
import json
import os
import socket
import textwrap
import threading
import time
from pathlib import Path

import pytest

from conftest import ROOT, bwrap_or_skip, run_grade

STUB = (ROOT / "exercises" / "ex01_gradient_descent.py").read_text()
SHORT = {"DLGRADER_CALL_SECONDS": "8", "DLGRADER_SUBMISSION_SECONDS": "60"}

# name -> (code added at import time of ex01, extra files, expected status of the ex01 checks)
TRICKS = {
    "patch_torch_comparisons": ("""
        import torch
        torch.allclose = lambda *a, **k: True
        torch.equal = lambda *a, **k: True
        torch.isclose = lambda a, b, *r, **k: torch.ones_like(a, dtype=torch.bool)
        torch.testing.assert_close = lambda *a, **k: None
        """, {}, {"failed"}),
    "patch_pytest": ("""
        import pytest, _pytest.runner
        pytest.approx = lambda *a, **k: True
        _pytest.runner.call_and_report = lambda *a, **k: None
        """, {}, {"failed"}),
    "global_torch_function_mode": ("""
        import torch
        from torch.overrides import TorchFunctionMode
        class Always(TorchFunctionMode):
            def __torch_function__(self, func, types, args=(), kwargs=None):
                if getattr(func, "__name__", "") in ("allclose", "equal"):
                    return True
                return func(*args, **(kwargs or {}))
        Always().__enter__()
        """, {}, {"failed"}),
    "lying_tensor_subclass": ("""
        import torch
        class Liar(torch.Tensor):
            def __eq__(self, other): return True
            def __ne__(self, other): return False
            def allclose(self, *a, **k): return True
        def softmax(logits, dim=-1):
            return torch.zeros_like(logits).as_subclass(Liar)
        """, {}, {"failed"}),
    "os_exit_at_import": ("import os\nos._exit(0)\n", {}, {"error"}),
    "sys_exit_at_import": ("import sys\nsys.exit(0)\n", {}, {"error"}),
    "pytest_skip_at_import": ("import pytest\npytest.skip('nothing to see', allow_module_level=True)\n", {}, {"error"}),
    "exit_inside_function": ("""
        import os
        def softmax(logits, dim=-1):
            os._exit(0)
        """, {}, {"failed", "error"}),
    "atexit_hook": ("""
        import atexit, json, os
        atexit.register(lambda: print('{"score": 100, "tests": []}'))
        """, {}, {"failed"}),
    "fake_results_on_stdout": ("""
        print("===== 40 passed in 1.00s =====")
        print('{"score": 100, "max_score": 100}')
        """, {}, {"failed"}),
    "config_files_beside": ("", {
        "conftest.py": "import pytest\n@pytest.hookimpl(tryfirst=True)\ndef pytest_runtest_makereport(item, call):\n    call.excinfo = None\n",
        "pytest.ini": "[pytest]\naddopts = -p no:python\n",
        "json.py": "def dumps(*a, **k):\n    return '{\"score\": 100}'\n",
        "torch.py": "raise SystemExit\n",
    }, {"failed"}),
}


@pytest.fixture(params=["bwrap", "process"])
def isolation(request):
    if request.param == "bwrap":
        bwrap_or_skip()
        return {}
    return {"DLGRADER_ISOLATION": "process"}


def grade_ex01(folder: Path, tmp_path: Path, env: dict):
    out = tmp_path / "report.json"
    done = run_grade("grade", folder, "--json", out, "-k", "ex01", env={**SHORT, **env})
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text()), done


@pytest.mark.parametrize("name", sorted(TRICKS))
def test_trick_gains_nothing(name, tmp_path, isolation):
    code, files, statuses = TRICKS[name]
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "ex01_gradient_descent.py").write_text(STUB + "\n" + textwrap.dedent(code))
    for fname, text in files.items():
        (sub / fname).write_text(text)
    report, done = grade_ex01(sub, tmp_path, isolation)
    assert report["score"] == 0
    assert {t["status"] for t in report["tests"]} <= statuses, report["tests"]
    assert report["isolation"] == ("process" if isolation else "bwrap")
    assert "100" not in done.stdout.split("total")[-1].split("/")[0]


def test_writing_the_report_path_is_overwritten_by_the_real_report(tmp_path, isolation):
    """A submission that guesses the --json path (and a lingering process that writes it
    later) cannot forge the report: the grader writes it last, after ending every process."""
    target = tmp_path / "report.json"
    sub = tmp_path / "sub"
    sub.mkdir()
    forge = json.dumps({"score": 100, "max_score": 100, "tests": []})
    (sub / "ex01_gradient_descent.py").write_text(STUB + textwrap.dedent(f"""
        import os, subprocess, sys
        for path in ({str(target)!r}, "results.json", "/autograder/results/results.json"):
            try:
                with open(path, "w") as fh:
                    fh.write({forge!r})
            except OSError:
                pass
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(3); open({str(target)!r}, 'w').write({forge!r})"],
                         start_new_session=True)
        """))
    report, _ = grade_ex01(sub, tmp_path, isolation)
    assert report["score"] == 0
    time.sleep(4)
    assert json.loads(target.read_text())["score"] == 0


def test_no_process_outlives_the_submission(tmp_path, isolation):
    marker = f"dlgrader-linger-{os.getpid()}-{len(str(tmp_path))}"
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "ex01_gradient_descent.py").write_text(STUB + textwrap.dedent(f"""
        import os, subprocess, sys
        code = "import time\\nwhile True: time.sleep(1)  # {marker}"
        subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
        if os.fork() == 0:
            if os.fork() == 0:
                os.setsid()
                os.execv(sys.executable, [sys.executable, "-c", code])
            os._exit(0)
        """))
    grade_ex01(sub, tmp_path, isolation)
    time.sleep(1)
    lingering = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if marker in Path(f"/proc/{pid}/cmdline").read_text():
                    lingering.append(pid)
            except OSError:
                pass
    assert lingering == []


def test_an_endless_loop_fails_one_check_and_the_rest_are_graded(tmp_path, isolation):
    sub = tmp_path / "sub"
    sub.mkdir()
    sol = (ROOT / "solutions" / "ex01_gradient_descent.py").read_text()
    (sub / "ex01_gradient_descent.py").write_text(sol + textwrap.dedent("""
        def mse(pred, target):
            while True:
                pass
        """))
    report, _ = grade_ex01(sub, tmp_path, isolation)
    mse = [t for t in report["tests"] if t["function"] == "mse"]
    others = [t for t in report["tests"] if t["function"] != "mse"]
    assert mse and {t["status"] for t in mse} == {"timeout"}
    assert others and {t["status"] for t in others} == {"passed"}


def test_network_is_unreachable_under_bwrap(tmp_path):
    bwrap_or_skip()
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    hits = []

    def accept():
        end = time.monotonic() + 30
        while time.monotonic() < end and not hits:
            try:
                conn, _ = server.accept()
                hits.append(conn.recv(100))
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    sub = tmp_path / "sub"
    sub.mkdir()
    sol = (ROOT / "solutions" / "ex01_gradient_descent.py").read_text()
    (sub / "ex01_gradient_descent.py").write_text(sol + textwrap.dedent(f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2).sendall(b"leak")
        except OSError:
            pass
        """))
    report, _ = grade_ex01(sub, tmp_path, {})
    t.join(timeout=1)
    server.close()
    assert hits == []
    assert report["exercises"]["ex01"]["score"] == 15


def test_files_outside_the_worker_folder_are_out_of_reach_under_bwrap(tmp_path):
    bwrap_or_skip()
    secret = ROOT / "autograder" / "checks" / "hidden" / "__init__.py"
    canary = tmp_path / "canary.txt"
    canary.write_text("untouched")
    sub = tmp_path / "sub"
    sub.mkdir()
    sol = (ROOT / "solutions" / "ex01_gradient_descent.py").read_text()
    (sub / "ex01_gradient_descent.py").write_text(sol + textwrap.dedent(f"""
        import os
        SEEN = {{}}
        for path in ({str(secret)!r}, {str(ROOT / "solutions")!r}, "/root", {str(canary)!r}, "/data/iris.csv"):
            SEEN[path] = os.path.exists(path)
        for path in ({str(canary)!r}, "/data/iris.csv", os.path.expanduser("~/../../etc/owned")):
            try:
                with open(path, "w") as fh:
                    fh.write("owned")
            except OSError:
                pass
        def mse(pred, target):
            import torch
            if any(SEEN[p] for p in SEEN if p != "/data/iris.csv") or not SEEN["/data/iris.csv"]:
                return torch.tensor(float("nan"))
            return ((pred - target) ** 2).mean()
        """))
    report, _ = grade_ex01(sub, tmp_path, {})
    assert canary.read_text() == "untouched"
    assert (ROOT / "data" / "iris.csv").read_text().startswith("sepal_length")
    mse = [t for t in report["tests"] if t["function"] == "mse"]
    assert mse and {t["status"] for t in mse} == {"passed"}, mse
