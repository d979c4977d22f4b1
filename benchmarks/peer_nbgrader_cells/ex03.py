"""nbgrader test cells for ex03: its public checks, made again in plain torch (see benchmarks/peer_course.py)."""
# %% setup
import math as _nb_math
from pathlib import Path as _nb_Path, PurePath as _nb_PurePath

import numpy as _nb_np
import torch


def _nb_equal(got, expected):
    """Plain values (ints, strings, lists) equal, of the same type (an int may equal a float)."""
    if type(got) is not type(expected) and not (isinstance(got, (int, float)) and isinstance(expected, (int, float))):
        return False
    return got == expected


def _nb_is_tensor(got, shape=None, dtype=None):
    return (isinstance(got, torch.Tensor) and (shape is None or tuple(got.shape) == tuple(shape))
            and (dtype is None or got.dtype == dtype))


def _nb_outcome(fn, *args):
    """Whether ``fn(*args)`` raised: the exception's class names (its MRO) and message.
    NotImplementedError propagates."""
    try:
        fn(*args)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - any exception is the answer
        return {"raised": True, "mro": [c.__name__ for c in type(exc).__mro__], "message": str(exc)[:500]}
    return {"raised": False, "mro": [], "message": ""}


def _nb_reference_forward(x, linears, relu=True):
    """Linear -> ReLU for every layer but the last, then the last Linear: from the model's own
    (weight, bias) pairs, in the order its forward uses them."""
    h = x.flatten(1)
    for i, (w, b) in enumerate(linears):
        h = h @ w.T + (0.0 if b is None else b)
        if relu and i < len(linears) - 1:
            h = torch.relu(h)
    return h


def _nb_well_formed_linears(linears):
    """A list of (weight [o, i], bias [o] or None) tensors whose sizes chain."""
    if not isinstance(linears, list) or not linears:
        return False
    for pair in linears:
        if not (isinstance(pair, (tuple, list)) and len(pair) == 2 and isinstance(pair[0], torch.Tensor)):
            return False
        w, b = pair
        if w.dim() != 2 or not (b is None or isinstance(b, torch.Tensor) and tuple(b.shape) == (w.shape[0],)):
            return False
    return all(a[0].shape[0] == c[0].shape[1] for a, c in zip(linears, linears[1:]))


def _nb_varies(y):
    """Whether logits depend on the sample."""
    return isinstance(y, torch.Tensor) and y.dim() == 2 and y.shape[0] > 1 and bool((y - y[:1]).abs().max() > 1e-6)


def _nb_weights(linears):
    return [(m.weight.detach().clone(), None if m.bias is None else m.bias.detach().clone()) for m in linears]


def _nb_mlp_run(in_features, hidden, num_classes, x, dropout=None, seed=0, mode="train", repeats=1, then_eval=False):
    """MLP(in_features, hidden, num_classes[, dropout]) built after torch.manual_seed(seed), put in
    ``mode``, called ``repeats`` times on ``x`` (with ``then_eval`` once more in eval mode): the
    outputs, the (weight, bias) of its nn.Linear layers in the order forward calls them, and
    the number of nn.Linear modules."""
    x = _nb_wire(x)
    torch.manual_seed(seed)
    model = (MLP(*_nb_wire((in_features, hidden, num_classes))) if dropout is None
             else MLP(*_nb_wire((in_features, hidden, num_classes)), dropout=dropout))
    model.train(mode == "train")
    outputs = []
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    called = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: called.append(mod)) for m in linears]
    try:
        outputs.append(model(x))
    finally:
        for h in hooks:
            h.remove()
    for _ in range(repeats - 1):
        outputs.append(model(x))
    out = {"outputs": outputs, "linears": _nb_weights(called or linears),
           "n_linear": sum(isinstance(m, torch.nn.Linear) for m in model.modules())}
    if then_eval:
        model.eval()
        out["eval_output"] = model(x)
    return _nb_wire(out)


def _nb_mlp(in_features, hidden, num_classes, x, **kwargs):
    """_nb_mlp_run, its outputs [n, num_classes] float32 and its nn.Linear layers well formed."""
    out = _nb_mlp_run(in_features, hidden, num_classes, x, **kwargs)
    assert isinstance(out, dict) and isinstance(out.get("outputs"), list) and out["outputs"], "model(x)"
    for y in out["outputs"]:
        assert _nb_is_tensor(y, [x.shape[0], num_classes], torch.float32), "model(x) is float32 [n, num_classes]"
    assert _nb_well_formed_linears(out.get("linears")), "the model's nn.Linear layers"
    return out


def _nb_forward(got, x, linears):
    """``got`` is the forward computed from the model's own weights, and depends on x."""
    expected = _nb_reference_forward(x, linears)
    assert _nb_close(got, expected), "model(x)"
    assert _nb_varies(expected), "logits that depend on x"


def _nb_sizes(linears, sizes):
    shapes = [list(w.shape) for w, _ in linears]
    assert _nb_equal(shapes, [[o, i] for i, o in zip(sizes, sizes[1:])]), "Linear weight shapes"


def _nb_init_layers(sizes, seed):
    """(weight, bias) pairs of a small uniform distribution (far from any scheme's), biases 1."""
    g = torch.Generator().manual_seed(seed)
    return [((torch.rand(o, i, generator=g) - 0.5) * 0.01, torch.ones(o)) for i, o in sizes]


def _nb_init_model(layers):
    """nn.Linear layers holding the (weight, bias) pairs given, one nested in a submodule."""
    (w0, b0), *rest = layers
    modules = [torch.nn.Linear(w0.shape[1], w0.shape[0]), torch.nn.ReLU()]
    for w, _ in rest:
        modules.append(torch.nn.Sequential(torch.nn.Linear(w.shape[1], w.shape[0])))
    model = torch.nn.Sequential(*modules)
    with torch.no_grad():
        for m, (w, b) in zip([m for m in model.modules() if isinstance(m, torch.nn.Linear)], layers):
            m.weight.copy_(w)
            m.bias.copy_(b)
    return model


def _nb_init_run(sizes, scheme, seed):
    """init_weights(model, scheme) on nn.Linear layers holding _nb_init_layers(sizes, seed):
    (what was sent, the (weight, bias) of every layer afterwards)."""
    sent = _nb_init_layers(sizes, seed)
    model = _nb_init_model(sent)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    torch.manual_seed(seed)
    init_weights(model, scheme)
    return sent, _nb_wire(_nb_weights(linears))


def _nb_init_ok(after, sizes, sent, scheme, rtol):
    """Every layer changed from what was sent, std within ``rtol`` of the scheme's, mean about 0, biases zero."""
    assert isinstance(after, list) and len(after) == len(sizes) and all(
        isinstance(p, (tuple, list)) and len(p) == 2 for p in after), "init_weights(model)"
    for i, ((fan_in, fan_out), (w0, b0), (w, b)) in enumerate(zip(sizes, sent, after)):
        assert _nb_is_tensor(w, [fan_out, fan_in]), f"weight of layer {i}"
        assert _nb_is_tensor(b, [fan_out]), f"bias of layer {i}"
        assert not _nb_close(w, w0, atol=0.0, rtol=0.0), f"Linear({fan_in}, {fan_out}) weights unchanged"
        target = _nb_math.sqrt(2 / fan_in) if scheme == "kaiming" else _nb_math.sqrt(2 / (fan_in + fan_out))
        w = w.double()
        assert _nb_number(float(w.std()), target, rtol=rtol, atol=0.0), f"Linear({fan_in}, {fan_out}) weight std"
        assert _nb_number(float(w.mean()), 0.0, atol=0.05 * target, rtol=0.0), \
            f"Linear({fan_in}, {fan_out}) weight mean"
        assert _nb_close(b, torch.zeros_like(b), atol=0.0, rtol=0.0, dtype=False), f"bias of layer {i}"
    return after


def _nb_count_run(sizes=((4, 16), (16, 3)), frozen=(), trainable_only=None):
    """count_parameters on a model of nn.Linear layers, those listed in ``frozen`` with requires_grad=False."""
    model = _nb_init_model([(torch.zeros(o, i), torch.zeros(o)) for i, o in sizes])
    for i, m in enumerate(m for m in model.modules() if isinstance(m, torch.nn.Linear)):
        if i in frozen:
            m.requires_grad_(False)
    result = count_parameters(model) if trainable_only is None else count_parameters(model,
                                                                                     trainable_only=trainable_only)
    return _nb_wire({"result": result, "type": type(result).__name__})


def _nb_predict_weights(seed, in_features=4, hidden=8, out=3):
    """The state dict of the prediction model (fc1 -> ReLU -> Dropout -> fc2)."""
    g = torch.Generator().manual_seed(seed)
    shapes = {"fc1.weight": (hidden, in_features), "fc1.bias": (hidden,), "fc2.weight": (out, hidden),
              "fc2.bias": (out,)}
    return {k: torch.randn(s, generator=g) * 0.8 for k, s in shapes.items()}


def _nb_predict_logits(weights, x):
    """The eval-mode logits of _NbPredictModel(weights) (no dropout)."""
    h = torch.relu(x.flatten(1) @ weights["fc1.weight"].T + weights["fc1.bias"])
    return h @ weights["fc2.weight"].T + weights["fc2.bias"]


class _NbPredictModel(torch.nn.Module):
    """Linear -> ReLU -> Dropout -> Linear with the weights given; notes, for every forward,
    whether it ran in training mode and with gradients enabled."""

    def __init__(self, weights, dropout=0.0):
        super().__init__()
        w1, w2 = weights["fc1.weight"], weights["fc2.weight"]
        self.fc1 = torch.nn.Linear(w1.shape[1], w1.shape[0])
        self.drop = torch.nn.Dropout(dropout)
        self.fc2 = torch.nn.Linear(w2.shape[1], w2.shape[0])
        with torch.no_grad():
            for name, p in self.named_parameters():
                p.copy_(weights[name])
        self.seen = []

    def forward(self, x):
        self.seen.append(["forward", self.training, torch.is_grad_enabled(), int(x.shape[0])])
        return self.fc2(self.drop(torch.relu(self.fc1(x.flatten(1)))))


def _nb_predict_run(fn, x, seed, mode="eval", dropout=0.0):
    """fn (predict_proba or predict) on a _NbPredictModel in ``mode``: (the result, whether it requires
    grad, the forwards it saw, the mode afterwards), and the weights."""
    weights = _nb_predict_weights(seed)
    model = _NbPredictModel(_nb_wire(weights), dropout)
    model.train(mode == "train")
    result = fn(model, _nb_wire(x))
    out = {"result": _nb_wire(result), "requires_grad": getattr(result, "requires_grad", True),
           "forwards": [list(e) for e in model.seen], "training_after": model.training}
    return out, weights


def _nb_proba_ok(result, x, weights):
    """Probabilities [n, C] float32, rows summing to 1, equal to the softmax of the eval-mode logits."""
    expected = torch.softmax(_nb_predict_logits(weights, x), dim=1)
    assert _nb_is_tensor(result, expected.shape, torch.float32), "predict_proba(model, x) is float32 [n, C]"
    assert _nb_close(result.sum(dim=1), torch.ones(x.shape[0])), "row sums of predict_proba(model, x)"
    assert _nb_close(result, expected), "predict_proba(model, x)"


# %% test_mlp_output_shape
x_ = torch.randn(5, 4, generator=_nb_gen(60))
out_ = _nb_mlp(4, [16], 3, x_)
_nb_forward(out_["outputs"][0], x_, out_["linears"])

# %% test_mlp_flattens_images
x_ = torch.rand(6, 1, 8, 8, generator=_nb_gen(61))
out_ = _nb_mlp(64, [32], 10, x_)
_nb_forward(out_["outputs"][0], x_, out_["linears"])

# %% test_mlp_logistic_regression
x_ = torch.randn(7, 4, generator=_nb_gen(62))
out_ = _nb_mlp(4, [], 3, x_)
assert _nb_equal(out_["n_linear"], 1), "number of nn.Linear layers"
_nb_sizes(out_["linears"], [4, 3])
_nb_forward(out_["outputs"][0], x_, out_["linears"])

# %% test_mlp_layer_sizes
x_ = torch.randn(3, 4, generator=_nb_gen(63))
out_ = _nb_mlp(4, [16, 8], 3, x_)
assert _nb_equal(out_["n_linear"], 3), "number of nn.Linear layers"
_nb_sizes(out_["linears"], [4, 16, 8, 3])
_nb_forward(out_["outputs"][0], x_, out_["linears"])

# %% test_mlp_forward_relu
x_ = torch.randn(8, 4, generator=_nb_gen(64)) * 2
out_ = _nb_mlp(4, [16, 8], 3, x_)
_nb_forward(out_["outputs"][0], x_, out_["linears"])

# %% test_mlp_dropout_train_and_eval
x_ = torch.randn(8, 12, generator=_nb_gen(69))
out_ = _nb_mlp(12, [32, 32], 3, x_, dropout=0.5, seed=7, repeats=2, then_eval=True)
first_, second_ = out_["outputs"][:2]
plain_ = _nb_reference_forward(x_, out_["linears"])
assert not torch.allclose(first_, second_) and not torch.allclose(first_, plain_, atol=1e-5), \
    "random dropout in train mode"
assert _nb_is_tensor(out_.get("eval_output"), [8, 3], torch.float32), "model(x) in eval mode"
assert _nb_close(out_["eval_output"], plain_), "model(x) in eval mode"

# %% test_init_weights_zero_biases
sizes_ = ((256, 128), (128, 64))
sent_, after_ = _nb_init_run(sizes_, "kaiming", 1)
_nb_init_ok(after_, sizes_, sent_, "kaiming", rtol=0.1)

# %% test_count_parameters
out_ = _nb_count_run()
assert out_["type"] == "int", "count_parameters(model) is an int"
assert _nb_equal(out_["result"], 131), "count_parameters(model)"

# %% test_init_weights_xavier_normal
sizes_ = ((300, 600), (600, 200))
sent_, after_ = _nb_init_run(sizes_, "xavier", 3)
after_ = _nb_init_ok(after_, sizes_, sent_, "xavier", rtol=0.05)
for (fan_in_, fan_out_), (w_, _b) in zip(sizes_, after_):
    assert float(w_.abs().max()) > 3 * float(w_.double().std()), f"Linear({fan_in_}, {fan_out_}): normal tails"

# %% test_init_weights_unknown_scheme
sizes_ = ((200, 100),)
sent_, after_ = _nb_init_run(sizes_, "kaiming", 4)
_nb_init_ok(after_, sizes_, sent_, "kaiming", rtol=0.1)
model_ = _nb_init_model([(torch.ones(4, 3), torch.ones(4)), (torch.ones(2, 4), torch.ones(2))])
out_ = _nb_outcome(init_weights, model_, "normal")
assert "ValueError" in out_["mro"], "init_weights(model, 'normal') raises ValueError"

# %% test_count_parameters_trainable_only
for trainable_only_, expected_ in ((None, 24), (False, 52)):
    out_ = _nb_count_run(sizes=((3, 6), (6, 4)), frozen=(1,), trainable_only=trainable_only_)
    assert _nb_equal(out_["result"], expected_), f"count_parameters(model, trainable_only={trainable_only_})"

# %% test_predict_proba
x_ = torch.randn(6, 4, generator=_nb_gen(65))
out_, weights_ = _nb_predict_run(predict_proba, x_, seed=1)
_nb_proba_ok(out_["result"], x_, weights_)

# %% test_predict_proba_eval_no_grad_restored
x_ = torch.randn(10, 4, generator=_nb_gen(67))
out_, weights_ = _nb_predict_run(predict_proba, x_, seed=3, mode="train", dropout=0.5)
_nb_proba_ok(out_["result"], x_, weights_)
assert not out_["requires_grad"], "probabilities computed without gradients"
assert [f[2] for f in out_["forwards"]] == [False] * len(out_["forwards"]), \
    "torch.is_grad_enabled() is False during the forward"
assert _nb_equal(out_["training_after"], True), "model.training restored after predict_proba"

# %% test_predict
x_ = torch.randn(9, 4, generator=_nb_gen(66)) * 2
out_, weights_ = _nb_predict_run(predict, x_, seed=2)
assert _nb_close(out_["result"], _nb_predict_logits(weights_, x_).argmax(dim=1)), "predict(model, x)"

# %% test_predict_eval_mode
x_ = torch.randn(16, 4, generator=_nb_gen(68)) * 2
out_, weights_ = _nb_predict_run(predict, x_, seed=4, mode="train", dropout=0.5)
expected_ = _nb_predict_logits(weights_, x_).argmax(dim=1)
assert _nb_is_tensor(out_["result"], expected_.shape, torch.int64), "predict(model, x) is int64 [n]"
assert _nb_close(out_["result"], expected_), "predict(model, x)"
