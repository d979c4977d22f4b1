"""Exercise 8: end to end.

Everything together on real images: load scikit-learn's bundled 8x8
handwritten digits (no download), split them with stratification, train an
MLP with the loop of ex04 on the device of ex05, and report the test
accuracy. The bonus extension does the same for the 28x28 MNIST digits read
from local files with torchvision.

练习 8：端到端。
在真实图像上把所有内容串起来：加载 scikit-learn 自带的 8x8 手写数字（无需下载），
分层划分数据，用 ex04 的训练循环在 ex05 选出的设备上训练 MLP，并报告测试准确率。
附加题用 torchvision 从本地文件读取 28x28 的 MNIST 数字，完成同样的流程。
"""
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .ex02_data import data_dir
from .ex03_model import MLP
from .ex04_training import evaluate, fit
from .ex05_device import get_device

MNIST_FILES = (
    "train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
)


def load_digits_split(
    seed: int = 0, test_size: float = 0.25
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """scikit-learn's digits as train and test tensors.

    Args:
        seed: ``random_state`` of the split.
        test_size: the fraction held out for testing (0.25: 1347 train, 450 test).

    Returns:
        ``(X_train, X_test, y_train, y_test)``: X float32 [n, 64] (the 8x8
        images flattened) with pixels scaled from 0..16 to [0, 1]; y int64 [n]
        with the digit 0-9. The split is stratified (``stratify=y``): every
        digit keeps the same share in train and test, so the test accuracy is
        not skewed by an unlucky split.

    ``load_digits()`` ships with scikit-learn: nothing is downloaded. Its
    arrays are float64 and int64 NumPy; the model wants float32.

    Hint: ``X, y = load_digits(return_X_y=True)``, ``X / 16.0``,
    ``train_test_split(X, y, test_size=..., stratify=y, random_state=seed)``,
    ``torch.as_tensor(..., dtype=torch.float32)``.
    提示：``load_digits(return_X_y=True)``，像素除以 16.0 缩放到 [0, 1]，
    ``train_test_split(..., stratify=y, random_state=seed)`` 分层划分，再转为 float32 / int64 张量。
    """
    ### BEGIN SOLUTION
    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32)
    y = y.astype(np.int64)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, random_state=seed
    )
    return tuple(torch.as_tensor(a) for a in (X_train, X_test, y_train, y_test))
    ### END SOLUTION


def train_digits(
    epochs: int = 50,
    lr: float = 1e-3,
    batch_size: int = 128,
    hidden: Sequence[int] = (64,),
    seed: int = 0,
    device: str | torch.device | None = None,
) -> dict[str, Any]:
    """Train an MLP on the digits and measure its test accuracy.

    Args:
        epochs, lr, batch_size: training settings (Adam at ``lr``).
        hidden: the hidden widths of ``MLP(64, list(hidden), 10)``.
        seed: the split, the initial weights and the shuffling.
        device: passed to ``get_device`` (``None`` picks the best available).

    Returns:
        ``{"model": the trained MLP (on the device), "history": fit's history
        (validated on the test split), "test_accuracy": float in [0, 1]}``;
        about 0.97 with the defaults.

    Steps: ``load_digits_split(seed)``; ``torch.manual_seed(seed)`` before
    building the model; a shuffled train ``DataLoader`` over a
    ``TensorDataset`` with ``generator=torch.Generator().manual_seed(seed)``
    and an unshuffled test loader; ``nn.CrossEntropyLoss()``; ``fit``; then
    ``evaluate`` on the test loader. (A real project would tune on a
    separate validation split and touch the test set once, at the end.)

    Hint: ``model = MLP(64, list(hidden), 10).to(device)`` before creating
    ``torch.optim.Adam(model.parameters(), lr=lr)``.
    提示：``device = get_device(device)``；先 ``torch.manual_seed(seed)`` 再建模型并
    ``.to(device)``，然后创建 Adam；训练集 DataLoader 打乱并使用带种子的 generator；
    最后用 ``evaluate`` 得到测试准确率（float）。
    """
    ### BEGIN SOLUTION
    device = get_device(device)
    X_train, X_test, y_train, y_test = load_digits_split(seed)
    torch.manual_seed(seed)
    model = MLP(64, list(hidden), 10).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True,
                              generator=torch.Generator().manual_seed(seed))
    test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=batch_size)
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, train_loader, test_loader, loss_fn, optimizer, epochs, device=device)
    test_accuracy = float(evaluate(model, test_loader, loss_fn, device)["accuracy"])
    return {"model": model, "history": history, "test_accuracy": test_accuracy}
    ### END SOLUTION


def mnist_loaders(
    root: str | Path | None = None, batch_size: int = 64, download: bool = False
) -> tuple[DataLoader, DataLoader]:
    """DataLoaders over MNIST read from local files (bonus).

    Args:
        root: the folder that holds ``MNIST/raw/``; ``None`` means ``data_dir()``.
        batch_size: batch size of both loaders.
        download: let torchvision download the files (needs internet). Keep
            it False on the grader and in class: nothing may download there.

    Returns:
        ``(train_loader, test_loader)``: 60000 and 10000 images. A batch is
        ``(x float32 [batch, 1, 28, 28], y int64 [batch])``; ``x`` went
        through ``ToTensor()`` (uint8 0..255 -> [0, 1]) and
        ``Normalize((0.1307,), (0.3081,))`` (MNIST's mean and std). The train
        loader is shuffled with a generator seeded with 0; the test loader
        keeps its order.

    torchvision's ``MNIST(root, train=..., download=False)`` reads the four
    uncompressed IDX files ``MNIST_FILES`` from ``<root>/MNIST/raw/``. When
    one is missing (and ``download`` is False) raise ``FileNotFoundError``
    saying where the files must go and how to get them: run
    ``mnist_loaders(download=True)`` once on a machine with internet, or copy
    the four files there (gunzip them first if they end in ``.gz``).

    Hint: ``transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])``;
    ``datasets.MNIST(root, train=True, download=download, transform=...)``.
    提示：``root`` 为 None 时用 ``data_dir()``；先检查 ``<root>/MNIST/raw/`` 下的四个文件，
    缺失时抛出 ``FileNotFoundError`` 并说明文件应放在哪里、如何获取；再用
    ``datasets.MNIST`` 和 ``ToTensor`` + ``Normalize((0.1307,), (0.3081,))`` 构建数据集。
    """
    ### BEGIN SOLUTION
    from torchvision import datasets, transforms

    root = Path(root) if root is not None else data_dir()
    raw = root / "MNIST" / "raw"
    missing = [name for name in MNIST_FILES if not (raw / name).is_file()]
    if missing and not download:
        raise FileNotFoundError(
            f"MNIST not found: {raw} lacks {', '.join(missing)}. Run mnist_loaders(download=True) once on a "
            f"machine with internet and copy the files, or put the four uncompressed IDX files "
            f"({', '.join(MNIST_FILES)}) into {raw} (gunzip them first if they end in .gz)."
        )
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_ds = datasets.MNIST(root, train=True, download=download, transform=transform)
    test_ds = datasets.MNIST(root, train=False, download=download, transform=transform)
    train_loader = DataLoader(train_ds, batch_size=batch_size, shuffle=True,
                              generator=torch.Generator().manual_seed(0))
    return train_loader, DataLoader(test_ds, batch_size=batch_size)
    ### END SOLUTION


def train_mnist(
    root: str | Path | None = None, epochs: int = 5, device: str | torch.device | None = None
) -> dict[str, Any]:
    """Train an MLP on MNIST (bonus).

    Args:
        root: passed to ``mnist_loaders`` (``None``: ``data_dir()``).
        epochs: passes over the 60000 training images.
        device: passed to ``get_device``.

    Returns:
        ``{"model", "history", "test_accuracy"}`` as in ``train_digits``;
        about 0.98 after 5 epochs.

    The recipe: ``mnist_loaders(root)`` (batch 64), ``torch.manual_seed(0)``,
    ``MLP(784, [256], 10)`` (``forward`` flattens the [1, 28, 28] images),
    Adam with lr 1e-3, ``nn.CrossEntropyLoss()``, ``fit`` with the test
    loader as validation, then ``evaluate``.

    Hint: reuse the steps of ``train_digits``.
    提示：步骤与 ``train_digits`` 相同：加载数据、固定种子、建模型并移到设备、Adam、``fit``、``evaluate``。
    """
    ### BEGIN SOLUTION
    device = get_device(device)
    train_loader, test_loader = mnist_loaders(root)
    torch.manual_seed(0)
    model = MLP(784, [256], 10).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    history = fit(model, train_loader, test_loader, loss_fn, optimizer, epochs, device=device)
    test_accuracy = float(evaluate(model, test_loader, loss_fn, device)["accuracy"])
    return {"model": model, "history": history, "test_accuracy": test_accuracy}
    ### END SOLUTION
