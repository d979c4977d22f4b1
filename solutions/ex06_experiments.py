"""Exercise 6: learning rates, optimizers and schedules.

The learning rate is the most important hyperparameter: too small and
training crawls, too large and the loss explodes to nan. You build the common
optimizers and learning-rate schedulers by name, trace how a schedule changes
the lr, run fair experiments (every run starts from the same initial weights),
sweep learning rates, compare optimizers, plot and rank the results.

练习 6：学习率、优化器与学习率调度。
学习率是最重要的超参数：太小训练很慢，太大损失会发散成 nan。你将按名称创建常用的
优化器和学习率调度器，追踪调度器如何改变学习率，进行公平的实验（每次运行都从相同的
初始权重开始），扫描学习率，比较优化器，并绘制结果、给结果排名。
"""
import math
from collections.abc import Hashable, Iterable
from pathlib import Path

import torch
from torch import nn

from .ex02_data import IrisDataset, iris_csv_path, make_loaders, minmax_stats
from .ex03_model import MLP
from .ex04_training import fit

OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw")
SCHEDULERS = ("step", "multistep", "exponential", "cosine")
History = dict[str, list[float]]


def make_optimizer(name: str, params: Iterable, lr: float, **kw) -> torch.optim.Optimizer:
    """Build an optimizer by name.

    Args:
        name: one of ``OPTIMIZERS``: ``"sgd"`` (``torch.optim.SGD``),
            ``"momentum"`` (SGD with ``momentum=0.9``), ``"adagrad"``,
            ``"rmsprop"``, ``"adam"``, ``"adamw"``. Any other name raises
            ``ValueError`` listing the valid ones.
        params: what to optimize, usually ``model.parameters()``.
        lr: the learning rate.
        **kw: more keyword arguments for the optimizer (e.g. ``weight_decay``);
            they override the defaults, so ``momentum=0.5`` wins over 0.9.

    Returns:
        A ``torch.optim.Optimizer`` over ``params``.

    Hint: a dict from name to ``(class, default kwargs)``, then
    ``cls(params, lr=lr, **{**defaults, **kw})``.
    提示：用一个 dict 把名称映射到 ``(优化器类, 默认参数)``，再调用
    ``cls(params, lr=lr, **{**defaults, **kw})``，这样 kw 可以覆盖默认值。
    """
    ### BEGIN SOLUTION
    table = {
        "sgd": (torch.optim.SGD, {}),
        "momentum": (torch.optim.SGD, {"momentum": 0.9}),
        "adagrad": (torch.optim.Adagrad, {}),
        "rmsprop": (torch.optim.RMSprop, {}),
        "adam": (torch.optim.Adam, {}),
        "adamw": (torch.optim.AdamW, {}),
    }
    if name not in table:
        raise ValueError(f"unknown optimizer {name!r}: expected one of {', '.join(OPTIMIZERS)}")
    cls, defaults = table[name]
    return cls(params, lr=lr, **{**defaults, **kw})
    ### END SOLUTION


def make_scheduler(name: str, optimizer: torch.optim.Optimizer, **kw) -> torch.optim.lr_scheduler.LRScheduler:
    """Build a learning-rate scheduler by name.

    Args:
        name: one of ``SCHEDULERS``:
            ``"step"``: ``StepLR(step_size=50, gamma=0.5)``, halves the lr every 50 epochs;
            ``"multistep"``: ``MultiStepLR(milestones=[50, 100, 160], gamma=0.5)``;
            ``"exponential"``: ``ExponentialLR(gamma=0.9)``, lr * 0.9 every epoch;
            ``"cosine"``: ``CosineAnnealingLR(T_max=200)``, a half cosine from
            the base lr down to 0 over 200 epochs.
            Any other name raises ``ValueError`` listing the valid ones.
        optimizer: the optimizer whose lr is scheduled.
        **kw: override the defaults above (e.g. ``gamma=0.1``).

    Returns:
        A scheduler from ``torch.optim.lr_scheduler``. Call its ``step()``
        once per EPOCH, after that epoch's ``optimizer.step()`` calls: the
        defaults above count epochs, and stepping it per batch (or before the
        optimizer) would decay the lr far too early.

    Hint: the same name -> ``(class, defaults)`` table as ``make_optimizer``.
    提示：与 ``make_optimizer`` 一样用名称 -> ``(类, 默认参数)`` 的表。调度器每个 epoch
    调用一次 ``step()``，并且在该 epoch 的 ``optimizer.step()`` 之后。
    """
    ### BEGIN SOLUTION
    sched = torch.optim.lr_scheduler
    table = {
        "step": (sched.StepLR, {"step_size": 50, "gamma": 0.5}),
        "multistep": (sched.MultiStepLR, {"milestones": [50, 100, 160], "gamma": 0.5}),
        "exponential": (sched.ExponentialLR, {"gamma": 0.9}),
        "cosine": (sched.CosineAnnealingLR, {"T_max": 200}),
    }
    if name not in table:
        raise ValueError(f"unknown scheduler {name!r}: expected one of {', '.join(SCHEDULERS)}")
    cls, defaults = table[name]
    return cls(optimizer, **{**defaults, **kw})
    ### END SOLUTION


def lr_trace(name: str, base_lr: float = 0.1, epochs: int = 200, **kw) -> list[float]:
    """The learning rate a schedule gives at the start of each epoch.

    Args:
        name: a scheduler name for ``make_scheduler``.
        base_lr: the optimizer's initial learning rate.
        epochs: how many epochs to trace.
        **kw: passed on to ``make_scheduler``.

    Returns:
        A list of ``epochs`` floats; element i is
        ``optimizer.param_groups[0]["lr"]`` at the start of epoch i (element 0
        is ``base_lr``). For ``"step"`` with the defaults: 0.1 for epochs
        0-49, 0.05 for 50-99, ...

    No model is needed: optimize one dummy parameter
    (``torch.zeros(1, requires_grad=True)``) with plain SGD at ``base_lr``.
    Each epoch: record the lr, ``optimizer.step()``, then ``scheduler.step()``
    (PyTorch warns when the scheduler steps before the optimizer).

    Hint: ``torch.optim.SGD([param], lr=base_lr)``.
    提示：用一个假参数 ``torch.zeros(1, requires_grad=True)`` 和 ``torch.optim.SGD([param], lr=base_lr)``；
    每个 epoch 先记录学习率，再 ``optimizer.step()``，最后 ``scheduler.step()``。
    """
    ### BEGIN SOLUTION
    param = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([param], lr=base_lr)
    scheduler = make_scheduler(name, optimizer, **kw)
    trace = []
    for _ in range(epochs):
        trace.append(float(optimizer.param_groups[0]["lr"]))
        optimizer.step()
        scheduler.step()
    return trace
    ### END SOLUTION


def run_experiment(
    optimizer_name: str, lr: float, epochs: int = 100, seed: int = 0, batch_size: int = 16
) -> History:
    """Train a fresh ``MLP(4, [16], 3)`` on scaled iris with one optimizer.

    Args:
        optimizer_name: a name for ``make_optimizer``.
        lr: its learning rate.
        epochs: training epochs.
        seed: seeds the initial weights and the shuffling.
        batch_size: the loaders' batch size.

    Returns:
        ``fit``'s history: ``{"train_loss", "val_loss", "val_acc", "lr"}``,
        one float per epoch each.

    A comparison is only fair when every run starts from the SAME initial
    weights and sees the batches in the same order: call
    ``torch.manual_seed(seed)`` right before building the model, and use
    ``make_loaders(..., seed=seed)``. Scale with min-max statistics of the
    train split only; train with ``nn.CrossEntropyLoss()``.
    A learning rate that is too large makes the loss overflow to inf/nan:
    that is a result to report, not an error, so let those values come back
    in the history instead of raising.

    Hint: the same pipeline as ``fit_iris_on`` in ex05, with ``make_optimizer``.
    提示：流程与 ex05 的 ``fit_iris_on`` 相同，只是优化器由 ``make_optimizer`` 创建；
    在创建模型前调用 ``torch.manual_seed(seed)``，保证每个优化器从相同的初始权重开始。
    发散（nan/inf）是实验结果，不要抛出异常。
    """
    ### BEGIN SOLUTION
    csv_path = iris_csv_path()
    stats = minmax_stats(torch.stack([x for x, _ in IrisDataset(csv_path, "train")]))
    splits = [IrisDataset(csv_path, split, stats) for split in ("train", "val", "test")]
    loaders = make_loaders(*splits, batch_size=batch_size, seed=seed)
    torch.manual_seed(seed)
    model = MLP(4, [16], 3)
    optimizer = make_optimizer(optimizer_name, model.parameters(), lr)
    return fit(model, loaders["train"], loaders["val"], nn.CrossEntropyLoss(), optimizer, epochs)
    ### END SOLUTION


def lr_sweep(
    lrs: Iterable[float], optimizer_name: str = "sgd", epochs: int = 100, seed: int = 0
) -> dict[float, History]:
    """Run the same experiment at several learning rates.

    Args:
        lrs: the learning rates, e.g. ``[1e-3, 1e-2, 1e-1, 1.0]``.
        optimizer_name, epochs, seed: passed to ``run_experiment``.

    Returns:
        ``{lr: history}`` in the order of ``lrs``, one ``run_experiment``
        history per learning rate, all from the same initial weights.

    Hint: a dict comprehension over ``lrs``.
    提示：对 ``lrs`` 写一个字典推导式，每个学习率调用一次 ``run_experiment``。
    """
    ### BEGIN SOLUTION
    return {lr: run_experiment(optimizer_name, lr, epochs=epochs, seed=seed) for lr in lrs}
    ### END SOLUTION


def compare_optimizers(
    names: Iterable[str], lr: float = 0.01, epochs: int = 100, seed: int = 0
) -> dict[str, History]:
    """Run the same experiment with several optimizers.

    Args:
        names: optimizer names, e.g. ``["sgd", "momentum", "adam"]``.
        lr, epochs, seed: passed to ``run_experiment``.

    Returns:
        ``{name: history}`` in the order of ``names``. Thanks to the seed
        every optimizer starts from the same weights, so the differences
        come from the optimizer alone.

    Hint: a dict comprehension over ``names``.
    提示：对 ``names`` 写一个字典推导式，每个优化器调用一次 ``run_experiment``。
    """
    ### BEGIN SOLUTION
    return {name: run_experiment(name, lr, epochs=epochs, seed=seed) for name in names}
    ### END SOLUTION


def plot_comparison(results: dict[Hashable, History], metric: str, path: str | Path) -> Path:
    """Plot one metric of several runs in one figure, saved as a PNG.

    Args:
        results: ``{key: history}`` from ``lr_sweep`` or ``compare_optimizers``.
        metric: the history list to plot, e.g. ``"val_acc"`` or ``"train_loss"``.
        path: the PNG to write; missing parent folders are created.

    Returns:
        ``Path(path)``. One line per key against the epoch, labelled with the
        key (the legend tells the runs apart), axes labelled. nan values
        (diverged runs) just leave a gap.

    Build a ``matplotlib.figure.Figure`` directly (as in ex04's
    ``plot_history``): it needs no display and no global backend, and it is
    freed with the object, so a long sweep never piles up open figures.

    Hint: ``ax.plot(epochs, history[metric], label=str(key))``, ``ax.legend()``,
    ``fig.savefig(path)``.
    提示：直接创建 ``matplotlib.figure.Figure``（无需显示器）；每个 key 画一条线并设
    ``label=str(key)``，加上图例，先创建父目录再 ``fig.savefig(path)``。
    """
    ### BEGIN SOLUTION
    from matplotlib.figure import Figure

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for key, history in results.items():
        values = history[metric]
        ax.plot(range(1, len(values) + 1), values, label=str(key))
    ax.set(xlabel="epoch", ylabel=metric, title=metric)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
    ### END SOLUTION


def summarize(results: dict[Hashable, History], metric: str = "val_acc") -> list[tuple[Hashable, float]]:
    """Rank runs by the final value of a metric, best first.

    Args:
        results: ``{key: history}``.
        metric: a history key. When its name contains ``"acc"`` higher is
            better; otherwise (losses) lower is better.

    Returns:
        ``[(key, final_value), ...]`` with ``final_value`` a float (the last
        element of ``history[metric]``), best first. nan (a diverged run)
        always goes last: it compares False with everything, so a plain
        ``sorted`` would leave it anywhere. Ties keep the order of ``results``.

    Hint: ``sorted(items, key=...)`` with a key like
    ``(math.isnan(v), -v if higher_is_better else v)``.
    提示：用 ``sorted(items, key=...)``，排序键可以是
    ``(math.isnan(v), -v if higher_is_better else v)``；nan 与任何数比较都为 False，必须单独放到最后。
    """
    ### BEGIN SOLUTION
    finals = [(key, float(history[metric][-1])) for key, history in results.items()]
    higher_is_better = "acc" in metric

    def rank(item: tuple[Hashable, float]) -> tuple[bool, float]:
        value = item[1]
        if math.isnan(value):
            return True, 0.0
        return False, -value if higher_is_better else value

    return sorted(finals, key=rank)
    ### END SOLUTION
