"""Helpers of ex06's checks, public and hidden: running its instruments, building inputs, and the
expectations both suites share. The checks themselves are in public/ and hidden/.
"""
import math
import re
from pathlib import Path

import torch

from ...engine import worker_files
from ...engine.client import StudentError
from ...engine.worker import probes_ex06
from ...feedback.catalog import Msg
from ...feedback.reasons import reason
from .. import svg_plot
from ..api import (
    as_float,
    compare,
    curve,
    expect,
    expect_close,
    expect_equal,
    expect_length,
    fail,
    hinted,
    run_probe,
)
from ..reference import ex06 as rx
from ..reference.memo import remembered

MODULE = "ex06_experiments"


OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw")


HISTORY_KEYS = ("train_loss", "val_loss", "val_acc", "lr")


def probe(sub, probe_name, func, **kwargs):
    """Run probes_ex06.<probe_name> in the worker; errors are reported against the student's ``func``."""
    return run_probe(sub, probe_name, f"{MODULE}.{func}", **kwargs)


def spec_optimizer(name):
    """torch.optim class and the handout's settings behind each name."""
    return {
        "sgd": (torch.optim.SGD, {}),
        "momentum": (torch.optim.SGD, {"momentum": 0.9}),
        "adagrad": (torch.optim.Adagrad, {}),
        "rmsprop": (torch.optim.RMSprop, {}),
        "adam": (torch.optim.Adam, {}),
        "adamw": (torch.optim.AdamW, {}),
    }[name]


@remembered
def trajectory(cls, kwargs, seed, shapes, steps):
    return probes_ex06.quadratic_trajectory(lambda p: cls(p, **kwargs), seed, shapes, steps)["trajectory"]


def label(cls, kwargs):
    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return f"torch.optim.{cls.__name__}({args})"


def optimizer_mistake(name, got, lr, kw, seed, shapes, steps):
    """The hint for a trajectory that is not the expected one: which optimizer it looks like."""
    cls, defaults = spec_optimizer(name)
    if kw and compare(got, trajectory(cls, {"lr": lr, **defaults}, seed, shapes, steps)) is None:
        return Msg("hint.ex06_optimizer_kw")
    if compare(got, trajectory(cls, {**defaults, **kw}, seed, shapes, steps)) is None:
        return Msg("hint.ex06_optimizer_lr")
    candidates = [(o, *spec_optimizer(o)) for o in OPTIMIZERS if o != name]
    candidates += [("momentum", torch.optim.SGD, {"momentum": 0.9, "nesterov": True}),
                   ("momentum", torch.optim.SGD, {"momentum": 0.5}),
                   ("momentum", torch.optim.SGD, {"momentum": 0.99}),
                   ("adam", torch.optim.Adam, {"weight_decay": 0.01}),
                   ("adamw", torch.optim.AdamW, {"weight_decay": 0.0}),
                   ("rmsprop", torch.optim.RMSprop, {"momentum": 0.9})]
    for other, ocls, odefaults in candidates:
        for extra in ([kw, {}] if kw else [{}]):
            settings = {"lr": lr, **odefaults, **extra}
            if compare(got, trajectory(ocls, settings, seed, shapes, steps)) is not None:
                continue
            if name == "momentum" and ocls is torch.optim.SGD:
                return Msg("hint.ex06_momentum")
            if {name, other} == {"adam", "adamw"}:
                return Msg("hint.ex06_adam_adamw")
            return Msg("hint.ex06_optimizer_class", name=name, looks_like=label(ocls, settings),
                       expected=label(cls, {"lr": lr, **defaults, **kw}))
    return Msg("hint.ex06_optimizer_unknown", name=name, expected=label(cls, {"lr": lr, **defaults, **kw}))


def check_optimizers(sub, names, lr, seed, shapes, steps, kw=None):
    kw = dict(kw or {})
    for name in names:
        out = probe(sub, probes_ex06.optimizer_run, "make_optimizer", name=name, lr=lr, seed=seed, shapes=shapes,
                    steps=steps, kw=kw)
        call = f"make_optimizer({name!r}, params, lr={lr}" + "".join(f", {k}={v}" for k, v in kw.items()) + ")"
        expect(out["is_optimizer"], Msg("cmp.type", expected="torch.optim.Optimizer", got=out["class"]),
               hint="hint.ex06_optimizer_type", name=call)
        cls, defaults = spec_optimizer(name)
        expected = trajectory(cls, {"lr": lr, **defaults, **kw}, seed, shapes, steps)
        got = out["trajectory"]
        if compare(got, expected) is not None:
            hint = optimizer_mistake(name, got, lr, kw, seed, shapes, steps)
            expect_close(got, expected, hint=hint, name=Msg("label.ex06_params_each_step", call=call, steps=steps))


def expect_unknown_name_error(sub, bad):
    out = probe(sub, probes_ex06.make_optimizer_error, "make_optimizer", name=bad)
    if out["not_implemented"]:
        raise StudentError({"type": "NotImplementedError", "not_implemented": True}, f"{MODULE}.make_optimizer")
    call = f"make_optimizer({bad!r}, params, 0.1)"
    expect(out["raised"], Msg("cmp.number", got=Msg("value.no_exception"), expected="ValueError"),
           hint="hint.ex06_unknown_optimizer", name=call)
    expect("ValueError" in out["mro"], Msg("cmp.type", expected="ValueError", got=out["type"]),
           hint="hint.ex06_unknown_optimizer", name=call)
    message = out["message"].lower()
    missing = [n for n in OPTIMIZERS if not re.search(rf"(?<![a-z]){n}(?![a-z])", message)]
    expect(not missing, Msg("cmp.number", got=repr(out["message"][:200]),
                            expected=Msg("value.ex06_listing", names=", ".join(OPTIMIZERS))),
           hint="hint.ex06_unknown_optimizer", name=call)


SCHEDULERS = ("step", "multistep", "exponential", "cosine")


def spec_scheduler(name, kw=None):
    s = torch.optim.lr_scheduler
    cls, defaults = {
        "step": (s.StepLR, {"step_size": 50, "gamma": 0.5}),
        "multistep": (s.MultiStepLR, {"milestones": [50, 100, 160], "gamma": 0.5}),
        "exponential": (s.ExponentialLR, {"gamma": 0.9}),
        "cosine": (s.CosineAnnealingLR, {"T_max": 200}),
    }[name]
    return cls, {**defaults, **dict(kw or {})}


@remembered
def expected_trace(name, base_lr, epochs, kw=None):
    import warnings

    cls, kwargs = spec_scheduler(name, kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return probes_ex06.scheduler_trace(lambda opt: cls(opt, **kwargs), base_lr, epochs)


def check_scheduler(sub, name, base_lr, epochs, kw=None):
    kw = dict(kw or {})
    out = probe(sub, probes_ex06.scheduler_run, "make_scheduler", name=name, base_lr=base_lr, epochs=epochs, kw=kw)
    expected = torch.tensor(expected_trace(name, base_lr, epochs, kw), dtype=torch.float64)
    got = torch.tensor(out["trace"], dtype=torch.float64)
    hint = "hint.ex06_scheduler_defaults"
    if kw and compare(got, torch.tensor(expected_trace(name, base_lr, epochs), dtype=torch.float64),
                      atol=1e-9, rtol=1e-6) is None:
        hint = "hint.ex06_scheduler_kw"
    call = f"make_scheduler({name!r}, optimizer" + "".join(f", {k}={v}" for k, v in kw.items()) + ")"
    curve(call, {"lr": out["trace"]}, {"lr": expected.tolist()})
    expect_close(got, expected, hint=hint, name=Msg("label.ex06_lr_each_epoch", call=call, epochs=epochs),
                 atol=1e-9, rtol=1e-6)


def lr_trace_mistake(got, expected, without_kw=None):
    """Shifted by one epoch (recorded after stepping), another length, or the keyword arguments
    ignored (``without_kw``: the trace with the defaults)."""
    if len(got) != len(expected):
        return "hint.ex06_lr_trace_length"
    if without_kw is not None and len(got) == len(without_kw) and compare(
            torch.tensor(got, dtype=torch.float64), torch.tensor(without_kw, dtype=torch.float64),
            atol=1e-9, rtol=1e-6) is None:
        return "hint.ex06_scheduler_kw"
    if len(got) > 1 and compare(torch.tensor(got[:-1], dtype=torch.float64),
                                torch.tensor(expected[1:], dtype=torch.float64), atol=1e-9, rtol=1e-6) is None:
        return "hint.ex06_lr_trace_start"
    return "hint.ex06_lr_trace_start" if got and expected and got[0] != expected[0] else "hint.ex06_scheduler_defaults"


def check_lr_trace(ex06, name, base_lr, epochs, kw=None, default_args=False):
    kw = dict(kw or {})
    got = ex06.lr_trace(name) if default_args else ex06.lr_trace(name, base_lr=base_lr, epochs=epochs, **kw)
    call = f"lr_trace({name!r})" if default_args else (
        f"lr_trace({name!r}, base_lr={base_lr}, epochs={epochs}" + "".join(f", {k}={v}" for k, v in kw.items()) + ")")
    expect(isinstance(got, list), Msg("cmp.type", expected="list", got=type(got).__name__),
           hint="hint.ex06_lr_trace_floats", name=call)
    for value in got:
        expect(isinstance(value, float), Msg("cmp.type", expected="float", got=type(value).__name__),
               hint="hint.ex06_lr_trace_floats", name=call)
    expected = expected_trace(name, base_lr, epochs, kw)
    hint = lr_trace_mistake(got, expected, expected_trace(name, base_lr, epochs) if kw else None)
    curve(call, {"lr": got}, {"lr": expected})
    expect_length(got, epochs, hint=hint, name=call)
    expect_close(torch.tensor(got, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64), hint=hint,
                 name=call, atol=1e-9, rtol=1e-6)


# The histories are judged by what the grader computes itself (checks/reference/ex06.py): the
# worker records the networks the student's code trains (their initial weights, the batches
# they saw in train mode, their final weights); the grader checks the initial weights against
# the seed's, identifies every batch row in its own scaled iris, replays the training with the
# optimizer and lr the call names, and evaluates the final weights on its validation split.
def expect_history(history, epochs, func):
    """A dict of the four per-epoch lists, floats, ``epochs`` long."""
    expect(isinstance(history, dict) and set(HISTORY_KEYS) <= set(history),
           Msg("cmp.type", expected=Msg("value.dict_keys", keys=", ".join(HISTORY_KEYS)),
               got=sorted(map(str, history)) if isinstance(history, dict) else type(history).__name__),
           hint="hint.ex06_history", name=func)
    for key in HISTORY_KEYS:
        expect_length(history[key], epochs, hint="hint.ex06_history", name=f"{func}['{key}']")
        for value in history[key]:
            expect(isinstance(value, (float, int)) and not isinstance(value, bool),
                   Msg("cmp.type", expected="float", got=type(value).__name__),
                   hint="hint.ex06_history", name=f"{func}['{key}']")
    return history


def same_history(a, b) -> bool:
    """Equal, nan equal to nan."""
    for key in HISTORY_KEYS:
        x, y = a.get(key), b.get(key)
        if not isinstance(x, list) or not isinstance(y, list) or len(x) != len(y):
            return False
        for u, v in zip(x, y):
            if not (u == v or (isinstance(u, float) and isinstance(v, float) and math.isnan(u) and math.isnan(v))):
                return False
    return True


def call_text(func, args, kwargs):
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{func}({', '.join(parts)})"


def experiment(sub, func, *args, hint="hint.ex06_history", **kwargs):
    """``func(*args, **kwargs)`` in the worker with the networks it trains recorded."""
    with hinted(hint):
        return run_probe(sub, probes_ex06.experiment_run, f"{MODULE}.{func}", func=func, args=list(args),
                         kwargs=kwargs)


def model_of(out, index, count, call):
    """The ``index``-th of the ``count`` networks the call trained."""
    models = out.get("models") or []
    expect(len(models) == count, Msg("cmp.number", got=Msg("value.ex06_networks", count=len(models)),
                                     expected=Msg("value.ex06_fresh", count=count)), hint="hint.ex06_model", name=call)
    return models[index]


def layers(state, call, what):
    """The layers of a state dict; ``what`` is the label's message key (``label.ex06_initial_weights``)."""
    try:
        return rx.layers_of(state)
    except rx.NotAnMLP as exc:
        fail(Msg("cmp.type", expected=Msg("value.ex06_mlp"), got=reason(str(exc))),
             hint="hint.ex06_model", name=Msg(what, call=call))


def verify_run(sub, model, name, lr, seed, epochs, history, call, diverges=False, seed_hint=None):
    """The run behind ``history`` happened as the call says; returns the final weights (rebuilt).
    ``seed_hint``: a function giving the hint for other initial weights (default: seed the model)."""
    data = rx.iris(sub.data_dir)
    start = layers(model["init"], call, "label.ex06_initial_weights")
    if not rx.close(start, rx.initial_layers(seed), atol=1e-6, rtol=1e-5):
        fail(Msg("cmp.number", got=Msg("value.ex06_other_initial"),
                 expected=Msg("value.ex06_initial_of", seed=seed)),
             hint=seed_hint() if seed_hint else "hint.ex06_seed_model",
             name=Msg("label.ex06_initial_weights", call=call))
    x_train, y_train = data["train"]
    sizes = [int(n) for n in model.get("sizes") or []]
    x = model.get("x")
    expect(isinstance(x, torch.Tensor) and x.dim() == 2 and len(x) == sum(sizes) == len(x_train) * epochs,
           Msg("cmp.number", got=Msg("value.ex06_seen", count=sum(sizes)),
               expected=Msg("value.ex06_per_epoch", per=len(x_train), epochs=epochs)), hint="hint.ex06_trained",
           name=Msg("label.ex06_batches_trained", call=call))
    rows = rx.identify(x, x_train)
    if rows is None:
        lo, hi = float(x.min()), float(x.max())
        fail(Msg("cmp.number", got=Msg("value.ex06_unscaled", lo=lo, hi=hi),
                 expected=Msg("value.ex06_scaled")), hint="hint.ex06_scaled",
             name=Msg("label.ex06_features_trained", call=call))
    batches = list(torch.split(x, sizes))
    labels = list(torch.split(y_train[rows], sizes))
    replayed = rx.replay(start, batches, labels, name, lr)
    final = layers(model["final"], call, "label.ex06_final_weights")
    if diverges:
        finite = all(torch.isfinite(t).all() for pair in final for t in pair)
        expect(not finite and not all(torch.isfinite(t).all() for pair in replayed for t in pair),
               Msg("cmp.number", got=Msg("value.ex06_finite" if finite else "value.ex06_no_divergence"),
                   expected=Msg("value.ex06_diverging", name=name, lr=lr)), hint="hint.ex06_trained", name=call)
        return final
    expect(rx.close(final, replayed, atol=1e-5, rtol=1e-4),
           Msg("cmp.number", got=Msg("value.ex06_other_final"),
               expected=Msg("value.ex06_final_of", epochs=epochs, name=repr(name), lr=lr)),
           hint="hint.ex06_trained", name=Msg("label.ex06_trained_weights", call=call))
    val_loss, val_acc = rx.evaluate(final, *data["val"])
    for key, value in (("val_loss", val_loss), ("val_acc", val_acc)):
        got = as_float(history[key][-1], hint="hint.ex06_history", name=f"{call}['{key}'][-1]")
        expect(math.isclose(got, value, rel_tol=1e-4, abs_tol=1e-5),
               Msg("cmp.number", got=f"{got:.6g}",
                   expected=Msg("value.ex06_trained_val", value=value)),
               hint="hint.ex06_trained", name=f"{call}['{key}'][-1]")
    return final


def sweep_seed_hint(sub, name, lr, seed) -> str:
    """Other initial weights in a sweep: does run_experiment itself start from the seed's weights?"""
    try:
        out = experiment(sub, "run_experiment", name, lr, epochs=1, seed=seed)
        start = rx.layers_of((out.get("models") or [{}])[0].get("init"))
    except Exception:  # noqa: BLE001 - only the hint is decided here
        return "hint.ex06_seed_model"
    same_start = rx.close(start, rx.initial_layers(seed), atol=1e-6, rtol=1e-5)
    return "hint.ex06_sweep" if same_start else "hint.ex06_seed_model"


def checked_runs(sub, func, keys, names_lrs, seed, n_epochs, args, kwargs):
    """lr_sweep / compare_optimizers: {key: history} in order, each history that of a run verified."""
    epochs = n_epochs
    out = experiment(sub, func, *args, hint="hint.ex06_sweep", **kwargs)
    call = call_text(func, args, kwargs)
    result = out["result"]
    expect(isinstance(result, dict), Msg("cmp.type", expected="dict", got=type(result).__name__),
           hint="hint.ex06_sweep", name=call)
    expect_equal(list(result), list(keys), hint="hint.ex06_sweep", name=Msg("label.keys", what=call))
    for i, (key, (name, lr)) in enumerate(zip(keys, names_lrs)):
        history = expect_history(result[key], epochs, f"{call}[{key!r}]")
        verify_run(sub, model_of(out, i, len(keys), call), name, lr, seed, epochs, history, f"{call}[{key!r}]",
                   seed_hint=lambda: sweep_seed_hint(sub, name, lr, seed))
    return result


def run(sub, name, lr, epochs, seed=0, diverges=False, verify=True):
    """run_experiment(name, lr, epochs=..., seed=...): its history (checked) and its network's final weights."""
    kwargs = {"epochs": epochs, "seed": seed}
    call = call_text("run_experiment", (name, lr), kwargs)
    out = experiment(sub, "run_experiment", name, lr, hint="hint.ex06_diverge" if diverges else "hint.ex06_history",
                     **kwargs)
    if diverges:
        history = out["result"]
        expect(isinstance(history, dict) and {"train_loss", "val_loss"} <= set(history),
               Msg("cmp.type", expected=Msg("value.dict_keys", keys=", ".join(HISTORY_KEYS)),
                   got=sorted(map(str, history)) if isinstance(history, dict) else type(history).__name__),
               hint="hint.ex06_history", name=call)
    else:
        history = expect_history(out["result"], epochs, call)
    model = model_of(out, 0, 1, call)
    final = verify_run(sub, model, name, lr, seed, epochs, history, call, diverges=diverges) if verify else None
    return history, final, model


def check_same_seed_same_history(sub, name, lr, epochs, seed):
    """run_experiment(name, lr, epochs=epochs, seed=seed) twice gives the same history both times."""
    call = f"run_experiment({name!r}, {lr}, epochs={epochs}, seed={seed})"
    a, _, _ = run(sub, name, lr, epochs, seed=seed)
    b, _, _ = run(sub, name, lr, epochs, seed=seed)
    expect(same_history(a, b), Msg("cmp.number", got=Msg("value.ex06_then", first=str(a['val_loss']),
                                                         second=str(b['val_loss'])),
                                   expected=Msg("value.ex06_same_history")),
           hint="hint.ex06_seed_model", name=call)


def check_divergence_returned(sub, epochs, seed):
    """A run of SGD at lr 1e30 for ``epochs`` with ``seed``, after a real one at lr 0.1, returns its
    train and validation losses as floats, some of them nan or inf, instead of raising."""
    call = f"run_experiment('sgd', 1e30, epochs={epochs}, seed={seed})"
    run(sub, "sgd", 0.1, epochs, seed=seed)  # the pipeline trains for real first
    history, _, _ = run(sub, "sgd", 1e30, epochs, seed=seed, diverges=True)
    values = [v for key in ("train_loss", "val_loss") for v in (history[key] if isinstance(history[key], list) else [])]
    expect(values and all(isinstance(v, (int, float)) for v in values),
           Msg("cmp.type", expected=Msg("value.ex06_float_lists"),
               got=repr(values)[:80]), hint="hint.ex06_history", name=call)
    expect(any(not math.isfinite(v) for v in values),
           Msg("cmp.number", got=repr(values)[:120], expected="nan or inf losses"), hint="hint.ex06_diverge", name=call)


def check_plot(sub, ex06, results, metric, stem):
    """plot_comparison to ``stem.png`` (a PNG whose header gives a figure's size) and to ``stem.svg``, whose
    lines the grader reads: one per run of ``results``, following that run's ``metric``."""
    for ext in (".png", ".svg"):
        filename = stem + ext
        call = f"plot_comparison(results, {metric!r}, {filename!r})"
        with hinted("hint.ex06_png"):
            result = run_probe(sub, probes_ex06.plot_run, f"{MODULE}.plot_comparison", results=results,
                               metric=metric, path=filename)["returned"]
        expect(isinstance(result, Path), Msg("cmp.type", expected="Path", got=type(result).__name__),
               hint="hint.ex06_png", name=call)
        try:
            data = worker_files.read_bytes(sub.folder.work, filename, limit=svg_plot.MAX_BYTES)
        except worker_files.UnsafeFile as exc:
            fail(Msg("cmp.number", got=Msg("value.no_file") if exc.reason == "missing" else reason(exc.reason),
                     expected=Msg("value.file", name=filename)), hint="hint.ex06_png", name=call)
        try:
            if ext == ".png":
                svg_plot.png_size(data)
            else:
                svg_plot.match_series(svg_plot.polylines(data), {k: h[metric] for k, h in results.items()})
        except svg_plot.BadFile as exc:
            fail(Msg("cmp.number", got=reason(str(exc)), expected=Msg("value.ex06_figure")),
                 hint="hint.ex06_png" if ext == ".png" else "hint.ex06_plot_lines", name=call)


def runs(finals, metric):
    """Hand-made results whose ``metric`` ends at the given values."""
    other = "val_loss" if metric == "val_acc" else "val_acc"
    return {key: {metric: [0.5, value], other: [0.5, 0.5], "train_loss": [1.0, 0.9], "lr": [0.1, 0.1]}
            for key, value in finals.items()}


def summarize_hint(keys, finals, finite_order) -> str:
    """Which mistake a ranking that is not ``finite_order`` then the nan runs points to."""
    finite = [k for k in keys if k in finals and not math.isnan(finals[k])]
    if len(finite_order) > 1 and finite == list(reversed(finite_order)):
        return "hint.ex06_summarize_order"
    if finite == list(finite_order) and list(keys[:len(finite_order)]) != list(finite_order):
        return "hint.ex06_summarize_nan"
    return "hint.ex06_summarize"


def summarized(ex06, finals, metric, call):
    """summarize(...) on histories ending in ``finals``, checked to be a list of (key, value) pairs."""
    got = ex06.summarize(runs(finals, metric), metric)
    hint = "hint.ex06_summarize"
    expect(isinstance(got, list), Msg("cmp.type", expected=Msg("value.ex06_pairs"), got=type(got).__name__),
           hint=hint, name=call)
    expect_length(got, len(finals), hint=hint, name=call)
    for item in got:
        expect(isinstance(item, (tuple, list)) and len(item) == 2,
               Msg("cmp.type", expected="(key, final_value)", got=repr(item)[:60]), hint=hint, name=call)
    return got


def expect_final_values(got, finals, call):
    """Each pair carries its run's final value (nan stays nan)."""
    for key, value in got:
        want = finals[key]
        v = as_float(value, hint="hint.ex06_summarize", name=Msg("label.ex06_value_of", call=call, name=repr(key)))
        expect(v == want or (math.isnan(v) and math.isnan(want)), Msg("cmp.number", got=v, expected=want),
               hint="hint.ex06_summarize", name=Msg("label.ex06_value_of", call=call, name=repr(key)))


def check_summary(ex06, finals, metric, expected_order, call):
    got = summarized(ex06, finals, metric, call)
    keys = [item[0] for item in got]
    finite_order = [k for k in expected_order if not math.isnan(finals[k])]
    expect_equal(keys, list(expected_order), hint=summarize_hint(keys, finals, finite_order),
                 name=Msg("label.ex06_keys_best_first", call=call))
    expect_final_values(got, finals, call)
