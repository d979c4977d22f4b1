"""What a check is written with.

A check is a pytest test in ``public/`` or ``hidden/`` decorated with
``@check(exercise, function, points, en=..., zh=...)``. It reaches student code
only through the fixtures ``sub`` (the Submission) and ``ex01`` ... ``ex08``
(remote modules): ``ex01.softmax(x)`` runs in the worker and returns data.
It decides with the ``expect_*`` helpers below, which raise ``CheckFailed``
carrying catalog messages, so feedback renders in the student's language.
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from typing import NoReturn

import pytest

from ..engine.client import StudentError
from ..feedback.catalog import Msg

SUBMISSION = pytest.StashKey()  # the Submission under grading, for the fixtures

# Hidden checks do not show their expected values; the runner sets this.
SETTINGS = {"reveal_expected": True}
CURVES: list = []  # the running check's curves (see curve); the plugin moves them to its CheckResult
CURVE_POINTS = 1000  # values kept of one series


def curve(title: str, student: dict, reference: dict) -> None:
    """Attach a picture to this check, drawn if it fails (reports/curves.py): ``student`` and
    ``reference`` map a series name (``"train_loss"``) to its values, one per epoch; the reference
    values are the grader's own (reference/exNN.py), never the worker's. Public checks only: in a
    hidden check this does nothing, since its feedback shows no expected values. Values that are
    not numbers are drawn as gaps; call it before the comparison that may fail."""
    if SETTINGS["reveal_expected"]:
        CURVES.append({"title": str(title)[:200], "student": _series(student), "reference": _series(reference)})


def _series(values) -> dict:
    out = {}
    for name, seq in (values.items() if isinstance(values, dict) else ()):
        try:
            out[str(name)[:60]] = [_number(v) for v in list(seq)[:CURVE_POINTS]]
        except TypeError:
            out[str(name)[:60]] = []
    return out


def _number(value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return math.nan
    return number if math.isfinite(number) else math.nan


class CheckFailed(AssertionError):
    """A check's verdict with its explanation (catalog messages). ``name`` labels what was compared,
    shown in front of the message: code as a str (``softmax(x)``), words as a catalog Msg
    (``Msg("label.same_seed", what="w")``), rendered in the report's language."""

    def __init__(self, detail, hint=None, name: str | Msg = ""):
        super().__init__(repr(detail))
        self.detail, self.name = detail, name
        self.hint = Msg(hint) if isinstance(hint, str) else hint


def check(exercise: str, function: str, points: float, *, en: str, zh: str, in_process: str | None = None):
    """Declare a check: the exercise it grades, the function, its weight and title.

    ``points`` is a weight: the checks of an exercise share its points of the handout in
    proportion to their weights (checks/points.py), so a new check needs no rebalancing.

    ``in_process`` marks a check that also rests on behaviour observable only inside the
    worker (an event the instruments recorded there, such as ``zero_grad`` before ``step``),
    and says what, in a few words. Such an observation may only take points away: the check
    passes on values the grader computed itself, and forging the observation gains at most
    what the same code gets without forging (README.md lists these checks and their points;
    tests/test_check_suites.py keeps that list honest).
    """
    return pytest.mark.check(exercise=exercise, function=function, points=points, en=en, zh=zh,
                             in_process=in_process)


def fail(detail, *, hint=None, name: str | Msg = "") -> NoReturn:
    raise CheckFailed(detail, hint, name)


def expect(condition, detail, *, hint=None, name: str | Msg = "") -> None:
    """Fail with ``detail`` (a Msg) unless ``condition`` holds."""
    if not condition:
        fail(detail, hint=hint, name=name)


# --- running student code ------------------------------------------------------------
def run_probe(sub, probe, target: str, *args, **kwargs):
    """Run the instrument ``probe`` (a function of ``engine/worker/probes_exNN.py`` declared with
    ``@instrument``, e.g. ``probes_ex04.epoch_run``) in the worker, which calls the student's
    ``target`` (``"ex04_training.train_one_epoch"``); an exception of student code inside it is
    reported against ``target``, and a missing or broken module as such."""
    sub.require(target.split(".", 1)[0])
    try:
        return sub.probe(probe)(*args, **kwargs)
    except StudentError as exc:
        raise StudentError(exc.info, target) from None


def raised(exc: StudentError, func: str, hint) -> NoReturn:
    """Fail with the student's exception and ``hint``; an unfinished stub still reads 'not implemented'."""
    if exc.info.get("not_implemented"):
        raise exc
    message = exc.info.get("message", "") + (f" [{exc.info['where']}]" if exc.info.get("where") else "")
    fail(Msg("raised", func=func, exc=exc.info.get("type", "?"), message=message), hint=hint)


@contextmanager
def hinted(hint):
    """Student code that raises inside this block fails the check with ``hint``."""
    try:
        yield
    except StudentError as exc:
        if hint is None:
            raise
        raised(exc, exc.target.split(".", 1)[-1], hint)


# --- the one comparison helper -------------------------------------------------
def describe_type(value) -> str:
    import torch

    if isinstance(value, torch.Tensor):
        return f"Tensor{list(value.shape)} {str(value.dtype).replace('torch.', '')}"
    return type(value).__name__


def _index(flat_index: int, shape) -> list[int]:
    out = []
    for size in reversed(list(shape)):
        out.append(flat_index % size if size else 0)
        flat_index //= size if size else 1
    return list(reversed(out))


def compare(got, expected, *, atol: float = 1e-5, rtol: float = 1e-4, dtype: bool = True, equal_nan: bool = False):
    """Explain how ``got`` differs from the tensor ``expected``; None when it matches.

    Checks, in order: that ``got`` is a tensor, its shape, its dtype (when
    ``dtype``), nan/inf where ``expected`` has none, then the values with
    ``|got - expected| <= atol + rtol * |expected|``, naming the worst index.
    """
    import torch

    if not isinstance(got, torch.Tensor):
        return Msg("cmp.type", expected=describe_type(expected), got=describe_type(got))
    if tuple(got.shape) != tuple(expected.shape):
        return Msg("cmp.shape", got=list(got.shape), expected=list(expected.shape))
    if dtype and got.dtype != expected.dtype:
        return Msg("cmp.dtype", got=str(got.dtype).replace("torch.", ""),
                   expected=str(expected.dtype).replace("torch.", ""))
    if got.numel() == 0:
        return None
    g = got.detach().to(torch.float64).reshape(-1)
    e = expected.detach().to(torch.float64).reshape(-1)
    bad_finite = ~torch.isfinite(g) & torch.isfinite(e)
    if bad_finite.any():
        first = int(bad_finite.nonzero()[0])
        return Msg("cmp.nonfinite", count=int(bad_finite.sum()), index=_index(first, got.shape))
    both_nan = torch.isnan(g) & torch.isnan(e)
    diff = (g - e).abs()
    diff = torch.where(both_nan if equal_nan else torch.zeros_like(both_nan), torch.zeros_like(diff), diff)
    diff = torch.where(torch.isinf(e) & (g == e), torch.zeros_like(diff), diff)
    excess = diff - (atol + rtol * e.abs())
    excess = torch.nan_to_num(excess, nan=math.inf)
    if equal_nan:  # the tolerance of an expected nan is nan too: a nan where one is expected matches
        excess = torch.where(both_nan, torch.zeros_like(excess), excess)
    if (excess <= 0).all():
        return None
    worst = int(excess.argmax())
    index = _index(worst, got.shape)
    if SETTINGS["reveal_expected"]:
        return Msg("cmp.values", diff=float(diff[worst]), index=index, got=float(g[worst]), expected=float(e[worst]))
    # Hidden: where, and the student's own value; the difference would give the expected value away.
    return Msg("cmp.values_secret", index=index, got=float(g[worst]))


def expect_close(got, expected, *, hint=None, name: str | Msg = "", atol: float = 1e-5, rtol: float = 1e-4,
                 dtype: bool = True, equal_nan: bool = False) -> None:
    """Fail unless tensor ``got`` matches ``expected`` (see ``compare``)."""
    problem = compare(got, expected, atol=atol, rtol=rtol, dtype=dtype, equal_nan=equal_nan)
    if problem is not None:
        fail(problem, hint=hint, name=name)


def expect_tensor(got, *, shape=None, dtype=None, hint=None, name: str | Msg = "") -> None:
    """Fail unless ``got`` is a tensor of this shape and dtype (values not checked)."""
    import torch

    if not isinstance(got, torch.Tensor):
        fail(Msg("cmp.type", expected="Tensor", got=describe_type(got)), hint=hint, name=name)
    if shape is not None and tuple(got.shape) != tuple(shape):
        fail(Msg("cmp.shape", got=list(got.shape), expected=list(shape)), hint=hint, name=name)
    if dtype is not None and got.dtype != dtype:
        fail(Msg("cmp.dtype", got=str(got.dtype).replace("torch.", ""), expected=str(dtype).replace("torch.", "")),
             hint=hint, name=name)


def expect_number(got, expected: float, *, hint=None, name: str | Msg = "", atol: float = 1e-6,
                  rtol: float = 1e-5) -> float:
    """Fail unless ``got`` is a real number (or 0-dim tensor) close to ``expected``; returns it as float."""
    value = as_float(got, hint=hint, name=name)
    ok = math.isclose(value, expected, rel_tol=rtol, abs_tol=atol) or (math.isnan(value) and math.isnan(expected))
    if not ok:
        fail(_number_msg(f"{value:.6g}", f"{expected:.6g}"), hint=hint, name=name)
    return value


def _number_msg(got: str, expected: str) -> Msg:
    """A wrong value; in hidden checks without the expected one (not even among the parameters)."""
    if SETTINGS["reveal_expected"]:
        return Msg("cmp.number", got=got, expected=expected)
    return Msg("cmp.number_secret", got=got)


def as_float(got, *, hint=None, name: str | Msg = "") -> float:
    """``got`` as a Python float; fails unless it is a number or a one-element tensor."""
    import torch

    if isinstance(got, torch.Tensor) and got.numel() == 1:
        return float(got.reshape(()).item())
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        return float(got)
    fail(Msg("cmp.type", expected="float", got=describe_type(got)), hint=hint, name=name)


def expect_equal(got, expected, *, hint=None, name: str | Msg = "") -> None:
    """Fail unless plain values (ints, strings, lists, ...) are equal."""
    if type(got) is not type(expected) and not (isinstance(got, (int, float)) and isinstance(expected, (int, float))):
        fail(Msg("cmp.type", expected=describe_type(expected), got=describe_type(got)), hint=hint, name=name)
    if got != expected:
        fail(_number_msg(_short(got), _short(expected)), hint=hint, name=name)


def expect_length(got, length: int, *, hint=None, name: str | Msg = "") -> None:
    try:
        n = len(got)
    except TypeError:
        fail(Msg("cmp.type", expected=Msg("value.sequence"), got=describe_type(got)), hint=hint, name=name)
    if n != length:
        fail(Msg("cmp.length", got=n, expected=length), hint=hint, name=name)


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
