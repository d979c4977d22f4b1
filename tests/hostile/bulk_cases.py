"""Class inputs that lost students, crashed or hung ``./grade.sh bulk``, as real files.

Used by tests/test_bulk_integrity.py. Each class is built from the untouched stubs
(``exercises/``, graded in a few seconds) and the reference ex01 (``solutions/``, 15 points,
so that a student who is graded, rather than recorded as failing, is told apart by score).

* ``build_mixed_class``: a folder of per-student folders and Canvas files that holds every
  case at once: folder names that clean to one id, ids that differ only in case, Canvas
  names in other scripts (and a late one), a folder name that is not UTF-8, names with
  terminal escapes, names that a spreadsheet runs as formulas, a FIFO where a zip or a
  module is expected, a submission that kills its grader process (its worker is a child of the
  grader process: bubblewrap's PID namespace and the fallback's confinement stop the signal, a
  plain child process, ``DLGRADER_ISOLATION=none``, lets it through) and the innocent students
  graded around it.
* ``build_killer_class``: the grader killer and the two students graded around it, alone (ex01
  each): graded with ``DLGRADER_ISOLATION=none``, where the killer is retried, then recorded.
* ``build_gradescope_class``: a Gradescope export whose metadata gives two submissions one
  ``:sid``, and entries that are not as Gradescope writes them.
* ``METADATA_ATTACKS``: whole ``submission_metadata.yml`` files that are refused (an alias
  bomb, a top-level list, deep nesting...).
* ``build_huge_class`` / ``build_huge_class_zip``: more submissions or members than the limits.
"""
from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "exercises"
SOLUTIONS = ROOT / "solutions"
EX01 = "ex01_gradient_descent.py"
STUB_NAMES = sorted(p.name for p in STUBS.glob("ex0*.py"))
SOLVED_EX01 = (SOLUTIONS / EX01).read_bytes()  # 15 points
# Run in the worker at import; outside bubblewrap the worker's parent is the grader process.
KILL_GRADER = b"import os\nos.kill(os.getppid(), 9)\n"
SLOW = b"import time\ntime.sleep(6)\n"  # still being graded when the next one kills its grader


def stubs(n: int | None = None) -> dict[str, bytes]:
    """The first n untouched stubs (all of them by default)."""
    return {name: (STUBS / name).read_bytes() for name in STUB_NAMES[:n]}


def solved_ex01(prefix: bytes = b"") -> dict[str, bytes]:
    return {**stubs(), EX01: prefix + SOLVED_EX01}


def write_folder(folder: Path, files: dict[str, bytes]) -> Path:
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder


@dataclass
class MixedClass:
    klass: Path
    ids: set = field(default_factory=set)  # every student id the gradebook must hold
    files: dict = field(default_factory=dict)  # id -> the module names it must have been graded with
    scores: dict = field(default_factory=dict)  # id -> its score
    formulas: dict = field(default_factory=dict)  # id -> its gradebook cell
    killer: str = "kim-kills-grader"
    innocent: tuple = ("kai-slow", "kim-next")  # graded around the killer
    well_behaved: str = "ben-ex01"  # compared with ./grade.sh grade alone
    escape_source: str = "\x1b]0;owned\x07\x1b[31mred"  # a folder name with OSC and ANSI escapes


def build_mixed_class(root: Path) -> MixedClass:
    c = MixedClass(klass=root / "class")
    k = c.klass
    k.mkdir(parents=True)

    def student(folder_name: str, sid: str, files: dict[str, bytes], score: float = 0):
        write_folder(k / folder_name, files)
        c.ids.add(sid)
        c.files[sid] = sorted(n for n in files if n in STUB_NAMES)
        c.scores[sid] = score

    # Four folders whose names clean to "ana", or look like a suffix of it. The folder named
    # "ana" keeps "ana"; the real "ana-2" keeps its name; the others get the next free suffixes
    # in sorted order of their names: "_ana_" < "ana.".
    student("ana", "ana", stubs(1))
    student("ana-2", "ana-2", stubs(2))
    student("_ana_", "ana-3", stubs(3))
    student("ana.", "ana-4", stubs(4))
    # One file each on a case-insensitive file system.
    student("Bea", "Bea", stubs(5))
    student("bea", "bea-2", stubs(6))
    # Canvas: names in other scripts, one of them late (and resubmitted: ex01-1.py).
    canvas = {"josé_101_9001_" + EX01: (SOLVED_EX01, "josé_101", 15),
              "zoë-ann_102_9002_" + EX01: ((STUBS / EX01).read_bytes(), "zoë-ann_102", 0),
              "müller_late_103_9003_" + EX01.replace(".py", "-1.py"): (SOLVED_EX01, "müller_103", 15),
              "ñandú_104_9004_" + EX01: (SOLVED_EX01, "ñandú_104", 15)}
    for name, (data, sid, score) in canvas.items():
        (k / name).write_bytes(data)
        c.ids.add(sid)
        c.files[sid] = [EX01]
        c.scores[sid] = score
    # A folder name that is not UTF-8 (Latin-1 "café"): its undecodable byte becomes "_".
    os.mkdir(os.fsencode(str(k)) + b"/caf\xe9")
    for name, data in stubs(1).items():
        (Path(os.fsdecode(os.fsencode(str(k)) + b"/caf\xe9")) / name).write_bytes(data)
    c.ids.add("caf")
    c.files["caf"] = [EX01]
    c.scores["caf"] = 0
    # Terminal escapes in a folder name and in the name of an ignored file of a submission.
    student(c.escape_source, "0_owned___31mred", {**stubs(1), "\x1b[2Jnotes.py": b"x = 1\n"})
    (k / "\x1b[2J\x1b]0;owned\x07readme.txt").write_text("not a submission\n")
    # Names a spreadsheet would run as formulas.
    student("@SUM(A1)", "@SUM_A1", stubs(1))
    c.formulas["@SUM_A1"] = "'@SUM_A1"
    student("-2+3", "-2+3", stubs(1))
    c.formulas["-2+3"] = "'-2+3"
    # FIFOs: opening one blocks forever. One where a student's zip would be, one as a module.
    os.mkfifo(k / "pipe.zip")
    write_folder(k / "fifo-module", stubs(1))
    os.unlink(k / "fifo-module" / EX01)
    os.mkfifo(k / "fifo-module" / EX01)
    c.ids.add("fifo-module")
    c.files["fifo-module"] = []
    c.scores["fifo-module"] = 0
    # The grader killer, between two innocent students. The one before it is slow, so it is still
    # being graded when the killer ends its grader process (a pool that blamed "the first
    # unfinished submission" blamed it).
    add_killer(c, student)
    student(c.well_behaved, c.well_behaved, solved_ex01(), 15)
    return c


def add_killer(c: MixedClass, student) -> None:
    student("kai-slow", "kai-slow", solved_ex01(SLOW), 15)
    student(c.killer, c.killer, {**stubs(), EX01: KILL_GRADER + (STUBS / EX01).read_bytes()})
    student("kim-next", "kim-next", solved_ex01(), 15)


def build_killer_class(root: Path) -> MixedClass:
    """The grader killer between its two innocent neighbours, and no one else: ex01 alone each (the
    killer's is the stub), so that the class costs little more than the grader's start."""
    c = MixedClass(klass=root / "killer-class")
    c.klass.mkdir(parents=True)

    def student(folder_name: str, sid: str, files: dict[str, bytes], score: float = 0):
        files = {EX01: files[EX01]}
        write_folder(c.klass / folder_name, files)
        c.ids.add(sid)
        c.files[sid] = [EX01]
        c.scores[sid] = score

    add_killer(c, student)
    return c


# --- Gradescope -----------------------------------------------------------------------------
GRADESCOPE_METADATA = """\
submission_1:
  :submitters:
  - :name: Ann One
    :sid: 's1'
submission_2:
  :submitters:
  - :name: Ann One, again
    :sid: 's1'
submission_3:
  :submitters: 5
submission_4:
  :submitters:
  - :sid: [1, 2]
submission_5:
  :submitters:
  - :name: Eve
    :sid: "s5"
    :email: eve@example.org
"""


def build_gradescope_class(root: Path) -> tuple[Path, dict]:
    """(the export, {id: the module names graded}). submission_6 is not in the metadata."""
    export = root / "gradescope"
    export.mkdir(parents=True)
    (export / "submission_metadata.yml").write_text(GRADESCOPE_METADATA)
    expect = {}
    for n, sid in ((1, "s1"), (2, "s1-2"), (3, "submission_3"), (4, "submission_4"), (5, "s5"),
                   (6, "submission_6")):
        write_folder(export / f"submission_{n}", stubs(n))
        expect[sid] = STUB_NAMES[:n]
    return export, expect


def _billion_laughs() -> str:
    """10**9 "lol"s once expanded; the :sid that a reader turns into text is all of them."""
    lines = ['lol0: &lol0 "lol"']
    for i in range(1, 10):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 10) + "]")
    lines += ["submission_1:", "  :submitters:", "  - :sid: *lol9"]
    return "\n".join(lines) + "\n"


# name -> (the file's bytes, a text the problem line holds)
METADATA_ATTACKS = {
    "billion_laughs": (_billion_laughs().encode(), "anchors and aliases"),
    "top_level_list": (b"- submission_1\n- submission_2\n", "holds a list where a mapping"),
    "deep_nesting": (b"[" * 100_000, "nested deeper than"),
    "not_utf8": ("submission_1: {':submitters': [{':sid': 'caf\xe9'}]}\n".encode("latin-1"), "not UTF-8"),
    "oversized": (b"# " + b"x" * (5 * 1024 * 1024) + b"\n", "larger than the limit of 5 MB"),
    "python_object": (b"submission_1: !!python/object/apply:os.system ['echo owned']\n", "could not be read"),
}


def build_metadata_attack(root: Path, name: str, folders: int = 1) -> Path:
    export = root / f"gradescope-{name}"
    export.mkdir(parents=True)
    (export / "submission_metadata.yml").write_bytes(METADATA_ATTACKS[name][0])
    for n in range(1, folders + 1):
        write_folder(export / f"submission_{n}", stubs(1))
    return export


# --- absurd sizes ---------------------------------------------------------------------------
def build_huge_class(root: Path, n: int = 10_000) -> Path:
    """A folder of n student folders, each with one stub."""
    klass = root / "huge"
    klass.mkdir(parents=True)
    stub = (STUBS / EX01).read_bytes()
    for i in range(n):
        folder = klass / f"student-{i:05d}"
        folder.mkdir()
        (folder / EX01).write_bytes(stub)
    return klass


def build_huge_class_zip(root: Path, folders: int, members_per_folder: int = 1) -> Path:
    """A class zip of `folders` student folders under one top folder, each with that many members."""
    path = root / f"class-{folders}x{members_per_folder}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        for i in range(folders):
            for j in range(members_per_folder):
                z.writestr(f"course/student-{i:05d}/file{j}.py", b"")
    return path
