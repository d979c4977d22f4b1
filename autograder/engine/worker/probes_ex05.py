"""Instruments of ex05, declared with ``@instrument`` (engine/worker/probes.py).

They run in the worker next to student code (``run_probe(sub, probes_ex05.name, ...)``). They only
build inputs from what the grader sends (initial weights, batches, a learning rate), call one
student function under observation and return raw results: the return value, the event log,
the recorded moves, the state dict afterwards. Nothing here computes a correct answer: the
grader does that itself, in ``autograder/checks/reference/ex04.py`` and ``ex05.py``, which the
worker never receives. What only the worker can observe (the mode of the model in each
forward, gradients enabled, .to(device) calls) may only take points away, never give them.
"""
from __future__ import annotations

import contextlib
import warnings

import torch
from torch import nn

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from . import probes
    from .probes import instrument
except ImportError:  # pragma: no cover - worker side
    import probes
    from probes import instrument
try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from .probes_ex04 import devices_of, params_of
except ImportError:  # pragma: no cover - worker side
    from probes_ex04 import devices_of, params_of


@instrument
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


@instrument(ctx=True)
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


@instrument(ctx=True)
def get_device_simulated(prefer=None, cuda=False, mps=False, ctx=None) -> dict:
    """get_device(prefer) on a simulated machine (only availability is simulated: nothing is allocated)."""
    fn = ctx.resolve(["module", "ex05_device", "get_device"])
    with _simulated_machine(cuda, mps):
        result, seen = _catching(fn, prefer)
    return {"result": result, "is_device": isinstance(result, torch.device),
            "type": type(result).__name__, "warnings": seen}


@instrument(ctx=True)
def move_to_meta_run(tensors, ctx=None) -> dict:
    """move_to(batch, "meta"): the meta device exists on every machine, so a tensor that stays on
    the CPU shows up even without a GPU. Returns, per tensor of the batch, where the returned one
    lives, whether it is the original object, and whether .to() was called on the original."""
    fn = ctx.resolve(["module", "ex05_device", "move_to"])
    tensors = {k: v.clone() for k, v in tensors.items()}  # x [3, 2], y [3], z [5], w [2, 2] from the grader
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


@instrument(ctx=True)
def move_to_run(tensors, device="cpu", ctx=None) -> dict:
    """move_to on a nested structure of tagged tensors, a module and plain values.

    Returns result (tensors come back with their device; the module as a
    handle), moves (tagged .to/.cuda/.cpu calls), info on the module and the
    marker object, and the same for a bare tensor and a bare module.
    """
    fn = ctx.resolve(["module", "ex05_device", "move_to"])
    tensors = {k: v.clone() for k, v in tensors.items()}  # a, b, c, d, e from the grader
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
    return {"result": result, "single": single, "moves": recorder.moves, "info": info}


@instrument(ctx=True)
def to_numpy_run(base, plain, device="cpu", ctx=None) -> dict:
    """to_numpy on a tensor that requires grad (``base``), on a non-leaf (``2 * base``) and on a
    plain int64 tensor (``plain``), on ``device``; the grader sent the tensors."""
    fn = ctx.resolve(["module", "ex05_device", "to_numpy"])
    leaf = base.clone().to(device).requires_grad_(True)
    nonleaf = leaf * 2.0
    plain = plain.clone().to(device)
    out = {}
    for name, t in (("leaf", leaf), ("nonleaf", nonleaf), ("plain", plain)):
        r = fn(t)
        out[name] = {"result": r, "type": f"{type(r).__module__}.{type(r).__name__}"}
    return out


@instrument(ctx=True)
def fit_iris_run(device="cpu", epochs=3, seed=0, record=False, ctx=None) -> dict:
    """fit_iris_on(device, epochs, seed): its history, the returned model's state dict (as data,
    for the grader to evaluate itself), where the model lives, the batch moves."""
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
    out["state"] = params_of(model) if isinstance(model, nn.Module) else None
    out["history"] = result.get("history") if isinstance(result, dict) else None
    if recorder is not None:
        # moves of untagged tensors: [["other", shape], device]
        out["moves"] = [m for m in recorder.moves if m[0] and m[0][0] == "other"]
    return out
