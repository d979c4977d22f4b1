"""Hidden checks for ex02: other data, the error messages, shuffling and batching."""
import numpy as np
import torch

from ...feedback.catalog import Msg
from ..api import check, expect, expect_close, expect_equal, hinted
from ..helpers.ex01 import gen
from ..helpers.ex02 import (
    dataset,
    expect_missing_file_named,
    expect_new_shuffle,
    expect_other_seed_order,
    expect_reads_split,
    expect_same_seed_orders,
    expect_scaled_with_train_stats,
    expect_shuffled,
    expect_steps,
    expect_tensor_dataset,
    expect_unknown_split,
    expect_val_test_in_order,
    loaders,
    write_csv,
)
from ..reference.ex02 import epoch_problem, flat, scale

# 6 train, 3 val, 4 test rows, the splits interleaved
ROWS = [
    (6.7, 3.1, 4.4, 1.4, 1, "test"), (4.6, 3.1, 1.5, 0.2, 0, "train"), (7.7, 2.6, 6.9, 2.3, 2, "train"),
    (5.7, 2.8, 4.1, 1.3, 1, "val"), (5.4, 3.9, 1.7, 0.4, 0, "train"), (6.0, 2.2, 5.0, 1.5, 2, "test"),
    (6.9, 3.1, 4.9, 1.5, 1, "train"), (4.4, 2.9, 1.4, 0.2, 0, "val"), (6.5, 3.0, 5.8, 2.2, 2, "train"),
    (5.6, 2.9, 3.6, 1.3, 1, "test"), (5.2, 4.1, 1.5, 0.1, 0, "test"), (6.1, 2.6, 5.6, 1.4, 2, "val"),
    (5.0, 2.0, 3.5, 1.0, 1, "train"),
]
SIZES = (37, 13, 11)  # with batches of 8, drop_last would lose 5 training samples


def hidden_csv(sub):
    return str(write_csv(sub, "iris_hidden.csv", ROWS))


# --- min-max scaling ---------------------------------------------------------------------
@check("ex02", "minmax_stats", 1, en="minmax_stats on 7 samples of 4 features with negative values",
       zh="minmax_stats 作用于含负值的 7 个样本、4 个特征")
def test_minmax_stats_other_data(ex02):
    x = torch.randn(7, 4, generator=gen(50)) * 5 - 2
    with hinted("hint.ex02_minmax_stats"):
        lo, hi = ex02.minmax_stats(x)
    expect_close(lo, x.amin(dim=0), hint="hint.ex02_minmax_stats", name="lo")
    expect_close(hi, x.amax(dim=0), hint="hint.ex02_minmax_stats", name="hi")


@check("ex02", "minmax_scale", 1,
       en="minmax_scale of unseen samples: values outside [0, 1] kept, zero range divided by 1",
       zh="minmax_scale 缩放新样本：超出 [0, 1] 的值保留，取值范围为 0 的特征除以 1")
def test_minmax_scale_unseen(ex02):
    stats = (torch.tensor([0.0, -1.0, 3.0, 2.0]), torch.tensor([2.0, 1.0, 3.0, 6.0]))
    x = torch.tensor([[3.0, 0.0, 4.0, 1.0], [-1.0, 2.0, 3.0, 2.0], [1.0, -1.0, 2.5, 6.5]])
    with hinted("hint.ex02_zero_range"):
        got = ex02.minmax_scale(x, stats)
        single = ex02.minmax_scale(x[0], stats)
    finite = isinstance(got, torch.Tensor) and bool(torch.isfinite(got).all())
    hint = "hint.ex02_minmax_scale" if finite else "hint.ex02_zero_range"
    expect_close(got, scale(x, stats), hint=hint, name="minmax_scale(x, stats)")
    expect_close(single, scale(x[0], stats), hint="hint.ex02_minmax_scale", name="minmax_scale(x[0], stats)")


# --- IrisDataset -------------------------------------------------------------------------------
@check("ex02", "IrisDataset", 1, en="a CSV with interleaved splits gives 6 train, 3 val and 4 test samples",
       zh="划分交错排列的 CSV 得到 6 个 train、3 个 val、4 个 test 样本")
def test_iris_lengths_other_csv(sub):
    path = hidden_csv(sub)
    for split, n in (("train", 6), ("val", 3), ("test", 4)):
        expect_equal(dataset(sub, path, split)["len"], n, hint="hint.ex02_split_lengths",
                     name=f"len(IrisDataset(..., '{split}'))")


@check("ex02", "IrisDataset", 1, en="the val and test samples carry their CSV features and labels",
       zh="val 和 test 样本的特征和标签与 CSV 一致")
def test_iris_values_other_csv(sub):
    path = hidden_csv(sub)
    for split in ("val", "test"):
        expect_reads_split(sub, path, ROWS, split)


@check("ex02", "IrisDataset", 1, en="the test split is scaled with the training statistics it is given",
       zh="test 划分使用传入的训练集统计量进行缩放")
def test_iris_scaled_with_train_stats(sub):
    expect_scaled_with_train_stats(sub, hidden_csv(sub), ROWS, "test")


@check("ex02", "IrisDataset", 1, en="an unknown split raises ValueError naming 'train', 'val' and 'test'",
       zh="未知的划分会抛出 ValueError，并写明 'train'、'val' 和 'test'")
def test_iris_unknown_split_message(sub):
    path = hidden_csv(sub)
    expect_reads_split(sub, path, ROWS, "val")  # a dataset that always raises earns nothing
    expect_unknown_split(sub, path, "dev", names_valid=True)


@check("ex02", "IrisDataset", 1, en="a missing CSV raises FileNotFoundError naming the path",
       zh="CSV 文件不存在时抛出 FileNotFoundError，并写明路径")
def test_iris_missing_file(sub):
    expect_reads_split(sub, hidden_csv(sub), ROWS, "test")  # a dataset that always raises earns nothing
    expect_missing_file_named(sub, "no_such_folder/iris_gone.csv")


# --- TensorDataset and DataLoaders ------------------------------------------------------------
@check("ex02", "to_tensor_dataset", 1,
       en="to_tensor_dataset turns int64 pixels and uint8 labels into float32 and int64",
       zh="to_tensor_dataset 把 int64 像素和 uint8 标签变成 float32 和 int64",
       in_process="isinstance(ds, TensorDataset), seen in the worker")
def test_to_tensor_dataset_other_dtypes(sub):
    X = (np.arange(20, dtype=np.int64).reshape(5, 4) * 3) % 17
    y = np.array([9, 0, 4, 4, 7], dtype=np.uint8)
    expect_tensor_dataset(sub, X, y)


def expect_train_epochs(out, batch_size=8):
    """Every epoch of every training loader returned (two of the first call, two of a second call
    with the same seed, one of another seed) has every sample exactly once, in full batches."""
    epochs = {"epoch 1": out["batches"].get("train"), "epoch 2": out.get("second"), "other seed": out.get("other")}
    again = out.get("again") if isinstance(out.get("again"), list) else []
    epochs.update({f"same seed again, epoch {i + 1}": e for i, e in enumerate(again[:2])})
    for name, batches in epochs.items():
        problem = epoch_problem(batches, SIZES[0], batch_size)
        expect(problem is None,
               Msg("cmp.number", got=problem, expected=Msg("value.ex02_once_each_batches", count=SIZES[0], batch=8)),
               hint="hint.ex02_no_drop", name=f"loaders['train'], {name}")
    expect_equal(len(again), 2, hint="hint.ex02_train_seed", name=Msg("label.ex02_second_loader_epochs"))
    return epochs["epoch 1"], epochs["epoch 2"], again


@check("ex02", "make_loaders", 1,
       en="the training order is the same for the same seed, epoch by epoch (own torch.Generator)",
       zh="相同的 seed 给出相同的训练顺序，每个 epoch 都一样（使用自己的 torch.Generator）")
def test_train_order_same_seed(sub):
    out = loaders(sub, sizes=SIZES, batch_size=8, seed=5, other_seed=6)
    first, second, again = expect_train_epochs(out)
    # a loader that is not shuffled, or replays one order, is the same for any seed: it earns nothing
    expect(flat(first) != sorted(flat(first)) and first != second,
           Msg("cmp.number", got=Msg("value.ex02_same_every_epoch"), expected=Msg("value.ex02_new_shuffle")),
           hint="hint.ex02_train_shuffled", name="loaders['train'], epochs 1 and 2")
    expect_same_seed_orders(again, first, second, seed=5)


@check("ex02", "make_loaders", 1, en="the training loader is shuffled anew every epoch, differently for another seed",
       zh="训练加载器每个 epoch 都重新打乱顺序，换一个 seed 顺序也不同")
def test_train_shuffled_by_seed(sub):
    out = loaders(sub, sizes=SIZES, batch_size=8, seed=5, other_seed=6)
    first, second, _ = expect_train_epochs(out)
    expect_shuffled(first)
    expect_new_shuffle(first, second)
    expect_other_seed_order(out["other"], first, seed=5, other_seed=6)


@check("ex02", "make_loaders", 1, en="val and test are not shuffled: they keep the dataset order",
       zh="val 和 test 不打乱：保持数据集的顺序")
def test_val_test_in_order(sub):
    out = loaders(sub, sizes=SIZES, batch_size=8, seed=5, other_seed=6)
    expect_val_test_in_order(out, SIZES)


@check("ex02", "make_loaders", 1, en="no sample is dropped: 37 training samples in batches of 8 are 5 batches",
       zh="不丢弃样本：37 个训练样本以 8 为批量共 5 个批量")
def test_no_sample_dropped(sub):
    out = loaders(sub, sizes=SIZES, batch_size=8, seed=5, other_seed=6)
    train = out["batches"]["train"]
    expect_equal(sorted(flat(train)), list(range(SIZES[0])), hint="hint.ex02_no_drop",
                 name=Msg("label.ex02_samples_of", loader="loaders['train']"))
    expect_equal([len(b) for b in train], [8, 8, 8, 8, 5], hint="hint.ex02_no_drop",
                 name=Msg("label.ex02_batch_sizes", loader="loaders['train']"))


@check("ex02", "make_loaders", 1, en="val and test also use the batch_size given: 13 and 11 samples in batches of 8",
       zh="val 和 test 也使用传入的 batch_size：13 个和 11 个样本以 8 为批量")
def test_batch_size_given(sub):
    out = loaders(sub, sizes=SIZES, batch_size=8, seed=5, other_seed=6)
    for name, sizes in (("val", [8, 5]), ("test", [8, 3])):
        expect_equal([len(b) for b in out["batches"][name]], sizes, hint="hint.ex02_batch_size",
                     name=Msg("label.ex02_batch_sizes", loader=f"loaders['{name}']"))


@check("ex02", "steps_per_epoch", 2, en="steps_per_epoch counts the last partial batch unless drop_last drops it",
       zh="steps_per_epoch 计入最后一个不完整的批量，除非 drop_last 把它丢掉")
def test_steps_per_epoch_drop_last(ex02):
    expect_steps(ex02, 97, 8, None, 13, "hint.ex02_steps_ceil")
    expect_steps(ex02, 97, 8, False, 13, "hint.ex02_steps_ceil")
    expect_steps(ex02, 48, 8, False, 6, "hint.ex02_steps_ceil")
    for n, b, expected in ((97, 8, 12), (96, 16, 6), (7, 8, 0)):
        expect_steps(ex02, n, b, True, expected, "hint.ex02_steps_drop_last")
