HINTS = {
    "hint.ex07_save_path": {
        "en": "create the parent folders first (Path(path).parent.mkdir(parents=True, exist_ok=True)) and return "
              "Path(path).",
        "zh": "先创建父目录（Path(path).parent.mkdir(parents=True, exist_ok=True)），并返回 Path(path)。",
    },
    "hint.ex07_load_model": {
        "en": "save model.state_dict() and restore it with model.load_state_dict(state['model']) into the model you "
              "are given (do not build a new one).",
        "zh": "保存 model.state_dict()，加载时用 model.load_state_dict(state['model']) 恢复到传入的模型中"
              "（不要新建模型）。",
    },
    "hint.ex07_load_return": {
        "en": "keep the extra keyword arguments in the checkpoint and return {{'epoch': epoch, **extra}}: exactly the "
              "epoch and the extra values, nothing else.",
        "zh": "把额外的关键字参数存进检查点，并返回 {{'epoch': epoch, **extra}}：只包含 epoch 和额外的值，不要多也不要少。",
    },
    "hint.ex07_optimizer_state": {
        "en": "save the optimizer's state_dict too and load it with optimizer.load_state_dict(...), or momentum "
              "(and Adam's running averages) restart from zero.",
        "zh": "也要保存优化器的 state_dict，并用 optimizer.load_state_dict(...) 恢复，否则动量"
              "（以及 Adam 的滑动平均）会从零重新开始。",
    },
    "hint.ex07_scheduler_state": {
        "en": "save scheduler.state_dict() and restore it with scheduler.load_state_dict(...), or the schedule "
              "starts again from its first epoch.",
        "zh": "保存 scheduler.state_dict() 并用 scheduler.load_state_dict(...) 恢复，否则学习率调度会从第一个 epoch 重新开始。",
    },
    "hint.ex07_rng": {
        "en": "restore the RNG state: save torch.get_rng_state() in the checkpoint and call torch.set_rng_state(...) "
              "when loading, so dropout and shuffling continue the same random stream.",
        "zh": "恢复随机数状态：在检查点里保存 torch.get_rng_state()，加载时调用 torch.set_rng_state(...)，"
              "这样 dropout 和打乱顺序才会沿用同一个随机数序列。",
    },
    "hint.ex07_resume": {
        "en": "resuming must continue exactly: restore the weights, the optimizer, the scheduler and the torch RNG "
              "state, and change nothing else (no re-initialisation, no extra random draws while saving or loading).",
        "zh": "恢复训练必须完全一致：恢复权重、优化器、调度器和 torch 随机数状态，其余什么都不要改变"
              "（不要重新初始化，保存或加载时也不要额外抽取随机数）。",
    },
    "hint.ex07_missing": {
        "en": "check that the file exists first and raise FileNotFoundError with a message that names the path.",
        "zh": "先检查文件是否存在，不存在时抛出 FileNotFoundError，并在消息中写出路径。",
    },
    "hint.ex07_corrupt": {
        "en": "wrap torch.load in try/except and raise a clear error whose message names the path, e.g. "
              "raise RuntimeError(f'cannot load checkpoint {{path}}: ...') from err.",
        "zh": "用 try/except 包住 torch.load，并抛出消息中写明路径的清晰错误，例如 "
              "`raise RuntimeError(f'cannot load checkpoint {{path}}: ...') from err`。",
    },
    "hint.ex07_weights_only": {
        "en": "load with torch.load(path, map_location=..., weights_only=True): unpickling an untrusted file without "
              "it can run any code; weights_only refuses everything but tensors and plain containers.",
        "zh": "请用 torch.load(path, map_location=..., weights_only=True) 加载：不加它时反序列化不可信的文件可能执行任意代码；"
              "weights_only 只接受张量和普通容器，拒绝其他一切。",
    },
    "hint.ex07_atomic": {
        "en": "write to a temporary file in the same folder and os.replace it onto the path: torch.save(path) writes "
              "in place, so a crash halfway destroys the previous checkpoint.",
        "zh": "先写到同一目录下的临时文件，再用 os.replace 替换到目标路径：torch.save(path) 是原地写入，"
              "中途崩溃会毁掉之前的检查点。",
    },
    "hint.ex07_atomic_raise": {
        "en": "when writing the checkpoint fails, let the error propagate (delete the temporary file and re-raise): "
              "the caller must know the save did not happen.",
        "zh": "写检查点失败时要让异常继续抛出（删除临时文件后重新抛出）：调用者必须知道保存没有成功。",
    },
    "hint.ex07_export": {
        "en": "export_model saves model.state_dict() alone (not the module object, not a checkpoint dict) at the "
              "path given and returns Path(path).",
        "zh": "export_model 只保存 model.state_dict()（不是模块对象，也不是检查点字典），保存到给定路径并返回 Path(path)。",
    },
    "hint.ex07_load_model_eval": {
        "en": "call model.eval() before returning from load_model: the model is for prediction, so dropout must be off.",
        "zh": "load_model 返回之前要调用 model.eval()：模型用于预测，dropout 必须关闭。",
    },
    "hint.ex07_save_contents": {
        "en": "the checkpoint file must hold, loadable with torch.load(weights_only=True): model.state_dict(), the "
              "optimizer's and the scheduler's state_dict() when given, the epoch, every extra value and "
              "torch.get_rng_state(), as they are at the moment of the save.",
        "zh": "检查点文件必须能用 torch.load(weights_only=True) 读出，并包含保存那一刻的 model.state_dict()、"
              "（传入时）优化器和调度器的 state_dict()、epoch、所有额外的值以及 torch.get_rng_state()。",
    },
    "hint.ex07_file_unsafe": {
        "en": "write a regular file at the path given (not a link, not a folder), of a reasonable size.",
        "zh": "请在给定路径写出一个普通文件（不是链接，也不是目录），大小要合理。",
    },
    # --- words shown as got or expected (cmp.* parameters; see catalog.py) ---
    "value.ex07_file_at": {"en": "a file at {path}", "zh": "位于 {path} 的文件"},
    "value.ex07_regular_file": {"en": "a regular file at {path}", "zh": "位于 {path} 的普通文件"},
    "value.ex07_load_fails": {
        "en": "torch.load(weights_only=True) fails ({exc})",
        "zh": "torch.load(weights_only=True) 失败（{exc}）",
    },
    "value.ex07_loadable": {
        "en": "a file torch.load(weights_only=True) reads",
        "zh": "torch.load(weights_only=True) 能读取的文件",
    },
    "value.ex07_missing_state": {"en": "a checkpoint without every state", "zh": "缺少部分状态的检查点"},
    "value.ex07_every_state": {"en": "every state given to save_checkpoint", "zh": "传给 save_checkpoint 的全部状态"},
    "value.ex07_other_optimizer": {"en": "another optimizer state", "zh": "不同的优化器状态"},
    "value.ex07_saved_optimizer": {
        "en": "the checkpoint's optimizer.state_dict()",
        "zh": "检查点中保存的 optimizer.state_dict()",
    },
    "value.ex07_error_naming": {"en": "an error naming the file", "zh": "指出该文件的错误"},
    "value.ex07_message_names": {"en": "an error whose message names {name}", "zh": "错误信息中提到 {name} 的错误"},
    "value.ex07_code_ran": {"en": "the code inside the file ran", "zh": "文件中的代码被执行了"},
    "value.ex07_refused": {"en": "torch.load refusing the file", "zh": "torch.load 拒绝加载该文件"},
    "value.ex07_returned": {"en": "no exception, returned {value}", "zh": "没有抛出异常，返回了 {value}"},
    "value.ex07_arbitrary": {
        "en": "an error: the file holds an arbitrary Python object",
        "zh": "抛出错误：该文件保存的是任意的 Python 对象",
    },
    "value.ex07_uses": {"en": "{module}.py uses {found}", "zh": "{module}.py 使用了 {found}"},
    "value.ex07_state_keys": {"en": "model.state_dict() with keys {keys}", "zh": "键为 {keys} 的 model.state_dict()"},
    "value.ex07_eval_mode": {"en": "eval mode", "zh": "eval 模式"},
    "value.ex07_pickling": {"en": "the pickling error", "zh": "`pickle` 序列化时的错误"},
    "value.ex07_changed": {"en": "{size} bytes, changed", "zh": "{size} 字节，已被改动"},
    "value.ex07_gone": {"en": "the file is {reason}", "zh": "文件状态：{reason}"},
    "value.ex07_previous": {"en": "the previous {size} bytes", "zh": "原来的 {size} 字节"},
    "label.ex07_save_then": {"en": "{save}, then {func}", "zh": "先 {save}，再 {func}"},
    "label.ex07_entry": {"en": "{what}: {entry}", "zh": "{what} 中的 {entry}"},
    "label.ex07_after_resume": {"en": "after 2 + 2 epochs", "zh": "2 + 2 个 epoch 之后"},
}
