"""Instruments for ex01 (losses, gradient descent), ex02 (data) and ex03 (the model).

They run in the worker next to student code (``sub.probe("probes_ex01_03.name")``),
build what they need there from the tensors and seeds the grader sends, call one
student function and return its raw results: outputs, the items and batches it
yields, the ``nn.Linear`` weights of a model (in the order its forward uses them),
the weights an init left. They compute no correct answer: everything a check
compares with is computed in the grader (``autograder/checks/reference/``), and
whatever they report is only what student code let them see. A student's
exception propagates unchanged.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn
from torch.utils.data import TensorDataset

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from . import probes
except ImportError:  # pragma: no cover - worker side
    import probes


def _student(ctx, module: str, name: str):
    return ctx.resolve(["module", module, name])


def write_text(name: str, text: str, ctx=None) -> Path:
    """Write ``text`` to ``name`` under the worker's (writable) working directory; its absolute path."""
    path = Path.cwd() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _outcome(fn, *args, **kwargs) -> dict:
    """Whether ``fn`` raised, the exception's class names (its MRO) and message.
    NotImplementedError propagates: a stub reads 'not implemented'."""
    try:
        fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - any exception is the answer
        return {"raised": True, "mro": [c.__name__ for c in type(exc).__mro__], "message": str(exc)[:500]}
    return {"raised": False, "mro": [], "message": ""}


def raises(module: str, name: str, args=(), kwargs=None, ctx=None) -> dict:
    """Call a student function expecting an exception; see ``_outcome``."""
    return _outcome(_student(ctx, module, name), *args, **(kwargs or {}))


# --- ex01 -----------------------------------------------------------------------------
def gd_step_run(w, b, dw, db, lr, ctx=None) -> dict:
    """gd_step on tensors kept here: its result, the inputs as they are afterwards (the grader
    compares them with what it sent) and whether a returned tensor is an input's memory."""
    fn = _student(ctx, "ex01_gradient_descent", "gd_step")
    inputs = (w, b, dw, db)
    result = fn(w, b, dw, db, lr)
    after = [t.detach().clone() for t in inputs]
    returned = list(result) if isinstance(result, (tuple, list)) else []
    ptrs = {probes.data_ptr(w), probes.data_ptr(b)}
    shared = any(isinstance(r, torch.Tensor) and probes.data_ptr(r) in ptrs for r in returned)
    return {"result": result, "inputs_after": after, "shared": shared}


# --- ex02 -----------------------------------------------------------------------------
def dataset_run(csv_path, split: str, stats=None, ctx=None) -> dict:
    """IrisDataset(csv_path, split[, stats]): its length and every item ds[i]."""
    cls = _student(ctx, "ex02_data", "IrisDataset")
    ds = cls(csv_path, split) if stats is None else cls(csv_path, split, stats)
    n = len(ds)
    return {"len": n, "items": [ds[i] for i in range(min(n, 10_000))]}


def tensor_dataset_run(X, y, ctx=None) -> dict:
    """to_tensor_dataset(X, y) on NumPy arrays: whether it is a TensorDataset, its length and items."""
    ds = _student(ctx, "ex02_data", "to_tensor_dataset")(X, y)
    n = len(ds)
    return {"is_tensor_dataset": isinstance(ds, TensorDataset), "len": n,
            "items": [ds[i] for i in range(min(n, 10_000))]}


def _indexed(n: int, offset: int) -> TensorDataset:
    """Sample i is (features [2] = [offset + i, -(offset + i)], label offset + i)."""
    ids = torch.arange(offset, offset + n)
    return TensorDataset(torch.stack([ids, -ids], dim=1).float(), ids)


def _order(loader) -> list:
    return [[int(v) for v in y] for _, y in loader]


def loaders_run(sizes=(40, 13, 11), batch_size: int = 16, seed: int = 0, other_seed: int = 1, ctx=None) -> dict:
    """make_loaders on indexed datasets (labels are the sample ids), called three times:
    ``seed``, ``seed`` again and ``other_seed``. All are built first and the global RNG is used
    in between, so only a generator of their own keeps two loaders of the same seed in step.
    Returns the keys and the batches of labels: ``batches`` one epoch of every loader of the
    first call, ``second`` a second epoch of its train loader, ``again`` two epochs of the
    second call's train loader, ``other`` one epoch of the third's."""
    fn = _student(ctx, "ex02_data", "make_loaders")
    datasets = [_indexed(n, off) for n, off in zip(sizes, (0, 1000, 2000))]
    first = fn(*datasets, batch_size=batch_size, seed=seed)
    again = fn(*datasets, batch_size=batch_size, seed=seed)
    other = fn(*datasets, batch_size=batch_size, seed=other_seed)
    out = {"keys": sorted(map(str, first)) if isinstance(first, dict) else None}
    if not isinstance(first, dict):
        return out
    torch.rand(7)
    out["batches"] = {str(name): _order(loader) for name, loader in first.items()}
    torch.rand(3)
    out["second"] = _order(first["train"])
    torch.rand(5)
    out["again"] = [_order(again["train"]), _order(again["train"])]
    out["other"] = _order(other["train"])
    return out


# --- ex03 -----------------------------------------------------------------------------
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


def init_raises(scheme: str, ctx=None) -> dict:
    """init_weights(model, scheme) on a small model, expecting an exception; see ``_outcome``."""
    layers = [(torch.ones(4, 3), torch.ones(4)), (torch.ones(2, 4), torch.ones(2))]
    return _outcome(_student(ctx, "ex03_model", "init_weights"), _init_model(layers), scheme)


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


def predict_run(func, x, weights, mode="eval", dropout=0.0, ctx=None) -> dict:
    """predict_proba or predict on a PredictModel holding ``weights`` in ``mode``: the result,
    the forwards it saw (training, grad enabled) and the mode afterwards."""
    fn = _student(ctx, "ex03_model", func)
    model = PredictModel(weights, dropout)
    model.train(mode == "train")
    result = fn(model, x)
    return {"result": result, "forwards": [list(e) for e in model.seen], "training_after": model.training}
