"""The grader's side of ex06's experiments: its own scaled iris, the initial weights a seed
gives MLP(4, [16], 3), and a replay of the training the worker recorded.

``probes_ex06.experiment_run`` records, for every network the student's code runs, its
weights at its first forward (the initial weights), the batches it was trained on (its
forwards in train mode) and its weights at the end. The grader then checks that the initial
weights are the seed's, that every batch holds rows of the scaled iris training split (whose
labels the grader has), that replaying those batches with the optimizer the name and the lr
say gives the final weights, and that the history reports what those final weights score on
the grader's own validation split. An invented history matches none of that.
"""
from __future__ import annotations

import csv
from pathlib import Path

import torch
from torch import nn

from .ex08 import NotAnMLP, linear_stack, logits
from .memo import remembered

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def spec_optimizer(name):
    """torch.optim class and the handout's settings behind each name."""
    return {
        "sgd": (torch.optim.SGD, {}),
        "momentum": (torch.optim.SGD, {"momentum": 0.9}),
        "adagrad": (torch.optim.Adagrad, {}),
        "rmsprop": (torch.optim.RMSprop, {}),
        "adam": (torch.optim.Adam, {}),
        "adamw": (torch.optim.AdamW, {}),
    }[name]


_IRIS: dict = {}


def iris(data_dir) -> dict:
    """{"train": (x, y), "val": (x, y)} min-max scaled with the train split's statistics (float32)."""
    key = str(data_dir)
    if key not in _IRIS:
        rows = {"train": [], "val": [], "test": []}
        with open(Path(data_dir) / "iris.csv", newline="") as fh:
            for row in csv.DictReader(fh):
                rows.setdefault(row["split"], []).append(([float(row[f]) for f in FEATURES], int(row["label"])))
        raw = {s: (torch.tensor([r[0] for r in v], dtype=torch.float32), torch.tensor([r[1] for r in v]))
               for s, v in rows.items() if v}
        lo, hi = raw["train"][0].min(0).values, raw["train"][0].max(0).values
        scale = torch.where(hi > lo, hi - lo, torch.ones_like(hi))
        _IRIS[key] = {s: ((x - lo) / scale, y) for s, (x, y) in raw.items()}
    return _IRIS[key]


@remembered
def initial_layers(seed: int) -> list:
    """What ``torch.manual_seed(seed); MLP(4, [16], 3)`` starts from (PyTorch's default init)."""
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # the CPU generator that nn.Linear's init draws from
        first, last = nn.Linear(4, 16), nn.Linear(16, 3)
    return [(first.weight.detach().clone(), first.bias.detach().clone()),
            (last.weight.detach().clone(), last.bias.detach().clone())]


def layers_of(state) -> list:
    return linear_stack(state, 4, 3)


def close(a: list, b: list, atol: float, rtol: float, equal_nan: bool = False) -> bool:
    return len(a) == len(b) and all(
        x.shape == y.shape and torch.allclose(x.double(), y.double(), atol=atol, rtol=rtol, equal_nan=equal_nan)
        for (wa, ba), (wb, bb) in zip(a, b) for x, y in ((wa, wb), (ba, bb)))


def identify(x: torch.Tensor, table: torch.Tensor, tol: float = 1e-4) -> torch.Tensor | None:
    """Row indices of ``x`` in ``table`` (None when a row is in no row of it)."""
    if x.dim() != 2 or x.shape[1] != table.shape[1] or not len(x):
        return None
    dist = torch.cdist(x.double(), table.double())
    best = dist.min(1)
    if not bool((best.values <= tol).all()):
        return None
    return best.indices


def replay(start: list, batches: list, labels: list, name: str, lr: float) -> list:
    """The weights after training ``start`` on the batches, one optimizer step each."""
    params = [nn.Parameter(t.clone().to(torch.float32)) for pair in start for t in pair]
    cls, defaults = spec_optimizer(name)
    optimizer = cls(params, lr=lr, **defaults)
    layers = [(params[i], params[i + 1]) for i in range(0, len(params), 2)]
    for x, y in zip(batches, labels):
        optimizer.zero_grad()
        h = x.to(torch.float32)
        for i, (w, b) in enumerate(layers):
            h = nn.functional.linear(h, w, b)
            if i < len(layers) - 1:
                h = torch.relu(h)
        nn.functional.cross_entropy(h, y).backward()
        optimizer.step()
    return [(w.detach().clone(), b.detach().clone()) for w, b in layers]


def evaluate(layers: list, x: torch.Tensor, y: torch.Tensor) -> tuple[float, float]:
    """Mean cross-entropy and accuracy of the network on (x, y)."""
    out = logits(layers, x)
    return float(nn.functional.cross_entropy(out, y)), float((out.argmax(1) == y).double().mean())


__all__ = ["NotAnMLP", "iris", "initial_layers", "layers_of", "identify", "replay", "evaluate", "close",
           "spec_optimizer"]
