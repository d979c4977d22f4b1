"""Grader-side references for ex03: the MLP's forward from the weights it returned, the weights
the grader sends to the init and prediction instruments, and what comes out of them. Never sent
to the worker."""
from __future__ import annotations

import torch

from .memo import remembered


def reference_forward(x, linears, relu=True):
    """Linear -> ReLU for every layer but the last, then the last Linear: from the model's own
    (weight, bias) pairs, in the order its forward uses them."""
    h = x.flatten(1)
    for i, (w, b) in enumerate(linears):
        h = h @ w.T + (0.0 if b is None else b)
        if relu and i < len(linears) - 1:
            h = torch.relu(h)
    return h


def well_formed_linears(linears) -> bool:
    """Whether the instrument's report is a list of (weight [o, i], bias [o] or None) tensors."""
    if not isinstance(linears, list) or not linears:
        return False
    for pair in linears:
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[0], torch.Tensor)):
            return False
        w, b = pair
        if w.dim() != 2 or not (b is None or isinstance(b, torch.Tensor) and tuple(b.shape) == (w.shape[0],)):
            return False
    return all(a[0].shape[0] == c[0].shape[1] for a, c in zip(linears, linears[1:]))


def varies(y) -> bool:
    """Whether logits depend on the sample: a model whose output is the same for every input
    (all-zero weights, a constant) does not do a network's job."""
    return isinstance(y, torch.Tensor) and y.dim() == 2 and y.shape[0] > 1 and bool((y - y[:1]).abs().max() > 1e-6)


@remembered
def init_layers(sizes, seed):
    """The (weight, bias) pairs the grader sends to init_run: weights of a small uniform
    distribution (far from any scheme's), biases 1."""
    g = torch.Generator().manual_seed(seed)
    return [((torch.rand(o, i, generator=g) - 0.5) * 0.01, torch.ones(o)) for i, o in sizes]


def predict_weights(seed, in_features=4, hidden=8, out=3):
    """The state dict the grader sends to predict_run (fc1 -> ReLU -> Dropout -> fc2)."""
    g = torch.Generator().manual_seed(seed)
    shapes = {"fc1.weight": (hidden, in_features), "fc1.bias": (hidden,), "fc2.weight": (out, hidden),
              "fc2.bias": (out,)}
    return {k: torch.randn(s, generator=g) * 0.8 for k, s in shapes.items()}


def predict_logits(weights, x):
    """The eval-mode logits of the model predict_run builds from ``weights`` (no dropout)."""
    h = torch.relu(x.flatten(1) @ weights["fc1.weight"].T + weights["fc1.bias"])
    return h @ weights["fc2.weight"].T + weights["fc2.bias"]
