"""Hidden checks for ex03: a deeper MLP, dropout in train and eval mode, the init
schemes' statistics, frozen parameters, and predict_proba's mode and gradients."""
import math

import torch

from ...feedback.catalog import Msg
from ..api import check, expect, expect_close, expect_equal, expect_number
from ..public.test_ex01_gradient_descent import call_probe, gen
from ..public.test_ex03_model import (MODULE, expect_forward, expect_predict, expect_proba, expect_sizes, forward_hint,
                                      mlp, predict, reference_forward)

SIZES = ((400, 900), (900, 300))  # wide layers, fan_in != fan_out
SCHEME_HINTS = {"kaiming": "hint.ex03_init_kaiming", "xavier": "hint.ex03_init_xavier"}


def init(sub, scheme, seed):
    return call_probe(sub, MODULE, "init_run", "init_weights", sizes=SIZES, scheme=scheme, seed=seed,
                      hint=SCHEME_HINTS[scheme])


def expect_init(out, scheme):
    """Each layer: changed, biases zero, mean ~0, std within 3% of the scheme's, normal (not uniform) tails."""
    for i, ((fan_in, fan_out), (w0, _), (w, b)) in enumerate(zip(SIZES, out["before"], out["after"])):
        name = f"Linear({fan_in}, {fan_out}) weight std"
        if torch.equal(w, w0):
            expect(False, Msg("cmp.number", got="unchanged weights", expected=f"{scheme} weights"),
                   hint="hint.ex03_init_all_layers", name=name)
        kaiming, xavier = math.sqrt(2 / fan_in), math.sqrt(2 / (fan_in + fan_out))
        target, other = (kaiming, xavier) if scheme == "kaiming" else (xavier, kaiming)
        std = float(w.std())
        hint = "hint.ex03_init_swapped" if math.isclose(std, other, rel_tol=0.03) else SCHEME_HINTS[scheme]
        expect_number(std, target, rtol=0.03, atol=0.0, hint=hint, name=name)
        expect_number(float(w.mean()), 0.0, atol=0.05 * target, rtol=0.0, hint=SCHEME_HINTS[scheme],
                      name=f"Linear({fan_in}, {fan_out}) weight mean")
        expect(float(w.abs().max()) > 3 * std, Msg("cmp.number", got="values bounded like a uniform distribution",
                                                   expected="normal tails"),
               hint=SCHEME_HINTS[scheme], name=name)
        expect_close(b, torch.zeros_like(b), atol=0.0, rtol=0.0, hint="hint.ex03_init_bias", name=f"bias of layer {i}")


# --- MLP ---------------------------------------------------------------------------------
@check("ex03", "MLP", 1, en="MLP(6, (10, 7, 5), 4) in train mode computes Linear/ReLU from its own weights, no dropout",
       zh="MLP(6, (10, 7, 5), 4) 在训练模式下按自身权重计算 Linear/ReLU，且没有 dropout")
def test_deep_forward(sub):
    x = torch.randn(9, 6, generator=gen(70)) * 1.5
    out = mlp(sub, 6, (10, 7, 5), 4, x, "hint.ex03_forward", repeats=2)
    for y in out["outputs"]:
        expect_forward(y, x, out["linears"])


@check("ex03", "MLP", 1, en="MLP(12, [9], 5) flattens inputs [7, 3, 2, 2] after the batch dim",
       zh="MLP(12, [9], 5) 会把输入 [7, 3, 2, 2] 在批量维之后展平")
def test_forward_flattens(sub):
    x = torch.randn(7, 3, 2, 2, generator=gen(80))
    out = mlp(sub, 12, [9], 5, x, "hint.ex03_flatten", seed=14)
    expect_forward(out["outputs"][0], x, out["linears"])


@check("ex03", "MLP", 1, en="forward returns logits: no softmax is called", zh="forward 返回 logits：没有调用 softmax")
def test_forward_no_softmax(sub):
    x = torch.randn(8, 5, generator=gen(71))
    out = mlp(sub, 5, [12], 3, x, "hint.ex03_logits", seed=3)
    used = sorted(c for c in out["calls"] if "softmax" in c.rsplit(".", 1)[-1])
    expect(not used, Msg("cmp.number", got=", ".join(used), expected="no softmax in forward"), hint="hint.ex03_logits",
           name="model(x)")
    y = out["outputs"][0]
    expect(not (bool((y >= 0).all()) and torch.allclose(y.sum(dim=1), torch.ones(8), atol=1e-4)),
           Msg("cmp.number", got="rows of probabilities", expected="raw logits"), hint="hint.ex03_logits", name="model(x)")


@check("ex03", "MLP", 1, en="hidden=(10, 7, 5) as a tuple gives 4 Linear layers of the right sizes",
       zh="hidden=(10, 7, 5) 为元组时得到 4 个尺寸正确的 Linear 层")
def test_tuple_hidden_sizes(sub):
    out = mlp(sub, 6, (10, 7, 5), 4, torch.randn(2, 6, generator=gen(72)), "hint.ex03_layer_sizes", seed=4)
    expect_equal(out["n_linear"], 4, hint="hint.ex03_layer_sizes", name="number of nn.Linear layers")
    expect_sizes(out["linears"], [6, 10, 7, 5, 4], "Linear weight shapes, in the order forward uses them")


@check("ex03", "MLP", 1, en="with dropout=0.5, two forwards in train mode differ from each other and from eval",
       zh="dropout=0.5 时，训练模式下两次前向的结果彼此不同，也与 eval 模式不同")
def test_dropout_active_in_train(sub):
    x = torch.randn(10, 20, generator=gen(73))
    out = mlp(sub, 20, [64, 64], 3, x, "hint.ex03_dropout_missing", dropout=0.5, seed=5, repeats=2)
    first, second = out["outputs"]
    plain = reference_forward(x, out["linears"])
    expect(not torch.allclose(first, second) and not torch.allclose(first, plain, atol=1e-5),
           Msg("cmp.number", got="the same output every time", expected="random dropout in train mode"),
           hint="hint.ex03_dropout_missing", name="model(x) in train mode")


@check("ex03", "MLP", 1, en="with dropout=0.5 in eval mode, forward is deterministic: no dropout",
       zh="dropout=0.5 时在 eval 模式下前向是确定的：不做 dropout")
def test_dropout_off_in_eval(sub):
    x = torch.randn(10, 20, generator=gen(74))
    out = mlp(sub, 20, [64, 64], 3, x, "hint.ex03_dropout_eval", dropout=0.5, seed=6, mode="eval", repeats=2)
    first, second = out["outputs"]
    random = not torch.allclose(first, second)
    for y in out["outputs"]:
        hint = "hint.ex03_dropout_eval" if random else forward_hint(y, x, out["linears"])
        expect_close(y, reference_forward(x, out["linears"]), hint=hint, name="model(x) in eval mode")


# --- init_weights and count_parameters ---------------------------------------------------------
@check("ex03", "init_weights", 1, en="kaiming: normal weights with std sqrt(2/fan_in), zero biases (400-900-300)",
       zh="kaiming：权重服从标准差为 sqrt(2/fan_in) 的正态分布，偏置为 0（400-900-300）")
def test_init_kaiming(sub):
    expect_init(init(sub, "kaiming", seed=7), "kaiming")


@check("ex03", "init_weights", 1, en="xavier: normal weights with std sqrt(2/(fan_in+fan_out)), zero biases",
       zh="xavier：权重服从标准差为 sqrt(2/(fan_in+fan_out)) 的正态分布，偏置为 0")
def test_init_xavier(sub):
    expect_init(init(sub, "xavier", seed=8), "xavier")


@check("ex03", "init_weights", 1, en="an unknown scheme ('uniform') raises ValueError", zh="未知的方案（'uniform'）会抛出 ValueError")
def test_init_unknown_scheme(sub):
    out = call_probe(sub, MODULE, "init_raises", "init_weights", "uniform")
    expect("ValueError" in out["mro"], Msg("cmp.type", expected="ValueError", got=(out["mro"] or ["no exception"])[0]),
           hint="hint.ex03_init_scheme_error", name="init_weights(model, 'uniform')")


@check("ex03", "count_parameters", 1, en="count_parameters skips a frozen layer unless trainable_only=False",
       zh="count_parameters 跳过被冻结的层，除非 trainable_only=False")
def test_count_parameters_frozen(sub):
    sizes = ((5, 7), (7, 2))  # 42 + 16 parameters, the first layer frozen
    for trainable_only, expected in ((None, 16), (True, 16), (False, 58)):
        out = call_probe(sub, MODULE, "count_run", "count_parameters", sizes=sizes, frozen=(0,),
                         trainable_only=trainable_only, hint="hint.ex03_count_trainable")
        label = "" if trainable_only is None else f", trainable_only={trainable_only}"
        tensors = 4 if trainable_only is False else 2  # parameter tensors, not their elements
        hint = "hint.ex03_count" if out["result"] == tensors else "hint.ex03_count_trainable"
        expect_equal(out["result"], expected, hint=hint, name=f"count_parameters(model{label})")


# --- predictions -------------------------------------------------------------------------------
@check("ex03", "predict_proba", 1, en="predict_proba equals the softmax of the logits on 11 other samples",
       zh="在另外 11 个样本上 predict_proba 等于 logits 的 softmax")
def test_predict_proba_other_data(sub):
    x = torch.randn(11, 4, generator=gen(75)) * 3
    out = predict(sub, "predict_proba", x, "hint.ex03_proba_softmax", seed=9)
    expect_proba(out["result"], x, seed=9)


@check("ex03", "predict_proba", 1, en="predict_proba runs the forward with gradients disabled",
       zh="predict_proba 在禁用梯度的情况下执行前向")
def test_predict_proba_no_grad(sub):
    out = predict(sub, "predict_proba", torch.randn(4, 4, generator=gen(76)), "hint.ex03_no_grad", seed=10)
    expect(bool(out["forwards"]), Msg("cmp.number", got="no forward pass", expected="model(x)"),
           hint="hint.ex03_proba_softmax", name="predict_proba(model, x)")
    expect_equal([f[2] for f in out["forwards"]], [False] * len(out["forwards"]), hint="hint.ex03_no_grad",
                 name="torch.is_grad_enabled() during the forward")


@check("ex03", "predict_proba", 1, en="predict_proba runs a model with dropout in eval mode",
       zh="predict_proba 让带 dropout 的模型在 eval 模式下运行")
def test_predict_proba_eval_mode(sub):
    x = torch.randn(12, 4, generator=gen(77))
    out = predict(sub, "predict_proba", x, "hint.ex03_eval_mode", seed=11, mode="train", dropout=0.5)
    expect(bool(out["forwards"]), Msg("cmp.number", got="no forward pass", expected="model(x)"),
           hint="hint.ex03_proba_softmax", name="predict_proba(model, x)")
    expect_equal([f[1] for f in out["forwards"]], [False] * len(out["forwards"]), hint="hint.ex03_eval_mode",
                 name="model.training during the forward")
    expect_proba(out["result"], x, seed=11)  # in eval mode: a wrong value is the softmax's


@check("ex03", "predict_proba", 1, en="predict_proba restores the model's mode (train stays train, eval stays eval)",
       zh="predict_proba 会恢复模型原来的模式（train 仍为 train，eval 仍为 eval）")
def test_predict_proba_restores_mode(sub):
    x = torch.randn(3, 4, generator=gen(78))
    for mode in ("train", "eval"):
        out = predict(sub, "predict_proba", x, "hint.ex03_restore_mode", seed=12, mode=mode)
        expect_equal(out["training_after"], mode == "train", hint="hint.ex03_restore_mode",
                     name=f"model.training after predict_proba on a model in {mode} mode")


@check("ex03", "predict", 1, en="predict returns int64 argmax classes for 14 other samples",
       zh="在另外 14 个样本上 predict 返回 int64 的 argmax 类别")
def test_predict_other_data(sub):
    x = torch.randn(14, 4, generator=gen(79)) * 3
    out = predict(sub, "predict", x, "hint.ex03_predict", seed=13)
    expect_predict(out["result"], x, seed=13)
