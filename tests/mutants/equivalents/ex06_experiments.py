"""Exercise 6, written differently: an if/elif chain, seeding before the data, summarize by splitting nan off."""
import math
from pathlib import Path

import torch
from torch import nn

from . import ex02_data, ex03_model, ex04_training

NAMES = ["sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw"]


def make_optimizer(name, params, lr, **kw):
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, **kw)
    elif name == "momentum":
        kw.setdefault("momentum", 0.9)
        return torch.optim.SGD(params, lr=lr, **kw)
    elif name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, **kw)
    elif name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, **kw)
    elif name == "adam":
        return torch.optim.Adam(params, lr=lr, **kw)
    elif name == "adamw":
        return torch.optim.AdamW(params, lr=lr, **kw)
    raise ValueError(f"{name!r} is not an optimizer name; use one of: {', '.join(NAMES)}")


def make_scheduler(name, optimizer, **kw):
    S = torch.optim.lr_scheduler
    if name == "step":
        return S.StepLR(optimizer, step_size=kw.pop("step_size", 50), gamma=kw.pop("gamma", 0.5), **kw)
    if name == "multistep":
        return S.MultiStepLR(optimizer, milestones=kw.pop("milestones", [50, 100, 160]), gamma=kw.pop("gamma", 0.5), **kw)
    if name == "exponential":
        return S.ExponentialLR(optimizer, gamma=kw.pop("gamma", 0.9), **kw)
    if name == "cosine":
        return S.CosineAnnealingLR(optimizer, T_max=kw.pop("T_max", 200), **kw)
    raise ValueError(f"unknown scheduler {name!r}: step, multistep, exponential or cosine")


def lr_trace(name, base_lr=0.1, epochs=200, **kw):
    dummy = nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([dummy], lr=base_lr)
    sched = make_scheduler(name, opt, **kw)
    out = []
    while len(out) < epochs:
        out.append(opt.param_groups[0]["lr"] * 1.0)
        opt.step()
        sched.step()
    return out


def run_experiment(optimizer_name, lr, epochs=100, seed=0, batch_size=16):
    torch.manual_seed(seed)
    path = ex02_data.iris_csv_path()
    train_raw = ex02_data.IrisDataset(path, "train")
    stats = ex02_data.minmax_stats(torch.stack([train_raw[i][0] for i in range(len(train_raw))]))
    train, val, test = (ex02_data.IrisDataset(path, s, stats=stats) for s in ("train", "val", "test"))
    loaders = ex02_data.make_loaders(train, val, test, batch_size=batch_size, seed=seed)
    net = ex03_model.MLP(4, [16], 3)
    optimizer = make_optimizer(optimizer_name, net.parameters(), lr)
    return ex04_training.fit(net, loaders["train"], loaders["val"], nn.CrossEntropyLoss(), optimizer, epochs)


def lr_sweep(lrs, optimizer_name="sgd", epochs=100, seed=0):
    results = {}
    for lr in lrs:
        results[lr] = run_experiment(optimizer_name, lr, epochs, seed)
    return results


def compare_optimizers(names, lr=0.01, epochs=100, seed=0):
    results = {}
    for name in names:
        results[name] = run_experiment(name, lr, epochs=epochs, seed=seed)
    return results


def plot_comparison(results, metric, path):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, history in results.items():
        ax.plot(history[metric], marker=".", label=f"{key}")
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric)
    ax.legend(loc="best")
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path


def summarize(results, metric="val_acc"):
    finals = [(key, float(h[metric][-1])) for key, h in results.items()]
    good = [item for item in finals if not math.isnan(item[1])]
    bad = [item for item in finals if math.isnan(item[1])]
    good = sorted(good, key=lambda item: item[1], reverse="acc" in metric)
    return good + bad
