"""Copied-code detection: the threshold's evidence, and the throughput for a class of 300.

    python benchmarks/similarity.py [--students 300] [--jobs 2]

1. Calibration on the project's own material: the two independent correct
   implementations (solutions/ and tests/fixtures/independent, the second written from
   SPEC.md alone), each against the other and against near-copies of the other; and
   near-copies (variables renamed, top-level functions reordered, every comment
   rewritten) against their original. It prints the whole-submission score and the
   largest and smallest module score of each pair: the threshold must sit between.
2. Throughput: a synthetic class of --students submissions, each a variant of one of
   the two implementations with small deterministic edits (renames, comments, order;
   one in five left the last four exercises as stubs). Every pair is fingerprinted and
   compared; it prints the wall and CPU seconds and pairs per CPU-second, then the time to write one
   flagged pair's page (the class has thousands of flagged pairs by construction, far
   more pages than a real class; see MAX_REPORTS).
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from autograder.bulk.sources import StudentFiles  # noqa: E402
from autograder.course import similarity as sim  # noqa: E402

SOLUTIONS = ROOT / "solutions"
INDEPENDENT = ROOT / "tests" / "fixtures" / "independent"
STUBS = ROOT / "exercises"


def rename_variables(text: str, tag: str) -> str:
    """Every local name assigned in the module gets a new name (not attributes)."""
    assigned = set(re.findall(r"^[ \t]+([a-z_][a-z0-9_]*)[ \t]*(?:[+\-*/]?=)(?!=)", text, re.M))
    assigned |= set(re.findall(r"^[ \t]+for ([a-z_][a-z0-9_]*) in ", text, re.M))
    for i, name in enumerate(sorted(assigned - {"self", "_"})):
        text = re.sub(rf"(?<![.\w]){name}\b", f"{name[0]}{tag}{i}", text)
    return text


def rewrite_comments(text: str, tag: str) -> str:
    return re.sub(r"#[^\n]*", lambda m: f"# {tag}: note {len(m.group(0)) % 9}", text)


def reorder_functions(text: str, shift: int) -> str:
    """Top-level blocks (def/class with their decorators) rotated by ``shift``, reversed when odd."""
    lines = text.split("\n")
    starts = [i for i, line in enumerate(lines)
              if re.match(r"(def |class |@)", line) and not (i and lines[i - 1].startswith("@"))]
    if len(starts) < 2:
        return text
    head = lines[:starts[0]]
    blocks = [lines[a:b] for a, b in zip(starts, starts[1:] + [len(lines)])]
    s = shift % len(blocks)
    blocks = blocks[s:] + blocks[:s]
    if shift % 2:
        blocks.reverse()
    return "\n".join(head + [line for block in blocks for line in block]) + "\n"


def near_copy(text: str, i: int) -> str:
    return reorder_functions(rewrite_comments(rename_variables(text, f"v{i}_"), f"c{i}"), i + 1)


def files_of(folder: Path, edit=None) -> dict[str, bytes]:
    return {f.name: (edit(f.read_text()) if edit else f.read_text()).encode()
            for f in sorted(folder.glob("ex0*.py"))}


def calibration() -> None:
    bp = sim.boilerplate_hashes()
    subs = {
        "solutions": files_of(SOLUTIONS),
        "independent": files_of(INDEPENDENT),
        "solutions-copy": files_of(SOLUTIONS, lambda t: near_copy(t, 1)),
        "independent-copy": files_of(INDEPENDENT, lambda t: near_copy(t, 2)),
        "stubs": files_of(STUBS),
    }
    fps = {s.student: s for s in sim.submissions_from([StudentFiles(k, v) for k, v in subs.items()], bp)}
    print(f"calibration (k={sim.NOISE_K}, window {sim.WINDOW}; module scores count only when >= "
          f"{sim.MIN_MATCH} characters match on both sides)")
    print(f"  {'pair':46} {'whole':>6} {'module max':>11} {'module min':>11}")
    for kind, a, b in [("independent", "solutions", "independent"), ("independent", "solutions", "independent-copy"),
                       ("independent", "independent", "solutions-copy"), ("stubs", "stubs", "solutions"),
                       ("near-copy", "solutions", "solutions-copy"), ("near-copy", "independent", "independent-copy")]:
        p = sim.compare_pair(fps[a], fps[b])
        counted = [m.score for m in p.modules if min(m.matched_a, m.matched_b) >= sim.MIN_MATCH] or [0.0]
        every = [m.score for m in p.modules] or [0.0]
        print(f"  {kind + ': ' + a + ' / ' + b:46} {p.score:6.3f} {max(counted):11.3f} {min(every):11.3f}"
              f"   (max over every module {max(every):.3f})")


def synthetic_class(n: int) -> list[StudentFiles]:
    students = []
    for i in range(n):
        source = SOLUTIONS if i % 2 == 0 else INDEPENDENT
        files = files_of(source, lambda t, i=i: near_copy(t, i))
        if i % 5 == 4:
            for f in sorted(STUBS.glob("ex0[5-8]*.py")):
                files[f.name] = f.read_bytes()
        students.append(StudentFiles(f"student-{i:03d}", files))
    return students


def cpu() -> float:
    """CPU seconds of this process and of its finished helpers: on a machine shared with other
    work the wall time says more about the others than about this code."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def throughput(n: int, jobs: int) -> None:
    students = synthetic_class(n)
    w0, c0 = time.perf_counter(), cpu()
    bp = sim.boilerplate_hashes()
    subs = sim.submissions_from(students, bp, jobs=jobs)
    w1, c1 = time.perf_counter(), cpu()
    flagged, compared = sim.analyse(subs, [], sim.THRESHOLD, jobs)
    w2, c2 = time.perf_counter(), cpu()
    by_id = {s.student: s for s in subs}
    from autograder.course.similarity_report import render_pair

    sample = flagged[:20]
    for p in sample:
        render_pair(sim.pair_json(p, sim.THRESHOLD), p, by_id[p.student_a], by_id[p.student_b], sim.THRESHOLD)
    c3 = cpu()
    files = sum(len(s.modules) for s in subs)
    print(f"throughput: {n} submissions ({files} files), {compared} pairs, {jobs} jobs")
    print(f"  fingerprints: {w1 - w0:.1f} s wall, {c1 - c0:.1f} s CPU ({files / (c1 - c0):.0f} files per CPU-second)")
    print(f"  every pair compared, module by module: {w2 - w1:.1f} s wall, {c2 - c1:.1f} s CPU "
          f"({compared / (c2 - c1):.0f} pairs per CPU-second)")
    print(f"  total: {w2 - w0:.1f} s wall, {c2 - c0:.1f} s CPU; {len(flagged)} pairs flagged")
    if sample:
        print(f"  one flagged pair's page: {1000 * (c3 - c2) / len(sample):.0f} ms CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=300)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    calibration()
    throughput(args.students, args.jobs)


if __name__ == "__main__":
    main()
