"""Instruments of ex06, declared with ``@instrument`` (engine/worker/probes.py).

They run in the worker next to student code (``run_probe(sub, probes_ex06.name, ...)``),
build known objects themselves, call the student's functions and return plain
data only. The grader imports this same module to build identical objects and
compute what a correct implementation gives (``quadratic_trajectory``,
``scheduler_trace``). Nothing here decides a grade.
"""
from __future__ import annotations

import os
from pathlib import Path

import torch
from torch import nn

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from .probes import instrument
except ImportError:  # pragma: no cover - worker side
    from probes import instrument



def _student(ctx, module: str, name: str):
    return ctx.resolve(["module", module, name])


def _exception(exc: BaseException) -> dict:
    try:
        message = str(exc)
    except Exception:  # a student's exception may not print
        message = ""
    return {"raised": True, "type": type(exc).__name__, "mro": [c.__name__ for c in type(exc).__mro__],
            "message": message[:2000], "not_implemented": isinstance(exc, NotImplementedError)}


NO_EXCEPTION = {"raised": False, "type": "", "mro": [], "message": "", "not_implemented": False}


def _plain(value):
    """A value as data the protocol can carry (anything else becomes its type name)."""
    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor, Path)):
        return value
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {(k if isinstance(k, (str, int, float, bool)) else repr(k)): _plain(v) for k, v in value.items()}
    return f"<{type(value).__name__}>"


def params_of(model) -> dict:
    return {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}


def quadratic_problem(seed: int, shapes) -> tuple[list, list, list]:
    """Starting points, targets and curvatures of a separable quadratic, from a seed."""
    g = torch.Generator().manual_seed(seed)
    starts, targets, curvatures = [], [], []
    for shape in shapes:
        shape = tuple(shape)
        starts.append(torch.randn(shape, generator=g))
        targets.append(torch.randn(shape, generator=g))
        curvatures.append(torch.rand(shape, generator=g) * 1.5 + 0.5)
    return starts, targets, curvatures


def quadratic_trajectory(factory, seed: int = 0, shapes=((3, 4), (4,)), steps: int = 5) -> dict:
    """Step ``factory(params)`` ``steps`` times on the quadratic sum(0.5 * c * (p - t)**2).

    Returns the parameters (flattened, concatenated) after every step, and the
    optimizer. ``factory`` receives a generator over fresh leaf parameters,
    as ``model.parameters()`` would be.
    """
    starts, targets, curvatures = quadratic_problem(seed, shapes)
    params = [nn.Parameter(s.clone()) for s in starts]
    optimizer = factory(p for p in params)
    trajectory = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = sum((0.5 * c * (p - t) ** 2).sum() for p, t, c in zip(params, targets, curvatures))
        loss.backward()
        optimizer.step()
        trajectory.append(torch.cat([p.detach().reshape(-1) for p in params]).clone())
    return {"trajectory": torch.stack(trajectory), "optimizer": optimizer}


@instrument(ctx=True)
def optimizer_run(name: str, lr: float, seed: int = 0, shapes=((3, 4), (4,)), steps: int = 5, kw=None,
                  ctx=None) -> dict:
    """The student's make_optimizer(name, params, lr, **kw) on the quadratic."""
    make = _student(ctx, "ex06_experiments", "make_optimizer")
    kw = dict(kw or {})
    box = {}

    def factory(params):
        box["opt"] = make(name, params, lr, **kw)
        return box["opt"]

    try:
        out = quadratic_trajectory(factory, seed, shapes, steps)
    except Exception:
        if "opt" in box and not isinstance(box["opt"], torch.optim.Optimizer):
            return {"is_optimizer": False, "class": type(box["opt"]).__name__, "trajectory": None}
        raise
    opt = out["optimizer"]
    return {"is_optimizer": isinstance(opt, torch.optim.Optimizer), "class": type(opt).__name__,
            "trajectory": out["trajectory"]}


@instrument(ctx=True)
def make_optimizer_error(name: str, ctx=None) -> dict:
    """What make_optimizer does with an unknown name."""
    make = _student(ctx, "ex06_experiments", "make_optimizer")
    try:
        make(name, [nn.Parameter(torch.zeros(2))], 0.1)
    except Exception as exc:
        return _exception(exc)
    return dict(NO_EXCEPTION)


def scheduler_trace(factory, base_lr: float, epochs: int) -> list:
    """The lr at the start of each epoch of ``factory(optimizer)`` (one step per epoch)."""
    param = nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=base_lr)
    scheduler = factory(optimizer)
    trace = []
    for _ in range(epochs):
        trace.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    return trace


@instrument(ctx=True)
def scheduler_run(name: str, base_lr: float = 0.1, epochs: int = 200, kw=None, ctx=None) -> dict:
    """The student's make_scheduler(name, optimizer, **kw), stepped once per epoch."""
    make = _student(ctx, "ex06_experiments", "make_scheduler")
    kw = dict(kw or {})
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trace = scheduler_trace(lambda opt: make(name, opt, **kw), base_lr, epochs)
    return {"trace": trace}


@instrument(ctx=True)
def experiment_run(func: str, args=(), kwargs=None, ctx=None) -> dict:
    """``func(*args, **kwargs)`` of ex06 (run_experiment, lr_sweep, compare_optimizers) with every
    network it runs recorded: its weights at its first forward, the inputs of its forwards in
    train mode (the batches it is trained on) and its weights at the end, in the order the
    networks first ran. Any nn.Module with parameters counts (outermost calls only)."""
    fn = _student(ctx, "ex06_experiments", func)
    records: dict = {}
    order: list = []
    depth = [0]

    def before(module, inputs):
        if depth[0] == 0 and any(True for _ in module.parameters()):
            rec = records.get(id(module))
            if rec is None:
                rec = records[id(module)] = {"module": module, "init": params_of(module), "batches": []}
                order.append(rec)
            x = inputs[0] if inputs else None
            if module.training and isinstance(x, torch.Tensor) and len(rec["batches"]) < 20000:
                rec["batches"].append(x.detach().to("cpu", torch.float32).reshape(len(x), -1).clone())
        depth[0] += 1

    def after(module, inputs, output):
        depth[0] -= 1

    from torch.nn.modules import module as torch_module

    hooks = [torch_module.register_module_forward_pre_hook(before),
             torch_module.register_module_forward_hook(after, always_call=True)]
    try:
        result = fn(*list(args or ()), **dict(kwargs or {}))
    finally:
        for h in hooks:
            h.remove()
    models = []
    for rec in order:
        batches = rec["batches"]
        models.append({"init": rec["init"], "final": params_of(rec["module"]),
                       "x": torch.cat(batches) if batches else torch.zeros(0, 4),
                       "sizes": [len(b) for b in batches]})
    return {"result": _plain(result), "models": models}


@instrument(ctx=True)
def plot_run(results, metric: str, path: str, ctx=None) -> dict:
    """plot_comparison(results, metric, path). For a path ending in .svg, a format= given to
    savefig is dropped so that the file name picks the format, as without it (a solution
    that writes format="png" still gets its figure read)."""
    plot = _student(ctx, "ex06_experiments", "plot_comparison")
    from matplotlib.figure import Figure

    original = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        if isinstance(fname, (str, os.PathLike)) and str(fname).lower().endswith(".svg"):
            kwargs.pop("format", None)
        return original(self, fname, *args, **kwargs)

    Figure.savefig = savefig
    try:
        returned = plot(results, metric, path)
    finally:
        Figure.savefig = original
    return {"returned": _plain(returned)}
