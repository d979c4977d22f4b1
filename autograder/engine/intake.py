"""What of a submission folder is graded: the exNN_*.py files the handout names, by allow-list.

Everything else is left behind with a note (conftest.py, pytest.ini, *.pth,
other modules, caches). A module that is a symlink, too large, not UTF-8 or
not valid Python is not sent to the worker; its checks fail with that reason
while the other modules are still graded.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from ..assignment import FILENAMES
from ..feedback.catalog import Msg
from .client import ModuleBroken

MAX_FILE_BYTES = 1024 * 1024
CONFIG_NAMES = ("pytest.ini", "conftest.py", "setup.cfg", "tox.ini", "pyproject.toml", "sitecustomize.py")


class IntakeError(Exception):
    """The path cannot be graded at all (it does not exist, or is not a folder)."""


@dataclass
class Intake:
    files: dict[str, bytes] = field(default_factory=dict)
    broken: dict[str, ModuleBroken] = field(default_factory=dict)
    notes: list = field(default_factory=list)
    source: Path | None = None


def locate(path: Path) -> Path:
    """The folder holding the exNN files: PATH itself or PATH/exercises."""
    if not path.exists():
        raise IntakeError(f"{path} does not exist. Give the folder that holds your exNN_*.py files.")
    if not path.is_dir():
        raise IntakeError(f"{path} is not a folder. Give the folder that holds your exNN_*.py files.")
    if not any((path / n).exists() or (path / n).is_symlink() for n in FILENAMES) and (path / "exercises").is_dir():
        return path / "exercises"
    return path


def check_source(name: str, data: bytes) -> str | None:
    """Why this source cannot be graded, or None. Parses, never runs."""
    if len(data) > MAX_FILE_BYTES:
        return f"the file is larger than the limit of {MAX_FILE_BYTES // 1024} KB"  # only limit+1 bytes are read
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the file is not UTF-8 text (byte {exc.start}); save it as UTF-8"
    try:
        ast.parse(text, filename=name)
    except SyntaxError as exc:
        return f"SyntaxError: {exc.msg} (line {exc.lineno}: {(exc.text or '').strip()[:120]})"
    except (ValueError, RecursionError, MemoryError) as exc:
        return f"the file cannot be parsed: {type(exc).__name__}"
    return None


def from_files(files: dict[str, bytes | None], notes: list | None = None, source: Path | None = None) -> Intake:
    """Validate named sources (None for a name that is not a regular file)."""
    intake = Intake(notes=list(notes or []), source=source)
    for name in sorted(files):
        if name not in FILENAMES:
            if (name.endswith((".py", ".pth", ".pyc")) and name != "__init__.py") or name in CONFIG_NAMES \
                    or name == "__pycache__":
                intake.notes.append(Msg("intake.ignored", name=name))
            continue
        data = files[name]
        module = name[:-3]
        reason = "it is a symbolic link or not a regular file; submit the file itself" if data is None \
            else check_source(name, data)
        if reason is None:
            intake.files[name] = data
            continue
        intake.broken[module] = ModuleBroken(module, "rejected:" + reason, {"message": reason})
        intake.notes.append(Msg("module_rejected", module=module, reason=reason))
    return intake


def collect(path: Path) -> Intake:
    """Intake of a folder: its top-level files, never following symlinks."""
    folder = locate(Path(path))
    files: dict[str, bytes | None] = {}
    for entry in folder.iterdir():
        if entry.is_symlink() or not entry.is_file():
            files[entry.name] = None
            continue
        with open(entry, "rb") as fh:
            files[entry.name] = fh.read(MAX_FILE_BYTES + 1)
    return from_files(files, source=folder)
