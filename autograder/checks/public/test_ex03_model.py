"""Public checks for ex03: the MLP, weight initialization, parameter counts and predictions.

The MLP's nn.Linear layers are read in the order its forward calls them, and
the expected logits are computed from those weights here: attribute names,
nn.Sequential or not, F.relu or nn.ReLU do not matter.
"""
import torch

from ...engine.worker import probes_ex01_03 as px
from ...feedback.catalog import Msg
from ..api import check, compare, expect, expect_close, expect_equal, expect_tensor, fail
from .test_ex01_gradient_descent import call_probe, gen, is_close

MODULE = "ex03_model"


def mlp(sub, in_features, hidden, num_classes, x, hint, **kwargs):
    """mlp_run in the worker: the outputs of the student's MLP, its Linear layers in call order."""
    out = call_probe(sub, MODULE, "mlp_run", "MLP", in_features, hidden, num_classes, x, hint=hint, **kwargs)
    for y in out["outputs"]:
        expect_tensor(y, shape=[x.shape[0], num_classes], dtype=torch.float32, hint=hint, name="model(x)")
    return out


def reference_forward(x, linears, relu=True):
    """Linear -> ReLU for every layer but the last, then the last Linear: from the model's own weights."""
    h = x.flatten(1)
    for i, (w, b) in enumerate(linears):
        h = h @ w.T + (0.0 if b is None else b)
        if relu and i < len(linears) - 1:
            h = torch.relu(h)
    return h


def forward_hint(got, x, linears) -> str:
    """Which mistake a forward that differs from reference_forward points to."""
    expected = reference_forward(x, linears)
    if is_close(got, torch.softmax(expected, dim=1)):
        return "hint.ex03_logits"
    if is_close(got, torch.relu(expected)) or is_close(got, reference_forward(x, linears, relu=False)):
        return "hint.ex03_relu"
    return "hint.ex03_forward"


def expect_forward(got, x, linears, name="model(x)"):
    problem = compare(got, reference_forward(x, linears))
    if problem is not None:
        fail(problem, hint=forward_hint(got, x, linears), name=name)


def expect_sizes(linears, sizes, name):
    shapes = [list(w.shape) for w, _ in linears]
    expect_equal(shapes, [[o, i] for i, o in zip(sizes, sizes[1:])], hint="hint.ex03_layer_sizes", name=name)


def predict(sub, func, x, hint, **kwargs):
    return call_probe(sub, MODULE, "predict_run", func, func, x, hint=hint, **kwargs)


def expect_proba(result, x, seed, hint="hint.ex03_proba_softmax"):
    expected = torch.softmax(px.probe_logits(x, seed=seed), dim=1)
    expect_tensor(result, shape=expected.shape, dtype=torch.float32, hint=hint, name="predict_proba(model, x)")
    expect_close(result.sum(dim=1), torch.ones(x.shape[0]), hint=hint, name="row sums of predict_proba(model, x)")
    expect_close(result, expected, hint=hint, name="predict_proba(model, x)")


def expect_predict(result, x, seed):
    expected = px.probe_logits(x, seed=seed).argmax(dim=1)
    expect_close(result, expected, hint="hint.ex03_predict", name="predict(model, x)")


# --- MLP ---------------------------------------------------------------------------------
@check("ex03", "MLP", 2, en="MLP(4, [16], 3) maps 5 samples to float32 logits [5, 3]",
       zh="MLP(4, [16], 3) 把 5 个样本映射为 float32 的 logits [5, 3]")
def test_mlp_output_shape(sub):
    mlp(sub, 4, [16], 3, torch.randn(5, 4, generator=gen(60)), "hint.ex03_output_shape")


@check("ex03", "MLP", 1, en="MLP(64, [32], 10) flattens [6, 1, 8, 8] images", zh="MLP(64, [32], 10) 会把 [6, 1, 8, 8] 的图像展平")
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
    out = mlp(sub, 4, [16, 8], 3, torch.randn(3, 4, generator=gen(63)), "hint.ex03_layer_sizes")
    expect_equal(out["n_linear"], 3, hint="hint.ex03_layer_sizes", name="number of nn.Linear layers")
    expect_sizes(out["linears"], [4, 16, 8, 3], "Linear weight shapes, in the order forward uses them")


@check("ex03", "MLP", 2, en="forward is Linear -> ReLU -> Linear -> ReLU -> Linear, computed from the model's weights",
       zh="forward 是 Linear -> ReLU -> Linear -> ReLU -> Linear，与用模型自身权重算出的结果一致")
def test_mlp_forward_relu(sub):
    x = torch.randn(8, 4, generator=gen(64)) * 2
    out = mlp(sub, 4, [16, 8], 3, x, "hint.ex03_forward")
    expect_forward(out["outputs"][0], x, out["linears"])


# --- init_weights and count_parameters -------------------------------------------------------------
@check("ex03", "init_weights", 1, en="init_weights sets the bias of every nn.Linear to zero",
       zh="init_weights 把每个 nn.Linear 的偏置设为 0")
def test_init_weights_zero_biases(sub):
    out = call_probe(sub, MODULE, "init_run", "init_weights", sizes=((8, 16), (16, 4)), scheme="kaiming",
                     hint="hint.ex03_init_bias")
    for i, ((w0, _), (w, b)) in enumerate(zip(out["before"], out["after"])):
        hint = "hint.ex03_init_all_layers" if torch.equal(w, w0) else "hint.ex03_init_bias"
        expect_close(b, torch.zeros_like(b), atol=0.0, rtol=0.0, hint=hint, name=f"bias of Linear layer {i}")


@check("ex03", "count_parameters", 2, en="count_parameters of Linear(4,16) + Linear(16,3) is 131",
       zh="Linear(4,16) + Linear(16,3) 的 count_parameters 为 131")
def test_count_parameters(sub):
    out = call_probe(sub, MODULE, "count_run", "count_parameters", hint="hint.ex03_count")
    expect(out["type"] == "int", Msg("cmp.type", expected="int", got=out["type"]), hint="hint.ex03_count",
           name="count_parameters(model)")
    expect_equal(out["result"], 131, hint="hint.ex03_count", name="count_parameters(model)")


# --- predictions ------------------------------------------------------------------------------
@check("ex03", "predict_proba", 2, en="predict_proba returns [6, 3] probabilities: the softmax of the logits, rows sum to 1",
       zh="predict_proba 返回 [6, 3] 的概率：logits 的 softmax，每行之和为 1")
def test_predict_proba(sub):
    x = torch.randn(6, 4, generator=gen(65))
    out = predict(sub, "predict_proba", x, "hint.ex03_proba_softmax", seed=1)
    expect_proba(out["result"], x, seed=1)


@check("ex03", "predict", 2, en="predict returns the int64 argmax class of each of 9 samples",
       zh="predict 返回 9 个样本各自 argmax 的类别（int64）")
def test_predict(sub):
    x = torch.randn(9, 4, generator=gen(66)) * 2
    out = predict(sub, "predict", x, "hint.ex03_predict", seed=2)
    expect_predict(out["result"], x, seed=2)
