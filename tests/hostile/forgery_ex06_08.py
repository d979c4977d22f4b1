"""Forging cases for ex06 (experiments), ex07 (checkpoints) and ex08 (digits end to end).

Each trick is what a student who wants the points without the work would write: wrap the
worker's request handler at import and answer the instruments itself (echoing what the grader
sent, or running the instruments' own helpers), write a forged reply frame on the protocol
pipe, return a nearest-neighbour lookup over the digits instead of a trained network, write a
48-megapixel PNG instead of a plot, invent histories that look like training.
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from forgery import Case, replace_function, solution, stub  # noqa: E402

# --- the handler wrapper: found with gc at import, wrapping Worker.handle -------------------------
WRAPPER = r'''

def _dlg_install(forge):
    import gc

    worker = next((o for o in gc.get_objects() if type(o).__name__ == "Worker" and hasattr(o, "instruments")), None)
    if worker is None or getattr(worker, "_dlg_wrapped", False):
        return
    original = worker.handle
    memo = {}

    def handle(header, tensors):
        args, kwargs, fn = [], {}, None
        if header.get("op") == "call" and header["target"][0] == "probe":
            fn = worker.resolve(header["target"])
            decoder = worker.protocol.Decoder(tensors, resolve=worker.resolve_handle)
            args = decoder.decode(header.get("args", []))
            kwargs = decoder.decode(header.get("kwargs", {"__dict__": []}))
        try:
            value = original(header, tensors)
        except BaseException:
            if fn is None or not str(header["target"][1]).startswith(("probes_ex06.", "probes_ex07.", "probes_ex08.")):
                raise
            forged = forge(header["target"][1].rsplit(".", 1)[-1], fn, args, kwargs, memo, worker)
            if forged is None:
                raise
            return forged
        if fn is not None:
            memo.setdefault("seen", []).append((header["target"][1], kwargs))
        return value

    worker.handle = handle
    worker._dlg_wrapped = True
'''

# ex07: answer every checkpoint instrument without any checkpoint code: the 'saved' values as the
# 'loaded' ones, what the grader sent as what was restored, the instruments' own training helpers
# for the straight and the resumed run.
FORGE_EX07 = r'''

def _dlg_forge(name, fn, args, kw, memo, worker):
    import torch
    from pathlib import Path

    g = fn.__globals__
    exc_info = {"raised": True, "type": "FileNotFoundError", "mro": ["FileNotFoundError", "OSError", "Exception",
                "BaseException", "object"], "message": f"cannot load {kw.get('path')}: missing.pt garbage.pt "
                "truncated_ckpt.pt best_model.pt", "not_implemented": False, "returned": None, "executed": False}
    if name == "checkpoint_save":
        memo["save"] = kw
        return {"returned": Path(kw["path"])}
    if name == "checkpoint_load":
        s = memo.get("save", {})
        out = {"info": {"epoch": s.get("epoch", 0), **dict(s.get("extra") or {})}, "model": s.get("model_state"),
               "optimizer": s.get("optimizer_state"), "scheduler": s.get("scheduler_state"), "rng": s.get("rng")}
        if kw.get("after") and "model_state" in s:
            model, opt, sched = g["_objects"](kw.get("kind", "momentum"), 0, kw.get("lr", 0.05))
            model.load_state_dict(s["model_state"])
            opt.load_state_dict(s["optimizer_state"])
            sched.load_state_dict(s["scheduler_state"])
            torch.set_rng_state(s["rng"])
            x, y = g["make_data"](kw.get("n", 40), 6, 3, kw.get("data_seed", 0))
            for _ in range(kw["after"]):
                g["_epoch"](model, opt, sched, x, y)
            out["resumed"] = g["params_of"](model)
        return out
    if name in ("export_run", "atomic_save"):
        return {"returned": Path(kw["path"]), **exc_info, "type": "RuntimeError", "mro": ["RuntimeError"]}
    if name == "load_error":
        return exc_info
    if name == "load_model_run":
        return {"is_module": True, "type": "Net", "training": False, "got": kw["x"][:, :4], "got_again": kw["x"][:, :4]}
    # the instruments as they were: everything computed by their own helpers
    if name == "checkpoint_roundtrip":
        file = Path(kw["path"])
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_bytes(b"not a checkpoint" * 8)
        torch.manual_seed(kw.get("seed", 0))
        model, opt, sched = g["_build"](kw.get("kind", "momentum"), kw.get("seed", 0))
        x, y = g["make_data"](40, 6, 3, kw.get("seed", 0) + 1)
        for _ in range(kw.get("train_steps", 3)):
            g["_train_epoch"](model, opt, sched, x, y)
        p = g["params_of"](model)
        state = g["_optimizer_state_data"](opt)
        sched_state = {"last_epoch": sched.last_epoch, "lr": sched.get_last_lr()}
        return {"returned": file, "info": {"epoch": kw.get("epoch", 0), **dict(kw.get("extra") or {})}, "saved": p,
                "loaded": p, "opt_saved": state, "opt_loaded": state, "sched_saved": sched_state,
                "sched_loaded": sched_state}
    if name == "resume_run":
        x, y = g["make_data"](48, 6, 3, kw.get("seed", 0) + 7)
        torch.manual_seed(kw.get("seed", 0))
        model, opt, sched = g["_build"](kw.get("kind", "adam"), kw.get("seed", 0), lr=0.02)
        for _ in range(kw.get("before", 2) + kw.get("after", 2)):
            g["_train_epoch"](model, opt, sched, x, y)
        p = g["params_of"](model)
        return {"straight": p, "resumed": p, "info": {"epoch": kw.get("before", 2)},
                "restored": {"model": True, "optimizer": True, "scheduler": True, "rng": True}}
    if name == "atomic_run":
        return {**exc_info, "first_written": True, "exists_after": True, "unchanged": True, "size_before": 1,
                "size_after": 1}
    if name == "export_roundtrip":
        model = g["Net"](5, 12, 4, dropout=0.5, seed=kw.get("seed", 0))
        x, _ = g["make_data"](9, 5, 4, kw.get("seed", 0) + 3)
        model.eval()
        with torch.no_grad():
            e = model(x)
        return {"returned": Path(kw["path"]), "is_module": True, "expected": e, "keys": list(model.state_dict()),
                "load_error": None, "training": False, "got": e, "got_again": e}
    return None


_dlg_install(_dlg_forge)
'''

# ex07: the reply frame written by hand on the protocol pipe, then the worker exits before the
# grader can ask anything else: an empty resume that "matches".
FRAME_EX07 = r'''

def _dlg_frame_install():
    import gc
    import os

    worker = next((o for o in gc.get_objects() if type(o).__name__ == "Worker" and hasattr(o, "instruments")), None)
    if worker is None:
        return
    original = worker.handle

    def handle(header, tensors):
        target = header.get("target") or ["", ""]
        if header.get("op") == "call" and target[0] == "probe" and "resume" in str(target[1]) or (
                header.get("op") == "call" and header.get("kwargs") and "after" in str(header.get("kwargs"))):
            forged = {"straight": {}, "resumed": {}, "info": {"epoch": 2}, "model": {}, "optimizer": {},
                      "scheduler": {}, "rng": None,
                      "restored": {"model": True, "optimizer": True, "scheduler": True, "rng": True}}
            encoder = worker.protocol.Encoder(keep=worker.keep)
            node = encoder.encode(forged)
            worker.protocol.write_frame(worker.proto_out, {"ok": True, "value": node}, encoder.tensors)
            worker.proto_out.flush()
            os._exit(0)
        return original(header, tensors)

    worker.handle = handle


_dlg_frame_install()
'''

# ex06 / ex08: the generic wrapper: invented results for every instrument of the exercise, the
# grader's own arguments echoed back.
FORGE_GENERIC = r'''

def _dlg_forge(name, fn, args, kw, memo, worker):
    import torch

    hist = {"train_loss": [0.9, 0.5, 0.3], "val_loss": [0.8, 0.4, 0.2], "val_acc": [0.8, 0.95, 0.97],
            "lr": [kw.get("lr", 0.1)] * 3}
    if name in ("experiment_run", "experiment_inputs_run"):
        return {"result": hist, "history": hist, "models": [], "train": [[0.0, 1.0, [16, 4]]], "eval": []}
    if name in ("digits_run", "digits_arch_run"):
        return {"type": "dict", "keys": ["history", "model", "test_accuracy"], "is_module": True, "is_mlp": True,
                "history_type": "dict", "test_accuracy": 0.97, "history_lengths": {"train_loss": 2},
                "linear_shapes": [[24, 64], [12, 24], [10, 12]], "state": {}, "X_test": torch.zeros(0, 64),
                "pred": torch.zeros(0, dtype=torch.int64)}
    if name == "optimizer_run":
        return {"is_optimizer": True, "class": "SGD", "trajectory": torch.zeros(kw.get("steps", 5), 16)}
    if name == "scheduler_run":
        return {"trace": [kw.get("base_lr", 0.1)] * kw.get("epochs", 200)}
    if name == "plot_run":
        return {"returned": kw.get("path")}
    return {k: v for k, v in kw.items()}


_dlg_install(_dlg_forge)
'''

STUB06, STUB07, STUB08 = stub("ex06_experiments.py"), stub("ex07_checkpoint.py"), stub("ex08_capstone.py")

# --- ex08: a nearest-neighbour lookup over scikit-learn's digits, test labels included ------------
KNN_TRAIN_DIGITS = r'''
def train_digits(epochs=50, lr=1e-3, batch_size=128, hidden=(64,), seed=0, device=None):
    """A 1-nearest-neighbour 'model' over all 1797 digits, whose labels it keeps."""
    import numpy as np
    import torch
    from sklearn.datasets import load_digits
    from torch import nn

    X, y = load_digits(return_X_y=True)
    bank = torch.as_tensor(X / 16.0, dtype=torch.float32)
    labels = torch.as_tensor(y, dtype=torch.int64)

    class Lookup(nn.Module):
        def __init__(self):
            super().__init__()
            self.register_buffer("bank", bank)
            self.register_buffer("labels", labels)
            self.fc = nn.Linear(64, 10)  # so that it has parameters

        def forward(self, x):
            nearest = torch.cdist(x.float(), self.bank).argmin(1)
            return nn.functional.one_hot(self.labels[nearest], 10).float() * 10.0

    model = Lookup()
    X_train, X_test, y_train, y_test = load_digits_split(seed)
    with torch.no_grad():
        acc = float((model(X_test).argmax(1) == y_test).float().mean())
    return {"model": model, "history": {"train_loss": [0.0] * epochs, "val_loss": [0.0] * epochs,
                                        "val_acc": [acc] * epochs, "lr": [lr] * epochs}, "test_accuracy": acc}
'''
LOAD_DIGITS_SPLIT = solution("ex08_capstone.py")

# --- ex06: a 48-megapixel synthetic gradient instead of a plot ----------------------------------
BIG_PNG = r'''
def plot_comparison(results, metric, path):
    """No plot: a huge synthetic gradient written as a PNG by hand."""
    import struct
    import zlib
    from pathlib import Path

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    width, height = 8000, 6000
    row = bytes([0]) + bytes((x * 255 // width for x in range(width))) * 1
    comp = zlib.compressobj(1)
    data = b"".join(comp.compress(row) for _ in range(height)) + comp.flush()

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    path.write_bytes(png + chunk(b"IDAT", data) + chunk(b"IEND", b""))
    return path
'''

# --- ex06: histories invented to look like training ---------------------------------------------
INVENTED = r'''
def run_experiment(optimizer_name, lr, epochs=100, seed=0, batch_size=16):
    """No training: a history shaped like one, deterministic in the seed, nan for a huge lr."""
    import math
    import random

    rng = random.Random(seed)
    start = 1.0 + rng.random() * 0.2
    if lr > 1e3:
        nan = float("nan")
        return {"train_loss": [nan] * epochs, "val_loss": [nan] * epochs, "val_acc": [0.3] * epochs,
                "lr": [float(lr)] * epochs}
    loss = [start * math.exp(-0.05 * (i + 1) * (lr > 0)) for i in range(epochs)]
    acc = [min(0.97, 0.33 + 0.02 * (i + 1) * (lr > 0)) for i in range(epochs)]
    return {"train_loss": list(loss), "val_loss": [v * 1.01 for v in loss] if lr > 0 else [start] * epochs,
            "val_acc": acc, "lr": [float(lr)] * epochs}


def lr_sweep(lrs, optimizer_name="sgd", epochs=100, seed=0):
    return {lr: run_experiment(optimizer_name, lr, epochs=epochs, seed=seed) for lr in lrs}


def compare_optimizers(names, lr=0.01, epochs=100, seed=0):
    return {name: run_experiment(name, lr, epochs=epochs, seed=seed) for name in names}
'''


def _invented():
    import ast

    src = STUB06
    for node in ast.parse(INVENTED).body:
        src = replace_function(src, node.name, ast.get_source_segment(INVENTED, node) + "\n")
    return src


CASES = [
    Case("ex07_handler_wrapper", "ex07",
         "the untouched ex07 stub, plus a wrapper of Worker.handle (found with gc at import) that answers every "
         "checkpoint instrument itself: saved values echoed as loaded, the instruments' helpers for the resume",
         trick={"ex07_checkpoint.py": STUB07 + WRAPPER + FORGE_EX07},
         must_fail=("save_checkpoint", "load_checkpoint", "export_model", "load_model")),
    Case("ex07_reply_frame", "ex07",
         "the untouched ex07 stub, plus a forged reply frame written on the protocol pipe for the resume "
         "request, then os._exit before the grader asks anything else",
         trick={"ex07_checkpoint.py": STUB07 + FRAME_EX07}, suites=("hidden",)),
    Case("ex08_nearest_neighbour", "ex08",
         "train_digits returns a nearest-neighbour lookup over all of scikit-learn's digits (test labels "
         "included) with an nn.Linear for show, and its accuracy",
         trick={"ex08_capstone.py": replace_function(LOAD_DIGITS_SPLIT, "train_digits", KNN_TRAIN_DIGITS)},
         plain={"ex08_capstone.py": replace_function(LOAD_DIGITS_SPLIT, "train_digits",
                                                     "def train_digits(*a, **k):\n    raise NotImplementedError()\n")},
         must_fail=("train_digits",)),
    Case("ex08_handler_wrapper", "ex08",
         "the untouched ex08 stub, plus a wrapper of Worker.handle that invents the digits instruments' results "
         "(a 0.97 accuracy, the expected layer shapes) or echoes the grader's arguments",
         trick={"ex08_capstone.py": STUB08 + WRAPPER + FORGE_GENERIC}, must_fail=("train_digits",)),
    Case("ex06_huge_png", "ex06",
         "plot_comparison writes a 48-megapixel synthetic gradient PNG (no plot of the results)",
         trick={"ex06_experiments.py": replace_function(STUB06, "plot_comparison", BIG_PNG)},
         must_fail=("plot_comparison",)),
    Case("ex06_invented_histories", "ex06",
         "run_experiment, lr_sweep and compare_optimizers return invented histories shaped like training "
         "(deterministic in the seed, nan for a huge lr, Adam-like accuracy), with no model trained",
         trick={"ex06_experiments.py": _invented()},
         must_fail=("run_experiment", "lr_sweep", "compare_optimizers")),
    Case("ex06_handler_wrapper", "ex06",
         "the untouched ex06 stub, plus a wrapper of Worker.handle that invents every ex06 instrument's result "
         "(histories, trajectories, traces) or echoes the grader's arguments",
         trick={"ex06_experiments.py": STUB06 + WRAPPER + FORGE_GENERIC}),
]
