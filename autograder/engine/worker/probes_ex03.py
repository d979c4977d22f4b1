"""Instruments of ex03, declared with ``@instrument`` (engine/worker/probes.py).

They run in the worker next to student code (``run_probe(sub, probes_ex03.name, ...)``),
build what they need there from the tensors and seeds the grader sends, call one
student function and return its raw results: outputs, the items and batches it
yields, the ``nn.Linear`` weights of a model (in the order its forward uses them),
the weights an init left. They compute no correct answer: everything a check
compares with is computed in the grader (``autograder/checks/reference/``), and
whatever they report is only what student code let them see. A student's
exception propagates unchanged.
"""
from __future__ import annotations

import torch
from torch import nn

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from .probes import instrument
except ImportError:  # pragma: no cover - worker side
    from probes import instrument
try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from .probes_ex01 import _outcome, _student
except ImportError:  # pragma: no cover - worker side
    from probes_ex01 import _outcome, _student


def layers_in_call_order(model: nn.Module, run) -> list:
    """The nn.Linear modules of ``model`` in the order ``run()`` calls them (module order if none is called)."""
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    called = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: called.append(mod)) for m in linears]
    try:
        run()
    finally:
        for h in hooks:
            h.remove()
    return called or linears


def _weights(linears) -> list:
    return [(m.weight.detach().clone(), None if m.bias is None else m.bias.detach().clone()) for m in linears]


@instrument(ctx=True)
def mlp_run(in_features, hidden, num_classes, x, dropout=None, seed=0, mode="train", repeats=1,
            then_eval=False, ctx=None) -> dict:
    """MLP(in_features, hidden, num_classes[, dropout]) built after torch.manual_seed(seed),
    put in ``mode``, called ``repeats`` times on ``x`` (and, with ``then_eval``, once more in
    eval mode). Returns the outputs, the (weight, bias) of its nn.Linear layers in the order
    forward calls them, and the number of nn.Linear modules."""
    cls = _student(ctx, "ex03_model", "MLP")
    torch.manual_seed(seed)
    model = cls(in_features, hidden, num_classes) if dropout is None else cls(in_features, hidden, num_classes,
                                                                              dropout=dropout)
    model.train(mode == "train")
    outputs = []

    def forward():
        outputs.append(model(x))

    linears = layers_in_call_order(model, forward)
    for _ in range(repeats - 1):
        forward()
    out = {"outputs": [o.detach() if isinstance(o, torch.Tensor) else o for o in outputs],
           "linears": _weights(linears), "n_linear": sum(isinstance(m, nn.Linear) for m in model.modules())}
    if then_eval:
        model.eval()
        y = model(x)
        out["eval_output"] = y.detach() if isinstance(y, torch.Tensor) else y
    return out


def _init_model(layers):
    """nn.Linear layers holding the (weight, bias) pairs given, one nested in a submodule."""
    (w0, b0), *rest = layers
    modules = [nn.Linear(w0.shape[1], w0.shape[0]), nn.ReLU()]
    for w, _ in rest:
        modules.append(nn.Sequential(nn.Linear(w.shape[1], w.shape[0])))
    model = nn.Sequential(*modules)
    with torch.no_grad():
        for m, (w, b) in zip([m for m in model.modules() if isinstance(m, nn.Linear)], layers):
            m.weight.copy_(w)
            m.bias.copy_(b)
    return model


@instrument(ctx=True)
def init_run(layers, scheme="kaiming", seed=0, ctx=None) -> dict:
    """init_weights(model, scheme) on a model of nn.Linear layers holding the (weight, bias)
    pairs the grader sent (the second one nested in a submodule): (weight, bias) of every layer
    afterwards."""
    fn = _student(ctx, "ex03_model", "init_weights")
    model = _init_model(layers)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    torch.manual_seed(seed)
    fn(model, scheme)
    return {"after": _weights(linears)}


@instrument(ctx=True)
def init_raises(scheme: str, ctx=None) -> dict:
    """init_weights(model, scheme) on a small model, expecting an exception; see ``_outcome``."""
    layers = [(torch.ones(4, 3), torch.ones(4)), (torch.ones(2, 4), torch.ones(2))]
    return _outcome(_student(ctx, "ex03_model", "init_weights"), _init_model(layers), scheme)


@instrument(ctx=True)
def count_run(sizes=((4, 16), (16, 3)), frozen=(), trainable_only=None, ctx=None) -> dict:
    """count_parameters on a model of nn.Linear layers; the layers listed in ``frozen``
    have requires_grad=False. ``trainable_only=None`` uses the default."""
    fn = _student(ctx, "ex03_model", "count_parameters")
    model = _init_model([(torch.zeros(o, i), torch.zeros(o)) for i, o in sizes])
    for i, m in enumerate(m for m in model.modules() if isinstance(m, nn.Linear)):
        if i in frozen:
            m.requires_grad_(False)
    result = fn(model) if trainable_only is None else fn(model, trainable_only=trainable_only)
    return {"result": result, "type": type(result).__name__}


class PredictModel(nn.Module):
    """Linear -> ReLU -> Dropout -> Linear with the weights the grader sent; notes, for every
    forward, whether it ran in training mode and with gradients enabled."""

    def __init__(self, weights: dict, dropout: float = 0.0):
        super().__init__()
        w1, w2 = weights["fc1.weight"], weights["fc2.weight"]
        self.fc1 = nn.Linear(w1.shape[1], w1.shape[0])
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(w2.shape[1], w2.shape[0])
        with torch.no_grad():
            for name, p in self.named_parameters():
                p.copy_(weights[name])
        self.seen = []

    def forward(self, x):
        self.seen.append(["forward", self.training, torch.is_grad_enabled(), int(x.shape[0])])
        return self.fc2(self.drop(torch.relu(self.fc1(x.flatten(1)))))


@instrument(ctx=True)
def predict_run(func, x, weights, mode="eval", dropout=0.0, ctx=None) -> dict:
    """predict_proba or predict on a PredictModel holding ``weights`` in ``mode``: the result,
    the forwards it saw (training, grad enabled) and the mode afterwards."""
    fn = _student(ctx, "ex03_model", func)
    model = PredictModel(weights, dropout)
    model.train(mode == "train")
    result = fn(model, x)
    return {"result": result, "forwards": [list(e) for e in model.seen], "training_after": model.training}
