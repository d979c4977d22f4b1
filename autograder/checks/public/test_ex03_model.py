"""Public checks for ex03: the MLP, weight initialization, parameter counts and predictions.

The MLP's nn.Linear layers are read in the order its forward calls them, and
the expected logits are computed from those weights here: attribute names,
nn.Sequential or not, F.relu or nn.ReLU do not matter.
"""
import math

import torch

from ...feedback.catalog import Msg
from ..api import check, compare, expect, expect_close, expect_equal, expect_number, expect_tensor, fail
from ..reference.ex03 import (
    init_layers,
    predict_logits,
    predict_weights,
    reference_forward,
    varies,
    well_formed_linears,
)
from .test_ex01_gradient_descent import call_probe, gen, is_close

MODULE = "ex03_model"


def mlp(sub, in_features, hidden, num_classes, x, hint, **kwargs):
    """mlp_run in the worker: the outputs of the student's MLP, its Linear layers in call order
    (the weights are the student's answer; what they must give is computed here)."""
    out = call_probe(sub, MODULE, "mlp_run", "MLP", in_features, hidden, num_classes, x, hint=hint, **kwargs)
    expect(isinstance(out, dict) and isinstance(out.get("outputs"), list) and out["outputs"],
           Msg("cmp.type", expected="model(x)", got=type(out).__name__), hint=hint, name="model(x)")
    for y in out["outputs"]:
        expect_tensor(y, shape=[x.shape[0], num_classes], dtype=torch.float32, hint=hint, name="model(x)")
    expect(well_formed_linears(out.get("linears")),
           Msg("cmp.type", expected="nn.Linear layers of matching sizes", got="none or mismatched"),
           hint="hint.ex03_layer_sizes", name="the model's nn.Linear layers")
    return out


def forward_hint(got, x, linears) -> str:
    """Which mistake a forward that differs from reference_forward points to."""
    expected = reference_forward(x, linears)
    if is_close(got, torch.softmax(expected, dim=1)):
        return "hint.ex03_logits"
    if is_close(got, torch.relu(expected)) or is_close(got, reference_forward(x, linears, relu=False)):
        return "hint.ex03_relu"
    return "hint.ex03_forward"


def expect_forward(got, x, linears, name="model(x)"):
    """``got`` must be the forward computed here from the model's own weights, and depend on x."""
    expected = reference_forward(x, linears)
    problem = compare(got, expected)
    if problem is not None:
        fail(problem, hint=forward_hint(got, x, linears), name=name)
    expect(varies(expected),
           Msg("cmp.number", got="the same logits for every sample", expected="logits that depend on x"),
           hint="hint.ex03_forward", name=name)


def expect_sizes(linears, sizes, name):
    shapes = [list(w.shape) for w, _ in linears]
    expect_equal(shapes, [[o, i] for i, o in zip(sizes, sizes[1:])], hint="hint.ex03_layer_sizes", name=name)


def predict(sub, func, x, hint, seed, **kwargs):
    """predict_run on a model holding weights the grader chose from ``seed``: (its report, the weights)."""
    weights = predict_weights(seed)
    out = call_probe(sub, MODULE, "predict_run", func, func, x, weights, hint=hint, **kwargs)
    expect(isinstance(out, dict), Msg("cmp.type", expected="a result", got=type(out).__name__), hint=hint, name=func)
    return out, weights


def expect_proba(result, x, weights, hint="hint.ex03_proba_softmax"):
    """The softmax of the eval-mode logits, computed here from the weights the grader sent."""
    expected = torch.softmax(predict_logits(weights, x), dim=1)
    expect_tensor(result, shape=expected.shape, dtype=torch.float32, hint=hint, name="predict_proba(model, x)")
    expect_close(result.sum(dim=1), torch.ones(x.shape[0]), hint=hint, name="row sums of predict_proba(model, x)")
    expect_close(result, expected, hint=hint, name="predict_proba(model, x)")


def expect_predict(result, x, weights):
    expected = predict_logits(weights, x).argmax(dim=1)
    expect_close(result, expected, hint="hint.ex03_predict", name="predict(model, x)")


def expect_init(out, sizes, sent, scheme, hint, rtol):
    """The weights init_weights left (computed on here): every layer changed from what the grader
    sent, std within ``rtol`` of the scheme's, mean about 0, biases zero."""
    after = out.get("after") if isinstance(out, dict) else None
    expect(isinstance(after, list) and len(after) == len(sizes)
           and all(isinstance(p, (tuple, list)) and len(p) == 2 for p in after),
           Msg("cmp.type", expected="the layers' weights", got=type(after).__name__), hint=hint,
           name="init_weights(model)")
    for i, ((fan_in, fan_out), (w0, b0), (w, b)) in enumerate(zip(sizes, sent, after)):
        name = f"Linear({fan_in}, {fan_out}) weight std"
        expect_tensor(w, shape=[fan_out, fan_in], hint=hint, name=f"weight of layer {i}")
        expect_tensor(b, shape=[fan_out], hint="hint.ex03_init_bias", name=f"bias of layer {i}")
        if compare(w, w0, atol=0.0, rtol=0.0) is None:
            fail(Msg("cmp.number", got="unchanged weights", expected=f"{scheme} weights"),
                 hint="hint.ex03_init_all_layers", name=name)
        kaiming, xavier = math.sqrt(2 / fan_in), math.sqrt(2 / (fan_in + fan_out))
        target, other = (kaiming, xavier) if scheme == "kaiming" else (xavier, kaiming)
        w = w.double()
        std = float(w.std())
        wrong = "hint.ex03_init_swapped" if math.isclose(std, other, rel_tol=rtol) else hint
        expect_number(std, target, rtol=rtol, atol=0.0, hint=wrong, name=name)
        expect_number(float(w.mean()), 0.0, atol=0.05 * target, rtol=0.0, hint=hint,
                      name=f"Linear({fan_in}, {fan_out}) weight mean")
        expect_close(b, torch.zeros_like(b), atol=0.0, rtol=0.0, dtype=False, hint="hint.ex03_init_bias",
                     name=f"bias of layer {i}")
    return after


def init(sub, sizes, scheme, seed, hint):
    """init_run on layers holding weights the grader chose: (its report, what was sent)."""
    sent = init_layers(sizes, seed)
    out = call_probe(sub, MODULE, "init_run", "init_weights", sent, scheme=scheme, seed=seed, hint=hint)
    return out, sent


# --- MLP ---------------------------------------------------------------------------------
@check("ex03", "MLP", 2, en="MLP(4, [16], 3) maps 5 samples to float32 logits [5, 3]",
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
    expect_equal(out["n_linear"], 1, hint="hint.ex03_empty_hidden", name="number of nn.Linear layers")
    expect_sizes(out["linears"], [4, 3], "Linear weight shapes")
    expect_forward(out["outputs"][0], x, out["linears"])


@check("ex03", "MLP", 2, en="MLP(4, [16, 8], 3) has Linear(4,16), Linear(16,8), Linear(8,3) in this order",
       zh="MLP(4, [16, 8], 3) 依次包含 Linear(4,16)、Linear(16,8)、Linear(8,3)")
def test_mlp_layer_sizes(sub):
    x = torch.randn(3, 4, generator=gen(63))
    out = mlp(sub, 4, [16, 8], 3, x, "hint.ex03_layer_sizes")
    expect_equal(out["n_linear"], 3, hint="hint.ex03_layer_sizes", name="number of nn.Linear layers")
    expect_sizes(out["linears"], [4, 16, 8, 3], "Linear weight shapes, in the order forward uses them")
    expect_forward(out["outputs"][0], x, out["linears"])  # layers that forward does not use earn nothing


@check("ex03", "MLP", 2, en="forward is Linear -> ReLU -> Linear -> ReLU -> Linear, computed from the model's weights",
       zh="forward 是 Linear -> ReLU -> Linear -> ReLU -> Linear，与用模型自身权重算出的结果一致")
def test_mlp_forward_relu(sub):
    x = torch.randn(8, 4, generator=gen(64)) * 2
    out = mlp(sub, 4, [16, 8], 3, x, "hint.ex03_forward")
    expect_forward(out["outputs"][0], x, out["linears"])


# --- init_weights and count_parameters -------------------------------------------------------------
@check("ex03", "init_weights", 1,
       en="init_weights gives every nn.Linear kaiming weights (std sqrt(2/fan_in)) and a zero bias",
       zh="init_weights 让每个 nn.Linear 的权重符合 kaiming（标准差 sqrt(2/fan_in)），偏置为 0")
def test_init_weights_zero_biases(sub):
    sizes = ((256, 128), (128, 64))  # large enough for the std to be measured within 10%
    out, sent = init(sub, sizes, "kaiming", 1, "hint.ex03_init_kaiming")
    expect_init(out, sizes, sent, "kaiming", "hint.ex03_init_kaiming", rtol=0.1)


@check("ex03", "count_parameters", 2, en="count_parameters of Linear(4,16) + Linear(16,3) is 131",
       zh="Linear(4,16) + Linear(16,3) 的 count_parameters 为 131")
def test_count_parameters(sub):
    out = call_probe(sub, MODULE, "count_run", "count_parameters", hint="hint.ex03_count")
    expect(out["type"] == "int", Msg("cmp.type", expected="int", got=out["type"]), hint="hint.ex03_count",
           name="count_parameters(model)")
    expect_equal(out["result"], 131, hint="hint.ex03_count", name="count_parameters(model)")


# --- predictions ------------------------------------------------------------------------------
@check("ex03", "predict_proba", 2,
       en="predict_proba returns [6, 3] probabilities: the softmax of the logits, rows sum to 1",
       zh="predict_proba 返回 [6, 3] 的概率：logits 的 softmax，每行之和为 1")
def test_predict_proba(sub):
    x = torch.randn(6, 4, generator=gen(65))
    out, weights = predict(sub, "predict_proba", x, "hint.ex03_proba_softmax", seed=1)
    expect_proba(out.get("result"), x, weights)


@check("ex03", "predict", 2, en="predict returns the int64 argmax class of each of 9 samples",
       zh="predict 返回 9 个样本各自 argmax 的类别（int64）")
def test_predict(sub):
    x = torch.randn(9, 4, generator=gen(66)) * 2
    out, weights = predict(sub, "predict", x, "hint.ex03_predict", seed=2)
    expect_predict(out.get("result"), x, weights)
