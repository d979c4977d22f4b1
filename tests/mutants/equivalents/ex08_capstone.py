"""Exercise 8, written differently: the seed set first, the loaders before the model, accuracy counted here."""
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from .ex02_data import data_dir
from .ex03_model import MLP
from .ex04_training import fit
from .ex05_device import get_device

MNIST_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
               "t10k-labels-idx1-ubyte")


def load_digits_split(seed=0, test_size=0.25):
    digits = load_digits()
    X = digits.data.astype(np.float32) / np.float32(16)
    y = digits.target
    parts = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y, shuffle=True)
    X_train, X_test, y_train, y_test = parts
    return (torch.tensor(X_train, dtype=torch.float32), torch.tensor(X_test, dtype=torch.float32),
            torch.tensor(y_train, dtype=torch.long), torch.tensor(y_test, dtype=torch.long))


def train_digits(epochs=50, lr=1e-3, batch_size=128, hidden=(64,), seed=0, device=None):
    torch.manual_seed(seed)
    dev = get_device(device)
    X_train, X_test, y_train, y_test = load_digits_split(seed=seed)
    gen = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(TensorDataset(X_train, y_train), batch_size=batch_size, shuffle=True, generator=gen)
    test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=batch_size, shuffle=False)
    model = MLP(X_train.shape[1], list(hidden), 10).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    history = fit(model, train_loader, test_loader, nn.CrossEntropyLoss(), opt, epochs, device=dev)
    model.eval()
    with torch.no_grad():
        pred = model(X_test.to(dev)).argmax(dim=1).cpu()
    return {"model": model, "history": history, "test_accuracy": (pred == y_test).float().mean().item()}


def mnist_loaders(root=None, batch_size=64, download=False):
    from torchvision import datasets, transforms

    base = data_dir() if root is None else Path(root)
    raw = base / "MNIST" / "raw"
    if not download and not all((raw / f).is_file() for f in MNIST_FILES):
        raise FileNotFoundError(f"the MNIST files are missing from {raw}: download them once with "
                                f"mnist_loaders(download=True), or copy {', '.join(MNIST_FILES)} there")
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train = datasets.MNIST(str(base), train=True, download=download, transform=tf)
    test = datasets.MNIST(str(base), train=False, download=download, transform=tf)
    return (DataLoader(train, batch_size=batch_size, shuffle=True, generator=torch.Generator().manual_seed(0)),
            DataLoader(test, batch_size=batch_size, shuffle=False))


def train_mnist(root=None, epochs=5, device=None):
    dev = get_device(device)
    train_loader, test_loader = mnist_loaders(root)
    torch.manual_seed(0)
    model = MLP(784, [256], 10).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    history = fit(model, train_loader, test_loader, nn.CrossEntropyLoss(), opt, epochs, device=dev)
    model.eval()
    correct = total = 0
    with torch.no_grad():
        for x, y in test_loader:
            correct += int((model(x.to(dev)).argmax(1).cpu() == y).sum())
            total += len(y)
    return {"model": model, "history": history, "test_accuracy": correct / total}
