"""nbgrader test cells for ex08: its public checks, made again in plain torch (see benchmarks/peer_course.py)."""
# %% setup
import torch
import contextlib as _contextlib
import gzip as _gzip
import importlib.util as _importlib_util
import math as _math
import os as _os
import re as _re
import tempfile as _tempfile
from pathlib import Path as _Path

import numpy as _np

_N_DIGITS = 1797
_DIGITS_REF = {}


def _digits_xy():
    """scikit-learn's bundled digits, read from its file: X [1797, 64] in 0..16 and y [1797]."""
    spec = _importlib_util.find_spec("sklearn")
    path = _Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    with _gzip.open(path, "rt") as fh:
        data = _np.loadtxt(fh, delimiter=",")
    return data[:, :-1], data[:, -1].astype(_np.int64)


def _digits_table():
    """{pixel bytes (0..16 as uint8): label} and the class counts."""
    if not _DIGITS_REF:
        X, y = _digits_xy()
        rows = torch.as_tensor(X).round().to(torch.uint8)
        _DIGITS_REF["labels"] = {bytes(r.numpy().tobytes()): int(label) for r, label in zip(rows, y)}
        _DIGITS_REF["counts"] = torch.bincount(torch.as_tensor(y), minlength=10).tolist()
    return _DIGITS_REF


def _identify_digits(x):
    """True labels of the rows of x (pixels / 16), None for a row that is not a digit of the set."""
    table = _digits_table()["labels"]
    scaled = x.detach().to(torch.float64) * 16.0
    ints = scaled.round()
    exact = (scaled - ints).abs().amax(dim=1) < 1e-4
    keys = ints.clamp(0, 255).to(torch.uint8)
    return [table.get(bytes(k.numpy().tobytes())) if ok else None for k, ok in zip(keys, exact.tolist())]


_REF_SPLITS = {}


def _ref_split(seed, test_size=0.25):
    """train_test_split(X / 16, y, test_size, stratify=y, random_state=seed) as tensors."""
    if (seed, test_size) not in _REF_SPLITS:
        from sklearn.model_selection import train_test_split as _tts

        X, y = _digits_xy()
        parts = _tts((X / 16.0).astype(_np.float32), y.astype(_np.int64), test_size=test_size, stratify=y,
                     random_state=seed)
        _REF_SPLITS[(seed, test_size)] = tuple(torch.as_tensor(a) for a in parts)
    return _REF_SPLITS[(seed, test_size)]


def _split(**kwargs):
    parts = load_digits_split(**kwargs)
    assert isinstance(parts, (tuple, list)) and len(parts) == 4, "must return (X_train, X_test, y_train, y_test)"
    return list(parts)


def _expect_split_shapes(parts, n_train, n_test):
    shapes = ([n_train, 64], [n_test, 64], [n_train], [n_test])
    dtypes = (torch.float32, torch.float32, torch.int64, torch.int64)
    for value, shape in zip(parts, shapes):
        assert isinstance(value, torch.Tensor), "the parts must be tensors"
        assert tuple(value.shape) == tuple(shape), f"shape {list(value.shape)}, expected {shape}"
    for value, dtype in zip(parts, dtypes):
        assert value.dtype == dtype, f"dtype {value.dtype}, expected {dtype}"


def _expect_scaled_digits(parts):
    """Every row is a digit of the set divided by 16; returns the true labels of train and test."""
    labels = []
    for x in (parts[0], parts[1]):
        assert float(x.min()) >= 0.0 and float(x.max()) <= 1.0, "pixels must be in [0, 1]"
        found = _identify_digits(x)
        assert sum(v is None for v in found) == 0, "every row must be load_digits().data[i] / 16"
        labels.append(found)
    return labels


def _params_of(module):
    return {k: v.detach().to("cpu").clone() for k, v in module.state_dict().items()}


_DIGITS_RUNS = {}


def _digits_run(**kwargs):
    """train_digits(**kwargs) (run once per arguments, an error too): the returned model's state dict,
    test_accuracy, history lengths, and load_digits_split(seed)'s X_test."""
    key = tuple(sorted(kwargs.items()))
    if key not in _DIGITS_RUNS:
        try:
            result = train_digits(**kwargs)
            out = {"type": type(result).__name__,
                   "keys": sorted(map(str, result)) if isinstance(result, dict) else []}
            model_ = result.get("model") if isinstance(result, dict) else None
            out["is_module"] = isinstance(model_, torch.nn.Module)
            if out["is_module"]:
                out["state"] = _params_of(model_)
            if isinstance(result, dict):
                history = result.get("history")
                out["history_lengths"] = ({str(k): len(v) for k, v in history.items() if isinstance(v, (list, tuple))}
                                          if isinstance(history, dict) else None)
                out["test_accuracy"] = _nb_plain(result.get("test_accuracy"))
                if isinstance(out["test_accuracy"], torch.Tensor) and out["test_accuracy"].numel() == 1:
                    out["test_accuracy"] = out["test_accuracy"].detach().cpu()
                if out["is_module"]:
                    out["X_test"] = torch.as_tensor(load_digits_split(seed=kwargs.get("seed", 0))[1]).detach().cpu()
            _DIGITS_RUNS[key] = ("ok", out)
        except Exception as exc:  # noqa: BLE001 - every check of this run fails with it
            _DIGITS_RUNS[key] = ("error", exc)
    status, value = _DIGITS_RUNS[key]
    if status == "error":
        raise value
    return value


def _network(out):
    assert out["type"] == "dict" and {"model", "history", "test_accuracy"} <= set(out["keys"]), \
        "train_digits must return {'model', 'history', 'test_accuracy'}"
    assert out["is_module"], "'model' must be an nn.Module"
    return _nb_linear_stack(out.get("state"), 64, 10)


def _accuracy(layers_, x, y, batch=2000):
    correct = 0
    for i in range(0, len(x), batch):
        h = x[i:i + batch].reshape(len(x[i:i + batch]), -1).to(torch.float32)
        with torch.no_grad():
            for j, (w, b) in enumerate(layers_):
                h = torch.nn.functional.linear(h, w, b)
                if j < len(layers_) - 1:
                    h = torch.relu(h)
        correct += int((h.argmax(1) == y[i:i + batch]).sum())
    return correct / max(len(x), 1)


def _expect_accuracy(**kwargs):
    out = _digits_run(**kwargs)
    layers_ = _network(out)
    _, x_test, _, y_test = _ref_split(kwargs.get("seed", 0))
    acc = _accuracy(layers_, x_test, y_test)
    assert acc >= 0.95, f"test accuracy {acc:.4f}, expected >= 0.95"

# %% test_load_digits_split_shapes
_expect_split_shapes(_split(), 1347, 450)

# %% test_load_digits_split_scaled
_parts = _split()
_expect_split_shapes(_parts, 1347, 450)
_expect_scaled_digits(_parts)

# %% test_load_digits_split_stratified
def _test_stratified():
    parts = _split()
    _expect_split_shapes(parts, 1347, 450)
    _, test_labels = _expect_scaled_digits(parts)
    counts = _digits_table()["counts"]
    got = torch.bincount(torch.tensor(test_labels), minlength=10).tolist()
    worst = max(abs(g - c * 450 / _N_DIGITS) for g, c in zip(got, counts))
    assert worst <= 1.0, f"test samples per digit {got}: not stratified"


_test_stratified()

# %% test_train_digits_returns_dict
_network(_digits_run())

# %% test_train_digits_accuracy
_expect_accuracy()

# %% test_train_digits_reported_accuracy
def _test_reported():
    out = _digits_run()
    layers_ = _network(out)
    x = out.get("X_test")
    assert isinstance(x, torch.Tensor), "X_test must be a tensor"
    assert x.dim() == 2 and x.shape[1] == 64 and len(x) > 0, "X_test must be [n, 64]"
    labels = _identify_digits(x)
    assert sum(v is None for v in labels) == 0, "X_test rows must be load_digits().data[i] / 16"
    acc = _accuracy(layers_, x, torch.tensor(labels))
    value = out["test_accuracy"]
    assert not isinstance(value, (torch.Tensor, bool)) and isinstance(value, (int, float)), \
        "test_accuracy must be a float"
    assert _math.isclose(float(value), acc, abs_tol=1e-6), f"test_accuracy {value}, the model's accuracy is {acc}"


_test_reported()

# %% test_mnist_loaders_missing_files
def _test_mnist_missing():
    root = "mnist_empty_public"
    old = _os.getcwd()
    with _tempfile.TemporaryDirectory() as tmp:
        _os.chdir(tmp)
        try:
            _Path(root).mkdir(parents=True, exist_ok=True)
            try:
                mnist_loaders(root=root)
            except NotImplementedError:
                raise AssertionError("mnist_loaders is not implemented")
            except Exception as exc:  # noqa: BLE001
                message = str(exc)[:2000]
            else:
                raise AssertionError("mnist_loaders on a folder without the files must raise")
        finally:
            _os.chdir(old)
    how_to_get = _re.compile(r"download|https?://|cop(y|ied)|\bput\b|\bplace\b|下载|复制|拷贝|放", _re.IGNORECASE)
    assert root in message and how_to_get.search(message), \
        "the message must name the folder and say how to get the files"


_test_mnist_missing()

# %% test_load_digits_split_arguments
def _test_split_arguments():
    parts = _split(seed=3, test_size=0.2)
    _expect_split_shapes(parts, _N_DIGITS - 360, 360)
    _expect_scaled_digits(parts)
    again = _split(seed=3, test_size=0.2)
    assert all(torch.equal(a, b) for a, b in zip(parts, again)), "the same seed must give the same split"
    other = _split(seed=4, test_size=0.2)
    assert not torch.equal(other[1], parts[1]), "another seed must give another test set"


_test_split_arguments()

# %% test_train_digits_arguments
def _test_train_arguments():
    _expect_accuracy()  # the arguments count only for a train_digits that learns
    out = _digits_run(epochs=1, hidden=(20,), seed=2)
    layers_ = _network(out)
    assert [list(w.shape) for w, _b in layers_] == [[20, 64], [10, 20]], "expected Linear(64, 20), Linear(20, 10)"
    lengths = out.get("history_lengths") or {}
    assert lengths.get("train_loss") == 1, "expected a history of 1 epoch"


_test_train_arguments()
