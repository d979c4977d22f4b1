"""How a check's outcome becomes its status and feedback (grading/plugin.py's explain), one kind of
outcome at a time, without a worker, a submission or torch: passed / failed / error / timeout, and
what the student reads for each."""
import subprocess
import sys
from types import SimpleNamespace

import pytest
from conftest import ROOT

from autograder.checks.api import CheckFailed
from autograder.engine.client import ModuleBroken, ReplyRefused, StudentError, WorkerFailure
from autograder.engine.worker.protocol import MB, LimitExceeded
from autograder.feedback.catalog import Msg, render
from autograder.grading.plugin import GraderTimeout, explain
from autograder.grading.results import CheckResult

LIMITS = SimpleNamespace(memory_bytes=2 * 1024**3, disk_bytes=200 * 1024**2)


def outcome(exc, function="softmax"):
    status, feedback = explain(exc, function, LIMITS)
    return status, " ".join(render(part) for part in feedback)


def keys(exc, function="softmax"):
    return [getattr(part, "key", part) for part in explain(exc, function, LIMITS)[1]]


def test_torch_is_not_needed():
    code = "import sys, autograder.grading.plugin; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


def test_a_failed_expectation_says_what_where_and_the_hint():
    exc = CheckFailed(Msg("cmp.length", got=2, expected=3), hint="hint.ex01_softmax_stable", name="softmax(x)")
    status, text = outcome(exc)
    assert status == "failed"
    assert keys(exc) == ["softmax(x): ", "cmp.length", "label.hint", ":", "hint.ex01_softmax_stable"]
    assert text.startswith("softmax(x): ") and render(Msg("hint.ex01_softmax_stable")) in text
    assert keys(CheckFailed(Msg("cmp.length", got=2, expected=3))) == ["cmp.length"]  # no name, no hint


def test_a_label_in_words_is_rendered_in_the_report_language():
    exc = CheckFailed(Msg("cmp.length", got=2, expected=3), name=Msg("label.same_seed", what="w"))
    status, feedback = explain(exc, "fit_linear_regression", LIMITS)
    assert status == "failed" and [getattr(part, "key", part) for part in feedback] == ["label.named", "cmp.length"]
    en = " ".join(render(part, "en") for part in feedback)
    zh = " ".join(render(part, "zh") for part in feedback)
    assert en.startswith("w with the same seed: length 2")
    assert zh.startswith("相同种子下的 w：") and "same" not in zh
    result = CheckResult(name="t", exercise="ex01", function="fit_linear_regression", max_points=1.0, title={},
                         status=status, feedback=feedback)
    assert result.feedback_text("zh").startswith("相同种子下的 w：长度为 2")
    assert result.feedback_text("en").startswith("w with the same seed: length 2")


def test_student_code_that_raises_fails_the_check():
    assert outcome(StudentError({"not_implemented": True}, "ex01_gradient_descent.softmax")) == \
        ("failed", render(Msg("not_implemented", func="softmax")))
    exc = StudentError({"type": "ValueError", "message": "bad", "where": "ex01_gradient_descent.py:12"},
                       "ex01_gradient_descent.mse")
    status, _ = outcome(exc)
    assert status == "failed"
    assert keys(exc) == ["raised", "where"]
    assert explain(exc, "softmax", LIMITS)[1][0].params["func"] == "mse"  # the function that raised
    assert explain(StudentError({}, ""), "softmax", LIMITS)[1][0].params["func"] == "softmax"


@pytest.mark.parametrize("reason, info, status, key", [
    ("missing", None, "error", "module_missing"),
    ("import", {"type": "SyntaxError", "message": "invalid syntax"}, "error", "module_import"),
    ("rejected: too large", {"message": "over 1 MB"}, "error", "module_rejected"),
    ("import timeout", None, "timeout", "module_import_crash"),
    ("import crash", None, "error", "module_import_crash"),
])
def test_a_module_that_cannot_be_used(reason, info, status, key):
    exc = ModuleBroken("ex01_gradient_descent", reason, info)
    assert explain(exc, "softmax", LIMITS)[0] == status
    assert keys(exc)[0] == key


def test_the_import_error_says_where():
    exc = ModuleBroken("ex01_gradient_descent", "import", {"type": "NameError", "message": "x", "where": "line 3"})
    assert keys(exc) == ["module_import", "where"]


@pytest.mark.parametrize("kind, status, key", [
    ("timeout", "timeout", "timeout"),
    ("budget", "timeout", "budget"),
    ("memory", "error", "memory"),
    ("disk", "error", "disk"),
    ("startup", "error", "startup"),
    ("protocol", "error", "protocol"),
    ("crash", "error", "crash"),
    ("anything else", "error", "crash"),
])
def test_the_worker_failing(kind, status, key):
    exc = WorkerFailure(kind, "the last lines", seconds=12.0)
    assert explain(exc, "fit", LIMITS)[0] == status
    assert keys(exc, "fit") == [key]


def test_the_limits_are_named_in_the_students_units():
    assert "2.0 GB" in outcome(WorkerFailure("memory"))[1]
    assert "200 MB" in outcome(WorkerFailure("disk"))[1]
    assert outcome(WorkerFailure("crash", "   "))[0] == "error"  # no output: still a sentence


def test_a_reply_over_the_limits():
    big = ReplyRefused(LimitExceeded("bytes", 300 * MB, 256 * MB))
    assert explain(big, "fit", LIMITS)[0] == "error" and keys(big, "fit") == ["too_large"]
    assert explain(big, "fit", LIMITS)[1][0].params == {"func": "fit", "size": "300", "limit": "256"}
    deep = ReplyRefused(LimitExceeded("depth", 200, 100))
    assert explain(deep, "fit", LIMITS)[0] == "error" and keys(deep, "fit") == ["too_complex"]


def test_the_graders_own_time():
    assert outcome(GraderTimeout(30, budget=False))[0] == "timeout"
    assert keys(GraderTimeout(30, budget=False)) == ["grader_timeout"]
    assert keys(GraderTimeout(600, budget=True)) == ["budget"]


def test_skips_and_the_checks_own_errors_are_failures_never_passes():
    assert outcome(pytest.skip.Exception("no"))[0] == "failed"
    assert keys(pytest.xfail.Exception("xpass")) == ["only_pass_counts"]
    status, text = outcome(KeyError("history"))
    assert status == "failed" and keys(KeyError("history")) == ["check_error"] and "KeyError" in text
