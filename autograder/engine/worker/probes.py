"""Trusted instruments that run inside the worker, next to student code.

Checks reach them by the function itself, ``sub.probe(probes.training_setup)(...)`` or
``run_probe(sub, probes_ex04.epoch_run, ...)``; only functions declared with ``@instrument``
can be called. They build known models, loaders and optimizers
that log what happens to them into one event log, and run a student function
under observation. They return plain data; the grade is decided in the grader,
which computes what a correct implementation gives with its own references
(``autograder/checks/reference/``), never with code that runs here: anything in
this process is within reach of student code.

Event log entries (lists):
  ["forward", training, grad_enabled, batch_size, device]   a ProbeModel forward
  ["zero"]                                                   optimizer or model zero_grad
  ["backward"]                                               a backward pass reached the model
  ["step", lr]                                               ProbeSGD.step
  ["sched"]                                                  ProbeStepLR.step
  ["batch", loader_name, index]                              a ProbeLoader yielded a batch
  ["to", tag, device]                                        tensor tagged by a loader moved by .to/.cuda/.cpu
"""
from __future__ import annotations

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

# Bound when the worker loads the instruments, before any student code: a submission that later
# replaces torch.equal, Tensor.eq or Tensor.sum does not change what the instruments compare,
# and a torch-function mode or tensor subclass it installs is switched off while they compare.
_EQUAL, _EQ, _SUM, _DATA_PTR = torch.equal, torch.Tensor.eq, torch.Tensor.sum, torch.Tensor.data_ptr
_NO_OVERRIDES = torch._C.DisableTorchFunction


def instrument(fn=None, *, ctx: bool = False):
    """Declare a function of this folder as an instrument: the grader may call it in the worker
    (``run_probe(sub, probes_ex04.epoch_run, ...)``, ``sub.probe(probes.run)``), and nothing
    else here. ``ctx=True``: it is handed the worker as ``ctx`` (to reach the student's modules,
    ``ctx.resolve(["module", ...])``); otherwise it receives only the grader's arguments. The
    wire name, ``module.function``, is derived from the function itself."""

    def declare(f):
        f.instrument = {"ctx": ctx, "wire": f"{f.__module__.rpartition('.')[2]}.{f.__name__}"}
        return f

    return declare(fn) if fn is not None else declare


def same(a, b) -> bool:
    """torch.equal as torch defines it."""
    with _NO_OVERRIDES():
        return bool(_EQUAL(a, b))


def count_equal(a, b) -> int:
    """How many elements of a equal those of b, as torch defines it."""
    with _NO_OVERRIDES():
        return int(_SUM(_EQ(a, b)))


def data_ptr(t) -> int:
    with _NO_OVERRIDES():
        return int(_DATA_PTR(t))


EVENTS: list = []
_TAGS: dict[int, tuple] = {}  # id(tensor) -> (tag, tensor) for tensors yielded by loaders


def log(*event) -> None:
    EVENTS.append(list(event))


def reset(ctx=None) -> None:
    EVENTS.clear()
    _TAGS.clear()


def events(ctx=None) -> list:
    return [list(e) for e in EVENTS]


# --- known objects -----------------------------------------------------------------
class ProbeModel(nn.Module):
    """A small MLP with seeded weights that logs every forward and zero_grad."""

    def __init__(self, in_features: int = 4, hidden: int = 8, out: int = 3, seed: int = 0, dropout: float = 0.0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, out)
        self.drop = nn.Dropout(dropout)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)

    def forward(self, x):
        log("forward", self.training, torch.is_grad_enabled(), int(x.shape[0]), str(x.device))
        h = self.drop(torch.relu(self.fc1(x.flatten(1))))
        out = self.fc2(h)
        if out.requires_grad:
            out.register_hook(_log_backward)
        return out

    def zero_grad(self, set_to_none: bool = True):
        log("zero")
        super().zero_grad(set_to_none)


def _log_backward(grad):
    log("backward")
    return grad


class ProbeSGD(torch.optim.SGD):
    """SGD that logs step (with the lr used) and zero_grad."""

    def step(self, closure=None):
        log("step", self.param_groups[0]["lr"])
        return super().step(closure)

    def zero_grad(self, set_to_none: bool = True):
        log("zero")
        super().zero_grad(set_to_none)


class ProbeStepLR(torch.optim.lr_scheduler.StepLR):
    def step(self, *args, **kwargs):
        if getattr(self, "_probe_ready", False):
            log("sched")
        return super().step(*args, **kwargs)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._probe_ready = True


class ProbeLoader:
    """Fixed batches in a fixed order; logs each batch and tags its tensors."""

    def __init__(self, batches, name: str = "loader"):
        self.batches, self.name = batches, name
        self.dataset = _Sized(sum(int(x.shape[0]) for x, _ in batches))
        self.batch_size = int(batches[0][0].shape[0]) if batches else 1

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for i, (x, y) in enumerate(self.batches):
            x, y = x.clone(), y.clone()
            _TAGS[id(x)] = ((self.name, i, "x"), x)
            _TAGS[id(y)] = ((self.name, i, "y"), y)
            log("batch", self.name, i)
            yield x, y


class _Sized:
    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n


def make_batches(n: int, batch_size: int, seed: int, in_features: int = 4, classes: int = 3):
    """Deterministic classification data split into batches (the last may be smaller)."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, in_features, generator=g)
    y = torch.randint(0, classes, (n,), generator=g)
    return [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, n, batch_size)]


def training_setup(n: int = 37, batch_size: int = 8, seed: int = 0, lr: float = 0.1, hidden: int = 8,
                   val_n: int = 0, step_size: int = 1, gamma: float = 0.5, ctx=None) -> dict:
    """Model, loaders, loss and optimizer (and a scheduler) built from a seed."""
    model = ProbeModel(4, hidden, 3, seed=seed)
    optimizer = ProbeSGD(model.parameters(), lr=lr)
    out = {
        "model": model,
        "train": ProbeLoader(make_batches(n, batch_size, seed + 1), "train"),
        "loss_fn": nn.CrossEntropyLoss(),
        "optimizer": optimizer,
        "scheduler": ProbeStepLR(optimizer, step_size=step_size, gamma=gamma),
    }
    if val_n:
        out["val"] = ProbeLoader(make_batches(val_n, batch_size, seed + 2), "val")
    return out


# --- observing student code -----------------------------------------------------------
def _device_of(args, kwargs, func_name):
    if func_name == "cuda":
        return "cuda"
    if func_name == "cpu":
        return "cpu"
    candidates = list(args[1:]) + [kwargs.get("device")]
    for a in candidates:
        if isinstance(a, (str, torch.device)):
            return str(torch.device(a))
        if isinstance(a, torch.Tensor):
            return str(a.device)
    return None


class CallRecorder(TorchFunctionMode):
    """Records the torch functions called, and .to/.cuda/.cpu on tagged tensors."""

    def __init__(self):
        super().__init__()
        self.names: set[str] = set()
        self.moves: list = []

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__qualname__", None) or getattr(func, "__name__", repr(func))
        module = getattr(func, "__module__", None) or ""
        self.names.add(f"{module}.{name}" if module else name)
        short = getattr(func, "__name__", "")
        if short in ("to", "cuda", "cpu") and args and isinstance(args[0], torch.Tensor):
            tagged = _TAGS.get(id(args[0]))
            if tagged is not None and tagged[1] is args[0]:
                self.moves.append([list(tagged[0]), _device_of(args, kwargs, short)])
            elif short in ("to", "cuda"):
                self.moves.append([["param" if isinstance(args[0], nn.Parameter) else "other", list(args[0].shape)],
                                   _device_of(args, kwargs, short)])
        return func(*args, **kwargs)


@instrument(ctx=True)
def run(target: str, args=(), kwargs=None, record: bool = False, ctx=None) -> dict:
    """Call a student function (``"ex04_training.evaluate"``) and return its
    result with the events it caused; with ``record``, also the torch
    functions it called and the .to()/.cuda() moves it made."""
    fn = ctx.resolve(["module", *target.split(".")])
    EVENTS.clear()
    recorder = CallRecorder() if record else None
    if recorder is not None:
        with recorder:
            result = fn(*args, **(kwargs or {}))
    else:
        result = fn(*args, **(kwargs or {}))
    out = {"result": result, "events": events()}
    if recorder is not None:
        out["calls"] = sorted(recorder.names)
        out["moves"] = recorder.moves
    return out


def state(obj, ctx=None) -> dict:
    """A module's or optimizer's state_dict, or a model's parameters by name."""
    return obj.state_dict()


@instrument
def cuda_available(ctx=None) -> bool:
    return torch.cuda.is_available()
