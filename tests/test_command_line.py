"""What ./grade.sh prints for the language asked for and the folder graded, run as a student runs it,
on copies of the stubs (public checks: every check fails at once with "not implemented")."""
import shlex
import shutil

from conftest import ROOT, run_grade

STUBS = ROOT / "exercises"
FIRST = "ex01_gradient_descent.py"


def next_line(stdout: str) -> str:
    lines = [line for line in stdout.splitlines() if line.startswith(("Next:", "下一步："))]
    assert len(lines) == 1, stdout
    return lines[0]


def stubs_in(folder):
    shutil.copytree(STUBS, folder, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def test_lang_before_the_subcommand_is_kept_and_the_next_line_repeats_it(tmp_path):
    folder = stubs_in(tmp_path / "my homework")
    done = run_grade("--lang", "zh", "grade", folder)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "练习" in done.stdout and "尚未实现" in done.stdout, done.stdout
    assert "Not implemented yet" not in done.stdout
    line = next_line(done.stdout)
    assert line.startswith("下一步："), line
    assert f"{folder / FIRST}" in line, line
    assert f"./grade.sh --lang zh grade {shlex.quote(str(folder))}" in line, line

    done = run_grade("grade", folder, "--lang", "zh")  # after the subcommand, as before
    assert done.returncode == 0, done.stderr + done.stdout
    assert next_line(done.stdout) == line


def test_the_next_line_names_the_folder_graded(tmp_path):
    submission = tmp_path / "ann"
    stubs_in(submission / "exercises")  # PATH/exercises holds the files: the line names that folder
    done = run_grade("grade", submission)
    assert done.returncode == 0, done.stderr + done.stdout
    line = next_line(done.stdout)
    assert line.startswith(f"Next: open {submission / 'exercises' / FIRST}, write softmax "), line
    assert line.endswith(f"then run ./grade.sh grade {submission} again."), line
    assert "--lang" not in line


def test_the_self_check_says_exercises_and_keeps_chinese():
    done = run_grade("--lang", "zh")
    assert done.returncode == 0, done.stderr + done.stdout
    line = next_line(done.stdout)
    assert f"exercises/{FIRST}" in line and line.endswith("./grade.sh --lang zh。"), line
