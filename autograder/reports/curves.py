"""Pictures of a failing training check: the student's curve beside a correct run's on the same data.

A public check attaches the series with ``checks.api.curve(title, student, reference)``; the
reference series are the grader's own (checks/reference/exNN.py). Once graded, each failing check's
curves are drawn here with matplotlib's Agg canvas (no display, no pyplot state) into one PNG per
check, written atomically next to the report; the console line names the file. Hidden checks
attach none (they show no expected values), so a hidden run writes no pictures.
"""
from __future__ import annotations

import io
from pathlib import Path

from ..feedback.catalog import Msg, render
from .files import write_bytes

MAX_PANELS = 4  # one panel per series name (train_loss, val_loss, val_acc, lr), at most this many
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei",
             "Source Han Sans SC", "PingFang SC", "Microsoft YaHei")


def png(curve: dict, lang: str = "en") -> bytes:
    """One check's curves as PNG bytes: a panel per series name, the student's line solid, the
    correct run's dashed. Labels are in ``lang`` where a font for it is installed, else English."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    font = _cjk_font() if lang == "zh" else None
    lang = lang if lang != "zh" or font else "en"
    names = list(dict.fromkeys([*curve["reference"], *curve["student"]]))[:MAX_PANELS]
    fig = Figure(figsize=(4.2 * max(1, len(names)), 3.4), dpi=90)
    FigureCanvasAgg(fig)
    rc = {"fontfamily": font} if font else {}
    for i, name in enumerate(names, start=1):
        ax = fig.add_subplot(1, len(names), i)
        ref, mine = curve["reference"].get(name, []), curve["student"].get(name, [])
        ax.plot(range(1, len(ref) + 1), ref, "--", color="#228833", linewidth=2,
                label=render(Msg("curve.correct"), lang))
        ax.plot(range(1, len(mine) + 1), mine, "o-" if len(mine) <= 30 else "-", color="#cc3311", linewidth=1.5,
                markersize=4, label=render(Msg("curve.yours"), lang))
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("epoch" if len(ref) <= 300 else "step")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, prop=rc or None)
    fig.suptitle(curve["title"], fontsize=10)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def write_curves(report, folder: Path, lang: str = "en") -> list[Path]:
    """Draw the curves of every failing check of ``report`` into ``folder``/<check>.png (earlier
    pictures of this kit in that folder are removed first, so none is stale); each result's
    ``curve_files`` gets its file. Returns the files written."""
    folder = Path(folder)
    if folder.is_dir():
        for old in folder.glob("test_*.png"):
            try:
                old.unlink()
            except OSError:
                pass
    written = []
    for result in report.results:
        if result.status == "passed" or not result.curves or result.hidden:
            continue
        for i, curve in enumerate(result.curves[:3]):
            path = folder / f"{result.name}{'' if i == 0 else f'-{i + 1}'}.png"
            try:
                write_bytes(path, png(curve, lang))
            except OSError:  # a folder that cannot be written: the report goes without this picture
                continue
            result.curve_files.append(str(path))
            written.append(path)
    return written


def _cjk_font() -> str | None:
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)
