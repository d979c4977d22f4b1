"""data/iris.csv is exactly what data/make_iris.py generates, split as SPEC.md says."""
import csv
import importlib.util
from collections import Counter

from conftest import ROOT


def load_script():
    spec = importlib.util.spec_from_file_location("make_iris", ROOT / "data" / "make_iris.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_iris_csv_matches_its_script():
    assert (ROOT / "data" / "iris.csv").read_text() == load_script().render_csv()


def test_iris_split_sizes_columns_and_stratification():
    with open(ROOT / "data" / "iris.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        assert reader.fieldnames == ["sepal_length", "sepal_width", "petal_length", "petal_width",
                                     "label", "species", "split"]
        rows = list(reader)
    sizes = Counter(r["split"] for r in rows)
    assert sizes == {"train": 96, "val": 24, "test": 30}
    for split, n in sizes.items():
        per_class = Counter(r["label"] for r in rows if r["split"] == split)
        assert sorted(per_class) == ["0", "1", "2"]
        assert max(per_class.values()) - min(per_class.values()) <= 1, (split, per_class)
    names = {r["label"]: r["species"] for r in rows}
    assert names == {"0": "setosa", "1": "versicolor", "2": "virginica"}
