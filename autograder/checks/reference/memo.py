"""Reference values computed once per grader process.

A reference that depends only on what the grader chose (seeds, sizes, learning rates, the
weights and batches it drew from its own seeds) is the same for every submission, so a grader
process that grades many of them (bulk grading, the audit) computes it once: ``@remembered``
keeps the result under a key made of the exact arguments (a tensor by its dtype, shape and
bytes; ``1``, ``1.0`` and ``True`` are different keys) and hands every caller its own copy
(tensors cloned, containers rebuilt), so no check can change what the next one gets.

Only for functions the checks call with the grader's own values: never with anything that came
back from the worker (a student's weights, batches or history), which stays uncached. A call
whose arguments cannot be keyed (an object other than numbers, strings, tensors, classes,
paths and containers of them) is computed afresh, as it would be without this module.
"""
from __future__ import annotations

import functools
from collections import OrderedDict
from pathlib import PurePath

import torch

MAX_ENTRIES = 512  # per function; the checks call each with a few dozen argument sets at most

_UNKEYABLE = object()
_DTYPES = (torch.float16, torch.float32, torch.float64, torch.int8, torch.uint8, torch.int16, torch.int32,
           torch.int64, torch.bool)


def _key(value):
    if type(value) is float:
        return ("float", value.hex())  # -0.0 is not 0.0
    if value is None or type(value) in (bool, int, str):
        return (type(value).__name__, value)
    if isinstance(value, torch.Tensor):
        if value.layout != torch.strided or value.is_complex() or value.dtype not in _DTYPES:
            return _UNKEYABLE
        t = value.detach().cpu().contiguous()
        return ("tensor", str(t.dtype), tuple(t.shape), value.requires_grad, t.numpy().tobytes())
    if type(value) in (list, tuple):
        parts = tuple(_key(v) for v in value)
        return _UNKEYABLE if any(p is _UNKEYABLE for p in parts) else (type(value).__name__, parts)
    if type(value) in (dict, OrderedDict):
        parts = tuple((_key(k), _key(v)) for k, v in value.items())
        return _UNKEYABLE if any(p is _UNKEYABLE for kv in parts for p in kv) else (type(value).__name__, parts)
    if isinstance(value, type):  # a class the check names (torch.optim.Adam)
        return ("class", value)
    if isinstance(value, PurePath):
        return ("path", str(value))
    return _UNKEYABLE


def copy(value):
    """A copy no caller shares with the cache: tensors cloned, lists, tuples and dicts rebuilt."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if type(value) in (dict, OrderedDict):
        return type(value)((k, copy(v)) for k, v in value.items())
    if type(value) is list:
        return [copy(v) for v in value]
    if type(value) is tuple:
        return tuple(copy(v) for v in value)
    if isinstance(value, (bool, int, float, str, bytes, type(None))):
        return value
    raise TypeError(f"a remembered reference returned a {type(value).__name__}, which is not copied")


def remembered(fn):
    """Cache ``fn``'s results in this process, keyed by its exact arguments (see the module)."""
    cache: dict = {}

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        key = _key((args, dict(sorted(kwargs.items()))))
        if key is _UNKEYABLE:
            return fn(*args, **kwargs)
        if key not in cache:
            if len(cache) >= MAX_ENTRIES:
                cache.clear()
            cache[key] = fn(*args, **kwargs)
        return copy(cache[key])

    wrapper.cache = cache
    return wrapper
