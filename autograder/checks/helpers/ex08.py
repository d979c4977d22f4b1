"""Helpers of ex08's checks, public and hidden: running its instruments, building inputs, and the
expectations both suites share. The checks themselves are in public/ and hidden/.
"""
import math
import re

import torch

from ...engine.client import StudentError
from ...engine.worker import probes_ex08
from ...feedback.catalog import Msg
from ...feedback.reasons import reason
from ..api import SETTINGS, curve, expect, expect_tensor, fail, run_probe
from ..reference import ex08 as px

MODULE = "ex08_capstone"


N_DIGITS = 1797


def probe(sub, probe_name, func, **kwargs):
    """Run probes_ex08.<probe_name> in the worker; errors are reported against the student's ``func``."""
    return run_probe(sub, probe_name, f"{MODULE}.{func}", **kwargs)


_DIGITS: dict = {}


def digits():
    """{pixel bytes (0..16 as uint8): label} and the class counts, from scikit-learn's bundled file."""
    if not _DIGITS:
        from ..reference_data import digits_xy

        X, y = digits_xy()
        rows = torch.as_tensor(X).round().to(torch.uint8)
        _DIGITS["labels"] = {bytes(r.numpy().tobytes()): int(label) for r, label in zip(rows, y)}
        _DIGITS["counts"] = torch.bincount(torch.as_tensor(y), minlength=10).tolist()
    return _DIGITS


def identify(x: torch.Tensor):
    """True labels of the rows of x (pixels / 16), or None for a row that is not a digit of the set."""
    table = digits()["labels"]
    scaled = x.detach().to(torch.float64) * 16.0
    ints = scaled.round()
    exact = (scaled - ints).abs().amax(dim=1) < 1e-4
    keys = ints.clamp(0, 255).to(torch.uint8)
    return [table.get(bytes(k.numpy().tobytes())) if ok else None for k, ok in zip(keys, exact.tolist())]


def split(ex08, **kwargs):
    call = "load_digits_split(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"
    parts = ex08.load_digits_split(**kwargs)
    expect(isinstance(parts, (tuple, list)) and len(parts) == 4,
           Msg("cmp.type", expected="(X_train, X_test, y_train, y_test)", got=type(parts).__name__),
           hint="hint.ex08_split_shapes", name=call)
    return list(parts), call


def expect_split_shapes(parts, call, n_train, n_test):
    names = ("X_train", "X_test", "y_train", "y_test")
    shapes = ([n_train, 64], [n_test, 64], [n_train], [n_test])
    dtypes = (torch.float32, torch.float32, torch.int64, torch.int64)
    for name, value, shape in zip(names, parts, shapes):
        expect_tensor(value, shape=shape, hint="hint.ex08_split_shapes", name=f"{call}: {name}")
    for name, value, dtype in zip(names, parts, dtypes):
        expect_tensor(value, dtype=dtype, hint="hint.ex08_dtypes", name=f"{call}: {name}")


def expect_scaled_digits(parts, call):
    """Every row is a digit of the set divided by 16; returns the true labels of train and test."""
    labels = []
    for name, x in (("X_train", parts[0]), ("X_test", parts[1])):
        lo, hi = float(x.min()), float(x.max())
        expect(lo >= 0.0 and hi <= 1.0, Msg("cmp.number", got=f"values in [{lo:.4g}, {hi:.4g}]", expected="[0, 1]"),
               hint="hint.ex08_scale", name=f"{call}: {name}")
        found = identify(x)
        unknown = sum(v is None for v in found)
        expect(unknown == 0, Msg("cmp.number", got=Msg("value.ex08_unknown_rows", unknown=unknown, count=len(found)),
                                 expected=Msg("value.ex08_every_row")),
               hint="hint.ex08_scale", name=f"{call}: {name}")
        labels.append(found)
    return labels


def expect_stratified(test_labels, test_size, call):
    counts = digits()["counts"]
    got = torch.bincount(torch.tensor(test_labels), minlength=10).tolist()
    worst = max(abs(g - c * test_size) for g, c in zip(got, counts))
    expect(worst <= 1.0, Msg("cmp.number", got=Msg("value.ex08_per_digit", counts=str(got)),
                             expected=Msg("value.ex08_about", counts=str([round(c * test_size, 1) for c in counts]))),
           hint="hint.ex08_stratify", name=f"{call}: y_test")


_RUNS: dict = {}


def digits_run(sub, **kwargs):
    """probes_ex08.digits_run, cached per submission (a student error is cached too)."""
    key = (str(sub.folder.root), tuple(sorted(kwargs.items())))
    if key not in _RUNS:
        try:
            _RUNS[key] = ("ok", probe(sub, probes_ex08.digits_run, "train_digits", kwargs=kwargs))
        except StudentError as exc:
            _RUNS[key] = ("error", exc)
    status, value = _RUNS[key]
    if status == "error":
        raise value
    return value


def train_call(kwargs):
    return "train_digits(" + ", ".join(f"{k}={v}" for k, v in kwargs.items()) + ")"


def expect_train_result(out, kwargs):
    call = train_call(kwargs)
    keys = ("model", "history", "test_accuracy")
    expect(out["type"] == "dict" and set(keys) <= set(out["keys"]),
           Msg("cmp.type", expected=Msg("value.dict_keys", keys=", ".join(keys)), got=out["keys"] or out["type"]),
           hint="hint.ex08_train_result", name=call)
    expect(out["is_module"], Msg("cmp.type", expected="nn.Module", got=Msg("value.something_else")),
           hint="hint.ex08_train_result", name=f"{call}['model']")


def network(out, kwargs, in_features=64):
    """The returned model rebuilt in the grader from its state dict; fails unless it is an MLP of Linear layers."""
    expect_train_result(out, kwargs)
    try:
        return px.linear_stack(out.get("state"), in_features, 10)
    except px.NotAnMLP as exc:
        fail(Msg("cmp.type", expected=Msg("value.ex08_mlp"),
                 got=reason(f"{out.get('model_type', '?')}: {exc}")), hint="hint.ex08_not_mlp",
             name=f"{train_call(kwargs)}['model'].state_dict()")


_SPLITS: dict = {}


def grader_split(seed: int, test_size: float = 0.25):
    if (seed, test_size) not in _SPLITS:
        from ..reference_data import digits_split

        _SPLITS[(seed, test_size)] = digits_split(seed, test_size)
    return _SPLITS[(seed, test_size)]


def grader_accuracy(out, kwargs):
    """The accuracy of the rebuilt network on the grader's own test split for the seed."""
    layers = network(out, kwargs)
    _, x_test, _, y_test = grader_split(kwargs.get("seed", 0))
    return px.accuracy(layers, x_test, y_test)


def accuracy_on_student_split(out, kwargs):
    """The rebuilt network's accuracy on the student's X_test, scored with the grader's labels."""
    call = train_call(kwargs)
    layers = network(out, kwargs)
    x = out.get("X_test")
    expect_tensor(x, hint="hint.ex08_scale", name=f"{call}: load_digits_split(seed).X_test")
    expect(x.dim() == 2 and x.shape[1] == 64 and len(x) > 0,
           Msg("cmp.shape", got=list(x.shape), expected=["n", 64]), hint="hint.ex08_split_shapes",
           name=f"{call}: load_digits_split(seed).X_test")
    labels = identify(x)
    unknown = sum(v is None for v in labels)
    expect(unknown == 0, Msg("cmp.number", got=Msg("value.ex08_unknown_test_rows", unknown=unknown),
                             expected="X_test rows = load_digits().data[i] / 16"),
           hint="hint.ex08_scale", name=f"{call}: load_digits_split(seed).X_test")
    return px.accuracy(layers, x, torch.tensor(labels))


def expect_accuracy(sub, kwargs):
    out = digits_run(sub, **kwargs)
    acc = grader_accuracy(out, kwargs)
    if acc < 0.95 and SETTINGS["reveal_expected"]:  # a picture for a failing public check only
        settings = {k: v for k, v in kwargs.items() if k in ("seed", "epochs", "lr", "batch_size")}
        if "hidden" in kwargs:
            settings["hidden"] = tuple(kwargs["hidden"])
        history = out.get("val_acc") if isinstance(out.get("val_acc"), list) else []
        curve(f"{train_call(kwargs)}: history['val_acc'] (>= 0.95)",
              {"val_acc": history}, {"val_acc": px.digits_accuracy_per_epoch(**settings)})
    expect(acc >= 0.95, Msg("cmp.number", got=f"{acc:.4f}", expected=">= 0.95"), hint="hint.ex08_accuracy",
           name=Msg("label.ex08_test_accuracy", call=train_call(kwargs)))


def expect_reported_accuracy(sub, kwargs):
    out = digits_run(sub, **kwargs)
    acc = accuracy_on_student_split(out, kwargs)
    value = out["test_accuracy"]
    if isinstance(value, torch.Tensor) or isinstance(value, bool) or not isinstance(value, (int, float)):
        fail(Msg("cmp.type", expected="float", got=type(value).__name__ if not isinstance(value, torch.Tensor)
                 else "Tensor"), hint="hint.ex08_test_accuracy", name=f"{train_call(kwargs)}['test_accuracy']")
    expect(math.isclose(float(value), acc, abs_tol=1e-6),
           Msg("cmp.number", got=f"{float(value):.6g}", expected=Msg("value.ex08_accuracy", acc=acc)),
           hint="hint.ex08_test_accuracy", name=f"{train_call(kwargs)}['test_accuracy']")


def expect_seeded_split(ex08, parts, call, seed, test_size):
    """``parts`` of load_digits_split(seed=seed, test_size=test_size) (named ``call``): the same seed
    gives the same split again, seed + 1 another test set."""
    again, _ = split(ex08, seed=seed, test_size=test_size)
    expect(all(torch.equal(a, b) for a, b in zip(parts, again)),
           Msg("cmp.number", got=Msg("value.ex08_other_split"), expected=Msg("value.ex08_same_split")),
           hint="hint.ex08_seed", name=call)
    other, other_call = split(ex08, seed=seed + 1, test_size=test_size)
    expect(not torch.equal(other[1], parts[1]), Msg("cmp.number", got=Msg("value.ex08_same_test"),
                                                    expected=Msg("value.ex08_other_test")),
           hint="hint.ex08_seed", name=other_call)


def expect_trains_with_arguments(sub, kwargs, learns_kwargs):
    """train_digits(**kwargs), kwargs holding epochs, hidden and seed, once train_digits(**learns_kwargs)
    reaches the accuracy (the arguments count only for a train_digits that learns): its model is
    MLP(64, hidden, 10) and its history has ``epochs`` entries."""
    call = train_call(kwargs)
    expect_accuracy(sub, learns_kwargs)
    out = digits_run(sub, **kwargs)
    layers = network(out, kwargs)
    sizes = [64, *kwargs["hidden"], 10]
    expect(px.shapes(layers) == [[o, i] for i, o in zip(sizes, sizes[1:])],
           Msg("cmp.number", got=px.shapes(layers),
               expected=", ".join(f"Linear({i}, {o})" for i, o in zip(sizes, sizes[1:]))),
           hint="hint.ex08_arguments", name=f"{call}['model']")
    lengths = out.get("history_lengths") or {}
    epochs = kwargs["epochs"]
    expect(lengths.get("train_loss") == epochs, Msg("cmp.number", got=lengths or Msg("value.ex08_no_history"),
                                                    expected=f"{epochs} epoch" + ("s" if epochs != 1 else "")),
           hint="hint.ex08_arguments", name=f"{call}['history']")


HOW_TO_GET = re.compile(r"download|https?://|cop(y|ied)|\bput\b|\bplace\b|下载|复制|拷贝|放", re.IGNORECASE)


def expect_missing_mnist_error(sub, root):
    out = probe(sub, probes_ex08.mnist_missing, "mnist_loaders", root=root)
    if out["not_implemented"]:
        raise StudentError({"type": "NotImplementedError", "not_implemented": True}, f"{MODULE}.mnist_loaders")
    call = f"mnist_loaders(root='{root}')"
    expect(out["raised"], Msg("cmp.number", got=Msg("value.no_exception"), expected=Msg("value.ex08_where_files")),
           hint="hint.ex08_mnist_missing", name=call)
    message = out["message"]
    expect(root in message and HOW_TO_GET.search(message),
           Msg("cmp.number", got=f"{out['type']}: {message[:200]!r}",
               expected=Msg("value.ex08_mnist_message", root=root)),
           hint="hint.ex08_mnist_missing", name=call)


MNIST_MIN = (0.0 - px.MNIST_MEAN) / px.MNIST_STD


MNIST_MAX = (1.0 - px.MNIST_MEAN) / px.MNIST_STD


def mnist_loaders_out(sub, batch_size=None):
    out = probe(sub, probes_ex08.mnist_loader_run, "mnist_loaders", batch_size=batch_size)
    call = "mnist_loaders()" if batch_size is None else f"mnist_loaders(batch_size={batch_size})"
    expect(out["pair"], Msg("cmp.type", expected="(train_loader, test_loader)", got=out["type"]),
           hint="hint.mnist_loaders", name=call)
    return out, call


def expect_mnist_batches(info, batch_size, call):
    """The first batch is (x [batch_size, 1, 28, 28], y [batch_size]); any batch size when ``batch_size`` is None."""
    x, y = (info["x_shapes"] or [None])[0], (info["y_shapes"] or [None])[0]
    n = batch_size if batch_size is not None else (x[0] if x else None)
    expect(x == [n, 1, 28, 28] and y == [n] and n,
           Msg("cmp.shape", got=[x, y], expected=[[batch_size or "n", 1, 28, 28], [batch_size or "n"]]),
           hint="hint.mnist_loaders", name=call)
    expect(info["x_dtype"] == "float32" and info["y_dtype"] == "int64",
           Msg("cmp.dtype", got=f"{info['x_dtype']}, {info['y_dtype']}", expected="float32, int64"),
           hint="hint.mnist_loaders", name=call)


def expect_normalized(info, call):
    ok = (abs(info["min"] - MNIST_MIN) < 1e-4 and abs(info["max"] - MNIST_MAX) < 1e-4
          and abs(info["mean"]) < 0.25 and abs(info["std"] - 1.0) < 0.25)
    expect(ok, Msg("cmp.number", got=Msg("value.ex08_stats", min=info['min'], max=info['max'], mean=info['mean'],
                                         std=info['std']),
                   expected=Msg("value.ex08_stats_expected", min=MNIST_MIN, max=MNIST_MAX)),
           hint="hint.mnist_normalize", name=call)


def mnist_accuracy(sub):
    out = probe(sub, probes_ex08.mnist_run, "train_mnist")
    keys = ("model", "history", "test_accuracy")
    expect(out["type"] == "dict" and set(keys) <= set(out["keys"]) and out["is_module"],
           Msg("cmp.type", expected=Msg("value.ex08_dict_keys_module", keys=", ".join(keys)),
               got=out["keys"] or out["type"]), hint="hint.mnist_train_result", name="train_mnist()")
    try:
        layers = px.linear_stack(out.get("state"), 784, 10)
    except px.NotAnMLP as exc:
        fail(Msg("cmp.type", expected=Msg("value.ex08_mlp"),
                 got=reason(f"{out.get('model_type', '?')}: {exc}")), hint="hint.ex08_not_mlp",
             name="train_mnist()['model'].state_dict()")
    images, labels = px.mnist_test(sub.data_dir)
    acc = px.accuracy(layers, images, labels)
    expect(acc >= 0.97, Msg("cmp.number", got=f"{acc:.4f}", expected=">= 0.97"), hint="hint.mnist_accuracy",
           name=Msg("label.ex08_test_accuracy", call="train_mnist()"))
