"""The late policy: ``--deadline``, a penalty per started hour or day after a grace period, a cap,
per-student extensions, and the submission times it is applied to.

The rule, in full:
- A student's deadline is ``--deadline``, or their extension (``--extensions``: an ISO time, or
  a number of hours added to ``--deadline``). A time without a zone is UTC.
- ``late`` is the submission time minus that deadline. Within the grace (``late <= grace``) the
  submission is on time. Past it, every *started* hour (or day) after the end of the grace counts
  in full: units = ceil((late - grace) / 1 hour or 1 day).
- The penalty is ``--late-penalty`` percent of the maximum score (MAX_SCORE) per unit, at most
  ``--late-cap`` percent (and never more than 100 percent), and never more points than the
  student scored: final = raw - penalty, never below 0.
- A student with no usable time gets no penalty and a ``late_note`` saying why; they are listed,
  not treated as on time.

Times come from (later ones win): the Gradescope export's ``:created_at:``, Canvas's ``_LATE``
mark (a mark without a time: flagged), then ``--times`` (student,submitted_at).
"""
from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from ..assignment import MAX_SCORE
from .identities import Identity, key, parse_time

NO_TIME = "no submission time"
CANVAS_LATE = "late per Canvas, no time; use --times"
CANVAS_ON_TIME = "on time per Canvas, no time"
US = timedelta(microseconds=1)


@dataclass
class Policy:
    deadline: datetime
    penalty: float = 0.0  # percent of MAX_SCORE per unit
    per: str = "day"  # hour | day
    grace_minutes: float = 0.0
    cap: float | None = None  # percent of MAX_SCORE
    extensions: dict = field(default_factory=dict)  # key(student alias) -> datetime
    times: dict = field(default_factory=dict)  # key(student alias) -> datetime, from --times

    def unit(self) -> timedelta:
        return timedelta(hours=1) if self.per == "hour" else timedelta(days=1)

    def to_json(self) -> dict:
        return {"penalty_percent_of_max_score": self.penalty, "per": self.per, "grace_minutes": self.grace_minutes,
                "cap_percent": self.cap, "max_score": MAX_SCORE,
                "rule": f"each started {self.per} after the grace counts in full; penalty = percent of the "
                        "maximum score, at most the cap, at most the raw score"}


def penalty_for(policy: Policy, submitted: datetime | None, deadline: datetime, raw: float) -> dict:
    """late_hours, units, percent, penalty (points taken) and final score for one submission."""
    if submitted is None:
        return {"late_hours": None, "units": 0, "percent": 0.0, "penalty": 0.0, "final_score": raw}
    late = (submitted - deadline) // US  # whole microseconds: no float rounding at the boundaries
    grace = timedelta(minutes=policy.grace_minutes) // US
    units = 0 if late <= grace else -(-(late - grace) // (policy.unit() // US))
    percent = policy.penalty * units
    if policy.cap is not None:
        percent = min(percent, policy.cap)
    percent = min(percent, 100.0)
    points = percent * MAX_SCORE / 100.0
    taken = round(min(points, max(raw, 0.0)), 2)
    return {"late_hours": round(max(late, 0) / 3.6e9, 2), "units": units, "percent": percent,
            "penalty": taken, "final_score": round(raw - taken, 2)}


@dataclass
class LateBook:
    """The policy applied to one run's students: what the gradebook and late.json show."""
    policy: Policy
    idents: dict  # student -> Identity
    warnings: list = field(default_factory=list)

    def _lookup(self, table: dict, student: str):
        ident = self.idents.get(student) or Identity(student, aliases={student})
        for alias in sorted(ident.aliases, key=lambda a: (a != student, a)):
            if key(alias) in table:
                return table[key(alias)]
        return None

    def deadline_of(self, student: str) -> datetime:
        return self._lookup(self.policy.extensions, student) or self.policy.deadline

    def submitted(self, student: str) -> tuple[datetime | None, str]:
        """(time, note): the time used, or None with the reason there is none."""
        override = self._lookup(self.policy.times, student)
        if override is not None:
            return override, ""
        ident = self.idents.get(student) or Identity(student)
        if ident.source == "gradescope":
            if ident.created_at is None:
                return None, NO_TIME
            try:
                return parse_time(ident.created_at, f"{student}'s :created_at:"), ""
            except ValueError:
                return None, f"{NO_TIME} (unreadable :created_at: {str(ident.created_at)[:40]!r})"
        if ident.source == "canvas":
            return None, CANVAS_LATE if ident.canvas_late else CANVAS_ON_TIME
        return None, NO_TIME

    def apply(self, student: str, raw: float) -> dict:
        submitted, note = self.submitted(student)
        deadline = self.deadline_of(student)
        out = penalty_for(self.policy, submitted, deadline, raw)
        return {"student": student, "submitted": submitted.isoformat() if submitted else None,
                "deadline": deadline.isoformat(), "extension": deadline != self.policy.deadline,
                "late_hours": out["late_hours"], "units": out["units"],
                "penalty": out["penalty"], "raw_score": raw, "final_score": out["final_score"], "note": note}

    def gradebook_columns(self, student: str, raw: float) -> tuple[float, list[str]]:
        """(final score, [raw_score, late_hours, penalty, late_note]) for gradebook.csv."""
        r = self.apply(student, raw)
        hours = "" if r["late_hours"] is None else f"{r['late_hours']:g}"
        return r["final_score"], [f"{raw:g}", hours, f"{r['penalty']:g}", r["note"]]

    def to_json(self, rows: list[dict]) -> dict:
        return {"deadline": self.policy.deadline.isoformat(), "policy": {
                    **self.policy.to_json(),
                    "extensions": {s: self.deadline_of(s).isoformat() for s in sorted(self.idents)
                                   if self.deadline_of(s) != self.policy.deadline}},
                "students": [self.apply(r["student"], float(r.get("score", 0)))
                             for r in sorted(rows, key=lambda r: r["student"])],
                "warnings": self.warnings}


GRADEBOOK_COLUMNS = ["raw_score", "late_hours", "penalty", "late_note"]


# --- the options --------------------------------------------------------------------------
def policy_from_args(args) -> Policy | None:
    """The policy the bulk options ask for (None without --deadline). Raises ValueError with what to fix."""
    opts = {name: getattr(args, name, None) for name in
            ("deadline", "late_penalty", "per", "grace", "late_cap", "extensions", "times")}
    given = [f"--{k.replace('_', '-')}" for k, v in opts.items() if k != "deadline" and v is not None]
    if opts["deadline"] is None:
        if given:
            raise ValueError(f"{', '.join(given)} need(s) --deadline (e.g. --deadline 2026-12-01T23:59:00-05:00)")
        return None
    deadline = parse_time(opts["deadline"], "--deadline")
    for name in ("late_penalty", "grace", "late_cap"):
        value = opts[name]
        if value is not None and (not math.isfinite(value) or value < 0):
            raise ValueError(f"--{name.replace('_', '-')} must be a number >= 0, not {value}")
    policy = Policy(deadline, opts["late_penalty"] or 0.0, opts["per"] or "day", opts["grace"] or 0.0, opts["late_cap"])
    if opts["extensions"]:
        policy.extensions = read_extensions(Path(opts["extensions"]), deadline)
    if opts["times"]:
        policy.times = read_times(Path(opts["times"]))
    return policy


def _read_csv(path: Path, what: str, needed: list[list[str]]) -> list[dict]:
    """Rows of a TA's CSV with a header; ``needed``: alternatives of column sets, one must be there."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{what} {path}: cannot be read ({exc})") from None
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if not any(all(c in header for c in cols) for cols in needed):
        want = " or ".join(",".join(cols) for cols in needed)
        raise ValueError(f"{what} {path}: the first line must be the header {want} (it is {','.join(header)!r})")
    rows = []
    for n, row in enumerate(reader, start=2):
        clean = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        if any(clean.values()):
            clean["_line"] = n
            rows.append(clean)
    return rows


def read_times(path: Path) -> dict:
    out = {}
    for row in _read_csv(path, "--times", [["student", "submitted_at"]]):
        if not row["student"]:
            raise ValueError(f"--times {path}, line {row['_line']}: no student")
        out[key(row["student"])] = parse_time(row["submitted_at"], f"--times {path}, line {row['_line']}")
    return out


def read_extensions(path: Path, deadline: datetime) -> dict:
    out = {}
    for row in _read_csv(path, "--extensions", [["student", "deadline"], ["student", "hours"]]):
        where = f"--extensions {path}, line {row['_line']}"
        if not row["student"]:
            raise ValueError(f"{where}: no student")
        if row.get("deadline"):
            out[key(row["student"])] = parse_time(row["deadline"], where)
        elif row.get("hours"):
            try:
                hours = float(row["hours"])
            except ValueError:
                raise ValueError(f"{where}: hours must be a number, not {row['hours']!r}") from None
            if not math.isfinite(hours):
                raise ValueError(f"{where}: hours must be a finite number")
            out[key(row["student"])] = deadline + timedelta(hours=hours)
        else:
            raise ValueError(f"{where}: give a deadline or a number of hours")
    return out


def book(policy: Policy, idents: dict[str, Identity]) -> LateBook:
    """The policy for this run's students; names in --times/--extensions that match nobody are warned of."""
    lb = LateBook(policy, idents)
    known = {key(a) for ident in idents.values() for a in ident.aliases}
    for what, table in (("--times", policy.times), ("--extensions", policy.extensions)):
        unknown = sorted(k for k in table if k not in known)
        if unknown:
            lb.warnings.append(f"{what}: no submission for {', '.join(unknown)}")
    return lb
