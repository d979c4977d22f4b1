"""The pytest plugin that turns each check's outcome into a CheckResult."""
from __future__ import annotations

import pytest

from ..checks import api
from ..engine.client import ModuleBroken, StudentError, WorkerFailure
from ..feedback.catalog import Msg
from .results import CheckResult


def _func_label(target: str) -> str:
    return target.split(".", 1)[1] if "." in target else target


def explain(exc: BaseException, function: str, limits) -> tuple[str, list]:
    """(status, feedback) for an exception raised while a check ran."""
    if isinstance(exc, api.CheckFailed):
        name = f"{exc.name}: " if exc.name else ""
        feedback = [name + "", exc.detail] if name else [exc.detail]
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
            fb = [Msg("module_import", module=exc.module, exc=exc.info.get("type", "?"), message=exc.info.get("message", ""))]
            if exc.info.get("where"):
                fb.append(Msg("where", where=exc.info["where"]))
            return "error", fb
        if exc.reason.startswith("rejected:"):
            return "error", [Msg("module_rejected", module=exc.module, reason=exc.info.get("message", ""))]
        status = "timeout" if exc.reason.endswith("timeout") else "error"
        return status, [Msg("module_import_crash", module=exc.module)]
    if isinstance(exc, WorkerFailure):
        if exc.kind in ("timeout", "budget"):
            key = "timeout" if exc.kind == "timeout" else "budget"
            return "timeout", [Msg(key, func=function, seconds=exc.seconds)]
        if exc.kind == "memory":
            return "error", [Msg("memory", func=function, limit=f"{limits.memory_bytes / 1024**3:.1f} GB")]
        if exc.kind == "startup":
            return "error", [Msg("startup", detail=exc.detail[-300:])]
        if exc.kind == "protocol":
            return "error", [Msg("protocol", func=function, detail=exc.detail[:200])]
        return "error", [Msg("crash", func=function, detail=exc.detail.strip()[-300:] or "-")]
    if isinstance(exc, (pytest.skip.Exception, pytest.xfail.Exception)):
        return "failed", [Msg("only_pass_counts")]
    return "failed", [Msg("check_error", exc=type(exc).__name__, message=str(exc)[:200])]


def _join_label(parts: list) -> list:
    """[name, detail, label, ':', hint] -> readable pieces without stray spaces."""
    return [p for p in parts if p != ""]


class GraderPlugin:
    def __init__(self, submission, hidden: bool):
        self.submission, self.hidden = submission, hidden
        self.results: dict[str, CheckResult] = {}
        self.order: list[str] = []
        api.SETTINGS["reveal_expected"] = not hidden

    def pytest_configure(self, config):
        config.stash[api.SUBMISSION] = self.submission

    # collection ------------------------------------------------------------------
    def pytest_collection_modifyitems(self, items):
        for item in items:
            marker = item.get_closest_marker("check")
            if marker is None:
                raise pytest.UsageError(f"{item.nodeid} has no @check(...) marker")
            kw = marker.kwargs
            self.results[item.nodeid] = CheckResult(
                name=item.name, exercise=kw["exercise"], function=kw["function"], max_points=float(kw["points"]),
                title={"en": kw["en"], "zh": kw["zh"]}, hidden=self.hidden,
                status="error", feedback=["check did not run"])
            self.order.append(item.nodeid)

    def pytest_deselected(self, items):
        """Checks left out with ``-k`` are not part of this report."""
        for item in items:
            if self.results.pop(item.nodeid, None) is not None:
                self.order.remove(item.nodeid)

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
            result.status, result.feedback = "passed", []
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
