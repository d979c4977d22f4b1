"""What ex07's checks compute in the grader's process: the training the grader does itself and the
checkpoint contents it chooses, finds and substitutes. The small model with dropout, its data
and its training epoch are the instruments' (``engine/worker/probes_ex07.py``), imported here
from the kit's own file, so the grader's straight run and the worker's resumed one build the
same objects.

Nothing here is sent to the worker. The checks choose the states (weights, optimizer and
scheduler states, RNG state, epoch, extra values) here, send one set to the student's
``save_checkpoint``, read the file it wrote (through ``engine.worker_files``) and look for that
set in it, whatever the file's layout; then they write the same layout with ANOTHER set, one
the worker never received, for ``load_checkpoint`` to restore.
"""
from __future__ import annotations

import io
from collections.abc import Mapping

import torch

from ...engine.worker.probes_ex07 import make_data, objects, train_epoch
from .memo import remembered

MAX_NODES = 20000  # a checkpoint object is walked at most this far
FILE_LIMIT = 4 * 1024 * 1024  # a checkpoint of these small models is a few KB


def params_of(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@remembered
def trained(kind: str, seed: int, epochs: int, data_seed: int, lr: float = 0.05, n: int = 40,
            extra_epochs: int = 0) -> dict:
    """Train in the grader's process (its global RNG saved and restored around it).

    Returns the states after ``epochs`` epochs ("model", "optimizer", "scheduler", "rng"), the weights
    after ``epochs + extra_epochs`` ("straight") and every epoch's mean batch loss ("losses")."""
    x, y = make_data(n, 6, 3, data_seed)
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)  # the CPU generator: the grader trains on the CPU
        model, optimizer, scheduler = objects(kind, seed, lr)
        losses = [train_epoch(model, optimizer, scheduler, x, y) for _ in range(epochs)]
        out = {"model": params_of(model), "optimizer": _clone(optimizer.state_dict()),
               "scheduler": _clone(scheduler.state_dict()), "rng": torch.get_rng_state().clone()}
        losses += [train_epoch(model, optimizer, scheduler, x, y) for _ in range(extra_epochs)]
        out["straight"], out["losses"] = params_of(model), losses
    return out


@remembered
def rng_state(seed: int) -> torch.Tensor:
    """A CPU RNG state (what torch.get_rng_state() returns) drawn from a seed."""
    with torch.random.fork_rng(devices=[]):
        torch.default_generator.manual_seed(seed)
        torch.rand(seed % 97 + 1)
        return torch.get_rng_state().clone()


def _clone(value):
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, Mapping):
        return {k: _clone(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_clone(v) for v in value)
    return value


# --- comparing -----------------------------------------------------------------------------
def equal(a, b) -> bool:
    """Same structure and values: tensors of the same shape, dtype and values; mappings with the
    same keys (an int key and its string are the same key); sequences element by element."""
    if isinstance(b, torch.Tensor):
        return (isinstance(a, torch.Tensor) and a.shape == b.shape and a.dtype == b.dtype
                and bool(torch.equal(a.detach().cpu(), b.detach().cpu())))
    if isinstance(b, Mapping):
        if not isinstance(a, Mapping) or len(a) != len(b):
            return False
        keyed = {str(k): v for k, v in a.items()}
        return all(str(k) in keyed and equal(keyed[str(k)], v) for k, v in b.items())
    if isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and len(a) == len(b) and all(equal(u, v) for u, v in zip(a, b))
    if isinstance(b, bool) or isinstance(a, bool):
        return type(a) is type(b) and a == b
    if isinstance(b, (int, float)) and isinstance(a, (int, float)):
        return a == b or (a != a and b != b)
    return type(a) is type(b) and a == b


def same_weights(got, expected: dict, atol: float = 0.0, rtol: float = 0.0) -> bool:
    """``got`` is a state dict (any key names) whose tensors, in order, match ``expected``'s."""
    if not isinstance(got, Mapping) or len(got) != len(expected):
        return False
    for g, e in zip(got.values(), expected.values()):
        if not isinstance(g, torch.Tensor) or g.shape != e.shape:
            return False
        if not torch.allclose(g.detach().cpu().to(torch.float64), e.to(torch.float64), atol=atol, rtol=rtol):
            return False
    return True


class _Budget:
    def __init__(self):
        self.left = MAX_NODES

    def spend(self) -> bool:
        self.left -= 1
        return self.left >= 0


def find(obj, expected, budget: _Budget | None = None) -> bool:
    """Whether ``expected`` (a state dict, a tensor, ...) is somewhere in ``obj``."""
    budget = budget or _Budget()
    if not budget.spend():
        return False
    if equal(obj, expected):
        return True
    if isinstance(obj, Mapping):
        return any(find(v, expected, budget) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(find(v, expected, budget) for v in obj)
    return False


def find_item(obj, key: str, value, budget: _Budget | None = None) -> bool:
    """Whether some mapping in ``obj`` has ``key`` with ``value``."""
    budget = budget or _Budget()
    if not budget.spend():
        return False
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            if str(k) == key and equal(v, value):
                return True
        return any(find_item(v, key, value, budget) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return any(find_item(v, key, value, budget) for v in obj)
    return False


def substitute(obj, wholes: list, items: dict, epoch: tuple | None, found: set, budget: _Budget | None = None):
    """``obj`` with every part equal to ``wholes[i][0]`` replaced by ``wholes[i][1]`` (states),
    every ``key: items[key][0]`` by ``key: items[key][1]`` (extra values) and every int equal to
    ``epoch[0]`` outside those by ``epoch[1]``. ``found`` collects what was replaced."""
    budget = budget or _Budget()
    if not budget.spend():
        raise ValueError("the checkpoint holds too many values")
    for i, (old, new) in enumerate(wholes):
        if equal(obj, old):
            found.add(("whole", i))
            return _clone(new)
    if isinstance(obj, Mapping):
        out = {}
        for k, v in obj.items():
            if str(k) in items and equal(v, items[str(k)][0]):
                found.add(("item", str(k)))
                out[k] = _clone(items[str(k)][1])
            else:
                out[k] = substitute(v, wholes, items, epoch, found, budget)
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(substitute(v, wholes, items, epoch, found, budget) for v in obj)
    if epoch is not None and isinstance(obj, int) and not isinstance(obj, bool) and obj == epoch[0]:
        found.add(("epoch",))
        return epoch[1]
    return obj


def load_bytes(data: bytes):
    """A checkpoint file's object, loaded the safe way (weights_only, on the CPU)."""
    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")


def save_bytes(obj) -> bytes:
    buf = io.BytesIO()
    torch.save(obj, buf)
    return buf.getvalue()


def as_tensor(data: bytes) -> torch.Tensor:
    """File bytes as a uint8 tensor, for an instrument that writes them into the worker's folder."""
    return torch.frombuffer(bytearray(data), dtype=torch.uint8).clone() if data else torch.zeros(0, dtype=torch.uint8)
