"""nbgrader test cells for ex05: its public checks, made again in plain torch (see benchmarks/peer_course.py)."""
# %% setup
import torch
import collections as _c5_collections
import csv as _c5_csv
import math as _c5_math
import os as _c5_os
import warnings as _c5_warnings
from pathlib import Path as _c5_Path

import numpy as _c5_np
from torch.overrides import TorchFunctionMode as _c5_TorchFunctionMode

_c5_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
_c5_HISTORY_KEYS = ("train_loss", "val_loss", "val_acc", "lr")


def _c5_best_device():
    mps = getattr(torch.backends, "mps", None)
    if torch.cuda.is_available():
        return "cuda"
    return "mps" if mps is not None and mps.is_available() else "cpu"


def _c5_catching(fn, *args):
    with _c5_warnings.catch_warnings(record=True) as caught:
        _c5_warnings.simplefilter("always")
        result = fn(*args)
    return result, [w.category for w in caught]


def _c5_simulated(prefer, cuda, mps):
    """get_device(prefer) while torch.cuda.is_available / device_count and torch.backends.mps.is_available
    answer as on a machine with (or without) these accelerators: (result, warning categories)."""
    saved_cuda = (torch.cuda.is_available, torch.cuda.device_count)
    mps_backend = getattr(torch.backends, "mps", None)
    saved_mps = getattr(mps_backend, "is_available", None)
    torch.cuda.is_available = lambda: cuda
    torch.cuda.device_count = lambda: 1 if cuda else 0
    if mps_backend is not None:
        mps_backend.is_available = lambda: mps
    try:
        return _c5_catching(get_device, prefer)
    finally:
        torch.cuda.is_available, torch.cuda.device_count = saved_cuda
        if mps_backend is not None:
            mps_backend.is_available = saved_mps


def _c5_is_device(result, expected):
    return isinstance(result, torch.device) and result.type == expected


def _c5_move_tensors(seed=11):
    g = torch.Generator().manual_seed(seed)
    return {"a": torch.randn(2, 3, generator=g), "b": torch.randint(0, 9, (3,), generator=g),
            "c": torch.randn(4, generator=g), "d": torch.randn(1, 2, generator=g), "e": torch.randn(5, generator=g)}


def _c5_meta_tensors(seed=17):
    g = torch.Generator().manual_seed(seed)
    return {"x": torch.randn(3, 2, generator=g), "y": torch.randint(0, 4, (3,), generator=g),
            "z": torch.randn(5, generator=g), "w": torch.randn(2, 2, generator=g)}


class _c5_Marker:
    """A value move_to must hand back untouched (it has no .to)."""


_c5_Pair = _c5_collections.namedtuple("Pair", "inputs targets")


def _c5_moved(device):
    """move_to on a nested batch of tensors, a module and plain values, on a bare tensor, a bare module
    and on containers of other types: (result, type names of the typed containers moved back)."""
    tensors = {k: v.clone() for k, v in _c5_move_tensors().items()}
    module = torch.nn.Linear(3, 2)
    obj = {
        "x": tensors["a"],
        "pair": (tensors["b"], [tensors["c"], 7, "label", None]),
        "nested": {"deep": [{"t": tensors["d"]}], "model": module, "info": {"k": 2.5, "name": "iris"}},
        "flag": True,
        "marker": _c5_Marker(),
    }
    result = move_to(obj, device)
    move_to(tensors["e"], device)
    move_to(torch.nn.Linear(2, 2), device)
    typed = {"namedtuple": _c5_Pair(torch.zeros(2), torch.ones(2)),
             "ordered": _c5_collections.OrderedDict(a=torch.zeros(1)),
             "list": [torch.zeros(1), 1], "tuple": (torch.zeros(1), "t"), "nested": {"inner": [(torch.zeros(1),)]}}
    typed_back = move_to(typed, device)
    if isinstance(typed_back, dict):
        names = {k: type(v).__name__ for k, v in typed_back.items()}
        try:
            names["nested.inner"] = type(typed_back["nested"]["inner"]).__name__
            names["nested.inner[0]"] = type(typed_back["nested"]["inner"][0]).__name__
        except Exception:
            pass
    else:
        names = {"result": type(typed_back).__name__}
    return result, names


def _c5_check_structure(result, device):
    """The nested structure comes back with the same containers, tensors on ``device``, values kept."""
    original = _c5_move_tensors()
    assert isinstance(result, dict) and {"x", "pair", "nested", "flag"} <= set(result), "move_to: keys of the dict"
    pair = result["pair"]
    assert isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], list), "move_to: ['pair']"
    assert pair[1][1:] == [7, "label", None] and result["flag"] is True, "move_to: plain values"
    try:
        deep = result["nested"]["deep"][0]["t"]
    except (KeyError, IndexError, TypeError):
        deep = None
    for got, key in ((result["x"], "a"), (pair[0], "b"), (pair[1][0], "c"), (deep, "d")):
        assert isinstance(got, torch.Tensor), "move_to: a tensor is missing"
        expected = original[key]
        back = got.detach().cpu()
        assert back.shape == expected.shape and back.dtype == expected.dtype and torch.equal(back, expected), \
            "move_to: tensor values"
        assert got.device.type == device, f"move_to: tensor not on {device}"


def _c5_iris():
    """{"train": (x, y), "val": (x, y)} scaled with the train split's min-max statistics."""
    folder = _c5_os.environ.get("DL_DATA_DIR") or "data"
    with (_c5_Path(folder) / "iris.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(_c5_csv.DictReader(fh))
    out = {}
    for split in ("train", "val"):
        chosen = [r for r in rows if r["split"] == split]
        x = torch.tensor([[float(r[f]) for f in _c5_FEATURES] for r in chosen], dtype=torch.float32)
        out[split] = (x, torch.tensor([int(r["label"]) for r in chosen], dtype=torch.int64))
    lo, hi = out["train"][0].amin(0), out["train"][0].amax(0)
    span = torch.where(hi - lo == 0, torch.ones_like(hi), hi - lo)
    return {split: ((x - lo) / span, y) for split, (x, y) in out.items()}


def _c5_layers_of(state, in_features=4, classes=3):
    """[(weight, bias), ...] of a state dict made of Linear layers only, in key order and chained."""
    assert isinstance(state, dict) and state, "no state dict"
    tensors = list(state.items())
    layers, i, width = [], 0, in_features
    while i < len(tensors):
        key, w = tensors[i]
        assert isinstance(w, torch.Tensor) and w.dim() == 2 and w.is_floating_point(), f"{key}: not a Linear weight"
        bias = None
        if i + 1 < len(tensors):
            _, b = tensors[i + 1]
            if isinstance(b, torch.Tensor) and b.dim() == 1 and b.shape[0] == w.shape[0] and b.is_floating_point():
                bias, i = b, i + 1
        assert w.shape[1] == width, f"{key}: shape {list(w.shape)} after a layer of width {width}"
        layers.append((w.detach().to(torch.float32), None if bias is None else bias.detach().to(torch.float32)))
        width, i = w.shape[0], i + 1
    assert width == classes, f"the last layer gives {width} outputs"
    return layers


def _c5_scores(layers, data):
    x, y = data
    with torch.no_grad():
        h = x
        for j, (w, b) in enumerate(layers):
            h = torch.nn.functional.linear(h, w, b)
            if j < len(layers) - 1:
                h = torch.relu(h)
        if not torch.isfinite(h).all():
            return {"loss": float("nan"), "accuracy": 0.0}
        return {"loss": float(torch.nn.functional.cross_entropy(h, y)),
                "accuracy": float((h.argmax(1) == y).double().mean())}


class _c5_Recorder(_c5_TorchFunctionMode):
    """Records .to/.cuda called on tensors that are not parameters: [(shape, device), ...]."""

    def __init__(self):
        super().__init__()
        self.moves = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        short = getattr(func, "__name__", "")
        if short in ("to", "cuda") and args and isinstance(args[0], torch.Tensor) \
                and not isinstance(args[0], torch.nn.Parameter):
            self.moves.append((list(args[0].shape), _nb_device_of(args, kwargs, short)))
        return func(*args, **kwargs)


def _c5_fit_iris(device, epochs, seed=0, record=False):
    """fit_iris_on(device, epochs=epochs, seed=seed), its return shape checked:
    (state dict on the CPU, history, devices of the model, moves)."""
    recorder = _c5_Recorder() if record else None
    if recorder is not None:
        with recorder:
            result = fit_iris_on(device, epochs=epochs, seed=seed)
    else:
        result = fit_iris_on(device, epochs=epochs, seed=seed)
    assert type(result).__name__ == "dict" and {"model", "history"} <= set(map(str, result)), \
        "fit_iris_on must return {'model', 'history'}"
    model, history = result["model"], result["history"]
    assert isinstance(model, torch.nn.Module), "fit_iris_on(...)['model'] is not an nn.Module"
    assert isinstance(history, dict), "fit_iris_on(...)['history'] is not a dict"
    for key in _c5_HISTORY_KEYS:
        assert key in history and len(history[key]) == epochs, f"history[{key!r}]"
        for value in history[key]:
            assert isinstance(value, (int, float)) and not isinstance(value, bool), f"history[{key!r}]: not floats"
    devices = sorted({str(p.device) for p in model.parameters()} | {str(b.device) for b in model.buffers()})
    state = {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}
    return state, history, devices, (recorder.moves if recorder is not None else [])


def _c5_judged(state, history):
    """The returned weights, rebuilt as Linear layers with ReLU between, scored on the validation split;
    the history's last epoch must report the same."""
    layers = _c5_layers_of(state)
    assert [list(w.shape) for w, _ in layers] == [[16, 4], [3, 16]], "the model is not MLP(4, [16], 3)"
    val = _c5_scores(layers, _c5_iris()["val"])
    reported_loss, reported_acc = float(history["val_loss"][-1]), float(history["val_acc"][-1])
    assert _c5_math.isclose(reported_loss, val["loss"], rel_tol=1e-3, abs_tol=1e-4) \
        and abs(reported_acc - val["accuracy"]) <= 1 / 24 + 1e-9, "the history is not that of the returned model"
    return val


# %% test_get_device_auto
def _c5_cell():
    result, _ = _c5_catching(get_device, None)
    assert _c5_is_device(result, _c5_best_device()), "get_device()"


_c5_cell()

# %% test_get_device_cpu
def _c5_cell():
    result, _ = _c5_catching(get_device, "cpu")
    assert _c5_is_device(result, "cpu"), "get_device('cpu')"


_c5_cell()

# %% test_get_device_cuda_falls_back
def _c5_cell():
    result, categories = _c5_simulated("cuda", False, False)
    assert _c5_is_device(result, "cpu"), "get_device('cuda') without a GPU"
    assert any(issubclass(c, UserWarning) for c in categories), "no UserWarning"


_c5_cell()

# %% test_get_device_auto_order
def _c5_cell():
    for (cuda, mps), expected in (((False, True), "mps"), ((True, True), "cuda"), ((False, False), "cpu"),
                                  ((True, False), "cuda")):
        result, _ = _c5_simulated(None, cuda, mps)
        assert _c5_is_device(result, expected), f"get_device() with cuda={cuda}, mps={mps}"


_c5_cell()

# %% test_move_to_nested
def _c5_cell():
    for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
        result, _ = _c5_moved(device)
        _c5_check_structure(result, device)


_c5_cell()

# %% test_move_to_keeps_container_types
def _c5_cell():
    result, names = _c5_moved("cpu")
    _c5_check_structure(result, "cpu")
    expected = {"namedtuple": "Pair", "ordered": "OrderedDict", "list": "list", "tuple": "tuple", "nested": "dict",
                "nested.inner": "list", "nested.inner[0]": "tuple"}
    for key, name in expected.items():
        assert names.get(key) == name, f"type of move_to(batch)[{key!r}]"


_c5_cell()

# %% test_move_to_returns_moved
def _c5_cell():
    result, _ = _c5_moved("cpu")
    _c5_check_structure(result, "cpu")
    tensors = {k: v.clone() for k, v in _c5_meta_tensors(23).items()}
    batch = {"x": tensors["x"], "pair": (tensors["y"], [tensors["z"], "tag", 3]), "extra": {"w": tensors["w"]},
             "model": torch.nn.Linear(2, 3)}
    back = move_to(batch, "meta")
    for path in (("x",), ("pair", 0), ("pair", 1, 0), ("extra", "w")):
        got = back
        try:
            for key in path:
                got = got[key]
        except Exception:
            got = None
        assert isinstance(got, torch.Tensor) and str(got.device) == "meta", f"move_to(batch, 'meta'){list(path)}"


_c5_cell()

# %% test_to_numpy_requires_grad
def _c5_cell():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    g = torch.Generator().manual_seed(5)
    base = torch.randn(3, 4, generator=g)
    plain = torch.randint(-50, 50, (2, 3), generator=g, dtype=torch.int64)
    leaf = base.clone().to(device).requires_grad_(True)
    nonleaf = leaf * 2.0
    got = to_numpy(leaf)
    to_numpy(nonleaf)
    to_numpy(plain.clone().to(device))
    assert isinstance(got, _c5_np.ndarray), "to_numpy must return a numpy.ndarray"
    back = torch.from_numpy(got)
    assert back.shape == base.shape and back.dtype == base.dtype, "to_numpy: shape or dtype"
    assert torch.allclose(back.double(), base.double(), atol=1e-5, rtol=1e-4), "to_numpy: values"


_c5_cell()

# %% test_fit_iris_on_cpu
def _c5_cell():
    state, history, devices, _ = _c5_fit_iris("cpu", epochs=6)
    val = _c5_judged(state, history)
    assert val["loss"] < 0.9, "the returned model's validation loss is not below 0.9 after 6 epochs"
    assert devices == ["cpu"], "the model is not on the cpu"


_c5_cell()

# %% test_fit_iris_on_moves_batches
def _c5_cell():
    device = "cuda" if torch.cuda.is_available() else "cpu:0"
    kind = device.split(":")[0]
    epochs = 2
    state, history, devices, moves = _c5_fit_iris(device, epochs=epochs, seed=2, record=True)
    _c5_judged(state, history)
    assert devices and all(d.split(":")[0] == kind for d in devices), f"the model is not on {device}"
    feature_moves = [d for shape, d in moves if len(shape) == 2 and shape[-1] == 4 and isinstance(d, str)]
    wanted = str(torch.device(device)) if kind == "cpu" else None
    assert len(feature_moves) >= epochs and all(d.split(":")[0] == kind and (wanted is None or d == wanted)
                                                for d in feature_moves), f"batches not moved to {device!r}"


_c5_cell()

# %% test_fit_iris_on_same_seed
def _c5_cell():
    runs = {}
    for label, seed in (("first", 5), ("again", 5), ("other", 6)):
        state, history, _, _ = _c5_fit_iris("cpu", epochs=2, seed=seed)
        _c5_judged(state, history)
        runs[label] = state

    def same(a, b):
        return list(a) == list(b) and all(torch.equal(a[k], b[k]) for k in a)

    assert same(runs["first"], runs["again"]), "seed 5 twice gives two different models"
    assert not same(runs["first"], runs["other"]), "seeds 5 and 6 give the same model"


_c5_cell()
