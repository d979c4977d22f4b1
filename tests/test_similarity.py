"""Copied code: in a class with two pairs of near-copies (variables renamed, functions
reordered, comments rewritten), two independent correct implementations and two untouched
stubs, exactly the near-copies are flagged, with their matching regions marked side by
side; a second run writes byte-identical reports; earlier terms are compared with the
class and never with each other."""
import csv
import html
import io
import json
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, run_grade

from autograder.bulk.sources import StudentFiles
from autograder.course import similarity as sim
from autograder.course.similarity_report import raw_slices

pytestmark = pytest.mark.timeout(900)

SOLUTIONS = ROOT / "solutions"
INDEPENDENT = ROOT / "tests" / "fixtures" / "independent"
STUBS = ROOT / "exercises"
HEADER = ["student_a", "student_b", "score", "share_a", "share_b", "module"]
MARK = "<b>not bold</b>"  # put into a copy's comments: the report must show it as text


# --- the near-copies: deterministic text edits ---------------------------------------
def rename_variables(text: str, tag: str) -> str:
    assigned = set(re.findall(r"^[ \t]+([a-z_][a-z0-9_]*)[ \t]*(?:[+\-*/]?=)(?!=)", text, re.M))
    assigned |= set(re.findall(r"^[ \t]+for ([a-z_][a-z0-9_]*) in ", text, re.M))
    for i, name in enumerate(sorted(assigned - {"self", "_"})):
        text = re.sub(rf"(?<![.\w]){name}\b", f"{tag}{i}_{name[::-1]}", text)
    return text


def reorder_functions(text: str) -> str:
    """Top-level blocks (def/class with their decorators) in reverse order."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines)
              if re.match(r"(def |class |@)", line) and not (i and lines[i - 1].startswith("@"))]
    head = lines[:starts[0]]
    blocks = [lines[a:b] for a, b in zip(starts, starts[1:] + [len(lines)])]
    return "\n".join(head + [line for block in reversed(blocks) for line in block]) + "\n"


def rewrite_comments(text: str) -> str:
    return re.sub(r"#[^\n]*", lambda m: f"# {MARK} reworded ({len(m.group(0))})", text)


def near_copy(text: str, tag: str) -> str:
    return reorder_functions(rewrite_comments(rename_variables(text, tag)))


def write_student(folder: Path, source: Path, edit=None) -> Path:
    folder.mkdir(parents=True)
    for f in sorted(source.glob("ex0*.py")):
        (folder / f.name).write_text(edit(f.read_text()) if edit else f.read_text())
    return folder


def build_class(root: Path) -> Path:
    klass = root / "class"
    write_student(klass / "alice", SOLUTIONS)
    write_student(klass / "ivan", INDEPENDENT)
    write_student(klass / "carol", STUBS)
    write_student(klass / "dan", STUBS)
    write_student(klass / "mallory", SOLUTIONS, lambda t: near_copy(t, "m"))
    oscar = write_student(root / "zips" / "oscar", INDEPENDENT, lambda t: near_copy(t, "o"))
    with zipfile.ZipFile(klass / "@oscar.zip", "w") as z:  # a zipped submission, an id a spreadsheet would run
        for f in sorted(oscar.iterdir()):
            z.write(f, f"homework/exercises/{f.name}")
    return klass


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text())))


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    root = tmp_path_factory.mktemp("similarity")
    klass = build_class(root)
    out = root / "out"
    done = run_grade("similarity", klass, "--out", out)
    assert done.returncode == 0, done.stderr[-3000:]
    return root, klass, out, done


def test_exactly_the_near_copies_are_flagged(checked):
    _, _, out, done = checked
    rows = read_csv(out / "similarity.csv")
    assert list(rows[0]) == HEADER
    pairs = {(r["student_a"], r["student_b"]) for r in rows}
    assert pairs == {("alice", "mallory"), ("'@oscar", "ivan")}, pairs  # '@: not a spreadsheet formula
    data = json.loads((out / "similarity.json").read_text())
    assert data["students"] == 6 and data["compared_pairs"] == 15
    assert data["threshold"] == sim.THRESHOLD and data["library"] == "copydetect 0.5.0"
    assert {(p["student_a"], p["student_b"]) for p in data["pairs"]} == {("alice", "mallory"), ("@oscar", "ivan")}
    for p in data["pairs"]:
        assert p["score"] > 0.9 and p["share_a"] > 0.9 and p["share_b"] > 0.9
        # every module was copied, and every module is flagged on its own
        assert len(p["modules"]) == 8 and all(m["flagged"] and m["score"] > 0.8 for m in p["modules"])
    # the CSV: the whole submission first, then each flagged module, pairs highest first
    scores = [float(r["score"]) for r in rows if r["module"] == "all"]
    assert scores == sorted(scores, reverse=True) and len(scores) == 2
    assert {r["module"] for r in rows} == {"all", *sim.MODULE_NAMES}
    assert "2 flagged" in done.stderr


def test_independent_implementations_and_stubs_stay_below(checked, tmp_path):
    _, klass, _, _ = checked
    bp = sim.boilerplate_hashes()
    from autograder.bulk.sources import discover

    students, _, _ = discover(klass)
    subs = {s.student: s for s in sim.submissions_from(students, bp)}
    pair = sim.compare_pair(subs["alice"], subs["ivan"])
    assert 0.1 < pair.score < sim.THRESHOLD  # they share idioms, not code
    assert max(m.score for m in pair.modules) < sim.THRESHOLD
    for a, b in [("alice", "@oscar"), ("ivan", "mallory")]:
        assert sim.compare_pair(subs[a], subs[b]).score < sim.THRESHOLD
    # the stubs are the boilerplate: nothing of them is left to match, not even with each other
    assert subs["carol"].coverage == 0
    assert sim.compare_pair(subs["carol"], subs["dan"]).score == 0
    assert sim.compare_pair(subs["carol"], subs["alice"]).score == 0
    # without the stubs as boilerplate the two stubs would be one copy
    raw = {n: sim.fingerprint((STUBS / n).read_text(), n) for n in sim.MODULE_NAMES}
    assert sim.compare(raw["ex01_gradient_descent.py"], raw["ex01_gradient_descent.py"]).score == 1.0
    # a lower threshold is honoured: the independent pair is then flagged
    out = tmp_path / "low"
    done = run_grade("similarity", klass, "--out", out, "--threshold", "0.3")
    assert done.returncode == 0, done.stderr
    pairs = {(p["student_a"], p["student_b"]) for p in json.loads((out / "similarity.json").read_text())["pairs"]}
    assert ("alice", "ivan") in pairs and ("carol", "dan") not in pairs


def test_reports_show_the_matching_regions_side_by_side(checked):
    root, _, out, _ = checked
    page = (out / "similarity" / "alice__mallory.html").read_text()
    assert sorted(p.name for p in (out / "similarity").iterdir()) == ["@oscar__ivan.html", "alice__mallory.html"]
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page
    for module in sim.MODULE_NAMES:
        assert f'id="{module}"' in page
    columns = re.findall(r'<pre class="code">(.*?)</pre>', page, re.S)
    assert len(columns) == 16  # two per module
    assert all(re.search(r'<mark class="match">', c) for c in columns)
    ex01 = page.split('<h2 id="ex01_gradient_descent.py">', 1)[1].split("<h2 ", 1)[0]
    marked = [re.findall(r'<mark class="match">(.*?)</mark>', c, re.S)
              for c in re.findall(r'<pre class="code">(.*?)</pre>', ex01, re.S)]
    assert len(marked) == 2 and all(marked)
    # what is marked on alice's side is alice's code, and the function bodies are in it
    alice_ex01 = (SOLUTIONS / "ex01_gradient_descent.py").read_text()
    left = html.unescape("".join(marked[0]))
    assert "shifted.gather(1, target.unsqueeze(1))" in left
    for region in marked[0]:
        assert html.unescape(region) in alice_ex01
    # mallory's renamed code is marked on her side
    right = html.unescape("".join(marked[1]))
    assert re.search(r"\bm\d+_", right) and right not in alice_ex01
    # comments from the submission are shown as text, never as markup
    assert MARK not in page and html.escape(MARK) in page


def test_scores_are_copydetect_s(checked):
    """``compare`` is copydetect's compare_files, vectorised: same shares, same regions."""
    from copydetect.detector import compare_files

    bp = sim.boilerplate_hashes()
    for name in ("ex01_gradient_descent.py", "ex03_model.py"):  # ex03 has a class (its offsets fixed)
        a = sim.fingerprint((SOLUTIONS / name).read_text(), name, bp)
        for other in (near_copy((SOLUTIONS / name).read_text(), "x"), (INDEPENDENT / name).read_text()):
            b = sim.fingerprint(other, name, bp)
            ours = sim.compare(a, b)
            _, (s1, s2), (r1, r2) = compare_files(a, b)
            assert ours.share_a == pytest.approx(s1) and ours.share_b == pytest.approx(s2)
            assert np.array_equal(raw_slices(a, ours.slices_a), r1)
            assert np.array_equal(raw_slices(b, ours.slices_b), r2)


def test_a_class_name_does_not_shift_the_marked_region():
    """copydetect records a class name's length where it means the offset so far; corrected,
    a match just before a class ends where the code ends."""
    code = "import torch\n\n\ndef first_function(alpha, beta):\n    total = alpha + beta * 2\n    " \
           "return torch.tensor(total).mean()\n\n\nclass SomeLongClassName:\n    pass\n"
    fp = sim.fingerprint(code, "ex03_model.py")
    class_at = fp.filtered_code.index("classO")
    # a region ending just before the class name (its "O"): copydetect alone maps it into the function
    region = np.array([[0], [class_at + len("class")]])
    start, end = raw_slices(fp, region)[:, 0]
    assert code[start:end].rstrip().endswith("class"), code[start:end]


def test_the_same_report_twice(checked, tmp_path):
    _, klass, out, _ = checked
    again = tmp_path / "again"
    # another hash seed: nothing may depend on Python's salted hash()
    done = run_grade("similarity", klass, "--out", again, env={"PYTHONHASHSEED": "12345"})
    assert done.returncode == 0, done.stderr
    for name in ("similarity.csv", "similarity.json", "similarity/alice__mallory.html"):
        assert (again / name).read_bytes() == (out / name).read_bytes(), name
    done = run_grade("similarity", klass, "--out", again, env={"PYTHONHASHSEED": "7"})  # over its own output
    assert done.returncode == 0
    assert (again / "similarity.csv").read_bytes() == (out / "similarity.csv").read_bytes()
    summary = json.loads((again / "summary.json").read_text())
    assert [(p["student_a"], p["student_b"]) for p in summary["similarity"]["flagged"]] == \
        [(p["student_a"], p["student_b"]) for p in json.loads((out / "similarity.json").read_text())["pairs"]]


def test_earlier_terms_are_compared_with_the_class_not_with_each_other(checked, tmp_path):
    root, klass, _, _ = checked
    past = tmp_path / "2025-fall"
    write_student(past / "pat", SOLUTIONS, lambda t: near_copy(t, "p"))  # alice's and mallory's source
    write_student(past / "quinn", SOLUTIONS, lambda t: near_copy(t, "q"))  # a copy of pat, same term
    write_student(past / "ruth", STUBS)
    out = tmp_path / "out"
    done = run_grade("similarity", klass, "--out", out, "--against", past)
    assert done.returncode == 0, done.stderr
    data = json.loads((out / "similarity.json").read_text())
    pairs = {(p["student_a"], p["student_b"]) for p in data["pairs"]}
    assert pairs == {("alice", "mallory"), ("@oscar", "ivan"), ("alice", "2025-fall/pat"),
                     ("alice", "2025-fall/quinn"), ("mallory", "2025-fall/pat"), ("mallory", "2025-fall/quinn")}
    assert data["compared_pairs"] == 15 + 6 * 3
    assert data["past_terms"] == [{"label": "2025-fall", "folder": str(past), "submissions": 3}]
    assert (out / "similarity" / "alice__2025-fall~pat.html").exists()


def test_bad_input_says_what_to_do(tmp_path):
    done = run_grade("similarity", tmp_path / "nowhere", "--out", tmp_path / "o")
    assert done.returncode == 2 and "does not exist" in done.stderr
    done = run_grade("similarity", tmp_path, "--out", tmp_path / "o", "--threshold", "70")
    assert done.returncode == 2 and "between 0 and 1" in done.stderr


def test_identical_files_are_fingerprinted_once():
    students = [StudentFiles(f"s{i}", {n: (STUBS / n).read_bytes() for n in sim.MODULE_NAMES}) for i in range(3)]
    subs = sim.submissions_from(students, sim.boilerplate_hashes())
    assert subs[0].modules["ex01_gradient_descent.py"] is subs[2].modules["ex01_gradient_descent.py"]
