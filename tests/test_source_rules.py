"""The grader's inspection of a submission's source (autograder/checks/source_rules.py): every way
of reaching a forbidden built-in is found, and correct hand-written code is left alone."""
import textwrap
from pathlib import Path

import pytest

from autograder.checks.reference.ex01 import ALLOWED_WORDS, CROSS_ENTROPY_WORDS, SOFTMAX_WORDS
from autograder.checks.source_rules import MAX_SOURCE, describe, forbidden, mentions

ROOT = Path(__file__).resolve().parents[1]
EX01 = "ex01_gradient_descent.py"


def found(code, words=SOFTMAX_WORDS):
    return forbidden(textwrap.dedent(code).encode(), words, allow=ALLOWED_WORDS)


@pytest.mark.parametrize("path", [ROOT / "solutions" / EX01, ROOT / "exercises" / EX01,
                                  ROOT / "tests" / "mutants" / "equivalents" / EX01,
                                  ROOT / "tests" / "fixtures" / "independent" / EX01])
def test_the_reference_and_other_correct_solutions_are_clean(path):
    assert forbidden(path.read_bytes(), CROSS_ENTROPY_WORDS, allow=ALLOWED_WORDS) == []


@pytest.mark.parametrize("code", [
    "import torch\ndef softmax(x, dim=-1):\n    return torch.softmax(x, dim)\n",
    "def softmax(x, dim=-1):\n    return x.softmax(dim)\n",
    "import torch.nn.functional as F\ndef softmax(x, dim=-1):\n    return F.log_softmax(x, dim).exp()\n",
    "from torch.nn.functional import softmax as sm\n",
    "from torch.nn.functional import *\ndef softmax(x, dim=-1):\n    return log_softmax(x, dim).exp()\n",
    "import torch\nf = torch.nn.Softmax(dim=1)\n",
    "import torch\ndef softmax(x, dim=-1):\n    return torch.nn.functional.softmin(-x, dim)\n",
    "import torch\ndef softmax(x, dim=-1):\n    return torch.distributions.Categorical(logits=x).probs\n",
    "import torch\ng = getattr(torch, 'soft' + 'max')\n",
    "import torch\ng = getattr(torch, 'xamtfos'[::-1])\n",
    "import torch\nname = 'softmax'\n",
    "import torch\ng = torch.__dict__['s' + 'oftmax']\n",
    "import torch\ng = vars(torch)\n",
    "import importlib\nF = importlib.import_module('torch.nn.functional')\n",
    "F = __import__('torch')\n",
    "import torch\nwith torch._C.DisableTorchFunction():\n    pass\n",
    "import torch\nop = torch.ops.aten.exp\n",
    "import gc\n",
    "import sys\nm = sys.modules\n",
    "x = eval('1')\n",
    "from functools import reduce\nf = reduce(getattr, ['nn'], __builtins__)\n",
    "from . import ex03_model\n",
    "from .ex03_model import predict_proba\n",
    "import torch\nk = torch.nn.Module.__subclasses__()\n",
    "__name__ = '__main__'\nif __name__ == '__main__':\n    import torch\n    s = torch.softmax\n",
    "if __name__ == '__main__':\n    pass\nelse:\n    import torch\n    s = torch.softmax\n",
])
def test_ways_to_reach_the_builtin_are_found(code):
    assert found(code), code


@pytest.mark.parametrize("code", [
    "import torch.nn.functional as F\ndef cross_entropy(z, t):\n    return F.cross_entropy(z, t)\n",
    "import torch\nloss = torch.nn.CrossEntropyLoss()\n",
    "import torch.nn.functional as F\ndef cross_entropy(z, t):\n    return F.nll_loss(F.log_softmax(z, 1), t)\n",
    "import torch\ndef cross_entropy(z, t):\n    return -torch.softmax(z, 1).log().gather(1, t[:, None]).mean()\n",
])
def test_the_builtin_losses_are_found(code):
    assert found(code, CROSS_ENTROPY_WORDS), code


@pytest.mark.parametrize("code", [
    '"""softmax by hand: no torch.softmax."""\nimport torch\n\ndef softmax(x, dim=-1):\n'
    '    """Not torch.softmax."""\n    e = (x - x.amax(dim, keepdim=True)).exp()\n'
    '    return e / e.sum(dim, keepdim=True)\n',
    "def softmax(x, dim=-1):\n    return x\n\ndef cross_entropy(z, t):\n    return -softmax(z).log().mean()\n",
    "def _log_softmax(z):\n    return z - z.exp().sum(1, keepdim=True).log()\n\n"
    "def f(z):\n    return _log_softmax(z)\n",
    "import torch.nn.functional as F\ndef binary_cross_entropy(p, t, eps=1e-7):\n"
    "    return F.binary_cross_entropy(p.clamp(eps, 1 - eps), t)\n",
    "__all__ = ['softmax', 'cross_entropy']\n",
    "def softmax(x, dim=-1):\n    if x.dim() == 0:\n"
    "        raise ValueError('softmax needs at least one dimension')\n    return x\n",
    "import torch\nif __name__ == '__main__':\n    x = torch.randn(3, 4)\n    print(torch.softmax(x, -1))\n",
    "import torch\nv = getattr(torch, 'float32')\n",
])
def test_hand_written_code_is_left_alone(code):
    assert found(code, CROSS_ENTROPY_WORDS) == [], describe(found(code, CROSS_ENTROPY_WORDS))


def test_findings_name_the_line():
    result = found("import torch\n\n\ndef softmax(x, dim=-1):\n    return torch.softmax(x, dim)\n")
    assert [f.line for f in result] == [5]
    assert "line 5: torch.softmax" in describe(result)


def test_unreadable_sources_are_findings():
    assert found("def softmax(:\n")
    assert forbidden(b"x = 1\n" * (MAX_SOURCE // 6 + 1), SOFTMAX_WORDS)
    assert forbidden(b"x = " + b"(" * 5000 + b")" * 5000 + b"\n", SOFTMAX_WORDS)


def test_mentions_is_the_positive_form():
    code = b"import torch\n\ndef evaluate(m, x):\n    with torch.no_grad():\n        return m(x)\n"
    assert [f.line for f in mentions(code, {"no_grad", "inference_mode"})] == [4]
    assert mentions(b"import gc\n", {"no_grad"}) == []
