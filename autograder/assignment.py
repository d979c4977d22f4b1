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

