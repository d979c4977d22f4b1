"""The pytest plugin that turns each check's outcome into a CheckResult."""
from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import pytest

from .. import settings
from ..assignment import BONUSES
from ..checks import api, points, source_rules
from ..engine.client import ModuleBroken, ReplyRefused, StudentError, WorkerFailure
from ..feedback.catalog import Msg, clean
from .causes import called
from .results import CheckResult


def _exercise_of(item) -> str | None:
    mark = item.get_closest_marker("check")
    return mark.kwargs.get("exercise") if mark else None


PRINTED_CHARS = 4000  # of what student code printed during one check, the last this many are kept


def grader_seconds() -> float:
    """The limit on the grader's own work on one check (comparing, reference computations,
    decoding replies), apart from the time the worker takes: DLGRADER_GRADER_SECONDS (0: the
    default). Grading solutions/, the longest was 2.3 s (a public check); a whole suite's, under 4 s."""
    return settings.value("DLGRADER_GRADER_SECONDS") or settings.default("DLGRADER_GRADER_SECONDS")


class GraderTimeout(BaseException):
    """The grader's own work on a check ran past its limit, or past what was left of the
    submission's budget (``budget``). A BaseException, so that no ``except Exception`` of a
    check takes it for a verdict."""

    def __init__(self, seconds: float, budget: bool):
        super().__init__(f"the grader's work on this check passed {seconds:.0f} s")
        self.seconds, self.budget = seconds, budget


class GraderClock:
    """The grader's time on one check. It runs while the grader works and stops while the
    worker does (Submission pauses it); what it counts is charged to the submission's budget,
    and when it passes ``allowed`` (the limit, or what is left of the budget) a SIGALRM ends
    the check with GraderTimeout. The alarm only in the main thread; elsewhere it only counts."""

    def __init__(self, submission, limit: float):
        self.submission, self.limit = submission, limit
        self.used, self.running_since, self.depth = 0.0, None, 0
        left = submission.budget_left()
        self.budget = left < limit
        self.allowed = max(min(limit, left), 0.001)
        self.alarm = threading.current_thread() is threading.main_thread() and hasattr(signal, "setitimer")
        self.previous, self.outer, self.started = None, 0.0, 0.0

    def _ring(self, signum, frame):
        if self.running_since is not None:
            raise GraderTimeout(self.submission.limits.submission_seconds if self.budget else self.limit,
                                self.budget)

    def start(self) -> None:
        self.started = time.monotonic()
        if self.alarm:
            # An alarm already set (pytest-timeout's, in the project's tests) waits and is set again in stop().
            self.outer = signal.setitimer(signal.ITIMER_REAL, 0)[0]
            self.previous = signal.signal(signal.SIGALRM, self._ring)
        self._run()

    def stop(self) -> None:
        """Stop the alarm and charge the time, once, even if the alarm rings while stopping."""
        for _ in range(2):
            try:
                self._halt()
                break
            except GraderTimeout:  # it rang on the way here: the check is over anyway
                continue
        if self.alarm and self.previous is not False:
            signal.signal(signal.SIGALRM, self.previous or signal.SIG_DFL)
            self.previous = False
            if self.outer:
                signal.setitimer(signal.ITIMER_REAL, max(self.outer - (time.monotonic() - self.started), 0.001))
        if self.used is not None:
            self.submission.charge(self.used)
            self.used = None

    def pause(self) -> None:
        self.depth += 1
        if self.depth == 1:
            self._halt()

    def resume(self) -> None:
        self.depth -= 1
        if self.depth == 0:
            self._run()

    def _run(self) -> None:
        self.running_since = time.monotonic()
        if self.alarm:
            signal.setitimer(signal.ITIMER_REAL, max(self.allowed - self.used, 0.001))

    def _halt(self) -> None:
        if self.alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if self.running_since is not None:
            self.used += time.monotonic() - self.running_since
            self.running_since = None


def _func_label(target: str) -> str:
    return target.split(".", 1)[1] if "." in target else target


def explain(exc: BaseException, function: str, limits) -> tuple[str, list]:
    """(status, feedback) for an exception raised while a check ran."""
    if isinstance(exc, api.CheckFailed):
        if isinstance(exc.name, Msg):  # words, rendered in the report's language
            feedback = [Msg("label.named", it=exc.name), exc.detail]
        else:
            feedback = [f"{exc.name}: ", exc.detail] if exc.name else [exc.detail]
        if exc.hint is not None:
            feedback += [Msg("label.hint"), ":", exc.hint]
        return "failed", _join_label(feedback)
    if isinstance(exc, StudentError):
        info, func = exc.info, _func_label(exc.target) or function
        if info.get("not_implemented"):
            return "failed", [Msg("not_implemented", func=func)]
        fb = [Msg("raised", func=func, exc=info.get("type", "?"), message=info.get("message", ""))]
        if info.get("where"):
            fb.append(Msg("where", where=info["where"]))
        return "failed", fb
    if isinstance(exc, ModuleBroken):
        if exc.reason == "missing":
            return "error", [Msg("module_missing", module=exc.module)]
        if exc.reason == "import":
            fb = [Msg("module_import", module=exc.module, exc=exc.info.get("type", "?"),
                      message=exc.info.get("message", ""))]
            if exc.info.get("where"):
                fb.append(Msg("where", where=exc.info["where"]))
            return "error", fb
        if exc.reason.startswith("rejected:"):
            return "error", [Msg("module_rejected", module=exc.module, reason=exc.info.get("message", ""))]
        status = "timeout" if exc.reason.endswith("timeout") else "error"
        return status, [Msg("module_import_crash", module=exc.module)]
    if isinstance(exc, GraderTimeout):
        if exc.budget:
            return "timeout", [Msg("budget", seconds=exc.seconds)]
        return "timeout", [Msg("grader_timeout", func=function, seconds=exc.seconds)]
    if isinstance(exc, ReplyRefused):
        if exc.what == "bytes":
            return "error", [Msg("too_large", func=function, size=_mb(exc.size), limit=_mb(exc.limit))]
        return "error", [Msg("too_complex", func=function, what=Msg(f"limit.{exc.what}"), size=exc.size,
                             limit=exc.limit)]
    if isinstance(exc, WorkerFailure):
        if exc.kind in ("timeout", "budget"):
            key = "timeout" if exc.kind == "timeout" else "budget"
            return "timeout", [Msg(key, func=function, seconds=exc.seconds)]
        if exc.kind == "memory":
            return "error", [Msg("memory", func=function, limit=f"{limits.memory_bytes / 1024**3:.1f} GB")]
        if exc.kind == "disk":
            return "error", [Msg("disk", func=function, limit=f"{limits.disk_bytes / 1024**2:.0f} MB")]
        if exc.kind == "startup":
            return "error", [Msg("startup", detail=exc.detail[-300:])]
        if exc.kind == "protocol":
            return "error", [Msg("protocol", func=function, detail=exc.detail[:200])]
        return "error", [Msg("crash", func=function, detail=exc.detail.strip()[-300:] or "-")]
    if isinstance(exc, (pytest.skip.Exception, pytest.xfail.Exception)):
        return "failed", [Msg("only_pass_counts")]
    return "failed", [Msg("check_error", exc=type(exc).__name__, message=str(exc)[:200])]


def _mb(size: int) -> str:
    return f"{size / 1024**2:.0f}" if size >= 1024**2 else f"{size / 1024**2:.2f}"


def _join_label(parts: list) -> list:
    """[name, detail, label, ':', hint] -> readable pieces without stray spaces."""
    return [p for p in parts if p != ""]


class GraderPlugin:
    """``progress``: told ``start(result)`` and ``done(result)`` around each check (the console's
    live line), or None."""

    def __init__(self, submission, hidden: bool, exercises=None, progress=None):
        self.submission, self.hidden, self.exercises, self.progress = submission, hidden, exercises, progress
        self.results: dict[str, CheckResult] = {}
        self.order: list[str] = []
        api.SETTINGS["reveal_expected"] = not hidden

    def pytest_configure(self, config):
        config.stash[api.SUBMISSION] = self.submission

    # checks that watch the worker ------------------------------------------------------
    def tampering(self):
        """(file, Finding) of the first construction, in any module of the submission, that can
        alter what the worker observes (source_rules.tampering), or None. Read once, with ast."""
        if not hasattr(self, "_tampering"):
            self._tampering = None
            for name in sorted(self.submission.files):
                found = source_rules.tampering(self.submission.files[name])
                if found:
                    self._tampering = (name, found[0])
                    break
        return self._tampering

    def watched_but_tampered(self, item):
        """The failure of a check marked ``in_process`` that passed while a module of the submission
        can alter what the worker observes (source_rules.tampering), else None. Such a check also
        rests on what the worker observed while student code ran; it may only take a point away,
        so while that observation cannot be trusted it gives none: forging the observation gains
        nothing over the same code without the forgery. A check that fails on its own keeps its
        own outcome and feedback."""
        marker = item.get_closest_marker("check")
        if marker is None or not marker.kwargs.get("in_process"):
            return None
        found = self.tampering()
        if found is None:
            return None
        name, finding = found
        return api.CheckFailed(Msg("in_process_tampering", file=name, line=finding.line or "-", what=finding.what))

    # collection ------------------------------------------------------------------
    def pytest_collection_modifyitems(self, config, items):
        if self.exercises:  # the other exercises' checks in the same files (mnist's in ex08's)
            left_out = [i for i in items if i.get_closest_marker("check") is not None
                        and i.get_closest_marker("check").kwargs["exercise"] not in self.exercises]
            if left_out:
                items[:] = [i for i in items if i not in left_out]
                config.hook.pytest_deselected(items=left_out)
        for item in items:
            marker = item.get_closest_marker("check")
            if marker is None:
                raise pytest.UsageError(f"{item.nodeid} has no @check(...) marker")
            kw = marker.kwargs
            suite_dir = Path(item.path).parent  # checks/public or checks/hidden
            share = points.points(suite_dir.name, suite_dir.parent)[Path(item.path).name, item.name]
            self.results[item.nodeid] = CheckResult(
                name=item.name, exercise=kw["exercise"], function=kw["function"], max_points=share,
                title={"en": kw["en"], "zh": kw["zh"]}, hidden=self.hidden,
                status="error", feedback=["check did not run"])
            self.order.append(item.nodeid)
        # A bonus is graded only where its data is in the data folder (assignment.BONUSES): elsewhere
        # its checks are deselected, and the report has no line and no points for it.
        data_dir = getattr(self.submission, "data_dir", None)  # a grader's own test of the plugin may have none
        missing = {name for name, bonus in BONUSES.items() if data_dir is None or not bonus.available(data_dir)}
        dropped = [item for item in items if _exercise_of(item) in missing]
        if dropped:
            items[0].config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if _exercise_of(item) not in missing]

    def pytest_deselected(self, items):
        """Checks left out with ``-k`` are not part of this report."""
        for item in items:
            if self.results.pop(item.nodeid, None) is not None:
                self.order.remove(item.nodeid)

    # the grader's own time -----------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        clock = GraderClock(self.submission, grader_seconds())
        self.submission.clock = clock
        api.CURVES.clear()
        clock.start()
        try:
            yield
        finally:
            clock.stop()
            self.submission.clock = None
            result = self.results.get(item.nodeid)
            if result is not None and not self.hidden:
                result.curves = list(api.CURVES)
            api.CURVES.clear()

    # what each check ran and what student code printed meanwhile --------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        result = self.results.get(item.nodeid)
        sub = self.submission
        if result is None or not hasattr(type(sub), "call"):  # a stand-in of the plugin's own tests
            yield
            return
        plain_call = type(sub).call

        def recording_call(target, *args, **kwargs):
            result.calls.extend(c for c in called(target, args) if c not in result.calls)
            return plain_call(sub, target, *args, **kwargs)

        plain_ready = type(sub)._ensure_ready

        def ready_then_mark():  # what a worker prints while it starts is not the student's
            starting = not sub._ready
            plain_ready(sub)
            if starting:
                self.started_at = self._printed_mark()

        before = self._printed_mark()
        sub.call = recording_call  # this Submission only, for this check only
        sub._ensure_ready = ready_then_mark
        if self.progress is not None:
            self.progress.start(result)
        try:
            yield
        finally:
            del sub.call, sub._ensure_ready
            result.output = self._printed_since(before)
            if self.progress is not None:
                self.progress.done(result)

    def _printed_mark(self):
        process = self.submission.process
        path = getattr(process, "stderr_path", None)
        try:
            return path, (path.stat().st_size if path is not None else 0)
        except OSError:
            return path, 0

    def _printed_since(self, mark) -> str:
        """What the worker wrote to its output (student prints go there) since ``mark``; a worker
        started again meanwhile is read from its start."""
        path, offset = mark
        now = getattr(self.submission.process, "stderr_path", None)
        if now is None:
            return ""
        if now != path:
            offset = 0
        started = getattr(self, "started_at", (None, 0))
        if started[0] == now:
            offset = max(offset, started[1])
        try:
            with open(now, "rb") as f:
                f.seek(offset)
                data = f.read(1 << 20)
        except OSError:
            return ""
        text = clean(data.decode("utf-8", "replace")).strip()
        return text[-PRINTED_CHARS:]

    # outcomes --------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        result = self.results.get(item.nodeid)
        if result is None:
            return
        result.seconds += report.duration
        if call.when == "setup" and call.excinfo is None:
            return
        if call.when == "teardown" and call.excinfo is None:
            return
        if call.when == "call" and call.excinfo is None and report.passed and not hasattr(report, "wasxfail"):
            tampered = self.watched_but_tampered(item)
            if tampered is None:
                result.status, result.feedback = "passed", []
            else:
                result.status, result.feedback = explain(tampered, result.function, self.submission.limits)
            return
        if result.status == "passed" and call.when == "teardown":
            exc = call.excinfo.value
        elif call.excinfo is not None:
            exc = call.excinfo.value
        else:  # xpass and the like
            exc = pytest.xfail.Exception("xpass")
        result.status, result.feedback = explain(exc, result.function, self.submission.limits)

    def ordered_results(self) -> list[CheckResult]:
        return [self.results[n] for n in self.order]
