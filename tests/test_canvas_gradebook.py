"""The Canvas gradebook: a roster exported from Canvas (12 students) and a class of 11 submissions
(10 on the roster, matched by Canvas user id, SIS Login ID or SIS User ID, and one that matches
nobody), graded once with the public checks; gradebook.canvas.csv has Canvas's columns, the
Points Possible row, 12 student rows, 2 of them missing, and the unmatched one is reported."""
import csv
import io
import json
from pathlib import Path

import pytest
from conftest import ROOT, run_grade

from autograder.course.canvas import COLUMNS, read_roster
from autograder.reports.files import spreadsheet_cell as csv_safe

pytestmark = pytest.mark.timeout(1800)

STUBS = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
ASSIGNMENT = "Homework 1 (1001)"
FORMULA_NAME = "=HYPERLINK(\"http://x\",\"y\")"

# Student, ID, SIS User ID, SIS Login ID, Section; how the submission comes (None: no submission)
ROSTER = [
    ("Doe, Jane", "1001", "S0000001", "jdoe", "Section A", ("canvas", "doejane", True)),
    ("Smith, Bob", "1002", "S0000002", "bsmith", "Section A", ("canvas", "smithbob", False)),
    ('Lee, Ann "Annie"', "1003", "S0000003", "alee", "Section B", ("canvas", "leeann", False)),
    (FORMULA_NAME, "1004", "S0000004", "-fx", "Section B", ("canvas", "formula", False)),
    ("García, María", "1005", "S0000005", "mgarcia", "Section A, Lab 2", ("canvas", "garciamaria", False)),
    ("O'Brien, Pat", "1006", "S0000006", "pobrien", "Section B", ("canvas", "obrienpat", False)),
    ("Kim, Jo", "1007", "S0000007", "jkim", "Section A", ("folder", "jkim")),
    ("Park, Sam", "1008", "S0000008", "spark", "Section A", ("folder", "S0000008")),
    ("Nguyen, Tam", "1009", "S0000009", "TNguyen@example.edu", "Section B", ("zip", "tnguyen@example.edu")),
    ("White, Pia", "1010", "S0000010", "pwhite", "Section B", ("folder", "pwhite")),
    ("Missing, One", "1011", "S0000011", "mone", "Section A", None),
    ("Missing, Two", "1012", "", "mtwo", "Section B", None),
]


def write_roster(path: Path) -> None:
    """As Canvas exports it: a BOM, the header with assignment and total columns, the Points
    Possible row (with Canvas's leading spaces), one row per student."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([*COLUMNS, ASSIGNMENT, "Current Score", "Unposted Current Score", "Final Score"])
    w.writerow(["    Points Possible", "", "", "", "", "10.00", "(read only)", "(read only)", "(read only)"])
    for name, cid, sis, login, section, _ in ROSTER:
        w.writerow([name, cid, sis, login, section, "", "", "", ""])
    path.write_text("\ufeff" + buf.getvalue(), encoding="utf-8")


def build_class(klass: Path) -> None:
    klass.mkdir()
    sid = 50000
    for _, cid, *_rest, how in ROSTER + [("Stranger", "2000", "", "", "", ("canvas", "stranger", False))]:
        if how is None:
            continue
        kind, name = how[0], how[1]
        files = {f.name: f.read_bytes() for f in sorted(STUBS.glob("ex0*.py"))}
        if name == "doejane":  # a tiny variant: ex01 solved
            files["ex01_gradient_descent.py"] = (SOLUTIONS / "ex01_gradient_descent.py").read_bytes()
        if kind == "canvas":
            sid += 1
            for fname, data in files.items():
                late = "_LATE" if how[2] else ""
                # Canvas appends -N to a file a student uploaded again
                stored = fname.replace(".py", "-1.py") if fname.startswith("ex02") else fname
                (klass / f"{name}{late}_{cid}_{sid}_{stored}").write_bytes(data)
        elif kind == "folder":
            (klass / name).mkdir()
            for fname, data in files.items():
                (klass / name / fname).write_bytes(data)
        else:
            import zipfile

            with zipfile.ZipFile(klass / f"{name}.zip", "w") as z:
                for fname, data in files.items():
                    z.writestr(f"homework/{fname}", data)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("canvas")
    write_roster(root / "roster.csv")
    build_class(root / "class")
    (root / "times.csv").write_text("student,submitted_at\njdoe,2026-12-03T23:00:00Z\n")
    out = root / "out"
    done = run_grade("bulk", root / "class", "--out", out, "--jobs", "2", "--roster", root / "roster.csv",
                     "--assignment", ASSIGNMENT, "--deadline", "2026-12-01T23:59:00Z", "--late-penalty", "5",
                     "--per", "day", "--times", root / "times.csv", timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    return root, out, done


def canvas_rows(out: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO((out / "gradebook.canvas.csv").read_text(encoding="utf-8"), newline="")))


def test_columns_points_possible_and_one_row_per_roster_student(graded):
    _, out, _ = graded
    rows = canvas_rows(out)
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", ASSIGNMENT]
    assert rows[1][0].strip() == "Points Possible" and rows[1][1:5] == ["", "", "", ""] and rows[1][5] == "100"
    students = rows[2:]
    assert len(students) == 12
    for row, (name, cid, sis, login, section, _) in zip(students, ROSTER):  # roster order, ids as exported
        assert row[:5] == [csv_safe(name), cid, sis, csv_safe(login), section]
        assert len(row) == 6
    by_id = {r[1]: r for r in students}
    assert by_id["1001"][0] == "Doe, Jane" and by_id["1005"][4] == "Section A, Lab 2"  # commas round-trip
    assert by_id["1003"][0] == 'Lee, Ann "Annie"'
    assert by_id["1004"][0] == "'" + FORMULA_NAME and by_id["1004"][3] == "'-fx"  # no formula reaches a spreadsheet


def test_missing_students_have_an_empty_grade_and_the_rest_theirs(graded):
    _, out, _ = graded
    grades = {r[1]: r[5] for r in canvas_rows(out)[2:]}
    assert sorted(i for i, g in grades.items() if g == "") == ["1011", "1012"]
    # Jane: 15 points raw, two started days late at 5 % of 100 per day: 10 off
    assert grades["1001"] == "5"
    assert {i: g for i, g in grades.items() if i not in ("1001", "1011", "1012")} == \
        {i: "0" for i in ["1002", "1003", "1004", "1005", "1006", "1007", "1008", "1009", "1010"]}


def test_the_unmatched_submission_is_reported_not_dropped(graded):
    _, out, done = graded
    unmatched = list(csv.DictReader(io.StringIO((out / "unmatched.csv").read_text())))
    assert [u["student"] for u in unmatched] == ["stranger_2000"]
    assert unmatched[0]["score"] == "0" and "roster" in unmatched[0]["reason"]
    assert "match no roster row: stranger_2000" in done.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["canvas"]["unmatched"] == ["stranger_2000"]
    assert summary["canvas"]["missing"] == ["Missing, One", "Missing, Two"]
    assert summary["canvas"]["matched"] == 10 and summary["canvas"]["roster"] == 12
    assert summary["students"] == 11  # the generic gradebook keeps everyone
    book = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert "stranger_2000" in {r["student"] for r in book} and len(book) == 11


def test_the_generic_gradebook_shows_the_late_policy(graded):
    _, out, _ = graded
    book = {r["student"]: r for r in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))}
    assert list(next(iter(book.values())))[-4:] == ["raw_score", "late_hours", "penalty", "late_note"]
    jane = book["doejane_1001"]
    assert (jane["score"], jane["raw_score"], jane["late_hours"], jane["penalty"], jane["late_note"]) == \
        ("5", "15", "47.02", "10", "")
    assert book["smithbob_1002"]["late_note"] == "on time per Canvas, no time"
    assert book["jkim"]["late_note"] == "no submission time" and book["jkim"]["late_hours"] == ""
    assert book["jkim"]["penalty"] == "0"


def test_the_roster_reader_says_what_is_wrong(tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text("Name,Email\nJane,j@x\n")
    done = run_grade("bulk", tmp_path, "--out", tmp_path / "out", "--roster", bad)
    assert done.returncode == 2
    assert "'Student', 'ID', 'SIS Login ID', 'Section'" in done.stderr and "Export Entire Gradebook" in done.stderr
    assert not (tmp_path / "out" / "results").exists()  # nothing graded
    done = run_grade("bulk", tmp_path, "--out", tmp_path / "out", "--roster", tmp_path / "nope.csv")
    assert done.returncode == 2 and "no such file" in done.stderr
    dup = tmp_path / "dup.csv"
    dup.write_text("Student,ID,SIS User ID,SIS Login ID,Section\nA,1,,a,S\nB,1,,b,S\n")
    with pytest.raises(ValueError, match="ID 1 is on line 2 too"):
        read_roster(dup)
    good = tmp_path / "good.csv"
    write_roster(good)
    assert [r.id for r in read_roster(good)] == [r[1] for r in ROSTER]
