"""Hidden checks for ex07: the behaviours SPEC.md states for checkpoints.

Other paths, seeds and optimizers than the public checks, plus the two
promises that need a whole scenario: an exact resume (dropout and the order
drawn from the global RNG, Adam, a scheduler) and an atomic write (a save that
fails halfway must leave the previous checkpoint untouched).
"""
from ...feedback.catalog import Msg
from ..api import check, expect, expect_close
from ..public.test_ex07_checkpoint import (check_export, check_load_model, expect_clear_error, expect_file,
                                           expect_info, expect_optimizer_restored, expect_params, expect_refused,
                                           expect_returned_path, load_failure, not_implemented, probe, saved)


@check("ex07", "save_checkpoint", 1, en="save_checkpoint creates three missing folder levels and returns the Path",
       zh="save_checkpoint 会创建三层缺失的目录，并返回 Path")
def test_save_checkpoint_nested_folders(sub):
    given = "experiments/iris/run_3/epoch_12.pt"
    out = saved(sub, "save_checkpoint", path=given, seed=11, epoch=12, with_optimizer=True, kind="adam")
    expect_file(sub, given, "save_checkpoint", "hint.ex07_save_path")
    expect_returned_path(out["returned"], given, "save_checkpoint", "hint.ex07_save_path")


@check("ex07", "load_checkpoint", 2, en="load_checkpoint restores the model, Adam's state and the scheduler, and "
       "returns the epoch with every extra value", zh="load_checkpoint 恢复模型、Adam 的状态和调度器，并返回 epoch 和所有额外的值")
def test_load_checkpoint_restores_everything(sub):
    extra = {"best_acc": 0.75, "tag": "hidden", "losses": [0.9, 0.5], "step": 40}
    out = probe(sub, "checkpoint_roundtrip", "load_checkpoint", path="ckpt_hidden/adam.pt", seed=12, epoch=11,
                extra=extra, with_optimizer=True, kind="adam", train_steps=4)
    expect_params(out["loaded"], out["saved"], "hint.ex07_load_model", "model after load_checkpoint")
    expect_optimizer_restored(out, "hint.ex07_optimizer_state", "hint.ex07_scheduler_state")
    expect_info(out["info"], {"epoch": 11, **extra}, "load_checkpoint(...)")


@check("ex07", "load_checkpoint", 1, en="a missing file in a missing folder raises FileNotFoundError naming the path",
       zh="不存在的目录中的不存在文件会抛出 FileNotFoundError，并指明路径")
def test_load_checkpoint_missing_file_hidden(sub):
    given = "no_such_run/deeper/best_model.pt"
    out = probe(sub, "load_error", "load_checkpoint", path=given, prepare="missing")
    not_implemented(out, "load_checkpoint")
    call = f"load_checkpoint('{given}', model)"
    expect(out["raised"], Msg("cmp.number", got="no exception", expected="FileNotFoundError"),
           hint="hint.ex07_missing", name=call)
    expect("FileNotFoundError" in out["mro"], Msg("cmp.type", expected="FileNotFoundError", got=out["type"]),
           hint="hint.ex07_missing", name=call)
    expect("best_model.pt" in out["message"], Msg("cmp.number", got=repr(out["message"][:200]),
                                                  expected="a message naming best_model.pt"),
           hint="hint.ex07_missing", name=call)


@check("ex07", "load_checkpoint", 1, en="a truncated checkpoint raises an error naming the path",
       zh="被截断的检查点会抛出指明路径的错误")
def test_load_checkpoint_truncated_file(sub):
    given = "ckpt_hidden/truncated_ckpt.pt"
    out = load_failure(sub, given, "truncated")
    expect_clear_error(out, "truncated_ckpt.pt", f"load_checkpoint('{given}', model)")


@check("ex07", "load_checkpoint", 1, en="a checkpoint whose extra values hold an arbitrary object is refused: "
       "its code never runs", zh="extra 中含有任意对象的检查点会被拒绝：其中的代码不会执行")
def test_load_checkpoint_weights_only_hidden(sub):
    given = "downloads/shared_by_a_stranger.pt"
    out = load_failure(sub, given, "payload")
    expect_refused(out, f"load_checkpoint('{given}', model)")


RESUME_HINTS = (("model", "hint.ex07_load_model"), ("optimizer", "hint.ex07_optimizer_state"),
                ("scheduler", "hint.ex07_scheduler_state"), ("rng", "hint.ex07_rng"))


@check("ex07", "load_checkpoint", 2, en="resuming is exact: 2 epochs, save, fresh objects, load, 2 more epochs "
       "equal 4 epochs straight (dropout, Adam, StepLR)",
       zh="恢复训练完全一致：训练 2 个 epoch、保存、新建对象、加载、再训练 2 个 epoch，与直接训练 4 个 epoch 相同"
          "（dropout、Adam、StepLR）")
def test_resume_is_exact(sub):
    out = probe(sub, "resume_run", "load_checkpoint", path="resume_hidden/last.pt", seed=13, before=2, after=2,
                kind="adam")
    hint = "hint.ex07_resume"
    for part, part_hint in RESUME_HINTS:
        if not out["restored"][part]:
            hint = part_hint
            break
    for key, expected in out["straight"].items():
        expect_close(out["resumed"].get(key), expected, hint=hint, name=f"{key} after 2 + 2 epochs", atol=1e-6,
                     rtol=1e-5)
    expect_info(out["info"], {"epoch": 2}, "load_checkpoint(...)")


@check("ex07", "save_checkpoint", 1, en="the write is atomic: a save that fails halfway leaves the previous "
       "checkpoint byte for byte", zh="写入是原子的：中途失败的保存会让之前的检查点一个字节都不变")
def test_save_checkpoint_atomic(sub):
    given = "atomic_hidden/last.pt"
    out = probe(sub, "atomic_run", "save_checkpoint", path=given)
    not_implemented(out, "save_checkpoint")
    call = f"save_checkpoint('{given}', model, epoch=2, crash=<an object whose pickling fails>)"
    expect(out["first_written"], Msg("cmp.number", got="no file", expected=f"a file at {given}"),
           hint="hint.ex07_save_path", name=f"save_checkpoint('{given}', model, epoch=1)")
    expect(out["raised"], Msg("cmp.number", got="no exception", expected="the pickling error"),
           hint="hint.ex07_atomic_raise", name=call)
    expect(out["unchanged"], Msg("cmp.number", got=f"{out['size_after']} bytes, changed" if out["exists_after"]
                                 else "the file is gone", expected=f"the previous {out['size_before']} bytes"),
           hint="hint.ex07_atomic", name=call)


@check("ex07", "export_model", 1, en="export_model / load_model round trip: eval mode, identical outputs",
       zh="export_model / load_model 往返：eval 模式，输出完全一致")
def test_export_and_load_model_hidden(sub):
    given = "exported_digits_mlp.pt"
    out = probe(sub, "export_roundtrip", "export_model", path=given, seed=14)  # the student's export, then load
    check_export(sub, given, 14, out)
    check_load_model(sub, given, 14, out)
