"""The Canvas gradebook: read a roster exported from Canvas, write ``gradebook.canvas.csv`` to import.

The roster is Canvas's own gradebook export (Grades > Export > Export Entire Gradebook): a header
``Student, ID, SIS User ID, SIS Login ID, Section, <assignments...>`` (some institutions also have
``Integration ID`` or ``Root Account``; columns are found by name), then a ``Points Possible`` row
(Canvas writes it with leading spaces) and one row per student. What is written back has the
columns Canvas's importer requires, in its order (Student, ID, SIS User ID, SIS Login ID, Section),
one assignment column, the ``Points Possible`` row, and one row per roster student, in roster
order. A student with no submission gets an empty cell. A submission that matches no roster row
is listed in ``unmatched.csv`` and in the run's summary, never dropped.

A submission matches a roster row by its Canvas user id (from a Canvas download's file names)
equal to ``ID``, else by its id (folder name, or Gradescope's SID/email) equal to the
``SIS Login ID`` or ``SIS User ID``.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..assignment import MAX_SCORE
from ..reports.files import spreadsheet_cell, write_text
from .identities import Identity, key

COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
REQUIRED = ["Student", "ID", "SIS Login ID", "Section"]
DEFAULT_ASSIGNMENT = "DL workflow homework"


@dataclass
class RosterRow:
    student: str
    id: str
    sis_user_id: str
    sis_login_id: str
    section: str

    def cells(self) -> list[str]:
        return [spreadsheet_cell(v) for v in (self.student, self.id, self.sis_user_id, self.sis_login_id, self.section)]


def read_roster(path: Path) -> list[RosterRow]:
    """The students of a Canvas gradebook export. Raises ValueError that says what to fix."""
    path = Path(path)
    hint = "export it from Canvas: Grades > Export > Export Entire Gradebook, and pass that CSV file"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"--roster {path}: no such file; {hint}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"--roster {path}: cannot be read ({exc}); {hint}") from None
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise ValueError(f"--roster {path}: the file is empty; {hint}")
    header = [h.strip() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"--roster {path}: no {', '.join(repr(m) for m in missing)} column "
                         f"(the header is {','.join(header)[:200]!r}); {hint}")
    at = {c: header.index(c) for c in COLUMNS if c in header}
    out, seen = [], {}
    for n, row in enumerate(rows[1:], start=2):
        cell = {c: (row[i].strip() if i < len(row) else "") for c, i in at.items()}
        if "Points Possible" in cell["Student"] or not any(v.strip() for v in row):
            continue
        if not cell["ID"]:  # Canvas's rows of muted/posting markers and the like: not students
            if all(v.strip() in ("", "Muted", "Manual Posting", "(read only)") for v in row):
                continue
            raise ValueError(f"--roster {path}, line {n}: {cell['Student']!r} has no ID; {hint}")
        if cell["ID"] in seen:
            raise ValueError(f"--roster {path}, line {n}: ID {cell['ID']} is on line {seen[cell['ID']]} too")
        seen[cell["ID"]] = n
        out.append(RosterRow(cell["Student"], cell["ID"], cell.get("SIS User ID", ""), cell["SIS Login ID"],
                             cell["Section"]))
    return out


def match(roster: list[RosterRow], idents: dict[str, Identity]) -> tuple[dict[str, str], list[dict]]:
    """({roster ID: student}, [unmatched submissions with the reason])."""
    by_id = {r.id: r for r in roster}
    by_sis: dict[str, list[RosterRow]] = {}
    for r in roster:
        for value in {r.sis_login_id, r.sis_user_id}:
            if value:
                by_sis.setdefault(key(value), []).append(r)
    claims: dict[str, list[str]] = {}
    unmatched = []
    for student in sorted(idents):
        ident = idents[student]
        row = by_id.get(ident.canvas_uid) if ident.canvas_uid else None
        if row is None:
            names = [student] + sorted(a for a in ident.aliases if a != student)
            for name in names:
                hits = {id(r): r for r in by_sis.get(key(name), [])}
                if len(hits) == 1:
                    row = next(iter(hits.values()))
                    break
        if row is None:
            unmatched.append({"student": student, "reason": "no roster row with this Canvas ID, SIS Login ID or "
                                                             "SIS User ID"})
        else:
            claims.setdefault(row.id, []).append(student)
    matched = {}
    for rid, students in claims.items():
        if len(students) == 1:
            matched[rid] = students[0]
        else:
            for s in students:
                unmatched.append({"student": s, "reason": f"roster ID {rid} is matched by {', '.join(students)}; "
                                                          "the cell is left empty"})
    return matched, sorted(unmatched, key=lambda u: u["student"])


def write(out: Path, roster: list[RosterRow], idents: dict[str, Identity], scores: dict[str, dict],
          assignment: str = DEFAULT_ASSIGNMENT) -> dict:
    """Write gradebook.canvas.csv and unmatched.csv; ``scores``: student -> {"score", "status"}
    (score = the final score). Returns the summary of the match."""
    matched, unmatched = match(roster, idents)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([*COLUMNS, spreadsheet_cell(assignment)])
    w.writerow(["Points Possible", "", "", "", "", MAX_SCORE])
    missing, not_graded = [], []
    for r in roster:
        student = matched.get(r.id)
        cell = ""
        if student is None:
            missing.append(r.student)
        elif scores.get(student, {}).get("status") != "graded":
            not_graded.append(student)
        else:
            cell = f"{scores[student]['score']:g}"
        w.writerow([*r.cells(), cell])
    write_text(out / "gradebook.canvas.csv", buf.getvalue())
    ubuf = io.StringIO()
    uw = csv.writer(ubuf, lineterminator="\n")
    uw.writerow(["student", "score", "reason"])
    for u in unmatched:
        s = scores.get(u["student"], {})
        uw.writerow([spreadsheet_cell(u["student"]), f"{s['score']:g}" if "score" in s else "", u["reason"]])
    write_text(out / "unmatched.csv", ubuf.getvalue())
    return {"roster": len(roster), "matched": len(matched), "missing": missing,
            "unmatched": [u["student"] for u in unmatched], "not_graded": not_graded, "assignment": assignment}
