"""The TA's page: a real bulk run (public checks, --similarity) of a class of five writes
DIR/index.html, and headless Chromium shows every part of it: the histogram, the pass
rate per check worst first, the most common mistakes with their hints, the flagged pair
with its report, the late submissions, the changes since the last run and a link to each
student's feedback. Text from submissions is shown as text, never as markup."""
import csv
import html
import io
import json
import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from conftest import ROOT, require_bwrap, run_grade

from autograder.course import index_page

pytestmark = pytest.mark.timeout(1800)

SOLUTIONS = ROOT / "solutions"
STUBS = ROOT / "exercises"
EVIL = "<img src=x onerror=alert(1)> & friends"
WIDTH, HEIGHT = 1200, 2600


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if require_bwrap():  # CI: "everything installed" (.ci/run installs chromium)
        pytest.fail("chromium is required here (DLGRADER_REQUIRE_BWRAP=1) but is not on PATH")
    pytest.skip("chromium is not installed here (apt-get install chromium); CI runs this with it")


def browser(page: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess:
    profile = tmp / f"profile-{len(list(tmp.glob('profile-*')))}"
    cmd = [chromium(), "--headless", "--disable-gpu", "--no-sandbox", f"--user-data-dir={profile}",
           "--allow-file-access-from-files", *args, page.resolve().as_uri()]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done


class Dom(HTMLParser):
    """The DOM Chromium dumped: text per section, links and images."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.section = None
        self.text: dict[str, list[str]] = {}
        self.links: list[tuple[str, str]] = []  # (section, href)
        self.images: list[str] = []
        self.rows: dict[str, list[list[str]]] = {}  # table id -> rows of cell text
        self._table = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section":
            self.section = a.get("id")
        elif tag == "a" and a.get("href"):
            self.links.append((self.section, a["href"]))
        elif tag == "img":
            self.images.append(a.get("src"))
        elif tag == "table":
            self._table = a.get("id")
            self.rows.setdefault(self._table, [])
        elif tag == "tr" and self._table:
            self.rows[self._table].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.rows[self._table][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):
        if self.section:
            self.text.setdefault(self.section, []).append(data)
        if self._cell is not None:
            self._cell.append(data)

    def part(self, key: str) -> str:
        return " ".join(" ".join(self.text.get(key, [])).split())

    def body(self, table: str) -> list[list[str]]:
        return [r for r in self.rows.get(table, []) if r][1:]  # without the header row


def dump(page: Path, tmp: Path) -> Dom:
    dom = Dom()
    dom.feed(browser(page, "--dump-dom", tmp=tmp).stdout)
    return dom


def build_class(klass: Path) -> None:
    def student(name, source, only=None):
        folder = klass / name
        folder.mkdir(parents=True)
        for f in sorted(STUBS.glob("ex0*.py")):
            src = source / f.name if only is None or f.name[:4] in only else f
            shutil.copy(src, folder / f.name)
        return folder

    student("alice", SOLUTIONS)
    mallory = student("mallory", SOLUTIONS)  # alice's code, every comment reworded
    for f in mallory.iterdir():
        f.write_text(re.sub(r"#[^\n]*", "# my own words", f.read_text()))
    student("carol", STUBS)
    student("dan", STUBS)
    bob = student("bob", ROOT / "tests" / "fixtures" / "independent", only={"ex01", "ex02"})  # his own
    with open(bob / "ex01_gradient_descent.py", "a") as fh:
        fh.write("\n\ndef mse(pred, target):\n    return ((pred - target) ** 2).sum()\n\n\n"
                 f"def mae(pred, target):\n    raise ValueError({EVIL!r})\n")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("page")
    build_class(root / "class")
    out = root / "out"
    done = run_grade("bulk", root / "class", "--out", out, "--jobs", "2", "--similarity", timeout=1500)
    assert done.returncode == 0, done.stderr[-3000:]
    return root, out, done


def test_bulk_writes_the_page_last(graded):
    _, out, done = graded
    page = (out / "index.html").read_text()
    assert "class page:" in done.stderr and "1 flagged" in done.stderr
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page.lower() and "http://" not in page and "https://" not in page
    assert EVIL not in page and html.escape(EVIL) in page  # bob's exception message, escaped
    for href in re.findall(r'(?:href|src)="([^"#]+)"', page):  # every link is a file of the run
        assert (out / unquote(href)).is_file(), href
    assert json.loads((out / "summary.json").read_text())["similarity"]["flagged"][0]["student_b"] == "mallory"


def test_chromium_shows_every_part(graded, tmp_path):
    _, out, _ = graded
    summary = json.loads((out / "summary.json").read_text())
    dom = dump(out / "index.html", tmp_path)
    # the histogram
    assert dom.images == ["plots/score_histogram.png"]
    assert "students: 5" in dom.part("scores")
    # pass rate per check, worst first, every check of the run
    assert len(dom.body("check-table")) == index_page.TOP_CHECKS  # the others folded under <details>
    checks = dom.body("check-table") + dom.body("check-table-rest")
    assert [r[0] for r in checks] == sorted(summary["checks"], key=lambda c: (summary["checks"][c]["pass_rate"], c))
    rates = [int(r[1].rstrip("%")) for r in checks]
    assert rates == sorted(rates) and rates[0] == 40 and rates[-1] == 60  # 2 and 3 of 5 pass
    # the most common mistakes, with the hint: bob's summed loss, and his exception as text
    mistakes = dom.body("mistake-table")
    assert mistakes, dom.part("mistakes")
    mse = next(r for r in mistakes if "mse" in r[0])
    assert mse[1] == "1" and "Hint:" in mse[2]
    raised = next(r for r in mistakes if "mae" in r[0])
    assert EVIL in raised[2]  # shown as text: the parser saw no <img> but the histogram (above)
    assert "not written yet" in dom.part("mistakes")  # the stubs' NotImplementedError is not a mistake
    # the flagged pair and its report
    pairs = dom.body("similarity-table")
    assert [r[:2] for r in pairs] == [["alice", "mallory"]]
    assert ("similarity", "similarity/alice__mallory.html") in dom.links
    assert (out / "similarity" / "alice__mallory.html").exists()
    # the parts bulk alone does not write
    assert "no late policy" in dom.part("late")
    assert "no earlier run" in dom.part("changes")
    # a link to each student's feedback
    students = dom.body("student-table")
    assert [r[0] for r in students] == ["alice", "bob", "carol", "dan", "mallory"]
    feedback = sorted(h for s, h in dom.links if s == "students")
    assert feedback == [f"feedback/{s}.md" for s in ["alice", "bob", "carol", "dan", "mallory"]]


def test_late_submissions_and_changes_when_the_run_has_them(graded, tmp_path):
    _, out, _ = graded
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    (copy / "late.json").write_text(json.dumps({
        "deadline": "2026-11-20T23:59:00+00:00", "policy": {"per_hour": 1, "grace_minutes": 15, "cap": 30},
        "students": [
            {"student": "alice", "submitted": "2026-11-20T20:00:00+00:00", "late_hours": 0, "penalty": 0,
             "raw_score": 100, "final_score": 100, "note": ""},
            {"student": "bob", "submitted": "2026-11-21T03:30:00+00:00", "late_hours": 3.5, "penalty": 4,
             "raw_score": 27, "final_score": 23, "note": ""},
            {"student": "carol", "submitted": None, "late_hours": None, "penalty": 0, "raw_score": 0,
             "final_score": 0, "note": "no submission time <b>?</b>"}]}))
    rows = [{"student": "bob", "old_score": "30", "new_score": "27", "check": "ex01::test_mse_mean",
             "old_status": "passed", "new_status": "failed", "reason": "submission changed"}]
    (copy / "changes.json").write_text(json.dumps({"since": "2026-11-19T10:00:00+00:00", "rows": rows}))
    index_page.write(copy)
    dom = dump(copy / "index.html", tmp_path)
    late = dom.body("late-table")
    assert [r[0] for r in late] == ["bob", "carol"]  # alice was on time
    assert late[0][2] == "3.5" and late[0][3] == "4" and late[0][5] == "23"
    assert late[1][1] == "no time" and late[1][6] == "no submission time <b>?</b>"
    assert "2026-11-20T23:59" in dom.part("late")
    changes = dom.body("changes-table")
    assert changes == [["bob", "30 → 27", "ex01::test_mse_mean", "passed → failed", "submission changed"]]
    assert "2026-11-19T10:00" in dom.part("changes")
    # changes.csv alone (no JSON), with only its header: a run that changed nothing
    (copy / "changes.json").unlink()
    buf = io.StringIO()
    csv.writer(buf).writerow(["student", "old_score", "new_score", "check", "old_status", "new_status", "reason"])
    (copy / "changes.csv").write_text(buf.getvalue())
    (copy / "late.json").unlink()
    page = index_page.render(copy)
    assert "no changes since the last run" in page and "no late policy" in page


def test_the_page_looks_right_in_a_screenshot(graded, tmp_path):
    import matplotlib.image

    _, out, _ = graded
    shot = tmp_path / "index.png"
    browser(out / "index.html", f"--screenshot={shot}", f"--window-size={WIDTH},{HEIGHT}",
            "--hide-scrollbars", tmp=tmp_path)
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(data[16:20], "big") == WIDTH and int.from_bytes(data[20:24], "big") == HEIGHT
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    assert pixels[:, :, :3].std() > 0.05  # text, tables and the histogram, not a blank page
    if os.environ.get("DLGRADER_KEEP_SCREENSHOT"):
        shutil.copy(shot, os.environ["DLGRADER_KEEP_SCREENSHOT"])


def test_an_empty_folder_says_what_is_missing(tmp_path):
    page = index_page.render(tmp_path)
    for text in ("no late policy", "no earlier run", "similarity not checked", "no checks graded yet",
                 "no students in gradebook.csv", "no score histogram"):
        assert text in page, text
