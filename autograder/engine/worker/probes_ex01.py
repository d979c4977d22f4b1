"""Instruments of ex01, declared with ``@instrument`` (engine/worker/probes.py).

They run in the worker next to student code (``run_probe(sub, probes_ex01.name, ...)``),
build what they need there from the tensors and seeds the grader sends, call one
student function and return its raw results: outputs, the items and batches it
yields, the ``nn.Linear`` weights of a model (in the order its forward uses them),
the weights an init left. They compute no correct answer: everything a check
compares with is computed in the grader (``autograder/checks/reference/``), and
whatever they report is only what student code let them see. A student's
exception propagates unchanged.
"""
from __future__ import annotations

from pathlib import Path

import torch

try:  # the grader imports the package; the worker has the runtime folder on sys.path
    from . import probes
    from .probes import instrument
except ImportError:  # pragma: no cover - worker side
    import probes
    from probes import instrument



def _student(ctx, module: str, name: str):
    return ctx.resolve(["module", module, name])


@instrument
def write_text(name: str, text: str, ctx=None) -> Path:
    """Write ``text`` to ``name`` under the worker's (writable) working directory; its absolute path."""
    path = Path.cwd() / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _outcome(fn, *args, **kwargs) -> dict:
    """Whether ``fn`` raised, the exception's class names (its MRO) and message.
    NotImplementedError propagates: a stub reads 'not implemented'."""
    try:
        fn(*args, **kwargs)
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - any exception is the answer
        return {"raised": True, "mro": [c.__name__ for c in type(exc).__mro__], "message": str(exc)[:500]}
    return {"raised": False, "mro": [], "message": ""}


@instrument(ctx=True)
def raises(module: str, name: str, args=(), kwargs=None, ctx=None) -> dict:
    """Call a student function expecting an exception; see ``_outcome``."""
    return _outcome(_student(ctx, module, name), *args, **(kwargs or {}))


@instrument(ctx=True)
def gd_step_run(w, b, dw, db, lr, ctx=None) -> dict:
    """gd_step on tensors kept here: its result, the inputs as they are afterwards (the grader
    compares them with what it sent) and whether a returned tensor is an input's memory."""
    fn = _student(ctx, "ex01_gradient_descent", "gd_step")
    inputs = (w, b, dw, db)
    result = fn(w, b, dw, db, lr)
    after = [t.detach().clone() for t in inputs]
    returned = list(result) if isinstance(result, (tuple, list)) else []
    ptrs = {probes.data_ptr(w), probes.data_ptr(b)}
    shared = any(isinstance(r, torch.Tensor) and probes.data_ptr(r) in ptrs for r in returned)
    return {"result": result, "inputs_after": after, "shared": shared}
