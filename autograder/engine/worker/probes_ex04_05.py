"""Instruments for ex04 (the training loop) and ex05 (CPU and GPU).

They run in the worker next to student code (``sub.probe("probes_ex04_05.name")``),
build the known objects of ``probes.training_setup`` themselves, call one
student function under observation and return plain data only: the result,
the event log, the recorded moves, the parameters afterwards. The grader
imports this same module to compute what a correct implementation gives
(``reference_fit``, ``batch_losses``) on identical objects.
"""
from __future__ import annotations

import contextlib
import warnings

import torch
from torch import nn

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from . import probes
except ImportError:  # pragma: no cover - worker side
    import probes


# --- helpers -------------------------------------------------------------------------
def params_of(model) -> dict:
    """A model's state as CPU tensors (a copy)."""
    return {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}


def devices_of(model) -> list:
    return sorted({str(p.device) for p in model.parameters()} | {str(b.device) for b in model.buffers()})


def _setup(n, batch_size, seed, lr, hidden, val_n=0, step_size=1, gamma=0.5):
    return probes.training_setup(n=n, batch_size=batch_size, seed=seed, lr=lr, hidden=hidden, val_n=val_n,
                                 step_size=step_size, gamma=gamma)


def _kwargs(device):
    return {} if device is None else {"device": device}


# --- grader-side references -------------------------------------------------------
def batch_losses(n: int, batch_size: int, seed: int, hidden: int = 8) -> list:
    """(batch size, mean loss) of every batch for the untrained model of training_setup."""
    s = _setup(n, batch_size, seed, 0.0, hidden)
    model, out = s["model"], []
    with torch.no_grad():
        for x, y in s["train"]:
            out.append((int(x.shape[0]), float(s["loss_fn"](model(x), y))))
    return out


def batch_accuracies(n: int, batch_size: int, seed: int, hidden: int = 8) -> list:
    """(batch size, correct) per batch for the untrained model of training_setup."""
    s = _setup(n, batch_size, seed, 0.0, hidden)
    model, out = s["model"], []
    with torch.no_grad():
        for x, y in s["train"]:
            out.append((int(x.shape[0]), probes.count_equal(model(x).argmax(1), y)))
    return out


def reference_fit(n: int, batch_size: int, seed: int, lr: float, val_n: int, epochs: int,
                  scheduler: bool = True, hidden: int = 8, step_size: int = 1, gamma: float = 0.5) -> dict:
    """What fit must return, computed with probes.reference_epoch / reference_evaluate."""
    s = _setup(n, batch_size, seed, lr, hidden, val_n, step_size, gamma)
    history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
    for _ in range(epochs):
        history["lr"].append(s["optimizer"].param_groups[0]["lr"])
        history["train_loss"].append(probes.reference_epoch(s["model"], s["train"], s["loss_fn"], s["optimizer"]))
        val = probes.reference_evaluate(s["model"], s["val"], s["loss_fn"])
        history["val_loss"].append(val["loss"])
        history["val_acc"].append(val["accuracy"])
        if scheduler:
            s["scheduler"].step()
    history["params"] = params_of(s["model"])
    return history


def reference_epoch_params(n: int, batch_size: int, seed: int, lr: float, hidden: int = 8) -> dict:
    s = _setup(n, batch_size, seed, lr, hidden)
    loss = probes.reference_epoch(s["model"], s["train"], s["loss_fn"], s["optimizer"])
    return {"loss": loss, "params": params_of(s["model"])}


# --- ex04: the student's loop under observation -----------------------------------
def epoch_run(n=37, batch_size=8, seed=0, lr=0.1, hidden=8, device=None, start_mode="train", record=False,
              epochs=1, ctx=None) -> dict:
    """train_one_epoch on training_setup's objects (``epochs`` calls on the same model).

    Returns result (the last return value), results (all of them), events (of
    the last call), moves (with ``record``), params, param_devices, training.
    """
    s = _setup(n, batch_size, seed, lr, hidden)
    model = s["model"]
    if device is not None:
        model.to(device)
    model.train(start_mode == "train")
    results, out = [], {}
    for _ in range(epochs):
        out = probes.run("ex04_training.train_one_epoch", (model, s["train"], s["loss_fn"], s["optimizer"]),
                         _kwargs(device), record=record, ctx=ctx)
        results.append(out["result"])
    out["results"] = results
    out["params"] = params_of(model)
    out["param_devices"] = devices_of(model)
    out["training"] = model.training
    out.pop("calls", None)
    return out


def evaluate_run(n=37, batch_size=8, seed=0, hidden=8, device=None, start_mode="train", record=False,
                 ctx=None) -> dict:
    """evaluate on training_setup's model and its (unshuffled) train loader."""
    s = _setup(n, batch_size, seed, 0.1, hidden)
    model = s["model"]
    if device is not None:
        model.to(device)
    model.train(start_mode == "train")
    out = probes.run("ex04_training.evaluate", (model, s["train"], s["loss_fn"]), _kwargs(device),
                     record=record, ctx=ctx)
    out["params"] = params_of(model)
    out["param_devices"] = devices_of(model)
    out.pop("calls", None)
    return out


def _train_one_epoch(model, loader, loss_fn, optimizer, device="cpu"):
    """A correct train_one_epoch, standing in for the student's while fit is checked."""
    model.train()
    total, count = 0.0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count


def _evaluate(model, loader, loss_fn, device="cpu"):
    """A correct evaluate, standing in for the student's while fit is checked."""
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += probes.count_equal(logits.argmax(1), y)
            count += len(y)
    return {"loss": total / count, "accuracy": correct / count}


@contextlib.contextmanager
def _correct_helpers(ctx):
    """fit is checked on its own: while it runs, the module's train_one_epoch and
    evaluate are correct ones, so a mistake there costs points only in their checks."""
    module = ctx.resolve(["module", "ex04_training"])
    saved = {name: module.__dict__.get(name) for name in ("train_one_epoch", "evaluate")}
    module.train_one_epoch, module.evaluate = _train_one_epoch, _evaluate
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def fit_run(n=37, batch_size=8, seed=0, lr=0.1, val_n=20, epochs=3, scheduler=True, hidden=8, step_size=1,
            gamma=0.5, device=None, log_dir=None, record=False, isolate=True, ctx=None) -> dict:
    """fit on training_setup's objects; the scheduler is ProbeStepLR or None.

    With ``isolate`` the student's train_one_epoch and evaluate are replaced by
    correct ones while fit runs (a fit that does the work itself is unaffected).
    """
    s = _setup(n, batch_size, seed, lr, hidden, val_n, step_size, gamma)
    kwargs = _kwargs(device)
    kwargs["scheduler"] = s["scheduler"] if scheduler else None
    if log_dir is not None:
        kwargs["log_dir"] = log_dir
    with _correct_helpers(ctx) if isolate else contextlib.nullcontext():
        out = probes.run("ex04_training.fit", (s["model"], s["train"], s["val"], s["loss_fn"], s["optimizer"], epochs),
                         kwargs, record=record, ctx=ctx)
    out["params"] = params_of(s["model"])
    out["param_devices"] = devices_of(s["model"])
    out.pop("calls", None)
    return out


# --- ex05 ---------------------------------------------------------------------------
def availability(ctx=None) -> dict:
    mps = getattr(torch.backends, "mps", None)
    return {"cuda": torch.cuda.is_available(), "mps": bool(mps is not None and mps.is_available())}


def _catching(fn, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    seen = [{"category": w.category.__name__, "user_warning": issubclass(w.category, UserWarning),
             "message": str(w.message)[:300]} for w in caught]
    return result, seen


def get_device_run(prefer=None, ctx=None) -> dict:
    """get_device(prefer) with the warnings it gave."""
    fn = ctx.resolve(["module", "ex05_device", "get_device"])
    result, seen = _catching(fn, prefer)
    return {"result": result, "is_device": isinstance(result, torch.device),
            "type": type(result).__name__, "warnings": seen}


@contextlib.contextmanager
def _simulated_machine(cuda: bool, mps: bool):
    """torch.cuda.is_available / device_count and torch.backends.mps.is_available answer as on a
    machine with (or without) these accelerators, while student code runs; restored afterwards."""
    saved_cuda = (torch.cuda.is_available, torch.cuda.device_count)
    mps_backend = getattr(torch.backends, "mps", None)
    saved_mps = getattr(mps_backend, "is_available", None)
    torch.cuda.is_available = lambda: cuda
    torch.cuda.device_count = lambda: 1 if cuda else 0
    if mps_backend is not None:
        mps_backend.is_available = lambda: mps
    try:
        yield
    finally:
        torch.cuda.is_available, torch.cuda.device_count = saved_cuda
        if mps_backend is not None:
            mps_backend.is_available = saved_mps


def get_device_simulated(prefer=None, cuda=False, mps=False, ctx=None) -> dict:
    """get_device(prefer) on a simulated machine (only availability is simulated: nothing is allocated)."""
    fn = ctx.resolve(["module", "ex05_device", "get_device"])
    with _simulated_machine(cuda, mps):
        result, seen = _catching(fn, prefer)
    return {"result": result, "is_device": isinstance(result, torch.device),
            "type": type(result).__name__, "warnings": seen}


def move_to_meta_run(ctx=None) -> dict:
    """move_to(batch, "meta"): the meta device exists on every machine, so a tensor that stays on
    the CPU shows up even without a GPU. Returns, per tensor of the batch, where the returned one
    lives, whether it is the original object, and whether .to() was called on the original."""
    fn = ctx.resolve(["module", "ex05_device", "move_to"])
    g = torch.Generator().manual_seed(17)
    tensors = {"x": torch.randn(3, 2, generator=g), "y": torch.randint(0, 4, (3,), generator=g),
               "z": torch.randn(5, generator=g), "w": torch.randn(2, 2, generator=g)}
    for name, t in tensors.items():
        probes._TAGS[id(t)] = (("meta", name), t)
    module = nn.Linear(2, 3)
    batch = {"x": tensors["x"], "pair": (tensors["y"], [tensors["z"], "tag", 3]), "extra": {"w": tensors["w"]},
             "model": module}
    recorder = probes.CallRecorder()
    with recorder:
        result = fn(batch, "meta")

    def pick(res, path):
        try:
            for key in path:
                res = res[key]
            return res
        except Exception:
            return None

    paths = {"x": ("x",), "y": ("pair", 0), "z": ("pair", 1, 0), "w": ("extra", "w")}
    called = {tuple(tag)[1] for tag, _ in recorder.moves if len(tag) == 2 and tag[0] == "meta"}
    out = {}
    for name, path in paths.items():
        got = pick(result, path)
        out[name] = {"device": str(got.device) if isinstance(got, torch.Tensor) else type(got).__name__,
                     "original": got is tensors[name], "to_called": name in called}
    moved_module = pick(result, ("model",))
    out["model"] = {"device": devices_of(moved_module) if isinstance(moved_module, nn.Module) else [],
                    "original": moved_module is module}
    return out


class _Marker:
    """A value move_to must hand back untouched (it has no .to)."""


def move_to_run(device="cpu", ctx=None) -> dict:
    """move_to on a nested structure of tagged tensors, a module and plain values.

    Returns result (tensors come back with their device; the module as a
    handle), moves (tagged .to/.cuda/.cpu calls), info on the module and the
    marker object, and the same for a bare tensor and a bare module.
    """
    fn = ctx.resolve(["module", "ex05_device", "move_to"])
    g = torch.Generator().manual_seed(11)
    tensors = {
        "a": torch.randn(2, 3, generator=g),
        "b": torch.randint(0, 9, (3,), generator=g),
        "c": torch.randn(4, generator=g),
        "d": torch.randn(1, 2, generator=g),
        "e": torch.randn(5, generator=g),
    }
    originals = {k: v.clone() for k, v in tensors.items()}
    for name, t in tensors.items():
        probes._TAGS[id(t)] = (("move_to", name), t)
    module = nn.Linear(3, 2)
    for name, p in module.named_parameters():
        probes._TAGS[id(p)] = (("module", name), p)
    marker = _Marker()
    obj = {
        "x": tensors["a"],
        "pair": (tensors["b"], [tensors["c"], 7, "label", None]),
        "nested": {"deep": [{"t": tensors["d"]}], "model": module, "info": {"k": 2.5, "name": "iris"}},
        "flag": True,
        "marker": marker,
    }
    recorder = probes.CallRecorder()
    with recorder:
        result = fn(obj, device)
    with recorder:
        single = fn(tensors["e"], device)
    bare_module = nn.Linear(2, 2)
    for name, p in bare_module.named_parameters():
        probes._TAGS[id(p)] = (("bare_module", name), p)
    with recorder:
        moved_module = fn(bare_module, device)

    def find_module(res):
        try:
            return res["nested"]["model"]
        except Exception:
            return None

    got_module = find_module(result)
    marker_back = result.get("marker") if isinstance(result, dict) else None
    # containers of other types: only their type names come back
    import collections

    Pair = collections.namedtuple("Pair", "inputs targets")
    typed = {"namedtuple": Pair(torch.zeros(2), torch.ones(2)), "ordered": collections.OrderedDict(a=torch.zeros(1)),
             "list": [torch.zeros(1), 1], "tuple": (torch.zeros(1), "t"), "nested": {"inner": [(torch.zeros(1),)]}}
    typed_back = fn(typed, device)

    def type_names(res):
        if not isinstance(res, dict):
            return {"result": type(res).__name__}
        names = {k: type(v).__name__ for k, v in res.items()}
        try:
            names["nested.inner"] = type(res["nested"]["inner"]).__name__
            names["nested.inner[0]"] = type(res["nested"]["inner"][0]).__name__
        except Exception:
            pass
        return names
    info = {
        "module_is_module": isinstance(got_module, nn.Module),
        "module_devices": devices_of(got_module) if isinstance(got_module, nn.Module) else [],
        "marker_same": marker_back is marker,
        "bare_module_is_module": isinstance(moved_module, nn.Module),
        "bare_module_devices": devices_of(moved_module) if isinstance(moved_module, nn.Module) else [],
        "bare_module_same": moved_module is bare_module,
        "container_types": type_names(typed_back),
    }
    if isinstance(result, dict) and isinstance(got_module, nn.Module):
        # replace the module by a description so that the result is all data
        result = dict(result)
        result["nested"] = dict(result["nested"]) if isinstance(result["nested"], dict) else result["nested"]
        result["nested"]["model"] = "<module>"
    if isinstance(result, dict) and marker_back is not None:
        result["marker"] = "<marker>"
    return {"result": result, "single": single, "moves": recorder.moves, "info": info,
            "originals": originals}


def to_numpy_run(device="cpu", ctx=None) -> dict:
    """to_numpy on a tensor that requires grad, on a non-leaf and on a plain tensor, on ``device``."""
    fn = ctx.resolve(["module", "ex05_device", "to_numpy"])
    g = torch.Generator().manual_seed(5)
    base = torch.randn(3, 4, generator=g)
    leaf = base.clone().to(device).requires_grad_(True)
    nonleaf = leaf * 2.0
    plain = torch.arange(6, dtype=torch.int64).reshape(2, 3).to(device)
    out = {"expected": {"leaf": base, "nonleaf": base * 2.0, "plain": torch.arange(6).reshape(2, 3)}}
    for name, t in (("leaf", leaf), ("nonleaf", nonleaf), ("plain", plain)):
        r = fn(t)
        out[name] = {"result": r, "type": f"{type(r).__module__}.{type(r).__name__}"}
    return out


def fit_iris_run(device="cpu", epochs=3, seed=0, record=False, ctx=None) -> dict:
    """fit_iris_on(device, epochs, seed): its history, where the model lives, the batch moves."""
    fn = ctx.resolve(["module", "ex05_device", "fit_iris_on"])
    recorder = probes.CallRecorder() if record else None
    if recorder is not None:
        with recorder:
            result = fn(device, epochs=epochs, seed=seed)
    else:
        result = fn(device, epochs=epochs, seed=seed)
    out = {"type": type(result).__name__, "keys": sorted(map(str, result)) if isinstance(result, dict) else []}
    model = result.get("model") if isinstance(result, dict) else None
    out["is_module"] = isinstance(model, nn.Module)
    out["param_devices"] = devices_of(model) if isinstance(model, nn.Module) else []
    out["history"] = result.get("history") if isinstance(result, dict) else None
    if recorder is not None:
        # moves of untagged tensors: [["other", shape], device]
        out["moves"] = [m for m in recorder.moves if m[0] and m[0][0] == "other"]
    if isinstance(model, nn.Module):
        x = torch.randn(5, 4, generator=torch.Generator().manual_seed(seed + 1))
        with torch.no_grad():
            was = model.training
            model.eval()
            logits = model(x.to(next(model.parameters()).device))
            model.train(was)
        out["logits"] = logits
    return out


# --- grader-side diagnosis: which mistake an event log points to --------------------
def epoch_mistake(events: list, n_batches: int) -> str:
    """The hint for a train_one_epoch whose parameters are not those of the reference.

    Replays the optimizer's story: a backward onto gradients that were not
    zeroed since the last one accumulates; a step without a backward since the
    last step, or with a zero_grad between backward and step, updates nothing.
    """
    clean, pending, wiped = True, False, False
    steps = 0
    for event in events:
        kind = event[0]
        if kind == "zero":
            clean = True
            wiped = wiped or pending
        elif kind == "backward":
            if not clean:
                return "hint.ex04_zero_grad"
            clean, pending, wiped = False, True, False
        elif kind == "step":
            steps += 1
            if not pending or wiped:
                return "hint.ex04_step_order"
            pending = False
    if steps != n_batches:
        return "hint.ex04_step_order"
    return "hint.ex04_epoch_params"
