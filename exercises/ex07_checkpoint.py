# Generated from solutions/ex07_checkpoint.py by `./grade.sh stubs` - do not edit this header.
# Fill in every `# YOUR CODE HERE`, then run ./grade.sh to check your work.
# 由 `./grade.sh stubs` 从 solutions/ex07_checkpoint.py 生成。请完成每个 `# YOUR CODE HERE`，然后运行 ./grade.sh 自查。
"""Exercise 7: saving and loading.

Long training runs stop: a crash, a time limit, a reboot. A checkpoint holds
everything needed to carry on exactly where training stopped: the model's
weights, the optimizer's state (momentum buffers, Adam's running averages),
the scheduler's position, the epoch and the random-number state. You write
checkpoints atomically, load them safely with ``weights_only=True``, and
export a trained model's weights for inference.

练习 7：保存与加载。
长时间的训练总会中断：崩溃、时间限制、重启。检查点保存了从中断处继续训练所需的一切：
模型权重、优化器状态（动量缓冲、Adam 的滑动平均）、调度器的进度、epoch 以及随机数
状态。你将以原子方式写入检查点，用 ``weights_only=True`` 安全地加载，并导出训练好的
模型权重用于推理。
"""
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn


def _atomic_save(obj: Any, path: str | Path) -> Path:
    """Write ``obj`` with ``torch.save`` so that ``path`` is never left half-written.

    Args:
        obj: what to save (a dict of tensors, numbers, strings, lists, dicts).
        path: the destination; missing parent folders are created.

    Returns:
        ``Path(path)``.

    ``torch.save(obj, path)`` writes in place: a crash (or a full disk) in the
    middle leaves a truncated file, and the previous good checkpoint is
    already gone. Instead write to a temporary file in the SAME folder
    (``tempfile.mkstemp(dir=path.parent)``), then ``os.replace(tmp, path)``:
    a rename within one file system is atomic, so ``path`` holds either the
    old file or the complete new one. If anything fails, delete the
    temporary file and re-raise.

    Hint: ``fd, tmp = tempfile.mkstemp(dir=...)``; ``with os.fdopen(fd, "wb") as f:
    torch.save(obj, f)``; ``os.replace(tmp, path)``; ``try/except: os.remove(tmp); raise``.
    提示：先写到同一目录下的临时文件（``tempfile.mkstemp(dir=...)``），再用
    ``os.replace(tmp, path)`` 原子地改名；出错时删除临时文件并重新抛出异常。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def save_checkpoint(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    epoch: int = 0,
    **extra: Any,
) -> Path:
    """Save a training checkpoint atomically.

    Args:
        path: the checkpoint file, e.g. ``runs/iris/last.pt``; parent folders
            are created.
        model: its ``state_dict()`` is saved (the weights, not the Python object).
        optimizer, scheduler: their ``state_dict()`` is saved when given.
        epoch: the number of epochs completed.
        **extra: anything else to keep, e.g. ``best_acc=0.97`` or the
            DataLoader generator's state. The values must be loadable with
            ``weights_only=True``: numbers, strings, None, lists, tuples,
            dicts and tensors, never your own classes.

    Returns:
        ``Path(path)``. The file holds one dict: ``"model"``, ``"optimizer"``
        and ``"scheduler"`` (those given), ``"epoch"``, ``"extra"`` (the dict
        of ``extra``) and ``"rng"`` (``torch.get_rng_state()``, so dropout and
        a loader without its own generator continue the same random stream).

    Hint: build the dict, then ``_atomic_save(state, path)``.
    提示：把各个 ``state_dict()``、epoch、extra 和 ``torch.get_rng_state()`` 放进一个 dict，
    再用 ``_atomic_save`` 写入。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def load_checkpoint(
    path: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    map_location: str | torch.device = "cpu",
) -> dict[str, Any]:
    """Restore a checkpoint written by ``save_checkpoint`` into existing objects.

    Args:
        path: the checkpoint file.
        model: a model of the same architecture; its weights are replaced.
        optimizer, scheduler: when given, their states are restored too (build
            them over ``model``'s parameters first, as at the start of training).
        map_location: where the loaded tensors go, ``"cpu"`` by default so a
            checkpoint saved on a GPU also loads on a laptop.

    Returns:
        ``{"epoch": epoch, **extra}``: the saved epoch and the extra values.
        The torch RNG state is restored with ``torch.set_rng_state``.

    Errors: a missing file raises ``FileNotFoundError`` naming the path; a
    corrupt or truncated file raises ``RuntimeError`` naming the path.

    Use ``torch.load(path, map_location=..., weights_only=True)``: a
    checkpoint is a pickle, and unpickling an untrusted file can run any code;
    ``weights_only=True`` only accepts tensors and plain containers and
    refuses everything else.

    Resuming continues EXACTLY as if training had not stopped only when every
    source of state is restored: weights, optimizer, scheduler, the torch RNG
    (all handled here) and also the shuffling of the training DataLoader. A
    loader built with ``generator=g`` draws its order from ``g``, not from the
    global RNG; a fresh loader with the same seed would replay epoch 0's
    order. Save ``g.get_state()`` in ``extra`` (e.g. ``loader_rng=...``) and
    call ``g.set_state(info["loader_rng"])`` after loading.

    Hint: ``model.load_state_dict(state["model"])``, the same for the
    optimizer and scheduler; wrap ``torch.load`` in ``try/except`` and raise
    ``RuntimeError(f"... {path} ...") from err``.
    提示：先检查文件是否存在；用 ``try/except`` 包住 ``torch.load(..., weights_only=True)``，
    出错时抛出带路径的 ``RuntimeError``；再依次 ``load_state_dict``，最后
    ``torch.set_rng_state``。DataLoader 的 generator 状态不在这里恢复，需要放进 extra。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def export_model(path: str | Path, model: nn.Module) -> Path:
    """Save only the model's weights, for inference or sharing.

    Args:
        path: the file to write, e.g. ``model.pt``; parent folders are created.
        model: the trained model.

    Returns:
        ``Path(path)``. The file holds ``model.state_dict()`` alone (an
        ordered dict of name -> tensor), written atomically like a
        checkpoint. Saving the whole module object instead would pickle its
        class by reference: it breaks when the code moves and cannot be read
        with ``weights_only=True``.

    Hint: ``_atomic_save(model.state_dict(), path)``.
    提示：只保存 ``model.state_dict()``，同样用 ``_atomic_save`` 原子写入。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def load_model(path: str | Path, factory: Callable[[], nn.Module]) -> nn.Module:
    """Load weights written by ``export_model`` into a new model.

    Args:
        path: the file from ``export_model``.
        factory: builds the untrained model, e.g. ``lambda: MLP(4, [16], 3)``;
            a state_dict holds numbers only, so the code must rebuild the
            architecture.

    Returns:
        The model from ``factory()`` with the loaded weights, in eval mode
        (dropout off), ready for prediction.

    Hint: ``model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))``,
    then ``model.eval()``.
    提示：先 ``model = factory()``，再 ``model.load_state_dict(torch.load(path, map_location="cpu",
    weights_only=True))``，最后调用 ``model.eval()`` 并返回模型。
    """
    # YOUR CODE HERE
    raise NotImplementedError()
