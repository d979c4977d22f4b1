"""What a student sees in the terminal: one row per exercise, the total, one line per failure."""
from __future__ import annotations

import os
import threading
import time
import unicodedata
from pathlib import PurePath

from ..assignment import BONUS, MODULES
from ..feedback.catalog import Msg, clean, render
from ..grading.causes import MODULE_FAILURES

HEAD = {
    "en": ("exercise", "points", "total", "bonus", "checks passed", "isolation", "All checks passed.",
           "Not implemented yet: {names}", "To do"),
    "zh": ("练习", "得分", "总分", "附加分", "通过的检查", "隔离方式", "所有检查都通过了。",
           "尚未实现：{names}", "待完成"),
}
# [x] reads as "done" to most people: a failure is [-]; the legend under the list says what each is.
MARK = {"passed": "ok", "failed": "-", "error": "!", "timeout": "T", "unwritten": " "}


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal: East Asian wide and full-width characters take two."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def pad(text: str, columns: int, right: bool = False) -> str:
    """``text`` padded with spaces to ``columns`` display columns (see width)."""
    fill = " " * max(0, columns - width(text))
    return fill + text if right else text + fill


def render_report(report, lang: str = "en", folder: str = "exercises", command: str = "./grade.sh",
                  show_output: bool = False) -> str:
    """The report as printed; without control characters or escape sequences whatever the
    submission made its feedback say (catalog.clean), and with every line of feedback
    indented, so that none can pass for a row of the table or the total. ``folder``: the
    graded folder as the student names it; ``command``: what grades it again (both are in the
    closing "Next:" line). ``show_output``: under each failing check, what the student's code
    printed while it ran (otherwise only that it printed). How the worker was isolated is not
    shown here: it is in the JSON report."""
    return clean(_render(report, lang, folder, command, show_output))


def _module_level(result) -> bool:
    return result.status != "passed" and getattr(result.feedback[0] if result.feedback else None, "key", "") \
        in MODULE_FAILURES


def _render(report, lang: str, folder: str = "exercises", command: str = "./grade.sh",
            show_output: bool = False) -> str:
    h = HEAD.get(lang, HEAD["en"])
    per = report.by_exercise()
    # A module none of whose checks could run is said once, in its own line below: the note of
    # intake that says the same is left out.
    whole = {ex for ex in per if (mine := [r for r in report.results if r.exercise == ex])
             and all(_module_level(r) for r in mine)}
    shown_modules = {MODULES.get(ex) for ex in whole}
    notes_kept = [n for n in report.notes
                  if not (getattr(n, "key", "") == "module_rejected" and n.params.get("module") in shown_modules)]
    notes, feedback = report.texts(lang, notes=notes_kept)  # cleaned and cut (see Report.texts)
    text_of = {id(r): t for r, t in zip(report.results, feedback)}
    col = max(10, width(h[0]) + 1, width(h[2]) + 1)
    lines = [f"{pad(h[0], col)} {pad(h[1], 8, right=True)}  {'':10} {h[4]}"]
    for ex, (score, maximum) in per.items():
        mine = [r for r in report.results if r.exercise == ex]
        if not mine:  # left out with -k
            continue
        passed = sum(r.status == "passed" for r in mine)
        bar = _bar(score, maximum)
        suffix = f"  ({h[3]})" if ex in BONUS else ""
        lines.append(f"{pad(ex, col)} {_num(score):>4}/{_num(maximum):<3} {bar} {passed}/{len(mine)}{suffix}")
    only = getattr(report, "exercises", None)
    lines.append(f"{pad(h[2], col)} {_num(report.base_score):>4}/{_num(report.max_score)}"
                 + (f"  + {h[3]} {_num(report.bonus)}" if report.bonus else "")
                 + (" " + render(Msg("total.only", names=", ".join(only)), lang) if only else ""))
    for n in notes:
        lines.append("  * " + _indent(n))
    failures = [r for r in report.results if r.status != "passed"]
    printed = [r for r in report.results if r.output]
    if not failures:
        lines.append(h[6])
        if printed:
            lines.append(render(Msg("console.printed_total", count=len(printed)), lang))
        return "\n".join(lines)
    lines.append("")
    lines.append(h[8] + ("：" if lang == "zh" else ":"))
    marks: list[str] = []

    def line(mark: str, text: str) -> None:
        marks.append(mark)
        lines.append(f"  [{MARK[mark]}] {text}")

    # A module that could not run at all: one line, its cause first, then those that import it.
    for ex in sorted(whole, key=lambda e: (bool(_first(report, e).cause), e)):
        mine = [r for r in report.results if r.exercise == ex]
        first = mine[0]
        count = render(Msg("console.module_checks", count=len(mine), points=_num(per[ex][1])), lang)
        line(first.status, f"{ex} {_indent(text_of[id(first)])} {count}")
    # One line per function that is simply not written yet; one per other failure.
    unwritten: dict[str, list[str]] = {}
    for r in failures:
        if r.exercise not in whole and _unwritten(r):
            names = unwritten.setdefault(r.exercise, [])
            # the function that raised (a check of lr_sweep may reach compare_optimizers first)
            raised = str(r.feedback[0].params.get("func", ""))
            for name in dict.fromkeys((raised if raised.isidentifier() else r.function, r.function)):
                if name not in names:
                    names.append(name)
    for r in failures:
        if r.exercise in whole or (r.exercise in unwritten and _unwritten(r)):
            continue
        title = r.title.get(lang) or r.title["en"]
        text = f"{r.exercise} {r.function} - {title}{'：' if lang == 'zh' else ': '}{_indent(text_of[id(r)])}"
        if r.output:
            if show_output:
                text += "\n      " + render(Msg("console.printed_shown"), lang) + "\n        " \
                    + r.output.replace("\n", "\n        ")
            else:
                text += " (" + render(Msg("console.printed", lines=r.output.count("\n") + 1), lang) + ")"
        line(r.status, text)
        for picture in r.curve_files:
            lines.append("      " + render(Msg("curve.saved", path=_shown(picture)), lang))
    for ex, names in unwritten.items():
        line("unwritten", f"{ex} " + h[7].format(names=", ".join(names)))
    lines.append(render(Msg("console.legend", marks=_legend(marks, lang)), lang))
    if printed and not show_output:
        lines.append(render(Msg("console.printed_total", count=len(printed)), lang))
    lines.append(_next_step(failures, unwritten, whole, lang, folder, command))
    return "\n".join(lines)


def _shown(path: str) -> str:
    """A file as the student would type it: relative to where they are when it lies below, else absolute."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _first(report, exercise: str):
    return next(r for r in report.results if r.exercise == exercise)


def _unwritten(result) -> bool:
    return bool(result.feedback) and getattr(result.feedback[0], "key", "") == "not_implemented"


def _legend(marks: list[str], lang: str) -> str:
    """What each mark shown means, in the order of MARK."""
    used = [m for m in MARK if m in marks]
    sep = "，" if lang == "zh" else ", "
    return sep.join(f"[{MARK[m]}] " + render(Msg(f"console.mark.{m}"), lang) for m in used)


def _indent(text: str) -> str:
    return text.replace("\n", "\n      ")


def _next_step(failures, unwritten: dict, whole: set, lang: str, folder: str = "exercises",
               command: str = "./grade.sh") -> str:
    """One sentence on what to do now: fix the first failure shown (a module that cannot run and
    is its own cause first), else write the first missing function; in the folder that was
    graded, and then run ``command`` again."""
    roots = [r for r in failures if r.exercise in whole and not r.cause]
    fixes = roots or [r for r in failures
                      if r.exercise not in whole and not (r.exercise in unwritten and _unwritten(r))]
    if fixes:
        first = fixes[0]
        return render(Msg("next_step.fix", func=first.function, path=_path(first.exercise, folder), command=command),
                      lang)
    ex, names = next(iter(unwritten.items()))
    return render(Msg("next_step.write", func=names[0], path=_path(ex, folder), command=command), lang)


def _path(exercise: str, folder: str = "exercises") -> str:
    return str(PurePath(folder) / f"{MODULES.get(exercise, MODULES['ex08'])}.py")  # the MNIST bonus lives in ex08


def _num(x: float) -> str:
    return f"{x:g}"


def _bar(score: float, maximum: float, width: int = 10) -> str:
    filled = int(round(width * score / maximum)) if maximum else 0
    return "#" * filled + "." * (width - filled)


class LiveLine:
    """While the checks run, which one is running and for how long, so that an endless loop is
    not minutes of silence. On a terminal: one line redrawn every second and wiped when the check
    ends. Elsewhere (a pipe, a log): a plain line once a check has run PLAIN_FIRST seconds, then
    every PLAIN_EVERY. Written straight to file descriptor 2 (stderr), which is the student's
    terminal even while pytest's own output is captured."""

    PLAIN_FIRST, PLAIN_EVERY = 10.0, 30.0

    def __init__(self, lang: str = "en", fd: int = 2, tty: bool | None = None):
        self.lang, self.fd = lang, fd
        self.tty = os.isatty(fd) if tty is None else tty
        self.current = None  # (result, since)
        self.drawn = False
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="live-line")
        self.thread.start()

    def start(self, result) -> None:
        with self.lock:
            self.current = (result, time.monotonic(), [0.0])

    def done(self, result) -> None:
        with self.lock:
            self.current = None
            self._wipe()

    def close(self) -> None:
        self.stop_event.set()
        with self.lock:
            self.current = None
            self._wipe()

    def _wipe(self) -> None:
        if self.drawn:
            self._write("\r\x1b[K")
            self.drawn = False

    def _write(self, text: str) -> None:
        try:
            os.write(self.fd, text.encode("utf-8", "replace"))
        except OSError:
            pass

    def _run(self) -> None:
        while not self.stop_event.wait(1.0):
            with self.lock:
                if self.current is None:
                    continue
                result, since, last = self.current
                seconds = time.monotonic() - since
                text = clean(render(Msg("console.running", exercise=result.exercise, func=result.function,
                                        seconds=f"{seconds:.0f}"), self.lang))
                if self.tty:
                    self._write("\r\x1b[K" + text)
                    self.drawn = True
                elif seconds - last[0] >= (self.PLAIN_EVERY if last[0] else self.PLAIN_FIRST):
                    last[0] = seconds
                    self._write(text + "\n")
