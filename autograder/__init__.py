"""The grader of the PyTorch workflow homework (see README.md). In a notebook cell:
``from autograder import check; check("ex04")`` grades one exercise as ``./grade.sh ex04`` does."""


def check(*exercises, folder=None, lang=None):
    """Grade ``exercises`` with the public checks in a separate grader process and show the result
    (see autograder.notebook.check, which this calls)."""
    from .notebook import check as run_check

    return run_check(*exercises, folder=folder, lang=lang)
