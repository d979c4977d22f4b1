"""nbgrader test cells for ex07: its public checks, made again in plain torch (see benchmarks/peer_course.py)."""
# %% setup
import torch
import ast as _ast
import contextlib as _contextlib
import io as _io
import linecache as _linecache
import os as _os
import tempfile as _tempfile
from collections.abc import Mapping as _Mapping
from pathlib import Path as _Path, PurePosixPath as _PurePosixPath

_CKPT_MAX_NODES = 20000
_CKPT_FILE_LIMIT = 4 * 1024 * 1024


class _Net(torch.nn.Module):
    """Linear -> ReLU -> Dropout -> Linear with weights drawn from a seed."""

    def __init__(self, in_features=6, hidden=16, out=3, dropout=0.3, seed=0):
        super().__init__()
        self.fc1 = torch.nn.Linear(in_features, hidden)
        self.drop = torch.nn.Dropout(dropout)
        self.fc2 = torch.nn.Linear(hidden, out)
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.4)

    def forward(self, x):
        return self.fc2(self.drop(torch.relu(self.fc1(x))))


def _make_data(n, in_features, classes, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, in_features, generator=g), torch.randint(0, classes, (n,), generator=g)


def _build(kind, init_seed, lr=0.05):
    model_ = _Net(seed=init_seed)
    if kind == "adam":
        opt = torch.optim.Adam(model_.parameters(), lr=lr)
    else:
        opt = torch.optim.SGD(model_.parameters(), lr=lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.8)
    return model_, opt, sched


def _train_epoch(model_, opt, sched, x, y, batch_size=8):
    model_.train()
    order = torch.randperm(len(x))
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model_(x[idx]), y[idx]).backward()
        opt.step()
    sched.step()


def _params_of(module):
    return {k: v.detach().to("cpu").clone() for k, v in module.state_dict().items()}


def _clone(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, _Mapping):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_clone(v) for v in value)
    return value


_TRAINED = {}


def _trained(kind, seed, epochs, data_seed, lr=0.05, n=40, extra_epochs=0):
    """The states after training in this process (its global RNG saved and restored around it)."""
    key = (kind, seed, epochs, data_seed, float(lr).hex(), n, extra_epochs)
    if key not in _TRAINED:
        x, y = _make_data(n, 6, 3, data_seed)
        with torch.random.fork_rng(devices=[]):
            torch.default_generator.manual_seed(seed)
            model_, opt, sched = _build(kind, seed, lr)
            for _ in range(epochs):
                _train_epoch(model_, opt, sched, x, y)
            out = {"model": _params_of(model_), "optimizer": _clone(opt.state_dict()),
                   "scheduler": _clone(sched.state_dict()), "rng": torch.get_rng_state().clone()}
            for _ in range(extra_epochs):
                _train_epoch(model_, opt, sched, x, y)
            out["straight"] = _params_of(model_)
        _TRAINED[key] = out
    return _clone(_TRAINED[key])


def _rng_state(seed):
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        torch.rand(seed % 97 + 1)
        return torch.get_rng_state().clone()


def _chosen(kind, seed, epochs, epoch, extra=None, rng_seed=None, data_seed=None, lr=0.05, n=40, extra_epochs=0):
    states = _trained(kind, seed, epochs, data_seed if data_seed is not None else seed + 1, lr=lr, n=n,
                      extra_epochs=extra_epochs)
    if rng_seed is not None:
        states["rng"] = _rng_state(rng_seed)
    states.update(kind=kind, epoch=epoch, extra=dict(extra or {}))
    return states


def _equal(a, b):
    if isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype
                and bool(torch.equal(a.detach().cpu(), b.detach().cpu())))
    if isinstance(b, _Mapping):
        if not isinstance(a, _Mapping) or len(a) != len(b):
            return False
        keyed = {str(k): v for k, v in a.items()}
        return all(str(k) in keyed and _equal(keyed[str(k)], v) for k, v in b.items())
    if isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and len(a) == len(b) and all(_equal(u, v) for u, v in zip(a, b))
    if isinstance(b, bool) or isinstance(a, bool):
        return type(a) is type(b) and a == b
    if isinstance(b, (int, float)) and isinstance(a, (int, float)):
        return a == b or (a != a and b != b)
    return type(a) is type(b) and a == b


class _Budget:
    def __init__(self):
        self.left = _CKPT_MAX_NODES

    def spend(self):
        self.left -= 1
        return self.left >= 0


def _find(obj, expected, budget=None):
    """Whether ``expected`` is somewhere in ``obj``."""
    budget = budget or _Budget()
    if not budget.spend():
        return False
    if _equal(obj, expected):
        return True
    if isinstance(obj, _Mapping):
        return any(_find(v, expected, budget) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_find(v, expected, budget) for v in obj)
    return False


def _find_item(obj, key, value, budget=None):
    budget = budget or _Budget()
    if not budget.spend():
        return False
    if isinstance(obj, _Mapping):
        for k, v in obj.items():
            if str(k) == key and _equal(v, value):
                return True
        return any(_find_item(v, key, value, budget) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(_find_item(v, key, value, budget) for v in obj)
    return False


def _substitute(obj, wholes, items, epoch, found, budget=None):
    """``obj`` with the old states replaced by the new ones, whatever its layout."""
    budget = budget or _Budget()
    if not budget.spend():
        raise ValueError("the checkpoint holds too many values")
    for i, (old, new) in enumerate(wholes):
        if _equal(obj, old):
            found.add(("whole", i))
            return _clone(new)
    if isinstance(obj, _Mapping):
        out = {}
        for k, v in obj.items():
            if str(k) in items and _equal(v, items[str(k)][0]):
                found.add(("item", str(k)))
                out[k] = _clone(items[str(k)][1])
            else:
                out[k] = _substitute(v, wholes, items, epoch, found, budget)
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(_substitute(v, wholes, items, epoch, found, budget) for v in obj)
    if epoch is not None and isinstance(obj, int) and not isinstance(obj, bool) and obj == epoch[0]:
        found.add(("epoch",))
        return epoch[1]
    return obj


def _load_bytes(data):
    return torch.load(_io.BytesIO(data), weights_only=True, map_location="cpu")


def _save_bytes(obj):
    buf = _io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def _data(value):
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().clone()
    if isinstance(value, dict):
        return {k: _data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_data(v) for v in value)
    return _nb_plain(value)


def _exception_info(exc):
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001
        message = ""
    return {"raised": True, "type": type(exc).__name__, "mro": [c.__name__ for c in type(exc).__mro__],
            "message": message[:2000], "not_implemented": isinstance(exc, NotImplementedError)}


_NO_EXCEPTION = {"raised": False, "type": "", "mro": [], "message": "", "not_implemented": False}


def _t_close(got, expected, atol=1e-5, rtol=1e-4):
    if not isinstance(got, torch.Tensor):
        return False
    if tuple(got.shape) != tuple(expected.shape) or got.dtype != expected.dtype:
        return False
    if got.numel() == 0:
        return True
    g = got.detach().to(torch.float64).reshape(-1)
    e = expected.detach().to(torch.float64).reshape(-1)
    if (~torch.isfinite(g) & torch.isfinite(e)).any():
        return False
    diff = (g - e).abs()
    diff = torch.where(torch.isinf(e) & (g == e), torch.zeros_like(diff), diff)
    excess = torch.nan_to_num(diff - (atol + rtol * e.abs()), nan=float("inf"))
    return bool((excess <= 0).all())


@_contextlib.contextmanager
def _in_tmp_dir():
    old = _os.getcwd()
    with _tempfile.TemporaryDirectory() as tmp:
        _os.chdir(tmp)
        try:
            yield _Path(tmp)
        finally:
            _os.chdir(old)


def _write_bytes(path, data):
    file = _Path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    if file.is_symlink() or file.exists():
        file.unlink()
    file.write_bytes(data)


def _read_regular(rel, limit=_CKPT_FILE_LIMIT):
    """The bytes of the regular file ``rel`` (None when missing)."""
    p = _Path(rel)
    if not _os.path.lexists(p):
        return None
    assert not p.is_symlink() and p.is_file(), f"{rel} is not a regular file"
    data = p.read_bytes()
    assert len(data) <= limit, f"{rel} is too large"
    return data


def _expect_returned_path(returned, given):
    assert isinstance(returned, _Path) and (_PurePosixPath(returned) == _PurePosixPath(given)
                                            or str(returned).endswith("/" + given)), f"must return Path('{given}')"


def _read_file(given):
    data = _read_regular(given)
    assert data is not None, f"no file at {given}"
    return data


def _load_file(data, given):
    try:
        return _load_bytes(data)
    except Exception:  # noqa: BLE001
        raise AssertionError(f"{given}: torch.load(weights_only=True) cannot read it") from None


def _send_save(given, states, with_optimizer):
    """save_checkpoint with the chosen states, as loaded into objects."""
    model_, opt, sched = _build(states["kind"], 0)
    model_.load_state_dict(_clone(states["model"]))
    kwargs = {"epoch": states["epoch"], **dict(states["extra"])}
    if with_optimizer:
        opt.load_state_dict(_clone(states["optimizer"]))
        sched.load_state_dict(_clone(states["scheduler"]))
    torch.set_rng_state(states["rng"].clone())
    if with_optimizer:
        returned = save_checkpoint(given, model_, opt, sched, **kwargs)
    else:
        returned = save_checkpoint(given, model_, **kwargs)
    return {"returned": _nb_plain(returned)}


def _expect_saved(given, states, with_optimizer):
    obj = _load_file(_read_file(given), given)
    parts = [("model.state_dict()", states["model"]), ("torch.get_rng_state()", states["rng"])]
    if with_optimizer:
        parts += [("optimizer.state_dict()", states["optimizer"]), ("scheduler.state_dict()", states["scheduler"])]
    for what, value in parts:
        assert _find(obj, value), f"{given}: {what} at the save is not in the file"
    for key, value in states["extra"].items():
        assert _find_item(obj, key, value), f"{given}: extra value {key}={value!r} is not in the file"
    assert _find(obj, states["epoch"]), f"{given}: epoch={states['epoch']} is not in the file"
    return obj


def _rewritten(obj, old, new, with_optimizer):
    wholes = [(old["model"], new["model"]), (old["rng"], new["rng"])]
    if with_optimizer:
        wholes += [(old["optimizer"], new["optimizer"]), (old["scheduler"], new["scheduler"])]
    items = {k: (v, new["extra"][k]) for k, v in old["extra"].items()}
    found = set()
    try:
        replaced = _substitute(obj, wholes, items, (old["epoch"], new["epoch"]), found)
    except ValueError:
        replaced = None
    expected = {("whole", i) for i in range(len(wholes))} | {("item", k) for k in items} | {("epoch",)}
    assert replaced is not None and expected <= found, "the checkpoint does not hold every state given"
    return _save_bytes(replaced)


def _restore(given, old, new, with_optimizer, fresh_seed=1, after=0, data_seed=0, n=40, lr=0.05):
    """save_checkpoint(old), checked; the same layout holding ``new`` written there; load_checkpoint into
    fresh objects (other weights, another RNG state); then ``after`` epochs of training."""
    _send_save(given, old, with_optimizer)
    obj = _expect_saved(given, old, with_optimizer)
    _write_bytes(given, _rewritten(obj, old, new, with_optimizer))
    torch.manual_seed(fresh_seed + 12345)
    torch.rand(11)
    model_, opt, sched = _build(new["kind"], fresh_seed, lr)
    if with_optimizer:
        info = load_checkpoint(given, model_, opt, sched)
    else:
        info = load_checkpoint(given, model_)
    out = {"info": _nb_plain(info), "model": _params_of(model_), "optimizer": _data(opt.state_dict()),
           "scheduler": _data(sched.state_dict()), "rng": torch.get_rng_state()}
    if after:
        x, y = _make_data(n, 6, 3, data_seed)
        for _ in range(after):
            _train_epoch(model_, opt, sched, x, y)
        out["resumed"] = _params_of(model_)
    return out


def _expect_params(got, expected, what, atol=0.0, rtol=0.0):
    assert isinstance(got, dict) and set(got) == set(expected), f"{what}: other keys"
    for key, value in expected.items():
        assert _t_close(got[key], value, atol=atol, rtol=rtol), f"{what}: {key} differs"


def _expect_info(info, expected):
    assert isinstance(info, dict), "load_checkpoint must return a dict"
    assert info == expected, f"load_checkpoint returned {info!r}, expected {expected!r}"


def _expect_optimizer_restored(out, new):
    assert _equal(out["optimizer"], new["optimizer"]), "the optimizer state is not the checkpoint's"
    assert _equal(out["scheduler"], new["scheduler"]), "the scheduler state is not the checkpoint's"


class _Payload:
    """Unpickling it runs os.makedirs: the folder it makes is the evidence."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (_os.makedirs, (self.marker, 0o700, True))


class _Bomb:
    """Pickling this fails halfway through a save."""

    def __reduce_ex__(self, protocol):
        raise RuntimeError("this test object refuses to be pickled (a simulated crash mid-save)")


def _model_roundtrip(given, seed):
    old = _chosen("momentum", seed, 1, epoch=4, rng_seed=seed)
    new = _chosen("momentum", seed + 500, 2, epoch=6, rng_seed=seed + 500)
    out = _restore(given, old, new, False)
    _expect_params(out["model"], new["model"], "model after load_checkpoint")
    _expect_info(out["info"], {"epoch": 6})


def _load_error(path, prepare):
    file = _Path(path)
    if prepare != "missing":
        file.parent.mkdir(parents=True, exist_ok=True)
    if file.exists():
        file.unlink()
    if prepare == "garbage":
        file.write_bytes(b"\x00\x13 this is not a checkpoint \xff\xfe" * 40)
    marker = file.with_name(file.name + ".code-ran")
    if marker.is_dir():
        marker.rmdir()
    if prepare == "payload":
        state = {"model": _Net(seed=4).state_dict(), "epoch": 5, "extra": {"note": _Payload(marker)},
                 "rng": torch.get_rng_state(), "payload": _Payload(marker)}
        torch.save(state, file)
    rng = torch.get_rng_state()
    try:
        returned = load_checkpoint(str(file), _Net(seed=5))
    except BaseException as exc:  # noqa: BLE001
        out = _exception_info(exc)
        out["returned"] = None
    else:
        out = dict(_NO_EXCEPTION)
        out["returned"] = _nb_plain(returned)
    torch.set_rng_state(rng)
    return out


def _load_failure(path, prepare, seed=40):
    """What load_checkpoint does with a bad file, once a real round trip works."""
    _model_roundtrip(f"ckpt_working_{seed}/ok.pt", seed)
    out = _load_error(path, prepare)
    assert not out["not_implemented"], "load_checkpoint is not implemented"
    return out


_UNSAFE_NAMES = {"pickle", "dill", "cloudpickle", "add_safe_globals", "safe_globals", "_weights_only_unpickler",
                 "__import__", "importlib"}


def _unsafe_loading(source):
    try:
        tree = _ast.parse(source)
    except (SyntaxError, ValueError):
        return ""
    for node in _ast.walk(tree):
        if isinstance(node, _ast.keyword) and node.arg == "weights_only" and not (
                isinstance(node.value, _ast.Constant) and node.value.value is True):
            return "weights_only=" + _ast.unparse(node.value)[:40]
        if isinstance(node, _ast.Dict):
            for key in node.keys:
                if isinstance(key, _ast.Constant) and key.value == "weights_only":
                    return "a weights_only value passed in a dict"
        name = (node.id if isinstance(node, _ast.Name) else node.attr if isinstance(node, _ast.Attribute)
                else node.value if isinstance(node, _ast.Constant) and isinstance(node.value, str) else None)
        if name in _UNSAFE_NAMES:
            return name
        if isinstance(node, (_ast.Import, _ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, _ast.ImportFrom) and node.module
                                                    else [])
            for n in names:
                if n.split(".")[0] in _UNSAFE_NAMES:
                    return f"import {n}"
    return ""


def _ex07_source():
    """The source of the cell (file) that defines load_checkpoint."""
    code = getattr(globals().get("load_checkpoint"), "__code__", None)
    if code is None:
        return b""
    return "".join(_linecache.getlines(code.co_filename)).encode()

# %% test_save_checkpoint_creates_folders
with _in_tmp_dir():
    _given = "runs/public/last.pt"
    _states = _chosen("momentum", 1, 2, epoch=3, rng_seed=1)
    _out = _send_save(_given, _states, False)
    _expect_saved(_given, _states, False)
    _expect_returned_path(_out["returned"], _given)

# %% test_load_checkpoint_restores_model
with _in_tmp_dir():
    _old = _chosen("momentum", 2, 2, epoch=5, extra={"best_acc": 0.5, "note": "draft"}, rng_seed=2)
    _new = _chosen("momentum", 202, 3, epoch=7, extra={"best_acc": 0.9, "note": "hello"}, rng_seed=202)
    _out = _restore("ckpt_public/model.pt", _old, _new, False)
    _expect_params(_out["model"], _new["model"], "model after load_checkpoint")
    _expect_info(_out["info"], {"epoch": 7, "best_acc": 0.9, "note": "hello"})

# %% test_load_checkpoint_restores_optimizer_and_scheduler
with _in_tmp_dir():
    _old = _chosen("momentum", 3, 3, epoch=31, rng_seed=3)
    _new = _chosen("momentum", 303, 2, epoch=3, rng_seed=303)
    _out = _restore("ckpt_public/full.pt", _old, _new, True)
    _expect_params(_out["model"], _new["model"], "model after load_checkpoint")
    _expect_optimizer_restored(_out, _new)
    _expect_info(_out["info"], {"epoch": 3})

# %% test_load_checkpoint_missing_file
with _in_tmp_dir():
    _out = _load_failure("nowhere_public/missing.pt", "missing")
    assert _out["raised"], "a missing file must raise FileNotFoundError"
    assert "FileNotFoundError" in _out["mro"], f"raised {_out['type']}, expected FileNotFoundError"
    assert "missing.pt" in _out["message"], "the message must name missing.pt"

# %% test_load_checkpoint_corrupt_file
with _in_tmp_dir():
    _out = _load_failure("ckpt_public/garbage.pt", "garbage", seed=41)
    assert _out["raised"], "a corrupt file must raise an error"
    assert "garbage.pt" in _out["message"], "the error must name garbage.pt"

# %% test_load_checkpoint_weights_only
with _in_tmp_dir():
    _given = "ckpt_public/untrusted.pt"
    _out = _load_failure(_given, "payload", seed=42)
    assert not _os.path.lexists(_given + ".code-ran"), "the code inside the file ran"
    assert _out["raised"], "a file holding an arbitrary Python object must be refused"
    assert not _unsafe_loading(_ex07_source()), "load with torch.load(..., weights_only=True)"

# %% test_export_model
with _in_tmp_dir():
    _given = "export_public.pt"
    _state = _Net(5, 12, 4, dropout=0.5, seed=4).state_dict()
    _m = _Net(5, 12, 4, dropout=0.5, seed=0)
    _m.load_state_dict(_state)
    _m.train()
    _returned = _nb_plain(export_model(_given, _m))
    _expect_returned_path(_returned, _given)
    _obj = _load_file(_read_file(_given), _given)
    assert isinstance(_obj, dict) and list(map(str, _obj)) == list(_state) and _equal(_obj, _state), \
        "the file must hold model.state_dict()"

# %% test_load_model
with _in_tmp_dir():
    _given = "state_dict_public.pt"
    _m = _Net(5, 12, 4, dropout=0.5, seed=6)
    _x = _make_data(9, 5, 4, 6 + 3)[0]
    _m.eval()
    with torch.no_grad():
        _expected = _m(_x)
    _write_bytes(_given, _save_bytes(_m.state_dict()))
    _loaded = load_model(_given, lambda: _Net(5, 12, 4, dropout=0.5, seed=6 + 50))
    assert isinstance(_loaded, torch.nn.Module), "load_model must return an nn.Module"
    assert _loaded.training is False, "the loaded model must be in eval mode"
    with torch.no_grad():
        _got = _loaded(_x).detach().cpu()
        _got_again = _loaded(_x).detach().cpu()
    for _g in (_got, _got_again):
        assert _t_close(_g, _expected, atol=1e-6, rtol=1e-5), "load_model(...)(x) differs"

# %% test_resume_is_exact_public
with _in_tmp_dir():
    _run = {"lr": 0.03, "n": 40, "data_seed": 21}
    _old = _chosen("adam", 15, 2, epoch=2, **_run)
    _new = _chosen("adam", 115, 2, epoch=2, extra_epochs=2, **_run)  # the straight run: 4 epochs
    _out = _restore("resume_public/last.pt", _old, _new, True, after=2, fresh_seed=8, **_run)
    _expect_params(_out.get("resumed"), _new["straight"], "after 2 + 2 epochs", atol=1e-6, rtol=1e-5)
    _expect_info(_out["info"], {"epoch": 2})

# %% test_save_checkpoint_atomic_public
def _test_atomic():
    given = "atomic_public/last.pt"
    first = _chosen("momentum", 23, 1, epoch=1)
    model_ = _Net(seed=0)
    model_.load_state_dict(_clone(first["model"]))
    save_checkpoint(given, model_, epoch=1)
    before = _read_file(given)
    obj = _load_bytes(before) if before else None
    assert obj is not None and _find(obj, first["model"]), "model.state_dict() is not in the file"
    second = _chosen("momentum", 24, 1, epoch=2)
    model_ = _Net(seed=0)
    model_.load_state_dict(_clone(second["model"]))
    try:
        save_checkpoint(given, model_, epoch=2, crash=_Bomb())
    except NotImplementedError:
        raise AssertionError("save_checkpoint is not implemented")
    except Exception:  # noqa: BLE001 - the pickling error reaches the caller
        pass
    else:
        raise AssertionError("the pickling error must reach the caller")
    after = _read_regular(given)
    assert after == before, "a save that fails halfway must leave the previous checkpoint byte for byte"


with _in_tmp_dir():
    _test_atomic()
