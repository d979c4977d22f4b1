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
    ### BEGIN SOLUTION
    model.train()
    total, count = 0.0, 0
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(targets)
        count += len(targets)
    return total / count
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for inputs, targets in loader:
            inputs, targets = inputs.to(device), targets.to(device)
            logits = model(inputs)
            total += loss_fn(logits, targets).item() * len(targets)
            correct += (logits.argmax(dim=1) == targets).sum().item()
            count += len(targets)
    return {"loss": total / count, "accuracy": correct / count}
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    model.to(device)
    writer = None
    if log_dir is not None:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(log_dir)
    history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
    for epoch in range(epochs):
        lr = optimizer.param_groups[0]["lr"]
        train_loss = train_one_epoch(model, train_loader, loss_fn, optimizer, device)
        val = evaluate(model, val_loader, loss_fn, device)
        if scheduler is not None:
            scheduler.step()
        history["train_loss"].append(train_loss)
        history["val_loss"].append(val["loss"])
        history["val_acc"].append(val["accuracy"])
        history["lr"].append(lr)
        if writer is not None:
            writer.add_scalar("loss/train", train_loss, epoch)
            writer.add_scalar("loss/val", val["loss"], epoch)
            writer.add_scalar("accuracy/val", val["accuracy"], epoch)
            writer.add_scalar("lr", lr, epoch)
    if writer is not None:
        writer.close()
    return history
    ### END SOLUTION


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
    ### BEGIN SOLUTION
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    epochs = range(1, len(history["train_loss"]) + 1)
    fig = Figure(figsize=(10, 4))
    ax_loss, ax_acc = fig.subplots(1, 2)
    ax_loss.plot(epochs, history["train_loss"], label="train")
    ax_loss.plot(epochs, history["val_loss"], label="val")
    ax_loss.set(xlabel="epoch", ylabel="loss", title="Loss")
    ax_loss.legend()
    ax_acc.plot(epochs, history["val_acc"], label="val")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy", ylim=(0, 1.05))
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
    ### END SOLUTION
