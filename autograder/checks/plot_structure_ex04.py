"""What a plot file written by student code shows, read by the grader within limits.

- ``png_size``: the width and height from a PNG's IHDR header, read through worker_files with
  a byte cap and never decoded (so a huge image costs nothing).
- ``svg_curves``: every polyline of an SVG (``<path d="M .. L ..">`` and runs of markers
  ``<use x= y=>``) as a list of points, parsed with a byte and element cap; the entities that
  could make a small file expand are refused before parsing.
- ``find_curve``: whether one of those curves follows a series of values up to the axes'
  affine maps (x = a*epoch + b, y = c*value + d): any styling, one or two axes, 0- or 1-based
  epochs, accuracy in percent, all pass; a curve that does not follow the values does not.
"""
from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

from ..engine import worker_files

PNG_LIMIT = 8 * 1024 * 1024
SVG_LIMIT = 4 * 1024 * 1024
MAX_SIDE = 10_000
MAX_PIXELS = 40_000_000
MAX_ELEMENTS = 100_000
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class NotAPlot(Exception):
    """The file is not a readable plot of this kind; ``reason`` says why, in a few words."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def read(root: Path, relpath: str, limit: int) -> bytes:
    try:
        return worker_files.read_bytes(root, relpath, limit=limit)
    except worker_files.UnsafeFile as exc:
        raise NotAPlot(f"{relpath}: {exc.reason}") from None


def png_size(root: Path, relpath: str) -> tuple[int, int]:
    """(width, height) of the PNG ``relpath``; NotAPlot unless it is a PNG of bounded size."""
    head = read(root, relpath, PNG_LIMIT)[:33]
    if head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR" or len(head) < 24:
        raise NotAPlot(f"{relpath}: not a PNG file")
    width, height = struct.unpack(">II", head[16:24])
    if not (0 < width <= MAX_SIDE and 0 < height <= MAX_SIDE and width * height <= MAX_PIXELS):
        raise NotAPlot(f"{relpath}: {width}x{height} pixels")
    return width, height


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_TOKEN = re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _polyline(d: str):
    """The points of a path made of absolute M/L commands only (None for any other path)."""
    tokens = _TOKEN.findall(d)
    points, command, numbers = [], None, []
    for tok in tokens:
        if tok.isalpha():
            if tok not in "MLz" or (tok == "z"):
                return None
            command = tok
            continue
        if command is None:
            return None
        numbers.append(float(tok))
        if len(numbers) == 2:
            points.append(tuple(numbers))
            numbers = []
    return points if len(points) >= 2 and not numbers else None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def svg_curves(root: Path, relpath: str) -> list[list[tuple[float, float]]]:
    """Every polyline and every run of markers of the SVG ``relpath``, as lists of (x, y)."""
    data = read(root, relpath, SVG_LIMIT)
    if b"<!ENTITY" in data or b"<!entity" in data:
        raise NotAPlot(f"{relpath}: an SVG with entity declarations")
    if b"<svg" not in data[:4096]:
        raise NotAPlot(f"{relpath}: not an SVG file")
    try:
        tree = ET.fromstring(data)
    except ET.ParseError as exc:
        raise NotAPlot(f"{relpath}: not a readable SVG ({exc})") from None
    curves, count = [], 0
    for element in tree.iter():
        count += 1
        if count > MAX_ELEMENTS:
            raise NotAPlot(f"{relpath}: more than {MAX_ELEMENTS} elements")
        name = _local(element.tag)
        if name in ("path", "polyline"):
            text = element.get("d") if name == "path" else "M " + (element.get("points") or "").replace(",", " ")
            points = _polyline(text or "")
            if points:
                curves.append(points)
        elif name == "g":
            uses = [u for u in element if _local(u.tag) == "use"]
            points = []
            for u in uses:
                try:
                    points.append((float(u.get("x", "nan")), float(u.get("y", "nan"))))
                except ValueError:
                    pass
            if len(points) >= 2:
                curves.append(points)
    return curves


def _affine_fit(xs: list[float], ys: list[float]):
    """(slope, largest residual) of the least-squares line ys = a*xs + b."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0, float("inf")
    a = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    b = my - a * mx
    return a, max(abs(a * x + b - y) for x, y in zip(xs, ys))


def follows(points: list[tuple[float, float]], values: list[float]) -> bool:
    """Whether ``points`` plot ``values`` against the epoch: one point per value, x evenly spaced
    and increasing, y an affine (non-constant) image of the values."""
    if len(points) != len(values):
        return False
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span_y = max(ys) - min(ys)
    if span_y < 1.0 or any(b <= a for a, b in zip(xs, xs[1:])):
        return False
    _, x_residual = _affine_fit(list(range(len(xs))), xs)
    if x_residual > 0.01 * (xs[-1] - xs[0]) + 0.05:
        return False
    a, y_residual = _affine_fit(values, ys)
    return a != 0 and y_residual <= 0.005 * span_y + 0.05


def find_curve(curves: list, values: list[float], taken: set) -> int | None:
    """The index of a curve not in ``taken`` that follows ``values`` (None when there is none)."""
    for i, points in enumerate(curves):
        if i not in taken and follows(points, values):
            return i
    return None
