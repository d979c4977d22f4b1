"""Instruments of ex04, declared with ``@instrument`` (engine/worker/probes.py).

They run in the worker next to student code (``run_probe(sub, probes_ex04.name, ...)``). They only
build inputs from what the grader sends (initial weights, batches, a learning rate), call one
student function under observation and return raw results: the return value, the event log,
the recorded moves, the state dict afterwards. Nothing here computes a correct answer: the
grader does that itself, in ``autograder/checks/reference/ex04.py`` and ``ex05.py``, which the
worker never receives. What only the worker can observe (the mode of the model in each
forward, gradients enabled, .to(device) calls) may only take points away, never give them.
"""
from __future__ import annotations

import contextlib

import torch
from torch import nn

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from . import probes
    from .probes import instrument
except ImportError:  # pragma: no cover - worker side
    import probes
    from probes import instrument



def params_of(model) -> dict:
    """A model's state as CPU tensors (a copy)."""
    return {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}


def devices_of(model) -> list:
    return sorted({str(p.device) for p in model.parameters()} | {str(b.device) for b in model.buffers()})


def _kwargs(device):
    return {} if device is None else {"device": device}


class SentModel(nn.Module):
    """A network built from the weights the grader sent: fc1 (-> bn) -> ReLU -> Dropout -> fc2.

    It logs every forward (mode, grad enabled, batch size, device), backward and zero_grad into
    the instruments' event log, for hints and for what only the worker can see."""

    def __init__(self, state: dict, dropout: float = 0.0):
        super().__init__()
        hidden, in_features = state["fc1.weight"].shape
        self.fc1 = nn.Linear(in_features, hidden)
        self.bn = nn.BatchNorm1d(hidden) if "bn.weight" in state else None
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, state["fc2.weight"].shape[0])
        self.load_state_dict(state)

    def forward(self, x):
        probes.log("forward", self.training, torch.is_grad_enabled(), int(x.shape[0]), str(x.device))
        h = self.fc1(x.flatten(1))
        if self.bn is not None:
            h = self.bn(h)
        out = self.fc2(self.drop(torch.relu(h)))
        if out.requires_grad:
            out.register_hook(probes._log_backward)
        return out

    def zero_grad(self, set_to_none: bool = True):
        probes.log("zero")
        super().zero_grad(set_to_none)


def _loader(data, name):
    return probes.ProbeLoader([(x, y) for x, y in data], name)


def _model(state, dropout, device, start_mode):
    model = SentModel(state, dropout)
    if device is not None:
        model.to(device)
    model.train(start_mode == "train")
    return model


@instrument(ctx=True)
def epoch_run(state, train, lr=0.1, device=None, start_mode="train", record=False, epochs=1, ctx=None) -> dict:
    """train_one_epoch on a network built from ``state`` and the batches ``train`` (``epochs``
    calls on the same model). Returns result (the last return value), results (all of them),
    events (of the last call), moves (with ``record``), params (the state afterwards),
    param_devices, training."""
    model = _model(state, 0.0, device, start_mode)
    loader = _loader(train, "train")
    optimizer = probes.ProbeSGD(model.parameters(), lr=lr)
    results, out = [], {}
    for _ in range(epochs):
        out = probes.run("ex04_training.train_one_epoch", (model, loader, nn.CrossEntropyLoss(), optimizer),
                         _kwargs(device), record=record, ctx=ctx)
        results.append(out["result"])
    out["results"] = results
    out["params"] = params_of(model)
    out["param_devices"] = devices_of(model)
    out["training"] = model.training
    out.pop("calls", None)
    return out


@instrument(ctx=True)
def evaluate_run(state, data, dropout=0.0, device=None, start_mode="train", record=False, ctx=None) -> dict:
    """evaluate on a network built from ``state`` (with dropout ``dropout``) and the batches ``data``."""
    model = _model(state, dropout, device, start_mode)
    out = probes.run("ex04_training.evaluate", (model, _loader(data, "train"), nn.CrossEntropyLoss()),
                     _kwargs(device), record=record, ctx=ctx)
    out["params"] = params_of(model)
    out["param_devices"] = devices_of(model)
    out.pop("calls", None)
    return out


@instrument(ctx=True)
def fit_run(state, train, val, lr=0.1, epochs=3, scheduler=True, step_size=1, gamma=0.5, device=None,
            log_dir=None, record=False, ctx=None) -> dict:
    """fit on a network built from ``state``, the batches ``train`` and ``val``, ProbeSGD and a
    ProbeStepLR (or None). The student's own train_one_epoch and evaluate are used."""
    model = _model(state, 0.0, device, "train")
    optimizer = probes.ProbeSGD(model.parameters(), lr=lr)
    kwargs = _kwargs(device)
    kwargs["scheduler"] = probes.ProbeStepLR(optimizer, step_size=step_size, gamma=gamma) if scheduler else None
    if log_dir is not None:
        kwargs["log_dir"] = log_dir
    out = probes.run("ex04_training.fit", (model, _loader(train, "train"), _loader(val, "val"),
                                           nn.CrossEntropyLoss(), optimizer, epochs), kwargs, record=record, ctx=ctx)
    out["params"] = params_of(model)
    out["param_devices"] = devices_of(model)
    out.pop("calls", None)
    return out


@contextlib.contextmanager
def _savefig_as_svg():
    """While plot_history runs: every Figure.savefig writes SVG, whatever format the code asks
    for, so that the grader can read the curves' points (it parses the file itself)."""
    from matplotlib.figure import Figure

    original = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        kwargs["format"] = "svg"
        return original(self, fname, *args, **kwargs)

    Figure.savefig = savefig
    try:
        yield
    finally:
        Figure.savefig = original


@instrument(ctx=True)
def plot_run(history, path, svg=False, ctx=None) -> dict:
    """plot_history(history, path); with ``svg`` the figure is saved as SVG."""
    fn = ctx.resolve(["module", "ex04_training", "plot_history"])
    with _savefig_as_svg() if svg else contextlib.nullcontext():
        result = fn(history, path)
    return {"result": result}
