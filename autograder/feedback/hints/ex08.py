HINTS = {
    "hint.ex08_split_shapes": {
        "en": "return (X_train, X_test, y_train, y_test) from train_test_split(X, y, test_size=test_size, ...) over "
              "all 1797 digits, X flattened to [n, 64] (load_digits(return_X_y=True) already is).",
        "zh": "返回 train_test_split(X, y, test_size=test_size, ...) 在全部 1797 个数字上得到的 "
              "(X_train, X_test, y_train, y_test)，X 展平为 [n, 64]（load_digits(return_X_y=True) 已经是这样）。",
    },
    "hint.ex08_dtypes": {
        "en": "the model wants float32 features and CrossEntropyLoss int64 labels: convert the float64 / int64 "
              "NumPy arrays with torch.as_tensor(X, dtype=torch.float32) and torch.as_tensor(y, dtype=torch.int64).",
        "zh": "模型需要 float32 的特征，CrossEntropyLoss 需要 int64 的标签：用 torch.as_tensor(X, dtype=torch.float32) "
              "和 torch.as_tensor(y, dtype=torch.int64) 转换 float64 / int64 的 NumPy 数组。",
    },
    "hint.ex08_scale": {
        "en": "scale the digit pixels to [0, 1] by dividing by 16 (they go from 0 to 16), not by 255 and not with "
              "a per-feature scaler.",
        "zh": "把数字图像的像素除以 16 缩放到 [0, 1]（原始值是 0 到 16），不要除以 255，也不要按特征分别缩放。",
    },
    "hint.ex08_labels": {
        "en": "keep X and y together through the split (train_test_split(X, y, ...) shuffles both the same way): "
              "y[i] must be the label of X[i].",
        "zh": "划分时让 X 和 y 保持对应（train_test_split(X, y, ...) 会用同样的方式打乱两者）：y[i] 必须是 X[i] 的标签。",
    },
    "hint.ex08_stratify": {
        "en": "stratify the split: train_test_split(..., stratify=y) keeps every digit's share in train and test.",
        "zh": "请分层划分：train_test_split(..., stratify=y) 让每个数字在训练集和测试集中保持相同的比例。",
    },
    "hint.ex08_disjoint": {
        "en": "split once: every digit goes either to train or to test, never to both, and none is left out.",
        "zh": "只划分一次：每个样本要么在训练集、要么在测试集，不能同时在两边，也不能遗漏。",
    },
    "hint.ex08_seed": {
        "en": "pass the seed on as random_state=seed: the same seed must give the same split, another seed another.",
        "zh": "把 seed 作为 random_state=seed 传下去：相同的 seed 必须得到相同的划分，不同的 seed 得到不同的划分。",
    },
    "hint.ex08_train_result": {
        "en": "train_digits returns {{'model': the trained nn.Module, 'history': fit's history, 'test_accuracy': a "
              "float}}; the model must accept X_test [n, 64] and return logits [n, 10].",
        "zh": "train_digits 返回 {{'model': 训练好的 nn.Module, 'history': fit 的 history, 'test_accuracy': float}}；"
              "模型要能接受 X_test [n, 64] 并返回 logits [n, 10]。",
    },
    "hint.ex08_accuracy": {
        "en": "the returned model is not accurate enough: train MLP(64, list(hidden), 10) with Adam at lr, "
              "CrossEntropyLoss and shuffled mini-batches for `epochs` epochs on the train split of "
              "load_digits_split(seed), and return the trained model itself.",
        "zh": "返回的模型准确率不够：在 load_digits_split(seed) 的训练集上，用 Adam（学习率 lr）、CrossEntropyLoss 和"
              "打乱的小批量训练 MLP(64, list(hidden), 10) 共 epochs 个 epoch，并返回训练好的模型本身。",
    },
    "hint.ex08_arguments": {
        "en": "use the arguments you are given: MLP(64, list(hidden), 10) with the hidden widths asked for, "
              "trained for `epochs` epochs (with lr and batch_size as given), not fixed numbers.",
        "zh": "请使用传入的参数：按给定的隐藏层宽度构建 MLP(64, list(hidden), 10)，训练 `epochs` 个 epoch"
              "（lr 和 batch_size 也用传入的值），不要写死数字。",
    },
    "hint.ex08_test_accuracy": {
        "en": "test_accuracy is a Python float in [0, 1] (not a percentage, not a tensor): the fraction of the test "
              "split of load_digits_split(seed) that the returned model classifies correctly, e.g. "
              "evaluate(model, test_loader, loss_fn)['accuracy'].",
        "zh": "test_accuracy 是 [0, 1] 之间的 Python float（不是百分数，也不是张量）：返回的模型在 "
              "load_digits_split(seed) 的测试集上分类正确的比例，例如 evaluate(model, test_loader, loss_fn)['accuracy']。",
    },
    "hint.ex08_mnist_missing": {
        "en": "when <root>/MNIST/raw lacks the files (and download is False), raise an error (e.g. FileNotFoundError) "
              "whose message names that folder and says how to get the files: download=True on a machine with "
              "internet, or copy the four IDX files there.",
        "zh": "当 <root>/MNIST/raw 中缺少文件（且 download 为 False）时，抛出错误（例如 FileNotFoundError），"
              "消息中写出该目录，并说明如何获取文件：在能上网的机器上用 download=True，或者把四个 IDX 文件复制过去。",
    },
    "hint.mnist_loaders": {
        "en": "return (train_loader, test_loader) over torchvision's MNIST(root, train=True/False) with the "
              "batch_size given; a batch is (x float32 [batch, 1, 28, 28], y int64 [batch]).",
        "zh": "返回基于 torchvision 的 MNIST(root, train=True/False) 的 (train_loader, test_loader)，使用传入的 "
              "batch_size；一个批量是 (x float32 [批量大小, 1, 28, 28], y int64 [批量大小])。",
    },
    "hint.mnist_normalize": {
        "en": "transform with transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]): "
              "ToTensor scales 0..255 to [0, 1], Normalize then subtracts MNIST's mean and divides by its std.",
        "zh": "使用 transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])："
              "ToTensor 把 0..255 缩放到 [0, 1]，Normalize 再减去 MNIST 的均值并除以标准差。",
    },
    "hint.mnist_train_result": {
        "en": "train_mnist returns {{'model', 'history', 'test_accuracy'}} like train_digits; the model takes "
              "normalized images [n, 1, 28, 28] and returns logits [n, 10].",
        "zh": "train_mnist 与 train_digits 一样返回 {{'model', 'history', 'test_accuracy'}}；模型接受归一化后的图像 "
              "[n, 1, 28, 28]，返回 logits [n, 10]。",
    },
    "hint.mnist_accuracy": {
        "en": "the returned model is not accurate enough: train MLP(784, [256], 10) with Adam (lr 1e-3), batches of "
              "64 and the normalized images of mnist_loaders for `epochs` epochs, and return the trained model.",
        "zh": "返回的模型准确率不够：用 mnist_loaders 的归一化图像、批量 64、Adam（学习率 1e-3）训练 "
              "MLP(784, [256], 10) 共 epochs 个 epoch，并返回训练好的模型。",
    },
    "hint.ex08_not_mlp": {
        "en": "return the MLP you trained (ex03's MLP(64, list(hidden), 10)): the grader rebuilds it from "
              "model.state_dict(), which must hold only its Linear layers' weights and biases, in order.",
        "zh": "请返回你训练好的 MLP（ex03 的 MLP(64, list(hidden), 10)）：评分程序会根据 model.state_dict() 重建它，"
              "其中只能按顺序包含各个 Linear 层的权重和偏置。",
    },
    # --- words shown as got or expected (cmp.* parameters; see catalog.py) ---
    "value.ex08_unknown_rows": {
        "en": "{unknown} of {count} rows are not a digit's pixels / 16",
        "zh": "{count} 行中有 {unknown} 行不是某张手写数字图像的像素 / 16",
    },
    "value.ex08_every_row": {"en": "every row = load_digits().data[i] / 16", "zh": "每一行 = load_digits().data[i] / 16"},
    "value.ex08_per_digit": {"en": "test samples per digit {counts}", "zh": "每个数字的测试样本数 {counts}"},
    "value.ex08_about": {"en": "about {counts} (within 1)", "zh": "约 {counts}（误差不超过 1）"},
    "value.ex08_mlp": {
        "en": "an MLP: Linear layers (weight, bias) with ReLU between them",
        "zh": "MLP：Linear 层（weight, bias）之间是 ReLU",
    },
    "value.ex08_unknown_test_rows": {
        "en": "{unknown} test rows are not a digit's pixels / 16",
        "zh": "有 {unknown} 个测试行不是某张手写数字图像的像素 / 16",
    },
    "value.ex08_accuracy": {"en": "{acc:.6g} (the accuracy of the returned model)", "zh": "{acc:.6g}（返回的模型的准确率）"},
    "value.ex08_where_files": {"en": "an error saying where the files go", "zh": "说明文件应放在哪里的错误"},
    "value.ex08_mnist_message": {
        "en": "a message naming the folder ({root}/MNIST/raw) and how to get the files",
        "zh": "指出文件夹（{root}/MNIST/raw）并说明如何获取文件的错误信息",
    },
    "value.ex08_stats": {
        "en": "min {min:.4f}, max {max:.4f}, mean {mean:.3f}, std {std:.3f}",
        "zh": "最小值 {min:.4f}，最大值 {max:.4f}，均值 {mean:.3f}，标准差 {std:.3f}",
    },
    "value.ex08_stats_expected": {
        "en": "min {min:.4f}, max {max:.4f}, mean about 0, std about 1",
        "zh": "最小值 {min:.4f}，最大值 {max:.4f}，均值约为 0，标准差约为 1",
    },
    "value.ex08_dict_keys_module": {
        "en": "dict with keys {keys} and an nn.Module",
        "zh": "带有键 {keys} 的 dict，且其中有一个 nn.Module",
    },
    "value.ex08_labels": {"en": "{count} labels differ from the digits' targets", "zh": "有 {count} 个标签与手写数字数据集的目标不同"},
    "value.ex08_label_of_row": {"en": "y[i] = the label of row i", "zh": "y[i] = 第 i 行的标签"},
    "value.ex08_overlap": {
        "en": "{both} rows in both, {distinct} distinct rows",
        "zh": "两者共有的行 {both} 个，互不相同的行 {distinct} 个",
    },
    "value.ex08_other_split": {"en": "another split", "zh": "不同的划分"},
    "value.ex08_same_split": {"en": "the same split for the same seed", "zh": "相同种子得到相同的划分"},
    "value.ex08_same_test": {"en": "the same test set", "zh": "相同的测试集"},
    "value.ex08_other_test": {"en": "another test set for another seed", "zh": "换一个种子得到不同的测试集"},
    "value.ex08_no_history": {"en": "no history", "zh": "没有 history"},
    "label.ex08_test_accuracy": {"en": "{call}: test accuracy measured by the grader", "zh": "{call}：评分程序测得的测试准确率"},
}
