"""Public checks for ex05: choosing a device, moving nested batches, NumPy, training on a device.

Everything runs on the CPU-only laptop a student has; where the worker sees a
GPU, the same checks also run on it for real. The grader sends the tensors and
compares what comes back with its own copies; training is judged by the grader
evaluating the returned model's weights on the iris split it reads itself
(``reference/ex05.py``), and the reported history must agree with that.
"""
import math

import numpy as np
import torch

from ...feedback.catalog import Msg
from ..api import check, expect, expect_close, expect_length, fail, hinted, run_probe
from ..reference import ex05 as ref

MODULE = "ex05_device"
HISTORY_KEYS = ("train_loss", "val_loss", "val_acc", "lr")


def probe(sub, name, func, **kwargs):
    """Run probes_ex04_05.<name> in the worker; errors are reported against the student's ``func``."""
    return run_probe(sub, f"probes_ex04_05.{name}", f"{MODULE}.{func}", **kwargs)


def machine(sub) -> dict:
    """Which accelerators the worker sees: {"cuda": bool, "mps": bool}."""
    return sub.probe("probes_ex04_05.availability")()


def best_device(available: dict) -> str:
    return "cuda" if available["cuda"] else "mps" if available["mps"] else "cpu"


def expect_device(out, expected: str, hint, name):
    expect(out["is_device"], Msg("cmp.type", expected="torch.device", got=out["type"]), hint="hint.ex05_device_type",
           name=name)
    got = out["result"]
    expect(got.type == expected, Msg("cmp.number", got=str(got), expected=expected), hint=hint, name=name)


def fit_iris(sub, device, epochs, seed=0, record=False):
    """fit_iris_on(device, epochs, seed) checked for its return shape; the probe's output."""
    with hinted("hint.ex05_fit_iris_return"):
        out = probe(sub, "fit_iris_run", "fit_iris_on", device=device, epochs=epochs, seed=seed, record=record)
    name = f"fit_iris_on({device!r}, epochs={epochs})"
    expect(out["type"] == "dict" and {"model", "history"} <= set(out["keys"]),
           Msg("cmp.type", expected="{'model', 'history'}", got=f"{out['type']} {out['keys']}"),
           hint="hint.ex05_fit_iris_return", name=name)
    expect(out["is_module"], Msg("cmp.type", expected="nn.Module", got="something else"),
           hint="hint.ex05_fit_iris_return", name=f"{name}['model']")
    history = out["history"]
    expect(isinstance(history, dict), Msg("cmp.type", expected="dict", got=type(history).__name__),
           hint="hint.ex05_fit_iris_return", name=f"{name}['history']")
    for key in HISTORY_KEYS:
        expect(key in history, Msg("cmp.type", expected=f"history[{key!r}]", got=sorted(map(str, history))),
               hint="hint.ex05_fit_iris_return", name=f"{name}['history']")
        expect_length(history[key], epochs, hint="hint.ex05_fit_iris_return", name=f"{name}['history'][{key!r}]")
        for value in history[key]:
            expect(isinstance(value, (int, float)) and not isinstance(value, bool),
                   Msg("cmp.type", expected="float", got=type(value).__name__), hint="hint.ex05_fit_iris_return",
                   name=f"{name}['history'][{key!r}]")
    return out


def judged(sub, out, name: str) -> dict:
    """The grader's own scores of the returned model (its state dict rebuilt as Linear layers with
    ReLU between) on the validation split; the history's last epoch must report the same."""
    try:
        layers = ref.layers_of(out["state"])
    except ref.NotAnMLP as exc:
        fail(Msg("cmp.type", expected="MLP(4, [16], 3): Linear layers from 4 features to 3 classes", got=str(exc)),
             hint="hint.ex05_fit_iris_return", name=f"{name}['model']")
    expect([list(w.shape) for w, _ in layers] == [[16, 4], [3, 16]],
           Msg("cmp.type", expected="MLP(4, [16], 3)", got=f"Linear layers {[list(w.shape) for w, _ in layers]}"),
           hint="hint.ex05_fit_iris_return", name=f"{name}['model']")
    val = ref.scores(layers, ref.iris(sub.data_dir)["val"])
    history = out["history"]
    reported_loss, reported_acc = float(history["val_loss"][-1]), float(history["val_acc"][-1])
    loss_ok = math.isclose(reported_loss, val["loss"], rel_tol=1e-3, abs_tol=1e-4)
    acc_ok = abs(reported_acc - val["accuracy"]) <= 1 / 24 + 1e-9  # one flower of 24, for rounding on a GPU
    expect(loss_ok and acc_ok,
           Msg("cmp.number", got=f"history: val_loss {reported_loss:.4g}, val_acc {reported_acc:.4g}",
               expected=f"what the returned model gives on the validation split: val_loss {val['loss']:.4g}, "
                        f"val_acc {val['accuracy']:.4g}"),
           hint="hint.ex05_fit_iris_history", name=f"{name}['history'] after the last epoch")
    return val


# --- get_device ---------------------------------------------------------------------------
@check("ex05", "get_device", 2, en="get_device() picks cuda, else mps, else cpu, as a torch.device",
       zh="get_device() 依次选择 cuda、mps、cpu，并返回 torch.device")
def test_get_device_auto(sub):
    expected = best_device(machine(sub))
    with hinted("hint.ex05_device_auto"):
        out = probe(sub, "get_device_run", "get_device")
    expect_device(out, expected, "hint.ex05_device_auto", "get_device()")


@check("ex05", "get_device", 1, en="get_device('cpu') returns torch.device('cpu')",
       zh="get_device('cpu') 返回 torch.device('cpu')")
def test_get_device_cpu(sub):
    with hinted("hint.ex05_device_explicit"):
        out = probe(sub, "get_device_run", "get_device", prefer="cpu")
    expect_device(out, "cpu", "hint.ex05_device_explicit", "get_device('cpu')")


# --- move_to ------------------------------------------------------------------------------
def moved(sub, device):
    with hinted("hint.ex05_move_recursive"):
        return probe(sub, "move_to_run", "move_to", tensors=ref.move_tensors(), device=device)


def expect_structure(out, device: str):
    """The nested structure comes back with the same containers, tensors on ``device``, values kept."""
    result, original = out["result"], ref.move_tensors()
    name = f"move_to(batch, {device!r})"
    expect(isinstance(result, dict) and {"x", "pair", "nested", "flag"} <= set(result),
           Msg("cmp.type", expected="a dict with the same keys", got=type(result).__name__),
           hint="hint.ex05_move_containers", name=name)
    pair = result["pair"]
    expect(isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], list),
           Msg("cmp.type", expected="(tensor, [tensor, 7, 'label', None])", got=repr(type(pair).__name__)),
           hint="hint.ex05_move_containers", name=f"{name}['pair']")
    expect(pair[1][1:] == [7, "label", None] and result["flag"] is True,
           Msg("cmp.number", got=repr(pair[1][1:]), expected="[7, 'label', None]"), hint="hint.ex05_move_containers",
           name=f"{name}['pair'][1]")
    try:
        deep = result["nested"]["deep"][0]["t"]
    except (KeyError, IndexError, TypeError):
        deep = None
    tensors = {"x": (result["x"], "a"), "pair[0]": (pair[0], "b"), "pair[1][0]": (pair[1][0], "c"),
               "nested['deep'][0]['t']": (deep, "d")}
    for where, (got, key) in tensors.items():
        expect_close(got, original[key], atol=0, rtol=0, hint="hint.ex05_move_recursive", name=f"{name}{where}")
        expect(str(getattr(got, "remote_device", "cpu")).split(":")[0] == device,
               Msg("cmp.number", got=getattr(got, "remote_device", "?"), expected=device),
               hint="hint.ex05_move_recursive", name=f"{name}{where}.device")


@check("ex05", "move_to", 2, en="move_to keeps a nested dict/tuple/list batch intact, tensors on the device",
       zh="move_to 保持嵌套的 dict/tuple/list 批量结构不变，张量移到目标设备")
def test_move_to_nested(sub):
    devices = ["cpu"] + (["cuda"] if machine(sub)["cuda"] else [])
    for device in devices:
        expect_structure(moved(sub, device), device)


# --- to_numpy -----------------------------------------------------------------------------
@check("ex05", "to_numpy", 2, en="to_numpy works on a tensor that requires grad and returns an ndarray",
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


def numpy_run(sub, device):
    inputs = ref.numpy_inputs()
    return probe(sub, "to_numpy_run", "to_numpy", base=inputs["base"], plain=inputs["plain"], device=device)


# --- fit_iris_on --------------------------------------------------------------------------
@check("ex05", "fit_iris_on", 3, en="fit_iris_on('cpu', epochs=6) returns the trained model (validation loss "
       "below 0.9, as the grader measures it) and its 6-epoch history",
       zh="fit_iris_on('cpu', epochs=6) 返回训练过的模型（评分程序测得的验证损失低于 0.9）和 6 个 epoch 的训练记录",
       in_process="the devices of the returned model's parameters")
def test_fit_iris_on_cpu(sub):
    name = "fit_iris_on('cpu', epochs=6)"
    out = fit_iris(sub, "cpu", epochs=6)
    val = judged(sub, out, name)
    # an untrained network gives about ln 3 = 1.1; six epochs of Adam bring a correct run to about 0.65
    expect(val["loss"] < 0.9, Msg("cmp.number", got=f"the returned model's validation loss {val['loss']:.3g}",
                                  expected="below 0.9 after 6 epochs"), hint="hint.ex05_fit_iris_learns", name=name)
    expect(out["param_devices"] == ["cpu"], Msg("cmp.number", got=out["param_devices"], expected="['cpu']"),
           hint="hint.ex05_fit_iris_device", name="fit_iris_on('cpu')['model'] parameters")
