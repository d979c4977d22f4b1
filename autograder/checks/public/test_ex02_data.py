"""Public checks for ex02: min-max scaling, the iris Dataset, DataLoaders and steps per epoch."""
import numpy as np
import torch

from ...feedback.catalog import Msg
from ..api import check, expect, expect_close, expect_equal
from ..helpers.ex01 import gen, hinted
from ..helpers.ex02 import (
    LOADER_SIZES,
    ROWS,
    dataset,
    expect_epochs_once_each,
    expect_iris_split,
    expect_items,
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
from ..reference.ex02 import flat, scale


@check("ex02", "minmax_stats", 1, en="minmax_stats returns the per-feature min and max, each [3]",
       zh="minmax_stats 返回每个特征的最小值和最大值，形状都是 [3]")
def test_minmax_stats(ex02):
    x = torch.randn(5, 3, generator=gen(40)) * 4
    with hinted("hint.ex02_minmax_stats"):
        result = ex02.minmax_stats(x)
    expect(isinstance(result, (tuple, list)) and len(result) == 2,
           Msg("cmp.type", expected="(lo, hi)", got=type(result).__name__), hint="hint.ex02_minmax_stats",
           name="minmax_stats(x)")
    expect_close(result[0], x.amin(dim=0), hint="hint.ex02_minmax_stats", name="lo")
    expect_close(result[1], x.amax(dim=0), hint="hint.ex02_minmax_stats", name="hi")


@check("ex02", "minmax_scale", 1, en="minmax_scale maps the training features onto [0, 1]",
       zh="minmax_scale 把训练特征映射到 [0, 1]")
def test_minmax_scale(ex02):
    x = torch.randn(6, 3, generator=gen(41)) * 3 + 1
    stats = (x.amin(dim=0), x.amax(dim=0))
    with hinted("hint.ex02_minmax_scale"):
        got = ex02.minmax_scale(x, stats)
    expect_close(got, scale(x, stats), hint="hint.ex02_minmax_scale", name="minmax_scale(x, stats)")


@check("ex02", "minmax_scale", 1, en="a feature with zero range is divided by 1, not 0",
       zh="取值范围为 0 的特征除以 1，而不是除以 0")
def test_minmax_scale_zero_range(ex02):
    x = torch.tensor([[1.0, 2.0, 5.0], [3.0, 2.0, 7.0], [2.0, 2.0, 6.0]])
    stats = (x.amin(dim=0), x.amax(dim=0))
    with hinted("hint.ex02_zero_range"):
        got = ex02.minmax_scale(x, stats)
    expect_close(got, scale(x, stats), hint="hint.ex02_zero_range", name="minmax_scale(x, stats)")


@check("ex02", "IrisDataset", 1, en="data/iris.csv has 96 train, 24 val and 30 test samples",
       zh="data/iris.csv 中 train、val、test 分别有 96、24、30 个样本")
def test_iris_split_lengths(sub, ex02):
    path = ex02.data_dir() / "iris.csv"
    for split, n in (("train", 96), ("val", 24), ("test", 30)):
        out = dataset(sub, path, split)
        expect_equal(out["len"], n, hint="hint.ex02_split_lengths", name=f"len(IrisDataset(..., '{split}'))")
        # the lengths alone earn nothing: the samples must be that split's rows of the shipped CSV
        x, y = expect_items(out["items"], "hint.ex02_item_types")
        expect_iris_split(x, y, split)


@check("ex02", "IrisDataset", 1, en="ds[i] is (x float32 [4], y int64 0-dim) with the CSV's values",
       zh="ds[i] 是 (float32 的 x [4]，int64 的 0 维 y)，数值与 CSV 一致")
def test_iris_items(sub):
    expect_reads_split(sub, write_csv(sub, "iris_public.csv", ROWS), ROWS, "train")


@check("ex02", "IrisDataset", 1, en="with stats, the features are min-max scaled",
       zh="给定 stats 时，特征经过 min-max 缩放")
def test_iris_scaled_with_stats(sub):
    expect_scaled_with_train_stats(sub, write_csv(sub, "iris_public.csv", ROWS), ROWS, "train")


@check("ex02", "IrisDataset", 1, en="an unknown split ('training') raises ValueError",
       zh="未知的划分（'training'）会抛出 ValueError")
def test_iris_unknown_split(sub):
    path = write_csv(sub, "iris_public.csv", ROWS)
    expect_reads_split(sub, path, ROWS, "train")  # a dataset that always raises earns nothing
    expect_unknown_split(sub, path, "training", names_valid=False)


@check("ex02", "IrisDataset", 0.5, en="a missing CSV raises FileNotFoundError naming the path",
       zh="CSV 文件不存在时抛出 FileNotFoundError，并写明路径")
def test_iris_missing_file_named(sub):
    path = write_csv(sub, "iris_public.csv", ROWS)
    expect_reads_split(sub, path, ROWS, "val")  # a dataset that always raises earns nothing
    expect_missing_file_named(sub, "no_iris_here/iris.csv")


@check("ex02", "to_tensor_dataset", 2,
       en="to_tensor_dataset turns float64/int32 arrays into float32 features, int64 labels",
       zh="to_tensor_dataset 把 float64/int32 数组变成 float32 特征和 int64 标签",
       in_process="isinstance(ds, TensorDataset), seen in the worker")
def test_to_tensor_dataset(sub):
    X = np.arange(18, dtype=np.float64).reshape(6, 3) / 7
    y = np.array([0, 2, 1, 1, 0, 2], dtype=np.int32)
    expect_tensor_dataset(sub, X, y)


@check("ex02", "make_loaders", 1,
       en="make_loaders returns train/val/test loaders that yield every sample once in batches of 16",
       zh="make_loaders 返回 train/val/test 三个加载器，以 16 为批量把每个样本各给出一次")
def test_make_loaders(sub):
    sizes = (40, 13, 11)
    out = loaders(sub, sizes=sizes, batch_size=16, seed=0, other_seed=1)
    for (name, n), offset in zip(zip(("train", "val", "test"), sizes), (0, 1000, 2000)):
        batches = out["batches"][name]
        expect(bool(batches) and all(len(b) <= 16 for b in batches) and len(batches[0]) == min(16, n),
               Msg("cmp.number", got=[len(b) for b in batches], expected=Msg("value.ex02_batches_of", batch=16)),
               hint="hint.ex02_batch_size", name=Msg("label.ex02_batch_sizes", loader=f"loaders['{name}']"))
        expect_equal(sorted(flat(batches)), list(range(offset, offset + n)), hint="hint.ex02_no_drop",
                     name=Msg("label.ex02_samples_of", loader=f"loaders['{name}']"))


@check("ex02", "steps_per_epoch", 1.5, en="steps_per_epoch: 96/16 is 6, 100/16 is 7, 5/8 is 1",
       zh="steps_per_epoch：96/16 为 6，100/16 为 7，5/8 为 1")
def test_steps_per_epoch(ex02):
    for n, b, expected in ((96, 16, 6), (100, 16, 7), (5, 8, 1)):
        expect_steps(ex02, n, b, None, expected, "hint.ex02_steps_ceil")


@check("ex02", "make_loaders", 1,
       en="only train is shuffled (anew every epoch); val and test keep the dataset order",
       zh="只有 train 打乱顺序（每个 epoch 重新打乱）；val 和 test 保持数据集的顺序")
def test_only_train_shuffled(sub):
    out = loaders(sub, sizes=LOADER_SIZES, batch_size=4, seed=3, other_seed=4)
    expect_val_test_in_order(out, LOADER_SIZES)
    first, second = out["batches"]["train"], out.get("second")
    expect_epochs_once_each((("epoch 1", first), ("epoch 2", second)), LOADER_SIZES[0], 4)
    expect_shuffled(first)
    expect_new_shuffle(first, second)


@check("ex02", "make_loaders", 0.5,
       en="the training order comes from its own torch.Generator seeded with seed: same seed same order, "
          "another seed another",
       zh="训练顺序来自用 seed 初始化的 torch.Generator：相同 seed 顺序相同，不同 seed 顺序不同",
       in_process="the orders its training loader yields, seen in the worker")
def test_train_order_seeded(sub):
    out = loaders(sub, sizes=LOADER_SIZES, batch_size=4, seed=3, other_seed=4)
    first, second = out["batches"]["train"], out.get("second")
    again = out.get("again") if isinstance(out.get("again"), list) else []
    epochs = (("epoch 1", first), ("epoch 2", second), ("other seed", out.get("other")))
    expect_epochs_once_each(epochs, LOADER_SIZES[0], 4)
    expect_shuffled(first)  # an unshuffled loader is the same for every seed: it earns nothing
    # a loader that replays one shuffled order every epoch is seeded, but not shuffled per epoch
    expect(flat(second) != flat(first), Msg("cmp.number", got=Msg("value.ex02_epoch1_again"),
                                            expected=Msg("value.ex02_new_order")),
           hint="hint.ex02_train_shuffled", name="loaders['train'], epoch 2")
    expect_equal(len(again), 2, hint="hint.ex02_train_seed", name=Msg("label.ex02_second_loader_epochs"))
    expect_same_seed_orders(again, first, second, seed=3)
    expect_other_seed_order(out["other"], first, seed=3, other_seed=4)


@check("ex02", "steps_per_epoch", 0.5, en="steps_per_epoch(97, 8, drop_last=True) is 12; drop_last=False keeps 13",
       zh="steps_per_epoch(97, 8, drop_last=True) 为 12；drop_last=False 时为 13")
def test_steps_per_epoch_drop_last_flag(ex02):
    expect_steps(ex02, 97, 8, False, 13, "hint.ex02_steps_ceil")
    expect_steps(ex02, 97, 8, True, 12, "hint.ex02_steps_drop_last")


@check("ex02", "IrisDataset", 0.5,
       en="the val split is scaled with the stats given (the training split's), not its own",
       zh="val 划分用传入的 stats（训练集的）缩放，而不是用它自己的")
def test_iris_val_scaled_with_train_stats(sub):
    expect_scaled_with_train_stats(sub, write_csv(sub, "iris_public.csv", ROWS), ROWS, "val")


@check("ex02", "IrisDataset", 0.5, en="the ValueError of an unknown split ('dev') names the valid splits",
       zh="未知划分（'dev'）的 ValueError 会写出有效的划分名称")
def test_iris_unknown_split_names_valid(sub):
    path = write_csv(sub, "iris_public.csv", ROWS)
    expect_reads_split(sub, path, ROWS, "test")  # a dataset that always raises earns nothing
    expect_unknown_split(sub, path, "dev", names_valid=True)
