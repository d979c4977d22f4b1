"""Bulk loses no one: every student of a class input gets one row of their own, whatever the
input holds (tests/hostile/bulk_cases.py builds the classes).

The mixed class (folders and Canvas files, every case at once) is graded ONCE with
``./grade.sh bulk --jobs 2`` under the default level (bubblewrap where it works) and checked from
every side: one row per student, ids unique and reported when they collide, names in other
scripts kept, no formula and no terminal escape in what is written or printed, and a well-behaved
student graded exactly as ``./grade.sh grade`` grades it alone. What it checks of the input is
decided in the grader before any worker starts, so it holds at every level; what depends on the
level is its grader killer, a submission that sends SIGKILL to its parent at import. Under
bubblewrap that parent is bubblewrap's own pid 1, which ignores it: the killer is graded like any
submission (under the fallback, ``DLGRADER_ISOLATION=process``, Landlock's signal scope and the
worker's other user refuse it: tests/hostile/cases.py, ``kill_the_grader_at_import``, grades it so
at both levels at the cost of one more student in that class). The killer and its two neighbours
are graded as a small class of their own as a plain child process (``DLGRADER_ISOLATION=none``),
where the killer does end its grader process: it is graded again, alone, then recorded, and the
students around it are graded as usual. The Gradescope export is graded once too. Refusals
(absurd sizes, hostile metadata) are cheap and timed.
"""
import csv
import json
import os
import subprocess
import time
from pathlib import Path

import pytest
from conftest import GRADE, ROOT
from hostile import bulk_cases as cases

from autograder.bulk import sources
from autograder.reports.files import FORMULA_STARTS, NUMBER
from autograder.reports.files import spreadsheet_cell as cell

pytestmark = pytest.mark.timeout(2400)  # a class graded once; generous for a loaded 2-core CI machine
ENV = {"DLGRADER_KEEP_WARM": "0", "DLGRADER_CALL_SECONDS": "60"}
# A plain child process (no bubblewrap, no Landlock or seccomp, which stop the killer): the worker
# is a child of the grader process, so the killer can reach it and take the grader process down.
NONE = {"DLGRADER_ISOLATION": "none"}


def bulk(*args, timeout=600, env=None):
    return subprocess.run([str(GRADE), "bulk", *map(str, args)], capture_output=True, text=True,
                          errors="surrogateescape", cwd=ROOT, timeout=timeout, env={**os.environ, **ENV, **(env or {})})


def default_level() -> str:
    """The level a class is graded at without DLGRADER_ISOLATION: "bwrap" or "process"."""
    from autograder.engine import sandbox

    return "bwrap" if sandbox.choose_isolation() == "bwrap" else "process"


def killer_reaches_its_grader(level: str) -> bool:
    """Whether ``os.kill(os.getppid(), 9)`` in a worker ends its grader process at this level. Under
    bubblewrap the parent is bubblewrap's pid 1 in the worker's PID namespace, which ignores it; the
    fallback refuses it with Landlock's signal scope (ABI 6) or the worker's other user (a root
    grader), and lets it through where it has neither; a plain child process lets it through."""
    if level == "bwrap":
        return False
    if level == "none":
        return True
    from autograder.engine import confine, sandbox

    chosen = sandbox.confinement()
    return not (chosen["landlock"] and confine.landlock_abi() >= 6) and chosen["user"] is None


def gradebook(out: Path) -> dict[str, dict]:
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        return {r["student"]: r for r in csv.DictReader(fh)}


def results(out: Path) -> dict[str, dict]:
    return {d["student"]: d for d in (json.loads(p.read_text(encoding="utf-8"))
                                       for p in (out / "results").glob("*.json"))}


# --- the mixed class, graded once ---------------------------------------------------------------
@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    root = tmp_path_factory.mktemp("integrity")
    c = cases.build_mixed_class(root)
    out = root / "out"
    t0 = time.monotonic()
    done = bulk(c.klass, "--out", out, "--jobs", "2", timeout=1800)
    seconds = time.monotonic() - t0
    print(f"mixed class ({default_level()}): {len(c.ids)} students graded in {seconds:.1f} s")
    return c, out, done


@pytest.fixture(scope="module")
def killer_class(tmp_path_factory):
    """The killer and its two neighbours, as a plain child process: the killer reaches its grader."""
    root = tmp_path_factory.mktemp("integrity-killer-none")
    c = cases.build_killer_class(root)
    out = root / "out"
    t0 = time.monotonic()
    done = bulk(c.klass, "--out", out, "--jobs", "2", timeout=900, env=NONE)
    print(f"killer class (none): {len(c.ids)} students graded in {time.monotonic() - t0:.1f} s")
    return c, out, done


def test_the_run_ends_with_every_student_and_no_traceback(mixed):
    c, out, done = mixed
    assert done.returncode == 0, done.stderr[-3000:]
    for stream in (done.stdout, done.stderr):
        assert "Traceback" not in stream, stream[-3000:]
    book = gradebook(out)
    with open(out / "gradebook.csv", newline="", encoding="utf-8") as fh:
        assert len(list(csv.DictReader(fh))) == len(c.ids)  # one row per student, none twice
    shown = {cell(sid) for sid in c.ids}
    assert set(book) == shown
    assert set(results(out)) == c.ids
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["students"] == len(c.ids)


def test_each_student_is_graded_with_their_own_files(mixed):
    """Colliding ids are not overwritten: each id holds the files of the folder it stands for."""
    c, out, _ = mixed
    got = results(out)
    for sid in c.ids - ({c.killer} if killer_reaches_its_grader(default_level()) else set()):
        assert got[sid]["files"] == c.files[sid], sid
        assert got[sid]["score"] == c.scores[sid], sid
        assert got[sid]["status"] == "graded", sid


def test_collisions_are_disambiguated_in_sorted_order_and_reported(mixed):
    c, out, done = mixed
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    lines = summary["input_problems"]
    ana = [p for p in lines if "student id 'ana'" in p]
    assert len(ana) == 1, lines
    assert "'ana' is graded as 'ana', '_ana_' is graded as 'ana-3', 'ana.' is graded as 'ana-4'" in ana[0]
    bea = [p for p in lines if "student id 'Bea'" in p]
    assert len(bea) == 1 and "'bea' is graded as 'bea-2'" in bea[0], lines
    for line in ana + bea:
        assert f"problem: {line}" in done.stderr


def test_names_in_other_scripts_are_kept(mixed):
    c, out, _ = mixed
    book = gradebook(out)
    for sid in ("josé_101", "zoë-ann_102", "müller_103", "ñandú_104"):
        assert sid in book, sorted(book)
        assert float(book[sid]["score"]) == c.scores[sid], sid
        assert (out / "feedback" / f"{sid}.md").read_text(encoding="utf-8").startswith(f"# Feedback: {sid}")
    assert "caf" in book  # a folder name that is not UTF-8


def assert_killer_recorded_alone(c, out, done):
    got = results(out)
    killer = got[c.killer]
    assert killer["status"] == "grader-process-ended" and killer["score"] == 0, killer
    assert any("grader process ended (killed by SIGKILL)" in p and "twice" in p for p in killer["problems"])
    assert f"while grading {c.killer}; it will be graded again, alone" in done.stderr
    for sid in c.innocent:
        assert got[sid]["status"] == "graded" and got[sid]["score"] == 15, got[sid]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["not_graded"] == [c.killer]
    assert gradebook(out)[c.killer]["status"] == "grader-process-ended"


def assert_killer_graded(c, out, done, level, stub_ex01=None):
    """Under bubblewrap its kill is ignored: ex01 is graded as the untouched stub (``stub_ex01``: the
    statuses of a student whose ex01 is the stub). Under the fallback the kill is refused: importing
    ex01 raises PermissionError, so its checks err. Either way it is graded (0), as are its
    neighbours, and no grader process ended."""
    got = results(out)
    killer = got[c.killer]
    assert killer["status"] == "graded" and killer["score"] == 0, killer
    assert "grader process ended" not in done.stderr and "graded again, alone" not in done.stderr
    ex01 = [t for t in killer["tests"] if t["exercise"] == "ex01"]
    if level == "bwrap":
        assert [(t["name"], t["status"]) for t in ex01] == stub_ex01
    else:
        assert ex01 and all(t["status"] == "error" and "PermissionError" in t["feedback"] for t in ex01), ex01
    for sid in c.innocent:
        assert got[sid]["status"] == "graded" and got[sid]["score"] == 15, got[sid]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["not_graded"] == []


def test_a_grader_killer_cannot_reach_its_grader_and_is_graded(mixed):
    c, out, done = mixed
    level = default_level()
    if killer_reaches_its_grader(level):  # a fallback without Landlock's signal scope, grader not root
        assert_killer_recorded_alone(c, out, done)
        return
    stub = [(t["name"], t["status"]) for t in results(out)["ana"]["tests"] if t["exercise"] == "ex01"]
    assert_killer_graded(c, out, done, level, stub)


def test_a_grader_killer_is_recorded_alone_and_its_neighbours_are_graded(killer_class):
    """As a plain child process the killer ends its grader process: it is graded again, alone, ends
    that one too, and is recorded; the students graded around it are graded as usual."""
    c, out, done = killer_class
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    assert set(results(out)) == c.ids
    assert_killer_recorded_alone(c, out, done)


def test_no_formula_reaches_the_gradebook(mixed):
    c, out, _ = mixed
    book = gradebook(out)
    for sid, shown in c.formulas.items():
        assert shown in book and book[shown]["score"] == "0", sorted(book)
    for row in book.values():
        for value in row.values():
            assert not value.startswith(FORMULA_STARTS) or NUMBER.fullmatch(value), row


def test_cells_that_are_numbers_stay_numbers():
    assert cell("-3.5") == "-3.5" and cell(-3.5) == -3.5 and cell("15") == "15"
    for formula in ("=1+1", "+A1", "-2+3", "@SUM(A1)", "\tx", "\rx", "-cmd"):
        assert cell(formula) == "'" + formula


def test_no_terminal_escape_is_printed_or_written(mixed):
    c, out, done = mixed
    assert "\x1b" not in done.stderr and "\x07" not in done.stderr
    assert "\\x1b[2J\\x1b]0;owned\\x07readme.txt: not a folder" in done.stderr  # named, escaped
    for path in out.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".md", ".csv"):
            text = path.read_text(encoding="utf-8")
            assert "\x1b" not in text and "\x07" not in text, path
            if path.suffix == ".json":
                assert "\x1b" not in json.dumps(json.loads(text), ensure_ascii=False), path
    assert "0_owned___31mred" in gradebook(out)


def test_fifos_are_never_opened(mixed):
    c, out, done = mixed
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert any(p.startswith("pipe.zip: not a folder") for p in summary["input_problems"])
    fifo = results(out)["fifo-module"]
    assert {t["status"] for t in fifo["tests"] if t["exercise"] == "ex01"} == {"error"}


def test_a_well_behaved_student_gets_the_grade_it_gets_alone(mixed, tmp_path):
    c, out, _ = mixed
    report = tmp_path / "alone.json"
    done = subprocess.run([str(GRADE), "grade", str(c.klass / c.well_behaved), "--json", str(report)],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, env={**os.environ, **ENV})
    assert done.returncode == 0, done.stderr[-2000:]
    alone = json.loads(report.read_text())
    graded = results(out)[c.well_behaved]

    def essence(r):
        return (r["score"], r["exercises"], r["isolation"],
                [(t["exercise"], t["name"], t["status"], t["points"]) for t in r["tests"]])

    assert essence(alone) == essence(graded)
    assert alone["score"] == 15


# --- Gradescope -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gradescope(tmp_path_factory):
    root = tmp_path_factory.mktemp("gradescope")
    export, expect = cases.build_gradescope_class(root)
    out = root / "out"
    done = bulk(export, "--out", out, "--jobs", "1", timeout=1200)
    return expect, out, done


def test_gradescope_keeps_two_submissions_of_one_sid_and_reports_bad_entries(gradescope):
    expect, out, done = gradescope
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr + done.stdout
    got = results(out)
    assert set(got) == set(expect) == set(gradebook(out))
    for sid, files in expect.items():
        assert got[sid]["files"] == files and got[sid]["status"] == "graded", sid
    lines = json.loads((out / "summary.json").read_text())["input_problems"]
    expected = ["'submission_1' is graded as 's1', 'submission_2' is graded as 's1-2'",
                "submission_3: its entry in submission_metadata.yml is not as Gradescope writes it (':submitters' is 5",
                "submission_4: its entry in submission_metadata.yml is not as Gradescope writes it",
                "submission_6: not in submission_metadata.yml"]
    for text in expected:
        assert any(text in p for p in lines), (text, lines)
        assert text in done.stderr


@pytest.mark.parametrize("attack", sorted(cases.METADATA_ATTACKS))
def test_hostile_metadata_is_refused_at_once_and_folder_names_are_the_ids(attack, tmp_path):
    export = cases.build_metadata_attack(tmp_path, attack, folders=2)
    import yaml  # noqa: F401 (imported before the clock starts: only the refusal is timed)

    t0 = time.monotonic()
    students, problems, _ = sources.discover(export)
    seconds = time.monotonic() - t0
    assert seconds < 0.5, seconds  # never the minutes (or memory) an alias bomb takes
    assert [s.student for s in students] == ["submission_1", "submission_2"]
    text = cases.METADATA_ATTACKS[attack][1]
    assert len(problems) == 1 and text in problems[0] and "folder names used as ids" in problems[0], problems


def test_without_libyaml_the_loader_refuses_aliases_and_depth_too():
    import yaml

    loader = sources._metadata_loader()
    # (pure-Python PyYAML scans up to 1024 characters ahead in a flow collection: 200 suffice here)
    for text in (cases.METADATA_ATTACKS["billion_laughs"][0].decode(), "[" * 200):
        t0 = time.monotonic()
        with pytest.raises(yaml.YAMLError, match="anchors and aliases|nested deeper"):
            yaml.load(text, Loader=loader)
        assert time.monotonic() - t0 < 5
    assert yaml.load(cases.GRADESCOPE_METADATA, Loader=loader)["submission_1"][":submitters"][0][":sid"] == "s1"


@pytest.mark.parametrize("attack", ["billion_laughs", "top_level_list"])
def test_hostile_metadata_is_a_line_of_the_summary(attack, tmp_path):
    """Through ./grade.sh bulk: no traceback, the problem in summary.json and on the console
    (an export with no submission folder: nothing to grade, so this costs a second or two)."""
    export = cases.build_metadata_attack(tmp_path, attack, folders=0)
    out = tmp_path / "out"
    t0 = time.monotonic()
    done = bulk(export, "--out", out, timeout=120)
    assert time.monotonic() - t0 < 60
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-3000:]
    text = cases.METADATA_ATTACKS[attack][1]
    lines = json.loads((out / "summary.json").read_text())["input_problems"]
    assert len(lines) == 1 and text in lines[0]
    assert f"problem: {lines[0]}" in done.stderr


# --- absurd sizes -----------------------------------------------------------------------------
def refused(done, count: int, limit: int, out: Path):
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    assert f"holds {count}" in done.stderr and f"limit of {limit}" in done.stderr, done.stderr
    assert "--max-students" in done.stderr and "nothing was graded" in done.stderr
    assert not out.exists()  # refused before anything was graded or written


def test_ten_thousand_folders_are_refused_in_seconds(tmp_path):
    klass = cases.build_huge_class(tmp_path)
    out = tmp_path / "out"
    t0 = time.monotonic()
    done = bulk(klass, "--out", out, timeout=120)
    seconds = time.monotonic() - t0
    refused(done, 10_000, 5000, out)
    assert "--max-students 10000" in done.stderr
    assert seconds < 60, seconds  # on a loaded 2-core machine; grading them would take hours


def test_a_class_zip_of_ten_thousand_folders_is_refused_before_unpacking(tmp_path):
    archive = cases.build_huge_class_zip(tmp_path, folders=10_000)
    out = tmp_path / "out"
    t0 = time.monotonic()
    done = bulk(archive, "--out", out, timeout=120)
    seconds = time.monotonic() - t0
    refused(done, 10_000, 5000, out)
    assert seconds < 60, seconds


def test_a_class_zip_with_too_many_members_is_refused(tmp_path):
    archive = cases.build_huge_class_zip(tmp_path, folders=10, members_per_folder=5001)
    out = tmp_path / "out"
    done = bulk(archive, "--out", out, timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert "holds 50010 members, more than the limit of 50000" in done.stderr, done.stderr
    assert "--max-students 5001" in done.stderr and not out.exists()


def test_the_limit_is_an_option(tmp_path):
    klass = tmp_path / "class"
    for name in ("a", "b", "c"):
        cases.write_folder(klass / name, cases.stubs(1))
    out = tmp_path / "out"
    refused(bulk(klass, "--out", out, "--max-students", "2", timeout=120), 3, 2, out)
    helped = subprocess.run([str(GRADE), "bulk", "--help"], capture_output=True, text=True, cwd=ROOT, timeout=60)
    helped = " ".join(helped.stdout.split())
    assert "--max-students N" in helped and "default 5000" in helped


def test_canvas_late_and_zipped_submissions_are_read(tmp_path):
    """Canvas writes "late" in lower case, and a student's zip keeps Canvas's name prefix."""
    import io
    import zipfile

    klass = tmp_path / "canvas"
    klass.mkdir()
    (klass / f"doe_late_7_70_{cases.EX01}").write_bytes(cases.SOLVED_EX01)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in cases.stubs(2).items():
            z.writestr(f"homework/{name}", data)
    (klass / "łucja_8_80_homework.zip").write_bytes(buf.getvalue())
    students, problems, _ = sources.discover(klass)
    assert problems == []
    assert {s.student: sorted(s.files) for s in students} == {"doe_7": [cases.EX01], "łucja_8": cases.STUB_NAMES[:2]}
