"""Helpers of ex04's checks, public and hidden: running its instruments, building inputs, and the
expectations both suites share. The checks themselves are in public/ and hidden/.
"""
import math

import torch

from ...engine import worker_files
from ...engine.client import StudentError
from ...engine.worker import probes, probes_ex04
from ...feedback.catalog import Msg
from ...feedback.reasons import reason
from .. import plot_structure_ex04 as plots
from .. import tensorboard_reader
from ..api import (
    as_float,
    compare,
    expect,
    expect_close,
    expect_equal,
    expect_length,
    expect_number,
    fail,
    run_probe,
)
from ..reference import ex04 as ref

MODULE = "ex04_training"


HISTORY_KEYS = ("train_loss", "val_loss", "val_acc", "lr")


def probe(sub, name, func, **kwargs):
    """Run probes_ex04.<name> in the worker; errors are reported against the student's ``func``."""
    return run_probe(sub, name, f"{MODULE}.{func}", **kwargs)


def expect_float(value, hint, name):
    """A Python float (not a tensor), finite."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(Msg("cmp.type", expected="float", got=type(value).__name__ if not isinstance(value, torch.Tensor)
                 else f"Tensor{list(value.shape)}"), hint=hint, name=name)
    expect(math.isfinite(value), Msg("cmp.number", got=repr(value), expected=Msg("value.finite_float")), hint=hint,
           name=name)
    return float(value)


def expect_state(got, expected: dict, hint, what, atol=1e-5, rtol=1e-4):
    """The state dict the worker returned equals the grader's, tensor by tensor; ``what`` says when
    (a Msg: ``Msg("label.ex04_after_call", call="fit")``)."""
    got = got if isinstance(got, dict) else {}
    for key, value in expected.items():
        name = Msg("label.ex04_state", param=f"model.{key}", when=what)
        if value.dtype == torch.int64:
            expect_close(got.get(key), value, atol=0, rtol=0, hint=hint, name=name)
        else:
            expect_close(got.get(key), value, atol=atol, rtol=rtol, hint=hint, name=name)


def epoch_probe(sub, seed, n, batch_size, lr, hidden=8, batchnorm=False, **kwargs):
    """train_one_epoch on grader-chosen weights and batches: (worker output, state, batches)."""
    state, data = ref.initial_state(seed, hidden, batchnorm), ref.batches(n, batch_size, seed)
    out = probe(sub, probes_ex04.epoch_run, "train_one_epoch", state=state, train=data, lr=lr, **kwargs)
    return out, state, data


def evaluate_probe(sub, seed, n, batch_size, hidden=8, batchnorm=False, dropout=0.0, **kwargs):
    state, data = ref.initial_state(seed, hidden, batchnorm), ref.batches(n, batch_size, seed)
    out = probe(sub, probes_ex04.evaluate_run, "evaluate", state=state, data=data, dropout=dropout, **kwargs)
    return out, state, data


def expect_train_mode(sub, seed, n, batch_size, **kwargs):
    """One epoch (lr 0.1) of a BatchNorm network that comes in eval mode: in train mode it normalises
    with each batch's statistics (and updates its running ones), in eval mode with the running ones,
    so the weights after the epoch tell the mode. ``kwargs`` go on to epoch_probe (``hidden=``)."""
    out, state, data = epoch_probe(sub, seed, n, batch_size, 0.1, batchnorm=True, start_mode="eval", **kwargs)
    want = ref.epoch(state, data, 0.1)
    modes = ref.forward_modes(out["events"])
    hint = "hint.ex04_train_mode" if modes and not all(modes) else ref.epoch_mistake(out["events"],
                                                                                     n_batches=len(data))
    expect_state(out["params"], want["state"], hint, Msg("label.ex04_after_one_epoch_eval"))


def expect_epoch_weighted_mean(sub, seed, n, batch_size, **kwargs):
    """train_one_epoch with lr=0 returns the sample-weighted mean of its batches' losses: the weights
    never move, so every batch's loss is known whatever the update does. Meant for an ``n`` that
    leaves a smaller last batch; ``kwargs`` go on to epoch_probe (``hidden=``)."""
    out, state, data = epoch_probe(sub, seed, n, batch_size, 0.0, **kwargs)
    value = expect_float(out["result"], "hint.ex04_return_float", "train_one_epoch(...)")
    losses = ref.batch_losses(state, data)
    expected = sum(b * loss for b, loss in losses) / sum(b for b, _ in losses)
    expect_number(value, expected, hint=mean_hint(value, losses), name="train_one_epoch(...)", atol=1e-5, rtol=1e-4)


def expect_epoch_on_device(out, state, data, device):
    """What epoch_probe(..., lr=0.1, device=device, record=True) returned: the weights and the loss
    of the grader's epoch, then (seen only in the worker) every batch moved to ``device``."""
    want = ref.epoch(state, data, 0.1)
    hint = "hint.ex04_device_hardcoded" if device != "cpu" else ref.epoch_mistake(out["events"], n_batches=len(data))
    expect_state(out["params"], want["state"], hint,
                 Msg("label.ex04_after_call", call=f"train_one_epoch(device={device!r})"))
    value = expect_float(out["result"], "hint.ex04_return_float", f"train_one_epoch(device={device!r})")
    expect_number(value, want["loss"], hint="hint.ex04_weighted_mean", name=f"train_one_epoch(device={device!r})",
                  atol=1e-5, rtol=1e-4)
    # then what only the worker saw, which can only take the point away
    expect_moved(out["moves"], "train", len(data), device, "train_one_epoch")


def expect_eval_mode_no_grad(sub, seed, n, batch_size, **kwargs):
    """evaluate of a network with dropout 0.5 and BatchNorm, given in train mode: only eval mode gives
    the grader's loss and accuracy and leaves the running statistics; then (seen only in the worker)
    every forward pass runs with gradients off. ``kwargs`` go on to evaluate_probe (``hidden=``)."""
    out, state, data = evaluate_probe(sub, seed, n, batch_size, batchnorm=True, dropout=0.5, start_mode="train",
                                      **kwargs)
    loss, acc = evaluate_result(out["result"])
    want = ref.evaluate(state, data, dropout=0.5)
    modes = ref.forward_modes(out["events"])
    hint = "hint.ex04_eval_mode" if any(modes) or not modes else "hint.ex04_weighted_mean"
    expect_number(loss, want["loss"], hint=hint, name="evaluate(...)['loss'] (dropout 0.5, BatchNorm)",
                  atol=1e-5, rtol=1e-4)
    expect_number(acc, want["accuracy"], hint="hint.ex04_eval_mode" if any(modes) else "hint.ex04_accuracy_samples",
                  name="evaluate(...)['accuracy'] (dropout 0.5, BatchNorm)", atol=1e-6, rtol=1e-6)
    expect_state(out["params"], want["state"], "hint.ex04_eval_mode", Msg("label.ex04_after_evaluate_bn"),
                 atol=0, rtol=0)
    # then what only the worker saw, which can only take the point away
    seen = forwards(out["events"])
    expect_length(seen, len(data), hint="hint.ex04_eval_params", name=Msg("label.ex04_forward_passes"))
    expect_equal([bool(e[2]) for e in seen], [False] * len(data), hint="hint.ex04_no_grad",
                 name=Msg("label.ex04_grad_each_forward"))


def expect_evaluate_weighted(sub, seed, n, batch_size, **kwargs):
    """evaluate weights the loss by samples and counts accuracy over samples (an ``n`` that leaves a
    smaller last batch): the grader's values. Returns (worker output, initial state) for further
    checks; ``kwargs`` go on to evaluate_probe (``hidden=``)."""
    out, state, data = evaluate_probe(sub, seed, n, batch_size, **kwargs)
    loss, acc = evaluate_result(out["result"])
    want = ref.evaluate(state, data)
    expect_number(loss, want["loss"], hint=mean_hint(loss, ref.batch_losses(state, data)),
                  name="evaluate(...)['loss']", atol=1e-5, rtol=1e-4)
    hint = "hint.ex04_accuracy_fraction" if acc > 1 else "hint.ex04_accuracy_samples"
    expect_number(acc, want["accuracy"], hint=hint, name="evaluate(...)['accuracy']", atol=1e-6, rtol=1e-6)
    return out, state


def evaluate_result(result):
    expect(isinstance(result, dict) and {"loss", "accuracy"} <= set(result),
           Msg("cmp.type", expected=Msg("value.dict_keys", keys="'loss', 'accuracy'"), got=repr(result)[:80]),
           hint="hint.ex04_eval_dict", name="evaluate(...)")
    loss = expect_float(result["loss"], "hint.ex04_eval_dict", "evaluate(...)['loss']")
    acc = expect_float(result["accuracy"], "hint.ex04_eval_dict", "evaluate(...)['accuracy']")
    return loss, acc


class FitRun:
    """fit on grader-chosen weights and batches, and what a correct fit gives on them."""

    def __init__(self, seed, n, batch_size, lr, val_n, epochs, scheduler=True, hidden=8, step_size=1, gamma=0.5):
        self.state = ref.initial_state(seed, hidden)
        self.train = ref.batches(n, batch_size, seed)
        self.val = ref.batches(val_n, batch_size, seed + 500)
        self.kwargs = dict(lr=lr, epochs=epochs, scheduler=scheduler, step_size=step_size, gamma=gamma)
        self.epochs = epochs
        self._expected = None

    @property
    def expected(self) -> dict:
        if self._expected is None:
            self._expected = ref.fit(self.state, self.train, self.val, **self.kwargs)
        return self._expected

    def run(self, sub, **extra):
        out = probe(sub, probes_ex04.fit_run, "fit", state=self.state, train=self.train, val=self.val, **self.kwargs,
                    **extra)
        history = out["result"]
        expect(isinstance(history, dict) and set(HISTORY_KEYS) <= set(history),
               Msg("cmp.type", expected=Msg("value.dict_keys", keys=", ".join(HISTORY_KEYS)),
                   got=sorted(map(str, history)) if isinstance(history, dict) else type(history).__name__),
               hint="hint.ex04_fit_history", name="fit(...)")
        for key in HISTORY_KEYS:
            expect_length(history[key], self.epochs, hint="hint.ex04_fit_history", name=f"history['{key}']")
            for value in history[key]:
                expect_float(value, "hint.ex04_fit_history", f"history['{key}']")
        return out, history


def helpers_hint(sub) -> str:
    """fit's history comes from train_one_epoch and evaluate: when those are wrong (judged here on
    small grader-chosen inputs), the hint of fit names them; otherwise it names fit."""
    try:
        out, state, data = epoch_probe(sub, 90, 16, 8, 0.1)
        want = ref.epoch(state, data, 0.1)
        ok = compare(torch.tensor(float(out["result"]) if isinstance(out["result"], (int, float)) else math.nan),
                     torch.tensor(want["loss"]), atol=1e-5, rtol=1e-4) is None
        ok = ok and all(compare(out["params"].get(k), v, atol=1e-5, rtol=1e-4) is None
                        for k, v in want["state"].items())
        out, state, data = evaluate_probe(sub, 91, 16, 8)
        want = ref.evaluate(state, data)
        result = out["result"] if isinstance(out["result"], dict) else {}
        ok = ok and ref.isclose(result.get("loss"), want["loss"]) and ref.isclose(result.get("accuracy"),
                                                                                    want["accuracy"], 1e-6, 1e-6)
    except (StudentError, TypeError, ValueError, AttributeError):
        ok = False
    return "hint.ex04_fit_history" if ok else "hint.ex04_fit_helpers"


def expect_history(sub, history, expected, keys=("train_loss", "val_loss", "val_acc"), scheduled=False):
    """history[key] equals the grader's correct fit, key by key. With a scheduler, training losses
    that differ while the helpers are right point to the scheduler's step (before training)."""
    for key in keys:
        got = torch.tensor([float(v) for v in history[key]], dtype=torch.float64)
        problem = compare(got, torch.tensor(expected[key], dtype=torch.float64), atol=1e-5, rtol=1e-4)
        if problem is not None:
            hint = helpers_hint(sub)
            if hint == "hint.ex04_fit_history" and scheduled and key == "train_loss":
                hint = "hint.ex04_scheduler_step"
            fail(problem, hint=hint, name=f"history['{key}']")


def expect_lrs(history, expected: list, hint="hint.ex04_scheduler_step"):
    got = [as_float(v, hint="hint.ex04_fit_history", name="history['lr']") for v in history["lr"]]
    # one epoch ahead: read after scheduler.step(); anything else: the scheduler's steps
    ahead = len(expected) > 1 and all(math.isclose(g, e, rel_tol=1e-7, abs_tol=1e-12)
                                      for g, e in zip(got, expected[1:]))
    for g, e in zip(got, expected):
        expect_number(g, e, hint="hint.ex04_lr_start" if ahead else hint, name="history['lr']", atol=1e-9, rtol=1e-7)


def expect_logged(sub, folder: str, history, expected: dict, epochs: int, distinct_steps: bool = False):
    """The TensorBoard scalars under ``folder`` hold the epoch's values: the grader's own."""
    try:
        scalars, refused = tensorboard_reader.read_scalars(sub.folder.work, folder)
    except worker_files.UnsafeFile as exc:
        fail(Msg("cmp.number", got=reason(f"{folder}: {exc.reason}"), expected=f"{folder}/events.out.tfevents.*"),
             hint="hint.ex04_tensorboard", name="log_dir")
    except tensorboard_reader.TooMuch as exc:
        fail(Msg("cmp.number", got=reason(str(exc)), expected=Msg("value.ex04_few_scalars")),
             hint="hint.ex04_tensorboard", name="log_dir")
    expect(scalars, Msg("cmp.number", got=reason("; ".join(refused)) if refused else Msg("value.ex04_no_events"),
                        expected=f"{folder}/events.out.tfevents.*"), hint="hint.ex04_tensorboard", name="log_dir")
    for tag, key in (("loss/train", "train_loss"), ("loss/val", "val_loss"), ("accuracy/val", "val_acc"),
                     ("lr", "lr")):
        expect(tag in scalars, Msg("cmp.number", got=sorted(scalars), expected=tag), hint="hint.ex04_tensorboard",
               name=Msg("label.ex04_tb_tags"))
        values = scalars[tag]
        expect_length(values, epochs, hint="hint.ex04_tensorboard", name=Msg("label.ex04_tb_points", tag=tag))
        if distinct_steps:
            expect(len({s for s, _ in values}) == epochs,
                   Msg("cmp.number", got=[s for s, _ in values], expected=Msg("value.ex04_steps", epochs=epochs)),
                   hint="hint.ex04_tensorboard", name=Msg("label.ex04_tb_steps", tag=tag))
        logged = torch.tensor([v for _, v in values], dtype=torch.float64)
        problem = compare(logged, torch.tensor(expected[key], dtype=torch.float64), atol=1e-5, rtol=1e-4)
        if problem is None:
            continue
        mirrors = compare(logged, torch.tensor([float(v) for v in history[key]], dtype=torch.float64),
                          atol=1e-5, rtol=1e-4) is None
        # the values logged are those of the returned history, which is wrong itself: name why
        fail(problem, hint=helpers_hint(sub) if mirrors else "hint.ex04_tensorboard",
             name=f"TensorBoard '{tag}'")


def expect_plot(sub, ex04, history: dict, name: str, hint="hint.ex04_png"):
    """plot_history writes ``name``.png (a PNG of bounded size, header read only) and returns its
    Path; saved again as ``name``.svg, the figure holds two curves that follow the losses and one
    that follows the accuracy (up to the axes' affine maps)."""
    from pathlib import Path

    with_png = probe(sub, probes_ex04.plot_run, "plot_history", history=history, path=f"{name}.png")["result"]
    expect(isinstance(with_png, Path) and with_png.name == f"{name}.png",
           Msg("cmp.type", expected=f"Path('{name}.png')", got=repr(with_png)[:80]), hint=hint,
           name="plot_history(...)")
    try:
        plots.png_size(sub.folder.work, f"{name}.png")
        probe(sub, probes_ex04.plot_run, "plot_history", history=history, path=f"{name}.svg", svg=True)
        curves = plots.svg_curves(sub.folder.work, f"{name}.svg")
    except plots.NotAPlot as exc:
        fail(Msg("cmp.number", got=reason(exc.reason), expected=Msg("value.ex04_png")), hint=hint, name=f"{name}.png")
    taken = set()
    for key, what in (("train_loss", "train loss"), ("val_loss", "validation loss"),
                      ("val_acc", "validation accuracy")):
        found = plots.find_curve(curves, history[key], taken)
        expect(found is not None, Msg("cmp.number", got=Msg("value.ex04_no_curve", series=key),
                                      expected=Msg("value.ex04_curve", series=key)),
               hint="hint.ex04_plot_curves", name=f"plot_history(...): {what}")
        taken.add(found)


def mean_hint(value: float, losses: list) -> str:
    """Which mistake an epoch loss that is not the sample-weighted mean of ``losses`` points to."""
    if losses and math.isclose(value, losses[-1][1], rel_tol=1e-4, abs_tol=1e-5):
        return "hint.ex04_last_batch_loss"
    return "hint.ex04_weighted_mean"


def forwards(events):
    return [e for e in events if isinstance(e, list) and e and e[0] == "forward"] if isinstance(events, list) else []


def cuda(sub) -> bool:
    return bool(sub.probe(probes.cuda_available)())


def expect_moved(moves, loader, n_batches, device_type, func):
    moves = moves if isinstance(moves, list) else []
    seen = {(tuple(m[0]), m[1]) for m in moves if isinstance(m, list) and len(m) == 2 and isinstance(m[0], list)
            and len(m[0]) == 3 and m[0][0] == loader}
    for i in range(n_batches):
        for part in ("x", "y"):
            ok = any(tag == (loader, i, part) and isinstance(dev, str) and dev.split(":")[0] == device_type
                     for tag, dev in seen)
            what = "inputs" if part == "x" else "targets"
            expect(ok, Msg("cmp.number", got=Msg("value.ex04_not_moved", batch=i, what=what),
                           expected=f"{what}.to({device_type!r})"),
                   hint="hint.ex04_device_moves", name=f"{func}: .to(device)")
