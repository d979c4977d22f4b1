"""The grader's references that are computed once per grader process (checks/reference/memo.py):
keyed by the exact arguments, every caller gets its own copy, and a remembered value is the value
the reference computes afresh."""
import pytest
import torch

from autograder.checks.helpers import ex06 as helpers_ex06
from autograder.checks.reference import ex03, ex04, ex05, ex06, ex07, memo
from autograder.grading.grade import DATA_DIR, grader_threads


def test_keys_tell_apart_what_python_calls_equal():
    calls = []

    @memo.remembered
    def f(x):
        calls.append(x)
        return torch.zeros(1)

    for value in (1, 1.0, True, 0.0, -0.0, "1", (1,), [1]):
        f(value)
    assert len(calls) == 8
    for value in (torch.zeros(2), torch.zeros(2, dtype=torch.float64), torch.zeros(1, 2), torch.tensor([0.0, 1.0]),
                  torch.tensor([-0.0, 0.0])):
        f(value)
    assert len(calls) == 13
    f(1), f(torch.zeros(2)), f(torch.tensor([0.0, 1.0]))
    assert len(calls) == 13  # the same arguments: remembered


def test_every_caller_gets_its_own_copy():
    @memo.remembered
    def f(seed):
        return {"w": torch.ones(3), "history": [1.0, 2.0], "pair": (torch.zeros(2), 5)}

    a = f(0)
    a["w"].add_(1)
    a["history"].append(3.0)
    a["pair"][0].fill_(7)
    b = f(0)
    assert torch.equal(b["w"], torch.ones(3)) and b["history"] == [1.0, 2.0]
    assert torch.equal(b["pair"][0], torch.zeros(2))


def test_arguments_that_cannot_be_keyed_are_computed_afresh():
    calls = []

    @memo.remembered
    def f(x):
        calls.append(x)
        return 1

    thing = object()
    f(thing), f(thing), f(lambda: 0)
    assert len(calls) == 3


def _ex04_inputs():
    state, train = ex04.initial_state(3, 8, True), ex04.batches(20, 6, 3)
    return state, train, ex04.batches(12, 6, 503)


# (a remembered reference, its arguments) as the checks call them
CASES = [
    ("ex04.epoch", lambda: (ex04.epoch, _ex04_inputs()[:2] + (0.1,), {"epochs": 2})),
    ("ex04.evaluate", lambda: (ex04.evaluate, _ex04_inputs()[:2], {"dropout": 0.5})),
    ("ex04.batch_losses", lambda: (ex04.batch_losses, _ex04_inputs()[:2], {})),
    ("ex04.lr_sequence", lambda: (ex04.lr_sequence, (0.1, 5, True), {})),
    ("ex04.fit", lambda: (ex04.fit, (ex04.initial_state(4), ex04.batches(20, 6, 4), ex04.batches(12, 6, 504), 0.1, 3),
                          {})),
    ("ex06.initial_layers", lambda: (ex06.initial_layers, (6,), {})),
    ("ex07.trained", lambda: (ex07.trained, ("adam", 3, 2, 4), {"extra_epochs": 1})),
    ("ex07.rng_state", lambda: (ex07.rng_state, (9,), {})),
    ("ex03.init_layers", lambda: (ex03.init_layers, ([(4, 16), (16, 3)], 2), {})),
    ("ex05.iris", lambda: (ex05.iris, (DATA_DIR,), {})),
    ("trajectory", lambda: (helpers_ex06.trajectory, (torch.optim.Adam, {"lr": 0.1}, 1, ((3, 4), (4,)), 5), {})),
    ("expected_trace", lambda: (helpers_ex06.expected_trace, ("multistep", 0.3, 25, {"milestones": [4, 9]}), {})),
]


def _same(a, b):
    if isinstance(a, torch.Tensor):
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and torch.equal(a, b)
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or (a != a and b != b)


@pytest.mark.parametrize("name, case", CASES, ids=[c[0] for c in CASES])
def test_a_remembered_value_is_the_value_computed_afresh(name, case):
    fn, args, kwargs = case()
    with grader_threads(1):
        fresh = fn.__wrapped__(*args, **kwargs)
        first, again = fn(*args, **kwargs), fn(*args, **kwargs)
    assert _same(fresh, first) and _same(fresh, again), name
    assert first is not again


def test_seeding_the_cpu_generator_gives_what_torch_manual_seed_gives():
    """The references seed torch's CPU generator alone (torch.manual_seed also queues a seed for
    every accelerator, recording a stack trace each time): the same initial weights."""
    torch.manual_seed(6)
    first, last = torch.nn.Linear(4, 16), torch.nn.Linear(16, 3)
    got = ex06.initial_layers.__wrapped__(6)
    assert torch.equal(got[0][0], first.weight.detach()) and torch.equal(got[1][1], last.bias.detach())


def test_grader_threads_are_put_back():
    before = torch.get_num_threads()
    with grader_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
