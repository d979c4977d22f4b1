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
}
