"""TensorBoard scalars from the worker's folder, read by the grader within limits.

Event files are written by student code, so they are read like anything else there: only
through ``engine/worker_files.py`` (no links followed, regular files only, a byte cap per file),
and parsed here without tensorboard's reader (which follows links, reads any size and spends
its own time): the TFRecord framing by hand (uint64 length, uint32 masked CRC of the length,
the data, uint32 masked CRC of the data; the CRCs are not checked, a truncated record ends the
file), each record decoded with tensorboard's compiled ``Event`` protobuf, with a cap on the
number of files, records and the time spent.
"""
from __future__ import annotations

import struct
import time
from pathlib import Path, PurePosixPath

from ..engine import worker_files

FILE_LIMIT = 4 * 1024 * 1024  # bytes per event file
TOTAL_LIMIT = 16 * 1024 * 1024  # bytes of all event files of one read
MAX_FILES = 16
MAX_RECORDS = 20_000
MAX_SECONDS = 5.0


class TooMuch(Exception):
    """The logs are beyond the reader's limits (files, bytes, records or time)."""


def _value(v):
    """A scalar Summary.Value as a float: simple_value, or a one-element float/double tensor."""
    if v.HasField("simple_value"):
        return float(v.simple_value)
    if v.HasField("tensor"):
        t = v.tensor
        if len(t.float_val):
            return float(t.float_val[0])
        if len(t.double_val):
            return float(t.double_val[0])
        content = bytes(t.tensor_content)
        if len(content) == 4:
            return struct.unpack("<f", content)[0]
        if len(content) == 8:
            return struct.unpack("<d", content)[0]
    return None


def records(data: bytes, deadline: float, budget: list):
    """The payloads of the TFRecord stream ``data`` (stops at a truncated record)."""
    pos, n = 0, len(data)
    while pos + 12 <= n:
        (length,) = struct.unpack_from("<Q", data, pos)
        start = pos + 12
        if length > n - start - 4:
            return
        budget[0] -= 1
        if budget[0] < 0:
            raise TooMuch(f"more than {MAX_RECORDS} records")
        if time.monotonic() > deadline:
            raise TooMuch(f"more than {MAX_SECONDS:.0f} s to read")
        yield data[start:start + length]
        pos = start + length + 4


def scalars_from_bytes(blobs: list[bytes]) -> dict:
    """{tag: [(step, value), ...]} from event-file contents, in the order they were written."""
    from tensorboard.compat.proto import event_pb2

    deadline = time.monotonic() + MAX_SECONDS
    budget = [MAX_RECORDS]
    out: dict = {}
    for data in blobs:
        for payload in records(data, deadline, budget):
            try:
                event = event_pb2.Event.FromString(payload)
            except Exception:  # noqa: BLE001 - a damaged record is skipped
                continue
            if not event.HasField("summary"):
                continue
            for v in event.summary.value:
                value = _value(v)
                if value is not None:
                    out.setdefault(str(v.tag), []).append((int(event.step), value))
    return out


def read_scalars(root: Path, relpath) -> tuple[dict, list[str]]:
    """Scalars of every ``*tfevents*`` file under ``root/relpath`` (read through worker_files):
    ``({tag: [(step, value), ...] sorted by step}, [what was refused, ...])``.
    Raises worker_files.UnsafeFile when the folder itself cannot be read, TooMuch past the limits."""
    entries = worker_files.walk(root, relpath)
    base = PurePosixPath(str(relpath))
    refused, blobs, total = [], [], 0
    for rel, what in entries:
        if "tfevents" not in PurePosixPath(rel).name:
            continue
        path = str(base / rel)
        if what != "file":
            refused.append(f"{path}: a {what}, not a file")
            continue
        if len(blobs) >= MAX_FILES:
            raise TooMuch(f"more than {MAX_FILES} event files")
        try:
            data = worker_files.read_bytes(root, path, limit=FILE_LIMIT)
        except worker_files.UnsafeFile as exc:
            refused.append(f"{path}: {exc.reason}")
            continue
        total += len(data)
        if total > TOTAL_LIMIT:
            raise TooMuch(f"more than {TOTAL_LIMIT // (1024 * 1024)} MB of event files")
        blobs.append(data)
    scalars = scalars_from_bytes(blobs)
    return {tag: sorted(values, key=lambda sv: sv[0]) for tag, values in scalars.items()}, refused
