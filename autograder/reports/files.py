"""Writing report files atomically: a temporary file in the same folder, then a rename."""
from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from ..feedback.catalog import clean


def write_text(path: Path, text: str) -> Path:
    """Written without control characters or escape sequences (catalog.clean; \r\n kept)."""
    return write_bytes(path, clean(text, keep_crlf=True).encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json(path: Path, data) -> Path:
    """Every string cleaned before it is encoded: json.dumps would write an ESC as \\u001b,
    which whoever reads the file gets back as an ESC."""
    return write_text(path, json.dumps(_cleaned(data), indent=2, ensure_ascii=False) + "\n")


def _cleaned(data):
    if isinstance(data, str):
        return clean(data)
    if isinstance(data, dict):
        return {_cleaned(k) if isinstance(k, str) else k: _cleaned(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_cleaned(v) for v in data]
    return data


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def spreadsheet_cell(value):
    """A CSV cell a spreadsheet shows as text: a string that it would run as a formula (starting
    with = + - @, a tab or a carriage return) gets a leading ' (OWASP's advice); numbers, and
    strings that are plain numbers such as -3.5, are left as they are. Every CSV the kit writes
    (gradebook, Canvas gradebook, changes, similarity) goes through this."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not NUMBER.fullmatch(value):
        return "'" + value
    return value
