"""Fixtures every check can ask for: the submission and its eight modules.

``ex01.softmax(x)`` sends ``x`` to the worker, runs the student's function
there and returns the result as data; objects such as models come back as
remote handles that can be called in turn.
"""
import pytest

from ..assignment import MODULES
from .api import SUBMISSION


def _submission(request):
    return request.config.stash[SUBMISSION]


@pytest.fixture
def sub(request):
    return _submission(request)


@pytest.fixture
def ex01(request):
    return _submission(request).module(MODULES["ex01"])


@pytest.fixture
def ex02(request):
    return _submission(request).module(MODULES["ex02"])


@pytest.fixture
def ex03(request):
    return _submission(request).module(MODULES["ex03"])


@pytest.fixture
def ex04(request):
    return _submission(request).module(MODULES["ex04"])


@pytest.fixture
def ex05(request):
    return _submission(request).module(MODULES["ex05"])


@pytest.fixture
def ex06(request):
    return _submission(request).module(MODULES["ex06"])


@pytest.fixture
def ex07(request):
    return _submission(request).module(MODULES["ex07"])


@pytest.fixture
def ex08(request):
    return _submission(request).module(MODULES["ex08"])
