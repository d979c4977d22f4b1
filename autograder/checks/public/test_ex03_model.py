"""Public checks for ex03: the MLP, weight initialization, parameter counts and predictions.

The MLP's nn.Linear layers are read in the order its forward calls them, and
the expected logits are computed from those weights here: attribute names,
nn.Sequential or not, F.relu or nn.ReLU do not matter.
"""
import torch

from ...engine.worker import probes_ex03
from ...feedback.catalog import Msg
from ..api import check, expect, expect_close, expect_equal, expect_tensor
from ..helpers.ex01 import call_probe, gen
from ..helpers.ex03 import (
    MODULE,
    expect_counts_with_frozen,
    expect_dropout_train_and_eval,
    expect_forward,
    expect_init,
    expect_init_normal,
    expect_layers,
    expect_no_grad,
    expect_predict,
    expect_proba,
    expect_proba_of_eval,
    expect_unknown_scheme,
    init,
    mlp,
    predict,
)
from ..reference.ex03 import (
    predict_logits,
)


@check("ex03", "MLP", 1.5, en="MLP(4, [16], 3) maps 5 samples to float32 logits [5, 3]",
       zh="MLP(4, [16], 3) 把 5 个样本映射为 float32 的 logits [5, 3]")
def test_mlp_output_shape(sub):
    x = torch.randn(5, 4, generator=gen(60))
    out = mlp(sub, 4, [16], 3, x, "hint.ex03_output_shape")
    expect_forward(out["outputs"][0], x, out["linears"])  # a tensor of the right shape alone earns nothing


@check("ex03", "MLP", 1, en="MLP(64, [32], 10) flattens [6, 1, 8, 8] images",
       zh="MLP(64, [32], 10) 会把 [6, 1, 8, 8] 的图像展平")
def test_mlp_flattens_images(sub):
    x = torch.rand(6, 1, 8, 8, generator=gen(61))
    out = mlp(sub, 64, [32], 10, x, "hint.ex03_flatten")
    expect_forward(out["outputs"][0], x, out["linears"])


@check("ex03", "MLP", 1, en="MLP(4, [], 3) is logistic regression: one Linear(4, 3)",
       zh="MLP(4, [], 3) 就是逻辑回归：只有一个 Linear(4, 3)")
def test_mlp_logistic_regression(sub):
    x = torch.randn(7, 4, generator=gen(62))
    out = mlp(sub, 4, [], 3, x, "hint.ex03_empty_hidden")
    expect_layers(out, x, [4, 3], "hint.ex03_empty_hidden", Msg("label.ex03_weight_shapes"))


@check("ex03", "MLP", 1.5, en="MLP(4, [16, 8], 3) has Linear(4,16), Linear(16,8), Linear(8,3) in this order",
       zh="MLP(4, [16, 8], 3) 依次包含 Linear(4,16)、Linear(16,8)、Linear(8,3)")
def test_mlp_layer_sizes(sub):
    x = torch.randn(3, 4, generator=gen(63))
    out = mlp(sub, 4, [16, 8], 3, x, "hint.ex03_layer_sizes")
    expect_layers(out, x, [4, 16, 8, 3], "hint.ex03_layer_sizes", Msg("label.ex03_weight_shapes_order"))


@check("ex03", "MLP", 1.5,
       en="forward is Linear -> ReLU -> Linear -> ReLU -> Linear, computed from the model's weights",
       zh="forward 是 Linear -> ReLU -> Linear -> ReLU -> Linear，与用模型自身权重算出的结果一致")
def test_mlp_forward_relu(sub):
    x = torch.randn(8, 4, generator=gen(64)) * 2
    out = mlp(sub, 4, [16, 8], 3, x, "hint.ex03_forward")
    expect_forward(out["outputs"][0], x, out["linears"])


@check("ex03", "MLP", 1, en="MLP(12, [32, 32], 3, dropout=0.5): train-mode forwards are random, eval mode is "
       "the plain forward", zh="MLP(12, [32, 32], 3, dropout=0.5)：训练模式下前向是随机的，eval 模式下是普通的前向")
def test_mlp_dropout_train_and_eval(sub):
    x = torch.randn(8, 12, generator=gen(69))
    expect_dropout_train_and_eval(sub, 12, [32, 32], 3, x, seed=7)


@check("ex03", "init_weights", 0.5,
       en="init_weights gives every nn.Linear kaiming weights (std sqrt(2/fan_in)) and a zero bias",
       zh="init_weights 让每个 nn.Linear 的权重符合 kaiming（标准差 sqrt(2/fan_in)），偏置为 0")
def test_init_weights_zero_biases(sub):
    sizes = ((256, 128), (128, 64))  # large enough for the std to be measured within 10%
    out, sent = init(sub, sizes, "kaiming", 1, "hint.ex03_init_kaiming")
    expect_init(out, sizes, sent, "kaiming", "hint.ex03_init_kaiming", rtol=0.1)


@check("ex03", "count_parameters", 1.5, en="count_parameters of Linear(4,16) + Linear(16,3) is 131",
       zh="Linear(4,16) + Linear(16,3) 的 count_parameters 为 131")
def test_count_parameters(sub):
    out = call_probe(sub, MODULE, probes_ex03.count_run, "count_parameters", hint="hint.ex03_count")
    expect(out["type"] == "int", Msg("cmp.type", expected="int", got=out["type"]), hint="hint.ex03_count",
           name="count_parameters(model)")
    expect_equal(out["result"], 131, hint="hint.ex03_count", name="count_parameters(model)")


@check("ex03", "init_weights", 1, en="init_weights(model, 'xavier'): normal weights with std "
       "sqrt(2/(fan_in+fan_out)), zero biases",
       zh="init_weights(model, 'xavier')：权重服从标准差为 sqrt(2/(fan_in+fan_out)) 的正态分布，偏置为 0")
def test_init_weights_xavier_normal(sub):
    expect_init_normal(sub, ((300, 600), (600, 200)), "xavier", 3, rtol=0.05)


@check("ex03", "init_weights", 0.5, en="an unknown scheme ('normal') raises ValueError",
       zh="未知的方案（'normal'）会抛出 ValueError")
def test_init_weights_unknown_scheme(sub):
    expect_unknown_scheme(sub, ((200, 100),), 4, "normal")


@check("ex03", "count_parameters", 0.5, en="count_parameters skips frozen parameters unless trainable_only=False",
       zh="count_parameters 跳过被冻结的参数，除非 trainable_only=False")
def test_count_parameters_trainable_only(sub):
    # 24 + 28 parameters, the second layer frozen
    expect_counts_with_frozen(sub, ((3, 6), (6, 4)), (1,), ((None, 24), (False, 52)))


@check("ex03", "predict_proba", 1,
       en="predict_proba returns [6, 3] probabilities: the softmax of the logits, rows sum to 1",
       zh="predict_proba 返回 [6, 3] 的概率：logits 的 softmax，每行之和为 1")
def test_predict_proba(sub):
    x = torch.randn(6, 4, generator=gen(65))
    out, weights = predict(sub, "predict_proba", x, "hint.ex03_proba_softmax", seed=1)
    expect_proba(out.get("result"), x, weights)


@check("ex03", "predict_proba", 1,
       en="predict_proba of a dropout model in train mode: eval-mode probabilities, no gradients, train mode restored",
       zh="对处于训练模式、带 dropout 的模型，predict_proba 给出 eval 模式的概率，不计算梯度，之后恢复训练模式",
       in_process="torch.is_grad_enabled() during the forward and model.training after the call, seen in the worker")
def test_predict_proba_eval_no_grad_restored(sub):
    x = torch.randn(10, 4, generator=gen(67))
    out, weights = predict(sub, "predict_proba", x, "hint.ex03_eval_mode", seed=3, mode="train", dropout=0.5)
    result = out.get("result")
    # the values first, computed here: a model left in train mode drops units and gives others
    expect_proba_of_eval(result, x, weights, "hint.ex03_eval_mode")
    # then what only the worker saw, which can only take the point away
    expect_no_grad(out)
    expect_equal(out.get("training_after"), True, hint="hint.ex03_restore_mode",
                 name=Msg("label.ex03_training_after_predict", mode="train"))


@check("ex03", "predict", 1, en="predict returns the int64 argmax class of each of 9 samples",
       zh="predict 返回 9 个样本各自 argmax 的类别（int64）")
def test_predict(sub):
    x = torch.randn(9, 4, generator=gen(66)) * 2
    out, weights = predict(sub, "predict", x, "hint.ex03_predict", seed=2)
    expect_predict(out.get("result"), x, weights)


@check("ex03", "predict", 0.5, en="predict of a dropout model in train mode gives the eval-mode classes",
       zh="对处于训练模式、带 dropout 的模型，predict 给出 eval 模式下的类别")
def test_predict_eval_mode(sub):
    x = torch.randn(16, 4, generator=gen(68)) * 2
    out, weights = predict(sub, "predict", x, "hint.ex03_eval_mode", seed=4, mode="train", dropout=0.5)
    result = out.get("result")
    expected = predict_logits(weights, x).argmax(dim=1)
    expect_tensor(result, shape=list(expected.shape), dtype=torch.int64, hint="hint.ex03_predict",
                  name="predict(model, x)")
    expect_close(result, expected, hint="hint.ex03_eval_mode", name="predict(model, x)")
