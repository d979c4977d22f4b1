"""Public checks for ex01: losses, the linear-regression gradient and gradient descent."""
import math

import torch
import torch.nn.functional as F

from ...feedback.catalog import Msg
from ..api import (
    check,
    expect,
    expect_close,
    expect_number,
    hinted,
)
from ..helpers.ex01 import (
    expect_gd_step_result,
    expect_grad,
    expect_loss,
    expect_minibatch_descends,
    expect_seed_decides,
    expect_stable,
    fit,
    gd_step_in_worker,
    gen,
    house_prices,
)
from ..reference.ex01 import gradient_descent


@check("ex01", "softmax", 1, en="softmax matches torch.softmax on a 4x5 batch",
       zh="softmax 在 4x5 的批量上与 torch.softmax 一致")
def test_softmax_matches_torch(ex01):
    x = torch.randn(4, 5, generator=gen(1)) * 3
    with hinted("hint.ex01_softmax_rows"):
        got = ex01.softmax(x)
    expect_close(got, torch.softmax(x, dim=-1), hint="hint.ex01_softmax_rows", name="softmax(x)")


@check("ex01", "softmax", 1, en="softmax(x, dim=0) normalizes the columns", zh="softmax(x, dim=0) 对每一列归一化")
def test_softmax_dim(ex01):
    x = torch.randn(3, 4, generator=gen(2)) * 2
    with hinted("hint.ex01_softmax_dim"):
        got = ex01.softmax(x, dim=0)
    expect_close(got, torch.softmax(x, dim=0), hint="hint.ex01_softmax_dim", name="softmax(x, dim=0)")


@check("ex01", "softmax", 1, en="softmax stays finite and exact for logits around 1000 (subtract the max first)",
       zh="logits 约为 1000 时 softmax 仍然有限且准确（先减去最大值）")
def test_softmax_stable_large_logits(ex01):
    # exp(1000) overflows float32: only a softmax that subtracts the maximum gets these right
    x = torch.randn(3, 5, generator=gen(11)) * 20 + 1000.0
    x[1] = torch.tensor([-1000.0, 0.0, 1000.0, 999.0, 500.0])
    with hinted("hint.ex01_softmax_rows"):
        got = ex01.softmax(x)
    expect_stable(got, torch.softmax(x, dim=-1), "hint.ex01_softmax_stable", "hint.ex01_softmax_rows", "softmax(x)")


@check("ex01", "cross_entropy", 1, en="cross_entropy equals F.cross_entropy on 6 samples, 4 classes",
       zh="cross_entropy 在 6 个样本、4 个类别上与 F.cross_entropy 相等")
def test_cross_entropy_matches_torch(ex01):
    logits = torch.randn(6, 4, generator=gen(3)) * 2
    target = torch.tensor([0, 3, 1, 1, 2, 0])
    per_sample = F.cross_entropy(logits, target, reduction="none")
    expect_loss(lambda: ex01.cross_entropy(logits, target), per_sample.mean(), per_sample, "hint.ex01_ce_formula",
                "cross_entropy(logits, target)")


@check("ex01", "cross_entropy", 1, en="cross_entropy stays finite and exact for logits around 1000",
       zh="logits 约为 1000 时 cross_entropy 仍然有限且准确")
def test_cross_entropy_stable_large_logits(ex01):
    logits = torch.randn(4, 3, generator=gen(12)) * 300 + 1000.0
    target = torch.tensor([2, 0, 1, 2])
    per_sample = F.cross_entropy(logits.double(), target, reduction="none").float()
    with hinted("hint.ex01_ce_formula"):
        got = ex01.cross_entropy(logits, target)
    expect_stable(got, F.cross_entropy(logits, target), "hint.ex01_ce_stable", "hint.ex01_ce_formula",
                  "cross_entropy(logits, target)", values=per_sample)


@check("ex01", "binary_cross_entropy", 0.5, en="binary_cross_entropy equals F.binary_cross_entropy",
       zh="binary_cross_entropy 与 F.binary_cross_entropy 相等")
def test_binary_cross_entropy_matches_torch(ex01):
    prob = torch.sigmoid(torch.randn(8, generator=gen(4)) * 2)
    target = torch.tensor([1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    per_sample = F.binary_cross_entropy(prob, target, reduction="none")
    expect_loss(lambda: ex01.binary_cross_entropy(prob, target), per_sample.mean(), per_sample, "hint.ex01_bce_formula",
                "binary_cross_entropy(prob, target)")


@check("ex01", "binary_cross_entropy", 0.5,
       en="binary_cross_entropy clamps probabilities of exactly 0 and 1 to [eps, 1-eps] (eps=1e-7, the default)",
       zh="binary_cross_entropy 把恰好为 0 和 1 的概率截断到 [eps, 1-eps]（eps=1e-7，默认值）")
def test_binary_cross_entropy_clamps_default_eps(ex01):
    prob = torch.tensor([0.0, 1.0, 0.0, 0.6, 0.001])
    target = torch.tensor([0.0, 1.0, 1.0, 1.0, 0.0])
    per_sample = F.binary_cross_entropy(prob.clamp(1e-7, 1 - 1e-7), target, reduction="none")
    with hinted("hint.ex01_bce_clamp"):
        got = ex01.binary_cross_entropy(prob, target)
    expect_stable(got, per_sample.mean(), "hint.ex01_bce_clamp", "hint.ex01_bce_clamp",
                  "binary_cross_entropy(prob, target)")


@check("ex01", "mse", 1, en="mse equals F.mse_loss", zh="mse 与 F.mse_loss 相等")
def test_mse_matches_torch(ex01):
    pred, target = torch.randn(2, 10, generator=gen(5))
    per_element = F.mse_loss(pred, target, reduction="none")
    expect_loss(lambda: ex01.mse(pred, target), per_element.mean(), per_element, "hint.ex01_mse", "mse(pred, target)")


@check("ex01", "mae", 1, en="mae equals F.l1_loss", zh="mae 与 F.l1_loss 相等")
def test_mae_matches_torch(ex01):
    pred, target = torch.randn(2, 10, generator=gen(6))
    per_element = F.l1_loss(pred, target, reduction="none")
    expect_loss(lambda: ex01.mae(pred, target), per_element.mean(), per_element, "hint.ex01_mae", "mae(pred, target)")


@check("ex01", "smooth_l1", 0.5, en="smooth_l1 equals F.smooth_l1_loss (beta=1, errors on both sides of 1)",
       zh="smooth_l1 与 F.smooth_l1_loss 相等（beta=1，误差有大于 1 也有小于 1 的）")
def test_smooth_l1_matches_torch(ex01):
    pred = torch.tensor([0.0, 0.3, -0.8, 2.5, -3.0, 1.2])
    target = torch.tensor([0.1, -0.2, 0.0, 0.0, 0.5, 1.0])
    per_element = F.smooth_l1_loss(pred, target, reduction="none")
    expect_loss(lambda: ex01.smooth_l1(pred, target), per_element.mean(), per_element, "hint.ex01_smooth_l1",
                "smooth_l1(pred, target)")


@check("ex01", "smooth_l1", 0.5, en="smooth_l1 follows beta: equals F.smooth_l1_loss for beta=0.5 and beta=0 (the MAE)",
       zh="smooth_l1 随 beta 变化：beta=0.5 和 beta=0（即 MAE）时与 F.smooth_l1_loss 相等")
def test_smooth_l1_beta_values(ex01):
    pred = torch.tensor([0.0, 0.3, -0.8, 2.5, -3.0, 1.2, 0.05])
    target = torch.tensor([0.1, -0.2, 0.0, 0.0, 0.5, 1.0, 0.0])
    for beta in (0.5, 0.0):
        per_element = F.smooth_l1_loss(pred, target, beta=beta, reduction="none")
        expect_loss(lambda: ex01.smooth_l1(pred, target, beta=beta), per_element.mean(), per_element,
                    "hint.ex01_smooth_l1_beta", f"smooth_l1(pred, target, beta={beta})")


@check("ex01", "linear_regression_grad", 1.5,
       en="linear_regression_grad equals the autograd gradient (8 samples, 3 features)",
       zh="linear_regression_grad 与自动求导算出的梯度相等（8 个样本，3 个特征）")
def test_linear_regression_grad(ex01):
    g = gen(7)
    X, y, w = torch.randn(8, 3, generator=g), torch.randn(8, generator=g), torch.randn(3, generator=g)
    expect_grad(ex01, X, y, w, torch.tensor(0.5))


@check("ex01", "gd_step", 1, en="gd_step returns (w - lr*dw, b - lr*db)", zh="gd_step 返回 (w - lr*dw, b - lr*db)")
def test_gd_step_values(ex01):
    g = gen(8)
    w, dw = torch.randn(3, generator=g), torch.randn(3, generator=g)
    b, db = torch.tensor(0.25), torch.tensor(-1.5)
    with hinted("hint.ex01_gd_step"):
        result = ex01.gd_step(w, b, dw, db, 0.1)
    expect_gd_step_result(result, w, b, dw, db, 0.1)


@check("ex01", "gd_step", 0.5,
       en="gd_step returns new tensors and leaves w, b, dw, db unchanged (no in-place -=)",
       zh="gd_step 返回新的张量，w、b、dw、db 保持不变（不要原地 -=）",
       in_process="the inputs after the call and the memory of the returned tensors, seen in the worker")
def test_gd_step_new_tensors(sub):
    g = gen(13)
    w, dw = torch.randn(3, generator=g), torch.randn(3, generator=g)
    b, db = torch.tensor(-0.5), torch.tensor(2.0)
    out = gd_step_in_worker(sub, w, b, dw, db, 0.1)
    # only then what the worker saw, which can only take the point away
    after = out.get("inputs_after")
    after = after if isinstance(after, list) else []
    for name, sent, seen in zip(("w", "b", "dw", "db"), (w, b, dw, db), after + [None] * (4 - len(after))):
        expect_close(seen, sent, atol=0.0, rtol=0.0, hint="hint.ex01_gd_inplace",
                     name=Msg("label.after_call", what=name, call="gd_step"))
    expect(out.get("shared") is False,
           Msg("cmp.number", got=Msg("value.ex01_changed_in_place"), expected=Msg("value.ex01_new_tensors")),
           hint="hint.ex01_gd_inplace", name="gd_step(...)")


@check("ex01", "fit_linear_regression", 1,
       en="fit_linear_regression returns w [4] float32, a scalar b and 5 float losses, those of gradient descent",
       zh="fit_linear_regression 返回 float32 的 w [4]、标量 b 和 5 个 float 损失，与梯度下降的结果一致")
def test_fit_returns_types(ex01):
    X, y = house_prices(32, seed=9)
    w, b, losses = fit(ex01, X, y, lr=0.1, epochs=5)
    # the types alone earn nothing: the values must be those of 5 full-batch steps from zeros
    w_ref, b_ref, losses_ref = gradient_descent(X, y, 0.1, 5)
    expect_close(w, w_ref, hint="hint.ex01_fit_full_batch", name="w")
    expect_number(b, float(b_ref), hint="hint.ex01_fit_full_batch", name="b", atol=1e-5, rtol=1e-4)
    expect_close(torch.tensor(losses, dtype=torch.float64), torch.tensor(losses_ref, dtype=torch.float64),
                 hint="hint.ex01_fit_losses", name="losses")


@check("ex01", "fit_linear_regression", 1, en="full-batch fit recovers the house-price rule and its loss falls",
       zh="全批量训练能学到房价规律，损失逐渐下降")
def test_fit_learns_house_prices(ex01):
    X, y = house_prices(200, seed=10)
    w, b, losses = fit(ex01, X, y, lr=0.1, epochs=100)
    expect(losses[-1] < losses[0] and all(math.isfinite(v) for v in losses),
           Msg("cmp.number", got=f"{losses[0]:.4g} -> {losses[-1]:.4g}", expected=Msg("value.falling_loss")),
           hint="hint.ex01_fit_learns", name="losses")
    expect_close(w, torch.tensor([3.0, -2.0, 1.5, 0.5]), atol=0.05, rtol=0.0, hint="hint.ex01_fit_learns", name="w")
    expect_number(b, 4.0, atol=0.05, rtol=0.0, hint="hint.ex01_fit_learns", name="b")


@check("ex01", "fit_linear_regression", 1,
       en="mini-batch fit (batch_size=8, 40 samples): it learns, same seed same result, another seed another",
       zh="小批量训练（batch_size=8，40 个样本）：能学到规律；相同 seed 结果相同，不同 seed 结果不同")
def test_fit_minibatch_seeded(ex01):
    X, y = house_prices(40, seed=14)
    w1, b1 = expect_minibatch_descends(ex01, X, y, lr=0.05, epochs=3, batch_size=8, seed=1)
    w2, b2, _ = fit(ex01, X, y, lr=0.05, epochs=3, batch_size=8, seed=1)
    w3, _, _ = fit(ex01, X, y, lr=0.05, epochs=3, batch_size=8, seed=2)
    expect_seed_decides(w1, b1, w2, b2, w3)
