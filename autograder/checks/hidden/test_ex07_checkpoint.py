"""Hidden checks for ex07: the behaviours SPEC.md states for checkpoints.

Other paths, seeds and optimizers than the public checks, plus the two
promises that need a whole scenario: an exact resume (dropout and the order
drawn from the global RNG, Adam, a scheduler), compared with the grader's own
straight run, and an atomic write (a save that fails halfway must leave the
previous checkpoint untouched, byte for byte as the grader read it).
"""
from ...feedback.catalog import Msg
from ..api import check
from ..helpers.ex07 import (
    check_export,
    check_load_model,
    chosen,
    expect_atomic_save,
    expect_clear_error,
    expect_info,
    expect_missing_file,
    expect_params,
    expect_refused,
    expect_restored,
    expect_returned_path,
    expect_saved,
    load_failure,
    restore,
    resume_hint,
    send_save,
)


@check("ex07", "save_checkpoint", 1, en="save_checkpoint creates three missing folder levels, returns the Path, and "
       "the file holds the model, Adam's state, the scheduler, the epoch and the RNG state",
       zh="save_checkpoint 会创建三层缺失的目录并返回 Path，文件中包含模型、Adam 的状态、调度器、epoch 和随机数状态")
def test_save_checkpoint_nested_folders(sub):
    given = "experiments/iris/run_3/epoch_12.pt"
    states = chosen("adam", 11, 3, epoch=12, rng_seed=11)
    out = send_save(sub, given, states, True)
    expect_saved(sub, given, states, True)
    expect_returned_path(out["returned"], given, "save_checkpoint", "hint.ex07_save_path")


@check("ex07", "load_checkpoint", 2, en="load_checkpoint restores the model, Adam's state and the scheduler, and "
       "returns the epoch with every extra value",
       zh="load_checkpoint 恢复模型、Adam 的状态和调度器，并返回 epoch 和所有额外的值")
def test_load_checkpoint_restores_everything(sub):
    old = chosen("adam", 12, 2, epoch=6, extra={"best_acc": 0.5, "tag": "draft", "losses": [1.2, 1.1], "step": 20},
                 rng_seed=12)
    extra = {"best_acc": 0.75, "tag": "hidden", "losses": [0.9, 0.5], "step": 40}
    new = chosen("adam", 412, 4, epoch=11, extra=extra, rng_seed=412)
    out = restore(sub, "ckpt_hidden/adam.pt", old, new, True)
    expect_restored(out, new, {"epoch": 11, **extra}, with_optimizer=True)


@check("ex07", "load_checkpoint", 1, en="a missing file in a missing folder raises FileNotFoundError naming the path",
       zh="不存在的目录中的不存在文件会抛出 FileNotFoundError，并指明路径",
       in_process="the exception load_checkpoint raises")
def test_load_checkpoint_missing_file_hidden(sub):
    given = "no_such_run/deeper/best_model.pt"
    out = load_failure(sub, given, "missing", seed=43)
    expect_missing_file(out, "best_model.pt", f"load_checkpoint('{given}', model)")


@check("ex07", "load_checkpoint", 1, en="a truncated checkpoint raises an error naming the path",
       zh="被截断的检查点会抛出指明路径的错误", in_process="the exception load_checkpoint raises")
def test_load_checkpoint_truncated_file(sub):
    given = "ckpt_hidden/truncated_ckpt.pt"
    out = load_failure(sub, given, "truncated", seed=44)
    expect_clear_error(out, "truncated_ckpt.pt", f"load_checkpoint('{given}', model)")


@check("ex07", "load_checkpoint", 1, en="a checkpoint whose extra values hold an arbitrary object is refused: "
       "its code never runs", zh="extra 中含有任意对象的检查点会被拒绝：其中的代码不会执行",
       in_process="the exception load_checkpoint raises")
def test_load_checkpoint_weights_only_hidden(sub):
    given = "downloads/shared_by_a_stranger.pt"
    out = load_failure(sub, given, "payload", seed=45)
    expect_refused(sub, out, given, f"load_checkpoint('{given}', model)")


@check("ex07", "load_checkpoint", 2, en="resuming is exact: 2 epochs, save, fresh objects, load, 2 more epochs "
       "equal 4 epochs straight (dropout, Adam, StepLR)",
       zh="恢复训练完全一致：训练 2 个 epoch、保存、新建对象、加载、再训练 2 个 epoch，与直接训练 4 个 epoch 相同"
          "（dropout、Adam、StepLR）")
def test_resume_is_exact(sub):
    run = {"lr": 0.02, "n": 48, "data_seed": 20}
    old = chosen("adam", 13, 2, epoch=2, **run)
    new = chosen("adam", 113, 2, epoch=2, extra_epochs=2, **run)  # the grader's straight run: 4 epochs
    out = restore(sub, "resume_hidden/last.pt", old, new, True, after=2, fresh_seed=9, **run)
    hint = resume_hint(out, new)
    expect_params(out.get("resumed"), new["straight"], hint, Msg("label.ex07_after_resume"), atol=1e-6, rtol=1e-5)
    expect_info(out["info"], {"epoch": 2}, "load_checkpoint(...)")


@check("ex07", "save_checkpoint", 1, en="the write is atomic: a save that fails halfway leaves the previous "
       "checkpoint byte for byte", zh="写入是原子的：中途失败的保存会让之前的检查点一个字节都不变",
       in_process="the pickling error reaching the caller")
def test_save_checkpoint_atomic(sub):
    expect_atomic_save(sub, "atomic_hidden/last.pt", 21, 22)


@check("ex07", "export_model", 1, en="export_model / load_model round trip: eval mode, identical outputs",
       zh="export_model / load_model 往返：eval 模式，输出完全一致")
def test_export_and_load_model_hidden(sub):
    check_export(sub, "exported_digits_mlp.pt", 14)
    check_load_model(sub, "exported_digits_mlp_reloaded.pt", 64)
