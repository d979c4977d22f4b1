"""Exercise 7, written differently: other keys, NamedTemporaryFile + os.replace, a helper per state."""
import os
import tempfile
from pathlib import Path

import torch


def _write(obj, path):
    path = Path(path)
    os.makedirs(path.parent, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(dir=str(path.parent), delete=False, suffix=".partial")
    try:
        with handle:
            torch.save(obj, handle)
        os.replace(handle.name, path)
    except BaseException:
        try:
            os.unlink(handle.name)
        except FileNotFoundError:
            pass
        raise
    return path


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=0, **extra):
    blob = {"weights": model.state_dict(), "epoch_done": int(epoch), "user": dict(extra),
            "cpu_rng": torch.get_rng_state()}
    if optimizer is not None:
        blob["opt"] = optimizer.state_dict()
    if scheduler is not None:
        blob["sched"] = scheduler.state_dict()
    return _write(blob, path)


def load_checkpoint(path, model, optimizer=None, scheduler=None, map_location="cpu"):
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such checkpoint")
    try:
        blob = torch.load(p, map_location=map_location, weights_only=True)
    except Exception as exc:
        raise ValueError(f"{p} is not a readable checkpoint: {exc}") from exc
    model.load_state_dict(blob["weights"])
    if optimizer is not None:
        optimizer.load_state_dict(blob["opt"])
    if scheduler is not None:
        scheduler.load_state_dict(blob["sched"])
    torch.set_rng_state(blob["cpu_rng"])
    info = {"epoch": blob["epoch_done"]}
    info.update(blob["user"])
    return info


def export_model(path, model):
    return _write(model.state_dict(), path)


def load_model(path, factory):
    net = factory()
    state = torch.load(str(path), map_location="cpu", weights_only=True)
    net.load_state_dict(state)
    return net.eval()
