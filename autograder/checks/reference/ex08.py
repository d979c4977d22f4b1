"""The grader's side of ex08: a network rebuilt from the state dict train_digits (or
train_mnist) returned, and evaluated by the grader on data it reads itself.

Any MLP is accepted, whatever its attribute names: the state dict must be a sequence of
``nn.Linear`` weight/bias pairs in key order (``[out, in]`` then ``[out]``), each layer's
input the previous one's output, the first taking the flattened image and the last giving
the 10 classes; ReLU between them (dropout has no parameters and is off in eval mode).
"""
from __future__ import annotations

import torch

from ...assignment import BONUSES
from .memo import remembered


class NotAnMLP(ValueError):
    """The state dict is not a stack of Linear layers (why, in plain words)."""


def linear_stack(state, in_features: int, out_features: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """The (weight, bias) pairs of the MLP behind ``state``; raises NotAnMLP."""
    if not isinstance(state, dict) or not state:
        raise NotAnMLP("no state_dict (no parameters)")
    values = list(state.items())
    if len(values) % 2:
        raise NotAnMLP(f"{len(values)} tensors, not weight/bias pairs")
    layers, width = [], in_features
    for i in range(0, len(values), 2):
        (wk, w), (bk, b) = values[i], values[i + 1]
        if not (isinstance(w, torch.Tensor) and isinstance(b, torch.Tensor)) or w.dim() != 2 or b.dim() != 1:
            raise NotAnMLP(f"'{wk}', '{bk}' are not a Linear layer's weight [out, in] and bias [out]")
        if not (w.is_floating_point() and b.is_floating_point()):
            raise NotAnMLP(f"'{wk}' is not a floating-point weight")
        if w.shape[1] != width or w.shape[0] != b.shape[0]:
            raise NotAnMLP(f"'{wk}' has shape {list(w.shape)}, a Linear layer taking {width} inputs was expected")
        layers.append((w.detach().cpu().to(torch.float32), b.detach().cpu().to(torch.float32)))
        width = w.shape[0]
    if width != out_features:
        raise NotAnMLP(f"the last layer gives {width} outputs, not {out_features}")
    return layers


@remembered
def digits_accuracy_per_epoch(seed: int = 0, epochs: int = 50, lr: float = 1e-3, batch_size: int = 128,
                              hidden: tuple = (64,)) -> list[float]:
    """A correct train_digits run in the grader (the handout's steps: Adam at ``lr``, a shuffled
    seeded loader, ``MLP(64, hidden, 10)``), its test accuracy after each epoch: the picture's
    reference line when the student's model stays under the bar."""
    from ..reference_data import digits_split

    x_train, x_test, y_train, y_test = digits_split(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        widths, layers = [64, *hidden], []
        for a, b in zip(widths, widths[1:]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers, torch.nn.Linear(widths[-1], 10))
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
        order = torch.Generator().manual_seed(seed)
        accuracies = []
        for _ in range(epochs):
            model.train()
            for idx in torch.randperm(len(x_train), generator=order).split(batch_size):
                optimizer.zero_grad()
                torch.nn.functional.cross_entropy(model(x_train[idx]), y_train[idx]).backward()
                optimizer.step()
            model.eval()
            with torch.no_grad():
                accuracies.append(float((model(x_test).argmax(1) == y_test).float().mean()))
    return accuracies


def shapes(layers) -> list[list[int]]:
    return [list(w.shape) for w, _ in layers]


def logits(layers, x: torch.Tensor) -> torch.Tensor:
    h = x.reshape(len(x), -1).to(torch.float32)
    with torch.no_grad():
        for i, (w, b) in enumerate(layers):
            h = torch.nn.functional.linear(h, w, b)
            if i < len(layers) - 1:
                h = torch.relu(h)
    return h


def accuracy(layers, x: torch.Tensor, y: torch.Tensor, batch: int = 2000) -> float:
    correct = 0
    for i in range(0, len(x), batch):
        correct += int((logits(layers, x[i:i + batch]).argmax(1) == y[i:i + batch]).sum())
    return correct / max(len(x), 1)


MNIST_FILES = BONUSES["mnist"].files
MNIST_MEAN, MNIST_STD = 0.1307, 0.3081


def read_idx(path) -> torch.Tensor:
    """An uncompressed IDX file (2051 images, 2049 labels) of the grader's data folder as uint8."""
    import struct
    from pathlib import Path

    data = Path(path).read_bytes()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        pixels = bytearray(data[16:16 + count * rows * cols])
        return torch.frombuffer(pixels, dtype=torch.uint8).reshape(count, rows, cols)
    if magic == 2049:
        return torch.frombuffer(bytearray(data[8:8 + count]), dtype=torch.uint8).reshape(count)
    raise ValueError(f"{path} is not an IDX file (magic {magic})")


def mnist_test(data_dir):
    """The t10k images normalized as the handout says ([n, 784] float32) and their labels."""
    from pathlib import Path

    raw = Path(data_dir) / "MNIST" / "raw"
    images = read_idx(raw / MNIST_FILES[2]).float().div(255.0)
    labels = read_idx(raw / MNIST_FILES[3]).to(torch.int64)
    return ((images - MNIST_MEAN) / MNIST_STD).reshape(len(images), -1), labels
