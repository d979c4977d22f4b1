"""Public checks for ex07: saving and loading checkpoints, exporting a model.

The objects (a small model with dropout, its optimizer and scheduler) are
built in the worker by ``probes_ex06_08``; the files land in the worker's
writable folder, which the grader reads back as ``sub.folder.work``.
"""
from pathlib import Path, PurePosixPath

import torch

from ...engine.client import StudentError
from ...feedback.catalog import Msg
from ..api import run_probe, check, expect, expect_close, fail, raised

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


def expect_file(sub, given, func, hint):
    file = sub.folder.work / given
    expect(file.is_file() and file.stat().st_size > 0,
           Msg("cmp.number", got="no file", expected=f"a file at {given}"), hint=hint, name=f"{func}('{given}', ...)")
    return file


def expect_params(got: dict, expected: dict, hint, what):
    expect(set(got) == set(expected), Msg("cmp.number", got=sorted(got), expected=sorted(expected)), hint=hint,
           name=what)
    for key, value in expected.items():
        expect_close(got[key], value, hint=hint, name=f"{what}: {key}", atol=0.0, rtol=0.0)


def expect_info(info, expected: dict, func):
    expect(isinstance(info, dict), Msg("cmp.type", expected="dict", got=type(info).__name__),
           hint="hint.ex07_load_return", name=func)
    expect(info == expected, Msg("cmp.number", got=repr(info)[:160], expected=repr(expected)),
           hint="hint.ex07_load_return", name=func)


def saved(sub, func, **kwargs):
    """probes_ex06_08.checkpoint_roundtrip; a save that fails on a missing folder points to the parent folders."""
    try:
        return probe(sub, "checkpoint_roundtrip", func, **kwargs)
    except StudentError as exc:
        missing = exc.info.get("type") == "FileNotFoundError" or "No such file" in exc.info.get("message", "")
        if not missing:
            raise
        raised(exc, func, "hint.ex07_save_path")


@check("ex07", "save_checkpoint", 1, en="save_checkpoint creates missing parent folders and returns the Path",
       zh="save_checkpoint 会创建缺失的父目录，并返回 Path")
def test_save_checkpoint_creates_folders(sub):
    given = "runs/public/last.pt"
    out = saved(sub, "save_checkpoint", path=given, seed=1, epoch=3)
    expect_file(sub, given, "save_checkpoint", "hint.ex07_save_path")
    expect_returned_path(out["returned"], given, "save_checkpoint", "hint.ex07_save_path")


@check("ex07", "load_checkpoint", 2, en="load_checkpoint restores the model's weights and returns "
       "{'epoch': 7, 'best_acc': 0.9, 'note': 'hello'}",
       zh="load_checkpoint 恢复模型权重，并返回 {'epoch': 7, 'best_acc': 0.9, 'note': 'hello'}")
def test_load_checkpoint_restores_model(sub):
    out = probe(sub, "checkpoint_roundtrip", "load_checkpoint", path="ckpt_public/model.pt", seed=2, epoch=7,
                extra={"best_acc": 0.9, "note": "hello"})
    expect_params(out["loaded"], out["saved"], "hint.ex07_load_model", "model after load_checkpoint")
    expect_info(out["info"], {"epoch": 7, "best_acc": 0.9, "note": "hello"}, "load_checkpoint(...)")


def expect_optimizer_restored(out, hint_opt, hint_sched):
    saved, loaded = out["opt_saved"], out["opt_loaded"]
    expect(set(loaded["state"]) == set(saved["state"]) and all(set(loaded["state"][k]) == set(saved["state"][k])
                                                                for k in saved["state"]),
           Msg("cmp.number", got=f"state of {len(loaded['state'])} parameter(s)",
               expected=f"state of {len(saved['state'])} parameter(s)"), hint=hint_opt, name="optimizer state")
    for k, entries in saved["state"].items():
        for name, value in entries.items():
            got = loaded["state"][k][name]
            if isinstance(value, torch.Tensor):
                expect_close(got, value, hint=hint_opt, name=f"optimizer state[{k}]['{name}']", atol=0.0, rtol=0.0)
            else:
                expect(got == value, Msg("cmp.number", got=got, expected=value), hint=hint_opt,
                       name=f"optimizer state[{k}]['{name}']")
    expect(out["sched_loaded"] == out["sched_saved"],
           Msg("cmp.number", got=out["sched_loaded"], expected=out["sched_saved"]), hint=hint_sched,
           name="scheduler (last_epoch, lr)")
    expect(loaded["lr"] == saved["lr"], Msg("cmp.number", got=loaded["lr"], expected=saved["lr"]), hint=hint_opt,
           name="optimizer.param_groups[0]['lr']")


@check("ex07", "load_checkpoint", 2, en="load_checkpoint restores the optimizer's momentum buffers and the "
       "scheduler's position", zh="load_checkpoint 恢复优化器的动量缓冲和调度器的进度")
def test_load_checkpoint_restores_optimizer_and_scheduler(sub):
    out = probe(sub, "checkpoint_roundtrip", "load_checkpoint", path="ckpt_public/full.pt", seed=3, epoch=3,
                with_optimizer=True, kind="momentum")
    expect_params(out["loaded"], out["saved"], "hint.ex07_load_model", "model after load_checkpoint")
    expect_optimizer_restored(out, "hint.ex07_optimizer_state", "hint.ex07_scheduler_state")
    expect_info(out["info"], {"epoch": 3}, "load_checkpoint(...)")


def load_failure(sub, path, prepare):
    out = probe(sub, "load_error", "load_checkpoint", path=path, prepare=prepare)
    not_implemented(out, "load_checkpoint")
    return out


@check("ex07", "load_checkpoint", 1, en="a missing file raises FileNotFoundError naming the path",
       zh="文件不存在时抛出 FileNotFoundError，并指明路径")
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
       zh="损坏的文件（乱码字节）会抛出指明路径的错误")
def test_load_checkpoint_corrupt_file(sub):
    given = "ckpt_public/garbage.pt"
    out = load_failure(sub, given, "garbage")
    expect_clear_error(out, "garbage.pt", f"load_checkpoint('{given}', model)")


def expect_refused(out, call):
    expect(not out["executed"], Msg("cmp.number", got="the code inside the file ran",
                                    expected="torch.load refusing the file"), hint="hint.ex07_weights_only", name=call)
    expect(out["raised"], Msg("cmp.number", got=f"no exception, returned {out['returned']!r}"[:160],
                              expected="an error: the file holds an arbitrary Python object"),
           hint="hint.ex07_weights_only", name=call)


@check("ex07", "load_checkpoint", 1, en="a checkpoint holding an arbitrary pickled object is refused "
       "(weights_only=True): load raises and the object's code never runs",
       zh="含有任意 pickle 对象的检查点会被拒绝（weights_only=True）：加载时抛出异常，对象中的代码不会执行")
def test_load_checkpoint_weights_only(sub):
    given = "ckpt_public/untrusted.pt"
    out = load_failure(sub, given, "payload")
    expect_refused(out, f"load_checkpoint('{given}', model)")


def check_export(sub, given, seed, out=None):
    """export_model's file: at the path given, returned as a Path, model.state_dict() alone.
    ``out``: what export_roundtrip already returned for this path and seed."""
    out = out or probe(sub, "export_roundtrip", "export_model", path=given, seed=seed, load=False)
    expect_returned_path(out["returned"], given, "export_model", "hint.ex07_export")
    file = expect_file(sub, given, "export_model", "hint.ex07_export")
    try:
        state = torch.load(file, map_location="cpu", weights_only=True)
    except Exception as exc:  # not a weights_only file
        fail(Msg("cmp.number", got=f"torch.load(weights_only=True) fails ({type(exc).__name__})",
                 expected="a state_dict"), hint="hint.ex07_export", name=given)
    expect(isinstance(state, dict) and list(map(str, state)) == out["keys"]
           and all(isinstance(v, torch.Tensor) for v in state.values()),
           Msg("cmp.number", got=sorted(map(str, state)) if isinstance(state, dict) else type(state).__name__,
               expected=f"model.state_dict() with keys {out['keys']}"), hint="hint.ex07_export", name=given)


def check_load_model(sub, given, seed, out=None):
    """load_model on a state_dict file (written by the grader, or by the student's export_model
    when ``out`` is export_roundtrip's round trip): a module in eval mode whose outputs equal the
    exported model's."""
    out = out or probe(sub, "export_roundtrip", "load_model", path=given, seed=seed, export="reference")
    error = out.get("load_error")
    if error:
        fail(Msg("raised", func="load_model", exc=error["type"], message=error["message"][:300]),
             hint="hint.ex07_load_model", name=f"load_model('{given}', factory)")
    expect(out["is_module"], Msg("cmp.type", expected="nn.Module", got="something else"),
           hint="hint.ex07_load_model", name="load_model(...)")
    expect(out["training"] is False, Msg("cmp.number", got="model.training == True", expected="eval mode"),
           hint="hint.ex07_load_model_eval", name="load_model(...)")
    expect_close(out["got"], out["expected"], hint="hint.ex07_load_model", name="load_model(...)(x)",
                 atol=1e-6, rtol=1e-5)


@check("ex07", "export_model", 1, en="export_model writes model.state_dict() (loadable with weights_only=True) "
       "at the path given and returns it as a Path",
       zh="export_model 在给定路径写出 model.state_dict()（可用 weights_only=True 加载），并以 Path 返回该路径")
def test_export_model(sub):
    check_export(sub, "export_public.pt", seed=4)


@check("ex07", "load_model", 1, en="load_model rebuilds the model from a state_dict file: eval mode, identical "
       "outputs", zh="load_model 从 state_dict 文件重建模型：处于 eval 模式，输出完全一致")
def test_load_model(sub):
    check_load_model(sub, "state_dict_public.pt", seed=6)
