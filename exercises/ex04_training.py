# Generated from solutions/ex04_training.py by `./grade.sh stubs` - do not edit this header.
# Fill in every `# YOUR CODE HERE`, then run ./grade.sh to check your work.
# 由 `./grade.sh stubs` 从 solutions/ex04_training.py 生成。请完成每个 `# YOUR CODE HERE`，然后运行 ./grade.sh 自查。
"""Exercise 4: the training loop.

Every PyTorch training loop repeats the same five lines per batch: move the
batch to the device, zero the gradients, forward, loss + backward, optimizer
step. You write one epoch of training, an evaluation pass, the loop over
epochs that records a history (and optionally TensorBoard scalars), and a plot
of the learning curves.

练习 4：训练循环。
每个 PyTorch 训练循环对每个批量都重复同样的五步：把批量移到设备上、清零梯度、
前向、计算损失并反向传播、优化器更新。你将实现一个 epoch 的训练、一次评估、
记录历史（可选写入 TensorBoard）的多 epoch 循环，以及学习曲线图。
"""
from collections.abc import Callable
from pathlib import Path

import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import DataLoader

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    device: str | torch.device = "cpu",
) -> float:
    """Train ``model`` for one epoch (one pass over ``loader``).

    Args:
        model: returns logits [batch, C]; already on ``device``.
        loader: yields ``(inputs, targets)`` batches, e.g. float32 [batch, 4], int64 [batch].
        loss_fn: e.g. ``nn.CrossEntropyLoss()`` (mean over the batch; it takes logits).
        optimizer: updates ``model``'s parameters.
        device: where the batches go with ``.to(device)``.

    Returns:
        The sample-weighted mean loss of the epoch as a float:
        sum(batch loss * batch size) / number of samples, so a smaller last
        batch counts less.

    Call ``model.train()`` first: dropout and batchnorm behave differently
    while training. Per batch: ``.to(device)``, ``optimizer.zero_grad()``
    (``backward()`` ADDS to ``.grad``; without zeroing, gradients of past
    batches pile up), forward, loss, ``loss.backward()``, ``optimizer.step()``.
    Use ``loss.item()`` to keep a float, not a tensor holding the whole graph.

    Hint: ``total += loss.item() * len(targets)``; divide by the sample count at the end.
    提示：先 ``model.train()``；每个批量都要 ``optimizer.zero_grad()``（梯度会累加）；
    ``total += loss.item() * len(targets)``，最后除以样本总数。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def evaluate(
    model: nn.Module, loader: DataLoader, loss_fn: LossFn, device: str | torch.device = "cpu"
) -> dict[str, float]:
    """Loss and accuracy of ``model`` on ``loader``, without training.

    Args:
        model: returns logits [batch, C]; already on ``device``.
        loader: yields ``(inputs, targets int64 [batch])``.
        loss_fn: mean loss over a batch, e.g. ``nn.CrossEntropyLoss()``.
        device: where the batches go.

    Returns:
        ``{"loss": float, "accuracy": float}``: the sample-weighted mean loss,
        and the fraction of samples (not batches) whose largest logit is the
        target, in [0, 1]. Parameters are not changed.

    ``model.eval()`` turns dropout off and makes batchnorm use its running
    statistics; ``torch.no_grad()`` builds no graph (faster, less memory).

    Hint: ``correct += (logits.argmax(dim=1) == targets).sum().item()``.
    提示：``model.eval()`` 加 ``with torch.no_grad():``；
    ``correct += (logits.argmax(dim=1) == targets).sum().item()``，最后除以样本总数。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def fit(
    model: nn.Module,
    train_loader: DataLoader,
    val_loader: DataLoader,
    loss_fn: LossFn,
    optimizer: torch.optim.Optimizer,
    epochs: int,
    device: str | torch.device = "cpu",
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    log_dir: str | Path | None = None,
) -> dict[str, list[float]]:
    """Train for ``epochs`` epochs, validating after each one.

    Args:
        model, train_loader, val_loader, loss_fn, optimizer, device: as in
            ``train_one_epoch`` / ``evaluate``; the model is moved to ``device``.
        epochs: the number of passes over the training data.
        scheduler: when given, ``scheduler.step()`` is called once per epoch,
            after validation (schedules here count epochs, not batches).
        log_dir: when given, a ``torch.utils.tensorboard.SummaryWriter(log_dir)``
            records the scalars ``loss/train``, ``loss/val``, ``accuracy/val``
            and ``lr`` at every epoch, and is closed at the end.

    Returns:
        ``{"train_loss": [...], "val_loss": [...], "val_acc": [...], "lr": [...]}``,
        one float per epoch each; ``lr[i]`` is the learning rate used during
        epoch i, read from ``optimizer.param_groups[0]["lr"]`` at its start.

    Hint: read the lr, ``train_one_epoch``, ``evaluate``, then ``scheduler.step()``.
    提示：每个 epoch 先读学习率，再 ``train_one_epoch``、``evaluate``，最后 ``scheduler.step()``。
    只有给了 ``log_dir`` 时才导入并创建 ``SummaryWriter``，结束时 ``close()``。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def plot_history(history: dict[str, list[float]], path: str | Path) -> Path:
    """Save the learning curves of ``fit``'s history as a PNG.

    Args:
        history: with the lists ``train_loss``, ``val_loss`` and ``val_acc``.
        path: the PNG file to write; missing parent folders are created.

    Returns:
        ``Path(path)``. The figure has two panels: train and val loss against
        the epoch, and the validation accuracy against the epoch.

    Build a ``matplotlib.figure.Figure`` directly instead of using
    ``pyplot``: it needs no display (works headless, on a server or in the
    grader), does not change the global backend, and is freed with the object.

    Hint: ``fig = Figure(figsize=(10, 4)); ax_loss, ax_acc = fig.subplots(1, 2)``,
    ``ax.plot(...)``, ``fig.savefig(path)``.
    提示：``fig = Figure(figsize=(10, 4)); ax_loss, ax_acc = fig.subplots(1, 2)``，
    画曲线后 ``fig.savefig(path)``；先用 ``mkdir(parents=True, exist_ok=True)`` 建好父目录。
    """
    # YOUR CODE HERE
    raise NotImplementedError()
