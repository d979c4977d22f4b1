"""What a TA reads after a bulk run: gradebook.csv, summary.json, feedback, plots."""
from __future__ import annotations

import csv
import io
import json
import statistics
from pathlib import Path

from ..assignment import EXERCISES, MAX_SCORE
from ..reports.files import spreadsheet_cell, write_json, write_text

STATUS_WORDS = {"en": {"passed": "passed", "failed": "failed", "error": "error", "timeout": "timeout"},
                "zh": {"passed": "通过", "failed": "未通过", "error": "错误", "timeout": "超时"}}


def feedback_markdown(data: dict, lang: str) -> str:
    zh = lang == "zh"
    lines = [f"# {'作业反馈' if zh else 'Feedback'}: {data['student']}", "",
             f"**{'得分' if zh else 'Score'}: {data['score']:g} / {data['max_score']}**"
             + (f" ({'含附加分' if zh else 'bonus included'} {data['bonus']:g})" if data.get("bonus") else ""), ""]
    for p in data.get("problems", []) + data.get("notes", []):
        lines.append(f"> {p}")
    lines += ["", f"| {'练习' if zh else 'exercise'} | {'得分' if zh else 'points'} |", "|---|---|"]
    for ex, v in data.get("exercises", {}).items():
        lines.append(f"| {ex} | {v['score']:g} / {v['max_score']} |")
    failed = [t for t in data.get("tests", []) if t["status"] != "passed"]
    if failed:
        lines += ["", f"## {'需要改进' if zh else 'To improve'}", ""]
        for t in failed:
            word = STATUS_WORDS[lang][t["status"]]
            lines.append(f"- **{t['exercise']} `{t['function']}`** ({word}, 0/{t['max_points']:g}): "
                         f"{t['title']}. {t['feedback']}")
    return "\n".join(lines) + "\n"


def load_results(out: Path, students: set[str]) -> list[dict]:
    rows = []
    for path in sorted((out / "results").glob("*.json")):
        data = json.loads(path.read_text())
        if data.get("student") in students:
            rows.append(data)
    return rows


def gradebook_csv(rows: list[dict], late=None) -> str:
    """One row per student; with a late policy (course/late.py's LateBook) ``score`` is the final
    score and raw_score, late_hours, penalty, late_note follow at the end."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["student", "score", "max_score", "status", *EXERCISES,
                     *(["raw_score", "late_hours", "penalty", "late_note"] if late is not None else [])])
    for r in sorted(rows, key=lambda r: r["student"]):
        ex = r.get("exercises", {})
        score, tail = r.get("score", 0), []
        if late is not None:
            score, tail = late.gradebook_columns(r["student"], float(score))
        writer.writerow([spreadsheet_cell(v) for v in (r["student"], f"{score:g}", MAX_SCORE, r.get("status", "graded"),
                         *[f"{ex[e]['score']:g}" if e in ex else "" for e in EXERCISES], *tail)])
    return buf.getvalue()


def summary(rows: list[dict], input_problems: list[str]) -> dict:
    scores = [r.get("score", 0) for r in rows]
    checks: dict[str, list[bool]] = {}
    for r in rows:
        for t in r.get("tests", []):
            checks.setdefault(f"{t['exercise']}::{t['name']}", []).append(t["status"] == "passed")
    return {
        "students": len(rows),
        "max_score": MAX_SCORE,
        "score": {"mean": statistics.fmean(scores) if scores else 0.0,
                  "median": statistics.median(scores) if scores else 0.0},
        "not_graded": sorted(r["student"] for r in rows if r.get("status") != "graded"),
        "input_problems": input_problems,
        "submission_problems": {r["student"]: r["problems"] for r in rows if r.get("problems")},
        "checks": {name: {"pass_rate": sum(v) / len(v), "passed": sum(v), "graded": len(v)}
                   for name, v in sorted(checks.items())},
    }


def plots(out: Path, rows: list[dict], summ: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.hist([r.get("score", 0) for r in rows], bins=range(0, MAX_SCORE + 10, 5), color="#4477aa", edgecolor="white")
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title(f"Scores ({len(rows)} students)")
    _save(fig, out / "plots" / "score_histogram.png")

    items = sorted(summ["checks"].items(), key=lambda kv: kv[1]["pass_rate"])
    fig, ax = plt.subplots(figsize=(8, max(3, 0.22 * len(items) + 1)))
    ax.barh([k for k, _ in items], [v["pass_rate"] for _, v in items], color="#cc6677")
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("pass rate")
    ax.set_title("Pass rate per check, worst first")
    ax.tick_params(axis="y", labelsize=6)
    _save(fig, out / "plots" / "pass_rate_per_check.png")


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.tight_layout()
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)


def write_outputs(out: Path, students: set[str], lang: str, input_problems: list[str], late=None) -> dict:
    rows = load_results(out, students)
    write_text(out / "gradebook.csv", gradebook_csv(rows, late))
    summ = summary(rows, input_problems)
    write_json(out / "summary.json", summ)
    if rows:
        plots(out, rows, summ)
    return summ
