"""Exercise 5: CPU and GPU.

A tensor lives on one device (the CPU, an NVIDIA GPU through ``cuda``, an
Apple GPU through ``mps``), and an operation needs all its inputs on the same
device. You pick the best available device, move a model and nested batches
onto it, bring results back to NumPy, and run the whole iris pipeline on a
chosen device. The same code must run on a laptop without a GPU.

练习 5：CPU 与 GPU。
张量存放在某个设备上（CPU、通过 ``cuda`` 使用的 NVIDIA GPU、通过 ``mps`` 使用的
Apple GPU），一次运算的所有输入必须在同一设备上。你将选出可用的最佳设备，把模型和
嵌套的批量数据移到该设备，把结果转回 NumPy，并在指定设备上跑完整个 iris 流程。
同一份代码必须也能在没有 GPU 的笔记本上运行。
"""
import copy
import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

from .ex02_data import IrisDataset, iris_csv_path, make_loaders, minmax_stats
from .ex03_model import MLP
from .ex04_training import fit


def get_device(prefer: str | torch.device | None = None) -> torch.device:
    """The device to compute on.

    Args:
        prefer: ``None`` to pick automatically, or an explicit device such as
            ``"cuda"``, ``"cuda:0"``, ``"mps"``, ``"cpu"`` or a ``torch.device``.

    Returns:
        A ``torch.device``. With ``None``: ``cuda`` when
        ``torch.cuda.is_available()``, else ``mps`` when
        ``torch.backends.mps.is_available()``, else ``cpu``. An explicit device
        that is not available here (no GPU, or ``"cuda:3"`` on a machine with
        one GPU) gives ``cpu`` and a ``UserWarning`` saying so, so the same
        script still runs on a laptop, and the user learns why it is slow.

    Hint: ``torch.device(prefer)`` parses the string; its ``.type`` is
    ``"cuda"``, ``"mps"`` or ``"cpu"`` and ``.index`` the GPU number (or None);
    ``warnings.warn(msg, UserWarning)``.
    提示：``torch.device(prefer)`` 解析字符串，``.type`` 为设备类型，``.index`` 为 GPU 编号
    （可能是 None）；不可用时用 ``warnings.warn(msg, UserWarning)`` 警告并退回 cpu。
    """
    ### BEGIN SOLUTION
    mps_ok = torch.backends.mps.is_available()
    if prefer is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if mps_ok else "cpu")
    device = torch.device(prefer)
    if device.type == "cpu":
        return device
    if device.type == "cuda":
        ok = torch.cuda.is_available() and (device.index is None or device.index < torch.cuda.device_count())
    else:
        ok = device.type == "mps" and mps_ok
    if ok:
        return device
    warnings.warn(f"device {str(device)!r} is not available here; using the CPU instead",
                  UserWarning, stacklevel=2)
    return torch.device("cpu")
    ### END SOLUTION


def move_to(obj: Any, device: str | torch.device) -> Any:
    """Move every tensor and module inside ``obj`` to ``device``.

    Args:
        obj: a tensor, an ``nn.Module``, or tuples, lists and dicts of them,
            nested to any depth (a batch is often ``(inputs, targets)`` or a
            dict of named tensors). Other values (ints, strings, None, ...)
            may appear anywhere.
        device: the target device.

    Returns:
        The same structure with the same container types (a namedtuple stays
        that namedtuple, an ``OrderedDict`` stays an ``OrderedDict``); tensors
        are replaced by ``t.to(device)``, modules are moved with
        ``m.to(device)`` (in place, the same module comes back), and every
        other value is returned unchanged. ``Tensor.to`` returns a NEW tensor
        and leaves the original where it was: always use the return value.

    Hint: recursion: ``isinstance`` checks for ``torch.Tensor``/``nn.Module``,
    ``dict``, ``list`` and ``tuple``; a namedtuple has ``_fields`` and is
    rebuilt with ``type(obj)(*items)``; ``copy.copy(d)`` keeps a dict's type.
    提示：用递归。先判断 ``torch.Tensor``/``nn.Module``，再判断 ``dict``、``list``、``tuple``；
    namedtuple 有 ``_fields`` 属性，要用 ``type(obj)(*items)`` 重建；``copy.copy(d)`` 保留 dict 的类型。
    注意 ``Tensor.to`` 返回新张量，原张量不变。
    """
    ### BEGIN SOLUTION
    if isinstance(obj, (torch.Tensor, nn.Module)):
        return obj.to(device)
    if isinstance(obj, dict):
        out = copy.copy(obj)  # keeps the dict type (OrderedDict, defaultdict, ...)
        for key, value in obj.items():
            out[key] = move_to(value, device)
        return out
    if isinstance(obj, tuple):
        items = [move_to(value, device) for value in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else type(obj)(items)
    if isinstance(obj, list):
        return type(obj)(move_to(value, device) for value in obj)
    return obj
    ### END SOLUTION


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A NumPy copy of a tensor, for plotting or scikit-learn.

    Args:
        t: a tensor on any device, possibly with ``requires_grad=True``.

    Returns:
        An ``np.ndarray`` with the same shape and the matching dtype
        (float32 -> float32, int64 -> int64).

    ``t.numpy()`` alone fails in two common cases: a tensor that requires grad
    ("Can't call numpy() on Tensor that requires grad": detach it from the
    graph first) and a tensor on a GPU (NumPy only knows CPU memory: copy it
    with ``.cpu()`` first).

    Hint: ``t.detach().cpu().numpy()``.
    提示：``t.detach().cpu().numpy()``：先脱离计算图，再拷回 CPU，最后转为 NumPy。
    """
    ### BEGIN SOLUTION
    return t.detach().cpu().numpy()
    ### END SOLUTION


def fit_iris_on(device: str | torch.device, epochs: int = 50, seed: int = 0) -> dict[str, Any]:
    """Train the iris classifier with the model and every batch on ``device``.

    Args:
        device: where to train, e.g. ``"cpu"``, ``"cuda"`` or ``get_device()``.
        epochs: passes over the 96 training flowers.
        seed: seeds ``torch.manual_seed`` (initial weights) and the loaders'
            shuffling, so the same seed gives the same run.

    Returns:
        ``{"model": the trained MLP(4, [16], 3), on device, "history": fit's
        history}``.

    Steps: ``torch.manual_seed(seed)``; min-max statistics from the TRAIN
    split only; ``IrisDataset`` train/val/test scaled with them;
    ``make_loaders(..., seed=seed)``; ``MLP(4, [16], 3).to(device)`` BEFORE
    creating the optimizer (so it holds the parameters that will be
    trained); ``torch.optim.Adam(lr=0.01)``; ``nn.CrossEntropyLoss()``;
    ``fit(..., device=device)``, which moves each batch.

    Hint: the train features are ``torch.stack([x for x, _ in train_ds])``.
    提示：先 ``torch.manual_seed(seed)``；只用训练集计算 min-max 统计量，训练特征可用
    ``torch.stack([x for x, _ in train_ds])`` 得到；先把模型 ``.to(device)`` 再创建优化器。
    """
    ### BEGIN SOLUTION
    torch.manual_seed(seed)
    csv_path = iris_csv_path()
    stats = minmax_stats(torch.stack([x for x, _ in IrisDataset(csv_path, "train")]))
    splits = [IrisDataset(csv_path, split, stats) for split in ("train", "val", "test")]
    loaders = make_loaders(*splits, seed=seed)
    model = MLP(4, [16], 3).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    history = fit(model, loaders["train"], loaders["val"], nn.CrossEntropyLoss(), optimizer, epochs,
                  device=device)
    return {"model": model, "history": history}
    ### END SOLUTION
