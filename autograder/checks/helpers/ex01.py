"""Helpers of ex01's checks, public and hidden: running its instruments, building inputs, and the
expectations both suites share. The checks themselves are in public/ and hidden/.
"""
import torch

from ...feedback.catalog import Msg
from ..api import (
    as_float,
    compare,
    expect,
    expect_close,
    expect_length,
    expect_number,
    expect_tensor,
    fail,
    hinted,
    run_probe,
)
from ..reference.ex01 import autograd_grad

MODULE = "ex01_gradient_descent"


def gen(seed):
    return torch.Generator().manual_seed(seed)


def call_probe(sub, module, name, func, *args, hint=None, **kwargs):
    """Run probes_ex01.<name> in the worker; student errors are reported against ``module.func``."""
    with hinted(hint):
        return run_probe(sub, name, f"{module}.{func}", *args, **kwargs)


def is_close(got, expected, atol=1e-5, rtol=1e-4) -> bool:
    return isinstance(got, torch.Tensor) and compare(got, expected, atol=atol, rtol=rtol, dtype=False) is None


def expect_loss(call, expected, values, hint, name):
    """The loss ``call()`` returns must equal ``expected`` (0-dim); ``values`` are its per-element
    terms, used to recognise a sum, a missing reduction or a mean over rows only."""
    with hinted(hint):
        got = call()
    problem = compare(got, expected)
    if problem is None:
        return
    wrong_reductions = [values.sum(), values, values.sum() / values.shape[0]]
    if any(isinstance(got, torch.Tensor) and got.shape == v.shape and is_close(got, v) for v in wrong_reductions):
        hint = "hint.ex01_reduce_mean"
    fail(problem, hint=hint, name=name)


def expect_stable(got, expected, stable_hint, hint, name, values=None):
    """``got`` must equal ``expected``; nan/inf point to ``stable_hint``, and with the per-element
    ``values`` a sum, a missing reduction or a mean over rows only to the reduction hint."""
    problem = compare(got, expected)
    if problem is None:
        return
    if problem.key == "cmp.nonfinite":
        hint = stable_hint
    elif values is not None and any(isinstance(got, torch.Tensor) and got.shape == v.shape and is_close(got, v)
                                    for v in (values.sum(), values, values.sum() / values.shape[0])):
        hint = "hint.ex01_reduce_mean"
    fail(problem, hint=hint, name=name)


def grad_hint(dw, db, X, y, w, b) -> str:
    """Which mistake a wrong (dw, db) points to."""
    n = X.shape[0]
    r = X @ w + b - y
    if is_close(dw, -2 / n * X.T @ r):
        return "hint.ex01_grad_sign"
    if any(is_close(dw, f * X.T @ r) for f in (1 / n, 2.0, 1.0)) or any(
            is_close(db, torch.tensor(f * float(r.sum()))) for f in (1 / n, 2.0, 1.0)):
        return "hint.ex01_grad_factor"
    if is_close(dw, 2 / n * X.T @ (X @ w - y)) or is_close(db, 2 / n * (X @ w - y).sum()):
        return "hint.ex01_grad_bias"
    return "hint.ex01_grad_formula"


def expect_grad(ex01, X, y, w, b):
    dw_expected, db_expected = autograd_grad(X, y, w, b)
    with hinted("hint.ex01_grad_formula"):
        result = ex01.linear_regression_grad(X, y, w, b)
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           Msg("cmp.type", expected="(dw, db)", got=type(result).__name__), hint="hint.ex01_grad_formula",
           name="linear_regression_grad(...)")
    dw, db = result
    expect_tensor(dw, shape=w.shape, dtype=torch.float32, hint="hint.ex01_grad_formula", name="dw")
    db_value = as_float(db, hint="hint.ex01_grad_formula", name="db")
    hint = grad_hint(dw, torch.tensor(db_value), X, y, w, b)
    expect_close(dw, dw_expected, hint=hint, name="dw")
    expect_number(db_value, float(db_expected), hint=hint, name="db", atol=1e-5, rtol=1e-4)


def fit(ex01, X, y, **kwargs):
    """fit_linear_regression(X, y, **kwargs) checked for its return types: (w [d] float32, b, losses floats)."""
    with hinted("hint.ex01_fit_learns"):
        result = ex01.fit_linear_regression(X, y, **kwargs)
    expect(isinstance(result, (tuple, list)) and len(result) == 3,
           Msg("cmp.type", expected="(w, b, losses)", got=type(result).__name__), hint="hint.ex01_fit_return",
           name="fit_linear_regression(...)")
    w, b, losses = result
    expect_tensor(w, shape=[X.shape[1]], dtype=torch.float32, hint="hint.ex01_fit_return", name="w")
    b = as_float(b, hint="hint.ex01_fit_return", name="b")
    expect(isinstance(losses, (list, tuple)), Msg("cmp.type", expected="list", got=type(losses).__name__),
           hint="hint.ex01_fit_losses", name="losses")
    expect_length(losses, kwargs["epochs"], hint="hint.ex01_fit_losses", name="losses")
    for value in losses:
        expect(isinstance(value, float), Msg("cmp.type", expected="float", got=type(value).__name__),
               hint="hint.ex01_fit_losses", name="losses[i]")
    return w, b, list(losses)


def house_prices(n, seed):
    g = gen(seed)
    X = torch.randn(n, 4, generator=g)
    y = X @ torch.tensor([3.0, -2.0, 1.5, 0.5]) + 4.0 + 0.1 * torch.randn(n, generator=g)
    return X, y
