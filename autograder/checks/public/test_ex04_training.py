"""Public checks for ex04: the training loop (train_one_epoch, evaluate, fit, plot_history).

The loops run in the worker on the known objects of ``probes.training_setup``
(a seeded model, fixed batches, SGD); the grader builds the same objects to
compute what a correct loop gives.
"""
import math

import torch

from ...engine.client import StudentError
from ...engine.worker import probes_ex04_05 as px
from ..api import run_probe, as_float, check, expect, expect_close, expect_length, expect_number, fail
from ...feedback.catalog import Msg

MODULE = "ex04_training"


def probe(sub, name, func, **kwargs):
    """Run probes_ex04_05.<name> in the worker; errors are reported against the student's ``func``."""
    return run_probe(sub, f"probes_ex04_05.{name}", f"{MODULE}.{func}", **kwargs)


def expect_float(value, hint, name):
    """A Python float (not a tensor), finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(Msg("cmp.type", expected="float", got=type(value).__name__ if not isinstance(value, torch.Tensor)
                 else f"Tensor{list(value.shape)}"), hint=hint, name=name)
    expect(math.isfinite(value), Msg("cmp.number", got=repr(value), expected="a finite float"), hint=hint, name=name)
    return float(value)


@check("ex04", "train_one_epoch", 2, en="train_one_epoch returns the epoch's loss as a Python float",
       zh="train_one_epoch 以 Python float 返回这个 epoch 的损失")
def test_train_one_epoch_returns_float(sub):
    out = probe(sub, "epoch_run", "train_one_epoch", n=32, batch_size=8, seed=1, lr=0.1)
    value = expect_float(out["result"], "hint.ex04_return_float", "train_one_epoch(...)")
    expect(value > 0, Msg("cmp.number", got=f"{value:.6g}", expected="> 0"), hint="hint.ex04_weighted_mean",
           name="train_one_epoch(...)")


@check("ex04", "train_one_epoch", 2, en="one epoch on 4 batches of 8 matches a reference SGD loop (loss and weights)",
       zh="4 个大小为 8 的批量训练一个 epoch，损失和权重与参考 SGD 循环一致")
def test_train_one_epoch_matches_reference(sub):
    out = probe(sub, "epoch_run", "train_one_epoch", n=32, batch_size=8, seed=2, lr=0.1)
    ref = px.reference_epoch_params(n=32, batch_size=8, seed=2, lr=0.1)
    hint = px.epoch_mistake(out["events"], n_batches=4)
    for key, expected in ref["params"].items():
        expect_close(out["params"].get(key), expected, hint=hint, name=f"model.{key} after one epoch")
    value = expect_float(out["result"], "hint.ex04_return_float", "train_one_epoch(...)")
    expect_number(value, ref["loss"], hint="hint.ex04_weighted_mean", name="train_one_epoch(...)",
                  atol=1e-5, rtol=1e-4)


@check("ex04", "train_one_epoch", 2, en="the loss falls over 4 epochs on the same model",
       zh="同一个模型训练 4 个 epoch，损失逐渐下降")
def test_train_one_epoch_loss_decreases(sub):
    out = probe(sub, "epoch_run", "train_one_epoch", n=32, batch_size=8, seed=3, lr=0.2, epochs=4)
    losses = [expect_float(v, "hint.ex04_return_float", "train_one_epoch(...)") for v in out["results"]]
    expect(losses[-1] < losses[0] - 1e-3, Msg("cmp.number", got=[round(v, 4) for v in losses],
                                               expected="a falling loss"),
           hint="hint.ex04_loss_decreases", name="losses of 4 epochs")


@check("ex04", "evaluate", 2, en="evaluate returns {'loss', 'accuracy'} matching a reference pass",
       zh="evaluate 返回 {'loss', 'accuracy'}，与参考结果一致")
def test_evaluate_returns_loss_and_accuracy(sub):
    out = probe(sub, "evaluate_run", "evaluate", n=32, batch_size=8, seed=4)
    result = out["result"]
    expect(isinstance(result, dict) and {"loss", "accuracy"} <= set(result),
           Msg("cmp.type", expected="dict with keys 'loss', 'accuracy'", got=repr(result)[:80]),
           hint="hint.ex04_eval_dict", name="evaluate(...)")
    loss = expect_float(result["loss"], "hint.ex04_eval_dict", "evaluate(...)['loss']")
    acc = expect_float(result["accuracy"], "hint.ex04_eval_dict", "evaluate(...)['accuracy']")
    expect(0.0 <= acc <= 1.0, Msg("cmp.number", got=f"{acc:.6g}", expected="a value in [0, 1]"),
           hint="hint.ex04_accuracy_fraction", name="evaluate(...)['accuracy']")
    s = px.probes.training_setup(n=32, batch_size=8, seed=4)
    ref = px.probes.reference_evaluate(s["model"], s["train"], s["loss_fn"])
    expect_number(loss, ref["loss"], hint="hint.ex04_weighted_mean", name="evaluate(...)['loss']",
                  atol=1e-5, rtol=1e-4)
    expect_number(acc, ref["accuracy"], hint="hint.ex04_accuracy_samples", name="evaluate(...)['accuracy']",
                  atol=1e-6, rtol=1e-6)


def fit_history(sub, **kwargs):
    out = probe(sub, "fit_run", "fit", **kwargs)
    history = out["result"]
    keys = ("train_loss", "val_loss", "val_acc", "lr")
    expect(isinstance(history, dict) and set(keys) <= set(history),
           Msg("cmp.type", expected="dict with keys " + ", ".join(keys),
               got=sorted(map(str, history)) if isinstance(history, dict) else type(history).__name__),
           hint="hint.ex04_fit_history", name="fit(...)")
    return out, history


@check("ex04", "fit", 2, en="fit returns a history of train_loss, val_loss, val_acc and lr, one float per epoch",
       zh="fit 返回 history：train_loss、val_loss、val_acc、lr，每个 epoch 一个 float")
def test_fit_history_keys_and_lengths(sub):
    _, history = fit_history(sub, n=32, batch_size=8, seed=5, lr=0.1, val_n=16, epochs=3, scheduler=True)
    for key in ("train_loss", "val_loss", "val_acc", "lr"):
        expect_length(history[key], 3, hint="hint.ex04_fit_history", name=f"history['{key}']")
        for value in history[key]:
            expect_float(value, "hint.ex04_fit_history", f"history['{key}']")


@check("ex04", "fit", 1, en="fit works without a scheduler and keeps the lr", zh="没有 scheduler 时 fit 也能运行，学习率保持不变")
def test_fit_without_scheduler(sub):
    try:
        _, history = fit_history(sub, n=32, batch_size=8, seed=6, lr=0.05, val_n=16, epochs=2, scheduler=False)
    except StudentError as exc:
        if exc.info.get("not_implemented"):
            raise
        fail(Msg("raised", func="fit", exc=exc.info.get("type", "?"), message=exc.info.get("message", "")),
             hint="hint.ex04_fit_no_scheduler")
    expect_length(history["lr"], 2, hint="hint.ex04_fit_history", name="history['lr']")
    for value in history["lr"]:
        expect_number(as_float(value, hint="hint.ex04_lr_start", name="history['lr']"), 0.05,
                      hint="hint.ex04_lr_start", name="history['lr']")


@check("ex04", "fit", 2, en="fit(log_dir=...) writes a TensorBoard event file", zh="fit(log_dir=...) 写出 TensorBoard 事件文件")
def test_fit_writes_tensorboard_events(sub):
    fit_history(sub, n=24, batch_size=8, seed=7, lr=0.1, val_n=8, epochs=2, scheduler=True, log_dir="tb_public")
    folder = sub.folder.work / "tb_public"
    files = sorted(p.name for p in folder.rglob("*tfevents*")) if folder.is_dir() else []
    expect(files, Msg("cmp.number", got="no events.out.tfevents.* file", expected="tb_public/events.out.tfevents.*"),
           hint="hint.ex04_tensorboard", name="log_dir")


@check("ex04", "plot_history", 2, en="plot_history writes a PNG file and returns its Path",
       zh="plot_history 写出 PNG 文件并返回它的 Path")
def test_plot_history_writes_png(sub, ex04):
    from pathlib import Path

    history = {"train_loss": [1.0, 0.7, 0.5], "val_loss": [1.1, 0.8, 0.7], "val_acc": [0.4, 0.6, 0.7],
               "lr": [0.1, 0.1, 0.1]}
    result = ex04.plot_history(history, "curves_public.png")
    expect(isinstance(result, Path), Msg("cmp.type", expected="Path", got=type(result).__name__),
           hint="hint.ex04_png", name="plot_history(...)")
    file = sub.folder.work / "curves_public.png"
    head = file.read_bytes()[:8] if file.is_file() else b""
    expect(head == b"\x89PNG\r\n\x1a\n", Msg("cmp.number", got=repr(head) if head else "no file",
                                            expected="a PNG file curves_public.png"),
           hint="hint.ex04_png", name="curves_public.png")
