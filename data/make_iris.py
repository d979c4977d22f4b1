"""Regenerate data/iris.csv from scikit-learn's bundled iris data (no download).

The 150 flowers are split, stratified by species and with a fixed seed, into
96 train, 24 val and 30 test rows: 30 test rows are taken first, then 24 val
rows from the remaining 120. Rows are written train, then val, then test, each
in the order of sklearn's dataset. Run ``python data/make_iris.py``.

由 scikit-learn 自带的 iris 数据（无需下载）重新生成 data/iris.csv：按种类分层、
固定随机种子，划分为训练 96、验证 24、测试 30 行。
"""
import csv
import io
from pathlib import Path

import numpy as np
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

COLUMNS = ["sepal_length", "sepal_width", "petal_length", "petal_width", "label", "species", "split"]
SEED = 0


def split_indices() -> dict[str, np.ndarray]:
    """Sorted row indices of each split, stratified by label."""
    y = load_iris().target
    rest, test = train_test_split(np.arange(len(y)), test_size=30, stratify=y, random_state=SEED)
    train, val = train_test_split(rest, test_size=24, stratify=y[rest], random_state=SEED)
    return {"train": np.sort(train), "val": np.sort(val), "test": np.sort(test)}


def render_csv() -> str:
    """The whole text of data/iris.csv."""
    iris = load_iris()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for split, indices in split_indices().items():
        for i in indices:
            label = int(iris.target[i])
            writer.writerow([f"{v:.1f}" for v in iris.data[i]] + [label, iris.target_names[label], split])
    return out.getvalue()


def main() -> None:
    (Path(__file__).resolve().parent / "iris.csv").write_text(render_csv(), encoding="utf-8")


if __name__ == "__main__":
    main()
