"""The assignment as the handout (HANDOUT.md) states it: modules, points, the bonus."""

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
BONUS = {"mnist": 5}
MAX_SCORE = sum(POINTS.values())
EXERCISES = [*POINTS, *BONUS]
FILENAMES = {f"{name}.py" for name in MODULES.values()}

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
