"""Every ``DLGRADER_*`` environment variable the kit reads, in one place: its type, its default
and one line of help. ``./grade.sh --help`` prints this table, and the code reads a setting only
through :func:`value`, so a setting cannot be read with another default in another module
(tests/test_settings.py fails when a ``DLGRADER_*`` name appears that is not declared here).

A value is read from the environment each time it is asked for, so a test or a keeper that
changes the environment sees the change. A value that cannot be read (``DLGRADER_CALL_SECONDS=abc``)
raises :class:`SettingError`, whose message says what the variable expects; the command line
prints it and stops before grading anything.
"""
from __future__ import annotations

import os
import textwrap
from dataclasses import dataclass


class SettingError(ValueError):
    """An environment variable of the kit holds a value it cannot use."""


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # "number" (a float >= 0), "text", or "choice" (one of ``choices``)
    default: object
    help: str
    choices: tuple[str, ...] = ()
    who: str = "everyone"  # "everyone", "ta" (bulk, audit, the grading machine) or "tests" (the kit's own suite)

    def read(self, raw: str | None):
        """The typed value of ``raw`` (the environment's string, None when unset)."""
        if raw is None or raw.strip() == "":
            return self.default
        text = raw.strip()
        if self.kind == "number":
            try:
                number = float(text)
            except ValueError:
                number = -1.0
            if not number >= 0:  # also refuses nan
                raise SettingError(f"{self.name}={raw!r}: expected a number of at least 0 ({self.help}); "
                                   f"unset it to use the default, {self.default}.")
            return number
        if self.kind == "choice":
            if text.lower() not in self.choices:
                raise SettingError(f"{self.name}={raw!r}: expected one of {', '.join(self.choices)} ({self.help}); "
                                   "unset it to use the default.")
            return text.lower()
        return text


SETTINGS: tuple[Setting, ...] = (
    Setting("DLGRADER_LANG", "text", "en",
            "feedback language when --lang is not given: en, or zh (also zh_CN, zh-CN.UTF-8)"),
    Setting("DLGRADER_KEEP_WARM", "number", 15.0,
            "minutes a grader stays ready after ./grade.sh for the next run; 0 turns that off"),
    Setting("DLGRADER_ISOLATION", "choice", "",
            "how student code is confined: unset uses bubblewrap where it works, else the process fallback; "
            "'process' forces the fallback; 'none' only a child process (for debugging the kit)",
            choices=("process", "none")),
    Setting("DLGRADER_PRELOADED_WORKERS", "choice", "1",
            "1: bulk's grader processes and the keeper fork each worker from a preloaded, confined parent "
            "(under bubblewrap); always: every run does; 0: every worker is a fresh interpreter",
            choices=("1", "0", "always", "on", "off", "yes", "no", "true", "false")),
    Setting("DLGRADER_CALL_SECONDS", "number", 120.0,
            "seconds one call into student code may take before it is stopped"),
    Setting("DLGRADER_SUBMISSION_SECONDS", "number", 900.0,
            "seconds all of a submission's checks may take together"),
    Setting("DLGRADER_GRADER_SECONDS", "number", 30.0,
            "seconds the grader's own work on one check may take (reference values, comparing)"),
    Setting("DLGRADER_MEMORY_MB", "number", 3072.0,
            "memory the worker running student code may use, in MB"),
    Setting("DLGRADER_DISK_MB", "number", 1024.0,
            "disk the worker's folder (its /tmp included) may fill, in MB"),
    Setting("DLGRADER_MAX_REPLY_MB", "number", 256.0,
            "largest tensor data the grader reads back from the worker in one reply, in MB"),
    Setting("DLGRADER_WORKER_UID", "text", "",
            "user id a root grader runs student code as (default: the user nobody)", who="ta"),
    Setting("DLGRADER_WORKER_GID", "text", "",
            "group id for that user (default: nobody's group)", who="ta"),
    Setting("DLGRADER_CLUSTER_WAIT_SECONDS", "number", 120.0,
            "bulk --scheduler: seconds to wait for the first grading worker of the cluster", who="ta"),
    Setting("DLGRADER_AUDIT_SCOPE", "choice", "quick",
            "./grade.sh audit: quick packs mutants into shared submissions; full grades each one alone",
            choices=("quick", "full"), who="ta"),
    Setting("DLGRADER_REQUIRE_BWRAP", "text", "",
            "1: the kit's tests fail, instead of grading under the fallback, where bubblewrap or chromium "
            "is missing (CI sets it)", who="tests"),
    Setting("DLGRADER_AUDIT_OUT", "text", "",
            "a folder: tests/test_audit.py keeps the audit's classes, results and verdict there", who="tests"),
    Setting("DLGRADER_KEEP_SCREENSHOT", "text", "",
            "a file: tests/test_index_page.py copies its screenshot of the TA's page there", who="tests"),
)
BY_NAME = {s.name: s for s in SETTINGS}


def setting(name: str) -> Setting:
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"{name} is not a setting of the kit: declare it in autograder/settings.py") from None


def value(name: str):
    """The value of setting ``name`` now: the environment's, typed, else its default."""
    return setting(name).read(os.environ.get(name))


def is_set(name: str) -> bool:
    """Whether the environment gives setting ``name`` a value (not empty)."""
    setting(name)
    return bool(os.environ.get(name, "").strip())


def default(name: str):
    return setting(name).default


def check_all(environ=None) -> list[str]:
    """One message per setting that is set to a value it cannot use."""
    environ = os.environ if environ is None else environ
    problems = []
    for s in SETTINGS:
        try:
            s.read(environ.get(s.name))
        except SettingError as exc:
            problems.append(str(exc))
    return problems


def help_text(who: tuple[str, ...] = ("everyone", "ta")) -> str:
    """The table ``./grade.sh --help`` prints: each setting, its default, what it does."""
    lines = ["environment variables:"]
    for s in SETTINGS:
        if s.who not in who:
            continue
        shown = s.default if s.default != "" else "unset"
        if isinstance(shown, float) and shown.is_integer():
            shown = int(shown)
        lines.append(f"  {s.name} (default {shown})")
        lines += textwrap.wrap(s.help, width=96, initial_indent=" " * 6, subsequent_indent=" " * 6)
    return "\n".join(lines)
