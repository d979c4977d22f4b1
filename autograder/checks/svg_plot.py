"""Reading a plot that student code saved as SVG, in the grader, with limits.

matplotlib's ``savefig`` picks the format from the file name, so a plotting function called
with a path ending in ``.svg`` writes an SVG whose lines are ``<path d="M x y L x y ...">``
elements inside ``<g id="line2d_N">`` groups (a nan in the data splits a line into several
``M ... L ...`` runs). This module reads such a file's bytes and gives the polylines, and
matches them with data: one line per series whose y coordinates follow the series' values up
to the axis' affine map (the same for every series), x increasing.

Limits: the bytes are capped by the caller's read (``engine.worker_files``); entity
declarations are refused before parsing; at most ``MAX_ELEMENTS`` elements and
``MAX_POINTS`` path points are read.
"""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

MAX_BYTES = 8 * 1024 * 1024
MAX_ELEMENTS = 200_000
MAX_POINTS = 200_000

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class BadFile(ValueError):
    """The file is not what the grader reads (why, in plain words)."""


def png_size(data: bytes, max_side: int = 10_000, max_pixels: int = 16_000_000) -> tuple[int, int]:
    """Width and height from a PNG's header (IHDR) alone; raises BadFile when the bytes are not a
    PNG or the image is larger than a figure ever is. Nothing is decoded."""
    import struct

    if len(data) < 33 or data[:8] != PNG_SIGNATURE or data[12:16] != b"IHDR":
        raise BadFile("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= max_side and 0 < height <= max_side) or width * height > max_pixels:
        raise BadFile(f"{width}x{height} pixels, far larger than a figure")
    return width, height


_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN = re.compile(rf"([A-Za-z])|({_NUMBER})")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_path(d: str) -> list[list[tuple[float, float]]] | None:
    """The runs of an SVG path made of absolute M and L commands (None for anything else)."""
    runs: list[list[tuple[float, float]]] = []
    command, numbers = None, []
    tokens = _TOKEN.findall(d)
    if len(tokens) > 2 * MAX_POINTS:
        raise BadFile("a path with too many points")

    def flush():
        if command is None:
            return True
        if command not in "ML" or len(numbers) % 2:
            return False
        points = list(zip(numbers[0::2], numbers[1::2]))
        if command == "M":
            if not points:
                return False
            runs.append(points[:1])
            runs[-1].extend(points[1:])
        else:
            if not runs:
                return False
            runs[-1].extend(points)
        return True

    for letter, number in tokens:
        if letter:
            if not flush():
                return None
            command, numbers = letter, []
        else:
            if command is None:
                return None
            numbers.append(float(number))
    if not flush():
        return None
    return runs


def polylines(data: bytes) -> list[list[list[tuple[float, float]]]]:
    """Every line of a matplotlib SVG: the runs of each ``<path>`` inside a ``line2d`` group."""
    if len(data) > MAX_BYTES:
        raise BadFile("larger than a figure")
    if b"<!ENTITY" in data:
        raise BadFile("an SVG declaring entities")
    lines = []
    count = 0
    stack: list[str] = []
    try:
        for event, elem in ET.iterparse(__import__("io").BytesIO(data), events=("start", "end")):
            if event == "start":
                count += 1
                if count > MAX_ELEMENTS:
                    raise BadFile("too many elements")
                stack.append(elem.get("id") or "")
                continue
            tag = _local(elem.tag)
            inside_line = any(i.startswith("line2d") for i in stack[:-1])
            if tag == "path" and inside_line and elem.get("d"):
                runs = parse_path(elem.get("d"))
                if runs and sum(len(r) for r in runs) >= 1:
                    lines.append(runs)
            stack.pop()
            if tag != "svg":
                elem.clear()
    except ET.ParseError as exc:
        raise BadFile(f"not an SVG file ({exc})") from None
    return lines


def _fit(pairs) -> tuple[float, float] | None:
    """Least squares y = a * v + c over (v, y) pairs; None when the values do not vary."""
    n = len(pairs)
    mv = sum(v for v, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    var = sum((v - mv) ** 2 for v, _ in pairs)
    if var <= 0:
        return None
    a = sum((v - mv) * (y - my) for v, y in pairs) / var
    return a, my - a * mv


def _finite(values) -> list[float]:
    return [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(v)]


def match_series(lines, series: dict, tol_px: float = 0.6) -> dict:
    """Which line draws each series: ``{key: line index}``; raises BadFile naming the first
    series no line follows. A line follows a series when its points, in order, are the series'
    finite values under y = a * value + c, with one (a, c), a != 0, for every series, and x
    increasing; each line draws one series."""
    flat = [[p for run in line for p in run] for line in lines]
    keys = list(series)
    wanted = {k: _finite(series[k]) for k in keys}
    if not keys:
        return {}
    anchor = max(keys, key=lambda k: len(set(wanted[k])))
    if len(set(wanted[anchor])) < 2:
        raise BadFile("the grader's data has no varying series")
    candidates = [i for i, pts in enumerate(flat) if len(pts) == len(wanted[anchor])]
    for i in candidates:
        fit = _fit(list(zip(wanted[anchor], [y for _, y in flat[i]])))
        if fit is None or abs(fit[0]) < 1e-9:
            continue
        a, c = fit
        chosen, used = {}, set()
        for key in keys:
            for j, pts in enumerate(flat):
                if j in used or len(pts) != len(wanted[key]):
                    continue
                if not all(pts[t][0] < pts[t + 1][0] for t in range(len(pts) - 1)):
                    continue
                if all(abs(a * v + c - y) <= tol_px for v, (_, y) in zip(wanted[key], pts)):
                    chosen[key] = j
                    used.add(j)
                    break
            else:
                break
        if len(chosen) == len(keys):
            return chosen
    missing = keys[0]
    raise BadFile(f"no line follows the values of {missing!r}")
