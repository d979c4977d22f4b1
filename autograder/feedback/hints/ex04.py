HINTS = {
    "hint.ex04_return_float": {
        "en": "return a Python float: accumulate loss.item() (not the loss tensor, which keeps the whole graph alive).",
        "zh": "请返回 Python float：累加 loss.item()，而不是损失张量本身（张量会把整个计算图一直留在内存里）。",
    },
    "hint.ex04_weighted_mean": {
        "en": "weight each batch's mean loss by its size and divide by the number of samples: "
              "total += loss.item() * len(targets); the last batch is smaller, so a plain mean over batches is wrong.",
        "zh": "把每个批量的平均损失乘以该批量的样本数再累加，最后除以样本总数："
              "total += loss.item() * len(targets)；最后一个批量更小，直接对各批量取平均是错的。",
    },
    "hint.ex04_last_batch_loss": {
        "en": "this is the loss of the last batch only: return the loss of the whole epoch, accumulating "
              "loss.item() * len(targets) over every batch and dividing by the number of samples.",
        "zh": "这只是最后一个批量的损失：请返回整个 epoch 的损失，对每个批量累加 loss.item() * len(targets)，"
              "再除以样本总数。",
    },
    "hint.ex04_zero_grad": {
        "en": "call optimizer.zero_grad() every step: backward() ADDS to .grad, so without it the gradients "
              "of earlier batches accumulate.",
        "zh": "每一步都要调用 optimizer.zero_grad()：backward() 会把梯度累加到 .grad 上，"
              "不清零的话，之前批量的梯度会一直叠加。",
    },
    "hint.ex04_step_order": {
        "en": "per batch: zero_grad, forward, loss, loss.backward(), optimizer.step(), and step() exactly once per "
              "batch; zeroing the gradients between backward() and step() throws the gradient away.",
        "zh": "每个批量的顺序是：zero_grad、前向、计算损失、loss.backward()、optimizer.step()，"
              "并且每个批量只 step() 一次；在 backward() 和 step() 之间清零梯度会把刚算出的梯度丢掉。",
    },
    "hint.ex04_epoch_params": {
        "en": "the weights after one epoch differ from one SGD step per batch on loss_fn(model(inputs), targets): "
              "use the model, loss_fn and optimizer you are given (do not build new ones) and every batch once.",
        "zh": "一个 epoch 之后的权重与“每个批量用 loss_fn(model(inputs), targets) 做一次 SGD 更新”的结果不同："
              "请使用传入的 model、loss_fn 和 optimizer（不要新建），并且每个批量只用一次。",
    },
    "hint.ex04_loss_decreases": {
        "en": "training the same model for several epochs should lower its loss: check that loss.backward() and "
              "optimizer.step() run for every batch and that the returned value is this epoch's loss.",
        "zh": "同一个模型多训练几个 epoch，损失应该下降：请检查每个批量都执行了 loss.backward() 和 "
              "optimizer.step()，并且返回的是本 epoch 的损失。",
    },
    "hint.ex04_train_mode": {
        "en": "call model.train() at the start of the epoch: the model may come in eval mode (for example after "
              "evaluate), and dropout and batchnorm behave differently while training.",
        "zh": "在 epoch 开始时调用 model.train()：传进来的模型可能处于 eval 模式（例如刚做完 evaluate），"
              "而 dropout 和 BatchNorm 在训练时的行为不同。",
    },
    "hint.ex04_device_moves": {
        "en": "move both inputs and targets with .to(device) for every batch: inputs, targets = inputs.to(device), "
              "targets.to(device).",
        "zh": "每个批量的输入和标签都要用 .to(device) 移动：inputs, targets = inputs.to(device), targets.to(device)。",
    },
    "hint.ex04_device_hardcoded": {
        "en": "the device is hard-coded: use the device argument (batches go to .to(device), the model is already "
              "there), not \"cpu\" or \"cuda\" written into the code.",
        "zh": "设备被写死了：请使用参数 device（批量用 .to(device) 移过去，模型已经在那里），"
              "不要在代码里直接写 \"cpu\" 或 \"cuda\"。",
    },
    "hint.ex04_eval_mode": {
        "en": "evaluate must call model.eval() before the loop: dropout must be off and batchnorm must use its "
              "running statistics.",
        "zh": "evaluate 必须在循环前调用 model.eval()：评估时要关闭 dropout，BatchNorm 要使用累计的统计量。",
    },
    "hint.ex04_no_grad": {
        "en": "evaluate must run the model under torch.no_grad() (or torch.inference_mode()): no graph is needed "
              "to measure the loss.",
        "zh": "evaluate 必须在 torch.no_grad()（或 torch.inference_mode()）下运行模型：只是计算损失，不需要构建计算图。",
    },
    "hint.ex04_eval_dict": {
        "en": "evaluate returns a dict {{\"loss\": float, \"accuracy\": float}}: use .item() to turn tensors into floats.",
        "zh": "evaluate 应返回字典 {{\"loss\": float, \"accuracy\": float}}：用 .item() 把张量变成 float。",
    },
    "hint.ex04_accuracy_samples": {
        "en": "accuracy is counted over samples, not averaged over batches: correct += (logits.argmax(dim=1) == "
              "targets).sum().item(), then divide by the number of samples.",
        "zh": "准确率要按样本统计，而不是对各批量的准确率取平均：correct += (logits.argmax(dim=1) == "
              "targets).sum().item()，最后除以样本总数。",
    },
    "hint.ex04_accuracy_fraction": {
        "en": "accuracy is a fraction in [0, 1] (correct / number of samples), not a percentage: do not multiply by 100.",
        "zh": "准确率是 [0, 1] 之间的比例（正确数 / 样本总数），不是百分数：不要乘以 100。",
    },
    "hint.ex04_eval_params": {
        "en": "evaluate must not change the model: no backward(), no optimizer step, no training-mode forward.",
        "zh": "evaluate 不能改变模型：不要 backward()，不要优化器更新，也不要在训练模式下前向。",
    },
    "hint.ex04_fit_history": {
        "en": "fit returns {{\"train_loss\", \"val_loss\", \"val_acc\", \"lr\"}}, one float per epoch each: every "
              "epoch append train_one_epoch's loss and evaluate's loss and accuracy on val_loader.",
        "zh": "fit 返回 {{\"train_loss\", \"val_loss\", \"val_acc\", \"lr\"}}，每个 epoch 各一个 float："
              "每个 epoch 追加 train_one_epoch 的损失，以及 evaluate 在 val_loader 上的损失和准确率。",
    },
    "hint.ex04_fit_no_scheduler": {
        "en": "scheduler is optional (None by default): call scheduler.step() only when scheduler is not None.",
        "zh": "scheduler 是可选的（默认为 None）：只有 scheduler 不是 None 时才调用 scheduler.step()。",
    },
    "hint.ex04_lr_start": {
        "en": "read the lr at the start of the epoch: optimizer.param_groups[0][\"lr\"] before training, "
              "because scheduler.step() at the end of the epoch already changes it for the next one.",
        "zh": "在 epoch 开始时读取学习率：训练前读 optimizer.param_groups[0][\"lr\"]，"
              "因为 epoch 结束时的 scheduler.step() 已经把它改成了下一个 epoch 的值。",
    },
    "hint.ex04_scheduler_step": {
        "en": "call scheduler.step() once per epoch, after validation: not per batch, not before training.",
        "zh": "每个 epoch 调用一次 scheduler.step()，放在验证之后：不要每个批量都调用，也不要在训练之前调用。",
    },
    "hint.ex04_tensorboard": {
        "en": "with log_dir, create SummaryWriter(log_dir), call add_scalar for \"loss/train\", \"loss/val\", "
              "\"accuracy/val\" and \"lr\" once per epoch with the epoch as global_step, and close() the writer at "
              "the end so that everything reaches the disk.",
        "zh": "给了 log_dir 时，创建 SummaryWriter(log_dir)，每个 epoch 用 add_scalar 记录 \"loss/train\"、"
              "\"loss/val\"、\"accuracy/val\" 和 \"lr\"，global_step 用 epoch 序号，最后 close() 写入器，"
              "这样数据才会全部写到磁盘上。",
    },
    "hint.ex04_png": {
        "en": "draw the curves with matplotlib and save them with fig.savefig(path) as PNG (headless: build a "
              "matplotlib.figure.Figure, no plt.show()); return Path(path).",
        "zh": "用 matplotlib 画曲线并用 fig.savefig(path) 保存为 PNG（无显示器环境：直接创建 "
              "matplotlib.figure.Figure，不要 plt.show()）；返回 Path(path)。",
    },
    "hint.ex04_plot_folder": {
        "en": "the folders above the PNG may not exist yet: create them before saving, with "
              "Path(path).parent.mkdir(parents=True, exist_ok=True).",
        "zh": "PNG 所在的上级文件夹可能还不存在：保存之前先用 Path(path).parent.mkdir(parents=True, exist_ok=True) "
              "把它们建好。",
    },
    "hint.ex04_fit_helpers": {
        "en": "fit's history comes from your train_one_epoch and evaluate, which do not give the right values yet "
              "(see their own checks): fix them first, then fit's history follows.",
        "zh": "fit 的 history 来自你的 train_one_epoch 和 evaluate，而它们目前给出的值还不对（见它们自己的检查）："
              "先修正它们，fit 的 history 自然就对了。",
    },
    "hint.ex04_plot_curves": {
        "en": "plot the values of the history you are given against the epoch: ax.plot(epochs, history[\"train_loss\"]) "
              "and the same for \"val_loss\" (the loss panel) and \"val_acc\" (the accuracy panel), one point per epoch.",
        "zh": "请把传入的 history 中的数值对 epoch 作图：ax.plot(epochs, history[\"train_loss\"])，"
              "\"val_loss\" 也画在损失图中，\"val_acc\" 画在准确率图中，每个 epoch 一个点。",
    },
    # --- words shown as got or expected (cmp.* parameters; see catalog.py) ---
    "value.ex04_few_scalars": {"en": "the scalars of a few epochs", "zh": "几个 epoch 的标量"},
    "value.ex04_no_events": {
        "en": "no events.out.tfevents.* file with scalars",
        "zh": "没有含标量的 events.out.tfevents.* 文件",
    },
    "value.ex04_steps": {"en": "{epochs} different steps (the epoch)", "zh": "{epochs} 个不同的步数（即 epoch）"},
    "value.ex04_png": {"en": "a PNG image of the curves", "zh": "画有曲线的 PNG 图片"},
    "value.ex04_no_curve": {"en": "no curve that follows history['{series}']", "zh": "没有与 history['{series}'] 一致的曲线"},
    "value.ex04_curve": {"en": "a curve of history['{series}'] against the epoch", "zh": "history['{series}'] 随 epoch 变化的曲线"},
    "value.ex04_not_moved": {"en": "batch {batch}: {what} not moved", "zh": "第 {batch} 个批次：`{what}` 没有被移动"},
    "value.ex04_step_early": {
        "en": "scheduler.step() before the end of epoch {epoch}'s {part}",
        "zh": "在第 {epoch} 个 epoch 的{part}结束之前调用了 scheduler.step()",
    },
    "value.ex04_validation": {"en": "validation", "zh": "验证"},
    "value.ex04_training": {"en": "training", "zh": "训练"},
    "value.ex04_step_order": {
        "en": "training, validation, then scheduler.step()",
        "zh": "先训练，再验证，然后调用 scheduler.step()",
    },
    "label.ex04_tb_tags": {"en": "TensorBoard tags", "zh": "TensorBoard 标签"},
    "label.ex04_tb_points": {"en": "TensorBoard '{tag}' points", "zh": "TensorBoard '{tag}' 的数据点数"},
    "label.ex04_tb_steps": {"en": "TensorBoard '{tag}': steps", "zh": "TensorBoard '{tag}'：步数"},
    "label.ex04_forward_passes": {"en": "forward passes", "zh": "前向计算的次数"},
    "label.ex04_grad_each_forward": {
        "en": "torch.is_grad_enabled() in each forward",
        "zh": "每次前向计算中的 torch.is_grad_enabled()",
    },
    "label.ex04_scheduler_calls": {
        "en": "scheduler.step() calls in {epochs} epochs",
        "zh": "{epochs} 个 epoch 中 scheduler.step() 的调用次数",
    },
    "label.ex04_losses": {"en": "losses of {epochs} epochs", "zh": "{epochs} 个 epoch 的损失"},
    "label.ex04_state": {"en": "{param} {when}", "zh": "{when}的 {param}"},
    "label.ex04_after_one_epoch": {"en": "after one epoch", "zh": "一个 epoch 之后"},
    "label.ex04_after_epochs": {"en": "after {epochs} epochs", "zh": "{epochs} 个 epoch 之后"},
    "label.ex04_after_one_epoch_eval": {
        "en": "after one epoch (model given in eval mode)",
        "zh": "一个 epoch 之后（传入的模型处于 eval 模式）",
    },
    "label.ex04_after_call": {"en": "after {call}", "zh": "调用 {call} 之后"},
    "label.ex04_after_evaluate_bn": {
        "en": "after evaluate (BatchNorm statistics)",
        "zh": "调用 evaluate 之后（BatchNorm 统计量）",
    },
}
