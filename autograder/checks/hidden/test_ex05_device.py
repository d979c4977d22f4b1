"""Hidden checks for ex05: the fallback warning, every tensor moved (recorded with a
TorchFunctionMode on a CPU-only machine, for real on a GPU), NumPy dtypes, and
fit_iris_on's device placement, seeding and learning."""
import math

import numpy as np
import torch

from ...feedback.catalog import Msg
from ..api import check, expect, expect_close, hinted
from ..public.test_ex05_device import HISTORY_KEYS, expect_device, fit_iris, machine, moved, probe


# --- get_device ---------------------------------------------------------------------------
@check("ex05", "get_device", 2, en="get_device('cuda') and get_device('mps') fall back to cpu with a UserWarning "
       "where they are not available", zh="get_device('cuda') 和 get_device('mps') 在不可用时退回 cpu 并发出 UserWarning")
def test_get_device_fallback(sub):
    available = machine(sub)
    for name in ("cuda", "mps"):
        call = f"get_device({name!r})"
        with hinted("hint.ex05_device_fallback"):
            out = probe(sub, "get_device_run", "get_device", prefer=name)
        if available[name]:
            expect_device(out, name, "hint.ex05_device_explicit", call)
            continue
        expect_device(out, "cpu", "hint.ex05_device_fallback", call)
        expect(any(w["user_warning"] for w in out["warnings"]),
               Msg("cmp.number", got=[w["category"] for w in out["warnings"]] or "no warning", expected="UserWarning"),
               hint="hint.ex05_device_fallback", name=f"{call} warnings")


# --- move_to ------------------------------------------------------------------------------
@check("ex05", "move_to", 2, en="move_to calls .to(device) on every tensor, however deep in dicts, tuples and lists",
       zh="move_to 对每个张量调用 .to(device)，无论它在 dict、tuple、list 中嵌套多深")
def test_move_to_moves_every_tensor(sub):
    device = "cuda" if machine(sub)["cuda"] else "cpu"
    out = moved(sub, device)
    targets = {tuple(tag): dev for tag, dev in out["moves"]}
    where = {"a": "['x']", "b": "['pair'][0]", "c": "['pair'][1][0]", "d": "['nested']['deep'][0]['t']", "e": " (a bare tensor)"}
    for key, path in where.items():
        dev = targets.get(("move_to", key))
        expect(dev is not None and dev.split(":")[0] == device,
               Msg("cmp.number", got=f"{dev or 'not moved'}", expected=f".to({device!r})"),
               hint="hint.ex05_move_recursive", name=f"move_to(batch, {device!r}){path}")
    single = out["single"]
    expect_close(single, out["originals"]["e"], atol=0, rtol=0, hint="hint.ex05_move_recursive",
                 name=f"move_to(tensor, {device!r})")


@check("ex05", "move_to", 1, en="move_to keeps containers and returns other values as the very same objects",
       zh="move_to 保持容器类型，其他值原样返回（同一个对象）")
def test_move_to_keeps_other_values(sub):
    out = moved(sub, "cpu")
    result = out["result"]
    expect(isinstance(result, dict) and result.get("marker") == "<marker>" and out["info"]["marker_same"],
           Msg("cmp.number", got="a different object", expected="the same object"),
           hint="hint.ex05_move_containers", name="move_to(batch)['marker']")
    info = result["nested"].get("info") if isinstance(result.get("nested"), dict) else None
    expect(info == {"k": 2.5, "name": "iris"}, Msg("cmp.number", got=repr(info), expected="{'k': 2.5, 'name': 'iris'}"),
           hint="hint.ex05_move_containers", name="move_to(batch)['nested']['info']")


@check("ex05", "move_to", 1, en="move_to moves an nn.Module, alone or inside a dict, and returns the module",
       zh="move_to 会移动 nn.Module（单独传入或在 dict 中），并返回该模块")
def test_move_to_modules(sub):
    device = "cuda" if machine(sub)["cuda"] else "cpu"
    out = moved(sub, device)
    info = out["info"]
    expect(info["module_is_module"] and info["bare_module_is_module"],
           Msg("cmp.type", expected="nn.Module", got="something else"), hint="hint.ex05_move_module",
           name="move_to(model)")
    moves = {tuple(tag): dev for tag, dev in out["moves"]}
    for owner in ("module", "bare_module"):
        devices = info[f"{owner}_devices"]
        expect(devices and all(d.split(":")[0] == device for d in devices),
               Msg("cmp.number", got=devices, expected=device), hint="hint.ex05_move_module", name="move_to(model)")
        if device == "cpu":  # on a CPU-only machine, only the recorded .to() shows the move
            expect((owner, "weight") in moves, Msg("cmp.number", got="not moved", expected=".to('cpu')"),
                   hint="hint.ex05_move_module", name=f"move_to({'model' if owner == 'bare_module' else 'batch'})")


# --- to_numpy -----------------------------------------------------------------------------
@check("ex05", "to_numpy", 1, en="to_numpy of a non-leaf float tensor and an int64 tensor keeps values and dtypes",
       zh="to_numpy 对非叶子浮点张量和 int64 张量保持数值和数据类型")
def test_to_numpy_other_tensors(sub):
    device = "cuda" if machine(sub)["cuda"] else "cpu"
    with hinted("hint.ex05_to_numpy"):
        out = probe(sub, "to_numpy_run", "to_numpy", device=device)
    for name, dtype in (("nonleaf", np.float32), ("plain", np.int64)):
        got = out[name]["result"]
        expect(isinstance(got, np.ndarray) and got.dtype == dtype,
               Msg("cmp.type", expected=f"numpy.ndarray {np.dtype(dtype).name}",
                   got=f"{out[name]['type']} {getattr(got, 'dtype', '')}"), hint="hint.ex05_to_numpy",
               name=f"to_numpy({name})")
        expect_close(torch.from_numpy(got), out["expected"][name], hint="hint.ex05_to_numpy", name=f"to_numpy({name})")


# --- fit_iris_on --------------------------------------------------------------------------
@check("ex05", "fit_iris_on", 1, en="fit_iris_on puts the model and every training batch on the device "
       "(and trains on CUDA where there is a GPU)", zh="fit_iris_on 把模型和每个训练批量放到指定设备上（有 GPU 时在 CUDA 上训练）")
def test_fit_iris_on_device(sub):
    device = "cuda" if machine(sub)["cuda"] else "cpu"
    epochs = 2
    out = fit_iris(sub, device, epochs=epochs, record=True)
    name = f"fit_iris_on({device!r})"
    expect(out["param_devices"] and all(d.split(":")[0] == device for d in out["param_devices"]),
           Msg("cmp.number", got=out["param_devices"], expected=device), hint="hint.ex05_fit_iris_device",
           name=f"{name}['model'] parameters")
    # .to(dtype) moves nothing (no device): only moves to a device count
    feature_moves = [dev for (kind, shape), dev in out["moves"]
                     if kind == "other" and len(shape) == 2 and shape[-1] == 4 and dev is not None]
    expect(len(feature_moves) >= epochs and all(d.split(":")[0] == device for d in feature_moves),
           Msg("cmp.number", got=f"{len(feature_moves)} batches moved to {sorted(set(map(str, feature_moves)))}",
               expected=f"every batch moved to {device!r}"), hint="hint.ex05_fit_iris_device", name=f"{name}: batches")


@check("ex05", "fit_iris_on", 1, en="fit_iris_on: the same seed gives the same history, another seed another one",
       zh="fit_iris_on：相同的种子得到相同的训练记录，不同的种子得到不同的记录")
def test_fit_iris_on_seeded(sub):
    first = fit_iris(sub, "cpu", epochs=3, seed=3)["history"]
    again = fit_iris(sub, "cpu", epochs=3, seed=3)["history"]
    other = fit_iris(sub, "cpu", epochs=3, seed=4)["history"]
    same = all(np.allclose(first[k], again[k], rtol=1e-6, atol=1e-9, equal_nan=True) for k in HISTORY_KEYS)
    expect(same, Msg("cmp.number", got="two different runs", expected="the same run twice"),
           hint="hint.ex05_fit_iris_seed", name="fit_iris_on('cpu', seed=3) twice")
    expect(first["train_loss"] != other["train_loss"], Msg("cmp.number", got="the same run", expected="another run"),
           hint="hint.ex05_fit_iris_seed", name="fit_iris_on('cpu', seed=4)")


@check("ex05", "fit_iris_on", 1, en="fit_iris_on('cpu', epochs=40) lowers the training loss and reaches 0.8 validation accuracy",
       zh="fit_iris_on('cpu', epochs=40) 降低训练损失，验证准确率达到 0.8")
def test_fit_iris_on_learns(sub):
    history = fit_iris(sub, "cpu", epochs=40, seed=1)["history"]
    losses, accuracy = history["train_loss"], history["val_acc"]
    best = max((a for a in accuracy if isinstance(a, (int, float)) and math.isfinite(a)), default=float("nan"))
    expect(losses[-1] < losses[0] and best >= 0.8,
           Msg("cmp.number", got=f"loss {losses[0]:.3g} -> {losses[-1]:.3g}, best val_acc {best:.3f}",
               expected="a falling loss and val_acc >= 0.8"), hint="hint.ex05_fit_iris_learns",
           name="fit_iris_on('cpu', epochs=40)")
