"""Who each submission is, read from the LMS's own export (as text, never run).

A Canvas download names its files ``name[_LATE]_userid_submissionid_file``: the Canvas user
id matches the roster's ``ID`` column and ``_LATE`` is Canvas's own late mark (the download
carries no time). A Gradescope export's ``submission_metadata.yml`` names the submitters
(``:sid:``, ``:email:``, ``:name:``) and the time of each submission (``:created_at:``).
Student ids are derived exactly as ``autograder/bulk/sources.py`` derives them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..assignment import FILENAMES
from ..bulk.sources import _clean

# sources.CANVAS with the _LATE mark as a group of its own.
CANVAS_NAME = re.compile(r"^(?P<name>[A-Za-z0-9\-]+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<sid>\d+)_(?P<file>.+)$")


@dataclass
class Identity:
    student: str
    source: str = "folder"  # folder | canvas | gradescope
    aliases: set = field(default_factory=set)  # other names the TA's CSV files may use
    canvas_uid: str | None = None
    canvas_late: bool = False
    created_at: object = None  # Gradescope's :created_at:, as read (str or datetime), or None


def key(text) -> str:
    """How ids are compared: as a file-name-safe, case-folded string."""
    return _clean(str(text).strip()).casefold()


def input_root(input_path: Path, keep) -> Path:
    """The folder discover() read: INPUT itself, or the unpacked class zip (and its one folder)."""
    root = Path(keep.name) if keep is not None else Path(input_path)
    if keep is not None:
        entries = [e for e in root.iterdir() if e.name != "__MACOSX"]
        if len(entries) == 1 and entries[0].is_dir() and not (entries[0] / "submission_metadata.yml").exists() \
                and not any((entries[0] / n).exists() for n in FILENAMES):
            root = entries[0]
    return root


def scan(root: Path, students: list[str]) -> dict[str, Identity]:
    """An Identity for each student id of the run (those the export says nothing about: folders)."""
    found: dict[str, Identity] = {}
    meta_path = root / "submission_metadata.yml"
    if meta_path.exists():
        found.update(_gradescope(root, meta_path))
    elif root.is_dir():
        found.update(_canvas(root))
    out = {}
    for s in students:
        ident = found.get(s) or Identity(s)
        ident.aliases.add(s)
        out[s] = ident
    return out


def _gradescope(root: Path, meta_path: Path) -> dict[str, Identity]:
    import yaml

    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError):
        meta = {}
    if not isinstance(meta, dict):
        meta = {}
    out = {}
    for folder in sorted(root.glob("submission_*")):
        if not folder.is_dir() or folder.is_symlink():
            continue
        info = meta.get(folder.name) or {}
        if not isinstance(info, dict):
            info = {}
        submitters = info.get(":submitters") or info.get("submitters") or []
        people = [s for s in submitters if isinstance(s, dict)] if isinstance(submitters, list) else []
        ids = [str(s.get(":sid") or s.get(":email") or s.get(":name") or "") for s in people]
        student = _clean("+".join(i for i in ids if i) or folder.name)
        ident = Identity(student, "gradescope", {folder.name})
        for person in people:
            for k in (":sid", ":email", ":name", "sid", "email", "name"):
                if person.get(k):
                    ident.aliases.add(str(person[k]))
        ident.created_at = info.get(":created_at", info.get("created_at"))
        out[student] = ident
    return out


def _canvas(root: Path) -> dict[str, Identity]:
    out: dict[str, Identity] = {}
    for f in sorted(root.iterdir()):
        m = CANVAS_NAME.match(f.name)
        if not m or not f.is_file():
            continue
        student = _clean(f"{m.group('name')}_{m.group('uid')}")
        ident = out.setdefault(student, Identity(student, "canvas", {m.group("uid"), m.group("name")},
                                                 canvas_uid=m.group("uid")))
        ident.canvas_late = ident.canvas_late or bool(m.group("late"))
    return out


def parse_time(value, what: str) -> datetime:
    """An ISO 8601 time (``2026-12-01T23:59:00-05:00``, ``...Z``, a space for the ``T``, and
    Gradescope's ``2026-12-01 23:59:00.123456789 -0800``); without a zone it is UTC.
    Raises ValueError that says what was wrong and what to write instead."""
    from datetime import timezone

    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    text = str(value).strip()
    m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*(Z|UTC|[+-]\d{2}:?\d{2})?",
                     text, flags=re.IGNORECASE)
    if not m:
        raise ValueError(f"{what}: {text!r} is not a date and time; write ISO 8601 such as "
                         "2026-12-01T23:59:00-05:00 (no zone means UTC)")
    date, clock, frac, zone = m.groups()
    if len(clock) == 5:
        clock += ":00"
    stamp = f"{date}T{clock}"
    if frac:
        stamp += "." + (frac + "000000")[:6]
    if not zone or zone.upper() in ("Z", "UTC"):
        stamp += "+00:00"
    else:
        stamp += zone if ":" in zone else f"{zone[:3]}:{zone[3:]}"
    try:
        return datetime.fromisoformat(stamp)
    except ValueError as exc:
        raise ValueError(f"{what}: {text!r} is not a valid date and time ({exc})") from None
