"""Hidden checks for ex05: the fallback warning, every tensor moved (recorded with a
TorchFunctionMode on a CPU-only machine, for real on a GPU), NumPy dtypes, and
fit_iris_on's device placement, seeding and learning.

Learning and seeding are judged by the grader evaluating the returned weights on the iris
split it reads itself; where a tensor or a module lives, and which .to() calls were made, only
the worker sees (``in_process``): those observations only take points away."""
import math

import numpy as np
import torch

from ...engine.worker import probes_ex05
from ...feedback.catalog import Msg
from ..api import check, expect, expect_close, hinted
from ..helpers.ex05 import (
    CONTAINER_TYPES,
    expect_device,
    expect_fit_on_device,
    expect_on_meta,
    expect_seeded,
    expect_simulated_choices,
    expect_structure,
    expect_user_warning,
    fit_iris,
    judged,
    machine,
    moved,
    numpy_run,
    probe,
    simulated,
)
from ..reference import ex05 as ref

# --- get_device ---------------------------------------------------------------------------
SIMULATED = {  # (cuda, mps) -> what get_device() picks
    (True, False): "cuda", (False, True): "mps", (True, True): "cuda", (False, False): "cpu"}


@check("ex05", "get_device", 1, en="get_device() picks cuda, else mps, else cpu on machines with and without them "
       "(availability simulated)",
       zh="在有或没有 cuda、mps 的机器上（模拟可用性），get_device() 依次选择 cuda、mps、cpu")
def test_get_device_auto_simulated(sub):
    expect_simulated_choices(sub, SIMULATED.items())


@check("ex05", "get_device", 1, en="get_device('cuda') and get_device('mps') fall back to cpu with a UserWarning "
       "where they are not available",
       zh="get_device('cuda') 和 get_device('mps') 在不可用时退回 cpu 并发出 UserWarning")
def test_get_device_fallback(sub):
    for name in ("cuda", "mps"):  # a machine without accelerators, simulated
        call = f"get_device({name!r}) on a machine without cuda and mps"
        with hinted("hint.ex05_device_fallback"):
            out = simulated(sub, name, False, False)
        expect_device(out, "cpu", "hint.ex05_device_fallback", call)
        expect_user_warning(out, f"{call}: warnings")
    available = machine(sub)
    for name in ("cuda", "mps"):
        call = f"get_device({name!r})"
        with hinted("hint.ex05_device_fallback"):
            out = probe(sub, probes_ex05.get_device_run, "get_device", prefer=name)
        if available[name]:
            expect_device(out, name, "hint.ex05_device_explicit", call)
            continue
        expect_device(out, "cpu", "hint.ex05_device_fallback", call)
        expect_user_warning(out, f"{call} warnings")


# --- move_to ------------------------------------------------------------------------------
@check("ex05", "move_to", 1, en="move_to calls .to(device) on every tensor, however deep in dicts, tuples and lists",
       zh="move_to 对每个张量调用 .to(device)，无论它在 dict、tuple、list 中嵌套多深",
       in_process="the .to(device) call on each tensor")
def test_move_to_moves_every_tensor(sub):
    device = "cuda" if machine(sub)["cuda"] else "cpu"
    out = moved(sub, device)
    targets = {tuple(tag): dev for tag, dev in out["moves"]}
    where = {"a": "['x']", "b": "['pair'][0]", "c": "['pair'][1][0]", "d": "['nested']['deep'][0]['t']",
             "e": " (a bare tensor)"}
    for key, path in where.items():
        dev = targets.get(("move_to", key))
        expect(dev is not None and dev.split(":")[0] == device,
               Msg("cmp.number", got=f"{dev or 'not moved'}", expected=f".to({device!r})"),
               hint="hint.ex05_move_recursive", name=f"move_to(batch, {device!r}){path}")
    single = out["single"]
    expect_close(single, ref.move_tensors()["e"], atol=0, rtol=0, hint="hint.ex05_move_recursive",
                 name=f"move_to(tensor, {device!r})")


@check("ex05", "move_to", 1, en="move_to returns the moved tensors: on the 'meta' device, every tensor of the batch "
       "comes back there", zh="move_to 返回移动后的张量：移到 'meta' 设备时，批量中的每个张量都在该设备上返回",
       in_process="the device of each returned tensor and of the module, on 'meta'")
def test_move_to_returns_moved_tensors(sub):
    # the values first: the same batch moved to the CPU comes back with the grader's tensors
    expect_structure(moved(sub, "cpu"), "cpu")
    out = expect_on_meta(sub, ref.meta_tensors())
    expect(out["model"]["device"] == ["meta"], Msg("cmp.number", got=out["model"]["device"], expected=["meta"]),
           hint="hint.ex05_move_module", name="move_to(batch, 'meta')['model']")


@check("ex05", "move_to", 1, en="move_to keeps containers and returns other values as the very same objects",
       zh="move_to 保持容器类型，其他值原样返回（同一个对象）",
       in_process="the identity of the returned marker object; the container types' names")
def test_move_to_keeps_other_values(sub):
    out = moved(sub, "cpu")
    expect_structure(out, "cpu")
    result = out["result"]
    expect(isinstance(result, dict) and result.get("marker") == "<marker>" and out["info"]["marker_same"],
           Msg("cmp.number", got=Msg("value.different_object"), expected=Msg("value.same_object")),
           hint="hint.ex05_move_containers", name="move_to(batch)['marker']")
    info = result["nested"].get("info") if isinstance(result.get("nested"), dict) else None
    expect(info == {"k": 2.5, "name": "iris"}, Msg("cmp.number", got=repr(info), expected="{'k': 2.5, 'name': 'iris'}"),
           hint="hint.ex05_move_containers", name="move_to(batch)['nested']['info']")
    pair = result.get("pair")
    expect(isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], list),
           Msg("cmp.type", expected="(tensor, [tensor, 7, 'label', None])",
               got=Msg("value.ex05_of_types", outer=type(pair).__name__,
                       inner=", ".join(type(p).__name__ for p in pair)) if isinstance(pair, (tuple, list))
               else type(pair).__name__),
           hint="hint.ex05_move_containers", name="move_to(batch)['pair']")
    got = out["info"]["container_types"]
    expect(got == CONTAINER_TYPES, Msg("cmp.number", got=got, expected=CONTAINER_TYPES),
           hint="hint.ex05_move_containers",
           name="move_to({'namedtuple': Pair(...), 'ordered': OrderedDict(...), 'list': [...], 'tuple': (...), ...})")


@check("ex05", "move_to", 1, en="move_to moves an nn.Module, alone or inside a dict, and returns the module",
       zh="move_to 会移动 nn.Module（单独传入或在 dict 中），并返回该模块",
       in_process="the devices of the modules' parameters and the .to() calls on them")
def test_move_to_modules(sub):
    device = "cuda" if machine(sub)["cuda"] else "cpu"
    out = moved(sub, device)
    expect_structure(moved(sub, "cpu"), "cpu")
    info = out["info"]
    expect(info["module_is_module"] and info["bare_module_is_module"],
           Msg("cmp.type", expected="nn.Module", got=Msg("value.something_else")), hint="hint.ex05_move_module",
           name="move_to(model)")
    moves = {tuple(tag): dev for tag, dev in out["moves"]}

    def bare_moved():
        ok = all(d.split(":")[0] == device for d in info["bare_module_devices"]) and info["bare_module_devices"]
        return bool(ok) and (device != "cpu" or ("bare_module", "weight") in moves)

    for owner in ("bare_module", "module"):
        # a module moved alone but not inside the batch: move_to does not reach it
        hint = "hint.ex05_move_recursive" if owner == "module" and bare_moved() else "hint.ex05_move_module"
        devices = info[f"{owner}_devices"]
        expect(devices and all(d.split(":")[0] == device for d in devices),
               Msg("cmp.number", got=devices, expected=device), hint=hint, name="move_to(model)")
        if device == "cpu":  # on a CPU-only machine, only the recorded .to() shows the move
            expect((owner, "weight") in moves, Msg("cmp.number", got=Msg("value.not_moved"), expected=".to('cpu')"),
                   hint=hint, name=f"move_to({'model' if owner == 'bare_module' else 'batch'})")


# --- to_numpy -----------------------------------------------------------------------------
@check("ex05", "to_numpy", 1, en="to_numpy of a non-leaf float tensor and an int64 tensor keeps values and dtypes",
       zh="to_numpy 对非叶子浮点张量和 int64 张量保持数值和数据类型")
def test_to_numpy_other_tensors(sub):
    device = "cuda" if machine(sub)["cuda"] else "cpu"
    with hinted("hint.ex05_to_numpy"):
        out = numpy_run(sub, device)
    expected = ref.numpy_inputs()["expected"]
    for name, dtype in (("nonleaf", np.float32), ("plain", np.int64)):
        got = out[name]["result"]
        expect(isinstance(got, np.ndarray) and got.dtype == dtype,
               Msg("cmp.type", expected=f"numpy.ndarray {np.dtype(dtype).name}",
                   got=f"{out[name]['type']} {getattr(got, 'dtype', '')}"), hint="hint.ex05_to_numpy",
               name=f"to_numpy({name})")
        expect_close(torch.from_numpy(got), expected[name], hint="hint.ex05_to_numpy", name=f"to_numpy({name})")


# --- fit_iris_on --------------------------------------------------------------------------
@check("ex05", "fit_iris_on", 1, en="fit_iris_on puts the model and every training batch on the device "
       "(and trains on CUDA where there is a GPU)",
       zh="fit_iris_on 把模型和每个训练批量放到指定设备上（有 GPU 时在 CUDA 上训练）",
       in_process="the devices of the model's parameters and the .to(device) calls on the batches")
def test_fit_iris_on_device(sub):
    expect_fit_on_device(sub, epochs=2, seed=0)


@check("ex05", "fit_iris_on", 1, en="fit_iris_on: the same seed gives the same history, another seed another one",
       zh="fit_iris_on：相同的种子得到相同的训练记录，不同的种子得到不同的记录")
def test_fit_iris_on_seeded(sub):
    expect_seeded(sub, epochs=3, seed=3, other=4)


@check("ex05", "fit_iris_on", 1,
       en="fit_iris_on('cpu', epochs=40) lowers the training loss and reaches 0.8 validation accuracy",
       zh="fit_iris_on('cpu', epochs=40) 降低训练损失，验证准确率达到 0.8")
def test_fit_iris_on_learns(sub):
    out = fit_iris(sub, "cpu", epochs=40, seed=1)
    val = judged(sub, out, "fit_iris_on('cpu', epochs=40)")
    losses = [float(v) for v in out["history"]["train_loss"]]
    ok = all(math.isfinite(v) for v in losses) and losses[-1] < losses[0] and val["accuracy"] >= 0.8
    expect(ok, Msg("cmp.number", got=Msg("value.ex05_loss_acc", first=losses[0], last=losses[-1], acc=val['accuracy']),
                   expected=Msg("value.ex05_falling_acc", acc=0.8)),
           hint="hint.ex05_fit_iris_learns", name="fit_iris_on('cpu', epochs=40)")
