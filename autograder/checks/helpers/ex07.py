"""Helpers of ex07's checks, public and hidden: running its instruments, building inputs, and the
expectations both suites share. The checks themselves are in public/ and hidden/.
"""
import ast
from pathlib import Path, PurePosixPath

import torch

from ...engine import worker_files
from ...engine.client import StudentError
from ...engine.worker import probes_ex07
from ...feedback.catalog import Msg
from ...feedback.reasons import reason
from ..api import expect, expect_close, fail, raised, run_probe
from ..reference import ex07 as ref

MODULE = "ex07_checkpoint"


def probe(sub, probe_name, func, **kwargs):
    """Run probes_ex07.<probe_name> in the worker; errors are reported against the student's ``func``."""
    return run_probe(sub, probe_name, f"{MODULE}.{func}", **kwargs)


def not_implemented(out, func):
    if out.get("not_implemented"):
        raise StudentError({"type": "NotImplementedError", "not_implemented": True}, f"{MODULE}.{func}")


def expect_returned_path(returned, given, func, hint):
    """``Path(given)`` (or the same file as an absolute path)."""
    ok = isinstance(returned, Path) and (PurePosixPath(returned) == PurePosixPath(given)
                                         or str(returned).endswith("/" + given))
    expect(ok, Msg("cmp.type", expected=f"Path('{given}')", got=repr(returned)[:80]), hint=hint,
           name=f"{func}('{given}', ...)")


def read_file(sub, given, func, hint) -> bytes:
    """The bytes of the file at ``given`` in the worker's folder (a regular file, at most a few MB)."""
    try:
        return worker_files.read_bytes(sub.folder.work, given, limit=ref.FILE_LIMIT)
    except worker_files.UnsafeFile as exc:
        if exc.reason == "missing":
            fail(Msg("cmp.number", got=Msg("value.no_file"), expected=Msg("value.ex07_file_at", path=given)), hint=hint,
                 name=f"{func}('{given}', ...)")
        fail(Msg("cmp.number", got=reason(exc.reason), expected=Msg("value.ex07_regular_file", path=given)),
             hint="hint.ex07_file_unsafe",
             name=f"{func}('{given}', ...)")


def load_file(data: bytes, given, func, hint):
    try:
        return ref.load_bytes(data)
    except Exception as exc:  # not a weights_only file
        fail(Msg("cmp.number", got=Msg("value.ex07_load_fails", exc=type(exc).__name__),
                 expected=Msg("value.ex07_loadable")), hint=hint, name=f"{func}('{given}', ...)")


def chosen(kind, seed, epochs, epoch, extra=None, rng_seed=None, data_seed=None, lr=0.05, n=40, extra_epochs=0):
    """Model, optimizer, scheduler and RNG states after training in the grader's process, with the
    epoch and extra values to save along."""
    states = ref.trained(kind, seed, epochs, data_seed if data_seed is not None else seed + 1, lr=lr, n=n,
                         extra_epochs=extra_epochs)
    if rng_seed is not None:
        states["rng"] = ref.rng_state(rng_seed)
    states.update(kind=kind, epoch=epoch, extra=dict(extra or {}))
    return states


def send_save(sub, given, states, with_optimizer, func="save_checkpoint"):
    """The student's save_checkpoint with the grader's states; a missing folder points to the parent folders."""
    kwargs = {"path": given, "model_state": states["model"], "kind": states["kind"], "epoch": states["epoch"],
              "extra": states["extra"], "rng": states["rng"]}
    if with_optimizer:
        kwargs.update(optimizer_state=states["optimizer"], scheduler_state=states["scheduler"])
    try:
        return probe(sub, probes_ex07.checkpoint_save, func, **kwargs)
    except StudentError as exc:
        missing = exc.info.get("type") == "FileNotFoundError" or "No such file" in exc.info.get("message", "")
        if not missing:
            raise
        raised(exc, func, "hint.ex07_save_path")


def expect_saved(sub, given, states, with_optimizer, func="save_checkpoint"):
    """The file at ``given`` holds the states the grader sent; returns its object."""
    obj = load_file(read_file(sub, given, func, "hint.ex07_save_path"), given, func, "hint.ex07_save_contents")
    hint, call = "hint.ex07_save_contents", f"{func}('{given}', ...)"
    parts = [("model.state_dict()", states["model"], hint), ("torch.get_rng_state()", states["rng"], "hint.ex07_rng")]
    if with_optimizer:
        parts += [("optimizer.state_dict()", states["optimizer"], "hint.ex07_optimizer_state"),
                  ("scheduler.state_dict()", states["scheduler"], "hint.ex07_scheduler_state")]
    for what, value, part_hint in parts:
        expect(ref.find(obj, value),
               Msg("cmp.number", got=Msg("value.not_in_file"), expected=Msg("value.at_save", what=what)),
               hint=part_hint, name=f"{call}: {what}")
    for key, value in states["extra"].items():
        expect(ref.find_item(obj, key, value), Msg("cmp.number", got=Msg("value.not_in_file"),
                                                   expected=f"{key}={value!r}"),
               hint=hint, name=f"{call}: extra value {key!r}")
    expect(ref.find(obj, states["epoch"]),
           Msg("cmp.number", got=Msg("value.not_in_file"), expected=f"epoch={states['epoch']}"),
           hint=hint, name=f"{call}: epoch")
    return obj


def rewritten(obj, old, new, with_optimizer, given, func="load_checkpoint") -> bytes:
    """The student's checkpoint layout ``obj`` holding the states ``new`` instead of ``old``."""
    wholes = [(old["model"], new["model"]), (old["rng"], new["rng"])]
    if with_optimizer:
        wholes += [(old["optimizer"], new["optimizer"]), (old["scheduler"], new["scheduler"])]
    items = {k: (v, new["extra"][k]) for k, v in old["extra"].items()}
    found: set = set()
    try:
        replaced = ref.substitute(obj, wholes, items, (old["epoch"], new["epoch"]), found)
    except ValueError:
        replaced = None
    expected = {("whole", i) for i in range(len(wholes))} | {("item", k) for k in items} | {("epoch",)}
    expect(replaced is not None and expected <= found,
           Msg("cmp.number", got=Msg("value.ex07_missing_state"), expected=Msg("value.ex07_every_state")),
           hint="hint.ex07_save_contents",
           name=Msg("label.ex07_save_then", save=f"save_checkpoint('{given}', ...)", func=func))
    return ref.save_bytes(replaced)


def saved_and_rewritten(sub, given, old, new, with_optimizer):
    """save_checkpoint(old) checked by the grader, then the bytes of the same layout holding ``new``."""
    send_save(sub, given, old, with_optimizer, func="load_checkpoint")
    obj = expect_saved(sub, given, old, with_optimizer, func="load_checkpoint")
    return rewritten(obj, old, new, with_optimizer, given)


def expect_params(got, expected: dict, hint, what, atol=0.0, rtol=0.0):
    """A state dict with ``expected``'s keys and tensors; ``what`` labels it (a str of code or a Msg)."""
    expect(isinstance(got, dict) and set(got) == set(expected),
           Msg("cmp.number", got=sorted(got) if isinstance(got, dict) else type(got).__name__,
               expected=sorted(expected)), hint=hint, name=what)
    for key, value in expected.items():
        expect_close(got[key], value, hint=hint, name=Msg("label.ex07_entry", what=what, entry=key),
                     atol=atol, rtol=rtol)


def expect_info(info, expected: dict, func):
    expect(isinstance(info, dict), Msg("cmp.type", expected="dict", got=type(info).__name__),
           hint="hint.ex07_load_return", name=func)
    expect(info == expected, Msg("cmp.number", got=repr(info)[:160], expected=repr(expected)),
           hint="hint.ex07_load_return", name=func)


def restore(sub, given, old, new, with_optimizer, **kwargs):
    """load_checkpoint of the grader's file (the student's layout, the states ``new``) into fresh objects."""
    data = saved_and_rewritten(sub, given, old, new, with_optimizer)
    return probe(sub, probes_ex07.checkpoint_load, "load_checkpoint", path=given, data=ref.as_tensor(data),
                 kind=new["kind"],
                 with_optimizer=with_optimizer, **kwargs)


def expect_optimizer_restored(out, new, hint_opt, hint_sched):
    expect(ref.equal(out["optimizer"], new["optimizer"]),
           Msg("cmp.number", got=Msg("value.ex07_other_optimizer"), expected=Msg("value.ex07_saved_optimizer")),
           hint=hint_opt, name=Msg("label.after_call", what="optimizer.state_dict()", call="load_checkpoint"))
    expect(ref.equal(out["scheduler"], new["scheduler"]),
           Msg("cmp.number",
               got=f"last_epoch {out['scheduler'].get('last_epoch') if isinstance(out['scheduler'], dict) else '?'}",
               expected=f"last_epoch {new['scheduler']['last_epoch']}"), hint=hint_sched,
           name=Msg("label.after_call", what="scheduler.state_dict()", call="load_checkpoint"))


def model_roundtrip(sub, given, seed):
    """A plain save + load of the model alone, judged by the grader (what the error checks need first)."""
    old = chosen("momentum", seed, 1, epoch=4, rng_seed=seed)
    new = chosen("momentum", seed + 500, 2, epoch=6, rng_seed=seed + 500)
    out = restore(sub, given, old, new, False)
    expect_params(out["model"], new["model"], "hint.ex07_load_model",
                  Msg("label.after_call", what="model", call="load_checkpoint"))
    expect_info(out["info"], {"epoch": 6}, "load_checkpoint(...)")


def load_failure(sub, path, prepare, seed=40):
    """What load_checkpoint does with a bad file; only asked once a real round trip works."""
    model_roundtrip(sub, f"ckpt_working_{seed}/ok.pt", seed)
    out = probe(sub, probes_ex07.load_error, "load_checkpoint", path=path, prepare=prepare)
    not_implemented(out, "load_checkpoint")
    return out


def expect_clear_error(out, name, call):
    expect(out["raised"], Msg("cmp.number", got=Msg("value.no_exception"), expected=Msg("value.ex07_error_naming")),
           hint="hint.ex07_corrupt", name=call)
    expect(name in out["message"], Msg("cmp.number", got=f"{out['type']}: {out['message'][:200]!r}",
                                       expected=Msg("value.ex07_message_names", name=name)),
           hint="hint.ex07_corrupt", name=call)


UNSAFE_NAMES = {"pickle", "dill", "cloudpickle", "add_safe_globals", "safe_globals", "_weights_only_unpickler",
                "__import__", "importlib"}


def unsafe_loading(source: bytes) -> str:
    """What in the module's source turns off torch.load's weights_only protection, or ''."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return ""
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "weights_only" and not (
                isinstance(node.value, ast.Constant) and node.value.value is True):
            return "weights_only=" + ast.unparse(node.value)[:40]
        if isinstance(node, ast.Dict):
            for key in node.keys:
                if isinstance(key, ast.Constant) and key.value == "weights_only":
                    return "a weights_only value passed in a dict"
        name = (node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute)
                else node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None)
        if name in UNSAFE_NAMES:
            return name
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] + ([node.module] if isinstance(node, ast.ImportFrom) and node.module
                                                    else [])
            for n in names:
                if n.split(".")[0] in UNSAFE_NAMES:
                    return f"import {n}"
    return ""


def expect_refused(sub, out, given, call):
    ran = worker_files.kind(sub.folder.work, given + ".code-ran") != "missing"
    expect(not ran, Msg("cmp.number", got=Msg("value.ex07_code_ran"), expected=Msg("value.ex07_refused")),
           hint="hint.ex07_weights_only", name=call)
    expect(out["raised"], Msg("cmp.number", got=Msg("value.ex07_returned", value=repr(out['returned'])[:120]),
                              expected=Msg("value.ex07_arbitrary")),
           hint="hint.ex07_weights_only", name=call)
    found = unsafe_loading(sub.files.get(f"{MODULE}.py", b""))
    expect(not found, Msg("cmp.number", got=Msg("value.ex07_uses", module=MODULE, found=found),
                          expected="torch.load(..., weights_only=True)"),
           hint="hint.ex07_weights_only", name=call)


def export_state(seed):
    return probes_ex07.Net(5, 12, 4, dropout=0.5, seed=seed).state_dict()


def check_export(sub, given, seed):
    """export_model with the grader's weights: at the path given, returned as a Path, model.state_dict() alone."""
    state = export_state(seed)
    out = probe(sub, probes_ex07.export_run, "export_model", path=given, model_state=state)
    expect_returned_path(out["returned"], given, "export_model", "hint.ex07_export")
    obj = load_file(read_file(sub, given, "export_model", "hint.ex07_export"), given, "export_model",
                    "hint.ex07_export")
    expect(isinstance(obj, dict) and list(map(str, obj)) == list(state) and ref.equal(obj, state),
           Msg("cmp.number", got=sorted(map(str, obj)) if isinstance(obj, dict) else type(obj).__name__,
               expected=Msg("value.ex07_state_keys", keys=str(list(state)))), hint="hint.ex07_export", name=given)


def check_load_model(sub, given, seed):
    """load_model on a state_dict file the grader wrote: a module in eval mode whose outputs equal
    those of the grader's own model with those weights."""
    model = probes_ex07.Net(5, 12, 4, dropout=0.5, seed=seed)
    x, _ = probes_ex07.make_data(9, 5, 4, seed + 3)
    model.eval()
    with torch.no_grad():
        expected = model(x)
    data = ref.save_bytes(model.state_dict())
    out = probe(sub, probes_ex07.load_model_run, "load_model", path=given, data=ref.as_tensor(data), x=x,
                factory_seed=seed + 50)
    expect(out["is_module"], Msg("cmp.type", expected="nn.Module", got=out["type"]),
           hint="hint.ex07_load_model", name="load_model(...)")
    expect(out["training"] is False, Msg("cmp.number", got="model.training == True",
                                         expected=Msg("value.ex07_eval_mode")),
           hint="hint.ex07_load_model_eval", name="load_model(...)")
    for key in ("got", "got_again"):
        expect_close(out[key], expected, hint="hint.ex07_load_model", name="load_model(...)(x)", atol=1e-6, rtol=1e-5)


RESUME_HINTS = (("model", "hint.ex07_load_model"), ("optimizer", "hint.ex07_optimizer_state"),
                ("scheduler", "hint.ex07_scheduler_state"), ("rng", "hint.ex07_rng"))


def resume_hint(out, new):
    """The hint for a resume (a restore() report) against the grader's states ``new``: the first part
    load_checkpoint did not restore, in RESUME_HINTS order, or hint.ex07_resume when all were."""
    restored = {"model": ref.same_weights(out["model"], new["model"]),
                "optimizer": ref.equal(out["optimizer"], new["optimizer"]),
                "scheduler": ref.equal(out["scheduler"], new["scheduler"]), "rng": ref.equal(out["rng"], new["rng"])}
    for part, part_hint in RESUME_HINTS:
        if not restored[part]:
            return part_hint
    return "hint.ex07_resume"


def expect_restored(out, new, info, with_optimizer):
    """A restore() report: the model holds the weights of ``new``; ``with_optimizer``, the optimizer
    and scheduler hold its states too; load_checkpoint returned ``info``."""
    expect_params(out["model"], new["model"], "hint.ex07_load_model",
                  Msg("label.after_call", what="model", call="load_checkpoint"))
    if with_optimizer:
        expect_optimizer_restored(out, new, "hint.ex07_optimizer_state", "hint.ex07_scheduler_state")
    expect_info(out["info"], info, "load_checkpoint(...)")


def expect_missing_file(out, name, call):
    """A load_failure() report of a file that does not exist: FileNotFoundError, its message naming ``name``."""
    expect(out["raised"], Msg("cmp.number", got=Msg("value.no_exception"), expected="FileNotFoundError"),
           hint="hint.ex07_missing", name=call)
    expect("FileNotFoundError" in out["mro"], Msg("cmp.type", expected="FileNotFoundError", got=out["type"]),
           hint="hint.ex07_missing", name=call)
    expect(name in out["message"], Msg("cmp.number", got=repr(out["message"][:200]),
                                       expected=Msg("value.message_naming", names=name)),
           hint="hint.ex07_missing", name=call)


def expect_atomic_save(sub, given, first_seed, second_seed):
    """save_checkpoint at ``given`` of a model (weights from ``first_seed``), then a second save (weights
    from ``second_seed``) that fails while pickling: the error reaches the caller and the file is still
    the first save, byte for byte as the grader read it."""
    first = chosen("momentum", first_seed, 1, epoch=1)
    out = probe(sub, probes_ex07.atomic_save, "save_checkpoint", path=given, model_state=first["model"], epoch=1)
    not_implemented(out, "save_checkpoint")
    before = read_file(sub, given, "save_checkpoint", "hint.ex07_save_path")
    obj = ref.load_bytes(before) if before else None
    expect(obj is not None and ref.find(obj, first["model"]),
           Msg("cmp.number", got=Msg("value.not_in_file"), expected=Msg("value.at_save", what="model.state_dict()")),
           hint="hint.ex07_save_contents", name=f"save_checkpoint('{given}', model, epoch=1)")
    second = chosen("momentum", second_seed, 1, epoch=2)
    out = probe(sub, probes_ex07.atomic_save, "save_checkpoint", path=given, model_state=second["model"], epoch=2,
                crash=True)
    not_implemented(out, "save_checkpoint")
    call = f"save_checkpoint('{given}', model, epoch=2, crash=<an object whose pickling fails>)"
    expect(out["raised"], Msg("cmp.number", got=Msg("value.no_exception"), expected=Msg("value.ex07_pickling")),
           hint="hint.ex07_atomic_raise", name=call)
    try:
        after = worker_files.read_bytes(sub.folder.work, given, limit=ref.FILE_LIMIT)
    except worker_files.UnsafeFile as exc:
        after, gone = None, exc.reason
    expect(after == before, Msg("cmp.number", got=Msg("value.ex07_changed", size=len(after)) if after is not None
                                else Msg("value.ex07_gone", reason=reason(gone)),
                                expected=Msg("value.ex07_previous", size=len(before))),
           hint="hint.ex07_atomic", name=call)
