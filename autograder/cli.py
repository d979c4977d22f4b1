"""The command line behind ./grade.sh.

    ./grade.sh                      self-check: grade exercises/ with the public checks
    ./grade.sh ex04 [ex05 ...]      self-check of these exercises only
    ./grade.sh grade PATH [--hidden] [--json FILE] [--gradescope FILE] [--lang en|zh] [--only ex04 ...]
    ./grade.sh bulk INPUT --out DIR [--jobs N] [--hidden] [--force] [--roster FILE] [--deadline ISO ...]
                    [--similarity] [--max-students N] [--scheduler ADDRESS]
    ./grade.sh scheduler [-- DASK_SCHEDULER_OPTION ...]   a Dask scheduler for bulk --scheduler
    ./grade.sh worker ADDRESS [--jobs N] [--show]   a grading worker of it (README: Grading on a cluster)
    ./grade.sh similarity INPUT --out DIR [--threshold X] [--against PAST ...]
    ./grade.sh stubs [--check]      regenerate exercises/ from solutions/ (or check they agree)
    ./grade.sh release OUT          the student bundle
    ./grade.sh gradescope OUT.zip   the autograder bundle for Gradescope
    ./grade.sh audit                mutants caught and correct variants accepted

Exit status: 0 whenever grading completed, whatever the score; 2 when the
grader could not grade (a missing folder, say).
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from pathlib import Path

from . import settings

ROOT = Path(__file__).resolve().parent.parent
KEEPER = "--keeper"  # the first argument of the process warm.leave_keeper() starts (cli.run reads it)
# In the student bundle (a copy without solutions/), the language last asked for with --lang is
# remembered here, beside exercises/, and used when neither --lang nor $DLGRADER_LANG says one.
LANG_FILE = ROOT / ".grade-lang"


def student_bundle() -> bool:
    return not (ROOT / "solutions").is_dir()


def chosen_language(value: str | None) -> str:
    """--lang, else $DLGRADER_LANG, else (in the student bundle) the --lang given last time, else English."""
    from .feedback import language

    if value:
        if student_bundle():
            _remember(language(value))
        return language(value)
    if settings.is_set("DLGRADER_LANG") or not student_bundle():
        return language(None)
    try:
        return language(LANG_FILE.read_text(encoding="utf-8")[:16].strip() or "en")
    except OSError:
        return "en"


def _remember(lang: str) -> None:
    try:
        if LANG_FILE.is_file() and LANG_FILE.read_text(encoding="utf-8").strip() == lang:
            return
        tmp = LANG_FILE.with_name(f".grade-lang.{os.getpid()}.tmp")
        tmp.write_text(lang + "\n", encoding="utf-8")
        os.replace(tmp, LANG_FILE)
    except OSError:
        pass  # a folder we cannot write to: the choice is simply not remembered


def cmd_grade(args, spare=None, self_check: bool = False) -> int:
    """``spare``: a worker started ahead of this run (a keeper's, see engine/warm.py)."""
    from .assignment import select_exercises
    from .engine.intake import IntakeError, locate
    from .engine.sandbox import remove_abandoned_folders
    from .grading.grade import grade
    from .reports.console import LiveLine, render_report
    from .reports.files import write_json
    from .reports.gradescope import results_json

    lang = chosen_language(args.lang)
    remove_abandoned_folders()
    live = LiveLine(lang)
    try:
        only = select_exercises(args.only)
    except ValueError as exc:
        if spare is not None:
            spare.discard()
        print(f"grade.sh: {exc}. Name them as in ./grade.sh ex04 ex05.", file=sys.stderr)
        return 2
    try:
        folder = locate(Path(args.path))
        report = grade(folder, suite="hidden" if args.hidden else "public", select=args.select, spare=spare,
                       exercises=only, progress=live)
    except (IntakeError, FileNotFoundError) as exc:
        if spare is not None:
            spare.discard()
        print(f"grade.sh: {exc}", file=sys.stderr)
        return 2
    finally:
        live.close()
    folder_of_curves = curves_folder(args, self_check)
    if folder_of_curves is not None:
        from .reports.curves import write_curves

        write_curves(report, folder_of_curves, lang)
    if args.json:
        write_json(Path(args.json), report.to_json(lang))
    if args.gradescope:
        write_json(Path(args.gradescope), results_json(report, lang))
    shown = os.path.relpath(folder) if self_check else str(Path(args.path) / folder.relative_to(args.path))
    print(render_report(report, lang, folder=shown, command=again(args, lang, self_check),
                        show_output=args.show_output))
    return 0


def curves_folder(args, self_check: bool) -> Path | None:
    """Where the pictures of failing training checks go (reports/curves.py): beside the JSON report
    (report.json: report_curves/), else, for the self-check, feedback/ beside grade.sh; none for
    the hidden checks, which show no expected values."""
    if args.hidden:
        return None
    if args.json:
        return Path(args.json).parent / f"{Path(args.json).stem}_curves"
    return ROOT / "feedback" if self_check else None


def again(args, lang: str, self_check: bool = False) -> str:
    """The command that grades the same folder the same way again, as the report's last line says it."""
    words = ["./grade.sh", *(["--lang", "zh"] if lang == "zh" else [])]
    if self_check:
        return shlex.join(words + list(args.only or []))
    words += ["grade", args.path, *(["--hidden"] if args.hidden else []),
              *(["-k", args.select] if args.select else []), *(["--only", *args.only] if args.only else [])]
    return shlex.join(words)


EXERCISE_WORD = re.compile(r"(?i)ex\d+|mnist")


def exercise_words(argv: list[str]) -> list[str]:
    """``./grade.sh ex04 ex05 [--lang zh]``, the self-check of those exercises, read as
    ``--only ex04 ex05 [--lang zh]``; any other command line as it is."""
    names = [w for w in argv if EXERCISE_WORD.fullmatch(w)]
    if not names or "--only" in argv or any(w in parser_commands() for w in argv):
        return argv
    return ["--only", *names, *(w for w in argv if w not in names)]


def parser_commands() -> set[str]:
    return {"grade", "bulk", *INSTRUCTOR_COMMANDS}


def cmd_stubs(args) -> int:
    from .stubs import check_stubs, write_stubs

    if args.check:
        problems = check_stubs()
        for line in problems:
            print(line, file=sys.stderr)
        if problems:
            print("Run ./grade.sh stubs to regenerate exercises/ from solutions/.", file=sys.stderr)
            return 1
        print("exercises/ matches solutions/.")
        return 0
    for path in write_stubs():
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


def cmd_bulk(args) -> int:
    from .bulk.cluster import on_cluster
    from .bulk.run import grade_class
    from .bulk.sources import shown
    from .course.bulk_hooks import Course
    from .feedback import language

    try:
        course = Course.from_args(args)  # roster and late options, checked before anything is read or graded
    except (FileNotFoundError, ValueError, OSError) as exc:
        print(f"grade.sh bulk: {shown(str(exc))}", file=sys.stderr)
        return 2
    return grade_class(args.input, args.out, jobs=args.jobs, hidden=args.hidden, force=args.force,
                       lang=language(args.lang), max_students=args.max_students, course=course,
                       similarity=args.similarity, similarity_threshold=args.similarity_threshold,
                       against=args.against, grade_all=on_cluster(args.scheduler) if args.scheduler else None)


def cmd_worker(args) -> int:
    from .bulk.cluster import start_worker

    rest = list(args.dask_args)  # what follows ADDRESS: our options, then (after --) those of dask worker
    extra = rest[rest.index("--") + 1:] if "--" in rest else []
    again = argparse.ArgumentParser(prog="grade.sh worker")
    again.add_argument("--jobs", type=int, default=args.jobs)
    again.add_argument("--show", action="store_true", default=args.show)
    known, theirs = again.parse_known_args(rest[:rest.index("--")] if "--" in rest else rest)
    return start_worker(args.address, jobs=known.jobs, extra=theirs + extra, show=known.show)


def cmd_scheduler(args) -> int:
    from .bulk.cluster import start_scheduler

    rest = list(args.dask_args)
    return start_scheduler(rest[1:] if rest[:1] == ["--"] else rest)


def cmd_similarity(args) -> int:
    from .course.similarity import main as similarity_main

    return similarity_main(args)


def cmd_release(args) -> int:
    from .release import build_release

    out = build_release(Path(args.out))
    print(f"student bundle written to {out}")
    return 0


def cmd_gradescope(args) -> int:
    from .gradescope_bundle import build_bundle

    out = build_bundle(Path(args.out))
    print(f"Gradescope autograder bundle written to {out}: upload it as the assignment's autograder.")
    return 0


def cmd_audit(args) -> int:
    from .audit import main as audit_main

    return audit_main(jobs=args.jobs, scope=args.scope)


INSTRUCTOR_COMMANDS = {"stubs", "release", "gradescope", "audit", "similarity", "worker", "scheduler"}


STUDENT_USAGE = """\
what you run:
  ./grade.sh                  check your exercises/ with the public checks
  ./grade.sh --lang zh        the same, feedback in Chinese (remembered for the next runs; --lang en goes back)
  ./grade.sh --show-output    also show what your code printed, under each check that failed
  ./grade.sh grade FOLDER     check the exNN_*.py files of another folder
Ctrl-C stops a check at any time."""


def parser() -> argparse.ArgumentParser:
    bundle = student_bundle()
    p = argparse.ArgumentParser(prog="grade.sh", description="Grade the PyTorch workflow homework. "
                                "./grade.sh ex04 [ex05 ...] checks only those exercises.",
                                epilog=(STUDENT_USAGE + "\n\n" + settings.help_text(("everyone",))) if bundle
                                else settings.help_text(),
                                formatter_class=argparse.RawDescriptionHelpFormatter)

    def listed(text: str) -> dict:
        """In the student bundle, the instructors' commands are not listed in --help (they still
        answer that they are for instructors)."""
        return {} if bundle else {"help": text}

    p.add_argument("--lang", choices=["en", "zh"],
                   help="feedback language (default: $DLGRADER_LANG, else " + ("the --lang given last time, else "
                                                                              if bundle else "") + "en)")
    p.add_argument("--show-output", action="store_true",
                   help="show what your code printed, under each check that failed")
    p.add_argument("--only", nargs="+", metavar="EXERCISE", help=argparse.SUPPRESS)  # ./grade.sh ex04 ex05
    sub = p.add_subparsers(dest="command", **({"metavar": "{grade}"} if bundle else {}))

    g = sub.add_parser("grade", help="grade one submission folder")
    g.add_argument("path", help="a folder with the exNN_*.py files, directly or under exercises/")
    g.add_argument("--hidden", action="store_true",
                   help=argparse.SUPPRESS if bundle else "grade with the hidden checks")
    g.add_argument("--json", metavar="FILE", help="write the JSON report here")
    g.add_argument("--gradescope", metavar="FILE",
                   help=argparse.SUPPRESS if bundle else "write Gradescope's results.json here")
    g.add_argument("--lang", choices=["en", "zh"], default=argparse.SUPPRESS, help="as the --lang before grade")
    g.add_argument("-k", dest="select", metavar="EXPR", help="only checks whose name matches (pytest -k)")
    g.add_argument("--only", nargs="+", metavar="EXERCISE",
                   help="only these exercises' checks (ex04 ex05 ...); the total is over them")
    g.add_argument("--show-output", action="store_true", default=argparse.SUPPRESS,
                   help="as the --show-output before grade")
    g.set_defaults(func=cmd_grade)

    s = sub.add_parser("stubs", **listed("generate exercises/ from solutions/"))
    s.add_argument("--check", action="store_true", help="fail when a stub and its solution drift apart")
    s.set_defaults(func=cmd_stubs)

    b = sub.add_parser("bulk", **listed("grade a whole class"))
    b.add_argument("input", help="a folder or zip of submissions")
    b.add_argument("--out", required=True, help="folder for the gradebook and feedback")
    b.add_argument("--jobs", type=int, default=2)
    b.add_argument("--hidden", action="store_true")
    b.add_argument("--force", action="store_true", help="regrade everything")
    b.add_argument("--lang", choices=["en", "zh"], default=argparse.SUPPRESS, help="as the --lang before bulk")
    lms = b.add_argument_group("LMS gradebook, late policy (see README: Into the LMS, Late submissions)")
    lms.add_argument("--roster", metavar="FILE",
                     help="Canvas gradebook export (Student, ID, SIS User ID, SIS Login ID, Section, ...): "
                          "also write DIR/gradebook.canvas.csv to import into Canvas, and DIR/unmatched.csv")
    lms.add_argument("--assignment", metavar="NAME",
                     help="the assignment column of gradebook.canvas.csv (default: 'DL workflow homework'; "
                          "'Name (12345)' as in Canvas's export updates that existing assignment)")
    lms.add_argument("--deadline", metavar="ISO8601",
                     help="the deadline, e.g. 2026-12-01T23:59:00-05:00; a time without a zone is UTC")
    lms.add_argument("--late-penalty", type=float, metavar="X",
                     help="percent of the maximum score taken per started hour or day late (see --per)")
    lms.add_argument("--per", choices=["hour", "day"], default=None, help="the unit of --late-penalty (default: day)")
    lms.add_argument("--grace", type=float, metavar="MINUTES",
                     help="minutes after the deadline that count as on time; lateness is counted from their end")
    lms.add_argument("--late-cap", type=float, metavar="X", help="the most penalty, in percent of the maximum score")
    lms.add_argument("--extensions", metavar="CSV",
                     help="per-student deadlines: header student,deadline (ISO 8601) or student,hours (added)")
    lms.add_argument("--times", metavar="CSV",
                     help="submission times, header student,submitted_at (ISO 8601); they replace the export's")
    b.add_argument("--similarity", action="store_true",
                   help="also compare every pair of submissions for copied code (see ./grade.sh similarity)")
    b.add_argument("--similarity-threshold", type=float, default=None, metavar="X",
                   help="with --similarity: the share of matching code that flags a pair (default 0.7)")
    b.add_argument("--against", nargs="+", default=[], metavar="PAST",
                   help="with --similarity: earlier terms' submissions, compared with this class only")
    b.add_argument("--max-students", type=int, default=5000, metavar="N",
                   help="refuse, before grading, an input with more than N submissions (a class zip: more than "
                        "10*N members); default 5000")
    b.add_argument("--scheduler", metavar="ADDRESS", default=None,
                   help="grade on the workers of this Dask scheduler (e.g. tcp://10.0.0.5:8786) rather than "
                        "here; results are written here as they come back (README: Grading on a cluster)")
    b.set_defaults(func=cmd_bulk)

    w = sub.add_parser("worker", **listed("a grading worker of a Dask cluster, for bulk --scheduler"))
    w.add_argument("address", help="the Dask scheduler's address, e.g. tcp://10.0.0.5:8786")
    w.add_argument("--jobs", type=int, default=1, help="submissions graded at a time on this node (default 1)")
    w.add_argument("--show", action="store_true",
                   help="only print the dask worker command and its environment (for job scripts, containers)")
    w.add_argument("dask_args", nargs=argparse.REMAINDER, metavar="-- DASK_WORKER_OPTION",
                   help="after --: more options for dask worker (e.g. -- --name node1 --local-directory /scratch)")
    w.set_defaults(func=cmd_worker)

    c = sub.add_parser("scheduler", **listed("a Dask scheduler for bulk --scheduler, with this kit on its path"))
    c.add_argument("dask_args", nargs=argparse.REMAINDER, metavar="-- DASK_SCHEDULER_OPTION",
                   help="options for dask scheduler, e.g. -- --host 10.0.0.5 --port 8786")
    c.set_defaults(func=cmd_scheduler)

    m = sub.add_parser("similarity", **listed("find copied code between submissions (and earlier terms)"))
    m.add_argument("input", help="a folder or zip of submissions, as for bulk")
    m.add_argument("--out", required=True, help="folder for similarity.csv/.json and the per-pair pages")
    m.add_argument("--threshold", type=float, default=None, metavar="X",
                   help="share of a submission's (or one module's) own code that must match to flag a pair "
                        "(default 0.7; README 'Copied code' says how it was measured)")
    m.add_argument("--against", nargs="+", default=[], metavar="PAST",
                   help="folders or zips of earlier terms: compared with this class, not with each other")
    m.add_argument("--jobs", type=int, default=2, help="processes that fingerprint and compare")
    m.set_defaults(func=cmd_similarity)

    r = sub.add_parser("release", **listed("write the student bundle"))
    r.add_argument("out")
    r.set_defaults(func=cmd_release)

    z = sub.add_parser("gradescope", **listed("write the autograder zip to upload to Gradescope"))
    z.add_argument("out", help="the zip file to write, e.g. autograder.zip")
    z.set_defaults(func=cmd_gradescope)

    a = sub.add_parser("audit", **listed("grade the mutants and the correct variants"))
    a.add_argument("--jobs", type=int, default=2)
    a.add_argument("--scope", choices=["quick", "full"], default=None,
                   help="quick: mutants packed into shared submissions (default, or $DLGRADER_AUDIT_SCOPE); "
                        "full: one submission per mutant, every check")
    a.set_defaults(func=cmd_audit)
    return p


def run() -> None:
    """``python -m autograder``. ``grade`` is handed to a keeper that a previous run left warm
    when one waits (engine/warm.py), and leaves one for the next run. Once everything is
    written and printed, ``grade`` ends without tearing down torch's modules one by one
    (about a second the student would wait for)."""
    from .engine import warm

    argv = exercise_words(sys.argv[1:])
    refuse_bad_settings()
    if argv[:1] == [KEEPER]:  # started by warm.leave_keeper(): wait for the next run and grade it
        warm.keep(float(argv[1]) * 60, prepare=_prepare_keeper, run=_keeper_run)
        sys.exit(0)
    if parser().parse_args(argv).command not in (None, "grade"):
        sys.exit(main(argv))
    environment = dict(os.environ)  # as we found it: grading sets a few variables of its own
    import signal

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not where Ctrl-C is ignored (nohup, &)
        signal.signal(signal.SIGINT, _ctrl_c)
    try:
        code = warm.hand_over(argv)
        if code is None:
            code = main(argv)
    except KeyboardInterrupt:
        interrupted(argv)
    sys.stdout.flush()
    sys.stderr.flush()
    warm.leave_keeper(environment, [sys.executable, "-m", "autograder", KEEPER])
    os._exit(code)


def _ctrl_c(signum, frame):
    """Ctrl-C: the worker ends at once (not after grading has unwound), then KeyboardInterrupt."""
    import signal

    from .engine.descendants import kill_all

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C does not cut the clean-up short
    kill_all()  # the worker and what it started, wherever it is now
    raise KeyboardInterrupt


def interrupted(argv: list[str]) -> None:
    """Ctrl-C: end every process this run started (the worker and what it started; _ctrl_c and
    grading's own clean-up have usually done so already), say so in one line, and end without a
    traceback and without leaving a keeper (a keeper serving this run ends when we do, engine/warm.py)."""
    import signal

    from .engine.descendants import kill_all

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    kill_all()
    from .feedback import Msg, render

    lang = None
    for i, word in enumerate(argv):
        if word == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif word.startswith("--lang="):
            lang = word.split("=", 1)[1]
    try:
        sys.stderr.write("\n" + render(Msg("console.interrupted"), chosen_language(lang)) + "\n")
        sys.stderr.flush()
    except OSError:
        pass
    os._exit(130)


def _prepare_keeper():
    """What a keeper does before it waits: start the worker for the run it will serve, and import
    what grading and its reports need. Returns that worker (a Spare)."""
    from .grading.grade import start_spare

    spare = start_spare()  # first: the worker imports torch while we import the rest
    from .grading import plugin, runner  # noqa: F401
    from .reports import console, files, gradescope  # noqa: F401

    return spare


def _keeper_run(argv: list[str], spare) -> int:
    """The one run a keeper serves: ``grade`` (or the self-check) only, with its spare worker."""
    if parser().parse_args(exercise_words(argv)).command not in (None, "grade"):
        spare.discard()
        return 2  # a keeper grades, nothing else
    return main(argv, spare=spare)


def refuse_bad_settings() -> None:
    """Stop, before anything is graded, when a DLGRADER_* variable holds a value it cannot use."""
    problems = settings.check_all()
    for line in problems:
        print(f"grade.sh: {line}", file=sys.stderr)
    if problems:
        sys.exit(2)


def main(argv: list[str] | None = None, spare=None) -> int:
    """``spare``: a worker started ahead of a ``grade`` run (a keeper's)."""
    refuse_bad_settings()
    args = parser().parse_args(exercise_words(sys.argv[1:] if argv is None else argv))
    self_check = args.command is None
    if self_check:  # the student's self-check
        args = parser().parse_args(["grade", str(ROOT / "exercises"), *(["--lang", args.lang] if args.lang else []),
                                    *(["--only", *args.only] if args.only else []),
                                    *(["--show-output"] if args.show_output else [])])
    try:
        if args.command == "grade":
            return cmd_grade(args, spare=spare, self_check=self_check)
        return args.func(args)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("autograder.") and args.command in INSTRUCTOR_COMMANDS:
            print(f"grade.sh {args.command}: this command is for instructors and is not part of the student "
                  "bundle. Run ./grade.sh to check your exercises.", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
