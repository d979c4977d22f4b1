"""Grader-side references for ex01: the gradient, gradient descent from first principles, and
the source rules of the "by hand" losses. Never sent to the worker."""
from __future__ import annotations

import torch

MODULE_FILE = "ex01_gradient_descent.py"

# What "by hand" forbids, as source_rules words: the built-in softmax in any spelling (torch.softmax,
# F.softmax, log_softmax, nn.Softmax, x.softmax, softmin(-x)) and what computes one inside
# (torch.distributions.Categorical, scaled_dot_product_attention); for cross_entropy also the
# built-in losses (F.cross_entropy, nn.CrossEntropyLoss, F.nll_loss / nn.NLLLoss).
SOFTMAX_WORDS = ("softmax", "softmin", "distributions", "categorical", "attention")
CROSS_ENTROPY_WORDS = SOFTMAX_WORDS + ("crossentropy", "nllloss")
ALLOWED_WORDS = ("binarycrossentropy",)  # F.binary_cross_entropy is not the multi-class loss


def autograd_grad(X, y, w, b):
    """The gradient of mean((X @ w + b - y)**2), by autograd."""
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    ((X @ w + b - y) ** 2).mean().backward()
    return w.grad, b.grad


def gradient_descent(X, y, lr, steps, accumulate=False, before=False):
    """Plain gradient descent on mean((X @ w + b - y)**2) from zeros, with the loss on all data
    after each step (``before``: before each step); ``accumulate`` adds every gradient to the
    previous ones (gradients never zeroed)."""
    n, d = X.shape
    w, b = torch.zeros(d), torch.zeros(())
    gw, gb = torch.zeros(d), torch.zeros(())
    losses = []
    for _ in range(steps):
        r = X @ w + b - y
        if before:
            losses.append(float((r ** 2).mean()))
        dw, db = 2 / n * X.T @ r, 2 / n * r.sum()
        gw, gb = (gw + dw, gb + db) if accumulate else (dw, db)
        w, b = w - lr * gw, b - lr * gb
        if not before:
            losses.append(float(((X @ w + b - y) ** 2).mean()))
    return w, b, losses


def minibatch_descent(X, y, lr, epochs, batch_size, seed):
    """Mini-batch gradient descent as the handout describes it: one generator seeded once, a
    ``torch.randperm(n, generator=g)`` per epoch, one step per batch. Returns (w, b, losses)."""
    n, d = X.shape
    w, b = torch.zeros(d), torch.zeros(())
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        for idx in torch.randperm(n, generator=g).split(batch_size):
            r = X[idx] @ w + b - y[idx]
            m = idx.numel()
            w, b = w - lr * 2 / m * X[idx].T @ r, b - lr * 2 / m * r.sum()
        losses.append(mse_of(X, y, w, b))
    return w, b, losses


def mse_of(X, y, w, b) -> float:
    """The full-data MSE of the weights (w, b), in float64."""
    w = w.detach().to(torch.float64)
    b = float(b) if not isinstance(b, torch.Tensor) else float(b.detach().reshape(()))
    return float(((X.double() @ w + b - y.double()) ** 2).mean())
