"""Hidden checks for ex08 and the MNIST bonus: another seed and test size, the labels,
disjoint and reproducible splits, and the accuracy measured by the grader.

As in the public checks, the MNIST bonus checks run only where the MNIST files
are in the data folder (``assignment.BONUSES``).
"""
import torch

from ...feedback.catalog import Msg
from ..api import check, expect
from ..helpers.ex08 import (
    N_DIGITS,
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
    split,
)
from ..reference import ex08 as px

SEED, TEST_SIZE = 11, 0.3
N_TEST = 540  # ceil(0.3 * 1797), as train_test_split rounds the test share up
N_TRAIN = N_DIGITS - N_TEST


@check("ex08", "load_digits_split", 1, en="load_digits_split(seed=11, test_size=0.3) gives 1257 / 540 samples, "
       "float32 X [n, 64] and int64 y", zh="load_digits_split(seed=11, test_size=0.3) 返回 1257 / 540 个样本，"
       "X 为 float32 [n, 64]，y 为 int64")
def test_load_digits_split_shapes_hidden(ex08):
    parts, call = split(ex08, seed=SEED, test_size=TEST_SIZE)
    expect_split_shapes(parts, call, N_TRAIN, N_TEST)


@check("ex08", "load_digits_split", 1, en="every row is a digit's pixels / 16 and y holds its true label",
       zh="每一行都是某个数字的像素 / 16，y 是它真实的标签")
def test_load_digits_split_labels(ex08):
    parts, call = split(ex08, seed=SEED, test_size=TEST_SIZE)
    expect_split_shapes(parts, call, N_TRAIN, N_TEST)
    train_labels, test_labels = expect_scaled_digits(parts, call)
    for name, got, truth in (("y_train", parts[2], train_labels), ("y_test", parts[3], test_labels)):
        wrong = int((got != torch.tensor(truth)).sum())
        expect(wrong == 0, Msg("cmp.number", got=Msg("value.ex08_labels", count=wrong),
                               expected=Msg("value.ex08_label_of_row")),
               hint="hint.ex08_labels", name=f"{call}: {name}")


@check("ex08", "load_digits_split", 1, en="the split with seed=11, test_size=0.3 is stratified",
       zh="seed=11、test_size=0.3 的划分是分层的")
def test_load_digits_split_stratified_hidden(ex08):
    parts, call = split(ex08, seed=SEED, test_size=TEST_SIZE)
    expect_split_shapes(parts, call, N_TRAIN, N_TEST)
    _, test_labels = expect_scaled_digits(parts, call)
    expect_stratified(test_labels, TEST_SIZE, call)


def row_keys(x):
    return {bytes((r * 16).round().to(torch.uint8).numpy().tobytes()) for r in x}


@check("ex08", "load_digits_split", 1, en="train and test are disjoint and cover all 1797 digits; the same seed gives "
       "the same split, another seed another", zh="训练集和测试集不相交且覆盖全部 1797 个数字；相同 seed 得到相同划分，"
       "不同 seed 得到不同划分")
def test_load_digits_split_disjoint_and_seeded(ex08):
    parts, call = split(ex08, seed=SEED, test_size=TEST_SIZE)
    expect_split_shapes(parts, call, N_TRAIN, N_TEST)
    train, test = row_keys(parts[0]), row_keys(parts[1])
    expect(not (train & test) and len(train | test) == N_DIGITS,
           Msg("cmp.number", got=Msg("value.ex08_overlap", both=len(train & test), distinct=len(train | test)),
               expected=Msg("value.ex08_overlap", both=0, distinct=N_DIGITS)), hint="hint.ex08_disjoint", name=call)
    expect_seeded_split(ex08, parts, call, seed=SEED, test_size=TEST_SIZE)


@check("ex08", "train_digits", 1, en="train_digits(epochs=2, hidden=(24, 12), seed=5) trains MLP(64, [24, 12], 10) "
       "for 2 epochs", zh="train_digits(epochs=2, hidden=(24, 12), seed=5) 训练 MLP(64, [24, 12], 10) 共 2 个 epoch")
def test_train_digits_uses_arguments(sub):
    expect_trains_with_arguments(sub, {"epochs": 2, "hidden": (24, 12), "seed": 5}, {"seed": 3})


@check("ex08", "train_digits", 2, en="the model of train_digits(seed=3) reaches >= 0.95 test accuracy (measured by "
       "the grader)", zh="train_digits(seed=3) 训练的模型测试准确率 >= 0.95（由评分程序测量）")
def test_train_digits_accuracy_hidden(sub):
    expect_accuracy(sub, {"seed": 3})


@check("ex08", "train_digits", 1, en="train_digits(seed=3)['test_accuracy'] is a float equal to the model's "
       "accuracy on X_test", zh="train_digits(seed=3)['test_accuracy'] 是 float，等于模型在 X_test 上的准确率")
def test_train_digits_reported_accuracy_hidden(sub):
    expect_reported_accuracy(sub, {"seed": 3})


@check("ex08", "mnist_loaders", 2, en="mnist_loaders on a folder without the MNIST files raises a clear error "
       "saying where the files go and how to get them", zh="在没有 MNIST 文件的目录上，mnist_loaders 抛出清晰的错误，"
       "说明文件应放在哪里以及如何获取")
def test_mnist_loaders_missing_files_hidden(sub):
    expect_missing_mnist_error(sub, "datasets_hidden/empty_mnist_root")


# --- the MNIST bonus (only where the data exists) ----------------------------------------------------
@check("mnist", "mnist_loaders", 2, en="mnist_loaders(batch_size=32): 60000 / 10000 images, training batches of 32, "
       "test images normalized with (0.1307, 0.3081)", zh="mnist_loaders(batch_size=32)：60000 / 10000 张图像，"
       "训练批量为 32，测试图像用 (0.1307, 0.3081) 归一化")
def test_mnist_loaders_batch_size_and_sizes(sub):
    out, call = mnist_loaders_out(sub, batch_size=32)
    raw = sub.data_dir / "MNIST" / "raw"
    for name, file in (("train", px.MNIST_FILES[1]), ("test", px.MNIST_FILES[3])):
        expect_mnist_batches(out[name], 32 if name == "train" else None, f"{call}: {name} batches")
        n = len(px.read_idx(raw / file))
        expect(out[name]["length"] == n, Msg("cmp.number", got=out[name]["length"], expected=n),
               hint="hint.mnist_loaders", name=f"len({call}[{name}].dataset)")
    expect_normalized(out["test"], f"{call}: test batches")


@check("mnist", "train_mnist", 3, en="the model of train_mnist() reaches >= 0.97 test accuracy on the 10000 test "
       "images (measured by the grader)",
       zh="train_mnist() 训练的模型在 10000 张测试图像上准确率 >= 0.97（由评分程序测量）")
def test_train_mnist_accuracy_hidden(sub):
    mnist_accuracy(sub)

