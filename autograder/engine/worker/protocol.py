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
import sys
from pathlib import PurePath

MB = 1024 * 1024
# Requests (the grader's, read by the worker).
MAX_HEADER = 64 * MB
MAX_BLOB = 1024 * MB

# Replies (the worker's, read by the grader): every limit is checked before anything of that
# size is allocated. The largest reply of grading solutions/ (public and hidden) is a 25 KB
# header and a 4.8 MB blob.
REPLY_HEADER_BYTES = 1 * MB
# The largest reply blob: the setting DLGRADER_MAX_REPLY_MB (256 MB), read in client.py.


class TreeLimits:
    """What a JSON tree from the other side may hold."""

    __slots__ = ("depth", "nodes", "string", "entries")

    def __init__(self, depth: int = 64, nodes: int = 200_000, string: int = 65_536, entries: int = 1_000):
        self.depth, self.nodes, self.string, self.entries = depth, nodes, string, entries


REPLY_TREE = TreeLimits()
REPLY_TENSORS = 10_000  # tensors in one blob
REPLY_TENSOR_HEADER = 1 * MB  # the JSON at the front of the safetensors blob


class ProtocolError(Exception):
    """The other side sent something that is not a valid frame."""


class LimitExceeded(ProtocolError):
    """A frame over one of the limits. ``what``: bytes (the frame's size), depth, nodes,
    string, entries, tensors or tensor_header; ``size`` and ``limit`` in those units."""

    def __init__(self, what: str, size: int, limit: int):
        if what == "bytes":
            text = f"the result was too large: {size / MB:.0f} MB, the limit is {limit / MB:.0f} MB"
        else:
            text = f"the result was too complex: {what} {size}, the limit is {limit}"
        super().__init__(text)
        self.what, self.size, self.limit = what, size, limit


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
    (worker side). The grader passes ``refer`` instead: it maps an object of the worker that
    the grader holds a reference to (a remote handle or module attribute, client.Remote) to
    its target, sent as ``{"__target__": target}`` and resolved by the worker; any other
    non-data value is an error there.
    """

    def __init__(self, keep=None, refer=None):
        self.keep, self.refer = keep, refer
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
        if self.refer is not None:
            target = self.refer(value)
            if target is not None:
                return {"__target__": target}
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
    """The inverse of Encoder. ``resolve`` maps a handle id to its object and ``resolve_target``
    a target the grader sent (``{"__target__": ...}``) to its object (worker side); on the grader's
    side handles decode to Handle, and a target is refused: only the grader names the worker's
    objects."""

    def __init__(self, tensors: dict, resolve=None, wrap_handle=None, resolve_target=None):
        self.tensors, self.resolve, self.wrap_handle = tensors, resolve, wrap_handle
        self.resolve_target = resolve_target

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
        if "__target__" in node:
            if self.resolve_target is None:
                raise ProtocolError("a reply cannot name an object of the worker")
            return self.resolve_target(node["__target__"])
        if "__path__" in node:
            from pathlib import Path

            return Path(node["__path__"])
        if "__device__" in node:
            import torch

            return torch.device(node["__device__"])
        if "__dtype__" in node:
            import torch

            dtype = getattr(torch, str(node["__dtype__"]), None)
            if not isinstance(dtype, torch.dtype):  # only a dtype, never another name of torch
                raise ProtocolError(f"unknown dtype {str(node['__dtype__'])[:40]!r}")
            return dtype
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


def read_exact(stream, n: int) -> bytearray:
    """``n`` bytes read into one buffer (writable: tensors made from it may be written to)."""
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = stream.readinto(view[got:])
        if not k:
            raise EOFError("the other side closed the connection")
        got += k
    return buf


def parse_sizes(prefix: bytes, max_header: int = MAX_HEADER, max_blob: int = MAX_BLOB) -> tuple[int, int]:
    head_len, blob_len = struct.unpack(">IQ", prefix)
    if head_len > max_header:
        raise LimitExceeded("bytes", head_len, max_header)
    if blob_len > max_blob:
        raise LimitExceeded("bytes", head_len + blob_len, max_blob)
    return head_len, blob_len


def check_tree(root, limits: TreeLimits) -> None:
    """Refuse a decoded JSON tree deeper, larger, or with longer strings or more object
    entries than ``limits`` allow: one pass, no recursion."""
    nodes, stack = 1, [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, str):
            if len(node) > limits.string:
                raise LimitExceeded("string", len(node), limits.string)
            continue
        if not isinstance(node, (list, dict)):
            continue
        if depth >= limits.depth and node:
            raise LimitExceeded("depth", depth + 1, limits.depth)
        nodes += len(node)
        if nodes > limits.nodes:
            raise LimitExceeded("nodes", nodes, limits.nodes)
        if isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
            continue
        if len(node) > limits.entries:
            raise LimitExceeded("entries", len(node), limits.entries)
        for key, value in node.items():
            if len(key) > limits.string:
                raise LimitExceeded("string", len(key), limits.string)
            stack.append((value, depth + 1))


def parse_json(data, limits: TreeLimits | None = None):
    """JSON from the other side; with ``limits``, checked by check_tree."""
    try:
        tree = json.loads(bytes(data).decode("utf-8"))
    except RecursionError:
        raise LimitExceeded("depth", (limits or REPLY_TREE).depth + 1, (limits or REPLY_TREE).depth) from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, and ints of too many digits
        raise ProtocolError(f"bad header: {str(exc)[:200]}") from None
    if limits is not None:
        check_tree(tree, limits)
    return tree


def _safetensors_dtypes() -> dict:
    import torch

    names = {"F64": "float64", "F32": "float32", "F16": "float16", "BF16": "bfloat16", "I64": "int64",
             "I32": "int32", "I16": "int16", "I8": "int8", "U8": "uint8", "BOOL": "bool", "C64": "complex64",
             "U64": "uint64", "U32": "uint32", "U16": "uint16", "F8_E4M3": "float8_e4m3fn",
             "F8_E4M3FNUZ": "float8_e4m3fnuz", "F8_E5M2": "float8_e5m2", "F8_E5M2FNUZ": "float8_e5m2fnuz"}
    return {k: getattr(torch, v) for k, v in names.items() if isinstance(getattr(torch, v, None), torch.dtype)}


def load_tensors(blob, max_tensors: int = REPLY_TENSORS, max_header: int = REPLY_TENSOR_HEADER) -> dict:
    """The tensors of a safetensors blob (bytes, bytearray or memoryview), without copying it:
    each tensor is a view of ``blob``. Its JSON header (how many tensors, their dtypes, shapes
    and offsets) is checked before any tensor is made: every declared size must match its
    bytes, and those bytes must lie in the blob, apart from the other tensors'."""
    import torch

    size = len(blob)
    if size < 8:
        raise ProtocolError("bad tensor blob: too short")
    (head_len,) = struct.unpack_from("<Q", blob, 0)
    if head_len > max_header:
        raise LimitExceeded("tensor_header", head_len, max_header)
    if 8 + head_len > size:
        raise ProtocolError("bad tensor blob: header longer than the blob")
    meta = parse_json(blob[8:8 + head_len], TreeLimits(depth=4, nodes=20 * max_tensors + 100, entries=max_tensors + 1))
    if not isinstance(meta, dict):
        raise ProtocolError("bad tensor blob: header is not an object")
    meta.pop("__metadata__", None)
    if len(meta) > max_tensors:
        raise LimitExceeded("tensors", len(meta), max_tensors)
    start, data_len, dtypes = 8 + head_len, size - 8 - head_len, _safetensors_dtypes()
    plan = []
    for name, info in meta.items():
        try:
            dtype = dtypes[info["dtype"]]
            shape = [int(d) for d in info["shape"]]
            begin, end = (int(o) for o in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise ProtocolError(f"bad tensor blob: bad entry {name[:40]!r}") from None
        count = math.prod(shape) if shape else 1
        if min(shape, default=0) < 0 or not 0 <= begin <= end <= data_len or count * dtype.itemsize != end - begin:
            raise ProtocolError(f"bad tensor blob: entry {name[:40]!r} does not match its bytes")
        plan.append((begin, end, name, dtype, shape, count))
    plan.sort(key=lambda p: p[:2])
    for (_, end, *_), (begin, *_) in zip(plan, plan[1:]):
        if begin < end:
            raise ProtocolError("bad tensor blob: tensors overlap")
    tensors = {}
    for begin, _, name, dtype, shape, count in plan:
        if count == 0:
            tensors[name] = torch.empty(shape, dtype=dtype)
            continue
        t = torch.frombuffer(blob, dtype=dtype, count=count, offset=start + begin).reshape(shape)
        if (start + begin) % dtype.itemsize:
            t = t.clone()  # not aligned for its dtype
        if sys.byteorder == "big":
            t = torch.from_numpy(t.numpy().byteswap(inplace=False))
        tensors[name] = t
    return tensors


def parse_body(head, blob, tree: TreeLimits | None = None) -> tuple[dict, dict]:
    """Header and tensors of a frame. ``head`` and ``blob`` may be views of one buffer; the
    tensors are views of ``blob``. ``tree``: limits on the header (the grader's side)."""
    header = parse_json(head, tree)
    if not isinstance(header, dict):
        raise ProtocolError("header is not an object")
    tensors = load_tensors(blob) if len(blob) else {}
    return header, tensors


def read_frame(stream) -> tuple[dict, dict]:
    head_len, blob_len = parse_sizes(read_exact(stream, 12))
    return parse_body(read_exact(stream, head_len), read_exact(stream, blob_len))

