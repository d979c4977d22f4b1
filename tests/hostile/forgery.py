"""Forging cases: submissions that try to earn points without doing the work, each beside the
same code without the trick.

A case is a trick (a submission whose modules try to forge a verdict: answering the grader's
requests themselves, editing what the instruments recorded, reaching code in the worker that
computes correct answers, returning invented outcomes) and its *plain* twin: the same files
without the trick (by default the untouched stubs of the files the trick changes). Modules a
case does not name are ``base``: the untouched stubs (``"stubs"``, the default, which keeps the
class fast to grade) or the reference solutions (``"solutions"``).

The promise each case checks: the trick scores no more than its plain twin, on the case's
exercise and in total, in every suite and under every isolation level. ``must_fail`` names
checks (by function) that must not pass for the trick at all.

Cases live in ``forgery_exNN_MM.py`` files beside this one (``CASES = [Case(...), ...]``); the
whole set is graded as ONE class per isolation level and suite with ``./grade.sh bulk``
(tests/test_forgery.py). To try the cases of one file while writing them::

    .venv/bin/python tests/hostile/forgery.py tests/hostile/forgery_ex06_08.py [--case NAME]
        [--isolation bwrap|process] [--suite hidden|public]
"""
from __future__ import annotations

import ast
import hashlib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRADE = ROOT / "grade.sh"
HERE = Path(__file__).resolve().parent
# A forging case may loop or hang in its trick; short limits keep the class quick.
LIMITS = {"DLGRADER_CALL_SECONDS": "20", "DLGRADER_SUBMISSION_SECONDS": "300", "DLGRADER_MEMORY_MB": "2500",
          "DLGRADER_KEEP_WARM": "0"}
ISOLATION_ENV = {"bwrap": {}, "process": {"DLGRADER_ISOLATION": "process"}}
SUITES = ("public", "hidden")


def stub(filename: str) -> str:
    """The untouched stub of ``filename`` (``"ex07_checkpoint.py"``)."""
    return (ROOT / "exercises" / filename).read_text()


def solution(filename: str) -> str:
    return (ROOT / "solutions" / filename).read_text()


def replace_function(source: str, name: str, new_code: str) -> str:
    """``source`` with the top-level function (or class) ``name`` replaced by ``new_code``."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name == name:
            start = min([node.lineno, *[d.lineno for d in node.decorator_list]]) - 1
            return "".join(lines[:start]) + new_code.rstrip("\n") + "\n" + "".join(lines[node.end_lineno:])
    raise KeyError(f"no top-level {name} in this source")


@dataclass
class Case:
    name: str  # also the student's id in the class: letters, digits, '_'
    exercise: str  # "ex07"
    why: str  # the attack, in words
    trick: dict  # file name -> source of the forging submission (other modules: base)
    plain: dict | None = None  # the same code without the trick; default: base's version of the trick's files
    base: str = "stubs"  # "stubs" or "solutions"
    must_fail: tuple = ()  # functions whose checks must not pass for the trick
    suites: tuple = SUITES

    def files(self, which: str) -> dict[str, str]:
        read = stub if self.base == "stubs" else solution
        names = sorted(p.name for p in (ROOT / "exercises").glob("ex0*.py"))
        files = {n: read(n) for n in names}
        if which == "trick":
            files.update(self.trick)
        else:
            files.update(self.plain if self.plain is not None else {n: read(n) for n in self.trick})
        return files


def load_cases(paths=None) -> list[Case]:
    paths = paths or sorted(HERE.glob("forgery_ex*.py"))
    found = []
    for path in paths:
        spec = importlib.util.spec_from_file_location(f"hostile_{Path(path).stem}", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        found += module.CASES
    names = [c.name for c in found]
    assert len(names) == len(set(names)), "two forging cases share a name"
    return found


def _digest(files: dict) -> str:
    h = hashlib.sha256()
    for name in sorted(files):
        h.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return h.hexdigest()[:10]


@dataclass
class ClassRun:
    suite: str
    isolation: str
    results: dict  # student -> report
    students: dict  # case name -> (trick student, plain student)
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    returncode: int = 0
    problems: list = field(default_factory=list)


def write_class(cases: list[Case], folder: Path) -> dict:
    """One student folder per trick, one per distinct plain twin; ``{case: (trick, plain)}``."""
    folder.mkdir(parents=True, exist_ok=True)
    students, plains = {}, {}
    for case in cases:
        plain_files = case.files("plain")
        key = _digest(plain_files)
        if key not in plains:
            plains[key] = f"plain_{key}"
            _write(folder / plains[key], plain_files)
        _write(folder / case.name, case.files("trick"))
        students[case.name] = (case.name, plains[key])
    return students


def _write(folder: Path, files: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)


def grade_class(cases: list[Case], root: Path, suite: str, isolation: str) -> ClassRun:
    klass, out = root / f"class-{suite}-{isolation}", root / f"out-{suite}-{isolation}"
    chosen = [c for c in cases if suite in c.suites]
    students = write_class(chosen, klass)
    env = {**os.environ, **LIMITS, **ISOLATION_ENV[isolation]}
    argv = [str(GRADE), "bulk", str(klass), "--out", str(out), "--jobs", "2"] + (["--hidden"] if suite == "hidden" else [])
    t0 = time.monotonic()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT, timeout=2400)
    results = {}
    for path in sorted((out / "results").glob("*.json")):
        results[path.stem] = json.loads(path.read_text())
    return ClassRun(suite, isolation, results, students, done.stdout, done.stderr, time.monotonic() - t0,
                    done.returncode)


def points(report: dict, exercise: str | None = None) -> float:
    return round(sum(t["points"] for t in report["tests"] if exercise is None or t["exercise"] == exercise), 6)


def verdict(case: Case, run: ClassRun) -> list[str]:
    """What is wrong with this case's outcome in this run (empty when it holds)."""
    trick, plain = run.students[case.name]
    if trick not in run.results or plain not in run.results:
        return [f"{case.name}: no result for {trick if trick not in run.results else plain}"]
    got, ref = run.results[trick], run.results[plain]
    wrong = []
    if got.get("status") != "graded":
        wrong.append(f"{case.name}: status {got.get('status')} {got.get('problems')}")
    if points(got, case.exercise) > points(ref, case.exercise):
        gained = [(t["name"], t["points"]) for t in got["tests"] if t["exercise"] == case.exercise and t["points"]]
        wrong.append(f"{case.name} ({run.suite}, {run.isolation}): {points(got, case.exercise)} points on "
                     f"{case.exercise} against {points(ref, case.exercise)} without the trick; earned by {gained}")
    if points(got) > points(ref):
        wrong.append(f"{case.name} ({run.suite}, {run.isolation}): {points(got)} in total against {points(ref)}")
    for function in case.must_fail:
        passed = [t["name"] for t in got["tests"] if t.get("function") == function and t["status"] == "passed"]
        if passed:
            wrong.append(f"{case.name} ({run.suite}, {run.isolation}): {passed} passed for {function}")
    return wrong


def main(argv=None) -> int:
    import argparse

    p = argparse.ArgumentParser(description="grade forging cases beside their plain twins")
    p.add_argument("files", nargs="*", type=Path)
    p.add_argument("--case", action="append", default=[])
    p.add_argument("--isolation", choices=list(ISOLATION_ENV), default="bwrap")
    p.add_argument("--suite", choices=SUITES, action="append", default=[])
    args = p.parse_args(argv)
    cases = load_cases(args.files or None)
    if args.case:
        cases = [c for c in cases if c.name in args.case]
    bad = 0
    with tempfile.TemporaryDirectory(prefix="forgery-") as tmp:
        for suite in args.suite or SUITES:
            run = grade_class(cases, Path(tmp), suite, args.isolation)
            print(f"== {suite}, {args.isolation}: {len(run.results)} reports in {run.seconds:.0f} s "
                  f"(exit {run.returncode})")
            if run.returncode:
                print(run.stderr[-3000:])
            for case in [c for c in cases if suite in c.suites]:
                trick, plain = run.students[case.name]
                got, ref = run.results.get(trick), run.results.get(plain)
                wrong = verdict(case, run)
                bad += bool(wrong)
                t = points(got, case.exercise) if got else "-"
                r = points(ref, case.exercise) if ref else "-"
                print(f"{'FORGED' if wrong else 'ok':6} {case.name}: {case.exercise} trick {t} / plain {r}")
                for line in wrong:
                    print("   ", line)
                if got and wrong:
                    for test in got["tests"]:
                        if test["exercise"] == case.exercise:
                            print(f"      {test['status']:8} {test['points']:>4} {test['name']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
