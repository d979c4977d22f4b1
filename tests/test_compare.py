"""The one helper that compares a tensor with the expected one and explains the difference
(checks/api.py's compare), case by case, in the order it checks: type, shape, dtype, nan/inf,
then values (the worst index), and what a hidden check leaves out. The only test module here that
needs torch for it."""
import math

import pytest
import torch

from autograder.checks import api
from autograder.checks.api import CheckFailed, compare, expect_close
from autograder.feedback.catalog import render


@pytest.fixture(autouse=True)
def revealed():
    before = dict(api.SETTINGS)
    api.SETTINGS["reveal_expected"] = True
    yield
    api.SETTINGS.update(before)


def test_a_match_is_none():
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert compare(x.clone(), x) is None
    assert compare(x + 1e-6, x) is None  # within atol + rtol * |expected|
    assert compare(torch.empty(0, 3), torch.empty(0, 3)) is None
    assert compare(torch.tensor([math.inf, -math.inf]), torch.tensor([math.inf, -math.inf])) is None


def test_not_a_tensor():
    msg = compare([1.0, 2.0], torch.zeros(2))
    assert msg.key == "cmp.type"
    assert msg.params == {"expected": "Tensor[2] float32", "got": "list"}


def test_the_shape_before_the_dtype():
    msg = compare(torch.zeros(3, 2, dtype=torch.int64), torch.zeros(2, 3))
    assert msg.key == "cmp.shape" and msg.params == {"got": [3, 2], "expected": [2, 3]}


def test_the_dtype_unless_told_not_to():
    msg = compare(torch.zeros(2, dtype=torch.float64), torch.zeros(2))
    assert msg.key == "cmp.dtype" and msg.params == {"got": "float64", "expected": "float32"}
    assert compare(torch.zeros(2, dtype=torch.float64), torch.zeros(2), dtype=False) is None


def test_nan_or_inf_where_none_is_expected_names_the_first():
    got = torch.tensor([[0.0, 1.0], [math.nan, math.inf]])
    msg = compare(got, torch.zeros(2, 2))
    assert msg.key == "cmp.nonfinite" and msg.params == {"count": 2, "index": [1, 0]}


def test_nan_where_nan_is_expected_only_with_equal_nan():
    x = torch.tensor([1.0, math.nan])
    assert compare(x.clone(), x, equal_nan=True) is None
    assert compare(x.clone(), x).key == "cmp.values"


def test_the_worst_value_is_named_with_its_index():
    expected = torch.zeros(2, 3)
    got = expected.clone()
    got[0, 1], got[1, 2] = 0.5, -2.0
    msg = compare(got, expected)
    assert msg.key == "cmp.values"
    assert msg.params == {"diff": 2.0, "index": [1, 2], "got": -2.0, "expected": 0.0}
    assert "[1, 2]" in render(msg)


def test_the_tolerance_is_relative_to_the_expected_value():
    expected = torch.tensor([1000.0, 1.0])
    assert compare(torch.tensor([1000.05, 1.0]), expected) is None  # 0.05 <= 1e-5 + 1e-4 * 1000
    assert compare(torch.tensor([1000.0, 1.05]), expected).params["index"] == [1]
    assert compare(torch.tensor([1000.0, 1.05]), expected, atol=0.1) is None


def test_a_hidden_check_does_not_give_the_expected_value_away():
    api.SETTINGS["reveal_expected"] = False
    msg = compare(torch.tensor([1.0, 5.0]), torch.tensor([1.0, 2.0]))
    assert msg.key == "cmp.values_secret" and msg.params == {"index": [1], "got": 5.0}
    assert "2.0" not in render(msg) and "3.0" not in render(msg)


def test_gradients_and_devices_do_not_matter():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    assert compare(x * 1, torch.tensor([1.0, 2.0])) is None


def test_expect_close_fails_with_the_explanation_and_the_hint():
    with pytest.raises(CheckFailed) as info:
        expect_close(torch.ones(2), torch.zeros(2), hint="hint.ex01_softmax_stable", name="softmax(x)")
    assert info.value.detail.key == "cmp.values"
    assert info.value.hint.key == "hint.ex01_softmax_stable" and info.value.name == "softmax(x)"
    expect_close(torch.zeros(2), torch.zeros(2))  # no exception
