"""Hidden checks for ex01: numerical stability, no built-in shortcuts, other shapes,
inputs left unchanged, and the training loop against gradient descent from first principles."""
import torch
import torch.nn.functional as F

from ...engine.worker import probes
from ...feedback.catalog import Msg
from ..api import as_float, check, compare, expect, expect_close, expect_equal, expect_number, fail, hinted, run_probe
from ..helpers.ex01 import (
    MODULE,
    expect_grad,
    expect_loss,
    expect_minibatch_descends,
    expect_seed_decides,
    expect_stable,
    fit,
    gd_step_in_worker,
    gen,
)
from ..reference.ex01 import (
    ALLOWED_WORDS,
    CROSS_ENTROPY_WORDS,
    MODULE_FILE,
    SOFTMAX_WORDS,
    gradient_descent,
)
from ..source_rules import describe
from ..source_rules import forbidden as forbidden_in_source


def recorded(sub, func, args, hint):
    """Run ex01.<func> in the worker recording the torch functions it calls: (result, call names)."""
    with hinted(hint):
        out = run_probe(sub, probes.run, f"{MODULE}.{func}", f"{MODULE}.{func}", list(args), {}, record=True)
    return out["result"], out["calls"]


def forbidden(calls, words):
    return sorted(c for c in calls if any(w in c.rsplit(".", 1)[-1] for w in words))


def expect_by_hand(sub, words, func, args, call_words, hint, expected, name):
    """After the values were found right: the module's source (read and parsed here, never run)
    names none of ``words`` and reaches nothing by computed names; then, only as a further reason
    to fail, the worker's record of the torch functions ``func`` called names none of ``call_words``."""
    source = sub.files.get(MODULE_FILE, b"")
    found = forbidden_in_source(source, words, allow=ALLOWED_WORDS)
    expect(not found, Msg("cmp.number", got=describe(found), expected=expected), hint=hint, name=f"{MODULE_FILE}")
    _, calls = recorded(sub, func, args, hint)
    used = forbidden(calls if isinstance(calls, list) else [], call_words)
    expect(not used, Msg("cmp.number", got=", ".join(map(str, used))[:200], expected=expected), hint=hint, name=name)


def starts_elsewhere(ex01, X, y) -> bool:
    """Whether fit starts from weights other than zeros: with lr=0 nothing moves, so it returns them."""
    with hinted("hint.ex01_fit_learns"):
        w, b, _ = ex01.fit_linear_regression(X, y, lr=0.0, epochs=1)
    return not (isinstance(w, torch.Tensor) and bool((w == 0).all()) and as_float(b) == 0.0)


def fit_hint(X, y, lr, steps, every, default, w=None, losses=None, ex01=None):
    """Which mistake a fit that is not gradient descent points to (``every`` steps per epoch):
    weights that do not start at zeros, gradients never zeroed, or the losses taken before the
    epoch's last update (or before the epoch)."""
    def same(got, expected):
        return compare(torch.tensor(got, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64)) is None

    if ex01 is not None and starts_elsewhere(ex01, X, y):
        return "hint.ex01_fit_zeros"

    w_acc, _, acc = gradient_descent(X, y, lr, steps, accumulate=True)
    if (w is not None and compare(w, w_acc) is None) or (losses is not None and same(losses, acc[every - 1::every])):
        return "hint.ex01_fit_zero_grad"
    before = gradient_descent(X, y, lr, steps, before=True)[2]
    if losses is not None and (same(losses, before[every - 1::every]) or same(losses, before[::every])):
        return "hint.ex01_fit_losses"  # the loss before the epoch's last step, or before the epoch
    return default


def data(n, d, seed):
    g = gen(seed)
    X = torch.randn(n, d, generator=g)
    y = X @ torch.randn(d, generator=g) - 1.5 + 0.3 * torch.randn(n, generator=g)
    return X, y


# --- losses -------------------------------------------------------------------------
@check("ex01", "softmax", 1, en="softmax stays finite and exact for logits around 1e4 (3-D input, dim=1)",
       zh="logits 约为 1e4 时 softmax 仍然有限且准确（3 维输入，dim=1）")
def test_softmax_stable(ex01):
    x = torch.randn(2, 3, 4, generator=gen(21)) * 1e4
    x[0, :, 0] = torch.tensor([1e4, 1e4 - 1.0, -1e4])
    with hinted("hint.ex01_softmax_dim"):
        got = ex01.softmax(x, dim=1)
    if compare(got, torch.softmax(x, dim=1)) is None:
        return
    # right on the same logits divided by 1e4, wrong on these: the large values are the problem
    small = x / 1e4
    with hinted("hint.ex01_softmax_dim"):
        right_when_small = compare(ex01.softmax(small, dim=1), torch.softmax(small, dim=1)) is None
    expect_stable(got, torch.softmax(x, dim=1), "hint.ex01_softmax_stable",
                  "hint.ex01_softmax_stable" if right_when_small else "hint.ex01_softmax_dim", "softmax(x, dim=1)")


@check("ex01", "softmax", 1, en="softmax is right and written by hand: no torch.softmax, F.softmax or log_softmax",
       zh="softmax 结果正确且是手写的：没有使用 torch.softmax、F.softmax 或 log_softmax",
       in_process="the torch functions softmax called, as the worker recorded them")
def test_softmax_by_hand(sub, ex01):
    x = torch.randn(5, 3, generator=gen(22)) * 2
    with hinted("hint.ex01_softmax_rows"):
        got = ex01.softmax(x)
    expect_close(got, torch.softmax(x, dim=-1), hint="hint.ex01_softmax_rows", name="softmax(x)")
    expect_by_hand(sub, SOFTMAX_WORDS, "softmax", [x], ("softmax",), "hint.ex01_softmax_by_hand",
                   "exp / sum written by hand", "softmax(x)")


@check("ex01", "cross_entropy", 1, en="cross_entropy equals F.cross_entropy for logits around 1e4",
       zh="logits 约为 1e4 时 cross_entropy 与 F.cross_entropy 相等")
def test_cross_entropy_stable(ex01):
    logits = torch.randn(5, 7, generator=gen(23)) * 1e4
    target = torch.tensor([6, 0, 3, 3, 1])
    with hinted("hint.ex01_ce_formula"):
        got = ex01.cross_entropy(logits, target)
    per_sample = F.cross_entropy(logits.double(), target, reduction="none").float()
    expect_stable(got, F.cross_entropy(logits, target), "hint.ex01_ce_stable", "hint.ex01_ce_formula",
                  "cross_entropy(logits, target)", values=per_sample)


@check("ex01", "cross_entropy", 1,
       en="cross_entropy is right and written by hand: no F.cross_entropy, nn.CrossEntropyLoss, nll_loss or softmax",
       zh="cross_entropy 结果正确且是手写的：没有使用 F.cross_entropy、nn.CrossEntropyLoss、nll_loss 或 softmax 函数",
       in_process="the torch functions cross_entropy called, as the worker recorded them")
def test_cross_entropy_by_hand(sub, ex01):
    logits = torch.randn(4, 3, generator=gen(24)) * 2
    target = torch.tensor([2, 0, 1, 1])
    per_sample = F.cross_entropy(logits, target, reduction="none")
    expect_loss(lambda: ex01.cross_entropy(logits, target), per_sample.mean(), per_sample, "hint.ex01_ce_formula",
                "cross_entropy(logits, target)")
    expect_by_hand(sub, CROSS_ENTROPY_WORDS, "cross_entropy", [logits, target],
                   ("cross_entropy", "softmax", "nll_loss"),
                   "hint.ex01_ce_by_hand", "the loss written by hand", "cross_entropy(logits, target)")


@check("ex01", "binary_cross_entropy", 1,
       en="binary_cross_entropy clamps probabilities of exactly 0 and 1 to [eps, 1-eps]",
       zh="binary_cross_entropy 把恰好为 0 和 1 的概率截断到 [eps, 1-eps]")
def test_binary_cross_entropy_clamps(ex01):
    # with eps=1e-7, 1 - eps is not exact in float32: p = 1 with target 0 only for eps=1e-3
    cases = {1e-7: ([0.0, 1.0, 0.0, 0.3, 0.0004], [0.0, 1.0, 1.0, 1.0, 1.0]),
             1e-3: ([0.0, 1.0, 0.0, 1.0, 0.3, 0.9995], [0.0, 1.0, 1.0, 0.0, 1.0, 0.0])}
    for eps, (prob, target) in cases.items():
        prob, target = torch.tensor(prob), torch.tensor(target)
        per_sample = F.binary_cross_entropy(prob.clamp(eps, 1 - eps), target, reduction="none")
        with hinted("hint.ex01_bce_clamp"):
            got = ex01.binary_cross_entropy(prob, target, eps=eps)
        expect_stable(got, per_sample.mean(), "hint.ex01_bce_clamp", "hint.ex01_bce_clamp",
                      f"binary_cross_entropy(prob, target, eps={eps})")


@check("ex01", "smooth_l1", 1, en="smooth_l1 equals F.smooth_l1_loss for beta=0.5 and beta=2",
       zh="beta=0.5 和 beta=2 时 smooth_l1 与 F.smooth_l1_loss 相等")
def test_smooth_l1_beta(ex01):
    g = gen(25)
    pred, target = torch.randn(2, 4, 6, generator=g) * 2
    for beta in (0.5, 2.0):
        per_element = F.smooth_l1_loss(pred, target, beta=beta, reduction="none")
        expect_loss(lambda: ex01.smooth_l1(pred, target, beta=beta), per_element.mean(), per_element,
                    "hint.ex01_smooth_l1_beta", f"smooth_l1(pred, target, beta={beta})")


@check("ex01", "mse", 1, en="mse and mae average over every element of a 3x5 tensor",
       zh="mse 和 mae 对 3x5 张量的所有元素取平均")
def test_mse_mae_2d(ex01):
    pred, target = torch.randn(2, 3, 5, generator=gen(26)) * 1.5
    for func, ref, hint in (("mse", F.mse_loss, "hint.ex01_mse"), ("mae", F.l1_loss, "hint.ex01_mae")):
        per_element = ref(pred, target, reduction="none")
        expect_loss(lambda: getattr(ex01, func)(pred, target), per_element.mean(), per_element, hint,
                    f"{func}(pred, target)")


# --- gradient descent ---------------------------------------------------------------
@check("ex01", "linear_regression_grad", 2,
       en="linear_regression_grad equals autograd for 13 samples, 5 features, b = -2",
       zh="13 个样本、5 个特征、b = -2 时 linear_regression_grad 与自动求导的结果相等")
def test_linear_regression_grad_other_shapes(ex01):
    g = gen(27)
    X, y, w = torch.randn(13, 5, generator=g) * 2, torch.randn(13, generator=g) + 3, torch.randn(5, generator=g)
    expect_grad(ex01, X, y, w, torch.tensor(-2.0))


@check("ex01", "gd_step", 1, en="gd_step returns w - lr*dw and b - lr*db as new tensors, w, b, dw, db unchanged",
       zh="gd_step 以新张量返回 w - lr*dw 和 b - lr*db，w、b、dw、db 保持不变",
       in_process="the inputs after the call and the memory of the returned tensors, seen in the worker")
def test_gd_step_leaves_inputs(sub):
    g = gen(28)
    w, dw = torch.randn(4, generator=g), torch.randn(4, generator=g)
    b, db = torch.tensor(1.25), torch.tensor(0.5)
    out = gd_step_in_worker(sub, w, b, dw, db, 0.3)
    # only then what the worker saw, which can only take the point away
    after = out.get("inputs_after")
    unchanged = [isinstance(a, torch.Tensor) and compare(a, k, atol=0.0, rtol=0.0) is None
                 for a, k in zip(after if isinstance(after, list) else [], (w, b, dw, db))]
    expect_equal(unchanged + [False] * (4 - len(unchanged)), [True] * 4, hint="hint.ex01_gd_inplace",
                 name=Msg("label.ex01_unchanged", what="w, b, dw, db"))
    expect(out.get("shared") is False, Msg("cmp.number", got=Msg("value.ex01_input_tensor"),
                                           expected=Msg("value.ex01_new_tensors")),
           hint="hint.ex01_gd_inplace", name="gd_step(...)")


@check("ex01", "fit_linear_regression", 2, en="full-batch fit equals gradient descent from zeros (lr=0.05, 30 epochs)",
       zh="全批量训练与从零开始的梯度下降一致（lr=0.05，30 个 epoch）")
def test_fit_full_batch_is_gradient_descent(ex01):
    X, y = data(23, 3, seed=29)
    w, b, _ = fit(ex01, X, y, lr=0.05, epochs=30)
    w_ref, b_ref, _ = gradient_descent(X, y, 0.05, 30)
    w_acc, _, _ = gradient_descent(X, y, 0.05, 30, accumulate=True)
    hint = "hint.ex01_fit_zero_grad" if compare(w, w_acc) is None else "hint.ex01_fit_full_batch"
    if compare(w, w_ref) is not None and hint != "hint.ex01_fit_zero_grad" and starts_elsewhere(ex01, X, y):
        hint = "hint.ex01_fit_zeros"
    expect_close(w, w_ref, hint=hint, name="w")
    expect_number(b, float(b_ref), hint=hint, name="b", atol=1e-5, rtol=1e-4)


@check("ex01", "fit_linear_regression", 1, en="losses[i] is the full-data MSE after epoch i",
       zh="losses[i] 是第 i 个 epoch 之后在全部数据上的 MSE")
def test_fit_losses_after_each_epoch(ex01):
    X, y = data(17, 2, seed=30)
    _, _, losses = fit(ex01, X, y, lr=0.1, epochs=6)
    _, _, expected = gradient_descent(X, y, 0.1, 6)
    expect_close(torch.tensor(losses, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64),
                 hint=fit_hint(X, y, 0.1, 6, 1, "hint.ex01_fit_losses", losses=losses, ex01=ex01), name="losses")


@check("ex01", "fit_linear_regression", 1, en="mini-batches of 4 from 10 samples: 3 steps per epoch on the batch mean",
       zh="10 个样本、批量大小 4：每个 epoch 3 步，每步用批量的平均损失")
def test_fit_minibatch_steps(ex01):
    # every row is the same, so every mini-batch has the same loss whatever the shuffle
    X = torch.tensor([[0.5, -1.0, 0.25]]).repeat(10, 1)
    y = torch.full((10,), 2.0)
    w, b, losses = fit(ex01, X, y, lr=0.05, epochs=4, batch_size=4, seed=3)
    w_ref, b_ref, steps = gradient_descent(X, y, 0.05, 12)
    hint = fit_hint(X, y, 0.05, 12, 3, "hint.ex01_fit_minibatch", w=w, ex01=ex01)
    expect_close(w, w_ref, hint=hint, name="w")
    expect_number(b, float(b_ref), hint=hint, name="b", atol=1e-5, rtol=1e-4)
    expect_close(torch.tensor(losses, dtype=torch.float64), torch.tensor(steps[2::3], dtype=torch.float64),
                 hint=fit_hint(X, y, 0.05, 12, 3, "hint.ex01_fit_minibatch", losses=losses, ex01=ex01),
                 name="losses")


@check("ex01", "fit_linear_regression", 1,
       en="mini-batch fit: it learns, same seed same result, another seed another result",
       zh="小批量训练：能学到规律；相同的 seed 结果相同，不同的 seed 结果不同")
def test_fit_minibatch_seed(ex01):
    X, y = data(24, 3, seed=31)
    w1, b1 = expect_minibatch_descends(ex01, X, y, lr=0.05, epochs=3, batch_size=5, seed=4)
    w2, b2, _ = fit(ex01, X, y, lr=0.05, epochs=3, batch_size=5, seed=4)
    w3, _, _ = fit(ex01, X, y, lr=0.05, epochs=3, batch_size=5, seed=11)
    if compare(w2, w1, atol=0.0, rtol=0.0) is not None and starts_elsewhere(ex01, X, y):
        fail(Msg("cmp.number", got=Msg("value.ex01_other_w"), expected=Msg("value.ex01_same_w")),
             hint="hint.ex01_fit_zeros",
             name=Msg("label.same_seed", what="w"))
    expect_seed_decides(w1, b1, w2, b2, w3)
