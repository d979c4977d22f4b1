HINTS = {
    "hint.ex05_device_type": {
        "en": "return a torch.device, not a string: torch.device('cpu'), torch.device(prefer), ...",
        "zh": "请返回 torch.device，而不是字符串：torch.device('cpu')、torch.device(prefer) 等。",
    },
    "hint.ex05_device_auto": {
        "en": "with prefer=None, ask the machine: torch.cuda.is_available() first, then "
              "torch.backends.mps.is_available(), else cpu. Never hard-code 'cuda': most laptops have no NVIDIA GPU.",
        "zh": "prefer=None 时要询问机器：先看 torch.cuda.is_available()，再看 torch.backends.mps.is_available()，"
              "都没有就用 cpu。不要写死 'cuda'：大多数笔记本没有 NVIDIA GPU。",
    },
    "hint.ex05_device_explicit": {
        "en": "an explicit device that is available is returned as asked: get_device('cpu') is torch.device('cpu').",
        "zh": "显式指定且可用的设备要原样返回：get_device('cpu') 应为 torch.device('cpu')。",
    },
    "hint.ex05_device_fallback": {
        "en": "an explicit device that is not available here falls back to the CPU with "
              "warnings.warn(..., UserWarning): check torch.cuda.is_available() (or mps) before returning it, "
              "and do not raise.",
        "zh": "显式指定但本机不可用的设备要退回 CPU，并用 warnings.warn(..., UserWarning) 警告："
              "返回之前先检查 torch.cuda.is_available()（或 mps），不要抛出异常。",
    },
    "hint.ex05_move_recursive": {
        "en": "move_to must recurse: for a dict move every value, for a list or tuple every item, at any depth; "
              "only tensors and modules are moved with .to(device).",
        "zh": "move_to 需要递归：dict 要处理每个值，list 和 tuple 要处理每个元素，任意嵌套深度都要处理；"
              "只有张量和模块用 .to(device) 移动。",
    },
    "hint.ex05_move_return_value": {
        "en": "use what .to(device) returns: Tensor.to gives a NEW tensor and leaves the original where it was, "
              "so return t.to(device), not t after calling t.to(device).",
        "zh": "请使用 .to(device) 的返回值：Tensor.to 会返回一个新张量，原张量留在原处，"
              "所以要返回 t.to(device)，而不是调用 t.to(device) 之后再返回 t。",
    },
    "hint.ex05_move_containers": {
        "en": "keep the container types (a tuple stays a tuple, a list a list, a dict a dict) and return every "
              "other value (numbers, strings, None, other objects) unchanged, the very same object.",
        "zh": "保持容器类型不变（tuple 还是 tuple，list 还是 list，dict 还是 dict），"
              "其他值（数字、字符串、None、其他对象）原样返回，必须是同一个对象。",
    },
    "hint.ex05_move_module": {
        "en": "an nn.Module inside the structure is moved too: module.to(device) moves its parameters and buffers "
              "and returns the same module.",
        "zh": "结构中的 nn.Module 也要移动：module.to(device) 会移动它的参数和缓冲区，并返回同一个模块。",
    },
    "hint.ex05_to_numpy": {
        "en": "t.numpy() fails on a tensor that requires grad and on a GPU tensor: use t.detach().cpu().numpy().",
        "zh": "对需要梯度的张量或 GPU 上的张量直接调用 t.numpy() 会失败：请用 t.detach().cpu().numpy()。",
    },
    "hint.ex05_fit_iris_return": {
        "en": "return {'model': the trained MLP(4, [16], 3), 'history': the dict that fit returns}, with one entry "
              "per epoch in every history list.",
        "zh": "请返回 {'model': 训练好的 MLP(4, [16], 3), 'history': fit 返回的字典}，"
              "history 的每个列表每个 epoch 一项。",
    },
    "hint.ex05_fit_iris_device": {
        "en": "put the model on the device (model.to(device)) before creating the optimizer, and pass device=device "
              "to fit so that every batch is moved there too.",
        "zh": "先把模型放到设备上（model.to(device)）再创建优化器，并把 device=device 传给 fit，"
              "这样每个批量也会被移到该设备。",
    },
    "hint.ex05_fit_iris_seed": {
        "en": "call torch.manual_seed(seed) before building the model and pass seed to make_loaders: the same seed "
              "must give the same run, another seed another run.",
        "zh": "构建模型之前调用 torch.manual_seed(seed)，并把 seed 传给 make_loaders："
              "相同的种子必须得到相同的训练过程，不同的种子得到不同的过程。",
    },
    "hint.ex05_fit_iris_learns": {
        "en": "training on iris should reach a high validation accuracy: scale with the TRAIN statistics, use "
              "nn.CrossEntropyLoss on logits and Adam with lr=0.01.",
        "zh": "在 iris 上训练后验证准确率应该很高：用训练集的统计量做缩放，在 logits 上用 nn.CrossEntropyLoss，"
              "优化器用 lr=0.01 的 Adam。",
    },
    "hint.ex05_fit_iris_history": {
        "en": "return the model that was trained and the history fit gave while training it: its last val_loss and "
              "val_acc must be what that model gives on the validation split (scaled with the TRAIN statistics).",
        "zh": "请返回训练过的那个模型，以及训练它时 fit 给出的 history：history 最后一个 epoch 的 val_loss 和 val_acc "
              "必须与这个模型在验证集（用训练集统计量缩放）上的结果一致。",
    },
    # --- words shown as got or expected (cmp.* parameters; see catalog.py) ---
    "value.ex05_mlp": {
        "en": "MLP(4, [16], 3): Linear layers from 4 features to 3 classes",
        "zh": "MLP(4, [16], 3)：从 4 个特征到 3 个类别的 Linear 层",
    },
    "value.ex05_val_metrics": {
        "en": "what the returned model gives on the validation split: val_loss {loss:.4g}, val_acc {acc:.4g}",
        "zh": "返回的模型在验证集上的结果：val_loss {loss:.4g}，val_acc {acc:.4g}",
    },
    "value.ex05_same_keys": {"en": "a dict with the same keys", "zh": "键相同的 dict"},
    "value.ex05_on_meta": {"en": "a tensor on meta", "zh": "位于 `meta` 设备上的张量"},
    "value.ex05_of_types": {"en": "{outer} of ({inner})", "zh": "{outer}，其元素类型为 ({inner})"},
    "value.ex05_moved": {"en": "{count} batches moved to {devices}", "zh": "{count} 个批次被移动到 {devices}"},
    "value.ex05_every_moved": {"en": "every batch moved to {device}", "zh": "每个批次都被移动到 {device}"},
    "value.ex05_two_models": {"en": "two different models", "zh": "两个不同的模型"},
    "value.ex05_same_twice": {"en": "the same model twice", "zh": "两次得到相同的模型"},
    "value.ex05_same_model": {"en": "the same model", "zh": "相同的模型"},
    "value.ex05_another_model": {"en": "another model", "zh": "不同的模型"},
    "value.ex05_loss_acc": {
        "en": "loss {first:.3g} -> {last:.3g}, the returned model's val accuracy {acc:.3f}",
        "zh": "损失 {first:.3g} -> {last:.3g}，返回的模型在验证集上的准确率为 {acc:.3f}",
    },
    "value.ex05_falling_acc": {"en": "a falling loss and val accuracy >= {acc}", "zh": "下降的损失，且验证集准确率 >= {acc}"},
    "value.ex05_val_loss": {"en": "the returned model's validation loss {loss:.3g}", "zh": "返回的模型在验证集上的损失为 {loss:.3g}"},
    "value.ex05_below": {"en": "below {limit} after {epochs} epochs", "zh": "{epochs} 个 epoch 后低于 {limit}"},
    "label.ex05_after_last_epoch": {"en": "{what} after the last epoch", "zh": "最后一个 epoch 之后的 {what}"},
    "label.ex05_type_of": {"en": "type of {what}", "zh": "{what} 的类型"},
}
