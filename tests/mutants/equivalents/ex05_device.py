"""Exercise 5, written differently: singledispatch move_to, cpu() before detach(), seeding after the data."""
import functools
import warnings

import numpy as np
import torch
from torch import nn

from . import ex02_data as data
from . import ex03_model as model_lib
from . import ex04_training as training


def _available(dev: torch.device) -> bool:
    if dev.type == "cpu":
        return True
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            return False
        return dev.index is None or 0 <= dev.index < torch.cuda.device_count()
    if dev.type == "mps":
        return bool(getattr(torch.backends, "mps", None)) and torch.backends.mps.is_available()
    return False


def get_device(prefer=None):
    if prefer is not None:
        dev = torch.device(prefer)
        if _available(dev):
            return dev
        warnings.warn(f"{dev} is not available, falling back to the CPU", UserWarning)
        return torch.device("cpu")
    for name in ("cuda", "mps"):
        if _available(torch.device(name)):
            return torch.device(name)
    return torch.device("cpu")


@functools.singledispatch
def move_to(obj, device):
    return obj


@move_to.register
def _(obj: torch.Tensor, device):
    return obj.to(device)


@move_to.register
def _(obj: nn.Module, device):
    return obj.to(device)


@move_to.register
def _(obj: dict, device):
    result = obj.copy() if type(obj) is not dict else {}
    for k in obj:
        result[k] = move_to(obj[k], device)
    return result


@move_to.register
def _(obj: list, device):
    return type(obj)([move_to(v, device) for v in obj])


@move_to.register
def _(obj: tuple, device):
    values = [move_to(v, device) for v in obj]
    if hasattr(obj, "_fields"):
        return type(obj)(*values)
    return type(obj)(values)


def to_numpy(t):
    return np.asarray(t.cpu().detach().numpy())


def fit_iris_on(device, epochs=50, seed=0):
    path = data.iris_csv_path()
    raw = data.IrisDataset(path, "train")
    stats = data.minmax_stats(torch.stack([raw[i][0] for i in range(len(raw))]))
    sets = {s: data.IrisDataset(path, s, stats) for s in ("train", "val", "test")}
    loaders = data.make_loaders(sets["train"], sets["val"], sets["test"], batch_size=16, seed=seed)
    torch.manual_seed(seed)
    net = model_lib.MLP(4, [16], 3)
    net.to(device)
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    hist = training.fit(net, loaders["train"], loaders["val"], nn.CrossEntropyLoss(), opt, epochs, device=device)
    return {"model": net, "history": hist}
