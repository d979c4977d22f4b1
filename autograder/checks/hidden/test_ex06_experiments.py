"""Hidden checks for ex06: the behaviours SPEC.md states, with other seeds, shapes and settings.

Optimizers and schedulers are judged by behaviour (a quadratic stepped in the
worker, lr sequences), experiments by what SPEC.md promises: fair starts, the
seed, Adam reaching 0.9 on iris, diverging runs returning nan, rankings with
nan last.
"""
import math

from ...feedback.catalog import Msg
from ..api import as_float, check, expect, expect_equal
from ..helpers.ex06 import (
    HISTORY_KEYS,
    OPTIMIZERS,
    SCHEDULERS,
    check_divergence_returned,
    check_lr_trace,
    check_optimizers,
    check_plot,
    check_same_seed_same_history,
    check_scheduler,
    checked_runs,
    expect_final_values,
    expect_unknown_name_error,
    run,
    summarize_hint,
    summarized,
)
from ..reference import ex06 as rx


@check("ex06", "make_optimizer", 1, en="each name builds the right optimizer and passes **kw on: 6 steps with "
       "weight_decay=0.1 on another quadratic match torch.optim (adam and adamw differ); an unknown name ('adamax') "
       "raises ValueError listing the valid ones",
       zh="每个名称都创建正确的优化器并传递 **kw：在另一个二次函数上用 weight_decay=0.1 走 6 步，与 torch.optim 一致"
          "（adam 与 adamw 不同）；未知的名称（'adamax'）抛出列出有效名称的 ValueError")
def test_make_optimizer_with_weight_decay(sub):
    check_optimizers(sub, OPTIMIZERS, lr=0.05, seed=7, shapes=((5,), (2, 3, 2)), steps=6, kw={"weight_decay": 0.1})
    expect_unknown_name_error(sub, "adamax")


@check("ex06", "make_scheduler", 1, en="make_scheduler's keyword arguments override the defaults "
       "(step_size, gamma, milestones, T_max)",
       zh="make_scheduler 的关键字参数会覆盖默认值（step_size、gamma、milestones、T_max）")
def test_make_scheduler_kw_override(sub):
    check_scheduler(sub, "step", 0.2, 40, {"step_size": 7, "gamma": 0.3})
    check_scheduler(sub, "multistep", 0.2, 40, {"milestones": [5, 12, 30], "gamma": 0.2})
    check_scheduler(sub, "exponential", 0.2, 40, {"gamma": 0.8})
    check_scheduler(sub, "cosine", 0.2, 40, {"T_max": 30})


@check("ex06", "lr_trace", 1, en="lr_trace gives the lr at the start of each epoch for every scheduler "
       "(first value base_lr, one value per epoch, **kw passed on)",
       zh="lr_trace 对每种调度器都给出每个 epoch 开始时的学习率（第一个值是 base_lr，每个 epoch 一个值，**kw 被传递）")
def test_lr_trace_every_scheduler(ex06):
    for name in SCHEDULERS:
        check_lr_trace(ex06, name, 0.05, 173)
    check_lr_trace(ex06, "multistep", 0.3, 25, {"milestones": [4, 9], "gamma": 0.1})


@check("ex06", "run_experiment", 1, en="run_experiment: every optimizer starts from the same weights for a seed, "
       "the same seed repeats the run, another seed changes it",
       zh="run_experiment：同一个 seed 下每个优化器从相同的权重开始，相同 seed 结果可复现，不同 seed 结果不同")
def test_run_experiment_fair_start(sub):
    # lr=0: the weights never move, so val_loss is the loss of the initial weights
    data = rx.iris(sub.data_dir)
    for name in ("sgd", "adam", "rmsprop"):
        history, final, _ = run(sub, name, 0.0, 1, seed=5)
        loss, _ = rx.evaluate(rx.initial_layers(5), *data["val"])
        got = as_float(history["val_loss"][0])
        expect(math.isclose(got, loss, rel_tol=1e-4, abs_tol=1e-5),
               Msg("cmp.number", got=f"{name}: {got:.6g}",
                   expected=Msg("value.ex06_lr0")),
               hint="hint.ex06_seed_model", name=f"run_experiment({name!r}, 0.0, epochs=1, seed=5)['val_loss']")
    check_same_seed_same_history(sub, "momentum", 0.05, 2, seed=5)
    _, _, model = run(sub, "sgd", 0.0, 1, seed=6, verify=False)
    start = rx.layers_of(model["init"]) if isinstance(model.get("init"), dict) else None
    expect(start is not None and rx.close(start, rx.initial_layers(6), atol=1e-6, rtol=1e-5),
           Msg("cmp.number", got=Msg("value.ex06_other_initial"), expected=Msg("value.ex06_initial_of", seed=6)),
           hint="hint.ex06_seed_used",
           name=Msg("label.ex06_initial_weights", call="run_experiment('sgd', 0.0, epochs=1, seed=6)"))


@check("ex06", "run_experiment", 1, en="run_experiment trains the MLP on min-max scaled iris: every training "
       "input lies in [0, 1]", zh="run_experiment 在 min-max 缩放后的 iris 上训练 MLP：每个训练输入都在 [0, 1] 内")
def test_run_experiment_scaled_inputs(sub):
    run(sub, "sgd", 0.3, 2, seed=2)  # every batch is identified among the grader's scaled training rows


@check("ex06", "run_experiment", 1, en="Adam at lr 0.01 reaches at least 0.9 validation accuracy on iris in 100 epochs",
       zh="Adam 在学习率 0.01 下训练 100 个 epoch，iris 的验证准确率至少达到 0.9")
def test_run_experiment_adam_accuracy(sub):
    call = "run_experiment('adam', 0.01, epochs=100, seed=3)"
    _, final, _ = run(sub, "adam", 0.01, 100, seed=3)
    _, acc = rx.evaluate(final, *rx.iris(sub.data_dir)["val"])
    expect(acc >= 0.9, Msg("cmp.number", got=f"{acc:.4f}", expected=">= 0.9"), hint="hint.ex06_adam_accuracy",
           name=Msg("label.ex06_val_acc_trained", call=call))


@check("ex06", "run_experiment", 1, en="a diverging run (SGD at lr 1e30) returns its nan/inf losses instead of raising",
       zh="发散的运行（SGD，学习率 1e30）返回 nan/inf 损失，而不是抛出异常")
def test_run_experiment_divergence(sub):
    check_divergence_returned(sub, 3, seed=2)


@check("ex06", "lr_sweep", 1, en="lr_sweep and compare_optimizers pass lr, optimizer, epochs and seed on: each "
       "history equals run_experiment's", zh="lr_sweep 和 compare_optimizers 会传递 lr、优化器、epochs 和 seed："
       "每个 history 都与 run_experiment 的结果相同")
def test_sweep_and_compare_pass_arguments(sub):
    checked_runs(sub, "lr_sweep", [0.5, 0.05], [("momentum", 0.5), ("momentum", 0.05)], 4, 3, ([0.5, 0.05],),
                 {"optimizer_name": "momentum", "epochs": 3, "seed": 4})
    checked_runs(sub, "compare_optimizers", ["rmsprop", "adamw"], [("rmsprop", 0.02), ("adamw", 0.02)], 4, 3,
                 (["rmsprop", "adamw"],), {"lr": 0.02, "epochs": 3, "seed": 4})


def check_ranking(ex06, finals, metric, finite_order, call):
    """The finite values in ``finite_order``, then every nan key (in any order among themselves)."""
    got = summarized(ex06, finals, metric, call)
    keys = [item[0] for item in got]
    n = len(finite_order)
    expect_equal(keys[:n], list(finite_order), hint=summarize_hint(keys, finals, finite_order),
                 name=Msg("label.ex06_best_first", call=call))
    nan_keys = {k for k, v in finals.items() if math.isnan(v)}
    expect(set(keys[n:]) == nan_keys,
           Msg("cmp.number", got=keys, expected=Msg("value.ex06_nan_last", order=str(list(finite_order)))),
           hint="hint.ex06_summarize_nan", name=Msg("label.ex06_nan_last", call=call))
    expect_final_values(got, finals, call)


@check("ex06", "summarize", 1, en="summarize ranks losses lowest first and accuracies highest first, nan runs last",
       zh="summarize 对损失从低到高、对准确率从高到低排名，nan 的运行排在最后")
def test_summarize_loss_and_nan(ex06):
    nan = float("nan")
    losses = {0.1: nan, 1.0: 0.35, 0.01: 0.9, 10.0: nan, 0.001: 1.05, 0.3: 0.2}
    check_ranking(ex06, losses, "val_loss", [0.3, 1.0, 0.01, 0.001], "summarize(results, 'val_loss')")
    accs = {"adam": nan, "sgd": 0.6, "momentum": 0.95, "rmsprop": 0.75}
    check_ranking(ex06, accs, "val_acc", ["momentum", "rmsprop", "sgd"], "summarize(results, 'val_acc')")


@check("ex06", "plot_comparison", 1,
       en="plot_comparison writes a real PNG image of a metric with nan values; saved as .svg, one line per run "
          "follows its values",
       zh="plot_comparison 为含 nan 的指标写出真正的 PNG 图像；保存为 .svg 时，每个运行的线都与其数值一致")
def test_plot_comparison_png_with_nan(sub, ex06):
    nan = float("nan")
    results = {lr: {key: values for key in HISTORY_KEYS} for lr, values in
               ((0.01, [1.1, 1.0, 0.97, 0.9]), (0.1, [1.1, 0.7, 0.5, 0.42]), (10.0, [1.1, 30.0, nan, nan]))}
    check_plot(sub, ex06, results, "val_loss", "comparison_hidden")
