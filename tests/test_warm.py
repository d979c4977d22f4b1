"""The keeper a run of ./grade.sh grade leaves warm for the next one (autograder/engine/warm.py).

Each test uses a temporary folder of its own as TMPDIR, so its keepers, their sockets and
their workers' folders are its own, and ends whatever it left.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
from conftest import GRADE, ROOT, run_grade, still_running

from autograder.cli import KEEPER


def is_keeper(cmdline) -> bool:
    """python -m autograder --keeper MINUTES, as engine/warm.py's leave_keeper starts it."""
    cmdline = list(cmdline or [])
    return KEEPER in cmdline and "autograder" in cmdline


class Warm:
    def __init__(self, folder: Path, minutes: str = "5"):
        self.folder = folder
        self.env = {"DLGRADER_KEEP_WARM": minutes, "TMPDIR": str(folder)}

    def keepers(self) -> list[psutil.Process]:
        found = []
        for p in psutil.process_iter(["cmdline"]):
            try:
                if is_keeper(p.info["cmdline"]) and \
                        p.environ().get("TMPDIR") == str(self.folder) and p.status() != psutil.STATUS_ZOMBIE:
                    found.append(p)
            except psutil.Error:
                pass
        return found

    def processes_in_folder(self) -> list[psutil.Process]:
        """Keepers, and workers (their command lines name their folder under TMPDIR)."""
        found = self.keepers()
        for p in psutil.process_iter(["cmdline"]):
            try:
                if str(self.folder) in " ".join(p.info["cmdline"] or []) and p.status() != psutil.STATUS_ZOMBIE:
                    found.append(p)
            except psutil.Error:
                pass
        return found

    def sockets(self) -> list[Path]:
        return sorted(self.folder.glob("dlgrader.warm-*/*.sock"))

    def worker_folders(self) -> list[Path]:
        return sorted(self.folder.glob("dlgrader-*"))

    def wait_for(self, condition, what: str, seconds: float = 120):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = condition()
            if value:
                return value
            time.sleep(0.2)
        pytest.fail(f"waited {seconds:.0f} s for {what}")


@pytest.fixture
def warm():
    folder = Path(tempfile.mkdtemp(prefix="dlw"))  # short: a socket's path has at most 107 bytes
    state = Warm(folder)
    yield state
    for p in state.processes_in_folder():
        try:
            p.kill()
        except psutil.Error:
            pass
    shutil.rmtree(folder, ignore_errors=True)


def report(path: Path) -> dict:
    data = json.loads(path.read_text())
    data.pop("seconds")
    for test in data["tests"]:
        test.pop("seconds")
    return data


def test_the_next_run_is_graded_by_the_keeper_exactly_as_it_would_grade_itself(warm):
    args = ["grade", "exercises", "--lang", "zh", "--json"]
    first = run_grade(*args, warm.folder / "first.json", env=warm.env)
    assert first.returncode == 0, first.stderr
    (keeper,) = warm.wait_for(warm.keepers, "the keeper the first run leaves")
    warm.wait_for(warm.sockets, "the keeper to listen in dlgrader.warm-UID", 30)
    assert oct(warm.sockets()[0].parent.stat().st_mode & 0o777) == "0o700"

    # Other settings: that keeper would grade differently, so it is not used.
    other = run_grade(*args, warm.folder / "other.json", env={**warm.env, "DLGRADER_CALL_SECONDS": "60"})
    assert other.returncode == 0, other.stderr
    assert still_running(keeper)

    second = run_grade(*args, warm.folder / "second.json", env=warm.env)
    assert second.returncode == 0, second.stderr
    warm.wait_for(lambda: not still_running(keeper),
                  "the keeper to end once it has served the second run", 30)
    assert second.stdout == first.stdout == other.stdout
    assert "尚未实现" in second.stdout
    assert report(warm.folder / "second.json") == report(warm.folder / "first.json") == \
        report(warm.folder / "other.json")
    warm.wait_for(lambda: len(warm.keepers()) == 2, "a keeper for each of the two settings")


def test_a_keeper_that_nobody_uses_ends_and_leaves_nothing(warm):
    warm.env["DLGRADER_KEEP_WARM"] = "0.05"  # 3 seconds after its start-up
    done = run_grade("grade", "exercises", "--json", warm.folder / "r.json", env=warm.env)
    assert done.returncode == 0, done.stderr
    warm.wait_for(warm.keepers, "the keeper to start")
    warm.wait_for(lambda: not warm.processes_in_folder(), "the unused keeper and its worker to end", 120)
    assert warm.sockets() == []
    assert warm.worker_folders() == []


def test_a_caller_killed_midway_takes_the_keepers_grading_with_it(warm):
    done = run_grade("grade", "exercises", "--json", warm.folder / "r.json", env=warm.env)
    assert done.returncode == 0, done.stderr
    (keeper,) = warm.wait_for(warm.keepers, "the keeper the first run leaves")
    warm.wait_for(warm.sockets, "the keeper's socket")
    endless = warm.folder / "endless"
    endless.mkdir()
    (endless / "ex01_gradient_descent.py").write_text("while True:\n    pass\n")  # 120 s per call
    env = {**os.environ, **warm.env}
    caller = subprocess.Popen([str(GRADE), "grade", str(endless)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    warm.wait_for(lambda: not warm.sockets(), "the keeper to take the call", 30)
    time.sleep(1.0)  # the keeper is grading now, stuck in the endless import
    assert caller.poll() is None
    caller.send_signal(signal.SIGKILL)
    caller.wait()
    warm.wait_for(lambda: not still_running(keeper),
                  "the keeper to end with its caller", 30)
    warm.wait_for(lambda: not warm.processes_in_folder(), "the keeper's workers to end", 30)
    assert not list(warm.folder.glob(f"dlgrader-{keeper.pid}-*")), "the keeper's worker folders are removed"


def test_zero_minutes_keeps_nothing_warm(warm):
    warm.env["DLGRADER_KEEP_WARM"] = "0"
    done = run_grade("grade", "exercises", "--json", warm.folder / "r.json", env=warm.env)
    assert done.returncode == 0, done.stderr
    time.sleep(2)
    assert warm.keepers() == []
    assert not list(warm.folder.glob("dlgrader.warm-*"))


def test_a_socket_folder_that_others_can_write_is_not_used(warm):
    unsafe = warm.folder / f"dlgrader.warm-{os.getuid()}"
    unsafe.mkdir()
    unsafe.chmod(0o777)
    done = run_grade("grade", "exercises", "--json", warm.folder / "r.json", env=warm.env)
    assert done.returncode == 0, done.stderr
    assert json.loads((warm.folder / "r.json").read_text())["max_score"] > 0
    time.sleep(2)
    assert warm.keepers() == []
    assert list(unsafe.iterdir()) == []


def serve_once(path: Path, reply):
    """A listener on ``path`` that answers one caller with ``reply(conn)``."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(1)

    def run():
        conn, _ = listener.accept()
        with conn:
            reply(conn)
        listener.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_hand_over_uses_the_keepers_exit_status_and_grades_itself_when_not_served(tmp_path, monkeypatch, capfd):
    from autograder.engine import warm

    path = Path(tempfile.mkdtemp(prefix="dlw")) / "k.sock"
    monkeypatch.setenv("DLGRADER_KEEP_WARM", "5")
    monkeypatch.setattr(warm, "socket_path", lambda: path)
    try:
        def answer(conn):
            message, fds, _, _ = socket.recv_fds(conn, 1 << 16, 2)
            assert json.loads(message)["argv"] == ["grade", "x"]
            os.write(fds[0], b"graded by the keeper\n")
            for fd in fds:
                os.close(fd)
            conn.sendall((7).to_bytes(4, "big", signed=True))

        thread = serve_once(path, answer)
        assert warm.hand_over(["grade", "x"]) == 7
        thread.join(10)
        assert "graded by the keeper" in capfd.readouterr().out
        path.unlink()

        thread = serve_once(path, lambda conn: None)  # accepts, then closes without a word
        assert warm.hand_over(["grade", "x"]) is None
        thread.join(10)
        path.unlink()

        assert warm.hand_over(["grade", "x"]) is None  # nobody listens
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
