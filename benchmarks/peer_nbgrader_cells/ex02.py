"""nbgrader test cells for ex02: its public checks, made again in plain torch (see benchmarks/peer_course.py)."""
# %% setup
import math as _nb_math
import re as _nb_re
import tempfile as _nb_tempfile
from pathlib import Path as _nb_Path, PurePath as _nb_PurePath

import numpy as _nb_np
import torch
from torch.utils.data import TensorDataset as _nb_TensorDataset


def _nb_equal(got, expected):
    """Plain values (ints, strings, lists) equal, of the same type (an int may equal a float)."""
    if type(got) is not type(expected) and not (isinstance(got, (int, float)) and isinstance(expected, (int, float))):
        return False
    return got == expected


def _nb_is_tensor(got, shape, dtype):
    return isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(shape) and got.dtype == dtype


def _nb_outcome(fn, *args):
    """Whether ``fn(*args)`` raised: the exception's class names (its MRO) and message.
    NotImplementedError propagates."""
    try:
        fn(*_nb_wire(args))
    except NotImplementedError:
        raise
    except Exception as exc:  # noqa: BLE001 - any exception is the answer
        return {"raised": True, "mro": [c.__name__ for c in type(exc).__mro__], "message": str(exc)[:500]}
    return {"raised": False, "mro": [], "message": ""}


_NB_HEADER = "sepal_length,sepal_width,petal_length,petal_width,label,species,split"
_NB_SPECIES = ("setosa", "versicolor", "virginica")
# data/iris.csv per split: samples per label, and the sum and sum of squares of each feature
_NB_IRIS_SPLITS = {
    "train": ([32, 32, 32], [563.7, 294.8, 361.9, 116.6], [3380.63, 922.6, 1670.39, 196.42]),
    "val": ([8, 8, 8], [139.2, 71.1, 89.2, 28.3], [823.6, 216.87, 405.92, 48.53]),
    "test": ([10, 10, 10], [173.6, 92.7, 112.6, 35.0], [1019.62, 290.93, 506.4, 57.38]),
}
# rows of a small iris CSV: 5 train, 2 val, 2 test
_NB_ROWS = [
    (5.1, 3.5, 1.4, 0.2, 0, "train"), (7.0, 3.2, 4.7, 1.4, 1, "train"), (6.3, 3.3, 6.0, 2.5, 2, "val"),
    (4.9, 3.0, 1.4, 0.2, 0, "test"), (6.4, 3.2, 4.5, 1.5, 1, "train"), (5.8, 2.7, 5.1, 1.9, 2, "train"),
    (5.0, 3.4, 1.5, 0.2, 0, "val"), (5.5, 2.3, 4.0, 1.3, 1, "test"), (7.1, 3.0, 5.9, 2.1, 2, "train"),
]
_NB_LOADER_SIZES = (21, 9, 7)  # batches of 4: the last batch of every split is partial


def _nb_write_csv(folder, name, rows):
    """Write an iris CSV of ``rows`` into ``folder``; its path."""
    lines = [_NB_HEADER] + [f"{a},{b},{c},{d},{y},{_NB_SPECIES[y]},{s}" for a, b, c, d, y, s in rows]
    path = _nb_Path(folder) / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _nb_expected_split(rows, split):
    """(features float32 [n, 4], labels int64 [n]) of the rows of one split."""
    chosen = [r for r in rows if r[5] == split]
    return (torch.tensor([r[:4] for r in chosen], dtype=torch.float32).reshape(-1, 4),
            torch.tensor([r[4] for r in chosen], dtype=torch.int64))


def _nb_scale(x, stats):
    """The expected min-max scaling, in float64: a zero range divides by 1."""
    lo, hi = (s.double() for s in stats)
    return ((x.double() - lo) / (hi - lo).masked_fill(hi == lo, 1.0)).to(x.dtype)


def _nb_dataset(csv_path, split, stats=None):
    """IrisDataset(csv_path, split[, stats]): its length and every item ds[i]."""
    args = (csv_path, split) if stats is None else (csv_path, split, stats)
    ds = IrisDataset(*_nb_wire(args))
    n = len(ds)
    return _nb_wire({"len": n, "items": [ds[i] for i in range(min(n, 10_000))]})


def _nb_items(items):
    """Every ds[i] is (x float32 [4], y int64 0-dim); returns them stacked."""
    assert isinstance(items, list), "ds[i]"
    for i, item in enumerate(items):
        assert isinstance(item, (tuple, list)) and len(item) == 2, f"ds[{i}] is (x, y)"
        assert _nb_is_tensor(item[0], [4], torch.float32), f"ds[{i}][0]"
        assert _nb_is_tensor(item[1], [], torch.int64), f"ds[{i}][1]"
    if not items:
        return torch.zeros(0, 4), torch.zeros(0, dtype=torch.int64)
    return torch.stack([it[0] for it in items]), torch.stack([it[1] for it in items])


def _nb_sort_rows(x, y):
    order = sorted(range(len(y)), key=lambda i: (int(y[i]), *[float(v) for v in x[i]]))
    return x[order], y[order]


def _nb_same_rows(got, expected, name):
    gx, gy = _nb_sort_rows(*got)
    ex, ey = _nb_sort_rows(*expected)
    assert _nb_close(gy, ey), f"{name} labels"
    assert _nb_close(gx, ex), f"{name} features"


def _nb_reads_split(path, rows, split):
    """IrisDataset(path, split) gives the rows of that split."""
    got = _nb_items(_nb_dataset(path, split)["items"])
    _nb_same_rows(got, _nb_expected_split(rows, split), f"{split} split")


def _nb_iris_split(x, y, split):
    """The stacked items of a split of data/iris.csv: samples per label, feature sums and sums of squares."""
    counts = [int((y == c).sum()) for c in range(3)]
    sums, squares = x.double().sum(dim=0), (x.double() ** 2).sum(dim=0)
    want_counts, want_sums, want_squares = _NB_IRIS_SPLITS[split]
    assert _nb_equal(counts, want_counts), f"samples per label of the '{split}' split"
    assert _nb_close(sums, torch.tensor(want_sums, dtype=torch.float64), atol=1e-3, rtol=1e-5), \
        f"feature sums of the '{split}' split"
    assert _nb_close(squares, torch.tensor(want_squares, dtype=torch.float64), atol=1e-2, rtol=1e-5), \
        f"feature sums of squares of the '{split}' split"


def _nb_flat(batches):
    return [v for batch in batches for v in batch]


def _nb_epoch_problem(batches, n, batch_size):
    """Why one epoch of a loader over samples 0..n-1 is wrong (None when every sample comes
    exactly once, in batches of ``batch_size`` but the last)."""
    if not isinstance(batches, list) or not all(isinstance(b, list) for b in batches):
        return "no batches"
    if sorted(_nb_flat(batches)) != list(range(n)):
        return "not every sample exactly once"
    sizes = [len(b) for b in batches]
    if any(s != batch_size for s in sizes[:-1]) or not 0 < sizes[-1] <= batch_size:
        return f"batches of {sizes}"
    return None


def _nb_indexed(n, offset):
    """Sample i is (features [2] = [offset + i, -(offset + i)], label offset + i)."""
    ids = torch.arange(offset, offset + n)
    return _nb_TensorDataset(torch.stack([ids, -ids], dim=1).float(), ids)


def _nb_order(loader):
    return [[int(v) for v in y] for _, y in loader]


def _nb_loaders(sizes, batch_size, seed, other_seed):
    """make_loaders on indexed datasets (labels are the sample ids), called with ``seed``, ``seed``
    again and ``other_seed``, all built first, the global RNG used in between: the keys, one epoch
    of every loader of the first call (``batches``), a second epoch of its train loader
    (``second``), two epochs of the second call's (``again``), one of the third's (``other``)."""
    datasets = [_nb_indexed(n, off) for n, off in zip(sizes, (0, 1000, 2000))]
    first = make_loaders(*datasets, batch_size=batch_size, seed=seed)
    again = make_loaders(*datasets, batch_size=batch_size, seed=seed)
    other = make_loaders(*datasets, batch_size=batch_size, seed=other_seed)
    keys = sorted(map(str, first)) if isinstance(first, dict) else None
    assert _nb_equal(keys, ["test", "train", "val"]), "make_loaders(...) keys"
    out = {}
    torch.rand(7)
    out["batches"] = {str(name): _nb_order(loader) for name, loader in first.items()}
    torch.rand(3)
    out["second"] = _nb_order(first["train"])
    torch.rand(5)
    out["again"] = [_nb_order(again["train"]), _nb_order(again["train"])]
    out["other"] = _nb_order(other["train"])
    return out


def _nb_steps(n, batch_size, drop_last, expected):
    args = (n, batch_size) if drop_last is None else (n, batch_size, drop_last)
    got = _nb_call(steps_per_epoch, *args)
    assert isinstance(got, int) and not isinstance(got, bool), f"steps_per_epoch{args} is an int"
    assert _nb_equal(got, expected), f"steps_per_epoch{args}"


# %% test_minmax_stats
x_ = torch.randn(5, 3, generator=_nb_gen(40)) * 4
result_ = _nb_call(minmax_stats, x_)
assert isinstance(result_, (tuple, list)) and len(result_) == 2, "minmax_stats(x) returns (lo, hi)"
assert _nb_close(result_[0], x_.amin(dim=0)), "lo"
assert _nb_close(result_[1], x_.amax(dim=0)), "hi"

# %% test_minmax_scale
x_ = torch.randn(6, 3, generator=_nb_gen(41)) * 3 + 1
stats_ = (x_.amin(dim=0), x_.amax(dim=0))
got_ = _nb_call(minmax_scale, x_, stats_)
assert _nb_close(got_, _nb_scale(x_, stats_)), "minmax_scale(x, stats)"

# %% test_minmax_scale_zero_range
x_ = torch.tensor([[1.0, 2.0, 5.0], [3.0, 2.0, 7.0], [2.0, 2.0, 6.0]])
stats_ = (x_.amin(dim=0), x_.amax(dim=0))
got_ = _nb_call(minmax_scale, x_, stats_)
assert _nb_close(got_, _nb_scale(x_, stats_)), "minmax_scale(x, stats)"

# %% test_iris_split_lengths
path_ = _nb_call(data_dir) / "iris.csv"
for split_, n_ in (("train", 96), ("val", 24), ("test", 30)):
    out_ = _nb_dataset(path_, split_)
    assert _nb_equal(out_["len"], n_), f"len(IrisDataset(..., '{split_}'))"
    x_, y_ = _nb_items(out_["items"])
    _nb_iris_split(x_, y_, split_)

# %% test_iris_items
with _nb_tempfile.TemporaryDirectory() as tmp_:
    path_ = _nb_write_csv(tmp_, "iris_public.csv", _NB_ROWS)
    got_ = _nb_items(_nb_dataset(path_, "train")["items"])
    _nb_same_rows(got_, _nb_expected_split(_NB_ROWS, "train"), "train split")

# %% test_iris_scaled_with_stats
with _nb_tempfile.TemporaryDirectory() as tmp_:
    path_ = _nb_write_csv(tmp_, "iris_public.csv", _NB_ROWS)
    raw_ = _nb_expected_split(_NB_ROWS, "train")
    stats_ = (raw_[0].amin(dim=0), raw_[0].amax(dim=0))
    got_ = _nb_items(_nb_dataset(path_, "train", stats_)["items"])
    _nb_same_rows(got_, (_nb_scale(raw_[0], stats_), raw_[1]), "train split")

# %% test_iris_unknown_split
with _nb_tempfile.TemporaryDirectory() as tmp_:
    path_ = _nb_write_csv(tmp_, "iris_public.csv", _NB_ROWS)
    _nb_reads_split(path_, _NB_ROWS, "train")
    out_ = _nb_outcome(IrisDataset, path_, "training")
    assert "ValueError" in out_["mro"], "IrisDataset(path, 'training') raises ValueError"

# %% test_iris_missing_file_named
with _nb_tempfile.TemporaryDirectory() as tmp_:
    path_ = _nb_write_csv(tmp_, "iris_public.csv", _NB_ROWS)
    _nb_reads_split(path_, _NB_ROWS, "val")
    missing_ = "no_iris_here/iris.csv"
    out_ = _nb_outcome(IrisDataset, missing_, "train")
    assert "FileNotFoundError" in out_["mro"], f"IrisDataset('{missing_}', 'train') raises FileNotFoundError"
    assert missing_ in out_["message"], "the FileNotFoundError's message names the path"

# %% test_to_tensor_dataset
X_ = _nb_np.arange(18, dtype=_nb_np.float64).reshape(6, 3) / 7
y_ = _nb_np.array([0, 2, 1, 1, 0, 2], dtype=_nb_np.int32)
ds_ = to_tensor_dataset(*_nb_wire((X_, y_)))
is_tensor_dataset_ = isinstance(ds_, _nb_TensorDataset)
items_ = _nb_wire([ds_[i] for i in range(min(len(ds_), 10_000))])
assert _nb_equal(len(items_), len(y_)), "len(to_tensor_dataset(X, y))"
for i_, item_ in enumerate(items_):
    assert isinstance(item_, (tuple, list)) and len(item_) == 2 and all(isinstance(t, torch.Tensor) for t in item_), \
        f"ds[{i_}] is (x, y)"
assert _nb_close(torch.stack([it[0] for it in items_]), torch.tensor(X_, dtype=torch.float32)), "features"
assert _nb_close(torch.stack([it[1] for it in items_]), torch.tensor(y_, dtype=torch.int64)), "labels"
assert is_tensor_dataset_ is True, "to_tensor_dataset(X, y) is a TensorDataset"

# %% test_make_loaders
sizes_ = (40, 13, 11)
out_ = _nb_loaders(sizes_, batch_size=16, seed=0, other_seed=1)
for (name_, n_), offset_ in zip(zip(("train", "val", "test"), sizes_), (0, 1000, 2000)):
    batches_ = out_["batches"][name_]
    assert bool(batches_) and all(len(b) <= 16 for b in batches_) and len(batches_[0]) == min(16, n_), \
        f"loaders['{name_}'] batch sizes"
    assert _nb_equal(sorted(_nb_flat(batches_)), list(range(offset_, offset_ + n_))), f"samples of loaders['{name_}']"

# %% test_steps_per_epoch
for n_, b_, expected_ in ((96, 16, 6), (100, 16, 7), (5, 8, 1)):
    _nb_steps(n_, b_, None, expected_)

# %% test_only_train_shuffled
out_ = _nb_loaders(_NB_LOADER_SIZES, batch_size=4, seed=3, other_seed=4)
for name_, n_, offset_ in (("val", _NB_LOADER_SIZES[1], 1000), ("test", _NB_LOADER_SIZES[2], 2000)):
    assert _nb_equal(_nb_flat(out_["batches"][name_]), list(range(offset_, offset_ + n_))), \
        f"loaders['{name_}'] keeps the dataset order"
first_, second_ = out_["batches"]["train"], out_["second"]
for name_, batches_ in (("epoch 1", first_), ("epoch 2", second_)):
    assert _nb_epoch_problem(batches_, _NB_LOADER_SIZES[0], 4) is None, f"loaders['train'], {name_}"
assert _nb_flat(first_) != sorted(_nb_flat(first_)), "loaders['train'] is shuffled"
assert second_ != first_, "loaders['train'] is shuffled anew every epoch"

# %% test_train_order_seeded
out_ = _nb_loaders(_NB_LOADER_SIZES, batch_size=4, seed=3, other_seed=4)
first_, second_, again_ = out_["batches"]["train"], out_["second"], out_["again"]
for name_, batches_ in (("epoch 1", first_), ("epoch 2", second_), ("other seed", out_["other"])):
    assert _nb_epoch_problem(batches_, _NB_LOADER_SIZES[0], 4) is None, f"loaders['train'], {name_}"
assert _nb_flat(first_) != sorted(_nb_flat(first_)), "loaders['train'] is shuffled"
assert _nb_flat(second_) != _nb_flat(first_), "a new order each epoch"
assert _nb_equal(len(again_), 2), "epochs of the second loader"
assert _nb_equal(again_[0], first_), "training order, seed 3 twice, epoch 1"
assert _nb_equal(again_[1], second_), "training order, seed 3 twice, epoch 2"
assert out_["other"] != first_, "training order, seeds 3 and 4"

# %% test_steps_per_epoch_drop_last_flag
_nb_steps(97, 8, False, 13)
_nb_steps(97, 8, True, 12)

# %% test_iris_val_scaled_with_train_stats
with _nb_tempfile.TemporaryDirectory() as tmp_:
    path_ = _nb_write_csv(tmp_, "iris_public.csv", _NB_ROWS)
    train_ = _nb_expected_split(_NB_ROWS, "train")
    stats_ = (train_[0].amin(dim=0), train_[0].amax(dim=0))
    raw_ = _nb_expected_split(_NB_ROWS, "val")
    got_ = _nb_items(_nb_dataset(path_, "val", stats_)["items"])
    _nb_same_rows(got_, (_nb_scale(raw_[0], stats_), raw_[1]), "val split")

# %% test_iris_unknown_split_names_valid
with _nb_tempfile.TemporaryDirectory() as tmp_:
    path_ = _nb_write_csv(tmp_, "iris_public.csv", _NB_ROWS)
    _nb_reads_split(path_, _NB_ROWS, "test")
    out_ = _nb_outcome(IrisDataset, path_, "dev")
    assert "ValueError" in out_["mro"], "IrisDataset(path, 'dev') raises ValueError"
    assert all(_nb_re.search(rf"\b{s}\b", out_["message"]) for s in ("train", "val", "test")), \
        "the ValueError's message names train, val, test"
