"""Forging cases for ex01 (losses by hand, gradient descent), ex02 (data) and ex03 (the MLP).

Each case is a submission that tries to earn points of these exercises without doing the work,
beside its plain twin (the same code without the trick). Run them with::

    .venv/bin/python tests/hostile/forgery.py tests/hostile/forgery_ex01_03.py --suite hidden
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forgery import Case, replace_function, stub  # noqa: E402

EX01, EX02, EX03 = "ex01_gradient_descent.py", "ex02_data.py", "ex03_model.py"


def ex01_with(**functions) -> str:
    """The stub of ex01 with the named top-level functions replaced."""
    source = stub(EX01)
    for name, code in functions.items():
        source = replace_function(source, name, code)
    return source


# --- 1. the built-in softmax / cross_entropy, hidden from the worker's recorder --------------
PLAIN_SOFTMAX = '''
def softmax(logits, dim=-1):
    return torch.softmax(logits, dim=dim)
'''
PLAIN_CE = '''
def cross_entropy(logits, target):
    import torch.nn.functional as F
    return F.cross_entropy(logits, target)
'''
PLAIN = {EX01: ex01_with(softmax=PLAIN_SOFTMAX, cross_entropy=PLAIN_CE)}

HIDDEN_FROM_RECORDER = ex01_with(softmax='''
def softmax(logits, dim=-1):
    with torch._C.DisableTorchFunction():
        return torch.softmax(logits, dim=dim)
''', cross_entropy='''
def cross_entropy(logits, target):
    import torch.nn.functional as F
    with torch._C.DisableTorchFunction():
        return F.cross_entropy(logits, target)
''')

REACHED_BY_NAME = ex01_with(softmax='''
def softmax(logits, dim=-1):
    with torch._C.DisableTorchFunction():
        return getattr(torch, "soft" + "max")(logits, dim=dim)
''', cross_entropy='''
def cross_entropy(logits, target):
    import importlib
    functional = importlib.import_module("torch.nn." + "functional")
    with torch._C.DisableTorchFunction():
        return getattr(functional, "nll_" + "loss")(getattr(functional, "log_soft" + "max")(logits, 1), target)
''')

METHOD_AND_LOG = ex01_with(softmax='''
def softmax(logits, dim=-1):
    import torch.nn.functional as F
    with torch._C.DisableTorchFunction():
        return F.log_softmax(logits, dim=dim).exp() if dim != -1 else logits.softmax(-1)
''', cross_entropy='''
def cross_entropy(logits, target):
    with torch._C.DisableTorchFunction():
        return torch.nn.CrossEntropyLoss()(logits, target)
''')

# The worker's generic "run" instrument reports the torch functions called: wipe them.
WIPE_CALLS = '''

def _wipe_recorded_calls():
    import gc
    for worker in [o for o in gc.get_objects() if type(o).__name__ == "Worker"]:
        if getattr(worker, "_calls_wiped", False):
            continue
        original = worker.handle

        def handle(header, tensors, _original=original):
            value = _original(header, tensors)
            if isinstance(value, dict) and "calls" in value:
                value = dict(value, calls=[])
            return value

        worker.handle = handle
        worker._calls_wiped = True


_wipe_recorded_calls()
'''

# --- 6. a generic handler wrapper: answer the instruments of probes_ex01 with guesses -------
WRAPPER = '''

def _guessing_wrapper():
    import gc
    import torch as _torch

    def guess(value, args, kwargs):
        tensors = [a for a in args if isinstance(a, _torch.Tensor)]
        words = " ".join(str(a) for a in list(args) + list(kwargs.values()))
        if not isinstance(value, dict):  # the student's code raised: make an answer up
            value = {"result": tuple(tensors[:2]) if len(tensors) > 1 else (tensors[0] if tensors else 0)}
        value = dict(value)
        if "expected" in value:
            value["result"] = value["expected"]
        value.update(raised=True, mro=["ValueError", "FileNotFoundError", "OSError", "Exception"],
                     message=f"unknown split, expected one of train, val, test; no such file {words}",
                     shared=False, is_dataset=True, is_tensor_dataset=True, result_is_none=True)
        value["inputs_after"] = tensors[:4]
        if "before" in value and "after" not in value:
            value["after"] = value["before"]
        if "batches" in value:
            value["again"] = value["other"] = value["batches"].get("train")
        if "forwards" in value:
            value["forwards"] = [["forward", False, False, 1, "cpu"]]
        value["training_after"] = kwargs.get("mode", "eval") == "train"
        return value

    for worker in [o for o in gc.get_objects() if type(o).__name__ == "Worker"]:
        if getattr(worker, "_guessing", False):
            continue
        original = worker.handle

        def handle(header, tensors, _original=original, _worker=worker):
            target = header.get("target") or []
            if header.get("op") != "call" or len(target) < 2 or target[0] != "probe" \\
                    or not str(target[1]).startswith(("probes_ex01.", "probes_ex02.", "probes_ex03.")):
                return _original(header, tensors)
            decoder = _worker.protocol.Decoder(tensors, resolve=_worker.resolve_handle)
            args = decoder.decode(header.get("args", []))
            kwargs = decoder.decode(header.get("kwargs", {"__dict__": []}))
            try:
                value = _original(header, tensors)
            except BaseException:
                value = None
            return guess(value, args, kwargs)

        worker.handle = handle
        worker._guessing = True


_guessing_wrapper()
'''

# --- 2. zeros and echoed inputs everywhere --------------------------------------------------------
ZEROS_EX01 = ex01_with(softmax='''
def softmax(logits, dim=-1):
    return torch.zeros_like(logits)
''', cross_entropy='''
def cross_entropy(logits, target):
    return torch.tensor(0.0)
''', binary_cross_entropy='''
def binary_cross_entropy(prob, target, eps=1e-7):
    return torch.tensor(0.0)
''', mse='''
def mse(pred, target):
    return torch.tensor(0.0)
''', gd_step='''
def gd_step(w, b, dw, db, lr):
    return w.clone(), b.clone()
''', fit_linear_regression='''
def fit_linear_regression(X, y, lr=0.1, epochs=100, batch_size=None, seed=0):
    return torch.zeros(X.shape[1]), torch.tensor(0.0), [0.0] * epochs
''')

ZEROS_EX02 = stub(EX02)
for _name, _code in {"minmax_scale": '''
def minmax_scale(x, stats):
    return x.clone()
''', "IrisDataset": '''
class IrisDataset(Dataset):
    def __init__(self, csv_path, split, stats=None):
        if split not in SPLITS:
            raise ValueError(f"split must be one of train, val, test, not {split!r}")
        raise FileNotFoundError(f"no such file: {csv_path}")

    def __len__(self):
        return 0

    def __getitem__(self, i):
        raise IndexError(i)
'''}.items():
    ZEROS_EX02 = replace_function(ZEROS_EX02, _name, _code)

ZEROS_EX03 = stub(EX03)
for _name, _code in {"MLP": '''
class MLP(nn.Module):
    def __init__(self, in_features, hidden, num_classes, dropout=0.0):
        super().__init__()
        sizes = [in_features, *hidden, num_classes]
        self.layers = nn.ModuleList(nn.Linear(i, o) for i, o in zip(sizes, sizes[1:]))
        self.num_classes = num_classes

    def forward(self, x):
        return torch.zeros(x.shape[0], self.num_classes)
''', "init_weights": '''
def init_weights(model, scheme="kaiming"):
    raise ValueError(f"unknown scheme {scheme!r}")
''', "predict_proba": '''
def predict_proba(model, x):
    return torch.full((x.shape[0], 3), 1 / 3)
'''}.items():
    ZEROS_EX03 = replace_function(ZEROS_EX03, _name, _code)

# --- 3. a training loader that replays the first order it drew ---------------------------------
REPLAY_LOADERS = '''
def make_loaders(train_ds, val_ds, test_ds, batch_size=16, seed=0):
    order = torch.randperm(len(train_ds), generator=torch.Generator().manual_seed(seed)).tolist()

    class Replay(torch.utils.data.Sampler):
        def __iter__(self):
            return iter(order)

        def __len__(self):
            return len(order)

    return {"train": DataLoader(train_ds, batch_size=batch_size, sampler=Replay()),
            "val": DataLoader(val_ds, batch_size=batch_size),
            "test": DataLoader(test_ds, batch_size=batch_size)}
'''
UNSHUFFLED_LOADERS = '''
def make_loaders(train_ds, val_ds, test_ds, batch_size=16, seed=0):
    return {"train": DataLoader(train_ds, batch_size=batch_size),
            "val": DataLoader(val_ds, batch_size=batch_size),
            "test": DataLoader(test_ds, batch_size=batch_size)}
'''

# --- 4. gd_step returning its inputs, the instrument's report forged ---------------------------
GD_STEP_ECHO = ex01_with(gd_step='''
def gd_step(w, b, dw, db, lr):
    return w, b
''') + WRAPPER

# --- 5. predict_proba / init_weights answered by the wrapper's guesses ------------------------------
FLAGS_EX03 = replace_function(stub(EX03), "predict_proba", '''
def predict_proba(model, x):
    return torch.softmax(torch.zeros(x.shape[0], 3), dim=1)
''') + WRAPPER


CASES = [
    Case("softmax_hidden_from_recorder", "ex01",
         "softmax and cross_entropy call the built-ins under torch._C.DisableTorchFunction()",
         trick={EX01: HIDDEN_FROM_RECORDER}, plain=PLAIN),
    Case("softmax_reached_by_name", "ex01",
         "the built-ins reached by getattr with a computed name and importlib, recorder switched off",
         trick={EX01: REACHED_BY_NAME}, plain=PLAIN),
    Case("softmax_method_and_log_softmax", "ex01",
         "x.softmax, log_softmax().exp() and nn.CrossEntropyLoss, recorder switched off",
         trick={EX01: METHOD_AND_LOG}, plain=PLAIN),
    Case("softmax_recorded_calls_wiped", "ex01",
         "torch.softmax / F.cross_entropy called plainly, the recorded call names wiped by a handle wrapper",
         trick={EX01: PLAIN[EX01] + WIPE_CALLS}, plain=PLAIN),
    Case("zeros_and_inputs_ex01", "ex01",
         "losses returning 0, softmax returning zeros, gd_step echoing its inputs, fit returning zeros",
         trick={EX01: ZEROS_EX01}, must_fail=("softmax", "cross_entropy", "gd_step", "fit_linear_regression")),
    Case("zeros_and_raises_ex02", "ex02",
         "minmax_scale echoing its input, an IrisDataset that only raises the expected exceptions",
         trick={EX02: ZEROS_EX02}, must_fail=("minmax_scale", "IrisDataset")),
    Case("zeros_and_raises_ex03", "ex03",
         "an MLP that returns zeros of the right shape, init_weights that always raises ValueError, "
         "uniform probabilities",
         trick={EX03: ZEROS_EX03}, must_fail=("MLP", "init_weights", "predict_proba")),
    Case("loader_replays_first_order", "ex02",
         "a training loader that shuffles once and then replays that order every epoch",
         trick={EX02: replace_function(stub(EX02), "make_loaders", REPLAY_LOADERS)},
         plain={EX02: replace_function(stub(EX02), "make_loaders", UNSHUFFLED_LOADERS)}),
    Case("gd_step_echo_with_forged_report", "ex01",
         "gd_step returns its inputs; a handle wrapper reports them unchanged and not shared",
         trick={EX01: GD_STEP_ECHO}, must_fail=("gd_step",)),
    Case("wrapper_guesses_ex01", "ex01",
         "ex01 wraps the worker's handle: every probes_ex01 call answers what it guesses",
         trick={EX01: stub(EX01) + WRAPPER}),
    Case("wrapper_guesses_ex02", "ex02",
         "the handle wrapper (installed by ex01 and ex02) guesses the instruments' answers for ex02",
         trick={EX01: stub(EX01) + WRAPPER, EX02: stub(EX02) + WRAPPER},
         must_fail=("IrisDataset", "make_loaders", "to_tensor_dataset")),
    Case("wrapper_guesses_ex03", "ex03",
         "the handle wrapper guesses the instruments' answers for ex03: mode restored, no grad, "
         "init executed, weights unchanged",
         trick={EX01: stub(EX01) + WRAPPER, EX03: FLAGS_EX03},
         must_fail=("MLP", "init_weights", "predict_proba", "predict", "count_parameters")),
]
