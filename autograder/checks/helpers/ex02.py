"""Helpers of ex02's checks, public and hidden: running its instruments, building inputs, and the
expectations both suites share. The checks themselves are in public/ and hidden/.
"""
import re

import torch

from ...engine.worker import probes_ex01, probes_ex02
from ...feedback.catalog import Msg
from ..api import expect, expect_close, expect_equal, expect_tensor
from ..reference.ex02 import IRIS_SPLITS, csv_text, epoch_problem, expected_split, flat, iris_fingerprint, scale
from .ex01 import call_probe, hinted

MODULE = "ex02_data"


def write_csv(sub, name, rows):
    """Write an iris CSV into the worker's working directory; its path there."""
    return call_probe(sub, MODULE, probes_ex01.write_text, "IrisDataset", name, csv_text(rows))


def dataset(sub, csv_path, split, stats=None):
    args = (csv_path, split) if stats is None else (csv_path, split, stats)
    return call_probe(sub, MODULE, probes_ex02.dataset_run, "IrisDataset", *args, hint="hint.ex02_read_rows")


def expect_items(items, hint):
    """Every ds[i] is (x float32 [4], y int64 0-dim); returns them stacked."""
    expect(isinstance(items, list), Msg("cmp.type", expected="items", got=type(items).__name__), hint=hint,
           name="ds[i]")
    for i, item in enumerate(items):
        expect(isinstance(item, (tuple, list)) and len(item) == 2,
               Msg("cmp.type", expected="(x, y)", got=type(item).__name__), hint=hint, name=f"ds[{i}]")
        expect_tensor(item[0], shape=[4], dtype=torch.float32, hint=hint, name=f"ds[{i}][0]")
        expect_tensor(item[1], shape=[], dtype=torch.int64, hint=hint, name=f"ds[{i}][1]")
    if not items:
        return torch.zeros(0, 4), torch.zeros(0, dtype=torch.int64)
    return torch.stack([it[0] for it in items]), torch.stack([it[1] for it in items])


def sort_rows(x, y):
    """The rows of (x, y) in a canonical order, to compare them as a multiset."""
    order = sorted(range(len(y)), key=lambda i: (int(y[i]), *[float(v) for v in x[i]]))
    return x[order], y[order]


def expect_same_rows(got, expected, hint, name):
    gx, gy = sort_rows(*got)
    ex, ey = sort_rows(*expected)
    expect_close(gy, ey, hint=hint, name=Msg("label.ex02_labels_of", what=name))
    expect_close(gx, ex, hint=hint, name=Msg("label.ex02_features_of", what=name))


def loaders(sub, **kwargs):
    out = call_probe(sub, MODULE, probes_ex02.loaders_run, "make_loaders", hint="hint.ex02_make_loaders", **kwargs)
    expect_equal(out["keys"], ["test", "train", "val"], hint="hint.ex02_make_loaders",
                 name=Msg("label.keys", what="make_loaders(...)"))
    return out


def expect_steps(ex02, n, batch_size, drop_last, expected, hint):
    args = (n, batch_size) if drop_last is None else (n, batch_size, drop_last)
    with hinted(hint):
        got = ex02.steps_per_epoch(*args)
    name = f"steps_per_epoch{args}"
    expect(isinstance(got, int) and not isinstance(got, bool),
           Msg("cmp.type", expected="int", got=type(got).__name__), hint="hint.ex02_steps_int", name=name)
    if got == expected + 1 and n % batch_size == 0 and not drop_last:
        hint = "hint.ex02_steps_exact"
    expect_equal(got, expected, hint=hint, name=name)


# rows of a small iris CSV: 5 train, 2 val, 2 test
ROWS = [
    (5.1, 3.5, 1.4, 0.2, 0, "train"), (7.0, 3.2, 4.7, 1.4, 1, "train"), (6.3, 3.3, 6.0, 2.5, 2, "val"),
    (4.9, 3.0, 1.4, 0.2, 0, "test"), (6.4, 3.2, 4.5, 1.5, 1, "train"), (5.8, 2.7, 5.1, 1.9, 2, "train"),
    (5.0, 3.4, 1.5, 0.2, 0, "val"), (5.5, 2.3, 4.0, 1.3, 1, "test"), (7.1, 3.0, 5.9, 2.1, 2, "train"),
]


def expect_iris_split(x, y, split):
    """The stacked items of a split of data/iris.csv: its labels and feature sums as the grader knows them."""
    counts, sums, squares = iris_fingerprint(x, y)
    want_counts, want_sums, want_squares = IRIS_SPLITS[split]
    expect_equal(counts, want_counts, hint="hint.ex02_read_rows", name=Msg("label.ex02_samples_per_label", split=split))
    expect_close(sums, torch.tensor(want_sums, dtype=torch.float64), atol=1e-3, rtol=1e-5, hint="hint.ex02_read_rows",
                 name=Msg("label.ex02_feature_sums", split=split))
    expect_close(squares, torch.tensor(want_squares, dtype=torch.float64), atol=1e-2, rtol=1e-5,
                 hint="hint.ex02_read_rows", name=Msg("label.ex02_feature_squares", split=split))


def expect_reads_split(sub, path, rows, split):
    """IrisDataset(path, split) gives the rows of that split (before a check of its errors)."""
    got = expect_items(dataset(sub, path, split)["items"], "hint.ex02_item_types")
    expect_same_rows(got, expected_split(rows, split), "hint.ex02_read_rows", f"{split} split")


def expect_tensor_dataset(sub, X, y):
    """to_tensor_dataset(X, y): its items, stacked here, are X as float32 and y as int64; then,
    as seen in the worker, it is a TensorDataset."""
    out = call_probe(sub, MODULE, probes_ex02.tensor_dataset_run, "to_tensor_dataset", X, y,
                     hint="hint.ex02_tensor_dataset")
    items = out.get("items") if isinstance(out, dict) else None
    expect_equal(len(items) if isinstance(items, list) else None, len(y), hint="hint.ex02_tensor_dataset",
                 name="len(to_tensor_dataset(X, y))")
    for i, item in enumerate(items):
        expect(isinstance(item, (tuple, list)) and len(item) == 2 and all(isinstance(t, torch.Tensor) for t in item),
               Msg("cmp.type", expected="(x, y)", got=type(item).__name__), hint="hint.ex02_tensor_dataset",
               name=f"ds[{i}]")
    expect_close(torch.stack([it[0] for it in items]), torch.tensor(X, dtype=torch.float32),
                 hint="hint.ex02_tensor_dataset", name=Msg("label.ex02_features"))
    expect_close(torch.stack([it[1] for it in items]), torch.tensor(y, dtype=torch.int64),
                 hint="hint.ex02_tensor_dataset", name="labels")
    expect(out.get("is_tensor_dataset") is True, Msg("cmp.type", expected="TensorDataset",
                                                     got=Msg("value.another_type")),
           hint="hint.ex02_tensor_dataset", name="to_tensor_dataset(X, y)")


LOADER_SIZES = (21, 9, 7)  # batches of 4: the last batch of every split is partial


def expect_scaled_with_train_stats(sub, path, rows, split):
    """IrisDataset(path, split, stats) with the stats of the training split of ``rows`` (the CSV
    at ``path``): the split's rows, min-max scaled with those stats."""
    train_x = expected_split(rows, "train")[0]
    stats = (train_x.amin(dim=0), train_x.amax(dim=0))
    x, y = expected_split(rows, split)
    got = expect_items(dataset(sub, path, split, stats)["items"], "hint.ex02_item_types")
    expect_same_rows(got, (scale(x, stats), y), "hint.ex02_scale_stats", f"{split} split")


def expect_unknown_split(sub, path, split, names_valid):
    """IrisDataset(path, split) with an unknown ``split`` raises ValueError; with ``names_valid``,
    its message also names train, val and test."""
    out = call_probe(sub, MODULE, probes_ex01.raises, "IrisDataset", MODULE, "IrisDataset", [path, split])
    expect("ValueError" in out["mro"], Msg("cmp.type", expected="ValueError", got=(out["mro"] or ["no exception"])[0]),
           hint="hint.ex02_split_error", name=f"IrisDataset(path, '{split}')")
    if names_valid:
        named = all(re.search(rf"\b{s}\b", out["message"]) for s in ("train", "val", "test"))
        expect(named, Msg("cmp.number", got=repr(out["message"][:120]),
                          expected=Msg("value.message_naming", names="train, val, test")),
               hint="hint.ex02_split_error", name=Msg("label.error_message", exc="ValueError"))


def expect_missing_file_named(sub, missing):
    """IrisDataset(missing, 'train') on a CSV path that does not exist raises FileNotFoundError,
    and its message names the path."""
    out = call_probe(sub, MODULE, probes_ex01.raises, "IrisDataset", MODULE, "IrisDataset", [missing, "train"])
    expect("FileNotFoundError" in out["mro"],
           Msg("cmp.type", expected="FileNotFoundError", got=(out["mro"] or ["no exception"])[0]),
           hint="hint.ex02_missing_file", name=f"IrisDataset('{missing}', 'train')")
    expect(missing in out["message"],
           Msg("cmp.number", got=repr(out["message"][:120]), expected=Msg("value.message_naming", names=missing)),
           hint="hint.ex02_missing_file", name=Msg("label.error_message", exc="FileNotFoundError"))


def expect_val_test_in_order(out, sizes):
    """The val and test loaders of a loaders() report (datasets of ``sizes``, their samples
    numbered from 1000 and 2000) yield their samples in dataset order."""
    for name, n, offset in (("val", sizes[1], 1000), ("test", sizes[2], 2000)):
        expect_equal(flat(out["batches"][name]), list(range(offset, offset + n)), hint="hint.ex02_only_train_shuffled",
                     name=Msg("label.ex02_order", loader=f"loaders['{name}']"))


def expect_shuffled(first):
    """The first training epoch (its batches of sample numbers) is not in dataset order."""
    expect(flat(first) != sorted(flat(first)), Msg("cmp.number", got=Msg("value.ex02_dataset_order"),
                                                   expected=Msg("value.ex02_shuffled")),
           hint="hint.ex02_train_shuffled", name="loaders['train']")


def expect_new_shuffle(first, second):
    """The second training epoch is not the first one's order again."""
    expect(second != first, Msg("cmp.number", got=Msg("value.ex02_same_in_epoch", epoch=2),
                                expected=Msg("value.ex02_new_shuffle")),
           hint="hint.ex02_train_shuffled", name="loaders['train'], epochs 1 and 2")


def expect_same_seed_orders(again, first, second, seed):
    """The two epochs of a second loader with the same ``seed`` repeat the first loader's epochs."""
    for epoch, batches in ((1, first), (2, second)):
        expect_equal(again[epoch - 1], batches, hint="hint.ex02_train_seed",
                     name=Msg("label.ex02_order_same_seed", seed=seed, epoch=epoch))


def expect_other_seed_order(other, first, seed, other_seed):
    """A loader with ``other_seed`` gives another first-epoch order than ``seed``'s."""
    expect(other != first, Msg("cmp.number", got=Msg("value.ex02_same_order"),
                               expected=Msg("value.ex02_another_order")),
           hint="hint.ex02_train_seed", name=Msg("label.ex02_order_seeds", seed=seed, other=other_seed))


def expect_epochs_once_each(epochs, n, batch_size):
    """Each (name, batches) of ``epochs``, the epochs of a training loader of ``n`` samples, yields
    every sample exactly once, in batches of ``batch_size``."""
    for name, batches in epochs:
        problem = epoch_problem(batches, n, batch_size)
        expect(problem is None, Msg("cmp.number", got=problem, expected=Msg("value.ex02_once_each", count=n)),
               hint="hint.ex02_no_drop", name=f"loaders['train'], {name}")
