"""Data the grader needs for its own expected values, read without importing the
libraries that ship it (importing scikit-learn alone costs the grader about 1.5 s)."""
from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np


def digits_xy() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's bundled digits, as ``load_digits(return_X_y=True)`` gives them:
    X [1797, 64] float64 pixels in 0..16 and y [1797] int labels."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("scikit-learn is not installed: its bundled digits are needed for ex08")
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    with gzip.open(path, "rt") as fh:
        data = np.loadtxt(fh, delimiter=",")
    return data[:, :-1], data[:, -1].astype(np.int64)
