"""The set-up every exercise's test cells share: the notebook's first locked cell (see benchmarks/peer_course.py).

What a value looks like after the kit's worker protocol (``_nb_wire``), calling the student's
function with copies of the arguments (``_nb_call``), and the comparisons with the kit's
tolerances (``_nb_close``, ``_nb_number``).
"""
# %% setup
import math as _nb_math
from pathlib import Path as _nb_Path, PurePath as _nb_PurePath

import numpy as _nb_np
import torch


def _nb_gen(seed):
    return torch.Generator().manual_seed(seed)


class _NbHandle:
    """An object that is not data: the grader's worker hands it back only as a handle."""

    def __init__(self, obj):
        self.type = type(obj).__qualname__


def _nb_wire(value):
    """``value`` as it reaches the other side of the kit's worker protocol: tensors detached,
    on the CPU, plain and copied; NumPy scalars as Python numbers; other objects as handles."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value) if abs(value) < 2**63 else float(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, torch.Tensor):
        with torch._C.DisableTorchFunction():
            return torch.Tensor._make_subclass(torch.Tensor, value.detach().to("cpu"), False).contiguous().clone()
    if type(value).__module__ == "numpy":
        if isinstance(value, _nb_np.generic):
            return bool(value) if isinstance(value, _nb_np.bool_) else value.item()
        if isinstance(value, _nb_np.ndarray) and value.dtype != object:
            return _nb_np.array(value, copy=True)
        return _NbHandle(value)
    if isinstance(value, list):
        return [_nb_wire(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_nb_wire(v) for v in value)
    if isinstance(value, dict):
        return {_nb_wire(k): _nb_wire(v) for k, v in value.items()}
    if isinstance(value, _nb_PurePath):
        return _nb_Path(str(value))
    if isinstance(value, (torch.device, torch.dtype)):
        return value
    return _NbHandle(value)


def _nb_call(fn, *args, **kwargs):
    """Call a student function on copies of the inputs; its result as the grader sees it."""
    return _nb_wire(fn(*_nb_wire(args), **_nb_wire(kwargs)))


def _nb_close(got, expected, atol=1e-5, rtol=1e-4, dtype=True, equal_nan=False):
    """A tensor of the same shape (and dtype) as ``expected``, with |got - expected| <= atol + rtol*|expected|."""
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
    both_nan = torch.isnan(g) & torch.isnan(e)
    diff = (g - e).abs()
    if equal_nan:
        diff = torch.where(both_nan, torch.zeros_like(diff), diff)
    diff = torch.where(torch.isinf(e) & (g == e), torch.zeros_like(diff), diff)
    excess = torch.nan_to_num(diff - (atol + rtol * e.abs()), nan=_nb_math.inf)
    if equal_nan:
        excess = torch.where(both_nan, torch.zeros_like(excess), excess)
    return bool((excess <= 0).all())


def _nb_as_float(got):
    """A number or one-element tensor as a float; None for anything else."""
    if isinstance(got, torch.Tensor) and got.numel() == 1:
        return float(got.reshape(()).item())
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        return float(got)
    return None


def _nb_number(got, expected, atol=1e-6, rtol=1e-5):
    value = _nb_as_float(got)
    return value is not None and (_nb_math.isclose(value, expected, rel_tol=rtol, abs_tol=atol)
                                  or (_nb_math.isnan(value) and _nb_math.isnan(expected)))


def _nb_plain(value):
    """A returned value as the grader receives it (numpy scalars as numbers, other objects by type name)."""
    if value is None or isinstance(value, (bool, int, float, str, torch.Tensor, _nb_Path)):
        return value
    if type(value).__module__ == "numpy" and hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_nb_plain(v) for v in value)
    if isinstance(value, dict):
        return {(k if isinstance(k, (str, int, float, bool)) else repr(k)): _nb_plain(v) for k, v in value.items()}
    return f"<{type(value).__name__}>"


def _nb_linear_stack(state, in_features, out_features):
    """The (weight, bias) pairs of the MLP behind a state dict (AssertionError when it is not one)."""
    assert isinstance(state, dict) and state, "no state_dict"
    values = list(state.items())
    assert len(values) % 2 == 0, "not weight/bias pairs"
    layers_, width = [], in_features
    for i in range(0, len(values), 2):
        w, b = values[i][1], values[i + 1][1]
        assert isinstance(w, torch.Tensor) and isinstance(b, torch.Tensor) and w.dim() == 2 and b.dim() == 1, \
            "not an MLP of Linear layers"
        assert w.is_floating_point() and b.is_floating_point(), "not an MLP of Linear layers"
        assert w.shape[1] == width and w.shape[0] == b.shape[0], "not an MLP of Linear layers"
        layers_.append((w.detach().cpu().to(torch.float32), b.detach().cpu().to(torch.float32)))
        width = w.shape[0]
    assert width == out_features, "not an MLP of Linear layers"
    return layers_


def _nb_device_of(args, kwargs, name):
    """The device a .to/.cuda/.cpu call (torch function NAME, its ARGS and KWARGS) moves a tensor to."""
    if name == "cuda":
        return "cuda"
    if name == "cpu":
        return "cpu"
    for a in list(args[1:]) + [kwargs.get("device")]:
        if isinstance(a, (str, torch.device)):
            return str(torch.device(a))
        if isinstance(a, torch.Tensor):
            return str(a.device)
    return None
