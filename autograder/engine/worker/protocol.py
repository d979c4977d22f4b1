"""The wire format between the grader and the worker: data only, never pickle.

A frame is a JSON header plus one safetensors blob that holds every tensor of
the message. Values are encoded as a JSON tree in which tensors, arrays, tuples,
dicts with any keys, paths, devices, dtypes and handles are tagged objects.
Anything that is not data stays on the worker's side behind a handle.

This file runs on both sides: it is copied into the worker beside
``worker_main.py`` and imported by the grader as
``autograder.engine.worker.protocol``.
"""
from __future__ import annotations

import json
import math
import struct
from pathlib import PurePath

MAX_HEADER = 64 * 1024 * 1024
MAX_BLOB = 1024 * 1024 * 1024


class ProtocolError(Exception):
    """The other side sent something that is not a valid frame."""


class Handle:
    """An object that stays in the worker; only its id, type and repr cross."""

    __slots__ = ("id", "type", "repr")

    def __init__(self, id: int, type: str = "", repr: str = ""):
        self.id, self.type, self.repr = int(id), str(type), str(repr)

    def __repr__(self) -> str:
        return f"<handle {self.id}: {self.type}>"


def _short_repr(obj) -> str:
    try:
        text = repr(obj)
    except Exception:  # a student's __repr__ may raise
        text = f"<{type(obj).__name__}>"
    return text if len(text) <= 200 else text[:197] + "..."


class Encoder:
    """Turns a value into (json tree, {name: tensor}).

    ``keep`` is called for any object that is not data and returns its handle id
    (worker side); the grader passes None, so a non-data value there is an error.
    """

    def __init__(self, keep=None):
        self.keep = keep
        self.tensors: dict = {}

    def encode(self, value, depth: int = 0):
        import torch

        if depth > 50:
            raise ProtocolError("value nested too deeply")
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, int):
            return value if abs(value) < 2**63 else float(value)
        if isinstance(value, float):
            return value
        if isinstance(value, Handle):
            return {"__handle__": value.id}
        if isinstance(value, torch.Tensor):
            return self._tensor(value)
        if type(value).__module__ == "numpy":
            return self._numpy(value)
        if isinstance(value, (list, tuple)):
            items = [self.encode(v, depth + 1) for v in value]
            if isinstance(value, list):
                return items
            return {"__tuple__": items}
        if isinstance(value, dict):
            return {"__dict__": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if isinstance(value, PurePath):
            return {"__path__": str(value)}
        if isinstance(value, torch.device):
            return {"__device__": str(value)}
        if isinstance(value, torch.dtype):
            return {"__dtype__": str(value).replace("torch.", "")}
        if self.keep is None:
            raise ProtocolError(f"cannot send a {type(value).__name__} to the worker")
        return {"__handle__": self.keep(value), "type": type(value).__qualname__, "repr": _short_repr(value)}

    def _tensor(self, t):
        import torch

        name = f"t{len(self.tensors)}"
        meta = {
            "__tensor__": name,
            "device": str(t.device),
            "requires_grad": bool(t.requires_grad),
            "dtype": str(t.dtype).replace("torch.", ""),
            "subclass": type(t) is not torch.Tensor and type(t) is not torch.nn.Parameter,
            "parameter": isinstance(t, torch.nn.Parameter),
        }
        with torch._C.DisableTorchFunction():
            plain = torch.Tensor._make_subclass(torch.Tensor, t.detach().to("cpu"), False)
            self.tensors[name] = plain.contiguous().clone()
        return meta

    def _numpy(self, value):
        import numpy as np
        import torch

        if isinstance(value, np.generic):
            return value.item() if not isinstance(value, np.bool_) else bool(value)
        if isinstance(value, np.ndarray) and value.dtype != object:
            meta = self._tensor(torch.from_numpy(np.ascontiguousarray(value)))
            meta["__ndarray__"] = True
            return meta
        if self.keep is None:
            raise ProtocolError("cannot send an object array")
        return {"__handle__": self.keep(value), "type": "ndarray", "repr": _short_repr(value)}


class Decoder:
    """The inverse of Encoder. ``resolve`` maps a handle id to its object (worker
    side); on the grader's side handles decode to Handle."""

    def __init__(self, tensors: dict, resolve=None, wrap_handle=None):
        self.tensors, self.resolve, self.wrap_handle = tensors, resolve, wrap_handle

    def decode(self, node):
        if isinstance(node, list):
            return [self.decode(v) for v in node]
        if not isinstance(node, dict):
            return node
        if "__tensor__" in node:
            t = self.tensors[node["__tensor__"]]
            if node.get("__ndarray__"):
                return t.numpy()
            if self.resolve is None:  # grader side: remember where it lived
                return RemoteTensorInfo.attach(t, node)
            return t
        if "__tuple__" in node:
            return tuple(self.decode(v) for v in node["__tuple__"])
        if "__dict__" in node:
            return {_hashable(self.decode(k)): self.decode(v) for k, v in node["__dict__"]}
        if "__handle__" in node:
            if self.resolve is not None:
                return self.resolve(node["__handle__"])
            h = Handle(node["__handle__"], node.get("type", ""), node.get("repr", ""))
            return self.wrap_handle(h) if self.wrap_handle else h
        if "__path__" in node:
            from pathlib import Path

            return Path(node["__path__"])
        if "__device__" in node:
            import torch

            return torch.device(node["__device__"])
        if "__dtype__" in node:
            import torch

            return getattr(torch, node["__dtype__"])
        raise ProtocolError(f"unknown tag in {sorted(node)[:3]}")


def _hashable(key):
    if isinstance(key, list):
        return tuple(_hashable(k) for k in key)
    return key


class RemoteTensorInfo:
    """Where a tensor lived in the worker (device, requires_grad, subclass)."""

    @staticmethod
    def attach(t, node):
        t.remote_device = node.get("device", "cpu")
        t.remote_requires_grad = node.get("requires_grad", False)
        t.remote_subclass = node.get("subclass", False)
        t.remote_parameter = node.get("parameter", False)
        return t


def write_frame(stream, header: dict, tensors: dict | None = None) -> None:
    blob = b""
    if tensors:
        from safetensors.torch import save

        blob = save(tensors)
    head = json.dumps(header, allow_nan=True).encode("utf-8")
    stream.write(struct.pack(">IQ", len(head), len(blob)))
    stream.write(head)
    stream.write(blob)
    stream.flush()


def read_exact(stream, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the other side closed the connection")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def parse_sizes(prefix: bytes) -> tuple[int, int]:
    head_len, blob_len = struct.unpack(">IQ", prefix)
    if head_len > MAX_HEADER or blob_len > MAX_BLOB:
        raise ProtocolError(f"frame too large ({head_len} + {blob_len} bytes)")
    return head_len, blob_len


def parse_body(head: bytes, blob: bytes) -> tuple[dict, dict]:
    try:
        header = json.loads(head.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(f"bad header: {exc}") from None
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    tensors = {}
    if blob:
        from safetensors.torch import load

        try:
            tensors = load(blob)
        except Exception as exc:  # safetensors raises its own error types
            raise ProtocolError(f"bad tensor blob: {exc}") from None
    return header, tensors


def read_frame(stream) -> tuple[dict, dict]:
    head_len, blob_len = parse_sizes(read_exact(stream, 12))
    return parse_body(read_exact(stream, head_len), read_exact(stream, blob_len))


def is_finite_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)
