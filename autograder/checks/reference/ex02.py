"""Grader-side references for ex02: the expected rows and scaling, the fingerprint of the shipped
data/iris.csv, and what the batches of a training loader must show. Never sent to the worker."""
from __future__ import annotations

import torch

from ...feedback.catalog import Msg

HEADER = "sepal_length,sepal_width,petal_length,petal_width,label,species,split"
SPECIES = ("setosa", "versicolor", "virginica")

# data/iris.csv per split: samples per label, and the sum and sum of squares of each feature.
# Kept here (not read from the data folder) so that nothing the worker can reach decides it.
IRIS_SPLITS = {
    "train": ([32, 32, 32], [563.7, 294.8, 361.9, 116.6], [3380.63, 922.6, 1670.39, 196.42]),
    "val": ([8, 8, 8], [139.2, 71.1, 89.2, 28.3], [823.6, 216.87, 405.92, 48.53]),
    "test": ([10, 10, 10], [173.6, 92.7, 112.6, 35.0], [1019.62, 290.93, 506.4, 57.38]),
}


def csv_text(rows) -> str:
    """rows of (f1, f2, f3, f4, label, split) as the text of an iris CSV."""
    lines = [HEADER] + [f"{a},{b},{c},{d},{y},{SPECIES[y]},{s}" for a, b, c, d, y, s in rows]
    return "\n".join(lines) + "\n"


def expected_split(rows, split):
    """(features float32 [n, 4], labels int64 [n]) of the rows of one split."""
    chosen = [r for r in rows if r[5] == split]
    return (torch.tensor([r[:4] for r in chosen], dtype=torch.float32).reshape(-1, 4),
            torch.tensor([r[4] for r in chosen], dtype=torch.int64))


def scale(x, stats):
    """The expected min-max scaling, in float64: a zero range divides by 1."""
    lo, hi = (s.double() for s in stats)
    return ((x.double() - lo) / (hi - lo).masked_fill(hi == lo, 1.0)).to(x.dtype)


def iris_fingerprint(x, y):
    """(samples per label, feature sums, sums of squares) of stacked items, as IRIS_SPLITS has them."""
    counts = [int((y == c).sum()) for c in range(3)]
    x = x.double()
    return counts, x.sum(dim=0), (x ** 2).sum(dim=0)


def flat(batches):
    return [v for batch in batches for v in batch]


def epoch_problem(batches, n, batch_size):
    """Why one epoch of a loader over samples 0..n-1 is wrong (None when every sample comes
    exactly once, in batches of ``batch_size`` but the last); a Msg, shown as what was got."""
    if not isinstance(batches, list) or not all(isinstance(b, list) for b in batches):
        return Msg("value.ex02_no_batches")
    if sorted(flat(batches)) != list(range(n)):
        return Msg("value.ex02_not_once")
    sizes = [len(b) for b in batches]
    if any(s != batch_size for s in sizes[:-1]) or not 0 < sizes[-1] <= batch_size:
        return Msg("value.ex02_batch_sizes", sizes=str(sizes))
    return None
