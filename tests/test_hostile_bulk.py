"""Bulk grading keeps its promise under hostile submissions.

The class of tests/hostile/cases.py (every hostile and broken case, and well-behaved
submissions among them) is graded with ``./grade.sh bulk CLASS --out OUT --jobs 2``, once per
isolation level (the run is shared with test_hostile.py). The run must reach its end with a
result for every submission, and each well-behaved submission must get exactly the grade it
gets when graded alone with ``./grade.sh grade``. A class archive that tries to write outside
its folder, or cannot be read, is refused with a clear message before anything is graded.
"""
import csv
import io
import json
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest
from conftest import GRADE, ROOT
from hostile import cases


@pytest.fixture(scope="module")
def klass(isolation, tmp_path_factory):
    return cases.class_run(isolation, tmp_path_factory)


def test_the_whole_class_is_graded_to_the_end(klass, isolation):
    assert klass.done.returncode == 0, klass.done.stderr[-3000:]
    assert "Traceback" not in klass.done.stderr, klass.done.stderr[-3000:]
    students = cases.students_for(isolation)
    assert sorted(klass.results) == sorted(students)
    assert {r["status"] for r in klass.results.values()} == {"graded"}
    with open(klass.ctx.out / "gradebook.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["student"] for r in rows) == sorted(students)
    for row in rows:
        assert row["status"] == "graded"
        assert float(row["score"]) == klass.results[row["student"]]["score"], row
    summary = json.loads((klass.ctx.out / "summary.json").read_text())
    assert summary["students"] == len(students) and summary["not_graded"] == []


@pytest.mark.parametrize("student", cases.WELL_BEHAVED)
def test_a_well_behaved_submission_gets_the_grade_it_gets_alone(student, isolation, klass, tmp_path):
    alone, _ = cases.grade_alone(klass.ctx.klass / student, tmp_path / "alone.json", isolation)
    graded = klass.results[student]
    assert alone["isolation"] == graded["isolation"] == cases.reported_isolation(isolation)
    assert (alone["score"], alone["exercises"]) == (graded["score"], graded["exercises"])

    def checks(report):
        return [(t["exercise"], t["name"], t["status"], t["points"]) for t in report["tests"]]

    assert checks(alone) == checks(graded)


UNSAFE_CLASS_ARCHIVES = {
    "zip_slip": ([("alice/ex01_gradient_descent.py", "x = 1\n"), ("../{mark}.py", "owned = True\n")],
                 "unsafe path in archive"),
    "absolute_path": ([("alice/ex01_gradient_descent.py", "x = 1\n"), ("/tmp/{mark}.py", "owned = True\n")],
                      "unsafe path in archive"),
    "symlink_member": ([("alice/ex01_gradient_descent.py", "x = 1\n"), ("<link>bob/ex01_gradient_descent.py",
                                                                         "/etc/passwd")], "symbolic link in archive"),
    "corrupt_member": ([("alice/ex01_gradient_descent.py", "x = 1\n" * 100)], "cannot be read from the archive"),
}


@pytest.mark.parametrize("name", sorted(UNSAFE_CLASS_ARCHIVES))
def test_an_unsafe_class_archive_is_refused(name, tmp_path):
    """No isolation level is involved: the archive is refused before any submission is graded."""
    members, message = UNSAFE_CLASS_ARCHIVES[name]
    mark = f"dlgrader-hostile-classzip-{tmp_path.name}"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for member, data in members:
            if member.startswith("<link>"):
                info = zipfile.ZipInfo(member[len("<link>"):])
                info.external_attr = 0o120777 << 16
                z.writestr(info, data)
            else:
                z.writestr(member.format(mark=mark), data)
    data = bytearray(buf.getvalue())
    if name == "corrupt_member":
        for signature, offset in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
            data[data.find(signature) + offset] ^= 0xFF
    archive = tmp_path / "in" / "class.zip"
    archive.parent.mkdir()
    archive.write_bytes(bytes(data))
    out = tmp_path / "out"
    done = subprocess.run([str(GRADE), "bulk", str(archive), "--out", str(out)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    assert message in done.stderr and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert not (out / "gradebook.csv").exists()
    # the archive is unpacked in a fresh folder under the temporary folder: ../ leads there
    for place in (Path(tempfile.gettempdir()), Path("/tmp"), tmp_path, tmp_path / "in", out, ROOT):
        assert not (place / f"{mark}.py").exists()
