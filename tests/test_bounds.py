"""Bounded grader work: what a submission sends back, the grader's own time, the size of the
feedback, and hidden feedback that names no expected value.

One test runs a real worker: a submission whose function writes a forged frame announcing a
1 GiB result on the worker's protocol pipe. The rest are fast and start no worker.
"""
import json
import os
import struct
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from autograder.checks import api
from autograder.engine import client
from autograder.engine.worker import protocol
from autograder.feedback.catalog import Msg, render
from autograder.grading import plugin, results
from autograder.settings import SettingError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MB = 1024 * 1024


# --- frame sizes ------------------------------------------------------------------------
def test_reply_sizes_are_refused_before_anything_is_read():
    ok = protocol.parse_sizes(struct.pack(">IQ", 25_000, 5 * MB), protocol.REPLY_HEADER_BYTES, 256 * MB)
    assert ok == (25_000, 5 * MB)
    with pytest.raises(protocol.LimitExceeded) as head:
        protocol.parse_sizes(struct.pack(">IQ", 2 * MB, 0), protocol.REPLY_HEADER_BYTES, 256 * MB)
    assert head.value.what == "bytes" and head.value.limit == 1 * MB
    with pytest.raises(protocol.LimitExceeded) as blob:
        protocol.parse_sizes(struct.pack(">IQ", 2, 1 << 30), protocol.REPLY_HEADER_BYTES, 256 * MB)
    assert str(blob.value) == "the result was too large: 1024 MB, the limit is 256 MB"


def test_the_blob_limit_is_configurable(monkeypatch):
    monkeypatch.delenv("DLGRADER_MAX_REPLY_MB", raising=False)
    assert client.max_reply_bytes() == 256 * MB
    monkeypatch.setenv("DLGRADER_MAX_REPLY_MB", "16")
    assert client.max_reply_bytes() == 16 * MB
    monkeypatch.setenv("DLGRADER_MAX_REPLY_MB", "nonsense")
    with pytest.raises(SettingError, match="DLGRADER_MAX_REPLY_MB='nonsense': expected a number"):
        client.max_reply_bytes()


class PipeWorker(client.WorkerProcess):
    """WorkerProcess.receive on a pipe the test writes to: no process."""

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe()
        self.proc = type("P", (), {"stdout": os.fdopen(self.read_fd, "rb", buffering=0)})()
        self.memory_exceeded, self.killed = False, 0
        self.stderr_path = "/nonexistent"

    def kill(self):
        self.killed += 1


def test_receive_refuses_an_announced_gigabyte_after_reading_12_bytes():
    w = PipeWorker()
    os.write(w.write_fd, struct.pack(">IQ", 2, 1 << 30) + b"{}" + b"\0" * 1000)
    with pytest.raises(client.ReplyRefused) as exc:
        w.receive(5)
    assert exc.value.kind == "protocol" and exc.value.what == "bytes" and w.killed == 1
    os.close(w.write_fd)
    assert len(os.read(w.read_fd, 4096)) == 1002  # nothing of the body was read


def test_receive_reads_a_frame_into_one_buffer_that_the_tensors_share():
    import io

    w = PipeWorker()
    enc = protocol.Encoder()
    node = enc.encode({"w": torch.arange(1000, dtype=torch.float32), "b": torch.ones(10), "n": 3})
    buf = io.BytesIO()
    protocol.write_frame(buf, {"ok": True, "value": node}, enc.tensors)
    os.write(w.write_fd, buf.getvalue())
    header, tensors = w.receive(5)
    value = protocol.Decoder(tensors).decode(header["value"])
    assert torch.equal(value["w"], torch.arange(1000, dtype=torch.float32)) and value["n"] == 3
    # t0 (4000 bytes) then t1 in the blob: views of one buffer lie exactly that far apart
    assert tensors["t1"].data_ptr() - tensors["t0"].data_ptr() == 4000
    value["w"][0] = 7  # writable
    assert w.killed == 0


# --- the JSON header --------------------------------------------------------------------
def deep(n):
    return "[" * n + "]" * n


@pytest.mark.parametrize("text, what", [
    (deep(65), "depth"),
    (deep(200_000), "depth"),  # json.loads itself would recurse: refused, not a crash
    (json.dumps([0] * 200_001), "nodes"),
    (json.dumps({"__dict__": [[i, 0] for i in range(67_000)]}), "nodes"),  # a dict of many keys
    (json.dumps("x" * 65_537), "string"),
    (json.dumps({f"k{i}": 0 for i in range(1001)}), "entries"),
    (json.dumps({"k" * 70_000: 0}), "string"),
], ids=["depth-65", "depth-200000", "list-of-200001", "dict-of-67000", "string-65537", "object-of-1001",
        "key-of-70000"])
def test_header_limits(text, what):
    assert len(text) <= 1 * MB
    with pytest.raises(protocol.LimitExceeded) as exc:
        protocol.parse_json(text.encode(), protocol.REPLY_TREE)
    assert exc.value.what == what


def test_headers_within_the_limits_pass():
    for text in (deep(64), json.dumps([0] * 199_000), json.dumps("x" * 65_536),
                 json.dumps({f"k{i}": 0 for i in range(1000)})):
        protocol.parse_json(text.encode(), protocol.REPLY_TREE)


def test_a_reply_with_a_million_keys_is_refused_by_size():
    pairs = ",".join(f'["k{i}",{i}]' for i in range(1_000_000))
    head = ('{"ok":true,"value":{"__dict__":[' + pairs + "]}}").encode()
    with pytest.raises(protocol.LimitExceeded):
        protocol.parse_sizes(struct.pack(">IQ", len(head), 0), protocol.REPLY_HEADER_BYTES, 256 * MB)


def test_a_forged_dtype_names_only_a_dtype():
    with pytest.raises(protocol.ProtocolError):
        protocol.Decoder({}).decode({"__dtype__": "load"})
    assert protocol.Decoder({}).decode({"__dtype__": "float16"}) is torch.float16


# --- the safetensors blob ---------------------------------------------------------------
def blob_with(meta: dict, data: bytes = b"") -> bytes:
    head = json.dumps(meta).encode()
    return struct.pack("<Q", len(head)) + head + data


def test_a_saved_blob_loads_as_views_of_it():
    from safetensors.torch import save

    t = {"a": torch.randn(3, 4), "b": torch.arange(5), "c": torch.zeros(0, 2), "d": torch.tensor(True)}
    blob = bytearray(save(t))
    out = protocol.load_tensors(memoryview(blob))
    assert set(out) == set(t) and all(torch.equal(out[k], t[k]) and out[k].dtype == t[k].dtype for k in t)
    lo = torch.frombuffer(blob, dtype=torch.uint8).data_ptr()
    assert lo <= out["a"].data_ptr() < lo + len(blob)  # no copy


@pytest.mark.parametrize("meta, data, what", [
    # declares a terabyte in 16 bytes: refused before anything is allocated
    ({"t": {"dtype": "F32", "shape": [1 << 20, 1 << 20], "data_offsets": [0, 16]}}, b"\0" * 16, None),
    ({"t": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}, b"\0" * 8, None),  # past the end
    ({"t": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
      "u": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}, b"\0" * 12, None),  # overlap
    ({"t": {"dtype": "PICKLE", "shape": [1], "data_offsets": [0, 1]}}, b"\0", None),
    ({f"t{i}": {"dtype": "U8", "shape": [0], "data_offsets": [0, 0]} for i in range(10_001)}, b"", "tensors"),
])
def test_bad_blobs_are_refused(meta, data, what):
    with pytest.raises(protocol.ProtocolError) as exc:
        protocol.load_tensors(blob_with(meta, data))
    if what:
        assert exc.value.what == what


def test_a_tensor_header_over_its_limit_is_refused_unread():
    blob = struct.pack("<Q", 2 * MB) + b"{}"
    with pytest.raises(protocol.LimitExceeded) as exc:
        protocol.load_tensors(blob)
    assert exc.value.what == "tensor_header"


def test_refusals_read_as_feedback_in_both_languages():
    big = client.ReplyRefused(protocol.LimitExceeded("bytes", 1 << 30, 256 * MB))
    status, fb = plugin.explain(big, "mse", None)
    assert status == "error"
    assert "too large to check: 1024 MB, the limit is 256 MB" in render(fb[0], "en")
    assert "1024 MB" in render(fb[0], "zh") and "太大" in render(fb[0], "zh")
    deep_ = client.ReplyRefused(protocol.LimitExceeded("depth", 65, 64))
    _, fb = plugin.explain(deep_, "mse", None)
    assert "nesting depth 65, the limit is 64" in render(fb[0], "en") and "嵌套深度 65" in render(fb[0], "zh")


# --- the grader's own time ------------------------------------------------------------
class FakeSubmission:
    class limits:
        submission_seconds = 100.0

    def __init__(self, spent=0.0):
        self.spent, self.clock = spent, None

    def budget_left(self):
        return self.limits.submission_seconds - self.spent

    def charge(self, seconds):
        self.spent += seconds


def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_grader_clock_ends_grader_work_past_its_limit_and_charges_it():
    sub = FakeSubmission()
    clock = plugin.GraderClock(sub, 0.3)
    t0 = time.monotonic()
    with pytest.raises(plugin.GraderTimeout) as exc:
        clock.start()
        try:
            spin(5)
        finally:
            clock.stop()
    assert time.monotonic() - t0 < 2 and not exc.value.budget
    assert 0.25 < sub.spent < 2


def test_the_grader_clock_stops_while_the_worker_works():
    sub = FakeSubmission()
    clock = plugin.GraderClock(sub, 0.5)
    clock.start()
    clock.pause()
    time.sleep(0.8)  # the worker's time: counted by Submission._timed, not here
    clock.resume()
    spin(0.1)
    clock.stop()
    assert 0.05 < sub.spent < 0.45


def test_the_grader_clock_is_bounded_by_what_is_left_of_the_budget():
    sub = FakeSubmission(spent=99.7)
    clock = plugin.GraderClock(sub, 30)
    with pytest.raises(plugin.GraderTimeout) as exc:
        clock.start()
        try:
            spin(5)
        finally:
            clock.stop()
    assert exc.value.budget and sub.spent >= 99.9
    status, fb = plugin.explain(exc.value, "mse", None)
    assert status == "timeout" and fb[0].key == "budget"


CHECKS = '''
import time
from autograder.checks.api import check

@check("ex01", "mse", 1, en="slow on the grader's side", zh="slow")
def test_slow():
    end = time.monotonic() + 20
    while time.monotonic() < end:
        pass

@check("ex01", "mae", 1, en="quick", zh="quick")
def test_quick():
    pass
'''

DRIVER = '''
import json, pytest
from autograder.grading.plugin import GraderPlugin

class FakeSubmission:
    class limits:
        submission_seconds = 100.0
    spent, clock = 0.0, None
    def budget_left(self):
        return self.limits.submission_seconds - self.spent
    def charge(self, seconds):
        self.spent += seconds

sub = FakeSubmission()
p = GraderPlugin(sub, hidden=False)
pytest.main([{path!r}, "-q", "-p", "no:cacheprovider", "-W", "ignore"], plugins=[p])
print(json.dumps({{"results": [[r.status, r.feedback_text("en")] for r in p.ordered_results()], "spent": sub.spent}}))
'''


def test_a_check_past_the_grader_limit_is_a_timeout_and_the_run_goes_on(tmp_path):
    (tmp_path / "test_checks.py").write_text(CHECKS)
    driver = DRIVER.format(path=str(tmp_path / "test_checks.py"))
    t0 = time.monotonic()
    done = subprocess.run([sys.executable, "-c", driver], capture_output=True, text=True, cwd=ROOT, timeout=120,
                          env={**os.environ, "DLGRADER_GRADER_SECONDS": "1"})
    out = json.loads(done.stdout.strip().splitlines()[-1])
    (slow, slow_text), (quick, _) = out["results"]
    assert slow == "timeout" and "took the grader more than 1 s" in slow_text, out
    assert quick == "passed"
    assert 0.9 < out["spent"] < 5 and time.monotonic() - t0 < 60


# --- feedback caps ------------------------------------------------------------------------
def result(feedback, status="failed"):
    return results.CheckResult(name="t", exercise="ex01", function="mse", max_points=1.0,
                               title={"en": "t", "zh": "t"}, status=status, feedback=feedback)


def test_one_checks_feedback_is_cut():
    r = result([Msg("raised", func="mse", exc="ValueError", message="m" * 900), "x" * 5000])
    text = r.feedback_text("en")
    assert len(text) < results.CHECK_CHARS + 60
    assert text.endswith(f"… and {len(r.feedback_text('en', limit=10**9)) - results.CHECK_CHARS} more characters")
    assert "还有" in r.feedback_text("zh")


def test_a_parameter_and_a_list_are_cut():
    text = render(Msg("raised", func="mse", exc="E", message="m" * 50_000))
    assert len(text) < 1100 and "… and 49000 more characters" in text
    shape = render(Msg("cmp.shape", got=list(range(1_000_000)), expected=[2, 3]))
    assert shape.startswith("shape [0, 1, 2, 3, 4, 5, 6, 7 … and 999992 more]") and len(shape) < 100
    assert render(Msg("cmp.shape", got=[4, 5], expected=[2, 3])) == "shape [4, 5], expected [2, 3]"


def test_a_report_is_cut_whatever_its_checks_say():
    report = results.Report(results=[result(["y" * 3000]) for _ in range(200)], isolation="process", suite="public",
                            notes=[Msg("intake.ignored", name=f"f{i}.py") for i in range(10_000)])
    data = report.to_json("en")
    total = sum(len(t["feedback"]) for t in data["tests"]) + sum(map(len, data["notes"]))
    assert total < results.REPORT_CHARS + 200 * 80
    assert len(data["notes"]) == results.NOTES_SHOWN + 1 and data["notes"][-1] == "… and 9950 more"
    one = len(report.results[0].feedback_text("en"))
    assert data["tests"][-1]["feedback"] == f"… and {one} more characters of feedback in this report"
    from autograder.reports.console import render_report
    from autograder.reports.gradescope import results_json

    assert len(render_report(report)) < results.REPORT_CHARS + 200 * 150
    assert len(json.dumps(results_json(report), ensure_ascii=False)) < results.REPORT_CHARS + 200 * 400


# --- hidden feedback --------------------------------------------------------------------
@pytest.fixture
def hidden():
    api.SETTINGS["reveal_expected"] = False
    yield
    api.SETTINGS["reveal_expected"] = True


def texts(exc):
    """Everything a failed check can show: the rendering in both languages and the exception's text."""
    return [render(exc.detail, "en"), render(exc.detail, "zh"), str(exc), repr(exc.detail)]


SECRET = 8.4613  # the hidden answer
GOT = 0.5  # the student's
DIFF = SECRET - GOT  # 7.9613


def test_hidden_values_name_where_they_differ_and_what_came_back(hidden):
    expected = torch.tensor([1.0, 2.0, SECRET])
    got = torch.tensor([1.0, 2.0, GOT])
    with pytest.raises(api.CheckFailed) as exc:
        api.expect_close(got, expected)
    shown = texts(exc.value)
    assert "index [2]" in shown[0] and "got 0.5" in shown[0] and "下标 [2]" in shown[1]
    for text in shown:
        assert "8.46" not in text and "7.96" not in text, text


def test_hidden_numbers_name_neither_the_expected_value_nor_the_distance(hidden):
    with pytest.raises(api.CheckFailed) as exc:
        api.expect_number(GOT, SECRET)
    with pytest.raises(api.CheckFailed) as exc2:
        api.expect_equal(3, 17)
    for text in texts(exc.value):
        assert "8.46" not in text and "7.96" not in text, text
    for text in texts(exc2.value):
        assert "17" not in text, text
    en, zh = texts(exc.value)[:2]
    assert en == "got 0.5, which is not the expected value" and zh == "实际得到 0.5，不是期望的值"


def test_public_feedback_still_shows_the_expected_value():
    """The same comparisons outside hidden checks: what the hidden tests look for is there."""
    with pytest.raises(api.CheckFailed) as exc:
        api.expect_close(torch.tensor([GOT]), torch.tensor([SECRET]))
    assert "8.46" in render(exc.value.detail, "en") and "7.96" in render(exc.value.detail, "en")
    with pytest.raises(api.CheckFailed) as exc:
        api.expect_number(GOT, SECRET)
    assert "8.46" in render(exc.value.detail, "zh")


# --- a real worker sends a forged 1 GiB frame ----------------------------------------------
FLOOD = '''

def mse(pred, target):
    """Writes a frame announcing a 1 GiB result on the worker's protocol pipe, then 1 GiB."""
    import gc, struct
    worker = next(o for o in gc.get_objects() if type(o).__name__ == "Worker" and hasattr(o, "proto_out"))
    out = worker.proto_out
    out.write(struct.pack(">IQ", 2, 1 << 30) + b"{}")
    chunk = bytes(1 << 20)
    for _ in range(1 << 10):
        out.write(chunk)
    out.flush()
    return pred
'''

GRADER = '''
import json, resource, sys
from pathlib import Path
import pytest, torch
from autograder.engine.client import warm_grader
from autograder.grading.grade import grade
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
warm_grader()  # what the grader imports anyway: torch alone is about 0.7 GB of RSS
before = peak()
report = grade(Path(sys.argv[1]), suite="public", select="ex01")
print(json.dumps({"before": before, "peak": peak(), "tests": report.to_json("en")["tests"]}))
'''


def forged_frame_run(tmp_path, root=ROOT):
    sub = tmp_path / "sub"
    sub.mkdir()
    solution = open(os.path.join(ROOT, "solutions", "ex01_gradient_descent.py")).read()
    (sub / "ex01_gradient_descent.py").write_text(solution + textwrap.dedent(FLOOD))
    env = {**os.environ, "DLGRADER_KEEP_WARM": "0", "DLGRADER_CALL_SECONDS": "60", "PYTHONPATH": str(root)}
    env.pop("DLGRADER_MAX_REPLY_MB", None)
    done = subprocess.run([sys.executable, "-c", GRADER, str(sub)], capture_output=True, text=True, cwd=root,
                          env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_forged_gigabyte_frame_keeps_the_grader_under_1_gb(tmp_path):
    out = forged_frame_run(tmp_path)
    by_function = {}
    for t in out["tests"]:
        by_function.setdefault(t["function"], []).append(t)
    (mse,) = by_function["mse"]
    assert mse["status"] == "error" and "too large to check: 1024 MB, the limit is 256 MB" in mse["feedback"], mse
    # the worker was restarted: the checks after it (and before) were graded, and pass
    # (a check that watches the worker gives nothing while the flood's own `import gc` is there)
    from autograder.checks import points

    watched = {c.name for c in points.declared("public") if c.keywords.get("in_process")}
    later = [t for t in out["tests"] if t["function"] != "mse" and t["name"] not in watched]
    assert len(later) >= 8 and all(t["status"] == "passed" for t in later), later
    assert all(t["status"] == "failed" and "import gc" in t["feedback"] for t in out["tests"] if t["name"] in watched)
    assert any(t["function"] in ("mae", "smooth_l1", "gd_step") for t in later)
    print(f"grader peak RSS: {out['peak'] / MB:.0f} MB, {out['before'] / MB:.0f} MB before grading")
    # Reading the announced 1 GiB would add at least 1 GiB (before bounded reads: 3.9 GB in all).
    assert out["peak"] - out["before"] < 256 * MB, f"grading took the grader from {out['before'] / MB:.0f} MB " \
                                                    f"to {out['peak'] / MB:.0f} MB"
    # Under 1 GB, unless torch's own import takes it near that (0.9 GB here), then within 256 MB of it.
    assert out["peak"] < max(1024 * MB, out["before"] + 256 * MB), f"the grader reached {out['peak'] / MB:.0f} MB"
