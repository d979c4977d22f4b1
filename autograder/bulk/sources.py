"""Finding each student's files in what an LMS exports.

Accepted INPUT: a folder of per-student folders; a folder of per-student zip
files; one zip of any of these; a Canvas flat download
(``name_userid_submissionid_file.py``, grouped by user id); a Gradescope
export (``submission_metadata.yml`` with ``submission_*/`` folders). Zips are
read in memory with the allow-list of file names: absolute or ``..`` paths,
links and oversized or over-compressed members are refused.
"""
from __future__ import annotations

import io
import re
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..assignment import FILENAMES
from ..engine.intake import CONFIG_NAMES, MAX_FILE_BYTES

MAX_ZIP_BYTES = 200 * 1024 * 1024
MAX_RATIO = 200
CANVAS = re.compile(r"^(?P<name>[A-Za-z0-9\-]+?)(?:_LATE)?_(?P<uid>\d+)_(?P<sid>\d+)_(?P<file>.+)$")


@dataclass
class StudentFiles:
    student: str
    files: dict = field(default_factory=dict)  # name -> bytes, or None when not a regular file
    problems: list = field(default_factory=list)  # why (part of) the submission could not be read


class UnsafeArchive(ValueError):
    """A ValueError, so that a refused class archive ends the run with a clear message."""


# What reading a corrupt, encrypted or lying archive member raises.
ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, ValueError, OSError)


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


def read_zip(data_or_path) -> dict[str, bytes | None]:
    """The assignment's files in a zip, by base name, shallowest first. Raises UnsafeArchive."""
    try:
        archive = zipfile.ZipFile(data_or_path if not isinstance(data_or_path, bytes) else io.BytesIO(data_or_path))
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchive(f"not a readable zip file ({exc})") from None
    with archive:
        infos = archive.infolist()
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


def _folder_files(folder: Path) -> dict[str, bytes | None]:
    """Files of a student's folder (directly or under exercises/ or one nested folder)."""
    candidates = [folder, folder / "exercises", *[d for d in sorted(folder.iterdir()) if d.is_dir() and not d.is_symlink()]]
    for cand in candidates:
        if cand.is_dir() and any((cand / n).exists() or (cand / n).is_symlink() for n in FILENAMES):
            folder = cand
            break
    files = {}
    for entry in folder.iterdir():
        if entry.name not in FILENAMES and entry.name not in CONFIG_NAMES and not entry.name.endswith(".py") \
                and not entry.name.endswith(".pth") and entry.name != "__pycache__":
            continue
        if entry.is_symlink() or not entry.is_file():
            files[entry.name] = None
        else:
            with open(entry, "rb") as fh:
                files[entry.name] = fh.read(MAX_FILE_BYTES + 1)
    return files


def _gradescope(root: Path) -> list[StudentFiles]:
    import yaml

    try:
        meta = yaml.safe_load((root / "submission_metadata.yml").read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        meta = {}
        problems = [f"submission_metadata.yml could not be read ({exc}); folder names used as ids"]
    else:
        problems = []
    out = []
    for folder in sorted(root.glob("submission_*")):
        if not folder.is_dir() or folder.is_symlink():
            continue
        info = meta.get(folder.name) or {}
        submitters = info.get(":submitters") or info.get("submitters") or []
        ids = [str(s.get(":sid") or s.get(":email") or s.get(":name") or "") for s in submitters if isinstance(s, dict)]
        student = "+".join(i for i in ids if i) or folder.name
        out.append(StudentFiles(_clean(student), _folder_files(folder), list(problems)))
    return out


def _canvas(files: list[Path]) -> list[StudentFiles]:
    groups: dict[str, StudentFiles] = {}
    for f in sorted(files):
        m = CANVAS.match(f.name)
        if not m:
            continue
        original = re.sub(r"-\d+(?=\.py$)", "", m.group("file"))
        student = f"{m.group('name')}_{m.group('uid')}"
        entry = groups.setdefault(m.group("uid"), StudentFiles(_clean(student)))
        if f.is_symlink() or not f.is_file():
            entry.files[original] = None
        else:
            with open(f, "rb") as fh:
                entry.files[original] = fh.read(MAX_FILE_BYTES + 1)
    return list(groups.values())


def _clean(student: str) -> str:
    """A student id safe as a file name."""
    cleaned = re.sub(r"[^A-Za-z0-9_.@+\-]", "_", student).strip("._") or "student"
    return cleaned[:100]


def discover(input_path: Path) -> tuple[list[StudentFiles], list[str], tempfile.TemporaryDirectory | None]:
    """(students, problems with the input as a whole, a temp dir to keep alive while grading)."""
    input_path = Path(input_path)
    if not input_path.exists():
        raise FileNotFoundError(f"{input_path} does not exist")
    keep = None
    if input_path.is_file():
        if not zipfile.is_zipfile(input_path):
            raise ValueError(f"{input_path} is neither a folder nor a zip file")
        keep = tempfile.TemporaryDirectory(prefix="dlgrader-class-")
        _unpack(input_path, Path(keep.name))
        input_path = Path(keep.name)
        entries = [e for e in input_path.iterdir() if e.name != "__MACOSX"]
        if len(entries) == 1 and entries[0].is_dir() and not (entries[0] / "submission_metadata.yml").exists() \
                and not any((entries[0] / n).exists() for n in FILENAMES):
            input_path = entries[0]
    if (input_path / "submission_metadata.yml").exists():
        return _gradescope(input_path), [], keep
    students, problems = [], []
    flat = [e for e in input_path.iterdir() if e.is_file() and CANVAS.match(e.name)]
    students += _canvas(flat)
    for entry in sorted(input_path.iterdir()):
        if entry in flat or entry.name.startswith(".") or entry.name == "__MACOSX":
            continue
        if entry.is_symlink():
            problems.append(f"{entry.name}: a symbolic link, not read")
        elif entry.is_dir():
            students.append(StudentFiles(_clean(entry.name), _folder_files(entry)))
        elif entry.suffix.lower() == ".zip":
            student = StudentFiles(_clean(entry.stem))
            try:
                student.files = read_zip(entry)
            except UnsafeArchive as exc:
                student.problems.append(f"{entry.name}: {exc}")
            students.append(student)
        else:
            problems.append(f"{entry.name}: not a folder, a zip or a Canvas file name; not read")
    seen: dict[str, int] = {}
    for s in students:  # two sources mapping to one id keep distinct rows
        seen[s.student] = seen.get(s.student, 0) + 1
        if seen[s.student] > 1:
            s.student = f"{s.student}-{seen[s.student]}"
    return students, problems, keep


def _unpack(archive_path: Path, dest: Path) -> None:
    """Unpack a class zip safely (no absolute or .. paths, no links, size limits)."""
    with zipfile.ZipFile(archive_path) as archive:
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
