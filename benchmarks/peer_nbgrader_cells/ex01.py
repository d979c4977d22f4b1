"""nbgrader test cells for ex01: its public checks, made again in plain torch (see benchmarks/peer_course.py)."""
# %% setup
import math as _nb_math
from pathlib import Path as _nb_Path, PurePath as _nb_PurePath

import numpy as _nb_np
import torch
import torch.nn.functional as _nb_F


def _nb_house_prices(n, seed):
    g = _nb_gen(seed)
    X = torch.randn(n, 4, generator=g)
    y = X @ torch.tensor([3.0, -2.0, 1.5, 0.5]) + 4.0 + 0.1 * torch.randn(n, generator=g)
    return X, y


def _nb_autograd_grad(X, y, w, b):
    """The gradient of mean((X @ w + b - y)**2), by autograd."""
    w, b = w.clone().requires_grad_(True), b.clone().requires_grad_(True)
    ((X @ w + b - y) ** 2).mean().backward()
    return w.grad, b.grad


def _nb_gradient_descent(X, y, lr, steps):
    """Plain gradient descent on mean((X @ w + b - y)**2) from zeros, the loss on all data after each step."""
    n, d = X.shape
    w, b = torch.zeros(d), torch.zeros(())
    losses = []
    for _ in range(steps):
        r = X @ w + b - y
        dw, db = 2 / n * X.T @ r, 2 / n * r.sum()
        w, b = w - lr * dw, b - lr * db
        losses.append(float(((X @ w + b - y) ** 2).mean()))
    return w, b, losses


def _nb_mse_of(X, y, w, b):
    """The full-data MSE of the weights (w, b), in float64."""
    w = w.detach().to(torch.float64)
    b = float(b) if not isinstance(b, torch.Tensor) else float(b.detach().reshape(()))
    return float(((X.double() @ w + b - y.double()) ** 2).mean())


def _nb_minibatch_descent(X, y, lr, epochs, batch_size, seed):
    """Mini-batch gradient descent: one generator seeded once, a randperm per epoch, one step per batch."""
    n, d = X.shape
    w, b = torch.zeros(d), torch.zeros(())
    g = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(epochs):
        for idx in torch.randperm(n, generator=g).split(batch_size):
            r = X[idx] @ w + b - y[idx]
            m = idx.numel()
            w, b = w - lr * 2 / m * X[idx].T @ r, b - lr * 2 / m * r.sum()
        losses.append(_nb_mse_of(X, y, w, b))
    return w, b, losses


def _nb_fit(X, y, **kwargs):
    """fit_linear_regression(X, y, **kwargs), its return types checked: (w [d] float32, b, losses floats)."""
    result = _nb_call(fit_linear_regression, X, y, **kwargs)
    assert isinstance(result, (tuple, list)) and len(result) == 3, "fit_linear_regression(...) returns (w, b, losses)"
    w, b, losses = result
    assert isinstance(w, torch.Tensor) and tuple(w.shape) == (X.shape[1],) and w.dtype == torch.float32, "w"
    b = _nb_as_float(b)
    assert b is not None, "b"
    assert isinstance(losses, (list, tuple)) and len(losses) == kwargs["epochs"], "losses"
    assert all(isinstance(v, float) for v in losses), "losses[i]"
    return w, b, list(losses)


# %% test_softmax_matches_torch
x_ = torch.randn(4, 5, generator=_nb_gen(1)) * 3
got_ = _nb_call(softmax, x_)
assert _nb_close(got_, torch.softmax(x_, dim=-1)), "softmax(x)"

# %% test_softmax_dim
x_ = torch.randn(3, 4, generator=_nb_gen(2)) * 2
got_ = _nb_call(softmax, x_, dim=0)
assert _nb_close(got_, torch.softmax(x_, dim=0)), "softmax(x, dim=0)"

# %% test_softmax_stable_large_logits
x_ = torch.randn(3, 5, generator=_nb_gen(11)) * 20 + 1000.0
x_[1] = torch.tensor([-1000.0, 0.0, 1000.0, 999.0, 500.0])
got_ = _nb_call(softmax, x_)
assert _nb_close(got_, torch.softmax(x_, dim=-1)), "softmax(x)"

# %% test_cross_entropy_matches_torch
logits_ = torch.randn(6, 4, generator=_nb_gen(3)) * 2
target_ = torch.tensor([0, 3, 1, 1, 2, 0])
expected_ = _nb_F.cross_entropy(logits_, target_, reduction="none").mean()
got_ = _nb_call(cross_entropy, logits_, target_)
assert _nb_close(got_, expected_), "cross_entropy(logits, target)"

# %% test_cross_entropy_stable_large_logits
logits_ = torch.randn(4, 3, generator=_nb_gen(12)) * 300 + 1000.0
target_ = torch.tensor([2, 0, 1, 2])
got_ = _nb_call(cross_entropy, logits_, target_)
assert _nb_close(got_, _nb_F.cross_entropy(logits_, target_)), "cross_entropy(logits, target)"

# %% test_binary_cross_entropy_matches_torch
prob_ = torch.sigmoid(torch.randn(8, generator=_nb_gen(4)) * 2)
target_ = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
expected_ = _nb_F.binary_cross_entropy(prob_, target_, reduction="none").mean()
got_ = _nb_call(binary_cross_entropy, prob_, target_)
assert _nb_close(got_, expected_), "binary_cross_entropy(prob, target)"

# %% test_binary_cross_entropy_clamps_default_eps
prob_ = torch.tensor([0.0, 1.0, 0.0, 0.6, 0.001])
target_ = torch.tensor([0.0, 1.0, 1.0, 1.0, 0.0])
expected_ = _nb_F.binary_cross_entropy(prob_.clamp(1e-7, 1 - 1e-7), target_, reduction="none").mean()
got_ = _nb_call(binary_cross_entropy, prob_, target_)
assert _nb_close(got_, expected_), "binary_cross_entropy(prob, target)"

# %% test_mse_matches_torch
pred_, target_ = torch.randn(2, 10, generator=_nb_gen(5))
expected_ = _nb_F.mse_loss(pred_, target_, reduction="none").mean()
got_ = _nb_call(mse, pred_, target_)
assert _nb_close(got_, expected_), "mse(pred, target)"

# %% test_mae_matches_torch
pred_, target_ = torch.randn(2, 10, generator=_nb_gen(6))
expected_ = _nb_F.l1_loss(pred_, target_, reduction="none").mean()
got_ = _nb_call(mae, pred_, target_)
assert _nb_close(got_, expected_), "mae(pred, target)"

# %% test_smooth_l1_matches_torch
pred_ = torch.tensor([0.0, 0.3, -0.8, 2.5, -3.0, 1.2])
target_ = torch.tensor([0.1, -0.2, 0.0, 0.0, 0.5, 1.0])
expected_ = _nb_F.smooth_l1_loss(pred_, target_, reduction="none").mean()
got_ = _nb_call(smooth_l1, pred_, target_)
assert _nb_close(got_, expected_), "smooth_l1(pred, target)"

# %% test_smooth_l1_beta_values
pred_ = torch.tensor([0.0, 0.3, -0.8, 2.5, -3.0, 1.2, 0.05])
target_ = torch.tensor([0.1, -0.2, 0.0, 0.0, 0.5, 1.0, 0.0])
for beta_ in (0.5, 0.0):
    expected_ = _nb_F.smooth_l1_loss(pred_, target_, beta=beta_, reduction="none").mean()
    got_ = _nb_call(smooth_l1, pred_, target_, beta=beta_)
    assert _nb_close(got_, expected_), f"smooth_l1(pred, target, beta={beta_})"

# %% test_linear_regression_grad
g_ = _nb_gen(7)
X_, y_, w_ = torch.randn(8, 3, generator=g_), torch.randn(8, generator=g_), torch.randn(3, generator=g_)
b_ = torch.tensor(0.5)
dw_expected_, db_expected_ = _nb_autograd_grad(X_, y_, w_, b_)
result_ = _nb_call(linear_regression_grad, X_, y_, w_, b_)
assert isinstance(result_, (tuple, list)) and len(result_) == 2, "linear_regression_grad(...) returns (dw, db)"
dw_, db_ = result_
assert isinstance(dw_, torch.Tensor) and tuple(dw_.shape) == tuple(w_.shape) and dw_.dtype == torch.float32, "dw"
assert _nb_as_float(db_) is not None, "db"
assert _nb_close(dw_, dw_expected_), "dw"
assert _nb_number(db_, float(db_expected_), atol=1e-5, rtol=1e-4), "db"

# %% test_gd_step_values
g_ = _nb_gen(8)
w_, dw_ = torch.randn(3, generator=g_), torch.randn(3, generator=g_)
b_, db_ = torch.tensor(0.25), torch.tensor(-1.5)
result_ = _nb_call(gd_step, w_, b_, dw_, db_, 0.1)
assert isinstance(result_, (tuple, list)) and len(result_) == 2, "gd_step(...) returns (w_new, b_new)"
assert _nb_close(result_[0], w_ - 0.1 * dw_), "w_new"
assert _nb_number(result_[1], float(b_ - 0.1 * db_), atol=1e-6, rtol=1e-5), "b_new"

# %% test_gd_step_new_tensors
g_ = _nb_gen(13)
w_, dw_ = torch.randn(3, generator=g_), torch.randn(3, generator=g_)
b_, db_ = torch.tensor(-0.5), torch.tensor(2.0)
inputs_ = [t.clone() for t in (w_, b_, dw_, db_)]  # the tensors gd_step gets; w_, b_, dw_, db_ stay as sent
raw_ = gd_step(*inputs_, 0.1)
after_ = [t.detach().clone() for t in inputs_]
returned_ = list(raw_) if isinstance(raw_, (tuple, list)) else []
ptrs_ = {torch.Tensor.data_ptr(inputs_[0]), torch.Tensor.data_ptr(inputs_[1])}
shared_ = any(isinstance(r, torch.Tensor) and torch.Tensor.data_ptr(r) in ptrs_ for r in returned_)
result_ = _nb_wire(raw_)
assert isinstance(result_, (tuple, list)) and len(result_) == 2, "gd_step(...) returns (w_new, b_new)"
assert _nb_close(result_[0], w_ - 0.1 * dw_), "w_new"
assert _nb_number(result_[1], float(b_ - 0.1 * db_), atol=1e-6, rtol=1e-5), "b_new"
for name_, sent_, seen_ in zip(("w", "b", "dw", "db"), (w_, b_, dw_, db_), after_):
    assert _nb_close(seen_, sent_, atol=0.0, rtol=0.0), f"{name_} changed by gd_step"
assert shared_ is False, "gd_step returns an input tensor changed in place"

# %% test_fit_returns_types
X_, y_ = _nb_house_prices(32, seed=9)
w_, b_, losses_ = _nb_fit(X_, y_, lr=0.1, epochs=5)
w_ref_, b_ref_, losses_ref_ = _nb_gradient_descent(X_, y_, 0.1, 5)
assert _nb_close(w_, w_ref_), "w"
assert _nb_number(b_, float(b_ref_), atol=1e-5, rtol=1e-4), "b"
assert _nb_close(torch.tensor(losses_, dtype=torch.float64), torch.tensor(losses_ref_, dtype=torch.float64)), "losses"

# %% test_fit_learns_house_prices
X_, y_ = _nb_house_prices(200, seed=10)
w_, b_, losses_ = _nb_fit(X_, y_, lr=0.1, epochs=100)
assert losses_[-1] < losses_[0] and all(_nb_math.isfinite(v) for v in losses_), "a falling loss"
assert _nb_close(w_, torch.tensor([3.0, -2.0, 1.5, 0.5]), atol=0.05, rtol=0.0), "w"
assert _nb_number(b_, 4.0, atol=0.05, rtol=0.0), "b"

# %% test_fit_minibatch_seeded
X_, y_ = _nb_house_prices(40, seed=14)
w1_, b1_, _losses1 = _nb_fit(X_, y_, lr=0.05, epochs=3, batch_size=8, seed=1)
start_ = _nb_mse_of(X_, y_, torch.zeros(4), 0.0)
reached_ = _nb_mse_of(X_, y_, *_nb_minibatch_descent(X_, y_, 0.05, 3, 8, 1)[:2])
got_ = _nb_mse_of(X_, y_, w1_, b1_)
assert got_ <= reached_ + 0.25 * (start_ - reached_), "w, b after 3 mini-batch epochs"
w2_, b2_, _losses2 = _nb_fit(X_, y_, lr=0.05, epochs=3, batch_size=8, seed=1)
w3_, _b3, _losses3 = _nb_fit(X_, y_, lr=0.05, epochs=3, batch_size=8, seed=2)
assert _nb_close(w2_, w1_, atol=0.0, rtol=0.0), "w with the same seed"
assert _nb_number(b2_, b1_, atol=0.0, rtol=0.0), "b with the same seed"
assert not _nb_close(w3_, w1_, atol=1e-6, rtol=0.0), "w with another seed"
