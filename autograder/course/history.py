"""The regrade record: DIR/history/, and DIR/changes.csv / changes.json for each run.

Format: one file per bulk run, ``DIR/history/NNNNNN-YYYYMMDDTHHMMSSZ.jsonl`` (a counter, then the
run's start time in UTC), one JSON line per student recorded. Each file is written whole to a
temporary name, fsynced, then linked to its final name (``os.link`` fails rather than replace a
file that exists) and the folder fsynced. So a run killed at any moment leaves every existing
file as it was and adds either a whole file or nothing (a ``.tmp`` left behind is never read);
no file is ever opened again for writing, so nothing in the history can be rewritten. (A single
``history.jsonl`` appended line by line would need every reader to skip a torn last line, and
one mistaken open for writing could truncate the whole term's record.) The counter, not the
clock, orders the runs.

Who is recorded: every student graded in this run, and every student whose current result is
not yet the latest record (a run that was killed after grading them and before recording). A
record: student, submission (hash of the files alone), checks (bulk/run.py's grader_version),
suite, status, score, the status of each check, and the times.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from ..reports.files import spreadsheet_cell, write_json, write_text

RUN_FILE = re.compile(r"^(?P<counter>\d{6})-(?P<start>\d{8}T\d{6}Z)\.jsonl$")
CHANGE_COLUMNS = ["student", "old_score", "new_score", "check", "old_status", "new_status", "reason"]
SUBMISSION_CHANGED = "submission changed"
CHECKS_CHANGED = "checks changed"
REGRADED = "regraded, same submission and checks"


def run_files(history: Path) -> list[Path]:
    if not history.is_dir():
        return []
    return sorted((p for p in history.iterdir() if RUN_FILE.match(p.name) and p.is_file()),
                  key=lambda p: p.name)


def read(history: Path) -> list[dict]:
    """Every record, oldest first. A line that does not parse is skipped (none should exist)."""
    records = []
    for path in run_files(history):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(rec, dict) and "student" in rec:
                records.append(rec)
    return records


def latest(records: list[dict]) -> dict[str, dict]:
    out = {}
    for rec in records:
        out[rec["student"]] = rec
    return out


def checks_of(result: dict) -> dict[str, str]:
    return {f"{t['exercise']}::{t['name']}": t["status"] for t in result.get("tests", [])}


def _same_outcome(a: dict, b: dict) -> bool:
    return all(a.get(key) == b.get(key) for key in ("score", "checks", "status"))


def diff(old: dict, new: dict) -> list[dict]:
    """The change rows between two records of one student (none when the outcome is the same)."""
    if _same_outcome(old, new):
        return []
    if old.get("submission") != new.get("submission"):
        reason = SUBMISSION_CHANGED
    elif old.get("checks_version") != new.get("checks_version"):
        reason = CHECKS_CHANGED
    else:
        reason = REGRADED
    base = {"student": new["student"], "old_score": old.get("score"), "new_score": new.get("score"), "reason": reason}
    oc, nc = old.get("checks", {}), new.get("checks", {})
    rows = [{**base, "check": c, "old_status": oc.get(c, ""), "new_status": nc.get(c, "")}
            for c in sorted(set(oc) | set(nc)) if oc.get(c) != nc.get(c)]
    if not rows:  # the score or status changed with every check the same
        rows = [{**base, "check": "", "old_status": old.get("status", ""), "new_status": new.get("status", "")}]
    return rows


def record(out: Path, entries: list[dict], started: datetime, graded: set[str]) -> dict:
    """Append this run's records; write changes.csv and changes.json. ``entries``: for each
    student of the class, {"student", "submission", "checks_version", "suite", "result"} (the
    result as in DIR/results). Returns {"since", "recorded", "changed": [students], "rows"}."""
    history = out / "history"
    history.mkdir(parents=True, exist_ok=True)
    for tmp in history.glob(".*"):  # a temporary file of a run killed while recording: never a record
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
    files = run_files(history)
    previous = latest(read(history))
    since = None
    if files:
        m = RUN_FILE.match(files[-1].name)
        since = datetime.strptime(m.group("start"), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).isoformat()
    now = datetime.now(timezone.utc)
    new_records, rows = [], []
    for e in sorted(entries, key=lambda e: e["student"]):
        res = e["result"]
        rec = {"student": e["student"], "submission": e["submission"], "checks_version": e["checks_version"],
               "suite": e["suite"], "status": res.get("status", "graded"), "score": res.get("score", 0),
               "checks": checks_of(res), "run_started": started.isoformat(), "recorded_at": now.isoformat()}
        old = previous.get(e["student"])
        stale = old is None or any(old.get(k) != rec[k] for k in ("submission", "checks_version", "suite")) \
            or not _same_outcome(old, rec)
        if e["student"] not in graded and not stale:
            continue
        new_records.append(rec)
        if old is not None:
            rows += diff(old, rec)
    name = None
    if new_records:
        name = _append_run(history, started, "".join(json.dumps(r, sort_keys=True, ensure_ascii=False) + "\n"
                                                     for r in new_records).encode("utf-8"),
                           max((int(RUN_FILE.match(f.name).group("counter")) for f in files), default=0))
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CHANGE_COLUMNS)
    for r in rows:
        w.writerow([spreadsheet_cell(r["student"]), _num(r["old_score"]), _num(r["new_score"]), r["check"],
                    r["old_status"], r["new_status"], r["reason"]])
    write_text(out / "changes.csv", buf.getvalue())
    write_json(out / "changes.json", {"since": since, "run_started": started.isoformat(), "history_file": name,
                                      "rows": rows})
    return {"since": since, "recorded": len(new_records), "history_file": name,
            "changed": sorted({r["student"] for r in rows}), "rows": len(rows)}


def _num(v) -> str:
    return "" if v is None else f"{v:g}"


def _append_run(history: Path, started: datetime, data: bytes, last_counter: int) -> str:
    """Write one run's file whole under a new name; never replaces a file. Returns its name."""
    tmp = history / f".{os.getpid()}.{started.strftime('%Y%m%dT%H%M%S')}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        counter = last_counter + 1
        while True:
            name = f"{counter:06d}-{started.astimezone(timezone.utc).strftime('%Y%m%dT%H%M%SZ')}.jsonl"
            try:
                os.link(tmp, history / name)
                break
            except FileExistsError:
                counter += 1
            except OSError:  # a file system without hard links: claim the name, then rename onto it
                try:
                    os.close(os.open(history / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
                except FileExistsError:
                    counter += 1
                    continue
                os.replace(tmp, history / name)
                break
    finally:
        tmp.unlink(missing_ok=True)
    dfd = os.open(history, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)
    return name
