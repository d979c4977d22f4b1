"""./grade.sh audit: how well the checks catch mistakes and accept correct variants.

Mutants (tests/mutants/catalog.py) are small patches of the reference solution,
each one classic beginner mistake; equivalents are correct solutions written
differently. All are graded with the hidden checks through bulk grading. A
mutant is caught when it loses points; caught in the right exercise when the
exercise it breaks loses points; its hint names the mistake when a failing
check of that exercise gives the hint the catalog expects. Every equivalent
must keep full marks.
"""
from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
from argparse import Namespace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "tests" / "mutants" / "catalog.py"


def load_catalog(path: Path = CATALOG):
    spec = importlib.util.spec_from_file_location("mutant_catalog", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MUTANTS, module.EQUIVALENTS


def apply_patch(source: str, find: str, replace: str, name: str) -> str:
    count = source.count(find)
    if count != 1:
        raise ValueError(f"mutant {name}: the text to replace occurs {count} times, not once")
    return source.replace(find, replace)


def build_class(folder: Path, mutants: list[dict], equivalents: list[dict], solutions: Path = ROOT / "solutions") -> None:
    """One submission folder per mutant and per equivalent."""
    for m in mutants:
        target = folder / f"mutant-{m['id']}"
        shutil.copytree(solutions, target, ignore=shutil.ignore_patterns("__pycache__"))
        path = target / m["file"]
        text = path.read_text()
        for find, replace in m["patches"]:
            text = apply_patch(text, find, replace, m["id"])
        path.write_text(text)
    for e in equivalents:
        target = folder / f"equivalent-{e['id']}"
        shutil.copytree(solutions, target, ignore=shutil.ignore_patterns("__pycache__"))
        for name, source in e.get("files", {}).items():
            src = Path(source)
            (target / name).write_bytes((src if src.is_absolute() else ROOT / src).read_bytes())
        for file, patches in e.get("patches", {}).items():
            text = (target / file).read_text()
            for find, replace in patches:
                text = apply_patch(text, find, replace, e["id"])
            (target / file).write_text(text)


def judge(results_dir: Path, mutants: list[dict], equivalents: list[dict]) -> dict:
    from .feedback.catalog import Msg

    rows = []
    for m in mutants:
        data = json.loads((results_dir / f"mutant-{m['id']}.json").read_text())
        ex = m["exercise"]
        failing = [t for t in data["tests"] if t["exercise"] == ex and t["status"] != "passed"]
        hint_text = Msg(m["hint"]).render("en")
        rows.append({
            "id": m["id"], "exercise": ex,
            "caught": data["score"] < 100,
            "right_exercise": data["exercises"].get(ex, {}).get("score", 0) < data["exercises"].get(ex, {}).get("max_score", 0),
            "hint": any(hint_text in t["feedback"] for t in failing),
        })
    eq = []
    for e in equivalents:
        data = json.loads((results_dir / f"equivalent-{e['id']}.json").read_text())
        eq.append({"id": e["id"], "score": data["score"], "accepted": data["score"] >= 100,
                   "failing": [f"{t['exercise']}::{t['name']}" for t in data["tests"] if t["status"] != "passed"]})
    return {"mutants": rows, "equivalents": eq}


def run_audit(jobs: int = 2, out: Path | None = None) -> dict:
    from .bulk.run import main as bulk_main

    mutants, equivalents = load_catalog()
    with tempfile.TemporaryDirectory(prefix="dlgrader-audit-") as tmp:
        klass = Path(tmp) / "class"
        klass.mkdir()
        build_class(klass, mutants, equivalents)
        out = out or Path(tmp) / "out"
        code = bulk_main(Namespace(input=str(klass), out=str(out), jobs=jobs, hidden=True, force=False, lang="en"))
        if code != 0:
            raise RuntimeError("bulk grading of the audit class failed")
        return judge(out / "results", mutants, equivalents)


def main(args) -> int:
    verdict = run_audit(args.jobs)
    rows, eq = verdict["mutants"], verdict["equivalents"]
    n = len(rows)
    print(f"mutants caught:                 {sum(r['caught'] for r in rows)}/{n}")
    print(f"caught in the right exercise:   {sum(r['right_exercise'] for r in rows)}/{n}")
    print(f"hint names the mistake:         {sum(r['hint'] for r in rows)}/{n}")
    print(f"correct variants accepted:      {sum(e['accepted'] for e in eq)}/{len(eq)}")
    for r in rows:
        if not (r["caught"] and r["right_exercise"] and r["hint"]):
            print(f"  missed: {r['id']} ({r['exercise']}): caught={r['caught']} right_exercise={r['right_exercise']} hint={r['hint']}")
    for e in eq:
        if not e["accepted"]:
            print(f"  rejected: {e['id']} ({e['score']}): {', '.join(e['failing'][:5])}")
    ok = all(r["caught"] and r["right_exercise"] and r["hint"] for r in rows) and all(e["accepted"] for e in eq)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(Namespace(jobs=2)))
