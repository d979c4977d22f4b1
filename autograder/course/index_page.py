"""DIR/index.html: the page a TA opens first after a bulk run.

One static file beside the run's other outputs (it links to plots/*.png, feedback/*.md
and similarity/*.html by relative paths): no server, no script, nothing fetched. It
reads what the run left in DIR: gradebook.csv (who is in this run), summary.json,
results/*.json, similarity.json, late.json, changes.json or changes.csv. A part whose
file is absent says so ("no late policy", "no earlier run", ...). Every piece of text
that comes from a submission or a result is escaped.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from ..reports.files import write_text

TOP_CHECKS = 15  # checks in the visible part of the pass-rate table (the rest folded)
TOP_MISTAKES = 15  # checks listed under "most common mistakes"
TOP_MESSAGES = 3  # distinct feedback texts shown per check

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em auto;max-width:70em;color:#222;
background:#fff;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.8em;border-bottom:1px solid #ccc;padding-bottom:.2em}
table{border-collapse:collapse;margin:.4em 0}td,th{border:1px solid #ddd;padding:.25em .6em;vertical-align:top;
text-align:left}th{background:#f3f3f3}td.num{text-align:right;white-space:nowrap}
.bar{display:block;height:100%;background:#cc6677}
.barbox{display:inline-block;width:8em;height:.8em;background:#eee;margin-right:.4em;vertical-align:middle}
details summary{cursor:pointer;color:#245;margin:.3em 0}
.none{color:#666;font-style:italic}.hint{color:#245;background:#eef5fb;padding:.2em .4em;display:block;margin-top:.2em}
nav a{margin-right:1em}img{max-width:100%;border:1px solid #ddd}
.facts span{display:inline-block;margin-right:1.6em}
"""

PARTS = [("scores", "Scores"), ("checks", "Pass rate per check"), ("mistakes", "Most common mistakes"),
         ("similarity", "Similar submissions"), ("late", "Late submissions"), ("changes", "Changes since the last run"),
         ("students", "Students")]


def e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError):
        return None


def _read_csv(path: Path) -> list[dict] | None:
    try:
        return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None


def _num(value, fmt: str = "g") -> str:
    try:
        return format(float(value), fmt)
    except (TypeError, ValueError):
        return e(value)


def _none(text: str) -> str:
    return f'<p class="none">{e(text)}</p>'


# --- the parts ------------------------------------------------------------------------
def _scores(out: Path, summary: dict) -> str:
    score = summary.get("score", {})
    facts = [f"<span>students: <strong>{e(summary.get('students', 0))}</strong></span>",
             f"<span>mean: <strong>{_num(score.get('mean', 0), '.1f')}</strong> / "
             f"{e(summary.get('max_score', ''))}</span>",
             f"<span>median: <strong>{_num(score.get('median', 0), '.1f')}</strong></span>"]
    body = [f'<p class="facts">{"".join(facts)}</p>']
    if summary.get("not_graded"):
        body.append(f"<p>Not graded (grader error): {', '.join(e(s) for s in summary['not_graded'])}</p>")
    if (out / "plots" / "score_histogram.png").exists():
        body.append('<img src="plots/score_histogram.png" alt="histogram of the class\'s scores" '
                    'id="score-histogram">')
    else:
        body.append(_none("no score histogram (plots/score_histogram.png is written by a bulk run with results)"))
    return "\n".join(body)


def _check_rows(items) -> str:
    rows = []
    for name, c in items:
        rate = float(c.get("pass_rate", 0))
        rows.append(f'<tr><td>{e(name)}</td><td class="num"><span class="barbox"><span class="bar" '
                    f'style="width:{100 * rate:.0f}%"></span></span>{100 * rate:.0f}%</td>'
                    f'<td class="num">{e(c.get("passed", ""))} / {e(c.get("graded", ""))}</td></tr>')
    return "".join(rows)


def _checks(out: Path, summary: dict) -> str:
    checks = summary.get("checks") or {}
    if not checks:
        return _none("no checks graded yet")
    items = sorted(checks.items(), key=lambda kv: (kv[1].get("pass_rate", 0), kv[0]))
    head = "<thead><tr><th>check</th><th>pass rate</th><th>passed</th></tr></thead>"
    html_ = f'<table id="check-table">{head}<tbody>{_check_rows(items[:TOP_CHECKS])}</tbody></table>'
    if len(items) > TOP_CHECKS:
        html_ += (f"<details><summary>the other {len(items) - TOP_CHECKS} checks</summary>"
                  f'<table id="check-table-rest">{head}<tbody>{_check_rows(items[TOP_CHECKS:])}</tbody></table>'
                  "</details>")
    if (out / "plots" / "pass_rate_per_check.png").exists():
        html_ += '<p>As a plot: <a href="plots/pass_rate_per_check.png">plots/pass_rate_per_check.png</a>.</p>'
    return html_


def _hint_split(text: str) -> tuple[str, str]:
    """(what went wrong, the hint) of a check's feedback text ('... hint: ...')."""
    from ..feedback.catalog import MESSAGES

    for label in MESSAGES["label.hint"].values():
        parts = re.split(rf"(?:^|\s){re.escape(label)}\s*[:：]\s*", text)
        if len(parts) > 1:
            return " ".join(parts[:-1]).strip(), parts[-1].strip()
    return text.strip(), ""


def _not_implemented() -> re.Pattern:
    from ..feedback.catalog import MESSAGES

    alts = [re.escape(t).replace(re.escape("{func}"), ".+?") for t in MESSAGES["not_implemented"].values()]
    return re.compile("^(?:" + "|".join(alts) + ")$")


def mistakes(results: list[dict]) -> list[dict]:
    """Failing checks grouped by check, most students first: each with its title, how many
    failed it, how many had not written the function yet, and its most frequent messages."""
    todo = _not_implemented()
    groups: dict[str, dict] = {}
    for r in results:
        for t in r.get("tests", []):
            if t.get("status") == "passed":
                continue
            key = f"{t.get('exercise', '')}::{t.get('name', '')}"
            g = groups.setdefault(key, {"check": key, "title": t.get("title", ""), "function": t.get("function", ""),
                                        "failed": 0, "not_written": 0, "messages": Counter(), "hints": Counter()})
            text = str(t.get("feedback", ""))
            if todo.match(text.strip()):
                g["not_written"] += 1
                continue
            g["failed"] += 1
            what, hint = _hint_split(text)
            g["messages"][what] += 1
            if hint:
                g["hints"][hint] += 1
    out = []
    for g in groups.values():
        if not g["failed"]:
            continue
        out.append({**g, "messages": sorted(g["messages"].items(), key=lambda kv: (-kv[1], kv[0])),
                    "hints": sorted(g["hints"].items(), key=lambda kv: (-kv[1], kv[0]))})
    out.sort(key=lambda g: (-g["failed"], g["check"]))
    return out


def _mistakes(results: list[dict]) -> str:
    found = mistakes(results)
    not_written = sum(1 for r in results for t in r.get("tests", [])
                      if t.get("status") != "passed" and _not_implemented().match(str(t.get("feedback", "")).strip()))
    note = (f'<p class="none">Checks failed only because the function was not written yet are not counted here '
            f"({not_written} such results).</p>" if not_written else "")
    if not found:
        return _none("no mistakes: every check that ran on written code passed") + note
    rows = []
    for g in found[:TOP_MISTAKES]:
        msgs = "".join(f"<li>{e(m)} <em>({n} student{'s' if n != 1 else ''})</em></li>"
                       for m, n in g["messages"][:TOP_MESSAGES])
        more = len(g["messages"]) - TOP_MESSAGES
        if more > 0:
            msgs += f"<li><em>and {more} other message{'s' if more != 1 else ''}</em></li>"
        hints = "".join(f'<span class="hint">Hint: {e(h)}</span>' for h, _ in g["hints"][:2]) \
            or '<span class="none">no hint for this check</span>'
        rows.append(f'<tr class="mistake"><td><strong>{e(g["title"])}</strong><br><code>{e(g["check"])}</code></td>'
                    f'<td class="num">{g["failed"]}</td><td><ul>{msgs}</ul>{hints}</td></tr>')
    return ('<p>What to go over in the next lecture: the checks that students who wrote the code failed, '
            'the most students first, with what the grader told them.</p>'
            '<table id="mistake-table"><thead><tr><th>check</th><th>students</th><th>what went wrong, and the hint'
            "</th></tr></thead><tbody>" + "".join(rows) + "</tbody></table>" + note)


def _similarity(out: Path, summary: dict) -> str:
    data = _read_json(out / "similarity.json")
    if data is None:
        flagged = (summary.get("similarity") or {}).get("flagged")
        if flagged is None:
            return _none("similarity not checked in this folder (run bulk with --similarity, or ./grade.sh similarity)")
        data = {"pairs": flagged, "threshold": summary["similarity"].get("threshold")}
    pairs = data.get("pairs") or []
    if not pairs:
        return _none(f"no pair of submissions above the threshold ({_num(data.get('threshold'))}); "
                     f"{e(data.get('compared_pairs', '?'))} pairs compared")
    rows = []
    for p in pairs:
        link = (f'<a href="{e(quote(p["report"]))}">matching regions</a>' if p.get("report")
                else '<span class="none">no page (too many flagged pairs)</span>')
        rows.append(f'<tr class="pair"><td>{e(p.get("student_a"))}</td><td>{e(p.get("student_b"))}</td>'
                    f'<td class="num">{_num(p.get("score", 0), ".0%")}</td>'
                    f'<td class="num">{_num(p.get("share_a", 0), ".0%")} / {_num(p.get("share_b", 0), ".0%")}</td>'
                    f'<td>{e(", ".join(p.get("flagged_modules") or []))}</td><td>{link}</td></tr>')
    return (f"<p>{len(pairs)} pair{'s' if len(pairs) != 1 else ''} above the threshold "
            f"({_num(data.get('threshold'))} of a submission's or a module's own code matching; the stubs never count)."
            "</p><table id=\"similarity-table\"><thead><tr><th>student</th><th>student</th><th>score</th>"
            "<th>share of each</th><th>modules above the threshold</th><th>report</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>")


def _late(out: Path) -> str:
    data = _read_json(out / "late.json")
    if not isinstance(data, dict):
        return _none("no late policy")
    students = [s for s in data.get("students") or [] if isinstance(s, dict)]
    late = [s for s in students if (s.get("late_hours") or 0) > 0 or (s.get("penalty") or 0) > 0 or s.get("note")
            or not s.get("submitted")]
    policy = data.get("policy") or {}
    policy_text = (", ".join(f"{e(k)} {e(v)}" for k, v in sorted(policy.items())) if isinstance(policy, dict)
                   else e(policy))
    head = f"<p>Deadline {e(data.get('deadline'))}; policy: {policy_text or 'none'}.</p>"
    if not late:
        return head + _none(f"no late submissions ({len(students)} on time)")
    rows = "".join(
        f'<tr class="late"><td>{e(s.get("student"))}</td><td>{e(s.get("submitted") or "no time")}</td>'
        f'<td class="num">{_num(s.get("late_hours") or 0, ".1f")}</td>'
        f'<td class="num">{_num(s.get("penalty") or 0)}</td>'
        f'<td class="num">{_num(s.get("raw_score"))}</td><td class="num">{_num(s.get("final_score"))}</td>'
        f'<td>{e(s.get("note") or "")}</td></tr>'
        for s in sorted(late, key=lambda s: str(s.get("student"))))
    return (head + '<table id="late-table"><thead><tr><th>student</th><th>submitted</th><th>hours late</th>'
            "<th>penalty</th><th>raw score</th><th>final score</th><th>note</th></tr></thead><tbody>"
            + rows + "</tbody></table>")


def _changes(out: Path) -> str:
    data = _read_json(out / "changes.json")
    since, rows = None, None
    if isinstance(data, dict):
        since = data.get("since")
        rows = next((data[k] for k in ("rows", "changes", "students") if isinstance(data.get(k), list)), [])
    elif isinstance(data, list):
        rows = data
    if rows is None:
        rows = _read_csv(out / "changes.csv")
    if rows is None:
        return _none("no earlier run")
    rows = [r for r in rows if isinstance(r, dict)]
    when = f" ({e(since)})" if since else ""
    if not rows and isinstance(data, dict) and "since" in data and not since:
        return _none("no earlier run")  # the class's first recorded run: nothing to compare with
    if not rows:
        return _none(f"no changes since the last run{when}")
    body = "".join(
        f'<tr class="change"><td>{e(r.get("student"))}</td><td class="num">{_num(r.get("old_score"))} &rarr; '
        f'{_num(r.get("new_score"))}</td><td>{e(r.get("check"))}</td><td>{e(r.get("old_status"))} &rarr; '
        f'{e(r.get("new_status"))}</td><td>{e(r.get("reason"))}</td></tr>' for r in rows)
    students = len({str(r.get("student")) for r in rows})
    return (f"<p>{students} student{'s' if students != 1 else ''} changed since the last run{when}.</p>"
            '<table id="changes-table"><thead><tr><th>student</th><th>score</th><th>check</th><th>outcome</th>'
            "<th>why</th></tr></thead><tbody>" + body + "</tbody></table>")


def _students(out: Path, book: list[dict]) -> str:
    if not book:
        return _none("no students in gradebook.csv")
    rows = []
    for r in book:
        student = r.get("student", "")
        fb = out / "feedback" / f"{student}.md"
        link = (f'<a href="feedback/{e(quote(student))}.md">feedback</a>' if fb.exists()
                else '<span class="none">none</span>')
        rows.append(f'<tr class="student"><td>{e(student)}</td><td class="num">{_num(r.get("score"))} / '
                    f'{e(r.get("max_score"))}</td><td>{e(r.get("status"))}</td><td>{link}</td></tr>')
    return ('<table id="student-table"><thead><tr><th>student</th><th>score</th><th>status</th><th>feedback</th>'
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>")


# --- the page -------------------------------------------------------------------------
def render(out: Path) -> str:
    out = Path(out)
    summary = _read_json(out / "summary.json") or {}
    book = _read_csv(out / "gradebook.csv") or []
    names = {r.get("student") for r in book}
    results = []
    for path in sorted((out / "results").glob("*.json")):
        data = _read_json(path)
        if isinstance(data, dict) and data.get("student") in names:
            results.append(data)
    sections = {
        "scores": _scores(out, summary), "checks": _checks(out, summary), "mistakes": _mistakes(results),
        "similarity": _similarity(out, summary), "late": _late(out), "changes": _changes(out),
        "students": _students(out, book),
    }
    files = [f'<a href="{name}">{name}</a>' for name in ("gradebook.csv", "summary.json", "similarity.csv",
                                                          "late.json", "changes.csv") if (out / name).exists()]
    also = f"<p>Also here: {', '.join(files)}.</p>" if files else ""
    nav = "".join(f'<a href="#{key}">{e(title)}</a>' for key, title in PARTS)
    body = "\n".join(f'<section id="{key}"><h2>{e(title)}</h2>\n{sections[key]}\n</section>' for key, title in PARTS)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>Class results</title><style>{STYLE}</style></head><body>\n"
            f"<h1>Class results</h1>\n<nav>{nav}</nav>\n"
            f"{also}\n"
            f"{body}\n</body></html>\n")


def write(out_dir) -> Path:
    """Write DIR/index.html from what is in DIR; returns its path."""
    out = Path(out_dir)
    return write_text(out / "index.html", render(out))
