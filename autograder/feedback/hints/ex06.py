HINTS = {
    "hint.ex06_optimizer_type": {
        "en": "make_optimizer must return the torch.optim optimizer itself, built over the params it is given "
              "(e.g. torch.optim.SGD(params, lr=lr)).",
        "zh": "make_optimizer 应当返回 torch.optim 的优化器对象本身，并且建立在传入的 params 上"
              "（例如 torch.optim.SGD(params, lr=lr)）。",
    },
    "hint.ex06_momentum": {
        "en": "\"momentum\" is SGD with momentum=0.9: torch.optim.SGD(params, lr=lr, momentum=0.9), "
              "not plain SGD, not nesterov and not another momentum value.",
        "zh": "\"momentum\" 是带 momentum=0.9 的 SGD：torch.optim.SGD(params, lr=lr, momentum=0.9)，"
              "不是普通 SGD，也不是 `nesterov=True` 或其他动量值。",
    },
    "hint.ex06_adam_adamw": {
        "en": "\"adam\" and \"adamw\" are different classes: torch.optim.Adam and torch.optim.AdamW. AdamW decouples "
              "weight decay from the gradient (and its default weight_decay is 0.01), so the two give different "
              "steps; do not map both names to the same class.",
        "zh": "\"adam\" 和 \"adamw\" 是不同的类：torch.optim.Adam 和 torch.optim.AdamW。AdamW 把权重衰减与梯度解耦"
              "（默认 weight_decay 为 0.01），两者的更新不同；不要把两个名称映射到同一个类。",
    },
    "hint.ex06_optimizer_kw": {
        "en": "the extra keyword arguments were ignored: pass **kw on to the optimizer (e.g. weight_decay=0.1 must "
              "reach torch.optim.<Class>(params, lr=lr, ..., **kw)).",
        "zh": "额外的关键字参数被忽略了：请把 **kw 传给优化器（例如 weight_decay=0.1 必须传到 "
              "`torch.optim.<Class>(params, lr=lr, ..., **kw)`）。",
    },
    "hint.ex06_optimizer_lr": {
        "en": "the learning rate given was not used: pass lr=lr to the optimizer instead of relying on its default.",
        "zh": "没有使用传入的学习率：请把 lr=lr 传给优化器，不要依赖它的默认值。",
    },
    "hint.ex06_optimizer_class": {
        "en": "the wrong optimizer class behind the name {name!r}: its steps look like {looks_like}, but the handout "
              "(HANDOUT.md, ex06) asks for {expected}.",
        "zh": "名称 {name!r} 对应的优化器类不对：它的更新像是 {looks_like}，但作业说明（HANDOUT.zh-CN.md，ex06）"
              "要求的是 {expected}。",
    },
    "hint.ex06_optimizer_unknown": {
        "en": "the optimizer behind {name!r} does not step like {expected}: check the class this name builds and the "
              "arguments it gets: lr=lr, momentum=0.9 for \"momentum\" and no other defaults of your own (torch.optim's "
              "own for the rest), then **kw on top of them.",
        "zh": "{name!r} 对应的优化器的更新与 {expected} 不一致：请检查这个名称创建的类以及传给它的参数"
              "：lr=lr，\"momentum\" 使用 momentum=0.9，除此之外不要自己设默认值（其余用 torch.optim 自己的默认值），"
              "最后用 **kw 覆盖它们。",
    },
    "hint.ex06_unknown_optimizer": {
        "en": "an unknown name must raise ValueError whose message lists every valid name "
              "(sgd, momentum, adagrad, rmsprop, adam, adamw), not return None or fall back to SGD.",
        "zh": "未知的名称必须抛出 ValueError，并在消息中列出所有有效名称"
              "（sgd、momentum、adagrad、rmsprop、adam、adamw），不要返回 None，也不要退回到 SGD。",
    },
    "hint.ex06_scheduler_defaults": {
        "en": "use these defaults: step = StepLR(step_size=50, gamma=0.5), multistep = MultiStepLR(milestones="
              "[50, 100, 160], gamma=0.5), exponential = ExponentialLR(gamma=0.9), cosine = CosineAnnealingLR(T_max=200).",
        "zh": "请使用以下默认值：step = StepLR(step_size=50, gamma=0.5)，multistep = MultiStepLR(milestones="
              "[50, 100, 160], gamma=0.5)，exponential = ExponentialLR(gamma=0.9)，cosine = CosineAnnealingLR(T_max=200)。",
    },
    "hint.ex06_scheduler_kw": {
        "en": "the keyword arguments were ignored: **kw must override the defaults, e.g. "
              "cls(optimizer, **{{**defaults, **kw}}).",
        "zh": "关键字参数被忽略了：**kw 应当覆盖默认值，例如 cls(optimizer, **{{**defaults, **kw}})。",
    },
    "hint.ex06_lr_trace_start": {
        "en": "record the lr at the START of each epoch, before scheduler.step(): the first value is base_lr "
              "(read optimizer.param_groups[0]['lr'], then optimizer.step(), then scheduler.step()).",
        "zh": "请记录每个 epoch 开始时的学习率，即在 scheduler.step() 之前：第一个值就是 base_lr"
              "（先读 optimizer.param_groups[0]['lr']，再 optimizer.step()，最后 scheduler.step()）。",
    },
    "hint.ex06_lr_trace_length": {
        "en": "lr_trace returns exactly one lr per epoch: a list of `epochs` values.",
        "zh": "lr_trace 每个 epoch 恰好返回一个学习率：一个长度为 epochs 的列表。",
    },
    "hint.ex06_lr_trace_floats": {
        "en": "return a list of Python floats: float(optimizer.param_groups[0]['lr']) for each epoch.",
        "zh": "请返回 Python float 的列表：每个 epoch 取 float(optimizer.param_groups[0]['lr'])。",
    },
    "hint.ex06_history": {
        "en": "run_experiment returns fit's history: {{'train_loss', 'val_loss', 'val_acc', 'lr'}}, one float per "
              "epoch each, with the lr it was given.",
        "zh": "run_experiment 返回 fit 的 history：{{'train_loss', 'val_loss', 'val_acc', 'lr'}}，每个 epoch 一个 "
              "float，lr 就是传入的学习率。",
    },
    "hint.ex06_seed_model": {
        "en": "seed before building the model (torch.manual_seed(seed), then MLP(4, [16], 3)) and shuffle with "
              "make_loaders(..., seed=seed): the same seed must give the same run, and every optimizer must start "
              "from the same weights.",
        "zh": "在创建模型之前设置种子（先 torch.manual_seed(seed)，再 MLP(4, [16], 3)），并用 make_loaders(..., seed=seed) "
              "打乱：相同的 seed 必须得到相同的结果，每个优化器都必须从相同的权重开始。",
    },
    "hint.ex06_seed_used": {
        "en": "use the seed argument (torch.manual_seed(seed) and make_loaders(..., seed=seed)), not a fixed number: "
              "another seed must give other initial weights.",
        "zh": "请使用传入的 seed 参数（torch.manual_seed(seed) 和 make_loaders(..., seed=seed)），不要写死一个数："
              "不同的 seed 必须得到不同的初始权重。",
    },
    "hint.ex06_adam_accuracy": {
        "en": "with Adam at lr 0.01 for 100 epochs iris should reach at least 0.9 validation accuracy: scale the "
              "features with min-max statistics of the train split, train MLP(4, [16], 3) with CrossEntropyLoss and "
              "validate on the val split.",
        "zh": "用 Adam、lr 0.01 训练 100 个 epoch，iris 的验证准确率至少应达到 0.9：用训练集的最小值/最大值缩放特征，"
              "用 CrossEntropyLoss 训练 MLP(4, [16], 3)，并在 val 划分上验证。",
    },
    "hint.ex06_diverge": {
        "en": "a diverging run is a result, not an error: let the nan/inf losses come back in the history instead "
              "of raising (no assert, no error_if_nonfinite, no check that stops with an exception).",
        "zh": "发散也是一种实验结果，而不是错误：让 nan/inf 损失留在 history 中返回，不要抛出异常"
              "（不要 assert，不要 error_if_nonfinite，也不要检查后抛异常）。",
    },
    "hint.ex06_sweep": {
        "en": "lr_sweep returns {{lr: run_experiment(optimizer_name, lr, epochs=epochs, seed=seed)}} and "
              "compare_optimizers {{name: run_experiment(name, lr, epochs=epochs, seed=seed)}}, in the order given, "
              "passing every argument on.",
        "zh": "lr_sweep 返回 {{lr: run_experiment(optimizer_name, lr, epochs=epochs, seed=seed)}}，compare_optimizers 返回 "
              "{{name: run_experiment(name, lr, epochs=epochs, seed=seed)}}，按给定顺序，并把每个参数都传下去。",
    },
    "hint.ex06_png": {
        "en": "save the figure as a PNG at the path given (fig.savefig(path)) with one line per run, and return "
              "Path(path); a headless matplotlib.figure.Figure needs no display.",
        "zh": "在给定路径把图保存为 PNG（fig.savefig(path)），每个运行画一条线，并返回 Path(path)；"
              "直接创建 matplotlib.figure.Figure 不需要显示器。",
    },
    "hint.ex06_scaled": {
        "en": "train on scaled features: fit minmax_stats on the TRAIN split and build every IrisDataset with "
              "stats=..., so the training inputs lie in [0, 1] (raw iris measurements go up to 7.9 cm).",
        "zh": "请在缩放后的特征上训练：用训练集拟合 minmax_stats，并在构建每个 IrisDataset 时传入 stats=...，"
              "这样训练输入都在 [0, 1] 内（原始 iris 测量值最大到 7.9 cm）。",
    },
    "hint.ex06_summarize_order": {
        "en": "the ranking is upside down: best first means the highest accuracy first but the LOWEST loss first "
              "(higher is better only when the metric's name contains 'acc').",
        "zh": "排名顺序反了：最好的在前，意味着准确率最高的在前，而损失最低的在前（只有指标名包含 'acc' 时才是越大越好）。",
    },
    "hint.ex06_summarize_nan": {
        "en": "nan runs must come last: nan compares False with everything, so sorted() leaves it anywhere; "
              "sort on a key such as (math.isnan(v), ...) that puts nan after every number.",
        "zh": "nan 的运行必须排在最后：nan 与任何数比较都为 False，sorted() 会把它留在任意位置；"
              "请用 (math.isnan(v), ...) 这样的排序键把 nan 放到所有数字之后。",
    },
    "hint.ex06_summarize": {
        "en": "return [(key, final_value), ...] best first: sort accuracy descending and loss ascending, nan last "
              "(nan compares False with everything, so give it its own sort key, e.g. (math.isnan(v), ...)).",
        "zh": "返回 [(key, 最终值), ...]，最好的在前：准确率降序、损失升序，nan 放在最后"
              "（nan 与任何数比较都为 False，需要单独的排序键，例如 (math.isnan(v), ...)）。",
    },
    "hint.ex06_plot_lines": {
        "en": "draw one line per run with ax.plot(epochs, history[metric], label=str(key)): the metric given, every "
              "run of results, and save with fig.savefig(path) so that the file name picks the format (.png, .svg).",
        "zh": "每个运行用 ax.plot(epochs, history[metric], label=str(key)) 画一条线：画传入的指标、results 中的每个运行，"
              "并用 fig.savefig(path) 保存，让文件名决定格式（.png、.svg）。",
    },
    "hint.ex06_model": {
        "en": "run_experiment trains a fresh MLP(4, [16], 3) of ex03 (a stack of Linear layers with ReLU), built right "
              "after torch.manual_seed(seed).",
        "zh": "run_experiment 训练一个新建的 ex03 的 MLP(4, [16], 3)（由 Linear 层和 ReLU 组成），"
              "并且在 torch.manual_seed(seed) 之后立即创建。",
    },
    "hint.ex06_trained": {
        "en": "the history must be that of the training that happened: fit the model with make_optimizer(name, "
              "model.parameters(), lr) on every training batch of each epoch, and report the validation loss and "
              "accuracy of the weights you trained (fit's history).",
        "zh": "history 必须来自真实发生的训练：用 make_optimizer(name, model.parameters(), lr) 在每个 epoch 的每个训练批量上"
              "训练模型，并报告训练得到的权重的验证损失和准确率（fit 的 history）。",
    },
    # --- words shown as got or expected (cmp.* parameters; see catalog.py) ---
    "value.ex06_listing": {"en": "a message listing {names}", "zh": "列出 {names} 的错误信息"},
    "value.ex06_networks": {"en": "{count} network(s) run", "zh": "运行了 {count} 个网络"},
    "value.ex06_fresh": {"en": "{count} fresh MLP(4, [16], 3)", "zh": "{count} 个新建的 MLP(4, [16], 3)"},
    "value.ex06_mlp": {
        "en": "MLP(4, [16], 3): Linear layers with ReLU between them",
        "zh": "MLP(4, [16], 3)：Linear 层之间是 ReLU",
    },
    "value.ex06_other_initial": {"en": "other initial weights", "zh": "不同的初始权重"},
    "value.ex06_initial_of": {
        "en": "those of torch.manual_seed({seed}); MLP(4, [16], 3)",
        "zh": "torch.manual_seed({seed}); MLP(4, [16], 3) 给出的初始权重",
    },
    "value.ex06_seen": {"en": "{count} training samples seen", "zh": "用到了 {count} 个训练样本"},
    "value.ex06_per_epoch": {
        "en": "{per} per epoch for {epochs} epoch(s)",
        "zh": "每个 epoch {per} 个，共 {epochs} 个 epoch",
    },
    "value.ex06_unscaled": {
        "en": "inputs in [{lo:.4g}, {hi:.4g}], not rows of the scaled training split",
        "zh": "输入位于 [{lo:.4g}, {hi:.4g}]，不是缩放后训练集的行",
    },
    "value.ex06_scaled": {
        "en": "the min-max scaled iris training rows, in [0, 1]",
        "zh": "经 min-max 缩放、位于 [0, 1] 的 iris 训练集的行",
    },
    "value.ex06_finite": {"en": "finite weights", "zh": "有限的权重"},
    "value.ex06_no_divergence": {"en": "a run the grader does not diverge", "zh": "评分程序重放时不发散的训练"},
    "value.ex06_diverging": {"en": "the weights of {name} at lr={lr} diverging", "zh": "{name} 在 lr={lr} 时发散的权重"},
    "value.ex06_other_final": {"en": "other final weights", "zh": "不同的最终权重"},
    "value.ex06_final_of": {
        "en": "the weights {epochs} epoch(s) of make_optimizer({name}, params, {lr}) give",
        "zh": "用 make_optimizer({name}, params, {lr}) 训练 {epochs} 个 epoch 得到的权重",
    },
    "value.ex06_trained_val": {
        "en": "{value:.6g} (the trained weights on the validation split)",
        "zh": "{value:.6g}（训练后的权重在验证集上的结果）",
    },
    "value.ex06_figure": {"en": "a figure with one line per run of the metric", "zh": "该指标每次运行各一条曲线的图"},
    "value.ex06_pairs": {"en": "list of (key, value)", "zh": "由 (key, value) 组成的 list"},
    "value.ex06_lr0": {
        "en": "the val_loss of the initial weights at lr=0 (the same for every optimizer)",
        "zh": "初始权重在 lr=0 时的 val_loss（每种优化器都相同）",
    },
    "value.ex06_then": {"en": "val_loss {first} then {second}", "zh": "val_loss 先是 {first}，然后是 {second}"},
    "value.ex06_same_history": {"en": "the same history both times", "zh": "两次得到相同的 history"},
    "value.ex06_float_lists": {"en": "lists of floats", "zh": "由 float 组成的 list"},
    "value.ex06_nan_last": {"en": "{order} then the nan runs", "zh": "{order}，然后是结果为 nan 的运行"},
    "label.ex06_params_each_step": {
        "en": "{call}: parameters after each of {steps} steps",
        "zh": "{call}：{steps} 步中每一步之后的参数",
    },
    "label.ex06_lr_each_epoch": {
        "en": "{call}: lr at the start of each of {epochs} epochs",
        "zh": "{call}：{epochs} 个 epoch 中每个开始时的 lr",
    },
    "label.ex06_initial_weights": {"en": "{call}: the initial weights", "zh": "{call}：初始权重"},
    "label.ex06_batches_trained": {"en": "{call}: the batches the model was trained on", "zh": "{call}：模型训练所用的批次"},
    "label.ex06_features_trained": {"en": "{call}: the features the model is trained on", "zh": "{call}：模型训练所用的特征"},
    "label.ex06_final_weights": {"en": "{call}: the final weights", "zh": "{call}：最终权重"},
    "label.ex06_trained_weights": {"en": "{call}: the trained weights", "zh": "{call}：训练后的权重"},
    "label.ex06_value_of": {"en": "{call}: value of {name}", "zh": "{call}：{name} 的值"},
    "label.ex06_keys_best_first": {"en": "{call}: keys best first", "zh": "{call}：键按从好到差排列"},
    "label.ex06_val_acc_trained": {
        "en": "{call}: validation accuracy of the trained weights",
        "zh": "{call}：训练后权重的验证集准确率",
    },
    "label.ex06_best_first": {"en": "{call}: best first", "zh": "{call}：从好到差排列"},
    "label.ex06_nan_last": {"en": "{call}: nan last", "zh": "{call}：nan 排在最后"},
}
