"""Instruments of ex08, declared with ``@instrument`` (engine/worker/probes.py).

They run in the worker next to student code (``run_probe(sub, probes_ex08.name, ...)``),
build known objects themselves, call the student's functions and return plain
data only. The grader imports this same module to build identical objects and
compute what a correct implementation gives (``quadratic_trajectory``,
``scheduler_trace``). Nothing here decides a grade.
"""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from .probes_ex06 import NO_EXCEPTION, _exception, _plain, _student, params_of
except ImportError:  # pragma: no cover - worker side
    from probes_ex06 import NO_EXCEPTION, _exception, _plain, _student, params_of

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from .probes import instrument
except ImportError:  # pragma: no cover - worker side
    from probes import instrument


# The grader rebuilds the network from the returned state dict and evaluates it on data it
# reads itself; nothing is predicted here.
def _result(result) -> dict:
    out = {"type": type(result).__name__, "keys": sorted(map(str, result)) if isinstance(result, dict) else []}
    model = result.get("model") if isinstance(result, dict) else None
    out["is_module"] = isinstance(model, nn.Module)
    out["model_type"] = type(model).__name__
    if out["is_module"]:
        out["state"] = params_of(model)
    return out


@instrument(ctx=True)
def digits_run(kwargs=None, ctx=None) -> dict:
    """train_digits(**kwargs): the returned model's state dict and test_accuracy, and
    load_digits_split's X_test for the seed (the grader scores that with its own labels)."""
    kwargs = dict(kwargs or {})
    train = _student(ctx, "ex08_capstone", "train_digits")
    split = _student(ctx, "ex08_capstone", "load_digits_split")
    result = train(**kwargs)
    out = _result(result)
    if not isinstance(result, dict):
        return out
    out["history_type"] = type(result.get("history")).__name__
    history = result.get("history")
    out["history_lengths"] = ({str(k): len(v) for k, v in history.items() if isinstance(v, (list, tuple))}
                              if isinstance(history, dict) else None)
    accuracy = history.get("val_acc") if isinstance(history, dict) else None
    out["val_acc"] = ([float(v) for v in accuracy[:1000] if isinstance(v, (int, float)) and not isinstance(v, bool)]
                      if isinstance(accuracy, (list, tuple)) else [])
    out["test_accuracy"] = _plain(result.get("test_accuracy"))
    if isinstance(out["test_accuracy"], torch.Tensor) and out["test_accuracy"].numel() == 1:
        out["test_accuracy"] = out["test_accuracy"].detach().cpu()
    if out["is_module"]:
        parts = split(seed=kwargs.get("seed", 0))
        out["X_test"] = torch.as_tensor(parts[1]).detach().cpu()
    return out


def _pair(loaders):
    if isinstance(loaders, dict):
        return loaders.get("train"), loaders.get("test")
    if isinstance(loaders, (tuple, list)) and len(loaders) == 2:
        return loaders[0], loaders[1]
    return None, None


def _first_batches(loader, n: int):
    xs, ys = [], []
    for i, batch in enumerate(loader):
        if i >= n:
            break
        xs.append(batch[0])
        ys.append(batch[1])
    return xs, ys


@instrument(ctx=True)
def mnist_loader_run(batch_size=None, n_batches: int = 4, ctx=None) -> dict:
    """mnist_loaders() from the data folder: the batches' shapes, dtypes and value statistics."""
    make = _student(ctx, "ex08_capstone", "mnist_loaders")
    loaders = make() if batch_size is None else make(batch_size=batch_size)
    train, test = _pair(loaders)
    out = {"type": type(loaders).__name__, "pair": train is not None and test is not None}
    if not out["pair"]:
        return out
    for name, loader in (("train", train), ("test", test)):
        xs, ys = _first_batches(loader, n_batches)
        info = {"x_shapes": [list(x.shape) if isinstance(x, torch.Tensor) else None for x in xs],
                "y_shapes": [list(y.shape) if isinstance(y, torch.Tensor) else None for y in ys],
                "x_dtype": str(xs[0].dtype).replace("torch.", "") if xs and isinstance(xs[0], torch.Tensor) else "",
                "y_dtype": str(ys[0].dtype).replace("torch.", "") if ys and isinstance(ys[0], torch.Tensor) else ""}
        try:
            info["length"] = len(loader.dataset)
        except Exception:
            info["length"] = None
        if xs and all(isinstance(x, torch.Tensor) for x in xs):
            pooled = torch.cat([x.detach().float().reshape(-1) for x in xs])
            info.update(mean=float(pooled.mean()), std=float(pooled.std()), min=float(pooled.min()),
                        max=float(pooled.max()))
        out[name] = info
    return out


@instrument(ctx=True)
def mnist_missing(root: str, ctx=None) -> dict:
    """mnist_loaders(root=<an empty folder>): the error it raises."""
    make = _student(ctx, "ex08_capstone", "mnist_loaders")
    Path(root).mkdir(parents=True, exist_ok=True)
    try:
        make(root=root)
    except Exception as exc:
        out = _exception(exc)
    else:
        out = dict(NO_EXCEPTION)
    out["root_abs"] = str(Path(root).resolve())
    return out


@instrument(ctx=True)
def mnist_run(ctx=None) -> dict:
    """train_mnist() on the data folder: the returned model's state dict (the grader evaluates it)."""
    return _result(_student(ctx, "ex08_capstone", "train_mnist")())
