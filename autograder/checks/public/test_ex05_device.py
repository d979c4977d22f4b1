"""Public checks for ex05: choosing a device, moving nested batches, NumPy, training on a device.

Everything runs on the CPU-only laptop a student has; where the worker sees a
GPU, the same checks also run on it for real. The grader sends the tensors and
compares what comes back with its own copies; training is judged by the grader
evaluating the returned model's weights on the iris split it reads itself
(``reference/ex05.py``), and the reported history must agree with that.
"""
import numpy as np
import torch

from ...engine.worker import probes_ex05
from ...feedback.catalog import Msg
from ..api import check, expect, expect_close, hinted
from ..helpers.ex05 import (
    CONTAINER_TYPES,
    best_device,
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


@check("ex05", "get_device", 1, en="get_device() picks cuda, else mps, else cpu, as a torch.device",
       zh="get_device() 依次选择 cuda、mps、cpu，并返回 torch.device")
def test_get_device_auto(sub):
    expected = best_device(machine(sub))
    with hinted("hint.ex05_device_auto"):
        out = probe(sub, probes_ex05.get_device_run, "get_device")
    expect_device(out, expected, "hint.ex05_device_auto", "get_device()")


@check("ex05", "get_device", 0.5, en="get_device('cpu') returns torch.device('cpu')",
       zh="get_device('cpu') 返回 torch.device('cpu')")
def test_get_device_cpu(sub):
    with hinted("hint.ex05_device_explicit"):
        out = probe(sub, probes_ex05.get_device_run, "get_device", prefer="cpu")
    expect_device(out, "cpu", "hint.ex05_device_explicit", "get_device('cpu')")


@check("ex05", "get_device", 1, en="get_device('cuda') on a machine without a GPU falls back to cpu with a "
       "UserWarning (no GPU simulated)",
       zh="在没有 GPU 的机器上（模拟），get_device('cuda') 退回 cpu 并发出 UserWarning")
def test_get_device_cuda_falls_back(sub):
    call = "get_device('cuda') on a machine without cuda and mps"
    with hinted("hint.ex05_device_fallback"):
        out = simulated(sub, "cuda", False, False)
    expect_device(out, "cpu", "hint.ex05_device_fallback", call)
    expect_user_warning(out, f"{call}: warnings")


@check("ex05", "get_device", 1, en="get_device() picks cuda, else mps, else cpu on machines with and without them "
       "(availability simulated)",
       zh="在有或没有 cuda、mps 的机器上（模拟可用性），get_device() 依次选择 cuda、mps、cpu")
def test_get_device_auto_order(sub):
    expect_simulated_choices(sub, (((False, True), "mps"), ((True, True), "cuda"), ((False, False), "cpu"),
                                   ((True, False), "cuda")))


@check("ex05", "move_to", 1, en="move_to keeps a nested dict/tuple/list batch intact, tensors on the device",
       zh="move_to 保持嵌套的 dict/tuple/list 批量结构不变，张量移到目标设备")
def test_move_to_nested(sub):
    devices = ["cpu"] + (["cuda"] if machine(sub)["cuda"] else [])
    for device in devices:
        expect_structure(moved(sub, device), device)


@check("ex05", "move_to", 1, en="move_to keeps every container type: namedtuple, OrderedDict, list, tuple, dict",
       zh="move_to 保持每种容器类型：namedtuple、OrderedDict、list、tuple、dict",
       in_process="the container types' names, seen in the worker")
def test_move_to_keeps_container_types(sub):
    out = moved(sub, "cpu")
    # the values first, against the grader's tensors: a move_to that returns nothing earns nothing
    expect_structure(out, "cpu")
    got = out["info"]["container_types"] if isinstance(out.get("info"), dict) else None
    for key, name in CONTAINER_TYPES.items():
        found = got.get(key) if isinstance(got, dict) else None
        expect(found == name, Msg("cmp.type", expected=name, got=str(found)), hint="hint.ex05_move_containers",
               name=Msg("label.ex05_type_of", what=f"move_to(batch)[{key!r}]"))


@check("ex05", "move_to", 0.5, en="move_to returns the moved tensors: moved to the 'meta' device, every tensor of "
       "the batch comes back there",
       zh="move_to 返回移动后的张量：移到 'meta' 设备时，批量中的每个张量都在该设备上返回",
       in_process="the device of each returned tensor, on 'meta'")
def test_move_to_returns_moved(sub):
    # the values first: the same batch moved to the CPU comes back with the grader's tensors
    expect_structure(moved(sub, "cpu"), "cpu")
    expect_on_meta(sub, ref.meta_tensors(23))


@check("ex05", "to_numpy", 1, en="to_numpy works on a tensor that requires grad and returns an ndarray",
       zh="to_numpy 能处理需要梯度的张量，并返回 ndarray")
def test_to_numpy_requires_grad(sub):
    device = "cuda" if machine(sub)["cuda"] else "cpu"
    with hinted("hint.ex05_to_numpy"):
        out = numpy_run(sub, device)
    got = out["leaf"]["result"]
    expect(isinstance(got, np.ndarray), Msg("cmp.type", expected="numpy.ndarray", got=out["leaf"]["type"]),
           hint="hint.ex05_to_numpy", name="to_numpy(t)")
    expect_close(torch.from_numpy(got), ref.numpy_inputs()["expected"]["leaf"], hint="hint.ex05_to_numpy",
                 name="to_numpy(t)")


@check("ex05", "fit_iris_on", 2, en="fit_iris_on('cpu', epochs=6) returns the trained model (validation loss "
       "below 0.9, as the grader measures it) and its 6-epoch history",
       zh="fit_iris_on('cpu', epochs=6) 返回训练过的模型（评分程序测得的验证损失低于 0.9）和 6 个 epoch 的训练记录",
       in_process="the devices of the returned model's parameters")
def test_fit_iris_on_cpu(sub):
    name = "fit_iris_on('cpu', epochs=6)"
    out = fit_iris(sub, "cpu", epochs=6)
    val = judged(sub, out, name)
    # an untrained network gives about ln 3 = 1.1; six epochs of Adam bring a correct run to about 0.65
    expect(val["loss"] < 0.9, Msg("cmp.number", got=Msg("value.ex05_val_loss", loss=val['loss']),
                                  expected=Msg("value.ex05_below", limit=0.9, epochs=6)),
           hint="hint.ex05_fit_iris_learns", name=name)
    expect(out["param_devices"] == ["cpu"], Msg("cmp.number", got=out["param_devices"], expected="['cpu']"),
           hint="hint.ex05_fit_iris_device", name="fit_iris_on('cpu')['model'] parameters")


@check("ex05", "fit_iris_on", 0.5, en="fit_iris_on puts the model and every training batch on the device given",
       zh="fit_iris_on 把模型和每个训练批量放到传入的设备上",
       in_process="the devices of the model's parameters and the .to(device) calls on the batches")
def test_fit_iris_on_moves_batches(sub):
    expect_fit_on_device(sub, epochs=2, seed=2)


@check("ex05", "fit_iris_on", 0.5, en="fit_iris_on: the same seed gives the same model, another seed another one",
       zh="fit_iris_on：相同的种子得到相同的模型，不同的种子得到不同的模型")
def test_fit_iris_on_same_seed(sub):
    expect_seeded(sub, epochs=2, seed=5, other=6)
