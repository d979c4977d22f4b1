"""Instruments of ex07, declared with ``@instrument`` (engine/worker/probes.py).

They run in the worker next to student code (``run_probe(sub, probes_ex07.name, ...)``),
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
    from .probes_ex06 import NO_EXCEPTION, _exception, _plain, _student, params_of
except ImportError:  # pragma: no cover - worker side
    from probes_ex06 import NO_EXCEPTION, _exception, _plain, _student, params_of

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from .probes import instrument
except ImportError:  # pragma: no cover - worker side
    from probes import instrument


# The grader chooses every state (it trains these models in its own process, from
# autograder/checks/reference/ex07.py); the instruments below only load what it sends into
# objects, call the student's function, and write files whose bytes the grader made. The
# grader reads what save_checkpoint / export_model wrote from the worker's folder itself.
class Net(nn.Module):
    """Linear -> ReLU -> Dropout -> Linear with weights drawn from a seed."""

    def __init__(self, in_features: int = 6, hidden: int = 16, out: int = 3, dropout: float = 0.3, seed: int = 0):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, out)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.4)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


def make_data(n: int, in_features: int, classes: int, seed: int):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, in_features, generator=g), torch.randint(0, classes, (n,), generator=g)


def objects(kind: str, init_seed: int, lr: float = 0.05):
    """The model, its optimizer (Adam, or SGD with momentum) and a StepLR scheduler, from a seed."""
    model = Net(seed=init_seed)
    if kind == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.8)
    return model, optimizer, scheduler


def train_epoch(model, optimizer, scheduler, x, y, batch_size: int = 8) -> float:
    """One epoch: order and dropout masks from the global torch RNG, a scheduler step at the end.
    Returns the mean of its batch losses (for the resume check's picture). The grader trains
    its straight run with it (checks/reference/ex07.py); here it runs on the student's restored
    objects."""
    model.train()
    order = torch.randperm(len(x))
    losses = []
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    scheduler.step()
    return sum(losses) / len(losses)


def _write(path: str, data: torch.Tensor) -> None:
    """Write the bytes the grader made (a uint8 tensor) at ``path``."""
    file = Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    if file.is_symlink() or file.exists():
        file.unlink()
    file.write_bytes(bytes(data.numpy().tobytes()) if data.numel() else b"")


def _data(value):
    """An object's state as data (tensors detached, on the CPU)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, dict):
        return {k: _data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_data(v) for v in value)
    return _plain(value)


@instrument(ctx=True)
def checkpoint_save(path: str, model_state: dict, optimizer_state=None, scheduler_state=None, rng=None,
                    kind: str = "momentum", epoch: int = 0, extra=None, ctx=None) -> dict:
    """save_checkpoint(path, model[, optimizer, scheduler], epoch=..., **extra) with the states the grader sent."""
    save = _student(ctx, "ex07_checkpoint", "save_checkpoint")
    model, optimizer, scheduler = objects(kind, 0)
    model.load_state_dict(model_state)
    kwargs = {"epoch": epoch, **dict(extra or {})}
    if optimizer_state is not None:
        optimizer.load_state_dict(optimizer_state)
        scheduler.load_state_dict(scheduler_state)
    if rng is not None:
        torch.set_rng_state(rng)
    if optimizer_state is not None:
        returned = save(path, model, optimizer, scheduler, **kwargs)
    else:
        returned = save(path, model, **kwargs)
    return {"returned": _plain(returned)}


@instrument(ctx=True)
def checkpoint_load(path: str, data, kind: str = "momentum", with_optimizer: bool = False, fresh_seed: int = 1,
                    after: int = 0, data_seed: int = 0, n: int = 40, lr: float = 0.05, ctx=None) -> dict:
    """Write the grader's checkpoint bytes at ``path``, load_checkpoint them into fresh objects (other
    weights, another RNG state), then train ``after`` epochs on the seed's data.

    Returns what load returned and the objects' states after the load (and after the epochs)."""
    load = _student(ctx, "ex07_checkpoint", "load_checkpoint")
    _write(path, data)
    torch.manual_seed(fresh_seed + 12345)
    torch.rand(11)
    model, optimizer, scheduler = objects(kind, fresh_seed, lr)
    if with_optimizer:
        info = load(path, model, optimizer, scheduler)
    else:
        info = load(path, model)
    out = {"info": _plain(info), "model": params_of(model), "optimizer": _data(optimizer.state_dict()),
           "scheduler": _data(scheduler.state_dict()), "rng": torch.get_rng_state()}
    if after:
        x, y = make_data(n, 6, 3, data_seed)
        out["resumed_losses"] = [train_epoch(model, optimizer, scheduler, x, y) for _ in range(after)]
        out["resumed"] = params_of(model)
    return out


class Payload:
    """An arbitrary object: unpickling it runs a function, as a malicious file could. The
    function is os.makedirs, and the folder it makes is the evidence the grader looks for."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.makedirs, (self.marker, 0o700, True))


@instrument(ctx=True)
def load_error(path: str, prepare: str, ctx=None) -> dict:
    """load_checkpoint on a missing, garbage, truncated or code-carrying file.

    Returns the exception (if any) and what came back; the grader looks for the folder the
    file's code makes (``<file>.code-ran``) itself."""
    load = _student(ctx, "ex07_checkpoint", "load_checkpoint")
    file = Path(path)
    if prepare != "missing":
        file.parent.mkdir(parents=True, exist_ok=True)
    if file.exists():
        file.unlink()
    if prepare == "garbage":
        file.write_bytes(b"\x00\x13 this is not a checkpoint \xff\xfe" * 40)
    elif prepare == "truncated":
        state = {"model": Net(seed=3).state_dict(), "epoch": 4, "extra": {}, "rng": torch.get_rng_state()}
        torch.save(state, file)
        data = file.read_bytes()
        file.write_bytes(data[: len(data) // 2])
    marker = file.with_name(file.name + ".code-ran")
    if marker.is_dir():
        marker.rmdir()
    if prepare == "payload":
        state = {"model": Net(seed=4).state_dict(), "epoch": 5, "extra": {"note": Payload(marker)},
                 "rng": torch.get_rng_state(), "payload": Payload(marker)}
        torch.save(state, file)
    rng = torch.get_rng_state()
    try:
        returned = load(str(file), Net(seed=5))
    except BaseException as exc:  # noqa: BLE001 - SystemExit from student code is a failure too
        out = _exception(exc)
        out["returned"] = None
    else:
        out = dict(NO_EXCEPTION)
        out["returned"] = _plain(returned)
    torch.set_rng_state(rng)
    return out


class Bomb:
    """Pickling this fails halfway through a save, as a crash or a full disk would."""

    def __reduce_ex__(self, protocol):
        raise RuntimeError("the grader's test object refuses to be pickled (a simulated crash mid-save)")


@instrument(ctx=True)
def atomic_save(path: str, model_state: dict, epoch: int, crash: bool = False, ctx=None) -> dict:
    """save_checkpoint(path, model, epoch=...) with the grader's weights; with ``crash``, one more
    keyword value whose pickling fails halfway. The grader compares the file's bytes itself."""
    save = _student(ctx, "ex07_checkpoint", "save_checkpoint")
    model = Net(seed=0)
    model.load_state_dict(model_state)
    if not crash:
        return {"returned": _plain(save(path, model, epoch=epoch)), **NO_EXCEPTION}
    try:
        save(path, model, epoch=epoch, crash=Bomb())
    except Exception as exc:
        return _exception(exc)
    return dict(NO_EXCEPTION)


@instrument(ctx=True)
def export_run(path: str, model_state: dict, ctx=None) -> dict:
    """export_model(path, model) for a model with dropout (left in train mode) holding the grader's weights."""
    model = Net(5, 12, 4, dropout=0.5, seed=0)
    model.load_state_dict(model_state)
    model.train()
    return {"returned": _plain(_student(ctx, "ex07_checkpoint", "export_model")(path, model))}


@instrument(ctx=True)
def load_model_run(path: str, data, x, factory_seed: int = 0, ctx=None) -> dict:
    """Write the grader's state_dict file at ``path``, load_model(path, factory) with a factory of
    models with other weights, and return the loaded model's outputs on ``x``."""
    load_model = _student(ctx, "ex07_checkpoint", "load_model")
    _write(path, data)
    loaded = load_model(path, lambda: Net(5, 12, 4, dropout=0.5, seed=factory_seed))
    out = {"is_module": isinstance(loaded, nn.Module), "type": type(loaded).__name__}
    if isinstance(loaded, nn.Module):
        out["training"] = bool(loaded.training)
        with torch.no_grad():
            out["got"] = loaded(x).detach().cpu()
            out["got_again"] = loaded(x).detach().cpu()
    return out
