"""What a correct training loop gives, computed in the grader (ex04).

The grader chooses everything: the initial weights (``initial_state``), the batches
(``batches``), the learning rate and the schedule. It sends them to the worker, whose
instruments build a model, loaders, SGD and StepLR around them and call the student's
function; here it runs its own correct loop on copies of the same tensors and compares.
Nothing in this module is ever sent to the worker.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from .memo import remembered

IN_FEATURES, CLASSES = 4, 3


# --- inputs the grader chooses ------------------------------------------------------------
def initial_state(seed: int, hidden: int = 8, batchnorm: bool = False) -> dict:
    """Seeded weights of a 4 -> hidden (-> BatchNorm) -> ReLU (-> Dropout) -> 3 network, by name."""
    g = torch.Generator().manual_seed(10_000 + seed)
    state = {
        "fc1.weight": torch.randn(hidden, IN_FEATURES, generator=g) * 0.5,
        "fc1.bias": torch.randn(hidden, generator=g) * 0.5,
        "fc2.weight": torch.randn(CLASSES, hidden, generator=g) * 0.5,
        "fc2.bias": torch.randn(CLASSES, generator=g) * 0.5,
    }
    if batchnorm:  # running statistics far from a batch's own: eval and train mode differ a lot
        state.update({
            "bn.weight": 1.0 + 0.3 * torch.randn(hidden, generator=g),
            "bn.bias": 0.3 * torch.randn(hidden, generator=g),
            "bn.running_mean": torch.randn(hidden, generator=g),
            "bn.running_var": 0.3 + 2.0 * torch.rand(hidden, generator=g),
            "bn.num_batches_tracked": torch.tensor(0, dtype=torch.int64),
        })
    return state


def batches(n: int, batch_size: int, seed: int) -> list:
    """Seeded classification data in batches [(x float32 [b, 4], y int64 [b]), ...] (the last may be smaller)."""
    g = torch.Generator().manual_seed(20_000 + seed)
    x = torch.randn(n, IN_FEATURES, generator=g) * 1.5
    y = torch.randint(0, CLASSES, (n,), generator=g)
    return [(x[i:i + batch_size].clone(), y[i:i + batch_size].clone()) for i in range(0, n, batch_size)]


class Net(nn.Module):
    """The grader's copy of the network the worker builds from the same state (same layers, same order)."""

    def __init__(self, state: dict, dropout: float = 0.0):
        super().__init__()
        hidden, in_features = state["fc1.weight"].shape
        self.fc1 = nn.Linear(in_features, hidden)
        self.bn = nn.BatchNorm1d(hidden) if "bn.weight" in state else None
        self.drop = nn.Dropout(dropout)
        self.fc2 = nn.Linear(hidden, state["fc2.weight"].shape[0])
        self.load_state_dict({k: v.clone() for k, v in state.items()})

    def forward(self, x):
        h = self.fc1(x.flatten(1))
        if self.bn is not None:
            h = self.bn(h)
        return self.fc2(self.drop(torch.relu(h)))


def state_of(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# --- the correct loop ---------------------------------------------------------------------
def _epoch(model, data, optimizer) -> float:
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    total, count = 0.0, 0
    for x, y in data:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(y)
        count += len(y)
    return total / count


def _evaluate(model, data) -> dict:
    model.eval()
    loss_fn = nn.CrossEntropyLoss()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for x, y in data:
            logits = model(x)
            total += loss_fn(logits, y).item() * len(y)
            correct += int((logits.argmax(1) == y).sum())
            count += len(y)
    return {"loss": total / count, "accuracy": correct / count}


@remembered
def epoch(state: dict, data: list, lr: float, epochs: int = 1) -> dict:
    """``epochs`` calls of a correct train_one_epoch: {"losses", "loss" (the last), "state" after}."""
    model = Net(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    losses = [_epoch(model, data, optimizer) for _ in range(epochs)]
    return {"losses": losses, "loss": losses[-1], "state": state_of(model)}


@remembered
def evaluate(state: dict, data: list, dropout: float = 0.0) -> dict:
    """A correct evaluate: {"loss", "accuracy", "state" (unchanged)}."""
    model = Net(state, dropout)
    out = _evaluate(model, data)
    out["state"] = state_of(model)
    return out


@remembered
def batch_losses(state: dict, data: list) -> list:
    """(batch size, mean loss) per batch of the untrained network in eval mode."""
    model = Net(state).eval()
    loss_fn = nn.CrossEntropyLoss()
    with torch.no_grad():
        return [(len(y), float(loss_fn(model(x), y))) for x, y in data]


@remembered
def lr_sequence(lr: float, epochs: int, scheduler: bool, step_size: int = 1, gamma: float = 0.5) -> list:
    """The lr of each epoch under torch's own StepLR stepped once per epoch (or none)."""
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma) if scheduler else None
    out = []
    for _ in range(epochs):
        out.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        if sched is not None:
            sched.step()
    return out


@remembered
def fit(state: dict, train: list, val: list, lr: float, epochs: int, scheduler: bool = True,
        step_size: int = 1, gamma: float = 0.5) -> dict:
    """A correct fit: the history lists and the state after training."""
    model = Net(state)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(optimizer, step_size=step_size, gamma=gamma) if scheduler else None
    history = {"train_loss": [], "val_loss": [], "val_acc": [], "lr": []}
    for _ in range(epochs):
        history["lr"].append(optimizer.param_groups[0]["lr"])
        history["train_loss"].append(_epoch(model, train, optimizer))
        scores = _evaluate(model, val)
        history["val_loss"].append(scores["loss"])
        history["val_acc"].append(scores["accuracy"])
        if sched is not None:
            sched.step()
    history["state"] = state_of(model)
    return history


# --- diagnosis: which mistake an event log points to (for the hint only) -------------------
def epoch_mistake(events: list, n_batches: int) -> str:
    """The hint for a train_one_epoch whose parameters are not those of the reference.

    Replays the optimizer's story: a backward onto gradients that were not zeroed since the last
    one accumulates; a step without a backward since the last step, or with a zero_grad between
    backward and step, updates nothing. The events come from the worker: they only choose the hint.
    """
    clean, pending, wiped = True, False, False
    steps = 0
    for event in events if isinstance(events, list) else []:
        kind = event[0] if isinstance(event, list) and event else None
        if kind == "zero":
            clean = True
            wiped = wiped or pending
        elif kind == "backward":
            if not clean:
                return "hint.ex04_zero_grad"
            clean, pending, wiped = False, True, False
        elif kind == "step":
            steps += 1
            if not pending or wiped:
                return "hint.ex04_step_order"
            pending = False
    if steps != n_batches:
        return "hint.ex04_step_order"
    return "hint.ex04_epoch_params"


def forward_modes(events) -> list:
    """model.training of each forward in a worker event log (for hints only)."""
    return [e[1] for e in events if isinstance(e, list) and len(e) > 2 and e[0] == "forward"] \
        if isinstance(events, list) else []


def isclose(a, b, rtol=1e-4, atol=1e-5) -> bool:
    return isinstance(a, (int, float)) and math.isclose(a, b, rel_tol=rtol, abs_tol=atol)
