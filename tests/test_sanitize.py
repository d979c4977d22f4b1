"""Nothing a submission writes reaches a terminal or a report raw: exception messages, where
lines, file names and printed output lose their escape sequences and control characters in
catalog.render and catalog.clean, which every renderer and writer goes through."""
import json

import pytest

from autograder.engine.client import StudentError, WorkerFailure
from autograder.feedback.catalog import Msg, clean, render
from autograder.grading import plugin, results
from autograder.reports import files
from autograder.reports.console import render_report
from autograder.reports.gradescope import results_json

# A forged result line: erase the line, move the cursor up over the real total, write another.
FAKE_TOTAL = "oops\x1b[2K\x1b[1A\x1b[1;1H\rtotal       100/100\x1b[0m"
OSC52 = "\x1b]52;c;ZWNobyBwd25lZCA+PiB+Ly5iYXNocmM=\x07"  # writes to the TA's clipboard
OSC52_ST = "\x1b]52;c;ZWNobyBwd25lZA==\x1b\\"
C1 = "\x9b2J\x9d52;c;aGk=\x9c\x90qDCS\x9c\x85\x8d"  # 8-bit CSI, OSC ... ST, DCS ... ST, NEL, RI
OTHERS = "a\x00b\x07c\x08d\x7fe\x1bcf\x1b(0g\u202eh\x0bi\x0cj"

FORBIDDEN = [chr(c) for c in range(0x20) if chr(c) not in "\n\t"] + [chr(c) for c in range(0x7f, 0xa0)] + ["\u202e"]


def assert_clean(text: str):
    bad = sorted({hex(ord(ch)) for ch in text if ch in FORBIDDEN})
    assert not bad, f"control characters left: {bad} in {text[:300]!r}"
    assert "\\u001b" not in text and "\\u009b" not in text.lower(), text[:300]


def test_a_fake_total_loses_its_cursor_moves():
    out = clean(FAKE_TOTAL)
    assert out == "oopstotal       100/100"
    assert_clean(out)


@pytest.mark.parametrize("seq", [OSC52, OSC52_ST])
def test_osc52_is_removed_with_its_payload(seq):
    out = clean(f"before{seq}after")
    assert out == "beforeafter"


def test_c1_controls_and_other_escapes():
    assert clean(C1) == ""
    assert clean(OTHERS) == "abcdefghij"
    assert clean("line 1\n\tline 2 — 中文 ok") == "line 1\n\tline 2 — 中文 ok"
    assert clean("a\r\nb\rc", keep_crlf=True) == "a\r\nbc"


def hostile_result():
    info = {"type": "Value\x1b[31mError", "message": f"bad {FAKE_TOTAL} {OSC52} {C1}",
            "where": f"ex01_gradient_descent.py\x1b]8;;http://x\x07, line 3, in mse: {OTHERS}",
            "not_implemented": False}
    status, feedback = plugin.explain(StudentError(info, "ex01_gradient_descent.mse"), "mse", None)
    crash = plugin.explain(WorkerFailure("crash", f"printed {FAKE_TOTAL}{OSC52}"), "mae", None)
    notes = [Msg("intake.ignored", name=f"evil{OSC52}\x1b[2J.py")]
    make = lambda fn, st, fb: results.CheckResult(name="t", exercise="ex01", function=fn, max_points=1.0,  # noqa: E731
                                                 title={"en": "t", "zh": "t"}, status=st, feedback=fb)
    return results.Report(results=[make("mse", status, feedback), make("mae", *crash)], isolation="process",
                          suite="public", notes=notes)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_renderer_is_clean(lang, tmp_path):
    report = hostile_result()
    console = render_report(report, lang)
    assert_clean(console)
    assert "100/100" in console  # the text stays, harmless
    # the forged total cannot start a line of its own: only the real total does
    assert sum(line.startswith(("total", "总分")) for line in console.splitlines()) == 1, console
    for data in (report.to_json(lang), results_json(report, lang)):
        assert_clean(json.dumps(data, ensure_ascii=False))
        assert_clean(json.dumps(data))
    files.write_json(tmp_path / "r.json", report.to_json(lang))
    files.write_json(tmp_path / "g.json", {"raw": "x\x1b[2Jy\x9b", "list": [OSC52]})
    files.write_text(tmp_path / "f.md", f"# feedback\r\n{FAKE_TOTAL}\r\n")
    for name in ("r.json", "g.json", "f.md"):
        assert_clean((tmp_path / name).read_bytes().decode("utf-8").replace("\r\n", "\n"))
    assert json.loads((tmp_path / "g.json").read_text()) == {"raw": "xy", "list": [""]}
    assert (tmp_path / "f.md").read_bytes().count(b"\r\n") == 2


def test_a_forged_newline_does_not_start_a_console_line():
    info = {"type": "E", "message": "x\ntotal       100/100\nAll checks passed.", "where": "", "not_implemented": False}
    status, fb = plugin.explain(StudentError(info, "ex01_gradient_descent.mse"), "mse", None)
    report = results.Report(results=[results.CheckResult(name="t", exercise="ex01", function="mse", max_points=1.0,
                                                         title={"en": "t", "zh": "t"}, status=status, feedback=fb)],
                            isolation="process", suite="public")
    lines = render_report(report).splitlines()
    assert sum(line.startswith("total") for line in lines) == 1
    assert "All checks passed." not in [line.strip() for line in lines if not line.startswith(" ")]


def test_parameters_of_any_type_are_cleaned():
    class Evil:
        def __str__(self):
            return "\x1b]52;c;aGk=\x07evil\x9b1m"

    assert render(Msg("raised", func="f", exc=Evil(), message=["\x1b[2J", "x"])) == "f raised evil: ['\\x1b[2J', 'x']"
    assert_clean(render(Msg("where", where="\x1b[1A\x1b[2K")))
    assert render("plain\x1b[31m str") == "plain str"
