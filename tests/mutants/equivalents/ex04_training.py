"""Exercise 4, written differently: zero_grad after the step (on the model), inference_mode, lists of counts."""
from pathlib import Path

import torch


def train_one_epoch(model, loader, loss_fn, optimizer, device="cpu"):
    model.train()
    losses, sizes = [], []
    for batch in loader:
        x, y = (t.to(device) for t in batch)
        out = model(x)
        loss = loss_fn(out, y)
        loss.backward()
        optimizer.step()
        model.zero_grad(set_to_none=True)
        losses.append(float(loss.detach()))
        sizes.append(y.shape[0])
    return sum(l * s for l, s in zip(losses, sizes)) / sum(sizes)


def evaluate(model, loader, loss_fn, device="cpu"):
    model.eval()
    loss_sum, hits, seen = 0.0, 0, 0
    with torch.inference_mode():
        for x, y in loader:
            x = x.to(device)
            y = y.to(device)
            logits = model(x)
            n = y.numel()
            loss_sum += float(loss_fn(logits, y)) * n
            hits += int(torch.count_nonzero(logits.argmax(1) == y))
            seen += n
    return {"loss": loss_sum / seen, "accuracy": hits / seen}


def fit(model, train_loader, val_loader, loss_fn, optimizer, epochs, device="cpu", scheduler=None, log_dir=None):
    model = model.to(device)
    keys = ("train_loss", "val_loss", "val_acc", "lr")
    history = {k: [] for k in keys}
    writer = None
    if log_dir is not None:
        from torch.utils.tensorboard import SummaryWriter

        writer = SummaryWriter(log_dir=str(log_dir))
    try:
        for epoch in range(epochs):
            current_lr = float(optimizer.param_groups[0]["lr"])
            tl = train_one_epoch(model, train_loader, loss_fn, optimizer, device=device)
            metrics = evaluate(model, val_loader, loss_fn, device=device)
            for k, v in zip(keys, (tl, metrics["loss"], metrics["accuracy"], current_lr)):
                history[k].append(v)
            if writer is not None:
                for tag, v in (("loss/train", tl), ("loss/val", metrics["loss"]),
                               ("accuracy/val", metrics["accuracy"]), ("lr", current_lr)):
                    writer.add_scalar(tag, v, global_step=epoch + 1)
            if scheduler is not None:
                scheduler.step()
    finally:
        if writer is not None:
            writer.close()
    return history


def plot_history(history, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(2, 1, figsize=(6, 8))
    x = list(range(len(history["train_loss"])))
    axes[0].plot(x, history["train_loss"], "o-", label="train loss")
    axes[0].plot(x, history["val_loss"], "s-", label="val loss")
    axes[0].legend()
    axes[1].plot(x, history["val_acc"], color="green", label="val accuracy")
    axes[1].legend()
    fig.savefig(str(path))
    plt.close(fig)
    return path
