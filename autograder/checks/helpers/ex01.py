"""Helpers of ex01's checks, public and hidden: running its instruments, building inputs, and the
expectations both suites share. The checks themselves are in public/ and hidden/.
"""
import torch

from ...engine.worker import probes_ex01
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
from ..reference.ex01 import autograd_grad, minibatch_descent, mse_of

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


def expect_gd_step_result(result, w, b, dw, db, lr):
    """gd_step(w, b, dw, db, lr) returned ``result``: a pair (w - lr*dw, b - lr*db), values computed here."""
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           Msg("cmp.type", expected="(w_new, b_new)", got=type(result).__name__), hint="hint.ex01_gd_step",
           name="gd_step(...)")
    expect_close(result[0], w - lr * dw, hint="hint.ex01_gd_step", name="w_new")
    expect_number(result[1], float(b - lr * db), hint="hint.ex01_gd_step", name="b_new", atol=1e-6, rtol=1e-5)


def gd_step_in_worker(sub, w, b, dw, db, lr) -> dict:
    """gd_step run by probes_ex01.gd_step_run, its values judged first (echoed inputs earn nothing);
    returns the instrument's record (``inputs_after``, ``shared``) for what only the worker saw."""
    out = call_probe(sub, MODULE, probes_ex01.gd_step_run, "gd_step", w, b, dw, db, lr, hint="hint.ex01_gd_inplace")
    expect_gd_step_result(out.get("result") if isinstance(out, dict) else None, w, b, dw, db, lr)
    return out


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


def expect_minibatch_descends(ex01, X, y, lr, epochs, batch_size, seed):
    """A mini-batch fit_linear_regression(X, y, lr, epochs, batch_size, seed) must lower the full-data
    loss (computed here) about as far as mini-batch gradient descent does, so a fit that returns
    something fixed per seed earns nothing. Returns its (w, b)."""
    w, b, _ = fit(ex01, X, y, lr=lr, epochs=epochs, batch_size=batch_size, seed=seed)
    start = mse_of(X, y, torch.zeros(X.shape[1]), 0.0)
    reached = mse_of(X, y, *minibatch_descent(X, y, lr, epochs, batch_size, seed)[:2])
    got = mse_of(X, y, w, b)
    expect(got <= reached + 0.25 * (start - reached),
           Msg("cmp.number", got=Msg("value.ex01_full_mse", mse=got),
               expected=Msg("value.ex01_about_from", reached=reached, start=start)),
           hint="hint.ex01_fit_minibatch", name=Msg("label.ex01_after_epochs", what="w, b", epochs=epochs))
    return w, b


def expect_seed_decides(w1, b1, w2, b2, w3):
    """(w2, b2), fitted again with the seed of (w1, b1), are exactly those; w3, fitted with another seed, is not w1."""
    expect_close(w2, w1, atol=0.0, rtol=0.0, hint="hint.ex01_fit_seed", name=Msg("label.same_seed", what="w"))
    expect_number(b2, b1, atol=0.0, rtol=0.0, hint="hint.ex01_fit_seed", name=Msg("label.same_seed", what="b"))
    expect(compare(w3, w1, atol=1e-6, rtol=0.0) is not None,
           Msg("cmp.number", got=Msg("value.ex01_same_w"), expected=Msg("value.ex01_w_other_seed")),
           hint="hint.ex01_fit_seed", name=Msg("label.another_seed", what="w"))
