# Generated from solutions/ex02_data.py by `./grade.sh stubs` - do not edit this header.
# Fill in every `# YOUR CODE HERE`, then run ./grade.sh to check your work.
# 由 `./grade.sh stubs` 从 solutions/ex02_data.py 生成。请完成每个 `# YOUR CODE HERE`，然后运行 ./grade.sh 自查。
"""Exercise 2: Dataset and DataLoader.

A ``Dataset`` answers two questions: how many samples are there (``__len__``)
and what is sample i (``__getitem__``). A ``DataLoader`` groups samples into
shuffled mini-batches. You read the iris CSV into a Dataset, scale its
features with statistics fitted on the training split only, and build the
train/val/test loaders.

练习 2：Dataset 与 DataLoader。
``Dataset`` 回答两个问题：一共有多少个样本（``__len__``），第 i 个样本是什么
（``__getitem__``）。``DataLoader`` 把样本组合成打乱顺序的小批量。你将把 iris 的
CSV 读成 Dataset，只用训练集拟合的统计量缩放特征，并构建 train/val/test 三个加载器。
"""
import csv
import math
import os
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
SPLITS = ("train", "val", "test")


def data_dir() -> Path:
    """Provided: the data folder, ``$DL_DATA_DIR`` when set, else ``data/`` at the repository root.

    已提供：数据目录；设置了 ``$DL_DATA_DIR`` 时用它，否则用仓库根目录下的 ``data/``。
    """
    env = os.environ.get("DL_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parent.parent / "data"


def iris_csv_path() -> Path:
    """Provided: the path of ``iris.csv`` inside ``data_dir()``.

    已提供：``data_dir()`` 中 ``iris.csv`` 的路径。
    """
    return data_dir() / "iris.csv"


def minmax_stats(x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-feature minimum and maximum, the statistics of min-max scaling.

    Args:
        x: float tensor [n, d], the TRAINING features only. Fitting the
            statistics on val or test data would leak information about them
            into the model.

    Returns:
        ``(lo, hi)``: two float tensors [d], the minimum and maximum of each column.

    Hint: reduce over the sample dimension: ``x.amin(dim=0)``, ``x.amax(dim=0)``.
    提示：沿样本维度归约：``x.amin(dim=0)``、``x.amax(dim=0)``。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def minmax_scale(x: torch.Tensor, stats: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Scale features with ``(x - lo) / (hi - lo)``.

    Args:
        x: float tensor [n, d] (or [d]).
        stats: ``(lo, hi)`` from ``minmax_stats``, each [d].

    Returns:
        A float tensor shaped like ``x``; training features land in [0, 1].
        A feature with ``hi == lo`` (zero range) is divided by 1 instead of 0.

    Hint: ``torch.where(span == 0, torch.ones_like(span), span)``.
    提示：``torch.where(span == 0, torch.ones_like(span), span)``。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


class IrisDataset(Dataset):
    """One split of ``iris.csv`` as a map-style Dataset.

    ``IrisDataset(iris_csv_path(), "train")`` holds the 96 training flowers;
    ``ds[i]`` is ``(x, y)`` with x float32 [4] (the four measurements) and y an
    int64 0-dim tensor (the class, 0 setosa, 1 versicolor, 2 virginica).

    iris.csv 中的一个划分，表示为 map-style Dataset。``ds[i]`` 返回 ``(x, y)``：
    x 为 float32 [4]，y 为 int64 的 0 维张量。
    """

    def __init__(
        self,
        csv_path: str | Path,
        split: str,
        stats: tuple[torch.Tensor, torch.Tensor] | None = None,
    ) -> None:
        """Read the rows of ``split`` and keep them as tensors.

        Args:
            csv_path: the CSV file (columns ``sepal_length, sepal_width,
                petal_length, petal_width, label, species, split``).
            split: ``"train"``, ``"val"`` or ``"test"``; anything else raises
                ``ValueError`` naming these three.
            stats: ``(lo, hi)`` from ``minmax_stats``; when given the features
                are scaled with ``minmax_scale``.

        A missing file raises ``FileNotFoundError`` naming the path. Build the
        tensors once here (features float32 [n, 4], labels int64 [n]) so
        ``__getitem__`` only indexes.

        Hint: ``csv.DictReader`` gives one dict per row with strings as values;
        convert with ``float`` and ``int``.
        提示：``csv.DictReader`` 每行给出一个值为字符串的 dict；用 ``float`` 和 ``int`` 转换。
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def __len__(self) -> int:
        """The number of samples in this split (96, 24 or 30 for iris).

        Hint: the length of the label tensor.
        提示：标签张量的长度。
        """
        # YOUR CODE HERE
        raise NotImplementedError()

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Sample ``i`` as ``(x float32 [4], y int64 0-dim)``.

        The DataLoader's default collate stacks these into a batch
        ``(X [batch, 4], y [batch])``.

        Hint: index the tensors built in ``__init__``.
        提示：对 ``__init__`` 中建好的张量做索引。
        """
        # YOUR CODE HERE
        raise NotImplementedError()


def to_tensor_dataset(X: np.ndarray, y: np.ndarray) -> TensorDataset:
    """Wrap NumPy arrays as a ``TensorDataset``.

    Args:
        X: array [n, d] of features (any numeric dtype, often float64).
        y: array [n] of class labels.

    Returns:
        ``TensorDataset(features float32 [n, d], labels int64 [n])``. Models
        are float32 and ``CrossEntropyLoss`` wants int64 (long) targets; NumPy's
        default float64 would make ``nn.Linear`` raise a dtype error.

    Hint: ``torch.as_tensor(X, dtype=torch.float32)``.
    提示：``torch.as_tensor(X, dtype=torch.float32)``。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def make_loaders(
    train_ds: Dataset, val_ds: Dataset, test_ds: Dataset, batch_size: int = 16, seed: int = 0
) -> dict[str, DataLoader]:
    """The three DataLoaders of the workflow.

    Returns:
        ``{"train": ..., "val": ..., "test": ...}``. Only train is shuffled,
        with ``generator=torch.Generator().manual_seed(seed)`` so the same seed
        gives the same order; val and test keep their order (shuffling them
        changes nothing but reproducibility). ``drop_last`` stays False: no
        sample is dropped, so the last batch may be smaller.

    Hint: ``DataLoader(ds, batch_size=..., shuffle=True, generator=g)``.
    提示：``DataLoader(ds, batch_size=..., shuffle=True, generator=g)``。
    """
    # YOUR CODE HERE
    raise NotImplementedError()


def steps_per_epoch(n_samples: int, batch_size: int, drop_last: bool = False) -> int:
    """How many optimizer steps (batches) one epoch takes.

    An epoch is one pass over the whole training set; a step is one batch:
    one forward, one backward, one ``optimizer.step()``. 96 samples in batches
    of 16 is 6 steps per epoch, so 100 epochs are 600 steps.

    Returns:
        ``ceil(n_samples / batch_size)`` (the last, smaller batch counts), or
        ``floor(n_samples / batch_size)`` when ``drop_last`` drops it.

    Hint: ``math.ceil`` versus integer division ``//``.
    提示：``math.ceil`` 与整除 ``//`` 的区别。一个 epoch 是完整遍历一次训练集，一个 step 是处理一个批量。
    """
    # YOUR CODE HERE
    raise NotImplementedError()
