"""nbgrader test cells for ex04: its public checks, made again in plain torch (see benchmarks/peer_course.py)."""
# %% setup
import torch
import math as _c4_math
import os as _c4_os
import re as _c4_re
import struct as _c4_struct
import tempfile as _c4_tempfile
import xml.etree.ElementTree as _c4_ET
from pathlib import Path as _c4_Path

from torch.overrides import TorchFunctionMode as _c4_TorchFunctionMode

_c4_IN, _c4_CLASSES = 4, 3
_c4_EVENTS = []  # ["forward", training, grad_enabled, batch_size, device]
_c4_TAGS = {}  # id(tensor) -> (tag, tensor) for the tensors the loader yields


def _c4_initial_state(seed, hidden=8, batchnorm=False):
    g = torch.Generator().manual_seed(10_000 + seed)
    state = {
        "fc1.weight": torch.randn(hidden, _c4_IN, generator=g) * 0.5,
        "fc1.bias": torch.randn(hidden, generator=g) * 0.5,
        "fc2.weight": torch.randn(_c4_CLASSES, hidden, generator=g) * 0.5,
        "fc2.bias": torch.randn(_c4_CLASSES, generator=g) * 0.5,
    }
    if batchnorm:
        state.update({
            "bn.weight": 1.0 + 0.3 * torch.randn(hidden, generator=g),
            "bn.bias": 0.3 * torch.randn(hidden, generator=g),
            "bn.running_mean": torch.randn(hidden, generator=g),
            "bn.running_var": 0.3 + 2.0 * torch.rand(hidden, generator=g),
            "bn.num_batches_tracked": torch.tensor(0, dtype=torch.int64),
        })
    return state


def _c4_batches(n, batch_size, seed):
    g = torch.Generator().manual_seed(20_000 + seed)
    x = torch.randn(n, _c4_IN, generator=g) * 1.5
    y = torch.randint(0, _c4_CLASSES, (n,), generator=g)
    return [(x[i:i + batch_size].clone(), y[i:i + batch_size].clone()) for i in range(0, n, batch_size)]


class _c4_Net(torch.nn.Module):
    """fc1 (-> bn) -> ReLU -> Dropout -> fc2 from a state; with ``log`` it records each forward."""

    def __init__(self, state, dropout=0.0, log=False):
        super().__init__()
        hidden, in_features = state["fc1.weight"].shape
        self.fc1 = torch.nn.Linear(in_features, hidden)
        self.bn = torch.nn.BatchNorm1d(hidden) if "bn.weight" in state else None
        self.drop = torch.nn.Dropout(dropout)
        self.fc2 = torch.nn.Linear(hidden, state["fc2.weight"].shape[0])
        self.load_state_dict({k: v.clone() for k, v in state.items()})
        self.log = log

    def forward(self, x):
        if self.log:
            _c4_EVENTS.append(["forward", self.training, torch.is_grad_enabled(), int(x.shape[0]), str(x.device)])
        h = self.fc1(x.flatten(1))
        if self.bn is not None:
            h = self.bn(h)
        return self.fc2(self.drop(torch.relu(h)))


class _c4_Sized:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


class _c4_Loader:
    """Fixed batches in a fixed order (fresh copies each pass, tagged), with len, dataset, batch_size."""

    def __init__(self, batches, name="train"):
        self.batches, self.name = batches, name
        self.dataset = _c4_Sized(sum(int(x.shape[0]) for x, _ in batches))
        self.batch_size = int(batches[0][0].shape[0]) if batches else 1

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for i, (x, y) in enumerate(self.batches):
            x, y = x.clone(), y.clone()
            _c4_TAGS[id(x)] = ((self.name, i, "x"), x)
            _c4_TAGS[id(y)] = ((self.name, i, "y"), y)
            yield x, y


class _c4_Recorder(_c4_TorchFunctionMode):
    """Records .to/.cuda/.cpu called on the tensors the loader yielded: [(tag, device), ...]."""

    def __init__(self):
        super().__init__()
        self.moves = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        short = getattr(func, "__name__", "")
        if short in ("to", "cuda", "cpu") and args and isinstance(args[0], torch.Tensor):
            tagged = _c4_TAGS.get(id(args[0]))
            if tagged is not None and tagged[1] is args[0]:
                self.moves.append((tagged[0], _nb_device_of(args, kwargs, short)))
        return func(*args, **kwargs)


def _c4_state_of(model):
    return {k: v.detach().to("cpu").clone() for k, v in model.state_dict().items()}


def _c4_ref_epoch_once(model, data, optimizer):
    model.train()
    loss_fn = torch.nn.CrossEntropyLoss()
    total, count = 0.0, 0
    for x, y in data:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count


def _c4_ref_evaluate_once(model, data):
    model.eval()
    loss_fn = torch.nn.CrossEntropyLoss()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in data:
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += int((logits.argmax(1) == y).sum())
            count += len(y)
    return {"loss": total / count, "accuracy": correct / count}


def _c4_ref_epoch(state, data, lr, epochs=1):
    model = _c4_Net(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = [_c4_ref_epoch_once(model, data, optimizer) for _ in range(epochs)]
    return {"losses": losses, "loss": losses[-1], "state": _c4_state_of(model)}


def _c4_ref_evaluate(state, data, dropout=0.0):
    model = _c4_Net(state, dropout)
    out = _c4_ref_evaluate_once(model, data)
    out["state"] = _c4_state_of(model)
    return out


def _c4_batch_losses(state, data):
    model = _c4_Net(state).eval()
    loss_fn = torch.nn.CrossEntropyLoss()
    with torch.no_grad():
        return [(len(y), float(loss_fn(model(x), y))) for x, y in data]


def _c4_ref_fit(state, train, val, lr, epochs, scheduler=True, step_size=1, gamma=0.5):
    model = _c4_Net(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma) if scheduler else None
    history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
    for _ in range(epochs):
        history["lr"].append(optimizer.param_groups[0]["lr"])
        history["train_loss"].append(_c4_ref_epoch_once(model, train, optimizer))
        scores = _c4_ref_evaluate_once(model, val)
        history["val_loss"].append(scores["loss"])
        history["val_acc"].append(scores["accuracy"])
        if sched is not None:
            sched.step()
    return history


def _c4_float(value):
    """A finite Python number (not a bool, not a tensor), as a float."""
    assert not isinstance(value, bool) and isinstance(value, (int, float)), f"not a float: {type(value).__name__}"
    assert _c4_math.isfinite(value), "not a finite float"
    return float(value)


def _c4_number_ok(got, expected, atol=1e-6, rtol=1e-5):
    return _c4_math.isclose(got, expected, rel_tol=rtol, abs_tol=atol) or (
        _c4_math.isnan(got) and _c4_math.isnan(expected))


def _c4_close(got, expected, atol=1e-5, rtol=1e-4):
    """torch.allclose plus shape and dtype equality."""
    return (isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(expected.shape)
            and got.dtype == expected.dtype
            and torch.allclose(got.detach().double(), expected.detach().double(), atol=atol, rtol=rtol))


def _c4_state_ok(got, expected, atol=1e-5, rtol=1e-4):
    for key, value in expected.items():
        exact = value.dtype == torch.int64
        if not _c4_close(got.get(key), value, atol=0 if exact else atol, rtol=0 if exact else rtol):
            return False
    return True


def _c4_epoch_run(seed, n, batch_size, lr, batchnorm=False, device=None, start_mode="train", record=False,
                  epochs=1):
    """train_one_epoch (``epochs`` calls) on a network and batches built from the seed:
    (results, state after, moves, initial state, batches)."""
    state, data = _c4_initial_state(seed, 8, batchnorm), _c4_batches(n, batch_size, seed)
    model = _c4_Net(state)
    if device is not None:
        model.to(device)
    model.train(start_mode == "train")
    loader = _c4_Loader(data, "train")
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    kwargs = {} if device is None else {"device": device}
    results, moves = [], []
    for _ in range(epochs):
        if record:
            recorder = _c4_Recorder()
            with recorder:
                results.append(train_one_epoch(model, loader, torch.nn.CrossEntropyLoss(), optimizer, **kwargs))
            moves = recorder.moves
        else:
            results.append(train_one_epoch(model, loader, torch.nn.CrossEntropyLoss(), optimizer, **kwargs))
    return results, _c4_state_of(model), moves, state, data


def _c4_evaluate_run(seed, n, batch_size, batchnorm=False, dropout=0.0, start_mode="train"):
    """evaluate on a logged network and batches built from the seed:
    (loss, accuracy, state after, forwards seen, initial state, batches)."""
    state, data = _c4_initial_state(seed, 8, batchnorm), _c4_batches(n, batch_size, seed)
    model = _c4_Net(state, dropout, log=True)
    model.train(start_mode == "train")
    _c4_EVENTS.clear()
    result = evaluate(model, _c4_Loader(data, "train"), torch.nn.CrossEntropyLoss())
    seen = list(_c4_EVENTS)
    assert isinstance(result, dict) and {"loss", "accuracy"} <= set(result), "evaluate must return loss and accuracy"
    loss, acc = _c4_float(result["loss"]), _c4_float(result["accuracy"])
    return loss, acc, _c4_state_of(model), seen, state, data


_c4_HISTORY_KEYS = ("train_loss", "val_loss", "val_acc", "lr")


def _c4_fit_run(seed, n, batch_size, lr, val_n, epochs, scheduler=True, log_dir=None):
    """fit on a network and batches built from the seed, SGD and StepLR(1, 0.5) (or None):
    (history, the reference history)."""
    state = _c4_initial_state(seed, 8)
    train, val = _c4_batches(n, batch_size, seed), _c4_batches(val_n, batch_size, seed + 500)
    model = _c4_Net(state)
    model.train(True)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    kwargs = {"scheduler": torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5) if scheduler else None}
    if log_dir is not None:
        kwargs["log_dir"] = log_dir
    history = fit(model, _c4_Loader(train, "train"), _c4_Loader(val, "val"), torch.nn.CrossEntropyLoss(), optimizer,
                  epochs, **kwargs)
    assert isinstance(history, dict) and set(_c4_HISTORY_KEYS) <= set(history), "history keys"
    for key in _c4_HISTORY_KEYS:
        assert len(history[key]) == epochs, f"history[{key!r}] length"
        for value in history[key]:
            _c4_float(value)
    return history, _c4_ref_fit(state, train, val, lr, epochs, scheduler)


def _c4_series_ok(got, expected, atol=1e-5, rtol=1e-4):
    return _c4_close(torch.tensor([float(v) for v in got], dtype=torch.float64),
                     torch.tensor(expected, dtype=torch.float64), atol=atol, rtol=rtol)


def _c4_lrs_ok(history, expected):
    return all(_c4_number_ok(float(g), e, atol=1e-9, rtol=1e-7) for g, e in zip(history["lr"], expected))


def _c4_scalars(folder):
    """{tag: [(step, value), ...] sorted by step} of every *tfevents* file under ``folder``."""
    from tensorboard.compat.proto import event_pb2

    out = {}
    for root, dirs, files in _c4_os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            path = _c4_os.path.join(root, name)
            if "tfevents" not in name or _c4_os.path.islink(path) or not _c4_os.path.isfile(path):
                continue
            with open(path, "rb") as fh:
                data = fh.read()
            pos, n = 0, len(data)
            while pos + 12 <= n:
                (length,) = _c4_struct.unpack_from("<Q", data, pos)
                start = pos + 12
                if length > n - start - 4:
                    break
                payload = data[start:start + length]
                pos = start + length + 4
                try:
                    event = event_pb2.Event.FromString(payload)
                except Exception:
                    continue
                if not event.HasField("summary"):
                    continue
                for v in event.summary.value:
                    value = None
                    if v.HasField("simple_value"):
                        value = float(v.simple_value)
                    elif v.HasField("tensor"):
                        t = v.tensor
                        content = bytes(t.tensor_content)
                        if len(t.float_val):
                            value = float(t.float_val[0])
                        elif len(t.double_val):
                            value = float(t.double_val[0])
                        elif len(content) == 4:
                            value = _c4_struct.unpack("<f", content)[0]
                        elif len(content) == 8:
                            value = _c4_struct.unpack("<d", content)[0]
                    if value is not None:
                        out.setdefault(str(v.tag), []).append((int(event.step), value))
    return {tag: sorted(values, key=lambda sv: sv[0]) for tag, values in out.items()}


def _c4_logged_ok(folder, expected, epochs, distinct_steps=False):
    scalars = _c4_scalars(folder)
    assert scalars, "no TensorBoard event file with scalars"
    for tag, key in (("loss/train", "train_loss"), ("loss/val", "val_loss"), ("accuracy/val", "val_acc"),
                     ("lr", "lr")):
        assert tag in scalars, f"TensorBoard tag {tag!r} missing"
        values = scalars[tag]
        assert len(values) == epochs, f"TensorBoard {tag!r}: {len(values)} points"
        if distinct_steps:
            assert len({s for s, _ in values}) == epochs, f"TensorBoard {tag!r}: steps"
        assert _c4_series_ok([v for _, v in values], expected[key]), f"TensorBoard {tag!r} values"


def _c4_in_tempdir(fn):
    """fn() run with a fresh temporary folder as the working directory."""
    cwd = _c4_os.getcwd()
    with _c4_tempfile.TemporaryDirectory() as tmp:
        _c4_os.chdir(tmp)
        try:
            return fn()
        finally:
            _c4_os.chdir(cwd)


# --- what a plot file shows ---
def _c4_png_ok(path):
    """A regular file, at most 8 MB, whose PNG header gives a bounded size."""
    if _c4_os.path.islink(path) or not _c4_os.path.isfile(path) or _c4_os.path.getsize(path) > 8 * 1024 * 1024:
        return False
    with open(path, "rb") as fh:
        head = fh.read(33)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR" or len(head) < 24:
        return False
    width, height = _c4_struct.unpack(">II", head[16:24])
    return 0 < width <= 10_000 and 0 < height <= 10_000 and width * height <= 40_000_000


_c4_TOKEN = _c4_re.compile(r"[A-Za-z]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _c4_polyline(d):
    points, command, numbers = [], None, []
    for tok in _c4_TOKEN.findall(d):
        if tok.isalpha():
            if tok not in "MLz" or tok == "z":
                return None
            command = tok
            continue
        if command is None:
            return None
        numbers.append(float(tok))
        if len(numbers) == 2:
            points.append(tuple(numbers))
            numbers = []
    return points if len(points) >= 2 and not numbers else None


def _c4_svg_curves(path):
    """Every polyline and every run of markers of an SVG file, as lists of (x, y)."""
    assert _c4_os.path.isfile(path) and _c4_os.path.getsize(path) <= 4 * 1024 * 1024, "no SVG of the figure"
    with open(path, "rb") as fh:
        data = fh.read()
    assert b"<!ENTITY" not in data and b"<!entity" not in data and b"<svg" in data[:4096], "not an SVG file"
    tree = _c4_ET.fromstring(data)
    curves = []
    for count, element in enumerate(tree.iter(), 1):
        assert count <= 100_000, "too many SVG elements"
        name = element.tag.rsplit("}", 1)[-1]
        if name in ("path", "polyline"):
            text = element.get("d") if name == "path" else "M " + (element.get("points") or "").replace(",", " ")
            points = _c4_polyline(text or "")
            if points:
                curves.append(points)
        elif name == "g":
            points = []
            for u in element:
                if u.tag.rsplit("}", 1)[-1] == "use":
                    try:
                        points.append((float(u.get("x", "nan")), float(u.get("y", "nan"))))
                    except ValueError:
                        pass
            if len(points) >= 2:
                curves.append(points)
    return curves


def _c4_affine_fit(xs, ys):
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0, float("inf")
    a = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    b = my - a * mx
    return a, max(abs(a * x + b - y) for x, y in zip(xs, ys))


def _c4_follows(points, values):
    """One point per value, x evenly spaced and increasing, y an affine (non-constant) image of the values."""
    if len(points) != len(values):
        return False
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    span_y = max(ys) - min(ys)
    if span_y < 1.0 or any(b <= a for a, b in zip(xs, xs[1:])):
        return False
    _, x_residual = _c4_affine_fit(list(range(len(xs))), xs)
    if x_residual > 0.01 * (xs[-1] - xs[0]) + 0.05:
        return False
    a, y_residual = _c4_affine_fit(values, ys)
    return a != 0 and y_residual <= 0.005 * span_y + 0.05


def _c4_plot_as_svg(history, path):
    """plot_history(history, path) with every Figure.savefig writing SVG."""
    from matplotlib.figure import Figure as _Fig

    original = _Fig.savefig

    def savefig(self, fname, *args, **kwargs):
        kwargs["format"] = "svg"
        return original(self, fname, *args, **kwargs)

    _Fig.savefig = savefig
    try:
        return plot_history(history, path)
    finally:
        _Fig.savefig = original


# %% test_train_one_epoch_returns_float
def _c4_cell():
    results, _, _, state, data = _c4_epoch_run(1, 32, 8, 0.0)
    value = _c4_float(results[0])
    losses = _c4_batch_losses(state, data)
    expected = sum(b * v for b, v in losses) / sum(b for b, _ in losses)
    assert _c4_number_ok(value, expected, atol=1e-5, rtol=1e-4), "train_one_epoch loss"


_c4_cell()

# %% test_train_one_epoch_matches_reference
def _c4_cell():
    results, params, _, state, data = _c4_epoch_run(2, 32, 8, 0.1)
    want = _c4_ref_epoch(state, data, 0.1)
    assert _c4_state_ok(params, want["state"]), "weights after one epoch"
    value = _c4_float(results[0])
    assert _c4_number_ok(value, want["loss"], atol=1e-5, rtol=1e-4), "train_one_epoch loss"


_c4_cell()

# %% test_train_one_epoch_loss_decreases
def _c4_cell():
    results, params, _, state, data = _c4_epoch_run(3, 32, 8, 0.2, epochs=4)
    want = _c4_ref_epoch(state, data, 0.2, epochs=4)
    losses = [_c4_float(v) for v in results]
    assert _c4_state_ok(params, want["state"]), "weights after 4 epochs"
    assert _c4_series_ok(losses, want["losses"]), "losses of 4 epochs"


_c4_cell()

# %% test_evaluate_returns_loss_and_accuracy
def _c4_cell():
    loss, acc, _, _, state, data = _c4_evaluate_run(4, 32, 8)
    assert 0.0 <= acc <= 1.0, "accuracy in [0, 1]"
    want = _c4_ref_evaluate(state, data)
    assert _c4_number_ok(loss, want["loss"], atol=1e-5, rtol=1e-4), "evaluate loss"
    assert _c4_number_ok(acc, want["accuracy"], atol=1e-6, rtol=1e-6), "evaluate accuracy"


_c4_cell()

# %% test_fit_history_keys_and_lengths
def _c4_cell():
    history, expected = _c4_fit_run(seed=5, n=32, batch_size=8, lr=0.1, val_n=16, epochs=3, scheduler=True)
    assert _c4_lrs_ok(history, expected["lr"]), "history['lr']"
    for key in ("train_loss", "val_loss", "val_acc"):
        assert _c4_series_ok(history[key], expected[key]), f"history[{key!r}]"


_c4_cell()

# %% test_fit_without_scheduler
def _c4_cell():
    history, expected = _c4_fit_run(seed=6, n=32, batch_size=8, lr=0.05, val_n=16, epochs=2, scheduler=False)
    assert _c4_lrs_ok(history, expected["lr"]), "history['lr']"
    assert _c4_series_ok(history["train_loss"], expected["train_loss"]), "history['train_loss']"


_c4_cell()

# %% test_fit_writes_tensorboard_events
def _c4_cell():
    def body():
        history, expected = _c4_fit_run(seed=7, n=24, batch_size=8, lr=0.1, val_n=8, epochs=2, scheduler=True,
                                        log_dir="tb_public")
        _c4_logged_ok("tb_public", expected, 2)

    _c4_in_tempdir(body)


_c4_cell()

# %% test_plot_history_writes_png
def _c4_cell():
    history = {"train_loss": [1.0, 0.7, 0.75, 0.5, 0.42, 0.4], "val_loss": [1.1, 0.8, 0.7, 0.72, 0.69, 0.6],
               "val_acc": [0.4, 0.6, 0.55, 0.7, 0.8, 0.78], "lr": [0.1, 0.1, 0.1, 0.05, 0.05, 0.05]}

    def body():
        got = plot_history(history, "curves_public.png")
        assert isinstance(got, _c4_Path) and got.name == "curves_public.png", "plot_history must return the Path"
        assert _c4_png_ok("curves_public.png"), "curves_public.png is not a PNG image"
        _c4_plot_as_svg(history, "curves_public.svg")
        curves = _c4_svg_curves("curves_public.svg")
        taken = set()
        for key in ("train_loss", "val_loss", "val_acc"):
            found = next((i for i, pts in enumerate(curves) if i not in taken and _c4_follows(pts, history[key])),
                         None)
            assert found is not None, f"no curve of history[{key!r}]"
            taken.add(found)

    _c4_in_tempdir(body)


_c4_cell()

# %% test_train_one_epoch_uneven_last_batch
def _c4_cell():
    results, _, _, state, data = _c4_epoch_run(20, 29, 8, 0.0)
    value = _c4_float(results[0])
    losses = _c4_batch_losses(state, data)
    expected = sum(b * loss for b, loss in losses) / sum(b for b, _ in losses)
    assert _c4_number_ok(value, expected, atol=1e-5, rtol=1e-4), "train_one_epoch loss (29 samples)"


_c4_cell()

# %% test_evaluate_eval_mode_no_grad
def _c4_cell():
    loss, acc, params, seen, state, data = _c4_evaluate_run(21, 18, 6, batchnorm=True, dropout=0.5,
                                                            start_mode="train")
    want = _c4_ref_evaluate(state, data, dropout=0.5)
    assert _c4_number_ok(loss, want["loss"], atol=1e-5, rtol=1e-4), "evaluate loss (dropout, BatchNorm)"
    assert _c4_number_ok(acc, want["accuracy"], atol=1e-6, rtol=1e-6), "evaluate accuracy (dropout, BatchNorm)"
    assert _c4_state_ok(params, want["state"], atol=0, rtol=0), "BatchNorm statistics changed"
    assert len(seen) == 3, "forward passes"
    assert [bool(e[2]) for e in seen] == [False] * 3, "gradients enabled in evaluate"


_c4_cell()

# %% test_evaluate_uneven_last_batch
def _c4_cell():
    loss, acc, _, _, state, data = _c4_evaluate_run(22, 29, 8)
    want = _c4_ref_evaluate(state, data)
    assert _c4_number_ok(loss, want["loss"], atol=1e-5, rtol=1e-4), "evaluate loss (29 samples)"
    assert _c4_number_ok(acc, want["accuracy"], atol=1e-6, rtol=1e-6), "evaluate accuracy (29 samples)"


_c4_cell()

# %% test_plot_history_creates_folders
def _c4_cell():
    history = {"train_loss": [0.9, 0.6, 0.5], "val_loss": [1.0, 0.7, 0.65], "val_acc": [0.5, 0.7, 0.75],
               "lr": [0.1, 0.1, 0.1]}
    path = "plots_public/run1/curves.png"

    def body():
        got = plot_history(history, path)
        assert isinstance(got, _c4_Path) and got.as_posix().endswith(path), "plot_history must return the Path"
        assert _c4_png_ok(path), f"{path} is not a PNG image"

    _c4_in_tempdir(body)


_c4_cell()

# %% test_train_one_epoch_sets_train_mode
def _c4_cell():
    _, params, _, state, data = _c4_epoch_run(23, 24, 6, 0.1, batchnorm=True, start_mode="eval")
    want = _c4_ref_epoch(state, data, 0.1)
    assert _c4_state_ok(params, want["state"]), "weights after one epoch (model given in eval mode)"


_c4_cell()

# %% test_train_one_epoch_moves_batches
def _c4_cell():
    for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
        results, params, moves, state, data = _c4_epoch_run(24, 18, 8, 0.1, device=device, record=True)
        want = _c4_ref_epoch(state, data, 0.1)
        assert _c4_state_ok(params, want["state"]), f"weights after train_one_epoch(device={device!r})"
        value = _c4_float(results[0])
        assert _c4_number_ok(value, want["loss"], atol=1e-5, rtol=1e-4), f"loss on {device}"
        for i in range(3):
            for part in ("x", "y"):
                assert any(tag == ("train", i, part) and isinstance(dev, str) and dev.split(":")[0] == device
                           for tag, dev in moves), f"batch {i}: {part} not moved to {device}"


_c4_cell()

# %% test_fit_tensorboard_one_point_per_epoch
def _c4_cell():
    def body():
        history, expected = _c4_fit_run(seed=25, n=16, batch_size=8, lr=0.2, val_n=8, epochs=3, scheduler=True,
                                        log_dir="tb_public_steps")
        _c4_logged_ok("tb_public_steps", expected, 3, distinct_steps=True)

    _c4_in_tempdir(body)


_c4_cell()
