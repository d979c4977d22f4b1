"""Instruments of ex02, declared with ``@instrument`` (engine/worker/probes.py).

They run in the worker next to student code (``run_probe(sub, probes_ex02.name, ...)``),
build what they need there from the tensors and seeds the grader sends, call one
student function and return its raw results: outputs, the items and batches it
yields, the ``nn.Linear`` weights of a model (in the order its forward uses them),
the weights an init left. They compute no correct answer: everything a check
compares with is computed in the grader (``autograder/checks/reference/``), and
whatever they report is only what student code let them see. A student's
exception propagates unchanged.
"""
from __future__ import annotations

import torch
from torch.utils.data import TensorDataset

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from .probes import instrument
except ImportError:  # pragma: no cover - worker side
    from probes import instrument
try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from .probes_ex01 import _student
except ImportError:  # pragma: no cover - worker side
    from probes_ex01 import _student


@instrument(ctx=True)
def dataset_run(csv_path, split: str, stats=None, ctx=None) -> dict:
    """IrisDataset(csv_path, split[, stats]): its length and every item ds[i]."""
    cls = _student(ctx, "ex02_data", "IrisDataset")
    ds = cls(csv_path, split) if stats is None else cls(csv_path, split, stats)
    n = len(ds)
    return {"len": n, "items": [ds[i] for i in range(min(n, 10_000))]}


@instrument(ctx=True)
def tensor_dataset_run(X, y, ctx=None) -> dict:
    """to_tensor_dataset(X, y) on NumPy arrays: whether it is a TensorDataset, its length and items."""
    ds = _student(ctx, "ex02_data", "to_tensor_dataset")(X, y)
    n = len(ds)
    return {"is_tensor_dataset": isinstance(ds, TensorDataset), "len": n,
            "items": [ds[i] for i in range(min(n, 10_000))]}


def _indexed(n: int, offset: int) -> TensorDataset:
    """Sample i is (features [2] = [offset + i, -(offset + i)], label offset + i)."""
    ids = torch.arange(offset, offset + n)
    return TensorDataset(torch.stack([ids, -ids], dim=1).float(), ids)


def _order(loader) -> list:
    return [[int(v) for v in y] for _, y in loader]


@instrument(ctx=True)
def loaders_run(sizes=(40, 13, 11), batch_size: int = 16, seed: int = 0, other_seed: int = 1, ctx=None) -> dict:
    """make_loaders on indexed datasets (labels are the sample ids), called three times:
    ``seed``, ``seed`` again and ``other_seed``. All are built first and the global RNG is used
    in between, so only a generator of their own keeps two loaders of the same seed in step.
    Returns the keys and the batches of labels: ``batches`` one epoch of every loader of the
    first call, ``second`` a second epoch of its train loader, ``again`` two epochs of the
    second call's train loader, ``other`` one epoch of the third's."""
    fn = _student(ctx, "ex02_data", "make_loaders")
    datasets = [_indexed(n, off) for n, off in zip(sizes, (0, 1000, 2000))]
    first = fn(*datasets, batch_size=batch_size, seed=seed)
    again = fn(*datasets, batch_size=batch_size, seed=seed)
    other = fn(*datasets, batch_size=batch_size, seed=other_seed)
    out = {"keys": sorted(map(str, first)) if isinstance(first, dict) else None}
    if not isinstance(first, dict):
        return out
    torch.rand(7)
    out["batches"] = {str(name): _order(loader) for name, loader in first.items()}
    torch.rand(3)
    out["second"] = _order(first["train"])
    torch.rand(5)
    out["again"] = [_order(again["train"]), _order(again["train"])]
    out["other"] = _order(other["train"])
    return out
