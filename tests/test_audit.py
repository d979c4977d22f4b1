"""The grader's accuracy: every mutant of both catalogs is caught in its exercise with a hint, at
least 90% of them are shown by the self-check (the public checks), and every correct variant (the
two base solutions included) keeps full marks.

The audit runs once for the module, through the real engine: the submissions are written to a
class folder and graded by bulk grading, once with the hidden checks and once with the public
ones, in the quick scope (see autograder/audit.py). It takes several minutes.
"""
import json
import os
import re
import shutil
import time
from pathlib import Path

import pytest

from autograder import audit
from autograder.assignment import MODULES
from autograder.feedback.catalog import MESSAGES

AUDIT_TIMEOUT = 3600  # seconds, for the one test that pays for the whole audit


@pytest.fixture(scope="module")
def catalogs():
    return audit.catalogs()


def test_the_catalogs_load(catalogs):
    names = [c.name for c in catalogs]
    assert names[0] == "reference"
    if audit.INDEPENDENT_CATALOG.is_file():
        assert "independent" in names


def test_every_patch_applies_exactly_once(catalogs):
    for cat in catalogs:
        seen = set()
        for kind, specs in (("mutant", cat.mutants), ("equivalent", cat.equivalents)):
            for spec in specs:
                assert spec["id"] not in seen, f"{cat.name}: id {spec['id']!r} twice"
                seen.add(spec["id"])
                patches = {spec["file"]: spec["patches"]} if kind == "mutant" else spec.get("patches", {})
                for file, edits in patches.items():
                    text = (cat.base / file).read_text(encoding="utf-8")
                    if file in spec.get("files", {}):
                        text = (audit.ROOT / spec["files"][file]).read_text(encoding="utf-8")
                    for find, replace in edits:
                        assert find != replace, f"{cat.name} {spec['id']}: a patch that changes nothing"
                        assert text.count(find) == 1, \
                            f"{cat.name} {spec['id']}: {find[:60]!r} occurs {text.count(find)} times"
                        text = text.replace(find, replace)
                    compile(text, f"{spec['id']}/{file}", "exec")
                for file, source in spec.get("files", {}).items():
                    path = audit.ROOT / source
                    assert path.is_file(), f"{cat.name} {spec['id']}: {source} is missing"
                    compile(path.read_text(encoding="utf-8"), str(path), "exec")
                changes = audit.changed_files(spec, cat.base)
                assert changes and all(n in {f"{m}.py" for m in MODULES.values()} for n in changes), spec["id"]


def test_the_reference_catalog_covers_the_assignment(catalogs):
    ref = next(c for c in catalogs if c.name == "reference")
    assert len(ref.mutants) >= 40 and len(ref.equivalents) >= 5
    assert {m["exercise"] for m in ref.mutants} == set(MODULES)
    for m in ref.mutants:
        assert m["file"] == f"{MODULES[m['exercise']]}.py", m["id"]
        assert m["hint"] in MESSAGES and set(MESSAGES[m["hint"]]) == {"en", "zh"}, m["id"]
        assert re.fullmatch(rf"hint\.{m['exercise']}_\w+", m["hint"]), f"{m['id']}: a hint of its own exercise"


def test_quick_bundles_keep_the_entries_apart(catalogs):
    """Every entry is graded once; entries sharing a submission are judged on different exercises and
    see the same file for every module their checks run; the base folders are graded whole, alone."""
    items = [e for cat in catalogs for e in audit.entries(cat, "quick")]
    groups = [g for kind in ("mutant", "equivalent") for g in audit.bundles([e for e in items if e.kind == kind],
                                                                            "quick")]
    assert sorted(id(e) for g in groups for e in g) == sorted(id(e) for e in items)
    for group in groups:
        files = audit.submission_files(group)
        for e in group:
            assert all(files[n] == data for n, data in audit.entry_files(e).items()), e.id
            assert all(not (e.judged & o.judged) for o in group if o is not e), e.id
            if e.id == "base":
                assert group == [e] and len(files) == len(MODULES)
    assert len(groups) < len(items)


def test_hints_are_found_whatever_their_parameters():
    from autograder.feedback.catalog import Msg

    text = "x: values differ hint : " + Msg("hint.ex06_optimizer_class", name="adamw", looks_like="Adam(lr=0.1)",
                                            expected="AdamW(lr=0.1)").render("en")
    assert "hint.ex06_optimizer_class" in audit.hints_in(text)
    assert audit.hints_in("got 3, expected 4") == []


def test_the_full_scope_report_states_the_points_lost_outside_each_exercise():
    """Only the full scope grades every module of a mutant's submission: its report names, per
    mutant, the points lost in other exercises, and their total (here on reports written by hand)."""
    report = {"exercises": {"ex03": {"score": 12, "max_score": 15}, "ex04": {"score": 11, "max_score": 15},
                            "ex08": {"score": 10, "max_score": 10}, "mnist": {"score": 3, "max_score": 5}}}
    assert audit.lost_outside(report, "ex03") == {"ex04": 4, "mnist": 2}
    assert audit.lost_outside(report, "ex08") == {"ex03": 3, "ex04": 4}
    assert audit.points_lost(report, {"ex03"}) == 3
    row = {"id": "m", "exercise": "ex03", "caught": True, "right_exercise": True, "hint": True, "shown": True,
           "outside": {"hidden": {"ex04": 4.0}, "public": {"ex04": 2.0, "ex06": 1.0}}}
    other = dict(row, id="n", outside={"hidden": {}, "public": {}})
    lines = audit.outside_lines({"catalogs": [{"catalog": "reference", "mutants": [row, other], "equivalents": []}]})
    assert lines[0] == ("points lost outside its own exercise: hidden 4 points by 1 of 2 mutants, "
                        "public 3 points by 1 of 2")
    assert lines[1] == "failing checks outside the mutant's exercise without a message naming the root cause: 0"
    assert lines[2:] == ["  outside reference m (ex03): hidden ex04 -4; public ex04 -2, ex06 -1"]
    # a failing check of another exercise must name the root cause; one that does not is listed
    tests = [{"exercise": "ex04", "name": "test_fit", "status": "failed",
              "feedback": "got 0.2. this check of `fit` also runs your `MLP` (ex03), which fails its own checks: "
                          "fix `MLP` first, then run the checks again."},
             {"exercise": "ex06", "name": "test_run", "status": "failed", "feedback": "got 0.3, expected 0.9"},
             {"exercise": "ex03", "name": "test_own", "status": "failed", "feedback": "got 1, expected 2"}]
    assert audit.unexplained_outside({"tests": tests}, "ex03", "public") == ["public ex06::test_run"]
    blamed = dict(row, outside_unexplained=["public ex06::test_run"])
    lines = audit.outside_lines({"catalogs": [{"catalog": "reference", "mutants": [blamed], "equivalents": []}]})
    assert lines[1].endswith(": 1") and "  no root cause: reference m (ex03): public ex06::test_run" in lines
    quick = dict(row, outside=None)
    assert "only in the full scope" in audit.outside_lines(
        {"catalogs": [{"catalog": "reference", "mutants": [quick], "equivalents": []}]})[0]


def readme_unshown():
    """(catalog, mutant id) of README.md's table of mutants the self-check does not show."""
    text = (audit.ROOT / "README.md").read_text()
    start = text.index("<!-- mutants the self-check does not show -->")
    end = text.index("<!-- end of mutants the self-check does not show -->")
    rows = set()
    for line in text[start:end].splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] in ("reference", "independent"):
            rows.add((cells[0], cells[1].strip("`")))
    return rows


@pytest.fixture(scope="module")
def verdict():
    """The audit, once. With $DLGRADER_AUDIT_OUT set, its class folders, bulk results and verdict.json
    are kept there (a CI artifact); otherwise they live in a temporary folder."""
    keep = os.environ.get("DLGRADER_AUDIT_OUT")
    if keep:
        shutil.rmtree(keep, ignore_errors=True)
    t0 = time.monotonic()
    result = audit.run_audit(jobs=2, scope="quick", out=Path(keep) if keep else None)
    result["wall"] = time.monotonic() - t0
    if keep:
        (Path(keep) / "verdict.json").write_text(json.dumps(result, indent=1))
    print("\n" + "\n".join(audit.report(result)))
    return result


def by_catalog(verdict, name):
    return next((v for v in verdict["catalogs"] if v["catalog"] == name), None)


def explain(rows):
    return "\n".join(f"{r['id']} ({r['exercise']}): caught={r['caught']} right_exercise={r['right_exercise']} "
                     f"hint={r['hint']} expected={r['expected_hint']} got={r['hints']}\n    "
                     + "\n    ".join(r["failing"][:3]) for r in rows)


@pytest.mark.timeout(AUDIT_TIMEOUT)
def test_reference_mutants_are_caught_in_their_exercise_with_their_hint(verdict):
    rows = by_catalog(verdict, "reference")["mutants"]
    missed = [r for r in rows if not audit.ok(r)]
    assert not missed, explain(missed)


@pytest.mark.timeout(AUDIT_TIMEOUT)
def test_independent_mutants_are_caught_in_their_exercise_with_a_hint(verdict):
    v = by_catalog(verdict, "independent")
    if v is None:
        pytest.skip("tests/mutants/independent_catalog.py is not written yet")
    missed = [r for r in v["mutants"] if not audit.ok(r)]
    assert not missed, explain(missed)


@pytest.mark.timeout(AUDIT_TIMEOUT)
def test_correct_variants_keep_full_marks(verdict):
    rejected = [(v["catalog"], e["id"], e["failing"][:4]) for v in verdict["catalogs"] for e in v["equivalents"]
                if not e["accepted"]]
    assert not rejected, rejected
    bases = [e for v in verdict["catalogs"] for e in v["equivalents"] if e["id"] == "base"]
    assert len(bases) == len(verdict["catalogs"])  # solutions/ and the independent solution graded whole


@pytest.mark.timeout(AUDIT_TIMEOUT)
def test_the_self_check_shows_most_mutants(verdict):
    """At least 90% of all mutants lose public points in their own exercise: a student who runs the
    self-check learns of the mistake before the deadline."""
    share = audit.shown_share(verdict)
    assert share >= audit.SHOWN_MIN, f"{100 * share:.1f}% shown; not shown: {sorted(audit.unshown(verdict))}"


@pytest.mark.timeout(AUDIT_TIMEOUT)
def test_readme_lists_exactly_the_mutants_the_self_check_does_not_show(verdict):
    assert readme_unshown() == audit.unshown(verdict)
