"""The grader's inspection of a submission's source (autograder/checks/source_rules.py): every way
of reaching a forbidden built-in is found, and correct hand-written code is left alone."""
import textwrap
from pathlib import Path

import pytest

from autograder.checks.reference.ex01 import ALLOWED_WORDS, CROSS_ENTROPY_WORDS, SOFTMAX_WORDS
from autograder.checks.source_rules import MAX_SOURCE, describe, forbidden, mentions, tampering

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


# --- tampering: what can alter what the worker observes (the guard of the in_process checks) ---
def tampered(code):
    return tampering(textwrap.dedent(code).encode())


def correct_modules():
    """Every module of solutions/, the stubs, the independent implementation and the equivalents."""
    folders = ("solutions", "exercises", "tests/fixtures/independent", "tests/mutants/equivalents")
    return sorted(p for folder in folders for p in (ROOT / folder).glob("ex*.py"))


@pytest.mark.parametrize("path", correct_modules(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_correct_solutions_never_tamper(path):
    assert tampering(path.read_bytes()) == [], describe(tampering(path.read_bytes()))


def test_the_audit_catalogs_never_tamper():
    from autograder import audit

    texts = {text for catalog in audit.catalogs() for entry in audit.entries(catalog, "full")
             for text in audit.module_texts(catalog.base, entry.changes).values()}
    flagged = [describe(tampering(t)) for t in texts if tampering(t)]
    assert texts and not flagged, flagged


@pytest.mark.parametrize("code", [
    # frames and tracebacks
    "import sys\ndef f():\n    sys._getframe(1).f_globals['x'] = 1\n",
    "import sys as s\ng = s._getframe\n",
    "from sys import _getframe\n",
    "def f(frame):\n    return frame.f_back.f_locals\n",
    "def f():\n    try:\n        1 / 0\n    except Exception as e:\n        return e.__traceback__.tb_frame\n",
    "def f(gen):\n    return gen.gi_frame\n",
    "import sys\nt = sys.exc_info()\n",
    # searching the process, names computed, text run as code
    "import gc\n", "import ctypes\n", "import inspect\n", "import builtins\n", "b = __builtins__\n",
    "import importlib\n", "m = __import__('torch')\n", "eval('1')\n", "exec('x = 1')\n",
    "c = compile('1', 'f', 'eval')\n",
    "import torch\nf = getattr(torch, name)\n", "import torch\nf = getattr(torch.Tensor, 'det' + name)\n",
    "def f(x):\n    return getattr(x, '__glob' + 'als__')\n",
    # function internals and namespaces
    "def f(model):\n    return type(model).forward.__globals__\n", "def f(g):\n    return g.__closure__\n",
    "def f(g):\n    g.__code__ = None\n", "import torch\nk = torch.nn.Module.__subclasses__()\n",
    "def f(m):\n    return m.forward.__self__\n", "def f(g):\n    g.__defaults__ = (1,)\n",
    "def f(o):\n    object.__setattr__(o, 'training', False)\n",
    "import torch.nn.functional as F\nvars(F)['softmax'] = None\n", "def f(x):\n    vars(type(x))\n",
    # sys
    "import sys\nm = sys.modules\n", "import sys\nsys.settrace(None)\n", "import sys\nsys.setprofile(None)\n",
    "import sys\nsys.addaudithook(print)\n", "from sys import modules\n",
    # setattr / delattr on what the module did not create
    "import torch\nsetattr(torch.Tensor, 'to', None)\n", "def f(model):\n    setattr(model, 'training', False)\n",
    "import torch.nn as nn\ndelattr(nn.Module, 'train')\n",
    # attributes assigned on what an import or a call reaches
    "import torch\ntorch.Tensor.to = lambda self, *a: self\n", "import torch\ntorch.is_grad_enabled = lambda: False\n",
    "from torch import nn\nnn.Module.train = lambda self, mode=True: self\n",
    "import torch.nn.functional as F\nF.softmax = None\n", "def f(x):\n    type(x).foo = 1\n",
    "import torch\nT = torch.Tensor\nT.detach = None\n", "import torch\ndel torch.Tensor.to\n",
    "from torch import Tensor\nTensor.detach = None\n", "def f(x):\n    x.__class__ = int\n",
    "import torch\ntorch.Tensor.sum += 1\n",
    # objects that answer isinstance, type names or torch's overrides as they like
    "class A:\n    @property\n    def __class__(self):\n        return int\n",
    "class M(type):\n    def __instancecheck__(cls, obj):\n        return True\n",
    "class A(metaclass=M):\n    pass\n", "P = type('Pair', (tuple,), {})\n",
    "import torch\nclass T(torch.Tensor):\n    @classmethod\n    def __torch_function__(cls, *a, **k):\n        pass\n",
    "import torch\nwith torch._C.DisableTorchFunction():\n    pass\n",
    "from torch.overrides import _get_current_function_mode_stack\n", "import torch.overrides\n",
    "import torch.library\n",
    # raw descriptors and code that inherits them
    "import os\nos.write(4, b'x')\n", "import os\nf = os.fdopen(4, 'wb')\n", "import os\nos.dup2(1, 4)\n",
    "import os\nfd = os.dup(4)\n", "from os import write\n", "f = open(4, 'wb')\n", "import io\nf = io.open(3)\n",
    "from io import FileIO\nf = FileIO(3, 'w')\n", "p = '/proc/self/fd/4'\n",
    "from pathlib import Path\np = Path('/proc') / 'self'\n",
    "def f(n):\n    return f'/proc/self/fd/{n}'\n", "p = '/dev/fd/4'\n", "import os\nos.system('echo >&4')\n",
    "import os\npid = os.fork()\n", "import subprocess\n", "import posix\n", "import fcntl\n",
    # the engine by name, the instruments' records
    "import autograder\n", "from autograder.engine.worker import protocol\n", "import probes\n", "import worker_main\n",
    "from . import probes\n", "n = 'Worker'\n", "n = 'proto_out'\n", "s = 'probes_ex04_05'\n",
    "def f(space):\n    return space['EVENTS']\n", "def f(model):\n    model.seen.clear()\n",
    "def f(rec):\n    rec.moves.append(1)\n", "def f(w):\n    w.handle = None\n",
    # code that runs after the function returned
    "import threading\n", "import _thread\n", "import torch.multiprocessing as mp\n", "import signal\n",
    "import multiprocessing\n",
    "from concurrent.futures import ThreadPoolExecutor\n", "import pdb\n",
    # the main guard is skipped only when it cannot run
    "__name__ = '__main__'\nif __name__ == '__main__':\n    import gc\n",
])
def test_ways_to_tamper_with_the_worker_are_found(code):
    assert tampered(code), code


@pytest.mark.parametrize("code", [
    "import os\nos.replace('a', 'b')\nos.makedirs('d', exist_ok=True)\np = os.path.join('a', 'b')\n",
    "import os\nd = os.environ.get('DL_DATA_DIR')\nos.remove('x')\nos.fsync(3)\n",
    "import os, tempfile\ndef save(obj, path):\n    fd, tmp = tempfile.mkstemp(dir='.')\n"
    "    with os.fdopen(fd, 'wb') as fh:\n        fh.write(b'x')\n        os.fsync(fh.fileno())\n",
    "import io, shutil, tempfile\nfrom pathlib import Path\nb = io.BytesIO()\nshutil.copy('a', 'b')\n"
    "t = tempfile.NamedTemporaryFile(delete=False)\nPath('x').write_text('y')\n",
    "import torch\nfrom torch import nn\nclass M(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.fc = nn.Linear(2, 3)\n        self.training_steps = 0\n",
    "def freeze(model):\n    for p in model.parameters():\n        p.requires_grad = False\n",
    "import torch\nb = getattr(torch.backends, 'mps', None)\nok = hasattr(torch, 'cuda')\n",
    "import copy\ndef f(d):\n    out = copy.copy(d)\n    out['k'] = 1\n    return out\n",
    "import torch\ndef f(x):\n    with torch.no_grad():\n        return x.to('cpu')\n",
    "import sys\nprint('x', file=sys.stderr)\n",
    "def f(path):\n    with open(path, 'rb') as fh:\n        return fh.read()\n",
    "if __name__ == '__main__':\n    import gc\n",
    '"""Uses sys._getframe, gc and os.write in prose only."""\n',
])
def test_correct_code_does_not_tamper(code):
    assert tampered(code) == [], describe(tampered(code))


def test_tampering_names_the_line_in_code_words():
    result = tampered("import torch\n\n\ndef f(x):\n    torch.Tensor.detach = None\n")
    assert [(f.line, f.what) for f in result] == [(5, "torch.Tensor.detach = ...")]
    assert tampering(b"x = 1\n" * (MAX_SOURCE // 6 + 1))
