"""Each check's points, derived from the weights the checks declare.

``@check("ex03", "count_parameters", 2, ...)`` gives the check a weight of 2. In each suite, the
checks of one exercise share the exercise's points of the handout (``assignment.POINTS``, a
bonus's ``assignment.BONUS``) in proportion to their weights, in hundredths of a point that add
up to the exercise's points exactly (largest remainder; ties go to the check declared first). So
adding a check changes no other check's declaration: where the weights of an exercise add up to
its points, every check gets its weight; a new check of weight 1 in ex03 (15 points) makes each
of the others get 15/16 of its weight.

The checks are read as text (``ast``), never imported, so the points of a suite are known before
its checks are collected, and the same in the grader, the reports and the project's tests.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from ..assignment import BONUS, POINTS

CHECKS_DIR = Path(__file__).resolve().parent
SUITES = ("public", "hidden")


@dataclass(frozen=True)
class Declared:
    """One ``@check`` as written in a check module."""

    file: str  # test_ex03_model.py
    name: str  # the test function
    exercise: str
    function: str
    weight: float
    keywords: dict  # en, zh, in_process


class DeclarationError(ValueError):
    """A check module declares a check the grader cannot use."""


def declared(suite: str, checks_dir: Path = CHECKS_DIR) -> list[Declared]:
    """Every check of ``suite``, in file and declaration order."""
    found = []
    for path in sorted((Path(checks_dir) / suite).glob("test_*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
                continue
            marks = [d for d in node.decorator_list if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "check"]
            if len(marks) != 1:
                raise DeclarationError(f"{path.name}::{node.name} needs exactly one @check(...)")
            try:
                exercise, function, weight = (ast.literal_eval(a) for a in marks[0].args)
                keywords = {k.arg: ast.literal_eval(k.value) for k in marks[0].keywords}
            except ValueError:
                raise DeclarationError(f"{path.name}::{node.name}: @check(exercise, function, weight, en=..., zh=...) "
                                       "with literal values") from None
            if exercise not in POINTS and exercise not in BONUS:
                raise DeclarationError(f"{path.name}::{node.name}: unknown exercise {exercise!r}")
            if not (isinstance(weight, (int, float)) and weight > 0):
                raise DeclarationError(f"{path.name}::{node.name}: the weight must be a number above 0")
            found.append(Declared(path.name, node.name, exercise, function, float(weight), keywords))
    return found


def share(total: float, weights: list[float]) -> list[float]:
    """``total`` split in proportion to ``weights``, in hundredths that add up to ``total`` exactly."""
    cents = round(total * 100)
    whole = sum(weights)
    exact = [cents * w / whole for w in weights]
    parts = [int(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in by_remainder[:cents - sum(parts)]:
        parts[i] += 1
    return [p / 100 for p in parts]


@lru_cache(maxsize=8)
def _points(suite: str, checks_dir: str) -> dict[tuple[str, str], float]:
    checks = declared(suite, Path(checks_dir))
    out = {}
    for exercise in dict.fromkeys(c.exercise for c in checks):
        mine = [c for c in checks if c.exercise == exercise]
        total = POINTS.get(exercise, BONUS.get(exercise))
        for c, points in zip(mine, share(total, [c.weight for c in mine])):
            out[c.file, c.name] = points
    return out


def points(suite: str, checks_dir: Path = CHECKS_DIR) -> dict[tuple[str, str], float]:
    """{(file, test name): points} of every check of ``suite``."""
    return _points(suite, str(checks_dir))
