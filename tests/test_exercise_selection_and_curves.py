"""Grading one exercise alone (``./grade.sh ex04``, ``grade PATH --only ex04``), the pictures of
failing training checks, and ``check("ex04")`` in a real Jupyter kernel.

One submission is graded a few times, each once per module: solutions/ with ex04's
``optimizer.step()`` left out (every weight stays where it started, so the loss never falls).
The same folder is graded by ./grade.sh (public and hidden checks, ex04 only) and by
``check("ex04")`` run in a python3 kernel started by nbclient, and the scores must agree.
"""
import base64
import io
import json
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest
from conftest import ROOT, run_grade
from test_walkthrough import jupyter_path

from autograder import cli
from autograder.assignment import select_exercises

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def no_step(tmp_path_factory):
    """solutions/ with train_one_epoch's optimizer.step() turned into a no-op."""
    folder = tmp_path_factory.mktemp("no_step") / "submission"
    shutil.copytree(ROOT / "solutions", folder, ignore=shutil.ignore_patterns("__pycache__"))
    path = folder / "ex04_training.py"
    source = path.read_text()
    assert source.count("        optimizer.step()\n") == 1
    path.write_text(source.replace("        optimizer.step()\n", "        pass  # optimizer.step() forgotten\n"))
    return folder


@pytest.fixture(scope="module")
def public(no_step, tmp_path_factory):
    """(JSON report, console text) of ./grade.sh grade NO_STEP --only ex04 --json OUT/report.json."""
    out = tmp_path_factory.mktemp("public") / "report.json"
    done = run_grade("grade", no_step, "--only", "ex04", "--json", out)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(out.read_text()), done.stdout, out.parent


@pytest.fixture(scope="module")
def hidden(no_step, tmp_path_factory):
    out = tmp_path_factory.mktemp("hidden") / "report.json"
    # fit's training checks only (the ones a public check would draw): enough to see none is drawn
    done = run_grade("grade", no_step, "--hidden", "--only", "ex04", "-k", "fit_without or fit_lr", "--json", out)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(out.read_text()), done.stdout, out.parent


# --- selection ------------------------------------------------------------------------------------
def test_exercise_names_are_read_and_unknown_ones_listed():
    assert select_exercises(["ex05", "EX4", "4"]) == ("ex04", "ex05")
    assert select_exercises([]) is None
    with pytest.raises(ValueError, match="ex01, ex02, .*ex08, mnist"):
        select_exercises(["ex09"])
    assert cli.exercise_words(["ex04", "ex05", "--lang", "zh"]) == ["--only", "ex04", "ex05", "--lang", "zh"]
    assert cli.exercise_words(["grade", "ex04"]) == ["grade", "ex04"]  # a folder named ex04 stays a folder


def test_an_unknown_exercise_is_refused_with_the_valid_names():
    done = run_grade("ex09", timeout=120)
    assert done.returncode == 2
    assert "there is no exercise 'ex09'" in done.stderr and "ex01, ex02" in done.stderr and "mnist" in done.stderr
    assert "Traceback" not in done.stderr


def test_only_the_named_exercise_is_graded_and_the_total_is_over_it(public):
    report, text, _ = public
    assert {t["exercise"] for t in report["tests"]} == {"ex04"}
    assert report["only"] == ["ex04"] and report["max_score"] == 15
    assert list(report["exercises"]) == ["ex04"]
    assert report["score"] == report["exercises"]["ex04"]["score"] < 15
    total = next(line for line in text.splitlines() if line.startswith("total"))
    assert re.fullmatch(rf"total\s+{report['score']:g}/15 \(ex04 only\)", total), total
    assert not any(line.startswith(("ex01", "ex03", "ex05")) for line in text.splitlines())
    next_line = [line for line in text.splitlines() if line.startswith("Next")]
    assert len(next_line) == 1 and "--only ex04" in next_line[0]  # the Next: line grades the same exercise again


# --- curves ---------------------------------------------------------------------------------------
def test_a_failing_training_check_saves_its_curve_and_the_console_names_it(public):
    from matplotlib.image import imread

    report, text, folder = public
    failed = {t["name"]: t for t in report["tests"] if t["status"] != "passed"}
    loss = failed["test_train_one_epoch_loss_decreases"]
    assert len(loss["curves"]) == 1
    png = folder / "report_curves" / "test_train_one_epoch_loss_decreases.png"
    assert loss["curves"] == [str(png)]
    assert png.read_bytes().startswith(PNG_SIGNATURE)
    pixels = imread(png)
    height, width = pixels.shape[:2]
    assert 150 <= height <= 2000 and 200 <= width <= 4000, pixels.shape
    colours = np.unique(pixels.reshape(-1, pixels.shape[2])[::5].round(2), axis=0)
    assert len(colours) > 10  # lines, text, grid and background, not a blank canvas
    assert str(png) in text or "report_curves/test_train_one_epoch_loss_decreases.png" in text
    # fit's history (with its lr) is drawn too; passing checks draw nothing
    assert failed["test_fit_history_keys_and_lengths"]["curves"]
    written = sorted(p.name for p in (folder / "report_curves").iterdir())
    assert written == sorted(Path(p).name for t in failed.values() for p in t["curves"])


def test_hidden_checks_draw_no_curves(hidden):
    report, text, folder = hidden
    assert report["suite"] == "hidden" and len(report["tests"]) == 2
    assert all(t["status"] == "failed" for t in report["tests"])  # the same mistake, caught
    assert all(t["curves"] == [] for t in report["tests"])
    assert not (folder / "report_curves").exists()
    assert list(folder.iterdir()) == [folder / "report.json"]
    assert ".png" not in text


# --- check() in a real kernel ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def in_kernel(no_step, tmp_path_factory):
    """The outputs of ``check("ex04", folder=NO_STEP)`` run in a python3 kernel (its cwd a scratch folder)."""
    from nbclient import NotebookClient

    scratch = tmp_path_factory.mktemp("kernel")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\nfrom autograder import check\n"
        f"result = check('ex04', folder={str(no_step)!r})\nprint('returned', result['score'])")]
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    env = {"IPYTHONDIR": str(scratch / "ipython"), "JUPYTER_PLATFORM_DIRS": "1", "JUPYTER_PATH": jupyter_path()}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        NotebookClient(nb, kernel_name="python3", timeout=600,
                       resources={"metadata": {"path": str(scratch)}}).execute()
    return nb.cells[0].outputs


def test_check_in_a_kernel_shows_the_same_score_as_grade_sh(in_kernel, public):
    report, _, _ = public
    errors = [o for o in in_kernel if o.output_type == "error"]
    assert not errors, errors
    shown = [o["data"]["text/html"] for o in in_kernel if "text/html" in o.get("data", {})]
    assert len(shown) == 1, in_kernel
    html = shown[0]
    score = re.search(r'data-score="([^"]+)" data-max-score="([^"]+)"', html)
    assert (float(score[1]), float(score[2])) == (report["score"], 15)
    total = re.search(r'class="dlgrader-total"[^>]*>([^<]+)<', html)[1]
    assert total == f"{report['score']:g}/15 (ex04 only)"
    text = "".join(o.get("text", "") for o in in_kernel)
    assert f"returned {report['score']}" in text
    # the same failing checks and hints, and the curve drawn in
    for t in report["tests"]:
        if t["status"] != "passed":
            assert t["title"] in html.replace("&#x27;", "'")
    assert "<p>Next: fix the first line above (train_one_epoch in " in html
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', html)
    assert len(images) == sum(len(t["curves"]) for t in report["tests"]) >= 1
    assert all(base64.b64decode(data).startswith(PNG_SIGNATURE) for data in images)
    from matplotlib.image import imread

    assert imread(io.BytesIO(base64.b64decode(images[0])), format="png").shape[0] > 100


def test_only_the_check_files_of_the_exercises_named_are_collected():
    from autograder.grading.runner import check_paths

    assert [p.name for p in check_paths("public", ("ex04", "ex06"))] == ["test_ex04_training.py",
                                                                         "test_ex06_experiments.py"]
    assert [p.name for p in check_paths("hidden", ("mnist",))] == ["test_ex08_capstone.py"]  # the bonus lives there
    assert check_paths("public", None) == [ROOT / "autograder" / "checks" / "public"]


def test_curves_are_kept_only_by_public_checks_and_go_beside_the_report():
    import argparse

    from autograder.checks import api

    saved = dict(api.SETTINGS)
    try:
        api.CURVES.clear()
        api.SETTINGS["reveal_expected"] = False  # a hidden check
        api.curve("t", {"train_loss": [1.0]}, {"train_loss": [0.5]})
        assert api.CURVES == []
        api.SETTINGS["reveal_expected"] = True
        api.curve("t", {"train_loss": [1, "x", float("inf"), None], "lr": 3}, {"train_loss": [0.5, 0.4]})
        (kept,) = api.CURVES
        assert kept["reference"] == {"train_loss": [0.5, 0.4]}
        assert kept["student"]["lr"] == [] and kept["student"]["train_loss"][0] == 1.0
        assert all(np.isnan(v) for v in kept["student"]["train_loss"][1:])  # what is not a number is a gap
    finally:
        api.CURVES.clear()
        api.SETTINGS.update(saved)
    args = argparse.Namespace(hidden=False, json="out/report.json")
    assert cli.curves_folder(args, self_check=False) == Path("out/report_curves")
    args.json = None
    assert cli.curves_folder(args, self_check=True) == ROOT / "feedback"
    assert cli.curves_folder(args, self_check=False) is None
    args.hidden = True
    assert cli.curves_folder(args, self_check=True) is None


def test_the_self_check_of_one_exercise_in_chinese():
    """./grade.sh ex04 --lang zh on the stubs of exercises/: ex04 alone, the total over it, the same next."""
    done = run_grade("ex04", "--lang", "zh", timeout=300)
    assert done.returncode == 0, done.stderr + done.stdout
    lines = done.stdout.splitlines()
    assert [line.split()[0] for line in lines[1:3]] == ["ex04", "总分"]
    assert re.fullmatch(r"总分\s+0/15 （仅 ex04）", lines[2]), lines[2]
    assert "./grade.sh --lang zh ex04" in done.stdout
    assert not (ROOT / "feedback").is_dir() or not list((ROOT / "feedback").glob("*.png"))  # nothing ran to draw


def line_colours(png: Path) -> set[str]:
    """Which of the two lines (the correct run's green, the student's red) a picture shows."""
    from matplotlib.image import imread

    pixels = (imread(png)[..., :3] * 255).round().astype(int).reshape(-1, 3)
    found = set()
    for name, rgb in (("correct run", (0x22, 0x88, 0x33)), ("your code", (0xcc, 0x33, 0x11))):
        if (np.abs(pixels - np.array(rgb)).max(axis=1) <= 8).sum() >= 20:
            found.add(name)
    return found


def test_resume_and_the_accuracy_bar_draw_the_students_curve_beside_a_correct_runs(tmp_path):
    """Resuming without the RNG state (ex07) and a train_digits that trains 1 epoch (ex08): each
    failing check's picture holds the student's curve and the correct run's, read back from the PNG."""
    folder = tmp_path / "submission"
    shutil.copytree(ROOT / "solutions", folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name, old, new in (("ex07_checkpoint.py", 'torch.set_rng_state(state["rng"].cpu())', "pass"),
                           ("ex08_capstone.py", "loss_fn, optimizer, epochs, device=device)",
                            "loss_fn, optimizer, 1, device=device)")):
        source = (folder / name).read_text()
        assert old in source
        (folder / name).write_text(source.replace(old, new, 1))
    out = tmp_path / "report.json"
    done = run_grade("grade", folder, "--only", "ex07", "ex08", "--json", out)
    assert done.returncode == 0, done.stderr + done.stdout
    failed = {t["name"]: t for t in json.loads(out.read_text())["tests"] if t["status"] != "passed"}
    for check in ("test_resume_is_exact_public", "test_train_digits_accuracy"):
        (png,) = failed[check]["curves"]
        assert Path(png).read_bytes().startswith(PNG_SIGNATURE) and png in done.stdout
        assert line_colours(Path(png)) == {"correct run", "your code"}, png
