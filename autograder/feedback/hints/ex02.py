HINTS = {
    "hint.ex02_minmax_stats": {
        "en": "reduce over dim 0 (the samples) to get one min and one max per feature: x.amin(dim=0), x.amax(dim=0) "
              "(x.min(dim=0) returns (values, indices)).",
        "zh": "沿第 0 维（样本）归约，得到每个特征各一个最小值和最大值：x.amin(dim=0)、x.amax(dim=0)"
              "（x.min(dim=0) 返回的是 (values, indices)）。",
    },
    "hint.ex02_minmax_scale": {
        "en": "scale with (x - lo) / (hi - lo) using the stats given; do not clip: unseen samples may fall outside [0, 1].",
        "zh": "用传入的统计量计算 (x - lo) / (hi - lo)；不要截断：新样本的结果可以落在 [0, 1] 之外。",
    },
    "hint.ex02_zero_range": {
        "en": "a constant feature has hi - lo = 0: divide by 1 there, otherwise 0/0 gives nan "
              "(torch.where(span == 0, torch.ones_like(span), span)).",
        "zh": "常数特征的 hi - lo = 0：这时要除以 1，否则 0/0 会得到 nan"
              "（torch.where(span == 0, torch.ones_like(span), span)）。",
    },
    "hint.ex02_split_lengths": {
        "en": "keep only the rows whose split column equals the split asked for; the header line is not a sample.",
        "zh": "只保留 split 列等于所要划分的那些行；表头那一行不是样本。",
    },
    "hint.ex02_item_types": {
        "en": "ds[i] must be (x, y): x a float32 tensor [4], y an int64 (torch.long) 0-dim tensor, "
              "since CrossEntropyLoss needs class indices as int64.",
        "zh": "ds[i] 必须是 (x, y)：x 是 float32 的 [4] 张量，y 是 int64（torch.long）的 0 维张量，"
              "因为 CrossEntropyLoss 需要 int64 的类别下标。",
    },
    "hint.ex02_read_rows": {
        "en": "the features are the four measurement columns in their order and y is the label column; "
              "species and split are not features.",
        "zh": "特征是按顺序排列的四个测量列，y 是 label 列；`species` 和 `split` 列不是特征。",
    },
    "hint.ex02_scale_stats": {
        "en": "when stats is given, scale the features with minmax_scale(x, stats) using exactly those stats; "
              "do not fit new ones on this split.",
        "zh": "给定 stats 时，用 minmax_scale(x, stats) 并且正好使用这些统计量来缩放特征；不要在这个划分上重新拟合。",
    },
    "hint.ex02_split_error": {
        "en": "raise ValueError for an unknown split and name the valid ones in the message, "
              "e.g. \"unknown split 'dev': expected 'train', 'val' or 'test'\".",
        "zh": "遇到未知的划分要抛出 ValueError，并在信息中写出合法的取值，"
              "例如 `\"unknown split 'dev': expected 'train', 'val' or 'test'\"`。",
    },
    "hint.ex02_missing_file": {
        "en": "a missing file must raise FileNotFoundError whose message contains the path you were given "
              "(open() does this for you; do not catch it and raise something else).",
        "zh": "文件不存在时必须抛出 FileNotFoundError，并且信息中包含传入的路径"
              "（open() 本身就会这样做；不要捕获它再抛出别的异常）。",
    },
    "hint.ex02_tensor_dataset": {
        "en": "return TensorDataset(features, labels) with float32 features and int64 (torch.long) labels: "
              "CrossEntropyLoss needs int64 labels and nn.Linear fails on NumPy's float64.",
        "zh": "返回 TensorDataset(features, labels)：特征为 float32，标签为 int64（torch.long）："
              "CrossEntropyLoss 需要 int64 标签，而 nn.Linear 遇到 NumPy 默认的 float64 会报错。",
    },
    "hint.ex02_make_loaders": {
        "en": "build one DataLoader(ds, batch_size=batch_size, ...) per dataset and return them as a dict with exactly "
              "the keys \"train\", \"val\" and \"test\".",
        "zh": "为每个数据集各建一个 DataLoader(ds, batch_size=batch_size, ...)，并以 dict 返回，"
              "键正好是 \"train\"、\"val\"、\"test\"。",
    },
    "hint.ex02_batch_size": {
        "en": "pass batch_size=batch_size to every DataLoader (the default is 1).",
        "zh": "每个 DataLoader 都要传入 batch_size=batch_size（默认值是 1）。",
    },
    "hint.ex02_no_drop": {
        "en": "keep drop_last=False: no sample is dropped, the last batch may be smaller.",
        "zh": "保持 drop_last=False：不丢弃任何样本，最后一个批量可以更小。",
    },
    "hint.ex02_train_seed": {
        "en": "give the training DataLoader its own generator=torch.Generator().manual_seed(seed): the same seed must give "
              "the same order, another seed another order (torch.manual_seed changes the global RNG, which others use too).",
        "zh": "给训练集的 DataLoader 传入它自己的 generator=torch.Generator().manual_seed(seed)：相同的 seed 顺序必须相同，"
              "不同的 seed 顺序不同（torch.manual_seed 改的是全局随机数发生器，其他代码也会用它）。",
    },
    "hint.ex02_train_shuffled": {
        "en": "the training loader must shuffle (shuffle=True), so every epoch sees the samples in a new order: "
              "an order drawn once and replayed is not a shuffle.",
        "zh": "训练加载器必须打乱顺序（shuffle=True），这样每个 epoch 看到的样本顺序都不同："
              "只抽取一次顺序然后每次重复使用，不算打乱。",
    },
    "hint.ex02_only_train_shuffled": {
        "en": "only the training loader is shuffled; val and test keep the dataset order (shuffle=False).",
        "zh": "只有训练加载器打乱顺序；val 和 test 保持数据集原来的顺序（shuffle=False）。",
    },
    "hint.ex02_steps_ceil": {
        "en": "use math.ceil: the last partial batch is still a step (n // batch_size forgets it).",
        "zh": "请用 math.ceil：最后一个不完整的批量也算一步（n // batch_size 会漏掉它）。",
    },
    "hint.ex02_steps_exact": {
        "en": "when n_samples is a multiple of batch_size there is no partial batch: 48 samples in batches of 8 "
              "are 6 steps, not 7 (math.ceil(n / b) adds a step only for a remainder).",
        "zh": "当 n_samples 是 batch_size 的整数倍时没有不完整的批量：48 个样本以 8 为批量是 6 步而不是 7 步"
              "（math.ceil(n / b) 只在有余数时多出一步）。",
    },
    "hint.ex02_steps_drop_last": {
        "en": "with drop_last=True the last partial batch is dropped: n_samples // batch_size.",
        "zh": "drop_last=True 时最后一个不完整的批量会被丢掉：n_samples // batch_size。",
    },
    "hint.ex02_steps_int": {
        "en": "return an int: math.ceil(n / b) and n // b are ints, n / b is a float.",
        "zh": "请返回 int：math.ceil(n / b) 和 n // b 都是 int，而 n / b 是 float。",
    },
    # --- words shown as got or expected (cmp.* parameters; see catalog.py) ---
    "value.ex02_same_every_epoch": {"en": "the same order every epoch", "zh": "每一轮的顺序都相同"},
    "value.ex02_new_shuffle": {"en": "a new shuffle every epoch", "zh": "每一轮都重新打乱"},
    "value.ex02_dataset_order": {"en": "the dataset order", "zh": "数据集原本的顺序"},
    "value.ex02_shuffled": {"en": "a shuffled order", "zh": "打乱后的顺序"},
    "value.ex02_same_in_epoch": {"en": "the same order in epoch {epoch}", "zh": "第 {epoch} 轮的顺序没有变"},
    "value.ex02_same_order": {"en": "the same order", "zh": "相同的顺序"},
    "value.ex02_another_order": {"en": "another order", "zh": "不同的顺序"},
    "value.ex02_epoch1_again": {"en": "the order of epoch 1 again", "zh": "又是第 1 轮的顺序"},
    "value.ex02_new_order": {"en": "a new order each epoch", "zh": "每一轮都是新的顺序"},
    "value.ex02_once_each_batches": {
        "en": "{count} samples once each in batches of {batch}",
        "zh": "{count} 个样本各出现一次，每批 {batch} 个",
    },
    "value.ex02_once_each": {"en": "{count} samples once each", "zh": "{count} 个样本各出现一次"},
    "value.ex02_no_batches": {"en": "no batches", "zh": "没有批次"},
    "value.ex02_not_once": {"en": "not every sample exactly once", "zh": "并非每个样本都恰好出现一次"},
    "value.ex02_batch_sizes": {"en": "batches of {sizes}", "zh": "批次大小为 {sizes}"},
    "value.ex02_batches_of": {"en": "batches of {batch}", "zh": "每批 {batch} 个"},
    "label.ex02_labels_of": {"en": "{what} labels", "zh": "{what} 的标签"},
    "label.ex02_features_of": {"en": "{what} features", "zh": "{what} 的特征"},
    "label.ex02_features": {"en": "features", "zh": "特征"},
    "label.ex02_samples_per_label": {"en": "samples per label of the '{split}' split", "zh": "'{split}' 划分中每个标签的样本数"},
    "label.ex02_feature_sums": {"en": "feature sums of the '{split}' split", "zh": "'{split}' 划分的特征之和"},
    "label.ex02_feature_squares": {"en": "feature sums of squares of the '{split}' split", "zh": "'{split}' 划分的特征平方和"},
    "label.ex02_second_loader_epochs": {"en": "epochs of the second loader", "zh": "第二个加载器的 epoch 数"},
    "label.ex02_order_same_seed": {
        "en": "training order, seed {seed} twice, epoch {epoch}",
        "zh": "训练顺序：两次使用种子 {seed}，第 {epoch} 个 epoch",
    },
    "label.ex02_order_seeds": {"en": "training order, seeds {seed} and {other}", "zh": "训练顺序：种子 {seed} 和 {other}"},
    "label.ex02_order": {"en": "{loader} order", "zh": "{loader} 的顺序"},
    "label.ex02_samples_of": {"en": "samples of {loader}", "zh": "{loader} 的样本"},
    "label.ex02_batch_sizes": {"en": "batch sizes of {loader}", "zh": "{loader} 的批大小"},
}
