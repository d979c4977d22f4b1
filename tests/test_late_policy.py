"""The late policy against a table computed by hand: submission times from a Gradescope export's
submission_metadata.yml, from a Canvas download's file names and from a --times CSV, with the
grace period, per-hour and per-day penalties, the cap, extensions and a missing time. The
arithmetic needs no grading; one bulk run of a small Gradescope export checks the gradebook."""
import csv
import io
import json
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import ROOT, run_grade

from autograder.bulk.sources import discover
from autograder.cli import parser
from autograder.course import late
from autograder.course.identities import parse_time, scan

pytestmark = pytest.mark.timeout(1200)

STUBS = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
DEADLINE = "2026-12-01T23:59:00-05:00"  # = 2026-12-02T04:59:00Z

# Gradescope writes :created_at: as Ruby prints a time: nanoseconds, a space, then the offset.
# Folder -> (sid, created_at line or None for no time).
GRADESCOPE = {
    "submission_101": ("early", "2026-12-01 20:00:00.000000000 -05:00"),
    "submission_102": ("ingrace", "2026-12-02 00:10:00.500000000 -05:00"),  # 11 min late: in the 15 min grace
    "submission_103": ("justpast", "2026-12-02 00:14:00.000001000 -05:00"),  # grace + 1 microsecond
    "submission_104": ("oneday", "2026-12-03T05:14:00Z"),  # exactly 24 h after the grace (a YAML timestamp)
    "submission_105": ("capped", "2026-12-09 00:00:00.000000000 +00:00"),  # 7 started days after the grace
    "submission_106": ("poor", "2026-12-09 00:00:00.000000000 +00:00"),  # capped, but scored less than the cap
    "submission_107": ("ext48", "2026-12-03 12:00:00.000000000 +00:00"),  # 48 h extension: on time
    "submission_108": ("extiso", "2026-12-05 02:00:00.000000000 +00:00"),  # own deadline 12-05 00:00Z: 2 h late
    "submission_109": ("notime", None),
    "submission_110": ("fixed", None),  # no time in the export, one in --times
    "submission_111": ("override", "2026-12-01 20:00:00.000000000 -05:00"),  # --times says later
}
RAW = {"poor": 20.0}  # everyone else scored 100
EXTENSIONS = "student,deadline,hours\next48,,48\nextiso,2026-12-05T00:00:00+00:00,\n"
TIMES = "student,submitted_at\nfixed,2026-12-02T10:00:00Z\noverride,2026-12-04 04:59\n"

# 10 % of 100 per started day after 15 minutes of grace, at most 30 %.
# student: (late_hours, penalty, final, note)
PER_DAY = {
    "early": (0, 0, 100, ""),
    "ingrace": (0.18, 0, 100, ""),
    "justpast": (0.25, 10, 90, ""),
    "oneday": (24.25, 10, 90, ""),
    "capped": (163.02, 30, 70, ""),
    "poor": (163.02, 20, 0, ""),
    "ext48": (0, 0, 100, ""),
    "extiso": (2.0, 10, 90, ""),
    "notime": (None, 0, 100, "no submission time"),
    "fixed": (5.02, 10, 90, ""),  # 5 h 01 late: one started day after the grace
    "override": (48.0, 20, 80, ""),  # naive time in --times: UTC; 48 h late, 47 h 45 after the grace
}
# 2 % per started hour, no grace, at most 25 %.
PER_HOUR = {
    "early": (0, 0, 100, ""),
    "ingrace": (0.18, 2, 98, ""),
    "justpast": (0.25, 2, 98, ""),
    "oneday": (24.25, 25, 75, ""),  # 25 started hours: 50 %, capped at 25
    "capped": (163.02, 25, 75, ""),
    "poor": (163.02, 20, 0, ""),
    "ext48": (0, 0, 100, ""),
    "extiso": (2.0, 4, 96, ""),
    "notime": (None, 0, 100, "no submission time"),
    "fixed": (5.02, 12, 88, ""),
    "override": (48.0, 25, 75, ""),
}


def gradescope_export(root: Path, folders=GRADESCOPE, code=None) -> Path:
    root.mkdir(parents=True)
    lines = []
    for folder, (sid, created) in folders.items():
        (root / folder).mkdir()
        for f in sorted(STUBS.glob("ex0*.py")):
            shutil.copy((code or {}).get(sid, {}).get(f.name, f), root / folder / f.name)
        lines += [f"{folder}:", "  :submitters:", f"  - :name: Student {sid.title()}", f"    :sid: '{sid}'",
                  f"    :email: {sid}@example.edu"]
        if created is not None:
            lines.append(f"  :created_at: {created}")
        lines += ["  :score: 0.0", "  :status: processed"]
    (root / "submission_metadata.yml").write_text("\n".join(lines) + "\n")
    return root


def book_for(root: Path, tmp: Path, *options) -> late.LateBook:
    """The late book bulk builds for INPUT, from the real command-line options, without grading."""
    (tmp / "extensions.csv").write_text(EXTENSIONS)
    (tmp / "times.csv").write_text(TIMES)
    args = parser().parse_args(["bulk", str(root), "--out", str(tmp / "out"), "--deadline", DEADLINE,
                                "--extensions", str(tmp / "extensions.csv"), "--times", str(tmp / "times.csv"),
                                *options])
    students, _, _ = discover(root)
    return late.book(late.policy_from_args(args), scan(root, [s.student for s in students]))


def table_of(book: late.LateBook) -> dict:
    out = {}
    for student in book.idents:
        r = book.apply(student, RAW.get(student, 100.0))
        out[student] = (r["late_hours"], r["penalty"], r["final_score"], r["note"])
    return out


@pytest.mark.parametrize("options, expected", [
    (["--late-penalty", "10", "--per", "day", "--grace", "15", "--late-cap", "30"], PER_DAY),
    (["--late-penalty", "2", "--per", "hour", "--late-cap", "25"], PER_HOUR),
], ids=["per-day", "per-hour"])
def test_gradescope_export_matches_the_hand_computed_table(tmp_path, options, expected):
    root = gradescope_export(tmp_path / "export")
    book = book_for(root, tmp_path, *options)
    assert table_of(book) == expected
    assert book.warnings == []


def test_canvas_download_marks_late_but_has_no_time(tmp_path):
    root = tmp_path / "canvas"
    root.mkdir()
    stub = (STUBS / "ex01_gradient_descent.py").read_bytes()
    for name in ("lateann_LATE_2001_9001", "ontimebob_2002_9002", "latecid_LATE_2003_9003"):
        (root / f"{name}_ex01_gradient_descent.py").write_bytes(stub)
    (tmp_path / "extensions.csv").write_text("student,hours\n2003,24\nnobody,5\n")
    (tmp_path / "times.csv").write_text("student,submitted_at\n2001,2026-12-02T10:00:00Z\n")  # by Canvas user id
    args = parser().parse_args(["bulk", str(root), "--out", str(tmp_path / "out"), "--deadline", DEADLINE,
                                "--late-penalty", "10", "--grace", "15", "--late-cap", "30",
                                "--extensions", str(tmp_path / "extensions.csv"),
                                "--times", str(tmp_path / "times.csv")])
    students, _, _ = discover(root)
    book = late.book(late.policy_from_args(args), scan(root, [s.student for s in students]))
    assert table_of(book) == {
        "lateann_2001": (5.02, 10, 90, ""),
        "ontimebob_2002": (None, 0, 100, "on time per Canvas, no time"),
        "latecid_2003": (None, 0, 100, "late per Canvas, no time; use --times"),
    }
    assert book.deadline_of("latecid_2003") == datetime(2026, 12, 3, 4, 59, tzinfo=timezone.utc)
    assert book.warnings == ["--extensions: no submission for nobody"]


def test_times_are_read_as_written_and_bad_ones_say_what_to_write():
    utc = timezone.utc
    assert parse_time("2026-12-01 23:59", "x") == datetime(2026, 12, 1, 23, 59, tzinfo=utc)  # naive: UTC
    assert parse_time("2026-12-01T23:59:00Z", "x") == datetime(2026, 12, 1, 23, 59, tzinfo=utc)
    assert parse_time("2026-12-01 18:59:00.999999999 -0500", "x") == \
        datetime(2026, 12, 1, 23, 59, 0, 999999, tzinfo=utc)
    for bad in ("yesterday", "2026-12-01", "2026-13-01T00:00:00Z"):
        with pytest.raises(ValueError, match="x: "):
            parse_time(bad, "x")


def test_bad_options_end_the_run_before_grading(tmp_path):
    klass = tmp_path / "class"
    klass.mkdir()
    cases = [
        (["--late-penalty", "10"], "need(s) --deadline"),
        (["--deadline", "tomorrow"], "ISO 8601"),
        (["--deadline", DEADLINE, "--late-penalty", "-1"], "--late-penalty must be a number >= 0"),
        (["--deadline", DEADLINE, "--extensions", tmp_path / "ext.csv"], "cannot be read"),
    ]
    (tmp_path / "times.csv").write_text("who,when\n")
    cases.append((["--deadline", DEADLINE, "--times", tmp_path / "times.csv"], "header student,submitted_at"))
    for options, message in cases:
        done = run_grade("bulk", klass, "--out", tmp_path / "out", *options)
        assert done.returncode == 2, options
        assert message in done.stderr, (options, done.stderr)
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("late")
    folders = {k: GRADESCOPE[k] for k in ("submission_101", "submission_103", "submission_109", "submission_111")}
    solved = {"ex01_gradient_descent.py": SOLUTIONS / "ex01_gradient_descent.py"}
    export = gradescope_export(root / "export", folders, code={"justpast": solved, "override": solved})
    (root / "times.csv").write_text(TIMES)
    out = root / "out"
    done = run_grade("bulk", export, "--out", out, "--jobs", "2", "--deadline", DEADLINE, "--late-penalty", "10",
                     "--per", "day", "--grace", "15", "--late-cap", "30", "--times", root / "times.csv",
                     timeout=1000)
    assert done.returncode == 0, done.stderr[-3000:]
    return out, done


def test_bulk_gradebook_shows_raw_score_penalty_and_final_score(graded):
    out, done = graded
    rows = list(csv.DictReader(io.StringIO((out / "gradebook.csv").read_text())))
    assert list(rows[0])[-4:] == ["raw_score", "late_hours", "penalty", "late_note"]
    got = {r["student"]: (r["score"], r["raw_score"], r["late_hours"], r["penalty"], r["late_note"]) for r in rows}
    assert got == {
        "early": ("0", "0", "0", "0", ""),
        "justpast": ("5", "15", "0.25", "10", ""),  # 15 raw, one started day: 10 points
        "notime": ("0", "0", "", "0", "no submission time"),
        "override": ("0", "15", "48", "15", ""),  # 20 % of 100 is more than the 15 scored
    }
    assert "1 without a usable time" in done.stderr and "--times: no submission for fixed" in done.stderr


def test_late_json_and_summary(graded):
    out, _ = graded
    data = json.loads((out / "late.json").read_text())
    assert data["deadline"] == "2026-12-01T23:59:00-05:00"
    assert data["policy"]["per"] == "day" and data["policy"]["grace_minutes"] == 15
    assert data["policy"]["cap_percent"] == 30 and data["policy"]["penalty_percent_of_max_score"] == 10
    students = {s["student"]: s for s in data["students"]}
    assert sorted(students) == ["early", "justpast", "notime", "override"]
    j = students["justpast"]
    assert (j["submitted"], j["late_hours"], j["penalty"], j["raw_score"], j["final_score"], j["note"]) == \
        ("2026-12-02T00:14:00.000001-05:00", 0.25, 10, 15, 5, "")
    assert students["notime"]["submitted"] is None and students["notime"]["note"] == "no submission time"
    summary = json.loads((out / "summary.json").read_text())
    assert summary["late"]["penalised"] == ["justpast", "override"]
    assert summary["late"]["no_time"] == ["notime"]
