"""Public checks for ex07: saving and loading checkpoints, exporting a model.

Every state is chosen by the grader: it trains the small model with dropout
(``checks/reference/ex07.py``) in its own process and sends the states to the
worker, where ``probes_ex06_08`` loads them into objects and calls the
student's ``save_checkpoint`` / ``export_model``. The grader then reads the
file from the worker's folder itself (``engine.worker_files``: a regular file,
a byte cap, ``torch.load(weights_only=True)`` on the bytes) and looks for what
it sent, whatever the file's layout. ``load_checkpoint`` / ``load_model`` get a
file the grader wrote in that same layout holding OTHER states, which the
worker never received otherwise; what they restore is compared with the
grader's own numbers.
"""
import ast
from pathlib import Path, PurePosixPath

import torch

from ...engine import worker_files
from ...engine.client import StudentError
from ...feedback.catalog import Msg
from ..api import check, expect, expect_close, fail, raised, run_probe
from ..reference import ex07 as ref

MODULE = "ex07_checkpoint"


def probe(sub, probe_name, func, **kwargs):
    """Run probes_ex06_08.<probe_name> in the worker; errors are reported against the student's ``func``."""
    return run_probe(sub, f"probes_ex06_08.{probe_name}", f"{MODULE}.{func}", **kwargs)


def not_implemented(out, func):
    if out.get("not_implemented"):
        raise StudentError({"type": "NotImplementedError", "not_implemented": True}, f"{MODULE}.{func}")


def expect_returned_path(returned, given, func, hint):
    """``Path(given)`` (or the same file as an absolute path)."""
    ok = isinstance(returned, Path) and (PurePosixPath(returned) == PurePosixPath(given)
                                         or str(returned).endswith("/" + given))
    expect(ok, Msg("cmp.type", expected=f"Path('{given}')", got=repr(returned)[:80]), hint=hint,
           name=f"{func}('{given}', ...)")


# --- the files, read by the grader ---------------------------------------------------------
def read_file(sub, given, func, hint) -> bytes:
    """The bytes of the file at ``given`` in the worker's folder (a regular file, at most a few MB)."""
    try:
        return worker_files.read_bytes(sub.folder.work, given, limit=ref.FILE_LIMIT)
    except worker_files.UnsafeFile as exc:
        if exc.reason == "missing":
            fail(Msg("cmp.number", got="no file", expected=f"a file at {given}"), hint=hint,
                 name=f"{func}('{given}', ...)")
        fail(Msg("cmp.number", got=exc.reason, expected=f"a regular file at {given}"), hint="hint.ex07_file_unsafe",
             name=f"{func}('{given}', ...)")


def load_file(data: bytes, given, func, hint):
    try:
        return ref.load_bytes(data)
    except Exception as exc:  # not a weights_only file
        fail(Msg("cmp.number", got=f"torch.load(weights_only=True) fails ({type(exc).__name__})",
                 expected="a file torch.load(weights_only=True) reads"), hint=hint, name=f"{func}('{given}', ...)")


# --- the states the grader chooses -----------------------------------------------------------
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
        return probe(sub, "checkpoint_save", func, **kwargs)
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
        expect(ref.find(obj, value), Msg("cmp.number", got="not in the file", expected=f"{what} at the save"),
               hint=part_hint, name=f"{call}: {what}")
    for key, value in states["extra"].items():
        expect(ref.find_item(obj, key, value), Msg("cmp.number", got="not in the file", expected=f"{key}={value!r}"),
               hint=hint, name=f"{call}: extra value {key!r}")
    expect(ref.find(obj, states["epoch"]),
           Msg("cmp.number", got="not in the file", expected=f"epoch={states['epoch']}"),
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
           Msg("cmp.number", got="a checkpoint without every state", expected="every state given to save_checkpoint"),
           hint="hint.ex07_save_contents", name=f"save_checkpoint('{given}', ...), then {func}")
    return ref.save_bytes(replaced)


def saved_and_rewritten(sub, given, old, new, with_optimizer):
    """save_checkpoint(old) checked by the grader, then the bytes of the same layout holding ``new``."""
    send_save(sub, given, old, with_optimizer, func="load_checkpoint")
    obj = expect_saved(sub, given, old, with_optimizer, func="load_checkpoint")
    return rewritten(obj, old, new, with_optimizer, given)


def expect_params(got, expected: dict, hint, what, atol=0.0, rtol=0.0):
    """A state dict with ``expected``'s keys and tensors."""
    expect(isinstance(got, dict) and set(got) == set(expected),
           Msg("cmp.number", got=sorted(got) if isinstance(got, dict) else type(got).__name__,
               expected=sorted(expected)), hint=hint, name=what)
    for key, value in expected.items():
        expect_close(got[key], value, hint=hint, name=f"{what}: {key}", atol=atol, rtol=rtol)


def expect_info(info, expected: dict, func):
    expect(isinstance(info, dict), Msg("cmp.type", expected="dict", got=type(info).__name__),
           hint="hint.ex07_load_return", name=func)
    expect(info == expected, Msg("cmp.number", got=repr(info)[:160], expected=repr(expected)),
           hint="hint.ex07_load_return", name=func)


def restore(sub, given, old, new, with_optimizer, **kwargs):
    """load_checkpoint of the grader's file (the student's layout, the states ``new``) into fresh objects."""
    data = saved_and_rewritten(sub, given, old, new, with_optimizer)
    return probe(sub, "checkpoint_load", "load_checkpoint", path=given, data=ref.as_tensor(data), kind=new["kind"],
                 with_optimizer=with_optimizer, **kwargs)


def expect_optimizer_restored(out, new, hint_opt, hint_sched):
    expect(ref.equal(out["optimizer"], new["optimizer"]),
           Msg("cmp.number", got="another optimizer state", expected="the checkpoint's optimizer.state_dict()"),
           hint=hint_opt, name="optimizer.state_dict() after load_checkpoint")
    expect(ref.equal(out["scheduler"], new["scheduler"]),
           Msg("cmp.number",
               got=f"last_epoch {out['scheduler'].get('last_epoch') if isinstance(out['scheduler'], dict) else '?'}",
               expected=f"last_epoch {new['scheduler']['last_epoch']}"), hint=hint_sched,
           name="scheduler.state_dict() after load_checkpoint")


def model_roundtrip(sub, given, seed):
    """A plain save + load of the model alone, judged by the grader (what the error checks need first)."""
    old = chosen("momentum", seed, 1, epoch=4, rng_seed=seed)
    new = chosen("momentum", seed + 500, 2, epoch=6, rng_seed=seed + 500)
    out = restore(sub, given, old, new, False)
    expect_params(out["model"], new["model"], "hint.ex07_load_model", "model after load_checkpoint")
    expect_info(out["info"], {"epoch": 6}, "load_checkpoint(...)")


@check("ex07", "save_checkpoint", 1, en="save_checkpoint creates missing parent folders, returns the Path, and the "
       "file holds the model's state_dict and the epoch",
       zh="save_checkpoint 会创建缺失的父目录并返回 Path，文件中包含模型的 state_dict 和 epoch")
def test_save_checkpoint_creates_folders(sub):
    given = "runs/public/last.pt"
    states = chosen("momentum", 1, 2, epoch=3, rng_seed=1)
    out = send_save(sub, given, states, False)
    expect_saved(sub, given, states, False)
    expect_returned_path(out["returned"], given, "save_checkpoint", "hint.ex07_save_path")


@check("ex07", "load_checkpoint", 1.5, en="load_checkpoint restores the model's weights and returns "
       "{'epoch': 7, 'best_acc': 0.9, 'note': 'hello'}",
       zh="load_checkpoint 恢复模型权重，并返回 {'epoch': 7, 'best_acc': 0.9, 'note': 'hello'}")
def test_load_checkpoint_restores_model(sub):
    old = chosen("momentum", 2, 2, epoch=5, extra={"best_acc": 0.5, "note": "draft"}, rng_seed=2)
    new = chosen("momentum", 202, 3, epoch=7, extra={"best_acc": 0.9, "note": "hello"}, rng_seed=202)
    out = restore(sub, "ckpt_public/model.pt", old, new, False)
    expect_params(out["model"], new["model"], "hint.ex07_load_model", "model after load_checkpoint")
    expect_info(out["info"], {"epoch": 7, "best_acc": 0.9, "note": "hello"}, "load_checkpoint(...)")


@check("ex07", "load_checkpoint", 1.5, en="load_checkpoint restores the optimizer's momentum buffers and the "
       "scheduler's position", zh="load_checkpoint 恢复优化器的动量缓冲和调度器的进度")
def test_load_checkpoint_restores_optimizer_and_scheduler(sub):
    old = chosen("momentum", 3, 3, epoch=31, rng_seed=3)
    new = chosen("momentum", 303, 2, epoch=3, rng_seed=303)
    out = restore(sub, "ckpt_public/full.pt", old, new, True)
    expect_params(out["model"], new["model"], "hint.ex07_load_model", "model after load_checkpoint")
    expect_optimizer_restored(out, new, "hint.ex07_optimizer_state", "hint.ex07_scheduler_state")
    expect_info(out["info"], {"epoch": 3}, "load_checkpoint(...)")


def load_failure(sub, path, prepare, seed=40):
    """What load_checkpoint does with a bad file; only asked once a real round trip works."""
    model_roundtrip(sub, f"ckpt_working_{seed}/ok.pt", seed)
    out = probe(sub, "load_error", "load_checkpoint", path=path, prepare=prepare)
    not_implemented(out, "load_checkpoint")
    return out


@check("ex07", "load_checkpoint", 1, en="a missing file raises FileNotFoundError naming the path",
       zh="文件不存在时抛出 FileNotFoundError，并指明路径", in_process="the exception load_checkpoint raises")
def test_load_checkpoint_missing_file(sub):
    given = "nowhere_public/missing.pt"
    out = load_failure(sub, given, "missing")
    call = f"load_checkpoint('{given}', model)"
    expect(out["raised"], Msg("cmp.number", got="no exception", expected="FileNotFoundError"),
           hint="hint.ex07_missing", name=call)
    expect("FileNotFoundError" in out["mro"], Msg("cmp.type", expected="FileNotFoundError", got=out["type"]),
           hint="hint.ex07_missing", name=call)
    expect("missing.pt" in out["message"], Msg("cmp.number", got=repr(out["message"][:200]),
                                               expected="a message naming missing.pt"),
           hint="hint.ex07_missing", name=call)


def expect_clear_error(out, name, call):
    expect(out["raised"], Msg("cmp.number", got="no exception", expected="an error naming the file"),
           hint="hint.ex07_corrupt", name=call)
    expect(name in out["message"], Msg("cmp.number", got=f"{out['type']}: {out['message'][:200]!r}",
                                       expected=f"an error whose message names {name}"),
           hint="hint.ex07_corrupt", name=call)


@check("ex07", "load_checkpoint", 1, en="a corrupt file (garbage bytes) raises an error naming the path",
       zh="损坏的文件（乱码字节）会抛出指明路径的错误", in_process="the exception load_checkpoint raises")
def test_load_checkpoint_corrupt_file(sub):
    given = "ckpt_public/garbage.pt"
    out = load_failure(sub, given, "garbage", seed=41)
    expect_clear_error(out, "garbage.pt", f"load_checkpoint('{given}', model)")


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
    expect(not ran, Msg("cmp.number", got="the code inside the file ran", expected="torch.load refusing the file"),
           hint="hint.ex07_weights_only", name=call)
    expect(out["raised"], Msg("cmp.number", got=f"no exception, returned {out['returned']!r}"[:160],
                              expected="an error: the file holds an arbitrary Python object"),
           hint="hint.ex07_weights_only", name=call)
    found = unsafe_loading(sub.files.get(f"{MODULE}.py", b""))
    expect(not found, Msg("cmp.number", got=f"{MODULE}.py uses {found}", expected="torch.load(..., weights_only=True)"),
           hint="hint.ex07_weights_only", name=call)


@check("ex07", "load_checkpoint", 1, en="a checkpoint holding an arbitrary pickled object is refused "
       "(weights_only=True): load raises and the object's code never runs",
       zh="含有任意 pickle 对象的检查点会被拒绝（weights_only=True）：加载时抛出异常，对象中的代码不会执行",
       in_process="the exception load_checkpoint raises")
def test_load_checkpoint_weights_only(sub):
    given = "ckpt_public/untrusted.pt"
    out = load_failure(sub, given, "payload", seed=42)
    expect_refused(sub, out, given, f"load_checkpoint('{given}', model)")


# --- export_model / load_model -----------------------------------------------------------------
def export_state(seed):
    return ref.Net(5, 12, 4, dropout=0.5, seed=seed).state_dict()


def check_export(sub, given, seed):
    """export_model with the grader's weights: at the path given, returned as a Path, model.state_dict() alone."""
    state = export_state(seed)
    out = probe(sub, "export_run", "export_model", path=given, model_state=state)
    expect_returned_path(out["returned"], given, "export_model", "hint.ex07_export")
    obj = load_file(read_file(sub, given, "export_model", "hint.ex07_export"), given, "export_model",
                    "hint.ex07_export")
    expect(isinstance(obj, dict) and list(map(str, obj)) == list(state) and ref.equal(obj, state),
           Msg("cmp.number", got=sorted(map(str, obj)) if isinstance(obj, dict) else type(obj).__name__,
               expected=f"model.state_dict() with keys {list(state)}"), hint="hint.ex07_export", name=given)


def check_load_model(sub, given, seed):
    """load_model on a state_dict file the grader wrote: a module in eval mode whose outputs equal
    those of the grader's own model with those weights."""
    model = ref.Net(5, 12, 4, dropout=0.5, seed=seed)
    x, _ = ref.make_data(9, 5, 4, seed + 3)
    model.eval()
    with torch.no_grad():
        expected = model(x)
    data = ref.save_bytes(model.state_dict())
    out = probe(sub, "load_model_run", "load_model", path=given, data=ref.as_tensor(data), x=x,
                factory_seed=seed + 50)
    expect(out["is_module"], Msg("cmp.type", expected="nn.Module", got=out["type"]),
           hint="hint.ex07_load_model", name="load_model(...)")
    expect(out["training"] is False, Msg("cmp.number", got="model.training == True", expected="eval mode"),
           hint="hint.ex07_load_model_eval", name="load_model(...)")
    for key in ("got", "got_again"):
        expect_close(out[key], expected, hint="hint.ex07_load_model", name="load_model(...)(x)", atol=1e-6, rtol=1e-5)


@check("ex07", "export_model", 0.5, en="export_model writes model.state_dict() (loadable with weights_only=True) "
       "at the path given and returns it as a Path",
       zh="export_model 在给定路径写出 model.state_dict()（可用 weights_only=True 加载），并以 Path 返回该路径")
def test_export_model(sub):
    check_export(sub, "export_public.pt", seed=4)


@check("ex07", "load_model", 1, en="load_model rebuilds the model from a state_dict file: eval mode, identical "
       "outputs", zh="load_model 从 state_dict 文件重建模型：处于 eval 模式，输出完全一致")
def test_load_model(sub):
    check_load_model(sub, "state_dict_public.pt", seed=6)


# --- the rules of the docstrings, each on visible data ------------------------------------------
RESUME_HINTS = (("model", "hint.ex07_load_model"), ("optimizer", "hint.ex07_optimizer_state"),
                ("scheduler", "hint.ex07_scheduler_state"), ("rng", "hint.ex07_rng"))


@check("ex07", "load_checkpoint", 1, en="resuming is exact: 2 epochs, save, fresh objects, load, 2 more epochs "
       "equal 4 epochs straight (dropout and shuffling use the global RNG state, which load_checkpoint restores)",
       zh="恢复训练完全一致：训练 2 个 epoch、保存、新建对象、加载、再训练 2 个 epoch，与直接训练 4 个 epoch 相同"
          "（dropout 和打乱顺序使用全局随机数状态，load_checkpoint 会恢复它）")
def test_resume_is_exact_public(sub):
    run = {"lr": 0.03, "n": 40, "data_seed": 21}
    old = chosen("adam", 15, 2, epoch=2, **run)
    new = chosen("adam", 115, 2, epoch=2, extra_epochs=2, **run)  # the grader's straight run: 4 epochs
    out = restore(sub, "resume_public/last.pt", old, new, True, after=2, fresh_seed=8, **run)
    hint = "hint.ex07_resume"
    restored = {"model": ref.same_weights(out["model"], new["model"]),
                "optimizer": ref.equal(out["optimizer"], new["optimizer"]),
                "scheduler": ref.equal(out["scheduler"], new["scheduler"]), "rng": ref.equal(out["rng"], new["rng"])}
    for part, part_hint in RESUME_HINTS:
        if not restored[part]:
            hint = part_hint
            break
    expect_params(out.get("resumed"), new["straight"], hint, "after 2 + 2 epochs", atol=1e-6, rtol=1e-5)
    expect_info(out["info"], {"epoch": 2}, "load_checkpoint(...)")


@check("ex07", "save_checkpoint", 0.5, en="the write is atomic (a temporary file, then os.replace): a save that fails "
       "halfway leaves the previous checkpoint byte for byte",
       zh="写入是原子的（先写临时文件，再 os.replace）：中途失败的保存会让之前的检查点一个字节都不变",
       in_process="the pickling error reaching the caller")
def test_save_checkpoint_atomic_public(sub):
    given = "atomic_public/last.pt"
    first = chosen("momentum", 23, 1, epoch=1)
    out = probe(sub, "atomic_save", "save_checkpoint", path=given, model_state=first["model"], epoch=1)
    not_implemented(out, "save_checkpoint")
    before = read_file(sub, given, "save_checkpoint", "hint.ex07_save_path")
    obj = ref.load_bytes(before) if before else None
    expect(obj is not None and ref.find(obj, first["model"]),
           Msg("cmp.number", got="not in the file", expected="model.state_dict() at the save"),
           hint="hint.ex07_save_contents", name=f"save_checkpoint('{given}', model, epoch=1)")
    second = chosen("momentum", 24, 1, epoch=2)
    out = probe(sub, "atomic_save", "save_checkpoint", path=given, model_state=second["model"], epoch=2, crash=True)
    not_implemented(out, "save_checkpoint")
    call = f"save_checkpoint('{given}', model, epoch=2, crash=<an object whose pickling fails>)"
    expect(out["raised"], Msg("cmp.number", got="no exception", expected="the pickling error"),
           hint="hint.ex07_atomic_raise", name=call)
    try:
        after = worker_files.read_bytes(sub.folder.work, given, limit=ref.FILE_LIMIT)
    except worker_files.UnsafeFile as exc:
        after, gone = None, exc.reason
    expect(after == before, Msg("cmp.number", got=f"{len(after)} bytes, changed" if after is not None
                                else f"the file is {gone}", expected=f"the previous {len(before)} bytes"),
           hint="hint.ex07_atomic", name=call)
