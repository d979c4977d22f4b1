"""Hidden checks for ex03: a deeper MLP, dropout in train and eval mode, the init
schemes' statistics, frozen parameters, and predict_proba's mode and gradients."""
import torch

from ...feedback.catalog import Msg
from ..api import check, expect, expect_close, expect_equal
from ..helpers.ex01 import gen
from ..helpers.ex03 import (
    expect_counts_with_frozen,
    expect_dropout_train_and_eval,
    expect_forward,
    expect_init_normal,
    expect_layers,
    expect_no_grad,
    expect_predict,
    expect_proba,
    expect_proba_of_eval,
    expect_unknown_scheme,
    forward_hint,
    mlp,
    predict,
)
from ..reference.ex03 import reference_forward

SIZES = ((400, 900), (900, 300))  # wide layers, fan_in != fan_out


def expect_init(sub, scheme, seed):
    """Each layer of a wide model: changed, biases zero, mean ~0, std within 3% of the scheme's,
    normal (not uniform) tails."""
    expect_init_normal(sub, SIZES, scheme, seed, rtol=0.03)


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


@check("ex03", "MLP", 1, en="forward returns logits, not probabilities: the last Linear's output, no softmax",
       zh="forward 返回 logits 而不是概率：就是最后一个 Linear 的输出，没有 softmax")
def test_forward_no_softmax(sub):
    x = torch.randn(8, 5, generator=gen(71))
    out = mlp(sub, 5, [12], 3, x, "hint.ex03_logits", seed=3)
    y = out["outputs"][0]
    expect(not (bool((y >= 0).all()) and torch.allclose(y.sum(dim=1), torch.ones(8), atol=1e-4)),
           Msg("cmp.number", got=Msg("value.ex03_probabilities"),
               expected=Msg("value.ex03_raw_logits")), hint="hint.ex03_logits",
           name="model(x)")
    expect_forward(y, x, out["linears"])


@check("ex03", "MLP", 1, en="hidden=(10, 7, 5) as a tuple gives 4 Linear layers of the right sizes",
       zh="hidden=(10, 7, 5) 为元组时得到 4 个尺寸正确的 Linear 层")
def test_tuple_hidden_sizes(sub):
    x = torch.randn(2, 6, generator=gen(72))
    out = mlp(sub, 6, (10, 7, 5), 4, x, "hint.ex03_layer_sizes", seed=4)
    expect_layers(out, x, [6, 10, 7, 5, 4], "hint.ex03_layer_sizes", Msg("label.ex03_weight_shapes_order"))


@check("ex03", "MLP", 1, en="with dropout=0.5, two forwards in train mode differ from each other and from eval",
       zh="dropout=0.5 时，训练模式下两次前向的结果彼此不同，也与 eval 模式不同")
def test_dropout_active_in_train(sub):
    x = torch.randn(10, 20, generator=gen(73))
    expect_dropout_train_and_eval(sub, 20, [64, 64], 3, x, seed=5)


@check("ex03", "MLP", 1, en="with dropout=0.5 in eval mode, forward is deterministic: no dropout",
       zh="dropout=0.5 时在 eval 模式下前向是确定的：不做 dropout")
def test_dropout_off_in_eval(sub):
    x = torch.randn(10, 20, generator=gen(74))
    out = mlp(sub, 20, [64, 64], 3, x, "hint.ex03_dropout_eval", dropout=0.5, seed=6, mode="eval", repeats=2)
    first, second = out["outputs"]
    random = not torch.allclose(first, second)
    for y in out["outputs"]:
        hint = "hint.ex03_dropout_eval" if random else forward_hint(y, x, out["linears"])
        expect_close(y, reference_forward(x, out["linears"]), hint=hint,
                     name=Msg("label.ex03_in_mode", call="model(x)", mode="eval"))


# --- init_weights and count_parameters ---------------------------------------------------------
@check("ex03", "init_weights", 1, en="kaiming: normal weights with std sqrt(2/fan_in), zero biases (400-900-300)",
       zh="kaiming：权重服从标准差为 sqrt(2/fan_in) 的正态分布，偏置为 0（400-900-300）")
def test_init_kaiming(sub):
    expect_init(sub, "kaiming", seed=7)


@check("ex03", "init_weights", 1, en="xavier: normal weights with std sqrt(2/(fan_in+fan_out)), zero biases",
       zh="xavier：权重服从标准差为 sqrt(2/(fan_in+fan_out)) 的正态分布，偏置为 0")
def test_init_xavier(sub):
    expect_init(sub, "xavier", seed=8)


@check("ex03", "init_weights", 1, en="an unknown scheme ('uniform') raises ValueError",
       zh="未知的方案（'uniform'）会抛出 ValueError")
def test_init_unknown_scheme(sub):
    expect_unknown_scheme(sub, ((256, 128),), 2, "uniform")


@check("ex03", "count_parameters", 1, en="count_parameters skips a frozen layer unless trainable_only=False",
       zh="count_parameters 跳过被冻结的层，除非 trainable_only=False")
def test_count_parameters_frozen(sub):
    # 42 + 16 parameters, the first layer frozen
    expect_counts_with_frozen(sub, ((5, 7), (7, 2)), (0,), ((None, 16), (True, 16), (False, 58)))


# --- predictions -------------------------------------------------------------------------------
@check("ex03", "predict_proba", 1, en="predict_proba equals the softmax of the logits on 11 other samples",
       zh="在另外 11 个样本上 predict_proba 等于 logits 的 softmax")
def test_predict_proba_other_data(sub):
    x = torch.randn(11, 4, generator=gen(75)) * 3
    out, weights = predict(sub, "predict_proba", x, "hint.ex03_proba_softmax", seed=9)
    expect_proba(out.get("result"), x, weights)


@check("ex03", "predict_proba", 1, en="predict_proba is right and runs the forward with gradients disabled",
       zh="predict_proba 结果正确，并在禁用梯度的情况下执行前向",
       in_process="torch.is_grad_enabled() during the model's forward, seen in the worker")
def test_predict_proba_no_grad(sub):
    x = torch.randn(4, 4, generator=gen(76))
    out, weights = predict(sub, "predict_proba", x, "hint.ex03_no_grad", seed=10)
    expect_proba(out.get("result"), x, weights)
    expect_no_grad(out)


@check("ex03", "predict_proba", 1,
       en="predict_proba of a model with dropout in train mode gives its eval-mode probabilities",
       zh="对处于训练模式、带 dropout 的模型，predict_proba 给出 eval 模式下的概率")
def test_predict_proba_eval_mode(sub):
    x = torch.randn(12, 4, generator=gen(77))
    out, weights = predict(sub, "predict_proba", x, "hint.ex03_eval_mode", seed=11, mode="train", dropout=0.5)
    expect_proba_of_eval(out.get("result"), x, weights, "hint.ex03_eval_mode")


@check("ex03", "predict_proba", 1,
       en="predict_proba is right and restores the model's mode (train stays train, eval stays eval)",
       zh="predict_proba 结果正确，并恢复模型原来的模式（train 仍为 train，eval 仍为 eval）",
       in_process="model.training after the call, seen in the worker")
def test_predict_proba_restores_mode(sub):
    x = torch.randn(9, 4, generator=gen(78))
    for mode in ("train", "eval"):
        out, weights = predict(sub, "predict_proba", x, "hint.ex03_restore_mode", seed=12, mode=mode, dropout=0.5)
        expect_proba_of_eval(out.get("result"), x, weights, "hint.ex03_eval_mode")
        expect_equal(out.get("training_after"), mode == "train", hint="hint.ex03_restore_mode",
                     name=Msg("label.ex03_training_after_predict", mode=mode))


@check("ex03", "predict", 1, en="predict returns int64 argmax classes for 14 other samples",
       zh="在另外 14 个样本上 predict 返回 int64 的 argmax 类别")
def test_predict_other_data(sub):
    x = torch.randn(14, 4, generator=gen(79)) * 3
    out, weights = predict(sub, "predict", x, "hint.ex03_predict", seed=13)
    expect_predict(out.get("result"), x, weights)
