"""The manifest of the assignment, as the handout (HANDOUT.md) states it: its exercises, their
files and points, the bonus and the data it needs, and what ships in the student bundle and in the
Gradescope bundle. Every other module reads these facts from here; the DLGRADER_* settings of the
kit live in settings.py.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MODULES = {
    "ex01": "ex01_gradient_descent",
    "ex02": "ex02_data",
    "ex03": "ex03_model",
    "ex04": "ex04_training",
    "ex05": "ex05_device",
    "ex06": "ex06_experiments",
    "ex07": "ex07_checkpoint",
    "ex08": "ex08_capstone",
}
POINTS = {"ex01": 15, "ex02": 15, "ex03": 15, "ex04": 15, "ex05": 10, "ex06": 10, "ex07": 10, "ex08": 10}
MAX_SCORE = sum(POINTS.values())
FILENAMES = {f"{name}.py" for name in MODULES.values()}


@dataclass(frozen=True)
class Bonus:
    """Extra points, graded only where the data it needs is in the data folder."""

    points: float
    module: str  # the exercise module its functions live in
    data: str  # the folder under the data folder that holds ``files``
    files: tuple[str, ...]
    how_to_get: str  # for the TA: how the files get there

    def available(self, data_dir: Path) -> bool:
        folder = Path(data_dir) / self.data
        return all((folder / name).is_file() for name in self.files)


BONUSES = {
    "mnist": Bonus(points=5, module="ex08_capstone", data="MNIST/raw",
                   files=("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                          "t10k-labels-idx1-ubyte"),
                   how_to_get="torchvision.datasets.MNIST('data', download=True) on a machine with a network"),
}
BONUS = {name: bonus.points for name, bonus in BONUSES.items()}
EXERCISES = [*POINTS, *BONUS]


# --- what ships ---------------------------------------------------------------------------------
# The student bundle (./grade.sh release): the stubs, the walkthrough, the public checks, the engine,
# the data, grade.sh, the environment files, the handout. Never solutions/, the hidden checks, the
# project's tests or CI, nor the bonus's data (large, and each student downloads it).
RELEASE_FILES = ["grade.sh", "requirements.txt", "environment.yml", "HANDOUT.md", "HANDOUT.zh-CN.md"]
# Its READMEs speak to students only (what they run, how to start Jupyter, the first set-up); the
# repository's README.md / README.zh-CN.md are the instructors'.
RELEASE_READMES = {"STUDENT_README.md": "README.md", "STUDENT_README.zh-CN.md": "README.zh-CN.md"}
RELEASE_FOLDERS = ["exercises", "data", "autograder"]
RELEASE_LEFT_OUT = ("__pycache__", "*.pyc", "hidden", "audit*", "MNIST", "stubs.py", "release.py",
                    "gradescope_bundle.py")
# The Gradescope bundle (./grade.sh gradescope): the engine, the public and hidden checks, the data
# and grade.sh; never solutions/ or the tests, nor the bonus's data.
GRADESCOPE_FOLDERS = ["autograder", "data"]
GRADESCOPE_FILES = ["grade.sh", "requirements.txt"]
GRADESCOPE_LEFT_OUT = ("__pycache__", "MNIST")


CHECK_FILES = {**{ex: ex for ex in MODULES}, "mnist": "ex08"}  # the exNN of test_exNN_*.py that holds its checks


def select_exercises(names) -> tuple[str, ...] | None:
    """The exercises named (``ex04``, ``ex4``, ``4`` or ``mnist``), in the handout's order, or None when
    none are named (all of them). An unknown name raises ValueError listing the valid ones."""
    chosen = set()
    for name in names or ():
        text = str(name).strip().lower()
        digits = text[2:] if text.startswith("ex") else text
        key = f"ex{int(digits):02d}" if digits.isdigit() else text
        if key not in EXERCISES:
            raise ValueError(f"there is no exercise {name!r}; the exercises are {', '.join(EXERCISES)}")
        chosen.add(key)
    return tuple(ex for ex in EXERCISES if ex in chosen) or None
