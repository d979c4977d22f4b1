"""Finding each student's files in what an LMS exports.

Accepted INPUT: a folder of per-student folders; a folder of per-student zip
files; one zip of any of these; a Canvas flat download
(``name_userid_submissionid_file.py``, grouped by user id); a Gradescope
export (``submission_metadata.yml`` with ``submission_*/`` folders). Zips are
read in memory with the allow-list of file names: absolute or ``..`` paths,
links and oversized or over-compressed members are refused.

Nobody is lost: every student id is unique (ids that clean to the same text, or
differ only in case, get ``-2``, ``-3``... in sorted order of the names they
came from, and the collision is a problem line), and whatever cannot be read is
a problem line rather than an exception. Names keep their letters in any
script; characters unsafe in a file name become ``_``, and control characters in
any text shown to the TA are escaped. A class with more than ``max_students``
submissions (or a class zip with more members than ``10 * max_students``) is
refused before anything is read or graded.
"""
from __future__ import annotations

import hashlib
import io
import os
import re
import stat
import tempfile
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..assignment import FILENAMES
from ..engine.intake import CONFIG_NAMES, MAX_FILE_BYTES

MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
MAX_STUDENTS = 5000  # --max-students
ZIP_MEMBERS_PER_STUDENT = 10  # a class zip may hold 10 members per student allowed: 50,000 by default
MAX_STUDENT_ZIP_MEMBERS = 10_000  # one student's zip
MAX_METADATA_BYTES = 5 * 1024 * 1024  # submission_metadata.yml
MAX_ID_CHARS, MAX_ID_BYTES = 100, 200  # a file name holds 255 bytes: room for "-N", ".json" and a temporary name
METADATA = "submission_metadata.yml"
# Canvas: name_userid_submissionid_file (name_late_... when late). The name is any text without
# "_" or spaces, in any script.
CANVAS = re.compile(r"^(?P<name>[^_\s/\\]+?)(?:_late)?_(?P<uid>[0-9]+)_(?P<sid>[0-9]+)_(?P<file>.+)$", re.IGNORECASE)


@dataclass
class StudentFiles:
    student: str
    files: dict = field(default_factory=dict)  # name -> bytes, or None when not a regular file
    problems: list = field(default_factory=list)  # why (part of) the submission could not be read
    source: str = ""  # the name the id was made from (folder, zip, Canvas prefix, Gradescope submitters)


def submission_hash(student: StudentFiles, version: str) -> str:
    """What was graded, with which checks (``version``): a result with this hash is up to date."""
    h = hashlib.sha256(version.encode())
    for name in sorted(student.files):
        data = student.files[name]
        h.update(name.encode() + b"\0" + (b"<not a file>" if data is None else hashlib.sha256(data).digest()))
    for p in student.problems:
        h.update(p.encode())
    return h.hexdigest()


class UnsafeArchive(ValueError):
    """A ValueError, so that a refused class archive ends the run with a clear message."""


class TooManySubmissions(ValueError):
    """The class input holds more entries than the limits allow: refused before anything is graded."""


# What reading a corrupt, encrypted or lying archive member raises.
ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, ValueError, OSError)
# What reading a student's folder or file may raise (a folder we may not list, a file that vanished...).
READ_ERRORS = (OSError, ValueError, UnicodeError, RecursionError)


def shown(text: str) -> str:
    """Student-derived text made safe to print or write on one line: control and format characters
    (ANSI and OSC escapes, bidirectional overrides, newlines) and undecodable bytes are escaped."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in str(text))


def _describe(exc: BaseException) -> str:
    return shown(getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    try:
        with archive.open(info) as src:
            return src.read(limit)
    except ZIP_READ_ERRORS as exc:
        raise UnsafeArchive(f"{info.filename!r} cannot be read from the archive ({exc})") from None


def _safe_member(info: zipfile.ZipInfo) -> PurePosixPath:
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in path.parts:
        raise UnsafeArchive(f"unsafe path in archive: {info.filename!r}")
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafeArchive(f"symbolic link in archive: {info.filename!r}")
    if info.file_size > MAX_ZIP_BYTES or (info.compress_size and info.file_size / info.compress_size > MAX_RATIO
                                          and info.file_size > 1024 * 1024):
        raise UnsafeArchive(f"member too large or over-compressed (zip bomb?): {info.filename!r}")
    return path


def _open_zip(data_or_path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(data_or_path if not isinstance(data_or_path, bytes) else io.BytesIO(data_or_path))
    except (*ZIP_READ_ERRORS, NotImplementedError) as exc:
        raise UnsafeArchive(f"not a readable zip file ({exc})") from None


def read_zip(data_or_path) -> dict[str, bytes | None]:
    """The assignment's files in a zip, by base name, shallowest first. Raises UnsafeArchive."""
    with _open_zip(data_or_path) as archive:
        infos = archive.infolist()
        if len(infos) > MAX_STUDENT_ZIP_MEMBERS:
            raise UnsafeArchive(f"the archive holds {len(infos)} members, more than the limit of "
                                f"{MAX_STUDENT_ZIP_MEMBERS} for one submission")
        if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
            raise UnsafeArchive("the archive unpacks to more than 200 MB")
        found: dict[str, tuple[int, bytes | None]] = {}
        for info in infos:
            path = _safe_member(info)
            if info.is_dir() or path.name not in FILENAMES | set(CONFIG_NAMES):
                continue
            if "__MACOSX" in path.parts:
                continue
            depth = len(path.parts)
            if path.name in found and found[path.name][0] <= depth:
                continue
            data = _read_member(archive, info, MAX_FILE_BYTES + 1) if info.file_size <= MAX_FILE_BYTES \
                else b"\0" * (MAX_FILE_BYTES + 1)
            found[path.name] = (depth, data)
        return {name: data for name, (_, data) in found.items()}


def _read_file(path: Path) -> bytes | None:
    """A regular file's first MAX_FILE_BYTES + 1 bytes; None for a link or anything else (a FIFO is never opened)."""
    st = os.lstat(path)
    if not stat.S_ISREG(st.st_mode):
        return None
    with open(path, "rb") as fh:
        return fh.read(MAX_FILE_BYTES + 1)


def _folder_files(folder: Path) -> dict[str, bytes | None]:
    """Files of a student's folder (directly or under exercises/ or one nested folder)."""
    candidates = [folder, folder / "exercises",
                  *[d for d in sorted(folder.iterdir()) if d.is_dir() and not d.is_symlink()]]
    for cand in candidates:
        if cand.is_dir() and any((cand / n).exists() or (cand / n).is_symlink() for n in FILENAMES):
            folder = cand
            break
    files = {}
    for entry in folder.iterdir():
        if entry.name not in FILENAMES and entry.name not in CONFIG_NAMES and not entry.name.endswith(".py") \
                and not entry.name.endswith(".pth") and entry.name != "__pycache__":
            continue
        # Names outside the allow-list are only named in the notes: shown safely there.
        files[entry.name if entry.name in FILENAMES else shown(entry.name)] = _read_file(entry)
    return files


# --- Gradescope ----------------------------------------------------------------------------
MAX_METADATA_DEPTH = 50


def _metadata_loader():
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        """YAML without anchors or aliases, nested at most MAX_METADATA_DEPTH deep: a "billion
        laughs" file is refused at its first anchor."""

        depth = 0

        def compose_node(self, parent, index):
            event = self.peek_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise yaml.composer.ComposerError(None, None, "anchors and aliases (& and *) are not accepted",
                                                  event.start_mark)
            if self.depth >= MAX_METADATA_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_METADATA_DEPTH} levels",
                                                  event.start_mark)
            self.depth += 1
            try:
                return super().compose_node(parent, index)
            finally:
                self.depth -= 1

    return NoAliasLoader


def _load_metadata(text: str):
    """YAML without anchors or aliases and nested at most MAX_METADATA_DEPTH deep. With libyaml
    (ten times faster) its events are checked first, then the file is loaded; else NoAliasLoader."""
    import yaml

    c_loader = getattr(yaml, "CSafeLoader", None)
    if c_loader is None:
        return yaml.load(text, Loader=_metadata_loader())  # noqa: S506 (a SafeLoader)
    depth = 0
    for event in yaml.parse(text, Loader=c_loader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, "anchors and aliases (& and *) are not accepted",
                                              event.start_mark)
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            if depth > MAX_METADATA_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_METADATA_DEPTH} levels",
                                                  event.start_mark)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
    return yaml.load(text, Loader=c_loader)  # noqa: S506 (libyaml's SafeLoader)


def read_metadata(path: Path) -> tuple[dict, list[str]]:
    """(submission folder -> its entry, problems). Any problem leaves {}: folder names are then the ids."""
    import yaml

    fallback = "; folder names used as ids"
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode):
            return {}, [f"{METADATA} is not a regular file, not read{fallback}"]
        if st.st_size > MAX_METADATA_BYTES:
            return {}, [f"{METADATA} is larger than the limit of {MAX_METADATA_BYTES // 2**20} MB, not read{fallback}"]
        with open(path, "rb") as fh:
            data = fh.read(MAX_METADATA_BYTES + 1)
        if len(data) > MAX_METADATA_BYTES:
            return {}, [f"{METADATA} is larger than the limit of {MAX_METADATA_BYTES // 2**20} MB, not read{fallback}"]
        meta = _load_metadata(data.decode("utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        why = getattr(exc, "problem", None) or " ".join(str(exc).split())
        return {}, [f"{METADATA} could not be read ({shown(why)[:200]}{where}){fallback}"]
    except UnicodeDecodeError as exc:
        return {}, [f"{METADATA} is not UTF-8 text (byte {exc.start}){fallback}"]
    except READ_ERRORS as exc:  # too deeply nested, a number with too many digits, unreadable
        return {}, [f"{METADATA} could not be read ({type(exc).__name__}: {_describe(exc)[:200]}){fallback}"]
    if meta is None:
        return {}, []
    if not isinstance(meta, dict):
        return {}, [f"{METADATA} holds a {type(meta).__name__} where a mapping of submission folders is "
                    f"expected{fallback}"]
    return meta, []


def _submitter_ids(folder: str, info) -> tuple[str | None, str | None]:
    """(the id from the folder's entry in the metadata or None, a problem or None)."""
    if info is None:
        return None, f"{folder}: not in {METADATA}; the folder name is used as its id"
    bad = f"{folder}: its entry in {METADATA} is not as Gradescope writes it ({{}}); the folder name is used as its id"
    if not isinstance(info, dict):
        return None, bad.format(f"a {type(info).__name__}, not a mapping")
    submitters = info.get(":submitters", info.get("submitters"))
    if not isinstance(submitters, list) or not submitters:
        return None, bad.format(f"':submitters' is {'missing' if submitters is None else repr(submitters)[:60]}, "
                                "not a list of submitters")
    ids = []
    for s in submitters:
        value = next((s.get(k) for k in (":sid", ":email", ":name", "sid", "email", "name") if s.get(k)), None) \
            if isinstance(s, dict) else None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            return None, bad.format("a submitter without a :sid, :email or :name of text")
        ids.append(str(value))
    return "+".join(ids), None


def _gradescope(root: Path) -> tuple[list[StudentFiles], list[str]]:
    meta, problems = read_metadata(root / METADATA)
    out = []
    for folder in sorted(root.glob("submission_*")):
        if folder.is_symlink():
            problems.append(f"{folder.name}: a symbolic link, not read")
            continue
        if not folder.is_dir():
            continue
        student = None
        if meta:
            student, problem = _submitter_ids(folder.name, meta.get(folder.name))
            if problem:
                problems.append(problem)
        out.append(_student_folder(folder, student or folder.name, source=folder.name))
    return out, problems


# --- Canvas and plain folders ----------------------------------------------------------------
def _canvas(files: list[Path]) -> list[StudentFiles]:
    groups: dict[str, StudentFiles] = {}
    for f in sorted(files):
        m = CANVAS.match(unicodedata.normalize("NFC", f.name))
        if not m:
            continue
        original = re.sub(r"-\d+(?=\.[A-Za-z]+$)", "", m.group("file"))  # Canvas numbers resubmissions: ex01-1.py
        raw = f"{m.group('name')}_{m.group('uid')}"
        entry = groups.get(m.group("uid"))
        if entry is None:
            entry = groups[m.group("uid")] = StudentFiles(_clean(raw), source=f.name)
        try:
            if original.lower().endswith(".zip") and not f.is_symlink():
                try:
                    for name, data in read_zip(f).items():
                        entry.files.setdefault(name, data)
                except UnsafeArchive as exc:
                    entry.problems.append(shown(f"{f.name}: {exc}"))
                continue
            entry.files[original if original in FILENAMES else shown(original)] = _read_file(f)
        except READ_ERRORS as exc:
            entry.files[original if original in FILENAMES else shown(original)] = None
            entry.problems.append(f"{shown(f.name)}: could not be read ({_describe(exc)})")
    return list(groups.values())


def _student_folder(folder: Path, raw: str, source: str | None = None) -> StudentFiles:
    student = StudentFiles(_clean(raw), source=folder.name if source is None else source)
    try:
        student.files = _folder_files(folder)
    except READ_ERRORS as exc:
        student.problems.append(f"{shown(folder.name)}: could not be read ({_describe(exc)})")
    return student


def _clean(student: str) -> str:
    """A student id safe as a file name: letters, marks and digits of any script, and ``_.@+-``;
    everything else (``/``, spaces, punctuation, control and format characters) becomes ``_``."""
    out = []
    for ch in unicodedata.normalize("NFC", str(student)):
        if ch.isascii():
            out.append(ch if ch.isalnum() or ch in "_.@+-" else "_")
        else:
            out.append(ch if unicodedata.category(ch)[0] in "LMN" else "_")
    cleaned = "".join(out).strip("._")[:MAX_ID_CHARS]
    while len(cleaned.encode("utf-8")) > MAX_ID_BYTES:
        cleaned = cleaned[:-1]
    return cleaned.strip("._") or "student"


def _id_key(student: str) -> str:
    """Ids equal under this key would be one file on a case-insensitive file system (macOS, Windows)."""
    return unicodedata.normalize("NFC", student.casefold())


def unique_ids(students: list[StudentFiles]) -> list[str]:
    """Give each student an id of their own, in place; a problem line per collision. Within a
    collision the submission whose name is the id itself keeps it (the folder ``ana`` keeps
    ``ana``); the others, in sorted order of their names, get ``-2``, ``-3``... (skipping ids
    that other students have). The same input always gives the same ids."""
    groups: dict[str, list[StudentFiles]] = {}
    for s in students:
        groups.setdefault(_id_key(s.student), []).append(s)
    taken = set(groups)
    problems = []
    for key in sorted(groups):
        group = groups[key]
        if len(group) < 2:
            continue
        group.sort(key=lambda s: (s.student != s.source, s.source, s.student))
        first = group[0].student
        for s in group[1:]:
            n = 2
            while _id_key(f"{s.student}-{n}") in taken:
                n += 1
            s.student = f"{s.student}-{n}"
            taken.add(_id_key(s.student))
        problems.append(f"{len(group)} submissions have the student id {first!r}: "
                        + ", ".join(f"{shown(repr(s.source))} is graded as {s.student!r}" for s in group)
                        + "; check who is who")
    return problems


# --- the class as a whole ------------------------------------------------------------------------
def _count_submissions(entries: list[tuple[str, bool]]) -> int:
    """How many submissions these entries of a class folder ((name, is a folder)) hold, as discover counts them."""
    if any(name == METADATA for name, _ in entries):
        return sum(1 for name, is_dir in entries if is_dir and name.startswith("submission_"))
    uids, count = set(), 0
    for name, is_dir in entries:
        if name.startswith(".") or name == "__MACOSX":
            continue
        m = None if is_dir else CANVAS.match(name)
        if m:
            uids.add(m.group("uid"))
        else:
            count += 1
    return count + len(uids)


def _too_many(count: int, max_students: int, what: str) -> TooManySubmissions:
    return TooManySubmissions(
        f"{what} holds {count} submissions, more than the limit of {max_students} students; nothing was graded. "
        f"If the class really is that large, raise the limit with --max-students {max(count, max_students + 1)}")


def _check_class_zip(archive_path: Path, max_students: int) -> None:
    """Refuse a class zip with absurdly many members or submissions before unpacking anything."""
    with _open_zip(archive_path) as archive:
        infos = archive.infolist()
    limit = ZIP_MEMBERS_PER_STUDENT * max_students
    if len(infos) > limit:
        raise TooManySubmissions(
            f"{archive_path.name} holds {len(infos)} members, more than the limit of {limit} "
            f"({ZIP_MEMBERS_PER_STUDENT} per student allowed by --max-students {max_students}); nothing was "
            f"graded. If the class really is that large, raise the limit with --max-students "
            f"{-(-len(infos) // ZIP_MEMBERS_PER_STUDENT)}")
    levels: dict[str, dict[str, bool]] = {}  # top-level name -> {second-level name: is a folder}
    tops: dict[str, bool] = {}
    for info in infos:
        parts = [p for p in info.filename.replace("\\", "/").split("/") if p]
        if not parts:
            continue
        tops[parts[0]] = tops.get(parts[0], False) or len(parts) > 1 or info.is_dir()
        if len(parts) > 1:
            sub = levels.setdefault(parts[0], {})
            sub[parts[1]] = sub.get(parts[1], False) or len(parts) > 2 or info.is_dir()
    entries = [(n, d) for n, d in tops.items() if n != "__MACOSX"]
    if len(entries) == 1 and entries[0][1]:  # one folder holding the class, as discover steps into it
        inner = levels.get(entries[0][0], {})
        if METADATA not in inner and not any(n in FILENAMES for n in inner):
            entries = list(inner.items())
    count = _count_submissions(entries)
    if count > max_students:
        raise _too_many(count, max_students, archive_path.name)


def discover(input_path: Path, max_students: int = MAX_STUDENTS
             ) -> tuple[list[StudentFiles], list[str], tempfile.TemporaryDirectory | None]:
    """(students, problems with the input as a whole, a temp dir to keep alive while grading).
    Raises FileNotFoundError, UnsafeArchive or TooManySubmissions (ValueErrors) for an input that
    cannot be graded at all; anything else that cannot be read is a problem line."""
    input_path = Path(input_path)
    if not input_path.exists():
        raise FileNotFoundError(f"{input_path} does not exist")
    keep = None
    if input_path.is_file():
        if not zipfile.is_zipfile(input_path):
            raise ValueError(f"{input_path} is neither a folder nor a zip file")
        _check_class_zip(input_path, max_students)
        keep = tempfile.TemporaryDirectory(prefix="dlgrader-class-")
        try:
            _unpack(input_path, Path(keep.name))
        except BaseException:
            keep.cleanup()
            raise
        input_path = Path(keep.name)
        entries = [e for e in input_path.iterdir() if e.name != "__MACOSX"]
        if len(entries) == 1 and entries[0].is_dir() and not (entries[0] / METADATA).exists() \
                and not any((entries[0] / n).exists() for n in FILENAMES):
            input_path = entries[0]
    listing = sorted(input_path.iterdir())
    count = _count_submissions([(e.name, e.is_dir()) for e in listing])
    if count > max_students:
        raise _too_many(count, max_students, str(input_path if keep is None else "the class zip"))
    if any(e.name == METADATA for e in listing):
        students, problems = _gradescope(input_path)
    else:
        students, problems = _plain(listing)
    problems += unique_ids(students)
    for s in students:
        s.problems = [shown(p) for p in s.problems]
    return students, [shown(p) for p in problems], keep


def _plain(listing: list[Path]) -> tuple[list[StudentFiles], list[str]]:
    """A folder of per-student folders and zips, and Canvas files."""
    flat = [e for e in listing if e.is_file() and CANVAS.match(unicodedata.normalize("NFC", e.name))]
    students, problems = _canvas(flat), []
    for entry in listing:
        if entry in flat or entry.name.startswith(".") or entry.name == "__MACOSX":
            continue
        name = shown(entry.name)
        try:
            if entry.is_symlink():
                problems.append(f"{name}: a symbolic link, not read")
            elif entry.is_dir():
                students.append(_student_folder(entry, entry.name))
            elif entry.suffix.lower() == ".zip" and entry.is_file():  # a regular file: a FIFO is never opened
                student = StudentFiles(_clean(entry.stem), source=entry.stem)
                try:
                    student.files = read_zip(entry)
                except UnsafeArchive as exc:
                    student.problems.append(f"{name}: {exc}")
                students.append(student)
            else:
                problems.append(f"{name}: not a folder, a zip or a Canvas file name; not read")
        except READ_ERRORS as exc:
            problems.append(f"{name}: could not be read ({_describe(exc)})")
    return students, problems


def _unpack(archive_path: Path, dest: Path) -> None:
    """Unpack a class zip safely (no absolute or .. paths, no links, size limits)."""
    with _open_zip(archive_path) as archive:
        infos = archive.infolist()
        if sum(i.file_size for i in infos) > MAX_ZIP_BYTES:
            raise UnsafeArchive("the archive unpacks to more than 200 MB")
        for info in infos:
            path = _safe_member(info)
            target = dest.joinpath(*path.parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            data = _read_member(archive, info, MAX_ZIP_BYTES)
            with open(target, "wb") as dst:
                dst.write(data)
