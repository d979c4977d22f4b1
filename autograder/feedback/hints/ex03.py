HINTS = {
    "hint.ex03_output_shape": {
        "en": "forward must return [batch, num_classes]: the last nn.Linear maps to num_classes "
              "(call super().__init__() first, then create the layers).",
        "zh": "forward 必须返回 [批量大小, num_classes]：最后一个 nn.Linear 的输出维度是 num_classes"
              "（先调用 super().__init__()，再创建各层）。",
    },
    "hint.ex03_flatten": {
        "en": "flatten every dim after the batch dim: x.flatten(start_dim=1); x.flatten() alone also flattens the batch.",
        "zh": "把批量维之后的所有维度展平：x.flatten(start_dim=1)；只写 x.flatten() 会把批量维也展平。",
    },
    "hint.ex03_empty_hidden": {
        "en": "with hidden=[] the model is a single nn.Linear(in_features, num_classes): the last layer's input is "
              "the previous width, which is in_features when there is no hidden layer.",
        "zh": "hidden=[] 时模型只有一个 nn.Linear(in_features, num_classes)：最后一层的输入是前一层的宽度，"
              "没有隐藏层时就是 in_features。",
    },
    "hint.ex03_layer_sizes": {
        "en": "one nn.Linear per hidden width, in order: Linear(in_features, h1), Linear(h1, h2), ..., "
              "Linear(h_last, num_classes); each layer's input is the previous layer's output.",
        "zh": "每个隐藏层宽度对应一个 nn.Linear，按顺序：Linear(in_features, h1)、Linear(h1, h2)、……、"
              "Linear(h_last, num_classes)；每层的输入是上一层的输出。",
    },
    "hint.ex03_relu": {
        "en": "apply ReLU after every hidden Linear, but not after the last Linear: the output is raw logits.",
        "zh": "每个隐藏层的 Linear 之后都要接 ReLU，但最后一个 Linear 之后不要：输出是原始的 logits。",
    },
    "hint.ex03_forward": {
        "en": "forward: flatten, then Linear -> ReLU for each hidden width and a final Linear, each layer used "
              "once in order (and no dropout when dropout=0).",
        "zh": "forward：先展平，然后对每个隐藏层宽度做 Linear -> ReLU，最后接一个 Linear；每层按顺序只用一次"
              "（dropout=0 时不做 dropout）。",
    },
    "hint.ex03_logits": {
        "en": "forward must return raw logits: CrossEntropyLoss applies log-softmax itself, so no softmax in forward.",
        "zh": "forward 必须返回原始 logits：CrossEntropyLoss 自己会做 log-softmax，所以 forward 里不要 softmax。",
    },
    "hint.ex03_dropout_missing": {
        "en": "with dropout > 0, add nn.Dropout(dropout) after every ReLU; in train mode it zeroes random activations.",
        "zh": "dropout > 0 时，在每个 ReLU 后面加 nn.Dropout(dropout)；训练模式下它会随机把一些激活置零。",
    },
    "hint.ex03_dropout_eval": {
        "en": "dropout must be off in eval mode: use the module nn.Dropout (or F.dropout(h, p, training=self.training)); "
              "F.dropout without training= is always on.",
        "zh": "eval 模式下 dropout 必须关闭：请用 nn.Dropout 模块（或 F.dropout(h, p, training=self.training)）；"
              "不带 training= 的 F.dropout 永远是开启的。",
    },
    "hint.ex03_init_bias": {
        "en": "biases must be zeroed: nn.init.zeros_(m.bias) for every nn.Linear.",
        "zh": "偏置必须置零：对每个 nn.Linear 调用 nn.init.zeros_(m.bias)。",
    },
    "hint.ex03_init_all_layers": {
        "en": "initialize every nn.Linear, nested ones too: loop over model.modules() (model.children() only sees the top level).",
        "zh": "每个 nn.Linear 都要初始化，包括嵌套在里面的：遍历 model.modules()（model.children() 只能看到最外层）。",
    },
    "hint.ex03_init_kaiming": {
        "en": "\"kaiming\" is nn.init.kaiming_normal_(m.weight, nonlinearity=\"relu\"): normal with std sqrt(2 / fan_in) "
              "(not kaiming_uniform_, not mode=\"fan_out\").",
        "zh": "\"kaiming\" 对应 nn.init.kaiming_normal_(m.weight, nonlinearity=\"relu\")：标准差为 sqrt(2 / fan_in) 的正态分布"
              "（不是 kaiming_uniform_，也不是 mode=\"fan_out\"）。",
    },
    "hint.ex03_init_xavier": {
        "en": "\"xavier\" is nn.init.xavier_normal_(m.weight): normal with std sqrt(2 / (fan_in + fan_out)) (not xavier_uniform_).",
        "zh": "\"xavier\" 对应 nn.init.xavier_normal_(m.weight)：标准差为 sqrt(2 / (fan_in + fan_out)) 的正态分布"
              "（不是 xavier_uniform_）。",
    },
    "hint.ex03_init_swapped": {
        "en": "xavier and kaiming swapped? The weights have the other scheme's standard deviation.",
        "zh": "是不是把 xavier 和 kaiming 弄反了？权重的标准差是另一种方案的。",
    },
    "hint.ex03_init_scheme_error": {
        "en": "raise ValueError for any scheme other than \"kaiming\" and \"xavier\" instead of silently doing nothing.",
        "zh": "除 \"kaiming\" 和 \"xavier\" 以外的方案都要抛出 ValueError，而不是悄悄什么都不做。",
    },
    "hint.ex03_count": {
        "en": "count every scalar of every parameter, weights and biases: sum(p.numel() for p in model.parameters()), an int.",
        "zh": "统计每个参数（权重和偏置）中的所有标量：sum(p.numel() for p in model.parameters())，结果是 int。",
    },
    "hint.ex03_count_trainable": {
        "en": "with trainable_only=True skip parameters whose requires_grad is False; with trainable_only=False count them all.",
        "zh": "trainable_only=True 时跳过 requires_grad 为 False 的参数；trainable_only=False 时全部都要统计。",
    },
    "hint.ex03_proba_softmax": {
        "en": "predict_proba is the softmax of model(x) over dim=1 (the classes): [n, C], each row sums to 1.",
        "zh": "predict_proba 是 model(x) 沿 dim=1（类别维）的 softmax：形状 [n, C]，每行之和为 1。",
    },
    "hint.ex03_no_grad": {
        "en": "run the forward inside with torch.no_grad() (or torch.inference_mode()): no graph is built for a "
              "prediction, and the probabilities returned do not require grad.",
        "zh": "请在 with torch.no_grad()（或 torch.inference_mode()）中执行前向：做预测时不需要构建计算图，"
              "返回的概率也不需要梯度。",
    },
    "hint.ex03_eval_mode": {
        "en": "call model.eval() before the forward, so dropout is off and the prediction is deterministic.",
        "zh": "前向之前调用 model.eval()，这样 dropout 关闭，预测结果是确定的。",
    },
    "hint.ex03_restore_mode": {
        "en": "remember was_training = model.training first and restore the model's mode with model.train(was_training).",
        "zh": "先记下 was_training = model.training，最后用 model.train(was_training) 恢复模型原来的模式。",
    },
    "hint.ex03_predict": {
        "en": "predict returns the index of the largest logit per row, model(x).argmax(dim=1): an int64 tensor [n].",
        "zh": "predict 返回每行最大的 logits 值的下标，即 model(x).argmax(dim=1)：int64 的 [n] 张量。",
    },
    # --- words shown as got or expected (cmp.* parameters; see catalog.py) ---
    "value.ex03_matching_layers": {"en": "nn.Linear layers of matching sizes", "zh": "尺寸前后衔接的 nn.Linear 层"},
    "value.ex03_mismatched": {"en": "none or mismatched", "zh": "没有，或尺寸不衔接"},
    "value.ex03_same_logits": {"en": "the same logits for every sample", "zh": "每个样本的 logits 都相同"},
    "value.ex03_logits_vary": {"en": "logits that depend on x", "zh": "随 x 变化的 logits"},
    "value.ex03_layer_weights": {"en": "the layers' weights", "zh": "各层的权重"},
    "value.ex03_unchanged": {"en": "unchanged weights", "zh": "没有改变的权重"},
    "value.ex03_scheme_weights": {"en": "{scheme} weights", "zh": "按 {scheme} 初始化的权重"},
    "value.ex03_bounded": {"en": "values bounded like a uniform distribution", "zh": "像均匀分布那样有界的值"},
    "value.ex03_normal_tails": {"en": "normal tails", "zh": "正态分布那样的尾部"},
    "value.ex03_probabilities": {"en": "rows of probabilities", "zh": "每行都是概率"},
    "value.ex03_raw_logits": {"en": "raw logits", "zh": "未经 softmax 的 logits"},
    "value.ex03_same_output": {"en": "the same output every time", "zh": "每次的输出都相同"},
    "value.ex03_dropout": {"en": "random dropout in train mode", "zh": "train 模式下随机的 dropout"},
    "value.ex03_requires_grad": {"en": "a tensor that requires grad", "zh": "`requires_grad=True` 的张量"},
    "value.ex03_no_grad": {"en": "probabilities computed without gradients", "zh": "不计算梯度得到的概率"},
    "label.ex03_linear_layers": {"en": "the model's nn.Linear layers", "zh": "模型的 nn.Linear 层"},
    "label.ex03_row_sums": {"en": "row sums of predict_proba(model, x)", "zh": "predict_proba(model, x) 的每行之和"},
    "label.ex03_layer_weight": {"en": "weight of layer {i}", "zh": "第 {i} 层的权重"},
    "label.ex03_layer_bias": {"en": "bias of layer {i}", "zh": "第 {i} 层的偏置"},
    "label.ex03_weight_std": {"en": "{layer} weight std", "zh": "{layer} 权重的标准差"},
    "label.ex03_n_linear": {"en": "number of nn.Linear layers", "zh": "nn.Linear 层的数量"},
    "label.ex03_in_mode": {"en": "{call} in {mode} mode", "zh": "{mode} 模式下的 {call}"},
    "label.ex03_grad_during_forward": {
        "en": "torch.is_grad_enabled() during the forward",
        "zh": "前向计算期间的 torch.is_grad_enabled()",
    },
    "label.ex03_training_after_predict": {
        "en": "model.training after predict_proba on a model in {mode} mode",
        "zh": "对 {mode} 模式的模型调用 predict_proba 之后的 model.training",
    },
    "label.ex03_weight_shapes": {"en": "Linear weight shapes", "zh": "Linear 权重的形状"},
    "label.ex03_weight_shapes_order": {
        "en": "Linear weight shapes, in the order forward uses them",
        "zh": "按 forward 使用的顺序排列的 Linear 权重形状",
    },
}
