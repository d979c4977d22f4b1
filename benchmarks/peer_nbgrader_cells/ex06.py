"""nbgrader test cells for ex06: its public checks, made again in plain torch (see benchmarks/peer_course.py)."""
# %% setup
import torch
import contextlib as _contextlib
import csv as _csv
import io as _io
import math as _math
import os as _os
import re as _re
import tempfile as _tempfile
import warnings as _warnings
import xml.etree.ElementTree as _ET
from pathlib import Path as _Path

_OPTIMIZER_NAMES = ("sgd", "momentum", "adagrad", "rmsprop", "adam", "adamw")
_SCHEDULER_NAMES = ("step", "multistep", "exponential", "cosine")
_HISTORY_KEYS = ("train_loss", "val_loss", "val_acc", "lr")
_IRIS_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")


def _t_close(got, expected, atol=1e-5, rtol=1e-4, dtype=True):
    """torch tensors: same shape (and dtype), no nan/inf where expected is finite, values close."""
    if not isinstance(got, torch.Tensor):
        return False
    if tuple(got.shape) != tuple(expected.shape) or (dtype and got.dtype != expected.dtype):
        return False
    if got.numel() == 0:
        return True
    g = got.detach().to(torch.float64).reshape(-1)
    e = expected.detach().to(torch.float64).reshape(-1)
    if (~torch.isfinite(g) & torch.isfinite(e)).any():
        return False
    diff = (g - e).abs()
    diff = torch.where(torch.isinf(e) & (g == e), torch.zeros_like(diff), diff)
    excess = torch.nan_to_num(diff - (atol + rtol * e.abs()), nan=_math.inf)
    return bool((excess <= 0).all())


def _as_float(value):
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.reshape(()).item())
    assert isinstance(value, (int, float)) and not isinstance(value, bool), "not a float"
    return float(value)


# --- optimizers on a quadratic --------------------------------------------------------
def _spec_optimizer(name):
    return {
        "sgd": (torch.optim.SGD, {}),
        "momentum": (torch.optim.SGD, {"momentum": 0.9}),
        "adagrad": (torch.optim.Adagrad, {}),
        "rmsprop": (torch.optim.RMSprop, {}),
        "adam": (torch.optim.Adam, {}),
        "adamw": (torch.optim.AdamW, {}),
    }[name]


def _quadratic_problem(seed, shapes):
    g = torch.Generator().manual_seed(seed)
    starts, targets, curvatures = [], [], []
    for shape in shapes:
        shape = tuple(shape)
        starts.append(torch.randn(shape, generator=g))
        targets.append(torch.randn(shape, generator=g))
        curvatures.append(torch.rand(shape, generator=g) * 1.5 + 0.5)
    return starts, targets, curvatures


def _quadratic_trajectory(factory, seed, shapes, steps):
    starts, targets, curvatures = _quadratic_problem(seed, shapes)
    params = [torch.nn.Parameter(s.clone()) for s in starts]
    opt = factory(p for p in params)
    trajectory = []
    for _ in range(steps):
        opt.zero_grad()
        loss = sum((0.5 * c * (p - t) ** 2).sum() for p, t, c in zip(params, targets, curvatures))
        loss.backward()
        opt.step()
        trajectory.append(torch.cat([p.detach().reshape(-1) for p in params]).clone())
    return torch.stack(trajectory), opt


def _check_optimizers(names, lr, seed, shapes, steps, kw=None):
    kw = dict(kw or {})
    for name in names:
        got, opt = _quadratic_trajectory(lambda params: make_optimizer(name, params, lr, **kw), seed, shapes, steps)
        assert isinstance(opt, torch.optim.Optimizer), f"make_optimizer({name!r}) is not a torch.optim.Optimizer"
        cls, defaults = _spec_optimizer(name)
        expected, _ = _quadratic_trajectory(lambda params: cls(params, **{"lr": lr, **defaults, **kw}), seed, shapes,
                                            steps)
        assert _t_close(got, expected), f"make_optimizer({name!r}): wrong trajectory"


# --- schedulers ----------------------------------------------------------------------------
def _spec_scheduler(name, kw=None):
    s = torch.optim.lr_scheduler
    cls, defaults = {
        "step": (s.StepLR, {"step_size": 50, "gamma": 0.5}),
        "multistep": (s.MultiStepLR, {"milestones": [50, 100, 160], "gamma": 0.5}),
        "exponential": (s.ExponentialLR, {"gamma": 0.9}),
        "cosine": (s.CosineAnnealingLR, {"T_max": 200}),
    }[name]
    return cls, {**defaults, **dict(kw or {})}


def _scheduler_trace(factory, base_lr, epochs):
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=base_lr)
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        sched = factory(opt)
        trace = []
        for _ in range(epochs):
            trace.append(float(opt.param_groups[0]["lr"]))
            opt.step()
            sched.step()
    return trace


def _expected_trace(name, base_lr, epochs, kw=None):
    cls, kwargs = _spec_scheduler(name, kw)
    return _scheduler_trace(lambda opt: cls(opt, **kwargs), base_lr, epochs)


def _check_scheduler(name, base_lr, epochs, kw=None):
    kw = dict(kw or {})
    got = torch.tensor(_scheduler_trace(lambda opt: make_scheduler(name, opt, **kw), base_lr, epochs),
                       dtype=torch.float64)
    expected = torch.tensor(_expected_trace(name, base_lr, epochs, kw), dtype=torch.float64)
    assert _t_close(got, expected, atol=1e-9, rtol=1e-6), f"make_scheduler({name!r}, **{kw}): wrong lr sequence"


def _check_lr_trace(name, base_lr, epochs, default_args=False):
    got = lr_trace(name) if default_args else lr_trace(name, base_lr=base_lr, epochs=epochs)
    got = _nb_plain(got)
    assert isinstance(got, list), "lr_trace must return a list"
    assert all(isinstance(v, float) for v in got), "lr_trace must return floats"
    expected = _expected_trace(name, base_lr, epochs)
    assert len(got) == epochs, f"lr_trace({name!r}): {len(got)} values, expected {epochs}"
    assert _t_close(torch.tensor(got, dtype=torch.float64), torch.tensor(expected, dtype=torch.float64),
                    atol=1e-9, rtol=1e-6), f"lr_trace({name!r}): wrong values"


# --- experiments: the networks a call trains, recorded and replayed -------------------------------
_IRIS_CACHE = {}


def _iris_ref():
    """{"train": (x, y), "val": (x, y), ...} min-max scaled with the train split's statistics."""
    path = _Path(_os.environ.get("DL_DATA_DIR", "data")) / "iris.csv"
    key = str(path)
    if key not in _IRIS_CACHE:
        rows = {"train": [], "val": [], "test": []}
        with open(path, newline="") as fh:
            for row in _csv.DictReader(fh):
                rows.setdefault(row["split"], []).append(([float(row[f]) for f in _IRIS_FEATURES], int(row["label"])))
        raw = {s: (torch.tensor([r[0] for r in v], dtype=torch.float32), torch.tensor([r[1] for r in v]))
               for s, v in rows.items() if v}
        lo, hi = raw["train"][0].min(0).values, raw["train"][0].max(0).values
        scale = torch.where(hi > lo, hi - lo, torch.ones_like(hi))
        _IRIS_CACHE[key] = {s: ((x - lo) / scale, y) for s, (x, y) in raw.items()}
    return _IRIS_CACHE[key]


def _initial_layers(seed):
    """What torch.manual_seed(seed); MLP(4, [16], 3) starts from."""
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        first, last = torch.nn.Linear(4, 16), torch.nn.Linear(16, 3)
    return [(first.weight.detach().clone(), first.bias.detach().clone()),
            (last.weight.detach().clone(), last.bias.detach().clone())]


def _layers_close(a, b, atol, rtol, equal_nan=False):
    return len(a) == len(b) and all(
        x.shape == y.shape and torch.allclose(x.double(), y.double(), atol=atol, rtol=rtol, equal_nan=equal_nan)
        for (wa, ba), (wb, bb) in zip(a, b) for x, y in ((wa, wb), (ba, bb)))


def _identify_rows(x, table, tol=1e-4):
    if x.dim() != 2 or x.shape[1] != table.shape[1] or not len(x):
        return None
    best = torch.cdist(x.double(), table.double()).min(1)
    if not bool((best.values <= tol).all()):
        return None
    return best.indices


def _replay(start, batches, labels, name, lr):
    params = [torch.nn.Parameter(t.clone().to(torch.float32)) for pair in start for t in pair]
    cls, defaults = _spec_optimizer(name)
    opt = cls(params, lr=lr, **defaults)
    layers_ = [(params[i], params[i + 1]) for i in range(0, len(params), 2)]
    for x, y in zip(batches, labels):
        opt.zero_grad()
        h = x.to(torch.float32)
        for i, (w, b) in enumerate(layers_):
            h = torch.nn.functional.linear(h, w, b)
            if i < len(layers_) - 1:
                h = torch.relu(h)
        torch.nn.functional.cross_entropy(h, y).backward()
        opt.step()
    return [(w.detach().clone(), b.detach().clone()) for w, b in layers_]


def _evaluate_layers(layers_, x, y):
    h = x.reshape(len(x), -1).to(torch.float32)
    with torch.no_grad():
        for i, (w, b) in enumerate(layers_):
            h = torch.nn.functional.linear(h, w, b)
            if i < len(layers_) - 1:
                h = torch.relu(h)
    return float(torch.nn.functional.cross_entropy(h, y)), float((h.argmax(1) == y).double().mean())


def _params_of(module):
    return {k: v.detach().to("cpu").clone() for k, v in module.state_dict().items()}


def _recorded(fn, *args, **kwargs):
    """fn(*args, **kwargs) with every network it runs recorded: its weights at its first forward, the
    inputs of its forwards in train mode, its weights at the end. Returns (result, models)."""
    from torch.nn.modules import module as _torch_module

    records, order, depth = {}, [], [0]

    def before(module, inputs):
        if depth[0] == 0 and any(True for _ in module.parameters()):
            rec = records.get(id(module))
            if rec is None:
                rec = records[id(module)] = {"module": module, "init": _params_of(module), "batches": []}
                order.append(rec)
            x = inputs[0] if inputs else None
            if module.training and isinstance(x, torch.Tensor) and len(rec["batches"]) < 20000:
                rec["batches"].append(x.detach().to("cpu", torch.float32).reshape(len(x), -1).clone())
        depth[0] += 1

    def after(module, inputs, output):
        depth[0] -= 1

    hooks = [_torch_module.register_module_forward_pre_hook(before),
             _torch_module.register_module_forward_hook(after, always_call=True)]
    try:
        result = fn(*args, **kwargs)
    finally:
        for h in hooks:
            h.remove()
    models = [{"init": rec["init"], "final": _params_of(rec["module"]),
               "x": torch.cat(rec["batches"]) if rec["batches"] else torch.zeros(0, 4),
               "sizes": [len(b) for b in rec["batches"]]} for rec in order]
    return _nb_plain(result), models


def _expect_history(history, epochs):
    assert isinstance(history, dict) and set(_HISTORY_KEYS) <= set(history), "history lacks its keys"
    for key in _HISTORY_KEYS:
        assert len(history[key]) == epochs, f"history[{key!r}]: not one value per epoch"
        for value in history[key]:
            assert isinstance(value, (float, int)) and not isinstance(value, bool), f"history[{key!r}]: not floats"
    return history


def _same_history(a, b):
    for key in _HISTORY_KEYS:
        x, y = a.get(key), b.get(key)
        if not isinstance(x, list) or not isinstance(y, list) or len(x) != len(y):
            return False
        for u, v in zip(x, y):
            if not (u == v or (isinstance(u, float) and isinstance(v, float) and _math.isnan(u) and _math.isnan(v))):
                return False
    return True


def _verify_run(model, name, lr, seed, epochs, history, diverges=False):
    """The run behind ``history`` happened as the call says."""
    data = _iris_ref()
    start = _nb_linear_stack(model["init"], 4, 3)
    assert _layers_close(start, _initial_layers(seed), atol=1e-6, rtol=1e-5), \
        f"the initial weights are not those of torch.manual_seed({seed}); MLP(4, [16], 3)"
    x_train, y_train = data["train"]
    sizes = [int(n) for n in model.get("sizes") or []]
    x = model.get("x")
    assert isinstance(x, torch.Tensor) and x.dim() == 2 and len(x) == sum(sizes) == len(x_train) * epochs, \
        f"{sum(sizes)} training samples seen, expected {len(x_train)} per epoch for {epochs} epochs"
    rows = _identify_rows(x, x_train)
    assert rows is not None, "the model is not trained on the min-max scaled iris training rows"
    batches = list(torch.split(x, sizes))
    labels = list(torch.split(y_train[rows], sizes))
    replayed = _replay(start, batches, labels, name, lr)
    final = _nb_linear_stack(model["final"], 4, 3)
    if diverges:
        finite = all(torch.isfinite(t).all() for pair in final for t in pair)
        assert not finite and not all(torch.isfinite(t).all() for pair in replayed for t in pair), \
            f"the weights of {name} at lr={lr} do not diverge"
        return final
    assert _layers_close(final, replayed, atol=1e-5, rtol=1e-4), f"other final weights than {name} at lr={lr} give"
    val_loss, val_acc = _evaluate_layers(final, *data["val"])
    for key, value in (("val_loss", val_loss), ("val_acc", val_acc)):
        got = _as_float(history[key][-1])
        assert _math.isclose(got, value, rel_tol=1e-4, abs_tol=1e-5), f"history[{key!r}][-1] is not the trained model's"
    return final


def _run(name, lr, epochs, seed=0, diverges=False):
    """run_experiment(name, lr, epochs=..., seed=...) recorded and verified: its history."""
    history, models = _recorded(run_experiment, name, lr, epochs=epochs, seed=seed)
    if diverges:
        assert isinstance(history, dict) and {"train_loss", "val_loss"} <= set(history), "history lacks its keys"
    else:
        _expect_history(history, epochs)
    assert len(models) == 1, f"{len(models)} networks run, expected one fresh MLP(4, [16], 3)"
    _verify_run(models[0], name, lr, seed, epochs, history, diverges=diverges)
    return history


def _checked_runs(func, keys, names_lrs, seed, epochs, args, kwargs):
    result, models = _recorded(func, *args, **kwargs)
    assert isinstance(result, dict), "not a dict"
    assert list(result) == list(keys), f"keys {list(result)}, expected {list(keys)}"
    assert len(models) == len(keys), f"{len(models)} networks run, expected {len(keys)}"
    for i, (key, (name, lr)) in enumerate(zip(keys, names_lrs)):
        history = _expect_history(result[key], epochs)
        _verify_run(models[i], name, lr, seed, epochs, history)
    return result


# --- plots ---------------------------------------------------------------------------
_SVG_MAX_BYTES = 8 * 1024 * 1024
_NUMBER_RE = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_TOKEN_RE = _re.compile(rf"([A-Za-z])|({_NUMBER_RE})")


def _png_ok(data, max_side=10_000, max_pixels=16_000_000):
    import struct
    if len(data) < 33 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return False
    width, height = struct.unpack(">II", data[16:24])
    return 0 < width <= max_side and 0 < height <= max_side and width * height <= max_pixels


def _parse_path(d):
    runs, state = [], {"command": None, "numbers": []}
    tokens = _TOKEN_RE.findall(d)

    def flush():
        command, numbers = state["command"], state["numbers"]
        if command is None:
            return True
        if command not in "ML" or len(numbers) % 2:
            return False
        points = list(zip(numbers[0::2], numbers[1::2]))
        if command == "M":
            if not points:
                return False
            runs.append(points[:1])
            runs[-1].extend(points[1:])
        else:
            if not runs:
                return False
            runs[-1].extend(points)
        return True

    for letter, number in tokens:
        if letter:
            if not flush():
                return None
            state["command"], state["numbers"] = letter, []
        else:
            if state["command"] is None:
                return None
            state["numbers"].append(float(number))
    if not flush():
        return None
    return runs


def _svg_polylines(data):
    assert len(data) <= _SVG_MAX_BYTES and b"<!ENTITY" not in data, "not a figure"
    lines, stack = [], []
    for event, elem in _ET.iterparse(_io.BytesIO(data), events=("start", "end")):
        if event == "start":
            stack.append(elem.get("id") or "")
            continue
        tag = elem.tag.rsplit("}", 1)[-1]
        inside_line = any(i.startswith("line2d") for i in stack[:-1])
        if tag == "path" and inside_line and elem.get("d"):
            runs = _parse_path(elem.get("d"))
            if runs and sum(len(r) for r in runs) >= 1:
                lines.append(runs)
        stack.pop()
        if tag != "svg":
            elem.clear()
    return lines


def _fit_line(pairs):
    n = len(pairs)
    mv = sum(v for v, _ in pairs) / n
    my = sum(y for _, y in pairs) / n
    var = sum((v - mv) ** 2 for v, _ in pairs)
    if var <= 0:
        return None
    a = sum((v - mv) * (y - my) for v, y in pairs) / var
    return a, my - a * mv


def _series_drawn(lines, series, tol_px=0.6):
    """Whether one line follows each series' finite values under one affine map, x increasing."""
    flat = [[p for run in line for p in run] for line in lines]
    keys = list(series)
    wanted = {k: [float(v) for v in series[k] if isinstance(v, (int, float)) and _math.isfinite(v)] for k in keys}
    anchor = max(keys, key=lambda k: len(set(wanted[k])))
    for i in [i for i, pts in enumerate(flat) if len(pts) == len(wanted[anchor])]:
        fit = _fit_line(list(zip(wanted[anchor], [y for _, y in flat[i]])))
        if fit is None or abs(fit[0]) < 1e-9:
            continue
        a, c = fit
        chosen, used = {}, set()
        for key in keys:
            for j, pts in enumerate(flat):
                if j in used or len(pts) != len(wanted[key]):
                    continue
                if not all(pts[t][0] < pts[t + 1][0] for t in range(len(pts) - 1)):
                    continue
                if all(abs(a * v + c - y) <= tol_px for v, (_, y) in zip(wanted[key], pts)):
                    chosen[key] = j
                    used.add(j)
                    break
            else:
                break
        if len(chosen) == len(keys):
            return True
    return False


def _read_regular(rel, limit):
    p = _Path(rel)
    assert not p.is_symlink() and p.is_file(), f"no file {rel}"
    data = p.read_bytes()
    assert len(data) <= limit, f"{rel} is too large"
    return data


@_contextlib.contextmanager
def _in_tmp_dir():
    old = _os.getcwd()
    with _tempfile.TemporaryDirectory() as tmp:
        _os.chdir(tmp)
        try:
            yield _Path(tmp)
        finally:
            _os.chdir(old)


def _check_plot(results, metric, stem):
    from matplotlib.figure import Figure as _Figure

    with _in_tmp_dir():
        for ext in (".png", ".svg"):
            filename = stem + ext
            original = _Figure.savefig

            def savefig(self, fname, *args, **kwargs):
                if isinstance(fname, (str, _os.PathLike)) and str(fname).lower().endswith(".svg"):
                    kwargs.pop("format", None)
                return original(self, fname, *args, **kwargs)

            _Figure.savefig = savefig
            try:
                returned = _nb_plain(plot_comparison(results, metric, filename))
            finally:
                _Figure.savefig = original
            assert isinstance(returned, _Path), "plot_comparison must return a Path"
            data = _read_regular(filename, _SVG_MAX_BYTES)
            if ext == ".png":
                assert _png_ok(data), f"{filename} is not a PNG image"
            else:
                assert _series_drawn(_svg_polylines(data), {k: h[metric] for k, h in results.items()}), \
                    f"{filename}: not one line per run of {metric}"


# --- summaries -------------------------------------------------------------------------
def _runs_ending(finals, metric):
    other = "val_loss" if metric == "val_acc" else "val_acc"
    return {key: {metric: [0.5, value], other: [0.5, 0.5], "train_loss": [1.0, 0.9], "lr": [0.1, 0.1]}
            for key, value in finals.items()}


def _check_summary(finals, metric, expected_order):
    got = _nb_plain(summarize(_runs_ending(finals, metric), metric))
    assert isinstance(got, list), "summarize must return a list of (key, value)"
    assert len(got) == len(finals), "one (key, value) per run"
    for item in got:
        assert isinstance(item, (tuple, list)) and len(item) == 2, "items must be (key, final_value)"
    keys = [item[0] for item in got]
    assert keys == list(expected_order), f"ranking {keys}, expected {list(expected_order)}"
    for key, value in got:
        want = finals[key]
        v = _as_float(value)
        assert v == want or (_math.isnan(v) and _math.isnan(want)), f"value of {key!r}: {v}, expected {want}"

# %% test_make_optimizer_matches_torch
_check_optimizers(_OPTIMIZER_NAMES, lr=0.1, seed=1, shapes=((3, 4), (4,)), steps=5)

# %% test_make_optimizer_unknown_name
def _test_unknown_name():
    try:
        make_optimizer("nesterov", [torch.nn.Parameter(torch.zeros(2))], 0.1)
    except NotImplementedError:
        raise AssertionError("make_optimizer is not implemented")
    except Exception as exc:  # noqa: BLE001
        assert "ValueError" in [c.__name__ for c in type(exc).__mro__], \
            f"raised {type(exc).__name__}, expected ValueError"
        message = str(exc)[:2000].lower()
        missing = [n for n in _OPTIMIZER_NAMES if not _re.search(rf"(?<![a-z]){n}(?![a-z])", message)]
        assert not missing, "the message must list the valid names"
        return
    raise AssertionError("make_optimizer('nesterov', ...) raised no ValueError")


_test_unknown_name()

# %% test_make_scheduler_defaults
for _name in _SCHEDULER_NAMES:
    _check_scheduler(_name, base_lr=0.1, epochs=200)

# %% test_lr_trace_step_defaults
_check_lr_trace("step", 0.1, 200, default_args=True)
_check_lr_trace("exponential", 0.5, 6)

# %% test_run_experiment_history
def _test_history():
    history = _run("sgd", 0.1, 3)
    for value in history["lr"]:
        assert _math.isclose(_as_float(value), 0.1, rel_tol=1e-9), "history['lr'] must be 0.1 every epoch"


_test_history()

# %% test_run_experiment_same_seed_same_history
def _test_same_seed():
    a = _run("momentum", 0.05, 3, seed=1)
    b = _run("momentum", 0.05, 3, seed=1)
    assert _same_history(a, b), "the same seed must give the same history"


_test_same_seed()

# %% test_sweep_keys
_checked_runs(lr_sweep, [0.01, 0.1], [("sgd", 0.01), ("sgd", 0.1)], 0, 2, ([0.01, 0.1],), {"epochs": 2})

# %% test_compare_keys
_checked_runs(compare_optimizers, ["sgd", "adam"], [("sgd", 0.01), ("adam", 0.01)], 0, 2, (["sgd", "adam"],),
              {"epochs": 2})

# %% test_plot_comparison_png
_check_plot({"sgd": {"train_loss": [1.1, 0.9, 0.8], "val_loss": [1.0, 0.9, 0.85], "val_acc": [0.3, 0.5, 0.6],
                     "lr": [0.1] * 3},
             "adam": {"train_loss": [1.0, 0.5, 0.3], "val_loss": [0.9, 0.5, 0.35], "val_acc": [0.4, 0.8, 0.9],
                      "lr": [0.1] * 3}}, "val_acc", "comparison_public")

# %% test_summarize_accuracy
_check_summary({"c": float("nan"), "a": 0.7, "b": 0.9, "d": 0.8}, "val_acc", ["b", "d", "a", "c"])

# %% test_make_optimizer_passes_kw
_check_optimizers(_OPTIMIZER_NAMES, lr=0.1, seed=2, shapes=((2, 3),), steps=4, kw={"weight_decay": 0.05})

# %% test_make_scheduler_kw_overrides
_check_scheduler("step", 0.1, 12, {"step_size": 3, "gamma": 0.2})
_check_scheduler("exponential", 0.1, 12, {"gamma": 0.5})

# %% test_sweep_passes_seed
_checked_runs(lr_sweep, [0.1], [("sgd", 0.1)], 2, 2, ([0.1],), {"epochs": 2, "seed": 2})

# %% test_run_experiment_returns_divergence
def _test_divergence():
    _run("sgd", 0.1, 2, seed=1)  # the pipeline trains for real first
    history = _run("sgd", 1e30, 2, seed=1, diverges=True)
    values = [v for key in ("train_loss", "val_loss") for v in (history[key] if isinstance(history[key], list) else [])]
    assert values and all(isinstance(v, (int, float)) for v in values), "losses must be lists of floats"
    assert any(not _math.isfinite(v) for v in values), "a diverging run must report nan/inf losses"


_test_divergence()

# %% test_summarize_loss_lowest_first
_check_summary({0.1: 0.4, 1.0: float("nan"), 0.01: 0.8, 0.3: 0.25}, "val_loss", [0.3, 0.1, 0.01, 1.0])
