"""Public checks for ex08 (the digits end to end) and the MNIST bonus.

Accuracy is computed here, never taken from the student: the worker sends
back the trained model's state dict, the grader rebuilds the network from it
(any MLP: Linear weight/bias pairs in key order, ReLU between them;
``checks/reference/ex08.py``) and evaluates it on the test split it makes
itself from its own copy of scikit-learn's digits (``reference_data.py``).
The reported ``test_accuracy`` is compared with the rebuilt network's accuracy
on the student's X_test, whose rows the grader identifies in its copy to get
the true labels. No label is sent to the worker.

The MNIST bonus checks run only where the MNIST files are: the grader deselects
them when ``<data dir>/MNIST/raw/`` lacks any of the four IDX files (the bonus in
``assignment.BONUSES``; ``GraderPlugin.pytest_collection_modifyitems``).
"""

from ..api import check
from ..helpers.ex08 import (
    N_DIGITS,
    digits_run,
    expect_accuracy,
    expect_missing_mnist_error,
    expect_mnist_batches,
    expect_normalized,
    expect_reported_accuracy,
    expect_scaled_digits,
    expect_seeded_split,
    expect_split_shapes,
    expect_stratified,
    expect_trains_with_arguments,
    mnist_accuracy,
    mnist_loaders_out,
    network,
    split,
)


@check("ex08", "load_digits_split", 1.5, en="load_digits_split() gives X float32 [1347, 64] / [450, 64] and y int64 "
       "[1347] / [450]", zh="load_digits_split() 返回 X float32 [1347, 64] / [450, 64]，y int64 [1347] / [450]")
def test_load_digits_split_shapes(ex08):
    parts, call = split(ex08)
    expect_split_shapes(parts, "load_digits_split()", 1347, 450)


@check("ex08", "load_digits_split", 1, en="the pixels are the digits' 0..16 values divided by 16, in [0, 1]",
       zh="像素值是手写数字数据集原始的 0..16 除以 16，位于 [0, 1]")
def test_load_digits_split_scaled(ex08):
    parts, _ = split(ex08)
    expect_split_shapes(parts, "load_digits_split()", 1347, 450)
    expect_scaled_digits(parts, "load_digits_split()")


@check("ex08", "load_digits_split", 1, en="the split is stratified: every digit keeps its share in the test set",
       zh="划分是分层的：每个数字在测试集中保持原有比例")
def test_load_digits_split_stratified(ex08):
    parts, _ = split(ex08)
    expect_split_shapes(parts, "load_digits_split()", 1347, 450)
    _, test_labels = expect_scaled_digits(parts, "load_digits_split()")
    expect_stratified(test_labels, 450 / N_DIGITS, "load_digits_split()")


@check("ex08", "train_digits", 0.5,
       en="train_digits() returns {'model', 'history', 'test_accuracy'} with an MLP (nn.Module)",
       zh="train_digits() 返回 {'model', 'history', 'test_accuracy'}，其中 model 是 MLP（nn.Module）")
def test_train_digits_returns_dict(sub):
    network(digits_run(sub), {})


@check("ex08", "train_digits", 2, en="the model of train_digits() reaches >= 0.95 test accuracy (measured by the "
       "grader)", zh="train_digits() 训练的模型测试准确率 >= 0.95（由评分程序测量）")
def test_train_digits_accuracy(sub):
    expect_accuracy(sub, {})


@check("ex08", "train_digits", 0.5, en="test_accuracy is a float equal to the returned model's accuracy on X_test",
       zh="test_accuracy 是 float，等于返回的模型在 X_test 上的准确率")
def test_train_digits_reported_accuracy(sub):
    expect_reported_accuracy(sub, {})


@check("ex08", "mnist_loaders", 2, en="mnist_loaders on a folder without the MNIST files raises a clear error "
       "saying where the files go and how to get them", zh="在没有 MNIST 文件的目录上，mnist_loaders 抛出清晰的错误，"
       "说明文件应放在哪里以及如何获取")
def test_mnist_loaders_missing_files(sub):
    expect_missing_mnist_error(sub, "mnist_empty_public")


@check("mnist", "mnist_loaders", 2, en="mnist_loaders gives batches of 64 images [1, 28, 28], normalized with "
       "(0.1307, 0.3081)", zh="mnist_loaders 给出 64 张 [1, 28, 28] 图像的批量，用 (0.1307, 0.3081) 归一化")
def test_mnist_loaders_normalized(sub):
    out, call = mnist_loaders_out(sub)
    expect_mnist_batches(out["train"], 64, f"{call}: train batches")
    expect_normalized(out["train"], f"{call}: train batches")


@check("mnist", "train_mnist", 3, en="the model of train_mnist() reaches >= 0.97 test accuracy (measured by the "
       "grader)", zh="train_mnist() 训练的模型测试准确率 >= 0.97（由评分程序测量）")
def test_train_mnist_accuracy(sub):
    mnist_accuracy(sub)


@check("ex08", "load_digits_split", 1, en="load_digits_split(seed=3, test_size=0.2) gives 1437 / 360 samples; the "
       "same seed gives the same split, another seed another",
       zh="load_digits_split(seed=3, test_size=0.2) 返回 1437 / 360 个样本；相同 seed 划分相同，不同 seed 划分不同")
def test_load_digits_split_arguments(ex08):
    parts, call = split(ex08, seed=3, test_size=0.2)
    expect_split_shapes(parts, call, N_DIGITS - 360, 360)  # train_test_split rounds the test share up
    expect_scaled_digits(parts, call)
    expect_seeded_split(ex08, parts, call, seed=3, test_size=0.2)


@check("ex08", "train_digits", 0.5, en="train_digits(epochs=1, hidden=(20,), seed=2) trains MLP(64, [20], 10) "
       "for 1 epoch", zh="train_digits(epochs=1, hidden=(20,), seed=2) 训练 MLP(64, [20], 10) 共 1 个 epoch")
def test_train_digits_arguments(sub):
    expect_trains_with_arguments(sub, {"epochs": 1, "hidden": (20,), "seed": 2}, {})
