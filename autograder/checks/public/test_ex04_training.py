"""Public checks for ex04: the training loop (train_one_epoch, evaluate, fit, plot_history).

The grader chooses the initial weights and the batches (``reference/ex04.py``) and sends them to
the worker, whose instruments build a logged network, loaders, SGD and StepLR around them and
call the student's function. The grader runs its own correct loop on the same tensors and
compares the returned loss, state dict and history with its own. Event files and plots are read
by the grader itself, within limits, and judged by what the grader's values determine.
"""
import torch

from ...engine.client import StudentError
from ...engine.worker import probes_ex04
from ...feedback.catalog import Msg
from ...feedback.reasons import reason
from .. import plot_structure_ex04 as plots
from ..api import (
    check,
    compare,
    curve,
    expect,
    expect_number,
    fail,
    hinted,
)
from ..helpers.ex04 import (
    HISTORY_KEYS,
    FitRun,
    cuda,
    epoch_probe,
    evaluate_probe,
    evaluate_result,
    expect_epoch_on_device,
    expect_epoch_weighted_mean,
    expect_eval_mode_no_grad,
    expect_evaluate_weighted,
    expect_float,
    expect_history,
    expect_logged,
    expect_lrs,
    expect_plot,
    expect_state,
    expect_train_mode,
    probe,
)
from ..reference import ex04 as ref


@check("ex04", "train_one_epoch", 1.5, en="train_one_epoch returns the epoch's loss as a Python float",
       zh="train_one_epoch 以 Python float 返回这个 epoch 的损失")
def test_train_one_epoch_returns_float(sub):
    # lr=0: the weights never move, so the epoch's loss is known whatever the update does
    out, state, data = epoch_probe(sub, 1, 32, 8, 0.0)
    value = expect_float(out["result"], "hint.ex04_return_float", "train_one_epoch(...)")
    losses = ref.batch_losses(state, data)
    expect_number(value, sum(b * v for b, v in losses) / sum(b for b, _ in losses), hint="hint.ex04_weighted_mean",
                  name="train_one_epoch(...)", atol=1e-5, rtol=1e-4)


@check("ex04", "train_one_epoch", 1.5, en="one epoch on 4 batches of 8 matches a reference SGD loop (loss and weights)",
       zh="4 个大小为 8 的批量训练一个 epoch，损失和权重与参考 SGD 循环一致")
def test_train_one_epoch_matches_reference(sub):
    out, state, data = epoch_probe(sub, 2, 32, 8, 0.1)
    want = ref.epoch(state, data, 0.1)
    expect_state(out["params"], want["state"], ref.epoch_mistake(out["events"], n_batches=4),
                 Msg("label.ex04_after_one_epoch"))
    value = expect_float(out["result"], "hint.ex04_return_float", "train_one_epoch(...)")
    expect_number(value, want["loss"], hint="hint.ex04_weighted_mean", name="train_one_epoch(...)",
                  atol=1e-5, rtol=1e-4)


@check("ex04", "train_one_epoch", 1.5, en="the loss falls over 4 epochs on the same model",
       zh="同一个模型训练 4 个 epoch，损失逐渐下降")
def test_train_one_epoch_loss_decreases(sub):
    out, state, data = epoch_probe(sub, 3, 32, 8, 0.2, epochs=4)
    want = ref.epoch(state, data, 0.2, epochs=4)
    losses = [expect_float(v, "hint.ex04_return_float", "train_one_epoch(...)") for v in out["results"]]
    curve("train_one_epoch(...), 4 epochs", {"train_loss": losses}, {"train_loss": want["losses"]})
    expect_state(out["params"], want["state"], ref.epoch_mistake(out["events"], n_batches=4),
                 Msg("label.ex04_after_epochs", epochs=4))
    problem = compare(torch.tensor(losses, dtype=torch.float64), torch.tensor(want["losses"], dtype=torch.float64),
                      atol=1e-5, rtol=1e-4)
    if problem is not None:
        fail(problem, hint="hint.ex04_loss_decreases", name=Msg("label.ex04_losses", epochs=4))


@check("ex04", "evaluate", 1.5, en="evaluate returns {'loss', 'accuracy'} matching a reference pass",
       zh="evaluate 返回 {'loss', 'accuracy'}，与参考结果一致")
def test_evaluate_returns_loss_and_accuracy(sub):
    out, state, data = evaluate_probe(sub, 4, 32, 8)
    loss, acc = evaluate_result(out["result"])
    expect(0.0 <= acc <= 1.0, Msg("cmp.number", got=f"{acc:.6g}", expected="a value in [0, 1]"),
           hint="hint.ex04_accuracy_fraction", name="evaluate(...)['accuracy']")
    want = ref.evaluate(state, data)
    expect_number(loss, want["loss"], hint="hint.ex04_weighted_mean", name="evaluate(...)['loss']",
                  atol=1e-5, rtol=1e-4)
    expect_number(acc, want["accuracy"], hint="hint.ex04_accuracy_samples", name="evaluate(...)['accuracy']",
                  atol=1e-6, rtol=1e-6)


@check("ex04", "fit", 1, en="fit returns a history of train_loss, val_loss, val_acc and lr, one float per epoch",
       zh="fit 返回 history：train_loss、val_loss、val_acc、lr，每个 epoch 一个 float")
def test_fit_history_keys_and_lengths(sub):
    run = FitRun(seed=5, n=32, batch_size=8, lr=0.1, val_n=16, epochs=3, scheduler=True)
    _, history = run.run(sub)
    curve("fit(...), 3 epochs with a scheduler", {k: history[k] for k in HISTORY_KEYS},
          {k: run.expected[k] for k in HISTORY_KEYS})
    expect_lrs(history, run.expected["lr"])
    expect_history(sub, history, run.expected, scheduled=True)


@check("ex04", "fit", 1, en="fit works without a scheduler and keeps the lr",
       zh="没有 scheduler 时 fit 也能运行，学习率保持不变")
def test_fit_without_scheduler(sub):
    run = FitRun(seed=6, n=32, batch_size=8, lr=0.05, val_n=16, epochs=2, scheduler=False)
    try:
        _, history = run.run(sub)
    except StudentError as exc:
        if exc.info.get("not_implemented"):
            raise
        fail(Msg("raised", func="fit", exc=exc.info.get("type", "?"), message=exc.info.get("message", "")),
             hint="hint.ex04_fit_no_scheduler")
    expect_lrs(history, run.expected["lr"], hint="hint.ex04_lr_start")
    expect_history(sub, history, run.expected, keys=("train_loss",))


@check("ex04", "fit", 1, en="fit(log_dir=...) writes a TensorBoard event file",
       zh="fit(log_dir=...) 写出 TensorBoard 事件文件")
def test_fit_writes_tensorboard_events(sub):
    run = FitRun(seed=7, n=24, batch_size=8, lr=0.1, val_n=8, epochs=2, scheduler=True)
    _, history = run.run(sub, log_dir="tb_public")
    expect_logged(sub, "tb_public", history, run.expected, 2)


@check("ex04", "plot_history", 1.5, en="plot_history writes a PNG file of the curves and returns its Path",
       zh="plot_history 写出曲线的 PNG 文件并返回它的 Path")
def test_plot_history_writes_png(sub, ex04):
    history = {"train_loss": [1.0, 0.7, 0.75, 0.5, 0.42, 0.4], "val_loss": [1.1, 0.8, 0.7, 0.72, 0.69, 0.6],
               "val_acc": [0.4, 0.6, 0.55, 0.7, 0.8, 0.78], "lr": [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]}
    expect_plot(sub, ex04, history, "curves_public")


@check("ex04", "train_one_epoch", 1, en="the epoch's loss is weighted by samples: 29 samples in batches of 8, "
       "the last batch holds 5", zh="epoch 的损失按样本加权：29 个样本、批量 8，最后一个批量只有 5 个样本")
def test_train_one_epoch_uneven_last_batch(sub):
    expect_epoch_weighted_mean(sub, 20, 29, 8)


@check("ex04", "evaluate", 1, en="evaluate runs the model in eval mode with gradients off (dropout 0.5 and BatchNorm, "
       "model given in train mode)",
       zh="evaluate 在 eval 模式、关闭梯度下运行模型（dropout 0.5、BatchNorm，传入时为训练模式）",
       in_process="torch.is_grad_enabled() in each forward")
def test_evaluate_eval_mode_no_grad(sub):
    expect_eval_mode_no_grad(sub, 21, 18, 6)


@check("ex04", "evaluate", 0.5, en="evaluate weights the loss by samples and counts accuracy over samples "
       "(29 samples in batches of 8)", zh="evaluate 的损失按样本加权，准确率按样本统计（29 个样本，批量 8）")
def test_evaluate_uneven_last_batch(sub):
    expect_evaluate_weighted(sub, 22, 29, 8)


@check("ex04", "plot_history", 0.5, en="plot_history creates the missing folders of its path (plots/run1/curves.png)",
       zh="plot_history 会创建路径中不存在的文件夹（plots/run1/curves.png）")
def test_plot_history_creates_folders(sub):
    from pathlib import Path

    history = {"train_loss": [0.9, 0.6, 0.5], "val_loss": [1.0, 0.7, 0.65], "val_acc": [0.5, 0.7, 0.75],
               "lr": [0.1, 0.1, 0.1]}
    path = "plots_public/run1/curves.png"
    with hinted("hint.ex04_plot_folder"):
        got = probe(sub, probes_ex04.plot_run, "plot_history", history=history, path=path)["result"]
    expect(isinstance(got, Path) and got.as_posix().endswith(path),
           Msg("cmp.type", expected=f"Path('{path}')", got=repr(got)[:80]), hint="hint.ex04_png",
           name="plot_history(...)")
    try:
        plots.png_size(sub.folder.work, path)
    except plots.NotAPlot as exc:
        fail(Msg("cmp.number", got=reason(exc.reason), expected=Msg("value.ex04_png")), hint="hint.ex04_png", name=path)


@check("ex04", "train_one_epoch", 0.5, en="train_one_epoch puts a model that comes in eval mode into train mode "
       "(BatchNorm)", zh="train_one_epoch 会把处于 eval 模式的模型切换到训练模式（BatchNorm）")
def test_train_one_epoch_sets_train_mode(sub):
    expect_train_mode(sub, 23, 24, 6)


@check("ex04", "train_one_epoch", 0.5, en="train_one_epoch moves inputs and targets to the device given "
       "(and runs on CUDA when there is a GPU)",
       zh="train_one_epoch 把输入和标签移到传入的 device 上（有 GPU 时在 CUDA 上实际运行）",
       in_process="the .to(device) call on each batch's inputs and targets")
def test_train_one_epoch_moves_batches(sub):
    for device in ["cpu"] + (["cuda"] if cuda(sub) else []):
        try:
            out, state, data = epoch_probe(sub, 24, 18, 8, 0.1, device=device, record=True)
        except StudentError as exc:
            if exc.info.get("not_implemented"):
                raise
            fail(Msg("raised", func="train_one_epoch", exc=exc.info.get("type", "?"),
                     message=exc.info.get("message", "")), hint="hint.ex04_device_hardcoded")
        expect_epoch_on_device(out, state, data, device)


@check("ex04", "fit", 0.5, en="fit(log_dir=...) logs each scalar once per epoch, at the epoch's step (3 epochs)",
       zh="fit(log_dir=...) 每个 epoch 记录每个标量一次，global_step 为该 epoch（3 个 epoch）")
def test_fit_tensorboard_one_point_per_epoch(sub):
    run = FitRun(seed=25, n=16, batch_size=8, lr=0.2, val_n=8, epochs=3, scheduler=True)
    _, history = run.run(sub, log_dir="tb_public_steps")
    expect_logged(sub, "tb_public_steps", history, run.expected, 3, distinct_steps=True)
