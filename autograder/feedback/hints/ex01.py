HINTS = {
    "hint.ex01_softmax_rows": {
        "en": "exponentiate (logits - max along dim) and divide by the sum along the same dim, with keepdim=True.",
        "zh": "对 (logits - 沿 dim 的最大值) 取指数，再除以沿同一 dim 的和，记得 keepdim=True。",
    },
    "hint.ex01_softmax_dim": {
        "en": "use the dim argument for the max, the sum and keepdim; a hard-coded dim=-1 or dim=1 normalizes the wrong axis.",
        "zh": "求最大值、求和以及 keepdim 都要用参数 dim；写死 dim=-1 或 dim=1 会在错误的维度上归一化。",
    },
    "hint.ex01_softmax_stable": {
        "en": "subtract the max along dim before exp: exp(1000) overflows to inf and inf/inf is nan.",
        "zh": "取 exp 之前先减去沿 dim 的最大值：exp(1000) 会溢出成 inf，而 inf/inf 得到 nan。",
    },
    "hint.ex01_softmax_by_hand": {
        "en": "write softmax yourself with exp and sum: torch.softmax, F.softmax, Tensor.softmax and log_softmax are not "
              "allowed here, in any spelling (getattr, importlib, a string naming them) and nowhere in the module, "
              "not even hidden from the grader with torch._C.",
        "zh": "请自己用 exp 和 sum 写出 softmax：这里不允许使用 torch.softmax、F.softmax、Tensor.softmax 和 log_softmax，"
              "无论以什么方式写出（getattr、importlib、写有其名字的字符串），在整个模块中都不行，"
              "也不能借助 torch._C 对评分程序隐藏。",
    },
    "hint.ex01_reduce_mean": {
        "en": "return the mean over all elements as a 0-dim tensor: did you sum instead of averaging, forget to reduce, "
              "or divide by the number of rows only?",
        "zh": "请返回所有元素的平均值（0 维张量）：是不是求了和而不是平均、忘了做归约，或者只除以了行数？",
    },
    "hint.ex01_ce_formula": {
        "en": "cross_entropy takes logits: loss_i = log(sum_j exp(logits_ij)) - logits_i[target_i], then the mean over samples; "
              "pick each sample's target column with gather (or logits[range(n), target]).",
        "zh": "cross_entropy 的输入是 logits：loss_i = log(sum_j exp(logits_ij)) - logits_i[target_i]，再对样本取平均；"
              "用 gather（或 logits[range(n), target]）取出每个样本目标类别那一列。",
    },
    "hint.ex01_ce_stable": {
        "en": "logits of 1e4 overflow exp: subtract each row's max first (the log-sum-exp trick); "
              "log(softmax) underflows to log(0) = -inf, so compute log-sum-exp minus the target logit instead.",
        "zh": "1e4 大小的 logits 会让 exp 溢出：先减去每行的最大值（log-sum-exp 技巧）；"
              "log(softmax) 会下溢成 log(0) = -inf，所以应计算 log-sum-exp 减去目标类别的 logits 值。",
    },
    "hint.ex01_ce_by_hand": {
        "en": "write the loss yourself: F.cross_entropy, nn.CrossEntropyLoss, F.nll_loss and the softmax/log_softmax "
              "functions are not allowed here, in any spelling (getattr, importlib, a string naming them) and nowhere "
              "in the module.",
        "zh": "请自己写出这个损失：这里不允许使用 F.cross_entropy、nn.CrossEntropyLoss、F.nll_loss 以及 softmax/log_softmax "
              "函数，无论以什么方式写出（getattr、importlib、写有其名字的字符串），在整个模块中都不行。",
    },
    "hint.ex01_bce_formula": {
        "en": "binary cross-entropy is the mean of -(t*log(p) + (1-t)*log(1-p)); mind the minus sign and the (1-t) term.",
        "zh": "二元交叉熵是 -(t*log(p) + (1-t)*log(1-p)) 的平均值；注意负号和 (1-t) 那一项。",
    },
    "hint.ex01_bce_clamp": {
        "en": "clamp prob to [eps, 1-eps] with the eps argument before the log: log(0) = -inf, and 0 * log(0) = nan.",
        "zh": "取 log 之前用参数 eps 把 prob 截断到 [eps, 1-eps]：log(0) = -inf，而 0 * log(0) = nan。",
    },
    "hint.ex01_mse": {
        "en": "mse is the mean of (pred - target)**2: square the difference (not abs) and take no square root (that would be RMSE).",
        "zh": "mse 是 (pred - target)**2 的平均值：对差值求平方（不是绝对值），也不要开根号（那是 RMSE）。",
    },
    "hint.ex01_mae": {
        "en": "mae is the mean of |pred - target|: take .abs() before the mean, otherwise positive and negative errors cancel.",
        "zh": "mae 是 |pred - target| 的平均值：先 .abs() 再求平均，否则正负误差会互相抵消。",
    },
    "hint.ex01_smooth_l1": {
        "en": "with d = |pred - target|: 0.5 * d**2 / beta where d < beta, else d - 0.5 * beta; then the mean.",
        "zh": "记 d = |pred - target|：d < beta 时取 0.5 * d**2 / beta，否则取 d - 0.5 * beta；最后求平均。",
    },
    "hint.ex01_smooth_l1_beta": {
        "en": "use the beta argument everywhere: the switch d < beta, the quadratic 0.5 * d**2 / beta and the linear d - 0.5 * beta.",
        "zh": "所有地方都要用参数 beta：分界 d < beta、二次项 0.5 * d**2 / beta 和线性项 d - 0.5 * beta。",
    },
    "hint.ex01_grad_factor": {
        "en": "the gradient of mean((Xw+b-y)^2) has a factor 2/n: dw = 2/n * X.T @ r and db = 2/n * sum(r) with r = X@w + b - y.",
        "zh": "mean((Xw+b-y)^2) 的梯度带有系数 2/n：dw = 2/n * X.T @ r，db = 2/n * sum(r)，其中 r = X@w + b - y。",
    },
    "hint.ex01_grad_sign": {
        "en": "the residual is r = X@w + b - y (prediction minus target); y - X@w - b flips the sign of the gradient.",
        "zh": "残差是 r = X@w + b - y（预测减目标）；写成 y - X@w - b 会让梯度的符号反过来。",
    },
    "hint.ex01_grad_bias": {
        "en": "include the bias in the residual, r = X@w + b - y, for both dw and db.",
        "zh": "计算 dw 和 db 时，残差都要包含偏置：r = X@w + b - y。",
    },
    "hint.ex01_grad_formula": {
        "en": "with r = X@w + b - y: dw = 2/n * X.T @ r (shape [d]) and db = 2/n * r.sum() (a scalar).",
        "zh": "记 r = X@w + b - y：dw = 2/n * X.T @ r（形状 [d]），db = 2/n * r.sum()（标量）。",
    },
    "hint.ex01_gd_step": {
        "en": "a gradient-descent step moves against the gradient: w_new = w - lr * dw and b_new = b - lr * db.",
        "zh": "梯度下降沿梯度的反方向走：w_new = w - lr * dw，b_new = b - lr * db。",
    },
    "hint.ex01_gd_inplace": {
        "en": "gd_step must return new tensors; w -= lr*dw changes the caller's tensor. Write w_new = w - lr * dw.",
        "zh": "gd_step 必须返回新的张量；w -= lr*dw 会修改调用者传进来的张量。请写成 w_new = w - lr * dw。",
    },
    "hint.ex01_fit_return": {
        "en": "return (w, b, losses): w a float32 tensor [d] and b a scalar, detached from the graph (w.detach()).",
        "zh": "请返回 (w, b, losses)：w 是 float32 的 [d] 张量，b 是标量，都要从计算图中分离（w.detach()）。",
    },
    "hint.ex01_fit_losses": {
        "en": "losses gets one Python float per epoch (.item()): the MSE on ALL data computed after that epoch's update.",
        "zh": "losses 每个 epoch 记录一个 Python float（用 .item()）：在这个 epoch 更新之后，在全部数据上计算的 MSE。",
    },
    "hint.ex01_fit_learns": {
        "en": "the fit does not learn: start from zeros, compute the MSE, loss.backward(), then w -= lr * w.grad under "
              "torch.no_grad() and zero the gradients.",
        "zh": "模型没有学到规律：从零开始，计算 MSE，loss.backward()，然后在 torch.no_grad() 下做 w -= lr * w.grad，再把梯度清零。",
    },
    "hint.ex01_fit_full_batch": {
        "en": "full batch (batch_size=None) is one step per epoch on all data: w and b start at zeros, the loss is the "
              "mean squared error, and the update is w -= lr * w.grad (the same for b).",
        "zh": "全批量（batch_size=None）就是每个 epoch 用全部数据走一步：w 和 b 从零开始，损失是均方误差，"
              "更新为 w -= lr * w.grad（b 同理）。",
    },
    "hint.ex01_fit_zeros": {
        "en": "start from w = torch.zeros(d) and b = torch.zeros(()) (with requires_grad=True), not from random "
              "weights: the result must not depend on the random state.",
        "zh": "请从 w = torch.zeros(d) 和 b = torch.zeros(())（requires_grad=True）开始，而不是随机权重："
              "结果不能依赖随机数状态。",
    },
    "hint.ex01_fit_zero_grad": {
        "en": "zero the gradients after every step (w.grad.zero_()): backward() ADDS to .grad, so the old gradients pile up.",
        "zh": "每一步之后都要把梯度清零（w.grad.zero_()）：backward() 会累加到 .grad 上，旧的梯度会越积越多。",
    },
    "hint.ex01_fit_minibatch": {
        "en": "an epoch visits every sample once in ceil(n / batch_size) mini-batches (the last may be smaller), "
              "one step per batch on the MEAN loss of that batch.",
        "zh": "一个 epoch 把每个样本用一次，分成 ceil(n / batch_size) 个小批量（最后一个可以更小），"
              "每个批量用它的平均损失走一步。",
    },
    "hint.ex01_fit_seed": {
        "en": "shuffle with g = torch.Generator().manual_seed(seed), created once, and torch.randperm(n, generator=g) "
              "each epoch: the same seed must give the same result and another seed another order.",
        "zh": "用 g = torch.Generator().manual_seed(seed)（只创建一次），每个 epoch 用 torch.randperm(n, generator=g) 打乱："
              "相同的 seed 结果必须相同，不同的 seed 顺序不同。",
    },
    # --- words shown as got or expected (cmp.* parameters; see catalog.py) ---
    "value.ex01_changed_in_place": {"en": "an input tensor, changed in place", "zh": "被原地修改的输入张量"},
    "value.ex01_input_tensor": {"en": "an input tensor", "zh": "输入的张量"},
    "value.ex01_new_tensors": {"en": "new tensors", "zh": "新的张量"},
    "value.ex01_full_mse": {"en": "a full-data MSE of {mse:.4g}", "zh": "在全部数据上的 MSE 为 {mse:.4g}"},
    "value.ex01_about_from": {"en": "about {reached:.4g} (from {start:.4g})", "zh": "约 {reached:.4g}（起始为 {start:.4g}）"},
    "value.ex01_other_w": {"en": "another w with the same seed", "zh": "相同种子却得到不同的 w"},
    "value.ex01_same_w": {"en": "the same w", "zh": "相同的 w"},
    "value.ex01_w_other_seed": {"en": "a different w for another seed", "zh": "换一个种子得到不同的 w"},
    "label.ex01_unchanged": {"en": "{what} unchanged", "zh": "{what} 保持不变"},
    "label.ex01_after_epochs": {
        "en": "{what} after {epochs} mini-batch epochs",
        "zh": "{epochs} 个小批量 epoch 之后的 {what}",
    },
}
