"""The self-check from a Jupyter cell: ``from autograder import check; check("ex04")``.

The grade is computed exactly as ``./grade.sh ex04`` computes it: by the normal grader, in a
subprocess (``python -m autograder grade FOLDER --only ex04 --json ...``), with the same public
checks and the same confined worker for the student's code. This module runs in the notebook's
kernel and imports none of the checks: it starts that subprocess, reads back its JSON report and
shows it, as HTML in IPython (the table, the failing checks with their hints, the pictures of
training curves) and as the console's text anywhere else.
"""
from __future__ import annotations

import base64
import html
import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from .assignment import select_exercises
from .feedback.catalog import Msg, language, render
from .reports.console import HEAD, MARK

ROOT = Path(__file__).resolve().parent.parent  # beside grade.sh: the folder that holds autograder/
TIMEOUT = 1800.0  # seconds; the grader's own limits end a stuck check long before this


class CheckReport(dict):
    """The JSON report of one check(); already shown, so a cell ending in check(...) shows it once."""

    def _ipython_display_(self):
        pass

    def __repr__(self) -> str:
        return f"CheckReport(score={self['score']:g}, max_score={self['max_score']:g})"


def check(*exercises: str, folder: str | os.PathLike | None = None, lang: str | None = None) -> dict | None:
    """Grade ``exercises`` (``"ex04"``, or several: ``check("ex04", "ex05")``; none: all of them)
    with the public checks, exactly as ``./grade.sh ex04`` would, and show the result.

    ``folder``: the folder with your ``exNN_*.py`` files, directly or in its ``exercises/``; by
    default the notebook's current folder (Jupyter starts a notebook in the folder that holds it, so
    a notebook in ``exercises/`` or beside it finds them). ``lang``: ``"en"`` or ``"zh"`` (default:
    $DLGRADER_LANG, else English).

    The grading runs in a separate process, the normal grader, never in this kernel. Returns the
    JSON report (``score``, ``max_score``, ``tests``, ...) as a dict, or None when grading could not
    start (the reason is shown)."""
    lang = language(lang)
    try:
        names = select_exercises(exercises)
    except ValueError as exc:
        _show_text(f"check: {exc}")
        return None
    where = Path(folder) if folder is not None else Path.cwd()
    with tempfile.TemporaryDirectory(prefix="dlgrader-check-") as scratch:
        report_path = Path(scratch) / "report.json"
        try:
            code, text = _run_grader(where, names, lang, report_path)
        except KeyboardInterrupt:
            _show_text(render(Msg("notebook.stopped"), lang))
            return None
        if code != 0 or not report_path.is_file():
            _show_text(text.strip() or render(Msg("notebook.failed", code=code), lang))
            return None
        report = CheckReport(json.loads(report_path.read_text(encoding="utf-8")))
        pictures = {p: _data_uri(Path(p)) for t in report["tests"] for p in t.get("curves", [])}
        if _in_ipython():
            from IPython.display import HTML, display

            display(HTML(to_html(report, lang, pictures, next_line=_next_line(text, lang))))
        else:
            print(text.rstrip())
    return report


def grader_command(folder: Path, exercises, lang: str, report: Path) -> list[str]:
    """What ``./grade.sh grade FOLDER --only ...`` runs: this interpreter, -P (no folder of the caller on
    sys.path), the grader found through PYTHONPATH."""
    return [sys.executable, "-P", "-m", "autograder", "--lang", lang, "grade", str(folder),
            *(["--only", *exercises] if exercises else []), "--json", str(report)]


def _run_grader(folder: Path, exercises, lang: str, report: Path) -> tuple[int, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))))
    proc = subprocess.Popen(grader_command(folder, exercises, lang, report), env=env, cwd=Path.cwd(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, encoding="utf-8", errors="replace", start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=TIMEOUT)
    except BaseException:  # the kernel interrupted (the stop button, Ctrl-C) or the time ran out
        _end(proc)
        raise
    return proc.returncode, out


def _end(proc: subprocess.Popen) -> None:
    """End the grader as Ctrl-C in a terminal would (SIGINT to its process group: it stops its worker
    and cleans up), and, if it is still there after 10 s, kill the group; then reap it."""
    for sig, wait in ((signal.SIGINT, 10), (signal.SIGKILL, None)):
        try:
            os.killpg(proc.pid, sig)
        except (ProcessLookupError, PermissionError):
            break
        try:
            proc.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue


def _next_line(text: str, lang: str) -> str:
    """The console's closing "Next: ..." line (catalog next_step.*), or ''."""
    start = render(Msg("next_step.fix", func="", path="", command=""), lang).split(":")[0].split("：")[0]
    return next((line for line in text.splitlines() if line.startswith(start)), "")


def to_html(report: dict, lang: str = "en", pictures: dict | None = None, next_line: str = "") -> str:
    """The JSON report as HTML: one row per exercise, the total (over the exercises graded), one
    item per failing check with its feedback and hint, and the pictures of its curves
    (``pictures``: file -> data URI); then ``next_line``, the console's "Next: ..." line."""
    h = HEAD.get(lang, HEAD["en"])
    pictures = pictures or {}
    e = html.escape
    rows = []
    for ex, value in report["exercises"].items():
        mine = [t for t in report["tests"] if t["exercise"] == ex]
        if not mine:
            continue
        passed = sum(t["status"] == "passed" for t in mine)
        rows.append(f"<tr><td>{e(ex)}</td><td>{value['score']:g}/{value['max_score']:g}</td>"
                    f"<td>{passed}/{len(mine)}</td></tr>")
    only = report.get("only") or []
    total = f"{report['score'] - report.get('bonus', 0):g}/{report['max_score']:g}"
    if report.get("bonus"):
        total += f" + {h[3]} {report['bonus']:g}"
    if only:
        total += " " + render(Msg("total.only", names=", ".join(only)), lang)
    parts = [f'<div class="dlgrader-check" data-score="{report["score"]:g}" data-max-score="{report["max_score"]:g}">',
             f"<table><tr><th>{e(h[0])}</th><th>{e(h[1])}</th><th>{e(h[4])}</th></tr>", *rows,
             f'<tr><th>{e(h[2])}</th><th class="dlgrader-total" colspan="2">{e(total)}</th></tr></table>']
    parts += [f"<p>{e(note)}</p>" for note in report.get("notes", [])]
    failures = [t for t in report["tests"] if t["status"] != "passed"]
    if not failures:
        parts.append(f"<p><b>{e(h[6])}</b></p>")
    else:
        parts.append(f"<p><b>{e(h[8])}:</b></p><ul>")
        for t in failures:
            parts.append(f"<li><code>[{e(MARK.get(t['status'], '?'))}]</code> <b>{e(t['exercise'])} "
                         f"{e(t['function'])}</b> - {e(t['title'])}: {e(t['feedback'])}")
            for path in t.get("curves", []):
                if pictures.get(path):
                    parts.append(f'<br><img src="{pictures[path]}" alt="{e(t["function"])}" '
                                 'style="max-width: 100%">')
            parts.append("</li>")
        parts.append("</ul>")
    if next_line:
        parts.append(f"<p>{e(next_line)}</p>")
    parts.append("</div>")
    return "\n".join(parts)


def _data_uri(path: Path) -> str:
    try:
        return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
    except OSError:
        return ""


def _in_ipython() -> bool:
    ipython = sys.modules.get("IPython")
    return ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None


def _show_text(text: str) -> None:
    print(text)
