"""./grade.sh audit: how well the checks catch mistakes and accept correct variants.

Two catalogs, each patched onto its own base folder:

- ``reference``: tests/mutants/catalog.py on solutions/. Each mutant names the
  hint (a catalog key) that must explain it.
- ``independent``: tests/mutants/independent_catalog.py on
  tests/fixtures/independent/ (a second correct implementation, written from
  SPEC.md alone). Its mutants carry a ``mistake`` in words, no hint key: a
  failing check of the right exercise must give some hint.

Mutants are small patches, each one classic beginner mistake; equivalents are
correct solutions written differently. All are graded through bulk grading,
the same class folder once with the hidden checks and once with the public
ones (the self-check a student runs). A mutant is caught when it loses hidden
points; caught in the right exercise when the exercise it breaks loses hidden
points; its hint names the mistake when a failing hidden check of that
exercise gives the hint the catalog expects; it is shown by the self-check
when that exercise also loses public points (at least ``SHOWN_MIN`` of all
mutants must be; README.md lists every one that is not, with the reason).
Every equivalent must keep full marks in both suites.

Scopes. ``quick`` (the default, and the test suite's) packs the submissions:
a mutant is graded with only the modules its exercise needs (the mutated
module and what it imports), and mutants that cannot see each other (none
changes a module another one's checks run, each is judged on its own
exercise) share one submission. The checks of absent modules fail at once,
so in this scope "caught" is "caught in its exercise". An equivalent is
graded with the modules it changes, every module importing one of them and
their imports, judged on those exercises; every other exercise is the
unchanged base, and each base folder is graded whole, hidden and public, as
an equivalent of its own. ``full`` grades every mutant and equivalent alone,
whole, with every check: the same verdicts plus collateral losses in other
exercises, at several times the cost: per mutant, the points it loses outside its own
exercise (hidden and public), and their total. ``./grade.sh audit`` runs the quick
scope; ``./grade.sh audit --scope full`` (or ``DLGRADER_AUDIT_SCOPE=full``) the full one.
"""
from __future__ import annotations

import importlib.util
import json
import re
import string
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import settings

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "tests" / "mutants" / "catalog.py"
INDEPENDENT_CATALOG = ROOT / "tests" / "mutants" / "independent_catalog.py"
SCOPES = ("full", "quick")
SHOWN_MIN = 0.9  # the share of mutants the self-check (the public checks) must show


@dataclass
class Catalog:
    """One catalog of mutants and equivalents and the base folder they patch."""

    name: str
    path: Path
    base: Path
    prefix: str
    mutants: list = field(default_factory=list)
    equivalents: list = field(default_factory=list)


def load_catalog(path: Path = CATALOG):
    """(MUTANTS, EQUIVALENTS) of a catalog file."""
    spec = importlib.util.spec_from_file_location(f"mutant_catalog_{Path(path).stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.MUTANTS), list(getattr(module, "EQUIVALENTS", []))


def catalogs(names=None, reference: Path = CATALOG, independent: Path = INDEPENDENT_CATALOG) -> list[Catalog]:
    """The catalogs that exist (both, once the independent one is written)."""
    found = []
    for name, path, base, prefix in (
            ("reference", reference, ROOT / "solutions", "ref"),
            ("independent", independent, ROOT / "tests" / "fixtures" / "independent", "ind")):
        if names is not None and name not in names:
            continue
        if not Path(path).is_file():
            continue
        mutants, equivalents = load_catalog(path)
        found.append(Catalog(name, Path(path), base, prefix, mutants, equivalents))
    return found


# --- building the submissions ------------------------------------------------------------
def apply_patch(source: str, find: str, replace: str, name: str) -> str:
    count = source.count(find)
    if count != 1:
        raise ValueError(f"{name}: the text to replace occurs {count} times, not once")
    return source.replace(find, replace)


def changed_files(entry: dict, base: Path) -> dict[str, bytes]:
    """{file name: new content} of a mutant or an equivalent applied to ``base``."""
    out: dict[str, bytes] = {}
    for name, source in entry.get("files", {}).items():
        src = Path(source)
        out[name] = (src if src.is_absolute() else ROOT / src).read_bytes()
    patches = dict(entry.get("patches", {})) if isinstance(entry.get("patches"), dict) else {}
    if "file" in entry:  # a mutant: one file, a list of patches
        patches = {entry["file"]: entry["patches"]}
    for name, edits in patches.items():
        text = out[name].decode() if name in out else (base / name).read_text(encoding="utf-8")
        for find, replace in edits:
            text = apply_patch(text, find, replace, f"{entry['id']} ({name})")
        out[name] = text.encode()
    return out


IMPORT = re.compile(r"^\s*from\s+\.\s*(?:(ex\d\d_\w+)\s+import|import\s+([\w\s,]+?)(?:\s+as\s+\w+)?\s*$)", re.M)


def relative_imports(text: str) -> set[str]:
    """Module files of the submission that ``text`` imports relatively."""
    names = set()
    for direct, listed in IMPORT.findall(text):
        if direct:
            names.add(direct)
        for part in (listed or "").split(","):
            part = part.strip().split(" as ")[0].strip()
            if re.fullmatch(r"ex\d\d_\w+", part):
                names.add(part)
    return {f"{n}.py" for n in names}


def module_texts(base: Path, changes: dict[str, bytes]) -> dict[str, str]:
    from .assignment import FILENAMES

    texts = {n: (base / n).read_text(encoding="utf-8") for n in FILENAMES if (base / n).is_file()}
    texts.update({n: data.decode("utf-8", "replace") for n, data in changes.items()})
    return texts


def with_imports(names: set[str], texts: dict[str, str]) -> set[str]:
    """``names`` and every module they import, transitively."""
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen or name not in texts:
            continue
        seen.add(name)
        todo += sorted(relative_imports(texts[name]))
    return seen


def importers(names: set[str], texts: dict[str, str]) -> set[str]:
    """``names`` and every module that imports one of them, transitively."""
    found = set(names)
    while True:
        more = {n for n, t in texts.items() if n not in found and relative_imports(t) & found}
        if not more:
            return found
        found |= more


@dataclass
class Entry:
    """A mutant or an equivalent applied to its catalog's base: what it changes, what is judged."""

    catalog: Catalog
    kind: str  # "mutant" or "equivalent"
    spec: dict
    changes: dict  # file name -> bytes
    judged: set  # exercises whose checks decide it
    needs: set  # module files those checks run (the judged modules and their imports)

    @property
    def id(self) -> str:
        return self.spec["id"]


BASE = {"id": "base", "note": "the base folder itself, unchanged"}


def entries(catalog: Catalog, scope: str, kinds=("mutant", "equivalent")) -> list[Entry]:
    """The catalog's mutants and equivalents; the base folder itself comes first among the
    equivalents, always graded whole (the quick scope trusts it for every module it leaves out)."""
    out = []
    if "equivalent" in kinds:
        texts = module_texts(catalog.base, {})
        out.append(Entry(catalog, "equivalent", BASE, {}, {exercise_of(f) for f in texts}, set(texts)))
    for kind, specs in (("mutant", catalog.mutants), ("equivalent", catalog.equivalents)):
        if kind not in kinds:
            continue
        for spec in specs:
            changes = changed_files(spec, catalog.base)
            texts = module_texts(catalog.base, changes)
            if scope == "full":
                judged_files = set(texts)
            elif kind == "mutant":
                judged_files = {spec["file"]}
            else:
                judged_files = importers(set(changes), texts)
            needs = set(texts) if scope == "full" else with_imports(judged_files, texts)
            judged = {exercise_of(f) for f in judged_files} if kind == "equivalent" or scope == "quick" \
                else {exercise_of(f) for f in texts}
            out.append(Entry(catalog, kind, spec, changes, judged, needs))
    return out


def entry_files(e: Entry) -> dict[str, bytes]:
    """The module files an entry's checks run, as its submission must hold them."""
    if not hasattr(e, "_files"):
        e._files = {n: e.changes[n] if n in e.changes else (e.catalog.base / n).read_bytes() for n in sorted(e.needs)}
    return e._files


def compatible(a: Entry, b: Entry) -> bool:
    """Whether two entries can share a submission: judged on different exercises, and every module
    the checks of both run is the same file for both (so neither sees the other's change, and
    entries of the two catalogs mix only where they share no module)."""
    if a.judged & b.judged:
        return False
    fa, fb = entry_files(a), entry_files(b)
    return all(fa[n] == fb[n] for n in set(fa) & set(fb))


def bundles(items: list[Entry], scope: str) -> list[list[Entry]]:
    """Full scope: one submission per entry. Quick scope: entries packed into shared submissions
    wherever they cannot see each other: a colouring of the graph of incompatible pairs, most
    constrained entry first (DSatur), so that few submissions are graded."""
    if scope == "full":
        return [[e] for e in items]
    order = sorted(items, key=lambda e: e.id)
    clash = {id(e): {id(o) for o in order if o is not e and not compatible(e, o)} for e in order}
    colour: dict[int, int] = {}
    while len(colour) < len(order):
        def pressure(e):
            used = {colour[o] for o in clash[id(e)] if o in colour}
            return len(used), len(clash[id(e)])

        e = max((e for e in order if id(e) not in colour), key=pressure)
        used = {colour[o] for o in clash[id(e)] if o in colour}
        colour[id(e)] = next(c for c in range(len(order)) if c not in used)
    groups: dict[int, list[Entry]] = {}
    for e in order:
        groups.setdefault(colour[id(e)], []).append(e)
    return [groups[c] for c in sorted(groups)]


def submission_files(group: list[Entry]) -> dict[str, bytes]:
    files = {}
    for e in group:
        files.update(entry_files(e))
    return files


def student_name(group: list[Entry], index: int) -> str:
    e = group[0]
    if len(group) == 1:
        return f"{e.catalog.prefix}-{e.kind}-{e.id}"
    prefixes = sorted({x.catalog.prefix for x in group})
    return f"{'+'.join(prefixes)}-{e.kind}-bundle{index:03d}"


def name_groups(groups: list[list[Entry]]) -> list[tuple[str, list[Entry]]]:
    return [(student_name(group, i), group) for i, group in enumerate(groups)]


def build_class(folder: Path, named: list[tuple[str, list[Entry]]]) -> dict[tuple, str]:
    """One submission folder per group; {(catalog, kind, id): student name}."""
    where = {}
    for name, group in named:
        target = folder / name
        target.mkdir(parents=True)
        for file, data in submission_files(group).items():
            (target / file).write_bytes(data)
        for e in group:
            where[(e.catalog.name, e.kind, e.id)] = name
    return where


# --- judging -------------------------------------------------------------------------------
_PATTERNS: dict = {}


def hint_pattern(key: str, lang: str = "en"):
    """A regex matching the rendered hint ``key`` whatever its parameters."""
    if (key, lang) not in _PATTERNS:
        from .feedback.catalog import MESSAGES

        parts = []
        for literal, field_name, _, _ in string.Formatter().parse(MESSAGES[key][lang]):
            parts.append(re.escape(literal))
            if field_name is not None:
                parts.append(".+?")
        _PATTERNS[(key, lang)] = re.compile("".join(parts), re.S)
    return _PATTERNS[(key, lang)]


def hints_in(text: str, lang: str = "en") -> list[str]:
    """The hint keys whose message appears in a check's feedback."""
    from .feedback.catalog import MESSAGES

    return sorted(k for k in MESSAGES if k.startswith("hint.") and hint_pattern(k, lang).search(text))


def exercise_of(module_file: str) -> str:
    return module_file[:4]


def points_lost(data: dict, exercises) -> float:
    """The points a report loses in ``exercises`` (a set of exercise names)."""
    return round(sum(v["max_score"] - v["score"] for x, v in data.get("exercises", {}).items() if x in exercises), 6)


def lost_outside(data: dict, own: str) -> dict:
    """{exercise: points lost} of a report, every exercise but ``own`` (and the MNIST bonus, which
    belongs to ex08's module)."""
    owner = {"mnist": "ex08"}
    return {x: round(v["max_score"] - v["score"], 6) for x, v in sorted(data.get("exercises", {}).items())
            if owner.get(x, x) != own and v["score"] < v["max_score"]}


# The messages that name a failure's root cause in another module or function (grading/causes.py):
# a check outside a mutant's own exercise that fails must carry one of them.
ROOT_CAUSES = ("cause.syntax", "cause.module", "cause.function", "module_missing", "module_import",
               "module_import_crash", "module_rejected")


def unexplained_outside(data: dict, own: str, suite: str) -> list[str]:
    """The failing checks of a report outside exercise ``own`` whose feedback names no root cause."""
    owner = {"mnist": "ex08"}
    return [f"{suite} {t['exercise']}::{t['name']}" for t in data.get("tests", [])
            if owner.get(t["exercise"], t["exercise"]) != own and t["status"] != "passed"
            and not any(hint_pattern(key).search(t.get("feedback", "")) for key in ROOT_CAUSES)]


def judge(hidden: Path, public: Path | None, items: list[Entry], where: dict, catalog: Catalog,
          scope: str = "quick") -> dict:
    """Verdicts of one catalog from the results folders of the two bulk runs of the same class."""
    rows, eq = [], []
    for e in items:
        if e.catalog is not catalog:
            continue
        name = where[(catalog.name, e.kind, e.id)]
        data = json.loads((hidden / f"{name}.json").read_text())
        if e.kind == "mutant":
            ex = e.spec["exercise"]
            lost = {x for x, v in data.get("exercises", {}).items() if x in e.judged and v["score"] < v["max_score"]}
            failing = [t for t in data.get("tests", []) if t["exercise"] == ex and t["status"] != "passed"]
            given = sorted({k for t in failing for k in hints_in(t["feedback"])})
            expected = e.spec.get("hint")
            pub = json.loads((public / f"{name}.json").read_text()) if public is not None else {}
            public_failing = [t for t in pub.get("tests", []) if t["exercise"] == ex and t["status"] != "passed"]
            rows.append({
                "id": e.id, "exercise": ex, "submission": name, "status": data.get("status", "graded"),
                "caught": bool(lost), "right_exercise": ex in lost,
                "hint": (expected in given) if expected else bool(given),
                "expected_hint": expected, "hints": given, "mistake": e.spec.get("mistake", ""),
                "failing": [f"{t['name']}: {t['feedback'][:300]}" for t in failing],
                # the self-check: what the public checks of its own exercise take off
                "shown": points_lost(pub, {ex}) > 0 if public is not None else None,
                "public_lost": points_lost(pub, {ex}) if public is not None else None,
                "public_failing": [t["name"] for t in public_failing],
                # collateral losses exist only where every module is graded: the full scope
                "outside": {"hidden": lost_outside(data, ex),
                            "public": lost_outside(pub, ex) if public is not None else {}} if scope == "full" else None,
                "outside_unexplained": unexplained_outside(data, ex, "hidden") + unexplained_outside(pub, ex, "public")
                if scope == "full" else None,
            })
            continue
        failing, accepted = [], True
        for suite, folder in (("hidden", hidden), ("public", public)):
            if folder is None:
                continue
            data = json.loads((folder / f"{name}.json").read_text())
            bad = [t for t in data.get("tests", []) if t["exercise"] in e.judged and t["status"] != "passed"]
            accepted = accepted and not bad and data.get("status", "graded") == "graded"
            failing += [f"{suite} {t['exercise']}::{t['name']}: {t['feedback'][:200]}" for t in bad]
        eq.append({"id": e.id, "submission": name, "accepted": accepted, "failing": failing,
                   "note": e.spec.get("note", "")})
    return {"catalog": catalog.name, "mutants": rows, "equivalents": eq}


# --- running ----------------------------------------------------------------------------------
def _bulk(klass: Path, out: Path, jobs: int, hidden: bool) -> Path:
    from .bulk.run import grade_class

    code = grade_class(klass, out, jobs=jobs, hidden=hidden, lang="en")
    if code != 0:
        raise RuntimeError(f"bulk grading of the audit class {klass} failed")
    return out / "results"


def run_audit(jobs: int = 2, scope: str = "quick", names=None, out: Path | None = None,
              found: list[Catalog] | None = None) -> dict:
    """Build, grade and judge every catalog; {"catalogs": [verdicts], "seconds": wall time, ...}."""
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}")
    t0 = time.monotonic()
    found = catalogs(names) if found is None else found
    with tempfile.TemporaryDirectory(prefix="dlgrader-audit-") as tmp:
        work = Path(out) if out is not None else Path(tmp)
        items = [e for cat in found for e in entries(cat, scope)]
        groups = [g for kind in ("mutant", "equivalent") for g in bundles([e for e in items if e.kind == kind], scope)]
        named = name_groups(groups)
        # one class folder, graded twice: the hidden checks, then the public ones (the self-check)
        where = build_class(work / "class", named)
        t1 = time.monotonic()
        hidden = _bulk(work / "class", work / "out-hidden", jobs, hidden=True)
        t2 = time.monotonic()
        public = _bulk(work / "class", work / "out-public", jobs, hidden=False)
        t3 = time.monotonic()
        verdicts = [judge(hidden, public, items, where, cat, scope) for cat in found]
    return {"catalogs": verdicts, "seconds": time.monotonic() - t0, "scope": scope,
            "grading_seconds": {"hidden": t2 - t1, "public": t3 - t2},
            "submissions": {"hidden": len(groups), "public": len(groups)}}


def ok(row: dict) -> bool:
    return row["caught"] and row["right_exercise"] and row["hint"]


def all_mutants(verdict: dict) -> list[tuple[str, dict]]:
    return [(v["catalog"], r) for v in verdict["catalogs"] for r in v["mutants"]]


def shown_share(verdict: dict) -> float:
    """The share of all mutants (both catalogs) whose own exercise loses public points."""
    rows = [r for _, r in all_mutants(verdict)]
    return sum(bool(r.get("shown")) for r in rows) / len(rows) if rows else 1.0


def unshown(verdict: dict) -> set[tuple[str, str]]:
    """(catalog, mutant id) of every mutant the self-check does not show."""
    return {(c, r["id"]) for c, r in all_mutants(verdict) if not r.get("shown")}


def outside_lines(verdict: dict) -> list[str]:
    """Full scope: per mutant, the points lost outside its own exercise, and the totals."""
    rows = [(c, r) for c, r in all_mutants(verdict) if r.get("outside") is not None]
    if not rows:
        return ["points lost outside its own exercise: measured only in the full scope (./grade.sh audit --scope full)"]
    lines = []
    totals = {"hidden": 0.0, "public": 0.0}
    counts = {"hidden": 0, "public": 0}
    for c, r in rows:
        for suite in ("hidden", "public"):
            lost = r["outside"][suite]
            totals[suite] += sum(lost.values())
            counts[suite] += bool(lost)
        if r["outside"]["hidden"] or r["outside"]["public"]:
            lines.append(f"  outside {c} {r['id']} ({r['exercise']}): "
                         + "; ".join(f"{suite} " + ", ".join(f"{x} -{p:g}" for x, p in r["outside"][suite].items())
                                     for suite in ("hidden", "public") if r["outside"][suite]))
    head = [f"points lost outside its own exercise: hidden {totals['hidden']:g} points by {counts['hidden']} of "
            f"{len(rows)} mutants, public {totals['public']:g} points by {counts['public']} of {len(rows)}"]
    unexplained = [(c, r, name) for c, r in rows for name in r.get("outside_unexplained") or []]
    head.append(f"failing checks outside the mutant's exercise without a message naming the root cause: "
                f"{len(unexplained)}")
    lines += [f"  no root cause: {c} {r['id']} ({r['exercise']}): {name}" for c, r, name in unexplained]
    return head + lines


def report(verdict: dict) -> list[str]:
    lines = []
    for v in verdict["catalogs"]:
        rows, eq = v["mutants"], v["equivalents"]
        n = len(rows)
        hint_label = "hint names the mistake:" if v["catalog"] == "reference" else "a hint is given:"
        lines += [f"{v['catalog']} catalog ({verdict['scope']} scope)",
                  f"  mutants caught:                 {sum(r['caught'] for r in rows)}/{n}",
                  f"  caught in the right exercise:   {sum(r['right_exercise'] for r in rows)}/{n}",
                  f"  {hint_label:<31} {sum(r['hint'] for r in rows)}/{n}",
                  f"  shown by the self-check:        {sum(bool(r.get('shown')) for r in rows)}/{n}",
                  f"  correct variants accepted:      {sum(e['accepted'] for e in eq)}/{len(eq)}"]
        for r in rows:
            if not ok(r):
                lines.append(f"  missed: {r['id']} ({r['exercise']}): caught={r['caught']} "
                             f"right_exercise={r['right_exercise']} hint={r['hint']} "
                             f"(expected {r['expected_hint'] or 'a hint'}, got {', '.join(r['hints']) or 'none'})")
                lines += [f"      {f}" for f in r["failing"][:3]]
        for r in rows:
            if not r.get("shown"):
                lines.append(f"  not shown by the self-check: {r['id']} ({r['exercise']})")
        for e in eq:
            if not e["accepted"]:
                lines.append(f"  rejected: {e['id']}: " + "; ".join(e["failing"][:4]))
    share = shown_share(verdict)
    lines.append(f"shown by the self-check (the public checks take points off the mutant's exercise): "
                 f"{len(all_mutants(verdict)) - len(unshown(verdict))}/{len(all_mutants(verdict))} mutants, "
                 f"{100 * share:.1f}% (at least {100 * SHOWN_MIN:.0f}% required)")
    lines += outside_lines(verdict)
    took = verdict.get("grading_seconds", {})
    lines.append(f"audit took {verdict['seconds']:.0f} s ({verdict['submissions']['hidden']} submissions graded with "
                 f"the hidden checks in {took.get('hidden', 0):.0f} s, the same {verdict['submissions']['public']} "
                 f"with the public ones in {took.get('public', 0):.0f} s)")
    return lines


def passed(verdict: dict) -> bool:
    return all(ok(r) for v in verdict["catalogs"] for r in v["mutants"]) and \
        all(e["accepted"] for v in verdict["catalogs"] for e in v["equivalents"]) and \
        shown_share(verdict) >= SHOWN_MIN and \
        not any(r.get("outside_unexplained") for _, r in all_mutants(verdict))


def main(jobs: int = 2, scope: str | None = None) -> int:
    """./grade.sh audit [--jobs N] [--scope quick|full]; ``scope`` None: $DLGRADER_AUDIT_SCOPE, else quick."""
    scope = scope or settings.value("DLGRADER_AUDIT_SCOPE")
    verdict = run_audit(jobs, scope)
    print("\n".join(report(verdict)))
    return 0 if passed(verdict) else 1


if __name__ == "__main__":
    sys.exit(main(scope=sys.argv[1] if len(sys.argv) > 1 else None))
