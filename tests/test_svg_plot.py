"""svg_plot: the grader's reader of plots saved as SVG (fast: one small figure per test)."""
import io
import struct
import zlib

import pytest

from autograder.checks import svg_plot


def figure_svg(series, metric="val_acc", start=1, mark=None):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for key, values in series.items():
        ax.plot(range(start, len(values) + start), values, label=str(key), marker=mark)
    ax.set(xlabel="epoch", ylabel=metric)
    ax.legend()
    ax.grid(True)
    buf = io.BytesIO()
    fig.savefig(buf, format="svg")
    return buf.getvalue()


SERIES = {"sgd": [0.31, 0.52, 0.6, 0.71], "adam": [0.42, 0.83, 0.88, 0.97]}


def test_lines_follow_their_series():
    lines = svg_plot.polylines(figure_svg(SERIES))
    found = svg_plot.match_series(lines, SERIES)
    assert set(found) == {"sgd", "adam"} and found["sgd"] != found["adam"]


def test_any_x_and_markers_accepted():
    lines = svg_plot.polylines(figure_svg(SERIES, start=0, mark="o"))
    assert set(svg_plot.match_series(lines, SERIES)) == {"sgd", "adam"}


def test_nan_leaves_a_gap_and_still_matches():
    nan = float("nan")
    series = {0.01: [1.1, 0.93, 0.9, 0.8], 10.0: [1.1, 30.0, nan, nan], 0.1: [1.2, 0.7, 0.45, 0.41]}
    lines = svg_plot.polylines(figure_svg(series, metric="val_loss"))
    assert set(svg_plot.match_series(lines, series)) == set(series)


def test_other_data_is_refused():
    lines = svg_plot.polylines(figure_svg({"sgd": [0.9, 0.5, 0.3, 0.2], "adam": [0.42, 0.83, 0.88, 0.97]}))
    with pytest.raises(svg_plot.BadFile):
        svg_plot.match_series(lines, SERIES)
    lines = svg_plot.polylines(figure_svg({"sgd": SERIES["sgd"]}))
    with pytest.raises(svg_plot.BadFile):
        svg_plot.match_series(lines, SERIES)


def test_entities_and_garbage_are_refused():
    with pytest.raises(svg_plot.BadFile):
        svg_plot.polylines(b'<?xml version="1.0"?><!DOCTYPE s [<!ENTITY a "aaaa">]><svg>&a;</svg>')
    with pytest.raises(svg_plot.BadFile):
        svg_plot.polylines(b"\x89PNG not an svg")
    assert svg_plot.parse_path("M 0 0 C 1 1 2 2 3 3") is None


def png(width, height):
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (svg_plot.PNG_SIGNATURE + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IEND", b""))


def test_png_header_is_bounded():
    assert svg_plot.png_size(png(700, 400)) == (700, 400)
    for w, h in ((8000, 6000), (0, 10), (20000, 10)):
        with pytest.raises(svg_plot.BadFile):
            svg_plot.png_size(png(w, h))
    with pytest.raises(svg_plot.BadFile):
        svg_plot.png_size(b"GIF89a" + b"\0" * 40)
