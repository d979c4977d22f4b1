"""What a student sees in the terminal: one row per exercise, the total, one line per failure."""
from __future__ import annotations

import os
from pathlib import PurePath

from ..assignment import BONUS, MODULES
from ..feedback.catalog import Msg, clean, render

HEAD = {
    "en": ("exercise", "points", "total", "bonus", "checks passed", "isolation", "All checks passed.",
           "Not implemented yet: {names}", "To do"),
    "zh": ("练习", "得分", "总分", "附加分", "通过的检查", "隔离方式", "所有检查都通过了。",
           "尚未实现：{names}", "待完成"),
}
MARK = {"passed": "ok", "failed": "x", "error": "!", "timeout": "T"}


def render_report(report, lang: str = "en", folder: str = "exercises", command: str = "./grade.sh") -> str:
    """The report as printed; without control characters or escape sequences whatever the
    submission made its feedback say (catalog.clean), and with every line of feedback
    indented, so that none can pass for a row of the table or the total. ``folder``: the
    graded folder as the student names it; ``command``: what grades it again (both are in the
    closing "Next:" line)."""
    return clean(_render(report, lang, folder, command))


def _render(report, lang: str, folder: str = "exercises", command: str = "./grade.sh") -> str:
    h = HEAD.get(lang, HEAD["en"])
    notes, feedback = report.texts(lang)  # cleaned and cut (see Report.texts)
    text_of = {id(r): t for r, t in zip(report.results, feedback)}
    lines = [f"{h[0]:<10} {h[1]:>8}  {'':10} {h[4]}"]
    per = report.by_exercise()
    for ex, (score, maximum) in per.items():
        mine = [r for r in report.results if r.exercise == ex]
        if not mine:  # left out with -k
            continue
        passed = sum(r.status == "passed" for r in mine)
        bar = _bar(score, maximum)
        suffix = f"  ({h[3]})" if ex in BONUS else ""
        lines.append(f"{ex:<10} {_num(score):>4}/{_num(maximum):<3} {bar} {passed}/{len(mine)}{suffix}")
    only = getattr(report, "exercises", None)
    lines.append(f"{h[2]:<10} {_num(report.base_score):>4}/{_num(report.max_score)}"
                 + (f"  + {h[3]} {_num(report.bonus)}" if report.bonus else "")
                 + (" " + render(Msg("total.only", names=", ".join(only)), lang) if only else ""))
    for n in notes:
        lines.append("  * " + _indent(n))
    failures = [r for r in report.results if r.status != "passed"]
    if not failures:
        lines.append(h[6])
        return "\n".join(lines)
    lines.append("")
    lines.append(f"{h[8]}:")
    # One line per function that is simply not written yet; one per other failure.
    unwritten: dict[str, list[str]] = {}
    for r in failures:
        if r.feedback and getattr(r.feedback[0], "key", "") == "not_implemented":
            names = unwritten.setdefault(r.exercise, [])
            # the function that raised (a check of lr_sweep may reach compare_optimizers first)
            raised = str(r.feedback[0].params.get("func", ""))
            for name in dict.fromkeys((raised if raised.isidentifier() else r.function, r.function)):
                if name not in names:
                    names.append(name)
    for r in failures:
        if r.exercise in unwritten and getattr(r.feedback[0], "key", "") == "not_implemented":
            continue
        title = r.title.get(lang) or r.title["en"]
        lines.append(f"  [{MARK[r.status]}] {r.exercise} {r.function} - {title}: {_indent(text_of[id(r)])}")
        for picture in r.curve_files:
            lines.append("      " + render(Msg("curve.saved", path=_shown(picture)), lang))
    for ex, names in unwritten.items():
        lines.append(f"  [ ] {ex} " + h[7].format(names=", ".join(names)))
    lines.append(_next_step(failures, unwritten, lang, folder, command))
    lines.append(f"({h[5]}: {report.isolation})")
    return "\n".join(lines)


def _shown(path: str) -> str:
    """A file as the student would type it: relative to where they are when it lies below, else absolute."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def _indent(text: str) -> str:
    return text.replace("\n", "\n      ")


def _next_step(failures, unwritten: dict, lang: str, folder: str = "exercises", command: str = "./grade.sh") -> str:
    """One sentence on what to do now: fix the first failure shown, else write the first missing
    function; in the folder that was graded, and then run ``command`` again."""
    fixes = [r for r in failures
             if r.exercise not in unwritten or getattr(r.feedback[0], "key", "") != "not_implemented"]
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
