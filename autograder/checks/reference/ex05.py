"""What the grader needs for ex05, computed in the grader: the tensors it sends, the iris split
read from its own data folder, and the network rebuilt from a state dict that came back.

Training is judged by the RETURNED WEIGHTS (a state dict is data): they are rebuilt here as a
sequence of Linear layers with ReLU between (in key order; attribute names do not matter, so
any correct MLP is accepted) and evaluated on the validation split with the scaling rule of
the handout (min-max statistics of the train split).
"""
from __future__ import annotations

import csv
from pathlib import Path

import torch
from torch import nn

from .memo import remembered

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


# --- tensors the grader sends ----------------------------------------------------------------
def move_tensors(seed: int = 11) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {"a": torch.randn(2, 3, generator=g), "b": torch.randint(0, 9, (3,), generator=g),
            "c": torch.randn(4, generator=g), "d": torch.randn(1, 2, generator=g), "e": torch.randn(5, generator=g)}


def meta_tensors(seed: int = 17) -> dict:
    g = torch.Generator().manual_seed(seed)
    return {"x": torch.randn(3, 2, generator=g), "y": torch.randint(0, 4, (3,), generator=g),
            "z": torch.randn(5, generator=g), "w": torch.randn(2, 2, generator=g)}


def numpy_inputs(seed: int = 5) -> dict:
    g = torch.Generator().manual_seed(seed)
    base = torch.randn(3, 4, generator=g)
    plain = torch.randint(-50, 50, (2, 3), generator=g, dtype=torch.int64)
    return {"base": base, "plain": plain,
            "expected": {"leaf": base.clone(), "nonleaf": base * 2.0, "plain": plain.clone()}}


# --- iris, read by the grader ----------------------------------------------------------------
@remembered
def iris(data_dir: Path) -> dict:
    """{"train": (x, y), "val": (x, y)} scaled with the train split's min-max statistics."""
    with (Path(data_dir) / "iris.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = {}
    for split in ("train", "val"):
        chosen = [r for r in rows if r["split"] == split]
        x = torch.tensor([[float(r[f]) for f in FEATURES] for r in chosen], dtype=torch.float32)
        out[split] = (x, torch.tensor([int(r["label"]) for r in chosen], dtype=torch.int64))
    lo, hi = out["train"][0].amin(0), out["train"][0].amax(0)
    span = torch.where(hi - lo == 0, torch.ones_like(hi), hi - lo)
    return {split: ((x - lo) / span, y) for split, (x, y) in out.items()}


# --- the returned weights as a network ----------------------------------------------------------
class NotAnMLP(ValueError):
    pass


def layers_of(state, in_features: int = 4, classes: int = 3) -> list:
    """[(weight, bias), ...] of a state dict made of Linear layers only, in key order and chained
    (in -> ... -> classes). Raises NotAnMLP saying what does not fit."""
    if not isinstance(state, dict) or not state:
        raise NotAnMLP("no state dict")
    tensors = list(state.items())
    layers, i, width = [], 0, in_features
    while i < len(tensors):
        key, w = tensors[i]
        if not (isinstance(w, torch.Tensor) and w.dim() == 2 and w.is_floating_point()):
            raise NotAnMLP(f"{key}: not the weight of a Linear layer")
        bias = None
        if i + 1 < len(tensors):
            bkey, b = tensors[i + 1]
            if isinstance(b, torch.Tensor) and b.dim() == 1 and b.shape[0] == w.shape[0] and b.is_floating_point():
                bias, i = b, i + 1
        if w.shape[1] != width:
            raise NotAnMLP(f"{key}: shape {list(w.shape)} after a layer of width {width}")
        layers.append((w.detach().to(torch.float32), None if bias is None else bias.detach().to(torch.float32)))
        width, i = w.shape[0], i + 1
    if width != classes:
        raise NotAnMLP(f"the last layer gives {width} outputs, not {classes}")
    return layers


def logits(layers: list, x: torch.Tensor) -> torch.Tensor:
    h = x
    for j, (w, b) in enumerate(layers):
        h = nn.functional.linear(h, w, b)
        if j < len(layers) - 1:
            h = torch.relu(h)
    return h


def scores(layers: list, data: tuple) -> dict:
    """Loss (cross-entropy, mean over samples) and accuracy of the rebuilt network on ``data``."""
    x, y = data
    with torch.no_grad():
        out = logits(layers, x)
        if not torch.isfinite(out).all():
            return {"loss": float("nan"), "accuracy": 0.0}
        return {"loss": float(nn.functional.cross_entropy(out, y)),
                "accuracy": float((out.argmax(1) == y).double().mean())}
