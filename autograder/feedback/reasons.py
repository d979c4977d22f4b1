"""The grader's own reasons for refusing what a submission left, in the student's language.

The file reader (engine/worker_files.py), the plot and TensorBoard readers and the rebuilders of
a returned MLP (checks/reference/ex05.py, ex08.py) say why they refuse something in English words,
for logs and for the code that tests for one (``exc.reason == "missing"``). A check that shows such
a reason to the student passes it through ``reason()``, which finds the sentence it is and gives its
catalog message (``reason.*``), rendered later in the report's language. A text of no known shape
(only possible if a reader gains a sentence that is not listed here) is shown quoted as code, as
Python's own messages are; tests/test_zh_messages.py runs every listed shape in both languages.
"""
from __future__ import annotations

import re

from .catalog import Msg

# (the English sentence as a pattern, its message key); groups become the message's parameters
SHAPES = [
    (r"missing", "reason.missing"),
    (r"not a path inside the worker's folder", "reason.outside"),
    (r"a link or not a folder", "reason.link_or_not_folder"),
    (r"not a file", "reason.not_file"),
    (r"a link, not a file", "reason.link"),
    (r"not a regular file", "reason.not_regular"),
    (r"larger than (?P<kb>\d+) KB", "reason.larger_kb"),
    (r"more than (?P<count>\d+) entries", "reason.entries"),
    (r"a folder, not a file", "reason.folder"),
    (r"a (?:other|missing), not a file", "reason.not_regular"),
    (r"more than (?P<count>\d+) records", "reason.records"),
    (r"more than (?P<seconds>\d+) s to read", "reason.seconds"),
    (r"more than (?P<count>\d+) event files", "reason.event_files"),
    (r"more than (?P<mb>\d+) MB of event files", "reason.event_mb"),
    (r"not a PNG file", "reason.not_png"),
    (r"(?P<width>\d+)x(?P<height>\d+) pixels", "reason.pixels"),
    (r"(?P<width>\d+)x(?P<height>\d+) pixels, far larger than a figure", "reason.pixels_large"),
    (r"an SVG with entity declarations|an SVG declaring entities", "reason.svg_entities"),
    (r"not an SVG file", "reason.not_svg"),
    (r"not an SVG file \((?P<error>.*)\)", "reason.not_svg_error"),
    (r"not a readable SVG \((?P<error>.*)\)", "reason.unreadable_svg"),
    (r"more than (?P<count>\d+) elements|too many elements", "reason.elements"),
    (r"a path with too many points", "reason.points"),
    (r"larger than a figure", "reason.larger_figure"),
    (r"the grader's data has no varying series", "reason.no_series"),
    (r"no line follows the values of (?P<series>.+)", "reason.no_line"),
    (r"no state_dict \(no parameters\)|no state dict", "reason.no_state"),
    (r"(?P<count>\d+) tensors, not weight/bias pairs", "reason.not_pairs"),
    (r"(?P<weight>'[^']*'), (?P<bias>'[^']*') are not a Linear layer's weight \[out, in\] and bias \[out\]",
     "reason.not_linear_pair"),
    (r"(?P<weight>'[^']*') is not a floating-point weight", "reason.not_float"),
    (r"(?P<weight>'[^']*') has shape (?P<shape>\[[^\]]*\]), a Linear layer taking (?P<width>\d+) inputs was expected",
     "reason.linear_inputs"),
    (r"not the weight of a Linear layer", "reason.not_linear"),
    (r"shape (?P<shape>\[[^\]]*\]) after a layer of width (?P<width>\d+)", "reason.after_width"),
    (r"the last layer gives (?P<width>\d+) outputs, not (?P<classes>\d+)", "reason.last_layer"),
]
_SHAPES = [(re.compile(pattern + r"\Z", re.S), key) for pattern, key in SHAPES]


def _sentence(text: str) -> Msg | None:
    for pattern, key in _SHAPES:
        found = pattern.match(text)
        if found:
            return Msg(key, **{k: v for k, v in found.groupdict().items() if v is not None})
    return None


def reason(text) -> Msg:
    """The catalog message of one of the readers' reasons: a sentence above, ``PATH: sentence``,
    or several of them joined with ``; ``."""
    text = str(text)
    parts = text.split("; ")
    if len(parts) > 1:
        return Msg("reason.several", a=reason(parts[0]), b=reason("; ".join(parts[1:])))
    found = _sentence(text)
    if found is not None:
        return found
    if ": " in text:
        where, rest = text.split(": ", 1)
        found = _sentence(rest)
        if found is not None:
            return Msg("reason.at", at=where, why=found)
    return Msg("reason.verbatim", t=text)
