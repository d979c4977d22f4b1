"""Forging cases for the checks that also rest on what the worker observed (``in_process``).

Each plain twin is a solution that is wrong in ONE respect only, a respect that only the worker
can see (gd_step updates its inputs in place, to_tensor_dataset builds its own Dataset,
predict_proba keeps gradients on, fit steps the scheduler before validation, move_to skips
tensors already on the device, load_checkpoint raises a bare Exception); its values are right.
Each case's other modules are the untouched stubs, which keeps the class quick to grade.
The trick is the same code plus a realistic way to change what the worker observes: a patched
Tensor method or torch function, the instrument's globals reached through the caller's frame or
a method's ``__globals__``, the recorder reached through torch's mode stack. Without the guard
in grading/plugin.py each trick earns the check its twin loses; with it, no check marked
``in_process`` can pass while any module of the submission holds such a construction.
Measured without the guard (hidden suite, process isolation), each trick scored one point more
than its twin, on test_gd_step_leaves_inputs, test_to_tensor_dataset_other_dtypes,
test_predict_proba_no_grad, test_fit_scheduler_steps_after_validation,
test_move_to_moves_every_tensor and test_load_checkpoint_missing_file_hidden.

    .venv/bin/python tests/hostile/forgery.py tests/hostile/forgery_ex_in_process.py --suite hidden
"""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from forgery import Case, solution  # noqa: E402

EX01, EX02, EX03, EX04, EX05, EX07 = ("ex01_gradient_descent.py", "ex02_data.py", "ex03_model.py",
                                      "ex04_training.py", "ex05_device.py", "ex07_checkpoint.py")


def patched(filename: str, old: str, new: str) -> str:
    """The solution of ``filename`` with the one occurrence of ``old`` replaced by ``new``."""
    source = solution(filename)
    assert source.count(old) == 1, f"{filename}: {old!r} occurs {source.count(old)} times"
    return source.replace(old, new)


# --- ex01: gd_step updates w and b in place; Tensor.detach patched to show the old values ----------
GD_OLD = "    return w - lr * dw, b - lr * db\n"
GD_IN_PLACE = '''    w.sub_(lr * dw)
    b.sub_(lr * db)
    return w.clone(), b.clone()
'''
GD_FORGED = '''    saved = [(w, w.detach().clone()), (b, b.detach().clone())]
    w.sub_(lr * dw)
    b.sub_(lr * db)
    real_detach = torch.Tensor.detach

    def detach(self):
        # the caller copies the inputs with t.detach().clone(): give it the values from before
        for i, (original, copy) in enumerate(saved):
            if self is original:
                saved.pop(i)
                return copy
        if not saved:
            torch.Tensor.detach = real_detach
        return real_detach(self)

    torch.Tensor.detach = detach
    return w.clone(), b.clone()
'''

# --- ex02: a Dataset of its own; the instrument's TensorDataset replaced through the caller's frame
PAIRS = '''

class Pairs(Dataset):
    """Tensors indexed together, written by hand."""

    def __init__(self, *tensors):
        self.tensors = tensors

    def __len__(self):
        return len(self.tensors[0])

    def __getitem__(self, i):
        return tuple(t[i] for t in self.tensors)
'''
TD_OLD = "    return TensorDataset(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64))\n"
TD_PLAIN = "    return Pairs(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.int64))\n"
TD_FORGED = '''    import sys
    sys._getframe(1).f_globals["TensorDataset"] = Pairs  # the caller's isinstance(ds, TensorDataset)
''' + TD_PLAIN

# --- ex03: predict_proba without no_grad (detached); torch.is_grad_enabled patched around the forward
PROBA_OLD = '''    with torch.no_grad():
        probs = F.softmax(model(x), dim=1)
'''
PROBA_PLAIN = '''    probs = F.softmax(model(x), dim=1).detach()
'''
PROBA_FORGED = '''    real = torch.is_grad_enabled
    torch.is_grad_enabled = lambda: False
    try:
        probs = F.softmax(model(x), dim=1).detach()
    finally:
        torch.is_grad_enabled = real
'''

# --- ex04: fit steps the scheduler before validation; the instruments' event log reordered ------
FIT_OLD = '''        val = evaluate(model, val_loader, loss_fn, device)
        if scheduler is not None:
            scheduler.step()
'''
FIT_PLAIN = '''        if scheduler is not None:
            scheduler.step()
        val = evaluate(model, val_loader, loss_fn, device)
'''
FIT_FORGED = FIT_PLAIN + '''        if scheduler is not None:
            events = type(scheduler).step.__globals__.get("EVENTS")
            for i in range(len(events or []) - 1, -1, -1):
                if events[i] and events[i][0] == "sched":
                    events.append(events.pop(i))  # as if it came after validation
                    break
'''

# --- ex05: move_to skips tensors already on the device; the moves written into the recorder ---------
MOVE_OLD = '''    if isinstance(obj, (torch.Tensor, nn.Module)):
        return obj.to(device)
'''
MOVE_PLAIN = '''    if isinstance(obj, torch.Tensor) and obj.device == torch.device(device):
        return obj
''' + MOVE_OLD
MOVE_FORGED = '''    if isinstance(obj, torch.Tensor) and obj.device == torch.device(device):
        from torch.overrides import _get_current_function_mode_stack

        for mode in _get_current_function_mode_stack():  # the worker's recorder of .to() calls
            tags = type(mode).__torch_function__.__globals__.get("_TAGS", {})
            tagged = tags.get(id(obj))
            if tagged is not None and tagged[1] is obj and hasattr(mode, "moves"):
                mode.moves.append([list(tagged[0]), str(device)])
        return obj
''' + MOVE_OLD

# --- ex07: a bare Exception for a missing file; the instrument's description of it replaced ---------
LOAD_OLD = '''        raise FileNotFoundError(f"checkpoint not found: {path}")
'''
LOAD_PLAIN = '''        raise Exception(f"checkpoint not found: {path}")
'''
LOAD_FORGED = '''        import sys

        space = sys._getframe(1).f_globals  # the instrument that called us
        real = space.get("_exception")
        if real is not None and not getattr(real, "forged", False):
            def forged(exc, _real=real):
                out = _real(exc)
                if type(exc) is Exception:
                    out.update(type="FileNotFoundError",
                               mro=["FileNotFoundError", "OSError", "Exception", "BaseException", "object"])
                return out

            forged.forged = True
            space["_exception"] = forged
''' + LOAD_PLAIN

HIDDEN = ("hidden",)
CASES = [
    Case("in_process_gd_step_detach_patched", "ex01",
         "gd_step updates w and b in place and patches Tensor.detach so the instrument's copies show the old values",
         trick={EX01: patched(EX01, GD_OLD, GD_FORGED)}, plain={EX01: patched(EX01, GD_OLD, GD_IN_PLACE)},
         suites=HIDDEN),
    Case("in_process_tensor_dataset_frame_globals", "ex02",
         "to_tensor_dataset builds its own Dataset and replaces TensorDataset in the caller's frame globals",
         trick={EX02: patched(EX02, TD_OLD, TD_FORGED) + PAIRS}, plain={EX02: patched(EX02, TD_OLD, TD_PLAIN) + PAIRS},
         suites=HIDDEN),
    Case("in_process_predict_proba_grad_patched", "ex03",
         "predict_proba keeps gradients on (and detaches) while torch.is_grad_enabled is patched to say False",
         trick={EX03: patched(EX03, PROBA_OLD, PROBA_FORGED)}, plain={EX03: patched(EX03, PROBA_OLD, PROBA_PLAIN)},
         suites=HIDDEN),
    Case("in_process_fit_event_log_reordered", "ex04",
         "fit steps the scheduler before validation, then moves the logged step to after it through __globals__",
         trick={EX04: patched(EX04, FIT_OLD, FIT_FORGED)}, plain={EX04: patched(EX04, FIT_OLD, FIT_PLAIN)},
         suites=HIDDEN),
    Case("in_process_move_to_recorder_edited", "ex05",
         "move_to skips tensors already on the device and writes the .to() calls into the worker's recorder",
         trick={EX05: patched(EX05, MOVE_OLD, MOVE_FORGED)}, plain={EX05: patched(EX05, MOVE_OLD, MOVE_PLAIN)},
         suites=HIDDEN),
    Case("in_process_load_error_frame_globals", "ex07",
         "load_checkpoint raises a bare Exception for a missing file and rewrites the instrument's description of it",
         trick={EX07: patched(EX07, LOAD_OLD, LOAD_FORGED)}, plain={EX07: patched(EX07, LOAD_OLD, LOAD_PLAIN)},
         suites=HIDDEN),
]
