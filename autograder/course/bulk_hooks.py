"""What a bulk run does for the LMS: the late policy, the Canvas gradebook, the regrade record.

The CLI reads the options with ``Course.from_args(args)`` before grading (bad options end the run
before anything is graded) and hands the Course to bulk/run.py's grade_class, which calls
``course.late_for(...)`` for the gradebook's late columns, and
``course.finish(...)`` once the gradebook, summary, feedback and plots are written.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..reports.files import write_json
from . import canvas, history, late
from .identities import input_root, scan


@dataclass
class Course:
    policy: late.Policy | None = None
    roster: list | None = None
    assignment: str = canvas.DEFAULT_ASSIGNMENT
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    idents: dict = field(default_factory=dict)
    book: late.LateBook | None = None

    @classmethod
    def from_args(cls, args) -> "Course":
        """Read and check --roster and the late options. Raises ValueError that says what to fix."""
        course = cls(policy=late.policy_from_args(args))
        if getattr(args, "roster", None):
            course.roster = canvas.read_roster(Path(args.roster))
        if getattr(args, "assignment", None):
            if not getattr(args, "roster", None):
                raise ValueError("--assignment names the column of gradebook.canvas.csv: it needs --roster")
            course.assignment = args.assignment
        return course

    def late_for(self, input_path, keep, students) -> late.LateBook | None:
        """Who each submission is (from the export) and, with --deadline, the late book."""
        try:
            root = input_root(Path(input_path), keep)
        except OSError:
            root = Path(input_path)
        self.idents = scan(root, [s.student for s in students])
        if self.roster:  # the roster's ids name the student too (for --times and --extensions)
            matched, _ = canvas.match(self.roster, self.idents)
            by_id = {r.id: r for r in self.roster}
            for rid, student in matched.items():
                r = by_id[rid]
                self.idents[student].aliases.update(v for v in (r.id, r.sis_user_id, r.sis_login_id) if v)
        if self.policy is not None:
            self.book = late.book(self.policy, self.idents)
        return self.book

    def finish(self, out: Path, students, version: str, suite: str, graded: set[str]) -> None:
        from ..bulk.outputs import load_results
        from ..bulk.sources import submission_hash

        out = Path(out)
        rows = {r["student"]: r for r in load_results(out, {s.student for s in students})}
        extra = {}
        final = {s: {"score": float(r.get("score", 0)), "status": r.get("status")} for s, r in rows.items()}
        if self.book is not None:
            data = self.book.to_json(list(rows.values()))
            write_json(out / "late.json", data)
            for st in data["students"]:
                final[st["student"]]["score"] = st["final_score"]
            late_ones = [st["student"] for st in data["students"] if st["penalty"] > 0]
            no_time = [st["student"] for st in data["students"] if st["note"]]
            extra["late"] = {"deadline": data["deadline"], "penalised": late_ones, "no_time": no_time}
            for w in self.book.warnings:
                print(f"late policy: {w}", file=sys.stderr)
            print(f"late policy: {len(late_ones)} penalised, {len(no_time)} without a usable time "
                  f"(late_note in gradebook.csv; late.json)", file=sys.stderr)
        if self.roster is not None:
            info = canvas.write(out, self.roster, self.idents, final, self.assignment)
            extra["canvas"] = info
            print(f"Canvas gradebook: {info['roster']} roster students, {info['matched']} with a submission, "
                  f"{len(info['missing'])} missing; {out / 'gradebook.canvas.csv'}", file=sys.stderr)
            if info["unmatched"]:
                print(f"Canvas gradebook: {len(info['unmatched'])} submission(s) match no roster row: "
                      f"{', '.join(info['unmatched'])} (see {out / 'unmatched.csv'})", file=sys.stderr)
        by_name = {s.student: s for s in students}
        entries = [{"student": name, "submission": submission_hash(by_name[name], ""), "checks_version": version,
                    "suite": suite, "result": r}
                   for name, r in rows.items() if r.get("hash") == submission_hash(by_name[name], version)]
        changes = history.record(out, entries, self.started, graded)
        extra["changes"] = changes
        where = f"history/{changes['history_file']}" if changes["history_file"] else "nothing new in history/"
        print(f"regrade record: {changes['recorded']} recorded ({where}); "
              f"{len(changes['changed'])} student(s) changed since the last run (changes.csv)", file=sys.stderr)
        summary_path = out / "summary.json"
        try:
            summ = json.loads(summary_path.read_text())
        except (OSError, json.JSONDecodeError):
            summ = {}
        summ.update(extra)
        write_json(summary_path, summ)
