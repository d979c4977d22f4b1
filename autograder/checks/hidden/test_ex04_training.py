"""Hidden checks for ex04: the behaviours SPEC.md states for the training loop.

Other seeds and shapes than the public checks. Everything runs on the logged
objects of ``probes.training_setup`` (ProbeModel, ProbeLoader, ProbeSGD,
ProbeStepLR); the expected values come from the same objects built here.
"""
from pathlib import Path

from ...engine.client import StudentError
from ...engine.worker import probes_ex04_05 as px
from ...feedback.catalog import Msg
from ..api import raised, as_float, check, compare, expect, expect_close, expect_equal, expect_length, expect_number, fail
from ..public.test_ex04_training import expect_float, fit_history, probe

HIDDEN = 6  # a hidden width the public checks do not use


def forwards(events):
    return [e for e in events if e[0] == "forward"]




def mean_hint(value: float, losses: list) -> str:
    """Which mistake an epoch loss that is not the sample-weighted mean of ``losses`` points to."""
    import math

    if losses and math.isclose(value, losses[-1][1], rel_tol=1e-4, abs_tol=1e-5):
        return "hint.ex04_last_batch_loss"
    return "hint.ex04_weighted_mean"


def cuda(sub) -> bool:
    return bool(sub.probe("cuda_available")())


# --- train_one_epoch ------------------------------------------------------------------
@check("ex04", "train_one_epoch", 1, en="train_one_epoch puts a model that comes in eval mode into train mode",
       zh="train_one_epoch 会把处于 eval 模式的模型切换到训练模式")
def test_train_one_epoch_calls_model_train(sub):
    out = probe(sub, "epoch_run", "train_one_epoch", n=20, batch_size=6, seed=8, hidden=HIDDEN, start_mode="eval")
    modes = [e[1] for e in forwards(out["events"])]
    expect_length(modes, 4, hint="hint.ex04_epoch_params", name="forward passes")
    expect_equal(modes, [True] * 4, hint="hint.ex04_train_mode", name="model.training in each forward")


@check("ex04", "train_one_epoch", 2, en="weights after one epoch (37 samples, batches of 8) equal those of SGD "
       "with gradients zeroed every step", zh="一个 epoch（37 个样本，批量 8）后的权重与每步清零梯度的 SGD 一致")
def test_train_one_epoch_zeroes_gradients(sub):
    out = probe(sub, "epoch_run", "train_one_epoch", n=37, batch_size=8, seed=9, lr=0.2, hidden=HIDDEN)
    ref = px.reference_epoch_params(n=37, batch_size=8, seed=9, lr=0.2, hidden=HIDDEN)
    hint = px.epoch_mistake(out["events"], n_batches=5)
    for key, expected in ref["params"].items():
        expect_close(out["params"].get(key), expected, hint=hint, name=f"model.{key} after one epoch")


@check("ex04", "train_one_epoch", 2, en="train_one_epoch returns the sample-weighted mean loss (last batch of 5)",
       zh="train_one_epoch 返回按样本加权的平均损失（最后一个批量只有 5 个样本）")
def test_train_one_epoch_sample_weighted_mean(sub):
    # lr=0: the weights never move, so every batch's loss is known whatever the update does
    out = probe(sub, "epoch_run", "train_one_epoch", n=37, batch_size=8, seed=12, lr=0.0, hidden=HIDDEN)
    value = expect_float(out["result"], "hint.ex04_return_float", "train_one_epoch(...)")
    losses = px.batch_losses(37, 8, seed=12, hidden=HIDDEN)
    expected = sum(b * loss for b, loss in losses) / sum(b for b, _ in losses)
    expect_number(value, expected, hint=mean_hint(value, losses), name="train_one_epoch(...)", atol=1e-5, rtol=1e-4)


def expect_moved(moves, loader, n_batches, device_type, func):
    seen = {(tuple(tag), dev) for tag, dev in ((m[0], m[1]) for m in moves) if len(tag) == 3 and tag[0] == loader}
    for i in range(n_batches):
        for part in ("x", "y"):
            ok = any(tag == (loader, i, part) and dev is not None and dev.split(":")[0] == device_type
                     for tag, dev in seen)
            what = "inputs" if part == "x" else "targets"
            expect(ok, Msg("cmp.number", got=f"batch {i}: {what} not moved", expected=f"{what}.to({device_type!r})"),
                   hint="hint.ex04_device_moves", name=f"{func}: .to(device)")


@check("ex04", "train_one_epoch", 1, en="train_one_epoch and evaluate move inputs and targets to the device "
       "(and run on CUDA when there is a GPU)", zh="train_one_epoch 和 evaluate 把输入和标签移到 device 上（有 GPU 时在 CUDA 上实际运行）")
def test_batches_moved_to_device(sub):
    out = probe(sub, "epoch_run", "train_one_epoch", n=20, batch_size=8, seed=13, hidden=HIDDEN, device="cpu",
                record=True)
    expect_moved(out["moves"], "train", 3, "cpu", "train_one_epoch")
    out = probe(sub, "evaluate_run", "evaluate", n=20, batch_size=8, seed=13, hidden=HIDDEN, device="cpu", record=True)
    expect_moved(out["moves"], "train", 3, "cpu", "evaluate")
    if not cuda(sub):
        return
    try:
        out = probe(sub, "epoch_run", "train_one_epoch", n=20, batch_size=8, seed=13, hidden=HIDDEN, device="cuda",
                    record=True)
    except StudentError as exc:
        raised(exc, "train_one_epoch", "hint.ex04_device_hardcoded")
    expect_moved(out["moves"], "train", 3, "cuda", "train_one_epoch")
    devices = sorted({e[4] for e in forwards(out["events"])})
    expect(devices and all(d.startswith("cuda") for d in devices), Msg("cmp.number", got=devices, expected="cuda"),
           hint="hint.ex04_device_hardcoded", name="train_one_epoch(device='cuda'): batches in forward")
    expect(all(d.startswith("cuda") for d in out["param_devices"]),
           Msg("cmp.number", got=out["param_devices"], expected="cuda"), hint="hint.ex04_device_hardcoded",
           name="train_one_epoch(device='cuda'): model")
    ref = px.reference_epoch_params(n=20, batch_size=8, seed=13, lr=0.1, hidden=HIDDEN)
    value = expect_float(out["result"], "hint.ex04_return_float", "train_one_epoch(device='cuda')")
    expect_number(value, ref["loss"], hint="hint.ex04_device_hardcoded", name="train_one_epoch(device='cuda')",
                  atol=1e-5, rtol=1e-4)
    try:
        out = probe(sub, "evaluate_run", "evaluate", n=20, batch_size=8, seed=13, hidden=HIDDEN, device="cuda",
                    record=True)
    except StudentError as exc:
        raised(exc, "evaluate", "hint.ex04_device_hardcoded")
    expect_moved(out["moves"], "train", 3, "cuda", "evaluate")


# --- evaluate ----------------------------------------------------------------------------
@check("ex04", "evaluate", 2, en="evaluate runs the model in eval mode with gradients off (no_grad or inference_mode)",
       zh="evaluate 在 eval 模式、关闭梯度（no_grad 或 inference_mode）下运行模型")
def test_evaluate_eval_mode_and_no_grad(sub):
    out = probe(sub, "evaluate_run", "evaluate", n=21, batch_size=7, seed=14, hidden=HIDDEN, start_mode="train")
    seen = forwards(out["events"])
    expect_length(seen, 3, hint="hint.ex04_eval_params", name="forward passes")
    expect_equal([e[1] for e in seen], [False] * 3, hint="hint.ex04_eval_mode", name="model.training in each forward")
    expect_equal([e[2] for e in seen], [False] * 3, hint="hint.ex04_no_grad",
                 name="torch.is_grad_enabled() in each forward")


@check("ex04", "evaluate", 2, en="evaluate: sample-weighted loss, accuracy over samples, weights untouched "
       "(37 samples, batches of 8)", zh="evaluate：按样本加权的损失、按样本统计的准确率、权重不变（37 个样本，批量 8）")
def test_evaluate_sample_weighted_and_accuracy(sub):
    out = probe(sub, "evaluate_run", "evaluate", n=37, batch_size=8, seed=10, hidden=HIDDEN)
    result = out["result"]
    expect(isinstance(result, dict) and {"loss", "accuracy"} <= set(result),
           Msg("cmp.type", expected="dict with keys 'loss', 'accuracy'", got=repr(result)[:80]),
           hint="hint.ex04_eval_dict", name="evaluate(...)")
    losses = px.batch_losses(37, 8, seed=10, hidden=HIDDEN)
    correct = px.batch_accuracies(37, 8, seed=10, hidden=HIDDEN)
    loss = expect_float(result["loss"], "hint.ex04_eval_dict", "evaluate(...)['loss']")
    acc = expect_float(result["accuracy"], "hint.ex04_eval_dict", "evaluate(...)['accuracy']")
    expect_number(loss, sum(b * v for b, v in losses) / 37, hint=mean_hint(loss, losses),
                  name="evaluate(...)['loss']", atol=1e-5, rtol=1e-4)
    fraction = sum(c for _, c in correct) / 37
    hint = "hint.ex04_accuracy_fraction" if acc > 1 else "hint.ex04_accuracy_samples"
    expect_number(acc, fraction, hint=hint, name="evaluate(...)['accuracy']", atol=1e-6, rtol=1e-6)
    initial = px.params_of(px.probes.training_setup(n=37, batch_size=8, seed=10, hidden=HIDDEN)["model"])
    for key, expected in initial.items():
        expect_close(out["params"].get(key), expected, atol=0, rtol=0, hint="hint.ex04_eval_params",
                     name=f"model.{key} after evaluate")


# --- fit -----------------------------------------------------------------------------------
def expect_history(history, ref, epochs, keys=("train_loss", "val_loss", "val_acc")):
    import torch

    for key in keys:
        expect_length(history[key], epochs, hint="hint.ex04_fit_history", name=f"history['{key}']")
        got = [expect_float(v, "hint.ex04_fit_history", f"history['{key}']") for v in history[key]]
        expect_close(torch.tensor(got, dtype=torch.float64), torch.tensor(ref[key], dtype=torch.float64),
                     atol=1e-5, rtol=1e-4, hint="hint.ex04_fit_history", name=f"history['{key}']")


@check("ex04", "fit", 1, en="fit without a scheduler: 3 epochs of history equal a reference loop, constant lr",
       zh="没有 scheduler 的 fit：3 个 epoch 的 history 与参考循环一致，学习率不变")
def test_fit_without_scheduler_matches_reference(sub):
    kwargs = dict(n=30, batch_size=8, seed=15, lr=0.1, val_n=13, epochs=3, scheduler=False, hidden=HIDDEN)
    try:
        _, history = fit_history(sub, **kwargs)
    except StudentError as exc:
        raised(exc, "fit", "hint.ex04_fit_no_scheduler")
    expect_history(history, px.reference_fit(**kwargs), 3)
    expect_length(history["lr"], 3, hint="hint.ex04_fit_history", name="history['lr']")
    for value in history["lr"]:
        expect_number(as_float(value, hint="hint.ex04_lr_start", name="history['lr']"), 0.1,
                      hint="hint.ex04_lr_start", name="history['lr']")


STEP_RUN = dict(n=26, batch_size=8, seed=16, lr=0.2, val_n=11, epochs=4, scheduler=True, hidden=HIDDEN,
                step_size=1, gamma=0.5)


@check("ex04", "fit", 1, en="history['lr'] is the lr used during each epoch (StepLR halving it every epoch)",
       zh="history['lr'] 是每个 epoch 训练时使用的学习率（StepLR 每个 epoch 减半）")
def test_fit_lr_is_read_at_epoch_start(sub):
    _, history = fit_history(sub, **STEP_RUN)
    expect_length(history["lr"], 4, hint="hint.ex04_fit_history", name="history['lr']")
    got = [as_float(v, hint="hint.ex04_fit_history", name="history['lr']") for v in history["lr"]]
    expected = [0.2, 0.1, 0.05, 0.025]
    # never halved, or halved more than once per epoch: the scheduler's steps; one epoch ahead: read too late
    ahead = all(abs(g - e / 2) < 1e-12 for g, e in zip(got, expected))
    hint = "hint.ex04_lr_start" if ahead else "hint.ex04_scheduler_step"
    for g, e in zip(got, expected):
        expect_number(g, e, hint=hint, name="history['lr']", atol=1e-9, rtol=1e-7)


@check("ex04", "fit", 1, en="scheduler.step() runs once per epoch, after that epoch's validation",
       zh="scheduler.step() 每个 epoch 调用一次，并且在该 epoch 的验证之后")
def test_fit_scheduler_steps_after_validation(sub):
    out, history = fit_history(sub, **STEP_RUN)
    events = out["events"]
    n_train, n_val = 4, 2  # 26 samples and 11 samples in batches of 8
    scheds = [i for i, e in enumerate(events) if e[0] == "sched"]
    expect_equal(len(scheds), 4, hint="hint.ex04_scheduler_step", name="scheduler.step() calls in 4 epochs")
    start = 0
    for epoch, end in enumerate(scheds):
        segment = events[start:end]
        train = {e[2] for e in segment if e[0] == "batch" and e[1] == "train"}
        val_at = [i for i, e in enumerate(segment) if e[0] == "batch" and e[1] == "val" and e[2] == n_val - 1]
        done = bool(val_at) and any(e[0] == "forward" for e in segment[val_at[-1]:])
        if epoch == 0 and train == set(range(n_train)) and len(scheds) == 4 and not any(
                e[0] == "batch" and e[1] == "val" for e in events):
            fail(Msg("cmp.number", got="val_loader never iterated", expected="evaluate(model, val_loader, ...)"),
                 hint="hint.ex04_fit_history", name="validation")
        expect(train == set(range(n_train)) and done,
               Msg("cmp.number", got=f"scheduler.step() before the end of epoch {epoch}'s "
                                     f"{'validation' if train == set(range(n_train)) else 'training'}",
                   expected="training, validation, then scheduler.step()"),
               hint="hint.ex04_scheduler_step", name=f"epoch {epoch}")
        start = end + 1
    expect_history(history, px.reference_fit(**STEP_RUN), 4)


def read_scalars(folder: Path) -> dict:
    """{tag: [(step, value), ...]} from every event file under ``folder``."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    scalars: dict = {}
    for run in sorted({p.parent for p in folder.rglob("*tfevents*")}):
        acc = EventAccumulator(str(run), size_guidance={"scalars": 0})
        acc.Reload()
        for tag in acc.Tags().get("scalars", []):
            scalars.setdefault(tag, []).extend((e.step, e.value) for e in acc.Scalars(tag))
    return {tag: sorted(values) for tag, values in scalars.items()}


@check("ex04", "fit", 1, en="fit(log_dir=...) logs loss/train, loss/val, accuracy/val and lr once per epoch",
       zh="fit(log_dir=...) 每个 epoch 记录一次 loss/train、loss/val、accuracy/val 和 lr")
def test_fit_tensorboard_scalars(sub):
    import torch

    kwargs = dict(n=20, batch_size=8, seed=17, lr=0.3, val_n=9, epochs=3, scheduler=True, hidden=HIDDEN,
                  log_dir="tb_hidden/run")
    _, history = fit_history(sub, **kwargs)
    reference = px.reference_fit(**{k: v for k, v in kwargs.items() if k != "log_dir"})
    folder = sub.folder.work / "tb_hidden" / "run"
    scalars = read_scalars(folder) if folder.is_dir() else {}
    for tag, key in (("loss/train", "train_loss"), ("loss/val", "val_loss"), ("accuracy/val", "val_acc"),
                     ("lr", "lr")):
        expect(tag in scalars, Msg("cmp.number", got=sorted(scalars) or "no scalars", expected=tag),
               hint="hint.ex04_tensorboard", name="TensorBoard tags")
        values = scalars[tag]
        expect_length(values, 3, hint="hint.ex04_tensorboard", name=f"TensorBoard '{tag}' points")
        expect_equal(len({s for s, _ in values}), 3, hint="hint.ex04_tensorboard",
                     name=f"TensorBoard '{tag}': distinct steps")
        logged = torch.tensor([v for _, v in values], dtype=torch.float64)
        expected = [as_float(v, hint="hint.ex04_fit_history", name=f"history['{key}']") for v in history[key]]
        # the values logged must be the epoch's values: history's, or the right ones where history is wrong
        # (a wrong history costs points in the checks of the history, not here)
        if compare(logged, torch.tensor(reference[key], dtype=torch.float64), atol=1e-5, rtol=1e-4) is None:
            continue
        expect_close(logged, torch.tensor(expected, dtype=torch.float64), atol=1e-5, rtol=1e-4,
                     hint="hint.ex04_tensorboard", name=f"TensorBoard '{tag}' vs history['{key}']")


@check("ex04", "plot_history", 1, en="plot_history writes a real PNG image (signature, size, pixels)",
       zh="plot_history 写出真正的 PNG 图像（文件头、尺寸、像素）")
def test_plot_history_real_png(sub, ex04):
    import struct

    history = {"train_loss": [1.3, 0.9, 0.6, 0.5, 0.45], "val_loss": [1.4, 1.0, 0.8, 0.7, 0.72],
               "val_acc": [0.3, 0.55, 0.7, 0.8, 0.78], "lr": [0.1, 0.1, 0.05, 0.05, 0.025]}
    result = ex04.plot_history(history, Path("curves_hidden.png"))
    expect(isinstance(result, Path) and result.name == "curves_hidden.png",
           Msg("cmp.type", expected="Path('curves_hidden.png')", got=repr(result)[:80]), hint="hint.ex04_png",
           name="plot_history(...)")
    file = sub.folder.work / "curves_hidden.png"
    data = file.read_bytes() if file.is_file() else b""
    ok = data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24]) if ok else (0, 0)
    expect(ok and width > 0 and height > 0, Msg("cmp.number", got=repr(data[:16]) if data else "no file",
                                                expected="a PNG image"), hint="hint.ex04_png", name="curves_hidden.png")
    colors = 0
    try:
        from PIL import Image

        with Image.open(file) as img:
            img.load()
            colors = len(img.convert("RGB").getcolors(maxcolors=1 << 24) or [])
            size = img.size
    except Exception as exc:  # a truncated or corrupt file
        fail(Msg("cmp.number", got=f"{type(exc).__name__}: {exc}"[:120], expected="a readable PNG image"),
             hint="hint.ex04_png", name="curves_hidden.png")
    expect(size == (width, height) and colors > 1, Msg("cmp.number", got=f"{size}, {colors} colour(s)",
                                                        expected="a drawn figure"),
           hint="hint.ex04_png", name="curves_hidden.png")
