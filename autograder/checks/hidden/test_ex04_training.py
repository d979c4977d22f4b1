"""Hidden checks for ex04: the behaviours SPEC.md states for the training loop.

Other seeds and shapes than the public checks. The grader chooses the weights and batches and
computes every expected value itself (``reference/ex04.py``): train mode is judged with a
BatchNorm network that comes in eval mode (its weights after an epoch differ otherwise), eval
mode with dropout and BatchNorm (the loss differs otherwise). What only the worker can see
(gradients enabled in evaluate, .to(device) on each batch, scheduler.step() after validation)
can only take a check's points away (``in_process``).
"""
from ...engine.client import StudentError
from ...feedback.catalog import Msg
from ..api import check, expect, expect_equal, expect_number, raised
from ..helpers.ex04 import (
    FitRun,
    cuda,
    epoch_probe,
    evaluate_probe,
    evaluate_result,
    expect_epoch_on_device,
    expect_epoch_weighted_mean,
    expect_eval_mode_no_grad,
    expect_evaluate_weighted,
    expect_history,
    expect_logged,
    expect_lrs,
    expect_moved,
    expect_plot,
    expect_state,
    expect_train_mode,
)
from ..reference import ex04 as ref

HIDDEN = 6  # a hidden width the public checks do not use


# --- train_one_epoch ------------------------------------------------------------------
@check("ex04", "train_one_epoch", 1, en="train_one_epoch puts a model that comes in eval mode into train mode",
       zh="train_one_epoch 会把处于 eval 模式的模型切换到训练模式")
def test_train_one_epoch_calls_model_train(sub):
    expect_train_mode(sub, 8, 20, 6, hidden=HIDDEN)


@check("ex04", "train_one_epoch", 2, en="weights after one epoch (37 samples, batches of 8) equal those of SGD "
       "with gradients zeroed every step", zh="一个 epoch（37 个样本，批量 8）后的权重与每步清零梯度的 SGD 一致")
def test_train_one_epoch_zeroes_gradients(sub):
    out, state, data = epoch_probe(sub, 9, 37, 8, 0.2, hidden=HIDDEN)
    want = ref.epoch(state, data, 0.2)
    expect_state(out["params"], want["state"], ref.epoch_mistake(out["events"], n_batches=5),
                 Msg("label.ex04_after_one_epoch"))


@check("ex04", "train_one_epoch", 2, en="train_one_epoch returns the sample-weighted mean loss (last batch of 5)",
       zh="train_one_epoch 返回按样本加权的平均损失（最后一个批量只有 5 个样本）")
def test_train_one_epoch_sample_weighted_mean(sub):
    expect_epoch_weighted_mean(sub, 12, 37, 8, hidden=HIDDEN)


@check("ex04", "train_one_epoch", 1, en="train_one_epoch and evaluate move inputs and targets to the device "
       "(and run on CUDA when there is a GPU)",
       zh="train_one_epoch 和 evaluate 把输入和标签移到 device 上（有 GPU 时在 CUDA 上实际运行）",
       in_process="the .to(device) call on each batch's inputs and targets")
def test_batches_moved_to_device(sub):
    for device in ["cpu"] + (["cuda"] if cuda(sub) else []):
        try:
            out, state, data = epoch_probe(sub, 13, 20, 8, 0.1, hidden=HIDDEN, device=device, record=True)
        except StudentError as exc:
            raised(exc, "train_one_epoch", "hint.ex04_device_hardcoded")
        expect_epoch_on_device(out, state, data, device)
        try:
            out, state, data = evaluate_probe(sub, 13, 20, 8, hidden=HIDDEN, device=device, record=True)
        except StudentError as exc:
            raised(exc, "evaluate", "hint.ex04_device_hardcoded")
        loss, acc = evaluate_result(out["result"])
        want = ref.evaluate(state, data)
        expect_number(loss, want["loss"], hint="hint.ex04_weighted_mean", name=f"evaluate(device={device!r})['loss']",
                      atol=1e-5, rtol=1e-4)
        expect_moved(out["moves"], "train", 3, device, "evaluate")


# --- evaluate ----------------------------------------------------------------------------
@check("ex04", "evaluate", 2, en="evaluate runs the model in eval mode with gradients off (no_grad or inference_mode)",
       zh="evaluate 在 eval 模式、关闭梯度（no_grad 或 inference_mode）下运行模型",
       in_process="torch.is_grad_enabled() in each forward")
def test_evaluate_eval_mode_and_no_grad(sub):
    expect_eval_mode_no_grad(sub, 14, 21, 7, hidden=HIDDEN)


@check("ex04", "evaluate", 2, en="evaluate: sample-weighted loss, accuracy over samples, weights untouched "
       "(37 samples, batches of 8)", zh="evaluate：按样本加权的损失、按样本统计的准确率、权重不变（37 个样本，批量 8）")
def test_evaluate_sample_weighted_and_accuracy(sub):
    out, state = expect_evaluate_weighted(sub, 10, 37, 8, hidden=HIDDEN)
    expect_state(out["params"], state, "hint.ex04_eval_params", Msg("label.ex04_after_call", call="evaluate"), atol=0,
                 rtol=0)


# --- fit -----------------------------------------------------------------------------------
@check("ex04", "fit", 1, en="fit without a scheduler: 3 epochs of history equal a reference loop, constant lr",
       zh="没有 scheduler 的 fit：3 个 epoch 的 history 与参考循环一致，学习率不变")
def test_fit_without_scheduler_matches_reference(sub):
    run = FitRun(seed=15, n=30, batch_size=8, lr=0.1, val_n=13, epochs=3, scheduler=False, hidden=HIDDEN)
    try:
        out, history = run.run(sub)
    except StudentError as exc:
        raised(exc, "fit", "hint.ex04_fit_no_scheduler")
    expect_lrs(history, run.expected["lr"], hint="hint.ex04_lr_start")
    expect_history(sub, history, run.expected)
    expect_state(out["params"], run.expected["state"], "hint.ex04_fit_history",
                 Msg("label.ex04_after_call", call="fit"))


def step_run():
    return FitRun(seed=16, n=26, batch_size=8, lr=0.2, val_n=11, epochs=4, scheduler=True, hidden=HIDDEN,
                  step_size=1, gamma=0.5)


@check("ex04", "fit", 1, en="history['lr'] is the lr used during each epoch (StepLR halving it every epoch)",
       zh="history['lr'] 是每个 epoch 训练时使用的学习率（StepLR 每个 epoch 减半）")
def test_fit_lr_is_read_at_epoch_start(sub):
    run = step_run()
    out, history = run.run(sub)
    expect_lrs(history, run.expected["lr"])
    # the lr is the one used: the training losses and the weights are those of this schedule
    expect_history(sub, history, run.expected, keys=("train_loss",), scheduled=True)
    expect_state(out["params"], run.expected["state"], "hint.ex04_scheduler_step",
                 Msg("label.ex04_after_call", call="fit"))


@check("ex04", "fit", 1, en="scheduler.step() runs once per epoch, after that epoch's validation",
       zh="scheduler.step() 每个 epoch 调用一次，并且在该 epoch 的验证之后",
       in_process="the order of training, validation and scheduler.step() in each epoch")
def test_fit_scheduler_steps_after_validation(sub):
    run = step_run()
    out, history = run.run(sub)
    expect_lrs(history, run.expected["lr"])
    expect_history(sub, history, run.expected, scheduled=True)
    events = out["events"] if isinstance(out["events"], list) else []
    n_train, n_val = 4, 2  # 26 samples and 11 samples in batches of 8
    scheds = [i for i, e in enumerate(events) if isinstance(e, list) and e and e[0] == "sched"]
    expect_equal(len(scheds), 4, hint="hint.ex04_scheduler_step", name=Msg("label.ex04_scheduler_calls", epochs=4))
    start = 0
    for epoch, end in enumerate(scheds):
        segment = [e for e in events[start:end] if isinstance(e, list) and len(e) >= 1]
        train = {e[2] for e in segment if e[0] == "batch" and len(e) > 2 and e[1] == "train"}
        val_at = [i for i, e in enumerate(segment) if e[0] == "batch" and len(e) > 2 and e[1] == "val"
                  and e[2] == n_val - 1]
        done = bool(val_at) and any(e[0] == "forward" for e in segment[val_at[-1]:])
        expect(train == set(range(n_train)) and done,
               Msg("cmp.number", got=Msg("value.ex04_step_early", epoch=epoch,
                                         part=Msg("value.ex04_validation" if train == set(range(n_train))
                                                                          else "value.ex04_training")),
                   expected=Msg("value.ex04_step_order")),
               hint="hint.ex04_scheduler_step", name=f"epoch {epoch}")
        start = end + 1


@check("ex04", "fit", 1, en="fit(log_dir=...) logs loss/train, loss/val, accuracy/val and lr once per epoch",
       zh="fit(log_dir=...) 每个 epoch 记录一次 loss/train、loss/val、accuracy/val 和 lr")
def test_fit_tensorboard_scalars(sub):
    run = FitRun(seed=17, n=20, batch_size=8, lr=0.3, val_n=9, epochs=3, scheduler=True, hidden=HIDDEN)
    _, history = run.run(sub, log_dir="tb_hidden/run")
    expect_logged(sub, "tb_hidden/run", history, run.expected, 3, distinct_steps=True)


@check("ex04", "plot_history", 1, en="plot_history writes a real PNG image of the two loss curves and the accuracy",
       zh="plot_history 写出真正的 PNG 图像，画出两条损失曲线和准确率曲线")
def test_plot_history_real_png(sub, ex04):
    import torch

    g = torch.Generator().manual_seed(41)
    n = 7
    history = {"train_loss": (1.5 * torch.rand(n, generator=g, dtype=torch.float64) + 0.2).tolist(),
               "val_loss": (1.2 * torch.rand(n, generator=g, dtype=torch.float64) + 0.3).tolist(),
               "val_acc": (0.6 * torch.rand(n, generator=g, dtype=torch.float64) + 0.3).tolist(),
               "lr": [0.1 * 0.5 ** (i // 3) for i in range(n)]}
    expect_plot(sub, ex04, history, "curves_hidden")
