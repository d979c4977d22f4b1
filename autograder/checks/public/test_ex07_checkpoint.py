"""Public checks for ex07: saving and loading checkpoints, exporting a model.

Every state is chosen by the grader: it trains the small model with dropout
(``checks/reference/ex07.py``) in its own process and sends the states to the
worker, where ``probes_ex07`` loads them into objects and calls the
student's ``save_checkpoint`` / ``export_model``. The grader then reads the
file from the worker's folder itself (``engine.worker_files``: a regular file,
a byte cap, ``torch.load(weights_only=True)`` on the bytes) and looks for what
it sent, whatever the file's layout. ``load_checkpoint`` / ``load_model`` get a
file the grader wrote in that same layout holding OTHER states, which the
worker never received otherwise; what they restore is compared with the
grader's own numbers.
"""
from ...feedback.catalog import Msg
from ..api import check, curve
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
    expect_restored(out, new, {"epoch": 7, "best_acc": 0.9, "note": "hello"}, with_optimizer=False)


@check("ex07", "load_checkpoint", 1.5, en="load_checkpoint restores the optimizer's momentum buffers and the "
       "scheduler's position", zh="load_checkpoint 恢复优化器的动量缓冲和调度器的进度")
def test_load_checkpoint_restores_optimizer_and_scheduler(sub):
    old = chosen("momentum", 3, 3, epoch=31, rng_seed=3)
    new = chosen("momentum", 303, 2, epoch=3, rng_seed=303)
    out = restore(sub, "ckpt_public/full.pt", old, new, True)
    expect_restored(out, new, {"epoch": 3}, with_optimizer=True)


@check("ex07", "load_checkpoint", 1, en="a missing file raises FileNotFoundError naming the path",
       zh="文件不存在时抛出 FileNotFoundError，并指明路径", in_process="the exception load_checkpoint raises")
def test_load_checkpoint_missing_file(sub):
    given = "nowhere_public/missing.pt"
    out = load_failure(sub, given, "missing")
    expect_missing_file(out, "missing.pt", f"load_checkpoint('{given}', model)")


@check("ex07", "load_checkpoint", 1, en="a corrupt file (garbage bytes) raises an error naming the path",
       zh="损坏的文件（乱码字节）会抛出指明路径的错误", in_process="the exception load_checkpoint raises")
def test_load_checkpoint_corrupt_file(sub):
    given = "ckpt_public/garbage.pt"
    out = load_failure(sub, given, "garbage", seed=41)
    expect_clear_error(out, "garbage.pt", f"load_checkpoint('{given}', model)")


@check("ex07", "load_checkpoint", 1, en="a checkpoint holding an arbitrary pickled object is refused "
       "(weights_only=True): load raises and the object's code never runs",
       zh="含有任意 Python 对象（由 `pickle` 保存）的检查点会被拒绝（weights_only=True）："
          "加载时抛出异常，对象中的代码不会执行",
       in_process="the exception load_checkpoint raises")
def test_load_checkpoint_weights_only(sub):
    given = "ckpt_public/untrusted.pt"
    out = load_failure(sub, given, "payload", seed=42)
    expect_refused(sub, out, given, f"load_checkpoint('{given}', model)")


@check("ex07", "export_model", 0.5, en="export_model writes model.state_dict() (loadable with weights_only=True) "
       "at the path given and returns it as a Path",
       zh="export_model 在给定路径写出 model.state_dict()（可用 weights_only=True 加载），并以 Path 返回该路径")
def test_export_model(sub):
    check_export(sub, "export_public.pt", seed=4)


@check("ex07", "load_model", 1, en="load_model rebuilds the model from a state_dict file: eval mode, identical "
       "outputs", zh="load_model 从 state_dict 文件重建模型：处于 eval 模式，输出完全一致")
def test_load_model(sub):
    check_load_model(sub, "state_dict_public.pt", seed=6)


@check("ex07", "load_checkpoint", 1, en="resuming is exact: 2 epochs, save, fresh objects, load, 2 more epochs "
       "equal 4 epochs straight (dropout and shuffling use the global RNG state, which load_checkpoint restores)",
       zh="恢复训练完全一致：训练 2 个 epoch、保存、新建对象、加载、再训练 2 个 epoch，与直接训练 4 个 epoch 相同"
          "（dropout 和打乱顺序使用全局随机数状态，load_checkpoint 会恢复它）")
def test_resume_is_exact_public(sub):
    run = {"lr": 0.03, "n": 40, "data_seed": 21}
    old = chosen("adam", 15, 2, epoch=2, **run)
    new = chosen("adam", 115, 2, epoch=2, extra_epochs=2, **run)  # the grader's straight run: 4 epochs
    out = restore(sub, "resume_public/last.pt", old, new, True, after=2, fresh_seed=8, **run)
    hint = resume_hint(out, new)
    # the picture: the grader's 2 epochs before the save, then the student's 2 after the load, beside 4 straight
    resumed = out.get("resumed_losses") if isinstance(out.get("resumed_losses"), list) else []
    curve("2 epochs, save_checkpoint, load_checkpoint, 2 epochs",
          {"train_loss": new["losses"][:2] + resumed}, {"train_loss": new["losses"]})
    expect_params(out.get("resumed"), new["straight"], hint, Msg("label.ex07_after_resume"), atol=1e-6, rtol=1e-5)
    expect_info(out["info"], {"epoch": 2}, "load_checkpoint(...)")


@check("ex07", "save_checkpoint", 0.5, en="the write is atomic (a temporary file, then os.replace): a save that fails "
       "halfway leaves the previous checkpoint byte for byte",
       zh="写入是原子的（先写临时文件，再 os.replace）：中途失败的保存会让之前的检查点一个字节都不变",
       in_process="the pickling error reaching the caller")
def test_save_checkpoint_atomic_public(sub):
    expect_atomic_save(sub, "atomic_public/last.pt", 23, 24)
