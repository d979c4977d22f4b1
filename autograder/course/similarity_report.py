"""DIR/similarity/<a>__<b>.html: one flagged pair, the matching regions side by side.

A static page (inline CSS, no script, nothing fetched). Every module the two share is
listed with the share of each file that matches; the modules with any match follow,
flagged ones first, as two columns of code where the matching regions are <mark>ed.
Code is escaped (copydetect's highlight_overlap with escape_html) before it is marked.
"""
from __future__ import annotations

import html

STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#222;background:#fff}
h1{font-size:1.35em}h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ccc}
table.scores{border-collapse:collapse;margin:.5em 0}
table.scores td,table.scores th{border:1px solid #ccc;padding:.2em .6em;text-align:right}
table.scores td:first-child,table.scores th:first-child{text-align:left}
tr.flagged td{background:#fde2e2;font-weight:600}
.side{display:grid;grid-template-columns:1fr 1fr;gap:1em}
.side h3{font-size:.95em;margin:.3em 0}
pre{background:#f7f7f7;border:1px solid #ddd;padding:.6em;overflow-x:auto;font-size:12px;line-height:1.35;
white-space:pre}
mark{background:#ffd54f;color:#000}
.note{color:#555;font-size:.9em}
"""


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _quiet_spans(code: str) -> list[tuple[int, int]]:
    """Docstrings and comments: filtered out before comparing, so never marked as matching
    (a region that runs across a docstring would otherwise mark the stub's text)."""
    from pygments import token
    from pygments.lexers import PythonLexer

    spans = []
    for start, kind, value in PythonLexer().get_tokens_unprocessed(code):
        if kind in token.String.Doc or kind in token.Comment or (kind in token.String and len(value) > 40):
            spans.append((start, start + len(value)))
    return spans


def _without(slices, quiet: list[tuple[int, int]]):
    """Slices (2 x n, sorted) with the quiet spans cut out; pieces of blank text dropped."""
    import numpy as np

    pieces = []
    for s, e in zip(slices[0].tolist(), slices[1].tolist()):
        for qs, qe in quiet:
            if qe <= s or qs >= e:
                continue
            if qs > s:
                pieces.append((s, qs))
            s = max(s, qe)
            if s >= e:
                break
        if s < e:
            pieces.append((s, e))
    return pieces and np.array(pieces, dtype=np.int64).T


def _whole_words(code: str, s: int, e: int) -> tuple[int, int]:
    """A region widened to whole names (copydetect's offsets can land a character inside one)."""
    def word(i):
        return 0 <= i < len(code) and (code[i].isalnum() or code[i] == "_")

    while word(s - 1) and word(s):
        s -= 1
    while word(e - 1) and word(e):
        e += 1
    return s, e


def raw_slices(fp, slices):
    """Filtered-text slices of a Fingerprint (course/similarity.py) mapped back onto the student's
    text (as copydetect's compare_files does)."""
    import numpy as np

    slices = slices.copy()
    if slices.size and len(fp.offsets):
        slices += fp.offsets[:, 1][np.clip(np.searchsorted(fp.offsets[:, 0], slices), 0, fp.offsets.shape[0] - 1)]
    return np.clip(slices, 0, len(fp.raw_code))


def _marked(fp, slices, truncate: int = 8) -> str:
    from copydetect.utils import highlight_overlap

    if slices.size == 0:
        return html.escape(fp.raw_code)
    raw = raw_slices(fp, slices)
    pieces = _without(raw, _quiet_spans(fp.raw_code))
    code = fp.raw_code
    pieces = [_whole_words(code, s, e) for s, e in (zip(*pieces) if len(pieces) else []) if code[s:e].strip()]
    if not pieces:
        return html.escape(fp.raw_code)
    import numpy as np

    text, _ = highlight_overlap(fp.raw_code, np.array(pieces, dtype=np.int64).T, '<mark class="match">', "</mark>",
                                truncate=truncate, escape_html=True)
    return text


def render_pair(data: dict, pair, sub_a, sub_b, threshold: float) -> str:
    """``data``: the pair as in similarity.json; ``pair``: its PairResult; ``sub_a``/``sub_b``:
    the two Submissions (their fingerprints hold the text)."""
    a, b = html.escape(data["student_a"]), html.escape(data["student_b"])
    rows = [f'<tr class="{"flagged" if m["flagged"] else ""}"><td>{html.escape(m["module"])}</td>'
            f'<td>{_pct(m["share_a"])}</td><td>{_pct(m["share_b"])}</td><td>{m["matched_a"]}</td>'
            f'<td>{m["matched_b"]}</td></tr>' for m in data["modules"]]
    whole_cls = "flagged" if data["score"] >= threshold else ""
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Similarity: {a} and {b}</title><style>{STYLE}</style></head><body>",
        f"<h1>Similarity: {a} and {b}</h1>",
        f'<p>Score <strong>{_pct(data["score"])}</strong> (the larger of the two shares below); '
        f"flagged at {_pct(threshold)} for the whole submission or for one module. "
        "Shares are of each student's own code (the stubs in exercises/ never count), "
        'after names, strings and comments are filtered out. <a href="../index.html">Back to the class page</a>.</p>',
        '<table class="scores"><thead><tr><th>module</th>'
        f"<th>share of {a}</th><th>share of {b}</th><th>matched ({a})</th><th>matched ({b})</th></tr></thead><tbody>",
        f'<tr class="{whole_cls}"><td>all (whole submission)</td><td>{_pct(data["share_a"])}</td>'
        f'<td>{_pct(data["share_b"])}</td><td></td><td></td></tr>',
        *rows, "</tbody></table>",
        '<p class="note">Matched: filtered characters in matching regions. Long stretches without a match '
        "(mostly the stubs' docstrings) are cut to a few lines around each match.</p>",
    ]
    flagged = set(data["flagged_modules"])
    shown = sorted((m for m in pair.modules if m.matched_a),
                   key=lambda m: (m.module not in flagged, -m.score, m.module))
    for m in shown:
        fa, fb = sub_a.modules[m.module], sub_b.modules[m.module]
        regions = m.slices_a.shape[1]
        parts += [
            f'<h2 id="{html.escape(m.module)}">{html.escape(m.module)}: {_pct(m.share_a)} of {a}, '
            f"{_pct(m.share_b)} of {b}{' (flagged)' if m.module in flagged else ''}</h2>",
            f'<p class="note">{regions} matching region{"s" if regions != 1 else ""} marked in {a}, '
            f"{m.slices_b.shape[1]} in {b}.</p>",
            '<div class="side">',
            f'<div><h3>{a}</h3><pre class="code">{_marked(fa, m.slices_a)}</pre></div>',
            f'<div><h3>{b}</h3><pre class="code">{_marked(fb, m.slices_b)}</pre></div>',
            "</div>",
        ]
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
