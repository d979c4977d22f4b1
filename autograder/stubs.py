"""exercises/ is generated from solutions/ with nbgrader's own ClearSolutions.

Each solution module is wrapped in a one-cell notebook marked as a solution
cell, nbgrader replaces every ``### BEGIN SOLUTION`` ... ``### END SOLUTION``
region with ``# YOUR CODE HERE`` + ``raise NotImplementedError()``, and a
"do not edit" header is added. ``check_stubs`` regenerates in memory and
compares, so a hand-edited stub or a solution changed without regenerating fails.
"""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "# Generated from solutions/{name} by `./grade.sh stubs` - do not edit this header.\n"
    "# Fill in every `# YOUR CODE HERE`, then run ./grade.sh to check your work.\n"
    "# 由 `./grade.sh stubs` 从 solutions/{name} 生成。请完成每个 `# YOUR CODE HERE`，然后运行 ./grade.sh 自查。\n"
)


def clear_solutions(source: str) -> str:
    import nbformat
    from nbgrader.preprocessors import ClearSolutions

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "task": False,
                                 "grade_id": "module", "schema_version": 3}
    nb.cells.append(cell)
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "Python 3"}
    nb.metadata["language_info"] = {"name": "python"}
    nb, _ = ClearSolutions().preprocess(nb, {})
    return nb.cells[0].source


def stub_text(solution: Path) -> str:
    text = clear_solutions(solution.read_text(encoding="utf-8"))
    return HEADER.format(name=solution.name) + text.rstrip("\n") + "\n"


def solution_files(root: Path = ROOT) -> list[Path]:
    return sorted((root / "solutions").glob("ex[0-9][0-9]_*.py"))


def write_stubs(root: Path = ROOT) -> list[Path]:
    exercises = root / "exercises"
    exercises.mkdir(exist_ok=True)
    written = []
    for sol in solution_files(root):
        target = exercises / sol.name
        target.write_text(stub_text(sol), encoding="utf-8")
        written.append(target)
    init = exercises / "__init__.py"
    init.write_text('"""Your exercises: fill in the TODOs, then run ./grade.sh."""\n', encoding="utf-8")
    return written


def check_stubs(root: Path = ROOT) -> list[str]:
    """Lines describing every stub that does not match its solution; empty when all agree."""
    exercises = root / "exercises"
    problems = []
    names = {p.name for p in solution_files(root)}
    for sol in solution_files(root):
        target = exercises / sol.name
        if not target.exists():
            problems.append(f"exercises/{sol.name} is missing")
        elif target.read_text(encoding="utf-8") != stub_text(sol):
            problems.append(f"exercises/{sol.name} differs from what solutions/{sol.name} generates")
    for extra in sorted(exercises.glob("ex[0-9][0-9]_*.py")):
        if extra.name not in names:
            problems.append(f"exercises/{extra.name} has no solution in solutions/")
    return problems
