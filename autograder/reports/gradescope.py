"""Gradescope's results.json (https://gradescope-autograders.readthedocs.io/en/latest/specs/)."""
from __future__ import annotations


def results_json(report, lang: str = "en") -> dict:
    tests = []
    notes, feedback = report.texts(lang)  # cleaned and cut (see Report.texts)
    for r, text in zip(report.results, feedback):
        title = r.title.get(lang) or r.title.get("en", r.name)
        tests.append({
            "name": f"{r.exercise} {r.function}: {title}",
            "number": r.exercise,
            "score": r.points,
            "max_score": 0.0 if r.bonus else r.max_points,
            "status": "passed" if r.status == "passed" else "failed",
            "output": text,
            "visibility": "after_published" if r.hidden else "visible",
            "tags": [r.exercise, r.status],
        })
    notes = "\n".join(notes)
    return {
        "score": report.score,
        "execution_time": round(report.seconds, 2),
        "output": (f"isolation: {report.isolation}\n" + notes).strip(),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }
