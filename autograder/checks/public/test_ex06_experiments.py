"""Public checks for ex06: optimizers, schedulers, experiments, plots and rankings.

make_optimizer and make_scheduler are judged by behaviour: the student's
optimizer steps a fixed quadratic in the worker (``probes_ex06``) and its
trajectory is compared with torch.optim's class and the handout's settings built
here; a scheduler's lr sequence is compared with torch's scheduler.
"""
import math

from ...feedback.catalog import Msg
from ..api import (
    as_float,
    check,
    expect,
)
from ..helpers.ex06 import (
    OPTIMIZERS,
    SCHEDULERS,
    check_divergence_returned,
    check_lr_trace,
    check_optimizers,
    check_plot,
    check_same_seed_same_history,
    check_scheduler,
    check_summary,
    checked_runs,
    expect_unknown_name_error,
    run,
)


@check("ex06", "make_optimizer", 1.5, en="each name builds the right optimizer: 5 steps on a quadratic match "
       "torch.optim (sgd, momentum=0.9, adagrad, rmsprop, adam, adamw)",
       zh="每个名称都创建正确的优化器：在二次函数上走 5 步，与 torch.optim 一致"
          "（sgd、momentum=0.9、adagrad、rmsprop、adam、adamw）")
def test_make_optimizer_matches_torch(sub):
    check_optimizers(sub, OPTIMIZERS, lr=0.1, seed=1, shapes=((3, 4), (4,)), steps=5)


@check("ex06", "make_optimizer", 0.5, en="an unknown name raises ValueError listing the valid names",
       zh="未知的名称会抛出 ValueError，并列出所有有效名称")
def test_make_optimizer_unknown_name(sub):
    expect_unknown_name_error(sub, "nesterov")


@check("ex06", "make_scheduler", 0.5, en="make_scheduler's defaults: the lr of 200 epochs equals StepLR(50, 0.5), "
       "MultiStepLR([50,100,160], 0.5), ExponentialLR(0.9), CosineAnnealingLR(200)",
       zh="make_scheduler 的默认参数：200 个 epoch 的学习率与 StepLR(50, 0.5)、MultiStepLR([50,100,160], 0.5)、"
          "ExponentialLR(0.9)、CosineAnnealingLR(200) 一致")
def test_make_scheduler_defaults(sub):
    for name in SCHEDULERS:
        check_scheduler(sub, name, base_lr=0.1, epochs=200)


@check("ex06", "lr_trace", 1, en="lr_trace('step') gives 200 floats, the lr at the start of each epoch (0.1, then "
       "halved every 50)",
       zh="lr_trace('step') 返回 200 个 float，即每个 epoch 开始时的学习率（0.1，每 50 个 epoch 减半）")
def test_lr_trace_step_defaults(ex06):
    check_lr_trace(ex06, "step", 0.1, 200, default_args=True)
    check_lr_trace(ex06, "exponential", 0.5, 6)


@check("ex06", "run_experiment", 0.5, en="run_experiment returns the history of the training it did: train_loss, "
       "val_loss, val_acc, lr, one float per epoch",
       zh="run_experiment 返回它实际训练的 history：train_loss、val_loss、"
       "val_acc、lr，每个 epoch 一个 float")
def test_run_experiment_history(sub):
    history, _, _ = run(sub, "sgd", 0.1, 3)
    for value in history["lr"]:
        expect(math.isclose(as_float(value), 0.1, rel_tol=1e-9), Msg("cmp.number", got=value, expected=0.1),
               hint="hint.ex06_history", name="run_experiment('sgd', 0.1, epochs=3)['lr']")


@check("ex06", "run_experiment", 1, en="the same seed gives the same history twice",
       zh="相同的 seed 两次得到完全相同的 history")
def test_run_experiment_same_seed_same_history(sub):
    check_same_seed_same_history(sub, "momentum", 0.05, 3, seed=1)


@check("ex06", "lr_sweep", 0.5, en="lr_sweep returns {lr: history} in the order given",
       zh="lr_sweep 按给定顺序返回 {lr: history}")
def test_sweep_keys(sub):
    checked_runs(sub, "lr_sweep", [0.01, 0.1], [("sgd", 0.01), ("sgd", 0.1)], 0, 2, ([0.01, 0.1],), {"epochs": 2})


@check("ex06", "compare_optimizers", 0.5, en="compare_optimizers returns {name: history} in the order given",
       zh="compare_optimizers 按给定顺序返回 {name: history}")
def test_compare_keys(sub):
    checked_runs(sub, "compare_optimizers", ["sgd", "adam"], [("sgd", 0.01), ("adam", 0.01)], 0, 2,
                 (["sgd", "adam"],), {"epochs": 2})


@check("ex06", "plot_comparison", 0.5, en="plot_comparison writes a real PNG image and returns its Path; saved as "
       ".svg, its figure has one line per run of the metric", zh="plot_comparison 写出真正的 PNG 图像并返回它的 Path；"
       "保存为 .svg 时，图中每个运行都有一条该指标的线")
def test_plot_comparison_png(sub, ex06):
    results = {"sgd": {"train_loss": [1.1, 0.9, 0.8], "val_loss": [1.0, 0.9, 0.85], "val_acc": [0.3, 0.5, 0.6],
                       "lr": [0.1] * 3},
               "adam": {"train_loss": [1.0, 0.5, 0.3], "val_loss": [0.9, 0.5, 0.35], "val_acc": [0.4, 0.8, 0.9],
                        "lr": [0.1] * 3}}
    check_plot(sub, ex06, results, "val_acc", "comparison_public")


@check("ex06", "summarize", 1, en="summarize ranks by the final value, highest accuracy first and nan last",
       zh="summarize 按最终值排名：准确率最高的在前，nan 在最后")
def test_summarize_accuracy(ex06):
    finals = {"c": float("nan"), "a": 0.7, "b": 0.9, "d": 0.8}
    check_summary(ex06, finals, "val_acc", ["b", "d", "a", "c"], "summarize(results, 'val_acc')")


@check("ex06", "make_optimizer", 0.5, en="make_optimizer passes **kw on: 4 steps with weight_decay=0.05 match "
       "torch.optim for every name",
       zh="make_optimizer 会传递 **kw：每个名称用 weight_decay=0.05 走 4 步，与 torch.optim 一致")
def test_make_optimizer_passes_kw(sub):
    check_optimizers(sub, OPTIMIZERS, lr=0.1, seed=2, shapes=((2, 3),), steps=4, kw={"weight_decay": 0.05})


@check("ex06", "make_scheduler", 0.5, en="make_scheduler's keyword arguments override the defaults "
       "(step_size=3, gamma=0.2; gamma=0.5)",
       zh="make_scheduler 的关键字参数会覆盖默认值（step_size=3, gamma=0.2；gamma=0.5）")
def test_make_scheduler_kw_overrides(sub):
    check_scheduler(sub, "step", 0.1, 12, {"step_size": 3, "gamma": 0.2})
    check_scheduler(sub, "exponential", 0.1, 12, {"gamma": 0.5})


@check("ex06", "lr_sweep", 0.5, en="lr_sweep passes seed and epochs on: lr_sweep([0.1], epochs=2, seed=2) is "
       "run_experiment('sgd', 0.1, epochs=2, seed=2)",
       zh="lr_sweep 会传递 seed 和 epochs：lr_sweep([0.1], epochs=2, seed=2) 与 run_experiment('sgd', 0.1, epochs=2, "
          "seed=2) 相同")
def test_sweep_passes_seed(sub):
    checked_runs(sub, "lr_sweep", [0.1], [("sgd", 0.1)], 2, 2, ([0.1],), {"epochs": 2, "seed": 2})


@check("ex06", "run_experiment", 0.5, en="a diverging run (SGD at lr 1e30) returns its nan/inf losses instead of "
       "raising", zh="发散的运行（SGD，学习率 1e30）返回 nan/inf 损失，而不是抛出异常")
def test_run_experiment_returns_divergence(sub):
    check_divergence_returned(sub, 2, seed=1)


@check("ex06", "summarize", 0.5, en="summarize(results, 'val_loss') ranks the lowest loss first, nan last",
       zh="summarize(results, 'val_loss') 把最低的损失排在最前，nan 排在最后")
def test_summarize_loss_lowest_first(ex06):
    finals = {0.1: 0.4, 1.0: float("nan"), 0.01: 0.8, 0.3: 0.25}
    check_summary(ex06, finals, "val_loss", [0.3, 0.1, 0.01, 1.0], "summarize(results, 'val_loss')")
