"""Copied code: every pair of submissions compared, module by module and as a whole.

    ./grade.sh similarity INPUT --out DIR [--threshold X] [--against PAST ...]
    ./grade.sh bulk INPUT --out DIR --similarity [--similarity-threshold X] [--against PAST ...]

The comparison is copydetect's (https://github.com/blingenf/copydetect, the
fingerprinting of MOSS: Schleimer, Wilkerson and Aiken, "Winnowing", SIGMOD 2003).
Each file is tokenized and filtered by ``copydetect.utils.filter_code`` (every
variable, attribute and function name becomes V or F, strings S, comments and
whitespace go), so renaming variables or rewriting comments changes nothing; the
filtered text is cut into k-grams of ``NOISE_K`` characters and winnowed with
``copydetect.utils.winnow``; the stubs in exercises/ are the boilerplate, so the
text every student was handed never counts. Files are only compared with the file
of the same name (exNN_*.py against exNN_*.py), so reordering functions inside a
module only breaks the k-grams at the seams.

Three steps of copydetect are done here instead, with the same meaning:
- k-grams are hashed with a fixed polynomial hash, not Python's ``hash()``, which
  is salted per process: with a window above 1 the winnowed choice (and so the
  report) would change from one run to the next;
- boilerplate is removed with ``np.isin``: copydetect's ``np.intersect1d(...,
  assume_unique=True)`` is wrong when a k-gram occurs more than once in a file
  (it can drop k-grams of the student's own code that occur twice);
- the offset recorded at a class name is corrected (copydetect stores the name's
  length there, which maps a match ending just before it into an earlier function).
``compare`` gives the same shares as ``copydetect.detector.compare_files`` (a test
checks it) without its per-hash Python loop.

Outputs (all deterministic, no times in them): DIR/similarity.csv, one row per
flagged pair and module (``all`` = the whole submission), highest first;
DIR/similarity.json with every flagged pair and all its modules;
DIR/similarity/<a>__<b>.html, the matching regions side by side; and
``"similarity"`` in DIR/summary.json.
"""
from __future__ import annotations

import csv
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..assignment import FILENAMES
from ..reports.files import spreadsheet_cell, write_json, write_text

ROOT = Path(__file__).resolve().parents[2]
STUBS = ROOT / "exercises"
MODULE_NAMES = sorted(FILENAMES)

# copydetect's defaults (noise threshold 25 = guarantee threshold, so a window of 1:
# every k-gram is kept). See README "Copied code" for how THRESHOLD was measured.
NOISE_K = 25
WINDOW = 1
THRESHOLD = 0.70
# A module alone flags a pair only when at least this many filtered characters match on
# both sides (about three lines of code): a one-line function copied from a hint does not.
MIN_MATCH = 150
LIBRARY = "copydetect 0.5.0"
# Pages written for the highest flagged pairs only: a threshold set far too low must not
# write thousands of pages (every flagged pair stays in the CSV and JSON).
MAX_REPORTS = 300

_BASE = np.uint64(1_000_003)


@dataclass
class Fingerprint:
    """One file, with the attributes ``copydetect.detector.compare_files`` reads."""
    filename: str
    raw_code: str
    filtered_code: str
    offsets: np.ndarray  # copydetect's [filtered index, characters removed before it]
    hashes: set
    hash_idx: dict
    k: int
    token_coverage: float
    positions: np.ndarray = field(repr=False, default=None)  # kept k-gram starts
    kept: np.ndarray = field(repr=False, default=None)  # their hashes, in the same order
    unique: np.ndarray = field(repr=False, default=None)  # the distinct hashes, sorted


def kgram_hashes(text: str, k: int = NOISE_K) -> np.ndarray:
    """Hash of every k-gram of ``text``; the same in every process (unlike ``hash()``)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - k + 1
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _BASE + codes[j:j + n] + np.uint64(1)
    return (h >> np.uint64(11)).astype(np.int64)  # 53 bits: exact in copydetect's float buffer


def _filter(code: str, name: str) -> tuple[str, np.ndarray]:
    from copydetect.utils import filter_code

    filtered, offsets = filter_code(code, name, "python")
    offsets = np.array(offsets, dtype=np.int64).reshape(-1, 2) if len(offsets) else np.zeros((0, 2), np.int64)
    # copydetect records a class name's own length where it means the characters removed so
    # far; the next entry tells the right figure (a class name shrinks to one character).
    for i in range(1, len(offsets) - 1):
        pos = offsets[i, 0]
        if pos < len(filtered) and filtered[pos] == "O" and offsets[i - 1, 0] != pos:
            offsets[i, 1] = offsets[i + 1, 1] - offsets[i, 1]
    return filtered, offsets


def fingerprint(code: str, name: str, boilerplate: np.ndarray | None = None, k: int = NOISE_K,
                window: int = WINDOW) -> Fingerprint:
    from copydetect.utils import get_token_coverage, winnow

    code = code.replace("\r\n", "\n").replace("\r", "\n")
    filtered, offsets = _filter(code, name)
    hashes, idx = winnow(kgram_hashes(filtered, k), window_size=window, remove_duplicates=False)
    idx = np.asarray(idx, dtype=np.int64)
    hashes = np.asarray(hashes, dtype=np.int64)
    if boilerplate is not None and len(boilerplate) and len(hashes):
        keep = ~np.isin(hashes, boilerplate)
        hashes, idx = hashes[keep], idx[keep]
    hash_idx: dict[int, list[int]] = {}
    for h, i in zip(hashes.tolist(), idx.tolist()):
        hash_idx.setdefault(h, []).append(i)
    coverage = float(get_token_coverage(hash_idx, k, len(filtered))) if hash_idx else 0.0
    return Fingerprint(name, code, filtered, offsets, set(hash_idx), hash_idx, k, coverage, idx, hashes,
                       np.unique(hashes))


def boilerplate_hashes(stubs: Path = STUBS, k: int = NOISE_K) -> np.ndarray:
    """Every k-gram of the stubs students were handed."""
    parts = [kgram_hashes(_filter((stubs / n).read_text(encoding="utf-8"), n)[0], k)
             for n in MODULE_NAMES if (stubs / n).is_file()]
    return np.unique(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _slices(positions: np.ndarray, k: int) -> np.ndarray:
    from copydetect.utils import get_copied_slices

    return np.asarray(get_copied_slices(positions, k), dtype=np.int64).reshape(2, -1)


@dataclass
class ModuleMatch:
    module: str
    matched_a: int
    matched_b: int
    share_a: float
    share_b: float
    slices_a: np.ndarray  # in the filtered text
    slices_b: np.ndarray

    @property
    def score(self) -> float:
        return max(self.share_a, self.share_b)


def _member(values: np.ndarray, sorted_unique: np.ndarray) -> np.ndarray:
    """values in sorted_unique (np.isin without sorting again at every pair)."""
    at = np.searchsorted(sorted_unique, values)
    at[at == len(sorted_unique)] = 0
    return sorted_unique[at] == values


def compare(fa: Fingerprint, fb: Fingerprint) -> ModuleMatch:
    """What ``copydetect.detector.compare_files`` computes, vectorised."""
    empty = np.zeros((2, 0), dtype=np.int64)
    if not fa.hashes or not fb.hashes or fa.hashes.isdisjoint(fb.hashes):
        return ModuleMatch(fa.filename, 0, 0, 0.0, 0.0, empty, empty)
    sa = _slices(fa.positions[_member(fa.kept, fb.unique)], fa.k)
    sb = _slices(fb.positions[_member(fb.kept, fa.unique)], fb.k)
    ma, mb = int((sa[1] - sa[0]).sum()), int((sb[1] - sb[0]).sum())
    return ModuleMatch(fa.filename, ma, mb, ma / fa.token_coverage if fa.token_coverage else 0.0,
                       mb / fb.token_coverage if fb.token_coverage else 0.0, sa, sb)


# --- submissions --------------------------------------------------------------------
@dataclass
class Submission:
    student: str  # as in the CSV: a class id, or "<past label>/<id>"
    modules: dict  # file name -> Fingerprint

    @property
    def coverage(self) -> float:
        return sum(f.token_coverage for f in self.modules.values())


_SHARED: dict = {}  # what forked helper processes read (set before the pool starts)


def _pool(jobs: int):
    """A pool of forked processes, or None to work in this one (one job, or no fork here)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return None
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork"))


def _fingerprint_task(item: tuple[str, bytes]) -> Fingerprint:
    name, data = item
    return fingerprint(data.decode("utf-8", errors="replace"), name, _SHARED["boilerplate"])


def submissions_from(students, boilerplate: np.ndarray, prefix: str = "", jobs: int = 1) -> list[Submission]:
    """Fingerprints of each student's exNN_*.py files (StudentFiles from bulk's discover).
    A file with the same bytes as another (an untouched stub, say) is fingerprinted once."""
    import hashlib

    keys, todo = {}, {}
    for s in students:
        for name in MODULE_NAMES:
            data = s.files.get(name)
            if data is not None:  # None: absent, or not a regular file
                key = (name, hashlib.sha256(data).digest())
                keys[(s.student, name)] = key
                todo.setdefault(key, (name, data))
    _SHARED["boilerplate"] = boilerplate
    items = sorted(todo.items())
    pool = _pool(jobs) if len(items) > 50 else None
    if pool is None:
        done = [_fingerprint_task(item) for _, item in items]
    else:
        with pool:
            done = list(pool.map(_fingerprint_task, [item for _, item in items], chunksize=8))
    prints = {key: fp for (key, _), fp in zip(items, done)}
    out = [Submission(prefix + s.student, {name: prints[keys[(s.student, name)]] for name in MODULE_NAMES
                                           if (s.student, name) in keys})
           for s in students]
    return sorted(out, key=lambda x: x.student)


@dataclass
class PairResult:
    student_a: str
    student_b: str
    modules: list  # ModuleMatch, by module name
    share_a: float
    share_b: float

    @property
    def score(self) -> float:
        return max(self.share_a, self.share_b)

    def flagged_modules(self, threshold: float) -> list:
        return [m for m in self.modules
                if m.score >= threshold and min(m.matched_a, m.matched_b) >= MIN_MATCH]

    def flagged(self, threshold: float) -> bool:
        return self.score >= threshold or bool(self.flagged_modules(threshold))

    @property
    def top(self) -> float:
        return max([self.score, *(m.score for m in self.modules)])

    @property
    def report_name(self) -> str:
        return f"{_file_id(self.student_a)}__{_file_id(self.student_b)}.html"


def _file_id(student: str) -> str:
    return student.replace("/", "~")


def compare_pair(a: Submission, b: Submission) -> PairResult:
    matches = [compare(a.modules[n], b.modules[n]) for n in MODULE_NAMES if n in a.modules and n in b.modules]
    ca, cb = a.coverage, b.coverage
    share_a = sum(m.matched_a for m in matches) / ca if ca else 0.0
    share_b = sum(m.matched_b for m in matches) / cb if cb else 0.0
    return PairResult(a.student, b.student, matches, share_a, share_b)


# --- outputs ------------------------------------------------------------------------
def _r(x: float) -> float:
    return round(float(x), 4)


def pair_json(p: PairResult, threshold: float) -> dict:
    flagged = {m.module for m in p.flagged_modules(threshold)}
    return {
        "student_a": p.student_a, "student_b": p.student_b, "score": _r(p.score),
        "share_a": _r(p.share_a), "share_b": _r(p.share_b), "report": f"similarity/{p.report_name}",
        "flagged_modules": sorted(flagged),
        "modules": [{"module": m.module, "score": _r(m.score), "share_a": _r(m.share_a), "share_b": _r(m.share_b),
                     "matched_a": m.matched_a, "matched_b": m.matched_b, "flagged": m.module in flagged}
                    for m in p.modules],
    }


def csv_text(pairs: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["student_a", "student_b", "score", "share_a", "share_b", "module"])
    for p in pairs:
        w.writerow([spreadsheet_cell(p["student_a"]), spreadsheet_cell(p["student_b"]), f"{p['score']:.4f}",
                    f"{p['share_a']:.4f}",
                    f"{p['share_b']:.4f}", "all"])
        for m in sorted((m for m in p["modules"] if m["flagged"]), key=lambda m: (-m["score"], m["module"])):
            w.writerow([spreadsheet_cell(p["student_a"]), spreadsheet_cell(p["student_b"]), f"{m['score']:.4f}",
                        f"{m['share_a']:.4f}",
                        f"{m['share_b']:.4f}", m["module"]])
    return buf.getvalue()


def _row_task(i: int) -> tuple[list, int]:
    """The pairs of class submission ``i`` with every later one and with every past one."""
    current, past, threshold = _SHARED["current"], _SHARED["past"], _SHARED["threshold"]
    a, flagged = current[i], []
    others = current[i + 1:] + past
    for b in others:
        p = compare_pair(a, b)
        if p.flagged(threshold):
            flagged.append(p)
    return flagged, len(others)


def analyse(current: list[Submission], past: list[Submission], threshold: float,
            jobs: int = 1) -> tuple[list[PairResult], int]:
    """The flagged pairs, highest first (the same order whatever ``jobs``), and how many were compared."""
    _SHARED.update(current=current, past=past, threshold=threshold)
    rows = range(len(current))
    pool = _pool(jobs) if len(current) > 20 else None
    if pool is None:
        results = [_row_task(i) for i in rows]
    else:
        with pool:
            results = list(pool.map(_row_task, rows, chunksize=4))
    flagged = [p for found, _ in results for p in found]
    flagged.sort(key=lambda p: (-_r(p.top), -_r(p.score), p.student_a, p.student_b))
    return flagged, sum(n for _, n in results)


def write(out: Path, students, threshold: float = THRESHOLD, against: list | tuple = (),
          stubs: Path = STUBS, jobs: int = 1) -> dict:
    """Compare, write DIR/similarity.{csv,json}, the per-pair pages and summary.json's key.
    ``students``: bulk's StudentFiles; ``against``: folders of earlier terms."""
    from ..bulk.sources import _clean, discover
    from .similarity_report import render_pair

    out = Path(out)
    bp = boilerplate_hashes(stubs)
    current = submissions_from(students, bp, jobs=jobs)
    past, past_terms, problems, labels = [], [], [], set()
    for folder in against:
        folder = Path(folder)
        label = _clean(folder.stem if folder.is_file() else folder.name)
        n = 2
        base = label
        while label in labels:
            label, n = f"{base}-{n}", n + 1
        labels.add(label)
        found, term_problems, keep = discover(folder)
        try:
            subs = submissions_from(found, bp, prefix=f"{label}/", jobs=jobs)
        finally:
            if keep is not None:
                keep.cleanup()
        past += subs
        problems += [f"{label}: {p}" for p in term_problems]
        past_terms.append({"label": label, "folder": str(folder), "submissions": len(subs)})
    flagged, compared = analyse(current, past, threshold, jobs)
    by_id = {s.student: s for s in current + past}
    pairs = [pair_json(p, threshold) for p in flagged]
    report_dir = out / "similarity"
    report_dir.mkdir(parents=True, exist_ok=True)
    written = set()
    for p, data in zip(flagged, pairs):
        if len(written) >= MAX_REPORTS:
            data["report"] = None
            continue
        write_text(report_dir / p.report_name, render_pair(data, p, by_id[p.student_a], by_id[p.student_b],
                                                           threshold))
        written.add(p.report_name)
    for old in sorted(report_dir.glob("*__*.html")):  # pairs no longer flagged
        if old.name not in written:
            old.unlink(missing_ok=True)
    result = {
        "library": LIBRARY, "noise_k": NOISE_K, "window": WINDOW, "threshold": threshold, "min_match": MIN_MATCH,
        "boilerplate": "exercises/ (the stubs)", "students": len(current), "past_terms": past_terms,
        "compared_pairs": compared, "input_problems": problems, "pairs": pairs,
    }
    write_text(out / "similarity.csv", csv_text(pairs))
    write_json(out / "similarity.json", result)
    _add_to_summary(out, result)
    return result


def _add_to_summary(out: Path, result: dict) -> None:
    path = out / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    except (json.JSONDecodeError, OSError):
        summary = {}
    summary["similarity"] = {
        "threshold": result["threshold"], "compared_pairs": result["compared_pairs"],
        "flagged": [{k: p[k] for k in ("student_a", "student_b", "score", "share_a", "share_b", "report",
                                        "flagged_modules")} for p in result["pairs"]],
    }
    write_json(path, summary)


def after_bulk(out: Path, students, threshold: float | None = None, against=(), jobs: int = 1) -> None:
    """``bulk ... --similarity``: the class just graded (bulk's StudentFiles), compared, and with
    ``against`` (earlier terms)."""
    threshold = THRESHOLD if threshold is None else threshold
    problem = missing_library() or check_threshold(threshold)
    if problem:
        print(f"grade.sh bulk: {problem.replace('--threshold', '--similarity-threshold')}; similarity not run",
              file=sys.stderr)
        return
    try:
        result = write(Path(out), students, threshold, list(against or []), jobs=max(1, jobs))
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"grade.sh bulk: similarity not run: {exc}", file=sys.stderr)
        return
    print_result(result, Path(out))


def missing_library() -> str | None:
    import importlib.util

    if importlib.util.find_spec("copydetect") is None:
        return ("copydetect is not installed in this Python: run `pip install -r requirements.txt` "
                "(or .venv/bin/pip install copydetect==0.5.0) and try again")
    return None


def check_threshold(value: float) -> str | None:
    if not 0 < value <= 1:
        return f"--threshold must be a share between 0 and 1 (got {value:g}); the default is {THRESHOLD:g}"
    return None


def main(args) -> int:
    """./grade.sh similarity INPUT --out DIR [--threshold X] [--against PAST ...]"""
    from ..bulk.sources import discover

    if args.threshold is None:
        args.threshold = THRESHOLD
    problem = missing_library() or check_threshold(args.threshold)
    missing = [p for p in [args.input, *(args.against or [])] if not Path(p).exists()]
    if problem or missing:
        print(f"grade.sh similarity: {problem or f'{missing[0]} does not exist'}", file=sys.stderr)
        return 2
    try:
        students, problems, keep = discover(Path(args.input))
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"grade.sh similarity: {exc}", file=sys.stderr)
        return 2
    try:
        for p in problems:
            print(f"not read: {p}", file=sys.stderr)
        result = write(Path(args.out), students, args.threshold, args.against or [], jobs=max(1, args.jobs))
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"grade.sh similarity: {exc}", file=sys.stderr)
        return 2
    finally:
        if keep is not None:
            keep.cleanup()
    print_result(result, Path(args.out))
    if (Path(args.out) / "gradebook.csv").exists():  # a bulk run's folder: its page shows the pairs now
        from . import index_page

        print(f"class page: {index_page.write(Path(args.out))}", file=sys.stderr)
    return 0


def print_result(result: dict, out: Path) -> None:
    print(f"similarity: {result['students']} submissions, {result['compared_pairs']} pairs compared "
          f"({LIBRARY}, threshold {result['threshold']:g}); {len(result['pairs'])} flagged: "
          f"{out / 'similarity.csv'}", file=sys.stderr)
    for p in result["pairs"][:10]:
        print(f"  {p['score']:.2f}  {p['student_a']}  {p['student_b']}  {p['report'] or ''}", file=sys.stderr)
    if len(result["pairs"]) > MAX_REPORTS:
        print(f"  pages written for the {MAX_REPORTS} highest pairs only: is the threshold too low?", file=sys.stderr)
